"""Expected up times (the critical path), sharding (LPT, deterministic, balanced), the GitHub matrix,
collecting the shards' results with a missing and a failed shard, plan's expected times and the fleet
workflow's shape."""

from __future__ import annotations

import itertools
import json
import re

import pytest
import yaml
from hypothesis import given, settings, strategies as st

from cloudlabs import REPO_ROOT
from labctl import kinds
from labctl.analysis import duration
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.graph import Resource, StackGraph

from .conftest import lab_graph
from .fakerunner import FakeRunner, shared_account_environments

WORKFLOW = REPO_ROOT / ".github" / "workflows" / "fleet.yml"


def test_every_kind_states_its_creation_time_or_why_it_takes_none():
    for token, kind in kinds.KINDS.items():
        assert kind.provision_seconds > 0 or kind.provision_note, f"{token}: no provision_seconds and no reason"
        assert kind.provision_seconds >= 0
    seconds = {k.label: k.provision_seconds for k in kinds.KINDS.values()}
    # what the issue measured weighs more than what AWS answers at once
    assert seconds["database"] > seconds["Beanstalk environment"] > seconds["load balancer"] > seconds["NAT gateway"] > \
        seconds["instance"] > seconds["subnet"]


def _resource(name: str, token: str, deps: tuple[str, ...] = (), parent: str | None = None, custom: bool = True) -> Resource:
    return Resource(f"urn:{name}", token, name, f"urn:{parent}" if parent else None, custom, None, {},
                    dependencies=[f"urn:{d}" for d in deps])


def test_the_critical_path_of_a_hand_built_graph_with_a_component():
    # a(10) -> b(5), a -> c(20), b + c -> d(1): 31 along a c d, where the sum is 36.
    # component k holds e(7) -> f(4); g(2) depends on k, so it waits for f: 7 + 4 + 2 = 13.
    graph = StackGraph("t-s01", "cloudlabs", {}, {}, [
        _resource("a", "t:A"), _resource("b", "t:B", ("a",)), _resource("c", "t:C", ("a",)), _resource("d", "t:D", ("b", "c")),
        _resource("k", "t:K", custom=False), _resource("e", "t:E", parent="k"), _resource("f", "t:F", ("e",), parent="k"),
        _resource("g", "t:G", ("k",))])
    seconds = {"t:A": 10, "t:B": 5, "t:C": 20, "t:D": 1, "t:E": 7, "t:F": 4, "t:G": 2}
    assert duration.critical_path(graph, seconds) == (31, ["a", "c", "d"])
    seconds["t:G"] = 30  # now g's chain (7 + 4 + 30) is the longest
    assert duration.critical_path(graph, seconds) == (41, ["e", "f", "g"])


def test_a_vpc_peering_stack_waits_for_its_nat_gateway_not_for_the_sum():
    graph = lab_graph("vpc-peering")
    took, chain = duration.critical_path(graph)
    # VPC 3 + internet gateway 3 + NAT gateway 120 + the private default route 2 (the NAT waits for the gateway)
    assert took == 128
    assert chain == ["vpc-peering-vpc-a", "vpc-peering-vpc-a-igw", "vpc-peering-vpc-a-nat", "vpc-peering-vpc-a-private-default"] \
        or chain[-2:] == ["vpc-peering-vpc-b-nat", "vpc-peering-vpc-b-private-default"]
    assert sum(duration.provision_seconds(r.type) for r in graph.resources) > 2 * took
    assert duration.stack_seconds(graph) == took + duration.STACK_OVERHEAD_SECONDS


def test_the_fleet_runs_stacks_in_order_as_workers_free_up():
    assert duration.fleet_seconds([10] * 5, 2) == 30
    assert duration.fleet_seconds([1, 1, 10], 2) == 11  # the long one starts when a worker frees up
    assert duration.fleet_seconds([10, 1, 1], 2) == 10
    assert duration.fleet_seconds([], 4) == 0


def _optimal(items: list[float], machines: int) -> float:
    return min(max(sum(items[i] for i in range(len(items)) if which[i] == m) for m in range(machines))
               for which in itertools.product(range(machines), repeat=len(items)))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 900), min_size=1, max_size=7), st.integers(1, 3))
def test_lpt_is_within_grahams_bound_of_the_best_split(items, count):
    durations = {f"s{i:02d}": float(v) for i, v in enumerate(items)}
    shards = duration.shard(durations, count)
    assert sorted(s for shard in shards for s in shard.stacks) == sorted(durations)  # every stack once
    assert len(shards) == min(count, len(items))
    worst = max(s.load for s in shards)
    m = len(shards)
    assert worst <= (4 / 3 - 1 / (3 * m)) * _optimal(list(durations.values()), m) + 1e-9


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(1, 900), min_size=1, max_size=300), st.integers(1, 256), st.randoms())
def test_shards_are_deterministic_and_balanced(items, count, rnd):
    durations = {f"s{i:03d}": v for i, v in enumerate(items)}
    shuffled = list(durations.items())
    rnd.shuffle(shuffled)
    shards = duration.shard(durations, count)
    assert duration.shard(dict(shuffled), count) == shards  # the input's order does not matter
    m = len(shards)
    lower = max(sum(items) / m, max(items))
    assert max(s.load for s in shards) <= lower * 4 / 3 + max(items)
    for s in shards:  # each shard longest first: the order its fleet runs them
        assert [durations[x] for x in s.stacks] == sorted((durations[x] for x in s.stacks), reverse=True)


