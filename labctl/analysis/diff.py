"""Compare two snapshot sets (``labctl plan --snapshots``): what a change does to every stack.

Resources are matched by URN; a resource is changed when its inputs differ (computed values of
the offline cloud follow from inputs). Stacks whose changes have the same shape (same
operations on the same logical resources and properties) are folded into one line:
"+2 resources in each of 38 stacks".
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from cloudlabs.reading import InputFileError, load_json

from labctl.offline.graph import FORMAT, Resource, document_problems

MISSING = object()


class SnapshotError(ValueError):
    pass


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any


@dataclass
class ResourceChange:
    op: str  # "+", "-", "~"
    type: str
    name: str
    urn: str
    properties: list[PropertyChange] = field(default_factory=list)

    @property
    def shape(self) -> tuple:
        return (self.op, self.type, self.name, tuple(p.path for p in self.properties))


@dataclass
class StackDiff:
    stack: str
    status: str  # added, removed, changed, unchanged
    resources: list[ResourceChange] = field(default_factory=list)
    outputs: list[PropertyChange] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"

    def count(self, op: str) -> int:
        return sum(1 for r in self.resources if r.op == op)

    @property
    def shape(self) -> tuple:
        return (self.status, tuple(sorted(r.shape for r in self.resources)), tuple(p.path for p in self.outputs))


def load_snapshots(directory: Path) -> dict[str, dict[str, Any]]:
    if not directory.is_dir():
        raise SnapshotError(f"{directory}: not a directory of snapshots (labctl plan --snapshots DIR)")
    snapshots: dict[str, dict[str, Any]] = {}
    origin: dict[str, Path] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            data = load_json(path, f"{FORMAT} snapshot (labctl plan --snapshots)")
        except InputFileError as err:
            raise SnapshotError(str(err)) from None
        problems = document_problems(data, str(path))
        if problems:
            raise SnapshotError("\n".join(problems))
        if data["stack"] in snapshots:
            raise SnapshotError(f"{path}: stack: {data['stack']!r} is not allowed (also in {origin[data['stack']].name}); "
                                "allowed: each stack once per directory")
        snapshots[data["stack"]] = data
        origin[data["stack"]] = path
    return snapshots


def property_changes(old: Any, new: Any, path: str = "") -> Iterator[PropertyChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            yield from property_changes(old.get(key, MISSING), new.get(key, MISSING), f"{path}.{key}" if path else key)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new)):
            yield from property_changes(a, b, f"{path}[{i}]")
    elif old != new:
        yield PropertyChange(path, None if old is MISSING else old, None if new is MISSING else new)


def diff_stack(stack: str, base: dict[str, Any] | None, head: dict[str, Any] | None) -> StackDiff:
    old = {r["urn"]: Resource.from_json(r) for r in (base or {}).get("resources", [])}
    new = {r["urn"]: Resource.from_json(r) for r in (head or {}).get("resources", [])}
    changes: list[ResourceChange] = []
    for urn in sorted(set(old) | set(new)):
        a, b = old.get(urn), new.get(urn)
        if a is None:
            assert b is not None  # the URN came from one side or the other
            changes.append(ResourceChange("+", b.type, b.name, urn))
        elif b is None:
            changes.append(ResourceChange("-", a.type, a.name, urn))
        elif b.custom:
            props = list(property_changes(a.inputs, b.inputs))
            if props:
                changes.append(ResourceChange("~", b.type, b.name, urn, props))
    outputs = list(property_changes((base or {}).get("outputs", {}), (head or {}).get("outputs", {})))
    if base is None:
        status = "added"
    elif head is None:
        status = "removed"
    else:
        status = "changed" if changes or outputs else "unchanged"
    return StackDiff(stack, status, changes, outputs)


def diff_sets(base: dict[str, dict], head: dict[str, dict]) -> list[StackDiff]:
    return [diff_stack(s, base.get(s), head.get(s)) for s in sorted(set(base) | set(head))]


@dataclass
class Group:
    """Stacks whose changes have one shape, shown through the first of them."""

    stacks: list[StackDiff]

    @property
    def example(self) -> StackDiff:
        return self.stacks[0]

    def headline(self) -> str:
        d = self.example
        if d.status in ("added", "removed"):
            verb = "new stack" if d.status == "added" else "stack removed"
            counted = d.count("+") if d.status == "added" else d.count("-")
            what = f"{verb} ({counted} resources)"
        else:
            parts = [f"{sign}{n} resource{'s' if n != 1 else ''}" for sign, n in
                     (("+", d.count("+")), ("-", d.count("-")), ("~", d.count("~"))) if n]
            if d.outputs:
                parts.append(f"{len(d.outputs)} output change{'s' if len(d.outputs) != 1 else ''}")
            what = ", ".join(parts)
        where = f"in each of {len(self.stacks)} stacks" if len(self.stacks) > 1 else f"in {d.stack}"
        return f"{what} {where}"


def fold(diffs: list[StackDiff]) -> list[Group]:
    groups: dict[tuple, Group] = {}
    for d in diffs:
        if d.changed:
            groups.setdefault(d.shape, Group([])).stacks.append(d)
    return sorted(groups.values(), key=lambda g: (-len(g.stacks), g.example.stack))


def _value(value: Any) -> str:
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    text = text.replace("\n", "⏎")
    return text if len(text) <= 80 else text[:77] + "..."


def report_lines(diffs: list[StackDiff], markdown: bool) -> list[str]:
    changed = [d for d in diffs if d.changed]
    groups = fold(diffs)
    lines = []
    if markdown:
        lines.append("## cloudlabs plan diff")
        lines.append("")
    if not changed:
        lines.append(f"No changes in {len(diffs)} stacks.")
        return lines
    total = {op: sum(d.count(op) for d in changed) for op in "+-~"}
    lines.append(f"{len(changed)} of {len(diffs)} stacks change: +{total['+']} to add, ~{total['~']} to change, "
                 f"-{total['-']} to remove.")
    lines.append("")
    for group in groups:
        lines.append(f"- **{group.headline()}**" if markdown else f"* {group.headline()}")
    for group in groups:
        d = group.example
        lines.append("")
        names = ", ".join(s.stack for s in group.stacks)
        if markdown:
            lines.append(f"<details><summary>{group.headline()}</summary>")
            lines.append("")
            lines.append(f"Stacks: {names}" + ("" if len(group.stacks) == 1 else f" (shown: {d.stack})"))
            lines.append("")
            lines.append("```diff")
        else:
            shown = group.stacks[:8]
            more = f" and {len(group.stacks) - len(shown)} more" if len(group.stacks) > len(shown) else ""
            lines.append(f"{group.headline()}: {', '.join(s.stack for s in shown)}{more}")
        for r in d.resources:
            lines.append(f"{r.op} {r.type} {r.name}")
            for p in r.properties:
                lines.append(f"    {p.path}: {_value(p.old)} => {_value(p.new)}")
        for p in d.outputs:
            lines.append(f"~ output {p.path}: {_value(p.old)} => {_value(p.new)}")
        if markdown:
            lines.append("```")
            lines.append("")
            lines.append("</details>")
    return lines
