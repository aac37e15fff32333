"""labctl report: the class page, one static HTML file (DIR/index.html) that works from a CI artifact
or GitHub Pages: a row per student, the cohort's totals, a diagram of a stack per lab.

Where each column comes from:
- stage: the students' stack files (what was planned); expiry: the session clock's (schedule.expires),
  else the expires: date of the stack files, so that it is the date the student's card gives;
- deployed and spend: the live inventory, read now (``labctl spend``'s scan: AWS, or ``--emulate``);
- grade and drift: saved results of ``labctl grade --json`` and ``labctl drift --json`` (``--grades``,
  ``--drift``), not run again: each reads every student's network, which a schedule (or CI) already
  does, and the page is then only as old as those files, which it names;
- the diagram: ``labctl diagram``'s flowchart of the first stack of each lab, drawn as inline SVG;
- the card: a link to ``--cards DIR/<student>.html`` (``labctl cards``), relative to the page, with
  "no card" where the file is missing now.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from rich.console import Console

from cloudlabs.cohort import Cohort, CohortError, cohort_stack_files
from cloudlabs.reading import InputFileError, load_json
from cloudlabs.settings import SettingsError, StackSettings, load_all_stack_settings, stack_name_of
from cloudlabs.writing import OutputPathError, atomic_write, check_output_dir

from labctl.analysis.class_page import GENERATOR, ClassPage, Diagram, StudentRow, render_page
from labctl.analysis.diagram import mermaid
from labctl.analysis.diagram_svg import svg
from labctl.cli import arguments
from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input
from labctl.cli.outputs import check_not_inside, read_directories
from labctl.cli.selection import SelectionError
from labctl.cli.spending import UNTIL_HELP, SpendReading, cohort_arguments, forecast_until, read_cohort, read_spend
from labctl.offline import render

PAGE = "index.html"


def register(sub: Subparsers) -> None:
    report = sub.add_parser("report", help="the class page: a static HTML page of every student's progress and spend",
                            description="Write DIR/index.html: one static page (no server, no script, nothing external) with "
                                        "a row per student (lab and stage, deployed or not, grade, drift, spend so far, "
                                        "expiry, a link to their card), the cohort's totals, and a diagram of a stack per "
                                        "lab. Spend and deployed are read now (as labctl spend); grades and drift from the "
                                        "saved --json of labctl grade and labctl drift. Exit 1 if a kind could not be scanned.")
    cohort_arguments(report)
    report.add_argument("--html", required=True, type=Path, metavar="DIR", help="the folder the page is written to (index.html)")
    report.add_argument("--cards", type=Path, metavar="DIR",
                        help="where labctl cards wrote the cards, DIR/<student>.html (default: cards/<cohort>)")
    report.add_argument("--grades", type=Path, metavar="FILE", help="a labctl grade --json file of this cohort")
    report.add_argument("--drift", type=Path, metavar="FILE", help="a labctl drift --json file of this cohort")
    report.add_argument("--until", type=arguments.moment, metavar="TIME",
                        help=UNTIL_HELP)
    report.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    started = time.monotonic()
    try:
        cohort = read_cohort(args)
        _check_page_path(args.html, args.environments)
        if args.cards is not None and args.cards.exists() and not args.cards.is_dir():
            raise OutputPathError(f"--cards: {args.cards} is not a directory; allowed: the folder labctl cards wrote "
                                  "(default cards/<cohort>/)")
        settings = _stack_settings(cohort)
        grades = _grades(args.grades, settings) if args.grades else {}
        drift = _drift(args.drift, settings) if args.drift else {}
        now = args.now or datetime.now(timezone.utc)
        until = forecast_until(cohort, now, args.until)
    except (SelectionError, CohortError, SettingsError, OutputPathError, InputFileError, ValueError) as exc:
        return bad_input(exc)
    reading = read_spend(args, cohort, now, until)
    cards = args.cards or Path("cards") / cohort.name
    page = ClassPage(cohort.name, now, until, _rows(cohort, settings, reading, grades, drift, cards, args.html, now),
                     _diagrams(cohort, settings), str(args.grades or ""), str(args.drift or ""),
                     [f"{kind} ({why})" for kind, why in sorted(reading.unscanned.items())])
    args.html.mkdir(parents=True, exist_ok=True)
    text = render_page(page)
    atomic_write(args.html / PAGE, text)
    out.print(f"wrote the class page of {cohort.name} ({len(page.rows)} students, {len(text) / 1024:.0f} KiB) to "
              f"{args.html / PAGE} in {time.monotonic() - started:.1f} s", markup=False)
    for kind, why in sorted(reading.unscanned.items()):
        print(f"labctl: could not scan {kind}: {why}", file=sys.stderr)
    return EXIT_FAILED if reading.unscanned else EXIT_OK


def _check_page_path(directory: Path, environments: Path) -> None:
    """The folder can hold the page, is none of those labctl reads, and an index.html already there is an
    earlier page of ours."""
    check_not_inside(directory, "--html", read_directories(environments))
    check_output_dir(directory, "--html")
    page = directory / PAGE
    if page.is_symlink() or (page.exists() and not page.is_file()):
        raise OutputPathError(f"--html: {page} is not a regular file; allowed: a folder whose index.html is labctl report's")
    if page.exists():
        with page.open("rb") as f:
            head = f.read(4096).decode("utf-8", "replace")
        if f'name="generator" content="{GENERATOR}"' not in head:
            raise OutputPathError(f"--html: {page} exists and was not written by labctl report; allowed: a new folder, or "
                                  "one holding an earlier class page")


def _stack_settings(cohort: Cohort) -> dict[str, StackSettings]:
    """student -> their stack's settings (a student without a stack file yet has none: labctl sync)."""
    files = cohort_stack_files(cohort)
    return {s.student: s for s in load_all_stack_settings(files).values()}


