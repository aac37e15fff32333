"""Stack settings: valid input is typed; each kind of bad input gets its exact message."""

from __future__ import annotations

from datetime import date
from ipaddress import IPv4Network
from pathlib import Path

import pytest
import yaml

from cloudlabs.catalog import LABS
from cloudlabs.labs.ec2_webserver import Ec2WebserverOptions
from cloudlabs.settings import (
    SettingsError,
    StackFileError,
    load_stack_settings,
    parse_settings,
    read_stack_file,
    runtime_config_values,
)

from .conftest import SOURCE, config

F = SOURCE
ALL_LABS = ", ".join(LABS)  # in the order error messages list them
SLUG = "1-20 lowercase letters, digits and single hyphens, not starting or ending with a hyphen"
SEAT = "a whole number from 0 (the instructor) to 254; seat N owns 10.N.0.0/16"
CIDR = "an IPv4 network in CIDR form that may SSH in, e.g. 203.0.113.0/24"
LEARNER_TYPES = "t2.nano, t2.micro, t2.small, t2.medium, t3.nano, t3.micro, t3.small, t3.medium"

BAD_SETTINGS = [
    ("seat out of range", config(seat=300),
     f'{F}: cloudlabs:seat: 300 is not allowed (out of range); allowed: {SEAT}'),
    ("seat not a number", config(seat="three"),
     f'{F}: cloudlabs:seat: "three" is not allowed (not a whole number); allowed: {SEAT}'),
    ("seat missing", config(seat=None),
     f'{F}: cloudlabs:seat: missing; allowed: {SEAT}'),
    ("cohort with capitals", config(cohort="Fall-2026"),
     f'{F}: cloudlabs:cohort: "Fall-2026" is not allowed; allowed: {SLUG} (part of stack and bucket names)'),
    ("student id with a space (a real name)", config(student="ada lovelace"),
     f'{F}: cloudlabs:student: "ada lovelace" is not allowed; allowed: {SLUG} (an opaque id, never a real name: stack files are committed)'),
    ("no labs", config(labs=[]),
     f'{F}: cloudlabs:labs: [] is not allowed; allowed: a non-empty list; each item a lab key or {{lab, stage, options}}; labs: {ALL_LABS}'),
    ("misspelt lab", config(labs=["vpc-nta"]),
     f'{F}: cloudlabs:labs[0].lab: "vpc-nta" is not allowed (did you mean vpc-nat?); allowed: {ALL_LABS}'),
    ("unknown stage", config(labs=[{"lab": "vpc-nat", "stage": "final"}]),
     f'{F}: cloudlabs:labs[0].stage: "final" is not allowed; allowed: stages of vpc-nat: starter, solution'),
    ("lab listed twice", config(labs=["vpc-nat", "vpc-nat"]),
     f'{F}: cloudlabs:labs[1].lab: "vpc-nat" is not allowed (listed twice); allowed: each lab at most once per stack'),
    ("too many web servers", config(labs=[{"lab": "ec2-webserver", "options": {"count": 9}}]),
     f'{F}: cloudlabs:labs[0].options.count: 9 is not allowed; allowed: a whole number of servers from 0 to 6 (default 2; 1 with a Windows os, as the book launches one Windows server, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance; 0: the VPC and the security group only, for the CLI and boto3 deployments of the chapter 3 assignment, book ch. 3, Chapter 3 coursework to Assignment Interacting with the cloud programmatically)'),
    ("two chapter-5 assignments at once", config(labs=[{"lab": "access-control", "options": {"parts": ["coursework", "tcp-analysis"]}}]),
     f'{F}: cloudlabs:labs[0].options.parts: ["coursework", "tcp-analysis"] is not allowed (coursework and tcp-analysis both '
     "build VM1-VM3: choose one assignment at a time); allowed: a non-empty list of parts, each once: nacl, security-groups, "
     "containers, and at most one of chapter 5's assignments (VM1 in SN-0, VM2/VM3 in SN-80): coursework (security groups, "
     "book ch. 5, Chapter 5 Coursework), coursework-nacl (the same with NACLs, book ch. 5, Chapter 5 Coursework; not with nacl: both own SN-0's NACL), tcp-analysis (nginx and "
     "MongoDB containers, book ch. 5, Submit)"),
    ("unknown lab option", config(labs=[{"lab": "ec2-webserver", "options": {"size": "big"}}]),
     f'{F}: cloudlabs:labs[0].options.size: "big" is not allowed (unknown option); allowed: options: count, os'),
    ("labs whose VPCs overlap", config(labs=["ec2-webserver", "vpc-nat"]),
     f'{F}: cloudlabs:labs: ["ec2-webserver", "vpc-nat"] is not allowed (labs ec2-webserver (VPC 10.1.0.0/16) and '
     f'vpc-nat (VPC-A 10.1.0.0/16) need overlapping addresses; run them in separate sessions); allowed: labs whose networks do not overlap'),
    ("admin CIDR with host bits", config(adminCidr="203.0.113.5/24"),
     f'{F}: cloudlabs:adminCidr: "203.0.113.5/24" is not allowed (host bits are set; did you mean 203.0.113.0/24?); allowed: {CIDR}'),
    ("admin address without prefix", config(adminCidr="203.0.113.5"),
     f'{F}: cloudlabs:adminCidr: "203.0.113.5" is not allowed (no prefix length; for one address write 203.0.113.5/32); allowed: {CIDR}'),
    ("admin CIDR not a network", config(adminCidr="campus"),
     f'{F}: cloudlabs:adminCidr: "campus" is not allowed (not an IP network in CIDR form); allowed: {CIDR}'),
    ("world-open admin CIDR", config(adminCidr="0.0.0.0/0"),
     f'{F}: cloudlabs:adminCidr: "0.0.0.0/0" is not allowed (opens SSH to the whole internet); '
     f'allowed: an IPv4 range of /16 or narrower (IPv6: /32), or a private range; or set cloudlabs:allowOpenAdminCidr: true to open SSH and RDP that wide'),
    ("region the profile forbids", config(aws_region="eu-west-3"),
     f'{F}: aws:region: "eu-west-3" is not allowed; allowed: a region of profile learner-lab: us-east-1, us-west-2'),
    ("region missing", config(aws_region=None),
     f'{F}: aws:region: missing; allowed: a region of profile learner-lab: us-east-1, us-west-2'),
    ("instance type the profile forbids", config(instanceType="m5.large"),
     f'{F}: cloudlabs:instanceType: "m5.large" is not allowed; allowed: an instance type of profile learner-lab: {LEARNER_TYPES}'),
    ("unknown profile", config(profile="academy"),
     f'{F}: cloudlabs:profile: "academy" is not allowed; allowed: one of: learner-lab, sandbox'),
    ("impossible expiry date", config(expires="2026-02-30"),
     f'{F}: cloudlabs:expires: "2026-02-30" is not allowed (not a calendar date); allowed: a date written YYYY-MM-DD (tagged on every resource as cloudlabs:expires)'),
    ("misspelt setting", {**config(), "cloudlabs:adminCIDR": "198.51.100.0/24"},
     f'{F}: cloudlabs:adminCIDR: "198.51.100.0/24" is not allowed (unknown setting; did you mean cloudlabs:adminCidr?); '
     'allowed: the settings cloudlabs:cohort, cloudlabs:student, cloudlabs:seat, cloudlabs:labs, cloudlabs:adminCidr, '
     'cloudlabs:allowOpenAdminCidr, cloudlabs:profile, cloudlabs:keyName, cloudlabs:keyFile, cloudlabs:nameTagPrefix, cloudlabs:instanceType, cloudlabs:expires, cloudlabs:sessionHours, '
     'cloudlabs:sessions, cloudlabs:accountModel, cloudlabs:account, cloudlabs:roleArn'),
    ("empty key pair name", config(keyName=""),
     f'{F}: cloudlabs:keyName: "" is not allowed; allowed: the name of an existing EC2 key pair (1-255 printable ASCII characters)'),
    ("flag that is not a boolean", config(allowOpenAdminCidr="maybe"),
     f'{F}: cloudlabs:allowOpenAdminCidr: "maybe" is not allowed; allowed: true or false'),
]


