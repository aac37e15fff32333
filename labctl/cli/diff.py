"""labctl diff: what a change does to every stack, from two snapshot directories."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from cloudlabs.pricing import PricingError
from cloudlabs.writing import OutputPathError, check_output_file

from labctl.analysis.cost_diff import cost_change
from labctl.analysis.diff import SnapshotError, diff_sets, load_snapshots, report_lines
from labctl.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, error, write_text
from labctl.cli.outputs import check_not_inside
from labctl.cli.selection import SelectionError


def register(sub: Subparsers) -> None:
    diff = sub.add_parser("diff", help="compare two snapshot directories (e.g. base and pull request)",
                          description="Resources added, removed and changed per stack, with identical changes folded "
                                      "across stacks. Exit 0: no change; 1: changes; 2: bad input.")
    diff.add_argument("base", type=Path, help="snapshot directory of the base (labctl plan --snapshots)")
    diff.add_argument("head", type=Path, help="snapshot directory of the change (another directory; one of the two may be "
                                              "empty: every stack added, or removed)")
    diff.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown ('-' for stdout); not inside "
                                                         "base or head")
    diff.set_defaults(handler=run)


def check_directories(base: Path, head: Path) -> None:
    """Two different directories: a directory compared with itself always says "no change"."""
    if base.is_dir() and head.is_dir() and base.resolve() == head.resolve():
        raise SelectionError(f"base and head are both {base}; allowed: two different snapshot directories "
                             "(labctl plan --snapshots DIR, once per revision)")


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        check_directories(args.base, args.head)
        if args.markdown and args.markdown != "-":
            check_not_inside(Path(args.markdown), "--markdown", [(args.base, "the base directory"),
                                                                 (args.head, "the head directory")])
            check_output_file(Path(args.markdown), "--markdown")
        base, head = load_snapshots(args.base), load_snapshots(args.head)
        if not base and not head:  # "no change" between two empty directories would be a false all-clear
            raise SelectionError(f"{args.base} and {args.head} hold no snapshots (*.json); allowed: directories written "
                                 "by labctl plan --snapshots DIR")
        diffs = diff_sets(base, head)
    except SnapshotError as exc:
        error(str(exc))
        return EXIT_BAD_INPUT
    except (OutputPathError, SelectionError) as exc:
        return bad_input(exc)
    for line in report_lines(diffs, markdown=False):
        out.print(line, markup=False)
    try:  # what the change costs, per cohort and lab, over the cohorts' sessions
        cost_lines = cost_change(base, head).text()
    except PricingError as exc:  # the price table itself is broken: named at its file and line
        error(str(exc))
        return EXIT_BAD_INPUT
    out.print("", markup=False)
    for line in cost_lines:
        out.print(line, markup=False, soft_wrap=True)
    if args.markdown:
        write_text(args.markdown, "\n".join(report_lines(diffs, markdown=True)) + "\n")
    return EXIT_FAILED if any(d.changed for d in diffs) else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "no change",
    1: "changes",
    2: "bad input",
}
