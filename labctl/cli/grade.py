"""labctl grade: has each student fixed their lab? The expected paths of the target stage,
evaluated on what AWS reports now. Reads only; never changes a student's resources."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cloudlabs.catalog import LABS
from cloudlabs.settings import StackSettings

from labctl.analysis.grading import StudentGrade, grade
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, error, targets_argument, write_text
from labctl.cli.live import live_arguments, read_all, run_live
from labctl.cli.selection import SelectionError

STAGES = sorted({stage for lab in LABS.values() for stage in lab.stages})


def register(sub: Subparsers) -> None:
    p = sub.add_parser("grade", help="check each student's live network against the lab's expected paths (read-only)",
                       description="Read every selected student's network from AWS (or the sandbox's emulator) and "
                                   "evaluate the lab's expected paths for the target stage: a row per student with "
                                   "paths passed and what still blocks. Never changes anything. Exit 1 if anyone is "
                                   "incomplete or could not be read.")
    targets_argument(p, jobs="students read in parallel", cache=False)
    live_arguments(p)
    p.add_argument("--stage", choices=[*STAGES, "planned"], default="solution",
                   help="the stage the students must reach; planned: each stack's own (default: %(default)s)")
    p.add_argument("--csv", dest="csv_file", metavar="FILE",
                   help="write the grades as CSV for a gradebook ('-' for stdout; not both --csv and --json)")
    p.add_argument("--json", dest="json_file", metavar="FILE", help="write every path of every student as JSON ('-' for stdout)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    return run_live(args, "grade", lambda selected, factories: _grade(args, out, selected, factories),
                    check=lambda selected: check_stage(args.stage, selected))


def check_stage(stage: str, selected: dict[Path, StackSettings]) -> None:
    """A stage no selected lab has would grade every student at their own stage instead: refused."""
    labs = sorted({lab.lab for s in selected.values() for lab in s.labs})
    if stage == "planned" or any(stage in LABS[lab].stages for lab in labs):
        return
    theirs = sorted({st for lab in labs for st in LABS[lab].stages})
    raise SelectionError(f"--stage: {stage!r} is a stage of none of the selected labs ({', '.join(labs)}); allowed: "
                         f"planned, or one of theirs: {', '.join(theirs)}")


def _grade(args: argparse.Namespace, out: Console, selected: dict, factories: dict) -> int:
    grades: list[StudentGrade] = []
    for result in read_all(selected, factories, args.jobs, None if args.stage == "planned" else args.stage):
        if result.graph is None:
            grades.append(StudentGrade(result.settings.stack_name, result.settings.student, error=result.error))
        else:
            grades.append(grade(result.graph, result.settings.student))
    print_grades(grades, args.stage, out)
    try:
        if args.csv_file:
            write_text(args.csv_file, to_csv(grades))
        if args.json_file:
            write_text(args.json_file, json.dumps([g.to_json() for g in grades], indent=2, sort_keys=True) + "\n")
    except OSError as exc:
        error(f"labctl: could not write {exc.filename}: {exc.strerror}")
        return EXIT_FAILED
    return EXIT_OK if all(g.complete for g in grades) else EXIT_FAILED


def print_grades(grades: list[StudentGrade], stage: str, out: Console) -> None:
    done = sum(1 for g in grades if g.complete)
    table = Table(title=f"Grades at stage {stage}: {done} of {len(grades)} students complete", title_justify="left")
    for column in ("stack", "student", "paths", "result", "still blocking"):
        table.add_column(column, overflow="fold")
    for g in grades:
        if g.error:
            table.add_row(g.stack, g.student, "-", "NOT READ", g.error)
            continue
        blockers = g.blockers()
        result = "complete" if g.complete else ("no lab network found" if not g.results else "incomplete")
        table.add_row(g.stack, g.student, f"{g.passed}/{g.total}", result, "\n".join(blockers))
    out.print(table)


def to_csv(grades: list[StudentGrade]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["stack", "student", "passed", "total", "complete", "first blocking"])
    for g in grades:
        blockers = g.blockers()
        writer.writerow([g.stack, g.student, g.passed, g.total, "yes" if g.complete else "no",
                         g.error or (blockers[0] if blockers else "")])
    return buffer.getvalue()
