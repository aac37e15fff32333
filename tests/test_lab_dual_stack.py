"""dual-stack (chapter 6): the IPv6 block, /64 associations, ::/0 routes, the coursework subnets."""

from __future__ import annotations

from ipaddress import IPv6Address, IPv6Network

import pytest

from cloudlabs.catalog import lab_layout

from .conftest import lab_graph
from .graphtools import EIGW, NAT, VPC, associations, instances, routes, sg_rules, subnets


def vpc_block(graph) -> IPv6Network:
    (vpc,) = graph.of_type(VPC)
    assert vpc.inputs["assignGeneratedIpv6CidrBlock"] is True
    return IPv6Network(vpc.outputs["ipv6CidrBlock"])


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_every_subnet_has_its_numbered_64_and_auto_assigns(stage):
    graph = lab_graph("dual-stack", stage=stage)
    block = vpc_block(graph)
    sixty_fours = list(block.subnets(new_prefix=64))
    nets = subnets(graph)
    assert sorted(nets) == sorted(f"SN-{16 * i}" for i in range(6))
    for i in range(6):
        subnet = nets[f"SN-{16 * i}"]
        assert subnet.inputs["ipv6CidrBlock"] == str(sixty_fours[i])  # SN-0 has the book's "00"
        assert subnet.inputs["assignIpv6AddressOnCreation"] is True
        assert subnet.inputs["cidrBlock"] == f"10.1.{16 * i}.0/20"


def test_solution_routes_ipv6_to_the_internet_and_starter_does_not():
    assert routes(lab_graph("dual-stack", stage="solution")) == {
        ("VPC-RT-Public", "0.0.0.0/0", "igw:VPC-IGW"), ("VPC-RT-Public", "::/0", "igw:VPC-IGW")}
    assert routes(lab_graph("dual-stack", stage="starter")) == {("VPC-RT-Public", "0.0.0.0/0", "igw:VPC-IGW")}


def test_the_server_answers_on_both_families():
    graph = lab_graph("dual-stack")
    vm = instances(graph)["VM-DS"]
    assert vm.inputs["ipv6AddressCount"] == 1 and vm.inputs["subnetId"] == subnets(graph)["SN-0"].id
    (address,) = vm.outputs["ipv6Addresses"]
    assert IPv6Address(address) in IPv6Network(subnets(graph)["SN-0"].inputs["ipv6CidrBlock"])
    assert sg_rules(graph) == {
        ("dual-stack-SG", "in", "tcp", 22, 22, "203.0.113.0/24"),
        ("dual-stack-SG", "in", "tcp", 80, 80, "0.0.0.0/0"),
        ("dual-stack-SG", "in", "tcp", 80, 80, "::/0"),
        ("dual-stack-SG", "out", "-1", None, None, "0.0.0.0/0"),
        ("dual-stack-SG", "out", "-1", None, None, "::/0"),
    }
    out = graph.outputs["dual-stack"]
    assert out["ipv6"] == address and out["urlV6"] == f"http://[{address}]/"
    assert out["vpcIpv6Cidr"] == str(vpc_block(graph))


def test_coursework_subnets_sizes_zones_and_plan():
    graph = lab_graph("dual-stack", options={"coursework": True})
    nets = subnets(graph)
    planned = {s.name: s for s in lab_layout("dual-stack", 1).vpc("VPC").subnets}
    sizes = {"SN-A": 2048, "SN-B": 2048, "SN-C": 4096, "SN-D": 8192, "SN-E": 8192, "SN-F": 16384}
    for name, size in sizes.items():
        assert nets[name].inputs["cidrBlock"] == str(planned[name].cidr)
        assert planned[name].cidr.num_addresses == size
    zones = [nets[n].inputs["availabilityZone"] for n in sizes]
    assert len(set(zones)) == 6  # each in its own zone (book ch. 6, “Virtual Private Cloud” › “Chapter 6 Coursework”): no instance there, so us-east-1e (no t3) is fine
    assert nets["SN-B"].inputs["mapPublicIpOnLaunch"] is False
    assert associations(graph)["SN-B"] == "VPC-RT-Private"


def test_coursework_sn_b_way_out_per_stage_and_option():
    solution = lab_graph("dual-stack", options={"coursework": True})
    assert {r for r in routes(solution) if r[0] == "VPC-RT-Private"} == {
        ("VPC-RT-Private", "0.0.0.0/0", "nat:VPC-NAT"), ("VPC-RT-Private", "::/0", "eigw:VPC-EIGW")}
    starter = lab_graph("dual-stack", stage="starter", options={"coursework": True})
    assert {r for r in routes(starter) if r[0] == "VPC-RT-Private"} == set()
    ipv6_only = lab_graph("dual-stack", options={"coursework": True, "natGateway": False})
    assert {r for r in routes(ipv6_only) if r[0] == "VPC-RT-Private"} == {("VPC-RT-Private", "::/0", "eigw:VPC-EIGW")}
    assert not ipv6_only.of_type(NAT) and len(ipv6_only.of_type(EIGW)) == 1
