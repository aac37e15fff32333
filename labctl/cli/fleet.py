"""labctl up, preview, refresh, destroy, stop and start: one operation on every selected stack,
in parallel, with a live progress table; one student's failure never stops the others."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from rich.console import Console
from rich.live import Live
from rich.table import Table

from cloudlabs.profiles import profile_path
from cloudlabs.settings import SettingsError, StackSettings, load_all_stack_settings
from cloudlabs.writing import OutputPathError, atomic_write, check_output_dir

from labctl.analysis.batch import render_files
from labctl.cli import arguments, runners
from labctl.cli import quota_table
from labctl.cli.outputs import check_outputs, settings_inputs
from labctl.cli.common import (EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Subparsers, bad_input,
                               emulate_argument, students_argument, targets_argument)
from labctl.cli.selection import SelectionError, resolve_targets, select_students
from labctl.cli.summary import print_findings
from labctl.offline import render
from labctl.offline.graphcache import GraphCache, cache_dir
from labctl.ops.accounts import self_service_refusal
from labctl.ops.fleet import DEFAULT_PARALLEL, Fleet, Journal, StackResult, file_hash, results_document, summary_counts

OPERATIONS = ("up", "preview", "refresh", "destroy", "stop", "start")


def register(sub: Subparsers) -> None:
    for operation, text in (("up", "create or update every selected stack (pulumi up)"),
                            ("preview", "pulumi preview --diff of every selected stack"),
                            ("refresh", "pulumi refresh of every selected stack"),
                            ("destroy", "pulumi destroy of every selected stack"),
                            ("stop", "stop the students' EC2 and RDS instances (keeps their work)"),
                            ("start", "start them again")):
        p = sub.add_parser(operation, help=text, description=text.capitalize() + ", in parallel; one student's "
                           "failure never stops the others. Exit 1 if any stack failed.")
        renders = operation in ("up", "preview")  # they validate every stack first
        targets_argument(p, jobs="stacks rendered in parallel for the validation" if renders else None, cache=renders)
        students_argument(p)
        p.add_argument("--parallel", type=arguments.whole_number(1, 64), default=DEFAULT_PARALLEL, metavar="N",
                       help="stacks at a time, 1 to 64 (default: %(default)s)")
        p.add_argument("--retries", type=arguments.whole_number(0, 10), default=3, metavar="N",
                       help="retries for transient causes (throttling, a locked stack), with backoff, 0 to 10 "
                            "(default: %(default)s)")
        p.add_argument("--on-interrupt", choices=["finish", "cancel"], default="finish",
                       help="Ctrl-C lets running operations finish (default) or cancels them and releases their locks")
        _account_options(p, operation)
        p.add_argument("--results", metavar="FILE",
                       help="also write every stack's result as JSON (what `labctl collect` merges from CI shards)")
        p.add_argument("--self", dest="acting_self", action="store_true",
                       help="a self-service stack (the student's own account): act on exactly this one stack with the "
                            "caller's own credentials (the student's, e.g. a Learner Lab session's)")
        if operation in ("up", "preview"):
            p.add_argument("--skip-validation", action="store_true",
                           help="send the stacks even if AWS's schemas or the deploy rules find problems (labctl validate)")
        if operation in ("up", "destroy"):
            p.add_argument("--all", action="store_true",
                           help=f"also stacks whose last {operation} succeeded with the same settings (skipped by default)")
        p.set_defaults(handler=run)


def _account_options(p: argparse.ArgumentParser, operation: str) -> None:
    """--emulate, and what it would silently ignore, as one choice: --backend (the sandbox keeps
    its own state) and start's --no-outputs (an emulated start has no outputs to refresh)."""
    where = p.add_mutually_exclusive_group()
    if operation in ("up", "preview", "refresh", "destroy"):
        emulate_argument(where, "; not with --backend (the sandbox keeps its own state)")
        where.add_argument("--backend", type=arguments.backend, metavar="URL",
                           help="state backend: file://PATH, s3://BUCKET[/PREFIX], gs://, azblob://, postgres:// or "
                                "https:// (default: $PULUMI_BACKEND_URL, else file://.pulumi-state in the repo); "
                                "not with --emulate")
    elif operation == "start":
        emulate_argument(where, "; its stacks' outputs need no refresh, so not with --no-outputs")
        where.add_argument("--no-outputs", action="store_true",
                           help="do not bring the stack outputs up to date afterwards (new public IPs: pulumi up --refresh); "
                                "not with --emulate")
    else:
        emulate_argument(where)


def select(args: argparse.Namespace) -> tuple[list[Path], dict[Path, StackSettings]]:
    """The selected stack files and their settings, all validated before anything runs."""
    files = resolve_targets(args.targets, args.environments)
    selected = select_students(load_all_stack_settings(files), getattr(args, "students", None))
    return list(selected), selected


