"""Readable summaries of rendered graphs: what `labctl plan` and `labctl cost` print."""

from __future__ import annotations

from typing import Any, Iterator

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table

from cloudlabs.pricing import PriceTable

from labctl import kinds
from labctl.analysis.cost import StackCost, session_of, summarize
from labctl.offline.graph import StackGraph
from labctl.analysis.validation import StackValidation

# where the stack's address block is: the input named by each record's address_space (a VPC's cidrBlock)
ADDRESS_SPACE = {t: k.address_space for t, k in kinds.KINDS.items() if k.address_space}


def money(value: float) -> str:
    return f"${value:,.3f}" if value < 1 else f"${value:,.2f}"


def hours_text(hours: float) -> str:
    return f"{hours:g} h"


def stack_hours(graphs: list[StackGraph], hours: float | None) -> dict[str, float]:
    """Each stack's session length: ``hours`` when given (--hours), else the stack's own (its cohort
    file's sessionHours, else its profile's)."""
    return {g.stack: hours if hours is not None else session_of(g.settings).hours for g in graphs}


def session_heading(hours: dict[str, float]) -> str:
    lengths = set(hours.values())
    return f"$/{hours_text(lengths.pop())}" if len(lengths) == 1 else "$/session"


def vpc_cidrs(graph: StackGraph) -> list[str]:
    return sorted(r.inputs.get(ADDRESS_SPACE[r.type], "?") for r in graph.resources if r.type in ADDRESS_SPACE)


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


def ready_text(check: StackValidation | None) -> str:
    if check is None:
        return ""
    errors = sum(1 for f in check.findings if f.level == "error")
    return "yes" if check.ready else f"NO ({errors} finding{'s' if errors != 1 else ''})"


def overview_table(graphs: list[StackGraph], costs: dict[str, StackCost], hours: dict[str, float],
                   checks: dict[str, StackValidation] | None = None) -> Table:
    """``hours``: each stack's session length (``stack_hours``)."""
    table = Table(title="Offline plan", title_justify="left", show_footer=len(graphs) > 1)
    total_h = sum(costs[g.stack].hourly for g in graphs)
    columns = [
        ("stack", f"{len(graphs)} stacks"), ("seat", ""), ("region", ""), ("labs", ""), ("VPC CIDRs", ""),
        ("resources", str(sum(len(g.custom_resources) for g in graphs))),
        ("$/hour", money(total_h)), (session_heading(hours), money(sum(costs[g.stack].for_hours(hours[g.stack]) for g in graphs))),
    ]
    if checks is not None:
        columns.append(("deploy-ready", f"{sum(1 for c in checks.values() if c.ready)} of {len(checks)}"))
    for name, footer in columns:
        table.add_column(name, footer=footer, justify="right" if name in ("seat", "resources") or name.startswith("$") else "left")
    for g in graphs:
        cost = costs[g.stack]
        priced = cost.region_priced
        row = [g.stack, str(g.settings["seat"]), g.settings["region"], labs_text(g), "\n".join(vpc_cidrs(g)),
               str(len(g.custom_resources)), money(cost.hourly) if priced else "unpriced",
               money(cost.for_hours(hours[g.stack])) if priced else "unpriced"]
        if checks is not None:
            row.append(ready_text(checks.get(g.stack)))
        table.add_row(*row)
    return table


def print_findings(checks: list[StackValidation], console: Console, show_suppressed: bool = False) -> None:
    """Each finding as one line a student could act on: stack, resource, property, value, rule, AWS's message."""
    for check in checks:
        for f in check.findings:
            console.print(f"{f.level.upper()} {f.line()}", markup=False, soft_wrap=True)
        if show_suppressed:
            for f, s in check.suppressed:
                console.print(f"suppressed {f.line()} -- {s.reason}", markup=False, soft_wrap=True)
            for f in check.exceptions:  # what the guardrails allowed for the book's lesson, by the resource's mark
                console.print(f"exception {f.line()}", markup=False, soft_wrap=True)


def stack_panel(graph: StackGraph, cost: StackCost) -> Panel:
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
              f"{s['instanceType']} · expires {s['expires']} · {money(cost.hourly)}/hour")
    return Panel(
        Group(header, "", f"Resources by type ({len(graph.custom_resources)}):", types, "", "Outputs:", outputs),
        title=f"{graph.stack}: {labs_text(graph)}",
        title_align="left",
    )


def print_plan(graphs: list[StackGraph], console: Console, details: bool, costs: dict[str, StackCost],
               hours: float | None, checks: dict[str, StackValidation] | None = None,
               additions: dict[str, float] | None = None) -> None:
    """``hours``: the session length to price (--hours); None: each stack's own."""
    if details:
        for graph in graphs:
            console.print(stack_panel(graph, costs[graph.stack]))
    per_stack = stack_hours(graphs, hours)
    console.print(overview_table(graphs, costs, per_stack, checks))
    print_additions(graphs, additions or {}, per_stack, console)
    if checks:
        print_findings([checks[g.stack] for g in graphs if g.stack in checks], console)


def cost_table(cost: StackCost, hours: float) -> Table:
    table = Table(title=f"{cost.stack} ({cost.region})", title_justify="left", show_footer=True)
    table.add_column("resource", footer="total")
    table.add_column("item")
    table.add_column("quantity", justify="right")
    table.add_column("unit price/h", justify="right")
    table.add_column("$/hour", justify="right", footer=money(cost.hourly))
    table.add_column(f"$/{hours_text(hours)}", justify="right", footer=money(cost.for_hours(hours)))
    for item in cost.items:
        table.add_row(item.resource, item.item, f"{item.quantity:g} {item.unit}", f"${item.unit_price:.6f}",
                      f"${item.hourly:.5f}", f"${item.hourly * hours:.4f}")
    return table


