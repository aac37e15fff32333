"""Security groups written as readable rule data.

    web_rules = [
        inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
        inbound(HTTP, ANYWHERE, "HTTP from anywhere"),
        outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (package installs)"),
    ]

Each rule becomes its own ``aws.vpc.SecurityGroupIngressRule``/``EgressRule`` (the provider's
recommended form: rules are diffable one by one and may reference other groups without cycles).
AWS's implicit allow-all egress is not kept: outbound is only what the rules say.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any, Literal, Sequence, Union

import pulumi
import pulumi_aws as aws

from cloudlabs.exposure import ADMIN_PORTS, EXCEPTION_TAG, OPEN_ADMIN_CIDR, describe, is_wide_open

from .context import LabContext

Protocol = Literal["tcp", "udp", "icmp", "icmpv6", "-1"]


@dataclass(frozen=True)
class Ports:
    protocol: Protocol
    low: int | None = None  # for ICMP: the type (-1 all)
    high: int | None = None  # for ICMP: the code (-1 all)
    label: str = ""

    def __str__(self) -> str:
        if self.label:
            return self.label
        if self.protocol == "-1":
            return "all traffic"
        return f"{self.protocol} {self.low}" if self.low == self.high else f"{self.protocol} {self.low}-{self.high}"


def tcp(low: int, high: int | None = None, label: str = "") -> Ports:
    return Ports("tcp", low, low if high is None else high, label)


SSH = tcp(22, label="SSH (22)")
HTTP = tcp(80, label="HTTP (80)")
HTTPS = tcp(443, label="HTTPS (443)")
RDP = tcp(3389, label="RDP (3389)")
ICMP_ALL = Ports("icmp", -1, -1, "ICMP (all)")
ALL_TRAFFIC = Ports("-1", label="all traffic")

ANYWHERE = ip_network("0.0.0.0/0")
ANYWHERE_V6 = ip_network("::/0")

@dataclass(frozen=True)
class AssignedIpv6Block:
    """An IPv6 block AWS assigns at deploy time (a VPC's Amazon-provided /56), as a rule's peer;
    a bare Output would be taken for a security group's id."""

    block: pulumi.Output[str]


# A peer is a CIDR, an assigned IPv6 block, or another security group's id (an Output while the
# graph is being built).
Peer = Union[IPv4Network, IPv6Network, AssignedIpv6Block, pulumi.Output, str]


@dataclass(frozen=True)
class Rule:
    direction: Literal["inbound", "outbound"]
    ports: Ports
    peer: Peer
    description: str
    name: str = ""  # logical-name suffix; derived from the description when empty

    @property
    def key(self) -> str:
        if self.name:
            return self.name
        return "-".join("".join(c if c.isalnum() else " " for c in self.description.lower()).split())


def inbound(ports: Ports, peer: Peer, description: str, name: str = "") -> Rule:
    return Rule("inbound", ports, peer, description, name)


def outbound(ports: Ports, peer: Peer, description: str, name: str = "") -> Rule:
    return Rule("outbound", ports, peer, description, name)


def opens_admin_port_to_world(rule: Rule) -> bool:
    """SSH, RDP or all traffic in from a range that is a large part of the internet (not only
    0.0.0.0/0: 0.0.0.0/1 or 1.0.0.0/8 is the same mistake)."""
    if rule.direction != "inbound" or not isinstance(rule.peer, (IPv4Network, IPv6Network)):
        return False
    if not is_wide_open(rule.peer):
        return False
    if rule.ports.protocol == "-1":
        return True
    low, high = rule.ports.low, rule.ports.high
    return rule.ports.protocol == "tcp" and low is not None and high is not None and any(low <= p <= high for p in ADMIN_PORTS)


@dataclass
class LabSecurityGroupArgs:
    vpc_id: pulumi.Input[str]
    description: str
    rules: Sequence[Rule]
    context: LabContext
    group_name: str  # the book's name, e.g. "bastion-SG"


class LabSecurityGroup(pulumi.ComponentResource):
    """A security group and one rule resource per Rule.

    Refuses SSH/RDP (or all traffic) from a wide internet range (0.0.0.0/0, ::/0, 0.0.0.0/1, ...:
    ``cloudlabs.exposure``) unless the stack's settings allow a world-open admin CIDR: a lab that
    opens an admin port to the internet must say so there.
    """

    def __init__(self, name: str, args: LabSecurityGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:security:LabSecurityGroup", name, None, opts)
        ctx = args.context
        self._name, self._context, self._group_name = name, ctx, args.group_name
        keys = [r.key for r in args.rules]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            raise ValueError(f"security group {args.group_name}: rules share a name: {', '.join(duplicates)}")
        for rule in args.rules:
            self._guard(rule)

        self.group = aws.ec2.SecurityGroup(
            name,
            vpc_id=args.vpc_id,
            name_prefix=f"{ctx.student}-{args.group_name}-",
            description=args.description,
            revoke_rules_on_delete=True,  # lets groups that reference each other be destroyed
            tags=ctx.tags(args.group_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.id = self.group.id
        self.rules: dict[str, pulumi.CustomResource] = {}
        for rule in args.rules:
            self.add_rule(rule)
        self.register_outputs({"security_group_id": self.id})

    def _guard(self, rule: Rule) -> None:
        if opens_admin_port_to_world(rule) and not self._context.allow_open_admin_cidr:
            raise ValueError(
                f"security group {self._group_name}: rule {rule.description!r} opens {rule.ports} to "
                f"{rule.peer} ({describe(rule.peer)}); set cloudlabs:allowOpenAdminCidr: true if that is really wanted")  # type: ignore[arg-type]

    def add_rule(self, rule: Rule) -> pulumi.CustomResource:
        """A rule of this group, through the same guard; also for rules added after another group
        exists (two groups that refer to each other)."""
        self._guard(rule)
        if rule.key in self.rules:
            raise ValueError(f"security group {self._group_name}: rules share a name: {rule.key}")
        direction = "in" if rule.direction == "inbound" else "out"
        resource = self._rule_resource(f"{self._name}-{direction}-{rule.key}", rule, self._context, self._group_name)
        self.rules[rule.key] = resource
        return resource

    def _rule_resource(self, name: str, rule: Rule, ctx: LabContext, group_name: str) -> pulumi.CustomResource:
        peer: dict[str, Any] = {}
        if isinstance(rule.peer, IPv4Network):
            peer["cidr_ipv4"] = str(rule.peer)
        elif isinstance(rule.peer, IPv6Network):
            peer["cidr_ipv6"] = str(rule.peer)
        elif isinstance(rule.peer, AssignedIpv6Block):
            peer["cidr_ipv6"] = rule.peer.block
        else:
            peer["referenced_security_group_id"] = rule.peer
        ports: dict[str, Any] = {}
        if rule.ports.protocol != "-1":
            ports = {"from_port": rule.ports.low, "to_port": rule.ports.high}
        resource = aws.vpc.SecurityGroupIngressRule if rule.direction == "inbound" else aws.vpc.SecurityGroupEgressRule
        return resource(
            name,
            security_group_id=self.group.id,
            ip_protocol=rule.ports.protocol,
            description=rule.description,
            # the guard let it through: the stack's settings open admin ports wide on purpose
            tags={**ctx.tags(f"{group_name}/{rule.key}"),
                  **({EXCEPTION_TAG: OPEN_ADMIN_CIDR} if opens_admin_port_to_world(rule) else {})},
            opts=pulumi.ResourceOptions(parent=self),
            **ports,
            **peer,
        )
