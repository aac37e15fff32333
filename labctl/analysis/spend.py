"""What a running class has cost so far, and will have cost at the session's end: an estimate from
the live inventory (each resource's launch or creation time and its pinned hourly price), never
AWS's bill, which arrives hours late.

The rules, each one a choice said out loud:
- a resource bills its hourly price from ``since`` (EC2 LaunchTime, RDS InstanceCreateTime, NAT
  gateway CreateTime, load balancer CreatedTime, EBS CreateTime) until ``now``;
- a stopped instance billed its running price from its launch until it stopped (EC2's
  StateTransitionReason), and bills only its storage (its volumes, their own charges) since; an
  instance started again reports its last start as LaunchTime, so its earlier runs are not counted,
  and the public IPv4 address it held while running (released by the stop) is not known, so not counted;
- what AWS gives no time for (an Elastic IP) is counted from its student's earliest known launch (the
  stack came up together); a student with no other time gets it from ``now`` (so far: nothing);
- what costs money but has no price (``hourly`` None) is counted, never priced: ``unpriced``;
- the forecast adds what is billing now, at today's state, from ``now`` until ``until``.
Resources deleted before ``now`` are not in the inventory, so they are not counted either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

ESTIMATE_NOTE = ("an estimate from what is running now, its launch times and the pinned prices "
                 "(pricing/aws-on-demand.yaml); AWS's billing data arrives hours late and is the bill")


@dataclass(frozen=True)
class Charge:
    """One resource of the live inventory as the estimate reads it."""

    student: str
    kind: str
    id: str
    state: str = ""
    hourly: float | None = 0.0  # what it bills by the hour now; None: costs money, no price known
    since: datetime | None = None  # launched or created; None: AWS does not say
    stopped_at: datetime | None = None  # a stopped instance: when it stopped
    running_hourly: float | None = None  # a stopped instance: what it billed by the hour while running


@dataclass
class StudentSpend:
    student: str
    so_far: float = 0.0
    hourly: float = 0.0  # billing now
    forecast: float = 0.0  # so far + hourly until the session's end
    resources: int = 0  # priced resources that bill
    unpriced: list[str] = field(default_factory=list)  # "kind id"
    assumed: list[str] = field(default_factory=list)  # "kind id": no launch time from AWS


@dataclass
class CohortSpend:
    now: datetime
    until: datetime
    students: dict[str, StudentSpend]

    @property
    def so_far(self) -> float:
        return sum(s.so_far for s in self.students.values())

    @property
    def hourly(self) -> float:
        return sum(s.hourly for s in self.students.values())

    @property
    def forecast(self) -> float:
        return sum(s.forecast for s in self.students.values())

    def document(self) -> dict:
        """The estimate as JSON: per student and for the cohort, in USD rounded to the cent."""
        return {"now": self.now.isoformat(), "until": self.until.isoformat(), "note": ESTIMATE_NOTE,
                "cohort": {"soFar": round(self.so_far, 2), "hourly": round(self.hourly, 4), "forecast": round(self.forecast, 2)},
                "students": {s.student: {"soFar": round(s.so_far, 2), "hourly": round(s.hourly, 4), "forecast": round(s.forecast, 2),
                                         "resources": s.resources, "unpriced": s.unpriced, "assumedSince": s.assumed}
                             for s in sorted(self.students.values(), key=lambda s: s.student)}}


def _hours(start: datetime, end: datetime) -> float:
    return max((end - start).total_seconds(), 0.0) / 3600


def _so_far(charge: Charge, since: datetime, now: datetime) -> float:
    hourly = charge.hourly or 0.0
    if charge.stopped_at is not None and charge.running_hourly:
        stopped = min(max(charge.stopped_at, since), now)
        return charge.running_hourly * _hours(since, stopped) + hourly * _hours(stopped, now)
    return hourly * _hours(since, now)


def estimate(charges: Iterable[Charge], now: datetime, until: datetime, students: Iterable[str] = ()) -> CohortSpend:
    """Spend so far and forecast per student (every one of ``students`` has a row, billing or not)."""
    result = CohortSpend(now, until, {s: StudentSpend(s) for s in students})
    charges = list(charges)
    earliest: dict[str, datetime] = {}
    for c in charges:
        if c.since is not None:
            earliest[c.student] = min(earliest.get(c.student, c.since), c.since)
    ahead = _hours(now, until)
    for c in charges:
        row = result.students.setdefault(c.student, StudentSpend(c.student))
        if c.hourly is None:
            row.unpriced.append(f"{c.kind} {c.id}")
            continue
        if not c.hourly and not (c.stopped_at and c.running_hourly):
            continue  # free, or stopped with nothing known to have billed
        since = c.since
        if since is None:
            row.assumed.append(f"{c.kind} {c.id}")
            since = earliest.get(c.student, now)
        row.resources += 1
        row.so_far += _so_far(c, min(since, now), now)
        row.hourly += c.hourly
    for row in result.students.values():
        row.forecast = row.so_far + row.hourly * ahead
    return result
