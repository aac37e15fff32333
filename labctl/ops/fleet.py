"""Fleet operations: one operation over many stacks, in parallel, without one student's failure
touching the others.

The orchestrator knows nothing of Pulumi or AWS: a ``Runner`` performs one operation on one
stack (the Automation API, boto3 for stop/start, or a scripted fake in tests). The fleet adds
bounded parallelism, retries with exponential backoff for transient causes only (throttling, a
stack locked by an update that then finishes), a log file per stack, progress callbacks,
interruption (let running operations finish, or cancel them and release their locks) and a
journal so that re-running `up` after a partial failure touches only what is not done.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Protocol

from cloudlabs.reading import InputFileError, load_json
from cloudlabs.writing import PRIVATE_FILE, atomic_write, lock_file, private_dir

# "outputs": refresh the state, then run the program again so the stack outputs follow (a plain
# `pulumi refresh` does not recompute them: public IPs change when instances stop and start).
OPERATIONS = ("preview", "up", "refresh", "destroy", "stop", "start", "outputs")

DEFAULT_PARALLEL = 4  # stacks at a time on one machine (labctl up --parallel)

# What changes a stack's state, and so what the journal keeps (preview, stop and start do not).
JOURNALED = ("up", "destroy", "refresh")

# Causes worth another try; anything else is a real error and fails at once.
TRANSIENT = re.compile(
    r"throttl|rate exceeded|requestlimitexceeded|too many requests|slow ?down|"
    r"currently locked|another update is currently in progress|concurrent update|"
    r"connection (reset|refused|aborted)|timed? ?out|service ?unavailable|temporarily unavailable|"
    r"internal ?(server )?error|\b50[234]\b|\b429\b",
    re.IGNORECASE,
)


@dataclass
class Outcome:
    """What a runner reports for one successful operation."""

    changes: dict[str, int] = field(default_factory=dict)  # create/update/delete/same counts
    summary: str = ""


class Runner(Protocol):
    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]) -> Outcome:
        """Perform the operation; raise on failure (the message says why)."""

    def cancel(self, stack: str) -> None:
        """Stop a running operation and release the stack's lock."""

    def resources(self, stack: str) -> int | None:
        """How many resources the stack's state holds now (None: it cannot be read); the journal
        believes an earlier success only when this agrees with it."""


@dataclass
class StackResult:
    stack: str
    operation: str
    status: str = "not started"  # succeeded, failed, cancelled, not started, skipped
    changes: dict[str, int] = field(default_factory=dict)
    duration: float = 0.0
    attempts: int = 0
    cause: str | None = None
    log: str | None = None

    @property
    def changes_text(self) -> str:
        c = self.changes
        if not c:
            return ""
        return f"+{c.get('create', 0)} ~{c.get('update', 0) + c.get('replace', 0)} -{c.get('delete', 0)}"


@dataclass
class Progress:
    phase: str = "waiting"
    resources: int = 0
    started: float | None = None
    attempt: int = 0


def is_transient(error: BaseException) -> bool:
    if type(error).__name__ in ("ConcurrentUpdateError",):
        return True
    return bool(TRANSIENT.search(str(error)))


def first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # Pulumi's errors start with the command line it ran; the cause is further down.
    meaningful = [line for line in lines if line.lower().startswith(("error", "aws", "pulumi:")) or ":" in line]
    return (meaningful[-1] if meaningful else lines[0])[:200]


