"""The review comment: summary first (students affected, replacements, cost, policy violations,
deploy-readiness), a diagram of a changed stack, the details folded; always under GitHub's limit."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from labctl.analysis.review import GITHUB_LIMIT, MARKER, build
from labctl.cli.main import main

from .conftest import lab_graph


def _cohort(doc: dict[str, Any], students: int, cohort: str = "c") -> dict[str, dict[str, Any]]:
    out = {}
    for n in range(1, students + 1):
        copy_ = copy.deepcopy(doc)
        copy_["stack"] = f"{cohort}-s{n:03d}"
        copy_["settings"] = {**copy_["settings"], "cohort": cohort, "student": f"s{n:03d}"}
        out[copy_["stack"]] = copy_
    return out


@pytest.fixture(scope="module")
def vpc_nat() -> tuple[dict[str, Any], dict[str, Any]]:
    return lab_graph("vpc-nat", "starter").to_json(), lab_graph("vpc-nat", "solution").to_json()


def test_the_issues_example_in_one_comment(vpc_nat):
    """A 30-student vpc-nat cohort from starter to solution: who loses what, the cost, the picture."""
    base, head = (_cohort(d, 30) for d in vpc_nat)
    review = build(base, head, readiness=[{"stack": s, "deployReady": True, "findings": []} for s in head])
    comment = review.comment()
    assert comment.startswith(MARKER + "\n## cloudlabs review")
    summary = comment[:comment.index("```mermaid")]
    assert "30 of 30 stacks change" in summary and "**Students affected:** 30 in 1 cohort" in summary
    assert "30 students lose a running instance: vpc-nat-web-dev (replaced)" in summary
    assert "**Cost:**" in summary and "**Policy violations:** none" in summary
    assert "**Deploy-readiness:** 30 of 30 stacks" in summary
    diagram = comment[comment.index("```mermaid"):comment.index("```", comment.index("```mermaid") + 3)]
    assert "±" in diagram  # web-dev marked replaced in the picture
    assert "<details><summary>What changes" in comment and "[known after replacement]" in comment
    assert len(comment) < GITHUB_LIMIT


def test_a_250_student_change_stays_under_githubs_limit_and_the_report_has_everything(vpc_nat):
    """250 students, each with a change of its own (no folding), and a finding each: the comment keeps
    the summary and as much detail as fits; the report keeps all of it."""
    base, head = (_cohort(d, 250) for d in vpc_nat)
    for n, doc in enumerate(head.values()):
        web = next(r for r in doc["resources"] if r["name"] == "vpc-nat-web-dev")
        web["inputs"]["tags"] = {**web["inputs"]["tags"], f"note{n:03d}": "x" * 120}
    readiness = [{"stack": s, "deployReady": False,
                  "findings": [{"stack": s, "resource": "vpc-nat-web-dev", "type": "aws:ec2/instance:Instance",
                                "property": "UserData", "value": "x" * 70, "rule": "E0000", "message": "m" * 300,
                                "level": "error"}]} for s in head]
    review = build(base, head, readiness)
    comment, report = review.comment(), review.report()
    assert len(comment) < GITHUB_LIMIT < len(report)
    assert "250 students lose a running instance" in comment
    assert "**Deploy-readiness:** 0 of 250 stacks" in comment
    assert "more: the full report is in this run's `plan-diff` artifact" in comment
    assert all(f"c-s{n:03d}" in report for n in range(1, 251))


def test_no_change_is_said_plainly(vpc_nat):
    base = _cohort(vpc_nat[0], 3)
    review = build(base, copy.deepcopy(base))
    assert not review.changed
    assert "No changes in 3 stacks." in review.comment() and "```mermaid" not in review.comment()


def _write(directory: Path, docs: dict[str, dict[str, Any]]) -> Path:
    directory.mkdir()
    for stack, doc in docs.items():
        (directory / f"{stack}.json").write_text(json.dumps(doc))
    return directory


def test_the_command_writes_comment_and_report_and_refuses_bad_input(vpc_nat, tmp_path, capsys):
    base = _write(tmp_path / "base", _cohort(vpc_nat[0], 2))
    head = _write(tmp_path / "head", _cohort(vpc_nat[1], 2))
    comment, report = tmp_path / "comment.md", tmp_path / "report.md"
    assert main(["review", str(base), str(head), "--comment", str(comment), "--report", str(report)]) == 1
    assert comment.read_text().startswith(MARKER) and "2 students lose a running instance" in report.read_text()
    assert main(["review", str(base), str(base)]) == 2  # a directory compared with itself says nothing
    bad = tmp_path / "validate.json"
    bad.write_text('{"not": "a list"}')
    capsys.readouterr()
    assert main(["review", str(base), str(head), "--validation", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "validate.json" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
