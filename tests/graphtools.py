"""Readable views of a rendered graph for assertions: routes and security-group rules with
ids resolved to the book's names."""

from __future__ import annotations

from labctl.kinds.shared import ROUTE_TARGETS
from labctl.offline.graph import Resource, StackGraph

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
INSTANCE = "aws:ec2/instance:Instance"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
IGW = "aws:ec2/internetGateway:InternetGateway"

TARGET_KINDS = {t.key: t.short for t in ROUTE_TARGETS}


def name_tag(resource: Resource) -> str:
    """The Name tag without the student prefix, if any ("s01-bastion" -> "bastion")."""
    tags = resource.inputs["tags"]
    return tags["Name"].removeprefix(f"{tags['cloudlabs:student']}-")


def named_by_id(graph: StackGraph, resource_id: str) -> str:
    return name_tag(graph.by_id(resource_id))


def routes(graph: StackGraph) -> set[tuple[str, str, str]]:
    """(route table Name, destination, target kind + target Name)."""
    result = set()
    for route in graph.of_type(ROUTE):
        table = named_by_id(graph, route.inputs["routeTableId"])
        destination = route.inputs.get("destinationCidrBlock") or route.inputs.get("destinationIpv6CidrBlock")
        (field,) = [f for f in TARGET_KINDS if f in route.inputs]
        result.add((table, destination, f"{TARGET_KINDS[field]}:{named_by_id(graph, route.inputs[field])}"))
    return result


def associations(graph: StackGraph) -> dict[str, str]:
    """subnet Name -> route table Name."""
    return {named_by_id(graph, a.inputs["subnetId"]): named_by_id(graph, a.inputs["routeTableId"])
            for a in graph.of_type(ASSOCIATION)}


def sg_rules(graph: StackGraph) -> set[tuple[str, str, str, int | None, int | None, str]]:
    """(group Name, in/out, protocol, from, to, peer) with peer a CIDR or "sg:<group Name>"."""
    result = set()
    for rule in graph.of_type(INGRESS) + graph.of_type(EGRESS):
        group = named_by_id(graph, rule.inputs["securityGroupId"])
        peer = rule.inputs.get("cidrIpv4") or rule.inputs.get("cidrIpv6")
        if peer is None:
            peer = "sg:" + named_by_id(graph, rule.inputs["referencedSecurityGroupId"])
        direction = "in" if rule.type == INGRESS else "out"
        result.add((group, direction, rule.inputs["ipProtocol"], rule.inputs.get("fromPort"), rule.inputs.get("toPort"), peer))
    return result


def instances(graph: StackGraph) -> dict[str, Resource]:
    return {name_tag(i): i for i in graph.of_type(INSTANCE)}


def subnets(graph: StackGraph) -> dict[str, Resource]:
    return {name_tag(s): s for s in graph.of_type(SUBNET)}

NACL = "aws:ec2/networkAcl:NetworkAcl"
NACL_RULE = "aws:ec2/networkAclRule:NetworkAclRule"
NACL_ASSOCIATION = "aws:ec2/networkAclAssociation:NetworkAclAssociation"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
PEERING_ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"


def nacl_entries(graph: StackGraph) -> set[tuple]:
    """(NACL Name, in/out, rule number, protocol, from, to, CIDR, action)."""
    result = set()
    for rule in graph.of_type(NACL_RULE):
        acl = named_by_id(graph, rule.inputs["networkAclId"])
        cidr = rule.inputs.get("cidrBlock") or rule.inputs.get("ipv6CidrBlock")
        result.add((acl, "out" if rule.inputs["egress"] else "in", rule.inputs["ruleNumber"], rule.inputs["protocol"],
                    rule.inputs.get("fromPort"), rule.inputs.get("toPort"), cidr, rule.inputs["ruleAction"]))
    return result


def nacl_associations(graph: StackGraph) -> dict[str, str]:
    """subnet Name -> NACL Name."""
    return {named_by_id(graph, a.inputs["subnetId"]): named_by_id(graph, a.inputs["networkAclId"])
            for a in graph.of_type(NACL_ASSOCIATION)}
