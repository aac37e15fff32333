"""CloudWatch: log groups (no lab renders one; the sweep finds those the services and the book's
steps leave: an ECS task's awslogs, a Beanstalk environment's logs)."""

from __future__ import annotations

from typing import Iterable

from labctl.kinds.fakes import generic
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds import USAGE, Kind
from labctl.kinds.replacing import BRIDGE_AUTONAME, Replaces


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_log_groups(scan: SweepScan) -> Iterable[Listed]:
    logs = scan.client("logs")
    for group in scan.pages(logs, "describe_log_groups", "logGroups"):
        tags = logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags", {})
        yield scan.found("log group", group["logGroupName"], dict(tags), detail=f"{group.get('storedBytes', 0)} bytes", hourly=None)


KINDS = (
    Kind("aws:cloudwatch/logGroup:LogGroup", "log group", USAGE, "ingestion and storage by the GB: cents for a lab's logs",
         provision_seconds=1,
         replaces=Replaces(inputs=("name",), autoname="name", source=BRIDGE_AUTONAME),
         fake=generic,
         sweep_rule=SweepRule(_find_log_groups, delete_by_id("logs", "delete_log_group", "logGroupName"), arn_kinds=("logs:log-group",)),
         emulated="no lab creates one: the emulator has no handler for it yet", sweep="log group"),
)
