"""labctl expire: the session clock. At a session's end the cohort's instances are stopped (state and
disks kept: the Learner Lab way); at its expiry its stacks are destroyed and the cohort swept. Before
its time nothing happens. A dry run unless --yes; a schedule (the session-clock workflow) runs it.

It acts through the commands an instructor would run by hand (``labctl stop``, ``destroy``,
``sweep --delete``), parsed by their own parsers, so their refusals, journal, retries and emulation
are the same."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from cloudlabs.cohort import CohortError, load_cohort
from cloudlabs.schedule import Action, clock_action, next_session_end, utc_now
from cloudlabs.settings import SettingsError, load_all_stack_settings
from cloudlabs.writing import OutputPathError

from labctl.cli import arguments, fleet, sweep
from labctl.cli.common import (EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, Subparsers, bad_input,
                               emulate_argument, environments_argument, write_text)
from labctl.cli.delegate import command_args
from labctl.cli.outputs import check_outputs, settings_inputs
from labctl.cli.selection import SelectionError, resolve_targets
from labctl.ops.accounts import self_service_refusal
from labctl.ops.fleet import DEFAULT_PARALLEL


def register(sub: Subparsers) -> None:
    p = sub.add_parser("expire", help="the session clock: stop a cohort at its session's end, destroy and sweep it at expiry",
                       description="What the cohort's schedule (schedule: in its cohort file) says to do now: at or after a "
                                   "session's end, while no session runs, stop its EC2 and RDS instances (labctl stop); at "
                                   "or after its expiry, destroy its stacks and sweep what is left (labctl destroy, labctl "
                                   "sweep --delete); before its time, nothing. A dry run unless --yes. Exit 1 if a stack "
                                   "failed or the sweep left something.")
    p.add_argument("cohort", type=arguments.name("cohort"), help="a cohort of environments/ with a schedule:")
    environments_argument(p)
    p.add_argument("--now", type=arguments.moment, metavar="TIME",
                   help="act as if it were TIME (ISO 8601 with its offset, e.g. 2026-12-01T12:00Z; default: the clock's now)")
    p.add_argument("--yes", action="store_true", help="do it (without: say what would be done, change nothing)")
    p.add_argument("--summary", metavar="FILE",
                   help="also write what was stopped, destroyed and left, and why, as Markdown (e.g. for $GITHUB_STEP_SUMMARY; "
                        "'-': stdout)")
    p.add_argument("--parallel", type=arguments.whole_number(1, 64), default=DEFAULT_PARALLEL, metavar="N",
                   help="stacks at a time, 1 to 64 (default: %(default)s)")
    emulate_argument(p)
    p.set_defaults(handler=run)


@dataclass
class ClockRun:
    """What one run of the clock decided and did: the summary's content."""

    cohort: str
    now: datetime
    action: Action
    why: str
    stacks: list[str]
    applied: bool  # --yes
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # stack, done, result, detail
    left: list[str] = field(default_factory=list)  # what stays, and why
    sweep_verdict: str = ""
    refusal: str = ""  # why stop or destroy did nothing at all (their one error line)


def run(args: argparse.Namespace, out: Console) -> int:
    now = args.now or utc_now()
    try:
        path = args.environments / f"{args.cohort}.yaml"
        if not path.is_file():
            raise SelectionError(f"{args.cohort}: no cohort file {path}; allowed: a cohort of {args.environments}")
        cohort = load_cohort(path)
        if cohort.schedule is None:
            raise SelectionError(f"{path}: schedule: missing; allowed: the cohort's sessions and expiry (schedule: "
                                 "{sessions: [{start, end}], timezone, expires}), which labctl expire acts on")
        settings = load_all_stack_settings(resolve_targets([args.cohort], args.environments))
        by_stack = {s.stack_name: s for s in settings.values()}
        refusal = None if args.emulate else self_service_refusal("expire", by_stack, False)
        if refusal:
            raise SelectionError(refusal.replace("labctl expire <their stack> --self", "labctl stop/destroy <their stack> --self"))
        check_outputs(args, settings_inputs(settings))
    except (CohortError, SettingsError, SelectionError, OutputPathError, FileNotFoundError) as exc:
        return bad_input(exc)
    action, why = clock_action(cohort.schedule, now)
    clock = ClockRun(cohort.name, now, action, why, sorted(by_stack), args.yes)
    code = _act(args, clock, out) if args.yes and action != "none" else _plan_only(clock, cohort.schedule)
    print_run(clock, out)
    if args.summary:
        write_text(args.summary, summary_markdown(clock))
    return code


def _plan_only(clock: ClockRun, schedule: Any) -> int:
    """Nothing done: the dry run, or nothing due. Every stack is left, with the reason."""
    verb = {"stop": "would stop", "destroy": "would destroy, then sweep"}.get(clock.action)
    for stack in clock.stacks:
        clock.rows.append((stack, verb if verb and not clock.applied else "left", "dry run" if verb else "nothing due", ""))
    if clock.action == "none":
        end = next_session_end(schedule, clock.now)
        clock.left.append(f"all {len(clock.stacks)} stacks: {clock.why}" +
                          (f" (the clock stops them after {end.isoformat(sep=' ', timespec='minutes')})" if end else ""))
    else:
        clock.left.append(f"all {len(clock.stacks)} stacks: dry run (no --yes): nothing was changed")
    return EXIT_OK


