"""The pull-request review: one comment that says who loses what to a replacement, what the change
costs, what a changed stack looks like and which of the course's rules it breaks.

Built from the two snapshot sets ``labctl plan --snapshots`` writes (the base's and the head's) and,
when given, ``labctl validate --json`` of the head (deploy-readiness). The comment stays under
GitHub's limit for a comment body (65,536 characters) whatever the class size: the summary comes
first, then the diagram of a representative changed stack, then the details folded, as many as fit;
the full report (``--report``) has everything and goes into the workflow's artifact. The comment
starts with a marker so the workflow edits its previous comment instead of adding one per push.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from labctl.analysis import guardrails
from labctl.analysis.cost_diff import CostChange, cost_change
from labctl.analysis.diagram import LEGEND as DIAGRAM_LEGEND
from labctl.analysis.diagram import mermaid
from labctl.analysis.diff import (LEGEND, REPLACE, Group, StackDiff, diff_sets, fold, group_lines, loss_lines,
                                  summary_line)
from labctl.analysis.findings import Finding
from labctl.offline.graph import StackGraph

MARKER = "<!-- cloudlabs-review -->"  # the workflow finds its previous comment by it
GITHUB_LIMIT = 65_536  # characters in a comment body ("Body is too long" beyond)
BUDGET = GITHUB_LIMIT - 1_536  # room for what GitHub adds (and a margin)
ARTIFACT = "the full report is in this run's `plan-diff` artifact (report.md)"


@dataclass
class Section:
    """A folded part of the details: its lines, or as many of its items as fit."""

    title: str
    items: list[list[str]]  # each item a block of lines; kept whole or left out
    intro: list[str] = field(default_factory=list)

    def render(self, budget: int | None) -> tuple[str, int]:
        """The section as Markdown within ``budget`` characters (None: all), and how many items were left out."""
        head = [f"<details><summary>{self.title}</summary>", ""] + self.intro
        tail = ["", "</details>", ""]
        text = "\n".join(head)
        size = len(text) + len("\n".join(tail)) + 200  # the "N more" line
        kept: list[str] = []
        left = 0
        for item in self.items:
            block = "\n".join(item)
            if budget is not None and size + len(block) + 1 > budget:
                left = len(self.items) - len(kept)
                break
            kept.append(block)
            size += len(block) + 1
        lines = head + kept
        if left:
            lines += ["", f"_... and {left} more: {ARTIFACT}._"]
        return "\n".join(lines + tail), left


@dataclass
class Review:
    diffs: list[StackDiff]
    cost: CostChange
    policies: dict[str, list[Finding]]  # head stack -> its policy violations
    new_policies: dict[str, list[Finding]]  # the ones the base did not have
    readiness: list[dict[str, Any]] | None  # labctl validate --json of the head, when given
    diagram: tuple[str, str] | None  # (stack, Mermaid text) of a representative changed stack

    @property
    def changed(self) -> list[StackDiff]:
        return [d for d in self.diffs if d.changed]

    # --- the parts --------------------------------------------------------------------------------

    def summary(self) -> list[str]:
        lines = [summary_line(self.diffs)]
        if not self.changed:
            return lines
        students = {d.student for d in self.changed}
        cohorts = {d.student.split("/")[0] for d in self.changed if "/" in d.student}
        lines += ["", f"- **Students affected:** {len(students)}"
                  + (f" in {len(cohorts)} cohort{'s' if len(cohorts) != 1 else ''}" if cohorts else "")]
        replaced = sum(d.count(REPLACE) for d in self.changed)
        losses = loss_lines(self.diffs)
        if replaced:
            stacks = sum(1 for d in self.changed if d.count(REPLACE))
            lines.append(f"- **Replacements:** {replaced} resource{'s' if replaced != 1 else ''} in {stacks} "
                         f"stack{'s' if stacks != 1 else ''}" + (": " + "; ".join(losses) if losses else
                                                                 " (nothing a student keeps is lost)"))
        elif losses:
            lines.append("- **Deleted:** " + "; ".join(losses))
        else:
            lines.append("- **Replacements:** none")
        lines += [f"- **Cost:** {line}" for line in self.cost.headline()]
        lines.append("- **Policy violations:** " + self._policy_summary())
        if self.readiness is not None:
            ready = sum(1 for c in self.readiness if c.get("deployReady"))
            lines.append(f"- **Deploy-readiness:** {ready} of {len(self.readiness)} stacks would be accepted by AWS as planned")
        return lines

    def _policy_summary(self) -> str:
        stacks = [s for s, found in self.policies.items() if found]
        if not stacks:
            return "none"
        by_rule: dict[str, int] = {}
        for s in stacks:
            for rule in {f.rule for f in self.policies[s]}:
                by_rule[rule] = by_rule.get(rule, 0) + 1
        new = sum(1 for s in self.new_policies.values() if s)
        rules = ", ".join(f"{rule} in {n} stack{'s' if n != 1 else ''}" for rule, n in sorted(by_rule.items()))
        return f"{rules}" + (f" ({new} stack{'s' if new != 1 else ''} newly)" if new else " (as on the base)")

    def diagram_lines(self) -> list[str]:
        if self.diagram is None:
            return []
        stack, text = self.diagram
        return [f"### {stack}, as the change leaves it", "", "```mermaid", text.rstrip("\n"), "```", "",
                f"_{DIAGRAM_LEGEND}_", ""]

    def sections(self) -> list[Section]:
        groups = fold(self.diffs)
        out = []
        cost = self.cost.markdown()
        if cost:
            out.append(Section("Cost by cohort and lab", [cost]))
        if groups:
            out.append(Section(f"What changes: {len(groups)} kind{'s' if len(groups) != 1 else ''} of change",
                               [group_block(g) for g in groups], intro=[f"_{LEGEND}_", ""]))
        violations = [f for s in sorted(self.policies) for f in self.policies[s]]
        if violations:
            out.append(Section(f"Policy violations: {len(violations)}", [[f"- {f.line()}"] for f in violations]))
        if self.readiness is not None:
            findings = [f for c in self.readiness for f in c.get("findings", [])]
            if findings:
                out.append(Section(f"Deploy-readiness findings: {len(findings)}",
                                   [[f"- {Finding.from_json(f).line()}"] for f in findings]))
        return out

    # --- the comment and the report -------------------------------------------------------------

    def comment(self, limit: int = BUDGET) -> str:
        """Summary, diagram, then the details as far as they fit in ``limit`` characters."""
        head = "\n".join([MARKER, "## cloudlabs review", ""] + self.summary() + [""])
        parts = [head]
        size = len(head)
        picture = "\n".join(self.diagram_lines())
        if picture and size + len(picture) < limit // 2:  # the details matter more than a huge picture
            parts.append(picture)
            size += len(picture) + 1
        cut = 0
        for section in self.sections():
            text, left = section.render(limit - size - 300)
            cut += left
            if left and left == len(section.items):  # nothing of it fits
                continue
            parts.append(text)
            size += len(text) + 1
        parts.append(f"_Full details: {ARTIFACT}._" if cut else "")
        return "\n".join(parts).rstrip("\n") + "\n"

    def report(self) -> str:
        parts = ["\n".join(["## cloudlabs review", ""] + self.summary() + [""]), "\n".join(self.diagram_lines())]
        parts += [s.render(None)[0] for s in self.sections()]
        return "\n".join(parts).rstrip("\n") + "\n"


def group_block(group: Group) -> list[str]:
    """A group's details without its own <details> wrapper (the section folds them)."""
    lines = group_lines(group, markdown=True)
    return [f"**{group.headline()}**", ""] + lines[2:-2] + [""]  # the <details> lines are the section's


