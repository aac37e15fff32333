"""vpc-peering (chapter 7.4 and coursework): two VPCs, the peering, routes both ways, security groups."""

from __future__ import annotations

import pytest

from .conftest import lab_graph
from .graphtools import (
    EIP, INSTANCE, NAT, PEERING, PEERING_ACCEPTER, ROUTE, SG, SUBNET, VPC, associations, instances, routes,
    sg_rules, subnets,
)

ADMIN = "203.0.113.0/24"


def vpcs(graph):
    from .graphtools import name_tag
    return {name_tag(v): v for v in graph.of_type(VPC)}


@pytest.mark.parametrize("stage,route_count", [("starter", 4), ("solution", 8)])
def test_resource_kinds_and_counts(stage, route_count):
    graph = lab_graph("vpc-peering", stage=stage)
    counts = graph.type_counts()
    assert (counts[VPC], counts[SUBNET], counts[NAT], counts[EIP], counts[INSTANCE], counts[SG]) == (2, 4, 2, 2, 4, 4)
    assert (counts[PEERING], counts[PEERING_ACCEPTER], counts[ROUTE]) == (1, 1, route_count)


def test_cidrs_follow_the_coursework_halves():
    graph = lab_graph("vpc-peering", seat=50, student="s50")
    assert {n: v.inputs["cidrBlock"] for n, v in vpcs(graph).items()} == {"VPC-A": "10.50.0.0/17", "VPC-B": "10.50.128.0/17"}
    assert {n: (s.inputs["cidrBlock"], s.inputs["mapPublicIpOnLaunch"]) for n, s in subnets(graph).items()} == {
        "SN-A-1": ("10.50.0.0/20", True), "SN-A-2": ("10.50.16.0/20", False),
        "SN-B-1": ("10.50.128.0/20", True), "SN-B-2": ("10.50.144.0/20", False)}


def test_requester_b_accepter_a_in_the_same_stack():
    graph = lab_graph("vpc-peering")
    (pcx,), (accepter,) = graph.of_type(PEERING), graph.of_type(PEERING_ACCEPTER)
    by_name = vpcs(graph)
    assert pcx.inputs["vpcId"] == by_name["VPC-B"].id and pcx.inputs["peerVpcId"] == by_name["VPC-A"].id
    assert accepter.inputs["vpcPeeringConnectionId"] == pcx.id and accepter.inputs["autoAccept"] is True
    assert graph.outputs["vpc-peering"]["peeringId"] == pcx.id


def test_solution_routes_each_peer_cidr_in_every_route_table_both_ways():
    graph = lab_graph("vpc-peering")
    assert routes(graph) == {
        ("VPC-A-RT-Public", "0.0.0.0/0", "igw:VPC-A-IGW"), ("VPC-A-RT-Private", "0.0.0.0/0", "nat:VPC-A-NAT"),
        ("VPC-B-RT-Public", "0.0.0.0/0", "igw:VPC-B-IGW"), ("VPC-B-RT-Private", "0.0.0.0/0", "nat:VPC-B-NAT"),
        ("VPC-A-RT-Public", "10.1.128.0/17", "pcx:peering-B-to-A"), ("VPC-A-RT-Private", "10.1.128.0/17", "pcx:peering-B-to-A"),
        ("VPC-B-RT-Public", "10.1.0.0/17", "pcx:peering-B-to-A"), ("VPC-B-RT-Private", "10.1.0.0/17", "pcx:peering-B-to-A"),
    }
    assert associations(graph) == {"SN-A-1": "VPC-A-RT-Public", "SN-A-2": "VPC-A-RT-Private",
                                   "SN-B-1": "VPC-B-RT-Public", "SN-B-2": "VPC-B-RT-Private"}


def test_starter_has_the_peering_but_no_route_to_the_peer():
    graph = lab_graph("vpc-peering", stage="starter")
    assert graph.of_type(PEERING_ACCEPTER)
    assert all("pcx" not in target for _, _, target in routes(graph))


def test_security_groups_let_icmp_and_http_in_from_the_peer_and_ssh_from_the_bastion():
    graph = lab_graph("vpc-peering")
    expected = set()
    for bastion, web, peer in (("VM1", "VM2", "10.1.128.0/17"), ("VM3", "VM4", "10.1.0.0/17")):
        expected |= {
            (f"{bastion}-SG", "in", "tcp", 22, 22, ADMIN), (f"{bastion}-SG", "in", "icmp", -1, -1, peer),
            (f"{bastion}-SG", "out", "-1", None, None, "0.0.0.0/0"),
            (f"{web}-SG", "in", "tcp", 22, 22, f"sg:{bastion}-SG"), (f"{web}-SG", "in", "tcp", 80, 80, f"sg:{bastion}-SG"),
            (f"{web}-SG", "in", "tcp", 80, 80, peer), (f"{web}-SG", "in", "icmp", -1, -1, peer),
            (f"{web}-SG", "out", "-1", None, None, "0.0.0.0/0"),
        }
    assert sg_rules(graph) == expected


def test_hosts_placement_and_the_coursework_outputs():
    graph = lab_graph("vpc-peering")
    hosts, nets = instances(graph), subnets(graph)
    placement = {"VM1": "SN-A-1", "VM2": "SN-A-2", "VM3": "SN-B-1", "VM4": "SN-B-2"}
    for host, subnet in placement.items():
        assert hosts[host].inputs["subnetId"] == nets[subnet].id
        assert hosts[host].inputs["associatePublicIpAddress"] is (host in ("VM1", "VM3"))
    out = graph.outputs["vpc-peering"]
    assert out["instances"]["VM2"] == {"subnet": "SN-A-2", "privateIp": hosts["VM2"].outputs["privateIp"], "publicIp": None}
    assert out["checks"]["VM3 -> VM2"] == f"curl http://{hosts['VM2'].outputs['privateIp']}/"
    assert set(out["checks"]) == {"VM1 -> VM2", "VM1 -> VM4", "VM3 -> VM2", "VM3 -> VM4"}
    assert out["vpcs"]["VPC-B"]["cidr"] == "10.1.128.0/17" and "VM4" in out["ssh"]


def test_without_nat_gateways_the_web_servers_need_no_packages():
    graph = lab_graph("vpc-peering", options={"natGateway": False})
    assert not graph.of_type(NAT) and not graph.of_type(EIP)
    assert all("0.0.0.0/0" != dest or table.endswith("Public") for table, dest, _ in routes(graph))
    for host in ("VM2", "VM4"):
        user_data = instances(graph)[host].inputs["userData"]
        assert "python3 -m http.server 80" in user_data and "dnf install" not in user_data
    assert graph.outputs["vpc-peering"]["natPublicIps"] == []
