"""The first half of plan, cost, check and validate: select and check everything, then render
on every core (with the graph cache and, for plan and validate, AWS's schemas)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cloudlabs.profiles import profile_path
from cloudlabs.settings import load_all_stack_settings, read_stack_document

from labctl.analysis.batch import RenderResult, render_files
from cloudlabs.pricing import PriceTable, load_prices

from labctl.analysis.cost import StackCost, estimate
from labctl.analysis.session_cost import before_last_stage, in_session_additions
from labctl.analysis.validation import StackValidation

from labctl.cli.common import BAD_INPUT, EXIT_FAILED, bad_input, error
from labctl.cli.outputs import check_outputs, settings_inputs
from labctl.cli.selection import SelectionError, resolve_targets
from labctl.offline.graph import StackGraph
from labctl.offline.graphcache import GraphCache, cache_dir


@dataclass
class Rendered:
    graphs: list[StackGraph]
    failures: list[RenderResult]
    checks: dict[str, StackValidation]
    costs: dict[str, StackCost]
    prices: PriceTable
    additions: dict[str, float] = field(default_factory=dict)  # stack -> $/h the book's steps add in the session
    settings: dict[Path, Any] = field(default_factory=dict)  # every selected file's settings, as read once
    configs: dict[Path, Any] = field(default_factory=dict)  # the config of each stack before its labs' last stage
    cache: GraphCache | None = None  # the graph cache the run used (None: --no-cache)

    @property
    def not_ready(self) -> bool:
        return any(not c.ready for c in self.checks.values())

    def report_failures(self) -> None:
        for failure in self.failures:
            error(f"FAILED {failure.error}")


def render_targets(args: argparse.Namespace, validate: bool, additions: bool = False) -> Rendered | int:
    """Everything is checked first (one bad file or path stops the run before anything is
    rendered or written: exit 2); then the stacks render. An int is the exit code to return.
    ``additions``: also price what the book's steps add to stacks before their labs' last stage."""
    try:
        files = resolve_targets(args.targets, args.environments)
        if not files:
            raise SelectionError(f"no stack files (Pulumi.<stack>.yaml) in {args.targets or args.environments}")
        settings = load_all_stack_settings(files)
        check_outputs(args, settings_inputs(settings))
        profiles = {path: profile_path(s.profile.name) for path, s in settings.items()}
        prices = load_prices()
    except BAD_INPUT as exc:
        return bad_input(exc)

    results = render_with_progress(files, args.jobs, validate, not args.no_cache, profiles)
    graphs = [r.graph for r in results if r.graph is not None]
    cache = None if args.no_cache else GraphCache(cache_dir())
    configs: dict[Path, Any] = {}
    try:
        costs = {g.stack: estimate(g, prices) for g in graphs}
        early = {s.stack_name: path for path, s in settings.items() if before_last_stage(s)} if additions else {}
        configs = {path: read_stack_document(path)["config"] for path in early.values()}
        added = in_session_additions({stack: (path, configs[path]) for stack, path in early.items()}, costs, prices, cache)
    except ValueError as exc:  # PricingError: a resource the price table cannot price
        error(f"labctl: {exc}")
        return EXIT_FAILED
    return Rendered(graphs, [r for r in results if r.error is not None],
                    {r.stack: r.validation for r in results if r.validation is not None}, costs, prices, added,
                    settings, configs, cache)


def render_with_progress(files: list[Path], jobs: int, validate: bool = False, cached: bool = True,
                         profiles: dict[Path, Path] | None = None) -> list[RenderResult]:
    cache = GraphCache(cache_dir()) if cached else None
    progress = Progress(TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True), transient=True,
                        disable=len(files) < 2 or not sys.stderr.isatty())
    with progress:
        task = progress.add_task("", total=len(files))
        return render_files(files, jobs, on_result=lambda r: progress.update(task, advance=1, description=r.stack),
                            validate=validate, cache=cache, profiles=profiles)
