"""The Automation API runner: setup checks here, and a real run where the Pulumi CLI exists."""

from __future__ import annotations

import os
import shutil

import pytest

from labctl import automation
from labctl.automation import AutomationRunner, SetupError, _changes, backend_url, check_setup
from labctl.fleet import Fleet


def test_the_default_backend_is_the_git_ignored_state_directory(monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    assert backend_url() == f"file://{automation.LOCAL_STATE}"
    assert "/.pulumi-state/" in (automation.REPO_ROOT / ".gitignore").read_text()
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://course-state/fall26")
    assert backend_url() == "s3://course-state/fall26"
    assert backend_url("s3://explicit") == "s3://explicit"


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
