"""What a change costs: two snapshot sets (``labctl plan --snapshots``, base and head) priced with
the pinned price table, per cohort and lab, over the cohort's sessions.

The figures are what the stacks deploy: the hourly resources of each graph as ``labctl plan``
prices them (``labctl.analysis.cost``). What the book's steps add by hand during a session
(``labctl.analysis.session_cost``) is not counted: it needs each stack re-rendered at its labs'
last stage (a snapshot is not enough), and it would hide what the review is for. Moving a cohort
from starter to solution makes ``up`` create the NAT gateway at the start of every session, for the
whole session, where the starter's students add it themselves part way through; the review shows
that difference as the change's cost.

A session is the stack's ``sessionHours`` and ``sessions`` as the snapshot records them (the cohort
file's, else the guardrail profile's); a snapshot written before they were recorded gets its
profile's. Head's session wins over base's: the change is priced over the course as it will be.
A stack on one side only counts fully there (a new student adds their whole stack).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable

from cloudlabs.pricing import PriceTable, PricingError, load_prices

from labctl.analysis.cost import Session, StackCost, estimate, session_of
from labctl.offline.graph import StackGraph

EPSILON = 1e-9  # sums of float prices: below this a change is no change
OTHER = "(stack)"  # items of resources no lab of the stack names
MARKDOWN_ROWS = 20  # causes and unpriced resources in the comment (the largest first; labctl diff prints all)


# --- money ----------------------------------------------------------------------------------------


def _places(value: float) -> int:
    size = abs(value)
    return 2 if size >= 0.995 else 3 if size >= 0.00095 else 5


def money(value: float, signed: bool = False) -> str:
    """``$4.05``, ``$0.045``, ``$0.00088``; with ``signed`` a change: ``+$4.05``, ``-$0.045``.
    Nothing rounds to a signed zero: ``$0.00``."""
    places = _places(value)
    if round(value, places) == 0:
        return "$0.00"
    sign = ("+" if value > 0 else "-") if signed else ("-" if value < 0 else "")
    return f"{sign}${abs(value):,.{places}f}"


def _range(values: Iterable[float], unit: str = "") -> str:
    values = sorted(set(values))
    low, high = values[0], values[-1]
    return f"{low:g}{unit}" if low == high else f"{low:g}-{high:g}{unit}"


# --- the model ------------------------------------------------------------------------------------


@dataclass
class StackSide:
    """One stack on one side: its cost, and its labs with their stages."""

    cost: StackCost
    labs: dict[str, str]  # lab -> stage
    session: Session

    def lab_of(self, resource: str) -> str:
        """The lab a resource belongs to: logical names start with the lab's key (``vpc-nat-nat``)."""
        owners = [lab for lab in self.labs if resource == lab or resource.startswith(lab + "-")]
        return max(owners, key=len) if owners else OTHER

    def hourly_by_lab(self) -> dict[str, float]:
        totals: dict[str, float] = {lab: 0.0 for lab in self.labs}
        for item in self.cost.items:
            lab = self.lab_of(item.resource)
            totals[lab] = totals.get(lab, 0.0) + item.hourly
        return totals


@dataclass
class StackCostChange:
    stack: str
    cohort: str
    base: StackSide | None
    head: StackSide | None

    @property
    def session(self) -> Session:
        side = self.head or self.base
        assert side is not None
        return side.session

    @property
    def status(self) -> str:
        return "added" if self.base is None else "removed" if self.head is None else "both"

    @property
    def base_hourly(self) -> float:
        return self.base.cost.hourly if self.base else 0.0

    @property
    def head_hourly(self) -> float:
        return self.head.cost.hourly if self.head else 0.0

    @property
    def hourly(self) -> float:
        return self.head_hourly - self.base_hourly

    @property
    def per_session(self) -> float:
        return self.hourly * self.session.hours

    @property
    def per_course(self) -> float:
        return self.per_session * self.session.count


