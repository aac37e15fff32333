"""The one way labctl and the program read a file: cohort, seat, stack, profile, price and
snapshot files all come through here.

What every file gets, so that no input can crash, hang or flood the tool:
- it must be a regular file (not a directory, FIFO or device) of at most ``max_bytes``;
- it must be UTF-8 text without NUL characters;
- YAML is read with a strict schema: ``true``/``false`` are the only booleans (``yes``, ``on``
  stay text), integers are plain decimal (no ``0755`` octal, ``1_000`` or ``1:30``), dates stay
  text, and anchors/aliases are limited in number and in how far they expand (a 600-byte file
  of nested aliases would otherwise take minutes and gigabytes);
- every problem becomes an ``InputFileError`` whose message names the file and line.
Type checks of the values (no silent ``'3'`` -> 3) are the readers' job, with :func:`model_problems`
for pydantic models: it maps each validation error back to the file's line.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

Path_ = tuple[Any, ...]  # a path into the document: ("roster", 3, "seat")

MAX_YAML_BYTES = 1 << 20  # 1 MiB: a 250-student cohort file is about 10 KiB
MAX_JSON_BYTES = 64 << 20  # snapshots of the largest labs are a few hundred KiB
MAX_ALIASES = 100  # alias uses per document
MAX_NODES = 200_000  # nodes of the document with every alias expanded
MAX_DEPTH = 64  # nesting of mappings and lists


class InputFileError(ValueError):
    """A file that cannot be read as the kind of file it should be; one line, naming the file."""


# --- raw text -------------------------------------------------------------------------------------


def ensure_regular_file(path: Path, what: str) -> os.stat_result:
    """InputFileError unless ``path`` is a regular file (reading a FIFO would wait forever)."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such {what}") from None
    except OSError as err:
        raise InputFileError(f"{path}: cannot read the {what}: {err.strerror}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputFileError(f"{path}: is a directory; allowed: a {what}")
    if not stat.S_ISREG(info.st_mode):
        raise InputFileError(f"{path}: not a regular file; allowed: a {what}")
    return info


def read_text(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The file's text, or InputFileError: not a regular file, too large, not UTF-8, NUL bytes."""
    info = ensure_regular_file(path, what)
    if info.st_size > max_bytes:
        raise InputFileError(f"{path}: {info.st_size} bytes is too large; allowed: a {what} of at most {max_bytes} bytes")
    try:
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as err:
        raise InputFileError(f"{path}: cannot read the {what}: {err.strerror}") from None
    if len(data) > max_bytes:  # grew while we looked
        raise InputFileError(f"{path}: too large; allowed: a {what} of at most {max_bytes} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); allowed: a {what} "
                             "saved as UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark some editors write; harmless
    if "\0" in text:
        line = text[: text.index("\0")].count("\n") + 1
        raise InputFileError(f"{path}:{line}: contains a NUL character; allowed: a {what} (text)")
    return text


# --- YAML -----------------------------------------------------------------------------------------


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's plain scalars instead of YAML 1.1's.

    YAML 1.1 turns ``yes``/``no``/``on``/``off`` into booleans, ``0755`` into 493 and
    ``2026-12-19`` into a date object; here those stay text, so a value means what it shows and
    the settings parsers refuse what is not of the right type, with the value as written.
    """


StrictLoader.yaml_implicit_resolvers = {}
for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
    ("tag:yaml.org,2002:float",
     r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
     "-+0123456789."),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
):
    StrictLoader.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


def _strict_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    return int(loader.construct_scalar(node))  # decimal only: the resolver admits nothing else


StrictLoader.add_constructor("tag:yaml.org,2002:int", _strict_int)


@dataclass
class YamlSource:
    path: Path
    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)  # path -> 1-based line
    duplicate_keys: list[tuple[Path_, int, int]] = field(default_factory=list)  # path, line, first line

    def line(self, path: Path_) -> int:
        """The line of ``path``, or of its nearest ancestor that exists."""
        while path not in self.lines and path:
            path = path[:-1]
        return self.lines.get(path, 1)

    def where(self, path: Path_) -> str:
        return f"{self.path}:{self.line(path)}"


def dotted(path: Path_) -> str:
    """("roster", 3, "seat") -> "roster[3].seat"; the document itself is "(document)"."""
    if not path:
        return "(document)"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def load_yaml(path: Path, what: str = "YAML file", max_bytes: int = MAX_YAML_BYTES) -> YamlSource:
    """Read one YAML document with the strict schema and the limits above; lines kept per key."""
    text = read_text(path, what, max_bytes)
    try:
        loader = StrictLoader(text)  # its reader refuses control characters at once
    except yaml.reader.ReaderError as err:
        line = text[: err.position].count("\n") + 1
        raise InputFileError(f"{path}:{line}: not valid YAML: control character {err.character!r} "
                             f"(code {ord(err.character) if isinstance(err.character, str) else err.character}); "
                             f"allowed: printable text in a {what}") from None
    try:
        node = loader.get_single_node()
        if node is not None:
            _check_expansion(node, path)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        last_line = max(1, len(text.splitlines()))  # "end of file" is the last line, not the one after it
        where = f"{path}:{min(mark.line + 1, last_line)}" if mark else str(path)
        problem = getattr(err, "problem", None) or getattr(err, "context", None) or str(err).splitlines()[0]
        raise InputFileError(f"{where}: not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    source = YamlSource(path, data)
    if node is not None:
        _walk(node, (), source)
    return source


def _check_expansion(root: yaml.Node, path: Path) -> None:
    """Refuse alias bombs before anything is constructed: count alias uses (a node met again is
    an alias) and the size of the document with every alias expanded, without expanding it."""
    size: dict[int, int] = {}
    aliases = 0

    def visit(node: yaml.Node, depth: int) -> int:
        nonlocal aliases
        if depth > MAX_DEPTH:
            raise InputFileError(f"{path}:{node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep; "
                                 "allowed: a flatter document")
        known = size.get(id(node))
        if known is not None:
            aliases += 1
            if aliases > MAX_ALIASES:
                raise InputFileError(f"{path}:{node.start_mark.line + 1}: more than {MAX_ALIASES} aliases (*name); "
                                     "allowed: a document that writes its values out")
            return known
        size[id(node)] = 1  # a node inside itself (a recursive alias) counts once
        total = 1
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                total += visit(key, depth + 1) + visit(value, depth + 1)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                total += visit(item, depth + 1)
        if total > MAX_NODES:
            raise InputFileError(f"{path}:{node.start_mark.line + 1}: expands to more than {MAX_NODES} values "
                                 "through aliases; allowed: a document that writes its values out")
        size[id(node)] = total
        return total

    visit(root, 0)


def _walk(node: yaml.Node, path: Path_, source: YamlSource, seen_nodes: set[int] | None = None) -> None:
    """Record the line of every key and item; an aliased node is walked once (its first place)."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    source.lines.setdefault(path, node.start_mark.line + 1)
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else "(complex key)"
            child = path + (key,)
            if key in seen:
                source.duplicate_keys.append((child, key_node.start_mark.line + 1, seen[key]))
            seen.setdefault(key, key_node.start_mark.line + 1)
            source.lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, source, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            source.lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), source, seen_nodes)


def refuse_duplicates(source: YamlSource, what: str) -> None:
    """A key written twice silently loses one value: refuse it, naming both lines."""
    if source.duplicate_keys:
        key, line, first = source.duplicate_keys[0]
        raise InputFileError(f"{source.path}:{line}: {dotted(key)}: written twice (first at line {first}); "
                             f"allowed: each key once in a {what}")


def load_mapping(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> YamlSource:
    """A YAML file whose document must be a mapping with text keys and no duplicate keys."""
    source = load_yaml(path, what, max_bytes)
    refuse_duplicates(source, what)
    if not isinstance(source.data, dict):
        raise InputFileError(f"{path}:1: the document is {_kind(source.data)}; allowed: a {what} (a mapping of keys)")
    bad = _non_text_key(source.data, ())
    if bad is not None:
        raise InputFileError(f"{source.where(bad[0])}: key {bad[1]!r} is {_kind(bad[1])}; allowed: text keys")
    return source


def _non_text_key(data: Any, path: Path_) -> tuple[Path_, Any] | None:
    if isinstance(data, dict):
        for key, value in data.items():
            if not isinstance(key, str):
                return path, key
            found = _non_text_key(value, path + (key,))
            if found:
                return found
    elif isinstance(data, list):
        for i, item in enumerate(data):
            found = _non_text_key(item, path + (i,))
            if found:
                return found
    return None


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    return {dict: "a mapping", list: "a list", str: "text", bool: "true/false", int: "a number",
            float: "a number"}.get(type(value), type(value).__name__)


# --- JSON -----------------------------------------------------------------------------------------


def load_json(path: Path, what: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    text = read_text(path, what, max_bytes)
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as err:
        raise InputFileError(f"{path}:{err.lineno}: not valid JSON: {err.msg}; allowed: a {what}") from None
    except RecursionError:
        raise InputFileError(f"{path}: nested too deeply; allowed: a {what}") from None
    except ValueError as err:
        raise InputFileError(f"{path}: {err}; allowed: a {what}") from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


# --- pydantic models ------------------------------------------------------------------------------


def show(value: Any, limit: int = 80) -> str:
    """A value as the file shows it, cut short: an error line never floods the terminal."""
    try:
        text = json.dumps(value, default=str, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def model_problems(source: YamlSource, err: ValidationError, base: Path_ = (),
                   allowed: dict[str, str] | None = None) -> list[str]:
    """One line per pydantic error: ``file:line: key: value is not allowed (why); allowed: ...``.

    ``allowed`` maps a field's dotted key to the text that says what is allowed; pydantic's own
    message is the fallback.
    """
    lines = []
    for e in err.errors(include_url=False):
        loc = base + tuple(e["loc"])
        key = dotted(loc)
        if e["type"] == "missing":
            lines.append(f"{source.where(loc)}: {key}: missing; allowed: {(allowed or {}).get(key, e['msg'])}")
            continue
        if e["type"] == "extra_forbidden":
            lines.append(f"{source.where(loc)}: {key}: {show(e['input'])} is not allowed (unknown key)")
            continue
        what = _allowed_for(loc, allowed or {}) or e["msg"]
        lines.append(f"{source.where(loc)}: {key}: {show(e['input'])} is not allowed ({e['msg']}); allowed: {what}")
    return lines


def _allowed_for(loc: Path_, allowed: dict[str, str]) -> str | None:
    """The allowed-text of the nearest named field of ``loc`` (``regions.us-east-1.natGatewayHour``
    -> ``natGatewayHour``; ``regions[2]`` -> ``regions``)."""
    for part in reversed(loc):
        if isinstance(part, str) and part in allowed:
            return allowed[part]
    return None


def validate_model(source: YamlSource, model: type[BaseModel], allowed: dict[str, str] | None = None) -> Any:
    """Validate a whole file against a model (strict models: ``ConfigDict(strict=True)``), or
    InputFileError with every problem, one line each. ``allowed``: field name -> what is allowed."""
    try:
        return model.model_validate(source.data)
    except ValidationError as err:
        raise InputFileError("\n".join(model_problems(source, err, allowed=allowed))) from None
