"""The course's guardrails (labctl.analysis.guardrails): every policy both ways on minimal props, the book's
exceptions, the CrossGuard pack built from the same functions (no server started), and the offline adapter
on real renders and through labctl validate."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from cloudlabs import REPO_ROOT, exposure
from labctl.analysis import guardrails
from labctl.analysis.guardrails import POLICIES, Context, Subject
from labctl.analysis.validation import Validator
from labctl.cli.main import main
from labctl.offline.graph import StackGraph

from .conftest import config, lab_graph
from .graphtools import INGRESS, INSTANCE

LT = "aws:ec2/launchTemplate:LaunchTemplate"
RDS = "aws:rds/instance:Instance"
BEANSTALK = "aws:elasticbeanstalk/environment:Environment"
ROLE = "aws:iam/role:Role"
BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
VPC = "aws:ec2/vpc:Vpc"
ROUTE = "aws:ec2/route:Route"

LEARNER = Context.of("learner-lab", "us-east-1")
TAGS = {"cloudlabs:student": "s01", "cloudlabs:cohort": "c", "cloudlabs:lab": "vpc-nat", "cloudlabs:expires": "2026-12-19"}
SAFE_VM = {"instanceType": "t3.micro", "metadataOptions": {"httpTokens": "required"},
           "rootBlockDevice": {"encrypted": True, "volumeSize": 8}, "tags": TAGS}
SSH_FROM = {"ipProtocol": "tcp", "fromPort": 22, "toPort": 22, "tags": TAGS}
OPEN_BLOCK = {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": False, "restrictPublicBuckets": False}
CLOSED_BLOCK = {flag: True for flag in OPEN_BLOCK}


def _stack(block: dict[str, Any], bucket_tags: dict[str, str]) -> list[Subject]:
    return [Subject("urn:b", BUCKET, "b", {"tags": {**TAGS, **bucket_tags}}),
            Subject("urn:pab", BLOCK, "b-public-access", block, {"bucket": ["urn:b"]})]


def _vms(n: int, itype: str = "t3.micro") -> list[Subject]:
    return [Subject(f"urn:vm{i}", INSTANCE, f"vm{i}", {**SAFE_VM, "instanceType": itype}) for i in range(n)]


# policy -> (violating case, passing case): a resource (type, props, context) or a stack (subjects, context)
CASES: dict[str, tuple[Any, Any]] = {
    "cloudlabs-ssh-not-open-to-world": ((INGRESS, {**SSH_FROM, "cidrIpv4": "0.0.0.0/0"}, LEARNER),
                                        (INGRESS, {**SSH_FROM, "cidrIpv4": "203.0.113.0/24"}, LEARNER)),
    "cloudlabs-imdsv2-required": ((INSTANCE, {**SAFE_VM, "metadataOptions": {"httpTokens": "optional"}}, LEARNER),
                                  (INSTANCE, SAFE_VM, LEARNER)),
    "cloudlabs-storage-encrypted": ((RDS, {"storageEncrypted": False}, LEARNER), (RDS, {"storageEncrypted": True}, LEARNER)),
    "cloudlabs-database-not-public": ((RDS, {"publiclyAccessible": True}, LEARNER),
                                      (RDS, {"publiclyAccessible": False}, LEARNER)),
    "cloudlabs-bucket-public-access-blocked": ((_stack(OPEN_BLOCK, {}), LEARNER), (_stack(CLOSED_BLOCK, {}), LEARNER)),
    "cloudlabs-allowed-region": ((_vms(1), Context.of("learner-lab", "eu-west-1")), (_vms(1), LEARNER)),
    "cloudlabs-allowed-instance-types": ((INSTANCE, {**SAFE_VM, "instanceType": "m5.large"}, LEARNER),
                                         (INSTANCE, SAFE_VM, LEARNER)),
    "cloudlabs-iam": ((ROLE, {"assumeRolePolicy": "{}"}, LEARNER), (ROLE, {"assumeRolePolicy": "{}"}, Context.of("sandbox"))),
    "cloudlabs-account-limits": ((_vms(10), LEARNER), (_vms(9), LEARNER)),
    "cloudlabs-course-tags": ((VPC, {"cidrBlock": "10.1.0.0/16", "tags": {"Name": "x"}}, LEARNER),
                              (VPC, {"cidrBlock": "10.1.0.0/16", "tags": TAGS}, LEARNER)),
}


def _verdicts(policy: guardrails.Policy, case: Any) -> list[guardrails.Verdict]:
    if policy.validate is not None:
        return policy.validate(*case)
    assert policy.validate_stack is not None
    return policy.validate_stack(*case)


def test_every_policy_has_a_case_and_a_unique_name():
    assert sorted(CASES) == sorted(p.name for p in POLICIES)
    assert all(p.level in (guardrails.MANDATORY, guardrails.ADVISORY) and p.description for p in POLICIES)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_policy_both_ways(policy):
    bad, good = CASES[policy.name]
    found = _verdicts(policy, bad)
    assert found and all(v.message and not v.exception for v in found)
    assert _verdicts(policy, good) == []


@pytest.mark.parametrize("policy,case,expected", [
    ("cloudlabs-ssh-not-open-to-world", (INGRESS, {**SSH_FROM, "cidrIpv4": "0.0.0.0/1"}, LEARNER), "2,147,483,648"),
    ("cloudlabs-ssh-not-open-to-world", (INGRESS, {"ipProtocol": "-1", "cidrIpv6": "::/0"}, LEARNER), "all traffic"),
    ("cloudlabs-imdsv2-required", (BEANSTALK, {"settings": []}, LEARNER), "DisableIMDSv1"),
    ("cloudlabs-storage-encrypted", (LT, {"blockDeviceMappings": [{"ebs": {"encrypted": "false"}}]}, LEARNER),
     "blockDeviceMappings[0].ebs.encrypted"),
    ("cloudlabs-allowed-instance-types", (BEANSTALK, {"settings": [{"namespace": "aws:autoscaling:launchconfiguration",
                                                                    "name": "InstanceType", "value": "t3.large"}]}, LEARNER),
     "t3.large"),
    ("cloudlabs-allowed-instance-types", (LT, {"instanceType": "t2.micro"}, Context.of("sandbox")), "t2.micro"),
    ("cloudlabs-allowed-instance-types", (RDS, {"instanceClass": "db.m5.large"}, LEARNER), "db.m5.large"),
    ("cloudlabs-iam", (INSTANCE, {**SAFE_VM, "iamInstanceProfile": "MyProfile"}, LEARNER), "LabInstanceProfile"),
    ("cloudlabs-iam", (BEANSTALK, {"settings": [{"namespace": "aws:elasticbeanstalk:environment", "name": "ServiceRole",
                                                 "value": "MyRole"}]}, LEARNER), "LabRole"),
    ("cloudlabs-account-limits", ([Subject("urn:big", INSTANCE, "big", {**SAFE_VM, "instanceType": "t3.xlarge"})], LEARNER),
     "larger than"),
    ("cloudlabs-course-tags", ("aws:autoscaling/group:Group", {"tags": [{"key": "cloudlabs:student", "value": "s"}]},
                               LEARNER), "cloudlabs:expires"),
])
def test_the_other_places_a_rule_reads(policy, case, expected):
    found = _verdicts(next(p for p in POLICIES if p.name == policy), case)
    assert any(expected in v.message for v in found), found


def test_what_takes_no_tags_is_not_asked_for_them():
    assert guardrails._tagged(ROUTE, {}, LEARNER) == []


# --- the book's exceptions: allowed with the mark, named; refused without it ---------------------------------


def test_a_public_bucket_passes_only_with_its_mark():
    policy = next(p for p in POLICIES if p.name == "cloudlabs-bucket-public-access-blocked")
    marked = policy.validate_stack(_stack(OPEN_BLOCK, {exposure.EXCEPTION_TAG: exposure.PUBLIC_BUCKET}), LEARNER)
    assert [v.exception for v in marked] == [exposure.PUBLIC_BUCKET] and "allowed: public-bucket" in marked[0].message
    other_mark = policy.validate_stack(_stack(OPEN_BLOCK, {exposure.EXCEPTION_TAG: exposure.OPEN_ADMIN_CIDR}), LEARNER)
    assert [v.exception for v in other_mark] == [""]


def test_an_admin_port_open_to_the_world_passes_only_with_its_mark():
    props = {**SSH_FROM, "cidrIpv4": "0.0.0.0/0"}
    marked = guardrails._admin_open_to_world(INGRESS, {**props, "tags": {**TAGS, exposure.EXCEPTION_TAG: exposure.OPEN_ADMIN_CIDR}},
                                             LEARNER)
    assert [v.exception for v in marked] == [exposure.OPEN_ADMIN_CIDR] and "allowOpenAdminCidr" in marked[0].message
    assert [v.exception for v in guardrails._admin_open_to_world(INGRESS, props, LEARNER)] == [""]


# --- the pack: the same policies through pulumi-policy's callbacks, no server -------------------------------


@pytest.fixture(scope="module")
def pack(monkeypatch_module):
    import pulumi_policy
    captured: dict[str, Any] = {}
    monkeypatch_module.setattr(pulumi_policy, "PolicyPack", lambda name, policies, **kw: captured.update(name=name, policies=policies))
    spec = importlib.util.spec_from_file_location("cloudlabs_policy_pack", REPO_ROOT / "policy" / "__main__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return captured


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def test_the_pack_holds_the_offline_policies(pack):
    import pulumi_policy
    assert pack["name"] == "cloudlabs-guardrails"
    assert [p.name for p in pack["policies"]] == [p.name for p in POLICIES]
    levels = {guardrails.MANDATORY: pulumi_policy.EnforcementLevel.MANDATORY,
              guardrails.ADVISORY: pulumi_policy.EnforcementLevel.ADVISORY}
    assert [p.enforcement_level for p in pack["policies"]] == [levels[p.level] for p in POLICIES]


def _args(case: Any, policy: guardrails.Policy) -> Any:
    """A fake ResourceValidationArgs/StackValidationArgs for a case (the context's profile and region as config)."""
    *data, ctx = case
    config = {"profile": ctx.profile.name if ctx.profile else None, "region": ctx.region}
    if policy.validate is not None:
        resource_type, props = data
        return SimpleNamespace(resource_type=resource_type, props=props, provider=None, get_config=lambda: config)
    by_urn: dict[str, Any] = {}
    resources = []
    for s in data[0]:
        r = SimpleNamespace(urn=s.urn, resource_type=s.type, name=s.name, props=s.props, provider=None,
                            property_dependencies={})
        by_urn[s.urn] = r
        resources.append((r, s))
    for r, s in resources:
        r.property_dependencies = {k: [by_urn[u] for u in v] for k, v in s.property_dependencies.items()}
    return SimpleNamespace(resources=[r for r, _ in resources], get_config=lambda: config)


@pytest.mark.parametrize("index", range(len(POLICIES)), ids=[p.name for p in POLICIES])
def test_the_pack_reports_the_functions_messages(pack, index):
    policy, adapter = POLICIES[index], pack["policies"][index]
    validate = adapter._ResourceValidationPolicy__validate if policy.validate else adapter._StackValidationPolicy__validate
    for case, expect_violation in zip(CASES[policy.name], (True, False)):
        reported: list[tuple[str, Any]] = []
        validate(_args(case, policy), lambda message, urn=None: reported.append((message, urn)))
        assert [m for m, _ in reported] == [v.message for v in _verdicts(policy, case)]
        assert bool(reported) is expect_violation


def test_the_pack_reads_the_region_from_the_aws_provider(pack):
    index = [p.name for p in POLICIES].index("cloudlabs-allowed-region")
    reported: list[Any] = []
    args = SimpleNamespace(resources=[SimpleNamespace(urn="u", resource_type=INSTANCE, name="vm", props=SAFE_VM,
                                                      provider=SimpleNamespace(props={"region": "ap-south-1"}),
                                                      property_dependencies={})],
                           get_config=lambda: {"profile": "learner-lab"})
    pack["policies"][index]._StackValidationPolicy__validate(args, lambda m, u=None: reported.append(m))
    assert reported and "ap-south-1" in reported[0]


def test_the_pack_config_comes_from_the_stack_file():
    data = yaml.safe_load((REPO_ROOT / "environments" / "Pulumi.demo-net-n01.yaml").read_text())["config"]
    config = guardrails.pack_config(data)
    assert set(config) == {p.name for p in POLICIES}
    assert config["cloudlabs-allowed-region"] == {"profile": data["cloudlabs:profile"], "region": data["aws:region"]}


def test_the_offline_adapter_never_imports_pulumi_policy():
    code = ("import sys, json\n"
            "from labctl.offline.graph import StackGraph\n"
            "from labctl.analysis import guardrails, validation\n"
            f"g = StackGraph.from_json(json.loads({lab_graph('vpc-nat').dumps()!r}))\n"
            "guardrails.check_graph(g)\n"
            "assert not [m for m in sys.modules if m.startswith('pulumi_policy')], 'pulumi_policy imported'\n")
    subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, check=True)


