"""Does a cohort fit AWS's quotas? What it needs at its peak, per account and region, against the limits.

The peak is every stack with its labs at their last stage (what the book has students make by hand during
the session: ``labctl.analysis.session_cost.session_end_graph``), summed over the stacks that share an
account: the whole cohort for ``shared``, one stack for ``per-student`` and ``self-service`` (their table
shows the largest student's need). Each kind's record says what one resource takes
(``labctl.kinds.quotas``); region and account quotas add up, zone quotas add up per Availability Zone,
per-VPC and per-group quotas hold for the largest VPC or group.

Every region of an account also holds its default VPC (with its internet gateway and default security
group): ``BASELINE`` counts them, as AWS does. What else the account already holds (another cohort, an
instructor's own VPCs) is not visible offline: the limits are AWS's defaults there, and ``applied_limits``
reads the account's own values through Service Quotas (``up`` does; ``plan --live-quotas`` too). A cohort
file has no way to reserve room for other work in its account (there is no ``quotaHeadroom`` key): leave
room by hand.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from labctl.kinds import KINDS
from labctl.kinds.quotas import QUOTAS, Quota, Use
from labctl.offline.graph import StackGraph

SHARED = "shared"
# The default VPC AWS makes in every region of an account: it counts towards the account's quotas.
BASELINE = (Use("vpcs", how="the default VPC"), Use("internet-gateways", how="the default VPC's"),
            Use("security-groups", how="the default VPC's default group"))


def stack_uses(graph: StackGraph) -> list[Use]:
    """What one stack takes, resource by resource (kinds without a ``quota`` take none)."""
    uses: list[Use] = []
    for r in graph.custom_resources:
        record = KINDS.get(r.type)
        if record is not None and record.quota is not None:
            uses.extend(record.quota(r, graph))
    return uses


def _scoped(uses: Iterable[Use]) -> dict[tuple[str, str], float]:
    """(quota, zone) -> the need of these uses: sums, per zone for zone quotas, the largest VPC or group for
    per-VPC and per-group ones."""
    sums: dict[tuple[str, str, str], float] = defaultdict(float)
    for use in uses:
        sums[(use.quota, use.zone, use.per)] += use.amount
    need: dict[tuple[str, str], float] = defaultdict(float)
    for (quota, zone, per), amount in sums.items():
        key = (quota, zone)
        need[key] = max(need[key], amount) if per else need[key] + amount
    return dict(need)


@dataclass(frozen=True)
class Row:
    model: str  # the account model
    account: str  # the cohort (shared), or "each student's"
    region: str
    quota: Quota
    zone: str  # a zone quota's zone, else ""
    need: float
    stacks: int  # the stacks whose sum it is
    limit: float
    applied: bool = False  # the account's applied value (Service Quotas), else AWS's default
    stated_by: str = ""  # the profile whose accounts come with this limit (Learner Lab's 32 vCPUs), else ""
    largest: float = 0.0  # its largest single stack's need (a region holds whole stacks; 0: not known)

    @property
    def headroom(self) -> float:
        return self.limit - self.need

    @property
    def fits(self) -> bool:
        return self.need <= self.limit

    @property
    def where(self) -> str:
        return self.zone or ("all regions" if self.quota.scope == "account" else self.region)

    def problem(self) -> str:
        """One line: the quota, the need, the limit and the request."""
        whose = f"the cohort {self.account} ({self.stacks} stacks, one {self.model} account)" if self.model == SHARED \
            else f"each student's {self.model} account"
        per = {"vpc": " (its largest VPC)", "group": " (its largest security group)"}.get(self.quota.scope, "")
        return (f"quota {self.quota.name} ({self.quota.service} {self.quota.code or 'no quota code'}) in {self.where}: "
                f"{whose} needs {self.need:g}{per} at its peak, the limit is {self.limit:g} "
                f"({self.source}); {self.quota.request(self.need, self.region)}")

    @property
    def source(self) -> str:
        return f"profile {self.stated_by}" if self.stated_by else "applied" if self.applied else "AWS default"


@dataclass(frozen=True)
class Stack:
    """One stack to place: its name, cohort, region, account model and graph at its peak."""

    name: str
    cohort: str
    region: str
    model: str
    graph: StackGraph
    profile: Any = None  # its guardrail profile (cloudlabs.profiles.Profile): limits its accounts come with


# A profile's account limits that are AWS quotas: an account of that kind comes with them (the Learner Lab
# student guide's 32 vCPUs), so they stand for AWS's default, never for a value read from the account.
PROFILE_LIMITS = {"ondemand-vcpus": "vcpus"}


def _stated(members: Iterable[Stack], quota: Quota) -> tuple[float, str] | None:
    """The limit every member's profile states for ``quota`` (the smallest), with the profile's name."""
    field = PROFILE_LIMITS.get(quota.key)
    if field is None:
        return None
    stated = []
    for stack in members:
        limits = getattr(stack.profile, "limits", None)
        value = getattr(limits, field, None) if limits is not None else None
        if value is None:
            return None
        stated.append((float(value), str(stack.profile.name)))
    return min(stated) if stated else None


def account_of(stack: Stack) -> str:
    return stack.cohort if stack.model == SHARED else "each student's"


def needs(stacks: Iterable[Stack]) -> dict[tuple[str, str, str], tuple[dict[tuple[str, str], float], int]]:
    """(model, account, region) -> ((quota, zone) -> need, stacks): the cohort's peak per account and region.
    Per-student accounts hold the largest student's need (each account is alone)."""
    grouped: dict[tuple[str, str, str], list[Stack]] = defaultdict(list)
    for stack in stacks:
        grouped[(stack.model, account_of(stack), stack.region)].append(stack)
    out: dict[tuple[str, str, str], tuple[dict[tuple[str, str], float], int]] = {}
    per_graph: dict[int, dict[tuple[str, str], float]] = {}  # stacks sharing one render share its sums
    for key, members in grouped.items():
        total: dict[tuple[str, str], float] = defaultdict(float)
        for stack in members:
            if id(stack.graph) not in per_graph:
                per_graph[id(stack.graph)] = _scoped(stack_uses(stack.graph))
            for (quota, zone), amount in per_graph[id(stack.graph)].items():
                scope = QUOTAS[quota].scope
                if key[0] != SHARED or scope in ("vpc", "group"):
                    total[(quota, zone)] = max(total[(quota, zone)], amount)
                else:
                    total[(quota, zone)] += amount
        for (quota, zone), amount in _scoped(BASELINE).items():
            total[(quota, zone)] += amount
        out[key] = (dict(total), len(members))
    _account_wide(out)
    return out


