"""labctl cost: estimated cost per stack and for the cohort, itemized from the price table."""

from __future__ import annotations

import argparse

from rich.console import Console

from labctl.cli import arguments
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, targets_argument
from labctl.cli.rendering import render_targets
from labctl.cli.summary import print_cost


def register(sub: Subparsers) -> None:
    cost = sub.add_parser("cost", help="estimated cost per stack and cohort, itemized",
                          description="Render stacks offline and price them with pricing/aws-on-demand.yaml.")
    targets_argument(cost)
    cost.add_argument("--hours", type=arguments.hours, help="session length in hours (default: each stack's sessionHours: its "
                                                            "cohort file's, else its profile's)")
    cost.add_argument("--details", action="store_true", help="itemize every stack, not only the cohort totals")
    cost.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    rendered = render_targets(args, validate=False, additions=True)
    if isinstance(rendered, int):
        return rendered
    graphs = rendered.graphs
    print_cost(graphs, rendered.costs, args.hours, out, details=args.details or len(graphs) == 1, prices=rendered.prices,
               additions=rendered.additions)
    rendered.report_failures()
    return EXIT_FAILED if rendered.failures else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "every stack priced",
    1: "a stack's program failed (the others are still priced)",
    2: "bad input",
}
