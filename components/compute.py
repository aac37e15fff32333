"""EC2 building blocks: deploy-time lookups, WebServer and Bastion.

Secure and cheap by default: IMDSv2 required, encrypted gp3 root volume deleted with the
instance, burstable instances on "standard" CPU credits (no surprise surplus charges).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws

from cloudlabs.images import AMAZON_LINUX_2023, ImageSpec, ami_name_filter, architecture, web_server_user_data

from .context import LabContext
from .security import ALL_TRAFFIC, ANYWHERE, SSH, LabSecurityGroup, LabSecurityGroupArgs, Rule, inbound, outbound


def lookup_ami(image: ImageSpec, instance_type: str, opts: pulumi.InvokeOptions | None = None) -> pulumi.Output[str]:
    """The newest AMI of an image family in the stack's region, at deploy time (never hard-coded)."""
    return aws.ec2.get_ami_output(
        most_recent=True,
        owners=list(image.owners),
        filters=[
            {"name": "name", "values": [ami_name_filter(image, instance_type)]},
            {"name": "architecture", "values": [architecture(instance_type)]},
            {"name": "virtualization-type", "values": ["hvm"]},
            {"name": "root-device-type", "values": ["ebs"]},
        ],
        opts=opts,
    ).id


def zones_offering(instance_type: str, opts: pulumi.InvokeOptions | None = None) -> pulumi.Output[list[str]]:
    """The region's availability zones that offer the instance type, sorted by name.

    Not every zone offers every type (us-east-1e has no t3), so subnets that hold instances are
    placed only in zones where the lab's instance type can launch.
    """
    offerings = aws.ec2.get_instance_type_offerings_output(
        location_type="availability-zone",
        filters=[{"name": "instance-type", "values": [instance_type]}],
        opts=opts,
    )
    return offerings.locations.apply(lambda zones: sorted(set(zones)))


def ssh_command(user: str, host: pulumi.Input[str], key_file: str | None,
                via: pulumi.Input[str] | None = None) -> pulumi.Output[str]:
    """The ssh command a student pastes. Through a bastion it uses ProxyJump semantics with the
    key given to both hops (plain ``-J`` would not pass ``-i`` to the jump host)."""
    key = f"-i {key_file} " if key_file else ""
    if via is None:
        return pulumi.Output.concat("ssh ", key, user, "@", host)
    return pulumi.Output.concat(
        "ssh ", key, '-o "ProxyCommand=ssh ', key, "-W %h:%p ", user, "@", via, '" ', user, "@", host
    )


@dataclass
class InstanceArgs:
    subnet_id: pulumi.Input[str]
    security_group_ids: Sequence[pulumi.Input[str]]
    ami: pulumi.Input[str]
    context: LabContext
    host_name: str  # the book's name, e.g. "VM1" or "web-dev"
    image: ImageSpec = AMAZON_LINUX_2023
    public: bool = True
    user_data: pulumi.Input[str] | None = None
    instance_type: str | None = None  # default: the stack's instance type
    ipv6_addresses: int = 0  # IPv6 addresses from the subnet's /64 (dual stack)
    extra_tags: dict[str, str] = field(default_factory=dict)
    key_name: pulumi.Input[str] | None = None  # a key pair of the lab's own; default: the stack's keyName
    instance_profile: pulumi.Input[str] | None = None  # the instance profile (role) the instance's programs act with; default none


# --- the hardening every lab instance gets, written once (instances and the launch template) -------

# IMDSv2 only: a token is required, and it does not cross a hop (no container or proxy can fetch it).
METADATA_OPTIONS: dict[str, Any] = {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1}


def root_volume(image: ImageSpec) -> dict[str, Any]:
    """Encrypted gp3, as small as the image allows, gone with the instance."""
    return {"encrypted": True, "volume_type": "gp3", "volume_size": image.root_volume_gib, "delete_on_termination": True}


def credit_specification(instance_type: str) -> dict[str, str] | None:
    """Burstable types never run up "unlimited" CPU credit charges."""
    return {"cpu_credits": "standard"} if instance_type.startswith("t") else None


def launch_template_volume(image: ImageSpec) -> dict[str, Any]:
    """The root volume in a launch template (the provider takes its flags as text there)."""
    ebs = {k: (str(v).lower() if isinstance(v, bool) else v) for k, v in root_volume(image).items()}
    return {"device_name": "/dev/xvda", "ebs": ebs}


