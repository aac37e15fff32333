"""labctl labs: the lab catalog."""

from __future__ import annotations

import argparse

from rich.console import Console
from rich.table import Table

from cloudlabs.catalog import LABS

from labctl.cli.common import EXIT_OK, Subparsers


def register(sub: Subparsers) -> None:
    sub.add_parser("labs", help="list the lab catalog").set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    table = Table(title="Lab catalog", title_justify="left")
    for column in ("lab", "chapter", "stages", "title"):
        table.add_column(column)
    for lab in LABS.values():
        table.add_row(lab.key, lab.section, ", ".join(lab.stages), lab.title)
    out.print(table)
    return EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "the catalog is printed",
}
