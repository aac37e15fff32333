"""labctl review: the pull-request comment (and the full report) from two snapshot directories."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from cloudlabs.pricing import PricingError
from cloudlabs.reading import InputFileError, load_json
from cloudlabs.writing import OutputPathError, check_output_file

from labctl.analysis.diff import SnapshotError, load_snapshots, report_lines
from labctl.analysis.review import GITHUB_LIMIT, build
from labctl.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, error, write_text
from labctl.cli.diff import check_directories
from labctl.cli.outputs import check_not_inside
from labctl.cli.selection import SelectionError


def register(sub: Subparsers) -> None:
    review = sub.add_parser("review", help="the pull-request comment: replacements, cost, a diagram, rule violations",
                            description="Compare the base's and the head's snapshots (labctl plan --snapshots) and write "
                                        "the review: students affected, what is replaced and who loses what, the cost "
                                        "change per cohort and lab, a diagram of a changed stack, the course's policy "
                                        f"violations and deploy-readiness. The comment stays under GitHub's {GITHUB_LIMIT:,} "
                                        "characters; the report has everything. Exit 0: no change; 1: changes; 2: bad input.")
    review.add_argument("base", type=Path, help="snapshot directory of the base")
    review.add_argument("head", type=Path, help="snapshot directory of the change")
    review.add_argument("--validation", type=Path, metavar="FILE",
                        help="the head's labctl validate --json results, for the deploy-readiness line")
    review.add_argument("--comment", metavar="FILE", help="write the pull-request comment ('-' for stdout)")
    review.add_argument("--report", metavar="FILE", help="write the full report (the workflow's artifact)")
    review.set_defaults(handler=run)


def _readiness(path: Path | None) -> list[dict[str, Any]] | None:
    if path is None:
        return None
    try:
        data = load_json(path, "labctl validate --json results")
    except InputFileError as err:
        raise SelectionError(str(err)) from None
    if not isinstance(data, list) or not all(isinstance(c, dict) and "stack" in c and "deployReady" in c for c in data):
        raise SelectionError(f"{path}: not labctl validate --json results; allowed: the list it writes "
                             "(one object per stack with stack, deployReady, findings)")
    return data


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        check_directories(args.base, args.head)
        for option, value in (("--comment", args.comment), ("--report", args.report)):
            if value and value != "-":
                check_not_inside(Path(value), option, [(args.base, "the base directory"), (args.head, "the head directory")])
                check_output_file(Path(value), option)
        base, head = load_snapshots(args.base), load_snapshots(args.head)
        if not base and not head:
            raise SelectionError(f"{args.base} and {args.head} hold no snapshots (*.json); allowed: directories written "
                                 "by labctl plan --snapshots DIR")
        review = build(base, head, _readiness(args.validation))
    except SnapshotError as exc:
        error(str(exc))
        return EXIT_BAD_INPUT
    except (OutputPathError, SelectionError, PricingError) as exc:
        return bad_input(exc)
    for line in report_lines(review.diffs, markdown=False) + [""] + review.cost.text():  # the job log: as labctl diff prints
        out.print(line, markup=False)
    try:
        if args.comment:
            write_text(args.comment, review.comment())
        if args.report:
            write_text(args.report, review.report())
    except OSError as exc:
        error(f"labctl: could not write {exc.filename}: {exc.strerror}")
        return EXIT_FAILED
    return EXIT_FAILED if review.changed else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "no change",
    1: "changes",
    2: "bad input",
}
