"""LabVpc: one VPC of the address plan with its gateways, subnets and route tables."""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv6Network
from typing import Callable, Mapping, Sequence

import pulumi
import pulumi_aws as aws

from cloudlabs.addressing import VpcPlan
from cloudlabs.placement import place_subnets

from .context import LabContext


def ipv6_subnet(vpc_block: str, index: int) -> str:
    """The index-th /64 of a VPC's Amazon-provided /56 (index 0 is the book's "00")."""
    return str(list(IPv6Network(vpc_block).subnets(new_prefix=64))[index])


def slug(name: str) -> str:
    return name.lower().replace("_", "-")


def _zone_named(subnet: str) -> Callable[[Mapping[str, str]], str]:
    return lambda placement: placement[subnet]


def _zone_at(index: int) -> Callable[[Sequence[str]], str]:
    """The index-th zone, wrapping around the zones the region offers."""
    return lambda zones: zones[index % len(zones)]


def _ipv6_subnet(index: int) -> Callable[[str], str]:
    return lambda block: ipv6_subnet(block, index)


@dataclass
class LabVpcArgs:
    plan: VpcPlan
    context: LabContext
    availability_zones: pulumi.Input[list[str]]  # the region's zones, looked up at deploy time
    nat_gateway: bool = False  # one NAT gateway + Elastic IP in the first public subnet
    private_default_route: bool = True  # 0.0.0.0/0 of the private subnets via the NAT gateway
    ipv6_default_route: bool = True  # with IPv6: ::/0 to the internet gateway (public) / egress-only gateway (private)
    # With the region's zones and the names of the subnets that hold instances, subnets without
    # instances may use zones that do not offer the instance type (cloudlabs/placement.py);
    # without, every subnet is placed in `availability_zones`, wrapping over them.
    all_zones: pulumi.Input[list[str]] | None = None
    instance_subnets: tuple[str, ...] = ()


def region_zones(opts: pulumi.InvokeOptions | None = None) -> pulumi.Output[list[str]]:
    """Every available zone of the stack's region, sorted by name."""
    return aws.get_availability_zones_output(state="available", opts=opts).names.apply(lambda names: sorted(names))


