"""Where a cohort's stacks live: the account model (issue 29).

- ``shared``: one account for the whole cohort. Names carry the student's id (Name tags, key pairs)
  and every student gets a key pair of their own, never the account's shared one.
- ``per-student``: one account per student, reached through a role to assume (``roleArn``, a
  template with ``{account}``, e.g. AWS Organizations' OrganizationAccountAccessRole). Pulumi gets
  the role through the AWS provider's ``aws:assumeRoles``; labctl's boto3 calls through STS.
- ``self-service``: the student's own account and credentials (AWS Academy Learner Lab: they expire
  each session and cannot be federated). The student deploys, tears down and grades their own
  stack; the instructor merges the students' reports.

Pulumi-free and boto3-free: the cohort parser, the stack settings and labctl all read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MODELS = ("shared", "per-student", "self-service")
MODELS_ALLOWED = "one of " + ", ".join(MODELS)
ACCOUNT = re.compile(r"^[0-9]{12}$")
ACCOUNT_ALLOWED = "an AWS account id in quotes: exactly 12 digits, e.g. \"123456789012\""
# arn:<partition>:iam::<account or {account}>:role/<path/>name  (IAM's role name and path characters)
_ROLE_ARN = re.compile(r"^arn:(aws|aws-us-gov|aws-cn):iam::(\{account\}|[0-9]{12}):role/([\w+=,.@/-]{1,512})$")
ROLE_ARN_ALLOWED = ("an IAM role ARN with {account} where the student's account id goes, e.g. "
                    "\"arn:aws:iam::{account}:role/OrganizationAccountAccessRole\"")
ASSUME_ROLES_KEY = "aws:assumeRoles"  # pulumi-aws 7: a list of {roleArn, sessionName, ...} (pulumi_aws/config/vars.py)


def parse_model(value: Any) -> str:
    if value not in MODELS:
        raise ValueError(None)
    return str(value)


def parse_account(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError("a number, not text: put it in quotes (a leading 0 would be lost)")
    if not isinstance(value, str) or not ACCOUNT.match(value):
        raise ValueError(None)
    return value


def parse_role_template(value: Any) -> str:
    """A cohort's roleArn: an IAM role ARN whose account is ``{account}``."""
    if not isinstance(value, str):
        raise ValueError(None)
    match = _ROLE_ARN.match(value)
    if match is None:
        raise ValueError("not an IAM role ARN (arn:aws:iam::{account}:role/NAME)")
    if match[2] != "{account}":
        raise ValueError("names one account for every student: write {account} where the account id goes")
    return value


def parse_role_arn(value: Any) -> str:
    """A stack's roleArn: the template resolved for its student."""
    if not isinstance(value, str) or not (m := _ROLE_ARN.match(value)) or m[2] == "{account}":
        raise ValueError(None)
    return value


def role_account(role_arn: str) -> str:
    return role_arn.split(":")[4]


def resolve_role(template: str, account: str) -> str:
    return template.replace("{account}", account)


def session_name(stack: str) -> str:
    """The STS session name of every call made for a stack (CloudTrail shows it): 2-64 characters."""
    return f"cloudlabs-{stack}"[:64]


def assume_roles_config(role_arn: str, stack: str) -> list[dict[str, str]]:
    """The stack's ``aws:assumeRoles``: the AWS provider assumes the student's role for up/preview/destroy."""
    return [{"roleArn": role_arn, "sessionName": session_name(stack)}]


def student_key_name(cohort: str, student: str) -> str:
    """shared: the key pair of one student (naming.DERIVED has its row)."""
    return f"{cohort}-{student}-key"


def student_key_file(cohort: str, student: str) -> str:
    return f"{student_key_name(cohort, student)}.pem"


# --- least privilege: what each command calls ----------------------------------------------------


@dataclass(frozen=True)
class CommandPolicy:
    command: str
    acts_as: str
    actions: tuple[str, ...]
    note: str = ""


_READ_NETWORK = ("ec2:Describe*", "elasticloadbalancing:Describe*", "autoscaling:Describe*", "rds:Describe*",
                 "rds:ListTagsForResource", "s3:ListAllMyBuckets", "s3:GetBucketTagging", "s3:GetBucketPolicy",
                 "s3:GetBucketPublicAccessBlock", "ecs:Describe*", "ecs:List*", "elasticbeanstalk:Describe*")

POLICIES: tuple[CommandPolicy, ...] = (
    CommandPolicy("up, preview, refresh, destroy", "Pulumi's AWS provider (aws:assumeRoles)",
                  ("what the lab's resources need: ec2:*, elasticloadbalancing:*, autoscaling:*, rds:*, s3:*, ecs:*, ecr:*, "
                   "elasticbeanstalk:*, cloudformation:* (Beanstalk), logs:*, ssm:GetParameter(s), iam:PassRole "
                   "(+ iam:CreateRole etc. where the profile lets labs create roles)",),
                  "the provider calls whatever the stack's resources need; a lab's kinds decide it"),
    CommandPolicy("stop, start", "labctl (boto3)",
                  ("ec2:DescribeInstances", "ec2:StopInstances", "ec2:StartInstances", "rds:DescribeDBInstances",
                   "rds:StopDBInstance", "rds:StartDBInstance")),
    CommandPolicy("grade, drift", "labctl (boto3), read-only", _READ_NETWORK),
    CommandPolicy("probe", "labctl (boto3), read-only; HTTP from the caller's machine",
                  ("ecs:ListTasks", "ecs:DescribeTasks", "ec2:DescribeNetworkInterfaces",
                   "elasticbeanstalk:DescribeEnvironments"), "only for the containers and beanstalk labs' addresses"),
    CommandPolicy("sweep", "labctl (boto3)",
                  ("tag:GetResources", *_READ_NETWORK, "iam:List*", "logs:DescribeLogGroups", "ecr:DescribeRepositories"),
                  "read-only without --delete; --delete adds the matching Delete*/Terminate*/Release* actions"),
    CommandPolicy("(per-student: the caller)", "the instructor's credentials",
                  ("sts:AssumeRole on arn:aws:iam::<account>:role/<roleArn's name> of each student",),
                  "the role's trust policy names the instructor's account; session name cloudlabs-<stack>"),
)


def policy_table() -> str:
    rows = ["| command | acts as | IAM actions it needs | note |", "|---|---|---|---|"]
    rows += [f"| `{p.command}` | {p.acts_as} | {', '.join(f'`{a}`' if ' ' not in a else a for a in p.actions)} | {p.note} |"
             for p in POLICIES]
    return "\n".join(rows)
