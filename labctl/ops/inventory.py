"""A cohort's live inventory in one region, for the spend estimate: the sweep's scan (what belongs to
the cohort, by each resource's own tags or by the VPC it sits in, with its hourly price and launch
time) plus the volumes attached to its instances, which the sweep leaves to their instance but
which bill while the instance is stopped. Reads only; writes nothing (no sweep ledger)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cloudlabs.pricing import PriceTable

from labctl.ops.sweep import Leftover, Sweeper
from labctl.ops.sweep_kinds import Found

ATTACHED_VOLUME = "volume (attached)"


@dataclass
class Inventory:
    region: str
    items: list[Leftover] = field(default_factory=list)
    unscanned: dict[str, str] = field(default_factory=dict)  # kind -> why it could not be read


def cohort_inventory(session: Any, cohort: str, prices: PriceTable, region: str) -> Inventory:
    sweeper = Sweeper(session, cohort, prices, region)
    items = sweeper.find()
    unscanned = dict(sweeper.unscanned)
    try:
        items += _attached_volumes(session, items, prices, region)
    except Exception as err:  # noqa: BLE001 - reported: the estimate then misses the instances' storage
        unscanned[ATTACHED_VOLUME] = str(err).splitlines()[0] if str(err) else type(err).__name__
    return Inventory(region, items, unscanned)


def _attached_volumes(session: Any, items: list[Leftover], prices: PriceTable, region: str) -> list[Leftover]:
    """The EBS volumes of the cohort's instances (a root volume at least), each its owner's."""
    owner = {x.id: x.student for x in items if x.kind == "instance"}
    if not owner:
        return []
    table = prices.regions.get(region)
    out = []
    paginator = session.client("ec2").get_paginator("describe_volumes")
    for page in paginator.paginate(Filters=[{"Name": "attachment.instance-id", "Values": sorted(owner)}]):
        for v in page["Volumes"]:
            instance = next((a["InstanceId"] for a in v.get("Attachments", []) if a.get("InstanceId") in owner), None)
            if instance is None:  # the filter narrows; the attachment decides
                continue
            price = table.ebs_gb_month.get(v.get("VolumeType", "gp2")) if table else None
            hourly = None if price is None else price * v["Size"] / prices.hours_per_month
            found = Found(ATTACHED_VOLUME, v["VolumeId"], state=v.get("State", ""), detail=f"{v['Size']} GiB on {instance}",
                          hourly=hourly, since=v.get("CreateTime"))
            out.append(Leftover(owner[instance], ATTACHED_VOLUME, v["VolumeId"], found.state, found.detail, hourly, found=found))
    return out
