"""load-balancer and autoscaling (chapter 8): web servers behind an Application Load Balancer."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from cloudlabs.catalog import LabOptions
from cloudlabs.images import AMAZON_LINUX_2023, ASG_PAGE, THIS_IS_PAGE, base64_text, web_server_user_data
from cloudlabs.paths import ADMIN, INTERNET, Expect, allow, deny

from ..compute import (
    METADATA_OPTIONS,
    InstanceArgs,
    WebServer,
    credit_specification,
    launch_template_volume,
    lookup_ami,
    zones_offering,
)
from ..context import LabContext
from ..loadbalancing import WebLoadBalancer, WebLoadBalancerArgs
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent

SUBNETS = ("SN-0", "SN-16", "SN-32")  # three AZs
ALB = "web-ALB"


def _vpc(lab: LabComponent, name: str, args: LabArgs) -> LabVpc:
    ctx = args.context
    return LabVpc(f"{name}-vpc", LabVpcArgs(plan=args.layout.vpc("VPC"), context=ctx,
                                            availability_zones=zones_offering(ctx.instance_type)), opts=lab.child)


def _load_balancer(lab: LabComponent, name: str, args: LabArgs, vpc: LabVpc) -> WebLoadBalancer:
    return WebLoadBalancer(f"{name}-lb", WebLoadBalancerArgs(
        vpc_id=vpc.vpc_id, vpc_cidr=args.layout.vpc("VPC").cidr, subnet_ids=[vpc.subnets[s].id for s in SUBNETS],
        context=args.context, internet_gateway=vpc.igw, lb_name=ALB), opts=lab.child)


def _web_group(lab: LabComponent, name: str, ctx: LabContext, vpc: LabVpc, http_from) -> LabSecurityGroup:
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


def _alb_paths(target: str) -> list[Expect]:
    return [
        allow(INTERNET, ALB, 80, "browse the load balancer's DNS name"),
        allow(ALB, target, 80, f"the load balancer forwards to {target} (and health-checks it)"),
    ]


def _host_paths(target: str, direct_http: bool) -> list[Expect]:
    return [
        (allow(INTERNET, target, 80, f"browse {target}'s public IP (the book's test before the ALB, L6230)") if direct_http
         else deny(INTERNET, target, 80, "the group's servers answer HTTP only through the load balancer")),
        allow(ADMIN, target, 22, f"ssh into {target} from the admin CIDR"),
        allow(target, INTERNET, 443, "the user data downloads the web server package"),
    ]


class LoadBalancerLab(LabComponent[LabOptions]):
    """Chapter 8.1-8.2: VM1-VM3, one per AZ (SN-0, SN-16, SN-32), each page saying "This is
    <hostname>" (L6256), each browsable directly as the book tests before the ALB (L6230): the
    book's one web group allows SSH from the admin CIDR and HTTP from everywhere. The `starter`
    stops there (the student builds the target group, the ALB and its listener); `solution` adds
    them, and refreshing the ALB's URL alternates between the three pages (L6343). The ALB keeps a
    group of its own (HTTP in from anywhere, out only into the VPC) where the book reuses the web
    group: the paths the book tests are the same."""

    TYPE = "cloudlabs:labs:LoadBalancer"

    @classmethod
    def expected_paths(cls, stage: str, options: LabOptions) -> list[Expect]:
        paths = [p for vm in ("VM1", "VM2", "VM3") for p in _host_paths(vm, direct_http=True)
                 if vm == "VM1" or p.dst == vm]  # browse every VM; ssh and packages once
        if stage == "solution":
            paths += [p for vm in ("VM1", "VM2", "VM3") for p in _alb_paths(vm) if vm == "VM1" or p.src == ALB]
        return paths

    def build(self, name: str, args: LabArgs[LabOptions]) -> dict[str, Any]:
        ctx = args.context
        vpc = _vpc(self, name, args)
        web_sg = _web_group(self, name, ctx, vpc, ANYWHERE)
        lb = _load_balancer(self, name, args, vpc) if ctx.stage == "solution" else None
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
                                   "over SN-0, SN-16 and SN-32 forwarding to it (the book, L6260-6340)")
        else:
            outputs["url"] = lb.url
            outputs["test"] = lb.load_balancer.dns_name.apply(
                lambda dns: f"for i in 1 2 3 4 5 6; do curl -s http://{dns}/; echo; done")
        return outputs


class AutoscalingLab(LabComponent[LabOptions]):
    """Chapter 8.3: a launch template with the web server's user data, an Auto Scaling group of
    min 2 / desired 2 / max 4 over SN-0, SN-16 and SN-32 in the ALB's target group (ELB health
    checks: a server failing them is replaced), target tracking on average CPU at 50%. Every
    server serves the same page (the book's point at L6505: identical servers), and takes HTTP
    only from the load balancer."""

    TYPE = "cloudlabs:labs:Autoscaling"

    @classmethod
    def expected_paths(cls, stage: str, options: LabOptions) -> list[Expect]:
        return _alb_paths("web-ASG") + _host_paths("web-ASG", direct_http=False)

    def build(self, name: str, args: LabArgs[LabOptions]) -> dict[str, Any]:
        ctx = args.context
        vpc = _vpc(self, name, args)
        lb = _load_balancer(self, name, args, vpc)
        web_sg = _web_group(self, name, ctx, vpc, lb.security_group_id)
        template = self._launch_template(name, ctx, web_sg)
        group = aws.autoscaling.Group(
            f"{name}-asg", name_prefix=f"{ctx.student}-web-ASG-", min_size=2, desired_capacity=2, max_size=4,
            vpc_zone_identifiers=[vpc.subnets[s].id for s in SUBNETS],
            launch_template={"id": template.id, "version": template.latest_version.apply(str)},
            target_group_arns=[lb.target_group.arn], health_check_type="ELB", health_check_grace_period=300,
            force_delete=True,  # teardown does not wait for instances to drain one by one
            tags=[{"key": k, "value": v, "propagate_at_launch": True} for k, v in ctx.tags("web-ASG").items()],
            opts=self.child)
        aws.autoscaling.Policy(
            f"{name}-cpu50", autoscaling_group_name=group.name, policy_type="TargetTrackingScaling",
            target_tracking_configuration={
                "predefined_metric_specification": {"predefined_metric_type": "ASGAverageCPUUtilization"},
                "target_value": 50,
            }, opts=self.child)
        return {
            "url": lb.url,
            "autoScalingGroup": group.name,
            "capacity": {"min": 2, "desired": 2, "max": 4},
            "findInstances": group.name.apply(
                lambda asg: f"aws ec2 describe-instances --filters Name=tag:aws:autoscaling:groupName,Values={asg} "
                            "--query 'Reservations[].Instances[].[InstanceId,PublicIpAddress,State.Name]' --output table"),
            "loadOneInstance": "ssh into one instance, then: sudo dnf install -y stress-ng && stress-ng --cpu 2 --timeout 600s"
                               " (Amazon Linux 2023 has stress-ng, not the book's stress)",
        }

    def _launch_template(self, name: str, ctx: LabContext, web_sg: LabSecurityGroup) -> aws.ec2.LaunchTemplate:
        tags = ctx.tags("web-ASG-instance")
        return aws.ec2.LaunchTemplate(
            f"{name}-lt", name_prefix=f"{ctx.student}-web-", image_id=lookup_ami(AMAZON_LINUX_2023, ctx.instance_type),
            instance_type=ctx.instance_type, key_name=ctx.key_name,
            user_data=base64_text(web_server_user_data(AMAZON_LINUX_2023, ASG_PAGE)),
            network_interfaces=[{"associate_public_ip_address": "true", "security_groups": [web_sg.id],
                                 "delete_on_termination": "true"}],
            metadata_options=METADATA_OPTIONS,
            block_device_mappings=[launch_template_volume(AMAZON_LINUX_2023)],
            credit_specification=credit_specification(ctx.instance_type),
            tag_specifications=[{"resource_type": kind, "tags": tags} for kind in ("instance", "volume")],
            tags=ctx.tags("web-launch-template"),
            update_default_version=True,
            opts=self.child)

