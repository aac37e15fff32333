"""Names made from the cohort and student ids (cloudlabs/naming.py): each resource type's rules
refuse what AWS refuses, the table describes every name the labs really make (rendered with the
longest ids), and the settings parser refuses an id whose names a resource type would refuse."""

from __future__ import annotations

from typing import Any, Iterator

import pytest

from cloudlabs import naming
from cloudlabs.naming import (
    ANY_LAB, DERIVED, RULES, UNIQUE_SUFFIX, NameRule, name_problems,
)
from cloudlabs.settings import SettingsError, parse_settings

from .conftest import SOURCE, config, lab_graph

COHORT, STUDENT = "q" * 20, "z" * 20  # the longest ids a slug allows

# One render per lab and variant that makes a name of its own (sandbox: roles made, Name tags prefixed).
VARIANTS: list[tuple[str, dict[str, Any]]] = [
    ("ec2-webserver", {}), ("ec2-webserver", {"os": "windows-server-2019"}), ("access-control", {}),
    ("access-control", {"parts": ["coursework"]}), ("access-control", {"parts": ["coursework-nacl"]}),
    ("access-control", {"parts": ["tcp-analysis"]}), ("dual-stack", {"coursework": True}), ("vpc-nat", {}),
    ("vpc-peering", {}), ("peering-topologies", {}), ("peering-topologies", {"topology": "provider"}),
    ("load-balancer", {}), ("autoscaling", {}),
    ("object-storage", {"parts": ["private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint",
                                  "coursework"]}),
    ("lamp", {}), ("lamp", {"coursework": True}), ("beanstalk", {}), ("beanstalk", {"environment": "high-availability"}),
    ("beanstalk", {"coursework": True}), ("containers", {}), ("containers", {"coursework": True}),
    ("containers", {"variant": "local"}), ("ssh-access", {}), ("ssh-access", {"key": "generated"}),
]

