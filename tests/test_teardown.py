"""Teardown you can trust, on the sandbox (served and in-process): a cohort's destroy and sweep touch
only that cohort, leave nothing, and survive a kill at any point. Each test is one defect a new
user or an adversary found; what is left is read from the account with boto3, not through labctl."""

from __future__ import annotations

import json

import pytest

from labctl.cli import runners
from labctl.cli.main import main
from labctl.ops.sandbox import Store

from .fakerunner import shared_account_environments
from .sandboxes import Child, client, everything_in, served, tagged


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    return Store(tmp_path / "state" / "sandbox")


def journal(store: Store) -> dict:
    return json.loads((store.root / "fleet-journal.json").read_text())


# --- the journal survives a kill -------------------------------------------------------------------------


def test_a_killed_up_is_completed_by_the_next_up_and_never_skipped_by_destroy_fake_runner(tmp_path, monkeypatch, capsys):
    """Pulumi's path (the fake runner, its backend in a file): destroy succeeded for all three, then
    an up was killed while on demo-s02. The next destroy runs the stacks the up touched, the next
    up completes what it had not."""
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    envs = str(shared_account_environments(monkeypatch, tmp_path))  # a class the instructor deploys
    backend = tmp_path / "backend.json"
    first = Child(tmp_path / "state", "fake", str(backend), "never", "--", "destroy", "demo", "--parallel", "1", "--environments", envs)
    assert first.proc.wait(300) == 0
    child = Child(tmp_path / "state", "fake", str(backend), "demo-s02", "--", "up", "demo", "--parallel", "1", "--environments", envs,
                  "--skip-validation")
    assert child.wait_until_stopped() == "STOPPED demo-s02 began"
    child.kill()
    entries = json.loads((tmp_path / "state" / "fleet-journal.json").read_text())
    assert entries["demo-s01"]["operation"] == "up" and entries["demo-s01"]["status"] == "succeeded"
    assert entries["demo-s02"] == {"operation": "up", "status": "running", "hash": entries["demo-s02"]["hash"]}
    assert entries["demo-s03"]["operation"] == "destroy"  # never reached by the killed up
    again = Child(tmp_path / "state", "fake", str(backend), "never", "--", "destroy", "demo", "--parallel", "1", "--environments", envs)
    out, _ = again.proc.communicate(timeout=300)
    assert again.proc.returncode == 0
    assert "demo-s01 │ succeeded" in out and "demo-s02 │ succeeded" in out and "demo-s03 │ skipped" in out


def test_a_killed_emulated_up_on_the_served_sandbox_is_finished_by_destroy_and_sweep(store, capsys):
    with served(store) as port:
        child = Child(store.root.parent, "emulator", "7", "--", "up", "demo-s02", "demo-s03", "--emulate", "--parallel", "1")
        child.wait_until_stopped()
        child.kill()
        assert tagged(port, "demo")  # half made
        assert journal(store)["demo-s02"]["status"] == "running"
        assert main(["destroy", "demo", "--emulate"]) == 0
        assert main(["sweep", "demo", "--emulate"]) == 0
        assert "nothing left: the teardown is complete" in capsys.readouterr().out
        assert tagged(port, "demo") == {} and store.stacks() == []


def test_a_killed_in_process_up_leaves_no_ids_of_a_dead_account(store, capsys):
    """The killed process's account died with it; its state files name ids that exist nowhere. The
    next command makes those resources again and goes on: up completes, destroy and sweep end clean."""
    child = Child(store.root.parent, "emulator", "9", "--", "up", "demo-s02", "--emulate")
    child.wait_until_stopped()
    child.kill()
    (state,) = store.states()
    assert 0 < len(state.resources) < 17
    assert main(["up", "demo-s02", "--emulate"]) == 0
    assert len(store.states()[0].resources) == 17
    assert main(["destroy", "demo-s02", "--emulate"]) == 0 and store.stacks() == []
    capsys.readouterr()
    assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out


def test_a_destroy_killed_half_way_is_finished_by_the_next_destroy(store, capsys):
    with served(store) as port:
        assert main(["up", "demo-s03", "--emulate"]) == 0
        child = Child(store.root.parent, "emulator", "5", "--", "destroy", "demo-s03", "--emulate")
        child.wait_until_stopped()
        child.kill()
        assert tagged(port, "demo")
        assert main(["destroy", "demo-s03", "--emulate"]) == 0
        out = capsys.readouterr().out
        assert "demo-s03 │ succeeded" in out and "skipped" not in out
        assert tagged(port, "demo") == {}


# --- hand-made resources and idempotent teardown ------------------------------------------------------


