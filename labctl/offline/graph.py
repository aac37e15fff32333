"""The rendered resource graph as plain data, and its JSON format.

Format ``cloudlabs.graph/v1`` (one document per stack; ``plan --json`` writes a list of them):

    {
      "format": "cloudlabs.graph/v1",
      "stack": "demo-s01", "project": "cloudlabs",
      "settings": {cohort, student, seat, region, profile, adminCidr, instanceType, keyName,
                   expires, sessionHours, sessions, labs: [{lab, stage, options}]},
                  (sessionHours and sessions resolved: the stack's, else its profile's; snapshots
                  written before they were added lack them)
      "outputs": {stack outputs},
      "resources": [                       # sorted by URN
        {"urn", "type", "name", "parent" (URN or null), "custom" (false for components),
         "id" (null for components), "inputs" (what the program asked for),
         "outputs" (what the cloud computed; component outputs for components),
         "dependencies": [URN...], "propertyDependencies": {input: [URN...]},
         and, only where the program set them, the resource options "ignoreChanges": [input...],
         "replaceOnChanges": [input...], "deleteBeforeReplace": true}
      ]
    }

Secret values appear as "[secret]"; keys are sorted and there are no timestamps, so the same
program and settings always give byte-identical JSON (fit for snapshots and diffs).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterator

from google.protobuf import json_format, struct_pb2
from pydantic import BaseModel, ConfigDict, Field, ValidationError

FORMAT = "cloudlabs.graph/v1"
SECRET = "[secret]"
UNKNOWN = "[unknown]"

_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
_ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7"
_OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def plain(struct: struct_pb2.Struct) -> dict[str, Any]:
    """A Pulumi property struct as plain JSON data: secrets redacted, references as URNs.

    The same as ``_clean(json_format.MessageToDict(struct))`` (which it falls back to for
    signature objects and non-finite numbers), in one pass over the struct: the recorder calls
    it for every resource's inputs and outputs."""
    fields = struct.fields
    if _SIG in fields:
        return _clean(json_format.MessageToDict(struct))
    return {key: _plain_value(value) for key, value in fields.items()}


def _plain_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return UNKNOWN if text == _UNKNOWN_VALUE else text
    if kind == "struct_value":
        return plain(value.struct_value)
    if kind == "list_value":
        return [_plain_value(item) for item in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if not math.isfinite(number):
            return _clean(json_format.MessageToDict(value))  # raises as MessageToDict does
        return int(number) if number.is_integer() else number
    return None  # null_value, or no value set


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET_SIG:
            return SECRET
        if sig == _RESOURCE_SIG:
            return value.get("urn")
        if sig in (_ASSET_SIG, _ARCHIVE_SIG):
            return {k: _clean(v) for k, v in value.items() if k != _SIG}
        if sig == _OUTPUT_SIG:
            if value.get("secret"):
                return SECRET
            return _clean(value["value"]) if "value" in value else UNKNOWN
        return {k: _clean(v) for k, v in value.items()}
    if value == _UNKNOWN_VALUE:
        return UNKNOWN
    return value


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any] = field(default_factory=dict)
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)  # the resource option, as the engine sees it
    replace_on_changes: list[str] = field(default_factory=list)  # the resource option: inputs whose change replaces it
    delete_before_replace: bool = False  # the resource option: a replacement deletes the old one first

    def to_json(self) -> dict[str, Any]:
        data = {
            "urn": self.urn, "type": self.type, "name": self.name, "parent": self.parent,
            "custom": self.custom, "id": self.id, "inputs": self.inputs, "outputs": self.outputs,
            "dependencies": sorted(self.dependencies),
            "propertyDependencies": {k: sorted(v) for k, v in sorted(self.property_dependencies.items()) if v},
        }
        if self.ignore_changes:  # only where set: snapshots of other resources stay as they were
            data["ignoreChanges"] = sorted(self.ignore_changes)
        if self.replace_on_changes:
            data["replaceOnChanges"] = sorted(self.replace_on_changes)
        if self.delete_before_replace:
            data["deleteBeforeReplace"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Resource":
        return cls(data["urn"], data["type"], data["name"], data["parent"], data["custom"], data["id"],
                   data["inputs"], data["outputs"], data["dependencies"], data["propertyDependencies"],
                   list(data.get("ignoreChanges", [])), list(data.get("replaceOnChanges", [])),
                   bool(data.get("deleteBeforeReplace", False)))


@dataclass
class StackGraph:
    stack: str
    project: str
    settings: dict[str, Any]
    outputs: dict[str, Any]
    resources: list[Resource]

    def __post_init__(self) -> None:
        self.resources.sort(key=lambda r: r.urn)
        self._by_urn = {r.urn: r for r in self.resources}

    # --- queries used by tests, plan and later by diff/cost/checks --------------------------

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def __getitem__(self, urn: str) -> Resource:
        return self._by_urn[urn]

    @property
    def custom_resources(self) -> list[Resource]:
        return [r for r in self.resources if r.custom]

    def of_type(self, type_token: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str, type_token: str | None = None) -> Resource:
        """The one resource with this logical name (and type: a component and its main child
        often share a name)."""
        matches = [r for r in self.resources if r.name == name and (type_token is None or r.type == type_token)]
        if len(matches) != 1:
            raise KeyError(f"{len(matches)} resources named {name!r} in {self.stack}")
        return matches[0]

    def by_id(self, resource_id: str) -> Resource:
        for r in self.resources:
            if r.id == resource_id:
                return r
        raise KeyError(f"no resource with id {resource_id!r} in {self.stack}")

    def children(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]

    def type_counts(self) -> Counter[str]:
        return Counter(r.type for r in self.custom_resources)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "stack": self.stack,
            "project": self.project,
            "settings": self.settings,
            "outputs": self.outputs,
            "resources": [r.to_json() for r in self.resources],
        }

    def dumps(self) -> str:
        return dumps(self.to_json())

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StackGraph":
        if data.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document (format: {data.get('format')!r})")
        return cls(data["stack"], data["project"], data["settings"], data["outputs"],
                   [Resource.from_json(r) for r in data["resources"]])


