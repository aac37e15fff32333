"""What a starter costs once the student has done the book's steps: a stack at a stage before the
book's end grows during the session (vpc-nat's starter gains its NAT gateway and Elastic IP). Priced
as the same stack with every lab at its last stage, less the stack as it is. Stacks that differ only
in whom they are for (student, seat) share one render. The same render (``session_end_graph``) is what
the deploy rule CL-LIMIT-ACCOUNT holds to the account's limits during the session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from cloudlabs.catalog import LABS
from cloudlabs.pricing import PriceTable
from cloudlabs.content import LabContentError
from cloudlabs.profiles import profile_path
from cloudlabs.settings import DEFAULT_PROFILE, SettingsError, StackSettings, parse_settings

from labctl.analysis.cost import StackCost, estimate
from labctl.offline import render
from labctl.offline.graph import StackGraph
from labctl.offline.graphcache import GraphCache

WHO = ("cloudlabs:student", "cloudlabs:seat")  # names and addresses: no bearing on the price


def before_last_stage(settings: StackSettings) -> bool:
    """Whether any of the stack's labs is at a stage before its last (only those stacks are read again)."""
    return any(s.stage != LABS[s.lab].last_stage for s in settings.labs if s.lab in LABS)


def at_last_stages(config: Mapping[str, Any]) -> dict[str, Any] | None:
    """The config with every lab at its last stage (the book's end), or None when it is there already."""
    entries = [{"lab": lab} if isinstance(lab, str) else dict(lab) for lab in config.get("cloudlabs:labs") or []]
    moved, changed = [], False
    for entry in entries:
        lab = LABS.get(str(entry.get("lab")))
        if lab is not None:
            changed |= entry.get("stage", lab.default_stage) != lab.last_stage
            entry = {**entry, "stage": lab.last_stage}
        moved.append(entry)
    return {**config, "cloudlabs:labs": moved} if changed else None


def session_end_graph(stack: str, path: Path, config: Mapping[str, Any],
                      memo: dict[str, StackGraph | None] | None = None, cache: GraphCache | None = None) -> StackGraph | None:
    """The stack as the book's steps leave it: the same settings with every lab at its last stage.
    None when it is there already, or when the last stage does not render with these settings.
    ``memo``: stacks that differ only in whom they are for share one render (prices, sizes and counts
    do not depend on names or addresses); ``cache``: the graph cache keeps that render between runs,
    keyed like a stack's graph (the settings, the profile, the labs' files, the program)."""
    final = at_last_stages(config)
    if final is None:
        return None
    key = json.dumps({k: v for k, v in final.items() if k not in WHO}, sort_keys=True, default=str)
    if memo is not None and key in memo:
        return memo[key]
    graph: StackGraph | None = None
    cache_key = None
    if cache is not None:
        profile = final.get("cloudlabs:profile", DEFAULT_PROFILE)
        labs = [e.get("lab") if isinstance(e, dict) else e for e in final.get("cloudlabs:labs") or []]
        cache_key = cache.key_of(b"session end\0" + key.encode(), profile_path(profile) if isinstance(profile, str) else None,
                                 [lab for lab in labs if isinstance(lab, str)])
        hit = cache.get(cache_key, None)
        graph = hit[0] if hit is not None else None
    if graph is None:
        try:
            graph = render.render(stack, final, parse_settings(final, str(path)))
        except (render.RenderError, SettingsError, LabContentError):
            graph = None  # the last stage does not render with these settings: nothing to add
        if graph is not None and cache is not None and cache_key is not None:
            cache.put(cache_key, graph)
    if memo is not None:
        memo[key] = graph
    return graph


def in_session_additions(configs: Mapping[str, tuple[Path, Mapping[str, Any]]], costs: Mapping[str, StackCost],
                         prices: PriceTable, cache: GraphCache | None = None) -> dict[str, float]:
    """Per stack not at its labs' last stages: the hourly cost the book's steps add (never negative)."""
    memo: dict[str, StackGraph | None] = {}
    priced: dict[int, float] = {}  # per rendered graph: stacks sharing one render share its price
    added: dict[str, float] = {}
    for stack, (path, config) in configs.items():
        if stack not in costs:
            continue
        final = session_end_graph(stack, path, config, memo, cache)
        if final is None:
            continue
        if id(final) not in priced:
            priced[id(final)] = estimate(final, prices).hourly
        added[stack] = max(0.0, priced[id(final)] - costs[stack].hourly)
    return added