# --- offline, on real renders --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def renders():
    return {"vpc-nat": lab_graph("vpc-nat"), "object-storage": lab_graph("object-storage")}


def test_the_labs_as_they_are_pass(renders):
    for graph in renders.values():
        assert guardrails.violations(graph) == [], graph.stack
    exceptions = guardrails.check_graph(renders["object-storage"]).exceptions
    assert exceptions and {f.rule for f in exceptions} == {"cloudlabs-bucket-public-access-blocked"}
    assert all("allowed: public-bucket" in f.message for f in exceptions)


def test_a_bucket_without_its_mark_is_a_violation(renders):
    graph = _copy(renders["object-storage"])
    for r in graph.of_type(BUCKET):
        r.inputs["tags"].pop(exposure.EXCEPTION_TAG, None)
    found = guardrails.violations(graph)
    assert found and {f.rule for f in found} == {"cloudlabs-bucket-public-access-blocked"}


def test_ssh_opened_to_the_world_makes_the_stack_not_deploy_ready(renders):
    graph = _copy(renders["vpc-nat"])
    ssh = next(r for r in graph.of_type(INGRESS) if r.inputs.get("fromPort") == 22 and r.inputs.get("cidrIpv4"))
    ssh.inputs["cidrIpv4"] = "0.0.0.0/0"
    result = Validator().validate(graph)
    assert not result.ready
    assert [f.resource for f in result.findings if f.rule == "cloudlabs-ssh-not-open-to-world"] == [ssh.name]


