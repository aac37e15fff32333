"""ssh-access (chapter 13): a key pair, VM1 reached from the laptop, VM2 reached from VM1 and the laptop."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from cloudlabs.images import AMAZON_LINUX_2023
from cloudlabs.labs import ssh_access
from cloudlabs.labs.ssh_access import KEY_FILE, KEY_NAME, SUBNET, SshAccessOptions, students_vm1

from ..compute import Bastion, BastionArgs, InstanceArgs, lab_instance, lookup_ami, ssh_command, zones_offering
from ..context import LabContext
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent

USER = AMAZON_LINUX_2023.login_user
VM1_IP = "<VM1 public IP>"


def tag_specification(resource_type: str, tags: dict[str, str]) -> str:
    """The AWS CLI's shorthand for tags, so what the student makes carries the lab's tags (the sweep finds it)."""
    return f"'ResourceType={resource_type},Tags=[" + ",".join(f"{{Key={k},Value={v}}}" for k, v in tags.items()) + "]'"


class SshAccessLab(LabComponent[SshAccessOptions]):
    """The chapter's walk through SSH (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”): the student creates the key pair example-key
    and downloads example-key.pem, launches VM1 with it, connects from the laptop, finds VM1's host
    key in their known_hosts and in /etc/ssh and the key pair's public key in authorized_keys; then
    VM2 joins the same subnet with the same key (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”), SSH from VM1 to VM2 works once the private
    key is copied to VM1 (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”), and the chapter ends connecting from the laptop to VM2's public
    address (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”).

    Key pair: ``created`` (the default) leaves it to the student, as the book does; since the book
    launches VM1 after creating the key, that starter launches no instance and its outputs give the
    commands (create-key-pair, run-instances) with the student's ids; its solution makes the key as
    create-key-pair does (RSA 2048 unless ED25519, named example-key). ``generated`` makes one with
    the TLS provider (the private key only in the stack's state, a secret output in PEM as the book
    downloads it); ``imported`` registers the student's public key; ``existing`` uses the stack's
    keyName (e.g. Learner Lab's vockey).

    The book does not show its instances' groups (the console's launch wizard offers SSH from
    anywhere); here VM1's group takes SSH from the admin CIDR only and VM2's from the admin CIDR
    and VM1's group: the book's lesson (laptop to VM1, VM1 to VM2, laptop to VM2) needs no more."""

    TYPE = "cloudlabs:labs:SshAccess"
    LAB = ssh_access.LAB

    def build(self, name: str, args: LabArgs[SshAccessOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type),
                                               instance_subnets=(SUBNET,)), opts=self.child)
        subnet_id = vpc.subnets[SUBNET].id
        outputs: dict[str, Any] = {"keySource": options.key}
        key_name: pulumi.Input[str] | None = ctx.instance_key_name()
        by_student = students_vm1(ctx.stage, options)
        if by_student:
            key_name = ctx.account_name(KEY_NAME)
            ctx = dataclasses.replace(ctx, key_file=KEY_FILE)
        elif options.key != "existing":
            key_pair = self._key_pair(name, ctx, options, outputs)
            key_name = key_pair.key_name
            outputs["fingerprint"] = key_pair.fingerprint
            ctx = dataclasses.replace(ctx, key_file=KEY_FILE)  # the ssh commands name the book's key file
        outputs["keyName"] = key_name
        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        key_file = ctx.ssh_key_file or "<your key>.pem"
        vm1_ip: pulumi.Input[str] = VM1_IP
        if by_student:
            vm1_sg = LabSecurityGroup(f"{name}-vm1-sg", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description="VM1: SSH from the admin CIDR only", group_name="VM1-SG", context=ctx,
                rules=[inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
                       outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
            vm1_sg_id = vm1_sg.id
            outputs["createKeyPair"] = (
                f"aws ec2 create-key-pair --key-name {key_name} --key-type {options.algorithm.lower()} --key-format pem "
                f"--tag-specifications {tag_specification('key-pair', ctx.tags(KEY_NAME))} "
                f"--query KeyMaterial --output text > {KEY_FILE} && chmod 400 {KEY_FILE}")
            outputs["launchVm1"] = pulumi.Output.all(ami, subnet_id, vm1_sg_id).apply(
                lambda v: self._run_instances(ctx, "VM1", v[0], v[1], v[2], str(key_name)))
        else:
            vm1 = Bastion(f"{name}-vm1", BastionArgs(vpc_id=vpc.vpc_id, subnet_id=subnet_id, ami=ami, context=ctx,
                                                     host_name="VM1", key_name=key_name), opts=self.child)
            vm1_sg_id, vm1_ip = vm1.security_group_id, vm1.public_ip
            outputs["vm1"] = {"publicIp": vm1.public_ip, "privateIp": vm1.private_ip, "ssh": vm1.ssh}
        vm2_sg = LabSecurityGroup(f"{name}-vm2-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="VM2: SSH from VM1 and from the admin CIDR", group_name="VM2-SG", context=ctx,
            rules=[inbound(SSH, vm1_sg_id, "SSH from VM1", name="ssh-from-vm1"),
                   inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR (the laptop, book ch. 13, Observing the Security Principles when Accessing Cloud Resources)", name="ssh-from-admin"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
        outputs["bookSteps"] = [
            "on your machine: ssh-keygen -F <VM1 public IP>   (VM1's host key, added to known_hosts by the first ssh)",
            "on VM1: cat /etc/ssh/ssh_host_ed25519_key.pub    (the same key: the server's identity; current ssh clients "
            "choose the ED25519 host key, the book's ECDSA one is ssh_host_ecdsa_key.pub)",
            "on VM1: cat ~/.ssh/authorized_keys               (the key pair's public key: your identity)",
        ]
        outputs["copyKeyToVm1"] = pulumi.Output.from_input(vm1_ip).apply(
            lambda ip: f"scp -i {key_file} {key_file} {USER}@{ip}:~/.ssh/ && "
                       f"ssh -i {key_file} {USER}@{ip} chmod 400 .ssh/{key_file}")
        if ctx.stage == "starter":
            outputs["launchVm2"] = pulumi.Output.all(ami, subnet_id, vm2_sg.id, key_name).apply(
                lambda v: self._run_instances(ctx, "VM2", v[0], v[1], v[2], v[3]))
            outputs["nextStep"] = pulumi.Output.from_input(key_name).apply(lambda key: (
                f"No instance runs yet. The book's next steps: create the key pair {key} and download {KEY_FILE} "
                "(createKeyPair, book ch. 13, Observing the Security Principles when Accessing Cloud Resources), launch VM1 with it (launchVm1, book ch. 13, Observing the Security Principles when Accessing Cloud Resources), ssh into VM1 (book ch. 13, Observing the Security Principles when Accessing Cloud Resources), then "
                "launch VM2 the same way (launchVm2, book ch. 13, Observing the Security Principles when Accessing Cloud Resources)" if by_student else
                f"VM1 runs with the key pair {key}: ssh into it (vm1.ssh, book ch. 13, Observing the Security Principles when Accessing Cloud Resources) and compare the host keys "
                "(bookSteps); the book's next step is VM2 in SN-80 with the same key and a public address "
                "(launchVm2, book ch. 13, Observing the Security Principles when Accessing Cloud Resources), then copyKeyToVm1 and ssh from VM1 to VM2 (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)"))
        else:
            vm2 = lab_instance(f"{name}-vm2", InstanceArgs(
                subnet_id=subnet_id, security_group_ids=[vm2_sg.id], ami=ami, context=ctx, host_name="VM2",
                public=True, key_name=key_name), parent=self)
            outputs["vm2"] = {
                "privateIp": vm2.private_ip,
                "publicIp": vm2.public_ip,
                "sshFromVm1": vm2.private_ip.apply(lambda ip: f"ssh -i ~/.ssh/{key_file} {USER}@{ip}"),
                "sshFromLaptop": ssh_command(USER, vm2.public_ip, ctx.ssh_key_file),
            }
            outputs["nextStep"] = (
                "VM1 and VM2 run in SN-80 with the same key: copy the key to VM1 (copyKeyToVm1), ssh from VM1 to VM2 "
                "(vm2.sshFromVm1, book ch. 13, Observing the Security Principles when Accessing Cloud Resources), compare VM2's host key with VM1's known_hosts, then ssh from the laptop to "
                "VM2's public address (vm2.sshFromLaptop, book ch. 13, Observing the Security Principles when Accessing Cloud Resources): the end of the chapter's activity")
        return outputs

    @staticmethod
    def _run_instances(ctx: LabContext, host: str, ami: str, subnet: str, group: str, key_name: str) -> str:
        return (f"aws ec2 run-instances --image-id {ami} --instance-type {ctx.instance_type} --key-name {key_name} "
                f"--subnet-id {subnet} --security-group-ids {group} --associate-public-ip-address "
                "--metadata-options HttpTokens=required "
                f"--tag-specifications {tag_specification('instance', ctx.tags(host))}")

    def _key_pair(self, name: str, ctx: LabContext, options: SshAccessOptions, outputs: dict[str, Any]) -> aws.ec2.KeyPair:
        if options.key == "imported":
            public_key: pulumi.Input[str] = (options.public_key or "").strip()
        else:
            # as create-key-pair makes it (RSA 2048 bits); saved as the book downloads it: PEM for RSA, and
            # OpenSSH's own format for ED25519 (ssh reads no PEM ED25519 key)
            rsa = options.algorithm == "RSA"
            private = tls.PrivateKey(f"{name}-private-key", algorithm=options.algorithm, rsa_bits=2048 if rsa else None,
                                     opts=self.child)
            public_key = private.public_key_openssh
            outputs["privateKey"] = pulumi.Output.secret(private.private_key_pem if rsa else private.private_key_openssh)
            stack = f"{ctx.cohort}-{ctx.student}"
            outputs["saveKey"] = (f"(umask 077; pulumi stack output ssh-access --show-secrets --json --stack {stack} | "
                                  "python3 -c \"import json,sys; sys.stdout.write(json.load(sys.stdin)['privateKey'])\" "
                                  f"> {KEY_FILE})")
        if options.key == "created":  # the solution stands in for the student's key: the book's name, as they would
            return aws.ec2.KeyPair(f"{name}-key", key_name=ctx.account_name(KEY_NAME), public_key=public_key,
                                   tags=ctx.tags(KEY_NAME), opts=self.child)
        return aws.ec2.KeyPair(f"{name}-key", key_name_prefix=ctx.account_name(f"{KEY_NAME}-"), public_key=public_key,
                               tags=ctx.tags(KEY_NAME), opts=self.child)
