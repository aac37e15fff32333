"""The real runner: Pulumi's Automation API over the local program in the repository.

Each operation is a Pulumi CLI subprocess with ``work_dir`` = the repository root, so the CLI
reads ``Pulumi.yaml`` (stackConfigDir: environments) and the student's settings file exactly
as `pulumi up` in a terminal would. Stacks that do not exist yet are created from that file.

Backends: the local file backend in ``.pulumi-state/`` (git-ignored) by default, or any URL
given (``s3://bucket/prefix`` shared by several teaching assistants). Secrets are encrypted with
the passphrase in ``PULUMI_CONFIG_PASSPHRASE`` (or a file named by
``PULUMI_CONFIG_PASSPHRASE_FILE``).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Any, Callable

from cloudlabs import REPO_ROOT

from labctl.ops.fleet import Outcome

LOCAL_STATE = REPO_ROOT / ".pulumi-state"


class SetupError(ValueError):
    """The machine is not ready for real operations (no CLI, no passphrase): bad input, exit 2."""


def backend_url(explicit: str | None = None) -> str:
    """The backend's URL; nothing is created here (the runner makes the default directory once the
    setup checks passed, so a refused command leaves nothing behind)."""
    return explicit or os.environ.get("PULUMI_BACKEND_URL") or f"file://{LOCAL_STATE}"


def check_setup(backend: str, instead: str = "use the offline commands (plan, check, cost)") -> None:
    """SetupError (bad input, one line) when the machine cannot run Pulumi operations; ``instead``
    is what the command can do without the CLI."""
    if shutil.which("pulumi") is None:
        raise SetupError(f"the Pulumi CLI is not on PATH; install it (https://www.pulumi.com/docs/install/) or {instead}")
    if backend.startswith(("file://", "s3://", "azblob://", "gs://")) and not (
            os.environ.get("PULUMI_CONFIG_PASSPHRASE") or os.environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
        raise SetupError("PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) is not set; the "
                         f"{backend.split(':')[0]} backend encrypts stack secrets with it")


def _changes(op_map: Any) -> dict[str, int]:
    """Pulumi's change summary ({"create": 3, "same": 10, ...}) as plain counts."""
    out: dict[str, int] = {}
    for key, value in (op_map or {}).items():
        name = getattr(key, "value", key)
        out[str(name)] = int(value)
    return out


class AutomationRunner:
    def __init__(self, backend: str | None = None, work_dir: Path = REPO_ROOT, parallel_resources: int = 10):
        self.backend = backend_url(backend)
        if self.backend == f"file://{LOCAL_STATE}":
            LOCAL_STATE.mkdir(exist_ok=True)
        self.work_dir = work_dir
        self.parallel_resources = parallel_resources
        self._stacks: dict[str, Any] = {}
        self._lock = threading.Lock()  # the fleet calls in from several threads

    def _options(self) -> Any:
        from pulumi import automation as auto
        env = {"PULUMI_BACKEND_URL": self.backend, "PULUMI_SKIP_UPDATE_CHECK": "true"}
        return auto.LocalWorkspaceOptions(work_dir=str(self.work_dir), env_vars=env)

    def _existing(self, name: str) -> Any:
        """The stack if it exists in the backend (never creates one), else None."""
        from pulumi import automation as auto
        with self._lock:
            if name in self._stacks:
                return self._stacks[name]
        try:
            return auto.select_stack(name, work_dir=str(self.work_dir), opts=self._options())
        except auto.StackNotFoundError:
            return None

    def _stack(self, name: str):
        from pulumi import automation as auto
        with self._lock:
            if name in self._stacks:
                return self._stacks[name]
        # outside the lock: creating or selecting a stack is a CLI call; stacks differ per thread
        stack = auto.create_or_select_stack(name, work_dir=str(self.work_dir), opts=self._options())
        with self._lock:
            return self._stacks.setdefault(name, stack)

    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]) -> Outcome:
        s = self._stack(stack)
        done = 0

        def on_event(event: Any) -> None:
            nonlocal done
            if getattr(event, "res_outputs_event", None) is not None or getattr(event, "res_op_failed_event", None) is not None:
                done += 1
                progress(done)

        common = {"on_output": log, "on_event": on_event, "color": "never", "parallel": self.parallel_resources}
        if operation in ("up", "destroy", "outputs") and self._pending_operations(s):
            # A run killed mid-way (SIGKILL, a dropped session) leaves pending operations, which
            # block every later update: drop them as `pulumi refresh --clear-pending-creates` does.
            # What they may have created is tagged with the cohort: `labctl sweep` finds it.
            log("--- the state has operations a killed run left pending: pulumi refresh --clear-pending-creates")
            s.refresh(clear_pending_creates=True, **common)
        if operation == "preview":
            result = s.preview(diff=True, **common)
            return Outcome(_changes(result.change_summary), "preview")
        if operation == "up":
            result = s.up(**common)
        elif operation == "outputs":  # `pulumi up --refresh`: with the AMI ignored, only outputs change
            result = s.up(refresh=True, **common)
        elif operation == "refresh":
            result = s.refresh(**common)
        elif operation == "destroy":
            result = s.destroy(**common)
        else:
            raise ValueError(f"the Automation API runner does not {operation}")
        summary = result.summary
        return Outcome(_changes(summary.resource_changes), f"{summary.result}: {summary.message or operation}")

    @staticmethod
    def _pending_operations(stack: Any) -> list:
        return list((stack.export_stack().deployment or {}).get("pending_operations") or [])

    def resources(self, stack: str) -> int | None:
        """Resources in the stack's state (``pulumi stack export``); 0 for a stack never created;
        None while a killed run left operations pending (the state does not say what exists)."""
        selected = self._existing(stack)
        if selected is None:
            return 0
        deployment = selected.export_stack().deployment or {}
        if deployment.get("pending_operations"):
            return None
        return len(deployment.get("resources") or [])

    def cancel(self, stack: str) -> None:
        """`pulumi cancel`: stops the running update and releases the stack's lock."""
        self._stack(stack).cancel()