@pytest.mark.parametrize("cfg,message", [c[1:] for c in BAD_SETTINGS], ids=[c[0] for c in BAD_SETTINGS])
def test_bad_setting_gets_its_exact_message(cfg, message):
    with pytest.raises(SettingsError) as caught:
        parse_settings(cfg, SOURCE)
    assert str(caught.value) == message
    assert len(caught.value.problems) == 1


def test_every_problem_is_reported_at_once():
    with pytest.raises(SettingsError) as caught:
        parse_settings(config(seat=999, adminCidr="nope", cohort=None), SOURCE)
    assert [p.key for p in caught.value.problems] == ["cloudlabs:cohort", "cloudlabs:seat", "cloudlabs:adminCidr"]


def test_valid_settings_are_typed():
    s = parse_settings(config(labs=[{"lab": "ec2-webserver", "options": {"count": 4, "os": "alternate"}}]), SOURCE)
    assert s.stack_name == "test-s01"
    assert s.seat == 1 and s.admin_cidr == IPv4Network("203.0.113.0/24") and s.expires == date(2026, 12, 19)
    assert s.profile.name == "learner-lab" and s.region == "us-east-1" and s.key_name == "vockey"
    (lab,) = s.labs
    assert (lab.lab, lab.stage) == ("ec2-webserver", "solution")
    assert lab.options == Ec2WebserverOptions(count=4, os="alternate")


