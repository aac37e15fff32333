"""The sweep's view of a region: ``Scan`` (clients made once per session, the prices, the lookups the
rules share, and the helpers they are given: paging, tags, what "gone" means) and ``Found`` (one
listed resource). How each kind is listed, deleted and waited for is its record's ``sweep_rule``
(``labctl.kinds.sweeping``; the deletes go in ``SWEEP_ORDER``).

The kinds are what the labs create and what the book's chapters have a student create by hand
(instances, NAT gateways with their Elastic IPs, network interfaces, endpoints, load balancers,
target groups, Auto Scaling groups, launch templates, AMIs and their snapshots, key pairs,
databases, buckets, Beanstalk environments and applications, ECR repositories, ECS services,
clusters and task definitions, log groups, IAM roles and instance profiles, and the VPC parts).
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Callable, Iterable

from cloudlabs.pricing import RegionPrices

from labctl.kinds.sweeping import SweepRule, sweep_rules
from labctl.ops.awserrors import is_gone
from labctl.ops.awslist import pages, tag_map


@dataclass
class Found:
    """One resource as listed: its own tags, the VPCs it sits in or touches, what it holds that
    belongs with it (a NAT gateway's Elastic IP), and ``default`` for AWS's own parts of a VPC (its
    default security group, main route table, default ACL; the default VPC), which go with it."""

    kind: str
    id: str
    tags: dict[str, str] = field(default_factory=dict)
    vpcs: tuple[str, ...] = ()
    state: str = ""
    detail: str = ""
    hourly: float | None = 0.0  # None: costs money, no price known
    default: bool = False
    holds: tuple[tuple[str, str], ...] = ()  # (kind, id)
    arn: str = ""
    parent: str = ""  # what the delete call also names (an ECS service's cluster)
    # for the spend estimate (labctl.analysis.spend): when AWS says it was launched or created, when a
    # stopped instance stopped, and what it bills by the hour while running (``hourly`` is what it bills now)
    since: datetime | None = None
    stopped_at: datetime | None = None
    running_hourly: float | None = None


_CLIENTS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()
_CLIENTS_LOCK = threading.Lock()


class Scan:
    """One region as the sweep sees it: clients made once per session (making one is slow), the
    prices, and lookups kinds share."""

    def __init__(self, session: Any, region: str, prices: RegionPrices | None, hours_per_month: float = 730,
                 sleep: Callable[[float], None] = time.sleep):
        self.session, self.region, self.p, self.per_month, self.sleep = session, region, prices, hours_per_month, sleep

    def client(self, service: str) -> Any:
        with _CLIENTS_LOCK:
            made = _CLIENTS.setdefault(self.session, {})
            if service not in made:
                made[service] = self.session.client(service)
            return made[service]

    @cached_property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    @cached_property
    def subnet_vpc(self) -> dict[str, str]:
        return {s["SubnetId"]: s["VpcId"] for s in pages(self.client("ec2"), "describe_subnets", "Subnets")}

    def vpcs_of_subnets(self, subnets: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({self.subnet_vpc[s] for s in subnets if s in self.subnet_vpc}))

    def price(self, table: str, key: str) -> float | None:
        values = getattr(self.p, table) if self.p else None
        return None if values is None or key not in values else values[key]

    @property
    def ipv4(self) -> float | None:
        return self.p.public_ipv4_hour if self.p else None

    # what the rules (labctl.kinds) are given, since they may not import labctl.ops
    found = staticmethod(Found)
    pages = staticmethod(pages)
    tag_map = staticmethod(tag_map)
    is_gone = staticmethod(is_gone)

    def still(self, items: list[Found], exists: Callable[[Found], bool]) -> list[Found]:
        """The items ``exists`` still sees; one whose lookup answers "no such resource" is gone."""
        out = []
        for item in items:
            try:
                if exists(item):
                    out.append(item)
            except Exception as err:  # noqa: BLE001 - only "no such resource" means gone
                if not is_gone(err):
                    raise
        return out


# The sweep's rules by their labels, in the order AWS accepts the deletes.
RULES: dict[str, SweepRule] = sweep_rules()
RULE_NAMES = tuple(RULES)
COVERED_ARN_KINDS = {arn for rule in RULES.values() for arn in rule.arn_kinds}
