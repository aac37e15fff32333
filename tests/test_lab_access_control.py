"""access-control (chapter 5): NACL stages exactly, the security-group lab, the containers variant."""

from __future__ import annotations

import pytest

from .conftest import lab_graph
from .graphtools import (
    INGRESS, INSTANCE, NACL, NACL_ASSOCIATION, NACL_RULE, SG, SUBNET, VPC, instances, nacl_associations,
    nacl_entries, name_tag, routes, sg_rules, subnets,
)

ADMIN = "203.0.113.0/24"
ANY = "0.0.0.0/0"
NACL_BY_STAGE = {
    "starter": set(),
    "ssh": {("NACL-SN-0", "in", 10, "tcp", 22, 22, ADMIN, "allow"),
            ("NACL-SN-0", "out", 10, "tcp", 1024, 65535, ANY, "allow")},
    "solution": {("NACL-SN-0", "in", 10, "tcp", 22, 22, ADMIN, "allow"),
                 ("NACL-SN-0", "out", 10, "tcp", 1024, 65535, ANY, "allow"),
                 ("NACL-SN-0", "in", 20, "tcp", 1024, 65535, ANY, "allow"),
                 ("NACL-SN-0", "out", 20, "tcp", 443, 443, ANY, "allow")},
}


@pytest.mark.parametrize("stage", ["starter", "ssh", "solution"])
def test_nacl_entries_follow_the_books_walk_exactly(stage):
    graph = lab_graph("access-control", stage=stage)
    assert nacl_entries(graph) == NACL_BY_STAGE[stage]
    assert nacl_associations(graph) == {"SN-0": "NACL-SN-0"}
    assert len(graph.of_type(NACL)) == 1
    numbers = sorted(r.inputs["ruleNumber"] for r in graph.of_type(NACL_RULE))
    assert all(n % 10 == 0 for n in numbers)


@pytest.mark.parametrize("stage,counts", [
    ("starter", {NACL_RULE: 0, SG: 2, INGRESS: 2, INSTANCE: 3}),
    ("ssh", {NACL_RULE: 2, SG: 4, INGRESS: 5, INSTANCE: 3}),
    ("solution", {NACL_RULE: 4, SG: 4, INGRESS: 5, INSTANCE: 3}),
])
def test_resource_kinds_and_counts(stage, counts):
    graph = lab_graph("access-control", stage=stage)
    have = graph.type_counts()
    assert {k: have.get(k, 0) for k in counts} == counts
    assert have[VPC] == 1 and have[SUBNET] == 6 and have[NACL_ASSOCIATION] == 1


def test_nacl_instance_sits_in_sn0_behind_a_group_that_lets_the_nacl_decide():
    graph = lab_graph("access-control", stage="ssh")
    vm = instances(graph)["VM-NACL"]
    assert vm.inputs["subnetId"] == subnets(graph)["SN-0"].id
    assert ("NACL-test-SG", "in", "-1", None, None, ADMIN) in sg_rules(graph)
    assert graph.outputs["access-control"]["nacl"]["rules"] == [
        "inbound 10 SSH (22) 203.0.113.0/24 allow", "outbound 10 ephemeral TCP (1024-65535) 0.0.0.0/0 allow"]


def test_starter_security_group_lab_uses_only_the_vpcs_default_group():
    graph = lab_graph("access-control", stage="starter")
    (vpc,) = graph.of_type(VPC)
    assert instances(graph)["VM-SG"].inputs["vpcSecurityGroupIds"] == [vpc.outputs["defaultSecurityGroupId"]]
    assert graph.outputs["access-control"]["securityGroups"]["securityGroups"] == ["default"]


@pytest.mark.parametrize("stage", ["ssh", "solution"])
def test_sg01_and_sg02_are_attached_together(stage):
    graph = lab_graph("access-control", stage=stage)
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for g in instances(graph)["VM-SG"].inputs["vpcSecurityGroupIds"]] == ["SG-01", "SG-02"]
    rules = {r for r in sg_rules(graph) if r[0] in ("SG-01", "SG-02")}
    assert rules == {("SG-01", "in", "tcp", 80, 80, ANY), ("SG-01", "out", "icmp", -1, -1, ANY),
                     ("SG-02", "in", "tcp", 22, 22, ADMIN), ("SG-02", "out", "-1", None, None, ANY)}


@pytest.mark.parametrize("stage,open_ports", [("starter", False), ("solution", True)])
def test_three_nginx_containers_behind_one_port_range_rule(stage, open_ports):
    graph = lab_graph("access-control", stage=stage)
    vm = instances(graph)["VM-DOCKER"]
    for port in (8081, 8082, 8083):
        assert f"-p {port}:80 nginx" in vm.inputs["userData"]
    docker_rules = {r for r in sg_rules(graph) if r[0] == "docker-SG"}
    expected = {("docker-SG", "in", "tcp", 22, 22, ADMIN), ("docker-SG", "out", "-1", None, None, ANY)}
    if open_ports:
        expected.add(("docker-SG", "in", "tcp", 8081, 8083, ANY))
    assert docker_rules == expected
    ip = vm.outputs["publicIp"]
    assert graph.outputs["access-control"]["containers"]["urls"] == [f"http://{ip}:{p}/" for p in (8081, 8082, 8083)]


def test_parts_option_selects_what_is_built():
    graph = lab_graph("access-control", options={"parts": ["nacl"]})
    assert sorted(instances(graph)) == ["VM-NACL"]
    assert set(graph.outputs["access-control"]) == {"vpcId", "vpcCidr", "nacl"}


def test_the_vpc_routes_like_the_default_vpc():
    graph = lab_graph("access-control")
    assert routes(graph) == {("VPC-RT-Public", "0.0.0.0/0", "igw:VPC-IGW")}


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_vm1_tests_vm2_and_vm3_in_sn_80(stage):
    """Chapter 5's assignment (L4233): VM1 in SN-0, VM2 and VM3 in SN-80 with three nginx
    containers each; only VM1 may ping them and curl 8081-8083 (solution), SSH for the admin."""
    graph = lab_graph("access-control", stage=stage, options={"parts": ["coursework"]})
    vms, nets = instances(graph), subnets(graph)
    assert sorted(vms) == ["VM1", "VM2", "VM3"]
    assert [vms[v].inputs["subnetId"] for v in ("VM1", "VM2", "VM3")] == [nets["SN-0"].id, nets["SN-80"].id, nets["SN-80"].id]
    assert all("-p 8083:80" in vms[v].inputs["userData"] for v in ("VM2", "VM3"))
    rules = {r for r in sg_rules(graph) if r[0] == "VM2-VM3-SG" and r[1] == "in"}
    expected = {("VM2-VM3-SG", "in", "tcp", 22, 22, "203.0.113.0/24")}
    if stage == "solution":
        expected |= {("VM2-VM3-SG", "in", "icmp", -1, -1, "sg:VM1-SG"), ("VM2-VM3-SG", "in", "tcp", 8081, 8083, "sg:VM1-SG")}
    assert rules == expected
    assert len(graph.outputs["access-control"]["coursework"]["testsFromVm1"]) == 8
