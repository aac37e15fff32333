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
    for entry in (tmp_path / "cache").iterdir():
        os.utime(entry, (1_000_000, 1_000_000))  # kept by an old run
    cache = GraphCache(tmp_path / "cache")
    assert plan(stacks, cache) == first and len(renders) == 3 and cache.hits == 3
    assert graphcache.prune(tmp_path / "cache", 2_000_000) == 0  # served: touched, so a prune keeps them


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


# Per-lab keys: a stack's key follows its own labs' files (and the labs they import), not every lab's.

def copy_program(root: Path) -> None:
    """The files a key reads, copied under ``root`` (byte for byte)."""
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in (*graphcache.PROGRAM_DIRS, "labs"):
        shutil.copytree(graphcache.REPO_ROOT / folder, root / folder, ignore=ignore)
    for name in graphcache.PROGRAM_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(graphcache.REPO_ROOT / name, root / name)


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the program, and one stack file per lab of the catalog (and a few odd ones)."""
    from cloudlabs.catalog import LABS
    root = tmp_path_factory.mktemp("program")
    copy_program(root)
    stacks = root / "stacks"
    stacks.mkdir()
    for key in LABS:  # each form the settings accept: a list of keys, {lab: ...}, a single key
        stacks.joinpath(f"{key}.yaml").write_text(yaml.safe_dump({"config": {"cloudlabs:labs": [key]}}))
    stacks.joinpath("mapping.yaml").write_text(yaml.safe_dump({"config": {"cloudlabs:labs": [{"lab": "vpc-nat", "stage": "starter"}]}}))
    stacks.joinpath("single.yaml").write_text(yaml.safe_dump({"config": {"cloudlabs:labs": "lamp"}}))
    stacks.joinpath("two.yaml").write_text(yaml.safe_dump({"config": {"cloudlabs:labs": ["vpc-peering", "load-balancer"]}}))
    stacks.joinpath("unknown.yaml").write_text(yaml.safe_dump({"config": {"cloudlabs:labs": ["no-such-lab"]}}))
    stacks.joinpath("broken.yaml").write_text("config: {cloudlabs:labs: [vpc-nat\n")
    return root


def keys(root: Path) -> dict[str, str]:
    """Every stack's key, every file read again."""
    graphcache.lab_units.cache_clear()
    graphcache._lab_fingerprint.cache_clear()
    cache = GraphCache(root / "cache", fingerprint=program_fingerprint.__wrapped__(root), root=root)
    return {path.stem: cache.key(path, None) for path in sorted((root / "stacks").glob("*.yaml"))}


@pytest.fixture(scope="module")
def baseline(tree) -> dict[str, str]:
    return keys(tree)


@pytest.fixture
def edit(tree):
    """Append a comment to a file of the copy; every edit is undone after the test."""
    kept: dict[Path, bytes] = {}

    def append(relative: str, text: str = "\n# edited\n") -> None:
        path = tree / relative
        kept.setdefault(path, path.read_bytes())
        path.write_bytes(path.read_bytes() + text.encode())
    yield append
    for path, data in kept.items():
        path.write_bytes(data)


def changed(tree, edit, *edits: str | tuple[str, str], before: dict[str, str]) -> set[str]:
    for one in edits:
        edit(*((one,) if isinstance(one, str) else one))
    after = keys(tree)
    return {stack for stack in before if before[stack] != after[stack]}


@pytest.mark.parametrize("edited, stacks", [
    ("components/labs/load_balancer.py", {"load-balancer", "autoscaling", "two"}),  # autoscaling imports .load_balancer
    ("cloudlabs/labs/load_balancer.py", {"load-balancer", "autoscaling", "two"}),  # ... and cloudlabs.labs.load_balancer
    ("cloudlabs/labs/ssh_access.py", {"ssh-access", "ec2-webserver"}),
    ("components/labs/lamp.py", {"lamp", "beanstalk", "single"}),  # beanstalk's component imports .lamp
    ("components/labs/vpc_nat.py", {"vpc-nat", "mapping"}),
    ("labs/beanstalk/app/index.php", {"beanstalk"}),  # its content folder
])
def test_a_changed_lab_re_keys_the_stacks_using_it_or_a_lab_that_imports_it(tree, baseline, edit, edited, stacks):
    assert (tree / edited).is_file()
    assert changed(tree, edit, edited, before=baseline) == stacks


@pytest.mark.parametrize("edited", ["components/labs/base.py", "components/labs/__init__.py", "cloudlabs/labs/__init__.py",
                                    "cloudlabs/catalog.py", "components/network.py", "labctl/kinds/ec2.py", "__main__.py"])
def test_a_change_to_what_every_lab_shares_re_keys_every_stack(tree, baseline, edit, edited):
    assert changed(tree, edit, edited, before=baseline) == set(baseline)