def dumps(data: Any) -> str:
    """Stable JSON: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


# --- the document's shape, checked when a snapshot is read back ----------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", populate_by_name=True)


class ResourceDocument(_Strict):
    urn: str = Field(pattern=r"^urn:pulumi:")
    type: str
    name: str
    parent: str | None
    custom: bool
    id: str | None
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str]
    property_dependencies: dict[str, list[str]] = Field(alias="propertyDependencies")
    ignore_changes: list[str] = Field(default_factory=list, alias="ignoreChanges")
    replace_on_changes: list[str] = Field(default_factory=list, alias="replaceOnChanges")
    delete_before_replace: bool = Field(default=False, alias="deleteBeforeReplace")


class SettingsDocument(BaseModel):
    """The stack's settings as the graph records them: free-form but for the session, which the
    review prices a change over (optional: older snapshots lack it)."""
    model_config = ConfigDict(strict=True, extra="allow", populate_by_name=True)
    session_hours: float | None = Field(default=None, gt=0, alias="sessionHours")
    sessions: int | None = Field(default=None, ge=1)


class GraphDocument(_Strict):
    format: str
    stack: str = Field(min_length=1)
    project: str
    settings: SettingsDocument
    outputs: dict[str, Any]
    resources: list[ResourceDocument]


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of one cloudlabs.graph/v1 document (`labctl schema`)."""
    schema = GraphDocument.model_json_schema(by_alias=True)
    schema["$id"] = "https://cloudlabs.example/schemas/graph-v1.json"
    schema["title"] = FORMAT
    schema["properties"]["format"]["const"] = FORMAT
    return schema


def document_problems(data: Any, source: str) -> list[str]:
    """What is wrong with a cloudlabs.graph/v1 document read back from a file: one line per
    problem naming the file, the key (``resources[3].custom``), the value and what is allowed."""
    from cloudlabs.reading import dotted, show

    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else None
        return [f"{source}: format: {found!r} is not allowed; allowed: {FORMAT} (labctl plan --snapshots)"]
    try:
        GraphDocument.model_validate(data)
    except ValidationError as err:
        return [f"{source}: {dotted(tuple(e['loc']))}: "
                + ("missing" if e["type"] == "missing" else f"{show(e['input'])} is not allowed")
                + f"; allowed: {e['msg'][0].lower() + e['msg'][1:]} ({FORMAT}, as labctl plan --snapshots writes it)"
                for e in err.errors(include_url=False)[:5]]
    return []