def _act(args: argparse.Namespace, clock: ClockRun, out: Console) -> int:
    if clock.action == "stop":
        code, results = _fleet(args, "stop", out, clock)
        _record(clock, "stopped", results)
        if _refused(clock, "stopped", code, results):
            return code
        clock.left.append("disks, databases' data and every other resource: kept for the next session (NAT gateways, "
                          "load balancers and Elastic IPs keep billing until expiry: they cannot be stopped)")
        return code
    code, results = _fleet(args, "destroy", out, clock)
    _record(clock, "destroyed", results)
    if _refused(clock, "destroyed", code, results) or code == EXIT_INTERRUPTED or code == EXIT_BAD_INPUT:
        return code
    recorded = Console(file=out.file, record=True, width=out.width, emoji=False, highlight=False)
    swept = sweep.run(command_args(args, "sweep", ["--delete"]), recorded)
    lines = [line for line in recorded.export_text().splitlines() if line.startswith(("nothing", "after deletion"))]
    clock.sweep_verdict = (lines[-1] if lines else "see the log") + ("" if swept == EXIT_OK else f" (sweep exit {swept})")
    if swept != EXIT_OK:
        clock.left.append(f"the sweep did not end clean: {clock.sweep_verdict}; run labctl sweep {clock.cohort} --delete")
    return max(code, swept)


def _refused(clock: ClockRun, done: str, code: int, results: list[Any]) -> bool:
    """The fleet stopped before any stack (no credentials, no Pulumi CLI, interrupted): the summary a
    schedule shows must say that nothing was done and why, not an empty table."""
    if results or code == EXIT_OK:
        return False
    why = clock.refusal or ("interrupted" if code == EXIT_INTERRUPTED else f"exit {code}")
    clock.rows += [(stack, "-", "not run", "") for stack in clock.stacks]
    clock.left.append(f"all {len(clock.stacks)} stacks: not {done}: {why}; the next run tries again")
    return True


def _record(clock: ClockRun, done: str, results: list[Any]) -> None:
    for r in results:
        detail = r.cause or (f"{r.changes.get('update', 0)} instance(s) or database(s) stopped" if done == "stopped"
                             else f"{r.changes.get('delete', 0)} resource(s) deleted")
        clock.rows.append((r.stack, done if r.status == "succeeded" else "-", r.status, detail))
        if r.status not in ("succeeded", "skipped"):
            clock.left.append(f"{r.stack}: not {done} ({r.status}: {r.cause or 'see its log'}); the next run tries again")


class _Tee(io.TextIOBase):
    """stderr as it is, and its lines kept: the fleet's one-line refusal, for the summary."""

    def __init__(self, to: TextIO) -> None:
        self.to, self.lines = to, io.StringIO()

    def write(self, text: str) -> int:
        self.lines.write(text)
        return self.to.write(text)

    def flush(self) -> None:
        self.to.flush()


def _fleet(args: argparse.Namespace, operation: str, out: Console, clock: ClockRun | None = None) -> tuple[int, list[Any]]:
    sub = command_args(args, operation, ["--parallel", str(args.parallel)])
    tee = _Tee(sys.stderr)
    with contextlib.redirect_stderr(tee):
        code = fleet.run(sub, out)
    said = [line.removeprefix("labctl: ") for line in tee.lines.getvalue().splitlines() if line.startswith("labctl: ")]
    if clock is not None and said:
        clock.refusal = said[-1]
    return code, getattr(sub, "fleet_results", [])


# --- what it says ------------------------------------------------------------------------------------


def _title(clock: ClockRun) -> str:
    when = clock.now.astimezone(timezone.utc).isoformat(sep=" ", timespec="minutes")
    mode = "" if clock.applied or clock.action == "none" else " (dry run)"
    return f"labctl expire {clock.cohort} at {when}{mode}: {clock.action}"


def print_run(clock: ClockRun, out: Console) -> None:
    out.print(_title(clock), markup=False, soft_wrap=True)
    out.print(f"why: {clock.why}", markup=False, soft_wrap=True)
    table = Table()
    for column in ("stack", "done", "result", "detail"):
        table.add_column(column, overflow="fold")
    for row in clock.rows:
        table.add_row(*row)
    out.print(table)
    if clock.sweep_verdict:
        out.print(f"sweep: {clock.sweep_verdict}", markup=False, soft_wrap=True)
    for line in clock.left:
        out.print(f"left: {line}", markup=False, soft_wrap=True)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def summary_markdown(clock: ClockRun) -> str:
    lines = [f"### {_cell(_title(clock))}", "", f"**Why:** {_cell(clock.why)}", "",
             "| stack | done | result | detail |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in clock.rows]
    if clock.sweep_verdict:
        lines += ["", f"**Sweep:** {_cell(clock.sweep_verdict)}"]
    if clock.left:
        lines += ["", "**Left:**", ""] + [f"- {_cell(line)}" for line in clock.left]
    return "\n".join(lines) + "\n"


EXIT_CODES = {
    0: 'done, nothing due, or a dry run',
    1: 'a stack failed, or the sweep left something (the other stacks are still stopped or destroyed)',
    2: 'bad input (the cohort file, its schedule, `--now`, `--summary`), or a self-service cohort',
}