def _account_wide(found: dict[tuple[str, str, str], tuple[dict[tuple[str, str], float], int]]) -> None:
    """An account quota (S3 buckets) holds for all regions of the account together: a shared cohort spread over
    regions needs, in each region's table, what all its regions take."""
    sums: dict[tuple[str, str, str, str], float] = defaultdict(float)
    for (model, account, _region), (total, _count) in found.items():
        for (quota, zone), amount in total.items():
            if model == SHARED and QUOTAS[quota].scope == "account":
                sums[(model, account, quota, zone)] += amount
    for (model, account, _region), (total, _count) in found.items():
        for (quota, zone) in total:
            if (model, account, quota, zone) in sums:
                total[(quota, zone)] = sums[(model, account, quota, zone)]


Limits = Callable[[str, Quota], tuple[float, bool]]  # (region, quota) -> (limit, applied)


def default_limits(region: str, quota: Quota) -> tuple[float, bool]:
    return quota.default, False


def rows(stacks: Iterable[Stack], limits: Limits = default_limits) -> list[Row]:
    """Every quota the cohort takes any of, per account model, account, region (and zone), in a stable order.
    Where every stack's profile states the limit its accounts come with, that stands for AWS's default."""
    stacks = list(stacks)
    found: list[Row] = []
    alone: dict[int, dict[tuple[str, str], float]] = {}  # one stack's own need, per render
    for (model, account, region), (need, _count) in sorted(needs(stacks).items()):
        members = [s for s in stacks if (s.model, account_of(s), s.region) == (model, account, region)]
        for stack in members:
            if id(stack.graph) not in alone:
                alone[id(stack.graph)] = _scoped(stack_uses(stack.graph))
        largest = {k: max(alone[id(s.graph)].get(k, 0.0) for s in members) for k in need}
        in_account = sum(1 for s in stacks if (s.model, account_of(s)) == (model, account))  # every region's
        for (key, zone), amount in sorted(need.items(), key=lambda i: (list(QUOTAS).index(i[0][0]), i[0][1])):
            quota = QUOTAS[key]
            count = in_account if quota.scope == "account" and model == SHARED else len(members)
            limit, applied = limits(region, quota)
            stated = None if applied else _stated(members, quota)
            most = largest.get((key, zone), 0.0)
            if stated is not None:
                found.append(Row(model, account, region, quota, zone, amount, count, stated[0], False, stated[1], most))
            else:
                found.append(Row(model, account, region, quota, zone, amount, count, limit, applied, largest=most))
    return found


