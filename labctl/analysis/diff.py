"""Compare two snapshot sets (``labctl plan --snapshots``): what a change does to every stack.

Resources are matched by URN; a resource is changed when its inputs differ (computed values of
the offline cloud follow from inputs; a change its ``ignoreChanges`` hides is none). A changed
resource is updated in place or replaced, as ``pulumi preview`` would say
(``labctl.analysis.replacement``), and what reads a replaced resource's outputs shows as unknown
until the replacement exists. Stacks whose changes have the same shape (same operations on the
same logical resources and properties) are folded into one line: "+2 resources in each of 38 stacks".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from cloudlabs.reading import InputFileError, load_json

from labctl.analysis.replacement import AFTER_REPLACEMENT, CREATE_FIRST, ignored, loses, preview, unknown_paths
from labctl.offline.graph import FORMAT, Resource, StackGraph, document_problems

MISSING = object()
REPLACE, REPLACE_DELETE_FIRST = "+-", "-+"  # create the new one first; delete the old one first
OPS = ("+", "-", "~", REPLACE, REPLACE_DELETE_FIRST)
LEGEND = ("+ create, - delete, ~ update in place, +- replace (the new one is created first), "
          "-+ replace (the old one is deleted first); " + AFTER_REPLACEMENT + ": reads a replaced resource")


class SnapshotError(ValueError):
    pass


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: Any
    new: Any


@dataclass
class ResourceChange:
    op: str  # one of OPS
    type: str
    name: str
    urn: str
    properties: list[PropertyChange] = field(default_factory=list)
    because: tuple[str, ...] = ()  # a replacement: what forces it (and why the old one goes first)

    @property
    def replaced(self) -> bool:
        return self.op in (REPLACE, REPLACE_DELETE_FIRST)

    @property
    def shape(self) -> tuple:
        return (self.op, self.type, self.name, tuple(p.path for p in self.properties), self.because)

    @property
    def loses(self) -> str:
        """What the student loses with it ("a running instance"), when it is replaced or deleted."""
        return loses(self.type) if self.replaced or self.op == "-" else ""


@dataclass
class StackDiff:
    stack: str
    status: str  # added, removed, changed, unchanged
    resources: list[ResourceChange] = field(default_factory=list)
    outputs: list[PropertyChange] = field(default_factory=list)
    student: str = ""  # whom the stack is for (its settings' student), else the stack

    def __post_init__(self) -> None:
        self.student = self.student or self.stack

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"

    def count(self, op: str) -> int:
        if op == REPLACE:  # both kinds of replacement
            return sum(1 for r in self.resources if r.replaced)
        return sum(1 for r in self.resources if r.op == op)

    @property
    def losses(self) -> list[tuple[str, str]]:
        """(what is lost, the resource) for every replaced or deleted resource that holds a student's work."""
        return [(r.loses, f"{r.name} ({'deleted' if r.op == '-' else 'replaced'})") for r in self.resources if r.loses]

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


def _at(value: Any, path: str) -> Any:
    """The value at an input path ("a.b[0]") or None."""
    for key, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        if key:
            value = value.get(key) if isinstance(value, dict) else None
        else:
            value = value[int(index)] if isinstance(value, list) and int(index) < len(value) else None
    return value


def diff_stack(stack: str, base: dict[str, Any] | None, head: dict[str, Any] | None) -> StackDiff:
    old = {r["urn"]: Resource.from_json(r) for r in (base or {}).get("resources", [])}
    new = {r["urn"]: Resource.from_json(r) for r in (head or {}).get("resources", [])}
    changes: dict[str, ResourceChange] = {}
    for urn in sorted(set(old) | set(new)):
        a, b = old.get(urn), new.get(urn)
        if a is None:
            assert b is not None  # the URN came from one side or the other
            changes[urn] = ResourceChange("+", b.type, b.name, urn)
        elif b is None:
            changes[urn] = ResourceChange("-", a.type, a.name, urn)
        elif b.custom:
            props = [p for p in property_changes(a.inputs, b.inputs) if not ignored(b, p.path)]
            if props:
                changes[urn] = ResourceChange("~", b.type, b.name, urn, props)
    head_outputs = (head or {}).get("outputs", {})
    outputs = list(property_changes((base or {}).get("outputs", {}), head_outputs))
    updated = {urn: [p.path for p in c.properties] for urn, c in changes.items() if c.op == "~"}
    if base is not None and head is not None and updated:
        outputs = _preview(base, head, old, new, changes, updated, outputs)
    if base is None:
        status = "added"
    elif head is None:
        status = "removed"
    else:
        status = "changed" if changes or outputs else "unchanged"
    settings = (head or base or {}).get("settings") or {}
    student = f"{settings.get('cohort')}/{settings.get('student')}" if settings.get("student") else stack
    return StackDiff(stack, status, [changes[u] for u in sorted(changes)], outputs, student)


