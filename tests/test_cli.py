"""labctl's command line: what an instructor sees, and its exit codes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cloudlabs import REPO_ROOT
from labctl.cli.main import main
from labctl.offline.render import ENVIRONMENTS

DEMO_STACKS = len(list(ENVIRONMENTS.glob("Pulumi.*.yaml")))  # the committed demo cohorts' stacks


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
    assert f"{DEMO_STACKS} stacks" in out and "demo-net-n08" in out and "10.16.128.0/17" in out and "demo-app-a05" in out
    code, out, err = run(capsys, "plan", "demo")  # up to five stacks: a panel each
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
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", "off")  # the program changes in memory, not in its files
    from components.labs import vpc_nat
    original = vpc_nat.VpcNatLab.build

    def fail_for_s02(self, name, args):
        if args.context.student == "s02":
            raise RuntimeError("simulated bug")
        return original(self, name, args)

    monkeypatch.setattr(vpc_nat.VpcNatLab, "build", fail_for_s02)
    target = tmp_path / "plan.json"
    code, out, err = run(capsys, "plan", "demo", "--json", str(target))
    assert code == 1
    assert "FAILED demo-s02: the program failed: RuntimeError: simulated bug" in err
    assert "demo-s01" in out and "demo-s03" in out
    assert [d["stack"] for d in json.loads(target.read_text())] == ["demo-s01", "demo-s03"]


def test_labs_lists_the_catalog(capsys):
    code, out, _ = run(capsys, "labs")
    assert code == 0
    assert "ec2-webserver" in out and "vpc-nat" in out and "starter, solution" in out
    assert out.index("vpc-nat") < out.index("vpc-peering") < out.index("lamp")  # the book's order


def test_module_entry_point_runs_without_pulumi_cli_or_credentials(tmp_path):
    """`python -m labctl plan` as the README runs it, with no AWS or Pulumi environment."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "labctl", "plan", "--quiet"], cwd=REPO_ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Offline plan" in result.stdout and "demo-s03" in result.stdout


# --- the cohort workflow, end to end ------------------------------------------------------------


def test_sync_check_and_write(capsys, tmp_path):
    envs = tmp_path / "environments"
    envs.mkdir()
    shutil.copy(REPO_ROOT / "examples" / "fall26.yaml", envs)
    code, out, _ = run(capsys, "sync", "fall26", "--environments", str(envs), "--check")
    assert code == 1 and "would be created" in out and not list(envs.glob("Pulumi.*.yaml"))
    code, out, _ = run(capsys, "sync", "fall26", "--environments", str(envs))
    assert code == 0 and "Cohort fall26: 40 students" in out
    assert len(list(envs.glob("Pulumi.fall26-*.yaml"))) == 40
    code, out, _ = run(capsys, "sync", "fall26", "--environments", str(envs), "--check")
    assert code == 0 and "would be" not in out


def test_sync_bad_cohort_exits_2_and_writes_nothing(capsys, tmp_path):
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "fall26.yaml").write_text((REPO_ROOT / "examples" / "fall26.yaml").read_text().replace("u105", "U105"))
    code, out, err = run(capsys, "sync", "fall26", "--environments", str(envs))
    assert code == 2 and out == ""
    assert err.startswith(f'{envs}/fall26.yaml:19: roster[4].id: "U105" is not allowed; allowed: 1-20 lowercase')
    assert sorted(p.name for p in envs.iterdir()) == ["fall26.yaml"]


@pytest.mark.parametrize("cohort", ["demo", "demo-net", "demo-app"])
def test_demo_stack_files_are_in_sync_with_their_cohort(capsys, cohort):
    code, out, _ = run(capsys, "sync", cohort, "--check")
    assert code == 0, out


