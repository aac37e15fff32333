"""labctl sweep: everything of a cohort still in AWS (tagged with it, or made by hand inside its
VPCs), per student, with its hourly cost; --delete removes it in an order AWS accepts."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from cloudlabs.cohort import Cohort, CohortError, cohort_names, load_cohort, stack_owner

from cloudlabs.pricing import load_prices
from labctl.cli import arguments, runners
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input, emulate_argument
from labctl.cli.selection import SelectionError
from labctl.offline import render
from labctl.ops.accounts import AccountAccessError, StudentSessions, self_service_refusal
from labctl.ops.fleet import Journal
from labctl.ops.sweep import ForeignResources, Ledger, Sweeper


def register(sub: Subparsers) -> None:
    sweep = sub.add_parser("sweep", help="find (and optionally delete) everything of a cohort still in AWS",
                           description="Scan every kind of resource the labs and the book's chapters create (EC2, VPC, ELB, "
                                       "Auto Scaling, RDS, S3, ECS, ECR, Beanstalk, IAM, logs, and anything else tagged, "
                                       "through the Resource Groups Tagging API) and report, per student, what belongs to "
                                       "the cohort: tagged cloudlabs:cohort=<cohort> (by each resource's own tags), or made by "
                                       "hand inside its VPCs; with its estimated hourly cost. Another cohort's resources are "
                                       "never touched. Exit 1 if anything is left or a kind could not be scanned.")
    sweep.add_argument("cohort", type=arguments.name("cohort"),
                       help="a cohort of environments/, or the name of one whose cohort file is gone (its leftovers are "
                            "found by their tags; then --region is required)")
    sweep.add_argument("--region", type=arguments.aws_region,
                       help="a region of the aws partition (default: the cohort's region)")
    sweep.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR",
                       help="where the cohort file is looked up (default: %(default)s)")
    sweep.add_argument("--delete", action="store_true", help="delete what was found, in dependency order")
    sweep.add_argument("--whole-account", action="store_true",
                       help="the account is given to this cohort alone (e.g. a Learner Lab): also everything outside "
                            "the cohort's VPCs (instances in the default VPC, Elastic IPs, buckets, other VPCs); refused "
                            "(exit 2, nothing deleted) when the account holds anything tagged with another cohort")
    sweep.add_argument("--self", dest="acting_self", action="store_true",
                       help="a self-service cohort: sweep the caller's own account (a student's, with their own credentials)")
    emulate_argument(sweep)
    sweep.set_defaults(handler=run)


def sweep_region(args: argparse.Namespace) -> str:
    """The region to sweep, checked before anything runs (an emulated account is not opened for a
    bad one): ``--region`` (the parser checked it), else the cohort file's. A cohort without a file
    is swept by its tags when --region says where: the leftovers of a cohort whose file was removed
    after the semester are exactly what sweep is for."""
    if not args.environments.is_dir():
        raise SelectionError(f"--environments: {args.environments} is not a directory")
    path = args.environments / f"{args.cohort}.yaml"
    if args.region is not None:
        if not path.exists():  # legitimate, but say what is being trusted: a typo would find nothing
            print(f"labctl: note: no cohort file {path}: sweeping what is tagged cloudlabs:cohort={args.cohort} "
                  f"in {args.region}", file=sys.stderr)
        return str(args.region)
    if not path.exists():
        raise SelectionError(f"{args.cohort}: no cohort file ({path}) to take the region from; allowed: a cohort of "
                             f"{args.environments}, or --region REGION to sweep the leftovers of a cohort whose file is gone")
    region = load_cohort(path).template.get("aws:region")  # CohortError: bad input too
    if region not in arguments.aws_regions():  # checked on the emulated path too
        raise SelectionError(f"{path}: region: {region!r} is not allowed; allowed: {arguments.region_allowed()}")
    return str(region)


def _cohort_of(args: argparse.Namespace) -> Cohort | None:
    path = args.environments / f"{args.cohort}.yaml"
    return load_cohort(path) if path.exists() else None


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        region = sweep_region(args)
        cohort = _cohort_of(args)
        if cohort is not None and not args.emulate and cohort.account_model == "self-service" and not args.acting_self:
            raise SelectionError(self_service_refusal("sweep", {f"{cohort.name}-x": _SelfService(cohort.name)}, False) or "")
    except (SelectionError, CohortError) as exc:
        return bad_input(exc)
    if args.emulate:
        from labctl.ops.sandbox import SandboxError, Store, account, forget_deleted
        try:
            store = Store(runners.STATE_DIR / "sandbox")
            with account(store, region, writer=args.delete,
                         on_wait=lambda why: print(f"labctl: waiting: {why}", file=sys.stderr)) as emulated:
                # in-process, what the sweep deletes must leave the store too, or the next command makes it again
                forget = (lambda ids: forget_deleted(store, ids)) if emulated.served is None else None
                unfinished = lambda: _stacks_with_state(args, [s.stack for s in store.states() if s.resources])  # noqa: E731
                return _sweep(args, out, region, emulated.session(region), store.root / "sweep", forget, unfinished)
        except SandboxError as exc:
            return bad_input(exc)
    try:
        session = runners.make_session(region, "sweep")
    except ValueError as exc:  # no credentials
        return bad_input(exc)
    journal = Journal(runners.STATE_DIR / "fleet-journal.json")
    if cohort is not None and cohort.account_model == "per-student":
        return _sweep_each_account(args, out, region, session, cohort, journal)
    return _sweep(args, out, region, session, runners.STATE_DIR / "sweep", None,
                  lambda: _stacks_with_state(args, [stack for stack, entry in journal.entries.items()
                                                    if entry.get("operation") == "up" or entry.get("status") != "succeeded"]))


@dataclass
class _SelfService:  # what self_service_refusal reads of a stack's settings
    cohort: str
    account_model: str = "self-service"


def _sweep_each_account(args: argparse.Namespace, out: Console, region: str, caller: Any, cohort: Cohort,
                        journal: Journal) -> int:
    """per-student: each student's account with that student's role (one AssumeRole each), one after the
    other; one account that cannot be reached fails the sweep, never stops the others."""
    sessions = StudentSessions(lambda _region: caller, {})
    worst = EXIT_OK
    for student in cohort.students:
        stack, role = cohort.stack_name(student.id), cohort.role_arn(student)
        assert role is not None and student.account is not None  # the cohort parser requires both
        out.print(f"account {student.account} of {student.id} (role {role}):", markup=False)
        try:
            session = sessions.assume(stack, role, region)
        except AccountAccessError as exc:
            print(f"labctl: {exc}", file=sys.stderr)
            worst = EXIT_FAILED
            continue
        entry = journal.entries.get(stack)
        unfinished = [stack] if entry and (entry.get("operation") == "up" or entry.get("status") != "succeeded") else []
        code = _sweep(args, out, region, session, runners.STATE_DIR / "sweep" / student.account, None,
                      unfinished.copy)
        worst = max(worst, code)
    return worst


def _stacks_with_state(args: argparse.Namespace, stacks: list[str]) -> list[str]:
    """Of ``stacks`` (whose state, as the tools know it, still lists resources: an emulated state,
    or a journal whose last word is an up or a destroy that did not succeed), the cohort's own."""
    cohorts = sorted(set(cohort_names(args.environments)) | {args.cohort}) if args.environments.is_dir() else [args.cohort]
    return sorted(stack for stack in stacks if stack_owner(stack, cohorts) == args.cohort)


