"""Output paths (--snapshots, --json, --markdown, --csv, --output, --summary), checked before any work: each one
writable, no two the same, at most one of them stdout, none of them a file the command reads or a
settings file of the project. A typo must not cost a whole render, and a report must never be
written over a stack file, a cohort file or another report of the same run."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Iterable

from cloudlabs import REPO_ROOT, pricing, profiles
from cloudlabs.settings import StackSettings
from cloudlabs.writing import OutputPathError, check_output_dir, check_output_file

# (attribute of the parsed arguments, option) of every option that names something a command writes
OUTPUT_OPTIONS = (("snapshots", "--snapshots"), ("json_file", "--json"), ("markdown", "--markdown"), ("csv_file", "--csv"),
                  ("output", "--output"), ("results", "--results"), ("journal", "--journal"), ("summary", "--summary"))

Inputs = Iterable[tuple[Path, str]]  # (a file the command reads, what it is)


def given_outputs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """(option, value) of the output options given on the command line."""
    return [(option, str(getattr(args, dest))) for dest, option in OUTPUT_OPTIONS if getattr(args, dest, None)]


def settings_inputs(settings: dict[Path, StackSettings]) -> list[tuple[Path, str]]:
    """What a command that reads these stacks reads: their stack, cohort and seat files, their
    profiles, and the price table."""
    found: list[tuple[Path, str]] = [(pricing.PRICES_FILE, "the price table")]
    for path, s in settings.items():
        found += [(path, f"the stack file of {s.stack_name}"), (path.parent / f"{s.cohort}.yaml", f"the cohort file of {s.cohort}"),
                  (path.parent / f"{s.cohort}.seats.yaml", f"the seat file of {s.cohort}"),
                  (profiles.profile_path(s.profile.name), f"the profile {s.profile.name}")]
    return found


def _settings_file(path: Path, environments: Path | None) -> str | None:
    """What ``path`` is when it is (or would become) one of the project's settings files."""
    if path.name.startswith("Pulumi.") and path.suffix in (".yaml", ".yml"):
        return "a Pulumi stack or project file"
    for directory, what in ((environments, "the environments directory (cohort, seat and stack files)"),
                            (profiles.PROFILES_DIR, "the profiles directory"), (pricing.PRICES_FILE.parent, "the price table's directory")):
        if directory is not None and path.suffix in (".yaml", ".yml") and path.parent == directory.resolve():
            return f"a settings file in {what}"
    return None


def check_outputs(args: argparse.Namespace, inputs: Inputs = ()) -> None:
    """Every output option of ``args`` (see the module's rules); ``OutputPathError`` names the
    option, the path and what is allowed."""
    given = given_outputs(args)
    to_stdout = [option for option, value in given if value == "-"]
    if len(to_stdout) > 1:
        raise OutputPathError(f"{' and '.join(to_stdout)}: both are '-' (stdout), which would mix two formats in one "
                              "stream; allowed: '-' for one of them, a file for the others")
    files = [(option, Path(value)) for option, value in given if value != "-"]
    _check_apart(args, files, inputs)
    for option, path in files:  # then the file system: each one can be written
        if option == "--snapshots":
            check_output_dir(path, option)
        else:
            check_output_file(path, option)


def _check_apart(args: argparse.Namespace, files: list[tuple[str, Path]], inputs: Inputs) -> None:
    """No output is another output, inside the snapshots directory, or something labctl reads."""
    read = {path.resolve(): what for path, what in inputs}
    environments = getattr(args, "environments", None)
    seen: dict[Path, str] = {}
    for option, path in files:
        target = path.resolve()
        if target in seen:
            raise OutputPathError(f"{option}: {path} is also where {seen[target]} writes; allowed: a different path for each output")
        seen[target] = option
        what = read.get(target) or _settings_file(target, environments)
        if what is not None:
            raise OutputPathError(f"{option}: {path} is {what}, which labctl reads; allowed: a path that is none of its inputs")
    snapshots = getattr(args, "snapshots", None)
    for option, path in files:
        if snapshots is not None and option != "--snapshots" and Path(snapshots).resolve() in path.resolve().parents:
            raise OutputPathError(f"{option}: {path} is inside the --snapshots directory {snapshots}, whose every *.json "
                                  "is read back as a snapshot (labctl diff); allowed: a file outside it")


def check_not_inside(path: Path, option: str, directories: Iterable[tuple[Path, str]]) -> None:
    """``path`` (an output) is not inside any of ``directories`` (inputs the command reads whole)."""
    target = path.resolve()
    for directory, what in directories:
        if directory.resolve() == target or directory.resolve() in target.parents:
            raise OutputPathError(f"{option}: {path} is inside {what} {directory}, which labctl reads; allowed: a path "
                                  "outside it")


def read_directories(environments: Path) -> list[tuple[Path, str]]:
    """The directories labctl reads whole (settings, profiles, the labs' content, its code): no folder it
    writes (the cards, the class page) may be one of them or inside one."""
    return [(environments, "the environments directory"), (profiles.PROFILES_DIR, "the profiles directory"),
            (REPO_ROOT / "labs", "the labs' content directory"), (REPO_ROOT / "cloudlabs", "the code"),
            (REPO_ROOT / "labctl", "the code")]
