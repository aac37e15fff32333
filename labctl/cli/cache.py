"""labctl cache: where the graph cache is and what it holds; prune what a run did not use.

A CI job that keeps the cache between runs touches a marker file before it plans, then
``labctl cache prune --unused-since MARKER``: every entry the run served or wrote is newer than the
marker (a served entry is touched), the rest is deleted, so the kept cache does not grow forever.
"""

from __future__ import annotations

import argparse
import math
import os
import time
from datetime import datetime, timezone
from pathlib import Path

from rich.console import Console

from labctl.cli.common import EXIT_OK, Subparsers, bad_input
from labctl.offline.graphcache import CacheDirError, cache_dir, entries, prune

DAY = 86400.0


def days(text: str) -> float:
    """A number of days: finite, 0 or more (0: everything older than now)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days; allowed: 0 or more, up to 36500") from None
    if not math.isfinite(value) or not 0 <= value <= 36500:
        raise argparse.ArgumentTypeError(f"{text} is not allowed; allowed: a number of days, 0 or more, up to 36500")
    return value


days.__name__ = "days"


def register(sub: Subparsers) -> None:
    cache = sub.add_parser("cache", help="the graph cache: where it is, what it holds; prune entries a run did not use",
                           description="The graph cache of incremental plans (.cloudlabs/cache/graphs/, or "
                                       "$CLOUDLABS_CACHE_DIR/graphs/).")
    actions = cache.add_subparsers(dest="action", required=True, parser_class=type(cache))
    info = actions.add_parser("info", help="where the cache is, its entries and their size",
                              description="Where the graph cache is, how many entries it holds and their size.")
    info.set_defaults(handler=run_info)
    drop = actions.add_parser("prune", help="delete the entries not used since a marker file, or for DAYS days",
                              description="Delete the cache entries last used (served or written) before the marker "
                                          "file's modification time (touch it when the run starts), or more than DAYS "
                                          "days ago. Only entries (<sha256>.json) are deleted; no link is followed.")
    when = drop.add_mutually_exclusive_group(required=True)
    when.add_argument("--unused-since", type=Path, metavar="FILE",
                      help="a marker file: entries not used since its modification time are deleted")
    when.add_argument("--older-than", type=days, metavar="DAYS", help="entries not used for DAYS days are deleted")
    drop.set_defaults(handler=run_prune)


def _size(count: int, total: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}, {total / 1e6:.1f} MB"


def run_info(args: argparse.Namespace, out: Console) -> int:
    directory = cache_dir()
    if directory is None:
        out.print("graph cache: off (CLOUDLABS_CACHE_DIR=off)")
        return EXIT_OK
    try:
        found = entries(directory)
    except CacheDirError as exc:
        return bad_input(exc)
    line = f"graph cache: {directory}: {_size(len(found), sum(stat.st_size for _, stat in found))}"
    if found:
        stamps = sorted(stat.st_mtime for _, stat in found)
        shown = [datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%d %H:%M UTC") for t in (stamps[0], stamps[-1])]
        line += f"; last used from {shown[0]} to {shown[1]}"
    out.print(line, soft_wrap=True)
    return EXIT_OK


def run_prune(args: argparse.Namespace, out: Console) -> int:
    if args.unused_since is not None:
        try:
            since = os.stat(args.unused_since).st_mtime
        except OSError as exc:
            return bad_input(ValueError(f"--unused-since {args.unused_since}: {exc.strerror} (a marker file touched "
                                        "when the run started)"))
    else:
        since = time.time() - args.older_than * DAY
    directory = cache_dir()
    if directory is None:
        out.print("graph cache: off (CLOUDLABS_CACHE_DIR=off); nothing to prune")
        return EXIT_OK
    try:
        before = entries(directory)
        removed = prune(directory, since)
    except CacheDirError as exc:
        return bad_input(exc)
    out.print(f"graph cache: {directory}: deleted {removed} of {len(before)} entries", soft_wrap=True)
    return EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "done",
    2: "bad input",
}
