"""labctl shard and labctl collect: a cohort split over CI jobs (a GitHub Actions matrix), and their
results merged back into one table and one journal.

``shard`` renders the selected stacks offline, weighs each by its expected `up` time (the critical
path of its graph: ``labctl.analysis.duration``) and splits them into balanced shards (LPT,
deterministic). ``collect`` reads what each shard's job uploaded (the fleet's ``--results`` file and
its ``fleet-journal.json``) against the shard plan: a stack without a result, and a shard that
uploaded nothing, are reported by name, never dropped.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cloudlabs.profiles import profile_path
from cloudlabs.reading import InputFileError, load_json
from cloudlabs.settings import load_all_stack_settings

from labctl.analysis import duration
from labctl.cli import arguments
from labctl.cli.common import (BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, error, students_argument,
                               targets_argument, write_text)
from labctl.cli.outputs import check_outputs, settings_inputs
from labctl.cli.rendering import render_with_progress
from labctl.cli.selection import SelectionError, resolve_targets, select_students
from labctl.cli.summary import labs_text
from labctl.offline.graph import StackGraph
from labctl.ops.fleet import DEFAULT_PARALLEL, RESULTS_VERSION

PLAN_VERSION = "cloudlabs.shards/v1"
PLAN_FILE = "shard-plan.json"  # the name the workflow uploads the plan under; collect looks for it
JOURNAL_FILE = "fleet-journal.json"  # the fleet's journal (labctl.cli.fleet)
DONE = ("succeeded", "skipped")


def register(sub: Subparsers) -> None:
    p = sub.add_parser("shard", help="split stacks into CI jobs balanced by their expected up time",
                       description="Render the selected stacks offline, weigh each by its expected `pulumi up` time "
                                   "(its longest chain of resource creation times) and split them into N shards, "
                                   "longest first onto the least-loaded shard. Prints each shard's stacks and the "
                                   "expected wall time; the same stacks always give the same shards.")
    targets_argument(p)
    students_argument(p)
    p.add_argument("--shards", type=arguments.whole_number(1, 10_000), required=True, metavar="N",
                   help="jobs to split into (fewer when there are fewer stacks)")
    p.add_argument("--max-shards", type=arguments.whole_number(1, duration.GITHUB_MATRIX_LIMIT),
                   default=duration.GITHUB_MATRIX_LIMIT, metavar="N",
                   help="refuse more shards than this (default: %(default)s, a GitHub Actions matrix's limit)")
    p.add_argument("--parallel", type=arguments.whole_number(1, 64), default=DEFAULT_PARALLEL, metavar="N",
                   help="stacks at a time in each job, as labctl up --parallel (default: %(default)s)")
    p.add_argument("--json", dest="json_file", metavar="FILE",
                   help=f"write the shard plan as JSON ({PLAN_VERSION}; what labctl collect checks the results against)")
    p.add_argument("--github-matrix", action="store_true",
                   help='print the matrix a workflow\'s strategy takes on stdout, one line: {"include": [{"shard": 1, '
                        '"stacks": "a b c"}, ...]} (the tables go to stderr)')
    p.set_defaults(handler=run_shard)

    c = sub.add_parser("collect", help="merge the results of sharded fleet runs (CI jobs) into one table and journal",
                       description="Read each DIR (and the folders under it) for the fleet's --results files, "
                                   f"{JOURNAL_FILE} and the shard plan ({PLAN_FILE} from labctl shard --json); "
                                   "print one table. A stack without a result and a shard that left none are named. "
                                   "Exit 1 if any stack failed or has no result.")
    c.add_argument("dirs", nargs="+", type=Path, metavar="DIR", help="folders the shards' results were downloaded to")
    c.add_argument("--plan", type=Path, metavar="FILE", help=f"the shard plan (default: the {PLAN_FILE} found in DIR)")
    c.add_argument("--json", dest="json_file", metavar="FILE", help="write the merged results as JSON ('-' for stdout)")
    c.add_argument("--journal", metavar="FILE", help=f"write the merged {JOURNAL_FILE} (e.g. into .cloudlabs/ so a "
                                                     "local `labctl up` resumes where CI stopped)")
    c.add_argument("--markdown", metavar="FILE", help="write the table as Markdown (e.g. $GITHUB_STEP_SUMMARY)")
    c.set_defaults(handler=run_collect)


# --- shard --------------------------------------------------------------------------------------


def run_shard(args: argparse.Namespace, out: Console) -> int:
    if not args.targets:
        return bad_input(ValueError("shard: name a cohort or stacks (e.g. labctl shard fall26 --shards 20)"))
    if args.shards > args.max_shards:
        return bad_input(ValueError(f"--shards: {args.shards} is more than --max-shards {args.max_shards}; allowed: 1 to "
                                    f"{args.max_shards} (a GitHub Actions matrix runs at most {duration.GITHUB_MATRIX_LIMIT} jobs)"))
    try:
        files = resolve_targets(args.targets, args.environments)
        settings = select_students(load_all_stack_settings(files), args.students)
        check_outputs(args, settings_inputs(settings))
    except BAD_INPUT as exc:
        return bad_input(exc)
    results = render_with_progress(list(settings), args.jobs, cached=not args.no_cache,
                                   profiles={f: profile_path(s.profile.name) for f, s in settings.items()})
    failed = [r for r in results if r.error is not None]
    if failed:  # a plan without them would drop them from the run without a word
        for r in failed:
            error(f"FAILED {r.error}")
        error(f"labctl: no shard plan: {len(failed)} of {len(results)} stacks did not render")
        return EXIT_FAILED
    rendered = {r.stack: duration.stack_seconds(r.graph) for r in results if r.graph is not None}
    seconds = {st.stack_name: rendered[st.stack_name] for st in settings.values()}  # in the selection's order, as up runs them
    shards = duration.shard(seconds, args.shards)
    plan = plan_document(shards, seconds, args.parallel)
    shown = Console(stderr=True, emoji=False, highlight=False, width=out.width) if args.github_matrix else out
    print_shards(plan, shown, requested=args.shards)
    if args.json_file:
        write_text(args.json_file, json.dumps(plan, indent=2, sort_keys=True) + "\n")
    if args.github_matrix:
        sys.stdout.write(json.dumps(duration.github_matrix(shards), separators=(",", ":")) + "\n")
    return EXIT_OK


def plan_document(shards: list[duration.Shard], seconds: dict[str, float], parallel: int) -> dict[str, Any]:
    """The shard plan: deterministic (no clock, no paths), so CI can compare and collect can trust it.
    ``seconds``: each stack's expected up, in the order `labctl up` of the selection would run them."""
    one_machine = duration.fleet_seconds(seconds.values(), parallel)  # `labctl up` of them all, in the selection's order
    return {"version": PLAN_VERSION, "parallel": parallel,
            "overheadSeconds": duration.STACK_OVERHEAD_SECONDS,
            "stackSeconds": {s: round(seconds[s], 1) for s in sorted(seconds)},
            "shards": [{"shard": s.number, "stacks": list(s.stacks), "loadSeconds": round(s.load, 1),
                        "wallSeconds": round(s.wall(seconds, parallel), 1)} for s in shards],
            "wallSeconds": round(duration.wall_seconds(shards, seconds, parallel), 1),
            "oneMachineSeconds": round(one_machine, 1)}


