"""Cost of a rendered graph: itemized hourly estimates from the pinned price table.

Only what bills by the hour while it exists is estimated (instances, their volumes and public
addresses, NAT gateways, load balancers, databases, Fargate tasks); usage charges (data
processed, transfer, requests) are not. A resource type that may cost money but has no rule
here is reported as unpriced rather than silently counted as free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from cloudlabs.pricing import PriceTable, PricingError, load_prices
from cloudlabs.profiles import ProfileError, load_profile
from cloudlabs.settings import DEFAULT_PROFILE

from labctl import kinds
from labctl.offline.graph import Resource, StackGraph


@dataclass(frozen=True)
class CostItem:
    resource: str  # logical name
    item: str  # what is billed, e.g. "t3.micro instance", "public IPv4 address"
    quantity: float
    unit: str
    unit_price: float  # per unit per hour

    @property
    def hourly(self) -> float:
        return self.quantity * self.unit_price


@dataclass
class StackCost:
    stack: str
    region: str
    items: list[CostItem] = field(default_factory=list)
    unpriced: list[str] = field(default_factory=list)  # "type name" of resources with no rule
    region_priced: bool = True  # False: the price table has no prices for the region (nothing is priced)

    @property
    def hourly(self) -> float:
        return sum(i.hourly for i in self.items)

    def for_hours(self, hours: float) -> float:
        return self.hourly * hours


# Resources with no hourly charge of their own (free, or usage-based and negligible in a lab): the
# kinds' records say which and why (labctl.kinds).
FREE = kinds.with_price(kinds.FREE) | kinds.with_price(kinds.USAGE)


class Estimator:
    def __init__(self, graph: StackGraph, prices: PriceTable):
        region = graph.settings.get("region", "")
        if region not in prices.regions:
            raise PricingError(f"{graph.stack}: no prices for region {region!r}; priced: {', '.join(prices.regions)}")
        self.graph, self.p, self.per_month = graph, prices.regions[region], prices.hours_per_month
        self.cost = StackCost(graph.stack, region)
        # each priced kind names its rule: a method of this class
        self.rules: dict[str, Callable[[Resource], None]] = {
            token: getattr(self, k.price) for token, k in kinds.KINDS.items() if k.price not in (kinds.FREE, kinds.USAGE)}

    def add(self, r: Resource, item: str, quantity: float, unit: str, price: float) -> None:
        self.cost.items.append(CostItem(r.name, item, quantity, unit, price))

    def price(self, table: dict[str, float], key: str, what: str) -> float:
        if key not in table:
            raise PricingError(f"{self.graph.stack}: no {what} price for {key!r} in {self.cost.region}; "
                               f"priced: {', '.join(table)} (pricing/aws-on-demand.yaml)")
        return table[key]

    def run(self) -> StackCost:
        for r in self.graph.custom_resources:
            rule = self.rules.get(r.type)
            if rule:
                rule(r)
            elif r.type not in FREE:
                self.cost.unpriced.append(f"{r.type} {r.name}")
        return self.cost

    def storage(self, r: Resource, gib: float, volume_type: str) -> None:
        price = self.price(self.p.ebs_gb_month, volume_type, "EBS")
        self.add(r, f"{volume_type} volume", gib, "GiB", price / self.per_month)

    def instance(self, r: Resource) -> None:
        itype = r.inputs["instanceType"]
        windows = (r.inputs.get("tags") or {}).get("cloudlabs:os") == "windows"  # the license bills by the hour
        kind, table = ("Windows instance", self.p.ec2_windows_instance_hour) if windows else ("instance", self.p.ec2_instance_hour)
        self.add(r, f"{itype} {kind}", 1, "instance", self.price(table, itype, f"EC2 {kind}"))
        root = r.inputs.get("rootBlockDevice") or {}
        self.storage(r, root.get("volumeSize", 8), root.get("volumeType", "gp3"))
        if r.outputs.get("publicIp") or r.inputs.get("associatePublicIpAddress"):
            self.add(r, "public IPv4 address", 1, "address", self.p.public_ipv4_hour)

    def autoscaling_group(self, r: Resource) -> None:
        """Desired capacity times what one instance of the launch template costs."""
        ref = (r.inputs.get("launchTemplate") or {}).get("id")
        template = self._referred(ref)
        if template is None:
            raise PricingError(f"{self.graph.stack}: {r.name} uses launch template {ref!r}, not in the graph")
        count = r.inputs.get("desiredCapacity", r.inputs.get("minSize", 1))
        itype = template.inputs["instanceType"]
        self.add(r, f"{itype} instance", count, "instance", self.price(self.p.ec2_instance_hour, itype, "EC2 instance"))
        for mapping in template.inputs.get("blockDeviceMappings") or []:
            ebs = mapping.get("ebs") or {}
            kind = ebs.get("volumeType", "gp3")
            price = self.price(self.p.ebs_gb_month, kind, "EBS")
            self.add(r, f"{kind} volume", count * ebs.get("volumeSize", 8), "GiB", price / self.per_month)
        interfaces = template.inputs.get("networkInterfaces") or [{}]
        if str(interfaces[0].get("associatePublicIpAddress")).lower() == "true":
            self.add(r, "public IPv4 address", count, "address", self.p.public_ipv4_hour)

    def beanstalk_environment(self, r: Resource) -> None:
        """Beanstalk is free; what it launches is not: the instances at the group's minimum size with
        their root volumes and public addresses (a single instance's is its Elastic IP), and a load
        balancer when the environment is load balanced. Priced from the option settings."""
        settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in r.inputs.get("settings") or []}

        def get(namespace: str, name: str, default: str) -> str:
            return str(settings.get((f"aws:{namespace}", name)) or default)

        single = get("elasticbeanstalk:environment", "EnvironmentType", "LoadBalanced") == "SingleInstance"
        count = 1 if single else int(get("autoscaling:asg", "MinSize", "1"))
        itype = get("autoscaling:launchconfiguration", "InstanceType", "") or get("ec2:instances", "InstanceTypes", "t3.micro").split(",")[0]
        self.add(r, f"{itype} instance", count, "instance", self.price(self.p.ec2_instance_hour, itype.strip(), "EC2 instance"))
        kind = get("autoscaling:launchconfiguration", "RootVolumeType", "gp3")
        gib = float(get("autoscaling:launchconfiguration", "RootVolumeSize", "8"))
        self.add(r, f"{kind} volume", count * gib, "GiB", self.price(self.p.ebs_gb_month, kind, "EBS") / self.per_month)
        if single:
            self.add(r, "public IPv4 address (Elastic IP)", 1, "address", self.p.public_ipv4_hour)
            return
        if get("ec2:vpc", "AssociatePublicIpAddress", "false").lower() == "true":
            self.add(r, "public IPv4 address", count, "address", self.p.public_ipv4_hour)
        kind = get("elasticbeanstalk:environment", "LoadBalancerType", "classic")
        if kind not in self.p.load_balancer_hour:
            self.cost.unpriced.append(f"{r.type} {r.name} ({kind} load balancer)")
            return
        self.add(r, f"{kind} load balancer", 1, "load balancer", self.p.load_balancer_hour[kind])
        zones = len([s for s in get("ec2:vpc", "ELBSubnets", "x,y").split(",") if s.strip()])
        self.add(r, "public IPv4 address (load balancer)", zones, "address", self.p.public_ipv4_hour)

    def vpc_endpoint(self, r: Resource) -> None:
        if r.inputs.get("vpcEndpointType", "Gateway") != "Gateway":  # interface endpoints bill per hour and AZ
            self.cost.unpriced.append(f"{r.type} {r.name}")

    def nat_gateway(self, r: Resource) -> None:
        self.add(r, "NAT gateway", 1, "gateway", self.p.nat_gateway_hour)

    def elastic_ip(self, r: Resource) -> None:
        self.add(r, "public IPv4 address (Elastic IP)", 1, "address", self.p.public_ipv4_hour)

    def load_balancer(self, r: Resource) -> None:
        kind = r.inputs.get("loadBalancerType", "application")
        self.add(r, f"{kind} load balancer", 1, "load balancer", self.price(self.p.load_balancer_hour, kind, "load balancer"))
        if not r.inputs.get("internal"):
            zones = len(r.inputs.get("subnets") or r.inputs.get("subnetMappings") or [1])
            self.add(r, "public IPv4 address (load balancer)", zones, "address", self.p.public_ipv4_hour)

    def database(self, r: Resource) -> None:
        klass = r.inputs["instanceClass"]
        copies = 2 if r.inputs.get("multiAz") else 1
        self.add(r, f"{klass} database", copies, "instance", self.price(self.p.rds_instance_hour, klass, "RDS instance"))
        kind = r.inputs.get("storageType", "gp2")
        price = self.price(self.p.rds_storage_gb_month, kind, "RDS storage")
        self.add(r, f"{kind} database storage", r.inputs.get("allocatedStorage", 20) * copies, "GiB", price / self.per_month)
        if r.inputs.get("publiclyAccessible"):
            self.add(r, "public IPv4 address (database)", 1, "address", self.p.public_ipv4_hour)

    def volume(self, r: Resource) -> None:
        self.storage(r, r.inputs.get("size", 8), r.inputs.get("type", "gp3"))

    def fargate_service(self, r: Resource) -> None:
        if r.inputs.get("launchType", "FARGATE") != "FARGATE":
            self.cost.unpriced.append(f"{r.type} {r.name}")
            return
        task = self._task_definition(r.inputs.get("taskDefinition"))
        tasks = r.inputs.get("desiredCount", 1)
        self.add(r, "Fargate vCPU", tasks * float(task["cpu"]) / 1024, "vCPU", self.p.fargate_vcpu_hour)
        self.add(r, "Fargate memory", tasks * float(task["memory"]) / 1024, "GB", self.p.fargate_gb_hour)
        if (r.inputs.get("networkConfiguration") or {}).get("assignPublicIp"):
            self.add(r, "public IPv4 address (task)", tasks, "address", self.p.public_ipv4_hour)

    def _task_definition(self, ref: Any) -> dict[str, Any]:
        task = self._referred(ref)
        if task is None:
            raise PricingError(f"{self.graph.stack}: service refers to task definition {ref!r}, not in the graph")
        return task.inputs

    def _referred(self, ref: Any) -> Resource | None:
        """The resource an input names by its id or ARN (ids and ARNs are unique in a stack)."""
        if not ref:
            return None
        return next((c for c in self.graph.custom_resources if ref in (c.id, c.outputs.get("arn"))), None)


def estimate(graph: StackGraph, prices: PriceTable | None = None) -> StackCost:
    """The stack's cost; a region the price table does not cover is marked unpriced (a profile may
    allow regions the table has no figures for: the plan still shows, never "crashes" on cost)."""
    prices = prices or load_prices()
    region = str(graph.settings.get("region", ""))
    if region not in prices.regions:
        return StackCost(graph.stack, region, unpriced=[f"every resource (no prices for {region} in pricing/aws-on-demand.yaml; "
                                                        f"priced regions: {', '.join(prices.regions)})"], region_priced=False)
    return Estimator(graph, prices).run()


@dataclass(frozen=True)
class Session:
    hours: float
    count: int  # sessions in the course


def session_of(settings: dict[str, Any]) -> Session:
    """The stack's session as its snapshot records it; its profile's where the snapshot predates it."""
    hours, count = settings.get("sessionHours"), settings.get("sessions")
    if hours is None or count is None:
        try:
            profile = load_profile(str(settings.get("profile") or DEFAULT_PROFILE))
        except ProfileError:
            profile = load_profile(DEFAULT_PROFILE)
        hours = profile.session_hours if hours is None else hours
        count = profile.sessions if count is None else count
    return Session(float(hours), int(count))


@dataclass(frozen=True)
class ItemTotal:
    item: str
    quantity: float
    unit: str
    hourly: float


def summarize(costs: Iterable[StackCost]) -> list[ItemTotal]:
    """Cohort-wide totals per billed item, most expensive first."""
    totals: dict[tuple[str, str], list[float]] = {}
    for cost in costs:
        for item in cost.items:
            entry = totals.setdefault((item.item, item.unit), [0.0, 0.0])
            entry[0] += item.quantity
            entry[1] += item.hourly
    rows = [ItemTotal(item, q, unit, h) for (item, unit), (q, h) in totals.items()]
    return sorted(rows, key=lambda r: (-r.hourly, r.item))
