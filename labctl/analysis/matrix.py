"""The validation matrix (issue 26): every lab x stage x option value x stack profile, derived from
the code, never from a list someone keeps.

- Labs and their stages: ``cloudlabs.catalog.LABS``.
- Option values: read from each lab's options model (``LabOptions`` field annotations): each member
  of a ``Literal`` or an enum, both booleans, a bounded int's bounds and default, ``None`` and the
  field's own ``examples`` for an optional value, and for a tuple of a ``Literal`` (the ``parts``
  lists): the default, each part alone, and each part with as many others as the model accepts
  (greedy, in the ``Literal``'s order). A field of any other type is an error (``MatrixError``): a
  new kind of option must say here how its values are chosen, never be skipped in silence.
- Option sets: the product of every field's values within a lab (the labs have 1-3 options, so the
  product stays small); a set the model refuses is kept as a refused cell with the model's words.
- Stack settings: every profile of ``profiles/*.yaml`` x the key pair (``cloudlabs:keyName`` set or
  not), always with the longest ids the settings parser accepts (cohort, student, key name), which
  make the longest names AWS must accept (load balancer 32, bucket 63, tag 256 characters...).

Covering design (the tests' matrix; ``derive(full=True)`` is the product, for the benchmark):
chosen greedily, the cell meeting the most unmet needs first, until each lab has every accepted
option set once (at any stage, the last first) and every stack setting once, and at every stage
every option value (every part of a list) has met every profile and both key settings, or only
cells the settings refuse would meet it (``key: existing`` without a key pair: kept as refused).
Why it catches what the product would: a profile or the key changes a graph per resource (IAM roles
made or the account's, Name tags prefixed or not, KeyName on instances), whichever other options
are set, so each option value under each of them exercises those changes; the options' interactions
are the option sets, each rendered whole; the ids are the longest everywhere (short ids only make
shorter names). The covering design is about a quarter of the product (see the benchmark).
"""

from __future__ import annotations

import enum
import itertools
import json
import types
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

from annotated_types import Ge, Le
from pydantic import ValidationError
from pydantic.fields import FieldInfo

from cloudlabs.catalog import LABS
from cloudlabs.lab import LabOptions
from cloudlabs.profiles import Profile, load_profile, profile_names
from cloudlabs.settings import DEFAULT_INSTANCE_TYPE, SettingsError, StackSettings, parse_settings
from labctl.offline.graph import StackGraph
from labctl.offline.render import render

SOURCE = "matrix"  # what a refusal's message names as its file
EXPIRES = "2026-12-19"
ADMIN_CIDR = "203.0.113.0/24"


class MatrixError(ValueError):
    """An option whose values the matrix cannot derive (a type it does not know, no example)."""


# --- option values, from the options model -------------------------------------------------------


