"""Guardrail profiles: what kind of AWS account a cohort runs in, kept as data in profiles/*.yaml
so an instructor edits YAML, not code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from pydantic.alias_generators import to_camel

from . import REPO_ROOT
from .budget import ALLOWED as BUDGET_ALLOWED, Budget
from .reading import InputFileError, load_mapping, validate_model

PROFILES_DIR = REPO_ROOT / "profiles"
KeyFileName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.~-]{1,128}$")]  # a file name, no folder


class ProfileError(ValueError):
    pass


class _Model(BaseModel):
    # strict: `createRoles: "yes"` or `sessionHours: "4"` is refused, not converted
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True,
                              strict=True, allow_inf_nan=False)


class IamRules(_Model):
    create_roles: bool = False
    service_role: str | None = None  # the role services must use when roles cannot be created
    instance_profile: str | None = None


# Instance sizes from the smallest up (EC2's size names): a profile's largest allowed size is one of them.
INSTANCE_SIZES = ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge",
                  "16xlarge", "24xlarge", "32xlarge", "48xlarge", "metal")


class Limits(_Model):
    """What the account itself refuses or punishes, summed per stack at its peak (labctl validate):
    every field is required, so a limit is never silently left out."""
    running_instances: int = Field(gt=0)  # EC2 instances running at once in the region
    vcpus: int = Field(gt=0)  # their vCPUs together
    largest_instance_size: Literal[INSTANCE_SIZES]  # type: ignore[valid-type]
    ebs_volume_gb: int = Field(gt=0)  # the largest EBS volume
    rds_instance_classes: tuple[str, ...] = Field(min_length=1, strict=False)
    rds_storage_gb: int = Field(gt=0)  # the largest database storage


class Profile(_Model):
    name: str
    description: str
    regions: tuple[str, ...] = Field(min_length=1, strict=False)  # a YAML list becomes the tuple
    instance_types: tuple[str, ...] = Field(min_length=1, strict=False)
    iam: IamRules = IamRules()
    session_hours: float = Field(gt=0)  # a class session's length: what a cohort file's sessionHours defaults to
    sessions: int = Field(gt=0)  # how many sessions a course has: what a cohort file's sessions defaults to
    # Name tags start with the student's id where students share an account (so the console and
    # the book's CLI queries tell them apart); in an account of the student's own it is noise.
    name_tag_prefix: bool = True
    limits: Limits | None = None  # None: the account's quotas are not the project's to know (see the profile's file)
    # The private key file the account hands out for a key pair of its own, by key pair (a Learner Lab's
    # "Download PEM" saves vockey's key as labsuser.pem): the outputs' `ssh -i` and the Windows password
    # command name it unless the stack's keyFile does.
    key_files: dict[str, KeyFileName] = Field(default_factory=dict)
    # Where a cohort's stacks live unless its file says (cloudlabs.accounts): shared, per-student or self-service.
    account_model: Literal["shared", "per-student", "self-service"] = "shared"
    budget: Budget | None = None  # what each student may spend, and when labctl budget warns, stops, destroys


ALLOWED = {
    "name": "the file's name without .yaml",
    "description": "one line of text",
    "regions": "a non-empty list of AWS regions, e.g. [us-east-1, us-west-2]",
    "instanceTypes": "a non-empty list of EC2 instance types, e.g. [t3.micro, t3.small]",
    "createRoles": "true or false",
    "serviceRole": "the name of an existing IAM role",
    "instanceProfile": "the name of an existing instance profile",
    "sessionHours": "a number of hours more than 0",
    "sessions": "a whole number of sessions more than 0 (how many a course has)",
    "nameTagPrefix": "true or false: Name tags start with the student id (accounts shared by students)",
    "limits": "a mapping of runningInstances, vcpus, largestInstanceSize, ebsVolumeGb, rdsInstanceClasses, rdsStorageGb",
    "runningInstances": "a whole number of EC2 instances more than 0",
    "vcpus": "a whole number of vCPUs more than 0",
    "largestInstanceSize": "one of " + ", ".join(INSTANCE_SIZES),
    "ebsVolumeGb": "a whole number of GB more than 0",
    "rdsInstanceClasses": "a non-empty list of RDS instance classes, e.g. [db.t3.micro, db.t4g.micro]",
    "rdsStorageGb": "a whole number of GB more than 0",
    "accountModel": "shared, per-student or self-service: where a cohort's stacks live unless its file says (accounts.model)",
    **{key: text for key, text in BUDGET_ALLOWED.items() if key != "budget"},
    "budget": BUDGET_ALLOWED["budget"],
    "keyFiles": "key pair name -> the file name of its private key as the account's download saves it (letters, digits, "
                ". _ - ~), e.g. {vockey: labsuser.pem}",
}


def profile_names(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or PROFILES_DIR).glob("*.yaml"))


@lru_cache(maxsize=None)
def _load(path: Path) -> Profile:
    try:
        source = load_mapping(path, "guardrail profile")
        profile: Profile = validate_model(source, Profile, ALLOWED)
    except InputFileError as err:
        raise ProfileError(str(err)) from None
    if profile.name != path.stem:
        raise ProfileError(f"{source.where(('name',))}: name: {profile.name!r} is not allowed; "
                           f"allowed: the file's name without .yaml ({path.stem!r})")
    return profile


def profile_path(name: str) -> Path:
    """The file of a profile (by name; ``load_profile`` holds names to the files that exist)."""
    return PROFILES_DIR / f"{name}.yaml"


def load_profile(name: str, directory: Path | None = None) -> Profile:
    """A profile by name: only the names of the files in ``directory``, never a path (a profile
    such as ``../elsewhere/evil`` would let any region and instance type through)."""
    if name not in profile_names(directory):
        raise ProfileError(f"unknown profile {name!r}; known: {', '.join(profile_names(directory))}")
    return _load(((directory or PROFILES_DIR) / f"{name}.yaml").resolve())
