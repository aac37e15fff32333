"""The coursework added for issue 16, followed the book's way on the emulator: deploy the starter,
do the student's steps by hand with boto3, and `labctl grade` says complete; a partial fix is
graded incomplete, naming what still blocks."""

from __future__ import annotations

import json

import pytest

from labctl.cli.main import main

from .emulated import emulated_stack


def graded(capsys, stack: str, env) -> dict:
    code = main(["grade", stack, "--environments", str(env), "--json", "-"])
    (student,) = json.loads(capsys.readouterr().out)
    assert code == (0 if student["complete"] else 1)
    return student


def blockers(student: dict) -> list[str]:
    return [p["blockedBy"] or "open, and must not be" for p in student["paths"] if not p["passed"]]


def named(ec2, kind: str, items: str, name: str) -> dict:
    (found,) = getattr(ec2, f"describe_{kind}")(Filters=[{"Name": "tag:Name", "Values": [name]}])[items]
    return found


def peering(ec2, left: str, right: str) -> str:
    """A peering by its Name tag (moto's describe ignores a tag filter on peerings: matched here)."""
    (found,) = [p for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
                if any(t["Key"] == "Name" and t["Value"].endswith(f"peering-{left}<->{right}") for t in p.get("Tags", []))]
    return found["VpcPeeringConnectionId"]


def route(ec2, table: str, pcx: str, cidr: str) -> None:
    destination = {"DestinationIpv6CidrBlock": cidr} if ":" in cidr else {"DestinationCidrBlock": cidr}
    ec2.create_route(RouteTableId=named(ec2, "route_tables", "RouteTables", table)["RouteTableId"],
                     VpcPeeringConnectionId=pcx, **destination)


# --- chapter 7: the provider topology (book ch. 7, “Construction of two VPCs with full mesh VPC peering” › “Construction of three VPCs with VPC Peering to the default VPC”) -------------------------------------------------------------


@pytest.mark.parametrize("provider_side", [True, False])
def test_provider_topology_routes_done_by_hand(monkeypatch, tmp_path, capsys, provider_side):
    lab = {"lab": "peering-topologies", "stage": "starter", "options": {"topology": "provider"}}
    with emulated_stack(monkeypatch, tmp_path, "demo-net-n10", lab) as (session, env):
        ec2 = session.client("ec2")
        before = graded(capsys, "demo-net-n10", env)
        assert not before["complete"] and len(blockers(before)) == 3  # VM1-A..C -> VM1-provider
        provider = named(ec2, "vpcs", "Vpcs", "default-VPC")["CidrBlock"]
        for v in "ABC":
            pcx = peering(ec2, "default-VPC", f"VPC-{v}")
            route(ec2, f"VPC-{v}-RT-Private", pcx, provider)  # the receiver's private subnet knows the provider
            if provider_side:  # ...and the provider knows the way back to that subnet only
                route(ec2, "default-VPC-RT-Public", pcx, named(ec2, "subnets", "Subnets", f"SN-{v}-private")["CidrBlock"])
        after = graded(capsys, "demo-net-n10", env)
        if provider_side:
            assert after["complete"], blockers(after)
        else:  # the replies have no way back
            assert len(blockers(after)) == 3 and all("default-VPC-RT-Public" in b for b in blockers(after)), blockers(after)


# --- chapter 7: full mesh with IPv6 between web-A and web-B (book ch. 7, “Construction of VPCs with private subnet with NAT gateways” › “Construction of two VPCs with full mesh VPC peering”) --------------------------------------------


def test_full_mesh_routes_done_by_hand_including_ipv6(monkeypatch, tmp_path, capsys):
    lab = {"lab": "peering-topologies", "stage": "starter", "options": {"topology": "full-mesh"}}
    with emulated_stack(monkeypatch, tmp_path, "demo-net-n09", lab) as (session, env):
        ec2 = session.client("ec2")
        before = graded(capsys, "demo-net-n09", env)
        assert {p["path"] for p in before["paths"] if not p["passed"]} == {
            "web-A -> web-dev:80", "web-B -> web-dev:80", "web-A -> web-B (icmpv6)", "web-B -> web-A (icmpv6)"}
        vpcs = {v: named(ec2, "vpcs", "Vpcs", v) for v in ("default-VPC", "VPC-A", "VPC-B")}
        for side in ("A", "B"):
            pcx = peering(ec2, "default-VPC", f"VPC-{side}")
            route(ec2, "default-VPC-RT-Private", pcx, vpcs[f"VPC-{side}"]["CidrBlock"])
            route(ec2, f"VPC-{side}-RT-Public", pcx, vpcs["default-VPC"]["CidrBlock"])
        middle = graded(capsys, "demo-net-n09", env)
        assert {p["path"] for p in middle["paths"] if not p["passed"]} == {"web-A -> web-B (icmpv6)", "web-B -> web-A (icmpv6)"}
        pcx = peering(ec2, "VPC-A", "VPC-B")
        for side, peer in (("A", "B"), ("B", "A")):
            block = vpcs[f"VPC-{peer}"]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
            route(ec2, f"VPC-{side}-RT-Public", pcx, block)
        after = graded(capsys, "demo-net-n09", env)
        assert after["complete"], blockers(after)


# --- chapter 5: security groups and TCP analysis (book ch. 5, “Chapter 5 Coursework” › “Submit”) ----------------------------------------------------


