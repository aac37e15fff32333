"""load-balancer (chapter 8.1-8.2): web servers behind an Application Load Balancer; the VPC, load
balancer and web group helpers are shared with autoscaling (chapter 8.3)."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from cloudlabs.lab import NoOptions
from cloudlabs.labs.load_balancer import ALB, SUBNETS
from cloudlabs.images import AMAZON_LINUX_2023, THIS_IS_PAGE, web_server_user_data

from cloudlabs.labs import load_balancer

from ..compute import (
    InstanceArgs,
    WebServer,
    lookup_ami,
    zones_offering,
)
from ..context import LabContext
from ..loadbalancing import WebLoadBalancer, WebLoadBalancerArgs
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent



def lab_vpc(lab: LabComponent, name: str, args: LabArgs) -> LabVpc:
    ctx = args.context
    return LabVpc(f"{name}-vpc", LabVpcArgs(plan=args.layout.vpc("VPC"), context=ctx,
                                            availability_zones=zones_offering(ctx.instance_type)), opts=lab.child)


def web_load_balancer(lab: LabComponent, name: str, args: LabArgs, vpc: LabVpc) -> WebLoadBalancer:
    return WebLoadBalancer(f"{name}-lb", WebLoadBalancerArgs(
        vpc_id=vpc.vpc_id, vpc_cidr=args.layout.vpc("VPC").cidr, subnet_ids=[vpc.subnets[s].id for s in SUBNETS],
        context=args.context, internet_gateway=vpc.igw, lb_name=ALB), opts=lab.child)


def web_group(lab: LabComponent, name: str, ctx: LabContext, vpc: LabVpc, http_from) -> LabSecurityGroup:
    """The web servers' group: SSH from the admin CIDR, HTTP from ``http_from`` (the world in
    chapter 8.1, whose servers are browsed one by one first; the ALB's group for the ASG)."""
    http = (inbound(HTTP, ANYWHERE, "HTTP from anywhere (browse each VM, as the book does)", name="http-from-anywhere")
            if http_from is ANYWHERE else inbound(HTTP, http_from, "HTTP from the load balancer", name="http-from-alb"))
    where = "anywhere" if http_from is ANYWHERE else "only from the load balancer"
    return LabSecurityGroup(f"{name}-web-sg", LabSecurityGroupArgs(
        vpc_id=vpc.vpc_id, description=f"web servers: HTTP {where}, SSH from the admin CIDR",
        group_name="web-SG", context=ctx,
        rules=[http, inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
               outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=lab.child)


class LoadBalancerLab(LabComponent[NoOptions]):
    """Chapter 8.1-8.2: VM1-VM3, one per AZ (SN-0, SN-16, SN-32), each page saying "This is
    <hostname>" (book ch. 8, “Hash” › “Configuration of an AWS Elastic Load Balancer”), each browsable directly as the book tests before the ALB (book ch. 8, “Hash” › “Configuration of an AWS Elastic Load Balancer”): the
    book's one web group allows SSH from the admin CIDR and HTTP from everywhere. The `starter`
    stops there (the student builds the target group, the ALB and its listener); `solution` adds
    them, and refreshing the ALB's URL alternates between the three pages (book ch. 8, “Creation of a Target Group” › “Creation of the elastic load balancer”). The ALB keeps a
    group of its own (HTTP in from anywhere, out only into the VPC) where the book reuses the web
    group: the paths the book tests are the same."""

    TYPE = "cloudlabs:labs:LoadBalancer"
    LAB = load_balancer.LAB

    def build(self, name: str, args: LabArgs[NoOptions]) -> dict[str, Any]:
        ctx = args.context
        vpc = lab_vpc(self, name, args)
        web_sg = web_group(self, name, ctx, vpc, ANYWHERE)
        lb = web_load_balancer(self, name, args, vpc) if ctx.stage == "solution" else None
        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        targets: dict[str, Any] = {}
        for i, subnet in enumerate(SUBNETS, start=1):
            server = WebServer(f"{name}-vm{i}", InstanceArgs(
                subnet_id=vpc.subnets[subnet].id, security_group_ids=[web_sg.id], ami=ami, context=ctx, host_name=f"VM{i}",
                user_data=web_server_user_data(AMAZON_LINUX_2023, THIS_IS_PAGE)), opts=self.child)
            if lb is not None:
                aws.lb.TargetGroupAttachment(f"{name}-vm{i}-target", target_group_arn=lb.target_group.arn,
                                             target_id=server.instance.id, port=80, opts=self.child)
            targets[f"VM{i}"] = {"subnet": subnet, "privateIp": server.private_ip, "publicIp": server.public_ip,
                                 "url": server.url, "ssh": server.ssh}
        outputs: dict[str, Any] = {"targets": targets}
        if lb is None:
            outputs["nextStep"] = ("browse each VM's url, then create the target group (HTTP 80, health check / every 30 s, "
                                   "5 s timeout, 2 unhealthy, 5 healthy, 200) with VM1-VM3 and an internet-facing ALB "
                                   "over SN-0, SN-16 and SN-32 forwarding to it (book ch. 8, Creation of a Target Group to Creation of the elastic load balancer)")
        else:
            outputs["url"] = lb.url
            outputs["test"] = lb.load_balancer.dns_name.apply(
                lambda dns: f"for i in 1 2 3 4 5 6; do curl -s http://{dns}/; echo; done")
        return outputs
