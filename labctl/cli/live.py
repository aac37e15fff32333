"""What grade and drift share: the selected students, and their live graphs read in parallel
(one student's unreadable account never stops the others)."""

from __future__ import annotations

import argparse
import contextlib
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from cloudlabs import content
from cloudlabs.settings import StackSettings, load_all_stack_settings

from labctl.cli import arguments, runners
from labctl.cli.common import BAD_INPUT, bad_input, emulate_argument
from labctl.cli.outputs import check_outputs, settings_inputs
from labctl.cli.selection import resolve_targets, select_students
from labctl.offline.graph import StackGraph
from labctl.offline.render import settings_summary
from labctl.ops.accounts import AccountAccessError
from labctl.ops.live import LiveReader, LiveReadError, SharedListings, StudentScope


@dataclass
class LiveResult:
    path: Path
    settings: StackSettings
    graph: StackGraph | None
    error: str | None


def live_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", metavar="IDS", help="only these students (comma-separated ids; an empty list is refused)")
    where = parser.add_mutually_exclusive_group()  # two accounts at once would be one of them silently ignored
    where.add_argument("--endpoint-url", type=arguments.local_endpoint, metavar="URL",
                       help="read an emulator at this address instead of AWS: http://127.0.0.1:PORT, where something "
                            "must answer; not with --emulate")
    emulate_argument(where, "; it finds a served sandbox by itself, so not with --endpoint-url")


def select(args: argparse.Namespace) -> dict[Path, StackSettings]:
    """Every selected stack's settings, validated before anything is read (bad input: exit 2)."""
    files = resolve_targets(args.targets, args.environments)
    return select_students(load_all_stack_settings(files), args.students)


@contextlib.contextmanager
def clients(args: argparse.Namespace, selected: dict[Path, StackSettings], command: str) -> Iterator[dict[str, Any]]:
    """One client factory per region, and per per-student stack (its student's account; with --emulate, the
    sandbox's). Only the setup's own ValueErrors (no credentials) are bad input."""
    regions = sorted({s.region for s in selected.values()})
    if not getattr(args, "emulate", False):
        try:
            factories = {region: runners.make_live_client(region, command, args.endpoint_url) for region in regions}
        except ValueError as exc:
            raise SetupError(str(exc)) from exc
        per_student = [s.stack_name for s in selected.values() if s.account_model == "per-student"]
        if per_student and args.endpoint_url is None:  # each student's account, through the student's role
            sessions = runners.student_sessions(lambda region: runners.make_session(region, command), selected)
            factories.update({stack: sessions.client_factory(stack) for stack in per_student})
        yield factories
        return
    from labctl.ops.sandbox import SandboxError, Store, account
    try:
        with account(Store(runners.STATE_DIR / "sandbox"), regions[0], writer=False,
                     on_wait=lambda why: print(f"labctl: waiting: {why}", file=sys.stderr)) as emulated:
            factories = {region: emulated.session(region).client for region in regions}
            # per-student: each student's own emulated account, through the student's role (as on AWS)
            factories.update({s.stack_name: emulated.stack_session(s).client for s in selected.values()
                              if s.account_model == "per-student" and s.role_arn})
            yield factories
    except SandboxError as exc:
        raise SetupError(str(exc)) from exc


class SetupError(ValueError):
    """The live reads cannot start (credentials, regions): bad input, nothing read."""


def run_live(args: argparse.Namespace, command: str,
             body: Callable[[dict[Path, StackSettings], dict[str, Any]], int],
             check: Callable[[dict[Path, StackSettings]], None] | None = None, renders: bool = False) -> int:
    """grade and drift: select and check everything (bad input: exit 2; ``check`` is the command's
    own, on the selected settings), then ``body`` with the selected settings and one client
    factory per region. ``renders``: the body renders the planned graphs, so lab content is
    checked here, before the account is opened."""
    try:
        selected = select(args)
        check_outputs(args, settings_inputs(selected))
        if check is not None:
            check(selected)
        if renders:
            content.check_all()
    except BAD_INPUT as exc:
        return bad_input(exc)
    try:
        with clients(args, selected, command) as factories:
            return body(selected, factories)
    except SetupError as exc:
        return bad_input(exc)


def read_all(selected: dict[Path, StackSettings], factories: dict[str, Any], jobs: int,
             stage: str | None = None) -> list[LiveResult]:
    from labctl.analysis.grading import settings_for_stage

    # A class in one account is read listing by listing, once for everyone; one student by the server's
    # filters. A stack with a factory of its own (per-student: its account) is read alone, with it only.
    stacks = {s.stack_name for s in selected.values()}
    clients = {key: factory if key in stacks or len(selected) == 1 else SharedListings(factory)
               for key, factory in factories.items()}

    def read(item: tuple[Path, StackSettings]) -> LiveResult:
        path, s = item
        summary = settings_for_stage(settings_summary(s), stage)
        try:
            client = clients.get(s.stack_name) or clients[s.region]
            graph = LiveReader(client).read(StudentScope(s.cohort, s.student, s.stack_name), summary)
        except (LiveReadError, AccountAccessError) as err:
            return LiveResult(path, s, None, str(err))
        return LiveResult(path, s, graph, None)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(selected)))) as pool:
        return list(pool.map(read, sorted(selected.items(), key=lambda kv: kv[1].stack_name)))
