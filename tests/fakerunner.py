"""A scripted stand-in for the Pulumi CLI: outcomes per stack, in-process, synchronised by events.

``hold=True`` keeps every operation running until the test calls ``release()`` (or the stack is
cancelled): tests decide what overlaps by barriers, never by how long something takes.
"""

from __future__ import annotations

import threading
from typing import Callable

from labctl.ops.fleet import Outcome


class FakeRunner:
    def __init__(self, script: dict[str, list] | None = None, on_start: Callable[[str], None] | None = None,
                 hold: bool = False):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.on_start = on_start or (lambda stack: None)
        self.calls: list[tuple[str, str]] = []
        self.cancelled: set[str] = set()
        self.state: dict[str, int] = {}  # stack -> resources in its state, as a backend would report
        self.active = 0
        self.max_active = 0
        self._released = not hold
        self._changed = threading.Condition()

    def run(self, stack: str, operation: str, log, progress) -> Outcome:
        with self._changed:
            self.calls.append((stack, operation))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self._changed.notify_all()
        try:
            self.on_start(stack)
            log(f"{operation} {stack}: working")
            step = self.script[stack].pop(0) if self.script.get(stack) else Outcome({"create": 3, "same": 1}, "ok")
            with self._changed:
                self._changed.wait_for(lambda: self._released or stack in self.cancelled)
                if stack in self.cancelled:
                    raise RuntimeError("error: update canceled")
            progress(3)
            if isinstance(step, BaseException):
                raise step
            if operation == "destroy":
                self.state[stack] = 0
            elif operation == "up":
                self.state[stack] = sum(n for kind, n in step.changes.items() if kind != "delete")
            return step
        finally:
            with self._changed:
                self.active -= 1
                self._changed.notify_all()

    def resources(self, stack: str) -> int | None:
        return self.state.get(stack, 0)

    def cancel(self, stack: str) -> None:
        with self._changed:
            self.cancelled.add(stack)
            self._changed.notify_all()

    def release(self) -> None:
        """Let every held operation (and every later one) finish."""
        with self._changed:
            self._released = True
            self._changed.notify_all()

    def wait_until_active(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` operations run at once (a barrier; the timeout only bounds a broken test)."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.active >= count, timeout):
                raise AssertionError(f"never {count} operations at once (max {self.max_active})")


def shared_account_environments(monkeypatch, tmp_path):
    """The demo environments as a class in one account the instructor's credentials reach (accountModel
    shared, no shared key pair), made the CLI's default: the repo's demo cohorts use the learner-lab
    profile, whose students deploy their own stacks (self-service), which the instructor's fleet refuses."""
    import shutil

    import yaml

    from labctl.offline import render
    envs = tmp_path / "shared-environments"
    shutil.copytree(render.ENVIRONMENTS, envs)
    for path in envs.glob("Pulumi.*.yaml"):
        doc = yaml.safe_load(path.read_text())
        doc["config"]["cloudlabs:accountModel"] = "shared"
        doc["config"].pop("cloudlabs:keyName", None)
        path.write_text(yaml.safe_dump(doc))
    for path in envs.glob("*.yaml"):  # the cohort files (sweep reads the model there)
        if not path.name.startswith("Pulumi.") and not path.name.endswith(".seats.yaml"):
            text = "".join(line for line in path.read_text().splitlines(True) if not line.startswith("keyName:"))
            path.write_text(text + "accounts:\n  model: shared\n")
    monkeypatch.setattr(render, "ENVIRONMENTS", envs)
    return envs
