"""ssh-access (chapter 13): a key pair, VM1 reached from the laptop, VM2 reached from VM1."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from cloudlabs.images import AMAZON_LINUX_2023
from cloudlabs.labs import ssh_access
from cloudlabs.labs.ssh_access import KEY_FILE, SUBNET, SshAccessOptions

from ..compute import Bastion, BastionArgs, InstanceArgs, lab_instance, lookup_ami, ssh_command, zones_offering
from ..context import LabContext
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent

USER = AMAZON_LINUX_2023.login_user


class SshAccessLab(LabComponent[SshAccessOptions]):
    """The chapter's walk through SSH: the student connects to VM1 with the key pair's private
    key, finds VM1's host key in their known_hosts and in /etc/ssh, and the key pair's public key
    in ~/.ssh/authorized_keys; then VM2 joins the same subnet with the same key (L11100), and SSH
    from VM1 to VM2 works once the private key is copied to VM1 (L11127).

    Key pair: ``generated`` makes one with the TLS provider (the private key exists only in the
    stack's state, as a secret output the student saves with mode 600); ``imported`` registers
    the student's public key; ``existing`` uses the stack's keyName (e.g. Learner Lab's vockey).
    VM1 is a bastion (SSH from the admin CIDR only); VM2 has no public address and takes SSH only
    from VM1's group, so the hop the book teaches is the only way in."""

    TYPE = "cloudlabs:labs:SshAccess"
    LAB = ssh_access.LAB

    def build(self, name: str, args: LabArgs[SshAccessOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type),
                                               instance_subnets=(SUBNET,)), opts=self.child)
        outputs: dict[str, Any] = {"keySource": options.key}
        key_name: pulumi.Input[str] | None = ctx.key_name
        if options.key != "existing":
            key_pair = self._key_pair(name, ctx, options, outputs)
            key_name = key_pair.key_name
            outputs["fingerprint"] = key_pair.fingerprint
            ctx = dataclasses.replace(ctx, key_file=KEY_FILE)  # the ssh commands name the lab's key file
        outputs["keyName"] = key_name
        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        vm1 = Bastion(f"{name}-vm1", BastionArgs(vpc_id=vpc.vpc_id, subnet_id=vpc.subnets[SUBNET].id, ami=ami, context=ctx,
                                                 host_name="VM1", key_name=key_name), opts=self.child)
        vm2_sg = LabSecurityGroup(f"{name}-vm2-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="VM2: SSH only from VM1", group_name="VM2-SG", context=ctx,
            rules=[inbound(SSH, vm1.security_group_id, "SSH from VM1", name="ssh-from-vm1"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
        key_file = ctx.ssh_key_file or "<your key>.pem"
        outputs["vm1"] = {"publicIp": vm1.public_ip, "privateIp": vm1.private_ip, "ssh": vm1.ssh}
        outputs["bookSteps"] = [
            "on your machine: ssh-keygen -F <VM1 public IP>   (VM1's host key, added to known_hosts by the first ssh)",
            "on VM1: cat /etc/ssh/ssh_host_ed25519_key.pub    (the same key: the server's identity; current ssh clients "
            "choose the ED25519 host key, the book's ECDSA one is ssh_host_ecdsa_key.pub)",
            "on VM1: cat ~/.ssh/authorized_keys               (the key pair's public key: your identity)",
        ]
        outputs["copyKeyToVm1"] = vm1.public_ip.apply(
            lambda ip: f"scp -i {key_file} {key_file} {USER}@{ip}:~/.ssh/ && "
                       f"ssh -i {key_file} {USER}@{ip} chmod 400 .ssh/{key_file}")
        if ctx.stage == "starter":
            outputs["launchVm2"] = pulumi.Output.all(ami, vpc.subnets[SUBNET].id, vm2_sg.id, key_name).apply(
                lambda v: f"aws ec2 run-instances --image-id {v[0]} --instance-type {ctx.instance_type} --key-name {v[3]} "
                          f"--subnet-id {v[1]} --security-group-ids {v[2]} --no-associate-public-ip-address "
                          "--metadata-options HttpTokens=required "
                          "--tag-specifications 'ResourceType=instance,Tags=[{Key=Name,Value=VM2}]'")
        else:
            vm2 = lab_instance(f"{name}-vm2", InstanceArgs(
                subnet_id=vpc.subnets[SUBNET].id, security_group_ids=[vm2_sg.id], ami=ami, context=ctx, host_name="VM2",
                public=False, key_name=key_name), parent=self)
            outputs["vm2"] = {
                "privateIp": vm2.private_ip,
                "sshFromVm1": vm2.private_ip.apply(lambda ip: f"ssh -i ~/.ssh/{key_file} {USER}@{ip}"),
                "sshViaVm1": ssh_command(USER, vm2.private_ip, ctx.ssh_key_file, via=vm1.public_ip),
            }
        return outputs

    def _key_pair(self, name: str, ctx: LabContext, options: SshAccessOptions, outputs: dict[str, Any]) -> aws.ec2.KeyPair:
        if options.key == "imported":
            public_key: pulumi.Input[str] = (options.public_key or "").strip()
        else:
            private = tls.PrivateKey(f"{name}-private-key", algorithm=options.algorithm,
                                     rsa_bits=4096 if options.algorithm == "RSA" else None, opts=self.child)
            public_key = private.public_key_openssh
            outputs["privateKey"] = pulumi.Output.secret(private.private_key_openssh)
            stack = f"{ctx.cohort}-{ctx.student}"
            outputs["saveKey"] = (f"(umask 077; pulumi stack output ssh-access --show-secrets --json --stack {stack} | "
                                  "python3 -c \"import json,sys; sys.stdout.write(json.load(sys.stdin)['privateKey'])\" "
                                  f"> {KEY_FILE})")
        return aws.ec2.KeyPair(f"{name}-key", key_name_prefix=ctx.account_name("example-key-"), public_key=public_key,
                               tags=ctx.tags("example-key"), opts=self.child)
