"""Emulated deployment against moto: the real program's resources created through boto3."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from labctl import emulate
from labctl.render import ENVIRONMENTS, render_file

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

