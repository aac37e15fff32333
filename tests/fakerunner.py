"""A scripted stand-in for the Pulumi CLI: outcomes and durations per stack, in-process."""

from __future__ import annotations

import threading
import time
from typing import Callable

from labctl.fleet import Outcome


class FakeRunner:
    def __init__(self, script: dict[str, list] | None = None, duration: float = 0.0,
                 on_start: Callable[[str], None] | None = None):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.duration = duration
        self.on_start = on_start or (lambda stack: None)
        self.calls: list[tuple[str, str]] = []
        self.cancelled: set[str] = set()
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def run(self, stack: str, operation: str, log, progress) -> Outcome:
        with self._lock:
            self.calls.append((stack, operation))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.on_start(stack)
            log(f"{operation} {stack}: working")
            step = self.script[stack].pop(0) if self.script.get(stack) else Outcome({"create": 3, "same": 1}, "ok")
            deadline = time.monotonic() + self.duration
            while time.monotonic() < deadline:
                if stack in self.cancelled:
                    raise RuntimeError("error: update canceled")
                time.sleep(0.002)
            if stack in self.cancelled:
                raise RuntimeError("error: update canceled")
            progress(3)
            if isinstance(step, BaseException):
                raise step
            return step
        finally:
            with self._lock:
                self.active -= 1

    def cancel(self, stack: str) -> None:
        self.cancelled.add(stack)
