"""The emulator at class size: calls into one emulated account never meet inside moto (in-process
and served), a stack that fails half-way is destroyed and swept clean on each path, and the
in-process account is kept between commands (a command after a writer replays nothing)."""

from __future__ import annotations

import threading

import boto3
import pytest

from labctl.cli import runners
from labctl.cli.main import main
from labctl.ops import account_snapshot, emulate, moto_host
from labctl.ops.sandbox import SANDBOX_KEY, Store

from .sandboxes import free_port, served


@pytest.fixture
def store(monkeypatch, tmp_path):
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    return Store(tmp_path / "state" / "sandbox")


def _hold_inside_describe_vpcs(monkeypatch):
    """Thread A's DescribeVpcs stops inside moto's backend until told to go; whatever else reaches
    the backend meanwhile, or waits for the call lock, is recorded (events, no sleeps)."""
    from moto.ec2.models.vpcs import VPCBackend
    inside, go, other = threading.Event(), threading.Event(), threading.Event()
    order: list[str] = []
    original_describe, original_create = VPCBackend.describe_vpcs, VPCBackend.create_vpc

    def describe(self, *args, **kwargs):
        order.append("A in")
        inside.set()
        assert go.wait(60)
        order.append("A out")
        return original_describe(self, *args, **kwargs)

    def create(self, *args, **kwargs):
        order.append("B in")
        other.set()
        return original_create(self, *args, **kwargs)

    def waiting():
        order.append("B waits")
        other.set()

    monkeypatch.setattr(VPCBackend, "describe_vpcs", describe)
    monkeypatch.setattr(VPCBackend, "create_vpc", create)
    monkeypatch.setattr(moto_host, "on_wait", waiting)
    return inside, go, other, order


def _interleave(make_client, monkeypatch) -> list[str]:
    """A describes (held inside the backend); B creates a VPC meanwhile; A goes on when B has
    either waited for the lock or reached the backend. Returns the order it happened in."""
    inside, go, other, order = _hold_inside_describe_vpcs(monkeypatch)
    a_client, b_client = make_client(), make_client()
    results: dict[str, object] = {}
    a = threading.Thread(target=lambda: results.setdefault("a", a_client.describe_vpcs()))
    a.start()
    assert inside.wait(60)
    b = threading.Thread(target=lambda: results.setdefault("b", b_client.create_vpc(CidrBlock="10.9.0.0/16")))
    b.start()
    assert other.wait(60)  # B got as far as it can while A is inside
    go.set()
    a.join(60)
    b.join(60)
    assert set(results) == {"a", "b"}
    return order


def test_in_process_calls_take_turns_inside_moto(monkeypatch):
    """The fleet's threads share one in-process account: a create may not run while a describe
    walks the same backend (moto's dictionaries are not thread-safe)."""
    from moto import mock_aws
    moto_host.install()
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)
        order = _interleave(lambda: session.client("ec2"), monkeypatch)
    assert order[:4] == ["A in", "B waits", "A out", "B in"]  # (moto may describe again inside the create)


def test_served_requests_take_turns_inside_moto(monkeypatch):
    """The served sandbox answers each request on a thread of its own: the same rule there."""
    from moto.server import ThreadedMotoServer
    moto_host.install()
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        session = boto3.Session(region_name="us-east-1", aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)
        order = _interleave(lambda: session.client("ec2", endpoint_url=f"http://127.0.0.1:{port}"), monkeypatch)
    finally:
        server.stop()
    assert order[:4] == ["A in", "B waits", "A out", "B in"]  # (moto may describe again inside the create)


