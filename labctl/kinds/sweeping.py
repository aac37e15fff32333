"""The sweep facet's common parts: a record's ``sweep_rule`` says how the sweep (``labctl.ops.sweep``,
teardown's last step) lists everything of its kind in a region, deletes one, waits until AWS has
and prepares the kind's deletes; ``SWEEP_ORDER`` is the order AWS accepts the deletes in.

A rule lists *everything* of its sort in the region, with each item's own tags and the VPCs it sits
in; deciding what belongs to a cohort is the sweep's job, never a server-side filter's. A rule
receives the sweep's scan of the region (``SweepScan``: clients, prices, paging, tags, what "gone"
means) and makes its items with ``scan.found``; the label an item carries (``instance``) is its
record's ``sweep`` (the sweep's reports and its ledger name kinds by it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable, Protocol

if TYPE_CHECKING:
    from cloudlabs.pricing import RegionPrices


class Listed(Protocol):
    """One listed item as a rule's delete reads it back (``labctl.ops.sweep_kinds.Found``)."""

    @property
    def id(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def detail(self) -> str: ...
    @property
    def vpcs(self) -> tuple[str, ...]: ...
    @property
    def parent(self) -> str: ...


class SweepScan(Protocol):
    """One region as the sweep sees it (``labctl.ops.sweep_kinds.Scan``)."""

    region: str
    p: "RegionPrices | None"  # the region's prices, None without a price table
    per_month: float  # hours in a month, for prices by the month

    def client(self, service: str) -> Any: ...
    @property
    def account_id(self) -> str: ...
    @property
    def ipv4(self) -> float | None: ...  # a public IPv4 address's hourly price
    def price(self, table: str, key: str) -> float | None: ...
    def vpcs_of_subnets(self, subnets: Iterable[str]) -> tuple[str, ...]: ...
    def pages(self, client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]: ...
    def tag_map(self, items: Iterable[dict] | None) -> dict[str, str]: ...
    def is_gone(self, err: BaseException) -> bool: ...
    def still(self, items: list[Any], exists: Callable[[Any], bool]) -> list[Any]: ...
    def found(self, kind: str, id: str, tags: dict[str, str] = ..., vpcs: tuple[str, ...] = (), *, state: str = "",
              detail: str = "", hourly: float | None = 0.0, default: bool = False, holds: tuple[tuple[str, str], ...] = (),
              arn: str = "", parent: str = "", since: datetime | None = None, stopped_at: datetime | None = None,
              running_hourly: float | None = None) -> Any: ...


@dataclass(frozen=True)
class SweepRule:
    """How the sweep finds and deletes one AWS kind. ``remaining`` (for deletes AWS finishes later) says
    which of the deleted items still exist; ``prepare`` runs once before the kind's deletes."""

    find: Callable[[SweepScan], Iterable[Any]]  # everything of the kind in the region, made by scan.found
    delete: Callable[[SweepScan, Any], None]  # (scan, item)
    remaining: Callable[[SweepScan, list[Any]], list[Any]] | None = None
    prepare: Callable[[SweepScan, list[Any]], None] | None = None
    arn_kinds: tuple[str, ...] = ()  # what the tagging API calls it (service:resource-type)


def delete_by_id(service: str, operation: str, argument: str, listed: bool = False, **fixed: Any) -> Callable[[SweepScan, Any], None]:
    """A delete that is one call naming the item's id (in a list where the API takes several)."""
    return lambda scan, item: getattr(scan.client(service), operation)(**{argument: [item.id] if listed else item.id}, **fixed)


# The order AWS accepts the deletes in: dependents first (what holds an address, an interface or a
# route goes before what it sits in). Each rule once, by the token of the record that holds it.
SWEEP_ORDER = (
    # what launches instances of its own goes first, or it launches them again
    "aws:elasticbeanstalk/environment:Environment",  # its instances, load balancer, groups and alarms go with it
    "aws:ecs/service:Service",  # its Fargate tasks hold interfaces in the cohort's subnets
    "aws:autoscaling/group:Group",  # its instances, before they are terminated one by one
    "aws:ec2/instance:Instance",  # holds interfaces, addresses and groups
    "aws:lb/loadBalancer:LoadBalancer",  # holds interfaces in the subnets; its listeners use the target groups
    "aws:lb/targetGroup:TargetGroup",  # in use by a listener until its load balancer is gone
    "aws:ec2/natGateway:NatGateway",  # holds its Elastic IP and an interface in its subnet
    "aws:ec2/vpcEndpoint:VpcEndpoint",  # holds interfaces (or routes) in the VPC
    "aws:rds/instance:Instance",  # holds interfaces in its subnet group's subnets
    "aws:rds/subnetGroup:SubnetGroup",  # in use until its databases are gone
    "aws:ecs/cluster:Cluster",  # refused while it has services
    "aws:ecs/taskDefinition:TaskDefinition",  # after its services
    "aws:ecr/repository:Repository",  # no dependency: with the containers' other kinds
    "aws:ec2/networkInterface:NetworkInterface",  # only the unused ones are listed: after everything that held one
    "aws:ec2/eip:Eip",  # released once its NAT gateway or instance no longer holds it
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",  # its routes name it; before the VPCs it joins
    "aws:ec2/securityGroup:SecurityGroup",  # in use by every interface above; the rules between groups dropped first
    "aws:ec2/subnet:Subnet",  # refused while an interface is in it
    "aws:ec2/routeTable:RouteTable",  # after its subnets (their associations end with them)
    "aws:ec2/networkAcl:NetworkAcl",  # after its subnets return to the default ACL
    "aws:ec2/internetGateway:InternetGateway",  # detached once no public address is mapped through it
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway",
    "aws:ec2/vpc:Vpc",  # refused while anything above is in it
    # outside any VPC: no order among them but these
    "aws:ec2/launchTemplate:LaunchTemplate",  # after the groups that launch from it
    "aws:ec2/ami:Ami",  # deregistered before its snapshots
    "aws:ebs/snapshot:Snapshot",  # refused while an AMI uses it
    "aws:ebs/volume:Volume",  # only unattached ones: after the instances
    "aws:ec2/keyPair:KeyPair",
    "aws:ssm/parameter:Parameter",
    "aws:s3/bucket:Bucket",  # emptied first (every version)
    "aws:elasticbeanstalk/application:Application",  # after its environments
    "aws:cloudwatch/logGroup:LogGroup",  # after what writes to it (ECS tasks, Beanstalk)
    "aws:iam/instanceProfile:InstanceProfile",  # its role removed from it first; before the role
    "aws:iam/role:Role",  # detached from profiles and policies first
)


def sweep_rules() -> dict[str, SweepRule]:
    """The sweep's rules by their labels (each record's ``sweep``), in ``SWEEP_ORDER``."""
    from labctl.kinds import KINDS
    rules: dict[str, SweepRule] = {}
    for token in SWEEP_ORDER:
        record = KINDS[token]
        assert record.sweep_rule is not None, f"{token}: in SWEEP_ORDER without a sweep_rule"
        rules[record.sweep] = record.sweep_rule
    return rules
