"""`labctl probe COHORT`: the book's live tests for every selected student, as one table."""

from __future__ import annotations

import argparse
import threading
from typing import Any
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cloudlabs.reading import InputFileError, load_json
from cloudlabs.settings import SettingsError, load_all_stack_settings

from labctl.cli import arguments, runners
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input, students_argument, targets_argument
from labctl.cli.selection import SelectionError, resolve_targets, select_students
from labctl.ops.probe import (Fetch, FindsEnvironments, Locate, OutputSource, ProbeResult, StaticOutputs, http_fetch,
                             probe_stack, task_locator)



def register(sub: Subparsers) -> None:
    p = sub.add_parser("probe", help="live HTTP probes of the book's 'success looks like' after `up`",
                       description="Probe every selected student's deployed lab over HTTP (page text, the ALB "
                                   "alternating, the LAMP rows, JPG readable / PNG refused), retrying until healthy.")
    targets_argument(p, jobs="stacks probed in parallel", cache=False)
    students_argument(p)
    p.add_argument("--attempts", type=arguments.whole_number(1, 100), default=10, metavar="N",
                   help="tries per probe before it fails, 1 to 100 (default: %(default)s)")
    p.add_argument("--interval", type=arguments.whole_number(0, 600), default=30, metavar="SECONDS",
                   help="seconds between tries, 0 to 600 (default: %(default)s)")
    p.add_argument("--outputs", type=Path, metavar="FILE",
                   help="read outputs from a JSON file {stack: outputs} instead of the Pulumi backend")
    p.add_argument("--find-environments", action="store_true",
                   help="find the URL of an environment the student created (the beanstalk starter: the console or "
                        "createEnvironment) with Elastic Beanstalk's DescribeEnvironments, read-only, with the configured "
                        "AWS credentials (a per-student stack's: its student's role)")
    p.set_defaults(handler=run)


def _source(args: argparse.Namespace, stacks: list[str]) -> OutputSource:
    """Where the outputs come from, checked before any probe runs: the Pulumi CLI must be there
    (else one line naming --outputs), and an outputs file must hold at least one selected stack."""
    if args.outputs is None:
        source: OutputSource = runners.make_pulumi_outputs("probe")
        return source
    data = load_json(args.outputs, "JSON file of stack outputs ({stack: outputs})")  # the one reading layer
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputFileError(f"{args.outputs}: not a mapping of stack names to outputs; allowed: {{stack: outputs}}")
    if not set(stacks) & set(data):
        shown = ", ".join(sorted(data)[:3]) + ("..." if len(data) > 3 else "")
        raise InputFileError(f"{args.outputs}: outputs of none of the selected stacks ({shown or 'no stack at all'}); "
                             f"allowed: {{stack: outputs}} with stacks such as {sorted(stacks)[0]}")
    return StaticOutputs(data)


def aws_locator(region: str, client: Any = None) -> Locate:
    """Finds an ECS service's tasks in the stack's region with the configured credentials (``client``: the
    stack's own factory, a per-student stack's role), only when a probe asks (most labs' probes need no AWS
    access); a missing credential is that probe's failure."""
    def locate(cluster: str, service: str, port: int) -> list[str]:
        return task_locator(client or runners.make_live_client(region, "probe"))(cluster, service, port)
    return locate


def run(args: argparse.Namespace, out: Console, fetch: Fetch = http_fetch) -> int:
    try:
        files = resolve_targets(args.targets, args.environments)
        selected = select_students(load_all_stack_settings(files), args.students)
        stacks = sorted((s.stack_name, [lab.lab for lab in s.labs]) for s in selected.values())
        regions = {s.stack_name: s.region for s in selected.values()}
        source = _source(args, [stack for stack, _ in stacks])
        sessions = runners.student_sessions(lambda region: runners.make_session(region, "probe"), selected)
        own = {s.stack_name: sessions.client_factory(s.stack_name) for s in selected.values()
               if s.account_model == "per-student"}
        if args.find_environments:  # each region's client made now: missing credentials are bad input, before any probe
            by_region = {region: runners.make_live_client(region, "probe") for region in sorted(set(regions.values()))}
            source = FindsEnvironments(source, lambda stack: own.get(stack) or by_region[regions[stack]])
    except (SettingsError, SelectionError, InputFileError, FileNotFoundError, ValueError) as exc:
        return bad_input(exc)
    stop = threading.Event()
    with ThreadPoolExecutor(max_workers=max(1, min(args.jobs, len(stacks) or 1))) as pool:
        futures = [pool.submit(probe_stack, stack, labs, source, fetch, args.attempts, args.interval, stop,
                               aws_locator(regions[stack], own.get(stack))) for stack, labs in stacks]
        try:
            results = [r for f in futures for r in f.result()]
        except KeyboardInterrupt:
            stop.set()  # waiting probes end at once; the pool then finishes their current request
            raise
    print_results(results, out)
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def print_results(results: list[ProbeResult], out: Console) -> None:
    table = Table(title="Live probes", title_justify="left")
    for column in ("stack", "lab", "probe", "result", "tries", "detail"):
        table.add_column(column)
    for r in results:
        table.add_row(r.stack, r.lab, r.probe, "pass" if r.passed else "FAIL", str(r.attempts), r.detail)
    out.print(table)
    failed = sorted({r.stack for r in results if not r.passed})
    students = len({r.stack for r in results})
    out.print(f"{students - len(failed)} of {students} stacks pass every probe" +
              (f"; failing: {', '.join(failed)}" if failed else ""))


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "every probe passed",
    1: "a probe failed",
    2: "bad input, or no Pulumi CLI or passphrase without `--outputs`",
}