def test_many_parallel_ups_into_one_account_all_land_and_leave_nothing(store, capsys, monkeypatch):
    """A whole cohort at --parallel 6 in one in-process account: every stack up, then destroyed,
    and the sweep agrees that nothing is left."""
    _raise_for_a_whole_cohort(monkeypatch)
    assert main(["up", "demo-app", "demo", "--emulate", "--parallel", "6"]) == 0
    assert len(store.stacks()) == 8
    assert main(["destroy", "demo-app", "demo", "--emulate", "--parallel", "6"]) == 0
    assert store.stacks() == []
    capsys.readouterr()
    assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out
    assert main(["sweep", "demo-app", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out


def _failing_nat(monkeypatch):
    """The NAT gateway's create fails (after the stack's VPC, subnets and Elastic IP exist)."""
    handler = emulate.HANDLERS["aws:ec2/natGateway:NatGateway"]

    def refuse(*args, **kwargs):
        raise RuntimeError("injected: the NAT gateway's create failed")

    monkeypatch.setitem(emulate.HANDLERS, "aws:ec2/natGateway:NatGateway", handler.__class__(refuse, handler.delete))


@pytest.mark.parametrize("path", ["in-process", "served"])
def test_a_stack_that_failed_half_way_is_destroyed_and_swept_clean(store, capsys, monkeypatch, path):
    def run() -> None:
        with monkeypatch.context() as failing:
            _failing_nat(failing)
            assert main(["up", "demo-s03", "--emulate"]) == 1  # vpc-nat: the NAT gateway fails
        assert store.stacks() == ["demo-s03"]  # half made: what was made is in its state
        assert main(["destroy", "demo-s03", "--emulate"]) == 0
        assert store.stacks() == []
        capsys.readouterr()
        assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out

    if path == "served":
        with served(store):
            run()
    else:
        run()


def test_the_account_is_kept_between_commands_and_a_reader_replays_nothing(store, capsys, monkeypatch):
    assert main(["up", "demo", "--emulate"]) == 0
    assert (store.root / "account.pickle").exists()
    replays: list[str] = []
    original = emulate.replay
    monkeypatch.setattr(emulate, "replay", lambda state, *a, **k: replays.append(state.stack) or original(state, *a, **k))
    assert main(["grade", "demo-s01", "--emulate", "--stage", "planned"]) == 0
    assert main(["up", "demo-s02", "--emulate"]) == 0  # a writer too: the kept account already holds every stack
    assert replays == []
    capsys.readouterr()
    assert main(["destroy", "demo", "--emulate"]) == 0
    assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out
    assert replays == []


def test_a_kept_account_that_disagrees_with_the_states_is_not_used(store, capsys, monkeypatch):
    """A stack forgotten (or a state changed in any way) since the account was kept: the account
    is made from the states again, so what the states say is what the account holds."""
    assert main(["up", "demo-s01", "demo-s02", "--emulate"]) == 0
    assert main(["sandbox", "forget", "demo-s02"]) == 0
    replays: list[str] = []
    original = emulate.replay
    monkeypatch.setattr(emulate, "replay", lambda state, *a, **k: replays.append(state.stack) or original(state, *a, **k))
    capsys.readouterr()
    assert main(["grade", "demo-s02", "--emulate", "--stage", "planned"]) == 1  # forgotten: nothing of it is read
    assert replays == ["demo-s01"]


def test_a_writer_that_does_not_end_normally_leaves_no_kept_account(store, monkeypatch):
    assert main(["up", "demo-s01", "--emulate"]) == 0
    assert (store.root / "account.json").exists()

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("labctl.cli.fleet.Fleet.run", interrupted)
    assert main(["up", "demo-s02", "--emulate"]) == 130
    assert not (store.root / "account.json").exists() and not (store.root / "account.pickle").exists()


def test_the_kept_account_is_only_read_from_the_stores_own_private_files(store):
    assert main(["up", "demo-s01", "--emulate"]) == 0
    pickled = store.root / "account.pickle"
    pickled.chmod(0o644)
    from moto import mock_aws
    with mock_aws():
        assert account_snapshot.load(store.root, store.stacks_dir) is None
        pickled.chmod(0o600)
        assert account_snapshot.load(store.root, store.stacks_dir) is not None
        pickled.write_bytes(pickled.read_bytes() + b"\0")  # not the bytes its record names
        assert account_snapshot.load(store.root, store.stacks_dir) is None


def test_the_sweeps_verdict_agrees_with_what_destroy_left(store, capsys):
    """Everything of a stack deleted behind its back (here by the sweep itself, which never edits a
    served stack's state): AWS has nothing, but the state still lists it. The sweep says so
    (exit 1) instead of "teardown complete"; destroy then ends clean and the sweep agrees."""
    with served(store):
        assert main(["up", "demo-s02", "--emulate"]) == 0
        assert main(["sweep", "demo", "--emulate", "--delete"]) == 0
        capsys.readouterr()
        assert main(["sweep", "demo", "--emulate"]) == 1
        out = capsys.readouterr().out
        assert "nothing of cohort demo found, but 1 of its stacks still hold a state with resources (demo-s02)" in out
        assert "nothing left" not in out
        assert main(["destroy", "demo", "--emulate"]) == 0
        capsys.readouterr()
        assert main(["sweep", "demo", "--emulate"]) == 0 and "nothing left" in capsys.readouterr().out


def test_a_class_is_read_listing_by_listing_once_and_each_student_sees_only_their_own(store):
    """grade and drift of a class share each listing (read once, unfiltered) and narrow it per
    student: the same graph as the student's own filtered read, and each call made once."""
    from labctl.ops.live import LiveReader, SharedListings, StudentScope
    from labctl.ops.sandbox import account

    from .emulated import counting_calls
    assert main(["up", "demo", "demo-net-n06", "demo-net-n07", "--emulate"]) == 0
    scopes = [StudentScope("demo", s, f"demo-{s}") for s in ("s01", "s02", "s03")] + \
             [StudentScope("demo-net", s, f"demo-net-{s}") for s in ("n06", "n07")]
    with account(store, "us-east-1", writer=False) as emulated:
        session = emulated.session("us-east-1")
        alone = {scope.stack: LiveReader(session.client).read(scope).to_json() for scope in scopes}
        calls: list[str] = []
        shared = SharedListings(counting_calls(session.client, calls))
        together = {scope.stack: LiveReader(shared).read(scope).to_json() for scope in scopes}
    assert together == alone
    assert all(len(g["resources"]) > 10 for g in together.values())
    listings = [c for c in calls if c.startswith("Describe") and c != "DescribeTags"]
    assert len(listings) == len(set(listings))  # each listing once for the five students


def test_the_lookups_that_do_not_grow_with_the_account_answer_as_motos_own():
    """moto_host replaces four of moto's lookups (tags, a group, instances by id) that scanned or
    copied the whole account: each gives the same answer as moto's own, for every resource of an
    account with several VPCs, groups and instances, and the same refusal for an id that is not there."""
    from moto import mock_aws
    from moto.ec2.exceptions import InvalidInstanceIdError
    from moto.ec2.models import ec2_backends
    moto_host.install()
    with mock_aws():
        ec2 = boto3.Session(region_name="us-east-1", aws_access_key_id=SANDBOX_KEY,
                            aws_secret_access_key=SANDBOX_KEY).client("ec2")
        groups, instances = [], []
        for n in range(3):
            vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16")["Vpc"]["VpcId"]
            subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.1.0/24")["Subnet"]["SubnetId"]
            for g in range(2):
                groups.append(ec2.create_security_group(
                    GroupName=f"g{g}", Description="d", VpcId=vpc,
                    TagSpecifications=[{"ResourceType": "security-group", "Tags": [{"Key": "Name", "Value": f"g{n}{g}"}]}])["GroupId"])
            instances += [i["InstanceId"] for i in ec2.run_instances(
                ImageId="ami-12c6146b", MinCount=2, MaxCount=2, SubnetId=subnet, SecurityGroupIds=groups[-2:],
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": f"i{n}"}]}])["Instances"]]
        backend = next(iter(ec2_backends.values()))["us-east-1"]
        by_group = moto_host.REPLACED["SecurityGroupBackend.get_security_group_from_id"]
        by_instance = moto_host.REPLACED["InstanceBackend.get_instance"]
        by_ids = moto_host.REPLACED["InstanceBackend.get_multi_instances_by_id"]
        tags = moto_host.REPLACED["TaggedEC2Resource.get_tags"]
        everything = [backend.get_security_group_from_id(g) for g in groups]
        everything += [backend.get_instance(i) for i in instances]
        everything += list(backend.vpcs.values())
        for group_id in groups:
            assert backend.get_security_group_from_id(group_id) is by_group(backend, group_id)
        assert backend.get_security_group_from_id("sg-0000000000000000") is by_group(backend, "sg-0000000000000000") is None
        for instance_id in instances:
            assert backend.get_instance(instance_id) is by_instance(backend, instance_id)
        some = instances[::2] + instances[:1]
        assert backend.get_multi_instances_by_id(some) == by_ids(backend, some)
        running = [{"name": "instance-state-name", "values": ["running"]}]
        assert backend.get_multi_instances_by_id(instances, running) == by_ids(backend, instances, running)
        for lookup in (backend.get_instance, lambda i: by_instance(backend, i),
                       lambda i: backend.get_multi_instances_by_id([instances[0], i]),
                       lambda i: by_ids(backend, [instances[0], i])):
            with pytest.raises(InvalidInstanceIdError):
                lookup("i-0000000000000000")
        for resource in everything:
            assert resource.get_tags() == tags(resource)
        assert sum(bool(r.get_tags()) for r in everything) == len(groups) + len(instances)


def _raise_for_a_whole_cohort(monkeypatch) -> None:
    """The account as an instructor prepares it for a class in one account: the increases granted (the emulator's
    quota rules are tested in test_emulator_rules and test_quotas)."""
    from labctl.ops import emulator_rules
    for quota in ("vpcs", "internet-gateways", "elastic-ips", "nat-gateways", "ondemand-vcpus"):
        monkeypatch.setitem(emulator_rules._raised, ("*", quota), 100)  # undone after the test
