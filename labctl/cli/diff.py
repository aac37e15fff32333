"""labctl diff: what a change does to every stack, from two snapshot directories."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from cloudlabs.writing import OutputPathError, check_output_file

from labctl.analysis.diff import SnapshotError, diff_sets, load_snapshots, report_lines
from labctl.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, error, write_text


def register(sub: Subparsers) -> None:
    diff = sub.add_parser("diff", help="compare two snapshot directories (e.g. base and pull request)",
                          description="Resources added, removed and changed per stack, with identical changes folded "
                                      "across stacks. Exit 0: no change; 1: changes; 2: bad input.")
    diff.add_argument("base", type=Path, help="snapshot directory of the base (labctl plan --snapshots)")
    diff.add_argument("head", type=Path, help="snapshot directory of the change")
    diff.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown ('-' for stdout)")
    diff.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        if args.markdown and args.markdown != "-":
            check_output_file(Path(args.markdown), "--markdown")
        diffs = diff_sets(load_snapshots(args.base), load_snapshots(args.head))
    except SnapshotError as exc:
        error(str(exc))
        return EXIT_BAD_INPUT
    except OutputPathError as exc:
        return bad_input(exc)
    for line in report_lines(diffs, markdown=False):
        out.print(line, markup=False)
    if args.markdown:
        write_text(args.markdown, "\n".join(report_lines(diffs, markdown=True)) + "\n")
    return EXIT_FAILED if any(d.changed for d in diffs) else EXIT_OK