def _preview(base: dict[str, Any], head: dict[str, Any], old: dict[str, Resource], new: dict[str, Resource],
             changes: dict[str, ResourceChange], updated: dict[str, list[str]],
             outputs: list[PropertyChange]) -> list[PropertyChange]:
    """Mark replacements and what becomes unknown with them; returns the stack's output changes."""
    graphs = [StackGraph(d["stack"], d.get("project", ""), d.get("settings", {}), d.get("outputs", {}), list(rs.values()))
              for d, rs in ((base, old), (head, new))]
    seen = preview(graphs[0], graphs[1], updated)
    for urn, paths in seen.unknown_inputs.items():
        b = new[urn]
        change = changes.setdefault(urn, ResourceChange("~", b.type, b.name, urn))
        shown = {p.path: i for i, p in enumerate(change.properties)}
        for path in paths:
            unknown = PropertyChange(path, _at(old[urn].inputs, path), AFTER_REPLACEMENT)
            if path in shown:
                change.properties[shown[path]] = unknown
            else:
                change.properties.append(unknown)
        change.properties.sort(key=lambda p: p.path)
    for urn, replacement in seen.replaced.items():
        change = changes[urn]
        change.op = REPLACE if replacement.mode == CREATE_FIRST else REPLACE_DELETE_FIRST
        change.because = replacement.because + ((f"deleted first: {replacement.mode_because}",) if replacement.mode_because else ())
    if not seen.unknown_values:
        return outputs
    head_outputs = head.get("outputs", {})
    shown_outputs = {p.path: i for i, p in enumerate(outputs)}
    for path in unknown_paths(head_outputs, seen.unknown_values):
        unknown = PropertyChange(path, _at(base.get("outputs", {}), path), AFTER_REPLACEMENT)
        if path in shown_outputs:
            outputs[shown_outputs[path]] = unknown
        else:
            outputs.append(unknown)
    return sorted(outputs, key=lambda p: p.path)


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
            if d.count(REPLACE):
                parts.append(f"{d.count(REPLACE)} replaced")
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


def loss_lines(diffs: list[StackDiff]) -> list[str]:
    """"30 students lose a running instance (vpc-nat-web-dev replaced)": per thing lost, most students first."""
    students: dict[str, set[str]] = {}
    where: dict[str, set[str]] = {}
    for d in diffs:
        for what, name in d.losses:
            students.setdefault(what, set()).add(d.student)
            where.setdefault(what, set()).add(name)
    lines = []
    for what in sorted(students, key=lambda w: (-len(students[w]), w)):
        n = len(students[what])
        names = sorted(where[what])
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        lines.append(f"{n} student{'s' if n != 1 else ''} lose{'s' if n == 1 else ''} {what}: {shown}")
    return lines


def summary_line(diffs: list[StackDiff]) -> str:
    changed = [d for d in diffs if d.changed]
    if not changed:
        return f"No changes in {len(diffs)} stacks."
    total = {op: sum(d.count(op) for d in changed) for op in ("+", "~", REPLACE, "-")}
    return (f"{len(changed)} of {len(diffs)} stacks change: +{total['+']} to add, ~{total['~']} to change, "
            f"+-{total[REPLACE]} to replace, -{total['-']} to remove.")


def group_lines(group: Group, markdown: bool) -> list[str]:
    """One group's example stack, resource by resource (a ```diff block in Markdown)."""
    d = group.example
    lines = []
    if markdown:
        names = ", ".join(s.stack for s in group.stacks)
        lines += [f"<details><summary>{group.headline()}</summary>", "",
                  f"Stacks: {names}" + ("" if len(group.stacks) == 1 else f" (shown: {d.stack})"), "", "```diff"]
    else:
        shown = group.stacks[:8]
        more = f" and {len(group.stacks) - len(shown)} more" if len(group.stacks) > len(shown) else ""
        lines.append(f"{group.headline()}: {', '.join(s.stack for s in shown)}{more}")
    for r in d.resources:
        lines.append(f"{r.op} {r.type} {r.name}" + (" (replace: " + "; ".join(r.because) + ")" if r.because else ""))
        for p in r.properties:
            lines.append(f"    {p.path}: {_value(p.old)} => {_value(p.new)}")
    for p in d.outputs:
        lines.append(f"~ output {p.path}: {_value(p.old)} => {_value(p.new)}")
    if markdown:
        lines += ["```", "", "</details>"]
    return lines


def report_lines(diffs: list[StackDiff], markdown: bool) -> list[str]:
    changed = [d for d in diffs if d.changed]
    groups = fold(diffs)
    lines = []
    if markdown:
        lines.append("## cloudlabs plan diff")
        lines.append("")
    lines.append(summary_line(diffs))
    if not changed:
        return lines
    losses = loss_lines(diffs)
    if losses:
        lines.append("")
        lines += [f"- **{line}**" if markdown else f"! {line}" for line in losses]
    lines.append("")
    for group in groups:
        lines.append(f"- **{group.headline()}**" if markdown else f"* {group.headline()}")
    for group in groups:
        lines.append("")
        lines += group_lines(group, markdown)
    lines.append("")
    lines.append(("_" + LEGEND + "_") if markdown else LEGEND)
    return lines
