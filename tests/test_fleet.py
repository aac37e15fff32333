"""Fleet orchestration against a scripted runner: scheduling, limits, retries, interruption, resumption."""

from __future__ import annotations

import signal
import threading

import pytest

from labctl.ops.fleet import Fleet, Journal, Outcome, is_transient

from .fakerunner import FakeRunner

STACKS = [f"c-s{i:02d}" for i in range(1, 11)]


def run_in_background(fleet: Fleet, stacks: list[str], operation: str) -> tuple[threading.Thread, list]:
    out: list = []
    thread = threading.Thread(target=lambda: out.extend(fleet.run(stacks, operation)))
    thread.start()
    return thread, out


def test_parallelism_is_bounded_and_every_stack_runs_in_order():
    runner = FakeRunner(hold=True)
    thread, results = run_in_background(Fleet(runner, parallel=3), STACKS, "up")
    runner.wait_until_active(3)  # three at once (and the fleet must not start a fourth while they run)
    assert runner.active == 3 and len(runner.calls) == 3
    runner.release()
    thread.join()
    assert [r.stack for r in results] == STACKS
    assert all(r.status == "succeeded" and r.changes == {"create": 3, "same": 1} for r in results)
    assert runner.max_active == 3
    assert sorted(s for s, _ in runner.calls) == STACKS


def test_transient_causes_are_retried_with_exponential_backoff():
    sleeps: list[float] = []
    runner = FakeRunner({"c-s01": [RuntimeError("ThrottlingException: Rate exceeded"),
                                   RuntimeError("error: the stack is currently locked by 1 lock(s)"),
                                   Outcome({"create": 21}, "done")]})
    (result,) = Fleet(runner, parallel=2, retries=3, backoff=2.0, sleep=sleeps.append).run(["c-s01"], "up")
    assert (result.status, result.attempts, result.changes) == ("succeeded", 3, {"create": 21})
    assert sleeps == [2.0, 4.0]


def test_real_errors_fail_at_once_with_the_cause_in_one_line():
    sleeps: list[float] = []
    error = RuntimeError("code: 255\n stdout: ...\n error: creating EC2 Instance: InvalidAMIID.NotFound: "
                         "The image id 'ami-1' does not exist")
    runner = FakeRunner({"c-s02": [error]})
    results = Fleet(runner, parallel=4, sleep=sleeps.append).run(STACKS[:4], "up")
    failed = results[1]
    assert (failed.status, failed.attempts, sleeps) == ("failed", 1, [])
    assert failed.cause == ("error: creating EC2 Instance: InvalidAMIID.NotFound: The image id 'ami-1' does not exist")
    assert [r.status for r in results] == ["succeeded", "failed", "succeeded", "succeeded"]  # the others go on


def test_retries_are_bounded():
    runner = FakeRunner({"c-s01": [RuntimeError("Throttling")] * 10})
    (result,) = Fleet(runner, retries=2, sleep=lambda s: None).run(["c-s01"], "destroy")
    assert (result.status, result.attempts, result.cause) == ("failed", 3, "Throttling")


def test_interrupt_lets_running_operations_finish_and_starts_nothing_new():
    holder: dict = {}

    def on_start(stack: str) -> None:  # Ctrl-C once both run; only then may they finish
        if stack == "c-s02":
            holder["fleet"].request_stop()
            runner.release()

    runner = FakeRunner(hold=True, on_start=on_start)
    fleet = holder["fleet"] = Fleet(runner, parallel=2)
    results = fleet.run(STACKS, "up")
    statuses = {r.stack: r.status for r in results}
    assert statuses["c-s01"] == statuses["c-s02"] == "succeeded"
    assert all(statuses[s] == "not started" for s in STACKS[2:])
    assert len(runner.calls) == 2 and not runner.cancelled


