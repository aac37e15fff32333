"""YAML documents that remember where each value came from, so errors can name the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[Any, ...]  # a path into the document: ("roster", 3, "seat")


class YamlSourceError(ValueError):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text: `expires: 2026-13-01` then reaches the settings
    parser (one clear message) instead of failing inside YAML's date constructor."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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


def load_yaml(path: Path) -> YamlSource:
    try:
        text = path.read_text()
    except OSError as err:
        raise YamlSourceError(f"{path}: cannot read: {err.strerror}") from err
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise YamlSourceError(f"{where}: not valid YAML: {getattr(err, 'problem', None) or err}") from err
    finally:
        loader.dispose()
    source = YamlSource(path, data)
    if node is not None:
        _walk(node, (), source)
    return source


def _walk(node: yaml.Node, path: Path_, source: YamlSource) -> None:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            child = path + (key,)
            if key in seen:
                source.duplicate_keys.append((child, key_node.start_mark.line + 1, seen[key]))
            seen.setdefault(key, key_node.start_mark.line + 1)
            source.lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            source.lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), source)
