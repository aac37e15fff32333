"""Incremental plans: a cached graph is served only while nothing that made it has changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import yaml

from labctl.analysis import batch

from labctl.offline import graphcache
from labctl.offline.graphcache import GraphCache, program_fingerprint
from labctl.offline.render import ENVIRONMENTS


@pytest.fixture
def stacks(tmp_path) -> list[Path]:
    envs = tmp_path / "environments"
    envs.mkdir()
    for name in ("demo-s01", "demo-s02", "demo-s03"):
        shutil.copy(ENVIRONMENTS / f"Pulumi.{name}.yaml", envs)
    return sorted(envs.glob("Pulumi.*.yaml"))


@pytest.fixture
def renders(monkeypatch) -> list[str]:
    """Every stack the batch really renders (in-process, jobs=1)."""
    seen: list[str] = []
    real = batch.render_file

    def counting(path):
        seen.append(path.name)
        return real(path)
    monkeypatch.setattr(batch, "render_file", counting)
    return seen


def plan(stacks: list[Path], cache: GraphCache) -> dict[str, dict]:
    return {r.stack: r.graph.to_json() for r in batch.render_files(stacks, jobs=1, cache=cache)}


def test_an_unchanged_cohort_is_served_from_the_cache_byte_for_byte(stacks, renders, tmp_path):
    first = plan(stacks, GraphCache(tmp_path / "cache"))
    assert len(renders) == 3
    cache = GraphCache(tmp_path / "cache")
    assert plan(stacks, cache) == first and len(renders) == 3 and cache.hits == 3


def test_a_changed_stack_file_re_renders_that_stack_only_and_never_serves_the_stale_graph(stacks, renders, tmp_path):
    plan(stacks, GraphCache(tmp_path / "cache"))
    doc = yaml.safe_load(stacks[0].read_text())
    doc["config"]["cloudlabs:adminCidr"] = "198.51.100.0/24"
    stacks[0].write_text(yaml.safe_dump(doc))
    renders.clear()
    graphs = plan(stacks, GraphCache(tmp_path / "cache"))
    assert renders == [stacks[0].name]
    assert graphs["demo-s01"]["settings"]["adminCidr"] == "198.51.100.0/24"


def test_a_changed_profile_re_renders_the_stacks_that_use_it(stacks, renders, tmp_path, monkeypatch):
    from cloudlabs import profiles
    copy = tmp_path / "profiles"
    shutil.copytree(profiles.PROFILES_DIR, copy)
    monkeypatch.setattr(profiles, "PROFILES_DIR", copy)
    plan(stacks, GraphCache(tmp_path / "cache"))
    (copy / "learner-lab.yaml").write_text((copy / "learner-lab.yaml").read_text() + "\n# edited\n")
    renders.clear()
    plan(stacks, GraphCache(tmp_path / "cache"))
    assert len(renders) == 3  # all three stacks use learner-lab


def test_a_program_change_re_renders_every_stack(stacks, renders, tmp_path):
    plan(stacks, GraphCache(tmp_path / "cache", fingerprint="program-1"))
    renders.clear()
    plan(stacks, GraphCache(tmp_path / "cache", fingerprint="program-2"))
    assert len(renders) == 3


def test_the_fingerprint_follows_program_sources_lab_files_and_dependency_versions(tmp_path, monkeypatch):
    for folder in (*graphcache.PROGRAM_DIRS, "labs"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "components" / "network.py").write_text("A = 1\n")
    (tmp_path / "labs" / "index.html").write_text("<h1>one</h1>\n")
    fingerprint = program_fingerprint.__wrapped__  # uncached: each call reads the files again
    base = fingerprint(tmp_path)
    assert fingerprint(tmp_path) == base
    (tmp_path / "components" / "network.py").write_text("A = 2\n")
    changed_source = fingerprint(tmp_path)
    (tmp_path / "labs" / "index.html").write_text("<h1>two</h1>\n")
    changed_lab_file = fingerprint(tmp_path)
    os.mkfifo(tmp_path / "labs" / "pipe")  # named, never opened: a FIFO would block the read
    (tmp_path / "labs" / "env.txt").symlink_to("/proc/self/environ")  # hashed by its target's name, not read
    planted = fingerprint(tmp_path)
    monkeypatch.setattr(graphcache, "version", lambda name: "99.0" if name == "pulumi-aws" else "1.0")
    changed_versions = fingerprint(tmp_path)
    assert len({base, changed_source, changed_lab_file, planted, changed_versions}) == 5


def test_a_damaged_entry_is_rendered_again(stacks, renders, tmp_path):
    plan(stacks, GraphCache(tmp_path / "cache"))
    for entry in (tmp_path / "cache").iterdir():
        entry.write_text('{"format": "cloudlabs.graph/v1", "stack": ')
    renders.clear()
    graphs = plan(stacks, GraphCache(tmp_path / "cache"))
    assert len(renders) == 3 and set(graphs) == {"demo-s01", "demo-s02", "demo-s03"}


def test_no_cache_renders_everything(stacks, renders, tmp_path, monkeypatch, capsys):
    from labctl.cli.main import main
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", str(tmp_path / "shared"))
    assert main(["plan", str(stacks[0].parent), "--jobs", "1", "--quiet"]) == 0
    assert main(["plan", str(stacks[0].parent), "--jobs", "1", "--quiet"]) == 0
    assert len(renders) == 3  # the second plan rendered nothing
    assert main(["plan", str(stacks[0].parent), "--jobs", "1", "--quiet", "--no-cache"]) == 0
    assert len(renders) == 6


def test_a_cached_graph_keeps_its_validation_for_the_same_checks_and_day(stacks, tmp_path, monkeypatch):
    from labctl.analysis import validation
    validated: list[str] = []
    real = validation.Validator.validate

    def counting(self, graph, session_end=None):
        validated.append(graph.stack)
        return real(self, graph, session_end)
    monkeypatch.setattr(validation.Validator, "validate", counting)
    batch._validator.clear()
    first = batch.render_files(stacks, jobs=1, validate=True, cache=GraphCache(tmp_path / "cache"))
    assert len(validated) == 3
    again = batch.render_files(stacks, jobs=1, validate=True, cache=GraphCache(tmp_path / "cache"))
    assert len(validated) == 3  # served with the validation kept beside the graph
    assert [r.validation.to_json() for r in again] == [r.validation.to_json() for r in first]
    monkeypatch.setattr(graphcache, "validation_fingerprint", lambda: "other checks, or the next day")
    batch.render_files(stacks, jobs=1, validate=True, cache=GraphCache(tmp_path / "cache"))
    assert len(validated) == 6  # validated again, the graph itself still from the cache
