"""Read a student's network as AWS reports it now, as the same graph the offline checker reads.

The student's VPCs are found by their ``cloudlabs:cohort`` and ``cloudlabs:student`` tags; then
everything inside them is read whatever its tags, so rules, routes and instances the student
added by hand count: subnets, route tables with their routes and associations (the main table
included), network ACLs with their entries and associations (the default ACL included),
security groups with their rules (the default group included), internet, egress-only and NAT
gateways, instances, peering connections, gateway endpoints, load balancers, databases and ECS
services with running tasks (placed as their tasks' network interfaces).

Each AWS object becomes a ``Resource`` with the Pulumi type and input names the renderer
records, so ``NetworkModel`` evaluates the live network exactly as it evaluates a plan. How each
kind is listed and read is in its record (``Kind.live``, ``labctl.kinds.live_reads``); this module
runs the reads: clients, listings shared by a class, the narrowing to one student, errors. Nothing
is ever changed: only ``Describe*`` calls (the IAM actions are listed in ``READ_ACTIONS``).
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from typing import Any, Callable

from cloudlabs.tags import COHORT_TAG, STUDENT_TAG

from labctl.kinds import KINDS
from labctl.kinds.live_reads import Listing
from labctl.offline.graph import Resource, StackGraph
from labctl.ops.awslist import pages, tag_map

# What a read-only grader needs (docs/howto/grade.md: "Live grading and drift").
READ_ACTIONS = (
    "ec2:DescribeVpcs", "ec2:DescribeSubnets", "ec2:DescribeRouteTables", "ec2:DescribeNetworkAcls",
    "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:DescribeInstances",
    "ec2:DescribeInternetGateways", "ec2:DescribeEgressOnlyInternetGateways", "ec2:DescribeNatGateways",
    "ec2:DescribeVpcPeeringConnections", "ec2:DescribeVpcEndpoints",
    "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeTags", "rds:DescribeDBInstances",
    "elasticbeanstalk:DescribeApplications", "elasticbeanstalk:ListTagsForResource", "elasticbeanstalk:DescribeEnvironments",
    "elasticbeanstalk:DescribeConfigurationSettings",
    "ecs:ListClusters", "ecs:ListServices", "ecs:DescribeServices", "ecs:ListTasks", "ecs:DescribeTasks",
    "ec2:DescribeNetworkInterfaces",
    "s3:ListAllMyBuckets", "s3:GetBucketTagging", "s3:GetBucketPolicy", "s3:GetBucketPublicAccessBlock", "s3:GetBucketCORS",
)

PROJECT = "cloudlabs"
# The kinds read live, each with its listing and how an item of it becomes the kind's resources.
_READ_LIVE = tuple((token, kind.live) for token, kind in KINDS.items() if kind.live is not None)


class LiveReadError(RuntimeError):
    """AWS could not be read (credentials, permissions, endpoint): one line, for the report."""


@dataclass(frozen=True)
class StudentScope:
    cohort: str
    student: str
    stack: str


def _pages(client: Any, operation: str, key: str, keep: Callable[[dict[str, Any]], bool], **kwargs: Any) -> list[dict[str, Any]]:
    """A listing narrowed by the server's ``Filters``, each item then checked with ``keep`` here: a
    filter an emulator (or a future API) ignores must never add another student's resources. On a
    ``SharedListings`` client the whole listing is read once for the class and ``keep`` alone narrows it."""
    if isinstance(client, _SharedClient):
        return [item for item in client.listing(operation, key) if keep(item)]
    return [item for item in pages(client, operation, key, **kwargs) if keep(item)]


# The per-resource reads every student's reader makes of what a listing shows the whole class (a
# bucket's tags, a Beanstalk application's): each made once per class read, not once per student.
# An account's ECS clusters are listed whole too, and each student's reader reads every cluster's
# services and their tasks before keeping those in its own subnets.
SHARED_READS = frozenset({"get_bucket_tagging", "list_tags_for_resource", "list_services", "describe_services",
                          "list_tasks", "describe_tasks"})


class SharedListings:
    """A client factory for reading a whole class at once: each listing (``describe_vpcs``,
    ``describe_subnets``, ...) is read once, unfiltered, and every student's reader narrows it with
    its own checks, so a class costs each call once instead of once per student (2,500 calls for
    250 students on AWS, where calls are throttled; and on the emulator, whose filters scan the
    whole account, a cost that grew with the square of the class). Other calls go to the client."""

    def __init__(self, client: Callable[[str], Any]):
        self._client = client
        self._lock = threading.Lock()
        self._clients: dict[str, _SharedClient] = {}

    def __call__(self, service: str) -> "_SharedClient":
        with self._lock:
            if service not in self._clients:
                self._clients[service] = _SharedClient(self._client(service))
            return self._clients[service]


class _SharedClient:
    def __init__(self, client: Any):
        self._real = client
        self._lock = threading.Lock()
        self._locks: dict[Any, threading.Lock] = {}
        self._answers: dict[Any, Any] = {}

    def _once(self, key: Any, compute: Callable[[], Any]) -> Any:
        """``compute()`` for the first reader that asks; the others wait for it, then share its answer."""
        with self._lock:
            once = self._locks.setdefault(key, threading.Lock())
        with once:
            if key not in self._answers:
                self._answers[key] = compute()
            return self._answers[key]

    def listing(self, operation: str, key: str) -> list[Any]:
        return self._once(operation, lambda: pages(self._real, operation, key))

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._real, name)
        return functools.partial(self._read_once, name, real) if name in SHARED_READS else real

    def get_paginator(self, operation: str) -> Any:
        paginator = self._real.get_paginator(operation)
        return _OncePaginator(self, operation, paginator) if operation in SHARED_READS else paginator

    def _read_once(self, name: str, real: Callable[..., Any], **kwargs: Any) -> Any:
        """A read about one resource that every student's reader makes (whose is this bucket, this
        application?): asked once for the class, its answer or its refusal kept for the others."""
        from botocore.exceptions import ClientError

        def ask() -> tuple[Any, Exception | None]:
            try:
                return real(**kwargs), None
            except ClientError as err:  # no tags (NoSuchTagSet), gone since the listing: the same for everyone
                return None, err
        # arguments may be lists (describe_services' services)
        answer, refusal = self._once((name, repr(sorted(kwargs.items()))), ask)
        if refusal is not None:
            raise refusal
        return answer


class _OncePaginator:
    """A paginator of a shared read: its pages are read once for the class."""

    def __init__(self, client: _SharedClient, operation: str, real: Any):
        self._client, self._operation, self._real = client, operation, real

    def paginate(self, **kwargs: Any) -> list[Any]:
        return self._client._read_once(f"{self._operation} pages", lambda **kw: list(self._real.paginate(**kw)), **kwargs)


class LiveReader:
    """One student's VPCs and their contents, read with boto3 clients from ``client(service)``: each
    kind the records read live (``Kind.live``), from its listing read once for the student."""

    def __init__(self, client: Callable[[str], Any]):
        self.client = client

    def read(self, scope: StudentScope, settings: dict[str, Any] | None = None) -> StackGraph:
        try:
            resources = self._read(scope)
        except Exception as err:  # botocore's errors: no credentials, access denied, endpoint down
            raise LiveReadError(f"{scope.stack}: cannot read AWS: {err}") from err
        return StackGraph(scope.stack, PROJECT, dict(settings or {}), {}, resources)

    def _read(self, scope: StudentScope) -> list[Resource]:
        reading = _StudentReading(self.client, scope)
        out = _Builder(scope)
        for token, live in _READ_LIVE:
            for item in reading.items(live.listing):
                for found in live.read(item, reading):
                    out.add(token, *found)
        return out.resources


class _StudentReading:
    """One student's read (``labctl.kinds.live_reads.Reading``): who the student is, and each listing
    narrowed to them, read once however many kinds read it."""

    def __init__(self, client: Callable[[str], Any], scope: StudentScope):
        self.client = client
        self.cohort, self.student = scope.cohort, scope.student
        self._items: dict[Listing, list[dict[str, Any]]] = {}

    def owns(self, tags: Any) -> bool:
        found = tag_map(tags)
        return found.get(COHORT_TAG) == self.cohort and found.get(STUDENT_TAG) == self.student

    def tag_filters(self) -> list[dict[str, Any]]:
        return [{"Name": f"tag:{COHORT_TAG}", "Values": [self.cohort]}, {"Name": f"tag:{STUDENT_TAG}", "Values": [self.student]}]

    @staticmethod
    def tag_map(tags: Any) -> dict[str, str]:
        return tag_map(tags)

    def items(self, listing: Listing) -> list[dict[str, Any]]:
        if listing not in self._items:
            self._items[listing] = self._list(listing)
        return self._items[listing]

    def _list(self, listing: Listing) -> list[dict[str, Any]]:
        queries, keep = listing.narrow(self)
        client = self.client(listing.service)
        found = [item for query in queries for item in _pages(client, listing.operation, listing.key, keep, **query)]
        if not listing.unique:
            return found
        first: dict[str, dict[str, Any]] = {}  # an item two queries list (a peering, from either side): once
        for item in found:
            first.setdefault(item[listing.unique], item)
        return list(first.values())


class _Builder:
    """Collects the resources of one live graph; URNs say "live" so they never pass for a plan's."""

    def __init__(self, scope: StudentScope):
        self.scope = scope
        self.resources: list[Resource] = []

    def add(self, type_token: str, aws_id: str, tags: Any, inputs: dict[str, Any],
            outputs: dict[str, Any] | None = None) -> None:
        tag_dict = tags if isinstance(tags, dict) else tag_map(tags)
        clean = {k: v for k, v in inputs.items() if v is not None}
        if tag_dict:
            clean["tags"] = tag_dict
        urn = f"urn:pulumi:{self.scope.stack}::{PROJECT}::live${type_token}::{aws_id}"
        self.resources.append(Resource(urn, type_token, aws_id, None, True, aws_id, clean,
                                       {k: v for k, v in (outputs or {}).items() if v is not None}))
