"""labctl sweep: everything still tagged with a cohort in AWS, per student, with its hourly
cost; --delete removes it in dependency order."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cloudlabs.cohort import CohortError, load_cohort

from cloudlabs.pricing import load_prices
from labctl.cli import arguments, runners
from labctl.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, emulate_argument
from labctl.offline import render
from labctl.ops.awsops import Sweeper


def register(sub: Subparsers) -> None:
    sweep = sub.add_parser("sweep", help="find (and optionally delete) anything still tagged with a cohort",
                           description="Ask AWS for every resource tagged cloudlabs:cohort=<cohort> (Resource Groups "
                                       "Tagging API plus EC2, ELB, Auto Scaling, RDS and S3 calls), per student, with its "
                                       "estimated hourly cost. Exit 1 if anything is left.")
    sweep.add_argument("cohort", type=arguments.name("cohort"))
    sweep.add_argument("--region", help="default: the cohort's region")
    sweep.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR")
    sweep.add_argument("--delete", action="store_true", help="delete what was found, in dependency order")
    sweep.add_argument("--whole-account", action="store_true",
                       help="the account is given over to one student (e.g. a Learner Lab): also everything outside "
                            "the cohort's VPCs (instances in the default VPC, Elastic IPs, buckets, other VPCs)")
    emulate_argument(sweep)
    sweep.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    region = args.region
    if region is None:
        path = args.environments / f"{args.cohort}.yaml"
        try:
            region = load_cohort(path).template.get("aws:region") if path.exists() else None
        except CohortError as exc:
            return bad_input(exc)
        if region is None:
            print(f"labctl: no region for cohort {args.cohort}: give --region, or keep {path}", file=sys.stderr)
            return EXIT_BAD_INPUT
    if args.emulate:
        from labctl.ops.sandbox import Store, account
        with account(Store(runners.STATE_DIR / "sandbox"), region, render.render_file) as session:
            return _sweep(args, out, region, session)
    try:
        session = runners.make_session(region, "sweep")
    except ValueError as exc:  # no credentials, or not a region
        return bad_input(exc)
    return _sweep(args, out, region, session)


def _sweep(args: argparse.Namespace, out: Console, region: str, session: Any) -> int:
    try:
        sweeper = Sweeper(session, args.cohort, load_prices(), region, whole_account=args.whole_account)
    except ValueError as exc:  # a broken price table
        return bad_input(exc)
    found = sweeper.find()
    table = Table(title=f"Still tagged cloudlabs:cohort={args.cohort} in {region}: {len(found)}", title_justify="left",
                  show_footer=bool(found))
    for column in ("student", "type", "id", "state", "detail", "expires", "$/hour"):
        table.add_column(column, overflow="fold", justify="right" if column == "$/hour" else "left",
                         footer=f"${sum(f.hourly or 0 for f in found):.3f}" if column == "$/hour" else "")
    today = date.today().isoformat()
    for f in found:
        expires = f"{f.expires} (passed)" if f.expires and f.expires < today else f.expires
        table.add_row(f.student, f.kind, f.id, f.state, f.detail, expires, "?" if f.hourly is None else f"${f.hourly:.4f}")
    out.print(table)
    if not found:
        out.print("nothing left: the teardown is complete")
        return EXIT_OK
    if not args.delete:
        out.print("run again with --delete to remove these in dependency order")
        return EXIT_FAILED
    failures = sweeper.delete(found, log=lambda m: out.print(m, markup=False))
    for item, why in failures:
        print(f"could not delete {item.kind} {item.id} ({item.student}): {why}", file=sys.stderr)
    left = sweeper.find()
    out.print(f"after deletion: {len(left)} left")
    return EXIT_OK if not left else EXIT_FAILED
