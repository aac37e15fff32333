"""labctl labs: the lab catalog."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from cloudlabs.addressing import LAYOUTS
from cloudlabs.catalog import LABS

from labctl.cli.common import EXIT_OK, Subparsers


def register(sub: Subparsers) -> None:
    sub.add_parser("labs", help="list the lab catalog").set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    table = Table(title="Lab catalog", title_justify="left")
    for column in ("lab", "chapter", "stages", "what the student gets"):
        table.add_column(column)
    for spec in LABS.values():
        table.add_row(spec.key, str(spec.chapter), ", ".join(spec.stages), spec.summary)
    out.print(table)
    planned = [k for k in LAYOUTS if k not in LABS]
    out.print(f"Address layouts ready for labs still to come: {', '.join(planned)}")
    return EXIT_OK
