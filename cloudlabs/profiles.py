"""Guardrail profiles: what kind of AWS account a cohort runs in, kept as data in profiles/*.yaml
so an instructor edits YAML, not code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from . import REPO_ROOT

PROFILES_DIR = REPO_ROOT / "profiles"


class ProfileError(ValueError):
    pass


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class IamRules(_Model):
    create_roles: bool = False
    service_role: str | None = None  # the role services must use when roles cannot be created
    instance_profile: str | None = None


class Profile(_Model):
    name: str
    description: str
    regions: tuple[str, ...] = Field(min_length=1)
    instance_types: tuple[str, ...] = Field(min_length=1)
    iam: IamRules = IamRules()
    session_hours: float = Field(gt=0)


def profile_names(directory: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


@lru_cache(maxsize=None)
def _load(path: Path) -> Profile:
    try:
        data = yaml.safe_load(path.read_text())
        profile = Profile.model_validate(data)
    except (OSError, yaml.YAMLError) as err:
        raise ProfileError(f"{path}: cannot read profile: {err}") from err
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise ProfileError(f"{path}: {key}: {first['msg']}") from err
    if profile.name != path.stem:
        raise ProfileError(f"{path}: name: {profile.name!r} must match the file name {path.stem!r}")
    return profile


def load_profile(name: str, directory: Path = PROFILES_DIR) -> Profile:
    path = directory / f"{name}.yaml"
    if not path.is_file():
        raise ProfileError(f"unknown profile {name!r}; known: {', '.join(profile_names(directory))}")
    return _load(path.resolve())
