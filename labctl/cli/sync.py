"""labctl sync: write a cohort's stack files from its cohort file, keeping seats stable."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cloudlabs.addressing import seat_block
from cloudlabs.cohort import apply_sync, is_cohort_file, plan_sync
from cloudlabs.reading import InputFileError, ensure_regular_file
from cloudlabs.settings import SLUG, SettingsError
from cloudlabs.writing import OutputPathError, check_output_dir, exclusive

from labctl.cli.common import EXIT_FAILED, EXIT_OK, Subparsers, bad_input, environments_argument, error
from labctl.cli.selection import SelectionError


def register(sub: Subparsers) -> None:
    sync = sub.add_parser("sync", help="write a cohort's stack files from its cohort file",
                          description="Validate environments/<cohort>.yaml and write environments/Pulumi.<cohort>-<student>.yaml "
                                      "for every student, keeping seats stable in <cohort>.seats.yaml.")
    sync.add_argument("cohort", help="cohort name (environments/<name>.yaml) or cohort file")
    environments_argument(sync)
    sync.add_argument("--prune", action="store_true",
                      help="remove stack files of students who left the roster (destroy their stacks first) and free their seats")
    sync.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")
    sync.set_defaults(handler=run)


def cohort_file(name_or_path: str, environments: Path) -> Path:
    """A cohort's file: its name in ``environments`` (never a path made from the name), or the
    path of a cohort file."""
    path = Path(name_or_path)
    if path.suffix == ".yaml" and path.is_file() and is_cohort_file(path):
        return path
    if SLUG.match(name_or_path):
        candidate = environments / f"{name_or_path}.yaml"
        if candidate.exists():
            ensure_regular_file(candidate, "cohort file")  # never open (and lock) a FIFO or a directory
            return candidate
        raise SelectionError(f"{name_or_path}: no cohort file (looked for {candidate})")
    raise SelectionError(f"{name_or_path!r} is not allowed; allowed: a cohort name (e.g. demo) or a cohort file "
                         "(<cohort>.yaml, not a Pulumi.<stack>.yaml or .seats.yaml)")


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        path = cohort_file(args.cohort, args.environments)
        if not args.check:
            check_output_dir(path.parent, "sync")  # the stack files are written next to the cohort file
    except (SelectionError, InputFileError, OutputPathError) as exc:
        return bad_input(exc)
    # One sync of a cohort at a time: the second waits, then decides on what the first wrote.
    with exclusive(path, on_wait=lambda: error(f"labctl: waiting for another sync of {path.name} to finish")):
        return _sync_locked(args, path, out)


def _sync_locked(args: argparse.Namespace, path: Path, out: Console) -> int:
    try:
        plan = plan_sync(path, prune=args.prune)
    except SettingsError as exc:
        return bad_input(exc)

    spread = f", spread over {', '.join(plan.cohort.regions)}" if plan.regions else ""
    table = Table(title=f"Cohort {plan.cohort.name}: {len(plan.stacks)} students{spread}", title_justify="left")
    columns = ("student", "seat", "addresses") + (("region",) if plan.regions else ()) + ("stack file", "change")
    for column in columns:
        table.add_column(column, justify="right" if column == "seat" else "left")
    for change in plan.stacks:
        seat = change.seat if change.seat is not None else 0  # every student on the roster has a seat
        region = (plan.regions[change.student or ""],) if plan.regions else ()
        table.add_row(change.student, str(seat), str(seat_block(seat)), *region, change.path.name,
                      _verb(change.status, args.check))
    out.print(table)
    if plan.regions:
        counts = {r: sum(1 for v in plan.regions.values() if v == r) for r in plan.cohort.regions}
        out.print("students per region (with those who left and keep their seat): "
                  + ", ".join(f"{r} {n}" for r, n in counts.items()), markup=False)
    for change in plan.departed:
        seat_text = f"seat {change.seat}" if change.seat is not None else "no recorded seat"
        if change.status == "removed":
            out.print(f"left the roster: {change.student} ({seat_text}): {change.path.name} {_verb('removed', args.check)}")
        else:
            out.print(f"left the roster: {change.student} ({seat_text}): {change.path.name} kept, and the seat with it; "
                      f"destroy the stack, then `labctl sync {plan.cohort.name} --prune`")
    out.print(f"seat file {plan.lock.path.name}: {_verb(plan.lock.status, args.check)}")
    if args.check:
        return EXIT_FAILED if plan.changes else EXIT_OK
    apply_sync(plan)
    return EXIT_OK


def _verb(status: str, check: bool) -> str:
    if not check or status in ("unchanged", "kept"):
        return status
    return {"created": "would be created", "updated": "would be updated", "removed": "would be removed"}[status]


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "the files are written (or, with `--check`, already current)",
    1: "`--check`: a file would change",
    2: "bad input: nothing written",
}
