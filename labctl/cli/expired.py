"""labctl expired: stacks whose cloudlabs:expires date has passed."""

from __future__ import annotations

import argparse
from datetime import date

from rich.console import Console
from rich.table import Table

from cloudlabs.settings import SettingsError

from labctl.cli import arguments
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input, targets_argument
from labctl.cli.fleet import select
from labctl.cli.selection import SelectionError
from labctl.ops.awsops import expired


def register(sub: Subparsers) -> None:
    exp = sub.add_parser("expired", help="stacks whose cloudlabs:expires date has passed",
                         description="List stacks whose expiry date (tagged on all their resources) has passed. "
                                     "Exit 1 if any.")
    targets_argument(exp, jobs=None, cache=False)
    exp.add_argument("--today", type=arguments.calendar_date, default=date.today(), metavar="YYYY-MM-DD",
                     help="the date to compare with (default: the clock's today); a stack whose cloudlabs:expires is "
                          "before it has expired")
    exp.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        files, settings = select(args)
    except (FileNotFoundError, SettingsError, SelectionError) as exc:
        return bad_input(exc)
    rows = expired({s.stack_name: s.expires for s in settings.values()}, args.today)
    table = Table(title=f"Expired on {args.today}: {len(rows)} of {len(files)} stacks", title_justify="left")
    for column in ("stack", "expired on", "days ago"):
        table.add_column(column)
    for stack, when, days in rows:
        table.add_row(stack, when.isoformat(), str(days))
    out.print(table)
    if rows:
        out.print("destroy them (labctl destroy <stacks>), then labctl sweep <cohort>; a cohort with a schedule: has "
                  "labctl expire do both at its expiry (docs/howto/session-clock.md)", markup=False)
    return EXIT_FAILED if rows else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "no stack has expired",
    1: "some stacks have expired",
}