def print_shards(plan: dict[str, Any], out: Console, requested: int) -> None:
    text = duration.duration_text
    table = Table(title=f"{len(plan['shards'])} shard(s), {plan['parallel']} stacks at a time in each", title_justify="left")
    for column in ("shard", "stacks", "count", "expected (sum)", "expected wall"):
        table.add_column(column, overflow="fold", justify="left" if column == "stacks" else "right")
    for s in plan["shards"]:
        table.add_row(str(s["shard"]), " ".join(s["stacks"]), str(len(s["stacks"])), text(s["loadSeconds"]),
                      text(s["wallSeconds"]))
    out.print(table)
    if len(plan["shards"]) < requested:
        out.print(f"note: {requested} shards asked for, {len(plan['shards'])} made: one stack per shard at most")
    out.print(f"expected up: {text(plan['wallSeconds'])} at {len(plan['shards'])} shard(s), "
              f"{text(plan['oneMachineSeconds'])} on one machine (--parallel {plan['parallel']}); each stack "
              f"{duration.STACK_OVERHEAD_SECONDS:.0f} s of Pulumi's own plus its longest chain of creation times", markup=False)


def print_expected(graphs: list[StackGraph], out: Console, parallel: int, shards: int, per_stack: bool) -> None:
    """plan's expected `up` times: per stack (or per lab group for many stacks), then the cohort's at
    ``parallel`` stacks at a time on one machine and split over ``shards`` jobs."""
    text = duration.duration_text
    seconds = {g.stack: duration.stack_seconds(g) for g in graphs}
    if not seconds:
        return
    table = Table(title="Expected up (a new stack: Pulumi's own "
                        f"{duration.STACK_OVERHEAD_SECONDS:.0f} s plus its longest chain of creation times)", title_justify="left")
    if per_stack:
        for column in ("stack", "expected", "longest chain"):
            table.add_column(column, overflow="fold", justify="right" if column == "expected" else "left")
        for g in graphs:
            chain = duration.critical_path(g)[1]
            table.add_row(g.stack, text(seconds[g.stack]), " > ".join(chain))
    else:
        groups: dict[str, list[float]] = {}
        for g in graphs:
            groups.setdefault(labs_text(g), []).append(seconds[g.stack])
        for column in ("labs", "stacks", "expected per stack"):
            table.add_column(column, justify="left" if column == "labs" else "right")
        for labs, times in sorted(groups.items()):
            low, high = min(times), max(times)
            table.add_row(labs, str(len(times)), text(low) if low == high else f"{text(low)} to {text(high)}")
    out.print(table)
    one = duration.fleet_seconds(seconds.values(), parallel)  # `labctl up` of the same stacks, in the same order
    split = duration.shard(seconds, shards)
    line = f"expected up of the {len(seconds)} stack(s): {text(one)} on one machine (--parallel {parallel})"
    if shards > 1:
        line += f", {text(duration.wall_seconds(split, seconds, parallel))} over {len(split)} jobs (labctl shard --shards {shards})"
    out.print(line, markup=False)


