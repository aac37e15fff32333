"""Network ACLs written as readable, numbered rule data.

    rules = [
        NaclRule(10, "inbound", tcp(22), admin_cidr, "allow"),
        NaclRule(10, "outbound", tcp(1024, 65535), ANYWHERE, "allow"),
    ]

A new NACL denies everything (AWS's implicit rule *), so an empty list is the book's starting
point. NACLs are stateless: every reply needs its own rule in the other direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network
from typing import Any, Literal, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from .context import LabContext
from .security import Ports

EPHEMERAL = (1024, 65535)


@dataclass(frozen=True)
class NaclRule:
    number: int
    direction: Literal["inbound", "outbound"]
    ports: Ports
    cidr: IPv4Network | IPv6Network
    action: Literal["allow", "deny"] = "allow"

    @property
    def key(self) -> str:
        return f"{'in' if self.direction == 'inbound' else 'out'}-{self.number}"


@dataclass
class LabNetworkAclArgs:
    vpc_id: pulumi.Input[str]
    subnet_ids: Mapping[str, pulumi.Input[str]]  # book name -> subnet id
    rules: Sequence[NaclRule]
    context: LabContext
    acl_name: str  # the book's name, e.g. "NACL-SN-0"


class LabNetworkAcl(pulumi.ComponentResource):
    """A network ACL, one NetworkAclRule per rule, associated with the given subnets (which
    leave the VPC's default NACL)."""

    def __init__(self, name: str, args: LabNetworkAclArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:network:LabNetworkAcl", name, None, opts)
        keys = [r.key for r in args.rules]
        if len(keys) != len(set(keys)):
            raise ValueError(f"{args.acl_name}: two rules share a number in one direction")
        child = pulumi.ResourceOptions(parent=self)
        self.acl = aws.ec2.NetworkAcl(name, vpc_id=args.vpc_id, tags=args.context.tags(args.acl_name), opts=child)
        for rule in args.rules:
            ports: dict[str, Any] = {}
            if rule.ports.protocol != "-1":
                ports = {"from_port": rule.ports.low, "to_port": rule.ports.high}
                if rule.ports.protocol in ("icmp", "icmpv6"):
                    ports = {"icmp_type": rule.ports.low, "icmp_code": rule.ports.high}
            cidr = {"ipv6_cidr_block": str(rule.cidr)} if isinstance(rule.cidr, IPv6Network) else {"cidr_block": str(rule.cidr)}
            aws.ec2.NetworkAclRule(
                f"{name}-{rule.key}",
                network_acl_id=self.acl.id,
                rule_number=rule.number,
                egress=rule.direction == "outbound",
                protocol=rule.ports.protocol,
                rule_action=rule.action,
                opts=child,
                **ports,
                **cidr,
            )
        for subnet_name, subnet_id in args.subnet_ids.items():
            aws.ec2.NetworkAclAssociation(f"{name}-{subnet_name.lower()}", network_acl_id=self.acl.id,
                                          subnet_id=subnet_id, opts=child)
        self.id = self.acl.id
        self.register_outputs({"network_acl_id": self.acl.id})
