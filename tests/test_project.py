"""labctl acts on the checkout you stand in, found as pulumi finds its project, never on the one it
was installed from."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cloudlabs import REPO_ROOT
from labctl.cli.project import ProjectError, check_project


def test_anywhere_inside_the_checkout_is_the_checkout():
    assert check_project(REPO_ROOT) == REPO_ROOT
    assert check_project(REPO_ROOT / "environments") == REPO_ROOT
    assert check_project(REPO_ROOT / "labs" / "object-storage") == REPO_ROOT


def test_another_clone_is_refused_with_the_command_to_run_there(tmp_path):
    clone = tmp_path / "clone"
    (clone / "environments").mkdir(parents=True)
    (clone / "Pulumi.yaml").write_text("name: cloudlabs\nruntime: python\n")
    with pytest.raises(ProjectError) as refused:
        check_project(clone / "environments", code_root=REPO_ROOT)
    message = str(refused.value)
    assert f"you are in the cloudlabs checkout {clone}" in message and f"runs the code of {REPO_ROOT}" in message
    assert f"cd {clone} && ./dev labctl" in message and "\n" not in message


def test_no_project_or_another_project_is_refused(tmp_path):
    with pytest.raises(ProjectError, match="no Pulumi project here"):
        check_project(tmp_path)
    (tmp_path / "Pulumi.yaml").write_text("name: webshop\nruntime: nodejs\n")
    with pytest.raises(ProjectError, match="is not the cloudlabs project \\(its name is 'webshop'\\)"):
        check_project(tmp_path)


def test_the_installed_labctl_run_in_another_clone_stops_before_doing_anything(tmp_path):
    """What the issue saw: one clone's labctl, run inside another clone, planned and synced the
    first clone's environments/. Now: one line, exit 2, nothing written in either clone."""
    clone = tmp_path / "clone"
    (clone / "environments").mkdir(parents=True)
    (clone / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    before = sorted(p.name for p in (REPO_ROOT / "environments").iterdir())
    result = subprocess.run([sys.executable, "-c", "from labctl.cli.main import run; run()", "sync", "demo"],
                            cwd=clone / "environments", capture_output=True, text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "this labctl runs the code of" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert sorted(p.name for p in (REPO_ROOT / "environments").iterdir()) == before
    assert sorted(p.name for p in clone.rglob("*")) == ["Pulumi.yaml", "environments"]
    help_anywhere = subprocess.run([sys.executable, "-c", "from labctl.cli.main import run; run()", "--help"],
                                   cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert help_anywhere.returncode == 0 and "usage: labctl" in help_anywhere.stdout
