"""labctl up/preview/destroy/expired through the CLI, with a scripted runner in place of the Pulumi CLI."""

from __future__ import annotations

import re

import pytest

from labctl.cli import runners
from labctl.cli.main import main

from .fakerunner import FakeRunner, shared_account_environments


@pytest.fixture
def fake(monkeypatch, tmp_path):
    shared_account_environments(monkeypatch, tmp_path)
    runner = FakeRunner()
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: runner)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    return runner


def test_up_a_cohort_then_rerun_touches_nothing_done(fake, capsys, tmp_path):
    assert main(["up", "demo", "--parallel", "2"]) == 0
    out = capsys.readouterr().out
    assert "up: 3 succeeded" in out and "+3 ~0 -0" in out
    assert sorted(s for s, _ in fake.calls) == ["demo-s01", "demo-s02", "demo-s03"]
    logs = list((tmp_path / "state" / "logs").glob("up-*/demo-s02.log"))
    assert logs and "up demo-s02: working" in logs[0].read_text()
    assert main(["up", "demo"]) == 0
    assert "up: 3 skipped" in capsys.readouterr().out and len(fake.calls) == 3
    assert main(["up", "demo", "--all"]) == 0 and len(fake.calls) == 6


def test_one_failure_is_reported_with_its_cause_and_the_exit_code(fake, capsys):
    fake.script = {"demo-s02": [RuntimeError("error: creating EC2 Instance: VcpuLimitExceeded: You have requested more vCPU")]}
    assert main(["up", "demo"]) == 1
    out = capsys.readouterr().out
    assert "up: 1 failed, 2 succeeded" in out
    assert "VcpuLimitExceeded" in out
    fake.script = {}
    assert main(["up", "demo"]) == 0  # the re-run only touches what was not done
    assert "up: 2 skipped, 1 succeeded" in capsys.readouterr().out
    assert [s for s, _ in fake.calls].count("demo-s01") == 1


def test_a_selection_of_students_and_other_operations(fake, capsys):
    assert main(["preview", "demo-net", "--students", "n01,n07"]) == 0
    assert sorted(fake.calls) == [("demo-net-n01", "preview"), ("demo-net-n07", "preview")]
    assert main(["destroy", "demo", "--students", "nobody"]) == 2
    assert "--students: nobody not among the selected stacks" in capsys.readouterr().err


def test_real_operations_must_name_what_they_act_on(fake, capsys):
    assert main(["destroy"]) == 2
    assert capsys.readouterr().err.strip() == "labctl: destroy: name a cohort or stacks (e.g. labctl destroy fall26)"
    assert fake.calls == []


def test_without_the_pulumi_cli_real_operations_stop_with_one_message(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    assert main(["up", "demo-s01", "--self"]) == 2  # a Learner Lab student's one command
    assert capsys.readouterr().err.startswith("labctl: the Pulumi CLI is not on PATH")


def test_expired_lists_stacks_past_their_date(capsys):
    assert main(["expired", "demo", "--today", "2026-12-01"]) == 0
    assert main(["expired", "demo", "--today", "2026-12-21"]) == 1
    out = capsys.readouterr().out
    assert "Expired on 2026-12-21: 3 of 3 stacks" in out and re.search(r"demo-s01\W+2026-12-19\W+2\W", out)


def test_bad_settings_stop_a_fleet_operation_before_anything_runs(fake, capsys, tmp_path):
    import shutil
    import yaml
    from labctl.offline import render
    ENVIRONMENTS = render.ENVIRONMENTS
    envs = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, envs)
    bad = envs / "Pulumi.demo-s03.yaml"
    doc = yaml.safe_load(bad.read_text())
    doc["config"]["cloudlabs:adminCidr"] = "0.0.0.0/0"
    bad.write_text(yaml.safe_dump(doc))
    assert main(["up", "demo", "--environments", str(envs)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f'{bad}: cloudlabs:adminCidr: "0.0.0.0/0" is not allowed (opens SSH to the whole internet)')
    assert fake.calls == []  # nothing deployed, not even the valid stacks