# Inputs that hold an id but are not a name of their own: a reference to a name made elsewhere (an
# ARN, a bucket of a bucket's configuration, a role of an attachment), or text (pages, commands).
REFERENCES = {
    ("aws:autoscaling/policy:Policy", "autoscalingGroupName"), ("aws:ec2/instance:Instance", "keyName"),
    ("aws:ec2/instance:Instance", "iamInstanceProfile"),
    ("aws:ecs/service:Service", "cluster"), ("aws:ecs/service:Service", "taskDefinition"),
    ("aws:ecs/taskDefinition:TaskDefinition", "executionRoleArn"),
    ("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application"),
    ("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "bucket"),
    ("aws:elasticbeanstalk/environment:Environment", "application"),
    ("aws:elasticbeanstalk/environment:Environment", "settings.[].value"),
    ("aws:iam/instanceProfile:InstanceProfile", "role"), ("aws:iam/rolePolicy:RolePolicy", "role"),
    ("aws:iam/rolePolicy:RolePolicy", "policy"),
    ("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "role"), ("aws:rds/instance:Instance", "dbSubnetGroupName"),
    ("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "bucket"),
    ("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "corsRules.[].allowedOrigins.[]"),
    ("aws:s3/bucketObjectv2:BucketObjectv2", "bucket"), ("aws:s3/bucketObjectv2:BucketObjectv2", "content"),
    ("aws:s3/bucketPolicy:BucketPolicy", "bucket"), ("aws:s3/bucketPolicy:BucketPolicy", "policy"),
    ("aws:ec2/vpcEndpoint:VpcEndpoint", "policy"),
    ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "bucket"),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "bucket"),
    ("aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration", "bucket"),
    ("docker:index/container:Container", "volumes.[].volumeName"), ("docker:index/image:Image", "imageName"),
    ("aws:ec2/instance:Instance", "userData"), ("aws:ec2/launchTemplate:LaunchTemplate", "userData"),
    ("aws:ecs/taskDefinition:TaskDefinition", "containerDefinitions"),
}


def _strings(value: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, path + (key,))
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, path + ("[]",))
    elif isinstance(value, str):
        yield path, value


def _is_name_tag(path: tuple[str, ...]) -> bool:
    """A Name tag: tags.Name (also inside a launch template or a root volume), or a list of
    key/value pairs (an Auto Scaling group's tags, a Docker object's labels) whose other values are
    the ids themselves."""
    return path[-1] == "Name" or (path[0] in ("tags", "labels") and path[-2:] == ("[]", "value"))


@pytest.fixture(scope="module")
def long_id_graphs():
    return [(lab, lab_graph(lab, options=options, cohort=COHORT, student=STUDENT, profile="sandbox"))
            for lab, options in VARIANTS]


def _rows(lab: str, resource: str) -> list[naming.Derived]:
    return [d for d in DERIVED if d.resource == resource and (lab in d.labs or ANY_LAB in d.labs)]


def test_every_name_made_from_an_id_is_a_row_of_the_table(long_id_graphs):
    """The drift guard: a component that makes a new name from an id (or a new book name in one)
    fails here until DERIVED describes it, so the settings parser checks what the program makes."""
    unexplained = []
    for lab, graph in long_id_graphs:
        for resource in graph.resources:
            for path, value in _strings(resource.inputs):
                if (COHORT not in value and STUDENT not in value) or value in (COHORT, STUDENT):
                    continue  # no id, or the id itself (a cloudlabs:cohort or cloudlabs:student tag)
                dotted = ".".join(path)
                if (resource.type, dotted) in REFERENCES or path[0] == "description":
                    continue
                if _is_name_tag(path):
                    (row,) = _rows(lab, "tags.Name")
                    part = value.removeprefix(f"{STUDENT}-")
                    if part == value or len(part) > len(max(row.parts, key=len)):
                        unexplained.append((lab, resource.type, dotted, value))
                    continue
                rows = _rows(lab, f"{resource.type}.{dotted}")
                if not any(value == row.value(COHORT, STUDENT, part) for row in rows for part in row.parts):
                    unexplained.append((lab, resource.type, dotted, value))
    assert unexplained == []


def test_the_longest_ids_make_only_names_aws_accepts(long_id_graphs):
    """The slug's promise (20 characters each keep every name in bounds) holds for every lab: the
    table finds nothing to refuse, and each rendered name passes its rule as AWS will see it."""
    for lab, graph in long_id_graphs:
        assert name_problems(COHORT, STUDENT, [lab], name_tag_prefix=True) == [], lab
        for resource in graph.resources:
            for path, value in _strings(resource.inputs):
                for row in _rows(lab, f"{resource.type}.{'.'.join(path)}"):
                    assert row.rule.broken(value + (UNIQUE_SUFFIX if row.suffix else "")) is None, (lab, value)


def test_every_row_names_a_rule_with_a_source_and_makes_a_valid_name_from_short_ids():
    assert {d.rule for d in DERIVED} <= set(RULES)
    for rule in RULES:
        assert rule.source.startswith("https://") and rule.checks
    for derived in DERIVED:
        for part in derived.parts:
            assert derived.rule.broken(derived.name("demo", "s01", part)) is None, derived


# --- the rules refuse what AWS refuses ---------------------------------------------------------------

@pytest.mark.parametrize("rule, name, broken", [
    (naming.S3_BUCKET, "sthree-s01-private-123456789012", "not starting with xn--, sthree-, amzn-s3-demo-"),
    (naming.S3_BUCKET, "amzn-s3-demo-bucket", "not starting with xn--, sthree-, amzn-s3-demo-"),
    (naming.S3_BUCKET, "xn--bucket", "not starting with xn--, sthree-, amzn-s3-demo-"),
    (naming.S3_BUCKET, "bucket-s3alias", "not ending with -s3alias, --ol-s3, .mrap, --x-s3, --table-s3"),
    (naming.S3_BUCKET, "bucket--x-s3", "not ending with"),
    (naming.S3_BUCKET, "bucket--table-s3", "not ending with"),
    (naming.S3_BUCKET, "b" * 64, "3 to 63 characters"),
    (naming.S3_BUCKET, "Bucket", "lowercase letters, digits, dots and hyphens"),
    (naming.S3_BUCKET, "bucket-", "beginning and ending with a letter or digit"),
    (naming.S3_BUCKET, "a..b", "no two adjacent dots"),
    (naming.S3_BUCKET, "192.168.5.4", "not formatted as an IP address"),
    (naming.SECURITY_GROUP, "sg-web-SG-x", "not starting with sg-"),
    (naming.SECURITY_GROUP, "web|SG", "a-z, A-Z, 0-9"),
    (naming.BEANSTALK_ENVIRONMENT, "abc", "4 to 40 characters"),
    (naming.BEANSTALK_ENVIRONMENT, "a" * 41, "4 to 40 characters"),
    (naming.BEANSTALK_ENVIRONMENT, "my_env", "letters, digits and hyphens"),
    (naming.BEANSTALK_ENVIRONMENT, "-env", "not starting or ending with a hyphen"),
    (naming.DB_INSTANCE, "1db", "a letter first"),
    (naming.DB_INSTANCE, "db--1", "no two consecutive hyphens"),
    (naming.DB_INSTANCE, "db-", "not ending with a hyphen"),
    (naming.DB_INSTANCE, "d" * 64, "1 to 63 characters"),
    (naming.DB_SUBNET_GROUP, "default", "not default"),
    (naming.IAM_ROLE, "r" * 65, "1 to 64 characters"),
    (naming.ECR_REPOSITORY, "Web-Alpine", "lowercase letters and digits"),
    (naming.ECR_REPOSITORY, "web--alpine", "lowercase letters and digits"),
    (naming.LAUNCH_TEMPLATE, "ab", "3 to 128 characters"),
    (naming.DOCKER_NAME, "-C1", "a letter or digit"),
    (naming.PULUMI_STACK, "s" * 101, "1 to 100 characters"),
    (naming.TAG_VALUE, "t" * 257, "0 to 256 characters"),
])
def test_each_rule_refuses_what_its_source_refuses(rule: NameRule, name: str, broken: str):
    check = rule.broken(name)
    assert check is not None and check.says.startswith(broken)


@pytest.mark.parametrize("rule, name", [
    (naming.S3_BUCKET, "demo-s01-private-123456789012"), (naming.S3_BUCKET, "abc"),
    (naming.SECURITY_GROUP, "s01-VM1-SG-" + UNIQUE_SUFFIX), (naming.BEANSTALK_ENVIRONMENT, "s01-Example-env"),
    (naming.DB_INSTANCE, "eb-s01-" + UNIQUE_SUFFIX), (naming.ECR_REPOSITORY, "s01-web-alpine"),
    (naming.DOCKER_NAME, "s01-VOL-EXAMPLE"), (naming.PULUMI_STACK, "demo-s01"),
])
def test_each_rule_accepts_what_its_source_accepts(rule: NameRule, name: str):
    assert rule.broken(name) is None


# --- who is to blame, and what the settings parser says ------------------------------------------------

def test_a_reserved_prefix_from_the_cohort_blames_the_cohort_from_the_student_the_student():
    (cohort,) = name_problems("sthree", "s01", ["object-storage"], name_tag_prefix=False)
    assert (cohort.setting, cohort.value) == ("cohort", "sthree")
    assert "S3 bucket name sthree-<student>-<purpose>-<account id>" in cohort.reason and "sthree-" in cohort.reason
    (student,) = name_problems("amzn", "s3-demo", ["beanstalk"], name_tag_prefix=False)
    assert (student.setting, student.value) == ("student", "s3-demo")
    assert "amzn-s3-demo-<purpose>-<account id>" in student.reason


def test_only_the_labs_that_make_a_name_are_held_to_its_rule():
    assert name_problems("sthree", "s01", ["vpc-nat"], name_tag_prefix=True) == []  # no bucket in vpc-nat
    (sg,) = name_problems("demo", "sg", ["vpc-nat"], name_tag_prefix=False)  # every lab has security groups
    assert sg.setting == "student" and "EC2 security group name sg-<group>-<26-character suffix>" in sg.reason


@pytest.mark.parametrize("overrides, message", [
    ({"student": "sg"}, r"cloudlabs:student: \"sg\" is not allowed \(every lab makes the EC2 security group name sg-"),
    ({"student": "sg-2"}, r"cloudlabs:student: \"sg-2\" is not allowed .*not starting with sg-"),
    ({"cohort": "sthree", "labs": ["object-storage"]}, r"cloudlabs:cohort: \"sthree\" is not allowed .*S3 bucket name"),
    ({"cohort": "amzn-s3-demo", "labs": ["beanstalk"]}, r"cloudlabs:cohort: \"amzn-s3-demo\" is not allowed"),
])
def test_the_settings_parser_refuses_ids_whose_names_aws_refuses(overrides, message):
    with pytest.raises(SettingsError, match=message) as err:
        parse_settings(config(**overrides), SOURCE)
    assert len(err.value.problems) == 1


def test_the_demo_ids_make_valid_names():
    parse_settings(config(labs=["object-storage"]), SOURCE)
    parse_settings(config(cohort="sthreex", labs=["object-storage"]), SOURCE)  # sthreex- is not sthree-
