"""vpc-peering (chapter 7.4 and its coursework): blue/green VPCs joined by a peering connection."""

from __future__ import annotations

from ipaddress import IPv4Network

from pydantic import Field

from ..addressing import SubnetPlan, VpcPlan, at
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny, ping

NAT_OPTION = ("true or false: false drops the NAT gateways (and their Elastic IPs); private web servers "
              "then serve their page with Python's built-in server, which needs no package download")


class VpcPeeringOptions(LabOptions):
    nat_gateway: bool = Field(True, description=NAT_OPTION)


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    a, b = block.subnets(new_prefix=17)
    return (
        VpcPlan("VPC-A", a, (
            SubnetPlan("SN-A-1", at(block, 0, 20), "public", az=0),
            SubnetPlan("SN-A-2", at(block, 16, 20), "private", az=0),
        )),
        VpcPlan("VPC-B", b, (
            SubnetPlan("SN-B-1", at(block, 128, 20), "public", az=1),
            SubnetPlan("SN-B-2", at(block, 144, 20), "private", az=1),
        )),
    )


def expected_paths(stage: str, options: VpcPeeringOptions) -> list[Expect]:
    peered = allow if stage == "solution" else deny
    return [
        allow("VM1", "VM2", 80, "from VM1 curl VM2 (same VPC)"),
        peered("VM1", "VM4", 80, "from VM1 curl VM4 across the peering"),
        peered("VM3", "VM2", 80, "from VM3 curl VM2 across the peering"),
        allow("VM3", "VM4", 80, "from VM3 curl VM4 (same VPC)"),
        ping("VM1", "VM3", stage == "solution", "ping between the bastions across the peering"),
        allow(ADMIN, "VM1", 22, "ssh into bastion VM1"),
        allow(ADMIN, "VM3", 22, "ssh into bastion VM3"),
        deny(INTERNET, "VM2", 80, "the web servers are private"),
        (allow if options.nat_gateway else deny)("VM2", INTERNET, 443, "VM2 reaches the internet through its NAT gateway"),
        (allow if options.nat_gateway else deny)("VM4", INTERNET, 443, "VM4 reaches the internet through its NAT gateway"),
    ]


LAB = LabDefinition(
    key="vpc-peering",
    chapter=7,
    section="7.4 + coursework",
    title="Blue/green VPCs joined by peering",
    book=BookRef(7, "VPC Architecture", section="Designing and deploying VPCs",
                 heading="Configuration of two VPCs with VPC peering",
                 through="Construction of three VPCs with VPC Peering to the default VPC",
                 quote="This activity will reuse the VPCs A and B previously created.",
                 lines=(5739, 6008)),
    summary=(
        "Blue VPC-A (staging, 10.N.0.0/17) and green VPC-B (production, 10.N.128.0/17), each with a public and a "
        "private /20, an internet gateway, a NAT gateway, a bastion (VM1, VM3) and a private web server (VM2, VM4); "
        "a peering requested by B and accepted by A; ICMP and HTTP allowed from the peer VPC, SSH and HTTP from the "
        "own bastion; outputs list VPCs, subnets, instances and the peering like the coursework's CLI queries, plus "
        "the four curl checks"
    ),
    stages={
        "starter": "the peering is active but no route table knows the other VPC (the book's first failure)",
        "solution": "every route table of both VPCs routes the peer's CIDR through the peering",
    },
    options=VpcPeeringOptions,
    layout=layout,
    expected_paths=expected_paths,
    probed_from_inside=True,
    cost_variants={"with `natGateway: false`": {"natGateway": False}},
    outputs=(
        Output("vpcs", "mapping", "per VPC: id, block and role (blue: staging, green: production)"),
        Output("subnets", "mapping", "per subnet: id, block, tier"),
        Output("instances", "mapping", "VM1-VM4: role, subnet, private and public IP"),
        Output("peeringId", "id", "the peering connection"),
        Output("natPublicIps", "list", "the NAT gateways' addresses (none with natGateway: false)"),
        Output("ssh", "mapping", "ssh commands to the bastions and, through them, the web servers"),
        Output("checks", "mapping", "the four curl checks of the book (VM1 or VM3 -> VM2 or VM4)"),
    ),
)
