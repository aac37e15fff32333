"""Grades: the lab's expected paths for a target stage, evaluated on a student's live graph.

The same evaluator as ``labctl check``; only the graph differs (``labctl.ops.live`` reads it from
AWS). A failed path names the first thing that blocks it, in the troubleshooting checklist's
words ("route table VPC-A-RT-Private has no route to 8.8.8.8").
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from cloudlabs.catalog import LABS

from labctl import kinds
from labctl.analysis.access import AccessResult, check_access
from labctl.analysis.check import PathResult, check_graph
from labctl.offline.graph import StackGraph

# what shows a student's labs are deployed: a VPC or a bucket of theirs (the records' shows_deployed)
DEPLOYED_SIGNS = frozenset(t for t, k in kinds.KINDS.items() if k.shows_deployed)


@dataclass
class StudentGrade:
    stack: str
    student: str
    results: list[PathResult | AccessResult] = field(default_factory=list)
    error: str | None = None  # the live network could not be read

    @property
    def passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    @property
    def total(self) -> int:
        return len(self.results)

    @property
    def complete(self) -> bool:
        return self.error is None and bool(self.results) and self.passed == self.total

    def blockers(self) -> list[str]:
        """Each failed path with what blocks it (or, for a path that must stay closed, that it is open)."""
        lines = []
        for r in self.results:
            if r.passed:
                continue
            why = r.verdict.reason if not r.verdict.allowed else "it is open, and the lab says it must not be"
            lines.append(f"{r.expect.label}: {why}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "student": self.student, "passed": self.passed, "total": self.total,
                "complete": self.complete, "error": self.error,
                "paths": [{"lab": r.lab, "stage": r.stage, "path": r.expect.label, "expected": r.expect.allowed,
                           "actual": r.verdict.allowed, "passed": r.passed, "why": r.expect.why,
                           "blockedBy": r.verdict.reason} for r in self.results]}


def settings_for_stage(settings: dict[str, Any], stage: str | None) -> dict[str, Any]:
    """The stack's settings with every lab at ``stage`` (None: as the stack file says); a lab
    without that stage keeps its own (a one-stage lab has nothing else to grade)."""
    graded = copy.deepcopy(settings)
    if stage is not None:
        for selection in graded["labs"]:
            if stage in LABS[selection["lab"]].stages:
                selection["stage"] = stage
    return graded


def grade(live: StackGraph, student: str) -> StudentGrade:
    """A hand-deleted host fails its paths (with the reason), never the whole grading run."""
    if not any(r.type in DEPLOYED_SIGNS for r in live.resources):
        return StudentGrade(live.stack, student, error="no lab network found: no VPC or bucket of this cohort and student "
                                                       "(not deployed yet, or destroyed)")
    results: list[PathResult | AccessResult] = [*check_graph(live, missing_hosts_fail=True), *check_access(live)]
    return StudentGrade(live.stack, student, results)
