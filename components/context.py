"""Who a resource belongs to: the values every component needs for names and tags."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any

from cloudlabs.profiles import IamRules
from cloudlabs.settings import StackSettings
from cloudlabs.tags import ACCOUNT_TAG, COHORT_TAG, EXPIRES_TAG, LAB_TAG, STUDENT_TAG



@dataclass(frozen=True)
class LabContext:
    cohort: str
    student: str
    seat: int
    lab: str
    stage: str
    expires: str  # ISO date
    admin_cidr: IPv4Network
    allow_open_admin_cidr: bool
    instance_type: str
    key_name: str | None
    region: str
    key_file: str | None = None  # the private key file the student holds; default <keyName>.pem
    name_tag_prefix: bool = True  # Name tags <student>-<book name>; false in an account of the student's own
    iam: IamRules = field(default_factory=IamRules)  # the profile's IAM rules: may the lab create roles, or which role must it use
    student_key: Any = None  # components.keys.StudentKey: the shared model's key pair of this student, made on first use
    account_scope: str = ""  # the account the stack stands in when it is not a shared one (cloudlabs.tags.ACCOUNT_TAG)

    def instance_key_name(self) -> Any:
        """What an instance or launch template starts with: the student's own key pair (shared model; an
        output depending on it), else the stack's keyName."""
        return self.student_key.key_name(self.tags("student-key")) if self.student_key is not None else self.key_name

    @property
    def premade_role(self) -> str | None:
        """The role services must use when the profile forbids creating roles (Learner Lab's LabRole)."""
        return None if self.iam.create_roles else self.iam.service_role

    def account_name(self, name: str) -> str:
        """A name unique in the account (Name tags, repositories, clusters, applications, key pairs):
        the student's id in front where students share one, the book's name in an account of the
        student's own (setting nameTagPrefix)."""
        return f"{self.student}-{name}" if self.name_tag_prefix else name

    @property
    def ssh_key_file(self) -> str | None:
        """What `ssh -i` is given in the outputs: the stack's keyFile, else the file the profile's download
        saves the key pair's key as (Learner Lab: labsuser.pem for vockey), else <keyName>.pem."""
        return self.key_file or (f"{self.key_name}.pem" if self.key_name else None)

    @classmethod
    def for_lab(cls, settings: StackSettings, lab: str, stage: str, student_key: Any = None) -> "LabContext":
        """``student_key``: the stack's StudentKey where the settings generate one (settings.generated_key)."""
        if student_key is not None:
            return dataclasses.replace(cls.for_lab(settings, lab, stage), key_name=student_key.name, key_file=student_key.file,
                                       student_key=student_key)
        return cls(
            cohort=settings.cohort,
            student=settings.student,
            seat=settings.seat,
            lab=lab,
            stage=stage,
            expires=settings.expires.isoformat(),
            admin_cidr=settings.admin_cidr,
            allow_open_admin_cidr=settings.allow_open_admin_cidr,
            instance_type=settings.instance_type,
            key_name=settings.key_name,
            region=settings.region,
            key_file=settings.key_file or settings.profile.key_files.get(settings.key_name or ""),
            name_tag_prefix=settings.name_tag_prefix,
            iam=settings.profile.iam,
            account_scope="" if settings.account_model == "shared" else (settings.account or f"{settings.cohort}/{settings.student}"),
        )

    def tags(self, name: str) -> dict[str, str]:
        """Tags for every taggable resource: a Name the student recognises from the book (with the
        student's id in front in a shared account, so the console tells students apart), and the
        cloudlabs:* keys the teardown sweep and the expiry report search for."""
        tags = {
            "Name": self.account_name(name),
            COHORT_TAG: self.cohort,
            STUDENT_TAG: self.student,
            LAB_TAG: self.lab,
            EXPIRES_TAG: self.expires,
        }
        if self.account_scope:  # the stack is in an account of its own (not a shared one)
            tags[ACCOUNT_TAG] = self.account_scope
        return tags