def _load_list(path: Path, what: str) -> list[Any]:
    document = load_json(path, what)
    if isinstance(document, dict) and isinstance(document.get("grades"), list):  # a student's grade --self report
        document = document["grades"]
    if not isinstance(document, list) or not all(isinstance(r, dict) and isinstance(r.get("stack"), str) for r in document):
        raise ValueError(f"{path}: not a {what}; allowed: a file written by labctl {what.split()[0]} --json")
    return document


def _by_student(rows: list[dict], settings: dict[str, StackSettings], path: Path) -> dict[str, dict]:
    stacks = {s.stack_name: student for student, s in settings.items()}
    out = {}
    for row in rows:
        if row["stack"] not in stacks:
            raise ValueError(f"{path}: stack {row['stack']} is not one of this cohort's ({len(stacks)} stacks); allowed: the "
                             "--json of the same cohort")
        out[stacks[row["stack"]]] = row
    return out


def _grades(path: Path, settings: dict[str, StackSettings]) -> dict[str, dict]:
    return _by_student(_load_list(path, "grade report"), settings, path)


def _drift(path: Path, settings: dict[str, StackSettings]) -> dict[str, dict]:
    return _by_student(_load_list(path, "drift report"), settings, path)


def _grade_text(row: dict | None) -> tuple[str, str]:
    if row is None:
        return "not graded", "not-graded"
    if row.get("error"):
        return f"not read: {row['error']}", "not-read"
    passed, total = row.get("passed", 0), row.get("total", 0)
    if row.get("complete"):
        return f"complete {passed}/{total}", "complete"
    return f"incomplete {passed}/{total}", "incomplete"


def _drift_text(row: dict | None) -> tuple[str, str]:
    if row is None:
        return "not checked", "not-checked"
    added, missing = len(row.get("addedByHand") or []), len(row.get("missingFromAws") or [])
    if not added and not missing:
        return "none", "none"
    return f"{added} added by hand, {missing} missing from AWS", "drift"


def _expiry(cohort: Cohort, s: StackSettings | None, now: datetime) -> tuple[datetime | date | None, bool]:
    """When the student's lab goes, as their card says: the session clock's destroy time with a schedule:
    (it may be before the tagged day), else the expires: date tagged on the resources."""
    if cohort.schedule is not None:
        return cohort.schedule.expires, cohort.schedule.expires <= now
    return (s.expires, s.expires < now.date()) if s else (None, False)


def _rows(cohort: Cohort, settings: dict[str, StackSettings], reading: SpendReading, grades: dict, drift: dict,
          cards: Path, page_dir: Path, now: datetime) -> list[StudentRow]:
    rows = []
    for student in cohort.students:
        s = settings.get(student.id)
        spend = reading.spend.students.get(student.id)
        grade, grade_state = _grade_text(grades.get(student.id))
        drifted, drift_state = _drift_text(drift.get(student.id))
        card = cards / f"{student.id}.html"
        labs = ", ".join(f"{lab.lab} ({lab.stage})" for lab in s.labs) if s else "no stack file yet (labctl sync)"
        rows.append(StudentRow(student.id, cohort.stack_name(student.id), labs, reading.present.get(student.id, 0) > 0,
                               reading.present.get(student.id, 0), grade, grade_state, drifted, drift_state,
                               spend.so_far if spend else 0.0, spend.forecast if spend else 0.0,
                               *_expiry(cohort, s, now),
                               Path(os.path.relpath(card.absolute(), page_dir.absolute())).as_posix(), card.is_file()))
    roster = {s.id for s in cohort.students}
    for other in sorted(set(reading.spend.students) - roster):  # found in AWS, not on the roster: still the cohort's spend
        spend = reading.spend.students[other]
        rows.append(StudentRow(other, "", "not on the roster (left, or made by hand: labctl sweep)",
                               reading.present.get(other, 0) > 0, reading.present.get(other, 0), "not graded", "not-graded",
                               "not checked", "not-checked", spend.so_far, spend.forecast, None, False,
                               Path(os.path.relpath((cards / f"{other}.html").absolute(), page_dir.absolute())).as_posix(),
                               (cards / f"{other}.html").is_file()))
    return rows


def _diagrams(cohort: Cohort, settings: dict[str, StackSettings]) -> list[Diagram]:
    """The first stack (by student) of each lab, drawn; a stack that cannot be rendered is left out, said so."""
    first: dict[str, StackSettings] = {}
    for student in sorted(settings):
        for selection in settings[student].labs:
            first.setdefault(selection.lab, settings[student])
    files = {stack_name_of(p): p for p in cohort_stack_files(cohort)}
    out = []
    for lab, s in sorted(first.items()):
        try:
            graph = render.render_file(files[s.stack_name])
        except render.RenderError as exc:
            print(f"labctl: note: no diagram of {lab}: {exc}", file=sys.stderr)
            continue
        drawing, links = svg(mermaid(graph), f"Network of stack {s.stack_name} ({lab})")
        out.append(Diagram(lab, s.stack_name, drawing, links))
    return out


EXIT_CODES = {
    0: 'the page is written',
    1: 'a kind could not be scanned (the page is still written and says so)',
    2: 'bad input: nothing written',
}
