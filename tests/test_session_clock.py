"""The session clock (`labctl expire`) on the served sandbox, with a fake --now: instances stopped at a
session's end, stacks destroyed and the cohort swept at its expiry, nothing before its time, another
cohort in the same account never touched; and the schedule's bad values refused in one line."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlabs.cohort import CohortError, load_cohort
from cloudlabs.schedule import clock_action, next_session_end, parse_now, session_at
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline import render
from labctl.ops.sandbox import Store

from .sandboxes import client, served, tagged

SCHEDULE = """schedule:
  timezone: Europe/Brussels
  sessions:
    - {start: 2026-12-01 09:00, end: 2026-12-01 12:00}
    - {start: 2026-12-08 09:00, end: 2026-12-08 12:00}
  expires: 2026-12-18 18:00
"""


def cohort_file(name: str, students: list[str], schedule: str = SCHEDULE) -> str:
    roster = "\n".join(f"  - id: {s}" for s in students)
    return (f"cohort: {name}\nregion: us-east-1\nprofile: sandbox\nadminCidr: 203.0.113.0/24\nexpires: 2026-12-19\n"
            f"labs:\n  - lab: ec2-webserver\n    options: {{count: 1}}\n{schedule}roster:\n{roster}\n")


@pytest.fixture
def envs(monkeypatch, tmp_path) -> Path:
    """Two small cohorts of one shared (sandbox-profile) account: clk (2 students) and oth (1)."""
    env = tmp_path / "environments"
    env.mkdir()
    (env / "clk.yaml").write_text(cohort_file("clk", ["a1", "a2"]))
    (env / "oth.yaml").write_text(cohort_file("oth", ["b1"]))
    monkeypatch.setattr(render, "ENVIRONMENTS", env)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    assert main(["sync", str(env / "clk.yaml")]) == 0 and main(["sync", str(env / "oth.yaml")]) == 0
    return env


def instances(port: int, cohort: str) -> dict[str, str]:
    """student -> state of the cohort's instances, read from the account itself."""
    found = {}
    for reservation in client(port, "ec2").describe_instances()["Reservations"]:
        for inst in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}
            if tags.get("cloudlabs:cohort") == cohort and inst["State"]["Name"] != "terminated":
                found[tags["cloudlabs:student"]] = inst["State"]["Name"]
    return found


# --- the schedule, pure ------------------------------------------------------------------------------


def test_the_schedule_is_read_in_its_timezone_and_the_clock_says_what_is_due(tmp_path):
    path = tmp_path / "clk.yaml"
    path.write_text(cohort_file("clk", ["a1"]))
    schedule = load_cohort(path).schedule
    assert schedule is not None and schedule.timezone == "Europe/Brussels"
    first = schedule.sessions[0]
    assert first.end.astimezone(timezone.utc) == datetime(2026, 12, 1, 11, 0, tzinfo=timezone.utc)
    assert schedule.expires.astimezone(timezone.utc) == datetime(2026, 12, 18, 17, 0, tzinfo=timezone.utc)
    assert clock_action(schedule, parse_now("2026-12-01T07:59Z"))[0] == "none"  # before the first session
    assert session_at(schedule, parse_now("2026-12-01T08:00Z")) == first
    assert clock_action(schedule, parse_now("2026-12-01T10:59Z"))[0] == "none"  # in the session
    assert clock_action(schedule, parse_now("2026-12-01T11:00Z"))[0] == "stop"  # its end, exactly
    assert clock_action(schedule, parse_now("2026-12-08T09:00+01:00"))[0] == "none"  # the next one runs
    assert next_session_end(schedule, parse_now("2026-12-02T00:00Z")) == schedule.sessions[1].end
    assert clock_action(schedule, parse_now("2026-12-18T16:59Z"))[0] == "stop"
    assert clock_action(schedule, parse_now("2026-12-18T17:00Z"))[0] == "destroy"


