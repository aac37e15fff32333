"""Emulated deployment against moto: the real program's resources created through boto3."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from labctl.ops import emulate
from labctl.offline.render import ENVIRONMENTS, render_file

NETWORK_STACKS = ["demo-s01", "demo-s02", "demo-s03"] + [f"demo-net-n0{i}" for i in range(1, 9)]


@pytest.fixture
def ec2():
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")


def _graph(stack: str):
    return render_file(ENVIRONMENTS / f"Pulumi.{stack}.yaml")


def _lab_vpcs(ec2) -> list[dict]:
    return [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def _live_instances(ec2) -> list[dict]:
    return [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]


@pytest.mark.parametrize("stack", NETWORK_STACKS)
def test_up_then_destroy_leaves_nothing(stack, ec2, tmp_path):
    graph = _graph(stack)
    state = emulate.up(graph, ec2, tmp_path)
    assert len(state.resources) == sum(1 for r in graph.resources if r.custom)
    vpcs = _lab_vpcs(ec2)
    assert vpcs and all(any(t["Key"] == "cloudlabs:student" for t in v.get("Tags", [])) for v in vpcs)
    assert emulate.destroy(stack, ec2, tmp_path) == len(state.resources)
    assert _lab_vpcs(ec2) == [] and _live_instances(ec2) == []
    assert not (tmp_path / f"{stack}.json").exists()


def test_real_ids_flow_into_dependents(ec2, tmp_path):
    emulate.up(_graph("demo-s01"), ec2, tmp_path)
    (vpc,) = _lab_vpcs(ec2)
    (igw,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    routes = [r for t in tables for r in t["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert [r["GatewayId"] for r in routes] == [igw["InternetGatewayId"]]
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]}
    instances = _live_instances(ec2)
    assert instances and all(i["SubnetId"] in subnets for i in instances)
    names = {t["Value"] for i in instances for t in i.get("Tags", []) if t["Key"] == "Name"}
    assert len(names) == len(instances)


def test_interrupted_up_converges(ec2, tmp_path):
    graph = _graph("demo-net-n02")
    created: list[str] = []

    class Interrupt(Exception):
        pass

    def stop_after_ten(urn: str) -> None:
        created.append(urn)
        if len(created) == 10:
            raise Interrupt()

    with pytest.raises(Interrupt):
        emulate.up(graph, ec2, tmp_path, on_created=stop_after_ten)
    state = emulate.up(graph, ec2, tmp_path)  # a later run creates only what is missing
    assert len(state.resources) == sum(1 for r in graph.resources if r.custom)
    assert len(_lab_vpcs(ec2)) == 1
    emulate.destroy("demo-net-n02", ec2, tmp_path)
    assert _lab_vpcs(ec2) == []


def test_unsupported_type_is_named(ec2, tmp_path):
    graph = _graph("demo-app-a05")
    with pytest.raises(emulate.UnsupportedType, match="aws:rds/instance:Instance"):
        emulate.up(graph, ec2, tmp_path)
    assert _lab_vpcs(ec2) == [] and not list(Path(tmp_path).iterdir())



def _fleet_setup(tmp_path, stacks):
    files = {s: ENVIRONMENTS / f"Pulumi.{s}.yaml" for s in stacks}
    owners = {s: tuple(s.rsplit("-", 1)) for s in stacks}
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    return emulate.EmulatorRunner(session, tmp_path / "state", files, owners), session


def test_fleet_one_failure_never_stops_the_others(ec2, tmp_path):
    from labctl.ops.fleet import Fleet
    stacks = ["demo-s01", "demo-app-a05", "demo-s02"]  # a05 has types the emulator cannot create
    runner, _ = _fleet_setup(tmp_path, stacks)
    results = {r.stack: r for r in Fleet(runner, parallel=2, retries=0).run(stacks, "up")}
    assert results["demo-app-a05"].status == "failed" and "aws:rds/instance:Instance" in results["demo-app-a05"].cause
    assert results["demo-s01"].status == results["demo-s02"].status == "succeeded"
    assert len(_lab_vpcs(ec2)) == 2
    down = Fleet(runner, parallel=2, retries=0).run(["demo-s01", "demo-s02"], "destroy")
    assert [r.status for r in down] == ["succeeded", "succeeded"] and _lab_vpcs(ec2) == []


def test_stop_start_change_instance_states(ec2, tmp_path):
    from labctl.ops.fleet import Fleet
    runner, _ = _fleet_setup(tmp_path, ["demo-s01"])
    Fleet(runner, retries=0).run(["demo-s01"], "up")

    def states() -> set[str]:
        return {i["State"]["Name"] for i in _live_instances(ec2)}

    assert states() == {"running"}
    assert Fleet(runner, retries=0).run(["demo-s01"], "stop")[0].status == "succeeded"
    assert states() == {"stopped"}
    Fleet(runner, retries=0).run(["demo-s01"], "start")
    assert states() == {"running"}


def test_sweep_finds_nothing_after_emulated_destroy(ec2, tmp_path):
    from labctl.ops.awsops import Sweeper
    from labctl.ops.fleet import Fleet
    runner, session = _fleet_setup(tmp_path, ["demo-net-n05", "demo-s01"])
    Fleet(runner, retries=0).run(["demo-net-n05", "demo-s01"], "up")
    assert Sweeper(session, "demo-net", region="us-east-1").find()  # deployed: the sweep sees it
    Fleet(runner, retries=0).run(["demo-net-n05", "demo-s01"], "destroy")
    assert Sweeper(session, "demo-net", region="us-east-1").find() == []
    assert Sweeper(session, "demo", region="us-east-1").find() == []