def _hand_made_nat(port: int) -> tuple[str, str, set[str]]:
    """Chapter 7's step done by hand in SN-A-01: an Elastic IP and a NAT gateway, untagged."""
    ec2 = client(port, "ec2")
    (subnet,) = [s for s in ec2.describe_subnets()["Subnets"]
                 if {"Key": "Name", "Value": "SN-A-01"} in s.get("Tags", []) and
                 {"Key": "cloudlabs:student", "Value": "s02"} in s.get("Tags", [])]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    return nat, eip, {subnet["VpcId"]}


def test_a_hand_made_nat_gateway_blocks_destroy_as_on_aws_and_the_sweep_removes_it(store, capsys):
    with served(store) as port:
        assert main(["up", "demo-s02", "--emulate"]) == 0
        nat, eip, vpcs = _hand_made_nat(port)
        capsys.readouterr()
        assert main(["destroy", "demo-s02", "--emulate"]) == 1  # DependencyViolation: the subnet holds a NAT gateway
        out = capsys.readouterr().out
        assert "DependencyViolation" in out and "labctl sweep demo --delete --emulate removes it, then destroy again" in out
        assert main(["sweep", "demo", "--emulate"]) == 1
        out = capsys.readouterr().out
        assert nat in out and eip in out and "added by hand" in out
        assert main(["sweep", "demo", "--emulate", "--delete"]) == 0
        assert everything_in(port, vpcs) == set()
        assert main(["destroy", "demo-s02", "--emulate"]) == 0  # what the sweep took counts as gone
        capsys.readouterr()
        assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out
        assert tagged(port, "demo") == {} and store.stacks() == []


def test_sweep_first_then_destroy_still_ends_clean(store, capsys):
    """The other order: sweep --delete takes the stack's own resources too; destroy then finds
    them gone and counts them as deleted (it used to fail for ever on InvalidGroup.NotFound)."""
    with served(store) as port:
        assert main(["up", "demo-s03", "--emulate"]) == 0
        _hand_made_nat_for(port, "s03")
        assert main(["sweep", "demo", "--emulate", "--delete"]) == 0
        assert main(["destroy", "demo-s03", "--emulate"]) == 0
        assert "already gone" in (store.root / "logs").joinpath(*_last_log(store, "destroy")).read_text()
        assert tagged(port, "demo") == {} and store.stacks() == []


def _hand_made_nat_for(port: int, student: str) -> None:
    ec2 = client(port, "ec2")
    (subnet,) = [s for s in ec2.describe_subnets()["Subnets"] if {"Key": "cloudlabs:student", "Value": student} in s.get("Tags", [])
                 and {"Key": "Name", "Value": "SN-A-02"} in s.get("Tags", [])]
    ec2.create_nat_gateway(SubnetId=subnet["SubnetId"], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])


def _last_log(store: Store, operation: str) -> tuple[str, str]:
    runs = sorted(p.name for p in (store.root / "logs").iterdir() if p.name.startswith(operation))
    (log,) = [p.name for p in (store.root / "logs" / runs[-1]).iterdir()]
    return runs[-1], log


# --- two cohorts in one account ------------------------------------------------------------------------


