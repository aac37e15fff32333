"""What ``labctl spend``, ``budget`` and ``report`` share: a cohort's live inventory, read from AWS
(or the sandbox's emulated account with ``--emulate``) region by region and, per-student, account
by account, turned into the spend estimate (``labctl.analysis.spend``)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

from cloudlabs.cohort import Cohort, load_cohort, student_accounts
from cloudlabs.pricing import PRICES_FILE, load_prices
from cloudlabs.profiles import load_profile, profile_path
from cloudlabs.schedule import next_session_end
from cloudlabs.settings import DEFAULT_PROFILE, NAMESPACE

from labctl.analysis.spend import Charge, CohortSpend, estimate
from labctl.cli import arguments, runners
from labctl.cli.common import emulate_argument
from labctl.cli.selection import SelectionError
from labctl.offline import render
from labctl.ops.accounts import StudentSessions
from labctl.ops.inventory import Inventory, cohort_inventory
from labctl.ops.sweep import Leftover


UNTIL_HELP = ("the end of the forecast, ISO 8601 with its offset (default: with a schedule:, the end of the session in "
              "progress or the next, after the last the expiry; without one, --now plus the cohort's sessionHours)")


def cohort_arguments(parser: argparse.ArgumentParser) -> None:
    """COHORT, --environments, --now and --emulate: what every spend-reading command takes."""
    parser.add_argument("cohort", type=arguments.name("cohort"), help="a cohort of environments/")
    parser.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR",
                        help="where the cohort file is looked up (default: %(default)s)")
    parser.add_argument("--now", type=arguments.moment, metavar="TIME",
                        help="the moment to estimate at, ISO 8601 with its offset, e.g. 2026-12-04T16:00Z (default: the clock's)")
    emulate_argument(parser)


def read_cohort(args: argparse.Namespace) -> Cohort:
    """The cohort file named by COHORT; SelectionError or CohortError (bad input) otherwise."""
    if not args.environments.is_dir():
        raise SelectionError(f"--environments: {args.environments} is not a directory")
    path = args.environments / f"{args.cohort}.yaml"
    if not path.exists():
        raise SelectionError(f"{args.cohort}: no cohort file {path}; allowed: a cohort of {args.environments}")
    cohort = load_cohort(path)
    if cohort.account_model == "self-service" and not getattr(args, "emulate", False):
        raise SelectionError(f"{cohort.name}: accounts.model is self-service: each student's resources are in their own "
                             "account (a Learner Lab), which the instructor's credentials cannot read; allowed: --emulate "
                             "(the sandbox), or a shared or per-student cohort")
    return cohort


def cohort_inputs(cohort: Cohort) -> list[tuple[Path, str]]:
    """What a spend-reading command reads, so that no output (--json, --summary) is written over it:
    the cohort and seat files, the profile and the price table (``labctl.cli.outputs``)."""
    profile = str(cohort.template.get(f"{NAMESPACE}:profile") or DEFAULT_PROFILE)
    return [(cohort.path, f"the cohort file of {cohort.name}"),
            (cohort.path.parent / f"{cohort.name}.seats.yaml", f"the seat file of {cohort.name}"),
            (profile_path(profile), f"the profile {profile}"), (PRICES_FILE, "the price table")]


def session_hours(cohort: Cohort) -> float:
    """The cohort's session length: its file's sessionHours, else its profile's."""
    hours = cohort.template.get(f"{NAMESPACE}:sessionHours")
    if isinstance(hours, (int, float)) and not isinstance(hours, bool):
        return float(hours)
    return load_profile(str(cohort.template.get(f"{NAMESPACE}:profile") or DEFAULT_PROFILE)).session_hours


def forecast_until(cohort: Cohort, now: datetime, until_arg: datetime | None) -> datetime:
    """The end the forecast runs to: ``--until``; else, with a ``schedule:``, the end of the session in
    progress or the next one (after the last session: the expiry, when the clock destroys the stacks);
    without one, a session from ``now`` (sessionHours). In UTC, as the outputs label it (a schedule's
    times are in its own timezone)."""
    if until_arg is not None:
        return until_arg.astimezone(timezone.utc)
    if cohort.schedule is not None:
        end = next_session_end(cohort.schedule, now)
        until = min(end, cohort.schedule.expires) if end is not None else max(now, cohort.schedule.expires)
        return until.astimezone(timezone.utc)
    return (now + timedelta(hours=session_hours(cohort))).astimezone(timezone.utc)


