"""The fast tier (./dev test-fast) leaves out the tests tests/slow.txt names: the list cannot rot
(every name still exists) and cannot swallow a module (each test file keeps a fast test)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from cloudlabs import REPO_ROOT

from .conftest import SLOW_LIST, is_slow, slow_entries

ENTRIES = slow_entries(SLOW_LIST.read_text(encoding="utf-8"))


def _tests_in(path: Path) -> set[str]:
    """The test functions a file defines: test_x, and Class::test_x for methods of Test classes."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name.startswith("test"):
            names.add(node.name)
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            names |= {f"{node.name}::{item.name}" for item in node.body
                      if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name.startswith("test")}
    return names


def test_the_slow_list_is_not_empty_and_has_no_duplicates():
    assert ENTRIES, "tests/slow.txt names no test: the fast tier would be the whole suite"
    assert len(ENTRIES) == len(set(ENTRIES))


@pytest.mark.parametrize("entry", ENTRIES)
def test_every_name_in_the_slow_list_still_exists(entry):
    path, _, name = entry.partition("::")
    file = REPO_ROOT / path
    assert file.is_file(), f"tests/slow.txt: {entry}: no file {path}"
    if not name:
        assert len(_tests_in(file)) == 1, f"tests/slow.txt names the whole of {path}, which has more than one test"
    else:
        assert name.split("[", 1)[0] in _tests_in(file), f"tests/slow.txt: {entry}: {path} has no test {name}"


def test_each_test_file_keeps_a_test_in_the_fast_tier():
    """Unless the list names the file itself, which it does only for a file of one slow test."""
    whole = {entry for entry in ENTRIES if "::" not in entry}  # named on purpose: its one test is slow
    files = sorted({entry.partition("::")[0] for entry in ENTRIES} - whole)
    for path in files:
        tests = _tests_in(REPO_ROOT / path)
        fast = [name for name in tests if not is_slow(f"{path}::{name}", set(ENTRIES))]
        assert fast, f"every test of {path} is in tests/slow.txt: the fast tier would not cover its module"


def test_one_parametrization_names_only_itself():
    entries = {"tests/test_a.py::test_x[one]", "tests/test_b.py::test_y", "tests/test_c.py"}
    assert is_slow("tests/test_a.py::test_x[one]", entries)
    assert not is_slow("tests/test_a.py::test_x[two]", entries)
    assert is_slow("tests/test_b.py::test_y[any]", entries) == "tests/test_b.py::test_y"
    assert is_slow("tests/test_c.py::Test::test_z", entries) == "tests/test_c.py"
    assert not is_slow("tests/test_b.py::test_y_other", entries)


def test_parametrized_names_in_the_slow_list_are_collected():
    """A name with a parametrization id is checked against what pytest collects (ids are not in the source)."""
    with_ids = [entry for entry in ENTRIES if "[" in entry]
    if not with_ids:
        pytest.skip("tests/slow.txt names whole tests only")
    files = sorted({entry.partition("::")[0] for entry in with_ids})
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-n", "0", "-p", "no:cacheprovider",
                           *files], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    collected = set(done.stdout.split())
    assert not [entry for entry in with_ids if entry not in collected], done.stdout[-2000:]
