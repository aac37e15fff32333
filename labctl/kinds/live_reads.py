"""Live reads: how a kind is found in AWS and read back as the graph's resource.

A kind read live names a ``Listing`` (one ``Describe*``/``List*`` call, its answer's key, and how it is
narrowed to one student) and a function turning each listed item into the resources of its kind
(``Found``: AWS's id, tags, the renderer's input and output names). Several kinds read one listing
(a route table's answer holds its routes and associations); the reader (``labctl.ops.live``) calls
each listing once per student, and once per class with its shared listings.

The student's VPCs are the root: they are found by the student's tags, and every network listing is
narrowed to them (by the server's filters, then checked item by item, since a filter an emulator
ignores must never add another student's resources).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, NamedTuple, Protocol

Item = dict[str, Any]


class Reading(Protocol):
    """One student's read in progress, as the live reader gives it to a record's functions."""

    cohort: str
    student: str

    def owns(self, tags: Any) -> bool:
        """Whether tags (AWS's list) name this student (``cloudlabs:cohort`` and ``cloudlabs:student``)."""

    def tag_map(self, tags: Any) -> dict[str, str]:
        """AWS's list of tags as a dict."""

    def tag_filters(self) -> list[dict[str, Any]]:
        """The server's filters for the student's tags."""

    def items(self, listing: "Listing") -> list[Item]:
        """The student's items of a listing (read once per student)."""

    def client(self, service: str) -> Any:
        """The boto3 client of a service, for calls beside the listing (tags, a bucket's policy)."""


class Narrowing(NamedTuple):
    """The calls that list a student's items (the server's filters; none: nothing to list) and the check
    each item must pass here."""

    queries: tuple[dict[str, Any], ...]
    keep: Callable[[Item], bool]


@dataclass(frozen=True)
class Listing:
    service: str  # the boto3 client: "ec2", "elbv2", "rds", "s3"
    operation: str  # the paginated call: "describe_route_tables"
    key: str  # the list in its answer: "RouteTables"
    narrow: Callable[[Reading], Narrowing]  # the student's part of it
    unique: str = ""  # the item's id, where two queries may both list it (a peering, from either side)


class Found(NamedTuple):
    """One resource read: AWS's id, its tags (AWS's list or a dict) and the renderer's inputs and outputs."""

    id: str
    tags: Any
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None = None


@dataclass(frozen=True)
class LiveRead:
    listing: Listing
    read: Callable[[Item, Reading], Iterable[Found]]  # a listed item -> the resources of this kind it holds


def _by_student_tags(reading: Reading) -> Narrowing:
    return Narrowing(({"Filters": reading.tag_filters()},), lambda vpc: reading.owns(vpc.get("Tags")))


# The root: the student's VPCs, by their tags.
STUDENT_VPCS = Listing("ec2", "describe_vpcs", "Vpcs", _by_student_tags)


def vpc_ids(reading: Reading) -> list[str]:
    return [vpc["VpcId"] for vpc in reading.items(STUDENT_VPCS)]


def _its_vpc(item: Item, ids: set[str]) -> bool:
    return item.get("VpcId") in ids


def in_vpcs(where: Callable[[Item, set[str]], bool] = _its_vpc, servers: tuple[str, ...] = ("vpc-id",),
            parameter: str = "Filters") -> Callable[[Reading], Narrowing]:
    """Items in the student's VPCs (``where``: the item's check against their ids), listed once per
    filter of the server's in ``servers`` (none: the whole listing); nothing is listed without a VPC."""
    def narrow(reading: Reading) -> Narrowing:
        ids = vpc_ids(reading)
        if not ids:
            return NOTHING
        wanted = set(ids)
        queries = tuple({parameter: [{"Name": server, "Values": ids}]} for server in servers) or ({},)
        return Narrowing(queries, lambda item: where(item, wanted))
    return narrow


def everything(reading: Reading) -> Narrowing:
    """The whole listing (each item then checked by the kind's own read: a bucket by its tags)."""
    return Narrowing(({},), lambda item: True)


NOTHING = Narrowing((), lambda item: False)


def attached_vpc(item: Item, wanted: Iterable[str]) -> str | None:
    """The first of the student's VPCs a gateway is attached to."""
    return next((a["VpcId"] for a in item.get("Attachments", []) if a.get("VpcId") in wanted), None)


def listing(service: str, operation: str, key: str, narrow: Callable[[Reading], Narrowing] | None = None,
            unique: str = "") -> Listing:
    """A listing of the student's VPCs' contents (by each item's ``VpcId`` unless ``narrow`` says otherwise)."""
    return Listing(service, operation, key, narrow or in_vpcs(), unique)


# Why a kind is not read live, where many share the reason.
NOT_CHECKED_LIVE = "no live check needs it: grading's paths and bucket access and drift's comparisons do not read it"
NOT_IN_AWS = "not in AWS: nothing there to read"
WITH_BUCKET = "read with its bucket: the policy, Block Public Access and CORS rules are the bucket's outputs"
AS_LAUNCHED = "read as what it launches: the instances (and load balancer) in the student's VPCs"
