"""vpc-peering (chapter 7.4 and its coursework): blue/green VPCs joined by a peering connection."""

from __future__ import annotations

from typing import Any

import pulumi_aws as aws

from cloudlabs.labs.vpc_peering import VpcPeeringOptions
from cloudlabs.images import AMAZON_LINUX_2023, builtin_web_server_user_data

from cloudlabs.labs import vpc_peering

from ..compute import Bastion, BastionArgs, InstanceArgs, WebServer, lookup_ami, zones_offering
from ..context import LabContext
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, ICMP_ALL, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from .base import LabArgs, LabComponent

# (side, VPC, public subnet, private subnet, bastion, web server, role)
SIDES = (
    ("a", "VPC-A", "SN-A-1", "SN-A-2", "VM1", "VM2", "blue: staging"),
    ("b", "VPC-B", "SN-B-1", "SN-B-2", "VM3", "VM4", "green: production"),
)


class VpcPeeringLab(LabComponent[VpcPeeringOptions]):
    """Blue VPC-A (staging) and green VPC-B (production), each with a public and a private /20,
    an internet gateway, a NAT gateway (option natGateway), a bastion and a private web server
    saying "Hello from $(hostname -f)". VPC-B requests the peering and VPC-A accepts it in the
    same stack. In `solution` every route table of each VPC routes the other VPC's CIDR
    through the peering; `starter` has the active peering and no such route.

    Security groups: bastions take SSH from the admin CIDR and ICMP from the peer VPC; web
    servers take SSH and HTTP from their own bastion and HTTP and ICMP from the peer VPC.
    """

    TYPE = "cloudlabs:labs:VpcPeering"
    LAB = vpc_peering.LAB

    def build(self, name: str, args: LabArgs[VpcPeeringOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plans = {side: args.layout.vpc(vpc_name) for side, vpc_name, *_ in SIDES}
        zones = zones_offering(ctx.instance_type)
        vpcs = {side: LabVpc(f"{name}-vpc-{side}", LabVpcArgs(plan=plans[side], context=ctx, availability_zones=zones,
                                                                 nat_gateway=options.nat_gateway), opts=self.child)
                for side in plans}

        peering = aws.ec2.VpcPeeringConnection(
            f"{name}-peering", vpc_id=vpcs["b"].vpc_id, peer_vpc_id=vpcs["a"].vpc_id, auto_accept=False,
            tags=ctx.tags("peering-B-to-A"), opts=self.child)
        accepter = aws.ec2.VpcPeeringConnectionAccepter(
            f"{name}-peering-accepter", vpc_peering_connection_id=peering.id, auto_accept=True,
            tags=ctx.tags("peering-B-to-A"), opts=self.child)
        if ctx.stage == "solution":
            for side, peer in (("a", "b"), ("b", "a")):
                for table, tier in zip(vpcs[side].route_tables, ("public", "private")):
                    aws.ec2.Route(f"{name}-{side}-{tier}-to-{peer}", route_table_id=table.id,
                                  destination_cidr_block=str(plans[peer].cidr),
                                  vpc_peering_connection_id=accepter.id, opts=self.child)

        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        hosts: dict[str, Any] = {}
        ssh: dict[str, Any] = {}
        for side, vpc_name, public, private, bastion_name, web_name, _role in SIDES:
            peer_cidr = plans["b" if side == "a" else "a"].cidr
            vpc = vpcs[side]
            bastion = Bastion(f"{name}-{bastion_name.lower()}", BastionArgs(
                vpc_id=vpc.vpc_id, subnet_id=vpc.subnets[public].id, ami=ami, context=ctx, host_name=bastion_name,
                extra_rules=[inbound(ICMP_ALL, peer_cidr, "ICMP from the peer VPC", name="icmp-from-peer")]),
                opts=self.child)
            web = self._web_server(name, ctx, vpc, private, web_name, bastion, peer_cidr, ami, options.nat_gateway)
            hosts[bastion_name] = {"subnet": public, "privateIp": bastion.private_ip, "publicIp": bastion.public_ip}
            hosts[web_name] = {"subnet": private, "privateIp": web.private_ip, "publicIp": None}
            ssh[bastion_name] = bastion.ssh
            ssh[web_name] = bastion.ssh_to(AMAZON_LINUX_2023.login_user, web.private_ip)

        checks = {f"{src} -> {dst}": hosts[dst]["privateIp"].apply(lambda ip: f"curl http://{ip}/")
                  for src in ("VM1", "VM3") for dst in ("VM2", "VM4")}
        return {
            "vpcs": {plans[side].name: {"id": vpcs[side].vpc_id, "cidr": str(plans[side].cidr), "role": role}
                     for side, _n, _p, _q, _b, _w, role in SIDES},
            "subnets": {s.name: {"id": vpcs[side].subnets[s.name].id, "cidr": str(s.cidr), "tier": s.tier}
                        for side in plans for s in plans[side].subnets},
            "instances": hosts,
            "peeringId": accepter.id,
            "natPublicIps": [v.nat_eip.public_ip for v in vpcs.values() if v.nat_eip is not None],
            "ssh": ssh,
            "checks": checks,
        }

    def _web_server(self, name: str, ctx: LabContext, vpc: LabVpc, subnet: str, host: str, bastion: Bastion,
                    peer_cidr, ami, nat: bool) -> WebServer:
        group = LabSecurityGroup(f"{name}-{host.lower()}-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description=f"{host}: from its bastion, and HTTP/ICMP from the peer VPC",
            group_name=f"{host}-SG", context=ctx,
            rules=[inbound(SSH, bastion.security_group_id, "SSH from the bastion", name="ssh-from-bastion"),
                   inbound(HTTP, bastion.security_group_id, "HTTP from the bastion", name="http-from-bastion"),
                   inbound(HTTP, peer_cidr, "HTTP from the peer VPC", name="http-from-peer"),
                   inbound(ICMP_ALL, peer_cidr, "ICMP from the peer VPC", name="icmp-from-peer"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound", name="all-outbound")]), opts=self.child)
        return WebServer(f"{name}-{host.lower()}", InstanceArgs(
            subnet_id=vpc.subnets[subnet].id, security_group_ids=[group.id], ami=ami, context=ctx, host_name=host,
            public=False, user_data=None if nat else builtin_web_server_user_data()), opts=self.child)

