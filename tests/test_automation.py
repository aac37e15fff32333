"""The Automation API runner: setup checks here, and a real run where the Pulumi CLI exists."""

from __future__ import annotations

import os
import shutil

import pytest

from labctl.ops import automation
from labctl.ops.automation import AutomationRunner, SetupError, _changes, backend_url, check_setup
from labctl.ops.fleet import Fleet


def test_the_default_backend_is_the_git_ignored_state_directory(monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    assert backend_url() == f"file://{automation.LOCAL_STATE}"
    assert "/.pulumi-state/" in (automation.REPO_ROOT / ".gitignore").read_text()
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://course-state/fall26")
    assert backend_url() == "s3://course-state/fall26"
    assert backend_url("s3://explicit") == "s3://explicit"


def test_naming_the_backend_creates_nothing(monkeypatch, tmp_path):
    """A command refused for a missing CLI or passphrase leaves no .pulumi-state behind: only the
    runner, made once the setup checks passed, creates the default backend's directory."""
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    monkeypatch.setattr(automation, "LOCAL_STATE", tmp_path / "state")
    assert backend_url() == f"file://{tmp_path / 'state'}" and not (tmp_path / "state").exists()
    AutomationRunner()
    assert (tmp_path / "state").is_dir()


def test_setup_checks_name_what_is_missing(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SetupError, match="the Pulumi CLI is not on PATH"):
        check_setup("file:///x")
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/local/bin/pulumi")
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)
    with pytest.raises(SetupError, match="PULUMI_CONFIG_PASSPHRASE .* is not set; the s3 backend encrypts"):
        check_setup("s3://course-state")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "x")
    check_setup("s3://course-state")


def test_change_summaries_become_plain_counts():
    class Op:
        def __init__(self, value):
            self.value = value
    assert _changes({Op("create"): 3, "same": 10}) == {"create": 3, "same": 10}
    assert _changes(None) == {}


REAL = shutil.which("pulumi") is not None and bool(os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE"))


@pytest.mark.skipif(not REAL, reason="needs the Pulumi CLI on PATH and AWS credentials: neither can be installed "
                                     "on the build machines (the CLI downloads binaries; no AWS access)")
def test_real_preview_of_a_demo_stack(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", os.environ.get("PULUMI_CONFIG_PASSPHRASE", "integration-test"))
    runner = AutomationRunner(backend=f"file://{tmp_path}")
    (result,) = Fleet(runner, parallel=1, retries=1, log_dir=tmp_path / "logs").run(["demo-s02"], "preview")
    assert result.status == "succeeded", result.cause
    assert result.changes.get("create", 0) >= 19


class FakeStack:
    """Shaped like pulumi.automation.Stack: returns the SDK's own result and event classes."""

    def __init__(self, pending: int = 0):
        self.calls: list[tuple[str, dict]] = []
        self.cancelled = False
        self.resources = [{"urn": f"urn:{i}"} for i in range(19)]
        self.pending = [{"resource": {"urn": "urn:killed"}, "type": "creating"}] * pending

    def export_stack(self):
        from pulumi.automation import Deployment
        return Deployment(3, {"resources": list(self.resources), "pending_operations": list(self.pending)})

    def refresh(self, **kwargs):
        self.calls.append(("refresh", kwargs))
        if kwargs.get("clear_pending_creates"):
            self.pending = []

    def _events(self, kwargs, n: int) -> None:
        from pulumi.automation.events import EngineEvent, ResOutputsEvent
        kwargs["on_output"]("Updating (demo-s02):")
        for i in range(n):
            kwargs["on_event"](EngineEvent(sequence=i, timestamp=i, res_outputs_event=ResOutputsEvent(metadata=None)))
        kwargs["on_event"](EngineEvent(sequence=n, timestamp=n))  # not a resource: not counted

    def _summary(self, kind: str, changes):
        from datetime import datetime
        from pulumi.automation._stack import UpdateSummary
        return UpdateSummary(kind=kind, start_time=datetime(2026, 11, 22), message="", environment={}, config={},
                             result="succeeded", resource_changes=changes)

    def up(self, **kwargs):
        from pulumi.automation._stack import UpResult
        from pulumi.automation.events import OpType
        self.calls.append(("up", kwargs))
        self._events(kwargs, 19)
        return UpResult("stdout", "", self._summary("update", {OpType.CREATE: 19}), {})

    def preview(self, **kwargs):
        from pulumi.automation._stack import PreviewResult
        from pulumi.automation.events import OpType
        self.calls.append(("preview", kwargs))
        self._events(kwargs, 0)
        return PreviewResult("stdout", "", {OpType.CREATE: 2, OpType.SAME: 17})

    def destroy(self, **kwargs):
        from pulumi.automation._stack import DestroyResult
        from pulumi.automation.events import OpType
        self.calls.append(("destroy", kwargs))
        self._events(kwargs, 19)
        return DestroyResult("stdout", "", self._summary("destroy", {OpType.DELETE: 19}))

    def cancel(self):
        self.cancelled = True


def test_the_runner_drives_a_stack_like_the_automation_api_returns_it(monkeypatch, tmp_path):
    runner = AutomationRunner(backend=f"file://{tmp_path}")
    stack = FakeStack()
    monkeypatch.setattr(runner, "_stack", lambda name: stack)
    lines: list[str] = []
    counted: list[int] = []
    up = runner.run("demo-s02", "up", lines.append, counted.append)
    assert up.changes == {"create": 19} and up.summary == "succeeded: up"
    assert counted[-1] == 19 and lines == ["Updating (demo-s02):"]
    kwargs = stack.calls[0][1]
    assert kwargs["color"] == "never" and kwargs["parallel"] == 10
    preview = runner.run("demo-s02", "preview", lines.append, counted.append)
    assert preview.changes == {"create": 2, "same": 17} and stack.calls[1][1]["diff"] is True
    assert runner.run("demo-s02", "destroy", lines.append, counted.append).changes == {"delete": 19}
    runner.run("demo-s02", "outputs", lines.append, counted.append)  # after `start`: up with a refresh first
    assert stack.calls[-1][0] == "up" and stack.calls[-1][1]["refresh"] is True
    runner.cancel("demo-s02")
    assert stack.cancelled
    with pytest.raises(ValueError, match="does not stop"):
        runner.run("demo-s02", "stop", lines.append, counted.append)


def test_a_stack_a_killed_run_left_pending_is_cleared_before_the_next_update_and_never_counts_as_agreeing(monkeypatch, tmp_path):
    """A SIGKILLed `pulumi up` leaves pending operations that block every later update: the runner
    clears them (as `pulumi refresh --clear-pending-creates`) and says so in the log; until then the
    state's resource count is unknown (None), so the journal never takes an earlier success as done."""
    runner = AutomationRunner(backend=f"file://{tmp_path}")
    stack = FakeStack(pending=1)
    monkeypatch.setattr(runner, "_stack", lambda name: stack)
    monkeypatch.setattr(runner, "_existing", lambda name: stack)
    assert runner.resources("demo-s02") is None
    lines: list[str] = []
    runner.run("demo-s02", "destroy", lines.append, lambda n: None)
    assert [c[0] for c in stack.calls] == ["refresh", "destroy"] and stack.calls[0][1]["clear_pending_creates"] is True
    assert any("clear-pending-creates" in line for line in lines)
    assert runner.resources("demo-s02") == 19  # FakeStack keeps its resources; a real destroy empties them
    monkeypatch.setattr(runner, "_existing", lambda name: None)
    assert runner.resources("never-created") == 0
