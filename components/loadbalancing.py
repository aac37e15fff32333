"""An internet-facing Application Load Balancer with its target group, as one component."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from .context import LabContext
from .security import ANYWHERE, HTTP, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound

# Chapter 8's target-group health check, value by value.
HEALTH_CHECK: dict[str, Any] = {
    "protocol": "HTTP",
    "path": "/",
    "port": "traffic-port",
    "interval": 30,  # seconds between checks
    "timeout": 5,  # no answer within 5 s is a failed check
    "unhealthy_threshold": 2,  # 2 failures: unhealthy
    "healthy_threshold": 5,  # 5 successes: healthy again
    "matcher": "200",
}


@dataclass
class WebLoadBalancerArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: IPv4Network
    subnet_ids: Sequence[pulumi.Input[str]]  # at least two zones
    context: LabContext
    internet_gateway: pulumi.Resource  # an internet-facing ALB is refused until the VPC's gateway is attached
    lb_name: str = "web-ALB"
    target_type: str = "instance"  # "ip" for Fargate tasks (awsvpc: each task has an address of its own)
    health_check: dict[str, Any] | None = None  # default: chapter 8's HEALTH_CHECK


class WebLoadBalancer(pulumi.ComponentResource):
    """Security group (HTTP in from anywhere, HTTP out only into the VPC: to the targets and their
    health checks), a target group on HTTP 80 with the book's health check, an internet-facing
    ALB over the subnets and a listener on 80 forwarding to the group.

    Outputs: security_group_id, target_group_arn, dns_name, url.
    """

    def __init__(self, name: str, args: WebLoadBalancerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:loadbalancing:WebLoadBalancer", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        self.security_group = LabSecurityGroup(f"{name}-sg", LabSecurityGroupArgs(
            vpc_id=args.vpc_id, description=f"{args.lb_name}: HTTP from anywhere, HTTP to the targets",
            group_name=f"{args.lb_name}-SG", context=ctx,
            rules=[inbound(HTTP, ANYWHERE, "HTTP from anywhere"),
                   outbound(HTTP, args.vpc_cidr, "HTTP to the targets in the VPC", name="http-to-targets")]), opts=child)
        self.target_group = aws.lb.TargetGroup(
            f"{name}-tg", name_prefix="web-", port=80, protocol="HTTP", target_type=args.target_type, vpc_id=args.vpc_id,
            health_check=args.health_check or HEALTH_CHECK, deregistration_delay=30,  # targets drain in 30 s: quick teardown
            tags=ctx.tags(f"{args.lb_name}-TG"), opts=child)
        self.load_balancer = aws.lb.LoadBalancer(
            f"{name}-alb", name_prefix="web-", load_balancer_type="application", internal=False,
            security_groups=[self.security_group.id], subnets=list(args.subnet_ids),
            enable_deletion_protection=False, drop_invalid_header_fields=True,
            tags=ctx.tags(args.lb_name), opts=pulumi.ResourceOptions(parent=self, depends_on=[args.internet_gateway]))
        self.listener = aws.lb.Listener(
            f"{name}-http", load_balancer_arn=self.load_balancer.arn, port=80, protocol="HTTP",
            default_actions=[{"type": "forward", "target_group_arn": self.target_group.arn}],
            tags=ctx.tags(f"{args.lb_name}-listener-80"), opts=child)
        self.security_group_id = self.security_group.id
        self.url = pulumi.Output.concat("http://", self.load_balancer.dns_name, "/")
        self.register_outputs({"security_group_id": self.security_group_id, "target_group_arn": self.target_group.arn,
                               "dns_name": self.load_balancer.dns_name, "url": self.url})