class LabVpc(pulumi.ComponentResource):
    """VPC with DNS hostnames, an internet gateway, the plan's public and private subnets, a
    public route table with 0.0.0.0/0 (and ::/0 when IPv6 is on) to the internet gateway, and
    one private route table shared by the private subnets, optionally routed through a single
    NAT gateway (one per VPC keeps a lab cheap; high availability is not the lesson here).

    Outputs: vpc_id, cidr_block, subnet_ids (by plan name), public/private route table ids,
    nat_gateway_id and nat_public_ip when there is one.
    """

    def __init__(self, name: str, args: LabVpcArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:network:LabVpc", name, None, opts)
        plan, ctx = args.plan, args.context
        child = pulumi.ResourceOptions(parent=self)
        if args.nat_gateway and not plan.public_subnets:
            raise ValueError(f"{plan.name}: a NAT gateway needs a public subnet")

        self.plan = plan
        self.vpc = aws.ec2.Vpc(
            name,
            cidr_block=str(plan.cidr),
            enable_dns_support=True,
            enable_dns_hostnames=True,
            assign_generated_ipv6_cidr_block=plan.ipv6 or None,
            tags=ctx.tags(plan.name),
            opts=child,
        )
        self.igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=ctx.tags(f"{plan.name}-IGW"), opts=child)

        zones = pulumi.Output.from_input(args.availability_zones)
        placement = None
        if args.all_zones is not None:
            placement = pulumi.Output.all(zones, pulumi.Output.from_input(args.all_zones)).apply(
                lambda v: place_subnets(plan.subnets, args.instance_subnets, v[0], v[1]))
        self.subnets: dict[str, aws.ec2.Subnet] = {}
        for subnet in plan.subnets:
            ipv6_index = subnet.ipv6_index if plan.ipv6 else None
            ipv6 = ipv6_index is not None
            self.subnets[subnet.name] = aws.ec2.Subnet(
                f"{name}-{slug(subnet.name)}",
                vpc_id=self.vpc.id,
                cidr_block=str(subnet.cidr),
                availability_zone=(placement.apply(_zone_named(subnet.name)) if placement is not None
                                   else zones.apply(_zone_at(subnet.az))),
                map_public_ip_on_launch=subnet.public,
                ipv6_cidr_block=self.vpc.ipv6_cidr_block.apply(_ipv6_subnet(ipv6_index)) if ipv6_index is not None else None,
                assign_ipv6_address_on_creation=True if ipv6 else None,
                tags={**ctx.tags(subnet.name), "cloudlabs:tier": subnet.tier},
                opts=child,
            )

        self.public_route_table = None
        self.public_default_route: aws.ec2.Route | None = None
        self.associations: dict[str, aws.ec2.RouteTableAssociation] = {}  # by subnet plan name
        if plan.public_subnets:
            self.public_route_table = self._route_table(f"{name}-public-rt", f"{plan.name}-RT-Public", plan.public_subnets, ctx)
            self.public_default_route = aws.ec2.Route(f"{name}-public-default", route_table_id=self.public_route_table.id,
                                                      destination_cidr_block="0.0.0.0/0", gateway_id=self.igw.id, opts=child)
            if plan.ipv6 and args.ipv6_default_route:
                aws.ec2.Route(f"{name}-public-default-v6", route_table_id=self.public_route_table.id,
                              destination_ipv6_cidr_block="::/0", gateway_id=self.igw.id, opts=child)

        self.nat_gateway = None
        self.nat_eip: aws.ec2.Eip | None = None
        if args.nat_gateway:
            home = plan.public_subnets[0]
            self.nat_eip = aws.ec2.Eip(f"{name}-nat-eip", domain="vpc", tags=ctx.tags(f"{plan.name}-NAT-EIP"), opts=child)
            self.nat_gateway = aws.ec2.NatGateway(
                f"{name}-nat",
                allocation_id=self.nat_eip.allocation_id,
                subnet_id=self.subnets[home.name].id,
                connectivity_type="public",
                tags=ctx.tags(f"{plan.name}-NAT"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.igw]),
            )

        self.private_route_table: aws.ec2.RouteTable | None = None
        if plan.private_subnets:
            self.private_route_table = self._route_table(f"{name}-private-rt", f"{plan.name}-RT-Private", plan.private_subnets, ctx)
            if self.nat_gateway is not None and args.private_default_route:
                aws.ec2.Route(f"{name}-private-default", route_table_id=self.private_route_table.id,
                              destination_cidr_block="0.0.0.0/0", nat_gateway_id=self.nat_gateway.id, opts=child)
            if plan.ipv6 and args.ipv6_default_route:
                eigw = aws.ec2.EgressOnlyInternetGateway(f"{name}-eigw", vpc_id=self.vpc.id,
                                                         tags=ctx.tags(f"{plan.name}-EIGW"), opts=child)
                aws.ec2.Route(f"{name}-private-default-v6", route_table_id=self.private_route_table.id,
                              destination_ipv6_cidr_block="::/0", egress_only_gateway_id=eigw.id, opts=child)

        self.vpc_id = self.vpc.id
        self.default_security_group_id = self.vpc.default_security_group_id
        self.register_outputs({
            "vpc_id": self.vpc.id,
            "cidr_block": self.vpc.cidr_block,
            "subnet_ids": {k: s.id for k, s in self.subnets.items()},
            "public_route_table_id": self.public_route_table.id if self.public_route_table else None,
            "private_route_table_id": self.private_route_table.id if self.private_route_table else None,
            "nat_gateway_id": self.nat_gateway.id if self.nat_gateway else None,
            "nat_public_ip": self.nat_eip.public_ip if self.nat_eip else None,
        })

    def internet_path(self, subnets: Sequence[str]) -> list[pulumi.Resource]:
        """What makes these public subnets (plan names) reach the internet: the default route to the
        internet gateway and their associations with its table (what a resource that needs the way
        out when it is created waits for, besides the gateway)."""
        if self.public_default_route is None or any(s not in self.associations for s in subnets):
            raise ValueError(f"{self.plan.name}: {', '.join(subnets)} are not all public subnets with a default route")
        return [self.public_default_route, *(self.associations[s] for s in subnets)]

    @property
    def route_tables(self) -> list[aws.ec2.RouteTable]:
        """Every route table of the VPC that subnets use (public first)."""
        return [t for t in (self.public_route_table, self.private_route_table) if t is not None]

    def _route_table(self, name: str, tag_name: str, subnets, ctx: LabContext) -> aws.ec2.RouteTable:
        child = pulumi.ResourceOptions(parent=self)
        table = aws.ec2.RouteTable(name, vpc_id=self.vpc.id, tags=ctx.tags(tag_name), opts=child)
        for subnet in subnets:
            self.associations[subnet.name] = aws.ec2.RouteTableAssociation(
                f"{name}-{slug(subnet.name)}", route_table_id=table.id, subnet_id=self.subnets[subnet.name].id, opts=child)
        return table
