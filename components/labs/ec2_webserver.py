"""ec2-webserver (chapter 3): web servers bootstrapped by user data in a default-like VPC."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from cloudlabs.labs.ec2_webserver import Ec2WebserverOptions
from cloudlabs.images import AMAZON_LINUX_2023, IMAGES, UBUNTU_24_04, WINDOWS_SERVER_2019, ImageSpec
from cloudlabs.metadata import metadata_commands

from cloudlabs.labs import ec2_webserver

from ..compute import InstanceArgs, WebServer, lookup_ami, zones_offering
from ..network import LabVpc, LabVpcArgs, region_zones
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, RDP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent


def server_images(options: Ec2WebserverOptions) -> list[ImageSpec]:
    """The image of VM1..VMn: one OS for all, or the coursework's alternation (odd VMs Amazon
    Linux, even VMs Ubuntu)."""
    if options.os == "alternate":
        return [AMAZON_LINUX_2023 if i % 2 == 0 else UBUNTU_24_04 for i in range(options.count)]
    return [IMAGES[options.os]] * options.count


class Ec2WebserverLab(LabComponent[Ec2WebserverOptions]):
    """The student's own "default VPC" (six public /20s, one per AZ) and VM1..VMn, one per
    subnet, sharing one security group: SSH from the admin CIDR and, from the `solution` stage
    on, HTTP from anywhere (the `starter` is the book's "It failed! Why?"). The group also admits
    SSH from its own members, so VM1 can SSH into VM2 once the student copies the key there
    (chapter 13's test, L11127).

    IMDSv2 stays required; the output `metadataCommands` gives chapter 4's metadata questions
    (L3233-3261) in their token form (see cloudlabs/metadata.py for why), in PowerShell for Windows
    servers. Count 0 keeps bash: the assignment's VMs are Amazon Linux and Ubuntu."""

    TYPE = "cloudlabs:labs:Ec2Webserver"
    LAB = ec2_webserver.LAB

    def build(self, name: str, args: LabArgs[Ec2WebserverOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(
            plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type), all_zones=region_zones(),
            instance_subnets=tuple(s.name for s in plan.public_subnets[:options.count])), opts=self.child)
        windows = options.os == WINDOWS_SERVER_2019.key
        admin = "RDP" if windows else "SSH"  # the book's Windows server is reached over RDP (L2445)
        rules = [inbound(RDP if windows else SSH, ctx.admin_cidr, f"{admin} from the admin CIDR")]
        if ctx.stage == "solution":
            rules.append(inbound(HTTP, ANYWHERE, "HTTP from anywhere"))
        rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"))
        group = LabSecurityGroup(
            f"{name}-web-sg",
            LabSecurityGroupArgs(vpc_id=vpc.vpc_id, description=f"VM1-VM6: {admin} from the admin CIDR, HTTP",
                                 rules=rules, context=ctx, group_name="web-SG"),
            opts=self.child,
        )
        if not windows:
            aws.vpc.SecurityGroupIngressRule(  # refers to the group itself: added once the group exists
                f"{name}-web-sg-in-ssh-from-web-sg", security_group_id=group.id, ip_protocol="tcp", from_port=22,
                to_port=22, referenced_security_group_id=group.id, description="SSH between the servers of this group",
                tags=ctx.tags("web-SG/ssh-from-web-SG"), opts=pulumi.ResourceOptions(parent=group))

        images = server_images(options)
        if not images:
            return self._vpc_only(plan, vpc, group, ctx)
        amis = {image.key: lookup_ami(image, ctx.instance_type) for image in dict.fromkeys(images)}
        servers: dict[str, Any] = {}
        for i, image in enumerate(images):
            host = f"VM{i + 1}"
            subnet = plan.public_subnets[i]
            server = WebServer(
                f"{name}-vm{i + 1}",
                InstanceArgs(subnet_id=vpc.subnets[subnet.name].id, security_group_ids=[group.id], ami=amis[image.key],
                             context=ctx, host_name=host, image=image, public=True,
                             extra_tags={"cloudlabs:os": "windows"} if image is WINDOWS_SERVER_2019 else {}),
                opts=self.child,
            )
            servers[host] = {
                "os": image.title,
                "subnet": f"{subnet.name} {subnet.cidr}",
                "publicIp": server.public_ip,
                "privateIp": server.private_ip,
                "url": server.url,
            }
            if image is WINDOWS_SERVER_2019:
                servers[host].update(self._windows_access(server, ctx))
            else:
                servers[host]["ssh"] = server.ssh
        return {
            "vpcId": vpc.vpc_id,
            "vpcCidr": str(plan.cidr),
            "servers": servers,
            "urls": [s["url"] for s in servers.values()],
            "metadataCommands": metadata_commands(images[0].shell),  # one OS, or alternate's two Linux
        }

    @staticmethod
    def _windows_access(server: WebServer, ctx: Any) -> dict[str, Any]:
        """The book's way in (L2450-2475): RDP as Administrator, with the password that AWS encrypts
        with the key pair and the student decrypts with the private key (ready some minutes after
        launch). The console's "Get Windows password" does the same."""
        key = ctx.ssh_key_file or "<your key>.pem"
        return {
            "rdp": server.instance.public_ip.apply(lambda ip: f"mstsc /v:{ip}   (or any RDP client; user Administrator)"),
            "password": server.instance.id.apply(
                lambda instance: f"aws ec2 get-password-data --instance-id {instance} --priv-launch-key {key} "
                                 "--query PasswordData --output text"),
        }

    def _vpc_only(self, plan, vpc: LabVpc, group: LabSecurityGroup, ctx) -> dict[str, Any]:
        """Chapter 3's assignment (L2559-2635): the student deploys VM1-VM6 by console, AWS CLI and
        boto3; the outputs give the ids those commands need and one CLI example (VM3)."""
        amis = {image.key: lookup_ami(image, ctx.instance_type) for image in (AMAZON_LINUX_2023, UBUNTU_24_04)}
        subnet_ids = {s.name: vpc.subnets[s.name].id for s in plan.public_subnets}
        key = f" --key-name {ctx.key_name}" if ctx.key_name else ""
        example = pulumi.Output.all(amis[AMAZON_LINUX_2023.key], subnet_ids["SN-32"], group.id).apply(
            lambda v: f"aws ec2 run-instances --image-id {v[0]} --instance-type {ctx.instance_type}{key} "
                      f"--subnet-id {v[1]} --security-group-ids {v[2]} --associate-public-ip-address "
                      "--metadata-options HttpTokens=required --user-data file://user-data.sh "
                      "--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=VM3}]'")
        return {
            "vpcId": vpc.vpc_id,
            "vpcCidr": str(plan.cidr),
            "subnetIds": subnet_ids,
            "securityGroupId": group.id,
            "amis": amis,
            "instanceType": ctx.instance_type,
            "keyName": ctx.key_name,
            "assignment": "VM1/VM2 by console in SN-0/SN-16, VM3/VM4 by AWS CLI in SN-32/SN-48, VM5/VM6 by boto3 in "
                          "SN-64/SN-80; odd VMs Amazon Linux, even VMs Ubuntu; all in securityGroupId (L2559)",
            "cliExampleVm3": example,
            "metadataCommands": metadata_commands(),
        }