def print_cost(graphs: list[StackGraph], costs: dict[str, StackCost], hours: float | None, console: Console,
               details: bool, prices: PriceTable, additions: dict[str, float] | None = None) -> None:
    """``hours``: the session length to price (--hours); None: each stack's own."""
    per_stack = stack_hours(graphs, hours)
    if details:
        for g in graphs:
            console.print(cost_table(costs[g.stack], per_stack[g.stack]))
    by_lab: dict[str, list[StackGraph]] = {}
    for g in graphs:
        by_lab.setdefault(labs_text(g), []).append(g)
    lengths = sorted(set(per_stack.values()))
    title = f"a {hours_text(lengths[0])} session" if len(lengths) == 1 else f"a session ({', '.join(map(hours_text, lengths))})"
    table = Table(title=f"Cost of {title}", title_justify="left", show_footer=True)
    total_h = sum(c.hourly for c in costs.values())
    table.add_column("labs", footer="cohort")
    table.add_column("stacks", justify="right", footer=str(len(graphs)))
    table.add_column("$/hour per student", justify="right")
    table.add_column("$/session per student", justify="right")
    table.add_column("$/hour", justify="right", footer=money(total_h))
    table.add_column("$/session", justify="right", footer=money(sum(costs[g.stack].for_hours(per_stack[g.stack]) for g in graphs)))
    for labs, members in sorted(by_lab.items()):
        hourly = sum(costs[g.stack].hourly for g in members)
        session = sum(costs[g.stack].for_hours(per_stack[g.stack]) for g in members)
        table.add_row(labs, str(len(members)), money(hourly / len(members)), money(session / len(members)), money(hourly),
                      money(session))
    console.print(table)
    print_additions(graphs, additions or {}, per_stack, console)

    items = Table(title="What the cohort pays for", title_justify="left")
    for column in ("item", "quantity", "$/hour", session_heading(per_stack)):
        items.add_column(column, justify="left" if column == "item" else "right")
    for row in summarize(costs.values()):
        session = sum(i.hourly * per_stack[c.stack] for c in costs.values() for i in c.items
                      if (i.item, i.unit) == (row.item, row.unit))
        items.add_row(row.item, f"{row.quantity:g} {row.unit}", money(row.hourly), money(session))
    console.print(items)
    unpriced = sorted({u for c in costs.values() for u in c.unpriced})
    if unpriced:
        console.print("Not priced (no rule in labctl/analysis/cost.py): " + ", ".join(unpriced))
    console.print(f"On-demand list prices as of {prices.as_of} ({prices.currency}); hourly resources only, "
                  "usage (data processed, transfer, requests) not included. Source: pricing/aws-on-demand.yaml.")


def print_additions(graphs: list[StackGraph], additions: dict[str, float], hours: dict[str, float], console: Console) -> None:
    """What the book's steps add during the session to stacks before their labs' last stage, apart
    from the figures above (which price the stacks as they are deployed). ``hours``: each stack's session."""
    by_lab: dict[str, list[tuple[float, float]]] = {}
    for g in graphs:
        if additions.get(g.stack):
            by_lab.setdefault(labs_text(g), []).append((additions[g.stack], hours[g.stack]))
    for labs, added in sorted(by_lab.items()):
        total = sum(a for a, _ in added)
        each, session = total / len(added), sum(a * h for a, h in added)
        console.print(f"During the session, {labs}: the book's steps add {money(each)}/h per student "
                      f"({money(session / len(added))} per session; {money(total)}/h, {money(session)} per session for the "
                      f"{len(added)} stack(s)), priced as the labs' last stage: not in the figures above", markup=False)


def print_checks(results, console: Console, show_all: bool) -> None:
    """Per stack: paths passed and failed; the failing paths (or all) with the explanation."""
    from collections import defaultdict
    per_stack: dict[str, list] = defaultdict(list)
    for r in results:
        per_stack[r.stack].append(r)
    rows = [r for r in results if show_all or not r.passed]
    if rows:
        table = Table(title="Paths" if show_all else "Paths not as expected", title_justify="left")
        for column in ("stack", "lab (stage)", "path", "expected", "result", "why / what blocks it"):
            table.add_column(column, overflow="fold")
        for r in rows:
            got = "allowed" if r.verdict.allowed else "denied"
            status = "pass" if r.passed else "FAIL"
            detail = r.verdict.reason or r.expect.why
            table.add_row(r.stack, f"{r.lab} ({r.stage})", r.expect.label,
                          "allowed" if r.expect.allowed else "denied", f"{got} {status}", detail)
        console.print(table)
    summary = Table(title="Expected paths", title_justify="left", show_footer=len(per_stack) > 1)
    summary.add_column("stack", footer=f"{len(per_stack)} stacks")
    summary.add_column("paths", justify="right", footer=str(len(results)))
    summary.add_column("passed", justify="right", footer=str(sum(r.passed for r in results)))
    summary.add_column("failed", justify="right", footer=str(sum(not r.passed for r in results)))
    for stack, items in per_stack.items():
        summary.add_row(stack, str(len(items)), str(sum(r.passed for r in items)), str(sum(not r.passed for r in items)))
    console.print(summary)