def test_without_its_own_expires_the_schedule_expires_at_the_end_of_the_tagged_day(tmp_path):
    path = tmp_path / "clk.yaml"
    path.write_text(cohort_file("clk", ["a1"], SCHEDULE.replace("  expires: 2026-12-18 18:00\n", "")))
    schedule = load_cohort(path).schedule
    assert schedule is not None
    assert schedule.expires.isoformat() == "2026-12-20T00:00:00+01:00"


@pytest.mark.parametrize("bad, line", [
    ("    - {start: 2026-12-08 09:00, end: 2026-12-08 12:00}", "    - {start: 2026-12-08 09:00, end: 2026-12-08 08:00}"),
    ("  timezone: Europe/Brussels", "  timezone: Mars/Olympus"),
    ("  expires: 2026-12-18 18:00", "  expires: 2026-12-21 18:00"),
    ("    - {start: 2026-12-08 09:00, end: 2026-12-08 12:00}", "    - {start: 2026-12-08, end: 2026-12-08 12:00}"),
    ("    - {start: 2026-12-08 09:00, end: 2026-12-08 12:00}", "    - {start: 2026-12-01 11:00, end: 2026-12-08 12:00}"),
])
def test_a_bad_schedule_value_is_one_line_exit_2_and_nothing_changes(envs, capsys, bad, line):
    (envs / "clk.yaml").write_text(cohort_file("clk", ["a1", "a2"], SCHEDULE.replace(bad, line)))
    before = sorted(p.name for p in envs.iterdir())
    assert main(["expire", "clk", "--now", "2026-12-19T00:00Z", "--yes", "--emulate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{envs / 'clk.yaml'}:") and "schedule." in err[0]
    assert "allowed:" in err[0] and "Traceback" not in err[0]
    assert sorted(p.name for p in envs.iterdir()) == before and not (envs.parent / "state" / "sandbox").exists()


@pytest.mark.parametrize("now", ["2026-12-01 12:00", "yesterday", "2026-12-01", "0001-01-01T00:00+14:00"])
def test_a_bad_now_is_one_line_exit_2(envs, capsys, now):
    with pytest.raises(SystemExit) as stopped:  # argparse's own error, through the project's Parser
        main(["expire", "clk", "--now", now, "--yes"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--now" in err[0] and "offset" in err[0]


def test_a_cohort_without_a_schedule_is_refused(envs, capsys):
    (envs / "clk.yaml").write_text(cohort_file("clk", ["a1", "a2"], ""))
    assert main(["expire", "clk", "--yes", "--emulate"]) == 2
    assert "schedule: missing" in capsys.readouterr().err


def test_a_self_service_cohort_is_refused_without_emulate(envs, capsys):
    text = cohort_file("clk", ["a1", "a2"]).replace("profile: sandbox", "profile: learner-lab")
    (envs / "clk.yaml").write_text(text)
    assert main(["sync", str(envs / "clk.yaml")]) == 0
    capsys.readouterr()
    assert main(["expire", "clk", "--now", "2026-12-19T00:00Z", "--yes"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "self-service" in err[0] and "--self" in err[0]


def test_one_students_failure_never_costs_the_others_their_stop_and_is_reported(envs, tmp_path, monkeypatch, capsys):
    from labctl.ops.fleet import Outcome

    from .fakerunner import FakeRunner
    runner = FakeRunner({"clk-a1": [RuntimeError("UnauthorizedOperation: not allowed to stop i-0abc")],
                         "clk-a2": [Outcome({"update": 1}, "1 instance(s), 0 database(s) stopped")]})
    monkeypatch.setattr(runners, "make_power_runner", lambda args, owners: runner)
    summary = tmp_path / "summary.md"
    assert main(["expire", "clk", "--now", "2026-12-01T11:00Z", "--yes", "--summary", str(summary)]) == 1
    assert sorted(runner.calls) == [("clk-a1", "stop"), ("clk-a2", "stop")]  # oth is never selected
    text = summary.read_text()
    assert "| clk-a2 | stopped | succeeded | 1 instance(s) or database(s) stopped |" in text
    assert "| clk-a1 | - | failed | UnauthorizedOperation: not allowed to stop i-0abc |" in text
    assert "- clk-a1: not stopped (failed: UnauthorizedOperation" in text and "the next run tries again" in text


def test_a_stop_refused_before_any_stack_is_a_failure_the_summary_names(envs, tmp_path, monkeypatch, capsys):
    # the schedule's job summary is what the instructor reads: "kept for the next session" over an empty
    # table would hide that nothing was stopped (here: the role's credentials did not arrive)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no instance role: never leave 127.0.0.1
    summary = tmp_path / "summary.md"
    assert main(["expire", "clk", "--now", "2026-12-01T11:00Z", "--yes", "--summary", str(summary)]) == 2
    text = summary.read_text()
    assert "| clk-a1 | - | not run |" in text and "| clk-a2 | - | not run |" in text and "oth-b1" not in text
    assert "- all 2 stacks: not stopped: stop calls AWS and no AWS credentials were found" in text
    assert "kept for the next session" not in text


def test_the_summary_is_never_written_over_a_cohort_or_stack_file(envs, tmp_path, capsys):
    for target in (envs / "oth.yaml", envs / "Pulumi.oth-b1.yaml", envs / "clk.seats.yaml"):
        before = target.read_bytes()
        assert main(["expire", "clk", "--now", "2026-12-01T11:00Z", "--summary", str(target)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"--summary: {target} is " in err and "which labctl reads" in err
        assert target.read_bytes() == before


# --- on the emulator -----------------------------------------------------------------------------------


def test_the_clock_stops_at_session_end_destroys_at_expiry_and_touches_nothing_else(envs, tmp_path, capsys):
    store = Store(tmp_path / "state" / "sandbox")
    summary = tmp_path / "summary.md"
    with served(store) as port:
        assert main(["up", "clk", "--emulate"]) == 0 and main(["up", "oth", "--emulate"]) == 0
        assert instances(port, "clk") == {"a1": "running", "a2": "running"}
        capsys.readouterr()

        # in the session, even with --yes: nothing
        assert main(["expire", "clk", "--now", "2026-12-01T10:00Z", "--yes", "--emulate", "--summary", str(summary)]) == 0
        assert instances(port, "clk") == {"a1": "running", "a2": "running"}
        assert "a session is in progress until 2026-12-01 12:00+01:00" in summary.read_text()

        # after it, a dry run: says what it would do, changes nothing
        assert main(["expire", "clk", "--now", "2026-12-01T11:00Z", "--emulate", "--summary", str(summary)]) == 0
        assert instances(port, "clk") == {"a1": "running", "a2": "running"}
        text = summary.read_text()
        assert "(dry run): stop" in text and "| clk-a1 | would stop | dry run |" in text

        # with --yes: clk's instances stopped, oth's still running
        capsys.readouterr()
        assert main(["expire", "clk", "--now", "2026-12-01T11:00Z", "--yes", "--emulate", "--summary", str(summary)]) == 0
        assert instances(port, "clk") == {"a1": "stopped", "a2": "stopped"}
        assert instances(port, "oth") == {"b1": "running"}
        text = summary.read_text()
        assert "| clk-a1 | stopped | succeeded | 1 instance(s) or database(s) stopped |" in text
        assert "| clk-a2 | stopped | succeeded |" in text and "kept for the next session" in text

        # at expiry, a dry run still changes nothing
        oth_before = tagged(port, "oth")
        clk_before = tagged(port, "clk")
        assert main(["expire", "clk", "--now", "2026-12-18T17:00Z", "--emulate"]) == 0
        assert tagged(port, "clk") == clk_before and "would destroy, then sweep" in capsys.readouterr().out

        # at expiry: destroyed and swept; the other cohort keeps everything
        assert main(["expire", "clk", "--now", "2026-12-18T17:00Z", "--yes", "--emulate", "--summary", str(summary)]) == 0
        assert instances(port, "clk") == {}
        assert not any(tagged(port, "clk").values())
        assert tagged(port, "oth") == oth_before and instances(port, "oth") == {"b1": "running"}
        text = summary.read_text()
        assert "the cohort expired at 2026-12-18 18:00+01:00" in text
        assert "| clk-a1 | destroyed | succeeded |" in text and "**Sweep:** nothing left" in text
        assert store.stacks() == ["oth-b1"]


# --- the workflow that runs it -----------------------------------------------------------------------


def test_the_session_clock_workflow_runs_expire_as_labctl_parses_it_with_oidc_and_pinned_actions():
    import re

    import yaml

    from cloudlabs import REPO_ROOT
    from labctl.cli.main import build_parser

    workflow = yaml.safe_load((REPO_ROOT / ".github" / "workflows" / "session-clock.yml").read_text())
    job = workflow["jobs"]["expire"]
    assert workflow[True]["schedule"] == [{"cron": "*/15 * * * *"}]  # YAML 1.1 reads the key `on` as True
    assert workflow["permissions"] == {"contents": "read"} and job["permissions"]["id-token"] == "write"
    assert job["concurrency"]["group"] == "fleet-${{ matrix.cohort }}"  # the fleet workflow's group
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", u) for u in uses)
    script = next(step["run"] for step in job["steps"] if step.get("name") == "labctl expire")
    line = next(x for x in script.splitlines() if "labctl expire" in x)
    argv = line.split("./dev labctl ", 1)[1].split(" ||")[0].replace('"$COHORT"', "fall26").replace('"${yes[@]}"', "--yes")
    args = build_parser().parse_args(argv.split())
    assert (args.command, args.cohort, args.yes, args.summary) == ("expire", "fall26", True, "out/summary.md")


# --- any schedule: value is an answer, never a crash ----------------------------------------------------

MOMENTS = st.sampled_from(["2026-12-01 09:00", "2026-12-01 12:00", "2026-12-01T09:00+14:00", "9999-12-31 23:59",
                           "0001-01-01 00:00", "2026-02-30 10:00", "2026-12-01", "12:00", "", "2026-12-01 09:00:00Z"])
SCHEDULE_VALUES = st.fixed_dictionaries({}, optional={
    "timezone": st.sampled_from(["UTC", "Europe/Brussels", "Mars/Olympus", "../etc/passwd", "", "Etc/GMT+14", 3]),
    "sessions": st.lists(st.fixed_dictionaries({}, optional={"start": MOMENTS, "end": MOMENTS, "room": st.just(1)}),
                         max_size=3) | st.sampled_from([None, "weekly", 5]),
    "expires": MOMENTS | st.just(None),
    "every": st.just("monday"),
}) | st.sampled_from([None, [], "soon", 3])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(schedule=SCHEDULE_VALUES, expires=st.sampled_from(["2026-12-19", "9999-12-31", "0001-01-01", "2026-13-01"]))
def test_any_schedule_value_loads_or_is_refused_with_its_line(tmp_path_factory, schedule, expires):
    import yaml
    path = tmp_path_factory.mktemp("gen") / "gen.yaml"
    doc = {"cohort": "gen", "region": "us-east-1", "profile": "sandbox", "adminCidr": "203.0.113.0/24",
           "expires": expires, "labs": ["vpc-nat"], "roster": ["s01"], "schedule": schedule}
    path.write_text(yaml.safe_dump(doc))
    try:
        cohort = load_cohort(path)
    except CohortError as err:
        assert all(str(p).startswith(f"{path}:") for p in err.problems)
        return
    assert cohort.schedule is None or all(s.start < s.end <= cohort.schedule.expires for s in cohort.schedule.sessions)