def test_interrupt_with_cancel_cancels_running_updates_and_releases_their_locks():
    holder: dict = {}
    runner = FakeRunner(hold=True, on_start=lambda s: holder["fleet"].request_stop() if s == "c-s02" else None)
    fleet = holder["fleet"] = Fleet(runner, parallel=2, on_interrupt="cancel")
    results = fleet.run(STACKS, "destroy")
    statuses = {r.stack: r.status for r in results}
    assert statuses["c-s02"] == "cancelled"
    assert runner.cancelled >= {"c-s02"} and runner.cancelled <= {"c-s01", "c-s02"}
    assert all(statuses[s] == "not started" for s in STACKS[2:])


def test_ctrl_c_is_handled_by_the_fleet():
    """A real SIGINT while the fleet waits: no traceback, running stacks finish, the rest wait."""
    runner = FakeRunner(hold=True)
    fleet = Fleet(runner, parallel=2)
    stopped = threading.Event()
    original = fleet.request_stop

    def request_stop() -> None:  # what the SIGINT handler calls; the test then lets the two finish
        original()
        stopped.set()
        runner.release()

    fleet.request_stop = request_stop  # type: ignore[method-assign]

    def interrupt() -> None:  # the signal comes once both workers are busy, not at a time
        runner.wait_until_active(2)
        signal.raise_signal(signal.SIGINT)

    threading.Thread(target=interrupt).start()
    results = fleet.run(STACKS[:6], "up")
    assert stopped.is_set()
    statuses = [r.status for r in results]
    assert fleet.stopping
    assert statuses[:2] == ["succeeded", "succeeded"] and statuses[2:] == ["not started"] * 4


def test_rerunning_up_after_a_partial_failure_touches_only_what_is_not_done(tmp_path):
    path = tmp_path / "journal.json"
    runner = FakeRunner({"c-s03": [RuntimeError("error: quota exceeded")]})
    hashes = {s: "hash-1" for s in STACKS[:5]}
    Fleet(runner, journal=Journal(path)).run(STACKS[:5], "up", hashes)
    second = FakeRunner()
    second.state = dict(runner.state)  # the same backend
    results = Fleet(second, journal=Journal(path)).run(STACKS[:5], "up", hashes, resume=True)
    assert [s for s, _ in second.calls] == ["c-s03"]
    assert [r.status for r in results] == ["skipped", "skipped", "succeeded", "skipped", "skipped"]
    assert "the state agrees (4 resources)" in (results[0].cause or "")
    # a changed stack file, another operation since, or a state that no longer agrees runs again
    journal = Journal(path)
    assert journal.done("c-s01", "up", "hash-1", 4)
    assert not journal.done("c-s01", "up", "hash-2", 4) and not journal.done("c-s01", "destroy", "hash-1", 0)
    assert not journal.done("c-s01", "up", "hash-1", 0) and not journal.done("c-s01", "up", "hash-1", None)


def test_each_result_is_in_the_journal_as_soon_as_its_stack_ends(tmp_path):
    """While c-s02 still runs, c-s01's success and c-s02's start are already on disk: a kill now
    loses nothing (the barrier is c-s02 holding its run, not a time)."""
    path = tmp_path / "journal.json"
    gate = threading.Event()
    seen: dict = {}

    def on_start(stack: str) -> None:
        if stack == "c-s02":
            seen.update(Journal(path).entries)  # read by another reader, as the next run would
            gate.set()

    runner = FakeRunner(on_start=on_start)
    Fleet(runner, parallel=1, journal=Journal(path)).run(STACKS[:2], "up", {s: "h" for s in STACKS[:2]})
    assert gate.is_set()
    assert seen["c-s01"] == {"operation": "up", "status": "succeeded", "hash": "h", "resources": 4}
    assert seen["c-s02"] == {"operation": "up", "status": "running", "hash": "h"}


