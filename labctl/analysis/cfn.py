"""A rendered stack graph as the equivalent CloudFormation template, so that AWS's own resource
schemas (the CloudFormation registry schemas cfn-lint ships) can check its values.

Each Pulumi resource becomes the CloudFormation resource that makes the same API call; ids,
ARNs and names that the graph's resources produce become ``Ref``/``Fn::GetAtt`` to them, so
cross-property rules (a subnet inside its VPC, an ALB over two zones) see the real structure.
Resources that CloudFormation models as properties of another resource (a bucket's CORS rules,
a target group's targets) are folded into it. Types with no CloudFormation counterpart are
listed in :data:`NOT_VALIDATED` with the reason, never passed silently as clean.

What each type becomes is its record's ``template`` (``labctl.kinds``, ``labctl.kinds.templates``);
this module is the machinery: logical ids, references, folding, the order, the clean-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from labctl import kinds
from labctl.kinds.templates import Template
from labctl.offline.graph import Resource, StackGraph

Document = dict[str, Any]  # a CloudFormation template

# Pulumi types with no CloudFormation resource of their own, and why.
NOT_VALIDATED: dict[str, str] = {token: k.no_template for token, k in kinds.KINDS.items() if k.no_template}  # with the reason


# The records' translations, by type (a derived view: the records hold them).
TRANSLATIONS: dict[str, Template] = {token: k.template for token, k in kinds.KINDS.items() if k.template}
# Resources others fold into must exist first: translate them before the rest.
_FIRST = frozenset(t.fold.into for t in TRANSLATIONS.values() if t.fold)


@dataclass
class Translation:
    template: Document
    logical: dict[str, str] = field(default_factory=dict)  # logical id -> Pulumi URN
    folded: dict[tuple[str, str], str] = field(default_factory=dict)  # (logical id, top property) -> URN
    not_validated: list[Resource] = field(default_factory=list)

    def urn_of(self, logical_id: str, prop: str | None) -> str | None:
        return self.folded.get((logical_id, prop or "")) or self.logical.get(logical_id)


def logical_id(name: str) -> str:
    """CloudFormation logical ids are alphanumeric: 'vpc-nat-vpc-a-igw' -> 'VpcNatVpcAIgw'."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part) or "Resource"


def _reference(lid: str, attribute: str = "") -> dict[str, Any]:
    return {"Fn::GetAtt": [lid, attribute]} if attribute else {"Ref": lid}


class _Builder:
    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.out = Translation({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})
        self.refs: dict[str, Any] = {}  # a value a resource produces -> Ref/GetAtt
        self.ids: dict[str, str] = {}  # URN -> logical id
        used: set[str] = set()
        for r in graph.custom_resources:
            base = logical_id(r.name)
            lid, n = base, 2
            while lid in used:
                lid, n = f"{base}{n}", n + 1
            used.add(lid)
            self.ids[r.urn] = lid
            template = TRANSLATIONS.get(r.type)
            if template is not None:  # a type with no CloudFormation resource is no reference
                self._register_refs(r, lid, template)

    def _register_refs(self, r: Resource, lid: str, template: Template) -> None:
        if template.referenced:
            self._register_id_arn_name(r, lid)
        for alias in template.aliases:
            if value := alias.value(r):
                self.refs[value] = _reference(lid, alias.attribute)

    def _register_id_arn_name(self, r: Resource, lid: str) -> None:
        """Its id is its Ref; its ARN and name, where another resource has not claimed them first."""
        if r.id:
            self.refs[r.id] = _reference(lid)
        for key, attr in (("arn", "Arn"), ("name", "Name")):
            value = r.outputs.get(key)
            if isinstance(value, str) and value not in self.refs:
                self.refs[value] = _reference(lid, "" if value == r.id else attr)

    def ref(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.refs.get(value, value)
        if isinstance(value, list):
            return [self.ref(v) for v in value]
        return value

    def add(self, r: Resource, cfn_type: str, props: dict[str, Any], suffix: str = "") -> str:
        lid = self.ids[r.urn] + suffix
        clean = {k: v for k, v in props.items() if v is not None and v != [] and v != {}}
        self.out.template["Resources"][lid] = {"Type": cfn_type, "Properties": clean}
        self.out.logical[lid] = r.urn
        return lid

    def build(self, r: Resource, template: Template) -> None:
        """The resource as its template says: a resource of its own (and its companions), or folded
        into the one it names."""
        if template.fold is not None:
            put = self.fold_item if template.fold.item else self.fold
            put(r, r.inputs.get(template.fold.by), template.fold.prop, template.properties(self, r))
            return
        lid = self.add(r, template.type, template.properties(self, r))
        for companion in template.companions:
            if r.inputs.get(companion.when):
                self.add(r, companion.type, companion.properties(self, r, {"Ref": lid}), companion.suffix)

    def _folded_into(self, r: Resource, target: Any, prop: str) -> tuple[str, dict[str, Any]]:
        """The logical id and properties of the resource ``target`` refers to."""
        ref = self.ref(target)
        lid = ref.get("Ref") if isinstance(ref, dict) else None
        resources = self.out.template["Resources"]
        if lid is None or lid not in resources:
            raise KeyError(f"{r.name}: {prop} for a resource that is not in the graph ({target!r})")
        return lid, resources[lid]["Properties"]

    def fold(self, r: Resource, target: Any, prop: str, value: Any) -> None:
        """Put ``value`` into the resource ``target`` (a value that refers to it) as ``prop``."""
        lid, properties = self._folded_into(r, target, prop)
        properties[prop] = value
        self.out.folded[(lid, prop)] = r.urn

    def fold_item(self, r: Resource, target: Any, prop: str, item: Any) -> None:
        """Append ``item`` to the list ``prop`` of the resource ``target`` (a group's targets, a
        role's managed policies); a finding on the list names the first resource folded in."""
        lid, properties = self._folded_into(r, target, prop)
        properties.setdefault(prop, []).append(item)
        self.out.folded.setdefault((lid, prop), r.urn)


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


class UnmappedTypeError(KeyError):
    """A resource type with neither a translation nor a 'not validated' reason."""


def translate(graph: StackGraph) -> Translation:
    b = _Builder(graph)
    resources = sorted(graph.custom_resources, key=lambda r: (r.type not in _FIRST, r.urn))
    for r in resources:
        if r.type in NOT_VALIDATED:
            b.out.not_validated.append(r)
            continue
        template = TRANSLATIONS.get(r.type)
        if template is None:
            raise UnmappedTypeError(f"{graph.stack}: {r.name} ({r.type}) has no CloudFormation translation; give its "
                                    "record (labctl/kinds) a template, or a no_template reason")
        b.build(r, template)
    b.out.template["Resources"] = {k: _prune(v) for k, v in b.out.template["Resources"].items()}
    return b.out