def test_forty_students_plan_diff_and_cost(capsys, tmp_path):
    """The instructor's path from the README: sync, plan with snapshots, change the lab, plan, diff, cost."""
    envs = tmp_path / "environments"
    envs.mkdir()
    cohort = envs / "fall26.yaml"
    shutil.copy(REPO_ROOT / "examples" / "fall26.yaml", cohort)
    assert run(capsys, "sync", "fall26", "--environments", str(envs))[0] == 0

    code, out, err = run(capsys, "plan", "fall26", "--environments", str(envs), "--snapshots", str(tmp_path / "base"), "--jobs", "2")
    assert code == 0, err
    assert "40 stacks" in out and "u101" in out and "10.40.0.0/16" in out
    assert len(list((tmp_path / "base").glob("*.json"))) == 40

    cohort.write_text(cohort.read_text().replace("stage: solution", "stage: starter"))
    assert run(capsys, "sync", "fall26", "--environments", str(envs))[0] == 0
    assert run(capsys, "plan", "fall26", "--environments", str(envs), "--snapshots", str(tmp_path / "head"), "--quiet")[0] == 0

    code, out, _ = run(capsys, "diff", str(tmp_path / "base"), str(tmp_path / "head"), "--markdown", str(tmp_path / "d.md"))
    assert code == 1
    assert "* -4 resources, 1 replaced, 6 output changes in each of 40 stacks" in out  # web-dev: user data gone, replaced
    assert "40 students lose a running instance: vpc-nat-web-dev (replaced)" in out
    assert "- aws:ec2/natGateway:NatGateway vpc-nat-vpc-a-nat" in out
    assert "- aws:ec2/route:Route vpc-nat-vpc-a-private-default" in out

    code, out, _ = run(capsys, "cost", "fall26", "--environments", str(envs), "--hours", "3")
    assert code == 0
    per_student = 2 * 0.0104 + 2 * 8 * 0.08 / 730 + 0.005  # the starter has no NAT gateway nor its address
    assert f"${40 * per_student * 3:,.2f}" in out  # $3.31 for the cohort's 3-hour session
    assert "vpc-nat (starter)" in out and "$0.028" in out and "$0.083" in out


# --- check and reach ------------------------------------------------------------------------------


def test_check_passes_on_the_demo_cohorts(capsys):
    code, out, err = run(capsys, "check")
    assert code == 0, out + err
    assert f"{DEMO_STACKS} stacks" in out and re.search(r"demo-net-n06\W+10\W+10\W+0\W", out)  # paths, passed, failed
    code, out, _ = run(capsys, "check", "demo-s02", "--all")
    assert code == 0 and "bastion -> web-dev:80" in out and "denied pass" in out


def test_check_fails_with_the_explanation_when_a_lab_breaks(capsys, monkeypatch):
    import dataclasses

    from cloudlabs.catalog import LABS
    from cloudlabs.paths import allow
    original = LABS["vpc-nat"]

    def expects_too_much(stage, options):
        return original.expected_paths(stage, options) + [allow("internet", "web-dev", 22, "nobody should expect this")]

    monkeypatch.setitem(LABS, "vpc-nat", dataclasses.replace(original, expected_paths=expects_too_much))
    code, out, _ = run(capsys, "check", "demo-s03")
    assert code == 1
    assert "internet -> web-dev:22" in out and "denied FAIL" in out and "web-dev has no public IPv4 address" in out


def test_reach_answers_with_hops_and_what_blocks(capsys):
    code, out, _ = run(capsys, "reach", "demo-s02", "bastion", "web-dev", "--port", "80")
    assert code == 1
    assert out.splitlines()[0] == "demo-s02: bastion -> web-dev:80 (tcp): DENIED"
    assert "  blocked: security group web-dev-SG of web-dev has no inbound rule for tcp 80 from bastion" in out
    code, out, _ = run(capsys, "reach", "demo-net-n07", "VM1", "VM3", "--protocol", "icmp")
    assert code == 0 and "ALLOWED" in out and "via pcx-" in out


def test_reach_bad_input_exits_2(capsys):
    code, _, err = run(capsys, "reach", "demo-s02", "bastion", "nowhere", "--port", "80")
    assert code == 2 and "no host named 'nowhere'; hosts: bastion, web-dev" in err
    code, _, err = run(capsys, "reach", "demo-s02", "bastion", "web-dev")
    assert code == 2 and "--port is required for tcp/udp" in err
