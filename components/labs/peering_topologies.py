"""peering-topologies (chapter 7 coursework): full-mesh and provider peering topologies."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws

from cloudlabs.images import AMAZON_LINUX_2023, builtin_web_server_user_data
from cloudlabs.labs import peering_topologies
from cloudlabs.labs.peering_topologies import MESH, PROVIDER_HOST, RECEIVERS, PeeringTopologiesOptions

from ..compute import Bastion, BastionArgs, InstanceArgs, WebServer, lookup_ami, ssh_command, zones_offering
from ..network import LabVpc, LabVpcArgs
from ..security import (
    ALL_TRAFFIC, ANYWHERE, ANYWHERE_V6, HTTP, ICMP_ALL, SSH, AssignedIpv6Block, LabSecurityGroup, LabSecurityGroupArgs,
    Ports, inbound, outbound,
)
from .base import LabArgs, LabComponent

ICMPV6_ALL = Ports("icmpv6", -1, -1, "ICMPv6 (all)")
PING6_TARGET = "2001:4860:4860::8888"  # the book's IPv6 address outside AWS (Google's DNS)


class PeeringTopologiesLab(LabComponent[PeeringTopologiesOptions]):
    """Builds the topology the option names from the lab's four-VPC plan. Peerings are requested
    and auto-accepted in the same stack (one account, one region); `solution` adds the routes
    through them, on both sides, only in the tables whose hosts the tests need."""

    TYPE = "cloudlabs:labs:PeeringTopologies"
    LAB = peering_topologies.LAB

    def build(self, name: str, args: LabArgs[PeeringTopologiesOptions]) -> dict[str, Any]:
        self._lab_name, self._ctx, self._layout = name, args.context, args.layout
        self._ami = lookup_ami(AMAZON_LINUX_2023, self._ctx.instance_type)
        if args.options.topology == "full-mesh":
            return self._build_full_mesh()
        return self._build_provider()

    # --- shared pieces ----------------------------------------------------------------------------

    def _vpc(self, book_name: str, subnets: tuple[str, ...], ipv6: bool, nat: bool = False) -> LabVpc:
        full = self._layout.vpc(book_name)
        plan = dataclasses.replace(full, subnets=tuple(s for s in full.subnets if s.name in subnets), ipv6=ipv6)
        return LabVpc(f"{self._lab_name}-{book_name.lower()}", LabVpcArgs(
            plan=plan, context=self._ctx, availability_zones=zones_offering(self._ctx.instance_type), nat_gateway=nat),
            opts=self.child)

    def _peering(self, left: LabVpc, right: LabVpc) -> aws.ec2.VpcPeeringConnection:
        label = f"{left.plan.name}<->{right.plan.name}"
        return aws.ec2.VpcPeeringConnection(
            f"{self._lab_name}-pcx-{left.plan.name.lower()}-{right.plan.name.lower()}", vpc_id=left.vpc_id,
            peer_vpc_id=right.vpc_id, auto_accept=True, tags=self._ctx.tags(f"peering-{label}"), opts=self.child)

    def _route(self, key: str, table, peering, cidr: pulumi.Input[str], ipv6: bool = False) -> None:
        if self._ctx.stage != "solution" or table is None:
            return
        destination = {"destination_ipv6_cidr_block": cidr} if ipv6 else {"destination_cidr_block": cidr}
        aws.ec2.Route(f"{self._lab_name}-{key}", route_table_id=table.id, vpc_peering_connection_id=peering.id,
                      opts=self.child, **destination)

    def _group(self, key: str, vpc: LabVpc, book_name: str, description: str, rules) -> LabSecurityGroup:
        return LabSecurityGroup(f"{self._lab_name}-{key}-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description=description, group_name=book_name, context=self._ctx, rules=rules),
            opts=self.child)

    def _server(self, host: str, vpc: LabVpc, subnet: str, groups: list, public: bool = True, ipv6: bool = False,
                user_data: str | None = None) -> WebServer:
        return WebServer(f"{self._lab_name}-{host.lower()}", InstanceArgs(
            subnet_id=vpc.subnets[subnet].id, security_group_ids=groups, ami=self._ami, context=self._ctx,
            host_name=host, public=public, ipv6_addresses=1 if ipv6 else 0, user_data=user_data), opts=self.child)

    # --- full mesh (book ch. 7, “Construction of VPCs with private subnet with NAT gateways” › “Construction of two VPCs with full mesh VPC peering”) -------------------------------------------------------------------

    def _build_full_mesh(self) -> dict[str, Any]:
        ctx = self._ctx
        default = self._vpc("default-VPC", ("subnet-public", "subnet-private"), ipv6=False, nat=True)
        sides = {v: self._vpc(f"VPC-{v}", (f"SN-{v}-public",), ipv6=True) for v in MESH}
        peerings = {"A": self._peering(default, sides["A"]), "B": self._peering(default, sides["B"]),
                    "AB": self._peering(sides["A"], sides["B"])}
        for v, vpc in sides.items():  # web-A and web-B curl web-dev: the private table routes the replies back
            self._route(f"default-private-to-{v.lower()}", default.private_route_table, peerings[v], str(vpc.plan.cidr))
            self._route(f"{v.lower()}-to-default", vpc.public_route_table, peerings[v], str(default.plan.cidr))
        for v, peer in (("A", "B"), ("B", "A")):  # IPv6 between web-A and web-B
            self._route(f"{v.lower()}-to-{peer.lower()}-v6", sides[v].public_route_table, peerings["AB"],
                        sides[peer].vpc.ipv6_cidr_block, ipv6=True)

        bastion = Bastion(f"{self._lab_name}-bastion", BastionArgs(
            vpc_id=default.vpc_id, subnet_id=default.subnets["subnet-public"].id, ami=self._ami, context=ctx),
            opts=self.child)
        dev_group = self._group("web-dev", default, "web-dev-SG", "web-dev: SSH and HTTP from the bastion, HTTP from VPC-A and VPC-B", [
            inbound(SSH, bastion.security_group_id, "SSH from the bastion", name="ssh-from-bastion"),
            inbound(HTTP, bastion.security_group_id, "HTTP from the bastion", name="http-from-bastion"),
            *(inbound(HTTP, sides[v].plan.cidr, f"HTTP from VPC-{v}", name=f"http-from-vpc-{v.lower()}") for v in sides),
            outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (through the NAT gateway)"),
        ])
        web_dev = self._server("web-dev", default, "subnet-private", [dev_group.id], public=False)
        webs: dict[str, WebServer] = {}
        for v, peer in (("A", "B"), ("B", "A")):
            group = self._group(f"web-{v.lower()}", sides[v], f"web-{v}-SG",
                                f"web-{v}: HTTP from anywhere, SSH from the admin CIDR, ICMPv6 from VPC-{peer}", [
                inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
                inbound(HTTP, ANYWHERE, "HTTP from anywhere (IPv4)"),
                inbound(HTTP, ANYWHERE_V6, "HTTP from anywhere (IPv6)"),
                inbound(ICMPV6_ALL, AssignedIpv6Block(sides[peer].vpc.ipv6_cidr_block), f"ping6 from VPC-{peer}", name=f"icmpv6-from-{peer.lower()}"),
                outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (IPv4)"),
                outbound(ALL_TRAFFIC, ANYWHERE_V6, "all outbound (IPv6)"),
            ])
            webs[v] = self._server(f"web-{v}", sides[v], f"SN-{v}-public", [group.id], ipv6=True)

        hosts = {"bastion": (default, "subnet-public", bastion), "web-dev": (default, "subnet-private", web_dev),
                 **{f"web-{v}": (sides[v], f"SN-{v}-public", webs[v]) for v in sides}}
        checks = {
            **{f"web-{v}": [web_dev.private_ip.apply(lambda ip: f"curl http://{ip}/"),
                            pulumi.Output.concat("ping -6 -c 3 ", webs[peer].instance.ipv6_addresses[0]),
                            f"ping -6 -c 3 {PING6_TARGET}"]
               for v, peer in (("A", "B"), ("B", "A"))},
            "bastion": [web_dev.private_ip.apply(lambda ip: f"curl http://{ip}/")],
        }
        return self._outputs("full-mesh", [default, *sides.values()], hosts, {
            "default-VPC<->VPC-A": peerings["A"], "default-VPC<->VPC-B": peerings["B"], "VPC-A<->VPC-B": peerings["AB"]},
            {"bastion": bastion.ssh, "web-dev": bastion.ssh_to(AMAZON_LINUX_2023.login_user, web_dev.private_ip),
             **{f"web-{v}": webs[v].ssh for v in webs}}, checks)

    # --- provider (book ch. 7, “Construction of two VPCs with full mesh VPC peering” › “Construction of three VPCs with VPC Peering to the default VPC”) --------------------------------------------------------------------

    def _build_provider(self) -> dict[str, Any]:
        ctx = self._ctx
        provider = self._vpc("default-VPC", ("subnet-public",), ipv6=False)
        receivers = {v: self._vpc(f"VPC-{v}", (f"SN-{v}-public", f"SN-{v}-private"), ipv6=False) for v in RECEIVERS}
        clients = {v: vpc.plan.subnet(f"SN-{v}-private").cidr for v, vpc in receivers.items()}
        peerings: dict[str, aws.ec2.VpcPeeringConnection] = {}
        for v, vpc in receivers.items():
            peering = peerings[f"default-VPC<->VPC-{v}"] = self._peering(provider, vpc)
            # Only the receivers' private subnets and the provider know routes through the peering:
            # VM2's public table has none, so VM2 cannot reach the provider.
            self._route(f"{v.lower()}-private-to-provider", vpc.private_route_table, peering, str(provider.plan.cidr))
            self._route(f"provider-to-{v.lower()}-private", provider.public_route_table, peering, str(clients[v]))

        provider_group = self._group("vm1-provider", provider, "VM1-provider-SG",
                                     "VM1-provider: HTTP from the private subnets of VPC-A..C, SSH from the admin CIDR", [
            inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
            *(inbound(HTTP, clients[v], f"HTTP from SN-{v}-private", name=f"http-from-{v.lower()}") for v in RECEIVERS),
            outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"),
        ])
        served = self._server(PROVIDER_HOST, provider, "subnet-public", [provider_group.id])
        hosts: dict[str, Any] = {PROVIDER_HOST: (provider, "subnet-public", served)}
        ssh: dict[str, Any] = {PROVIDER_HOST: served.ssh}
        checks: dict[str, Any] = {}
        for v, vpc in receivers.items():
            vm2_group = self._group(f"vm2-{v.lower()}", vpc, f"VM2-{v}-SG", f"VM2-{v}: SSH from the admin CIDR, all out", [
                inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"), outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")])
            vm1_group = self._group(f"vm1-{v.lower()}", vpc, f"VM1-{v}-SG", f"VM1-{v}: SSH, HTTP and ping from VM2-{v}", [
                inbound(SSH, vm2_group.id, f"SSH from VM2-{v}", name="ssh-from-vm2"),
                inbound(HTTP, vm2_group.id, f"HTTP from VM2-{v}", name="http-from-vm2"),
                inbound(ICMP_ALL, vm2_group.id, f"ping from VM2-{v}", name="icmp-from-vm2"),
                outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")])
            vm1 = self._server(f"VM1-{v}", vpc, f"SN-{v}-private", [vm1_group.id], public=False,
                               user_data=builtin_web_server_user_data())
            vm2 = self._server(f"VM2-{v}", vpc, f"SN-{v}-public", [vm2_group.id])
            hosts[f"VM1-{v}"] = (vpc, f"SN-{v}-private", vm1)
            hosts[f"VM2-{v}"] = (vpc, f"SN-{v}-public", vm2)
            ssh[f"VM2-{v}"] = vm2.ssh
            ssh[f"VM1-{v}"] = ssh_command(vm1.login_user, vm1.private_ip, ctx.ssh_key_file, via=vm2.public_ip)
            checks[f"VM1-{v}"] = [served.private_ip.apply(lambda ip: f"curl http://{ip}/  # works")]
            checks[f"VM2-{v}"] = [vm1.private_ip.apply(lambda ip: f"curl http://{ip}/  # works"),
                                  served.private_ip.apply(lambda ip: f"curl --max-time 5 http://{ip}/  # must time out")]
        return self._outputs("provider", [provider, *receivers.values()], hosts, peerings, ssh, checks)

    def _outputs(self, topology: str, vpcs: list[LabVpc], hosts: dict[str, Any], peerings: dict[str, Any],
                 ssh: dict[str, Any], checks: dict[str, Any]) -> dict[str, Any]:
        return {
            "topology": topology,
            "vpcs": {v.plan.name: {"id": v.vpc_id, "cidr": str(v.plan.cidr),
                                   **({"ipv6Cidr": v.vpc.ipv6_cidr_block} if v.plan.ipv6 else {})} for v in vpcs},
            "instances": {h: {"vpc": vpc.plan.name, "subnet": subnet, "privateIp": server.private_ip,
                              "publicIp": server.public_ip, **({"ipv6": server.ipv6} if getattr(server, "ipv6", None) is not None else {})}
                          for h, (vpc, subnet, server) in hosts.items()},
            "peerings": {label: p.id for label, p in peerings.items()},
            "ssh": ssh,
            "checks": checks,
        }