def test_defaults_stage_profile_instance_type_and_flag():
    s = parse_settings(config(labs=["vpc-nat"], profile=None, instanceType=None, keyName=None), SOURCE)
    assert s.labs[0].stage == "solution"
    assert s.profile.name == "learner-lab" and s.instance_type == "t3.micro"
    assert s.key_name is None and s.allow_open_admin_cidr is False
    assert (s.session_hours, s.sessions) == (4, 12)  # learner-lab's session and course
    sandbox = parse_settings(config(profile="sandbox", sessions=15), SOURCE)
    assert (sandbox.session_hours, sandbox.sessions) == (8, 15)  # the profile's length, the stack's count


def test_world_open_admin_cidr_needs_the_explicit_flag():
    s = parse_settings(config(adminCidr="0.0.0.0/0", allowOpenAdminCidr=True), SOURCE)
    assert s.admin_cidr == IPv4Network("0.0.0.0/0")


def test_the_pulumi_runtime_form_parses_the_same():
    """The engine hands every value to the program as a string (objects as JSON)."""
    cfg = config(labs=[{"lab": "ec2-webserver", "stage": "starter", "options": {"count": 3}}], allowOpenAdminCidr=False,
                 sessionHours=2.5, sessions=10)
    as_runtime = runtime_config_values(cfg)
    assert as_runtime["cloudlabs:seat"] == "1" and as_runtime["cloudlabs:allowOpenAdminCidr"] == "false"
    assert (as_runtime["cloudlabs:sessionHours"], as_runtime["cloudlabs:sessions"]) == ("2.5", "10")
    parsed = parse_settings(as_runtime, SOURCE, runtime=True)
    assert parsed == parse_settings(cfg, SOURCE) and (parsed.session_hours, parsed.sessions) == (2.5, 10)


def test_other_namespaces_are_left_to_their_owners():
    s = parse_settings({**config(), "aws:profile": "class", "aws:defaultTags": '{"tags": {}}'}, SOURCE)
    assert s.region == "us-east-1"


def write_stack(tmp_path: Path, name: str, cfg) -> Path:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": cfg}))
    return path


def test_stack_file_must_match_cohort_and_student(tmp_path):
    path = write_stack(tmp_path, "test-s02", config())
    with pytest.raises(SettingsError) as caught:
        load_stack_settings(path)
    assert str(caught.value) == (
        f'{path}: cloudlabs:student: "s01" is not allowed (the file is for stack test-s02, the settings say test-s01); '
        "allowed: cohort and student matching the stack name 'test-s02'")


def test_stack_file_errors_name_the_file_and_line(tmp_path):
    broken = tmp_path / "Pulumi.test-s01.yaml"
    broken.write_text("config:\n  cloudlabs:seat: 1\n   bad: [\n")
    with pytest.raises(StackFileError, match=r"Pulumi.test-s01.yaml:3: not valid YAML"):
        read_stack_file(broken)
    empty = tmp_path / "Pulumi.test-s03.yaml"
    empty.write_text("encryptionsalt: x\n")
    with pytest.raises(StackFileError, match="config: missing"):
        read_stack_file(empty)


def test_demo_stack_files_are_valid():
    from labctl.offline.render import stack_files
    stacks = {load_stack_settings(p).stack_name for p in stack_files()}
    from labctl.offline.render import ENVIRONMENTS
    rosters = [yaml.safe_load(p.read_text()) for p in ENVIRONMENTS.glob("*.yaml")
               if not p.name.startswith("Pulumi.") and not p.name.endswith(".seats.yaml")]
    assert stacks == {f"{c['cohort']}-{s['id']}" for c in rosters for s in c["roster"]}  # one stack per student
    assert {c["cohort"] for c in rosters} == {"demo", "demo-net", "demo-app", "demo-tools"}