def _copy(graph):
    return StackGraph.from_json(json.loads(graph.dumps()))


def test_labctl_validate_shows_a_violation_and_exits_1(tmp_path, monkeypatch, capsys):
    """A stack whose settings open SSH to the world on purpose: with the component's mark it is deploy-ready;
    a component that forgot the mark (the guard's test made to answer no) fails validate with the policy's line."""
    stack = tmp_path / "Pulumi.open-s01.yaml"
    cfg = config(cohort="open", labs=[{"lab": "ec2-webserver", "stage": "solution"}], adminCidr="0.0.0.0/0",
                 allowOpenAdminCidr=True)
    stack.write_text(yaml.safe_dump({"config": cfg}))
    assert main(["validate", str(stack), "--jobs", "1", "--no-cache", "--all"]) == 0
    assert "exception open-s01" in capsys.readouterr().out
    import components.security
    monkeypatch.setattr(components.security, "opens_admin_port_to_world", lambda rule: False)
    assert main(["validate", str(stack), "--jobs", "1", "--no-cache"]) == 1
    assert "[cloudlabs-ssh-not-open-to-world]" in capsys.readouterr().out


def test_the_limits_policy_is_the_deploy_rules_check(renders):
    """Offline, CL-LIMIT-ACCOUNT reports the account's limits (with the session's end): the policy, the same
    check for the pack, is not run twice; over a graph it finds what the deploy rule finds."""
    from labctl.analysis.deployrules import DEPLOY_RULES
    graph = _copy(renders["vpc-nat"])
    for r in graph.of_type(INSTANCE):
        r.inputs["instanceType"] = "t3.xlarge"
    rule = next(r for r in DEPLOY_RULES if r.id == "CL-LIMIT-ACCOUNT")
    policy = next(p for p in POLICIES if p.name == "cloudlabs-account-limits")
    subjects = [Subject(r.urn, r.type, r.name, r.inputs) for r in graph.custom_resources]
    assert policy.offline_by == rule.id and "cloudlabs-account-limits" not in {f.rule for f in guardrails.violations(graph)}
    assert sorted(v.message.split(": ", 2)[2] for v in policy.validate_stack(subjects, LEARNER)) == \
        sorted(f.message for f in rule.check(graph))
