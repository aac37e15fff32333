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
    """Chapter 5's assignment (book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework”): VM1 in SN-0, VM2 and VM3 in SN-80 with three nginx
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


def _nacl_rules_of(graph, acl: str) -> set[tuple]:
    return {e[1:] for e in nacl_entries(graph) if e[0] == acl}


@pytest.mark.parametrize("stage", ["starter", "ssh", "solution"])
def test_coursework_nacl_the_two_nacls_decide_stage_by_stage(stage):
    """Chapter 5's NACL assignment (book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework”): SN-0 (VM1) and SN-80 (VM2, VM3) each behind a NACL of
    their own, the instances behind a temporary group that admits everything from the admin CIDR
    and the VPC; SN-80's boot rules in every stage, SSH from `ssh`, VM1's ping and curl in `solution`."""
    graph = lab_graph("access-control", stage=stage, options={"parts": ["coursework-nacl"]})
    vpc, sn0, sn80 = "10.1.0.0/16", "10.1.0.0/20", "10.1.80.0/20"
    assert nacl_associations(graph) == {"SN-0": "NACL-SN-0", "SN-80": "NACL-SN-80"}
    boot = {("in", 150, "tcp", 0, 65535, vpc, "deny"), ("in", 200, "tcp", 1024, 65535, ANY, "allow"),
            ("out", 200, "tcp", 443, 443, ANY, "allow")}
    ssh = {("in", 10, "tcp", 22, 22, ADMIN, "allow"), ("out", 10, "tcp", 1024, 65535, ADMIN, "allow")}
    sn0_tests = {("out", 100, "tcp", 8081, 8083, sn80, "allow"), ("in", 100, "tcp", 1024, 65535, sn80, "allow"),
                 ("out", 110, "icmp", None, None, sn80, "allow"), ("in", 110, "icmp", None, None, sn80, "allow")}
    sn80_tests = {("in", 100, "tcp", 8081, 8083, sn0, "allow"), ("out", 100, "tcp", 1024, 65535, sn0, "allow"),
                  ("in", 110, "icmp", None, None, sn0, "allow"), ("out", 110, "icmp", None, None, sn0, "allow")}
    want_sn0 = (ssh if stage != "starter" else set()) | (sn0_tests if stage == "solution" else set())
    want_sn80 = boot | (ssh if stage != "starter" else set()) | (sn80_tests if stage == "solution" else set())
    assert _nacl_rules_of(graph, "NACL-SN-0") == want_sn0
    assert _nacl_rules_of(graph, "NACL-SN-80") == want_sn80
    icmp = [r for r in graph.of_type(NACL_RULE) if r.inputs["protocol"] == "icmp"]
    assert all(r.inputs["icmpType"] == -1 and r.inputs["icmpCode"] == -1 for r in icmp)
    assert {r for r in sg_rules(graph) if r[0] == "temporary-SG"} == {
        ("temporary-SG", "in", "-1", None, None, ADMIN), ("temporary-SG", "in", "-1", None, None, vpc),
        ("temporary-SG", "out", "-1", None, None, ANY)}
    vms, nets = instances(graph), subnets(graph)
    assert [vms[v].inputs["subnetId"] for v in ("VM1", "VM2", "VM3")] == [nets["SN-0"].id, nets["SN-80"].id, nets["SN-80"].id]
    assert "userData" not in vms["VM1"].inputs or not vms["VM1"].inputs["userData"]  # a plain tester
    assert all(f"-p {p}:80 nginx" in vms[v].inputs["userData"] for v in ("VM2", "VM3") for p in (8081, 8082, 8083))
    out = graph.outputs["access-control"]["courseworkNacl"]
    assert set(out["networkAcls"]) == {"NACL-SN-0", "NACL-SN-80"}
    assert len(out["networkAcls"]["NACL-SN-80"]) == len(want_sn80)
    assert len(out["testsFromVm1"]) == 8 and set(out["servers"]) == {"VM1", "VM2", "VM3"}


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_tcp_analysis_groups_follow_the_books_table(stage):
    """book ch. 5, “Chapter 5 Coursework” › “Submit”: VM2 serves nginx on 8081/8082 and MongoDB on 27017, VM3 on 8083/8084 and
    27017, each to the admin CIDR and VM1; VM1 admits the admin's SSH, ping and traceroute."""
    graph = lab_graph("access-control", stage=stage, options={"parts": ["tcp-analysis"]})
    vms = instances(graph)
    assert sorted(vms) == ["VM1", "VM2", "VM3"]
    assert "--name mongodb1 -p 27017:27017 mongo" in vms["VM2"].inputs["userData"]
    assert "-p 8081:80 nginx" in vms["VM2"].inputs["userData"] and "-p 8084:80 nginx" in vms["VM3"].inputs["userData"]
    assert "8083" not in vms["VM2"].inputs["userData"]
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for v in ("VM1", "VM2", "VM3") for g in vms[v].inputs["vpcSecurityGroupIds"]] == ["VM1-SG", "VM2-SG", "VM3-SG"]
    rules = sg_rules(graph)
    for vm, (low, high) in (("VM2", (8081, 8082)), ("VM3", (8083, 8084))):
        want = {(f"{vm}-SG", "in", "tcp", 22, 22, ADMIN), (f"{vm}-SG", "out", "-1", None, None, ANY)}
        if stage == "solution":
            want |= {(f"{vm}-SG", "in", "tcp", low, high, peer) for peer in (ADMIN, "sg:VM1-SG")}
            want |= {(f"{vm}-SG", "in", "tcp", 27017, 27017, peer) for peer in (ADMIN, "sg:VM1-SG")}
            want.add((f"{vm}-SG", "in", "icmp", -1, -1, "sg:VM1-SG"))
        assert {r for r in rules if r[0] == f"{vm}-SG"} == want
    vm1 = {("VM1-SG", "in", "tcp", 22, 22, ADMIN), ("VM1-SG", "out", "-1", None, None, ANY)}
    if stage == "solution":
        vm1.add(("VM1-SG", "in", "icmp", -1, -1, ADMIN))
    assert {r for r in rules if r[0] == "VM1-SG"} == vm1
    out = graph.outputs["access-control"]["tcpAnalysis"]
    ip2 = vms["VM2"].outputs["publicIp"]
    assert out["urls"]["VM2"] == {str(p): f"http://{ip2}:{p}/" for p in (8081, 8082, 27017)}
    assert out["wiresharkFilter"] == f"ip.addr=={ip2}"
    assert len(out["testsFromVm1"]) == 8


@pytest.mark.parametrize("parts,message", [
    (["coursework", "tcp-analysis"], "coursework and tcp-analysis both build VM1-VM3"),
    (["coursework-nacl", "coursework"], "coursework-nacl and coursework both build VM1-VM3"),
    (["nacl", "coursework-nacl"], "nacl and coursework-nacl both give SN-0 a NACL of their own"),
])
def test_assignments_that_would_collide_are_refused(parts, message):
    from pydantic import ValidationError

    from cloudlabs.labs.access_control import AccessControlOptions
    with pytest.raises(ValidationError, match=message):
        AccessControlOptions(parts=parts)
