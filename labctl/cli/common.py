"""What every command shares: exit codes, the one-line error reporting, the argument parser
class and the targets arguments."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NoReturn

from cloudlabs.reading import InputFileError
from cloudlabs.settings import SettingsError
from cloudlabs.writing import OutputPathError

from labctl.analysis.batch import default_jobs
from cloudlabs.pricing import PricingError
from labctl.cli import arguments
from labctl.cli.selection import SelectionError
from labctl.offline import render

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
# What each means for every command (the documentation's exit code page; a command module may add its own EXIT_CODES).
EXIT_CODES = {
    EXIT_OK: "success (for diff, review and sync --check: nothing changed)",
    EXIT_FAILED: "a stack failed, a check did not hold, or something changed; the other stacks are still reported",
    EXIT_BAD_INPUT: "bad input (settings, files, arguments, a missing tool or credentials): one line, nothing rendered, "
                    "written or deployed",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C): nothing new started, no traceback",
}
# What bad input raises, wherever it is found: reported as one message, exit 2, nothing written.
BAD_INPUT = (SettingsError, SelectionError, OutputPathError, PricingError, InputFileError, FileNotFoundError)
MAX_JOBS = 64

Subparsers = Any  # argparse's _SubParsersAction, which it does not export


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's own errors: one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def error(message: str) -> None:
    """Errors go to stderr as plain text: one line each, never wrapped or restyled."""
    print(message, file=sys.stderr)


def bad_input(exc: Exception) -> int:
    """Report bad input (settings problems as they are, anything else prefixed) and give exit code 2."""
    error(str(exc) if isinstance(exc, SettingsError) else f"labctl: {exc}")
    return EXIT_BAD_INPUT


def environments_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR",
                        help="where stack and cohort names are looked up (default: %(default)s)")


def targets_argument(parser: argparse.ArgumentParser, jobs: str | None = "stacks rendered in parallel",
                     cache: bool = True) -> None:
    """TARGET... and --environments; ``--jobs`` (described by ``jobs``) and ``--no-cache`` only
    where the command uses them: an option that would be accepted and ignored is not offered."""
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="stack names (demo-s01), cohort names (demo), stack or cohort files, or directories; "
                             "default: every stack in environments/ (each stack may be selected once)")
    environments_argument(parser)
    if jobs is not None:
        parser.add_argument("--jobs", "-j", type=arguments.whole_number(1, MAX_JOBS), default=default_jobs(), metavar="N",
                            help=f"{jobs}, 1 to {MAX_JOBS} (default: the number of cores, %(default)s)")
    if cache:
        parser.add_argument("--no-cache", action="store_true",
                            help="render every stack, even those whose inputs did not change since the last plan "
                                 "(cache: .cloudlabs/cache/, CLOUDLABS_CACHE_DIR)")


def emulate_argument(parser: Any, also: str = "") -> None:
    """--emulate on a parser, or on a mutually exclusive group with an option it contradicts."""
    parser.add_argument("--emulate", action="store_true",
                        help="act on the sandbox's emulated AWS account (moto; no credentials): the one "
                             "`labctl sandbox serve` keeps running, else one rebuilt in this process" + also)


def students_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", metavar="IDS", help="only these students (comma-separated ids; an empty list is refused)")


def write_text(destination: str, text: str) -> None:
    """``-`` is stdout; anything else is written atomically (its path was checked before any work)."""
    from cloudlabs.writing import atomic_write
    if destination == "-":
        sys.stdout.write(text)
    else:
        atomic_write(Path(destination), text)
