"""The per-student address plan: seat N owns 10.N.0.0/16, and every lab's layout (in its module
of ``cloudlabs.labs``) is carved from that block with the helpers here.

Pure Python (``ipaddress`` only): no Pulumi, so it is trivially testable. Availability zones
are given as indexes into the region's zone list, which is only known at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Iterable, Literal

INSTRUCTOR_SEAT = 0
STUDENT_SEATS = range(1, 255)
SEATS = range(INSTRUCTOR_SEAT, 255)

Tier = Literal["public", "private"]


class AddressPlanError(ValueError):
    """A seat or a combination of labs that has no valid address plan."""


@dataclass(frozen=True)
class SubnetPlan:
    name: str  # the book's name, e.g. "SN-A-01"
    cidr: IPv4Network
    tier: Tier
    az: int  # index into the region's availability zones (wraps around)
    ipv6_index: int | None = None  # which /64 of the VPC's /56, when the VPC has IPv6

    @property
    def public(self) -> bool:
        return self.tier == "public"


@dataclass(frozen=True)
class VpcPlan:
    name: str  # the book's name, e.g. "VPC-A"
    cidr: IPv4Network
    subnets: tuple[SubnetPlan, ...]
    ipv6: bool = False

    def subnet(self, name: str) -> SubnetPlan:
        for subnet in self.subnets:
            if subnet.name == name:
                return subnet
        raise KeyError(f"{self.name} has no subnet {name!r}")

    @property
    def public_subnets(self) -> tuple[SubnetPlan, ...]:
        return tuple(s for s in self.subnets if s.public)

    @property
    def private_subnets(self) -> tuple[SubnetPlan, ...]:
        return tuple(s for s in self.subnets if not s.public)


@dataclass(frozen=True)
class LabLayout:
    lab: str
    seat: int
    vpcs: tuple[VpcPlan, ...]

    def vpc(self, name: str) -> VpcPlan:
        for vpc in self.vpcs:
            if vpc.name == name:
                return vpc
        raise KeyError(f"{self.lab} has no VPC {name!r}")


def seat_block(seat: int) -> IPv4Network:
    """The /16 a seat owns: 10.N.0.0/16 (seat 0 is the instructor's)."""
    if isinstance(seat, bool) or not isinstance(seat, int) or seat not in SEATS:
        raise AddressPlanError(
            f"seat {seat!r} is out of range: seats are 0 (instructor) and 1-254 (students)"
        )
    return IPv4Network(f"10.{seat}.0.0/16")


def at(block: IPv4Network, third_octet: int, prefix: int) -> IPv4Network:
    """The /prefix network starting at 10.N.<third_octet>.0 inside ``block``."""
    net = IPv4Network((int(block.network_address) + (third_octet << 8), prefix))
    assert net.subnet_of(block), (net, block)
    return net


def default_like(block: IPv4Network, ipv6: bool = False) -> list[SubnetPlan]:
    """Six public /20s at 10.N.0, .16, .32, .48, .64, .80, one per AZ: the shape of AWS's
    default VPC (172.31.0.0/16 and its SN-0..SN-80 in the book)."""
    return [
        SubnetPlan(
            name=f"SN-{16 * i}",
            cidr=at(block, 16 * i, 20),
            tier="public",
            az=i,
            ipv6_index=i if ipv6 else None,
        )
        for i in range(6)
    ]


def carve(block: IPv4Network, used: Iterable[IPv4Network], sizes: dict[str, int]) -> dict[str, IPv4Network]:
    """Allocate networks of the given address counts from the free space of ``block``.

    Largest first, lowest aligned free address first, so the result is stable and packs
    without fragmentation. Sizes must be powers of two of at least 16 addresses.
    """
    taken = list(used)
    result: dict[str, IPv4Network] = {}
    for name, size in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])):
        prefix = 32 - (size.bit_length() - 1)
        if size < 16 or size & (size - 1):
            raise AddressPlanError(f"subnet {name}: {size} addresses is not a power of two >= 16")
        for candidate in block.subnets(new_prefix=prefix):
            if not any(candidate.overlaps(t) for t in taken):
                result[name] = candidate
                taken.append(candidate)
                break
        else:
            raise AddressPlanError(f"subnet {name}: no free /{prefix} left in {block}")
    return result


def default_like_layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    """One VPC shaped like AWS's default VPC: the layout of most labs."""
    return (VpcPlan("VPC", block, tuple(default_like(block))),)


def check_no_overlap(layouts: Iterable[LabLayout]) -> None:
    """Most labs take the whole /16 (like the default VPC they stand for), so a stack usually runs
    one networked lab at a time; labs without a VPC combine freely."""
    seen: list[tuple[str, VpcPlan]] = []
    for layout in layouts:
        for vpc in layout.vpcs:
            for other_lab, other in seen:
                if vpc.cidr.overlaps(other.cidr):
                    raise AddressPlanError(
                        f"labs {other_lab} ({other.name} {other.cidr}) and {layout.lab} "
                        f"({vpc.name} {vpc.cidr}) need overlapping addresses; run them in separate sessions"
                    )
            seen.append((layout.lab, vpc))
