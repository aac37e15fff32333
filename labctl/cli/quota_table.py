"""The quota table of plan and the quota check of up: what the selected stacks need at their peak per
account and region, against AWS's defaults or the account's applied values (``labctl.analysis.quotas``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from labctl.analysis import quotas
from labctl.offline.graph import StackGraph


def quota_rows(files: list[Path], settings: dict[Path, Any], graphs: dict[str, StackGraph],
               limits: quotas.Limits = quotas.default_limits, configs: dict[Path, Any] | None = None,
               cache: Any = None) -> list[quotas.Row]:
    return quotas.rows(quotas.peak_stacks(files, graphs, settings, configs, cache), limits)


def live_limits(command: str, notes: list[str]) -> quotas.Limits:
    """The account's applied values (Service Quotas) with the configured credentials (``runners.make_quota_client``);
    AWS's defaults, with a note, where they cannot be read."""
    from labctl.cli import runners
    clients: dict[str, Any] = {}

    def client(region: str) -> Any:
        if region not in clients:
            clients[region] = runners.make_quota_client(region, command)
        return clients[region]
    return quotas.applied_limits(client, notes)


def print_quotas(found: list[quotas.Row], out: Console) -> None:
    """One table per account model, account and region: need, limit and headroom of each quota taken."""
    groups: dict[tuple[str, str, str], list[quotas.Row]] = {}
    for row in found:
        groups.setdefault((row.model, row.account, row.region), []).append(row)
    for (model, account, region), members in groups.items():
        whose = f"cohort {account}, one shared account ({members[0].stacks} stacks)" if model == quotas.SHARED \
            else f"{model}: each student's account (the largest of {members[0].stacks})"
        table = Table(title=f"quotas at the peak: {whose}, {region}", title_justify="left")
        for column in ("quota", "code", "where", "need", "limit", "headroom"):
            table.add_column(column, justify="right" if column in ("need", "limit", "headroom") else "left")
        for r in members:
            limit = f"{r.limit:g}" + ("" if r.applied else f" ({r.stated_by})" if r.stated_by else " (default)")
            table.add_row(r.quota.name, r.quota.code or "-", r.where, f"{r.need:g}", limit,
                          f"{r.headroom:g}" if r.fits else f"[red]{r.headroom:g}[/red]")
        out.print(table)
    if found:
        out.print("quotas: the default VPC counts; what else the account holds (another cohort) is not seen offline "
                  "(plan --live-quotas reads the account's applied values)", markup=False)


def _emulated_limits(region: str, quota: Any) -> tuple[float, bool]:
    """The emulator's limits: AWS's defaults, or what a test granted every emulated account."""
    from labctl.ops.emulator_rules import emulated_limit
    value = emulated_limit("*", quota.key)
    return value, value != quota.default


def refuse_over_quota(args: argparse.Namespace, files: list[Path], settings: dict[Path, Any], graphs: dict[str, StackGraph],
                      emulate: bool) -> bool:
    """True when every quota fits; else one line per quota over its limit on stderr (the request to make)."""
    notes: list[str] = []
    limits = _emulated_limits if emulate else live_limits(args.command, notes)
    found = quota_rows(files, settings, graphs, limits)
    over = quotas.problems(found)
    for note in sorted(set(notes)):
        print(f"labctl: note: quota {note}", file=sys.stderr)
    for line in over:
        print(f"labctl: {line}", file=sys.stderr)
    if over:
        for line in spread_hints(found, settings):
            print(f"labctl: {line}", file=sys.stderr)
        print(f"labctl: nothing sent: the cohort does not fit {len(over)} quota(s) at its peak; request the increases, "
              "spread it over regions, or pass --skip-validation", file=sys.stderr)
    return not over


def spread_hints(found: list[quotas.Row], settings: dict[Path, Any]) -> list[str]:
    """For a shared cohort over a regional quota: how many regions it would fit in, and which its profile allows."""
    allowed = {s.cohort: tuple(getattr(s.profile, "regions", ())) for s in settings.values()}
    hints = []
    alone = quotas.too_big(found)
    for cohort, count in sorted(quotas.regions_needed(found).items()):
        regions = allowed.get(cohort, ())
        if count == 0:
            names = ", ".join(dict.fromkeys(f"{r.quota.name} ({r.quota.code or 'no code'}, limit {r.limit:g})" for r in alone[cohort]))
            hints.append(f"cohort {cohort}: one stack alone is over {names} in a region, so spreading over regions cannot "
                         "help: request the increases")
        elif count <= len(regions):
            hints.append(f"cohort {cohort} fits these limits spread over {count} regions: list them in its cohort file "
                         f"(regions: [{', '.join(regions[:count])}]; its profile allows {', '.join(regions)}), then "
                         f"labctl sync {cohort}; students already placed keep their region")
        else:
            hints.append(f"cohort {cohort} would need {count} regions at these limits, more than its profile allows "
                         f"({', '.join(regions) or 'none'}): request the increases")
    return hints
