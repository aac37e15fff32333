"""vpc-nat (chapter 7.1-7.2): the graph a student gets, stage by stage."""

from __future__ import annotations

import pytest

from .conftest import lab_graph
from .graphtools import (
    ASSOCIATION, EGRESS, EIP, IGW, INGRESS, INSTANCE, NAT, ROUTE, ROUTE_TABLE, SG, SUBNET, VPC,
    associations, instances, name_tag, routes, sg_rules, subnets,
)

ADMIN = "203.0.113.0/24"


@pytest.mark.parametrize("stage,routes_count,ingress,nat", [("starter", 1, 2, 0), ("solution", 2, 3, 1)])
def test_resource_kinds_and_counts(stage, routes_count, ingress, nat):
    graph = lab_graph("vpc-nat", stage=stage)
    expected = {VPC: 1, IGW: 1, SUBNET: 2, ROUTE_TABLE: 2, ROUTE: routes_count, ASSOCIATION: 2, EIP: nat, NAT: nat,
                SG: 2, INGRESS: ingress, EGRESS: 2, INSTANCE: 2}
    assert dict(graph.type_counts()) == {k: v for k, v in expected.items() if v}


def test_cidrs_follow_the_plan():
    graph = lab_graph("vpc-nat", seat=200, student="s200")
    (vpc,) = graph.of_type(VPC)
    assert vpc.inputs["cidrBlock"] == "10.200.0.0/16" and vpc.inputs["enableDnsHostnames"] is True
    assert {n: (s.inputs["cidrBlock"], s.inputs["mapPublicIpOnLaunch"]) for n, s in subnets(graph).items()} == {
        "SN-A-01": ("10.200.1.0/24", True), "SN-A-02": ("10.200.2.0/24", False)}


def test_solution_routes_private_traffic_through_the_nat_gateway():
    graph = lab_graph("vpc-nat", stage="solution")
    assert routes(graph) == {
        ("VPC-A-RT-Public", "0.0.0.0/0", "igw:VPC-A-IGW"),
        ("VPC-A-RT-Private", "0.0.0.0/0", "nat:VPC-A-NAT"),
    }
    assert associations(graph) == {"SN-A-01": "VPC-A-RT-Public", "SN-A-02": "VPC-A-RT-Private"}


def test_starter_leaves_the_nat_gateway_to_the_student():
    """The book creates the NAT gateway and its Elastic IP at book ch. 7, “Designing and deploying VPCs” › “Configuring external access for the private subnet via NAT gateway”: the starter has neither, no
    route out of SN-A-02, and web-dev has no web server yet (installed by hand through the NAT)."""
    graph = lab_graph("vpc-nat", stage="starter")
    assert not graph.of_type(NAT) and not graph.of_type(EIP)
    assert routes(graph) == {("VPC-A-RT-Public", "0.0.0.0/0", "igw:VPC-A-IGW")}
    assert associations(graph) == {"SN-A-01": "VPC-A-RT-Public", "SN-A-02": "VPC-A-RT-Private"}
    assert "userData" not in instances(graph)["web-dev"].inputs
    out = graph.outputs["vpc-nat"]
    assert "natPublicIp" not in out and "book ch. 7, Configuring external access for the private subnet via NAT gateway" in out["nextStep"]


def test_nat_gateway_sits_in_the_public_subnet_with_the_elastic_ip():
    graph = lab_graph("vpc-nat")
    (nat,), (eip,) = graph.of_type(NAT), graph.of_type(EIP)
    assert nat.inputs["subnetId"] == subnets(graph)["SN-A-01"].id
    assert nat.inputs["allocationId"] == eip.id and eip.inputs["domain"] == "vpc"
    assert graph.outputs["vpc-nat"]["natPublicIp"] == eip.outputs["publicIp"]


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_security_group_rules_per_stage(stage):
    graph = lab_graph("vpc-nat", stage=stage)
    expected = {
        ("bastion-SG", "in", "tcp", 22, 22, ADMIN),
        ("bastion-SG", "out", "-1", None, None, "0.0.0.0/0"),
        ("web-dev-SG", "in", "tcp", 22, 22, "sg:bastion-SG"),
        ("web-dev-SG", "out", "-1", None, None, "0.0.0.0/0"),
    }
    if stage == "solution":
        expected.add(("web-dev-SG", "in", "tcp", 80, 80, "sg:bastion-SG"))
    assert sg_rules(graph) == expected


def test_bastion_is_public_and_web_dev_is_private():
    graph = lab_graph("vpc-nat")
    hosts, nets = instances(graph), subnets(graph)
    bastion, web_dev = hosts["bastion"], hosts["web-dev"]
    assert bastion.inputs["subnetId"] == nets["SN-A-01"].id and bastion.inputs["associatePublicIpAddress"] is True
    assert web_dev.inputs["subnetId"] == nets["SN-A-02"].id and web_dev.inputs["associatePublicIpAddress"] is False
    assert web_dev.outputs["publicIp"] == ""
    assert "userData" not in bastion.inputs and "httpd" in web_dev.inputs["userData"]
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for g in bastion.inputs["vpcSecurityGroupIds"]] == ["bastion-SG"]
    assert [groups[g] for g in web_dev.inputs["vpcSecurityGroupIds"]] == ["web-dev-SG"]


def test_outputs_tell_the_student_how_to_reach_each_host():
    graph = lab_graph("vpc-nat")
    hosts = instances(graph)
    bastion_ip, web_ip = hosts["bastion"].outputs["publicIp"], hosts["web-dev"].outputs["privateIp"]
    out = graph.outputs["vpc-nat"]
    assert out["bastionPublicIp"] == bastion_ip and out["webDevPrivateIp"] == web_ip
    assert out["sshBastion"] == f"ssh -i labsuser.pem ec2-user@{bastion_ip}"
    assert out["sshWebDev"] == (
        f'ssh -i labsuser.pem -o "ProxyCommand=ssh -i labsuser.pem -W %h:%p ec2-user@{bastion_ip}" ec2-user@{web_ip}')
    assert out["curlFromBastion"] == f"curl http://{web_ip}/"
    assert out["subnets"] == {"SN-A-01": "public 10.1.1.0/24", "SN-A-02": "private 10.1.2.0/24"}