# --- collect ------------------------------------------------------------------------------------


@dataclass
class Found:
    plans: list[Path]
    results: list[tuple[Path, dict[str, Any]]]  # (file, its results document)
    journals: list[Path]


def _find(dirs: list[Path]) -> Found:
    found = Found([], [], [])
    for d in dirs:
        if not d.is_dir():
            raise SelectionError(f"{d}: not a directory; allowed: folders the shards' results were downloaded to")
        for path in sorted(d.rglob("*.json")):
            if path.name == JOURNAL_FILE:
                found.journals.append(path)
                continue
            data = load_json(path, "a shard's results")
            if isinstance(data, dict) and data.get("version") == PLAN_VERSION:
                found.plans.append(path)
            elif isinstance(data, dict) and data.get("version") == RESULTS_VERSION:
                found.results.append((path, data))
            elif isinstance(data, list) and all(isinstance(g, dict) and "stack" in g and "complete" in g for g in data):
                found.results.append((path, _grades_as_results(data)))
    return found


def _grades_as_results(grades: list[dict[str, Any]]) -> dict[str, Any]:
    """``labctl grade --json`` of one shard as results: complete, incomplete, or failed (not read)."""
    return {"version": RESULTS_VERSION, "operation": "grade", "results": [
        {"stack": g["stack"], "operation": "grade",
         "status": "failed" if g.get("error") else ("succeeded" if g["complete"] else "incomplete"),
         "cause": g.get("error") or f"{g.get('passed', 0)} of {g.get('total', 0)} paths", "changes": {}, "duration": 0.0,
         "attempts": 1} for g in grades]}


def _load_plan(args: argparse.Namespace, found: Found) -> dict[str, Any]:
    if args.plan is not None:
        plan = load_json(args.plan, "shard plan (labctl shard --json)")
        where = str(args.plan)
    elif len(found.plans) == 1:
        plan, where = load_json(found.plans[0], "shard plan"), str(found.plans[0])
    elif not found.plans:
        raise SelectionError(f"no shard plan ({PLAN_FILE}, from labctl shard --json) in {', '.join(map(str, args.dirs))}: "
                             "without it a shard that left no results cannot be told; allowed: --plan FILE")
    else:
        raise SelectionError(f"{len(found.plans)} shard plans ({', '.join(map(str, found.plans))}); allowed: one, or --plan FILE")
    if not (isinstance(plan, dict) and plan.get("version") == PLAN_VERSION and isinstance(plan.get("shards"), list)):
        raise SelectionError(f"{where}: not a shard plan; allowed: the JSON of labctl shard --json ({PLAN_VERSION})")
    return plan


