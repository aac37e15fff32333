"""Which stacks a command acts on: resolved and checked before anything runs.

Targets are stack names, cohort names, stack or cohort files, or directories; ``--students``
narrows them to some students. An empty or unknown selection is bad input: an empty shell
variable (``--students "$IDS"``) must never widen a ``destroy`` to the whole cohort, and a
selection of nobody must never report success.
"""

from __future__ import annotations

from pathlib import Path

from cloudlabs.cohort import is_cohort_file, load_cohort
from cloudlabs.settings import SLUG, SLUG_ALLOWED, StackSettings

from labctl.offline import render


class SelectionError(ValueError):
    """A selection that names nothing, or something that does not exist; one line."""


def resolve_targets(targets: list[str], environments: Path) -> list[Path]:
    """Stack files for stack names, cohort names, files and directories (no target: every stack
    file in ``environments``). Each stack is selected once: a repeated or overlapping target
    (``demo demo-s01``) is refused, as it is usually a typo for another stack."""
    if not environments.is_dir():
        raise SelectionError(f"--environments: {environments} is not a directory")
    by: dict[Path, str] = {}  # each selected stack file (resolved) -> the target that selected it
    files: list[Path] = []
    for target in targets or [str(environments)]:
        for found in _target_files(target, environments):
            key = found.resolve()
            if key in by:
                again = "named twice" if by[key] == target else f"already selected by {by[key]}"
                raise SelectionError(f"{target}: selects {found.name} again ({again}); allowed: each stack once")
            by[key] = target
            files.append(found)
    return files


def _target_files(target: str, environments: Path) -> list[Path]:
    if not target.strip():
        raise SelectionError("an empty target selects nothing; allowed: a stack name (demo-s01), a cohort name (demo), "
                             "a stack or cohort file, or a directory")
    path = Path(target)
    if path.is_file() and is_cohort_file(path):
        return _cohort_stacks(path)
    if path.exists() or (environments / f"Pulumi.{target}.yaml").is_file():
        found = render.stack_files([target], environments)
        if path.is_dir() and not found:
            raise SelectionError(f"{target}: no stack files (Pulumi.<stack>.yaml) in this directory")
        return found
    if SLUG.match(target) and (environments / f"{target}.yaml").is_file():
        return _cohort_stacks(environments / f"{target}.yaml")
    raise SelectionError(f"{target}: no such stack, cohort, file or directory (looked in {environments})")


def _cohort_stacks(path: Path) -> list[Path]:
    cohort = load_cohort(path)  # CohortError (a SettingsError) is reported as bad input too
    files = [cohort.stack_path(s.id) for s in cohort.students]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        raise SelectionError(f"{path}: stack files missing ({', '.join(missing[:3])}{'...' if len(missing) > 3 else ''}); "
                             f"run `labctl sync {cohort.name}` first")
    return files


def parse_students(text: str) -> list[str]:
    """``--students s01,s02`` -> ["s01", "s02"]; nothing selected, or a malformed id, is refused."""
    ids = [part.strip() for part in text.split(",")]
    if not any(ids):
        raise SelectionError(f"--students: {text!r} selects nobody; allowed: comma-separated student ids, e.g. s01,s02 "
                             "(leave --students out to act on every selected stack)")
    for sid in ids:
        if not sid:
            raise SelectionError(f"--students: {text!r} has an empty id between commas; allowed: comma-separated "
                                 "student ids, e.g. s01,s02")
        if not SLUG.match(sid):
            raise SelectionError(f"--students: {sid!r} is not allowed; allowed: student ids ({SLUG_ALLOWED})")
    twice = sorted({sid for sid in ids if ids.count(sid) > 1})
    if twice:
        raise SelectionError(f"--students: {', '.join(twice)} named twice in {text!r}; allowed: each student once")
    return ids


def select_students(settings: dict[Path, StackSettings], students: str | None) -> dict[Path, StackSettings]:
    """The stacks of ``settings`` whose student is in ``students`` (None: all of them). Every
    named student must be among the stacks."""
    if students is None:
        return settings
    wanted = parse_students(students)
    known = {s.student for s in settings.values()}
    unknown = [sid for sid in wanted if sid not in known]
    if unknown:
        raise SelectionError(f"--students: {', '.join(unknown)} not among the selected stacks")
    return {path: s for path, s in settings.items() if s.student in wanted}

