"""labctl budget: each student's estimated spend so far against the cohort's budget; who crossed a
threshold, and what it does (warn, stop the student's instances, destroy their stack). A dry run
unless --yes; then the fleet's own stop and destroy run on exactly those students."""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from datetime import datetime, timezone

from rich.console import Console
from rich.table import Table

from cloudlabs.budget import Budget
from cloudlabs.cohort import Cohort, CohortError
from cloudlabs.writing import OutputPathError

from labctl.analysis.spend import ESTIMATE_NOTE, CohortSpend
from labctl.cli import fleet
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input, write_text
from labctl.cli.delegate import command_args
from labctl.cli.outputs import check_outputs
from labctl.cli.selection import SelectionError
from labctl.cli.spending import cohort_arguments, cohort_inputs, forecast_until, read_cohort, read_spend


def register(sub: Subparsers) -> None:
    budget = sub.add_parser("budget", help="students over a budget threshold, and its action (warn, stop, destroy)",
                            description="Compare each student's estimated spend so far (labctl spend) with the cohort's "
                                        "budget (its file's budget:, over its profile's) and name, per student, the "
                                        "strongest threshold crossed and its action. A dry run unless --yes: then the "
                                        "students over stop are stopped (labctl stop) and those over destroy destroyed "
                                        "(labctl destroy), nobody else. Exit 1 if a stop or destroy is due (dry run) or "
                                        "failed, or a kind could not be scanned.")
    cohort_arguments(budget)
    budget.add_argument("--yes", action="store_true", help="stop and destroy as the thresholds say (default: a dry run)")
    budget.add_argument("--json", dest="json_file", metavar="FILE",
                        help="also write each student's verdict and what was done as JSON (a schedule's job summary; '-': stdout)")
    budget.set_defaults(handler=run)


@dataclass(frozen=True)
class Verdict:
    student: str
    spent: float
    forecast: float
    action: str  # "", warn, stop, destroy
    threshold: float  # USD
    read: bool = True  # False: part of the student's resources could not be scanned, so the spend may be low


def verdicts(spend: CohortSpend, budget: Budget, unread: set[str] | None = None) -> list[Verdict]:
    """Each student's strongest threshold crossed; ``unread``: students part of whose resources were not scanned."""
    unread = unread or set()
    out = []
    for s in sorted(spend.students.values(), key=lambda s: s.student):
        crossed = budget.crossed(s.so_far)
        action, threshold = crossed or ("", 0.0)
        out.append(Verdict(s.student, s.so_far, s.forecast, action, threshold, read=s.student not in unread))
    return out


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        cohort = read_cohort(args)
        if cohort.budget is None:
            raise SelectionError(f"{cohort.path}: budget: missing, and profile has no budget; allowed: a budget: mapping "
                                 "(perStudent, warn, stop, destroy) in the cohort file or its profile")
        check_outputs(args, cohort_inputs(cohort))
        now = args.now or datetime.now(timezone.utc)
    except (SelectionError, CohortError, OutputPathError) as exc:
        return bad_input(exc)
    reading = read_spend(args, cohort, now, forecast_until(cohort, now, None))
    rows = verdicts(reading.spend, cohort.budget, reading.unread)
    print_verdicts(rows, cohort, now, args.yes, out)
    for kind, why in sorted(reading.unscanned.items()):
        out.print(f"could not scan {kind}: {why}", markup=False)
    due = {action: [v.student for v in rows if v.action == action and v.student in _roster(cohort)]
           for action in ("stop", "destroy")}
    done: dict[str, int] = {}
    if not args.yes:
        if due["stop"] or due["destroy"]:
            out.print("dry run: nothing was stopped or destroyed; run again with --yes to act", markup=False)
        worst = EXIT_FAILED if reading.unscanned or due["stop"] or due["destroy"] else EXIT_OK
    else:
        worst = EXIT_FAILED if reading.unscanned else EXIT_OK
        for action in ("destroy", "stop"):
            if due[action]:
                done[action] = fleet.run(command_args(args, action, ["--students", ",".join(due[action])]), out)
                worst = max(worst, done[action])
    if args.json_file:
        write_text(args.json_file, json.dumps(_document(cohort, now, rows, due, done, args.yes, reading.unscanned),
                                              indent=2, sort_keys=True) + "\n")
    return worst


def _document(cohort: Cohort, now: datetime, rows: list[Verdict], due: dict[str, list[str]], done: dict[str, int],
              acting: bool, unscanned: dict[str, str]) -> dict:
    assert cohort.budget is not None
    return {"cohort": cohort.name, "now": now.isoformat(), "dryRun": not acting, "note": ESTIMATE_NOTE,
            "budget": cohort.budget.model_dump(by_alias=True, exclude_none=True),
            "students": [{"student": v.student, "spentSoFar": round(v.spent, 2), "forecast": round(v.forecast, 2),
                          "crossed": v.action or None, "thresholdUsd": round(v.threshold, 2) if v.action else None,
                          "read": v.read}
                         for v in rows],
            "actions": {action: {"students": due[action], "done": action in done,
                                 "result": None if action not in done else ("succeeded" if done[action] == EXIT_OK else "failed")}
                        for action in ("destroy", "stop")},
            "unscanned": unscanned}


def _roster(cohort: Cohort) -> set[str]:
    return {s.id for s in cohort.students}


_DOING = {"warn": ("warn", "warned"), "stop": ("would stop", "stopping"), "destroy": ("would destroy", "destroying")}


def print_verdicts(rows: list[Verdict], cohort: Cohort, now: datetime, acting: bool, out: Console) -> None:
    assert cohort.budget is not None
    b = cohort.budget
    limits = ", ".join(f"{name} at {pct:g}% (${b.per_student * pct / 100:.2f})" for name, pct in b.thresholds())
    table = Table(title=f"Budget of cohort {cohort.name}: ${b.per_student:.2f} per student; {limits}; at {now:%Y-%m-%d %H:%M} UTC",
                  title_justify="left")
    for column in ("student", "spent so far", "forecast", "threshold crossed", "action"):
        table.add_column(column, justify="right" if column in ("spent so far", "forecast") else "left")
    for v in rows:
        crossed = (f"{v.action} (${v.threshold:.2f})" if v.action else "none") + ("" if v.read else "; not all read: may be low")
        action = _DOING[v.action][1 if acting else 0] if v.action else "none"
        table.add_row(v.student, f"${v.spent:.2f}", f"${v.forecast:.2f}", crossed, action)
    out.print(table)
    out.print(f"note: spend is {ESTIMATE_NOTE}", markup=False)


EXIT_CODES = {
    0: 'no stop or destroy is due, or every one due succeeded',
    1: 'a stop or destroy is due (dry run) or failed, or a kind could not be scanned',
    2: 'bad input (a `budget:` value, `--now`)',
}
