"""labctl check: evaluate every lab's expected network paths on the rendered graphs."""

from __future__ import annotations

import argparse

from rich.console import Console

from labctl.analysis.check import check_graph
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, targets_argument
from labctl.cli.rendering import render_targets
from labctl.cli.summary import print_checks


def register(sub: Subparsers) -> None:
    check = sub.add_parser("check", help="evaluate every lab's expected network paths offline",
                           description="Render stacks offline and evaluate the paths each lab declares (e.g. internet -> "
                                       "bastion:22 from the admin CIDR allowed): security groups, NACLs, routes, NAT, "
                                       "peering. Exit 1 if any path is not as expected.")
    targets_argument(check)
    check.add_argument("--all", action="store_true", help="list every path, not only those that fail")
    check.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    rendered = render_targets(args, validate=False)
    if isinstance(rendered, int):
        return rendered
    checked = [r for g in rendered.graphs for r in check_graph(g)]
    print_checks(checked, out, show_all=args.all)
    rendered.report_failures()
    return EXIT_FAILED if rendered.failures or any(not r.passed for r in checked) else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "every expected path is as expected",
    1: "a path is not as expected, or a stack failed",
    2: "bad input",
}
