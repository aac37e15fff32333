"""labctl schema: the JSON Schema of the graph format that plan --json and --snapshots write."""

from __future__ import annotations

import argparse
import sys

from rich.console import Console

from labctl.cli.common import EXIT_OK, Subparsers
from labctl.offline.graph import dumps, json_schema


def register(sub: Subparsers) -> None:
    sub.add_parser("schema", help="print the JSON Schema of the cloudlabs.graph/v1 format (plan --json, --snapshots)"
                   ).set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    sys.stdout.write(dumps(json_schema()))
    return EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "the schema is printed",
}