@dataclass
class LabRow:
    """One cohort's one lab: the students who have it on either side, priced."""

    cohort: str
    lab: str
    stages: str  # "starter -> solution", "solution", "added", "removed", "mixed"
    students: int
    added: int
    removed: int
    base_hourly: float
    head_hourly: float
    per_session: float
    per_course: float
    sessions: str  # "12 x 3 h"

    @property
    def hourly(self) -> float:
        return self.head_hourly - self.base_hourly

    @property
    def label(self) -> str:
        return f"{self.lab} ({self.stages})" if self.stages else self.lab


@dataclass
class Cause:
    """One billed item added, removed or changed, with the same figures in every stack listed."""

    op: str  # "+", "-", "~"
    resource: str
    item: str
    base_hourly: float
    head_hourly: float
    stacks: list[str] = field(default_factory=list)

    @property
    def hourly(self) -> float:
        return self.head_hourly - self.base_hourly

    @property
    def total_hourly(self) -> float:
        return self.hourly * len(self.stacks)


@dataclass
class Unpriced:
    what: str  # "type name" of the resource, as StackCost.unpriced says it
    base: list[str] = field(default_factory=list)  # stacks
    head: list[str] = field(default_factory=list)


@dataclass
class CostChange:
    stacks: list[StackCostChange]
    rows: list[LabRow]
    causes: list[Cause]
    unpriced: list[Unpriced]
    as_of: str

    @property
    def changed(self) -> bool:
        return any(abs(s.hourly) > EPSILON for s in self.stacks) or bool(self.causes)

    # --- the headline: one line per cohort whose cost changes ------------------------------------

    def headline(self) -> list[str]:
        by_cohort: dict[str, list[StackCostChange]] = defaultdict(list)
        for s in self.stacks:
            by_cohort[s.cohort].append(s)
        lines = [_cohort_headline(cohort, stacks) for cohort, stacks in sorted(by_cohort.items())
                 if any(abs(s.hourly) > EPSILON for s in stacks)]
        if not lines:
            lines = [f"No cost change ({len(self.stacks)} stack{'s' if len(self.stacks) != 1 else ''} compared)."]
        new = [u for u in self.unpriced if u.head and not u.base]
        if new:
            lines.append(f"Not priced, not in the figures: {len(new)} resource{'s' if len(new) != 1 else ''} the change adds "
                         f"({', '.join(u.what for u in new[:3])}{', ...' if len(new) > 3 else ''}).")
        return lines

    # --- Markdown for the pull request's comment ----------------------------------------------------

    def markdown(self) -> list[str]:
        lines = ["### What it costs", ""]
        lines += [f"**{line}**" for line in self.headline()]
        changed_rows = [r for r in self.rows if abs(r.hourly) > EPSILON or r.added or r.removed]
        if changed_rows:
            lines += ["", "| Cohort | Lab | Students | Sessions | Base $/h (all) | Head $/h (all) | Change $/h | Per session | Per course |",
                      "|---|---|---:|---|---:|---:|---:|---:|---:|"]
            for r in changed_rows:
                lines.append(f"| {r.cohort} | {r.label} | {_students(r)} | {r.sessions} | {money(r.base_hourly)} | "
                             f"{money(r.head_hourly)} | {money(r.hourly, True)} | {money(r.per_session, True)} | "
                             f"{money(r.per_course, True)} |")
        if self.causes:
            lines += ["", "What causes it (per stack, folded across stacks with the same change):", "",
                      "| | Resource | Item | $/h each | Stacks | $/h in all |", "|---|---|---|---:|---:|---:|"]
            for c in self.causes[:MARKDOWN_ROWS]:
                lines.append(f"| {c.op} | `{c.resource}` | {c.item} | {money(c.hourly, True)} | {len(c.stacks)} | "
                             f"{money(c.total_hourly, True)} |")
            lines += _more(len(self.causes), "changes")
        if self.unpriced:
            lines += ["", "Not priced (no rule in labctl/analysis/cost.py; not in the figures):", ""]
            lines += [f"- `{u.what}`: {_sides(u)}" for u in self.unpriced[:MARKDOWN_ROWS]]
            lines += _more(len(self.unpriced), "resources")
        lines += ["", _footnote(self.as_of)]
        return lines

    # --- text for the terminal (labctl diff) -----------------------------------------------------

    def text(self) -> list[str]:
        lines = ["Cost:"] + [f"  {line}" for line in self.headline()]
        changed_rows = [r for r in self.rows if abs(r.hourly) > EPSILON or r.added or r.removed]
        for r in changed_rows:
            lines.append(f"  {r.cohort} {r.label}, {_students(r, noun=True)}, {r.sessions}: "
                         f"{money(r.base_hourly)}/h -> {money(r.head_hourly)}/h in all ({money(r.hourly, True)}/h, "
                         f"{money(r.per_session, True)} per session, {money(r.per_course, True)} per course)")
        if self.causes:
            lines.append("  caused by (per stack):")
            for c in self.causes:
                lines.append(f"    {c.op} {c.resource}: {c.item} {money(c.hourly, True)}/h in {len(c.stacks)} "
                             f"stack{'s' if len(c.stacks) != 1 else ''}")
        for u in self.unpriced:
            lines.append(f"  not priced: {u.what} ({_sides(u)})")
        if self.changed:
            lines.append(f"  {_footnote(self.as_of)}")
        return lines