def merge(plan: dict[str, Any], found: Found) -> tuple[str, list[dict[str, Any]], list[str]]:
    """(operation, one row per stack in plan order then any others, notes). A stack without a result
    gets status ``missing``; a stack two shards report is refused (the plan gives each stack once)."""
    shard_of = {stack: s["shard"] for s in plan["shards"] for stack in s["stacks"]}
    by_stack: dict[str, tuple[dict[str, Any], Path]] = {}
    operations = sorted({doc.get("operation", "?") for _, doc in found.results})
    if len(operations) > 1:
        raise SelectionError(f"results of different operations ({', '.join(operations)}); allowed: one operation's shards")
    for path, doc in found.results:
        for row in doc.get("results", []):
            stack = row.get("stack")
            if stack in by_stack:
                raise SelectionError(f"{stack}: results in {by_stack[stack][1]} and {path}; allowed: each stack once")
            by_stack[stack] = (row, path)
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    for s in plan["shards"]:
        absent = [stack for stack in s["stacks"] if stack not in by_stack]
        if absent and len(absent) == len(s["stacks"]):
            notes.append(f"shard {s['shard']}: no results at all (its job failed before writing them, or its artifact "
                         f"is missing): {' '.join(absent)}")
        elif absent:
            notes.append(f"shard {s['shard']}: no result for {' '.join(absent)}")
        for stack in s["stacks"]:
            row = dict(by_stack[stack][0]) if stack in by_stack else {
                "stack": stack, "status": "missing", "cause": f"shard {s['shard']} left no result for it"}
            rows.append({**row, "shard": s["shard"]})
    for stack in sorted(set(by_stack) - set(shard_of)):
        notes.append(f"{stack}: a result from {by_stack[stack][1]} for a stack the plan does not have")
        rows.append({**by_stack[stack][0], "shard": None})
    return (operations[0] if operations else "?"), rows, notes


def merge_journals(paths: list[Path]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    source: dict[str, Path] = {}
    for path in paths:
        data = load_json(path, "fleet journal (written by labctl)")
        if not isinstance(data, dict):
            raise InputFileError(f"{path}: not a fleet journal; allowed: the {JOURNAL_FILE} labctl writes")
        for stack, entry in data.items():
            if stack in merged and merged[stack] != entry:
                raise SelectionError(f"{stack}: different journal entries in {source[stack]} and {path}; allowed: each "
                                     "stack in one shard's journal")
            merged[stack], source[stack] = entry, path
    return dict(sorted(merged.items()))


def run_collect(args: argparse.Namespace, out: Console) -> int:
    try:
        check_outputs(args)
        found = _find(args.dirs)
        plan = _load_plan(args, found)
        operation, rows, notes = merge(plan, found)
        journal = merge_journals(found.journals)
    except BAD_INPUT as exc:
        return bad_input(exc)
    counts: dict[str, int] = {}
    for row in rows:
        counts[row.get("status", "?")] = counts.get(row.get("status", "?"), 0) + 1
    title = f"{operation}: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    table = Table(title=title, title_justify="left")
    for column in ("stack", "shard", "result", "changes", "duration", "cause"):
        table.add_column(column, overflow="fold", justify="right" if column in ("shard", "duration") else "left")
    for row in rows:
        table.add_row(*_cells(row))
    out.print(table)
    for note in notes:
        out.print(f"missing: {note}", markup=False)
    if args.json_file:
        write_text(args.json_file, json.dumps({"version": RESULTS_VERSION, "operation": operation, "results": rows},
                                              indent=2, sort_keys=True) + "\n")
    if args.journal:
        write_text(args.journal, json.dumps(journal, indent=2, sort_keys=True) + "\n")
    if args.markdown:
        write_text(args.markdown, markdown(title, rows, notes))
    return EXIT_OK if all(row.get("status") in DONE for row in rows) else EXIT_FAILED


def _cells(row: dict[str, Any]) -> list[str]:
    c = row.get("changes") or {}
    changes = f"+{c.get('create', 0)} ~{c.get('update', 0) + c.get('replace', 0)} -{c.get('delete', 0)}" if c else ""
    attempts = row.get("attempts") or 0
    status = row.get("status", "?") + (f" ({attempts} tries)" if attempts > 1 else "")
    took = f"{row['duration']:.1f} s" if row.get("duration") else ""
    return [str(row.get("stack")), "" if row.get("shard") is None else str(row["shard"]), status, changes, took,
            str(row.get("cause") or "")]


def markdown(title: str, rows: list[dict[str, Any]], notes: list[str]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")
    lines = [f"### {cell(title)}", "", "| stack | shard | result | changes | duration | cause |", "|---|---:|---|---|---:|---|"]
    lines += ["| " + " | ".join(cell(c) for c in _cells(row)) + " |" for row in rows]
    lines += [""] + [f"- **missing**: {cell(n)}" for n in notes]
    return "\n".join(lines) + "\n"


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    "shard": {
        0: "the plan is written",
        1: "a stack did not render",
        2: "bad input (e.g. more shards than `--max-shards`)",
    },
    "collect": {
        0: "every stack succeeded or was skipped",
        1: "a stack failed or has no result",
        2: "bad input (no plan, a stack in two shards)",
    },
}
