"""labctl sweep: everything of a cohort still in AWS (tagged with it, or made by hand inside its
VPCs), per student, with its hourly cost; --delete removes it in an order AWS accepts."""

from __future__ import annotations

import argparse
import functools
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.table import Table

from cloudlabs.cohort import (
    Cohort,
    CohortError,
    StudentAccount,
    cohort_names,
    cohort_stack_files,
    load_cohort,
    stack_owner,
    student_accounts,
)
from cloudlabs.settings import read_stack_document

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


def sweep_regions(args: argparse.Namespace) -> list[str]:
    """The regions to sweep, checked before anything runs (an emulated account is not opened for a
    bad one): ``--region`` (the parser checked it), else the cohort file's (all of them, for a cohort
    spread over regions). A cohort without a file is swept by its tags when --region says where: the
    leftovers of a cohort whose file was removed."""
    if not args.environments.is_dir():
        raise SelectionError(f"--environments: {args.environments} is not a directory")
    path = args.environments / f"{args.cohort}.yaml"
    if args.region is not None:
        if not path.exists():  # legitimate, but say what is being trusted: a typo would find nothing
            print(f"labctl: note: no cohort file {path}: sweeping what is tagged cloudlabs:cohort={args.cohort} "
                  f"in {args.region}", file=sys.stderr)
        return [str(args.region)]
    if not path.exists():
        raise SelectionError(f"{args.cohort}: no cohort file ({path}) to take the region from; allowed: a cohort of "
                             f"{args.environments}, or --region REGION to sweep the leftovers of a cohort whose file is gone")
    cohort = load_cohort(path)  # CohortError: bad input too
    regions = list(cohort.regions) or [str(cohort.template.get("aws:region"))]
    for region in regions:
        if region not in arguments.aws_regions():  # checked on the emulated path too
            raise SelectionError(f"{path}: region: {region!r} is not allowed; allowed: {arguments.region_allowed()}")
    return regions


def _cohort_of(args: argparse.Namespace) -> Cohort | None:
    path = args.environments / f"{args.cohort}.yaml"
    return load_cohort(path) if path.exists() else None


Assume = Callable[[str, str, str], Any]  # (role ARN, region, stack) -> the student's session


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        regions = sweep_regions(args)
        cohort = _cohort_of(args)
        if cohort is not None and not args.emulate and cohort.account_model == "self-service" and not args.acting_self:
            raise SelectionError(self_service_refusal("sweep", {f"{cohort.name}-x": _SelfService(cohort.name)}, False) or "")
        accounts = student_accounts(cohort) if cohort is not None and cohort.account_model == "per-student" else None
    except (SelectionError, CohortError) as exc:
        return bad_input(exc)
    if args.region is not None and accounts is not None:
        accounts = [a for a in accounts if a.region == args.region]
    if args.emulate:
        from labctl.ops.sandbox import SandboxError, Store, account, forget_deleted
        try:
            store = Store(runners.STATE_DIR / "sandbox")
            with account(store, regions[0], writer=args.delete,
                         on_wait=lambda why: print(f"labctl: waiting: {why}", file=sys.stderr)) as emulated:
                # in-process, what the sweep deletes must leave the store too, or the next command makes it again
                forget = (lambda ids: forget_deleted(store, ids)) if emulated.served is None else None
                held = {s.stack: s.region for s in store.states() if s.resources}
                unfinished = lambda region: _stacks_with_state(args, [n for n, r in held.items() if r == region])  # noqa: E731
                if accounts is not None:  # each student's own emulated account, through their role
                    return _sweep_each_account(args, out, accounts, emulated.assumed, store.root / "sweep", unfinished,
                                               forget)
                return max(_sweep(args, out, region, emulated.session(region), store.root / "sweep", forget,
                                  functools.partial(unfinished, region)) for region in regions)
        except SandboxError as exc:
            return bad_input(exc)
    try:
        sessions = {region: runners.make_session(region, "sweep") for region in regions}
    except ValueError as exc:  # no credentials
        return bad_input(exc)
    journal = Journal(runners.STATE_DIR / "fleet-journal.json")
    open_stacks = [stack for stack, entry in journal.entries.items()
                   if entry.get("operation") == "up" or entry.get("status") != "succeeded"]
    in_region = _stack_regions(args, cohort, regions[0])
    unfinished_in = lambda region: _stacks_with_state(args, [n for n in open_stacks if in_region(n) == region])  # noqa: E731
    if accounts is not None:
        students = StudentSessions(lambda region: sessions.get(region) or runners.make_session(region, "sweep"), {})
        return _sweep_each_account(args, out, accounts, lambda role, region, stack: students.assume(stack, role, region),
                                   runners.STATE_DIR / "sweep", unfinished_in)
    return max(_sweep(args, out, region, session, runners.STATE_DIR / "sweep", None, functools.partial(unfinished_in, region))
               for region, session in sessions.items())


def _stack_regions(args: argparse.Namespace, cohort: Cohort | None, default: str) -> Callable[[str], str]:
    """stack -> the region its stack file names (a spread cohort's students differ); the cohort's first region
    for a stack without a file."""
    known: dict[str, str] = {}
    if cohort is not None:
        for path in cohort_stack_files(cohort):
            region = read_stack_document(path)["config"].get("aws:region")
            if isinstance(region, str):
                known[render.stack_name_of(path)] = region
    return lambda stack: known.get(stack, default)


@dataclass
class _SelfService:  # what self_service_refusal reads of a stack's settings
    cohort: str
    account_model: str = "self-service"


def _sweep_each_account(args: argparse.Namespace, out: Console, accounts: list[StudentAccount], assume: Assume,
                        ledger_root: Path, unfinished: Callable[[str], list[str]],
                        forget: Callable[[set[str]], Any] | None = None) -> int:
    """per-student: each student's account with that student's role (one AssumeRole each), one after the
    other, students who left the roster with a kept stack file included; one account that cannot be reached
    fails the sweep, never stops the others."""
    worst = EXIT_OK
    for student in accounts:
        stack = f"{args.cohort}-{student.student}"
        left = " (left the roster; stack file kept)" if student.departed else ""
        out.print(f"account {student.account} of {student.student}{left} (role {student.role_arn}), {student.region}:",
                  markup=False, soft_wrap=True)  # one line: what a script greps for
        try:
            session = assume(student.role_arn, student.region, stack)
        except AccountAccessError as exc:
            print(f"labctl: {exc}", file=sys.stderr)
            worst = EXIT_FAILED
            continue
        mine = [name for name in unfinished(student.region) if name == stack]
        code = _sweep(args, out, student.region, session, ledger_root / student.account, forget, mine.copy)
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


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "nothing of the cohort is left",
    1: "something is left, or a kind of resource could not be scanned",
    2: "bad input, or `--whole-account` in an account shared with another cohort",
}
