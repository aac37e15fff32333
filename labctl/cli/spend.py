"""labctl spend: what a running class has cost so far, per student and for the cohort, and the
forecast to the session's end; an estimate from the live inventory, said so on every output."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone

from rich.console import Console
from rich.table import Table

from cloudlabs.cohort import CohortError
from cloudlabs.writing import OutputPathError

from labctl.analysis.spend import ESTIMATE_NOTE, CohortSpend
from labctl.cli import arguments
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input, write_text
from labctl.cli.outputs import check_outputs
from labctl.cli.selection import SelectionError
from labctl.cli.spending import UNTIL_HELP, cohort_arguments, cohort_inputs, forecast_until, read_cohort, read_spend


def register(sub: Subparsers) -> None:
    spend = sub.add_parser("spend", help="estimated spend so far per student and cohort, and the forecast to the session's end",
                           description="Scan the cohort's resources as the sweep does and price each from its launch or "
                                       "creation time with the pinned prices (pricing/aws-on-demand.yaml): spend so far, "
                                       "billing now, and the forecast to the session's end. " + ESTIMATE_NOTE.capitalize() +
                                       ". Exit 1 if a kind or account could not be scanned.")
    cohort_arguments(spend)
    spend.add_argument("--until", type=arguments.moment, metavar="TIME",
                       help=UNTIL_HELP)
    spend.add_argument("--json", dest="json_file", metavar="FILE", help="also write the estimate as JSON ('-': stdout)")
    spend.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        cohort = read_cohort(args)
        check_outputs(args, cohort_inputs(cohort))
        now = args.now or datetime.now(timezone.utc)
        until = forecast_until(cohort, now, args.until)
        if until < now:
            raise SelectionError(f"--until: {until.isoformat()} is before --now ({now.isoformat()}); allowed: a later time")
    except (SelectionError, CohortError, OutputPathError) as exc:
        return bad_input(exc)
    reading = read_spend(args, cohort, now, until)
    print_spend(reading.spend, cohort.name, out)
    if args.json_file:
        doc = reading.spend.document() | {"cohortName": cohort.name, "unscanned": reading.unscanned}
        write_text(args.json_file, json.dumps(doc, indent=2, sort_keys=True) + "\n")
    for kind, why in sorted(reading.unscanned.items()):
        print(f"labctl: could not scan {kind}: {why}", file=sys.stderr)
    return EXIT_FAILED if reading.unscanned else EXIT_OK


def print_spend(spend: CohortSpend, cohort: str, out: Console) -> None:
    table = Table(title=f"Spend of cohort {cohort} at {spend.now:%Y-%m-%d %H:%M} UTC (estimate)", title_justify="left",
                  show_footer=True)
    footers = {"student": "cohort", "so far": f"${spend.so_far:.2f}", "$/hour now": f"${spend.hourly:.4f}",
               f"forecast to {spend.until:%Y-%m-%d %H:%M} UTC": f"${spend.forecast:.2f}"}
    for column, footer in footers.items():
        table.add_column(column, footer=footer, justify="left" if column == "student" else "right")
    table.add_column("notes", overflow="fold")
    for s in sorted(spend.students.values(), key=lambda s: s.student):
        notes = []
        if s.unpriced:
            notes.append(f"{len(s.unpriced)} unpriced: {', '.join(s.unpriced[:3])}")
        if s.assumed:
            notes.append(f"no launch time, counted from the stack's first: {', '.join(s.assumed[:3])}")
        table.add_row(s.student, f"${s.so_far:.2f}", f"${s.hourly:.4f}", f"${s.forecast:.2f}", "; ".join(notes))
    out.print(table)
    out.print(f"note: {ESTIMATE_NOTE}", markup=False)


EXIT_CODES = {
    0: 'every kind, region and account was read',
    1: "a kind, region or student's account could not be read: the spend may be low",
    2: 'bad input',
}