def _other_cohorts_load_balancer(port: int) -> set[str]:
    """Another cohort's ALB and target group (tagged with its cohort), in a VPC of its own."""
    ec2, elb = client(port, "ec2"), client(port, "elbv2")
    tags = [{"Key": "cloudlabs:cohort", "Value": "spring27"}, {"Key": "cloudlabs:student", "Value": "x1"}]
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.99.{i}.0/24", AvailabilityZone=f"us-east-1{z}",
                                 TagSpecifications=[{"ResourceType": "subnet", "Tags": tags}])["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    igw = ec2.create_internet_gateway(TagSpecifications=[{"ResourceType": "internet-gateway", "Tags": tags}])["InternetGateway"][
        "InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)  # AWS makes an internet-facing ALB only then
    lb = elb.create_load_balancer(Name="spring27-x1-alb", Subnets=subnets, Tags=tags)["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(Name="spring27-x1-tg", Protocol="HTTP", Port=80, VpcId=vpc, Tags=tags)["TargetGroups"][0]
    return {vpc, igw, lb, tg["TargetGroupArn"], *subnets}


def test_the_sweep_deletes_only_its_own_cohort_and_whole_account_refuses_a_shared_account(store, capsys):
    with served(store) as port:
        assert main(["up", "demo-app", "--students", "a01", "--emulate"]) == 0  # an ALB and a target group of demo-app
        theirs = _other_cohorts_load_balancer(port)
        before = tagged(port, "spring27")
        capsys.readouterr()
        assert main(["sweep", "demo-app", "--emulate", "--whole-account", "--delete"]) == 2
        err = capsys.readouterr().err
        assert "spring27" in err and "nothing was deleted" in err and err.count("\n") == 1
        assert tagged(port, "demo-app")  # refused whole: not one resource of the cohort's went either
        assert main(["sweep", "demo-app", "--emulate", "--delete"]) == 0
        assert tagged(port, "demo-app") == {}
        assert tagged(port, "spring27") == before and theirs <= set().union(*before.values()) | _all_arns(port)


def _all_arns(port: int) -> set[str]:
    elb = client(port, "elbv2")
    return ({lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]}
            | {g["TargetGroupArn"] for g in elb.describe_target_groups()["TargetGroups"]})


# --- the store: one writer, readers that never write, damage named with its repair ---------------------


def test_two_emulated_ups_at_once_are_serialised_and_both_land(store, capsys):
    """The second waits for the first (it says so), then both stacks are up; destroy and sweep
    end clean (before the lock, they corrupted each other's store and destroy lied)."""
    first = Child(store.root.parent, "emulator", "6", "--", "up", "demo-s02", "--emulate")
    first.wait_until_stopped()  # holding the store's lock, mid-up
    second = Child(store.root.parent, "emulator", "1000", "--", "up", "demo-s03", "--emulate")
    assert second.proc.stderr is not None
    assert "waiting: another labctl command is using the sandbox" in second.proc.stderr.readline()
    first.kill()  # the lock dies with its holder
    assert second.proc.wait(300) == 0
    assert sorted(store.stacks()) == ["demo-s02", "demo-s03"]
    assert main(["destroy", "demo", "--emulate"]) == 0 and store.stacks() == []
    capsys.readouterr()
    assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out


def test_readers_never_write_the_store_and_run_side_by_side(store, tmp_path):
    import os
    import subprocess
    import sys

    from cloudlabs import REPO_ROOT
    assert main(["up", "demo-s02", "--emulate"]) == 0
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in store.stacks_dir.iterdir()}
    env = {**os.environ, "CLOUDLABS_STATE_DIR": str(store.root.parent)}
    grades = [subprocess.Popen([sys.executable, "-m", "labctl", "grade", "demo-s02", "--emulate", "--stage", "planned"],
                               cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [(g.wait(300), g.communicate()) for g in grades]
    assert all(code == 0 for code, _ in results), results
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in store.stacks_dir.iterdir()} == before
    assert oct(next(store.stacks_dir.iterdir()).stat().st_mode & 0o777) == "0o600"  # generated secrets inside


@pytest.fixture(scope="module")
def state_of_demo_s02(tmp_path_factory) -> str:
    """demo-s02's state file as an emulated up writes it (made once for the damage cases)."""
    state = tmp_path_factory.mktemp("pristine") / "state"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runners, "STATE_DIR", state)
        assert main(["up", "demo-s02", "--emulate"]) == 0
    return (state / "sandbox" / "stacks" / "demo-s02.json").read_text()


