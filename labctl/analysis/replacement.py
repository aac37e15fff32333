"""Which changed resources a real ``pulumi up`` replaces, and what becomes unknown with them.

A change to a resource is an update in place unless something says it needs a new one. What says
so, in the order ``pulumi preview`` hears it:
- AWS's own resource schema: a changed ``createOnlyProperties`` entry of the CloudFormation type the
  resource translates to (``labctl.analysis.cfn``; cfn-lint ships the schemas), less what the
  provider updates in place all the same (the kind's ``Replaces.updatable``); tags never replace;
- the kind's record (``labctl.kinds.replacing``): inputs the provider replaces on beside the schema,
  and replace-on-change arguments (``user_data_replace_on_change``);
- the resource options the program set: ``replaceOnChanges``; ``ignoreChanges`` hides a change.
A replacement creates the new resource before deleting the old one unless the program set
``deleteBeforeReplace`` or named it where Pulumi would have generated the name (two cannot share it).

A replaced resource's outputs (its id, ARN, addresses) are unknown until the new one exists, and so
is every input of another resource that reads them, and every stack output that shows them: an
input that decides its resource's identity (a create-only property referring to it) replaces that
resource in turn.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterator, Mapping, Sequence

from labctl import kinds
from labctl.analysis import cfn
from labctl.kinds.replacing import ANY
from labctl.offline.graph import Resource, StackGraph

CREATE_FIRST = "create-before-delete"
DELETE_FIRST = "delete-before-create"
AFTER_REPLACEMENT = "[known after replacement]"  # a value that reads a replaced resource's outputs
TAGS = ("tags", "tagsAll", "Tags")
_MIN_IDENTITY = 7  # shorter computed strings ("true", "default", a zone letter) identify nothing


@dataclass(frozen=True)
class Replacement:
    mode: str  # CREATE_FIRST or DELETE_FIRST
    because: tuple[str, ...]  # what forces it, e.g. "userData (userDataReplaceOnChange)"
    mode_because: str = ""  # why the old one goes first, where it does


@dataclass
class Preview:
    """What ``pulumi preview`` would show beyond the inputs' own differences."""

    replaced: dict[str, Replacement] = field(default_factory=dict)  # URN -> why
    unknown_inputs: dict[str, list[str]] = field(default_factory=dict)  # URN -> input paths reading a replaced resource
    unknown_values: set[str] = field(default_factory=set)  # outputs of replaced resources: unknown until they exist

    def mentions_unknown(self, text: str) -> bool:
        return any(_mentions(text, v) for v in self.unknown_values)


@lru_cache(maxsize=None)
def create_only(cfn_type: str) -> tuple[tuple[str, ...], ...]:
    """The CloudFormation type's create-only properties, as paths below ``Properties`` (cfn-lint's copy
    of the registry schema; us-east-1's, which every region's schema agrees with for these types)."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER  # imported on first use: cfn-lint is large

    schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", cfn_type).schema
    paths = []
    for pointer in schema.get("createOnlyProperties", []):
        parts = pointer.split("/")[2:]  # "/properties/A/B" -> ("A", "B")
        if parts:
            paths.append(tuple(parts))
    return tuple(paths)


def _get(value: Any, parts: Sequence[str]) -> Any:
    for part in parts:
        if part == "*":
            return value  # below a list: the whole list decides
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _matches(path: str, entry: str) -> bool:
    """Whether the changed input ``path`` ("a.b[0]") is ``entry`` or below it (Pulumi's property paths)."""
    return entry == "*" or path == entry or path.startswith(entry + ".") or path.startswith(entry + "[")


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _mentions(text: str, value: str) -> bool:
    """``value`` appears in ``text`` as a whole token (10.1.2.7 is not in 10.1.2.76)."""
    start = text.find(value)
    while start != -1:
        before = text[start - 1] if start else " "
        end = start + len(value)
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before in ".-_") and not (after.isalnum() or after in ".-_"):
            return True
        start = text.find(value, start + 1)
    return False


