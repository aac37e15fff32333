"""peering-topologies (chapter 7 coursework, book ch. 7, “Construction of VPCs with private subnet with NAT gateways” › “Construction of two VPCs with full mesh VPC peering” to “Construction of three VPCs with VPC Peering to the default VPC”): the full-mesh and provider topologies."""

from __future__ import annotations

import pytest

from .conftest import lab_graph
from .graphtools import INSTANCE, SUBNET, VPC, instances, name_tag, routes, sg_rules, subnets

ADMIN = "203.0.113.0/24"
ANY, ANY6 = "0.0.0.0/0", "::/0"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
NAT = "aws:ec2/natGateway:NatGateway"


def _graph(topology: str, stage: str = "solution"):
    return lab_graph("peering-topologies", stage=stage, options={"topology": topology})


def _vpc_blocks(graph) -> dict[str, str]:
    return {name_tag(v): v.inputs["cidrBlock"] for v in graph.of_type(VPC)}


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_full_mesh_kinds_counts_and_blocks(stage):
    graph = _graph("full-mesh", stage)
    counts = graph.type_counts()
    assert (counts[VPC], counts[SUBNET], counts[INSTANCE], counts[PEERING], counts[NAT]) == (3, 4, 4, 3, 1)
    assert _vpc_blocks(graph) == {"default-VPC": "10.1.0.0/18", "VPC-A": "10.1.64.0/18", "VPC-B": "10.1.128.0/18"}
    nets = subnets(graph)
    assert {n: s.inputs["cidrBlock"] for n, s in nets.items()} == {
        "subnet-public": "10.1.0.0/20", "subnet-private": "10.1.16.0/20", "SN-A-public": "10.1.64.0/20",
        "SN-B-public": "10.1.128.0/20"}
    # IPv6 only where the book asks for it: VPC-A's and VPC-B's public subnets
    assert {n for n, s in nets.items() if s.inputs.get("ipv6CidrBlock")} == {"SN-A-public", "SN-B-public"}
    vms = instances(graph)
    assert {h: vms[h].inputs["subnetId"] for h in vms} == {
        "bastion": nets["subnet-public"].id, "web-dev": nets["subnet-private"].id,
        "web-A": nets["SN-A-public"].id, "web-B": nets["SN-B-public"].id}
    assert vms["web-A"].inputs["ipv6AddressCount"] == 1 and not vms["web-dev"].inputs.get("associatePublicIpAddress")
    peers = {name_tag(p) for p in graph.of_type(PEERING)}
    assert peers == {"peering-default-VPC<->VPC-A", "peering-default-VPC<->VPC-B", "peering-VPC-A<->VPC-B"}
    assert all(p.inputs["autoAccept"] for p in graph.of_type(PEERING))


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_full_mesh_routes_through_the_peerings_only_in_solution(stage):
    graph = _graph("full-mesh", stage)
    v6 = {name_tag(v): v.outputs.get("ipv6CidrBlock") for v in graph.of_type(VPC)}
    base = {("VPC-A-RT-Public", ANY, "igw:VPC-A-IGW"), ("VPC-A-RT-Public", ANY6, "igw:VPC-A-IGW"),
            ("VPC-B-RT-Public", ANY, "igw:VPC-B-IGW"), ("VPC-B-RT-Public", ANY6, "igw:VPC-B-IGW"),
            ("default-VPC-RT-Public", ANY, "igw:default-VPC-IGW"), ("default-VPC-RT-Private", ANY, "nat:default-VPC-NAT")}
    peered = {
        ("default-VPC-RT-Private", "10.1.64.0/18", "pcx:peering-default-VPC<->VPC-A"),
        ("default-VPC-RT-Private", "10.1.128.0/18", "pcx:peering-default-VPC<->VPC-B"),
        ("VPC-A-RT-Public", "10.1.0.0/18", "pcx:peering-default-VPC<->VPC-A"),
        ("VPC-B-RT-Public", "10.1.0.0/18", "pcx:peering-default-VPC<->VPC-B"),
        ("VPC-A-RT-Public", v6["VPC-B"], "pcx:peering-VPC-A<->VPC-B"),
        ("VPC-B-RT-Public", v6["VPC-A"], "pcx:peering-VPC-A<->VPC-B"),
    }
    assert routes(graph) == (base | peered if stage == "solution" else base)


def test_full_mesh_groups():
    graph = _graph("full-mesh")
    v6 = {name_tag(v): v.outputs.get("ipv6CidrBlock") for v in graph.of_type(VPC)}
    rules = sg_rules(graph)
    assert {r for r in rules if r[0] == "web-dev-SG"} == {
        ("web-dev-SG", "in", "tcp", 22, 22, "sg:bastion-SG"), ("web-dev-SG", "in", "tcp", 80, 80, "sg:bastion-SG"),
        ("web-dev-SG", "in", "tcp", 80, 80, "10.1.64.0/18"), ("web-dev-SG", "in", "tcp", 80, 80, "10.1.128.0/18"),
        ("web-dev-SG", "out", "-1", None, None, ANY)}
    for side, peer in (("A", "B"), ("B", "A")):
        assert {r for r in rules if r[0] == f"web-{side}-SG"} == {
            (f"web-{side}-SG", "in", "tcp", 22, 22, ADMIN), (f"web-{side}-SG", "in", "tcp", 80, 80, ANY),
            (f"web-{side}-SG", "in", "tcp", 80, 80, ANY6), (f"web-{side}-SG", "in", "icmpv6", -1, -1, v6[f"VPC-{peer}"]),
            (f"web-{side}-SG", "out", "-1", None, None, ANY), (f"web-{side}-SG", "out", "-1", None, None, ANY6)}