@pytest.mark.parametrize("shared", ["components/compute.py", "labctl/offline/fakeaws.py"])
def test_a_lab_module_a_shared_module_imports_is_part_of_the_program(tree, edit, shared):
    """A shared module (or the renderer) importing a lab's definition: that lab's changes reach every stack."""
    edit(shared, "\nfrom cloudlabs.labs import vpc_nat  # noqa\n")  # edits stay until the test ends
    before = keys(tree)
    assert changed(tree, edit, "cloudlabs/labs/vpc_nat.py", before=before) == set(before)
    assert changed(tree, edit, "cloudlabs/labs/lamp.py", before=keys(tree)) == {"lamp", "beanstalk", "single"}  # still its own


def test_a_new_import_between_labs_is_followed_and_a_lab_file_that_does_not_parse_is_shared(tree, edit):
    edit("components/labs/vpc_nat.py", "\nfrom ..labs.dual_stack import Any  # noqa\n")
    before = keys(tree)
    assert changed(tree, edit, "cloudlabs/labs/dual_stack.py", before=before) == {"vpc-nat", "mapping", "dual-stack"}
    assert changed(tree, edit, ("components/labs/dual_stack.py", "\ndef (:\n"), before=keys(tree)) == set(before)


def test_every_lab_component_lives_in_the_module_named_as_its_definition():
    """The convention per-lab keys rely on: the component of a lab is components/labs/<its definition's module>.py."""
    from components.labs import LAB_COMPONENTS
    from cloudlabs import REPO_ROOT, content
    units = graphcache.lab_units(REPO_ROOT, content.LABS_DIR)
    assert {key: cls.__module__ for key, cls in LAB_COMPONENTS.items()} == {
        key: f"components.labs.{module}" for key, module in units.modules.items()}


def test_prune_deletes_exactly_the_entries_unused_since_the_timestamp(tmp_path):
    cache = tmp_path / "graphs"
    cache.mkdir()
    old, new = [cache / f"{c * 64}.json" for c in "ab"]
    others = [cache / "notes.json", cache / f"{'C' * 64}.json", cache / f"{'d' * 64}.json.tmp", cache / f"{'e' * 63}.json"]
    outside = tmp_path / "outside.json"
    for path in (old, new, *others, outside):
        path.write_text("{}")
    (cache / f"{'f' * 64}.json").symlink_to(outside)  # a link named as an entry: neither it nor its target goes
    (cache / f"{'0' * 64}.json").mkdir()
    for path in (old, *others, outside):
        os.utime(path, (1_000_000, 1_000_000))
    os.utime(new, (3_000_000, 3_000_000))
    assert graphcache.prune(cache, 2_000_000) == 1
    assert not old.exists()
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [new.name, *(p.name for p in others), f"{'f' * 64}.json", f"{'0' * 64}.json"])
    assert outside.exists() and graphcache.prune(tmp_path / "none", 2_000_000) == 0


def test_cache_commands_and_their_bad_input(tmp_path, monkeypatch, capsys):
    from labctl.cli.main import main
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", str(tmp_path))
    graphs = tmp_path / "graphs"
    graphs.mkdir()
    for c, stamp in (("a", 1_000_000), ("b", 1_000_000), ("c", 4_000_000_000)):
        (graphs / f"{c * 64}.json").write_text("{}")
        os.utime(graphs / f"{c * 64}.json", (stamp, stamp))
    marker = tmp_path / "run-started"
    marker.touch()
    assert main(["cache", "info"]) == 0
    assert f"{graphs}: 3 entries" in capsys.readouterr().out
    assert main(["cache", "prune", "--unused-since", str(marker)]) == 0
    assert "deleted 2 of 3 entries" in capsys.readouterr().out
    assert main(["cache", "prune", "--older-than", "1"]) == 0  # the last one is from the future: kept
    assert [p.name for p in graphs.iterdir()] == [f"{'c' * 64}.json"]
    capsys.readouterr()
    for argv in (["cache"], ["cache", "prune"], ["cache", "prune", "--older-than", "-1"], ["cache", "prune", "--older-than", "nan"],
                 ["cache", "prune", "--older-than", "1", "--unused-since", str(marker)]):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 2 and capsys.readouterr().err.count("\n") == 1, argv
    assert main(["cache", "prune", "--unused-since", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err == f"labctl: --unused-since {tmp_path / 'missing'}: No such file or directory (a marker file touched when the run started)\n"
    graphs.rename(tmp_path / "real")
    graphs.symlink_to(tmp_path / "real")  # never followed
    assert main(["cache", "prune", "--older-than", "0"]) == 2
    assert "is not a directory" in capsys.readouterr().err and len(list((tmp_path / "real").iterdir())) == 1
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", "off")
    assert main(["cache", "info"]) == 0 and "off" in capsys.readouterr().out