def _sweep(args: argparse.Namespace, out: Console, region: str, session: Any, ledger_dir: Path,
           forget: Callable[[set[str]], Any] | None = None, unfinished: Callable[[], list[str]] | None = None) -> int:
    try:
        sweeper = Sweeper(session, args.cohort, load_prices(), region, whole_account=args.whole_account,
                          ledger=Ledger(ledger_dir / f"{args.cohort}.{region}.json"))
    except ValueError as exc:  # a broken price table
        return bad_input(exc)
    try:
        found = sweeper.find()
    except ForeignResources as exc:
        return bad_input(exc)
    print_leftovers(found, args.cohort, region, out)
    if sweeper.ledger_problem:
        print(f"labctl: note: {sweeper.ledger_problem}", file=sys.stderr)
    for other, cohort in sweeper.foreign:
        print(f"labctl: note: {other.kind} {other.id} sits in one of {args.cohort}'s VPCs but is tagged with cohort {cohort}: "
              "not touched; it keeps that VPC from being deleted", file=sys.stderr)
    for bucket, label in sweeper.service_buckets:
        print(f"labctl: note: bucket {bucket} is the {label}s' own storage in this account (untagged, with a policy denying "
              f"its deletion): the sweep leaves it, as it holds every environment's bundles and logs here; once no one uses "
              f"it: aws s3api delete-bucket-policy --bucket {bucket} && aws s3 rb s3://{bucket} --force", file=sys.stderr)
    if not found and not sweeper.unscanned:
        stacks = unfinished() if unfinished else []
        if stacks:  # AWS has nothing, the states disagree: destroy did not finish, whatever AWS shows
            out.print(f"nothing of cohort {args.cohort} found, but {len(stacks)} of its stacks still hold a state with "
                      f"resources ({', '.join(stacks[:5])}{', ...' if len(stacks) > 5 else ''}): their destroy failed or "
                      f"did not run; run labctl destroy {args.cohort} (it ends clean where the resources are gone)",
                      markup=False)
            return EXIT_FAILED
        out.print("nothing left: the teardown is complete")
        return EXIT_OK
    if args.delete and found:
        failures = sweeper.delete(found, log=lambda m: out.print(m, markup=False))
        if forget is not None:
            forget({x.id for x in sweeper.deleted})
        for item, why in failures:
            print(f"could not delete {item.kind} {item.id} ({item.student}): {why}", file=sys.stderr)
        left = sweeper.find()
        out.print(f"after deletion: {len(left)} left")
        found = left
    elif found:
        out.print("run again with --delete to remove these in dependency order")
    return _verdict(found, sweeper, out)


def _verdict(found: list, sweeper: Sweeper, out: Console) -> int:
    for kind, why in sorted(sweeper.unscanned.items()):
        print(f"labctl: could not scan {kind}: {why}", file=sys.stderr)
    if sweeper.unscanned:
        out.print(f"not verified: {len(sweeper.unscanned)} kind(s) could not be scanned (see above)")
        return EXIT_FAILED
    return EXIT_OK if not found else EXIT_FAILED


def print_leftovers(found: list, cohort: str, region: str, out: Console) -> None:
    table = Table(title=f"Left of cohort {cohort} in {region}: {len(found)}", title_justify="left", show_footer=bool(found))
    for column in ("student", "type", "id", "state", "detail", "expires", "$/hour"):
        table.add_column(column, overflow="fold", justify="right" if column == "$/hour" else "left",
                         footer=f"${sum(f.hourly or 0 for f in found):.3f}" if column == "$/hour" else "")
    today = date.today().isoformat()
    for f in found:
        expires = f"{f.expires} (passed)" if f.expires and f.expires < today else f.expires
        table.add_row(f.student, f.kind, f.id, f.state, f.detail, expires, "?" if f.hourly is None else f"${f.hourly:.4f}")
    out.print(table)
