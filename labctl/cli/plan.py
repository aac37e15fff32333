"""labctl plan: render stacks offline; overview, per-stack panels, cost, deploy-readiness,
snapshots and JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from cloudlabs.writing import atomic_write

from labctl.cli import arguments
from labctl.analysis import quotas
from labctl.analysis.duration import GITHUB_MATRIX_LIMIT
from labctl.cli import quota_table
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, error, targets_argument, write_text
from labctl.cli.rendering import Rendered, render_targets
from labctl.cli.shard import print_expected
from labctl.cli.summary import print_plan
from labctl.ops.fleet import DEFAULT_PARALLEL
from labctl.offline.graph import StackGraph, dumps

DETAIL_LIMIT = 5  # per-stack panels up to this many stacks (or with --details)


def register(sub: Subparsers) -> None:
    plan = sub.add_parser("plan", help="render stacks offline; summary, cost, snapshots",
                          description="Render stacks offline (no Pulumi CLI, no AWS credentials) and print their "
                                      "VPC CIDRs, resources, outputs and estimated cost.")
    targets_argument(plan)
    plan.add_argument("--hours", type=arguments.hours, help="session length for the cost column (default: each stack's "
                                                            "sessionHours: its cohort file's, else its profile's)")
    shown = plan.add_mutually_exclusive_group()
    shown.add_argument("--details", action="store_true", help=f"per-stack panels even for more than {DETAIL_LIMIT} stacks")
    shown.add_argument("--quiet", action="store_true", help="only the overview table (not with --details)")
    plan.add_argument("--snapshots", type=Path, metavar="DIR", help="write one stable JSON graph per stack: DIR/<stack>.json")
    plan.add_argument("--json", dest="json_file", metavar="FILE",
                      help="write the graphs as a JSON list of cloudlabs.graph/v1 documents ('-' for stdout); "
                           "not inside the --snapshots directory")
    plan.add_argument("--live-quotas", action="store_true",
                      help="read the account's applied quota values through Service Quotas (needs AWS credentials; "
                           "default: AWS's default quotas, offline)")
    plan.add_argument("--parallel", type=arguments.whole_number(1, 64), default=DEFAULT_PARALLEL, metavar="N",
                      help="stacks at a time for the cohort's expected up time, as labctl up --parallel (default: %(default)s)")
    plan.add_argument("--shards", type=arguments.whole_number(1, GITHUB_MATRIX_LIMIT), default=1, metavar="N",
                      help="also the expected up time split over N CI jobs, as labctl shard --shards (default: %(default)s)")
    plan.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    rendered = render_targets(args, validate=True, additions=True)
    if isinstance(rendered, int):
        return rendered
    graphs = rendered.graphs
    details = not args.quiet and (args.details or len(graphs) <= DETAIL_LIMIT)
    print_plan(graphs, out, details=details, costs=rendered.costs, hours=args.hours, checks=rendered.checks,
               additions=rendered.additions)
    print_quota_check(args, rendered, out)
    print_expected(graphs, out, args.parallel, args.shards, per_stack=details)
    try:
        write_outputs(args, graphs, out)
    except OSError as exc:  # checked before rendering; a disk can still fill up meanwhile
        error(f"labctl: could not write {exc.filename}: {exc.strerror}")
        return EXIT_FAILED
    rendered.report_failures()
    return EXIT_FAILED if rendered.failures or rendered.not_ready else EXIT_OK


def print_quota_check(args: argparse.Namespace, rendered: Rendered, out: Console) -> None:
    """The quota table of the selected stacks at their peak (their settings and configs as the render read them)."""
    notes: list[str] = []
    limits = quota_table.live_limits("plan --live-quotas", notes) if args.live_quotas else quotas.default_limits
    rows = quota_table.quota_rows(list(rendered.settings), rendered.settings, {g.stack: g for g in rendered.graphs}, limits,
                                  rendered.configs, rendered.cache)
    quota_table.print_quotas(rows, out)
    for note in sorted(set(notes)):
        out.print(f"note: quota {note}", markup=False)


def write_outputs(args: argparse.Namespace, graphs: list[StackGraph], out: Console) -> None:
    if args.snapshots:
        args.snapshots.mkdir(exist_ok=True)
        for graph in graphs:
            atomic_write(args.snapshots / f"{graph.stack}.json", graph.dumps())
        out.print(f"wrote {len(graphs)} snapshot(s) to {args.snapshots}/")
    if args.json_file:
        write_text(args.json_file, dumps([g.to_json() for g in graphs]))
        if args.json_file != "-":
            out.print(f"wrote {len(graphs)} graph(s) to {args.json_file}")


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "every stack rendered and deploy-ready",
    1: "a stack's program failed or is not deploy-ready (the others are still reported and written)",
    2: "bad input",
}
