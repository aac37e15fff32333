"""vpc-nat (chapter 7.1-7.2): public and private subnets, a bastion, and a NAT gateway."""

from __future__ import annotations

from typing import Any

from cloudlabs.catalog import LabOptions
from cloudlabs.images import AMAZON_LINUX_2023
from cloudlabs.paths import ADMIN, INTERNET, Expect, allow, deny

from ..compute import Bastion, BastionArgs, InstanceArgs, WebServer, lookup_ami, zones_offering
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent


class VpcNatLab(LabComponent):
    """VPC-A with public SN-A-01 (bastion, NAT gateway + Elastic IP) and private SN-A-02
    (web-dev, no public IP). web-dev accepts SSH, and in `solution` also HTTP, only from the
    bastion's security group; in `solution` the private route table sends 0.0.0.0/0 to the NAT
    gateway. The `starter` is where the book begins: no way out, and curl from the bastion times
    out."""

    TYPE = "cloudlabs:labs:VpcNat"

    @classmethod
    def expected_paths(cls, stage: str, options: LabOptions) -> list[Expect]:
        done = allow if stage == "solution" else deny
        return [
            allow(ADMIN, "bastion", 22, "ssh into the bastion from the admin CIDR"),
            deny(INTERNET, "bastion", 22, "the bastion refuses SSH from anywhere else"),
            deny(INTERNET, "web-dev", 80, "web-dev is private: no public IP"),
            allow("bastion", "web-dev", 22, "ssh from the bastion to web-dev"),
            done("bastion", "web-dev", 80, "curl web-dev from the bastion"),
            done("web-dev", INTERNET, 443, "web-dev installs httpd through the NAT gateway"),
            allow("bastion", INTERNET, 443, "the bastion updates its packages directly"),
        ]

    def build(self, name: str, args: LabArgs) -> dict[str, Any]:
        ctx = args.context
        solution = ctx.stage == "solution"
        plan = args.layout.vpc("VPC-A")
        vpc = LabVpc(
            f"{name}-vpc-a",
            LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type),
                       nat_gateway=True, private_default_route=solution),
            opts=self.child,
        )
        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        bastion = Bastion(
            f"{name}-bastion",
            BastionArgs(vpc_id=vpc.vpc_id, subnet_id=vpc.subnets["SN-A-01"].id, ami=ami, context=ctx),
            opts=self.child,
        )
        rules = [inbound(SSH, bastion.security_group_id, "SSH from the bastion security group", name="ssh-from-bastion")]
        if solution:
            rules.append(inbound(HTTP, bastion.security_group_id, "HTTP from the bastion security group", name="http-from-bastion"))
        rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (through the NAT gateway)", name="all-outbound"))
        web_sg = LabSecurityGroup(
            f"{name}-web-dev-sg",
            LabSecurityGroupArgs(vpc_id=vpc.vpc_id, description="web-dev: only from the bastion",
                                 rules=rules, context=ctx, group_name="web-dev-SG"),
            opts=self.child,
        )
        web_dev = WebServer(
            f"{name}-web-dev",
            InstanceArgs(subnet_id=vpc.subnets["SN-A-02"].id, security_group_ids=[web_sg.id], ami=ami,
                         context=ctx, host_name="web-dev", image=AMAZON_LINUX_2023, public=False),
            opts=self.child,
        )
        return {
            "vpcId": vpc.vpc_id,
            "vpcCidr": str(plan.cidr),
            "subnets": {s.name: f"{s.tier} {s.cidr}" for s in plan.subnets},
            "natPublicIp": vpc.nat_eip.public_ip,
            "bastionPublicIp": bastion.public_ip,
            "webDevPrivateIp": web_dev.private_ip,
            "sshBastion": bastion.ssh,
            "sshWebDev": bastion.ssh_to(AMAZON_LINUX_2023.login_user, web_dev.private_ip),
            "curlFromBastion": web_dev.url.apply(lambda url: f"curl {url}"),
        }