def _deploy_ready(args: argparse.Namespace, files: list[Path], settings: dict[Path, StackSettings], out: Console,
                  graphs: dict[str, Any]) -> bool:
    """Validate before anything is sent: what AWS would refuse is refused here, with the findings.
    The graphs validated are put in ``graphs`` (stack -> graph): the emulator creates exactly those."""
    results = render_files(files, args.jobs, validate=True, cache=None if args.no_cache else GraphCache(cache_dir()),
                           profiles={f: profile_path(settings[f].profile.name) for f in files})
    checks = [r.validation for r in results if r.validation is not None]
    failed = [r for r in results if r.error is not None]
    not_ready = [c for c in checks if not c.ready]
    if not failed and not not_ready:
        graphs.update({r.stack: r.graph for r in results if r.graph is not None})
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


def run(args: argparse.Namespace, out: Console) -> int:
    """Everything that can refuse (selection, regions, the machine's setup) is checked before the
    validation renders and before anything is sent."""
    operation = args.command
    emulate = getattr(args, "emulate", False)
    if not args.targets:  # never every cohort by accident: real operations name what they act on
        return bad_input(ValueError(f"{operation}: name a cohort or stacks (e.g. labctl {operation} fall26)"))
    if getattr(args, "results", None) == "-":  # stdout already carries the progress and the results table
        return bad_input(ValueError("--results: '-' is not allowed; allowed: a file path"))
    try:
        files, settings = select(args)
        check_output_dir(runners.STATE_DIR, "the state directory (logs, journal)")
        check_outputs(args, settings_inputs(settings))
        refusal = None if emulate else self_service_refusal(operation, {s.stack_name: s for s in settings.values()},
                                                            args.acting_self)
        if refusal:
            raise SelectionError(refusal)
    except (FileNotFoundError, SettingsError, SelectionError, OutputPathError) as exc:
        return bad_input(exc)
    args.selected_settings = settings
    owners = {render.stack_name_of(f): (s.cohort, s.student) for f, s in settings.items()}
    runner = None
    if not emulate:
        try:
            runner = (runners.make_power_runner(args, owners) if operation in ("stop", "start")
                      else runners.make_pulumi_runner(args, owners))
        except ValueError as exc:  # the machine is not set up for real operations
            return bad_input(exc)
    graphs: dict[str, Any] = {}
    if operation in ("up", "preview") and not args.skip_validation and not _deploy_ready(args, files, settings, out, graphs):
        return EXIT_FAILED
    if operation == "up" and not args.skip_validation and not quota_table.refuse_over_quota(args, files, settings, graphs, emulate):
        return EXIT_FAILED
    if runner is None:
        return _run_emulated(args, out, files, owners, settings, graphs)
    return _run_fleet(args, out, files, owners, runner, runners.STATE_DIR)[0]


def _run_emulated(args: argparse.Namespace, out: Console, files: list[Path], owners: dict[str, tuple[str, str]],
                  settings: dict[Path, StackSettings], graphs: dict[str, Any]) -> int:
    """The same operation on the sandbox's emulated account (labctl.ops.sandbox); its journal and
    logs are the sandbox's own, so an emulated up never marks a real stack as done. ``graphs``: the
    stacks the validation rendered (the rest are rendered by the runner). Each stack acts in its own
    region and, per-student, in its student's own emulated account (through the student's role)."""
    from labctl.ops.emulate import EmulatorRunner
    from labctl.ops.sandbox import SandboxError, Store, account
    store = Store(runners.STATE_DIR / "sandbox")
    stack_files = {render.stack_name_of(f): f for f in files}
    by_stack = {s.stack_name: s for s in settings.values()}
    roles = {name: s.role_arn for name, s in by_stack.items() if s.account_model == "per-student" and s.role_arn}
    first = sorted(s.region for s in by_stack.values())[0]
    try:
        with account(store, first, writer=args.command != "preview", on_wait=waiting) as emulated:
            runner = EmulatorRunner(emulated.session(first), store.stacks_dir, stack_files, owners, emulated.id,
                                    graphs=graphs, sessions=lambda stack: emulated.stack_session(by_stack[stack]),
                                    roles=roles)
            return _run_fleet(args, out, files, owners, runner, store.root)[0]
    except SandboxError as exc:
        return bad_input(exc)


def waiting(why: str) -> None:
    print(f"labctl: waiting: {why}", file=sys.stderr)


