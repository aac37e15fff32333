"""The AWS provider's functions outside any service (``aws:index/...``): the region, its zones, the
caller's identity. Lookups only: no resource kind."""

from __future__ import annotations

from typing import Any

from labctl.kinds.fakes import ACCOUNT_ID, FakeCloud
from labctl.kinds import Lookup


# --- the fake cloud: what the offline renderer answers for each lookup (labctl.offline.fakeaws asks)


def _fake_zones(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    names = cloud.zones()
    return {"id": cloud.region, "names": names, "zoneIds": cloud.zone_ids(),
            "groupNames": [cloud.region] * len(names), "state": "available"}


def _fake_region(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    return {"id": cloud.region, "name": cloud.region, "region": cloud.region}


def _fake_caller(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    return {"id": ACCOUNT_ID, "accountId": ACCOUNT_ID, "arn": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/LabRole/cloudlabs",
            "userId": "AROAEXAMPLE:cloudlabs"}


LOOKUPS = (
    Lookup("aws:index/getAvailabilityZones:getAvailabilityZones", _fake_zones),
    Lookup("aws:index/getRegion:getRegion", _fake_region),
    Lookup("aws:index/getCallerIdentity:getCallerIdentity", _fake_caller),
)