def applied_limits(client_for: Callable[[str], Any], notes: list[str] | None = None) -> Limits:
    """The account's applied values through Service Quotas (``client_for(region)`` -> a service-quotas
    client), AWS's default where the account has none (NoSuchResourceException) or Service Quotas does not
    hold the quota; read once per region and quota. A value that cannot be read (no credentials, access
    denied) is AWS's default too, with a line in ``notes``."""
    from botocore.exceptions import BotoCoreError, ClientError
    seen: dict[tuple[str, str], tuple[float, bool]] = {}

    def limit(region: str, quota: Quota) -> tuple[float, bool]:
        if not quota.code:
            return quota.default, False
        if (region, quota.code) not in seen:
            seen[(region, quota.code)] = (quota.default, False)
            try:
                answer = client_for(region).get_service_quota(ServiceCode=quota.service, QuotaCode=quota.code)
                seen[(region, quota.code)] = (float(answer["Quota"]["Value"]), True)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code not in ("NoSuchResourceException", "ResourceNotFoundException") and notes is not None:
                    notes.append(f"{quota.code} in {region}: {code}; AWS's default used")
            except (BotoCoreError, ValueError) as exc:
                if notes is not None:
                    notes.append(f"{quota.code} in {region}: {exc}; AWS's default used")
        return seen[(region, quota.code)]
    return limit


def regions_needed(found: Iterable[Row]) -> dict[str, int]:
    """Shared cohorts over a regional quota: cohort -> how many regions it needs at these limits, spread evenly
    (``regions:`` in its cohort file). Each region holds its own default VPC and whole stacks; an account quota
    does not spread. 0: no number of regions helps, one stack alone is over a region's limit (``too_big``)."""
    base = _scoped(BASELINE)
    need: dict[str, int] = {}
    spread: dict[str, set[str]] = defaultdict(set)
    for row in found:
        if row.model == SHARED:
            spread[row.account].add(row.region)
    for row in found:
        if row.fits or row.model != SHARED or row.quota.scope not in ("region", "zone"):
            continue
        # stacks are not split: each region holds as many whole stacks as their average need fits
        fit = _stacks_per_region(row, base)
        if fit == 0 or need.get(row.account) == 0:
            need[row.account] = 0
            continue
        total = row.stacks * len(spread[row.account])
        need[row.account] = max(need.get(row.account, 0), -(-total // fit))
    return need


def _stacks_per_region(row: Row, base: Mapping[tuple[str, str], float]) -> int:
    """How many of the row's stacks a region holds, at their average need; 0 when its largest stack alone
    does not fit in what the region leaves beside its default VPC."""
    own = base.get((row.quota.key, row.zone), 0.0)
    room = row.limit - own
    per_stack = (row.need - own) / max(row.stacks, 1)
    if per_stack <= 0 or room <= 0 or row.largest > room:
        return 0
    return int(room // per_stack)


def too_big(found: Iterable[Row]) -> dict[str, list[Row]]:
    """Shared cohorts with a regional quota that one of their stacks alone exceeds in a region: cohort -> those rows
    (spreading over regions cannot help; only an increase can)."""
    base = _scoped(BASELINE)
    out: dict[str, list[Row]] = defaultdict(list)
    for row in found:
        if not row.fits and row.model == SHARED and row.quota.scope in ("region", "zone") and _stacks_per_region(row, base) == 0:
            out[row.account].append(row)
    return dict(out)


def problems(found: Iterable[Row]) -> list[str]:
    """One line per quota over its limit (an account quota of a spread cohort once, not once per region)."""
    return list(dict.fromkeys(row.problem() for row in found if not row.fits))


def peak_stacks(files: Iterable[Path], graphs: Mapping[str, StackGraph], settings: Mapping[Path, Any],
                configs: Mapping[Path, Any] | None = None, cache: Any = None) -> list[Stack]:
    """The selected stacks at their peak: each one's session-end graph where its labs are before their last
    stage (one render per distinct configuration, kept in the graph ``cache`` when given), else the graph as
    rendered. ``configs``: stack files' configs the caller read already."""
    from cloudlabs.settings import read_stack_document

    from labctl.analysis.session_cost import before_last_stage, session_end_graph
    from labctl.offline import render
    memo: dict[str, StackGraph | None] = {}
    stacks: list[Stack] = []
    for path in files:
        name, s = render.stack_name_of(path), settings[path]
        graph = graphs.get(name)
        if graph is None:
            continue
        if before_last_stage(s):
            config = (configs or {}).get(path)
            config = config if config is not None else read_stack_document(path)["config"]
            graph = session_end_graph(name, path, config, memo, cache) or graph
        stacks.append(Stack(name, s.cohort, s.region, str(getattr(s, "account_model", None) or SHARED), graph, s.profile))
    return stacks


def table_data(found: list[Row]) -> list[dict[str, Any]]:
    """The rows as plain data (for --json readers and the benchmark)."""
    return [{"model": r.model, "account": r.account, "region": r.region, "where": r.where, "quota": r.quota.name,
             "code": r.quota.code, "service": r.quota.service, "need": r.need, "limit": r.limit, "applied": r.applied,
             "headroom": r.headroom, "fits": r.fits} for r in found]


def dumps(found: list[Row]) -> str:
    return json.dumps(table_data(found), indent=2)