@dataclass
class SpendReading:
    spend: CohortSpend
    unscanned: dict[str, str] = field(default_factory=dict)  # "region: kind" -> why
    present: dict[str, int] = field(default_factory=dict)  # student -> resources of the cohort found in AWS
    unread: set[str] = field(default_factory=set)  # students whose figures miss what could not be scanned (may be low)


def charge_of(item: Leftover) -> Charge:
    found = item.found
    return Charge(item.student, item.kind, item.id, item.state, item.hourly,
                  since=getattr(found, "since", None), stopped_at=getattr(found, "stopped_at", None),
                  running_hourly=getattr(found, "running_hourly", None))


def read_spend(args: argparse.Namespace, cohort: Cohort, now: datetime, until: datetime) -> SpendReading:
    """Scan the cohort where it lives and estimate; a region or account that cannot be read is
    reported in ``unscanned``, never taken for "nothing spent"."""
    scanned = _inventories(args, cohort)
    inventories = [inv for inv, _ in scanned]
    everyone = {s.id for s in cohort.students}
    unread = {name for inv, owner in scanned if inv.unscanned for name in ({owner} if owner else everyone)}
    charges = [charge_of(x) for inv in inventories for x in inv.items]
    unscanned = {f"{inv.region}: {kind}": why for inv in inventories for kind, why in inv.unscanned.items()}
    spend = estimate(charges, now, until, [s.id for s in cohort.students])
    present: dict[str, int] = {}
    for inv in inventories:
        for x in inv.items:
            present[x.student] = present.get(x.student, 0) + 1
    return SpendReading(spend, unscanned, present, unread)


def _regions(cohort: Cohort) -> list[str]:
    return list(cohort.regions) or [str(cohort.template.get("aws:region"))]


def _inventories(args: argparse.Namespace, cohort: Cohort) -> list[tuple[Inventory, str | None]]:
    prices = load_prices()
    per_student = student_accounts(cohort) if cohort.account_model == "per-student" else None
    if args.emulate:
        from labctl.ops.sandbox import Store, account
        store = Store(runners.STATE_DIR / "sandbox")
        regions = _regions(cohort)
        with account(store, regions[0], writer=False, on_wait=_waiting) as emulated:
            return _scan_all(cohort, prices, regions, emulated.session, per_student, emulated.assumed)
    sessions: dict[str, Any] = {}

    def caller(region: str) -> Any:
        if region not in sessions:
            sessions[region] = runners.make_session(region, "spend")
        return sessions[region]
    students = StudentSessions(caller, {})
    return _scan_all(cohort, prices, _regions(cohort), caller, per_student,
                     lambda role, region, stack: students.assume(stack, role, region))


def _scan_all(cohort: Cohort, prices: Any, regions: list[str], session: Callable[[str], Any], per_student: list | None,
              assume: Callable[[str, str, str], Any]) -> list[tuple[Inventory, str | None]]:
    """Each inventory with the student whose account it is (None: the cohort's shared account)."""
    if per_student is None:
        return [(cohort_inventory(session(region), cohort.name, prices, region), None) for region in regions]
    out: list[tuple[Inventory, str | None]] = []
    for student in per_student:  # each student's own account; one that cannot be reached is reported, the rest read
        try:
            found = cohort_inventory(assume(student.role_arn, student.region, cohort.stack_name(student.student)),
                                     cohort.name, prices, student.region)
        except Exception as err:  # noqa: BLE001 - reported as unscanned, never as nothing spent
            found = Inventory(student.region, unscanned={f"account {student.account} ({student.student})": str(err).splitlines()[0]})
        out.append((found, student.student))
    return out


def _waiting(why: str) -> None:
    print(f"labctl: waiting: {why}", file=sys.stderr)
