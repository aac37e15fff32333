"""labctl command line: every command registered once, one module each.

Exit codes (labctl.cli.common): 0 success (for diff and sync --check: nothing changed), 1 a
stack failed or something changed, 2 bad input (settings, files, arguments): nothing is
rendered or written, 130 interrupted.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from rich.console import Console

from labctl.cli import (budget, cache, cards, check, cost, diagram, diff, drift, expire, expired, fleet, grade, labs, plan, probe,
                        reach, report, review, shard, sandbox, schema, spend, sweep, sync, validate)
from labctl.cli.common import BAD_INPUT, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INTERRUPTED, Parser, bad_input, error
from labctl.cli.project import ProjectError, check_project

# In the order `labctl --help` lists them: the offline commands, then those that act on a cloud.
COMMANDS = (plan, sync, cost, check, reach, diagram, diff, review, validate, labs, schema, cache, fleet, shard, sweep, expired, expire, cards,
            probe, grade, drift, spend, budget, report, sandbox)


def build_parser() -> Parser:
    parser = Parser(prog="labctl", description="Instructor's tools for cloudlabs student stacks (offline).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def run() -> None:
    """The ``labctl`` console script (and ``python -m labctl``): acts on the project you stand in."""
    sys.exit(main(in_project=True))


def main(argv: list[str] | None = None, in_project: bool = False) -> int:
    """Run one command; Ctrl-C ends it with one line and exit 130, never a traceback.
    ``in_project``: first make sure the working directory is this code's own checkout."""
    try:
        return _main(argv, in_project)
    except KeyboardInterrupt:
        error("labctl: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `labctl plan | head`: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _main(argv: list[str] | None, in_project: bool) -> int:
    args = build_parser().parse_args(argv)  # --help works anywhere
    if in_project:
        try:
            check_project(Path.cwd())
        except ProjectError as exc:
            error(f"labctl: {exc}")
            return EXIT_BAD_INPUT
    to_stderr = "-" in (getattr(args, "json_file", None), getattr(args, "markdown", None), getattr(args, "csv_file", None))
    stream = sys.stderr if to_stderr else sys.stdout
    # emoji off ("cloudlabs:seat:" is not an emoji); piped into a file or CI log, give tables room.
    out = Console(stderr=to_stderr, emoji=False, highlight=False, width=None if stream.isatty() else 132)
    try:
        code: int = args.handler(args, out)
    except BAD_INPUT as exc:  # found past a command's own checks (e.g. a link planted in labs/ mid-run): still one line
        return bad_input(exc)
    return code
