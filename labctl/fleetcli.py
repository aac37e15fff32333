"""The fleet commands of labctl: up, preview, refresh, destroy, stop, start, sweep, expired."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.live import Live
from rich.table import Table

from cloudlabs import REPO_ROOT
from cloudlabs.settings import SettingsError, load_all_stack_settings
from cloudlabs.writing import OutputPathError, check_output_dir

from . import arguments, render
from .fleet import Fleet, Journal, StackResult, file_hash, summary_counts
from .selection import SelectionError, select_students

STATE_DIR = REPO_ROOT / ".cloudlabs"


def bad_input(exc: Exception) -> int:
    from .cli import bad_input as report
    return report(exc)
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130


def add_commands(sub: Any, targets_argument: Callable[[argparse.ArgumentParser], None]) -> None:
    for operation, text in (("up", "create or update every selected stack (pulumi up)"),
                            ("preview", "pulumi preview --diff of every selected stack"),
                            ("refresh", "pulumi refresh of every selected stack"),
                            ("destroy", "pulumi destroy of every selected stack"),
                            ("stop", "stop the students' EC2 and RDS instances (keeps their work)"),
                            ("start", "start them again")):
        p = sub.add_parser(operation, help=text, description=text.capitalize() + ", in parallel; one student's "
                           "failure never stops the others. Exit 1 if any stack failed.")
        targets_argument(p)
        p.add_argument("--students", metavar="IDS", help="only these students (comma-separated ids; an empty list is refused)")
        p.add_argument("--parallel", type=arguments.whole_number(1, 64), default=4, metavar="N",
                       help="stacks at a time, 1 to 64 (default: %(default)s)")
        p.add_argument("--retries", type=arguments.whole_number(0, 10), default=3, metavar="N",
                       help="retries for transient causes (throttling, a locked stack), with backoff, 0 to 10 "
                            "(default: %(default)s)")
        p.add_argument("--on-interrupt", choices=["finish", "cancel"], default="finish",
                       help="Ctrl-C lets running operations finish (default) or cancels them and releases their locks")
        if operation in ("up", "preview", "refresh", "destroy"):
            p.add_argument("--backend", metavar="URL",
                           help="state backend (default: $PULUMI_BACKEND_URL, else file://.pulumi-state in the repo)")
        if operation in ("up", "preview"):
            p.add_argument("--skip-validation", action="store_true",
                           help="send the stacks even if AWS's schemas or the deploy rules find problems (labctl validate)")
        if operation == "start":
            p.add_argument("--no-outputs", action="store_true",
                           help="do not bring the stack outputs up to date afterwards (new public IPs: pulumi up --refresh)")
        if operation in ("up", "destroy"):
            p.add_argument("--all", action="store_true",
                           help=f"also stacks whose last {operation} succeeded with the same settings (skipped by default)")

    sweep = sub.add_parser("sweep", help="find (and optionally delete) anything still tagged with a cohort",
                           description="Ask AWS for every resource tagged cloudlabs:cohort=<cohort> (Resource Groups "
                                       "Tagging API plus EC2, ELB, Auto Scaling, RDS and S3 calls), per student, with its "
                                       "estimated hourly cost. Exit 1 if anything is left.")
    sweep.add_argument("cohort", type=arguments.name("cohort"))
    sweep.add_argument("--region", help="default: the cohort's region")
    sweep.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR")
    sweep.add_argument("--delete", action="store_true", help="delete what was found, in dependency order")

    exp = sub.add_parser("expired", help="stacks whose cloudlabs:expires date has passed",
                         description="List stacks whose expiry date (tagged on all their resources) has passed. "
                                     "Exit 1 if any.")
    targets_argument(exp)
    exp.add_argument("--today", type=arguments.calendar_date, default=date.today(), metavar="YYYY-MM-DD")


# --- runners (tests replace these factories) ------------------------------------------------------


def make_pulumi_runner(args: argparse.Namespace, owners: dict[str, tuple[str, str]]):
    from .automation import AutomationRunner, backend_url, check_setup
    backend = backend_url(getattr(args, "backend", None))
    check_setup(backend)
    regions = {s.region for s in getattr(args, "selected_settings", {}).values()} or {"us-east-1"}
    for region in sorted(regions):  # the AWS provider needs credentials for every operation
        make_session(region, args.command)
    return AutomationRunner(backend)


def make_power_runner(args: argparse.Namespace, owners: dict[str, tuple[str, str]], region: str):
    from .awsops import PowerRunner
    return PowerRunner(make_session(region, args.command), owners)


def make_session(region: str, command: str = "this command"):
    """A boto3 session for a command that calls AWS; ValueError (bad input, one line) when the
    region is not an AWS region or no credentials are configured."""
    import boto3
    session = boto3.Session(region_name=region)
    known = session.get_available_regions("ec2")
    if region not in known:
        raise ValueError(f"{command}: region {region!r} is not an AWS region; allowed: e.g. us-east-1, us-west-2")
    if session.get_credentials() is None:
        raise ValueError(f"{command} calls AWS and no AWS credentials were found (environment variables, "
                         "~/.aws/credentials, AWS_PROFILE or an instance role); for a Learner Lab, paste the "
                         "session's credentials into ~/.aws/credentials")
    return session


# --- fleet operations -----------------------------------------------------------------------------


def _select(args: argparse.Namespace, resolve: Callable[[list[str], Path], list[Path]]) -> tuple[list[Path], dict[Path, Any]]:
    """The selected stack files and their settings, all validated before anything runs."""
    files = resolve(args.targets, args.environments)
    selected = select_students(load_all_stack_settings(files), getattr(args, "students", None))
    return list(selected), selected


def _deploy_ready(files: list[Path], settings: dict[Path, Any], out: Console) -> bool:
    """Validate before anything is sent: what AWS would refuse is refused here, with the findings."""
    from cloudlabs.profiles import profile_path

    from .batch import render_files
    from .graphcache import GraphCache, cache_dir
    from .summary import print_findings
    results = render_files(files, validate=True, cache=GraphCache(cache_dir()),
                           profiles={f: profile_path(settings[f].profile.name) for f in files})
    checks = [r.validation for r in results if r.validation is not None]
    failed = [r for r in results if r.error is not None]
    not_ready = [c for c in checks if not c.ready]
    if not failed and not not_ready:
        return True
    for r in failed:
        print(f"FAILED {r.error}", file=sys.stderr)
    print_findings(not_ready, out)
    print(f"labctl: nothing sent: {len(not_ready) + len(failed)} of {len(files)} stacks are not deploy-ready "
          "(labctl validate); fix them, or pass --skip-validation", file=sys.stderr)
    return False


def progress_table(fleet: Fleet, operation: str, clock: Callable[[], float]) -> Table:
    table = Table(title=f"labctl {operation}", title_justify="left")
    for column in ("stack", "phase", "resources done", "elapsed"):
        table.add_column(column, justify="right" if column in ("resources done", "elapsed") else "left")
    for stack, p in fleet.progress.items():
        active = p.phase == "running" or p.phase.startswith("retry")
        elapsed = f"{clock() - p.started:.0f} s" if p.started and active else ""
        table.add_row(stack, p.phase + (f" (attempt {p.attempt})" if p.attempt > 1 and p.phase == "running" else ""),
                      str(p.resources) if p.resources else "", elapsed)
    return table


def results_table(results: list[StackResult], operation: str) -> Table:
    table = Table(title=f"{operation}: " + ", ".join(f"{n} {status}" for status, n in sorted(summary_counts(results).items())),
                  title_justify="left")
    for column in ("stack", "result", "changes", "duration", "cause"):
        table.add_column(column, overflow="fold", justify="right" if column == "duration" else "left")
    for r in results:
        table.add_row(r.stack, r.status + (f" ({r.attempts} tries)" if r.attempts > 1 else ""), r.changes_text,
                      f"{r.duration:.1f} s" if r.duration else "", r.cause or "")
    return table


def cmd_fleet(args: argparse.Namespace, out: Console, resolve: Callable[[list[str], Path], list[Path]]) -> int:
    operation = args.command
    if not args.targets:  # never every cohort by accident: real operations name what they act on
        return bad_input(ValueError(f"{operation}: name a cohort or stacks (e.g. labctl {operation} fall26)"))
    try:
        files, settings = _select(args, resolve)
    except (FileNotFoundError, SettingsError, SelectionError) as exc:
        return bad_input(exc)
    try:
        check_output_dir(STATE_DIR, "the state directory (logs, journal)")
    except OutputPathError as exc:
        return bad_input(exc)
    if operation in ("up", "preview") and not args.skip_validation and not _deploy_ready(files, settings, out):
        return EXIT_FAILED
    args.selected_settings = settings
    owners = {render.stack_name_of(f): (s.cohort, s.student) for f, s in settings.items()}
    stacks = list(owners)
    try:
        if operation in ("stop", "start"):
            regions = {s.region for s in settings.values()}
            if len(regions) != 1:
                print(f"labctl: the selected stacks span regions {', '.join(sorted(regions))}; select one region at a time",
                      file=sys.stderr)
                return EXIT_BAD_INPUT
            runner = make_power_runner(args, owners, regions.pop())
        else:
            runner = make_pulumi_runner(args, owners)
    except ValueError as exc:  # the machine is not set up for real operations
        return bad_input(exc)

    journal = Journal(STATE_DIR / "fleet-journal.json")
    if journal.problem:
        print(f"labctl: note: {journal.problem}; set aside, so every selected stack runs", file=sys.stderr)
    hashes = {render.stack_name_of(f): file_hash(f) for f in files}
    skip = (lambda s: False)
    if operation in ("up", "destroy") and not getattr(args, "all", False):
        skip = lambda s: journal.done(s, operation, hashes[s])  # noqa: E731
    log_dir = STATE_DIR / "logs" / f"{operation}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    clock = time.monotonic
    live = Live(console=Console(stderr=True), refresh_per_second=4, transient=True) if sys.stderr.isatty() else None
    fleet = Fleet(runner, parallel=args.parallel, retries=args.retries, log_dir=log_dir, on_interrupt=args.on_interrupt,
                  on_change=(lambda: live.update(progress_table(fleet, operation, clock))) if live else None)
    if live:
        with live:
            results = fleet.run(stacks, operation, skip=skip)
    else:
        results = fleet.run(stacks, operation, skip=skip)
    for r in results:
        journal.record(r, hashes[r.stack])
    journal.save()
    out.print(results_table(results, operation))
    out.print(f"logs: {log_dir}/<stack>.log")
    if fleet.stopping:
        states = summary_counts(results)
        out.print("interrupted: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())) +
                  ("; cancelled stacks were unlocked (pulumi cancel)" if args.on_interrupt == "cancel" else ""))
        return EXIT_INTERRUPTED
    ok = all(r.status in ("succeeded", "skipped") for r in results)
    if operation == "start" and not args.no_outputs:
        ok = _refresh_outputs(args, owners, [r.stack for r in results if r.status == "succeeded"], out) and ok
    return EXIT_OK if ok else EXIT_FAILED


def _refresh_outputs(args: argparse.Namespace, owners: dict[str, tuple[str, str]], stacks: list[str], out: Console) -> bool:
    """Instances get new public IPs when they start again (the book notes it, L1967): bring the
    started stacks' outputs (ssh commands, URLs) up to date with `pulumi up --refresh`."""
    if not stacks:
        return True
    try:
        runner = make_pulumi_runner(args, owners)
    except ValueError as exc:
        out.print(f"note: the stack outputs still show the old public IPs ({exc}); run `pulumi up --refresh` "
                  "per stack where the Pulumi CLI is set up", markup=False)
        return True
    log_dir = STATE_DIR / "logs" / f"outputs-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    results = Fleet(runner, parallel=args.parallel, retries=args.retries, log_dir=log_dir).run(stacks, "outputs")
    out.print(results_table(results, "outputs (pulumi up --refresh)"))
    return all(r.status == "succeeded" for r in results)


# --- sweep and expired ----------------------------------------------------------------------------


def cmd_sweep(args: argparse.Namespace, out: Console) -> int:
    from .awsops import Sweeper
    from .cost import load_prices
    from cloudlabs.cohort import CohortError, load_cohort
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
    try:
        sweeper = Sweeper(make_session(region, "sweep"), args.cohort, load_prices(), region)
    except ValueError as exc:  # no credentials, not a region, or a broken price table
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


def cmd_expired(args: argparse.Namespace, out: Console, resolve: Callable[[list[str], Path], list[Path]]) -> int:
    from .awsops import expired
    try:
        files, settings = _select(args, resolve)
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
        out.print("destroy them (labctl destroy <stacks>), then labctl sweep <cohort>")
    return EXIT_FAILED if rows else EXIT_OK

