"""How long a real `up` is expected to take: one stack, a fleet of them on one machine, and a cohort
split into shards (CI matrix jobs).

- A stack: Pulumi creates every resource as soon as what it depends on exists, so a stack takes its
  longest dependency chain (the critical path), not the sum of its resources' times. Each kind's
  typical creation time is its record's ``provision_seconds`` (``labctl.kinds``); a dependency on a
  component waits for every resource under it (Pulumi's rule for ``depends_on`` a component).
  ``STACK_OVERHEAD_SECONDS`` adds what every ``pulumi up`` spends before and after (an estimate).
- A fleet (``labctl up --parallel P``): stacks start in the order given as workers free up (the
  fleet's thread pool); its wall time is that schedule's makespan.
- Shards: LPT (longest stack first onto the least-loaded shard; ties by stack name, then shard
  number), so the same stacks always give the same shards, and each shard lists its stacks longest
  first, the order its fleet then runs them.

Everything here is arithmetic on rendered graphs: nothing runs, nothing is timed.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Iterable, Mapping

from labctl.kinds import KINDS
from labctl.offline.graph import StackGraph

# The Pulumi CLI's start, the program's run in its language host, the provider plugins' start and
# the preview `pulumi up` makes before it changes anything: an estimate, the same for every stack.
STACK_OVERHEAD_SECONDS = 20.0

GITHUB_MATRIX_LIMIT = 256  # jobs one matrix may generate (GitHub Actions' documented limit)


def provision_seconds(token: str) -> float:
    """The kind's typical creation time; a type without a record takes none (tests/test_kinds.py
    fails for any rendered type without a record)."""
    found = KINDS.get(token)
    return found.provision_seconds if found else 0.0


def critical_path(graph: StackGraph, seconds: Mapping[str, float] | None = None) -> tuple[float, list[str]]:
    """The longest chain of creation times through the graph's dependencies, and its resources'
    names (first created first). ``seconds``: time per type token (default: the kinds' records)."""
    by_urn = {r.urn: r for r in graph.resources}
    children: dict[str, list[str]] = {}
    for r in graph.resources:
        if r.parent:
            children.setdefault(r.parent, []).append(r.urn)

    def own(urn: str) -> float:
        token = by_urn[urn].type
        return float(seconds.get(token, 0.0)) if seconds is not None else provision_seconds(token)

    finish: dict[str, tuple[float, list[str]]] = {}
    ready_memo: dict[str, tuple[float, list[str]]] = {}

    def ready(urn: str) -> tuple[float, list[str]]:
        """When what depends on ``urn`` may start: a custom resource's finish, a component's last child's."""
        if urn not in by_urn:
            return 0.0, []
        if by_urn[urn].custom:
            return finished(urn)
        if urn not in ready_memo:
            ready_memo[urn] = max((ready(c) for c in children.get(urn, [])), key=lambda t: t[0], default=(0.0, []))
        return ready_memo[urn]

    def finished(urn: str) -> tuple[float, list[str]]:
        if urn not in finish:
            start, chain = max((ready(d) for d in sorted(by_urn[urn].dependencies)), key=lambda t: t[0], default=(0.0, []))
            finish[urn] = (start + own(urn), [*chain, by_urn[urn].name])
        return finish[urn]

    best: tuple[float, list[str]] = (0.0, [])
    for r in graph.resources:
        if r.custom:
            candidate = finished(r.urn)
            if candidate[0] > best[0]:
                best = candidate
    return best


def stack_seconds(graph: StackGraph) -> float:
    """The expected `pulumi up` of a new stack: the overhead plus its critical path."""
    return STACK_OVERHEAD_SECONDS + critical_path(graph)[0]


def fleet_seconds(durations: Iterable[float], parallel: int) -> float:
    """The wall time of the fleet running these stacks in this order, ``parallel`` at a time."""
    if parallel < 1:
        raise ValueError("parallel >= 1")
    workers = [0.0] * parallel
    end = 0.0
    for d in durations:
        start = heapq.heappop(workers)
        heapq.heappush(workers, start + d)
        end = max(end, start + d)
    return end


@dataclass(frozen=True)
class Shard:
    number: int  # 1-based
    stacks: tuple[str, ...]  # longest first: the order its fleet runs them
    load: float  # the sum of its stacks' expected seconds

    def wall(self, durations: Mapping[str, float], parallel: int) -> float:
        return fleet_seconds((durations[s] for s in self.stacks), parallel)


def shard(durations: Mapping[str, float], count: int) -> list[Shard]:
    """LPT: the stacks, longest first (ties by name), each onto the shard with the least load so
    far (ties by number). Never an empty shard: at most one shard per stack."""
    if count < 1:
        raise ValueError("count >= 1")
    count = min(count, len(durations)) or 1
    heap = [(0.0, n) for n in range(count)]
    members: list[list[str]] = [[] for _ in range(count)]
    loads = [0.0] * count
    for stack in sorted(durations, key=lambda s: (-durations[s], s)):
        load, n = heapq.heappop(heap)
        members[n].append(stack)
        loads[n] = load + durations[stack]
        heapq.heappush(heap, (loads[n], n))
    return [Shard(n + 1, tuple(members[n]), loads[n]) for n in range(count)]


def wall_seconds(shards: list[Shard], durations: Mapping[str, float], parallel: int) -> float:
    """The cohort's wall time: every shard at once (one machine each), each with ``parallel`` workers."""
    return max((s.wall(durations, parallel) for s in shards), default=0.0)


def github_matrix(shards: list[Shard]) -> dict:
    """What a workflow's ``strategy.matrix`` takes: one job per shard, its stacks space-separated."""
    if len(shards) > GITHUB_MATRIX_LIMIT:
        raise ValueError(f"{len(shards)} shards: a GitHub Actions matrix takes at most {GITHUB_MATRIX_LIMIT} jobs")
    return {"include": [{"shard": s.number, "stacks": " ".join(s.stacks)} for s in shards]}


def duration_text(seconds: float) -> str:
    """``95 s``, ``2 min 28 s``, ``2 h 05 min``."""
    whole = round(seconds)
    if whole < 120:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"
