"""The reachability evaluator on hand-built graphs: one mechanism per test, exact verdicts and words."""

from __future__ import annotations

import pytest

from labctl.analysis.reach import evaluate, without

from .netbuilder import ADMIN, Net, web_vpc


def test_internet_to_a_public_web_server_hop_by_hop():
    g = web_vpc().graph()
    v = evaluate(g, "internet", "web", "tcp", 80)
    assert v.allowed and v.reason is None
    assert v.hops == [
        "the internet (198.18.7.7)", "public IP 198.51.100.10", "NACL VPC default NACL inbound the request: rule 100",
        "security group web-SG inbound: HTTP", "web (10.1.0.10)", "NACL VPC default NACL outbound the reply: rule 100",
        "route table RT-Public: 0.0.0.0/0 via igw-1", "reply through internet gateway igw-1 to the internet",
    ]


def test_security_group_inbound_on_the_destination():
    g = web_vpc().graph()
    assert evaluate(g, "admin", "web", "tcp", 22).allowed
    v = evaluate(g, "internet", "web", "tcp", 22)
    assert not v.allowed
    assert v.reason == "security group web-SG of web has no inbound rule for tcp 22 from the internet"


def test_no_public_ip_means_no_way_in_from_the_internet():
    v = evaluate(web_vpc(public_ip=None).graph(), "internet", "web", "tcp", 80)
    assert v.reason == ("web has no public IPv4 address: the internet can reach it only through a public IP in a "
                        "subnet routed to an internet gateway")


def test_internet_gateway_route_is_needed_for_the_reply():
    n = web_vpc()
    g = without(n.graph(), [n.urn("default")])
    v = evaluate(g, "internet", "web", "tcp", 80)
    assert v.reason == "route table RT-Public (rtb-RT-Public) has no route back to the internet (0.0.0.0/0)"


def nacl_net(rules: list[tuple]) -> Net:
    n = web_vpc()
    n.nacl("NACL-SN-0", "vpc-VPC", ["subnet-SN-0"], rules)
    return n


def test_new_nacl_denies_everything():
    v = evaluate(nacl_net([]).graph(), "admin", "web", "tcp", 22)
    assert v.reason == "the NACL NACL-SN-0 of subnet SN-0 has no inbound rule for the request (tcp 22 from 203.0.113.1)"


def test_nacl_is_stateless_the_reply_needs_the_ephemeral_ports():
    inbound_only = nacl_net([(10, False, "tcp", 22, 22, ADMIN, "allow")])
    v = evaluate(inbound_only.graph(), "admin", "web", "tcp", 22)
    assert v.reason == ("the NACL NACL-SN-0 of subnet SN-0 has no outbound rule for the reply on ports 1024-65535 "
                        "(tcp 1024-65535 to 203.0.113.1)")
    wrong_port = nacl_net([(10, False, "tcp", 22, 22, ADMIN, "allow"), (10, True, "tcp", 22, 22, "0.0.0.0/0", "allow")])
    v = evaluate(wrong_port.graph(), "admin", "web", "tcp", 22)  # the book's mistake: replying "to port 22"
    assert "has no outbound rule for the reply on ports 1024-65535" in v.reason
    partial = nacl_net([(10, False, "tcp", 22, 22, ADMIN, "allow"), (10, True, "tcp", 32768, 65535, "0.0.0.0/0", "allow")])
    v = evaluate(partial.graph(), "admin", "web", "tcp", 22)
    assert "on ports 1024-32767" in v.reason
    fixed = nacl_net([(10, False, "tcp", 22, 22, ADMIN, "allow"), (10, True, "tcp", 1024, 65535, "0.0.0.0/0", "allow")])
    v = evaluate(fixed.graph(), "admin", "web", "tcp", 22)
    assert v.allowed and sorted(v.relied) == sorted([fixed.urn("NACL-SN-0-in-10"), fixed.urn("NACL-SN-0-out-10"),
                                                     fixed.urn("web-SG-in-0"), fixed.urn("default")])


