"""An emulated stack's state file: the whole state on its first line, then one line per change
appended as it happens; what a kill can leave (a last line cut short) is read as the state before
that change, anything else damaged is one clear error."""

from __future__ import annotations

import json

import pytest

from labctl.ops.emulated_state import FORMAT, EmulatedStack, StateError


def _entry(n: int) -> dict:
    return {"type": "aws:ec2/subnet:Subnet", "name": f"subnet-{n}", "id": f"subnet-{n:08x}", "inputs": {"cidrBlock": f"10.0.{n}.0/24"}}


def test_changes_are_appended_and_read_back_then_folded_into_one_line(tmp_path):
    state = EmulatedStack("demo-s01", tmp_path, account="acct-1")
    for n in range(3):
        state.record("pending", f"urn:{n}", {"type": "aws:ec2/subnet:Subnet", "name": f"subnet-{n}"})
        state.record("made", f"urn:{n}", _entry(n))
    state.record("pending", "urn:3", {"type": "aws:ec2/subnet:Subnet", "name": "subnet-3"})
    state.record("refused", "urn:3")
    state.record("deleted", "urn:1")
    state.record("pending", "urn:4", {"type": "aws:ec2/subnet:Subnet", "name": "subnet-4"})
    lines = state.path.read_text().splitlines()
    assert json.loads(lines[0])["format"] == FORMAT and len(lines) == 1 + 10  # the whole state, then each change
    again = EmulatedStack.load("demo-s01", tmp_path)
    assert list(again.resources) == ["urn:0", "urn:2"] and again.resources["urn:2"] == _entry(2)
    assert list(again.pending) == ["urn:4"] and again.account == "acct-1"
    assert (again.resources, again.pending) == (state.resources, state.pending)
    state.save()
    assert len(state.path.read_text().splitlines()) == 1
    assert EmulatedStack.load("demo-s01", tmp_path).resources == state.resources
    assert oct(state.path.stat().st_mode & 0o777) == "0o600"


def test_what_changed_in_memory_before_the_first_change_is_written_with_it(tmp_path):
    EmulatedStack("demo-s01", tmp_path, account="old").save()
    state = EmulatedStack.load("demo-s01", tmp_path)
    state.account, state.region = "new", "eu-west-1"
    state.record("made", "urn:0", _entry(0))
    again = EmulatedStack.load("demo-s01", tmp_path)
    assert (again.account, again.region, list(again.resources)) == ("new", "eu-west-1", ["urn:0"])


def test_a_change_cut_short_by_a_kill_is_not_applied(tmp_path):
    state = EmulatedStack("demo-s01", tmp_path)
    state.record("pending", "urn:0", {"type": "aws:ec2/subnet:Subnet", "name": "subnet-0"})
    state.close()
    whole = json.dumps({"change": "made", "urn": "urn:0", "entry": _entry(0)})
    with open(state.path, "a") as handle:
        handle.write(whole[: len(whole) // 2])  # no newline: the append the kill interrupted
    torn = EmulatedStack.load("demo-s01", tmp_path)
    assert torn.resources == {} and list(torn.pending) == ["urn:0"]  # dropped as pending by the next run


@pytest.mark.parametrize("line", ['{"change": "made", "urn": "urn:0"', '{"change": "renamed", "urn": "urn:0"}',
                                  '{"change": "made", "urn": 7}', "[1, 2]"])
def test_a_damaged_change_before_the_last_line_is_one_clear_error(tmp_path, line):
    state = EmulatedStack("demo-s01", tmp_path)
    state.record("made", "urn:0", _entry(0))
    state.close()
    with open(state.path, "a") as handle:
        handle.write(line + "\n" + json.dumps({"change": "deleted", "urn": "urn:0"}) + "\n")
    with pytest.raises(StateError, match=r"demo-s01.json:3: damaged .*labctl sandbox forget demo-s01"):
        EmulatedStack.load("demo-s01", tmp_path)


def test_a_state_of_the_older_format_is_read(tmp_path):
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "demo-s01.json").write_text(json.dumps({
        "format": "cloudlabs-emulated-stack/2", "stack": "demo-s01", "account": "a", "region": "us-east-1",
        "resources": {"urn:0": _entry(0)}, "pending": {}}, indent=1))
    assert list(EmulatedStack.load("demo-s01", tmp_path).resources) == ["urn:0"]
