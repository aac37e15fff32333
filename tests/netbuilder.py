"""Hand-built graphs for the reachability tests: a few lines per network, no Pulumi involved."""

from __future__ import annotations

from typing import Any

from labctl.offline.graph import Resource, StackGraph

ADMIN = "203.0.113.0/24"


class Net:
    def __init__(self) -> None:
        self.resources: list[Resource] = []

    def add(self, type_: str, name: str, id_: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None) -> str:
        inputs = {**inputs, "tags": {"Name": f"t-{name}"}}
        self.resources.append(Resource(f"urn:pulumi:t::cloudlabs::{type_}::{name}", type_, name, None, True, id_, inputs,
                                       outputs or {}))
        return id_

    def urn(self, name: str) -> str:
        (r,) = [r for r in self.resources if r.name == name]
        return r.urn

    def vpc(self, name: str, cidr: str, ipv6: str | None = None) -> str:
        outputs = {"mainRouteTableId": f"rtb-main-{name}", "defaultNetworkAclId": f"acl-default-{name}",
                   "defaultSecurityGroupId": f"sg-default-{name}"}
        if ipv6:
            outputs["ipv6CidrBlock"] = ipv6
        return self.add("aws:ec2/vpc:Vpc", name, f"vpc-{name}", {"cidrBlock": cidr}, outputs)

    def subnet(self, name: str, vpc: str, cidr: str, ipv6: str | None = None) -> str:
        inputs = {"vpcId": vpc, "cidrBlock": cidr}
        if ipv6:
            inputs["ipv6CidrBlock"] = ipv6
        return self.add("aws:ec2/subnet:Subnet", name, f"subnet-{name}", inputs)

    def table(self, name: str, vpc: str, *subnets: str) -> str:
        rtb = self.add("aws:ec2/routeTable:RouteTable", name, f"rtb-{name}", {"vpcId": vpc})
        for subnet in subnets:
            self.add("aws:ec2/routeTableAssociation:RouteTableAssociation", f"{name}-{subnet}", f"rtbassoc-{name}-{subnet}",
                     {"routeTableId": rtb, "subnetId": subnet})
        return rtb

    def route(self, name: str, table: str, destination: str, **target: str) -> str:
        key = "destinationIpv6CidrBlock" if ":" in destination else "destinationCidrBlock"
        return self.add("aws:ec2/route:Route", name, f"r-{name}", {"routeTableId": table, key: destination, **target})

    def nacl(self, name: str, vpc: str, subnets: list[str], rules: list[tuple]) -> str:
        acl = self.add("aws:ec2/networkAcl:NetworkAcl", name, f"acl-{name}", {"vpcId": vpc})
        for number, egress, protocol, low, high, cidr, action in rules:
            inputs = {"networkAclId": acl, "ruleNumber": number, "egress": egress, "protocol": protocol,
                      "ruleAction": action, "cidrBlock": cidr}
            if low is not None:
                inputs.update(fromPort=low, toPort=high)
            self.add("aws:ec2/networkAclRule:NetworkAclRule", f"{name}-{'out' if egress else 'in'}-{number}",
                     f"nacl-{name}-{number}-{egress}", inputs)
        for subnet in subnets:
            self.add("aws:ec2/networkAclAssociation:NetworkAclAssociation", f"{name}-{subnet}", f"aclassoc-{name}-{subnet}",
                     {"networkAclId": acl, "subnetId": subnet})
        return acl

    def sg(self, name: str, vpc: str, rules: list[tuple]) -> str:
        """rules: (direction "in"/"out", protocol, from, to, peer CIDR or sg-id, description)."""
        gid = self.add("aws:ec2/securityGroup:SecurityGroup", name, f"sg-{name}", {"vpcId": vpc})
        for i, (direction, protocol, low, high, peer, description) in enumerate(rules):
            inputs = {"securityGroupId": gid, "ipProtocol": protocol, "description": description}
            if low is not None:
                inputs.update(fromPort=low, toPort=high)
            if peer.startswith("sg-"):
                inputs["referencedSecurityGroupId"] = peer
            else:
                inputs["cidrIpv6" if ":" in peer else "cidrIpv4"] = peer
            kind = "Ingress" if direction == "in" else "Egress"
            self.add(f"aws:vpc/securityGroup{kind}Rule:SecurityGroup{kind}Rule", f"{name}-{direction}-{i}",
                     f"sgr-{name}-{direction}-{i}", inputs)
        return gid

    def instance(self, name: str, subnet: str, private: str, groups: list[str], public: str | None = None,
                 ipv6: list[str] | None = None) -> str:
        return self.add("aws:ec2/instance:Instance", name, f"i-{name}",
                        {"subnetId": subnet, "vpcSecurityGroupIds": groups},
                        {"privateIp": private, "publicIp": public or "", "ipv6Addresses": ipv6 or []})

    def graph(self) -> StackGraph:
        return StackGraph("t", "cloudlabs", {"adminCidr": ADMIN, "labs": []}, {}, list(self.resources))


def web_vpc(public_ip: str | None = "198.51.100.10") -> Net:
    """One VPC, one subnet routed to an internet gateway, a web server open on 22 (admin) and 80."""
    n = Net()
    vpc = n.vpc("VPC", "10.1.0.0/16")
    sn = n.subnet("SN-0", vpc, "10.1.0.0/20")
    igw = n.add("aws:ec2/internetGateway:InternetGateway", "IGW", "igw-1", {"vpcId": vpc})
    rtb = n.table("RT-Public", vpc, sn)
    n.route("default", rtb, "0.0.0.0/0", gatewayId=igw)
    web = n.sg("web-SG", vpc, [("in", "tcp", 22, 22, ADMIN, "SSH from admin"), ("in", "tcp", 80, 80, "0.0.0.0/0", "HTTP"),
                               ("out", "-1", None, None, "0.0.0.0/0", "all out")])
    n.instance("web", sn, "10.1.0.10", [web], public=public_ip)
    return n