def test_nacl_rules_are_evaluated_in_number_order():
    deny_first = nacl_net([(5, False, "tcp", 22, 22, "203.0.113.0/28", "deny"), (10, False, "-1", None, None, "0.0.0.0/0", "allow"),
                           (10, True, "-1", None, None, "0.0.0.0/0", "allow")])
    v = evaluate(deny_first.graph(), "admin", "web", "tcp", 22)
    assert v.reason == "the NACL NACL-SN-0 of subnet SN-0 denies inbound the request (tcp 22) from 203.0.113.1 with rule 5"
    allow_first = nacl_net([(10, False, "-1", None, None, "0.0.0.0/0", "allow"), (20, False, "tcp", 22, 22, ADMIN, "deny"),
                            (10, True, "-1", None, None, "0.0.0.0/0", "allow")])
    assert evaluate(allow_first.graph(), "admin", "web", "tcp", 22).allowed


def test_a_deny_rule_inside_the_reply_range_blocks_the_reply():
    n = nacl_net([(10, False, "tcp", 80, 80, "0.0.0.0/0", "allow"), (5, True, "tcp", 40000, 40010, "0.0.0.0/0", "deny"),
                  (10, True, "tcp", 1024, 65535, "0.0.0.0/0", "allow")])
    v = evaluate(n.graph(), "internet", "web", "tcp", 80)
    assert v.reason == "the NACL NACL-SN-0 of subnet SN-0 denies outbound the reply (tcp 40000-40010) to 198.18.7.7 with rule 5"


