"""labctl's command line: what an instructor sees, and its exit codes."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cloudlabs import REPO_ROOT
from labctl.cli import main
from labctl.render import ENVIRONMENTS


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def copy_demo(tmp_path: Path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, target)
    return target


def test_plan_prints_every_demo_stack(capsys):
    code, out, err = run(capsys, "plan")
    assert code == 0, err
    for stack, lab in (("demo-s01", "ec2-webserver (solution)"), ("demo-s02", "vpc-nat (starter)"), ("demo-s03", "vpc-nat (solution)")):
        assert f"{stack}: {lab}" in out
    assert "10.1.0.0/16" in out and "10.2.0.0/16" in out and "10.3.0.0/16" in out
    assert "aws:ec2/natGateway:NatGateway" in out
    assert "vpc-nat.sshWebDev" in out


def test_plan_one_stack_by_name_and_json(capsys, tmp_path):
    target = tmp_path / "plan.json"
    code, out, _ = run(capsys, "plan", "demo-s03", "--json", str(target))
    assert code == 0
    assert "demo-s03" in out and "demo-s01" not in out
    (doc,) = json.loads(target.read_text())
    assert doc["format"] == "cloudlabs.graph/v1" and doc["stack"] == "demo-s03"
    assert doc["settings"]["labs"] == [{"lab": "vpc-nat", "stage": "solution", "options": {}}]
    assert doc["outputs"]["vpc-nat"]["vpcCidr"] == "10.3.0.0/16"


def test_json_is_byte_identical_across_runs(capsys, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert run(capsys, "plan", "--json", str(first))[0] == 0
    assert run(capsys, "plan", "--json", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()


def test_bad_stack_file_exits_2_and_writes_nothing(capsys, tmp_path):
    envs = copy_demo(tmp_path)
    bad = envs / "Pulumi.demo-s02.yaml"
    doc = yaml.safe_load(bad.read_text())
    doc["config"]["cloudlabs:seat"] = 300
    bad.write_text(yaml.safe_dump(doc))
    target = tmp_path / "plan.json"
    code, out, err = run(capsys, "plan", str(envs), "--json", str(target))
    assert code == 2
    assert err.strip() == (f"{bad}: cloudlabs:seat: 300 is not allowed (out of range); "
                           "allowed: a whole number from 0 (the instructor) to 254; seat N owns 10.N.0.0/16")
    assert out == "" and not target.exists()


def test_unknown_stack_exits_2(capsys):
    code, _, err = run(capsys, "plan", "demo-s99")
    assert code == 2 and err.startswith("labctl: demo-s99: no such stack, cohort, file or directory (looked in ")


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["plan", "--no-such-flag"])
    assert caught.value.code == 2


def test_one_failing_stack_does_not_hide_the_others(capsys, tmp_path, monkeypatch):
    from components.labs import vpc_nat
    original = vpc_nat.VpcNatLab.build

    def fail_for_s02(self, name, args):
        if args.context.student == "s02":
            raise RuntimeError("simulated bug")
        return original(self, name, args)

    monkeypatch.setattr(vpc_nat.VpcNatLab, "build", fail_for_s02)
    target = tmp_path / "plan.json"
    code, out, err = run(capsys, "plan", "--json", str(target))
    assert code == 1
    assert "FAILED demo-s02: the program failed: RuntimeError: simulated bug" in err
    assert "demo-s01" in out and "demo-s03" in out
    assert [d["stack"] for d in json.loads(target.read_text())] == ["demo-s01", "demo-s03"]


def test_labs_lists_the_catalog(capsys):
    code, out, _ = run(capsys, "labs")
    assert code == 0
    assert "ec2-webserver" in out and "vpc-nat" in out and "starter, solution" in out
    assert "Address layouts ready for labs still to come" in out and "vpc-peering" in out


def test_module_entry_point_runs_without_pulumi_cli_or_credentials(tmp_path):
    """`python -m labctl plan` as the README runs it, with no AWS or Pulumi environment."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "labctl", "plan", "--quiet"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Offline plan" in result.stdout and "demo-s03" in result.stdout


def test_readme_documents_every_lab_and_its_stages():
    from cloudlabs.catalog import LABS
    readme = (REPO_ROOT / "README.md").read_text()
    catalog = readme.split("## Lab catalog", 1)[1].split("\n#", 1)[0]
    for key, spec in LABS.items():
        (row,) = [line for line in catalog.splitlines() if line.startswith(f"| `{key}` |")]
        for stage in spec.stages:
            assert f"`{stage}`" in row, (key, stage)
        assert "$" in row.split("|")[-2], f"{key}: no cost per hour"