class Journal:
    """Per stack: the last operation begun on it, how it ended (``running`` until it does), the hash
    of the stack file it ran with, and for a success the number of resources its state then held.

    Every change is written as it happens (re-read, updated and replaced atomically under a lock,
    so parallel workers and two labctl processes never lose each other's entries): a run killed at
    any moment leaves ``running`` on the stacks it was working on, never an older run's success.
    A stack counts as done only when its entry says so *and* its state agrees (``done``).
    """

    def __init__(self, path: Path, durable: bool = True):
        self.path = path
        self.durable = durable  # flushed to the disk at each change (real clouds); the emulator's dies with its account anyway
        self.problem: str | None = None  # why an unreadable journal was set aside
        self._lock = threading.Lock()
        self._written: tuple[tuple[int, int, int], dict] | None = None  # the file as this journal last wrote it
        self.entries = self._read()  # what earlier runs left: the word ``done`` checks

    def _read(self) -> dict[str, dict]:
        if not self.path.exists():
            return {}
        try:
            data = load_json(self.path, "fleet journal (written by labctl)")
        except InputFileError as err:
            self.problem = str(err)
            return {}  # a damaged journal only costs a re-run (up and destroy converge), never a skipped stack
        return {k: v for k, v in data.items() if isinstance(v, dict)} if isinstance(data, dict) else {}

    def done(self, stack: str, operation: str, stack_file_hash: str, resources_now: int | None) -> bool:
        """The last run of ``operation`` on ``stack`` succeeded with this stack file, and the state
        agrees: empty after a destroy, as many resources as that success left after an up.
        ``resources_now`` None (the state cannot be read) is never done."""
        entry = self.entries.get(stack)
        if not entry or resources_now is None or entry.get("operation") != operation:
            return False
        if entry.get("status") != "succeeded" or entry.get("hash") != stack_file_hash:
            return False
        if operation == "destroy":
            return resources_now == 0
        return operation == "up" and resources_now > 0 and entry.get("resources") == resources_now

    def begin(self, stack: str, operation: str, stack_file_hash: str) -> None:
        self._write(stack, {"operation": operation, "status": "running", "hash": stack_file_hash})

    def finish(self, result: StackResult, stack_file_hash: str, resources: int | None = None) -> None:
        entry: dict = {"operation": result.operation, "status": result.status, "hash": stack_file_hash}
        if resources is not None:
            entry["resources"] = resources
        self._write(result.stack, entry)

    def _write(self, stack: str, entry: dict) -> None:
        with self._lock, lock_file(self.path.with_name(self.path.name + ".lock")):
            if self.problem is not None:
                current = {}
            elif self._written is not None and self._written[0] == _signature(self.path):
                current = self._written[1]  # the file is still the one this journal wrote last: no other process wrote since
            else:
                current = self._read()
            current[stack] = entry
            atomic_write(self.path, json.dumps(current, indent=2, sort_keys=True) + "\n", mode=PRIVATE_FILE,
                         durable=self.durable)
            self._written = (_signature(self.path), current)
            self.problem = None  # rewritten whole: whatever was damaged is gone


def _signature(path: Path) -> tuple[int, int, int]:
    """Which file ``path`` is now: every write replaces it with a new one (a new inode)."""
    info = os.stat(path)
    return info.st_ino, info.st_size, info.st_mtime_ns


def file_hash(path: Path | None) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path and path.exists() else ""


