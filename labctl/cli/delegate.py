"""Commands that act through other commands (expire, budget): ``labctl COMMAND COHORT ...`` parsed by that
command's own parser, so its defaults, checks and refusals apply unchanged."""

from __future__ import annotations

import argparse

from labctl.cli import fleet, sweep
from labctl.cli.common import Parser


def command_args(args: argparse.Namespace, command: str, extra: list[str]) -> argparse.Namespace:
    """The arguments of ``labctl COMMAND <args.cohort> --environments ... EXTRA [--emulate]`` (a fleet
    operation or sweep), as its own parser reads them."""
    parser = Parser(prog="labctl")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    fleet.register(sub)
    sweep.register(sub)
    argv = [command, args.cohort, "--environments", str(args.environments), *extra, *(["--emulate"] if args.emulate else [])]
    return parser.parse_args(argv)