def _run_fleet(args: argparse.Namespace, out: Console, files: list[Path], owners: dict[str, tuple[str, str]], runner: Any,
               state_dir: Path) -> tuple[int, list[StackResult]]:
    operation = args.command
    stacks = list(owners)
    journal = Journal(state_dir / "fleet-journal.json", durable=not getattr(args, "emulate", False))
    if journal.problem:
        print(f"labctl: note: {journal.problem}; set aside, so every selected stack runs", file=sys.stderr)
    hashes = {render.stack_name_of(f): file_hash(f) for f in files}
    resume = operation in ("up", "destroy") and not getattr(args, "all", False)
    log_dir = state_dir / "logs" / f"{operation}-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    clock = time.monotonic
    live = Live(console=Console(stderr=True), refresh_per_second=4, transient=True) if sys.stderr.isatty() else None
    fleet = Fleet(runner, parallel=args.parallel, retries=args.retries, log_dir=log_dir, on_interrupt=args.on_interrupt,
                  on_change=(lambda: live.update(progress_table(fleet, operation, clock))) if live else None,
                  journal=journal)
    if live:
        with live:
            results = fleet.run(stacks, operation, hashes, resume)
    else:
        results = fleet.run(stacks, operation, hashes, resume)
    args.fleet_results = results  # for a command that runs this one (labctl expire reports each stack)
    out.print(results_table(results, operation))
    out.print(f"logs: {log_dir}/<stack>.log")
    if getattr(args, "results", None):
        atomic_write(Path(args.results), json.dumps(results_document(operation, results), indent=2, sort_keys=True) + "\n")
    _hint_blocked(results, owners, out, getattr(args, "emulate", False))
    if fleet.stopping:
        states = summary_counts(results)
        out.print("interrupted: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items())) +
                  ("; cancelled stacks were unlocked (pulumi cancel)" if args.on_interrupt == "cancel" else ""))
        return EXIT_INTERRUPTED, results
    ok = all(r.status in ("succeeded", "skipped") for r in results)
    if operation == "start" and not args.no_outputs and not getattr(args, "emulate", False):
        ok = _refresh_outputs(args, owners, [r.stack for r in results if r.status == "succeeded"], out) and ok
    return (EXIT_OK if ok else EXIT_FAILED), results


BLOCKED = re.compile(r"DependencyViolation|ResourceInUse|DeleteConflict|has dependencies|in use", re.IGNORECASE)


def _hint_blocked(results: list[StackResult], owners: dict[str, tuple[str, str]], out: Console, emulate: bool) -> None:
    """A destroy that AWS refused because something still uses a resource: usually what a student
    made by hand inside the stack's VPC (a NAT gateway, an instance), which Pulumi does not know."""
    blocked = [r.stack for r in results if r.operation == "destroy" and r.status == "failed" and BLOCKED.search(r.cause or "")]
    if not blocked:
        return
    cohorts = sorted({owners[s][0] for s in blocked})
    sweep = "; ".join(f"labctl sweep {c} --delete{' --emulate' if emulate else ''}" for c in cohorts)
    out.print(f"{len(blocked)} stack(s) could not be destroyed because something outside their state still uses a resource "
              f"(AWS answers DependencyViolation), e.g. what a student made by hand in the VPC: {sweep} removes it, "
              "then destroy again", markup=False)


def _refresh_outputs(args: argparse.Namespace, owners: dict[str, tuple[str, str]], stacks: list[str], out: Console) -> bool:
    """Instances get new public IPs when they start again (the book notes it, book ch. 3, “Proceed to login” › “Installation of webserver”): bring the
    started stacks' outputs (ssh commands, URLs) up to date with `pulumi up --refresh`."""
    if not stacks:
        return True
    try:
        runner = runners.make_pulumi_runner(args, owners)
    except ValueError as exc:
        out.print(f"note: the stack outputs still show the old public IPs ({exc}); run `pulumi up --refresh` "
                  "per stack where the Pulumi CLI is set up", markup=False)
        return True
    log_dir = runners.STATE_DIR / "logs" / f"outputs-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    results = Fleet(runner, parallel=args.parallel, retries=args.retries, log_dir=log_dir).run(stacks, "outputs")
    out.print(results_table(results, "outputs (pulumi up --refresh)"))
    return all(r.status == "succeeded" for r in results)


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    "up": {
        0: "every stack succeeded or was skipped",
        1: "a stack failed",
        2: "bad input, or no Pulumi CLI, passphrase or credentials",
        130: "interrupted",
    },
    "preview": {
        0: "every stack succeeded or was skipped",
        1: "a stack failed",
        2: "bad input, or no Pulumi CLI, passphrase or credentials",
        130: "interrupted",
    },
    "refresh": {
        0: "every stack succeeded or was skipped",
        1: "a stack failed",
        2: "bad input, or no Pulumi CLI, passphrase or credentials",
        130: "interrupted",
    },
    "destroy": {
        0: "every stack succeeded or was skipped",
        1: "a stack failed",
        2: "bad input, or no Pulumi CLI, passphrase or credentials",
        130: "interrupted",
    },
    "stop": {
        0: "every stack succeeded",
        1: "a stack failed",
        2: "bad input",
        130: "interrupted",
    },
    "start": {
        0: "every stack succeeded",
        1: "a stack failed",
        2: "bad input",
        130: "interrupted",
    },
}