def unknown_paths(value: Any, values: set[str], path: str = "") -> Iterator[str]:
    """Paths below ``value`` whose strings show one of ``values``."""
    if isinstance(value, str):
        if any(_mentions(value, v) for v in values):
            yield path
    elif isinstance(value, dict):
        for key in sorted(value):
            yield from unknown_paths(value[key], values, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from unknown_paths(item, values, f"{path}[{i}]")


def effective_head(base: StackGraph, head: StackGraph) -> StackGraph:
    """The head as the engine compares it: each ``ignoreChanges`` input keeps its old value."""
    old = {r.urn: r for r in base.resources}
    resources = []
    for r in head.resources:
        before = old.get(r.urn)
        if r.ignore_changes and before is not None:
            r = copy.copy(r)
            r.inputs = dict(r.inputs)
            for key in r.ignore_changes:
                top = _top(key)
                if top in before.inputs:
                    r.inputs[top] = before.inputs[top]
                else:
                    r.inputs.pop(top, None)
        resources.append(r)
    return StackGraph(head.stack, head.project, head.settings, head.outputs, resources)


class _Templates:
    """One stack's CloudFormation translation: each resource's own CloudFormation resource."""

    def __init__(self, graph: StackGraph):
        try:
            translation: cfn.Translation | None = cfn.translate(graph)
        except (KeyError, ValueError, TypeError):  # a graph the translation cannot read: the records alone decide
            translation = None
        self.primary: dict[str, tuple[str, dict[str, Any]]] = {}  # URN -> (logical id, resource)
        if translation is None:
            return
        resources = translation.template["Resources"]
        for lid in sorted(translation.logical, key=len):  # the resource's own id is the shortest; companions add a suffix
            urn = translation.logical[lid]
            if urn not in self.primary:
                self.primary[urn] = (lid, resources[lid])

    def of(self, urn: str) -> tuple[str, str, dict[str, Any]] | None:
        found = self.primary.get(urn)
        if found is None:
            return None
        lid, resource = found
        return lid, resource["Type"], resource.get("Properties", {})


def _refers_to(value: Any, lids: set[str]) -> bool:
    if isinstance(value, dict):
        ref = value.get("Ref")
        att = value.get("Fn::GetAtt")
        if ref in lids or (isinstance(att, list) and att and att[0] in lids):
            return True
        return any(_refers_to(v, lids) for v in value.values())
    if isinstance(value, list):
        return any(_refers_to(v, lids) for v in value)
    return False


class _Previewer:
    def __init__(self, base: StackGraph, head: StackGraph):
        self.base, self.head = base, effective_head(base, head)
        self.old = {r.urn: r for r in base.custom_resources}
        self.new = {r.urn: r for r in self.head.custom_resources}
        self.old_cfn, self.new_cfn = _Templates(base), _Templates(self.head)
        self.result = Preview()
        self._lids: dict[str, str] = {}

    # --- what forces a replacement -------------------------------------------------------------

    def record_reasons(self, r: Resource, paths: Sequence[str]) -> list[str]:
        """Reasons from the kind's record and the resource options, for changed input ``paths``."""
        reasons: list[str] = []
        record = kinds.kind(r.type)
        rep = record.replaces if record else None
        if record is not None and rep is not None:
            for p in paths:
                if _top(p) in TAGS:  # tags change in place everywhere (the program's replaceOnChanges may say otherwise)
                    continue
                if ANY in rep.inputs or _top(p) in rep.inputs:
                    reasons.append(f"{p} ({rep.source})" if ANY in rep.inputs else f"{p} (forces a new {record.label})")
                elif rep.flag and r.inputs.get(rep.flag) and _top(p) in rep.flagged:
                    reasons.append(f"{p} ({rep.flag})")
        for p in paths:
            hit = next((e for e in r.replace_on_changes if _matches(p, e)), None)
            if hit is not None:
                reasons.append(f"{p} (replaceOnChanges: {hit})")
        return reasons

    def schema_reasons(self, urn: str, replaced_lids: set[str] | None = None) -> list[str]:
        """Create-only properties that differ (or, with ``replaced_lids``, that refer to a replaced resource)."""
        new = self.new_cfn.of(urn)
        old = self.old_cfn.of(urn)
        if new is None or old is None or old[1] != new[1]:
            return []
        record = kinds.kind(self.new[urn].type)
        updatable = set(record.replaces.updatable) if record and record.replaces else set()
        reasons = []
        for parts in create_only(new[1]):
            if parts[0] in updatable or parts[0] in TAGS:
                continue
            before, after = _get(old[2], parts), _get(new[2], parts)
            name = "/".join(p for p in parts if p != "*")
            if replaced_lids is None:
                if before != after:
                    reasons.append(f"{name} (create-only in {new[1]})")
            elif after is not None and _refers_to(after, replaced_lids):
                reasons.append(f"{name} (create-only in {new[1]}) reads a replaced resource")
        return reasons

    def replace(self, urn: str, because: list[str]) -> None:
        r = self.new[urn]
        record = kinds.kind(r.type)
        rep = record.replaces if record else None
        mode, why = CREATE_FIRST, ""
        if r.delete_before_replace:
            mode, why = DELETE_FIRST, "deleteBeforeReplace"
        elif rep is not None and rep.autoname and r.inputs.get(rep.autoname) not in (None, ""):
            mode, why = DELETE_FIRST, f"{rep.autoname} is set by the program ({rep.source})"
        self.result.replaced[urn] = Replacement(mode, tuple(dict.fromkeys(because)), why)

    # --- what becomes unknown ------------------------------------------------------------------

    def dependents(self, urn: str) -> set[str]:
        """Resources that depend on ``urn``, directly or through others."""
        found: set[str] = set()
        todo = [urn]
        while todo:
            current = todo.pop()
            for r in self.head.resources:
                if r.urn not in found and (current in r.dependencies or r.parent == current
                                           or any(current in v for v in r.property_dependencies.values())):
                    found.add(r.urn)
                    todo.append(r.urn)
        return found

    def identities(self, urn: str) -> set[str]:
        """Computed strings of the replaced resource that nothing independent of it also holds: its id,
        ARN, addresses and DNS names (not its zone, its account, a state every resource reports)."""
        r = self.new[urn]
        candidates = {s for s in _strings(r.outputs) if len(s) >= _MIN_IDENTITY} | ({r.id} if r.id else set())
        mine = self.dependents(urn) | {urn}
        for other in self.head.custom_resources:  # components only echo their children's outputs
            if other.urn in mine:
                continue
            candidates -= set(_strings(other.inputs)) | set(_strings(other.outputs)) | ({other.id} if other.id else set())
            if not candidates:
                break
        return candidates

    def propagate(self, urn: str) -> list[str]:
        """Mark what reads the replaced ``urn``; returns the resources that are replaced in turn."""
        values = self.identities(urn)
        self.result.unknown_values |= values
        lid = self._lid(urn)
        more = []
        for d in self.head.custom_resources:
            if d.urn == urn or d.urn not in self.old:
                continue
            reads = [k for k, deps in d.property_dependencies.items() if urn in deps] or (
                list(d.inputs) if urn in d.dependencies and not d.property_dependencies else [])
            paths = [p for k in sorted(reads) if k in d.inputs for p in unknown_paths(d.inputs[k], values, k)]
            if not paths:
                continue
            known = self.result.unknown_inputs.setdefault(d.urn, [])
            known += [p for p in paths if p not in known]
            if d.urn in self.result.replaced:
                continue
            reasons = [f"{r}, which reads {self.new[urn].name}" for r in self.record_reasons(d, paths)]
            if lid:
                reasons += [f"{r}: {self.new[urn].name}" for r in self.schema_reasons(d.urn, {lid})]
            if reasons:
                self.replace(d.urn, reasons)
                more.append(d.urn)
        return more

    def _lid(self, urn: str) -> str:
        found = self.new_cfn.of(urn)
        return found[0] if found else ""

    def run(self, changes: Mapping[str, Sequence[str]]) -> Preview:
        todo = []
        for urn in sorted(changes):
            if urn not in self.old or urn not in self.new:
                continue
            because = self.record_reasons(self.new[urn], changes[urn]) + self.schema_reasons(urn)
            if because:
                self.replace(urn, because)
                todo.append(urn)
        while todo:
            todo = [more for urn in todo for more in self.propagate(urn)]
        return self.result


def preview(base: StackGraph, head: StackGraph, changes: Mapping[str, Sequence[str]]) -> Preview:
    """What replaces and what becomes unknown when ``base`` becomes ``head``; ``changes``: each changed
    resource's changed input paths (``ignoreChanges`` already left out)."""
    return _Previewer(base, head).run(changes)


def ignored(r: Resource, path: str) -> bool:
    """Whether the resource's ``ignoreChanges`` hides a change to ``path``."""
    return any(_matches(path, entry) for entry in r.ignore_changes)


def loses(type_token: str) -> str:
    """What a student loses when a resource of the type is replaced or deleted ("" for nothing)."""
    record = kinds.kind(type_token)
    return record.replaces.loses if record and record.replaces else ""
