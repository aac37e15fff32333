"""The CloudFormation facet's common parts: a record's ``template`` says which CloudFormation resource
makes the same API call as the kind, and how the Pulumi resource's inputs become its Properties
(``labctl.analysis.cfn`` builds the template, resolves references, folds and checks it against
AWS's resource schemas).

A ``Template``'s ``properties(b, r)`` gets the consumer's builder ``b`` (``b.ref(value)``: a value
another resource of the graph produces, an id, ARN or name, as the ``Ref``/``Fn::GetAtt`` to it)
and the rendered resource ``r`` (``r.inputs``, ``r.outputs``); ``None`` and empty values are left
out of the template. ``renamed`` is the common shape (the properties are the inputs renamed);
``folded`` is a kind CloudFormation models as a property of another resource (a bucket's CORS
rules, a role's managed policies).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from labctl.kinds.shared import FieldMap


class Builder(Protocol):
    def ref(self, value: Any) -> Any: ...


Properties = Callable[[Builder, Any], Any]  # (builder, rendered resource) -> Properties (a folded kind's: its value)


@dataclass(frozen=True)
class Companion:
    """A second CloudFormation resource the Pulumi resource stands for when one of its inputs is set
    (a VPC's IPv6 block, an internet gateway's attachment)."""

    when: str  # the input that makes it
    suffix: str  # appended to the resource's logical id
    type: str
    properties: Callable[[Builder, Any, dict[str, Any]], dict[str, Any]]  # (b, r, the Ref to the resource itself)


@dataclass(frozen=True)
class Fold:
    """Where a folded kind goes: a property of the resource one of its inputs names."""

    into: str  # that resource's type token (translated before the kinds folded into it)
    by: str  # the input naming it
    prop: str  # the property the kind becomes
    item: bool = False  # one item of that property's list (a group's targets), not its whole value


@dataclass(frozen=True)
class Alias:
    """A value other resources name the resource by, besides its id, ARN and name."""

    input: str = ""  # the input holding it, or
    output: str = ""  # the output holding it
    attribute: str = ""  # the Fn::GetAtt attribute it is; empty: the Ref

    def value(self, r: Any) -> Any:
        return r.inputs.get(self.input) if self.input else r.outputs.get(self.output)


@dataclass(frozen=True)
class Template:
    type: str  # the CloudFormation resource type, e.g. AWS::EC2::VPC; empty for a folded kind
    properties: Properties
    companions: tuple[Companion, ...] = ()
    fold: Fold | None = None  # set: a property of another resource, not a resource of its own
    referenced: bool = True  # others name it by its id, ARN or name (False: nothing does; its id may be another's)
    aliases: tuple[Alias, ...] = ()


def renamed_properties(b: Builder, r: Any, mapping: Mapping[str, str] | FieldMap, own: tuple[str, ...] = ()) -> dict[str, Any]:
    """The inputs of ``mapping`` by CloudFormation's names, references resolved except in ``own``."""
    names = mapping.names if isinstance(mapping, FieldMap) else mapping
    return {cfn: r.inputs.get(key) if key in own else b.ref(r.inputs.get(key)) for key, cfn in names.items()}


def renamed(cfn_type: str, mapping: Mapping[str, str] | FieldMap, tags: bool = True, own: tuple[str, ...] = (), **rest: Any) -> Template:
    """A resource whose properties are its inputs renamed (references resolved, except in ``own``:
    the resource's own name is not a reference to itself), with its tags unless CloudFormation's
    type takes none."""
    def properties(b: Builder, r: Any) -> dict[str, Any]:
        props = renamed_properties(b, r, mapping, own)
        if tags:
            props["Tags"] = tag_list(r.inputs.get("tags"))
        return props
    return Template(cfn_type, properties, **rest)


def folded(into: str, by: str, prop: str, value: Properties, item: bool = False) -> Template:
    return Template("", value, fold=Fold(into, by, prop, item), referenced=False)


def tag_list(tags: Any) -> list[dict[str, Any]] | None:
    """Pulumi's tags (a mapping) as CloudFormation's [{Key, Value}]."""
    if not isinstance(tags, dict) or not tags:
        return None
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def document(value: Any) -> Any:
    """Pulumi passes policies and container definitions as JSON text; CloudFormation takes the document."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def boolean(value: Any) -> Any:
    """Pulumi's AWS provider keeps some booleans as strings ("true") in launch templates."""
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def number_text(value: Any) -> str | None:
    """CloudFormation takes some numbers as strings (an Auto Scaling group's sizes, a database's storage)."""
    return None if value is None else str(value)