def test_an_older_success_is_not_taken_for_done_once_another_operation_began(tmp_path):
    """destroy succeeded, then an up began and was killed (its entry says running): the next destroy
    must run every stack the up touched, and may skip only those whose state is still empty."""
    path = tmp_path / "journal.json"
    first = FakeRunner()
    Fleet(first, journal=Journal(path)).run(STACKS[:3], "destroy", {s: "h" for s in STACKS[:3]})
    journal = Journal(path)
    journal.begin("c-s01", "up", "h")  # the killed up had started c-s01 only
    first.state["c-s01"] = 7  # and made part of it
    second = FakeRunner()
    second.state = dict(first.state)
    results = Fleet(second, journal=Journal(path)).run(STACKS[:3], "destroy", {s: "h" for s in STACKS[:3]}, resume=True)
    assert [s for s, _ in second.calls] == ["c-s01"]
    assert [r.status for r in results] == ["succeeded", "skipped", "skipped"]
    # a destroy whose stack has resources again (made outside labctl) is not done either
    second.state["c-s02"] = 3
    assert not Journal(path).done("c-s02", "destroy", "h", 3)


def test_a_damaged_journal_is_set_aside_and_rewritten(tmp_path):
    path = tmp_path / "journal.json"
    path.write_text('{"c-s01": {"operation": "up", "stat')
    journal = Journal(path)
    assert journal.problem and "not valid JSON" in journal.problem and journal.entries == {}
    Fleet(FakeRunner(), journal=journal).run(STACKS[:1], "up", {"c-s01": "h"})
    assert Journal(path).entries["c-s01"]["status"] == "succeeded" and Journal(path).problem is None


def test_a_log_file_per_stack(tmp_path):
    runner = FakeRunner({"c-s02": [RuntimeError("Throttling"), Outcome({"create": 1})]})
    results = Fleet(runner, log_dir=tmp_path / "logs", sleep=lambda s: None).run(STACKS[:2], "up")
    text = (tmp_path / "logs" / "c-s02.log").read_text()
    assert "--- up c-s02, attempt 1" in text and "up c-s02: working" in text and "--- transient, retrying in 2s" in text
    assert "--- succeeded" in text and results[1].log == str(tmp_path / "logs" / "c-s02.log")


@pytest.mark.parametrize("message,transient", [
    ("ThrottlingException: Rate exceeded", True), ("RequestLimitExceeded", True),
    ("error: the stack is currently locked by 1 lock(s)", True), ("conflict: Another update is currently in progress.", True),
    ("read: connection reset by peer", True), ("503 Service Unavailable", True),
    ("InvalidAMIID.NotFound", False), ("error: cloudlabs:seat: 300 is not allowed", False),
    ("UnauthorizedOperation: You are not authorized", False), ("VcpuLimitExceeded", False),
])
def test_what_counts_as_transient(message, transient):
    assert is_transient(RuntimeError(message)) is transient


def test_bad_fleet_arguments():
    with pytest.raises(ValueError):
        Fleet(FakeRunner(), parallel=0)
    with pytest.raises(ValueError, match="operation 'deploy'"):
        Fleet(FakeRunner()).run(["x"], "deploy")


def test_two_journals_on_one_file_keep_each_others_entries(tmp_path):
    """Two labctl processes (two cohorts) share a state directory's journal: a journal that wrote
    last re-reads the file only when someone else wrote it since, and never drops their entries."""
    path = tmp_path / "journal.json"
    mine, theirs = Journal(path), Journal(path)
    mine.begin("a-s01", "up", "h")
    mine.begin("a-s02", "up", "h")  # the file is still mine: no re-read needed, nothing lost
    theirs.begin("b-s01", "destroy", "h")
    mine.begin("a-s03", "up", "h")  # theirs wrote since: re-read, theirs kept
    theirs.begin("b-s02", "destroy", "h")
    assert sorted(Journal(path).entries) == ["a-s01", "a-s02", "a-s03", "b-s01", "b-s02"]
    assert Journal(path).entries["b-s01"]["operation"] == "destroy"
