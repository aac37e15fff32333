"""Which availability zone each subnet of a plan goes to, once the region's zones are known.

Subnets carry a zone *slot* (``SubnetPlan.az``): subnets in the same slot share a zone on
purpose (a NAT gateway and its clients), subnets in different slots should not. Only subnets
that hold instances need a zone offering the stack's instance type (us-east-1e has no t3);
the others may use any zone of the region. So the slots with instances take the offering zones
first, the others the zones still unused; a slot shares a zone only when the region has too
few (six instance subnets over the five t3 zones of us-east-1: SN-80 shares SN-0's zone).
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .addressing import SubnetPlan


def place_subnets(subnets: Sequence[SubnetPlan], instance_subnets: Iterable[str],
                  offering: Sequence[str], all_zones: Sequence[str]) -> dict[str, str]:
    """Subnet name -> zone. ``offering``: zones that offer the instance type; ``all_zones``:
    every zone of the region (both sorted by name)."""
    if not offering or not all_zones:
        raise ValueError("the region has no availability zone for this lab")
    needs = set(instance_subnets)
    slots = sorted({s.az for s in subnets})
    with_instances = [slot for slot in slots if any(s.az == slot and s.name in needs for s in subnets)]
    zone_of: dict[int, str] = {}
    for slot in with_instances:
        free = [z for z in offering if z not in zone_of.values()]
        zone_of[slot] = free[0] if free else offering[slot % len(offering)]
    for slot in slots:
        if slot in zone_of:
            continue
        free = [z for z in all_zones if z not in zone_of.values()]
        zone_of[slot] = free[0] if free else all_zones[slot % len(all_zones)]
    return {s.name: zone_of[s.az] for s in subnets}


def shared_zones(placement: dict[str, str]) -> list[tuple[str, ...]]:
    """Groups of subnets that ended up in one zone (for the documentation's honesty and the tests)."""
    by_zone: dict[str, list[str]] = {}
    for name, zone in placement.items():
        by_zone.setdefault(zone, []).append(name)
    return [tuple(names) for names in by_zone.values() if len(names) > 1]
