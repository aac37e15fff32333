"""vpc-nat (chapter 7.1-7.2): public and private subnets, a bastion, and a NAT gateway."""

from __future__ import annotations

from typing import Any

from cloudlabs.lab import NoOptions
from cloudlabs.images import AMAZON_LINUX_2023

from cloudlabs.labs import vpc_nat

from ..compute import Bastion, BastionArgs, InstanceArgs, WebServer, lookup_ami, zones_offering
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent


class VpcNatLab(LabComponent[NoOptions]):
    """VPC-A with public SN-A-01 (bastion) and private SN-A-02 (web-dev, no public IP). web-dev
    accepts SSH, and in `solution` also HTTP, only from the bastion's security group.

    The `starter` is where the book begins (book ch. 7, “Designing and deploying VPCs” › “Configuring external access for the private subnet via NAT gateway”): no NAT gateway, no Elastic IP (most of the
    lab's cost), no way out for web-dev, which has no web server yet (the student installs httpd
    once the NAT gateway works, book ch. 7, “Designing and deploying VPCs” › “Configuring external access for the private subnet via NAT gateway”), and curl from the bastion times out. `solution` adds the
    NAT gateway with its Elastic IP in SN-A-01, the private default route to it, the HTTP rule
    and web-dev's user data."""

    TYPE = "cloudlabs:labs:VpcNat"
    LAB = vpc_nat.LAB

    def build(self, name: str, args: LabArgs[NoOptions]) -> dict[str, Any]:
        ctx = args.context
        solution = ctx.stage == "solution"
        plan = args.layout.vpc("VPC-A")
        vpc = LabVpc(
            f"{name}-vpc-a",
            LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type),
                       nat_gateway=solution, private_default_route=True),
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
                         context=ctx, host_name="web-dev", image=AMAZON_LINUX_2023, public=False,
                         # starter: no way out yet, so no user data; the student installs httpd by hand
                         user_data=None if solution else ""),
            opts=self.child,
        )
        outputs: dict[str, Any] = {
            "vpcId": vpc.vpc_id,
            "vpcCidr": str(plan.cidr),
            "subnets": {s.name: f"{s.tier} {s.cidr}" for s in plan.subnets},
            "bastionPublicIp": bastion.public_ip,
            "webDevPrivateIp": web_dev.private_ip,
            "sshBastion": bastion.ssh,
            "sshWebDev": bastion.ssh_to(AMAZON_LINUX_2023.login_user, web_dev.private_ip),
            "curlFromBastion": web_dev.url.apply(lambda url: f"curl {url}"),
        }
        if vpc.nat_eip is not None:
            outputs["natPublicIp"] = vpc.nat_eip.public_ip
        else:
            outputs["nextStep"] = ("create a NAT gateway with an Elastic IP in SN-A-01 and route 0.0.0.0/0 of "
                                   "VPC-A-RT-Private to it (book ch. 7, Configuring external access for the private subnet via NAT gateway), then install httpd on web-dev")
        return outputs