def test_the_github_matrix_shape_and_its_256_jobs():
    durations = {f"s{i:03d}": float(300 - i) for i in range(300)}
    matrix = duration.github_matrix(duration.shard(durations, 256))
    assert len(matrix["include"]) == 256
    assert matrix["include"][0] == {"shard": 1, "stacks": matrix["include"][0]["stacks"]}
    assert all(set(job) == {"shard", "stacks"} and re.fullmatch(r"[\w-]+( [\w-]+)*", job["stacks"]) for job in matrix["include"])
    with pytest.raises(ValueError, match="at most 256"):
        duration.github_matrix(duration.shard(durations, 257))


def test_shard_prints_the_same_plan_and_matrix_every_time(capsys, tmp_path):
    runs = []
    for n in (1, 2):
        assert main(["shard", "demo", "-j", "1", "--shards", "2", "--github-matrix", "--json", str(tmp_path / f"plan{n}.json")]) == 0
        captured = capsys.readouterr()
        runs.append((captured.out, (tmp_path / f"plan{n}.json").read_text()))
    assert runs[0] == runs[1]
    matrix = json.loads(runs[0][0])  # stdout is the matrix alone; the table went to stderr
    assert [job["shard"] for job in matrix["include"]] == [1, 2]
    assert sorted(" ".join(j["stacks"] for j in matrix["include"]).split()) == ["demo-s01", "demo-s02", "demo-s03"]
    assert matrix["include"][0]["stacks"] == "demo-s03"  # the NAT gateway's stack is the longest: alone
    plan = json.loads(runs[0][1])
    assert plan["stackSeconds"]["demo-s03"] == 128 + duration.STACK_OVERHEAD_SECONDS
    assert plan["wallSeconds"] == plan["stackSeconds"]["demo-s03"]
    assert "expected up: 2 min 28 s at 2 shard(s)" in captured.err
    # plan shows the same times (its renders come from the graph cache the shard runs filled)
    assert main(["plan", "demo", "-j", "1", "--shards", "2", "--parallel", "1"]) in (0, 1)
    out = capsys.readouterr().out
    assert re.search(r"demo-s03\s+│\s+2 min 28 s\s+│\s+vpc-nat-vpc-a > vpc-nat-vpc-a-igw > vpc-nat-vpc-a-nat", out)
    # one at a time: 148 + 56 + 56; over 2 jobs: the NAT gateway's stack alone
    assert "expected up of the 3 stack(s): 4 min 20 s on one machine (--parallel 1), 2 min 28 s over 2 jobs" in out


def test_shard_refuses_more_jobs_than_a_matrix_takes(capsys):
    assert main(["shard", "demo", "--shards", "300"]) == 2
    assert "more than --max-shards 256" in capsys.readouterr().err
    assert main(["shard", "--shards", "3"]) == 2
    assert "name a cohort or stacks" in capsys.readouterr().err
    assert main(["up", "demo", "--results", "-"]) == 2
    assert "--results: '-' is not allowed" in capsys.readouterr().err


def test_collect_names_a_failed_shard_and_a_missing_one(monkeypatch, capsys, tmp_path):
    """Three shards of the demo cohort: the first succeeds, the second fails, the third's job
    uploaded nothing. Each shard runs the real fleet command (a fake Pulumi runner) into its folder."""
    runner = FakeRunner({"demo-s01": [RuntimeError("error: creating EC2 Instance: VcpuLimitExceeded")]})
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: runner)
    shared_account_environments(monkeypatch, tmp_path)  # the instructor's fleet: a class in one account
    artifacts = tmp_path / "artifacts"
    (artifacts / "shard-plan").mkdir(parents=True)
    assert main(["shard", "demo", "-j", "1", "--shards", "3", "--json", str(artifacts / "shard-plan" / "shard-plan.json")]) == 0
    plan = json.loads((artifacts / "shard-plan" / "shard-plan.json").read_text())
    shards = {s["shard"]: s["stacks"] for s in plan["shards"]}
    assert shards == {1: ["demo-s03"], 2: ["demo-s01"], 3: ["demo-s02"]}  # longest first (the NAT gateway's), then by name
    for number in (1, 2):
        folder = artifacts / f"results-{number}"
        folder.mkdir()
        monkeypatch.setattr(runners, "STATE_DIR", folder / "state")
        code = main(["up", *shards[number], "--skip-validation", "--results", str(folder / "results.json")])
        assert code == (1 if number == 2 else 0)
    capsys.readouterr()
    code = main(["collect", str(artifacts), "--json", str(tmp_path / "merged.json"), "--journal", str(tmp_path / "journal.json"),
                 "--markdown", str(tmp_path / "summary.md")])
    out = capsys.readouterr().out
    assert code == 1
    assert "VcpuLimitExceeded" in out
    assert "missing: shard 3: no results at all (its job failed before writing them, or its artifact is missing): demo-s02" in out
    merged = {r["stack"]: r for r in json.loads((tmp_path / "merged.json").read_text())["results"]}
    assert {s: (r["status"], r["shard"]) for s, r in merged.items()} == {
        "demo-s03": ("succeeded", 1), "demo-s01": ("failed", 2), "demo-s02": ("missing", 3)}
    journal = json.loads((tmp_path / "journal.json").read_text())
    assert sorted(journal) == ["demo-s01", "demo-s03"]  # the missing shard has no entry to invent
    assert journal["demo-s01"]["status"] == "failed" and journal["demo-s03"]["status"] == "succeeded"
    assert "**missing**: shard 3" in (tmp_path / "summary.md").read_text()
    # without the plan, what is missing cannot be told: refused rather than guessed
    import shutil
    shutil.rmtree(artifacts / "shard-plan")
    assert main(["collect", str(artifacts)]) == 2
    assert "no shard plan" in capsys.readouterr().err