def lab_instance(name: str, args: InstanceArgs, parent: pulumi.Resource) -> aws.ec2.Instance:
    ctx = args.context
    instance_type = args.instance_type or ctx.instance_type
    tags = {**ctx.tags(args.host_name), **args.extra_tags}
    # One kwargs mapping: the SDK's overloads with every Input union exceed what mypy expands.
    properties: dict[str, Any] = dict(
        ami=args.ami,
        instance_type=instance_type,
        subnet_id=args.subnet_id,
        vpc_security_group_ids=list(args.security_group_ids),
        associate_public_ip_address=args.public,
        ipv6_address_count=args.ipv6_addresses or None,
        key_name=args.key_name if args.key_name is not None else ctx.instance_key_name(),
        user_data=args.user_data or None,  # "" = deliberately none (the student installs by hand)
        user_data_replace_on_change=True,
        metadata_options=METADATA_OPTIONS,
        root_block_device={**root_volume(args.image), "tags": tags},
        credit_specification=credit_specification(instance_type),
        tags=tags,
    )
    if args.instance_profile is not None:
        properties["iam_instance_profile"] = args.instance_profile
    # The AMI is the most recent image at the first deploy; a newer one published later must not
    # replace a student's instance (and their work) on the next `up`.
    return aws.ec2.Instance(name, opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["ami"]), **properties)


def _first(addresses: Sequence[str]) -> str:
    """The first of an instance's IPv6 addresses (it asked for one)."""
    return addresses[0]


class WebServer(pulumi.ComponentResource):
    """An instance bootstrapped by chapter 3's user data: a web server (httpd on Amazon Linux,
    nginx on Ubuntu) whose page says "Hello from $(hostname -f)".

    Outputs: instance_id, private_ip, public_ip (public servers), url, ssh.
    """

    def __init__(self, name: str, args: InstanceArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:compute:WebServer", name, None, opts)
        if args.user_data is None:
            args = dataclasses.replace(args, user_data=web_server_user_data(args.image))
        self.instance = lab_instance(name, args, self)
        self.private_ip = self.instance.private_ip
        self.public_ip: pulumi.Output[str] | None = self.instance.public_ip if args.public else None
        self.ipv6: pulumi.Output[str] | None = (self.instance.ipv6_addresses.apply(_first)
                                                if args.ipv6_addresses else None)
        address = self.instance.public_ip if args.public else self.private_ip
        self.url = pulumi.Output.concat("http://", address, "/")
        self.url_v6 = pulumi.Output.concat("http://[", self.ipv6, "]/") if self.ipv6 is not None else None
        self.login_user = args.image.login_user
        self.ssh = ssh_command(args.image.login_user, address, args.context.ssh_key_file) if args.public else None
        self.register_outputs({
            "instance_id": self.instance.id,
            "private_ip": self.private_ip,
            "public_ip": self.public_ip,
            "url": self.url,
        })


@dataclass
class BastionArgs:
    vpc_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    ami: pulumi.Input[str]
    context: LabContext
    host_name: str = "bastion"
    extra_rules: Sequence[Rule] = ()  # e.g. ICMP from a peered VPC
    key_name: pulumi.Input[str] | None = None  # a key pair of the lab's own; default: the stack's keyName


class Bastion(pulumi.ComponentResource):
    """A jump host in a public subnet: SSH in from the admin CIDR only, all traffic out (to reach
    private hosts and package mirrors). Private hosts allow SSH from ``security_group_id``.

    Outputs: instance_id, public_ip, private_ip, security_group_id, ssh.
    """

    def __init__(self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:compute:Bastion", name, None, opts)
        ctx = args.context
        self.security_group = LabSecurityGroup(
            f"{name}-sg",
            LabSecurityGroupArgs(
                vpc_id=args.vpc_id,
                description=f"{args.host_name}: SSH from the admin CIDR only",
                group_name=f"{args.host_name}-SG",
                context=ctx,
                rules=[
                    inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
                    *args.extra_rules,
                    outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"),
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.security_group_id = self.security_group.id
        self.instance = lab_instance(
            name,
            InstanceArgs(subnet_id=args.subnet_id, security_group_ids=[self.security_group.id], ami=args.ami,
                         context=ctx, host_name=args.host_name, public=True, key_name=args.key_name),
            self,
        )
        self.public_ip = self.instance.public_ip
        self.private_ip = self.instance.private_ip
        self.login_user = AMAZON_LINUX_2023.login_user
        self._key_file = ctx.ssh_key_file
        self.ssh = ssh_command(self.login_user, self.public_ip, ctx.ssh_key_file)
        self.register_outputs({
            "instance_id": self.instance.id,
            "public_ip": self.public_ip,
            "private_ip": self.private_ip,
            "security_group_id": self.security_group_id,
        })

    def ssh_to(self, user: str, private_ip: pulumi.Input[str]) -> pulumi.Output[str]:
        """The ssh command for a private host, through this bastion."""
        return ssh_command(user, private_ip, self._key_file, via=self.public_ip)