def _graphs(snapshots: Mapping[str, dict[str, Any]]) -> dict[str, StackGraph]:
    return {stack: StackGraph.from_json(doc) for stack, doc in snapshots.items()}


def _policies(graphs: Mapping[str, StackGraph]) -> dict[str, list[Finding]]:
    return {stack: guardrails.violations(graph) for stack, graph in sorted(graphs.items())}


def representative(diffs: Sequence[StackDiff]) -> StackDiff | None:
    """The stack whose change the most students share, preferring one with replacements."""
    groups = [g for g in fold(list(diffs)) if g.example.status in ("changed", "added")]
    if not groups:
        return None
    return sorted(groups, key=lambda g: (-bool(g.example.count(REPLACE)), -len(g.stacks), g.example.stack))[0].example


def marks_of(d: StackDiff) -> dict[str, str]:
    return {r.urn: ("replaced" if r.replaced else {"+": "added", "-": "removed", "~": "changed"}[r.op])
            for r in d.resources}


def build(base: Mapping[str, dict[str, Any]], head: Mapping[str, dict[str, Any]],
          readiness: list[dict[str, Any]] | None = None) -> Review:
    diffs = diff_sets(dict(base), dict(head))
    head_graphs, base_graphs = _graphs(head), _graphs(base)
    policies = _policies(head_graphs)
    before = {s: {f.line() for f in found} for s, found in _policies(base_graphs).items()}
    new = {s: [f for f in found if f.line() not in before.get(s, set())] for s, found in policies.items()}
    picture = None
    example = representative(diffs)
    if example is not None and example.stack in head_graphs:
        graph = head_graphs[example.stack]
        urns = {r.urn for r in graph.resources}
        removed = [r for r in base_graphs[example.stack].resources if r.urn not in urns] if example.stack in base_graphs else []
        picture = (example.stack, mermaid(graph, marks=marks_of(example), removed=removed))
    return Review(diffs, cost_change(dict(base), dict(head)), policies, new, readiness, picture)
