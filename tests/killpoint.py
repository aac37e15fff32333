"""Run one labctl command in this process, stopping dead at a chosen point: the test then kills it
with SIGKILL, as a dropped ssh session or the OOM killer would. Nothing runs after the kill (no
``finally``, no atexit), so what is on disk is what a real kill leaves.

    python tests/killpoint.py fake STATE_FILE STACK -- up demo --parallel 1
        the Pulumi runner is the fake runner (tests/fakerunner.py) whose stacks' resource counts
        live in STATE_FILE (a fake backend); it stops when STACK's operation has begun.
    python tests/killpoint.py emulator N -- up demo-s02 --emulate
        the real emulator; it stops right after its N-th create (or delete) was recorded.

When it stops, it prints ``STOPPED <what>`` on stdout (the test's barrier) and waits forever.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def stop_here(what: str) -> None:
    print(f"STOPPED {what}", flush=True)
    threading.Event().wait()  # until SIGKILL


def fake(state_file: Path, stack: str) -> None:
    from labctl.cli import runners
    from tests.fakerunner import FakeRunner

    class FileBackedRunner(FakeRunner):
        def __init__(self) -> None:
            super().__init__(on_start=lambda s: stop_here(f"{s} began") if s == stack else None)
            self.state = json.loads(state_file.read_text()) if state_file.exists() else {}

        def run(self, stack_name, operation, log, progress):
            outcome = super().run(stack_name, operation, log, progress)
            state_file.write_text(json.dumps(self.state))
            return outcome

    runners.make_pulumi_runner = lambda args, owners: FileBackedRunner()
    runners.make_session = lambda region, command="": None


def emulator(after: int) -> None:
    from labctl.ops import emulated_state
    recorded = emulated_state.EmulatedStack.record
    seen = {"resources": 0}

    def record(self, change: str, urn: str, entry: dict | None = None) -> None:
        recorded(self, change, urn, entry)
        if change in ("made", "deleted"):  # a create or delete has just been recorded
            seen["resources"] += 1
            if seen["resources"] >= after:
                stop_here(f"{self.stack} after {seen['resources']} recorded steps")

    emulated_state.EmulatedStack.record = record  # type: ignore[method-assign]


if __name__ == "__main__":
    split = sys.argv.index("--")
    mode, *options = sys.argv[1:split]
    if mode == "fake":
        fake(Path(options[0]), options[1])
    else:
        emulator(int(options[0]))
    from labctl.cli.main import main
    sys.exit(main(sys.argv[split + 1:]))
