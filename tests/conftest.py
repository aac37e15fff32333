"""Shared fixtures: valid settings to start from, and the renderer with a per-session cache."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cloudlabs import content
from cloudlabs.settings import parse_settings
from labctl.offline import render
from labctl.offline.graph import StackGraph

SOURCE = "environments/Pulumi.test-s01.yaml"


def config(**overrides: Any) -> dict[str, Any]:
    """A valid stack config (as in a stack file); keyword names are the keys after 'cloudlabs:'
    (aws_region for aws:region). A value of None removes the key."""
    base: dict[str, Any] = {
        "aws:region": "us-east-1",
        "cloudlabs:cohort": "test",
        "cloudlabs:student": "s01",
        "cloudlabs:seat": 1,
        "cloudlabs:labs": [{"lab": "vpc-nat", "stage": "solution"}],
        "cloudlabs:adminCidr": "203.0.113.0/24",
        "cloudlabs:profile": "learner-lab",
        "cloudlabs:keyName": "vockey",
        "cloudlabs:instanceType": "t3.micro",
        "cloudlabs:expires": "2026-12-19",
    }
    for key, value in overrides.items():
        full = "aws:region" if key == "aws_region" else f"cloudlabs:{key}"
        if value is None:
            base.pop(full, None)
        else:
            base[full] = value
    return base


@pytest.fixture(autouse=True, scope="session")
def _lint_cache_outside_the_checkout(tmp_path_factory):
    """Tests never write the graph or lint cache into the checkout. They share one outside it:
    the run's, for all its workers (a stack or template shape rendered or linted by one worker is
    not done again by the other), or CLOUDLABS_TEST_CACHE_DIR's, kept between runs (CI keeps it).
    Entries are keyed by everything that can change them, so a shared cache can only miss;
    tests that need an empty one make their own."""
    import os
    previous = os.environ.get("CLOUDLABS_CACHE_DIR")
    base = tmp_path_factory.getbasetemp()
    run = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # the workers' common base
    shared = Path(os.environ.get("CLOUDLABS_TEST_CACHE_DIR") or run / "cache").resolve()
    shared.mkdir(parents=True, exist_ok=True)
    os.environ["CLOUDLABS_CACHE_DIR"] = str(shared)
    yield
    if previous is None:
        os.environ.pop("CLOUDLABS_CACHE_DIR", None)
    else:
        os.environ["CLOUDLABS_CACHE_DIR"] = previous


@pytest.fixture(autouse=True, scope="session")
def _aws_delete_rules():
    """moto refuses deletes as AWS does (labctl/ops/emulator_rules.py) in every test: the rules are AWS's truth."""
    from labctl.ops import emulator_rules
    emulator_rules.install()


_cache: dict[str, StackGraph] = {}


@pytest.fixture
def lab_copy(tmp_path, monkeypatch) -> Path:
    """A copy of labs/ that lab content is read from for the test (the checkout is never touched)."""
    copy = tmp_path / "labs"
    shutil.copytree(content.LABS_DIR, copy)
    monkeypatch.setattr(content, "LABS_DIR", copy)
    return copy


def render_config(cfg: dict[str, Any], cache: bool = True) -> StackGraph:
    settings = parse_settings(cfg, SOURCE)
    key = json.dumps(cfg, sort_keys=True, default=str)
    if not cache or key not in _cache:
        graph = render.render(settings.stack_name, cfg, settings)
        if not cache:
            return graph
        _cache[key] = graph
    return _cache[key]


def lab_graph(lab: str, stage: str = "solution", options: dict | None = None, **overrides: Any) -> StackGraph:
    entry: dict[str, Any] = {"lab": lab, "stage": stage}
    if options:
        entry["options"] = options
    return render_config(config(labs=[entry], **overrides))


@pytest.fixture(scope="session")
def demo_graphs() -> dict[str, StackGraph]:
    return {g.stack: g for g in (render.render_file(p) for p in render.stack_files())}


# --- the fast tier: tests/slow.txt names the slow tests, marked `slow` (./dev test-fast skips them) ---

SLOW_LIST = Path(__file__).with_name("slow.txt")


def slow_entries(text: str) -> list[str]:
    """The names in slow.txt: a test file (tests/test_x.py), a test (tests/test_x.py::test_y, every
    parametrization of it) or one parametrization (tests/test_x.py::test_y[id]); '#' starts a comment."""
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def is_slow(nodeid: str, entries: set[str]) -> str | None:
    """The entry of slow.txt that names a test, if any."""
    path, _, name = nodeid.partition("::")
    for candidate in (nodeid, name and f"{path}::{name.split('[', 1)[0]}", path):
        if candidate in entries:
            return candidate
    return None


def pytest_collection_modifyitems(config, items):
    entries = set(slow_entries(SLOW_LIST.read_text(encoding="utf-8")))
    for item in items:
        if is_slow(item.nodeid, entries):
            item.add_marker(pytest.mark.slow)
