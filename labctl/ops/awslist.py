"""Reading AWS listings the same way everywhere: every page, and tags as a plain mapping."""

from __future__ import annotations

from typing import Any, Iterable


def tag_map(items: Iterable[dict] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (or ECR/ECS's lower-case ``key``/``value``) as ``{k: v}``."""
    out: dict[str, str] = {}
    for t in items or []:
        key = t.get("Key", t.get("key"))
        if key is not None:
            out[str(key)] = str(t.get("Value", t.get("value", "")))
    return out


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    """Every item of a listing, across its pages where the service pages it."""
    if client.can_paginate(operation):
        return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]
    return list(getattr(client, operation)(**kwargs).get(key, []))
