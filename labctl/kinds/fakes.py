"""The fake cloud facet's common parts: a record's ``fake`` answers for its kind when the offline
renderer registers one (``labctl.offline.fakeaws.FakeAws`` runs them: the lock, the state of the
stack, the fallback for a type without a record). ``fake(cloud, args) -> (id, outputs)``, ``args``
Pulumi's ``MockResourceArgs`` (``typ``, ``name``, ``inputs``, ``custom``); a ``Lookup``'s
``fake(cloud, query) -> result`` answers an invoke. Answers look like AWS's and derive only from
the stack, the logical name and the inputs (never from the order of registrations), so a stack
renders the same graph every time."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any, Callable, Protocol

if TYPE_CHECKING:
    from pulumi.runtime.mocks import MockResourceArgs as Args  # typ, name, inputs, custom

ACCOUNT_ID = "123456789012"  # the fake account's


class FakeCloud(Protocol):
    """What an answer gets from the fake cloud: one region and one stack, and the values that
    depend on more than one resource (addresses taken, the state of the resources made before)."""

    region: str
    stack: str

    def arn(self, service: str, resource: str) -> str: ...

    def new_id(self, prefix: str, args: Args) -> str:
        """An id with AWS's prefix (vpc-, subnet-), from the stack, the type and the logical name."""
        ...

    def unique_name(self, args: Args, length: int = 26) -> str:
        """The given ``name``, or ``namePrefix`` plus a suffix unique in the account."""
        ...

    def state(self, resource_id: str) -> dict[str, Any]:
        """What an earlier resource of the stack was given and answered ({} for an id it did not make)."""
        ...

    def private_ip(self, subnet_id: str, args: Args) -> str: ...

    def public_ip(self, args: Args) -> str:
        """An instance's public address (documentation range, never real AWS space)."""
        ...

    def elastic_ip(self, args: Args) -> str:
        """An Elastic IP (another documentation range)."""
        ...

    def ipv6_block(self, args: Args) -> str:
        """A VPC's Amazon-provided /56 (out of the documentation /32)."""
        ...

    def dns_names(self, private_ip: str, public_ip: str | None) -> dict[str, str]:
        """An instance's ``privateDns`` and ``publicDns`` as the region names them."""
        ...

    def zones(self) -> list[str]: ...

    def zone_ids(self) -> list[str]: ...

    def zones_offering(self, instance_types: list[str]) -> list[str]:
        """The region's zones that offer every one of the instance types."""
        ...


Answered = tuple[str, dict[str, Any]]  # the id and the computed outputs
Answer = Callable[[FakeCloud, "Args"], Answered]
LookupAnswer = Callable[[FakeCloud, dict[str, Any]], dict[str, Any]]


def digest(*parts: str) -> int:
    """A number from the parts (stable across processes, unlike ``hash``)."""
    return int.from_bytes(hashlib.sha256("\x00".join(parts).encode()).digest()[:8], "big")


def hex_id(seed: str, length: int = 17) -> str:
    """Hex digits from a seed: the random part of AWS's ids."""
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def generic(cloud: FakeCloud, args: Args) -> Answered:
    """The answer for a kind whose computed values nothing reads: an id named after its type
    (rolepolicy-...). Also what a type without a record gets, and a component nothing (it has no
    cloud identity)."""
    if not args.custom:
        return "", {}
    return _id_and_arn(cloud, args, args.typ.split(":")[-1].lower(), "", "")


def with_id(prefix: str, service: str = "", resource: str = "") -> Answer:
    """A kind answered with an id of AWS's shape (``prefix-...``) and, where it has one, its ARN
    (``arn:aws:<service>:...:<resource>/<id>``)."""
    return lambda cloud, args: _id_and_arn(cloud, args, prefix, service, resource)


def _id_and_arn(cloud: FakeCloud, args: Args, prefix: str, service: str, resource: str) -> Answered:
    resource_id = cloud.new_id(prefix, args)
    computed: dict[str, Any] = {"id": resource_id}
    if service:
        computed["arn"] = cloud.arn(service, f"{resource}/{resource_id}")
    return resource_id, computed


def arn_only(service: str, resource: str) -> Answer:
    """A kind whose id is its ARN (``<resource>/<logical name>/<hex>``) and that answers nothing else."""
    def answer(cloud: FakeCloud, args: Args) -> Answered:
        arn = cloud.arn(service, f"{resource}/{args.name}/{hex_id(cloud.stack + args.name, 16)}")
        return arn, {"arn": arn}
    return answer
