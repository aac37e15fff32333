"""labctl drift: per student, what differs between the live network and the planned graph:
what was added by hand (pulumi up leaves it; destroy may trip on it) and what is missing or
changed (pulumi up puts it back)."""

from __future__ import annotations

import argparse
import json

from rich.console import Console

from cloudlabs.profiles import profile_path

from labctl.analysis.batch import render_files
from labctl.analysis.drift import Drift, drift
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, error, targets_argument, write_text
from labctl.cli.live import live_arguments, read_all, run_live
from labctl.offline.graphcache import GraphCache, cache_dir


def register(sub: Subparsers) -> None:
    p = sub.add_parser("drift", help="what students changed by hand: live network vs planned graph (read-only)",
                       description="Compare every selected student's live network (AWS or the sandbox's emulator) "
                                   "with the planned graph of their stack: routes, rules, NACL entries and resources "
                                   "added by hand or missing. Exit 1 if any stack drifted or could not be read.")
    targets_argument(p, jobs="stacks rendered and read in parallel")
    live_arguments(p)
    p.add_argument("--json", dest="json_file", metavar="FILE", help="write the drift as JSON ('-' for stdout)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    return run_live(args, "drift", lambda selected, factories: _drift(args, out, selected, factories), renders=True)


def _drift(args: argparse.Namespace, out: Console, selected: dict, factories: dict) -> int:
    files = sorted(selected, key=lambda p: selected[p].stack_name)
    rendered = {r.stack: r for r in render_files(files, args.jobs, cache=None if args.no_cache else GraphCache(cache_dir()),
                                                 profiles={f: profile_path(selected[f].profile.name) for f in files})}
    reports: list[Drift] = []
    failed = False
    for result in read_all(selected, factories, args.jobs):
        stack = result.settings.stack_name
        planned = rendered[stack].graph
        if result.graph is None or planned is None:
            error(f"FAILED {result.error or rendered[stack].error}")
            failed = True
            continue
        report = drift(planned, result.graph)
        reports.append(report)
        out.print(f"{stack}: " + ("no drift" if report.clean else
                                  f"{len(report.added)} added by hand, {len(report.removed)} missing or changed"))
        for fact in report.added:
            out.print(f"  + {fact}   (added by hand: pulumi up leaves it)", markup=False)
        for fact in report.removed:
            out.print(f"  - {fact}   (in the plan, not in AWS: pulumi up puts it back)", markup=False)
    if args.json_file:
        try:
            write_text(args.json_file, json.dumps([r.to_json() for r in reports], indent=2, sort_keys=True) + "\n")
        except OSError as exc:
            error(f"labctl: could not write {exc.filename}: {exc.strerror}")
            return EXIT_FAILED
    return EXIT_FAILED if failed or any(not r.clean for r in reports) else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "no drift",
    1: "drift, or a network could not be read",
    2: "bad input",
}
