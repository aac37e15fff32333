"""dual-stack (chapter 6): IPv6 next to IPv4 in the student's default-like VPC."""

from __future__ import annotations

import dataclasses
from typing import Any

from cloudlabs.labs.dual_stack import COURSEWORK_SUBNETS, DualStackOptions
from cloudlabs.images import AMAZON_LINUX_2023

from cloudlabs.labs import dual_stack

from ..compute import InstanceArgs, WebServer, lookup_ami, zones_offering
from ..network import LabVpc, LabVpcArgs, region_zones
from ..security import ALL_TRAFFIC, ANYWHERE, ANYWHERE_V6, HTTP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent


class DualStackLab(LabComponent[DualStackOptions]):
    """An Amazon-provided /56 on the VPC, a numbered /64 and auto-assigned IPv6 in every subnet
    (SN-0 has the book's "00"), and a dual-stack web server in SN-0 that answers on both
    families (HTTP from 0.0.0.0/0 and ::/0). `starter` lacks the ::/0 route, as the book's
    VPC does until the student adds it.

    With `coursework`, the subnets SN-A..SN-F (2048 to 16384 addresses, each in its own AZ)
    are carved from the free space; SN-B is private, and `solution` gives it a way out: a NAT
    gateway for IPv4 (unless natGateway is false) and an egress-only gateway for IPv6.
    """

    TYPE = "cloudlabs:labs:DualStack"
    LAB = dual_stack.LAB

    def build(self, name: str, args: LabArgs[DualStackOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        solution = ctx.stage == "solution"
        full = args.layout.vpc("VPC")
        chosen = [s for s in full.subnets if options.coursework or s.name not in COURSEWORK_SUBNETS]
        plan = dataclasses.replace(full, subnets=tuple(chosen))
        nat = options.coursework and options.nat_gateway
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type),
                                               all_zones=region_zones(), instance_subnets=("SN-0",), nat_gateway=nat, private_default_route=solution,
                                               ipv6_default_route=solution), opts=self.child)
        group = LabSecurityGroup(f"{name}-web-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="dual-stack web server: HTTP over IPv4 and IPv6, SSH from the admin CIDR",
            group_name="dual-stack-SG", context=ctx,
            rules=[inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
                   inbound(HTTP, ANYWHERE, "HTTP from anywhere (IPv4)"),
                   inbound(HTTP, ANYWHERE_V6, "HTTP from anywhere (IPv6)"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (IPv4)"),
                   outbound(ALL_TRAFFIC, ANYWHERE_V6, "all outbound (IPv6)")]), opts=self.child)
        server = WebServer(f"{name}-vm-ds", InstanceArgs(
            subnet_id=vpc.subnets["SN-0"].id, security_group_ids=[group.id], context=ctx, host_name="VM-DS",
            ami=lookup_ami(AMAZON_LINUX_2023, ctx.instance_type), ipv6_addresses=1), opts=self.child)
        return {
            "vpcId": vpc.vpc_id,
            "vpcCidr": str(plan.cidr),
            "vpcIpv6Cidr": vpc.vpc.ipv6_cidr_block,
            "subnets": {s.name: {"cidr": str(s.cidr), "tier": s.tier, "ipv6": vpc.subnets[s.name].ipv6_cidr_block,
                                 "size": s.cidr.num_addresses} for s in plan.subnets},
            "publicIp": server.public_ip,
            "ipv6": server.ipv6,
            "url": server.url,
            "urlV6": server.url_v6,
            "ssh": server.ssh,
        }
