"""Regression tests for the safety issue's six worst cases, the writing layer, Ctrl-C, and
property tests: generated cohort files and command lines never end in a traceback."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from ipaddress import ip_network
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlabs import REPO_ROOT
from cloudlabs.cohort import stack_owner
from cloudlabs.exposure import is_wide_open
from cloudlabs.profiles import ProfileError, load_profile
from cloudlabs.reading import InputFileError, load_yaml
from cloudlabs.settings import SettingsError, parse_settings
from cloudlabs.writing import atomic_write, exclusive
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.render import ENVIRONMENTS

from .conftest import SOURCE, config
from .fakerunner import FakeRunner, shared_account_environments


@pytest.fixture
def envs(tmp_path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, target)
    return target


@pytest.fixture
def fake(monkeypatch, tmp_path) -> FakeRunner:
    shared_account_environments(monkeypatch, tmp_path)  # a class the instructor's credentials reach
    runner = FakeRunner()
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: runner)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    return runner


# --- 1. sync never writes another cohort's stack file ----------------------------------------------


def test_a_roster_id_that_makes_another_cohorts_stack_name_is_refused(envs, capsys):
    other = envs / "Pulumi.demo-net-n01.yaml"
    before = other.read_bytes()
    cohort = envs / "demo.yaml"
    cohort.write_text(cohort.read_text().replace("  - id: s03", "  - id: s03\n  - id: net-n01"))
    assert main(["sync", "demo", "--environments", str(envs)]) == 2
    err = capsys.readouterr().err
    assert "roster[3].id: \"net-n01\" is not allowed (the stack demo-net-n01 would belong to cohort demo-net" in err
    assert other.read_bytes() == before
    assert not (envs / "Pulumi.demo-net-n01.yaml.tmp").exists()


def test_a_stack_file_owned_by_another_cohort_is_never_rewritten_or_pruned(envs, capsys):
    # cohort demo had student net-x before cohort demo-net existed; demo-net now wants student x
    stray = envs / "Pulumi.demo-net-x.yaml"
    doc = yaml.safe_load((envs / "Pulumi.demo-s01.yaml").read_text())
    doc["config"].update({"cloudlabs:student": "net-x", "cloudlabs:seat": 40})
    stray.write_text(yaml.safe_dump(doc))
    before = stray.read_bytes()
    cohort = envs / "demo-net.yaml"
    cohort.write_text(cohort.read_text().replace("  - id: n01\n", "  - id: x\n    seat: 41\n  - id: n01\n", 1))
    assert main(["sync", "demo-net", "--environments", str(envs)]) == 2
    assert "Pulumi.demo-net-x.yaml: belongs to cohort 'demo', student 'net-x'" in capsys.readouterr().err
    capsys.readouterr()
    assert main(["sync", "demo", "--prune", "--environments", str(envs)]) == 0  # net-x is demo-net's name now:
    assert "demo-net-x" not in capsys.readouterr().out  # not demo's to prune
    assert stray.read_bytes() == before


def test_stack_names_have_one_owner():
    cohorts = ["demo", "demo-net", "demo-app", "fall26"]
    assert stack_owner("demo-net-n01", cohorts) == "demo-net"
    assert stack_owner("demo-s01", cohorts) == "demo"
    assert stack_owner("demo-network-1", cohorts) == "demo"  # "demo-net" + "work-1" would need a hyphen
    assert stack_owner("spring-s01", cohorts) is None
    assert stack_owner("demo-", cohorts) is None


# --- 2. an empty --students never selects everyone ---------------------------------------------------


@pytest.mark.parametrize("students", ["", " , ", ",", "s01,,s02", "  "])
def test_an_empty_students_selection_is_refused_and_nothing_runs(fake, capsys, students):
    assert main(["destroy", "demo", "--students", students]) == 2
    assert "--students:" in capsys.readouterr().err
    assert fake.calls == []


def test_students_select_exactly_the_named_ones(fake):
    assert main(["destroy", "demo", "--students", " s02 "]) == 0
    assert fake.calls == [("demo-s02", "destroy")]


# --- 3. Ctrl-C during a parallel render --------------------------------------------------------------


def _many_stacks(directory: Path, count: int) -> None:
    template = yaml.safe_load((ENVIRONMENTS / "Pulumi.demo-s03.yaml").read_text())
    for seat in range(1, count + 1):
        doc = {"config": {**template["config"], "cloudlabs:cohort": "big", "cloudlabs:student": f"s{seat:02d}",
                          "cloudlabs:seat": seat}}
        (directory / f"Pulumi.big-s{seat:02d}.yaml").write_text(yaml.safe_dump(doc))


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads the process table from /proc")
@pytest.mark.parametrize("command", ["plan", "check"])
def test_ctrl_c_during_a_parallel_render_exits_130_and_leaves_no_worker(tmp_path, command):
    _many_stacks(tmp_path, 40)
    proc = subprocess.Popen([sys.executable, "-m", "labctl", command, "--environments", str(tmp_path), "--jobs", "2"],
                            cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        workers: list[int] = []
        # Barrier: both workers exist (the pool is rendering). Bounded by the child's own life.
        while len(workers) < 2 and proc.poll() is None:
            workers = _children(proc.pid)
            threading.Event().wait(0.05)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err
    assert err.strip() == "labctl: interrupted"
    assert all(not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]
               for pid in workers)


# --- 4. alias bombs ----------------------------------------------------------------------------------


def test_a_600_byte_alias_bomb_is_refused_before_it_expands(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi", strict=True)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\n")
    assert bomb.stat().st_size < 700  # 9**9 = 387 million values once expanded
    with pytest.raises(InputFileError, match=r"bomb.yaml:\d+: (more than 100 aliases|expands to more than)"):
        load_yaml(bomb)


def test_a_few_honest_aliases_still_work(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &b {region: us-east-1}\nother: *b\n")
    assert load_yaml(path).data == {"base": {"region": "us-east-1"}, "other": {"region": "us-east-1"}}


# --- 5. a profile is a name, never a path ------------------------------------------------------------


def test_a_profile_path_is_refused_even_when_the_file_exists():
    assert (REPO_ROOT / "profiles" / "sandbox.yaml").is_file()
    for name in ("../profiles/sandbox", "./sandbox", str(REPO_ROOT / "profiles" / "sandbox"), "sandbox.yaml", ""):
        with pytest.raises(ProfileError, match="unknown profile"):
            load_profile(name)
    with pytest.raises(SettingsError, match=r'cloudlabs:profile: "../profiles/sandbox" is not allowed'):
        parse_settings(config(profile="../profiles/sandbox"), SOURCE)


# --- 6. wide-open admin ranges -------------------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["0.0.0.0/1", "128.0.0.0/1", "1.0.0.0/8", "100.0.0.0/6", "64.0.0.0/15"])
def test_admin_ranges_that_open_ssh_to_much_of_the_internet_need_the_flag(cidr):
    with pytest.raises(SettingsError, match=f'cloudlabs:adminCidr: "{cidr}" is not allowed \\(opens SSH to'):
        parse_settings(config(adminCidr=cidr), SOURCE)
    assert parse_settings(config(adminCidr=cidr, allowOpenAdminCidr=True), SOURCE).admin_cidr == ip_network(cidr)


@pytest.mark.parametrize("cidr,wide", [("203.0.113.0/24", False), ("128.10.0.0/16", False), ("10.0.0.0/8", False),
                                       ("172.16.0.0/12", False), ("0.0.0.0/0", True), ("::/0", True),
                                       ("2001:db8::/32", False), ("2000::/3", True), ("fc00::/7", False)])
def test_which_ranges_count_as_wide_open(cidr, wide):
    assert is_wide_open(ip_network(cidr)) is wide


def test_a_security_group_rule_from_half_the_internet_is_refused(tmp_path):
    from labctl.offline import render
    program = tmp_path / "program.py"
    program.write_text(
        "from ipaddress import ip_network\n"
        "from cloudlabs.settings import parse_settings\n"
        "from components.context import LabContext\n"
        "from components.security import LabSecurityGroup, LabSecurityGroupArgs, RDP, inbound\n"
        f"s = parse_settings({config()!r}, 'x')\n"
        "ctx = LabContext.for_lab(s, 'vpc-nat', 'solution')\n"
        "LabSecurityGroup('g', LabSecurityGroupArgs('vpc-1', 'd', [inbound(RDP, ip_network('0.0.0.0/1'), 'rdp')], ctx, 'g'))\n")
    with pytest.raises(render.ProgramError, match=r"opens RDP \(3389\) to 0.0.0.0/1 \(2,147,483,648 internet addresses\)"):
        render.run_program("test-s01", config(), program)


# --- the writing layer -------------------------------------------------------------------------------


def test_atomic_writes_never_mix_and_leave_no_temporary_files(tmp_path):
    target = tmp_path / "Pulumi.x.yaml"
    texts = ["a" * 100_000, "b" * 100_000]
    start = threading.Barrier(2)

    def writer(text: str) -> None:
        start.wait()
        for _ in range(50):
            atomic_write(target, text)

    threads = [threading.Thread(target=writer, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text() in texts
    assert [p.name for p in tmp_path.iterdir()] == ["Pulumi.x.yaml"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "f.txt"
    target.write_text("old")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_a_second_sync_waits_for_the_first_and_then_sees_its_result(envs):
    """Two syncs of one cohort cannot interleave: the second waits for the lock (a barrier:
    its "waiting" line), and decides only after the first is done."""
    cohort = envs / "demo.yaml"
    with exclusive(cohort):
        proc = subprocess.Popen([sys.executable, "-m", "labctl", "sync", "demo", "--environments", str(envs)],
                                cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = proc.stderr.readline()  # blocks until the other sync is waiting for us
        assert "waiting for another sync of demo.yaml" in line
        cohort.write_text(cohort.read_text().replace("  - id: s03", "  - id: s03\n  - id: s04"))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert (envs / "Pulumi.demo-s04.yaml").is_file()
    assert '"s04": 4' in (envs / "demo.seats.yaml").read_text()


# --- properties: generated input never ends in a traceback ---------------------------------------------

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-1000, 100000), st.floats(allow_nan=True),
                    st.text(max_size=12), st.sampled_from(["yes", "no", "on", "3", "0.0.0.0/0", "1.0.0.0/8", "::/0",
                                                           "2026-02-30", "../x", "vpc-nat", "ec2-webserver", "solution"]))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                      max_leaves=12)
COHORT_KEYS = ["cohort", "region", "profile", "adminCidr", "allowOpenAdminCidr", "expires", "labs", "instanceType",
               "keyName", "roster", "extra"]
GOOD = {"cohort": "gen", "region": "us-east-1", "adminCidr": "203.0.113.0/24", "expires": "2026-12-19",
        "labs": ["vpc-nat"], "roster": ["s01", {"id": "s02", "seat": 9}]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.dictionaries(st.sampled_from(COHORT_KEYS), VALUES, max_size=4),
       dropped=st.sets(st.sampled_from(list(GOOD)), max_size=2))
def test_generated_cohort_files_never_crash_sync(tmp_path_factory, changes, dropped):
    envs = tmp_path_factory.mktemp("gen")
    doc = {k: v for k, v in {**GOOD, **changes}.items() if k not in dropped}
    (envs / "gen.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True))
    code = main(["sync", "gen", "--check", "--environments", str(envs)])
    assert code in (0, 1, 2)
    assert sorted(p.name for p in envs.iterdir()) == ["gen.yaml"]  # --check writes nothing


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300) | st.binary(max_size=300))
def test_arbitrary_bytes_as_a_cohort_file_never_crash_sync(tmp_path_factory, text):
    envs = tmp_path_factory.mktemp("raw")
    path = envs / "raw.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    assert main(["sync", "raw", "--check", "--environments", str(envs)]) in (0, 1, 2)


TOKENS = st.sampled_from(["plan", "cost", "check", "reach", "diff", "sync", "up", "preview", "refresh", "destroy",
                          "stop", "start", "sweep", "expired", "labs", "demo", "demo-s01", "", " ", ",", "--students",
                          "--parallel", "--retries", "--jobs", "--hours", "--port", "--today", "--json", "--snapshots",
                          "--markdown", "--check", "--prune", "--all", "0", "-1", "nan", "inf", "1e309", "99999999999",
                          "../..", "/", "s01,,s02", "internet", "VM1", "2026-13-40", "--region", "mars-1", "--delete"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(argv=st.lists(TOKENS, min_size=1, max_size=6))
def test_generated_command_lines_never_crash(tmp_path_factory, monkeypatch, argv):
    empty = tmp_path_factory.mktemp("empty")  # no stacks: every command fails fast, nothing is ever deployed
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: FakeRunner())
    monkeypatch.setattr(runners, "STATE_DIR", empty / "state")

    def no_aws(region, command=""):
        raise ValueError(f"{command}: no AWS here")
    monkeypatch.setattr(runners, "make_session", no_aws)
    monkeypatch.chdir(empty)  # relative output paths land here, where the test looks
    before = sorted(p.name for p in empty.iterdir())
    try:
        code = main([*argv, "--environments", str(empty)] if argv[0] not in ("diff", "labs") else argv)
    except SystemExit as exit_:
        code = exit_.code
    assert code in (0, 1, 2)
    assert sorted(p.name for p in empty.iterdir()) == before


# --- commands that call AWS say so when they cannot ------------------------------------------------------


@pytest.fixture
def no_credentials(monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
                 "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask an instance-metadata address
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    shared_account_environments(monkeypatch, tmp_path)  # not self-service: the instructor's own credentials are asked for


@pytest.mark.parametrize("argv", [["stop", "demo"], ["start", "demo", "--students", "s01"], ["sweep", "demo"]])
def test_without_credentials_aws_commands_stop_with_one_line(no_credentials, capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no AWS credentials were found" in err and err.startswith(f"labctl: {argv[0]}")


def test_an_unknown_region_is_one_line(no_credentials, capsys):
    with pytest.raises(SystemExit) as exit_:  # the parser refuses it, before credentials or an emulated account
        main(["sweep", "demo", "--region", "mars-1"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.strip() == ("labctl sweep: error: argument --region: 'mars-1' is not allowed; allowed: a "
                                               "region of the aws partition (botocore's partitions.json), e.g. us-east-1, "
                                               "eu-west-1 (see labctl sweep --help)")
    with pytest.raises(ValueError, match=r"^sweep: region 'mars-1' is not allowed; allowed: a region of the aws partition"):
        runners.make_session("mars-1", "sweep")  # a region read from a file gets the same answer


def test_pulumi_operations_check_credentials_after_the_cli(no_credentials, capsys, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: "/usr/bin/pulumi")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    assert main(["preview", "demo"]) == 2
    assert "labctl: preview calls AWS and no AWS credentials were found" in capsys.readouterr().err


def test_a_rule_added_after_the_group_goes_through_the_same_guard(tmp_path):
    """lamp adds the database's rule after both groups exist; that path is guarded too."""
    from labctl.offline import render
    program = tmp_path / "program.py"
    program.write_text(
        "from cloudlabs.settings import parse_settings\n"
        "from components.context import LabContext\n"
        "from components.security import ANYWHERE, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound\n"
        f"s = parse_settings({config()!r}, 'x')\n"
        "ctx = LabContext.for_lab(s, 'lamp', 'solution')\n"
        "g = LabSecurityGroup('g', LabSecurityGroupArgs('vpc-1', 'd', [], ctx, 'g'))\n"
        "g.add_rule(inbound(SSH, ANYWHERE, 'ssh later'))\n")
    with pytest.raises(render.ProgramError, match=r"rule 'ssh later' opens SSH \(22\) to 0.0.0.0/0"):
        render.run_program("test-s01", config(), program)
