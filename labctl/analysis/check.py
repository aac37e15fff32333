"""Expected paths of every lab of a stack, evaluated on its rendered graph."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlabs.catalog import LABS
from cloudlabs.paths import Expect

from labctl.offline.graph import StackGraph
from labctl.analysis.reach import Evaluator, NetworkModel, Verdict


@dataclass
class PathResult:
    stack: str
    lab: str
    stage: str
    expect: Expect
    verdict: Verdict

    @property
    def passed(self) -> bool:
        return self.verdict.allowed == self.expect.allowed


def expected_paths(graph: StackGraph) -> list[tuple[str, str, Expect]]:
    """(lab, stage, expectation) for every lab the stack runs, as its definition declares them."""
    paths = []
    for selection in graph.settings["labs"]:
        lab, stage = selection["lab"], selection["stage"]
        options = LABS[lab].options.model_validate(selection.get("options") or {})
        paths += [(lab, stage, e) for e in LABS[lab].expected_paths(stage, options)]
    return paths


def check_graph(graph: StackGraph, missing_hosts_fail: bool = False) -> list[PathResult]:
    """Every expected path's verdict. A host the lab names but the graph lacks is a bug in a plan
    (KeyError), but in a live network it is a student's deletion: with ``missing_hosts_fail``
    the path is denied with that reason."""
    evaluator = Evaluator(NetworkModel(graph), graph.settings.get("adminCidr"))
    results = []
    for lab, stage, e in expected_paths(graph):
        try:
            verdict = evaluator.check(e.src, e.dst, e.protocol, e.port)
        except KeyError as missing:
            if not missing_hosts_fail:
                raise
            verdict = Verdict(False, [], str(missing.args[0]))
        results.append(PathResult(graph.stack, lab, stage, e, verdict))
    return results
