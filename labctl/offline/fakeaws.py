"""AWS-shaped answers for Pulumi's mocks: what the renderer's resources and lookups "return".

Each kind's answer is in its record (``labctl.kinds``: ``Kind.fake``, and ``Lookup.fake`` for the
lookups); this module is the fake cloud they ask: one region and one stack, the values that depend
on more than one resource (a subnet's addresses, the state of what was made before) and the lock
around them. Values look like AWS (ids with the right prefixes, ARNs, private IPs inside the
instance's subnet, the region's zone names, public IPs from the documentation ranges) and are
deterministic: they derive from URNs and logical names, never from the (concurrent, unordered)
registration order, so rendering a stack twice gives the same graph.
"""

from __future__ import annotations

import threading
from ipaddress import IPv4Address, IPv4Network, IPv6Network
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from labctl.kinds import KINDS, LOOKUPS
from labctl.kinds.fakes import ACCOUNT_ID, digest, generic, hex_id

# Public addresses come from the documentation ranges (RFC 5737), never from real AWS space.
INSTANCE_PUBLIC_IPS = IPv4Network("198.51.100.0/24")
ELASTIC_IPS = IPv4Network("192.0.2.0/24")
IPV6_POOL = IPv6Network("2001:db8::/32")  # RFC 3849

ZONES = {
    "us-east-1": ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"],
    "us-east-2": ["us-east-2a", "us-east-2b", "us-east-2c"],
    "us-west-2": ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"],
}
# us-east-1e is the zone that lacks current instance families (it has no t3).
ZONES_WITHOUT_CURRENT_TYPES = {"us-east-1e"}

# Each type's answer, once: a type without a record (a component, the default AWS provider) gets
# the generic one, as every type without an answer of its own always did.
ANSWERS = {token: kind.fake for token, kind in KINDS.items() if kind.fake is not None}
LOOKUP_ANSWERS = {token: lookup.fake for token, lookup in LOOKUPS.items()}


def zones_of(region: str) -> list[str]:
    return ZONES.get(region, [f"{region}{c}" for c in "abc"])


def zone_ids_of(region: str) -> list[str]:
    """Zone ids like use1-az1 (us-east-1) or usw2-az3 (us-west-2)."""
    area, direction, number = region.split("-")
    return [f"{area}{direction[0]}{number}-az{i + 1}" for i in range(len(zones_of(region)))]


class FakeAws(Mocks):
    """Mocks answering like AWS in one region for one stack (``labctl.kinds.fakes.FakeCloud``)."""

    def __init__(self, region: str, stack: str):
        self.region = region
        self.stack = stack
        self._lock = threading.Lock()
        self._by_id: dict[str, dict[str, Any]] = {}  # id -> computed state, for cross-references
        self._taken_ips: dict[str, set[IPv4Address]] = {}

    # --- resources and lookups: each record's answer ------------------------------------------

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        resource_id, computed = ANSWERS.get(args.typ, generic)(self, args)
        with self._lock:
            self._by_id[resource_id] = {**args.inputs, **computed}
        return resource_id, {**args.inputs, **computed}

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]  # the SDK accepts a plain dict
        answer = LOOKUP_ANSWERS.get(args.token)
        if answer is None:
            # An unmodelled lookup must fail loudly: a silent {} would render a wrong graph.
            raise NotImplementedError(f"the offline renderer has no answer for lookup {args.token}; "
                                      "add a Lookup in its service's module of labctl/kinds")
        return answer(self, args.args)

    # --- what the answers ask the cloud (labctl.kinds.fakes.FakeCloud) ------------------------

    def arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    def new_id(self, prefix: str, args: MockResourceArgs) -> str:
        return f"{prefix}-{hex_id(f'{self.stack}/{args.typ}/{args.name}')}"

    def unique_name(self, args: MockResourceArgs, length: int = 26) -> str:
        """A resource's AWS name: the given name, or the prefix plus a generated suffix."""
        if args.inputs.get("name"):
            return args.inputs["name"]
        return (args.inputs.get("namePrefix") or "tf-") + hex_id(f"{self.stack}/{args.name}", length)

    def state(self, resource_id: str) -> dict[str, Any]:
        return self._by_id.get(resource_id, {})

    def private_ip(self, subnet_id: str, args: MockResourceArgs) -> str:
        """A host address of the subnet, chosen by logical name (the same in every stack), past
        the first four addresses AWS reserves; the next free one on a collision."""
        subnet = self._by_id.get(subnet_id)
        if subnet is None:
            raise ValueError(f"{args.name}: subnet {subnet_id} is not part of this stack")
        network = IPv4Network(subnet["cidrBlock"])
        usable = network.num_addresses - 5  # .0-.3 and the broadcast address are reserved
        with self._lock:
            taken = self._taken_ips.setdefault(subnet_id, set())
            offset = digest(args.typ, args.name) % usable
            for step in range(usable):
                address = network.network_address + 4 + (offset + step) % usable
                if address not in taken:
                    taken.add(address)
                    return str(address)
        raise ValueError(f"subnet {network} is full")

    def public_ip(self, args: MockResourceArgs) -> str:
        return self._documentation_address(INSTANCE_PUBLIC_IPS, args)

    def elastic_ip(self, args: MockResourceArgs) -> str:
        return self._documentation_address(ELASTIC_IPS, args)

    def _documentation_address(self, pool: IPv4Network, args: MockResourceArgs) -> str:
        """An address of a documentation range: the logical name picks the slot and the stack
        shifts every slot by the same amount. So students get different addresses, a stack's
        addresses are distinct whenever the lab's names hash apart (tests check every lab), and
        no answer depends on the order resources happen to register in."""
        slots = pool.num_addresses - 2
        return str(pool.network_address + 1 + (digest(args.typ, args.name) + digest(self.stack)) % slots)

    def ipv6_block(self, args: MockResourceArgs) -> str:
        index = digest(self.stack, args.name) % (1 << 24)  # a /56 out of the /32
        return str(IPv6Network((int(IPV6_POOL.network_address) + (index << 72), 56)))

    def dns_names(self, private_ip: str, public_ip: str | None) -> dict[str, str]:
        internal = "ec2.internal" if self.region == "us-east-1" else f"{self.region}.compute.internal"
        external = "compute-1.amazonaws.com" if self.region == "us-east-1" else f"{self.region}.compute.amazonaws.com"
        names = {"privateDns": f"ip-{private_ip.replace('.', '-')}.{internal}"}
        names["publicDns"] = f"ec2-{public_ip.replace('.', '-')}.{external}" if public_ip else ""
        return names

    def zones(self) -> list[str]:
        return zones_of(self.region)

    def zone_ids(self) -> list[str]:
        return zone_ids_of(self.region)

    def zones_offering(self, instance_types: list[str]) -> list[str]:
        current = any(not t.startswith("t2.") for t in instance_types)
        return [z for z in self.zones() if not (current and z in ZONES_WITHOUT_CURRENT_TYPES)]