@pytest.mark.parametrize("damage", ["truncated", "not JSON", "another stack's", "a link", "older format"])
def test_a_damaged_state_file_is_one_clear_error_with_its_repair_never_all_clear(store, capsys, damage, state_of_demo_s02):
    path = store.stacks_dir / "demo-s02.json"
    store.stacks_dir.mkdir(parents=True)
    text = state_of_demo_s02
    if damage == "truncated":
        path.write_text(text[: len(text) // 2])
    elif damage == "not JSON":
        path.write_bytes(b"\x00\xff garbage")
    elif damage == "another stack's":
        document = json.loads(text.splitlines()[0])
        path.write_text(json.dumps({**document, "stack": "demo-s03"}) + "\n")
    elif damage == "a link":
        path.symlink_to("/etc/passwd")
    else:
        path.write_text(json.dumps({"stack": "demo-s02", "resources": {}}))
    capsys.readouterr()
    for argv in (["sweep", "demo", "--emulate"], ["up", "demo-s01", "--emulate"], ["destroy", "demo", "--emulate"]):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert "Traceback" not in err and "nothing left" not in out
        assert str(path) in err and "labctl sandbox forget demo-s02" in err and "labctl sandbox reset" in err
    assert main(["sandbox", "forget", "demo-s02"]) == 0
    assert main(["sweep", "demo", "--emulate"]) == 0  # in-process: what it held died with its account


def test_a_foreign_file_in_the_store_is_named(store, capsys):
    store.stacks_dir.mkdir(parents=True)
    (store.stacks_dir / "notes.txt").write_text("hello")
    assert main(["sweep", "demo", "--emulate"]) == 2
    err = capsys.readouterr().err
    assert "notes.txt: not a state written by labctl" in err and "labctl sandbox reset" in err
    assert main(["sandbox", "reset"]) == 0 and main(["sweep", "demo", "--emulate"]) == 0


def test_a_damaged_settings_file_of_another_stack_breaks_nothing(store, tmp_path, capsys):
    """The store replays what each state recorded: no stack file is read to rebuild the account."""
    import shutil

    from labctl.offline.render import ENVIRONMENTS
    env = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, env)
    assert main(["up", "demo-s02", "--emulate", "--environments", str(env)]) == 0
    (env / "Pulumi.demo-s02.yaml").write_text("config: [broken\n")
    assert main(["up", "demo-s03", "--emulate", "--environments", str(env)]) == 0
    assert main(["destroy", "demo-s03", "--emulate", "--environments", str(env)]) == 0
    assert sorted(store.stacks()) == ["demo-s02"]


def test_serve_is_exclusive_and_a_stale_record_is_ignored(store, capsys):
    import os
    import subprocess
    import sys

    from cloudlabs import REPO_ROOT

    from .sandboxes import free_port
    env = {**os.environ, "CLOUDLABS_STATE_DIR": str(store.root.parent)}
    with served(store) as port:
        record = store.server_file.read_text()
        second = subprocess.run([sys.executable, "-m", "labctl", "sandbox", "serve", "--port", str(free_port())], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert second.returncode == 2 and "already served" in second.stderr and "Traceback" not in second.stderr
        assert store.server_file.read_text() == record  # the refused one never touched the running one's record
        assert store.server_port() == port
    # a record left by a killed server (its lock released): stale, ignored, no traceback
    store.server_file.write_text(json.dumps({"port": port, "pid": 999999, "account": "served-dead"}))
    assert store.server() is None
    assert main(["sweep", "demo", "--emulate"]) == 0
    assert main(["sandbox", "status"]) == 0 and "not served" in capsys.readouterr().out


# --- hermetic: the shell's AWS settings never reach beyond the sandbox ------------------------------------


class Listener:
    """A TCP listener on 127.0.0.1 that counts who connects (what a hostile variable points at)."""

    def __init__(self):
        import socket
        import threading
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def hostile(tmp_path):
    """The shell of someone with real AWS settings: endpoints, a proxy, a profile whose
    credential_process would run a program, each pointing at a listener that counts."""
    listeners = [Listener() for _ in range(4)]
    marker = tmp_path / "credential-process-ran"
    config = tmp_path / "aws-config"
    config.write_text(f"[profile evil]\nregion = eu-west-1\nendpoint_url = http://127.0.0.1:{listeners[2].port}\n"
                      f"credential_process = /bin/sh -c 'touch {marker}'\n[default]\nendpoint_url = http://127.0.0.1:{listeners[2].port}\n")
    (tmp_path / "aws-credentials").write_text("[evil]\naws_access_key_id = AKIAEVILEVILEVILEVIL\naws_secret_access_key = x\n")
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{listeners[0].port}", "AWS_ENDPOINT_URL_EC2": f"http://127.0.0.1:{listeners[0].port}",
           "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{listeners[3].port}",
           "HTTPS_PROXY": f"http://127.0.0.1:{listeners[1].port}", "HTTP_PROXY": f"http://127.0.0.1:{listeners[1].port}",
           "https_proxy": f"http://127.0.0.1:{listeners[1].port}", "ALL_PROXY": f"http://127.0.0.1:{listeners[1].port}",
           "AWS_PROFILE": "evil", "AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "aws-credentials"),
           "AWS_CA_BUNDLE": str(tmp_path / "no-such-bundle.pem"), "AWS_DEFAULT_REGION": "eu-west-1"}
    yield env, listeners, marker
    for listener in listeners:
        listener.close()


def test_emulated_commands_ignore_the_shells_aws_settings(store, monkeypatch, hostile, capsys):
    env, listeners, marker = hostile
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["up", "demo-s02", "--emulate"]) == 0
    assert main(["grade", "demo-s02", "--emulate", "--stage", "planned"]) == 0
    assert main(["destroy", "demo-s02", "--emulate"]) == 0
    capsys.readouterr()
    assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out
    assert [listener.connections for listener in listeners] == [0, 0, 0, 0] and not marker.exists()
    import os
    assert os.environ["AWS_PROFILE"] == "evil"  # the shell's settings are back once the command is done


