"""The credential-free sandbox: --emulate commands across processes, the served account that the
AWS CLI and the book's boto3 scripts query, and the whole lifecycle as the README's main job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import boto3
import pytest

from cloudlabs import REPO_ROOT
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.render import render_file
from labctl.ops.sandbox import EndpointSession, SandboxError, Store, serve

from .sandboxes import free_port


@pytest.fixture
def state(monkeypatch, tmp_path):
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    return Store(tmp_path / "state" / "sandbox")


def test_emulated_commands_share_one_account_through_the_store(state, capsys):
    """Each command is its own in-process account, rebuilt from the store: what up made, grade
    sees; after destroy the store is empty and the sweep finds nothing."""
    assert main(["up", "demo-s02", "--emulate"]) == 0
    assert state.stacks() == ["demo-s02"]
    assert main(["grade", "demo-s02", "--emulate", "--stage", "planned", "--json", "-"]) == 0
    out = capsys.readouterr().out
    (grade,) = json.loads(out[out.index("[\n"):])
    assert grade["complete"] and grade["total"] == 8
    assert main(["destroy", "demo-s02", "--emulate"]) == 0
    assert state.stacks() == []
    capsys.readouterr()
    assert main(["sweep", "demo", "--emulate"]) == 0
    assert "nothing left" in capsys.readouterr().out


def test_the_store_holds_secrets_like_a_key_file(state, capsys):
    """The emulated stacks' generated keys and passwords are in the store: every folder
    of it 0700, every file 0600 (state, journal, logs, locks, sweep ledger), and a store made
    before with wider modes is narrowed when next used."""
    state.root.mkdir(parents=True)
    os.chmod(state.root, 0o755)
    assert main(["up", "demo-tools-t01", "--emulate"]) == 0  # ssh-access: the solution stands in for the student's key with a generated one
    assert main(["sweep", "demo-tools", "--emulate"]) in (0, 1)
    capsys.readouterr()
    assert (state.stacks_dir / "demo-tools-t01.json").exists()
    folders, files = [], []
    for folder, _, names in os.walk(state.root):
        folders.append(folder)
        files += [os.path.join(folder, name) for name in names]
    assert len(files) >= 5 and any(f.endswith(".log") for f in files)
    assert {f: oct(os.stat(f).st_mode & 0o777) for f in folders} == {f: "0o700" for f in folders}
    assert {f: oct(os.stat(f).st_mode & 0o777) for f in files} == {f: "0o600" for f in files}


def test_an_emulated_up_never_marks_a_real_stack_as_done(state):
    assert main(["up", "demo-s02", "--emulate"]) == 0
    assert (state.root / "fleet-journal.json").exists()
    assert not (state.root.parent / "fleet-journal.json").exists()  # the real fleet's journal is untouched


def test_the_served_sandbox_answers_the_books_queries(state, capsys):
    """While `labctl sandbox serve` runs, --emulate commands and a student's boto3 script see one
    account on 127.0.0.1; Ctrl-C (the wait ending) stops it and removes its record."""
    port, ready, stop = free_port(), threading.Event(), threading.Event()
    server = threading.Thread(target=serve, args=(state, port, lambda p, n: ready.set(), stop.wait))
    server.start()
    try:
        assert ready.wait(60) and state.server_port() == port
        assert main(["up", "demo-s02", "--emulate"]) == 0
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                           aws_access_key_id="student", aws_secret_access_key="student")
        # The book's queries (chapter 7): the subnets and instances of the student's VPC, by tag.
        (subnet,) = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["SN-A-01"]}])["Subnets"]
        assert subnet["CidrBlock"] == "10.2.1.0/24"
        names = {t["Value"] for r in ec2.describe_instances(Filters=[{"Name": "vpc-id", "Values": [subnet["VpcId"]]}])["Reservations"]
                 for i in r["Instances"] for t in i.get("Tags", []) if t["Key"] == "Name"}
        assert names == {"bastion", "web-dev"}
        with pytest.raises(SandboxError, match="already served"):
            serve(state, free_port(), lambda p, n: None, lambda: None)
    finally:
        stop.set()
        server.join(30)
    assert not server.is_alive() and state.server_port() is None and not state.server_file.exists()


def test_a_restarted_server_loads_the_stacks_that_are_up(state):
    assert main(["up", "demo-s02", "--emulate"]) == 0  # in-process; the store remembers the stack
    port, loaded, stop = free_port(), [], threading.Event()
    server = threading.Thread(target=serve, args=(state, port, lambda p, n: (loaded.append(n), stop.set()), stop.wait))
    server.start()
    server.join(60)
    assert loaded == [17]  # vpc-nat's starter, created again in the served account


def test_the_lifecycle_script_runs_a_cohort_end_to_end(tmp_path):
    """The README's main job: sync, plan, emulated up, expected paths, stop/start, destroy, sweep."""
    env = {**os.environ, "CLOUDLABS_STATE_DIR": str(tmp_path / "state"), "PYTHON": sys.executable,
           "TMPDIR": str(tmp_path)}  # the session's graph and lint cache (conftest)
    result = subprocess.run(["bash", "scripts/lifecycle", "demo"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "3 of 3 students complete" in result.stdout and "nothing left: the teardown is complete" in result.stdout
    assert not (tmp_path / "state" / "sandbox" / "server.json").exists()  # the sandbox stopped with the script
    assert Store(tmp_path / "state" / "sandbox").stacks() == []


def test_the_lifecycle_script_tears_down_what_went_up_when_a_step_fails(tmp_path):
    """demo-tools has stacks the emulator refuses (images need a Docker engine, moto lacks Beanstalk
    versions): up fails for those two, the script says so, destroys and sweeps the three that went
    up, and exits with up's code; the sandbox holds nothing afterwards."""
    env = {**os.environ, "CLOUDLABS_STATE_DIR": str(tmp_path / "state"), "PYTHON": sys.executable,
           "TMPDIR": str(tmp_path)}  # the session's graph and lint cache (conftest)
    result = subprocess.run(["bash", "scripts/lifecycle", "demo-tools"], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "up: 2 failed, 3 succeeded" in result.stdout and "tearing down what went up" in result.stderr
    assert "== the expected paths" not in result.stdout  # nothing after the failed step but the teardown
    assert "destroy: 5 succeeded" in result.stdout and "nothing left: the teardown is complete" in result.stdout
    assert Store(tmp_path / "state" / "sandbox").stacks() == []


def test_an_endpoint_session_only_talks_to_its_endpoint():
    session = EndpointSession("us-east-1", "http://127.0.0.1:9")
    assert session.client("ec2").meta.endpoint_url == "http://127.0.0.1:9"


def test_sweep_finds_and_deletes_what_students_added_by_hand_so_destroy_can_finish(tmp_path):
    """The book has students make instances, subnets and a NAT gateway by hand, untagged: the sweep
    finds everything inside the cohort's VPCs, marks it, deletes it, and then destroy finishes."""
    from moto import mock_aws

    from cloudlabs.pricing import load_prices
    from labctl.offline.render import ENVIRONMENTS
    from labctl.ops import emulate
    from labctl.ops.sweep import Sweeper

    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        ec2 = session.client("ec2")
        emulate.up(render_file(ENVIRONMENTS / "Pulumi.demo-s02.yaml"), session, tmp_path)
        (vpc,) = ec2.describe_vpcs(Filters=[{"Name": "tag:cloudlabs:student", "Values": ["s02"]}])["Vpcs"]
        (public,) = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["SN-A-01"]}])["Subnets"]
        extra = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.2.3.0/24")["Subnet"]["SubnetId"]
        by_cli = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                   SubnetId=extra)["Instances"][0]["InstanceId"]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=public["SubnetId"], AllocationId=eip)["NatGateway"]["NatGatewayId"]

        sweeper = Sweeper(session, "demo", load_prices(), "us-east-1")
        by_hand = {(x.kind, x.id) for x in sweeper.find() if x.detail.startswith("added by hand")}
        assert by_hand == {("subnet", extra), ("instance", by_cli), ("NAT gateway", nat), ("Elastic IP", eip)}
        assert all(x.student == "s02" for x in sweeper.find() if x.detail.startswith("added by hand"))

        with pytest.raises(emulate.EmulationError):  # the hand-made subnet and NAT gateway keep the VPC alive
            emulate.destroy("demo-s02", session, tmp_path)
        failures = sweeper.delete([x for x in sweeper.find() if x.detail.startswith("added by hand")], wait=False,
                                  log=lambda m: None)
        assert failures == []
        emulate.destroy("demo-s02", session, tmp_path)  # now it finishes
        assert sweeper.find() == []


def test_the_whole_account_sweep_also_finds_what_lies_outside_the_cohorts_vpcs(tmp_path):
    """In an account given over to one student, chapter 3's instances in the default VPC, a bucket
    and an unattached address count too; without --whole-account they are not the cohort's."""
    from moto import mock_aws

    from labctl.offline.render import ENVIRONMENTS
    from labctl.ops import emulate
    from labctl.ops.sweep import Sweeper

    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        ec2 = session.client("ec2")
        emulate.up(render_file(ENVIRONMENTS / "Pulumi.demo-s02.yaml"), session, tmp_path)
        vm = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=1, MaxCount=1)["Instances"][0]
        eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
        session.client("s3").create_bucket(Bucket="my-own-bucket")
        outside = {("instance", vm["InstanceId"]), ("Elastic IP", eip), ("bucket", "my-own-bucket")}
        assert not outside & {(x.kind, x.id) for x in Sweeper(session, "demo").find()}
        everything = Sweeper(session, "demo", whole_account=True).find()
        assert outside <= {(x.kind, x.id) for x in everything if x.detail.startswith("added by hand")}
