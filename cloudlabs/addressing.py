"""The per-student address plan: seat N owns 10.N.0.0/16, and every lab's layout is carved
from that block here, in one place that components, labctl and tests share.

Pure Python (``ipaddress`` only): no Pulumi, so it is trivially testable. Availability zones
are given as indexes into the region's zone list, which is only known at deploy time.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Callable, Iterable, Literal

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


def _at(block: IPv4Network, third_octet: int, prefix: int) -> IPv4Network:
    """The /prefix network starting at 10.N.<third_octet>.0 inside ``block``."""
    net = IPv4Network((int(block.network_address) + (third_octet << 8), prefix))
    assert net.subnet_of(block), (net, block)
    return net


def _default_like(block: IPv4Network, ipv6: bool = False) -> list[SubnetPlan]:
    """Six public /20s at 10.N.0, .16, .32, .48, .64, .80, one per AZ: the shape of AWS's
    default VPC (172.31.0.0/16 and its SN-0..SN-80 in the book)."""
    return [
        SubnetPlan(
            name=f"SN-{16 * i}",
            cidr=_at(block, 16 * i, 20),
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


# The coursework of chapter 6 (SN-A..SN-F), in addresses per subnet.
DUAL_STACK_COURSEWORK = {"SN-A": 2048, "SN-B": 2048, "SN-C": 4096, "SN-D": 8192, "SN-E": 8192, "SN-F": 16384}
DUAL_STACK_PRIVATE = {"SN-B"}


def _layout_default_like(block: IPv4Network) -> tuple[VpcPlan, ...]:
    return (VpcPlan("VPC", block, tuple(_default_like(block))),)


def _layout_vpc_nat(block: IPv4Network) -> tuple[VpcPlan, ...]:
    # Book: VPC-A 10.0.0.0/16, public SN-A-01 10.0.1.0/24, private SN-A-02 10.0.2.0/24.
    # Both in the first AZ: the NAT gateway and its clients share a zone (no cross-AZ charge).
    return (
        VpcPlan(
            "VPC-A",
            block,
            (
                SubnetPlan("SN-A-01", _at(block, 1, 24), "public", az=0),
                SubnetPlan("SN-A-02", _at(block, 2, 24), "private", az=0),
            ),
        ),
    )


def _layout_vpc_peering(block: IPv4Network) -> tuple[VpcPlan, ...]:
    a, b = block.subnets(new_prefix=17)
    return (
        VpcPlan("VPC-A", a, (
            SubnetPlan("SN-A-1", _at(block, 0, 20), "public", az=0),
            SubnetPlan("SN-A-2", _at(block, 16, 20), "private", az=0),
        )),
        VpcPlan("VPC-B", b, (
            SubnetPlan("SN-B-1", _at(block, 128, 20), "public", az=1),
            SubnetPlan("SN-B-2", _at(block, 144, 20), "private", az=1),
        )),
    )


def _layout_dual_stack(block: IPv4Network) -> tuple[VpcPlan, ...]:
    base = _default_like(block, ipv6=True)
    carved = carve(block, [s.cidr for s in base], DUAL_STACK_COURSEWORK)
    coursework = [
        SubnetPlan(
            name,
            carved[name],
            "private" if name in DUAL_STACK_PRIVATE else "public",
            az=i,
            ipv6_index=len(base) + i,
        )
        for i, name in enumerate(DUAL_STACK_COURSEWORK)
    ]
    return (VpcPlan("VPC", block, tuple(base + coursework), ipv6=True),)


def _layout_lamp(block: IPv4Network) -> tuple[VpcPlan, ...]:
    return (
        VpcPlan("VPC", block, (
            SubnetPlan("SN-WEB", _at(block, 0, 20), "public", az=0),
            SubnetPlan("SN-DB-1", _at(block, 128, 20), "private", az=0),
            SubnetPlan("SN-DB-2", _at(block, 144, 20), "private", az=1),
        )),
    )


def _layout_object_storage(block: IPv4Network) -> tuple[VpcPlan, ...]:
    """Default-like, plus a private SN-96 for the host that reaches S3 through a gateway endpoint."""
    private = SubnetPlan("SN-96", _at(block, 96, 20), "private", az=0)
    return (VpcPlan("VPC", block, tuple(_default_like(block)) + (private,)),)


def _no_network(block: IPv4Network) -> tuple[VpcPlan, ...]:
    return ()


# Every lab of LABS.md, implemented or not yet: the plan is the contract later labs build on.
LAYOUTS: dict[str, Callable[[IPv4Network], tuple[VpcPlan, ...]]] = {
    "ec2-webserver": _layout_default_like,
    "access-control": _layout_default_like,
    "dual-stack": _layout_dual_stack,
    "vpc-nat": _layout_vpc_nat,
    "vpc-peering": _layout_vpc_peering,
    "load-balancer": _layout_default_like,
    "autoscaling": _layout_default_like,
    "object-storage": _layout_object_storage,
    "lamp": _layout_lamp,
    "beanstalk": _layout_default_like,
    "containers": _layout_default_like,
    "ssh-access": _layout_default_like,
}


def lab_layout(lab: str, seat: int) -> LabLayout:
    """The networks of one lab for one seat."""
    try:
        build = LAYOUTS[lab]
    except KeyError:
        raise AddressPlanError(f"no address layout for lab {lab!r}; known: {', '.join(LAYOUTS)}") from None
    return LabLayout(lab, seat, build(seat_block(seat)))


def stack_layout(labs: Iterable[str], seat: int) -> tuple[LabLayout, ...]:
    """The layouts of every lab of one stack, refusing labs whose VPCs would overlap.

    Most labs take the whole /16 (like the default VPC they stand for), so a stack usually runs
    one networked lab at a time; labs without a VPC combine freely.
    """
    layouts = tuple(lab_layout(lab, seat) for lab in labs)
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
    return layouts
