"""dual-stack (chapter 6): IPv6 next to IPv4 in the student's default-like VPC."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any, Mapping

from pydantic import Field, ValidationInfo, field_validator

from ..addressing import SubnetPlan, VpcPlan, carve, default_like
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, INTERNET6, Expect, allow, deny
from ..probes import PageContains, ProbeSpec

# The coursework of chapter 6 (SN-A..SN-F), in addresses per subnet.
COURSEWORK_SUBNETS = {"SN-A": 2048, "SN-B": 2048, "SN-C": 4096, "SN-D": 8192, "SN-E": 8192, "SN-F": 16384}
PRIVATE_SUBNETS = {"SN-B"}


class DualStackOptions(LabOptions):
    coursework: bool = Field(False, description="true or false: also carve the coursework subnets SN-A..SN-F")
    nat_gateway: bool = Field(True, description="true or false: with coursework, false gives private SN-B an "
                                                "IPv6-only way out (egress-only gateway) instead of a NAT gateway")

    @field_validator("nat_gateway")
    @classmethod
    def _only_with_coursework(cls, value: bool, info: ValidationInfo) -> bool:
        # read only for the coursework's SN-B: without it, natGateway: false would change nothing
        if info.data.get("coursework") is False and value != cls.model_fields["nat_gateway"].default:
            raise ValueError("natGateway is only read with coursework: true (SN-B's way out)")
        return value


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    """Default-like with IPv6, and the coursework subnets carved from the free space (the
    component leaves them out unless the coursework option is on)."""
    base = default_like(block, ipv6=True)
    carved = carve(block, [s.cidr for s in base], COURSEWORK_SUBNETS)
    coursework = [
        SubnetPlan(name, carved[name], "private" if name in PRIVATE_SUBNETS else "public", az=i,
                   ipv6_index=len(base) + i)
        for i, name in enumerate(COURSEWORK_SUBNETS)
    ]
    return (VpcPlan("VPC", block, tuple(base + coursework), ipv6=True),)


def expected_paths(stage: str, options: DualStackOptions) -> list[Expect]:
    v6 = allow if stage == "solution" else deny
    paths = [
        allow(INTERNET, "VM-DS", 80, "browse the server over IPv4"),
        v6(INTERNET6, "VM-DS", 80, "browse http://[<IPv6 address>]/ (needs ::/0 to the internet gateway)"),
        allow(ADMIN, "VM-DS", 22, "ssh into the server from the admin CIDR"),
        v6("VM-DS", INTERNET6, 443, "the server reaches IPv6 sites"),
    ]
    if options.coursework:
        nat = stage == "solution" and options.nat_gateway
        paths += [
            (allow if nat else deny)("subnet:SN-B", INTERNET, 443, "SN-B is private: its way out over IPv4 is the NAT gateway"),
            v6("subnet:SN-B", INTERNET6, 443, "SN-B's way out over IPv6 is the egress-only gateway"),
            deny(INTERNET6, "subnet:SN-B", 80, "nothing on the internet can open a connection into SN-B"),
        ]
    return paths


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    return [PageContains("VM-DS page (IPv4)", "browse the server over IPv4 (chapter 6)", out["url"], ("Hello from",))]


LAB = LabDefinition(
    key="dual-stack",
    chapter=6,
    section="6",
    title="IPv6 next to IPv4: a dual-stack VPC",
    book=BookRef(6, "Virtual Private Cloud", section="VPC Route Table",
                 heading="Creation of subnets in the default VPC.",
                 through="Chapter 6 Coursework",
                 quote="Each subnet will have 2048 IPv4 addresses.",
                 lines=(4830, 5232)),
    summary=(
        "A default-like VPC with an Amazon-provided IPv6 /56, a numbered /64 and auto-assigned IPv6 in every subnet "
        "(SN-0 has \"00\"), a web server answering on IPv4 and IPv6; option `coursework`: SN-A..SN-F (2048-16384 "
        "addresses, each in its own AZ, SN-B private)"
    ),
    stages={
        "starter": "IPv6 block and /64s, but no ::/0 route (the book adds it by hand): IPv6 does not reach the server; "
                   "coursework SN-B has no way out",
        "solution": "::/0 to the internet gateway; SN-B gets a NAT gateway route and an egress-only gateway for IPv6",
    },
    options=DualStackOptions,
    layout=layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_variants={"with `coursework`": {"coursework": True},
                   "with `coursework` and `natGateway: false`": {"coursework": True, "natGateway": False}},
    outputs=(
        Output("vpcId", "id", "the VPC"),
        Output("vpcCidr", "address", "the VPC's IPv4 block"),
        Output("vpcIpv6Cidr", "address", "the VPC's Amazon-provided IPv6 /56"),
        Output("subnets", "mapping", "per subnet: IPv4 block, tier, IPv6 /64, size"),
        Output("publicIp", "address", "the server's public IPv4 address"),
        Output("ipv6", "address", "the server's IPv6 address"),
        Output("url", "url", "the page over IPv4"),
        Output("urlV6", "url", "the page over IPv6"),
        Output("ssh", "command", "ssh into the server"),
    ),
)
