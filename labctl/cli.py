"""labctl command line.

Exit codes: 0 success, 1 a stack's program failed (the others are still reported),
2 bad input (settings, files, arguments): nothing is rendered or written.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cloudlabs.addressing import LAYOUTS
from cloudlabs.catalog import LABS
from cloudlabs.settings import SettingsError, StackFileError, load_stack_settings

from . import render
from .graph import dumps
from .summary import print_plan

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors also exit 2, with our prefix
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"labctl: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="labctl", description="Offline tools for cloudlabs student stacks.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plan = sub.add_parser("plan", help="render stacks offline and summarise them",
                          description="Render stacks offline (no Pulumi CLI, no AWS credentials) and print "
                                      "their VPC CIDRs, resources by type and outputs.")
    plan.add_argument("targets", nargs="*", metavar="STACK",
                      help="stack names (demo-s01), stack files or directories; default: every stack in environments/")
    plan.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR",
                      help="where stack names are looked up (default: %(default)s)")
    plan.add_argument("--json", dest="json_file", metavar="FILE",
                      help="also write the graphs as a JSON list of cloudlabs.graph/v1 documents ('-' for stdout)")
    plan.add_argument("--quiet", action="store_true", help="print only the overview table")

    sub.add_parser("labs", help="list the lab catalog")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # emoji off: rich would turn "cloudlabs:seat:" into a seat emoji
    to_stderr = getattr(args, "json_file", None) == "-"
    stream = sys.stderr if to_stderr else sys.stdout
    # Piped into a file or a CI log, rich would wrap tables at 80 columns: give it room.
    out = Console(stderr=to_stderr, emoji=False, highlight=False, width=None if stream.isatty() else 132)
    if args.command == "labs":
        return cmd_labs(out)
    return cmd_plan(args, out)


def error(message: str) -> None:
    """Errors go to stderr as plain text: one line each, never wrapped or restyled."""
    print(message, file=sys.stderr)


def cmd_labs(out: Console) -> int:
    table = Table(title="Lab catalog", title_justify="left")
    for column in ("lab", "chapter", "stages", "what the student gets"):
        table.add_column(column)
    for spec in LABS.values():
        table.add_row(spec.key, str(spec.chapter), ", ".join(spec.stages), spec.summary)
    out.print(table)
    planned = [k for k in LAYOUTS if k not in LABS]
    out.print(f"Address layouts ready for labs still to come: {', '.join(planned)}")
    return EXIT_OK


def cmd_plan(args: argparse.Namespace, out: Console) -> int:
    try:
        files = render.stack_files(args.targets, args.environments)
    except FileNotFoundError as exc:
        error(f"labctl: {exc}")
        return EXIT_BAD_INPUT
    if not files:
        error(f"labctl: no stack files (Pulumi.<stack>.yaml) in {args.targets or args.environments}")
        return EXIT_BAD_INPUT

    # Validate everything first: one bad file stops the run before anything is rendered or written.
    problems: list[str] = []
    settings = {}
    for path in files:
        try:
            settings[path] = load_stack_settings(path)
        except (SettingsError, StackFileError) as exc:
            problems.append(str(exc))
    if problems:
        for problem in problems:
            error(problem)
        return EXIT_BAD_INPUT

    graphs, failures = [], []
    for path in files:
        try:
            graphs.append(render.render(render.stack_name_of(path), render.read_stack_file(path), settings[path]))
        except render.RenderError as exc:
            failures.append(exc)

    if graphs:
        print_plan(graphs, out, details=not args.quiet)
    for failure in failures:
        error(f"FAILED {failure}")
    if args.json_file:
        text = dumps([g.to_json() for g in graphs])
        if args.json_file == "-":
            sys.stdout.write(text)
        else:
            Path(args.json_file).write_text(text)
            out.print(f"wrote {len(graphs)} graph(s) to {args.json_file}")
    return EXIT_FAILED if failures else EXIT_OK
