"""ec2-webserver (chapter 3): web servers bootstrapped by user data in a default-like VPC."""

from __future__ import annotations

import functools
from typing import Any

import pulumi
import pulumi_aws as aws

from cloudlabs.labs.ec2_webserver import RDP_PORT, Ec2WebserverOptions, host_names, is_windows
from cloudlabs.images import AMAZON_LINUX_2023, IMAGES, UBUNTU_24_04, ImageSpec
from cloudlabs.metadata import metadata_commands

from cloudlabs.labs import ec2_webserver

from ..compute import InstanceArgs, WebServer, lab_instance, lookup_ami, root_volume, zones_offering
from ..context import LabContext
from ..network import LabVpc, LabVpcArgs, region_zones
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, RDP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent
from .ssh_access import tag_specification


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
    (chapter 13's test, book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”).

    IMDSv2 stays required; the output `metadataCommands` gives chapter 4's metadata questions
    (book ch. 4, “Chapter Summary” › “Display the information in the file dhclient--eth0.lease”) in their token form (see cloudlabs/metadata.py for why), in PowerShell for Windows
    servers. Count 0 keeps bash: the assignment's VMs are Amazon Linux and Ubuntu.

    With a Windows os (and a count), the lab is the book's Windows activity instead (`_windows`):
    one server by default, RDP from the admin CIDR, no web server."""

    TYPE = "cloudlabs:labs:Ec2Webserver"
    LAB = ec2_webserver.LAB

    def build(self, name: str, args: LabArgs[Ec2WebserverOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(
            plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type), all_zones=region_zones(),
            instance_subnets=tuple(s.name for s in plan.public_subnets[:options.count])), opts=self.child)
        if is_windows(options.os) and options.count:
            return self._windows(name, plan, vpc, ctx, options)
        rules = [inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR")]
        if ctx.stage == "solution":
            rules.append(inbound(HTTP, ANYWHERE, "HTTP from anywhere"))
        rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"))
        group = LabSecurityGroup(
            f"{name}-web-sg",
            LabSecurityGroupArgs(vpc_id=vpc.vpc_id, description="VM1-VM6: SSH from the admin CIDR, HTTP",
                                 rules=rules, context=ctx, group_name="web-SG"),
            opts=self.child,
        )
        aws.vpc.SecurityGroupIngressRule(  # refers to the group itself: added once the group exists
            f"{name}-web-sg-in-ssh-from-web-sg", security_group_id=group.id, ip_protocol="tcp", from_port=22,
            to_port=22, referenced_security_group_id=group.id, description="SSH between the servers of this group",
            tags=ctx.tags("web-SG/ssh-from-web-SG"), opts=pulumi.ResourceOptions(parent=group))

        images = server_images(options)
        if not images:
            return self._vpc_only(plan, vpc, group, ctx)
        amis = {image.key: lookup_ami(image, ctx.instance_type) for image in dict.fromkeys(images)}
        servers: dict[str, Any] = {}
        for i, (host, image) in enumerate(zip(host_names(options), images)):
            subnet = plan.public_subnets[i]
            server = WebServer(
                f"{name}-vm{i + 1}",
                InstanceArgs(subnet_id=vpc.subnets[subnet.name].id, security_group_ids=[group.id], ami=amis[image.key],
                             context=ctx, host_name=host, image=image, public=True),
                opts=self.child,
            )
            servers[host] = {
                "os": image.title,
                "subnet": f"{subnet.name} {subnet.cidr}",
                "publicIp": server.public_ip,
                "privateIp": server.private_ip,
                "url": server.url,
                "ssh": server.ssh,
            }
        return {
            "vpcId": vpc.vpc_id,
            "vpcCidr": str(plan.cidr),
            "servers": servers,
            "urls": [s["url"] for s in servers.values()],
            "metadataCommands": metadata_commands(images[0].shell),  # one OS, or alternate's two Linux
        }

    def _windows(self, name: str, plan, vpc: LabVpc, ctx: LabContext, options: Ec2WebserverOptions) -> dict[str, Any]:
        """The book's Windows activity (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”): launch Windows Server 2019 Base with a new group
        that allows RDP (3389) and all outbound, get the Administrator password with the key pair's
        private key, connect over RDP. The book builds no web server: no IIS, no HTTP. The group takes
        RDP from the admin CIDR (the wizard's default is anywhere). The starter is the book's start:
        the network and the group; the student launches Windows-01 (output `launch`)."""
        image = IMAGES[options.os]
        hosts = host_names(options)
        group_name = "Windows-SG"
        group = LabSecurityGroup(
            f"{name}-windows-sg",
            LabSecurityGroupArgs(vpc_id=vpc.vpc_id, description=f"{', '.join(hosts)}: RDP from the admin CIDR (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)",
                                 rules=[inbound(RDP, ctx.admin_cidr, "RDP from the admin CIDR"),
                                        outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")],
                                 context=ctx, group_name=group_name),
            opts=self.child,
        )
        ami = lookup_ami(image, ctx.instance_type)
        key_file = ctx.ssh_key_file or "<your key>.pem"
        outputs: dict[str, Any] = {"vpcId": vpc.vpc_id, "vpcCidr": str(plan.cidr),
                                   "metadataCommands": metadata_commands(image.shell)}
        if ctx.stage == "starter":
            outputs["launch"] = {
                host: pulumi.Output.all(ami, vpc.subnets[plan.public_subnets[i].name].id, group.id).apply(
                    functools.partial(self._launch_command, ctx, image, host))
                for i, host in enumerate(hosts)}
            outputs["getPassword"] = (f"aws ec2 get-password-data --instance-id <{hosts[0]} instance id> "
                                      f"--priv-launch-key {key_file} --query PasswordData --output text")
            outputs["nextStep"] = (
                f"No instance runs yet. The book's next steps: launch {hosts[0]} (launch.{hosts[0]}: Windows Server 2019 "
                f"Base, {image.root_volume_gib} GiB, the key pair, {group_name}, a public address; book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance; the book's "
                f"wizard opens RDP to anywhere, {group_name} to your admin CIDR only: bots scan 3389), "
                f"wait some minutes, decrypt the Administrator password with the key's private key (getPassword, "
                f"book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance), then connect over RDP to its public DNS name or IP as Administrator (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)")
            return outputs
        servers: dict[str, Any] = {}
        for i, host in enumerate(hosts):
            subnet = plan.public_subnets[i]
            instance = lab_instance(f"{name}-vm{i + 1}", InstanceArgs(
                subnet_id=vpc.subnets[subnet.name].id, security_group_ids=[group.id], ami=ami, context=ctx,
                host_name=host, image=image, public=True, user_data="", extra_tags={"cloudlabs:os": "windows"}),
                parent=self)
            servers[host] = {
                "os": image.title,
                "subnet": f"{subnet.name} {subnet.cidr}",
                "publicIp": instance.public_ip,
                "privateIp": instance.private_ip,
                "rdpAddress": instance.public_ip.apply(lambda ip: f"{ip}:{RDP_PORT}"),
                "rdp": instance.public_ip.apply(
                    lambda ip: f"mstsc /v:{ip}   (or any RDP client, to the public DNS name or IP; user Administrator)"),
                "password": instance.id.apply(
                    lambda instance_id: f"aws ec2 get-password-data --instance-id {instance_id} --priv-launch-key "
                                        f"{key_file} --query PasswordData --output text"),
            }
        outputs["servers"] = servers
        outputs["nextStep"] = (
            f"{hosts[0]} runs: decrypt the Administrator password (servers.{hosts[0]}.password, ready some minutes "
            "after launch; book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance), connect over RDP to servers." + hosts[0] + ".rdpAddress as Administrator and "
            "accept the certificate (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance): the end of the book's activity")
        return outputs

    @staticmethod
    def _launch_command(ctx: LabContext, image: ImageSpec, host: str, ids: list[str]) -> str:
        """The book's launch wizard (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”) as one command: the image, the type, the key pair whose
        private key decrypts the password, the group, a public address and the Windows-sized root volume."""
        ami, subnet, group = ids
        volume = root_volume(image)
        key = f" --key-name {ctx.key_name}" if ctx.key_name else ""
        return (f"aws ec2 run-instances --image-id {ami} --instance-type {ctx.instance_type}{key} "
                f"--subnet-id {subnet} --security-group-ids {group} --associate-public-ip-address "
                "--metadata-options HttpTokens=required "
                f"--block-device-mappings 'DeviceName=/dev/sda1,Ebs={{VolumeSize={volume['volume_size']},"
                f"VolumeType={volume['volume_type']},Encrypted=true,DeleteOnTermination=true}}' "
                f"--tag-specifications {tag_specification('instance', ctx.tags(host))}")

    def _vpc_only(self, plan, vpc: LabVpc, group: LabSecurityGroup, ctx) -> dict[str, Any]:
        """Chapter 3's assignment (book ch. 3, “Cloud Computing” › “Chapter 3 coursework” to “Assignment Interacting with the cloud programmatically”): the student deploys VM1-VM6 by console, AWS CLI and
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
                          "SN-64/SN-80; odd VMs Amazon Linux, even VMs Ubuntu; all in securityGroupId (book ch. 3, Chapter 3 coursework)",
            "cliExampleVm3": example,
            "metadataCommands": metadata_commands(),
        }
