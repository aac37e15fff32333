"""Names made from the cohort and student ids, held to the naming rules of every resource type they
land in, each rule with its source.

An id is a slug (settings.SLUG: 1-20 lowercase letters, digits and single hyphens), which every
name below accepts as a character set; what a slug cannot promise is the name it makes. Student
``sg`` makes the security group ``sg-bastion-SG-...`` (EC2 refuses names starting with ``sg-``),
cohort ``sthree`` the bucket ``sthree-s01-private-<account id>`` (S3 reserves ``sthree-``), and the
longest ids the longest names. The settings parser checks the names the stack's labs make, with
the ids it is given, so ``sync`` (roster ids, before writing), ``plan`` and ``validate`` (a
hand-edited stack) and the Pulumi program refuse them the same way, before AWS does.

RULES holds one record per resource type (what AWS's documentation says, and where), DERIVED one
per name the program makes from an id (which labs make it, the template, the book's parts). A new
name made from an id needs its row here: tests/test_naming.py renders the labs with the longest
ids and fails on a name no row describes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

ACCOUNT_ID = "123456789012"  # stands for the account id in a bucket name: always 12 digits
# What the AWS provider appends to a name_prefix: 26 characters (terraform-plugin-sdk's id.PrefixedUniqueId,
# https://github.com/hashicorp/terraform-plugin-sdk/blob/main/helper/id/id.go: UniqueIDSuffixLength)
UNIQUE_SUFFIX = "20260101000000000000000001"
SHOWN = {ACCOUNT_ID: "<account id>", UNIQUE_SUFFIX: "<26-character suffix>"}
ANY_LAB = "*"


@dataclass(frozen=True)
class Check:
    """One rule of a name: ``passes(name)``, and the rule as its source words it."""

    passes: Callable[[str], bool]
    says: str
    found: Callable[[str], str] | None = None  # what a refused name shows, e.g. "it has 64"
    about_length: bool = False


def length(low: int, high: int) -> Check:
    return Check(lambda n: low <= len(n) <= high, f"{low} to {high} characters", lambda n: f"it has {len(n)}",
                 about_length=True)


def chars(pattern: str, says: str) -> Check:
    compiled = re.compile(pattern)
    return Check(lambda n: compiled.fullmatch(n) is not None, says)


def not_matching(pattern: str, says: str) -> Check:
    compiled = re.compile(pattern)
    return Check(lambda n: compiled.search(n) is None, says)


def not_starting(*prefixes: str) -> Check:
    return Check(lambda n: not n.lower().startswith(prefixes), "not starting with " + ", ".join(prefixes),
                 lambda n: "it starts with " + next(p for p in prefixes if n.lower().startswith(p)))


def not_ending(*suffixes: str) -> Check:
    return Check(lambda n: not n.lower().endswith(suffixes), "not ending with " + ", ".join(suffixes),
                 lambda n: "it ends with " + next(s for s in suffixes if n.lower().endswith(s)))


@dataclass(frozen=True)
class NameRule:
    kind: str  # e.g. "S3 bucket name"
    source: str  # where the rule is written (AWS's API reference or guide, Docker's or Pulumi's source)
    checks: tuple[Check, ...]

    def broken(self, name: str) -> Check | None:
        """The first rule the name breaks, or None."""
        return next((c for c in self.checks if not c.passes(name)), None)

    @property
    def allowed(self) -> str:
        return "; ".join(c.says for c in self.checks)


# --- the rules of each resource type -------------------------------------------------------------

S3_BUCKET = NameRule("S3 bucket name", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html", (
    length(3, 63),
    chars(r"[a-z0-9.-]+", "lowercase letters, digits, dots and hyphens"),
    chars(r"[a-z0-9](?:.*[a-z0-9])?", "beginning and ending with a letter or digit"),
    not_matching(r"\.\.", "no two adjacent dots"),
    not_matching(r"^\d{1,3}(?:\.\d{1,3}){3}$", "not formatted as an IP address"),
    not_starting("xn--", "sthree-", "amzn-s3-demo-"),
    not_ending("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"),
))
SECURITY_GROUP = NameRule(
    "EC2 security group name", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSecurityGroup.html", (
        length(1, 255),
        chars(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]+", "a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$*"),
        not_starting("sg-"),
    ))
KEY_PAIR = NameRule("EC2 key pair name", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateKeyPair.html", (
    length(1, 255),
    chars(r"[\x20-\x7e]+", "ASCII characters"),
    chars(r"\S(?:.*\S)?", "no leading or trailing spaces"),
))
LAUNCH_TEMPLATE = NameRule(
    "EC2 launch template name", "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html", (
        length(3, 128),
        chars(r"[a-zA-Z0-9().\-/_]+", "letters, digits and ( ) . - / _"),
    ))
AUTOSCALING_GROUP = NameRule(
    "Auto Scaling group name", "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_CreateAutoScalingGroup.html", (
        length(1, 255),
        chars(r"[^\x00-\x08\x0b\x0c\x0e-\x1f]+", "no control characters"),
    ))
ECR_REPOSITORY = NameRule(
    "ECR repository name", "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_CreateRepository.html", (
        length(2, 256),
        chars(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
              "lowercase letters and digits, in words joined by one . _ or - (and / between namespaces)"),
    ))
ECS_CLUSTER = NameRule("ECS cluster name", "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_CreateCluster.html", (
    length(1, 255),
    chars(r"[a-zA-Z0-9_-]+", "letters, digits, underscores and hyphens"),
))
ECS_TASK_FAMILY = NameRule(
    "ECS task definition family", "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html", (
        length(1, 255),
        chars(r"[a-zA-Z0-9_-]+", "letters, digits, underscores and hyphens"),
    ))
BEANSTALK_APPLICATION = NameRule(
    "Elastic Beanstalk application name",
    "https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_CreateApplication.html", (length(1, 100),))
BEANSTALK_ENVIRONMENT = NameRule(
    "Elastic Beanstalk environment name (and its CNAME's first label)",
    "https://docs.aws.amazon.com/elasticbeanstalk/latest/api/API_CreateEnvironment.html", (
        length(4, 40),
        chars(r"[a-zA-Z0-9-]+", "letters, digits and hyphens"),
        chars(r"[^-](?:.*[^-])?", "not starting or ending with a hyphen"),
    ))
IAM_ROLE = NameRule("IAM role name", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html", (
    length(1, 64),
    chars(r"[\w+=,.@-]+", "letters, digits and + = , . @ _ -"),
))
IAM_INSTANCE_PROFILE = NameRule(
    "IAM instance profile name", "https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateInstanceProfile.html", (
        length(1, 128),
        chars(r"[\w+=,.@-]+", "letters, digits and + = , . @ _ -"),
    ))
DB_INSTANCE = NameRule(
    "RDS DB instance identifier", "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html", (
        length(1, 63),
        chars(r"[a-zA-Z0-9-]+", "letters, digits and hyphens"),
        chars(r"[a-zA-Z].*", "a letter first"),
        not_matching(r"--", "no two consecutive hyphens"),
        not_matching(r"-$", "not ending with a hyphen"),
    ))
DB_SUBNET_GROUP = NameRule(
    "RDS DB subnet group name", "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBSubnetGroup.html", (
        length(1, 255),
        chars(r"[a-zA-Z0-9._ -]+", "letters, digits, periods, underscores, spaces and hyphens"),
        Check(lambda n: n.lower() != "default", "not default"),
    ))
SSM_PARAMETER = NameRule(
    "SSM parameter name", "https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html", (
        length(1, 1011),
        chars(r"[a-zA-Z0-9_.\-/]+", "letters, digits, periods, hyphens, underscores and slashes"),
        not_matching(r"^/?(?i:aws|ssm)", "not beginning with aws or ssm"),
        Check(lambda n: n.count("/") <= 15, "at most 15 levels"),
    ))
TAG_VALUE = NameRule("tag value (Name)", "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/Using_Tags.html#tag-restrictions",
                     (length(0, 256),))
# Docker's RestrictedNameChars, for containers and volumes alike.
DOCKER_NAME = NameRule("Docker container or volume name", "https://github.com/moby/moby/blob/master/daemon/names/names.go", (
    chars(r"[a-zA-Z0-9][a-zA-Z0-9_.-]+", "a letter or digit, then letters, digits and _ . - (2 characters at least)"),
))
PULUMI_STACK = NameRule("Pulumi stack name", "https://github.com/pulumi/pulumi/blob/master/pkg/backend/diy/store.go", (
    length(1, 100),
    chars(r"[a-zA-Z0-9_.-]+", "letters, digits, hyphens, underscores and periods"),
))

RULES: tuple[NameRule, ...] = (
    S3_BUCKET, SECURITY_GROUP, KEY_PAIR, LAUNCH_TEMPLATE, AUTOSCALING_GROUP, ECR_REPOSITORY, ECS_CLUSTER,
    ECS_TASK_FAMILY, BEANSTALK_APPLICATION, BEANSTALK_ENVIRONMENT, IAM_ROLE, IAM_INSTANCE_PROFILE, DB_INSTANCE,
    DB_SUBNET_GROUP, SSM_PARAMETER, TAG_VALUE, DOCKER_NAME, PULUMI_STACK,
)


# --- the names the program makes from the ids -----------------------------------------------------


@dataclass(frozen=True)
class Derived:
    """A name the program makes from the ids: ``template`` with ``{cohort}``, ``{student}``,
    ``{part}`` (each of ``parts``, the book's names) and ``{account}``, as the component writes it."""

    rule: NameRule
    resource: str  # the Pulumi type token and input property that hold it: "aws:s3/bucket:Bucket.bucket"
    labs: tuple[str, ...]  # the labs that make it (ANY_LAB: every lab)
    template: str
    parts: tuple[str, ...] = ("",)
    part_label: str = ""  # how a message shows {part} when the rule broken does not depend on it, e.g. "<group>"
    suffix: bool = False  # a name_prefix: the provider appends a 26-character unique suffix
    cut: int = 0  # the component cuts the prefix to this many characters (0: it does not)
    prefixed: bool = False  # the student id is in it only with nameTagPrefix (LabContext.account_name)

    def value(self, cohort: str, student: str, part: str) -> str:
        """The input the component writes (a name, or a name_prefix), the account id as ACCOUNT_ID."""
        text = self.template.format(cohort=cohort, student=student, part=part, account=ACCOUNT_ID)
        return text[: self.cut] if self.cut else text

    def name(self, cohort: str, student: str, part: str) -> str:
        """The name AWS is asked for (with the provider's suffix where there is one)."""
        return self.value(cohort, student, part) + (UNIQUE_SUFFIX if self.suffix else "")

    def shown(self, cohort: str, student: str, part: str, check: Check) -> str:
        """The name as a message shows it: placeholders for the account id and the provider's suffix,
        and for the part unless the broken rule is about length (then the longest part is shown)."""
        label = part if check.about_length or not self.part_label else self.part_label
        name = self.name(cohort, student, "\0").replace("\0", label)
        for placeholder, text in SHOWN.items():
            name = name.replace(placeholder, text)
        return name

    def made_by(self, labs: Sequence[str]) -> list[str]:
        return list(labs[:1]) if ANY_LAB in self.labs else [lab for lab in labs if lab in self.labs]


SG_NAMES = (  # every group name the labs give LabSecurityGroup (group_name)
    "Asgdemo-env-ALB-SG", "Asgdemo-env-SG", "Example-env-SG", "Lampdemo-env-ALB-SG", "Lampdemo-env-SG", "MySQL-RDS-SG",
    "NACL-test-SG", "SG-01", "SG-02", "VM1-A-SG", "VM1-B-SG", "VM1-C-SG", "VM1-SG", "VM1-provider-SG", "VM2-A-SG",
    "VM2-B-SG", "VM2-C-SG", "VM2-SG", "VM2-VM3-SG", "VM3-SG", "VM4-SG", "Windows-SG", "bastion-SG", "docker-SG", "docker-host-SG",
    "dual-stack-SG", "ec2-rds", "rds-ec2", "temporary-SG", "vpce-host-SG", "web-A-SG", "web-ALB-SG", "web-B-SG", "web-SG",
    "web-alpine-SG", "web-dev-SG",
)
BUCKET_PURPOSES = ("bundles", "cw-obj1", "cw-obj2", "cw-site1", "cw-site2", "jpg", "png", "private", "public", "site1",
                   "site2", "vpce")
LONGEST_NAME_TAG = "docker-host-SG/all-outbound-packages-docker-hub-ecr"  # the longest Name a lab tags after the student id

DERIVED: tuple[Derived, ...] = (
    Derived(PULUMI_STACK, "stack", (ANY_LAB,), "{cohort}-{student}"),
    Derived(S3_BUCKET, "aws:s3/bucket:Bucket.bucket", ("object-storage", "beanstalk"), "{cohort}-{student}-{part}-{account}",
            BUCKET_PURPOSES, "<purpose>"),
    Derived(SECURITY_GROUP, "aws:ec2/securityGroup:SecurityGroup.namePrefix", (ANY_LAB,), "{student}-{part}-", SG_NAMES,
            "<group>", suffix=True),
    Derived(TAG_VALUE, "tags.Name", (ANY_LAB,), "{student}-{part}", (LONGEST_NAME_TAG,),
            "<name>", prefixed=True),
    Derived(KEY_PAIR, "aws:ec2/keyPair:KeyPair.keyNamePrefix", ("ssh-access",), "{student}-example-key-", suffix=True,
            prefixed=True),
    # key: created, the book's name: the student creates it (the starter's createKeyPair), the solution stands in for it
    Derived(KEY_PAIR, "aws:ec2/keyPair:KeyPair.keyName", ("ssh-access",), "{student}-example-key", prefixed=True),
    # accountModel shared: each student's own key pair (components/keys.py), whatever the labs
    Derived(KEY_PAIR, "aws:ec2/keyPair:KeyPair.keyName", (ANY_LAB,), "{cohort}-{student}-key"),
    Derived(LAUNCH_TEMPLATE, "aws:ec2/launchTemplate:LaunchTemplate.namePrefix", ("autoscaling",), "{student}-web-",
            suffix=True),
    Derived(AUTOSCALING_GROUP, "aws:autoscaling/group:Group.namePrefix", ("autoscaling",), "{student}-web-ASG-", suffix=True),
    Derived(ECR_REPOSITORY, "aws:ecr/repository:Repository.name", ("containers",), "{student}-{part}",
            ("web-alpine", "web-nginx"), "<image>", prefixed=True),
    Derived(ECS_CLUSTER, "aws:ecs/cluster:Cluster.name", ("containers",), "{student}-web-alpine-cluster", prefixed=True),
    Derived(ECS_TASK_FAMILY, "aws:ecs/taskDefinition:TaskDefinition.family", ("containers",), "{student}-web-alpine",
            prefixed=True),
    Derived(IAM_ROLE, "aws:iam/role:Role.namePrefix", ("containers",), "{student}-ecsTaskExecution-", suffix=True, cut=38,
            prefixed=True),
    Derived(IAM_ROLE, "aws:iam/role:Role.namePrefix", ("containers",), "{student}-docker-host-", suffix=True, prefixed=True),
    Derived(IAM_INSTANCE_PROFILE, "aws:iam/instanceProfile:InstanceProfile.namePrefix", ("containers",),
            "{student}-docker-host-", suffix=True, prefixed=True),
    Derived(BEANSTALK_APPLICATION, "aws:elasticbeanstalk/application:Application.name", ("beanstalk",), "{student}-{part}",
            ("Example", "asg-demo", "lamp-demo"), "<application>", prefixed=True),
    Derived(BEANSTALK_ENVIRONMENT, "aws:elasticbeanstalk/environment:Environment.name", ("beanstalk",), "{student}-{part}",
            ("Example-env", "Asgdemo-env", "Lampdemo-env"), "<environment>", prefixed=True),
    Derived(IAM_ROLE, "aws:iam/role:Role.namePrefix", ("beanstalk",), "{student}-{part}", ("eb-ec2-", "eb-service-"),
            "<role>-", suffix=True, prefixed=True),
    Derived(IAM_INSTANCE_PROFILE, "aws:iam/instanceProfile:InstanceProfile.namePrefix", ("beanstalk",), "{student}-eb-ec2-",
            suffix=True, prefixed=True),
    Derived(DB_INSTANCE, "aws:rds/instance:Instance.identifierPrefix", ("beanstalk",), "eb-{student}-", suffix=True),
    Derived(DB_INSTANCE, "aws:rds/instance:Instance.identifierPrefix", ("lamp",), "database-1-{student}-", suffix=True),
    Derived(DB_SUBNET_GROUP, "aws:rds/subnetGroup:SubnetGroup.namePrefix", ("beanstalk",), "{student}-eb-db-", suffix=True),
    Derived(SSM_PARAMETER, "aws:ssm/parameter:Parameter.name", ("beanstalk",), "/cloudlabs/{student}-lamp-demo/RDS_PASSWORD",
            prefixed=True),
    Derived(DB_SUBNET_GROUP, "aws:rds/subnetGroup:SubnetGroup.namePrefix", ("lamp",), "{student}-db-", suffix=True),
    Derived(DOCKER_NAME, "docker:index/container:Container.name", ("containers",), "{student}-{part}",
            ("C1", "C2", "C1-VOL", "C2-VOL", "web1", "WEB"), "<container>", prefixed=True),
    Derived(DOCKER_NAME, "docker:index/volume:Volume.name", ("containers",), "{student}-VOL-EXAMPLE", prefixed=True),
)

NEUTRAL_STUDENT = "a"  # the shortest id, in no reserved word: a name still refused with it is the cohort's doing


@dataclass(frozen=True)
class NameProblem:
    setting: str  # "cohort" or "student": the id to blame
    value: str
    reason: str
    allowed: str


def name_problems(cohort: str, student: str, labs: Sequence[str], name_tag_prefix: bool) -> list[NameProblem]:
    """The names the labs would make from these ids that their resource type refuses: one problem
    per id (the first name it breaks, and how many more it does)."""
    found: dict[str, list[tuple[Derived, str, str, Check]]] = {}
    for derived in DERIVED:
        makers = derived.made_by(labs)
        if not makers or (derived.prefixed and not name_tag_prefix):
            continue
        for part in sorted(derived.parts, key=len, reverse=True):  # the longest first: it breaks a length rule first
            name = derived.name(cohort, student, part)
            check = derived.rule.broken(name)
            if check is None:
                continue
            blame = "student"
            if "{cohort}" in derived.template and derived.rule.broken(derived.name(cohort, NEUTRAL_STUDENT, part)) == check:
                blame = "cohort"
            found.setdefault(blame, []).append((derived, makers[0], part, check))
            break  # one name per derived row is enough to show it
    problems = []
    for setting, hits in found.items():
        derived, lab, part, check = hits[0]
        who = "the stack" if derived.rule is PULUMI_STACK else ("every lab" if ANY_LAB in derived.labs else f"lab {lab}")
        name = derived.name(cohort, student, part)
        shown_student = "<student>" if setting == "cohort" else student  # the cohort's doing: any student's name
        broken = f"{check.says} ({check.found(name)})" if check.found else check.says
        more = f"; and {len(hits) - 1} more name{'s' if len(hits) > 2 else ''}" if len(hits) > 1 else ""
        problems.append(NameProblem(
            setting, cohort if setting == "cohort" else student,
            f"{who} makes the {derived.rule.kind} {derived.shown(cohort, shown_student, part, check)}, against its "
            f"rule: {broken}{more}",
            f"an id whose names each resource type accepts; {derived.rule.kind}s: {derived.rule.allowed}"))
    return problems