def _json(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _accepts(model: type[LabOptions], options: Mapping[str, Any]) -> str | None:
    """None if the model accepts the options, else its reasons (one line)."""
    try:
        model.model_validate(dict(options))
    except ValidationError as err:
        return "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in err.errors())
    return None


def _bounds(info: FieldInfo) -> tuple[int | None, int | None]:
    low = next((m.ge for m in info.metadata if isinstance(m, Ge)), None)
    high = next((m.le for m in info.metadata if isinstance(m, Le)), None)
    return (low if isinstance(low, int) else None), (high if isinstance(high, int) else None)


def _parts(model: type[LabOptions], alias: str, members: Sequence[Any], default: tuple[Any, ...]) -> list[Any]:
    """A list of parts: the default, each part alone (and where the model refuses it alone, with the
    first other part that makes it accepted: cors with website), and each part with every other part
    the model accepts beside it (added in the Literal's order): the parts' interactions, the largest lists."""
    values: list[list[Any]] = [list(default)]
    for first in members:
        values.append([first])
        if _accepts(model, {alias: [first]}) is not None:
            values += [[m for m in members if m in (first, other)] for other in members
                       if other != first and _accepts(model, {alias: [m for m in members if m in (first, other)]}) is None][:1]
    for first in members:
        chosen = [first]
        for other in members:
            if other not in chosen and _accepts(model, {alias: [m for m in members if m in (*chosen, other)]}) is None:
                chosen.append(other)
        values.append([m for m in members if m in chosen])
    unique: list[Any] = []
    for value in values:
        if value not in unique:
            unique.append(value)
    return unique


def field_values(model: type[LabOptions], name: str, info: FieldInfo) -> list[Any]:
    """The values of one option that the matrix tries, as a stack file writes them (JSON)."""
    alias = info.alias or name
    annotation = info.annotation
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    optional = origin in (typing.Union, types.UnionType) and type(None) in args
    if optional:
        rest = tuple(a for a in args if a is not type(None))
        annotation = rest[0] if len(rest) == 1 else typing.Union[rest]  # type: ignore[assignment]
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    values: list[Any]
    if origin is typing.Literal:
        values = list(args)
    elif annotation is bool:
        values = [False, True]
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        values = [m.value for m in annotation]
    elif annotation is int:
        low, high = _bounds(info)
        if low is None or high is None:
            raise MatrixError(f"{model.__name__}.{name}: an int without both bounds (Field(ge=, le=)): "
                              "the matrix cannot choose its values")
        values = sorted({low, high, info.default})
    elif origin is tuple and len(args) == 2 and args[1] is Ellipsis and typing.get_origin(args[0]) is typing.Literal:
        values = _parts(model, alias, typing.get_args(args[0]), info.default)
    elif info.examples:
        values = list(info.examples)
    else:
        raise MatrixError(f"{model.__name__}.{name}: {annotation} is neither a Literal, a bool, an enum, a bounded int "
                          "nor a tuple of a Literal, and its Field gives no examples: the matrix cannot choose its values")
    if optional:
        values = [None, *values]
    return values


def option_values(model: type[LabOptions]) -> dict[str, list[Any]]:
    """Every option of a lab (its YAML key) -> the values the matrix tries."""
    return {info.alias or name: field_values(model, name, info) for name, info in model.model_fields.items()}


def _defaults(model: type[LabOptions]) -> dict[str, Any]:
    return {info.alias or name: _json(info.default) for name, info in model.model_fields.items()}


@dataclass(frozen=True)
class OptionSet:
    options: Mapping[str, Any]  # only the options not at their default, as a stack file writes them
    refused: str | None = None  # the model's reasons, for a set it refuses

    @property
    def label(self) -> str:
        return json.dumps(dict(self.options), separators=(",", ":"), sort_keys=True) if self.options else "defaults"


def option_sets(model: type[LabOptions]) -> list[OptionSet]:
    """The product of every option's values, each set as a stack file would write it (the options at
    their default left out); duplicates once."""
    values = option_values(model)
    defaults = _defaults(model)
    sets: list[OptionSet] = []
    seen: set[str] = set()
    for combo in itertools.product(*values.values()):
        written = {k: v for k, v in zip(values, combo) if v != defaults[k]}
        key = json.dumps(written, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        sets.append(OptionSet(written, _accepts(model, written)))
    return sets


# --- stack settings: profiles, key pair, the longest ids --------------------------------------------


def _longest(accepted, char: str, cap: int = 1024) -> str:
    """The longest run of ``char`` the settings parser accepts: a length limit, so accepted lengths
    are 1..n; found by doubling, then halving the gap."""
    if not accepted(char):
        raise MatrixError(f"the settings parser accepts no id made of {char!r}")
    low, high = 1, 2
    while high <= cap and accepted(char * high):
        low, high = high, high * 2
    while high - low > 1:  # accepted(low), not accepted(high) (or past the cap)
        middle = (low + high) // 2
        low, high = (middle, high) if accepted(char * middle) else (low, middle)
    return char * low


def _parses(**overrides: Any) -> bool:
    try:
        parse_settings(_config(labs=[{"lab": "vpc-nat"}], **overrides), SOURCE)
    except SettingsError:
        return False
    return True


@lru_cache(maxsize=None)
def _profile(name: str) -> Profile:
    return load_profile(name)


def _config(*, labs: list[dict[str, Any]], cohort: str = "demo", student: str = "s01", key_name: str | None = "vockey",
            profile: str = "learner-lab") -> dict[str, Any]:
    loaded = _profile(profile)
    config = {
        "aws:region": loaded.regions[0],
        "cloudlabs:cohort": cohort,
        "cloudlabs:student": student,
        "cloudlabs:seat": 1,
        "cloudlabs:labs": labs,
        "cloudlabs:adminCidr": ADMIN_CIDR,
        "cloudlabs:profile": profile,
        "cloudlabs:instanceType": DEFAULT_INSTANCE_TYPE if DEFAULT_INSTANCE_TYPE in loaded.instance_types
        else loaded.instance_types[0],
        "cloudlabs:expires": EXPIRES,
    }
    if key_name is not None:
        config["cloudlabs:keyName"] = key_name
    return config


@dataclass(frozen=True)
class Ids:
    cohort: str
    student: str
    key_name: str


@lru_cache(maxsize=1)
def longest_ids() -> Ids:
    """The longest cohort, student and key name the settings parser accepts (each alone)."""
    return Ids(_longest(lambda v: _parses(cohort=v), "q"), _longest(lambda v: _parses(student=v), "z"),
               _longest(lambda v: _parses(key_name=v), "k"))


@dataclass(frozen=True)
class Setting:
    """The stack settings around a lab: a profile, and a key pair or none."""

    profile: str
    key: bool

    @property
    def label(self) -> str:
        return f"{self.profile}/{'key' if self.key else 'no-key'}"


def stack_settings() -> list[Setting]:
    return [Setting(p, key) for p in profile_names() for key in (True, False)]


# --- cells ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    lab: str
    stage: str
    options: OptionSet
    setting: Setting
    ids: Ids = field(compare=False)

    @property
    def id(self) -> str:
        return f"{self.lab}-{self.stage}-{self.options.label}-{self.setting.label}"

    def config(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"lab": self.lab, "stage": self.stage}
        if self.options.options:
            entry["options"] = dict(self.options.options)
        return _config(labs=[entry], cohort=self.ids.cohort, student=self.ids.student,
                       key_name=self.ids.key_name if self.setting.key else None, profile=self.setting.profile)

    def settings(self) -> StackSettings:
        """The parsed settings; SettingsError (with the parser's lines) for a refused cell."""
        return parse_settings(self.config(), SOURCE)


@dataclass
class Matrix:
    cells: list[Cell]  # the cells to render: the settings parser accepts them
    refused: list[tuple[Cell, str]]  # cells the options model or the settings parser refuses, and why
    product: int  # cells the full product would have (lab x stage x option set x setting)

    def summary(self) -> str:
        return (f"{len(self.cells)} cells to render, {len(self.refused)} refused with a reason, "
                f"of a full product of {self.product}")


def _refusal(cell: Cell) -> str | None:
    if cell.options.refused is not None:
        return f"options model: {cell.options.refused}"
    try:
        cell.settings()
    except SettingsError as err:
        return f"settings: {err}"
    return None


def _facets(options: OptionSet, alias: str, defaults: Mapping[str, Any]) -> list[str]:
    """What of an option a set shows: its value, or for a list of parts each part it holds."""
    value = options.options.get(alias, defaults.get(alias))
    if isinstance(defaults.get(alias), list):
        return [json.dumps(v) for v in value]
    return [json.dumps(value, sort_keys=True)]


def _meets(cell: Cell, aliases: Sequence[str], defaults: Mapping[str, Any]) -> set[tuple[str, str, str, str]]:
    """What a cell covers: each of its option values (or parts) with its profile, and with its key setting."""
    return {(alias, facet, dim, str(x)) for alias in aliases for facet in _facets(cell.options, alias, defaults)
            for dim, x in (("profile", cell.setting.profile), ("key", cell.setting.key))}


def _take(matrix: Matrix, cell: Cell) -> bool:
    """Add the cell if the settings parser accepts it, else keep it as refused with the parser's words."""
    why = _refusal(cell)
    if why is None:
        matrix.cells.append(cell)
    else:
        matrix.refused.append((cell, why))
    return why is None


def _sets(key: str) -> list[OptionSet]:
    """A lab's option sets: the product of its options' values, and the sets the catalog prices
    (``cost_variants``) where the product lacks them (e.g. ``count: 1``, neither a bound nor the default)."""
    model = LABS[key].options
    sets = option_sets(model)
    defaults = _defaults(model)
    for variant in LABS[key].cost_variants.values():
        written = {k: v for k, v in variant.items() if v != defaults.get(k)}
        if all(dict(s.options) != written for s in sets):
            sets.append(OptionSet(written, _accepts(model, written)))
    return sets


def derive(labs: Iterable[str] | None = None, full: bool = False) -> Matrix:
    """The matrix of every lab (or of ``labs``): with ``full`` every accepted option set at every stage
    under every stack setting; else the covering design of the module's docstring, chosen greedily
    (the cell that meets the most unmet needs first)."""
    ids = longest_ids()
    settings = stack_settings()
    matrix = Matrix([], [], 0)
    for key in labs or LABS:
        model = LABS[key].options
        sets = _sets(key)
        accepted = [s for s in sets if s.refused is None]
        defaults = _defaults(model)
        aliases = list(defaults) or [""]
        stages = list(LABS[key].stages)
        matrix.product += len(sets) * len(settings) * len(stages)
        for stage in stages:
            matrix.refused += [(Cell(key, stage, s, settings[0], ids), f"options model: {s.refused}")
                               for s in sets if s.refused is not None]
        if full:
            for stage in stages:
                for options in accepted:
                    for setting in settings:
                        _take(matrix, Cell(key, stage, options, setting, ids))
            continue
        # the needs: every option set and every stack setting once (at any stage), and at every stage
        # each option value (each part of a list) with every profile and with both key settings
        candidates = [Cell(key, stage, options, setting, ids)
                      for stage in reversed(stages) for options in accepted for setting in settings]
        meets = {i: {("set", cell.options.label), ("setting", cell.setting.label)}
                 | {(cell.stage, *need) for need in _meets(cell, aliases, defaults)} for i, cell in enumerate(candidates)}
        unmet = set().union(*meets.values())
        while unmet:
            gain, i = max((len(meets[i] & unmet), -i) for i in meets)
            i = -i
            if gain == 0:
                break  # what is left only refused cells would meet (e.g. key: existing without a key pair)
            if _take(matrix, candidates[i]):
                unmet -= meets[i]
            del meets[i]
    return matrix


def render_cell(cell: Cell) -> StackGraph:
    """The cell's graph, rendered by the real program as ``labctl plan`` does."""
    settings = cell.settings()
    return render(settings.stack_name, cell.config(), settings)


def emulator_shape(cell: Cell, graph: StackGraph) -> tuple[Any, ...]:
    """What the emulator models of a graph: the lab, and its resource kinds and their counts (names,
    ids and values aside). Cells of one emulator shape go up and down alike."""
    return (cell.lab, tuple(sorted(graph.type_counts().items())))


def distinct_emulator_shapes(rendered: Iterable[tuple[Cell, StackGraph]]) -> dict[tuple[Any, ...], tuple[Cell, StackGraph]]:
    """The first cell of each emulator shape."""
    shapes: dict[tuple[Any, ...], tuple[Cell, StackGraph]] = {}
    for cell, graph in rendered:
        shapes.setdefault(emulator_shape(cell, graph), (cell, graph))
    return shapes