def _more(count: int, what: str) -> list[str]:
    """The comment stays short whatever the class: the rest is in labctl diff's output."""
    return ["", f"... and {count - MARKDOWN_ROWS} more {what} (labctl diff lists them all)"] if count > MARKDOWN_ROWS else []


def _students(row: LabRow, noun: bool = False) -> str:
    extra = ([f"{row.added} new"] if row.added else []) + ([f"{row.removed} removed"] if row.removed else [])
    counted = f"{row.students} student{'s' if row.students != 1 else ''}" if noun else str(row.students)
    return counted + (f" ({', '.join(extra)})" if extra else "")


def _sides(u: Unpriced) -> str:
    return ", ".join(f"{side} {len(stacks)} stack{'s' if len(stacks) != 1 else ''}"
                     for side, stacks in (("base", u.base), ("head", u.head)) if stacks)


def _footnote(as_of: str) -> str:
    return (f"On-demand list prices as of {as_of} (pricing/aws-on-demand.yaml), hourly resources as deployed; usage and "
            "what the book's steps add by hand during a session are not counted.")


def _cohort_headline(cohort: str, stacks: list[StackCostChange]) -> str:
    hours = _range(s.session.hours for s in stacks)
    counts = _range(s.session.count for s in stacks)
    per_session = sum(s.per_session for s in stacks)
    per_course = sum(s.per_course for s in stacks)
    each = [s.hourly for s in stacks]
    n = len(stacks)
    added = sum(1 for s in stacks if s.status == "added")
    removed = sum(1 for s in stacks if s.status == "removed")
    joined = ", ".join(part for part in (f"{added} new" if added else "", f"{removed} leaving" if removed else "") if part)
    who = f"the cohort of {n}" + (f" ({joined})" if joined else "")
    session = f"per {hours}-hour session" if "-" not in hours else f"per session ({hours} h)"
    course = f"over the course's {counts} sessions"
    if max(each) - min(each) <= EPSILON:
        return (f"{cohort}: {money(each[0], True)}/h per student: {money(per_session, True)} {session} for {who}; "
                f"{money(per_course, True)} {course}")
    low, high = min(each), max(each)
    return (f"{cohort}: {money(low, True)} to {money(high, True)}/h per student ({money(sum(each), True)}/h for {who}): "
            f"{money(per_session, True)} {session}; {money(per_course, True)} {course}")


# --- building it ----------------------------------------------------------------------------------


def _price(graph: StackGraph, prices: PriceTable) -> StackCost:
    try:
        return estimate(graph, prices)
    except PricingError as err:  # e.g. an instance type the table has no price for: named, not fatal
        return StackCost(graph.stack, str(graph.settings.get("region", "")), unpriced=[f"every resource ({err})"],
                         region_priced=False)


def _side(data: dict[str, Any] | None, prices: PriceTable) -> StackSide | None:
    if data is None:
        return None
    graph = StackGraph.from_json(data)
    labs = {str(lab["lab"]): str(lab.get("stage", "")) for lab in graph.settings.get("labs") or []}
    return StackSide(_price(graph, prices), labs, session_of(graph.settings))


