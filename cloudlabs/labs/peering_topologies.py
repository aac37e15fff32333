"""peering-topologies (chapter 7 coursework, book ch. 7, “Construction of VPCs with private subnet with NAT gateways” › “Construction of two VPCs with full mesh VPC peering” to “Construction of three VPCs with VPC Peering to the default VPC”): the chapter's two peering topologies
beyond blue/green, option `topology`.

- `full-mesh` (book ch. 7, “Construction of VPCs with private subnet with NAT gateways” › “Construction of two VPCs with full mesh VPC peering”): the "default VPC" with a bastion and a NAT gateway in its public
  subnet and the web server web-dev in a new private subnet; VPC-A and VPC-B with IPv6 in their
  public subnets and the web servers web-A and web-B; three peerings (default-A, default-B,
  A-B). web-A and web-B curl web-dev over IPv4 and reach each other and the IPv6 internet over
  IPv6.
- `provider` (book ch. 7, “Construction of two VPCs with full mesh VPC peering” › “Construction of three VPCs with VPC Peering to the default VPC”): the default VPC as a service provider with VM1-provider; VPC-A..C as
  receivers, each with VM1 in a private subnet and VM2 in a public one; a peering from each to
  the provider. The VM1s reach VM1-provider, the VM2s reach the internet and their own VM1 but
  not the provider: the receivers' public route tables have no route to it, and the provider's
  group admits the private subnets only.

The chapter's first two practice topologies (web-01..web-03, with and without NAT gateways,
book ch. 7, “Create VPC peering between VPC-A and VPC-B” › “Practice Construction of VPCs” to “Construction of two VPCs with full mesh VPC peering”) are only in the book's diagrams; `vpc-nat` teaches the same pattern.
"""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field

from ..addressing import SubnetPlan, VpcPlan, at
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, INTERNET6, Expect, allow, deny, ping

Topology = Literal["full-mesh", "provider"]
RECEIVERS = ("A", "B", "C")  # the provider topology's service receivers
MESH = ("A", "B")  # full-mesh's VPCs next to the default VPC, IPv6 in their public subnets
PROVIDER_HOST = "VM1-provider"


class PeeringTopologiesOptions(LabOptions):
    topology: Topology = Field(
        "full-mesh",
        description="full-mesh (the default VPC, VPC-A and VPC-B peered with each other, IPv6 between web-A and "
                    "web-B, book ch. 7, Construction of two VPCs with full mesh VPC peering) or provider (VPC-A..C each peered with the default VPC's VM1-provider, book ch. 7, Construction of three VPCs with VPC Peering to the default VPC)",
    )


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    """Four /18s: the default VPC's stand-in and VPC-A..C, each a public and a private /20 (the
    book's subnet-public is 172.31.0.0/20). full-mesh builds the default VPC, VPC-A and VPC-B
    (their public subnets, with IPv6); provider all four, without IPv6."""
    default = VpcPlan("default-VPC", at(block, 0, 18), (
        SubnetPlan("subnet-public", at(block, 0, 20), "public", az=0),
        SubnetPlan("subnet-private", at(block, 16, 20), "private", az=1),
    ))
    receivers = tuple(
        VpcPlan(f"VPC-{v}", at(block, 64 * (i + 1), 18), (
            SubnetPlan(f"SN-{v}-public", at(block, 64 * (i + 1), 20), "public", az=i, ipv6_index=0 if v in MESH else None),
            SubnetPlan(f"SN-{v}-private", at(block, 64 * (i + 1) + 16, 20), "private", az=i + 1),
        ), ipv6=v in MESH)
        for i, v in enumerate(RECEIVERS))
    return (default, *receivers)