class Fleet:
    def __init__(self, runner: Runner, parallel: int = 4, retries: int = 3, backoff: float = 2.0,
                 log_dir: Path | None = None, on_interrupt: str = "finish",
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
                 on_change: Callable[[], None] | None = None, journal: Journal | None = None):
        if parallel < 1 or retries < 0 or on_interrupt not in ("finish", "cancel"):
            raise ValueError("parallel >= 1, retries >= 0, on_interrupt finish|cancel")
        self.runner, self.parallel, self.retries, self.backoff = runner, parallel, retries, backoff
        self.log_dir, self.on_interrupt, self.sleep, self.clock = log_dir, on_interrupt, sleep, clock
        self.on_change = on_change or (lambda: None)
        self.journal = journal
        self.progress: dict[str, Progress] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    # --- interruption ---------------------------------------------------------------------------

    def request_stop(self) -> None:
        """What Ctrl-C does: start nothing new; cancel running operations if so configured. A
        second Ctrl-C cancels them in any case (someone who presses it twice wants out)."""
        if self._stop.is_set():
            if self.on_interrupt == "cancel":
                return
            self.on_interrupt = "cancel"
        self._stop.set()
        if self.on_interrupt == "cancel":
            for stack, p in list(self.progress.items()):
                if p.phase == "running":
                    try:
                        self.runner.cancel(stack)
                    except Exception:  # noqa: BLE001 - best effort; the stack is reported as it ends
                        pass

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # --- running --------------------------------------------------------------------------------

    def run(self, stacks: Iterable[str], operation: str, hashes: dict[str, str] | None = None,
            resume: bool = False) -> list[StackResult]:
        """``operation`` on every stack. With a journal, each stack's start and end are recorded as
        they happen (``hashes``: each stack file's hash); ``resume`` skips a stack whose last run of
        this operation succeeded with the same stack file and whose state still agrees."""
        if operation not in OPERATIONS:
            raise ValueError(f"operation {operation!r}; allowed: {', '.join(OPERATIONS)}")
        order = list(dict.fromkeys(stacks))
        results = {s: StackResult(s, operation) for s in order}
        self._hashes, self._resume = hashes or {}, resume
        for stack in order:
            self.progress[stack] = Progress()
        if self.log_dir:
            private_dir(self.log_dir)  # logs quote the program's output: its owner's to read
        # Ctrl-C becomes a stop request wherever the main thread is (a KeyboardInterrupt could land
        # outside the wait below and escape with a traceback); restored when the run ends.
        previous = None
        if threading.current_thread() is threading.main_thread():
            previous = signal.signal(signal.SIGINT, lambda signum, frame: self.request_stop())
        pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="fleet")
        futures: dict[Future, str] = {pool.submit(self._one, s, operation, results[s]): s for s in order}
        pending = set(futures)
        try:
            while pending:
                try:
                    _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                except KeyboardInterrupt:
                    self.request_stop()
                if self.stopping:
                    for f in list(pending):
                        if f.cancel():  # never started
                            pending.discard(f)
        finally:
            pool.shutdown(wait=True)
            if previous is not None:
                signal.signal(signal.SIGINT, previous)
        return [results[s] for s in order]

    def _already_done(self, stack: str, operation: str, result: StackResult) -> bool:
        if not (self._resume and self.journal and operation in ("up", "destroy")):
            return False
        now = self._resources(stack)
        if not self.journal.done(stack, operation, self._hashes.get(stack, ""), now):
            return False
        result.status = self.progress[stack].phase = "skipped"
        result.cause = (f"already done: the last {operation} succeeded with this stack file and the state agrees "
                        f"({now} resource{'s' if now != 1 else ''})")
        self.on_change()
        return True

    def _resources(self, stack: str) -> int | None:
        count = getattr(self.runner, "resources", None)
        try:
            return count(stack) if count else None
        except Exception:  # noqa: BLE001 - a state that cannot be read is never taken as agreeing
            return None

    def _one(self, stack: str, operation: str, result: StackResult) -> StackResult:
        p = self.progress[stack]
        if self.stopping or self._already_done(stack, operation, result):
            return result
        journal = self.journal if operation in JOURNALED else None
        if journal:
            journal.begin(stack, operation, self._hashes.get(stack, ""))
        log_file = (self.log_dir / f"{stack}.log") if self.log_dir else None
        result.log = str(log_file) if log_file else None
        handle = (os.fdopen(os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "a", encoding="utf-8")
                  if log_file else None)

        def log(line: str) -> None:
            if handle:
                handle.write(line if line.endswith("\n") else line + "\n")
                handle.flush()

        def progress(resources: int) -> None:
            p.resources = resources
            self.on_change()

        started = self.clock()
        p.started = started
        try:
            for attempt in range(1, self.retries + 2):
                result.attempts = attempt
                p.phase, p.attempt, p.resources = "running", attempt, 0
                self.on_change()
                log(f"--- {operation} {stack}, attempt {attempt}")
                try:
                    outcome = self.runner.run(stack, operation, log, progress)
                except Exception as error:  # noqa: BLE001 - every failure is classified and reported
                    log(f"--- failed: {error}")
                    if self.stopping and self.on_interrupt == "cancel":
                        result.status, result.cause = "cancelled", "interrupted: the operation was cancelled"
                        break
                    if is_transient(error) and attempt <= self.retries and not self.stopping:
                        delay = self.backoff * 2 ** (attempt - 1)
                        p.phase = f"retry in {delay:g}s"
                        self.on_change()
                        log(f"--- transient, retrying in {delay:g}s")
                        self.sleep(delay)
                        continue
                    result.status, result.cause = "failed", first_line(error)
                    break
                result.status, result.changes, result.cause = "succeeded", outcome.changes, None
                log(f"--- succeeded: {outcome.summary or result.changes_text}")
                break
        finally:
            result.duration = self.clock() - started
            p.phase = result.status
            if handle:
                handle.close()
            if journal and result.status in ("succeeded", "failed", "cancelled"):
                after = self._resources(stack) if result.status == "succeeded" else None
                journal.finish(result, self._hashes.get(stack, ""), after)
            self.on_change()
        return result


def summary_counts(results: list[StackResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    return counts


def results_json(results: list[StackResult]) -> list[dict]:
    return [asdict(r) for r in results]


RESULTS_VERSION = "cloudlabs.fleet-results/v1"


def results_document(operation: str, results: list[StackResult]) -> dict:
    """What ``--results FILE`` writes: the operation and every selected stack's result, including
    those that never started (an interrupted run), so a merge can tell done from missing."""
    return {"version": RESULTS_VERSION, "operation": operation, "results": results_json(results)}