def two_hosts(**kw) -> Net:
    """VPC with public SN-1 (bastion) and private SN-2 (app), private routes via a NAT gateway."""
    n = Net()
    vpc = n.vpc("VPC", "10.2.0.0/16", ipv6=kw.get("ipv6"))
    public = n.subnet("SN-1", vpc, "10.2.1.0/24")
    private = n.subnet("SN-2", vpc, "10.2.2.0/24", ipv6=kw.get("private_v6"))
    igw = n.add("aws:ec2/internetGateway:InternetGateway", "IGW", "igw-2", {"vpcId": vpc})
    pub_rt = n.table("RT-Public", vpc, public)
    n.route("public-default", pub_rt, "0.0.0.0/0", gatewayId=igw)
    priv_rt = n.table("RT-Private", vpc, private)
    n.add("aws:ec2/natGateway:NatGateway", "NAT", "nat-1", {"subnetId": public}, {"privateIp": "10.2.1.5", "publicIp": "192.0.2.9"})
    if kw.get("nat_route", True):
        n.route("private-default", priv_rt, "0.0.0.0/0", natGatewayId="nat-1")
    if kw.get("eigw"):
        n.add("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "EIGW", "eigw-1", {"vpcId": vpc})
        n.route("private-default-v6", priv_rt, "::/0", egressOnlyGatewayId="eigw-1")
    bastion = n.sg("bastion-SG", vpc, [("in", "tcp", 22, 22, ADMIN, "SSH from admin"), ("out", "-1", None, None, "0.0.0.0/0", "all out")])
    app_rules = [("in", "tcp", 80, 80, bastion, "HTTP from the bastion group"), ("out", "-1", None, None, "0.0.0.0/0", "all out")]
    if kw.get("v6_out"):
        app_rules.append(("out", "-1", None, None, "::/0", "all out v6"))
    app = n.sg("app-SG", vpc, app_rules)
    n.instance("bastion", public, "10.2.1.10", [bastion], public="198.51.100.20")
    n.instance("app", private, "10.2.2.10", [app], ipv6=kw.get("app_v6"))
    n.sg("other-SG", vpc, [("out", "-1", None, None, "0.0.0.0/0", "all out")])
    n.instance("other", public, "10.2.1.11", ["sg-other-SG"], public="198.51.100.21")
    return n


def test_security_group_references_admit_members_only():
    g = two_hosts().graph()
    assert evaluate(g, "bastion", "app", "tcp", 80).allowed
    v = evaluate(g, "other", "app", "tcp", 80)
    assert v.reason == "security group app-SG of app has no inbound rule for tcp 80 from other"


def test_security_groups_are_stateful_replies_need_no_rule():
    n = web_vpc()
    n.sg("icmp-out-only", "vpc-VPC", [("in", "tcp", 80, 80, "0.0.0.0/0", "HTTP"), ("out", "icmp", -1, -1, "0.0.0.0/0", "ICMP out")])
    n.instance("sg01", "subnet-SN-0", "10.1.0.11", ["sg-icmp-out-only"], public="198.51.100.11")
    g = n.graph()
    assert evaluate(g, "internet", "sg01", "tcp", 80).allowed  # the reply leaves although only ICMP may go out
    v = evaluate(g, "sg01", "internet", "tcp", 443)
    assert v.reason == "security group icmp-out-only of sg01 has no outbound rule for tcp 443 to the internet"
    assert evaluate(g, "sg01", "internet", "icmp", None).allowed


def test_nat_gateway_for_private_sources_going_out():
    n = two_hosts()
    v = evaluate(n.graph(), "app", "internet", "tcp", 443)
    assert v.allowed
    assert "NAT gateway NAT (10.2.1.5 -> 192.0.2.9)" in v.hops and "route table RT-Public: 0.0.0.0/0 via igw-2" in v.hops
    assert n.urn("private-default") in v.relied and n.urn("public-default") in v.relied
    v = evaluate(two_hosts(nat_route=False).graph(), "app", "internet", "tcp", 443)
    assert v.reason == "route table RT-Private (rtb-RT-Private) has no route to the internet (0.0.0.0/0)"


def test_a_nat_gateway_does_not_let_the_internet_in():
    v = evaluate(two_hosts().graph(), "internet", "app", "tcp", 80)
    assert not v.allowed and "app has no public IPv4 address" in v.reason


def test_a_private_host_routed_to_the_internet_gateway_has_no_way_back():
    n = two_hosts(nat_route=False)
    n.route("wrong", "rtb-RT-Private", "0.0.0.0/0", gatewayId="igw-2")
    v = evaluate(n.graph(), "app", "internet", "tcp", 443)
    assert v.reason == ("app has no public IPv4 address, so replies from the internet cannot find it; "
                        "a private host needs a NAT gateway route instead")


def test_longest_prefix_wins():
    n = two_hosts()
    n.route("blackhole", "rtb-RT-Private", "198.18.0.0/15", natGatewayId="nat-missing")
    v = evaluate(n.graph(), "app", "internet", "tcp", 443)
    assert v.reason == "route table RT-Private points to NAT gateway nat-missing, which is not in the stack"


def test_ipv6_leaves_through_an_egress_only_gateway_and_cannot_come_in():
    kw = dict(ipv6="2001:db8:0:100::/56", private_v6="2001:db8:0:102::/64", app_v6=["2001:db8:0:102::10"], v6_out=True)
    g = two_hosts(eigw=True, **kw).graph()
    v = evaluate(g, "app", "internet6", "tcp", 443)
    assert v.allowed and "egress-only internet gateway eigw-1" in v.hops
    v = evaluate(two_hosts(**kw).graph(), "app", "internet6", "tcp", 443)
    assert v.reason == "route table RT-Private (rtb-RT-Private) has no route to the internet (::/0)"
    v = evaluate(g, "internet6", "app", "tcp", 80)
    assert v.reason == "security group app-SG of app has no inbound rule for tcp 80 from the internet (IPv6)"
    v = evaluate(g, "bastion", "internet6", "tcp", 443)
    assert v.reason == "bastion has no IPv6 address"


def peered(routes_a: bool = True, routes_b: bool = True, accepted: bool = True) -> Net:
    n = Net()
    a, b = n.vpc("VPC-A", "10.3.0.0/17"), n.vpc("VPC-B", "10.3.128.0/17")
    sa, sb = n.subnet("SN-A", a, "10.3.0.0/20"), n.subnet("SN-B", b, "10.3.128.0/20")
    rta, rtb = n.table("RT-A", a, sa), n.table("RT-B", b, sb)
    n.add("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "pcx", "pcx-1", {"vpcId": b, "peerVpcId": a, "autoAccept": False})
    if accepted:
        n.add("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "pcx-accept", "pcx-1",
              {"vpcPeeringConnectionId": "pcx-1", "autoAccept": True})
    if routes_a:
        n.route("a-to-b", rta, "10.3.128.0/17", vpcPeeringConnectionId="pcx-1")
    if routes_b:
        n.route("b-to-a", rtb, "10.3.0.0/17", vpcPeeringConnectionId="pcx-1")
    ga = n.sg("A-SG", a, [("out", "-1", None, None, "0.0.0.0/0", "all out")])
    gb = n.sg("B-SG", b, [("in", "tcp", 80, 80, "10.3.0.0/17", "HTTP from the peer"), ("out", "-1", None, None, "0.0.0.0/0", "all out")])
    n.instance("vm-a", sa, "10.3.0.10", [ga])
    n.instance("vm-b", sb, "10.3.128.10", [gb])
    return n


def test_peering_with_routes_on_both_sides():
    n = peered()
    v = evaluate(n.graph(), "vm-a", "vm-b", "tcp", 80)
    assert v.allowed and "route table RT-A: 10.3.128.0/17 via pcx-1" in v.hops and "route table RT-B: 10.3.0.0/17 via pcx-1" in v.hops
    assert {n.urn("a-to-b"), n.urn("b-to-a")} <= set(v.relied)


def test_peering_without_the_forward_route():
    v = evaluate(peered(routes_a=False).graph(), "vm-a", "vm-b", "tcp", 80)
    assert v.reason == "route table RT-A (rtb-RT-A) has no route to 10.3.128.0/17"
    n = peered(routes_a=False)
    n.add("aws:ec2/internetGateway:InternetGateway", "IGW-A", "igw-a", {"vpcId": "vpc-VPC-A"})
    n.route("a-default", "rtb-RT-A", "0.0.0.0/0", gatewayId="igw-a")  # the default route swallows the peer's range
    v = evaluate(n.graph(), "vm-a", "vm-b", "tcp", 80)
    assert v.reason == ("vm-a and vm-b are in different VPCs: route table RT-A has no route to 10.3.128.0/17 "
                        "through a peering connection")


def test_peering_without_the_return_route():
    v = evaluate(peered(routes_b=False).graph(), "vm-a", "vm-b", "tcp", 80)
    assert v.reason == "route table RT-B (rtb-RT-B) has no route back to 10.3.0.0/17"


def test_peering_that_was_never_accepted():
    v = evaluate(peered(accepted=False).graph(), "vm-a", "vm-b", "tcp", 80)
    assert v.reason == "peering connection pcx-1 has not been accepted"


def test_a_subnet_as_an_endpoint_and_same_subnet_traffic_skips_the_nacl():
    n = nacl_net([])  # deny everything at the subnet edge
    n.instance("peer", "subnet-SN-0", "10.1.0.20", ["sg-web-SG"])
    g = n.graph()
    assert evaluate(g, "peer", "web", "tcp", 80).allowed  # same subnet: NACLs are not crossed
    v = evaluate(g, "subnet:SN-0", "internet", "tcp", 443)
    assert v.reason == "the NACL NACL-SN-0 of subnet SN-0 has no outbound rule for the request (tcp 443 to 198.18.7.7)"


def test_a_given_internet_range_as_source():
    g = web_vpc().graph()
    assert evaluate(g, "cidr:203.0.113.128/25", "web", "tcp", 22).allowed  # inside the admin CIDR
    v = evaluate(g, "cidr:198.51.100.0/24", "web", "tcp", 22)
    assert v.reason == "security group web-SG of web has no inbound rule for tcp 22 from the internet range 198.51.100.0/24"
    assert evaluate(g, "cidr:198.51.100.0/24", "web", "tcp", 80).allowed
    v = evaluate(g, "cidr:2001:db8:aa::/48", "web", "tcp", 80)
    assert v.reason == "web has no IPv6 address"
    import pytest
    with pytest.raises(KeyError, match="is not an internet range"):
        evaluate(g, "cidr:campus", "web", "tcp", 80)


@pytest.mark.parametrize("tag,student,tagged_student,expected", [
    ("s01-VPC-A-RT-Public", None, "s01", "VPC-A-RT-Public"),  # rendered: the student tag says which prefix
    ("VPC-A-RT-Public", None, "s01", "VPC-A-RT-Public"),      # rendered without the prefix (nameTagPrefix off)
    ("web-ALB", "s01", None, "web-ALB"),                      # made by hand, read live: the stack's student
    ("s01-web-ALB", "s01", None, "web-ALB"),
    ("ab-12-web-ALB", "ab-12", None, "web-ALB"),              # a student id with a hyphen
    ("s01-web-ALB", None, None, "web-ALB"),                   # nothing known: the part after the first hyphen
])
def test_book_names_of_tagged_and_hand_made_resources(tag, student, tagged_student, expected):
    """A student's own ALB named "web-ALB" (the book's name) is found as web-ALB by grade and drift:
    untagged resources read live take the stack's student, never the first hyphen's cut."""
    from labctl.analysis.reach import name_of
    from labctl.offline.graph import Resource
    tags = {"Name": tag, **({"cloudlabs:student": tagged_student} if tagged_student else {})}
    resource = Resource("urn:pulumi:x::y::aws:lb/loadBalancer:LoadBalancer::arn", "aws:lb/loadBalancer:LoadBalancer",
                        "arn", None, True, "arn", {"tags": tags})
    assert name_of(resource, student) == expected