def test_a_served_sandbox_and_its_commands_in_a_hostile_shell_stay_on_loopback(store, hostile):
    """As an instructor runs them: `labctl sandbox serve` in one shell, the commands in another,
    both with real AWS settings exported."""
    import os
    import subprocess
    import sys

    from cloudlabs import REPO_ROOT

    from .sandboxes import free_port
    env, listeners, marker = hostile
    shell = {**os.environ, **env, "CLOUDLABS_STATE_DIR": str(store.root.parent)}
    server = subprocess.Popen([sys.executable, "-m", "labctl", "sandbox", "serve", "--port", str(free_port())], cwd=REPO_ROOT,
                              env=shell, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and "sandbox: emulated AWS on" in server.stdout.readline()
        for argv in (["up", "demo-s02"], ["sweep", "demo", "--delete"]):
            result = subprocess.run([sys.executable, "-m", "labctl", *argv, "--emulate"], cwd=REPO_ROOT, env=shell,
                                    capture_output=True, text=True, timeout=300)
            assert result.returncode == 0, result.stdout + result.stderr
    finally:
        server.terminate()
        logged = server.communicate(timeout=60)
    assert [listener.connections for listener in listeners] == [0, 0, 0, 0] and not marker.exists()
    assert "HTTP/1.1" not in logged[0] + logged[1]  # no line per request unless --verbose
    assert "sandbox: stopped" in logged[0]


def test_inside_the_sandbox_nothing_beyond_loopback_is_reachable():
    import socket

    from labctl.ops.hermetic import LeftTheSandbox, hermetic
    with hermetic():
        with pytest.raises(LeftTheSandbox, match="refused: 203.0.113.9"):
            socket.create_connection(("203.0.113.9", 443), timeout=1)
        with socket.socket() as raw, pytest.raises(LeftTheSandbox, match="refused: 203.0.113.9:443"):
            raw.connect(("203.0.113.9", 443))
        with pytest.raises(LeftTheSandbox, match="refused: ec2.us-east-1.amazonaws.com"):
            socket.getaddrinfo("ec2.us-east-1.amazonaws.com", 443)
        listener = Listener()
        socket.create_connection(("127.0.0.1", listener.port), timeout=5).close()  # loopback is fine
        listener.close()
    socket.getaddrinfo("localhost", 80)  # and outside the block, the process is as it was


def test_two_cohorts_in_process_the_sweep_takes_only_its_own_and_it_stays_gone(store, capsys):
    """In-process, the account is made again from the store by each command: what `sweep --delete`
    took must leave the store too (or it comes back), and only what was the cohort's."""
    assert main(["up", "demo-app", "--students", "a01", "--emulate"]) == 0  # an ALB and a target group
    assert main(["up", "demo", "--students", "s03", "--emulate"]) == 0
    capsys.readouterr()
    assert main(["sweep", "demo-app", "--emulate", "--whole-account", "--delete"]) == 2
    assert "cohort(s) demo:" in capsys.readouterr().err and sorted(store.stacks()) == ["demo-app-a01", "demo-s03"]
    assert main(["sweep", "demo", "--emulate", "--delete"]) == 0
    assert store.stacks() == ["demo-app-a01"]  # demo-s03's state went with its resources
    capsys.readouterr()
    assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out
    assert main(["sweep", "demo-app", "--emulate"]) == 1
    out = capsys.readouterr().out
    assert "load balancer" in out and "target group" in out  # the other cohort's, untouched
    assert main(["destroy", "demo", "--emulate"]) == 0 and main(["destroy", "demo-app", "--emulate"]) == 0


def test_grade_reads_only_the_students_own_peerings(monkeypatch, tmp_path):
    """moto ignores the peering listing's VPC filter: grade must not count another student's."""
    import boto3
    from moto import mock_aws

    from labctl.offline.render import ENVIRONMENTS, render_file
    from labctl.ops import emulate
    from labctl.ops.live import LiveReader, StudentScope
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        for stack in ("demo-net-n06", "demo-net-n07"):  # vpc-peering: one peering each
            emulate.up(render_file(ENVIRONMENTS / f"Pulumi.{stack}.yaml"), session, tmp_path)
        assert len(session.client("ec2").describe_vpc_peering_connections(Filters=[
            {"Name": "requester-vpc-info.vpc-id", "Values": ["vpc-nothing"]}])["VpcPeeringConnections"]) == 2  # ignored
        graph = LiveReader(session.client).read(StudentScope("demo-net", "n06", "demo-net-n06"))
        peerings = [r for r in graph.resources if r.type == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"]
        assert len(peerings) == 1 and peerings[0].inputs["tags"]["cloudlabs:student"] == "n06"
