"""vpc-nat (chapter 7.1-7.2): public and private subnets, a bastion, and a NAT gateway."""

from __future__ import annotations

from ipaddress import IPv4Network

from ..addressing import SubnetPlan, VpcPlan, at
from ..book import BookRef
from ..lab import LabDefinition, NoOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny, ping


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    # Book: VPC-A 10.0.0.0/16, public SN-A-01 10.0.1.0/24, private SN-A-02 10.0.2.0/24.
    # Both in the first AZ: the NAT gateway and its clients share a zone (no cross-AZ charge).
    return (VpcPlan("VPC-A", block, (
        SubnetPlan("SN-A-01", at(block, 1, 24), "public", az=0),
        SubnetPlan("SN-A-02", at(block, 2, 24), "private", az=0),
    )),)


def expected_paths(stage: str, options: NoOptions) -> list[Expect]:
    done = allow if stage == "solution" else deny
    return [
        allow(ADMIN, "bastion", 22, "ssh into the bastion from the admin CIDR"),
        deny(INTERNET, "bastion", 22, "the bastion refuses SSH from anywhere else"),
        deny(INTERNET, "web-dev", 80, "web-dev is private: no public IP"),
        allow("bastion", "web-dev", 22, "ssh from the bastion to web-dev"),
        done("bastion", "web-dev", 80, "curl web-dev from the bastion"),
        done("web-dev", INTERNET, 443, "web-dev installs httpd through the NAT gateway"),
        ping("web-dev", INTERNET, stage == "solution", "ping 8.8.8.8 from web-dev through the NAT gateway (book ch. 7, Configuring external access for the private subnet via NAT gateway)"),
        allow("bastion", INTERNET, 443, "the bastion updates its packages directly"),
    ]


LAB = LabDefinition(
    key="vpc-nat",
    chapter=7,
    section="7.1-7.2",
    title="Public and private subnets, bastion and NAT gateway",
    book=BookRef(7, "VPC Architecture", section="Designing and deploying VPCs",
                 heading="Creation of a Virtual Private Cloud (VPC)",
                 through="Configuring external access for the private subnet via NAT gateway",
                 quote="a new VPC called VPC-A with the address space 10.0.0.0/16 is being created",
                 lines=(5281, 5692)),
    summary=(
        "VPC-A with public SN-A-01 (bastion; NAT gateway + Elastic IP in `solution`) and private SN-A-02 "
        "(`web-dev`, reachable on 22 and 80 only from the bastion's security group)"
    ),
    stages={
        "starter": "no NAT gateway and no Elastic IP (the book creates them, book ch. 7, Configuring external access for the private subnet via NAT gateway), no route out of SN-A-02, web-dev "
                   "without a web server and accepting only SSH from the bastion: no updates, no ping 8.8.8.8, no "
                   "curl from the bastion",
        "solution": "NAT gateway + Elastic IP in SN-A-01 and the private default route to it; web-dev serves its page "
                    "and accepts SSH and HTTP from the bastion's security group",
    },
    options=NoOptions,
    layout=layout,
    expected_paths=expected_paths,
    probed_from_inside=True,
    outputs=(
        Output("vpcId", "id", "VPC-A"),
        Output("vpcCidr", "address", "VPC-A's IPv4 block"),
        Output("subnets", "mapping", "subnet name -> tier and block"),
        Output("bastionPublicIp", "address", "the bastion's public IP"),
        Output("webDevPrivateIp", "address", "web-dev's private IP"),
        Output("sshBastion", "command", "ssh into the bastion (agent forwarding on)"),
        Output("sshWebDev", "command", "ssh from the bastion into web-dev"),
        Output("curlFromBastion", "command", "curl web-dev's page from the bastion"),
        Output("natPublicIp", "address", "the NAT gateway's Elastic IP", "solution"),
        Output("nextStep", "text", "what the book has the student build next (book ch. 7, Configuring external access for the private subnet via NAT gateway)", "starter"),
    ),
)