def expected_paths(stage: str, options: PeeringTopologiesOptions) -> list[Expect]:
    peered = stage == "solution"
    if options.topology == "full-mesh":
        return [
            allow(ADMIN, "bastion", 22, "the account user SSHes into the bastion"),
            allow("bastion", "web-dev", 22, "from the bastion, SSH into web-dev"),
            allow("web-dev", INTERNET, 443, "web-dev reaches the exterior through the NAT gateway"),
            deny(INTERNET, "web-dev", 80, "web-dev is private"),
            (allow if peered else deny)("web-A", "web-dev", 80, "web-A curls web-dev's IPv4 address (peering default-A)"),
            (allow if peered else deny)("web-B", "web-dev", 80, "web-B curls web-dev's IPv4 address (peering default-B)"),
            Expect("web-A", "web-B", None, peered, "web-A pings web-B's IPv6 address (peering A-B)", "icmpv6"),
            Expect("web-B", "web-A", None, peered, "web-B pings web-A's IPv6 address", "icmpv6"),
            Expect("web-A", INTERNET6, None, True, "web-A pings 2001:4860:4860::8888 (IPv6 outside AWS)", "icmpv6"),
            Expect("web-B", INTERNET6, None, True, "web-B pings 2001:4860:4860::8888", "icmpv6"),
        ]
    paths = [allow(ADMIN, PROVIDER_HOST, 22, "the administrator SSHes into the provider's VM1")]
    for v in RECEIVERS:
        paths += [
            (allow if peered else deny)(f"VM1-{v}", PROVIDER_HOST, 80, f"VPC-{v}'s VM1 uses the provider's application"),
            deny(f"VM2-{v}", PROVIDER_HOST, 80, f"VPC-{v}'s VM2 must not reach the provider (no route from its subnet)"),
            allow(f"VM2-{v}", INTERNET, 443, f"VPC-{v}'s VM2 has internet access"),
            allow(f"VM2-{v}", f"VM1-{v}", 80, f"VPC-{v}'s VM2 reaches its local VM1"),
            allow(ADMIN, f"VM2-{v}", 22, f"the administrator SSHes into VPC-{v}'s VM2"),
            deny(INTERNET, f"VM1-{v}", 80, f"VPC-{v}'s VM1 is private"),
        ]
    paths.append(ping("VM1-A", "VM1-B", False, "the receivers are not peered with each other"))
    return paths


LAB = LabDefinition(
    key="peering-topologies",
    chapter=7,
    section="7 coursework",
    title="Full-mesh and provider peering topologies",
    book=BookRef(7, "VPC Architecture", section="Create VPC peering between VPC-A and VPC-B",
                 heading="Practice Construction of VPCs",
                 through="Construction of three VPCs with VPC Peering to the default VPC",
                 quote="Build the following topology using either AWS GUI console or Python boto3.",
                 lines=(5971, 6008)),
    summary=(
        "The chapter's peering coursework (option `topology`): `full-mesh`, the default VPC (bastion and NAT gateway "
        "in subnet-public, web-dev private) peered with VPC-A and VPC-B and those two with each other, IPv6 in their "
        "public subnets so web-A and web-B ping each other and the IPv6 internet; or `provider`, VPC-A..C each peered "
        "with the default VPC, whose VM1-provider serves the receivers' private VM1s but not their public VM2s"
    ),
    stages={
        "starter": "the VPCs, hosts, gateways and active peerings, but no route through a peering (the book's "
                   "first failure, as in vpc-peering)",
        "solution": "the routes through each peering, only where the topology's tests need them",
    },
    options=PeeringTopologiesOptions,
    layout=layout,
    expected_paths=expected_paths,
    probed_from_inside=True,
    cost_variants={"with `topology: provider`": {"topology": "provider"}},
    cost_notes=("full-mesh: the NAT gateway's data processing and traffic across zones and peerings are usage "
                "charges; provider has no NAT gateway (the private VM1s serve with Python's built-in server, no download)"),
    outputs=(
        Output("topology", "text", "the topology built"),
        Output("vpcs", "mapping", "per VPC: id, IPv4 block (and IPv6 block where enabled)"),
        Output("instances", "mapping", "per host: VPC, subnet, private IP, public IP and IPv6 address where any"),
        Output("peerings", "mapping", "per peering (e.g. default-VPC<->VPC-A): its id"),
        Output("ssh", "mapping", "ssh commands to the public hosts and, through the bastion, web-dev"),
        Output("checks", "mapping", "the topology's tests as commands (curl, ping -6), by the host to run them on"),
    ),
)
