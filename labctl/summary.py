"""Readable summaries of rendered graphs (what `labctl plan` prints)."""

from __future__ import annotations

from typing import Any, Iterator

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from .graph import StackGraph

VPC = "aws:ec2/vpc:Vpc"


def vpc_cidrs(graph: StackGraph) -> list[str]:
    return sorted(r.inputs.get("cidrBlock", "?") for r in graph.of_type(VPC))


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested outputs as dotted keys: ("vpc-nat.sshBastion", "ssh ...")."""
    if isinstance(value, dict):
        for key in sorted(value):
            yield from flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        for i, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{i}]")
    else:
        yield prefix, ", ".join(map(str, value)) if isinstance(value, list) else value


def labs_text(graph: StackGraph) -> str:
    return ", ".join(f"{lab['lab']} ({lab['stage']})" for lab in graph.settings["labs"])


def overview_table(graphs: list[StackGraph]) -> Table:
    table = Table(title="Offline plan", title_justify="left")
    for column in ("stack", "seat", "region", "labs", "VPC CIDRs", "resources"):
        table.add_column(column, justify="right" if column in ("seat", "resources") else "left")
    for g in graphs:
        table.add_row(g.stack, str(g.settings["seat"]), g.settings["region"], labs_text(g),
                      "\n".join(vpc_cidrs(g)), str(len(g.custom_resources)))
    return table


def stack_panel(graph: StackGraph) -> Panel:
    types = Table.grid(padding=(0, 2))
    types.add_column(justify="right")
    types.add_column()
    for type_token, count in sorted(graph.type_counts().items()):
        types.add_row(str(count), type_token)
    outputs = Table.grid(padding=(0, 2))
    outputs.add_column(style="bold")
    outputs.add_column(overflow="fold")
    for key, value in flatten(graph.outputs):
        outputs.add_row(key, str(value))
    s = graph.settings
    header = (f"seat {s['seat']} · {s['region']} · profile {s['profile']} · admin {s['adminCidr']} · "
              f"{s['instanceType']} · expires {s['expires']}")
    return Panel(
        Group(header, "", f"Resources by type ({len(graph.custom_resources)}):", types, "", "Outputs:", outputs),
        title=f"{graph.stack}: {labs_text(graph)}",
        title_align="left",
    )


def print_plan(graphs: list[StackGraph], console: Console, details: bool = True) -> None:
    if details:
        for graph in graphs:
            console.print(stack_panel(graph))
    console.print(overview_table(graphs))
