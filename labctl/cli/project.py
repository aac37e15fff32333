"""Which project labctl acts on: the directory you stand in, found as ``pulumi`` finds its project
(the nearest ``Pulumi.yaml`` at or above the working directory), never the place this code was
installed from. A ``venv/bin/labctl`` of one clone, run inside another clone (a pull request's
branch, a copy), would otherwise plan, sync and deploy the first clone's stacks: it stops instead,
with the command to run there.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cloudlabs import REPO_ROOT

PROJECT_NAME = "cloudlabs"
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


class ProjectError(ValueError):
    """labctl is not standing in the project its code belongs to: one line, with what to run."""


def find_project(start: Path) -> Path | None:
    """The nearest directory at or above ``start`` with a Pulumi project file, as ``pulumi`` looks."""
    for directory in (start, *start.parents):
        if any((directory / name).is_file() for name in PROJECT_FILES):
            return directory
    return None


def _project_name(directory: Path) -> str | None:
    for name in PROJECT_FILES:
        try:
            data = yaml.safe_load((directory / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            continue
        return str(data.get("name")) if isinstance(data, dict) and data.get("name") is not None else None
    return None


def check_project(cwd: Path, code_root: Path = REPO_ROOT) -> Path:
    """The project to act on (``code_root``, where this labctl's code lives), or ``ProjectError``
    when the working directory is not inside it."""
    found = find_project(cwd.resolve())
    code_root = code_root.resolve()
    if found is None:
        raise ProjectError(f"no Pulumi project here ({cwd} and the folders above it have no Pulumi.yaml); labctl acts on "
                           f"the cloudlabs checkout you stand in: cd into one (this labctl belongs to {code_root})")
    if found.resolve() == code_root:
        return code_root
    if _project_name(found) != PROJECT_NAME:
        raise ProjectError(f"{found / 'Pulumi.yaml'} is not the cloudlabs project (its name is {_project_name(found)!r}); "
                           f"cd into a cloudlabs checkout (this labctl belongs to {code_root})")
    raise ProjectError(f"you are in the cloudlabs checkout {found}, but this labctl runs the code of {code_root}; run that "
                       f"checkout's own: cd {found} && ./dev labctl ... (or {found}/venv/bin/python -m labctl ...)")