def test_full_mesh_outputs_give_the_books_tests():
    graph = _graph("full-mesh")
    out = graph.outputs["peering-topologies"]
    vms = instances(graph)
    dev = vms["web-dev"].outputs["privateIp"]
    assert out["topology"] == "full-mesh"
    assert out["checks"]["web-A"][0] == f"curl http://{dev}/"
    assert out["checks"]["web-A"][1] == f"ping -6 -c 3 {vms['web-B'].outputs['ipv6Addresses'][0]}"
    assert out["checks"]["web-B"][2] == "ping -6 -c 3 2001:4860:4860::8888"
    assert "ProxyCommand" in out["ssh"]["web-dev"] and dev in out["ssh"]["web-dev"]
    assert set(out["peerings"]) == {"default-VPC<->VPC-A", "default-VPC<->VPC-B", "VPC-A<->VPC-B"}
    assert out["vpcs"]["VPC-A"]["ipv6Cidr"] and "ipv6Cidr" not in out["vpcs"]["default-VPC"]


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_provider_kinds_counts_and_routes(stage):
    graph = _graph("provider", stage)
    counts = graph.type_counts()
    assert (counts[VPC], counts[SUBNET], counts[INSTANCE], counts[PEERING], counts.get(NAT, 0)) == (4, 7, 7, 3, 0)
    assert _vpc_blocks(graph) == {"default-VPC": "10.1.0.0/18", "VPC-A": "10.1.64.0/18", "VPC-B": "10.1.128.0/18",
                                  "VPC-C": "10.1.192.0/18"}
    assert not any(s.inputs.get("ipv6CidrBlock") for s in graph.of_type(SUBNET))
    base = {(f"VPC-{v}-RT-Public", ANY, f"igw:VPC-{v}-IGW") for v in "ABC"} | {
        ("default-VPC-RT-Public", ANY, "igw:default-VPC-IGW")}
    private = {"A": "10.1.80.0/20", "B": "10.1.144.0/20", "C": "10.1.208.0/20"}
    peered = {(f"VPC-{v}-RT-Private", "10.1.0.0/18", f"pcx:peering-default-VPC<->VPC-{v}") for v in "ABC"} | {
        ("default-VPC-RT-Public", private[v], f"pcx:peering-default-VPC<->VPC-{v}") for v in "ABC"}
    assert routes(graph) == (base | peered if stage == "solution" else base)
    # no receiver's public table knows the provider: VM2 cannot reach it
    assert not any(r[0].endswith("-RT-Public") and r[0] != "default-VPC-RT-Public" and r[2].startswith("pcx:")
                   for r in routes(graph))


def test_provider_groups_and_hosts():
    graph = _graph("provider")
    rules = sg_rules(graph)
    assert {r for r in rules if r[0] == "VM1-provider-SG"} == {
        ("VM1-provider-SG", "in", "tcp", 22, 22, ADMIN), ("VM1-provider-SG", "out", "-1", None, None, ANY),
        *(("VM1-provider-SG", "in", "tcp", 80, 80, cidr) for cidr in ("10.1.80.0/20", "10.1.144.0/20", "10.1.208.0/20"))}
    for v in "ABC":
        assert {r for r in rules if r[0] == f"VM1-{v}-SG"} == {
            (f"VM1-{v}-SG", "in", proto, low, high, f"sg:VM2-{v}-SG")
            for proto, low, high in (("tcp", 22, 22), ("tcp", 80, 80), ("icmp", -1, -1))} | {
            (f"VM1-{v}-SG", "out", "-1", None, None, ANY)}
    vms, nets = instances(graph), subnets(graph)
    assert vms["VM1-provider"].inputs["subnetId"] == nets["subnet-public"].id
    for v in "ABC":
        assert vms[f"VM1-{v}"].inputs["subnetId"] == nets[f"SN-{v}-private"].id
        assert vms[f"VM2-{v}"].inputs["subnetId"] == nets[f"SN-{v}-public"].id
        assert "python3 -m http.server" in vms[f"VM1-{v}"].inputs["userData"]  # private, no NAT: no download
    out = graph.outputs["peering-topologies"]
    assert out["topology"] == "provider" and len(out["peerings"]) == 3
    provider_ip = vms["VM1-provider"].outputs["privateIp"]
    assert out["checks"]["VM2-B"][1] == f"curl --max-time 5 http://{provider_ip}/  # must time out"
    assert vms["VM2-C"].outputs["publicIp"] in out["ssh"]["VM1-C"]


def test_a_misspelt_topology_is_refused_with_the_choices():
    from pydantic import ValidationError

    from cloudlabs.labs.peering_topologies import PeeringTopologiesOptions
    with pytest.raises(ValidationError, match="full-mesh"):
        PeeringTopologiesOptions(topology="mesh")