def test_the_fleet_workflow_shards_runs_and_collects():
    flow = yaml.safe_load(WORKFLOW.read_text())
    inputs = flow[True]["workflow_dispatch"]["inputs"]  # YAML reads the key `on` as true
    assert set(inputs) == {"cohort", "operation", "students", "shards"}
    assert set(inputs["operation"]["options"]) == {"up", "destroy", "stop", "start", "preview", "grade"}
    jobs = flow["jobs"]
    runs = {name: "\n".join(step.get("run", "") for step in job["steps"]) for name, job in jobs.items()}
    assert "labctl shard" in runs["shard"] and "--github-matrix" in runs["shard"] and "GITHUB_OUTPUT" in runs["shard"]
    run = jobs["run"]
    assert run["strategy"]["matrix"] == "${{ fromJSON(needs.shard.outputs.matrix) }}"
    assert run["strategy"]["fail-fast"] is False and 1 <= run["strategy"]["max-parallel"] <= 256
    assert '"$OPERATION" "${stacks[@]}" --results' in runs["run"]
    assert run["env"]["PULUMI_BACKEND_URL"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert run["permissions"] == {"contents": "read", "id-token": "write"}  # OIDC only where AWS is called
    uploads = [s for s in run["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["if"] == "always()"
    collect = jobs["collect"]
    assert "always()" in collect["if"] and "labctl collect" in runs["collect"] and "GITHUB_STEP_SUMMARY" in runs["collect"]
    assert all(job["permissions"].get("id-token") is None for name, job in jobs.items() if name != "run")
    uses = [step["uses"] for job in jobs.values() for step in job["steps"] if "uses" in step]
    assert all(re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", u) for u in uses)  # pinned to commits
    assert flow["permissions"] == {"contents": "read"}


def test_collect_reads_graded_shards_and_refuses_what_it_cannot_trust(capsys, tmp_path):
    """A grade run's shards leave `labctl grade --json` files: complete, incomplete and not read are
    told apart; a stack two shards report, and a folder that is not one, are bad input."""
    art = tmp_path / "artifacts"
    for folder in ("shard-plan", "results-1", "results-2"):
        (art / folder).mkdir(parents=True)
    plan = {"version": "cloudlabs.shards/v1", "shards": [{"shard": 1, "stacks": ["c-s01", "c-s02"]},
                                                         {"shard": 2, "stacks": ["c-s03", "c-s04"]}]}
    (art / "shard-plan" / "shard-plan.json").write_text(json.dumps(plan))
    grades = [{"stack": "c-s01", "complete": True, "passed": 4, "total": 4, "error": None},
              {"stack": "c-s02", "complete": False, "passed": 1, "total": 4, "error": None}]
    (art / "results-1" / "grade.json").write_text(json.dumps(grades))
    (art / "results-2" / "grade.json").write_text(json.dumps([{"stack": "c-s03", "complete": False, "error": "AccessDenied"}]))
    assert main(["collect", str(art), "--json", str(tmp_path / "merged.json")]) == 1
    out = capsys.readouterr().out
    assert "grade: 1 failed, 1 incomplete, 1 missing, 1 succeeded" in out
    assert "missing: shard 2: no result for c-s04" in out
    rows = {r["stack"]: (r["status"], r["cause"]) for r in json.loads((tmp_path / "merged.json").read_text())["results"]}
    assert rows["c-s02"] == ("incomplete", "1 of 4 paths") and rows["c-s03"] == ("failed", "AccessDenied")
    (art / "results-2" / "grade.json").write_text(json.dumps(grades[:1]))  # c-s01 again, from shard 2
    assert main(["collect", str(art)]) == 2
    assert "c-s01: results in" in capsys.readouterr().err
    assert main(["collect", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: not a directory" in capsys.readouterr().err