def test_tcp_analysis_the_books_table_done_by_hand(monkeypatch, tmp_path, capsys):
    lab = {"lab": "access-control", "stage": "starter", "options": {"parts": ["tcp-analysis"]}}
    with emulated_stack(monkeypatch, tmp_path, "demo-net-n01", lab) as (session, env):
        ec2 = session.client("ec2")
        before = graded(capsys, "demo-net-n01", env)
        assert not before["complete"]
        group = {vm: named(ec2, "security_groups", "SecurityGroups", f"{vm}-SG")["GroupId"] for vm in ("VM1", "VM2", "VM3")}
        admin = [{"CidrIp": "203.0.113.0/24"}]
        from_vm1 = [{"GroupId": group["VM1"]}]
        ec2.authorize_security_group_ingress(GroupId=group["VM1"], IpPermissions=[
            {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": admin}])
        for vm, (low, high) in (("VM2", (8081, 8082)), ("VM3", (8083, 8084))):
            ec2.authorize_security_group_ingress(GroupId=group[vm], IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": low, "ToPort": high, "IpRanges": admin, "UserIdGroupPairs": from_vm1},
                {"IpProtocol": "tcp", "FromPort": 27017, "ToPort": 27017, "IpRanges": admin},
                {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "UserIdGroupPairs": from_vm1}])
        partial = graded(capsys, "demo-net-n01", env)  # MongoDB from VM1 still missing
        assert {p["path"] for p in partial["paths"] if not p["passed"]} == {"VM1 -> VM2:27017", "VM1 -> VM3:27017"}
        for vm in ("VM2", "VM3"):
            ec2.authorize_security_group_ingress(GroupId=group[vm], IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 27017, "ToPort": 27017, "UserIdGroupPairs": from_vm1}])
        after = graded(capsys, "demo-net-n01", env)
        assert after["complete"], blockers(after)


@pytest.mark.parametrize("topology", ["full-mesh", "provider"])
def test_the_solution_deployed_is_graded_complete(monkeypatch, tmp_path, capsys, topology):
    """What the emulator creates is what AWS would: peerings made with autoAccept are active, and a
    route or rule naming a VPC's planned IPv6 /56 names the /56 AWS assigned."""
    lab = {"lab": "peering-topologies", "stage": "solution", "options": {"topology": topology}}
    with emulated_stack(monkeypatch, tmp_path, "demo-net-n09", lab) as (session, env):
        ec2 = session.client("ec2")
        assert {p["Status"]["Code"] for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]} == {"active"}
        student = graded(capsys, "demo-net-n09", env)
        assert student["complete"], blockers(student)


# --- chapter 5: the NACL half of the assignment (book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework”) ---------------------------------------------------


def nacl_rule(ec2, acl: str, number: int, egress: bool, protocol: str, cidr: str, ports: tuple[int, int] | None = None):
    entry = {"NetworkAclId": named(ec2, "network_acls", "NetworkAcls", acl)["NetworkAclId"], "RuleNumber": number,
             "Protocol": protocol, "RuleAction": "allow", "Egress": egress, "CidrBlock": cidr}
    if ports:
        entry["PortRange"] = {"From": ports[0], "To": ports[1]}
    if protocol == "1":
        entry["IcmpTypeCode"] = {"Type": -1, "Code": -1}
    ec2.create_network_acl_entry(**entry)


def test_coursework_nacl_rules_written_by_hand_both_directions(monkeypatch, tmp_path, capsys):
    lab = {"lab": "access-control", "stage": "starter", "options": {"parts": ["coursework-nacl"]}}
    with emulated_stack(monkeypatch, tmp_path, "demo-net-n01", lab) as (session, env):
        ec2 = session.client("ec2")
        before = graded(capsys, "demo-net-n01", env)
        assert {p["path"] for p in before["paths"] if not p["passed"]} == {
            "admin -> VM1:22", "admin -> VM2:22", "admin -> VM3:22", "VM1 -> VM2 (icmp)", "VM1 -> VM3 (icmp)",
            "VM1 -> VM2:8081", "VM1 -> VM3:8083"}
        admin, sn0, sn80 = "203.0.113.0/24", "10.11.0.0/20", "10.11.80.0/20"
        for acl in ("NACL-SN-0", "NACL-SN-80"):  # the administrator's SSH, and its replies
            nacl_rule(ec2, acl, 10, False, "6", admin, (22, 22))
            nacl_rule(ec2, acl, 10, True, "6", admin, (1024, 65535))
        # VM1's curl and ping, on SN-80's side only: SN-0's NACL still stops them on the way out
        nacl_rule(ec2, "NACL-SN-80", 100, False, "6", sn0, (8081, 8083))
        nacl_rule(ec2, "NACL-SN-80", 100, True, "6", sn0, (1024, 65535))
        nacl_rule(ec2, "NACL-SN-80", 110, False, "1", sn0)
        nacl_rule(ec2, "NACL-SN-80", 110, True, "1", sn0)
        partial = graded(capsys, "demo-net-n01", env)
        assert {p["path"] for p in partial["paths"] if not p["passed"]} == {
            "VM1 -> VM2 (icmp)", "VM1 -> VM3 (icmp)", "VM1 -> VM2:8081", "VM1 -> VM3:8083"}
        assert all("NACL-SN-0" in b for b in blockers(partial)), blockers(partial)
        nacl_rule(ec2, "NACL-SN-0", 100, True, "6", sn80, (8081, 8083))
        nacl_rule(ec2, "NACL-SN-0", 100, False, "6", sn80, (1024, 65535))
        nacl_rule(ec2, "NACL-SN-0", 110, True, "1", sn80)
        nacl_rule(ec2, "NACL-SN-0", 110, False, "1", sn80)
        after = graded(capsys, "demo-net-n01", env)
        assert after["complete"], blockers(after)
