"""What grade and drift share: the selected students, and their live graphs read in parallel
(one student's unreadable account never stops the others)."""

from __future__ import annotations

import argparse
import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from cloudlabs.settings import StackSettings, load_all_stack_settings

from labctl.cli import arguments, runners
from labctl.cli.common import emulate_argument
from labctl.cli.selection import resolve_targets, select_students
from labctl.offline.graph import StackGraph
from labctl.offline.render import settings_summary
from labctl.ops.live import LiveReader, LiveReadError, StudentScope


@dataclass
class LiveResult:
    path: Path
    settings: StackSettings
    graph: StackGraph | None
    error: str | None


def live_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", metavar="IDS", help="only these students (comma-separated ids)")
    parser.add_argument("--endpoint-url", type=arguments.local_endpoint, metavar="URL",
                        help="read an emulator at this address instead of AWS: http://127.0.0.1:PORT")
    emulate_argument(parser)


def select(args: argparse.Namespace) -> dict[Path, StackSettings]:
    """Every selected stack's settings, validated before anything is read (bad input: exit 2)."""
    files = resolve_targets(args.targets, args.environments)
    return select_students(load_all_stack_settings(files), args.students)


@contextlib.contextmanager
def clients(args: argparse.Namespace, selected: dict[Path, StackSettings], command: str) -> Iterator[dict[str, Any]]:
    """One client factory per region; ValueError (bad input) without credentials or a region.
    With --emulate, the sandbox's account (one region at a time)."""
    regions = sorted({s.region for s in selected.values()})
    if not getattr(args, "emulate", False):
        yield {region: runners.make_live_client(region, command, args.endpoint_url) for region in regions}
        return
    from labctl.offline.render import render_file
    from labctl.ops.sandbox import Store, account
    if len(regions) != 1:
        raise ValueError(f"the selected stacks span regions {', '.join(regions)}; select one region at a time")
    with account(Store(runners.STATE_DIR / "sandbox"), regions[0], render_file) as session:
        yield {regions[0]: session.client}


def read_all(selected: dict[Path, StackSettings], factories: dict[str, Any], jobs: int,
             stage: str | None = None) -> list[LiveResult]:
    from labctl.analysis.grading import settings_for_stage

    def read(item: tuple[Path, StackSettings]) -> LiveResult:
        path, s = item
        summary = settings_for_stage(settings_summary(s), stage)
        try:
            graph = LiveReader(factories[s.region]).read(StudentScope(s.cohort, s.student, s.stack_name), summary)
        except LiveReadError as err:
            return LiveResult(path, s, None, str(err))
        return LiveResult(path, s, graph, None)

    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(selected)))) as pool:
        return list(pool.map(read, sorted(selected.items(), key=lambda kv: kv[1].stack_name)))
