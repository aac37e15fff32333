"""autoscaling (chapter 8.3): an Auto Scaling group of identical servers behind the load balancer."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from cloudlabs.images import AMAZON_LINUX_2023, ASG_PAGE, base64_text, web_server_user_data
from cloudlabs.lab import NoOptions
from cloudlabs.labs import autoscaling
from cloudlabs.labs.load_balancer import SUBNETS

from ..compute import METADATA_OPTIONS, credit_specification, launch_template_volume, lookup_ami
from ..context import LabContext
from ..security import LabSecurityGroup
from .base import LabArgs, LabComponent
from .load_balancer import lab_vpc, web_group, web_load_balancer


class AutoscalingLab(LabComponent[NoOptions]):
    """Chapter 8.3: a launch template with the web server's user data, an Auto Scaling group of
    min 2 / desired 2 / max 4 over SN-0, SN-16 and SN-32 in the ALB's target group (ELB health
    checks: a server failing them is replaced), target tracking on average CPU at 50%. Every
    server serves the same page (the book's point at book ch. 8, “Creation of the elastic load balancer” › “Further Investigation of the functioning of the Load Balancer”: identical servers), and takes HTTP
    only from the load balancer."""

    TYPE = "cloudlabs:labs:Autoscaling"
    LAB = autoscaling.LAB

    def build(self, name: str, args: LabArgs[NoOptions]) -> dict[str, Any]:
        ctx = args.context
        vpc = lab_vpc(self, name, args)
        lb = web_load_balancer(self, name, args, vpc)
        web_sg = web_group(self, name, ctx, vpc, lb.security_group_id)
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
            instance_type=ctx.instance_type, key_name=ctx.instance_key_name(),
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

