"""The pull-request review path: the workflow's shape, and scripts/plan-diff for real."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from cloudlabs import REPO_ROOT

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "review.yml"


def test_workflow_tests_plans_base_and_head_and_comments():
    flow = yaml.safe_load(WORKFLOW.read_text())
    assert True in flow and "pull_request" in flow[True]  # YAML reads the key `on` as true
    steps = flow["jobs"]["plan-diff"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "./dev test" in runs
    assert 'scripts/plan-diff "$BASE_SHA" out/review' in runs
    assert "labctl sync" in runs and "--check" in runs
    # one comment, edited on every push: found by the marker the review writes first
    from labctl.analysis.review import MARKER
    assert "gh pr comment" in runs and "out/review/comment.md" in runs and f'startswith("{MARKER}")' in runs
    assert "--method PATCH" in runs
    assert steps[0]["with"]["fetch-depth"] == 0
    # the graph cache kept between runs, pruned to what the run used before it is saved
    caches = [step for step in steps if "uses" in step and "actions/cache/" in step["uses"]]
    assert [c["uses"].split("@")[0] for c in caches] == ["actions/cache/restore", "actions/cache/save"]
    assert all(c["with"]["path"] == ".cloudlabs/cache" for c in caches)
    assert "labctl cache prune --unused-since" in runs
    # the tests share the restored cache (what main's warm-cache rendered and linted), restored before them
    (tests,) = [step for step in steps if step.get("run", "").startswith("./dev test")]
    assert tests["env"]["CLOUDLABS_TEST_CACHE_DIR"].endswith("/.cloudlabs/cache")
    assert steps.index(caches[0]) < steps.index(tests)
    assert "push" in flow[True] and flow["jobs"]["warm-cache"]["if"] == "github.event_name == 'push'"
    uses = [step["uses"] for job in flow["jobs"].values() for step in job["steps"] if "uses" in step]
    assert uses and all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses)  # pinned to commits
    assert flow["permissions"] == {"contents": "read"}  # write access only where a job needs it
    preview = flow["jobs"]["preview"]
    assert preview["if"] == "github.event_name == 'pull_request' && vars.CLOUDLABS_PREVIEW == 'true'"
    assert "scripts/preview-all" in "\n".join(step.get("run", "") for step in preview["steps"])


@pytest.mark.skipif(not (REPO_ROOT / ".git").exists(), reason="needs the git checkout")
def test_plan_diff_script_shows_what_a_change_does(tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(REPO_ROOT), str(clone)], check=True)
    venv = Path(sys.prefix)  # the virtualenv running these tests, wherever it was made
    env = {**os.environ, "CLOUDLABS_VENV": str(venv)}
    python = sys.executable
    cohort = clone / "environments" / "demo.yaml"
    cohort.write_text(cohort.read_text().replace("stage: solution", "stage: starter"))  # s03 follows the session
    subprocess.run([python, "-m", "labctl", "sync", "demo"], cwd=clone, check=True, capture_output=True)

    result = subprocess.run(["scripts/plan-diff", "HEAD", "out"], cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stderr
    stacks = len(list((clone / "environments").glob("Pulumi.*.yaml")))
    assert f"1 of {stacks} stacks change" in result.stdout
    # back to the starter: web-dev loses its user data, and with user_data_replace_on_change, itself
    assert re.search(r"-4 resources, 1 replaced, \d+ output changes in demo-s03", result.stdout), result.stdout
    from labctl.analysis.review import GITHUB_LIMIT, MARKER
    comment = (clone / "out" / "comment.md").read_text()
    assert comment.startswith(MARKER) and len(comment) < GITHUB_LIMIT
    assert "**Students affected:** 1 in 1 cohort" in comment
    assert "1 student loses a running instance: vpc-nat-web-dev (replaced)" in comment
    assert f"{stacks} of {stacks} stacks would be accepted by AWS as planned" in comment  # validation in the comment
    assert "```mermaid" in comment and "**Cost:**" in comment
    assert (clone / "out" / "report.md").read_text().count("demo-s03") >= comment.count("demo-s03")
    assert len(list((clone / "out" / "base").iterdir())) == stacks
    assert subprocess.run(["git", "worktree", "list"], cwd=clone, capture_output=True, text=True).stdout.count("\n") == 1