def _cohort(stack: str, data: dict[str, Any]) -> str:
    return str((data.get("settings") or {}).get("cohort") or stack)


def _items(side: StackSide | None) -> dict[tuple[str, str], float]:
    items: dict[tuple[str, str], float] = defaultdict(float)
    for item in side.cost.items if side else ():
        items[(item.resource, item.item)] += item.hourly
    return items


def _causes(stacks: list[StackCostChange]) -> list[Cause]:
    folded: dict[tuple, Cause] = {}
    for s in stacks:
        old, new = _items(s.base), _items(s.head)
        for key in sorted(set(old) | set(new)):
            a, b = old.get(key), new.get(key)
            if a is not None and b is not None and abs(a - b) <= EPSILON:
                continue
            op = "+" if a is None else "-" if b is None else "~"
            a, b = a or 0.0, b or 0.0
            shape = (op, *key, round(a, 9), round(b, 9))
            folded.setdefault(shape, Cause(op, key[0], key[1], a, b)).stacks.append(s.stack)
    return sorted(folded.values(), key=lambda c: (-abs(c.total_hourly), c.resource, c.item, c.op))


def _stages(pairs: set[tuple[str | None, str | None]]) -> str:
    if len(pairs) != 1:
        return "mixed stages"
    old, new = next(iter(pairs))
    if old is None:
        return f"new, {new}" if new else "new"
    if new is None:
        return f"removed, was {old}" if old else "removed"
    return old if old == new else f"{old} -> {new}"


def _rows(stacks: list[StackCostChange]) -> list[LabRow]:
    groups: dict[tuple[str, str], list[tuple[StackCostChange, float, float, str | None, str | None]]] = defaultdict(list)
    for s in stacks:
        old = s.base.hourly_by_lab() if s.base else {}
        new = s.head.hourly_by_lab() if s.head else {}
        for lab in sorted(set(old) | set(new)):
            base_stage = s.base.labs.get(lab, "" if lab == OTHER else None) if s.base else None
            head_stage = s.head.labs.get(lab, "" if lab == OTHER else None) if s.head else None
            groups[(s.cohort, lab)].append((s, old.get(lab, 0.0), new.get(lab, 0.0), base_stage, head_stage))
    rows = []
    for (cohort, lab), entries in sorted(groups.items()):
        per_session = sum((b - a) * s.session.hours for s, a, b, _, _ in entries)
        per_course = sum((b - a) * s.session.hours * s.session.count for s, a, b, _, _ in entries)
        counts = _range(s.session.count for s, *_ in entries)
        hours = _range((s.session.hours for s, *_ in entries), " h")
        rows.append(LabRow(
            cohort, lab, _stages({(x, y) for *_, x, y in entries}), len(entries),
            sum(1 for _, _, _, x, _ in entries if x is None), sum(1 for *_, y in entries if y is None),
            sum(a for _, a, *_ in entries), sum(b for _, _, b, *_ in entries), per_session, per_course,
            f"{counts} × {hours}"))
    return rows


def _unpriced(stacks: list[StackCostChange]) -> list[Unpriced]:
    found: dict[str, Unpriced] = {}
    for s in stacks:
        for side, name in ((s.base, "base"), (s.head, "head")):
            for what in sorted(set(side.cost.unpriced)) if side else ():
                getattr(found.setdefault(what, Unpriced(what)), name).append(s.stack)
    return [found[k] for k in sorted(found)]


def cost_change(base: dict[str, dict[str, Any]], head: dict[str, dict[str, Any]],
                prices: PriceTable | None = None) -> CostChange:
    """The cost of going from ``base`` to ``head``: two snapshot sets as ``diff.load_snapshots``
    reads them (stack -> cloudlabs.graph/v1 document)."""
    prices = prices or load_prices()
    stacks = []
    for stack in sorted(set(base) | set(head)):
        data = head.get(stack) or base[stack]
        stacks.append(StackCostChange(stack, _cohort(stack, data), _side(base.get(stack), prices),
                                      _side(head.get(stack), prices)))
    return CostChange(stacks, _rows(stacks), _causes(stacks), _unpriced(stacks), prices.as_of)
