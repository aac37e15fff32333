"""labctl grade: has each student fixed their lab? The expected paths of the target stage,
evaluated on what AWS reports now. Reads only; never changes a student's resources."""

from __future__ import annotations

import argparse
import csv
import io
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from cloudlabs.catalog import LABS
from cloudlabs.settings import StackSettings

from labctl.analysis.grading import StudentGrade, grade
from labctl.cli.common import (BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, error, targets_argument,
                               write_text)
from labctl.cli.live import live_arguments, read_all, run_live, select
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
    p.add_argument("--self", dest="acting_self", action="store_true",
                   help="a self-service student grading their own stack with their own credentials: --json writes a "
                        "report marked as run by the student, for the instructor's --merge")
    p.add_argument("--merge", nargs="+", metavar="REPORT",
                   help="read nothing from AWS: merge the students' reports (grade --self --json) into the class table "
                        "of the selected stacks; a student-run report is the student's word")
    p.set_defaults(handler=run)


REPORT_KIND = "cloudlabs-grade-report"
STUDENTS_WORD = "student-run: the student's word"


def run(args: argparse.Namespace, out: Console) -> int:
    if args.merge:
        return _merge(args, out)
    if args.acting_self:
        try:
            selected = select(args)
        except BAD_INPUT as exc:
            return bad_input(exc)
        if len(selected) != 1:
            return bad_input(SelectionError(f"grade: --self grades exactly one stack, the caller's own, and {len(selected)} "
                                            "are selected; allowed: one stack, e.g. labctl grade demo-s01 --self --json report.json"))
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
            rows = [g.to_json() for g in grades]
            document: Any = ({"kind": REPORT_KIND, "runBy": "student", "stage": args.stage, "grades": rows}
                             if args.acting_self else rows)
            write_text(args.json_file, json.dumps(document, indent=2, sort_keys=True) + "\n")
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


# --- merging the students' own reports (self-service) ---------------------------------------------


def _read_report(path: Path) -> tuple[str, list[dict[str, Any]]]:
    """(who ran it, its rows); ValueError (bad input, one line) for anything but a grade --json file."""
    try:
        document = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"--merge: {path}: not readable as a grade report ({exc}); allowed: a file written by "
                         "labctl grade --json") from None
    if isinstance(document, list):  # an instructor's own grade --json
        who, rows = "instructor-run", document
    elif isinstance(document, dict) and document.get("kind") == REPORT_KIND and isinstance(document.get("grades"), list):
        who, rows = STUDENTS_WORD, document["grades"]
    else:
        raise ValueError(f"--merge: {path}: not a grade report; allowed: a file written by labctl grade --json")
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("stack"), str) or not isinstance(row.get("passed"), int) \
                or not isinstance(row.get("total"), int) or not isinstance(row.get("complete"), bool):
            raise ValueError(f"--merge: {path}: a row without stack, passed, total and complete; allowed: a file written "
                             "by labctl grade --json")
    return who, rows


def _merge(args: argparse.Namespace, out: Console) -> int:
    """The class table from the reports: every selected stack once, marked with who ran its grade."""
    try:
        selected = select(args)
        stacks = {s.stack_name: s for s in selected.values()}
        merged: dict[str, tuple[str, dict[str, Any], Path]] = {}
        for name in args.merge:
            path = Path(name)
            who, rows = _read_report(path)
            for row in rows:
                stack = row["stack"]
                if stack not in stacks:
                    raise SelectionError(f"--merge: {path}: grades stack {stack}, which is not among the selected stacks "
                                         f"({', '.join(sorted(stacks))})")
                if stack in merged:
                    raise SelectionError(f"--merge: {path}: grades {stack} again (also in {merged[stack][2]}); allowed: "
                                         "each stack's report once")
                merged[stack] = (who, row, path)
    except (*BAD_INPUT, ValueError) as exc:
        return bad_input(exc)
    done = sum(1 for who, row, _ in merged.values() if row["complete"])
    table = Table(title=f"Grades merged from {len(args.merge)} report(s): {done} of {len(stacks)} students complete "
                        f"(a student-run report is the student's word, not read by labctl)", title_justify="left")
    for column in ("stack", "student", "paths", "result", "graded by"):
        table.add_column(column, overflow="fold")
    for stack in sorted(stacks):
        if stack not in merged:
            table.add_row(stack, stacks[stack].student, "-", "NO REPORT", "-")
            continue
        who, row, path = merged[stack]
        result = "NOT READ" if row.get("error") else ("complete" if row["complete"] else "incomplete")
        table.add_row(stack, stacks[stack].student, f"{row['passed']}/{row['total']}", result, f"{who} ({path.name})")
    out.print(table)
    students_word = sum(1 for who, _, _ in merged.values() if who == STUDENTS_WORD)
    if students_word:
        out.print(f"note: {students_word} of these grades are the students' own word (labctl grade --self, run with their "
                  "credentials in their accounts); spot-check with the student present if it matters")
    return EXIT_OK if done == len(stacks) else EXIT_FAILED


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "everyone is complete",
    1: "someone is incomplete or could not be read",
    2: "bad input",
}
