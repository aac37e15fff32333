"""Deploy-readiness: every lab passes AWS's resource schemas and the deploy rules, each class of
rule fires on a graph mutated to break exactly it, and the translation covers every type."""

from __future__ import annotations

import copy
from datetime import date

import pytest

from labctl.analysis import deployrules, matrix
from labctl.offline.graph import StackGraph
from labctl.analysis.validation import SUPPRESSIONS, LintCache, Validator, validate_graphs

from .conftest import config, lab_graph

# Every lab, stage and option set of the validation matrix (labctl/analysis/matrix.py), under the
# default settings: what the kinds' tests render. Deploy-readiness of every cell, under every
# profile and key setting with the longest ids, is tests/test_matrix.py's.
VARIANTS = list({(c.lab, c.stage, c.options.label): (c.lab, c.stage, dict(c.options.options) or None)
                 for c in matrix.derive().cells}.values())


def test_a_new_type_without_a_mapping_is_a_finding_not_a_pass():
    graph = mutated("vpc-nat", lambda g: setattr(g.custom_resources[-1], "type", "aws:newservice/thing:Thing"))
    (result,) = validate_graphs([graph])
    assert not result.ready
    assert result.findings[0].rule == "CL-TRANSLATE" and "aws:newservice/thing:Thing" in result.findings[0].message


def test_types_with_no_counterpart_are_listed_never_passed_silently():
    (result,) = validate_graphs([lab_graph("lamp")])
    assert result.not_validated == ["lamp-db-password (random:index/randomPassword:RandomPassword)"]


# --- each class of rule, on a graph broken in exactly that way -------------------------------------


def mutated(lab: str, change, stage: str = "solution", options: dict | None = None) -> StackGraph:
    graph = StackGraph.from_json(copy.deepcopy(lab_graph(lab, stage, options).to_json()))
    change(graph)
    return graph


def resource(graph: StackGraph, name: str):
    return next(r for r in graph.custom_resources if r.name == name)


def only_finding(graph: StackGraph):
    """The one schema or deploy-rule finding (the guardrails' own are tests/test_guardrails_pack.py's)."""
    from labctl.analysis.guardrails import POLICIES
    (result,) = validate_graphs([graph])
    findings = [f for f in result.findings if f.rule not in {p.name for p in POLICIES}]
    assert len(findings) == 1, "\n".join(f.line() for f in findings)
    return findings[0]


def test_pattern_an_apostrophe_in_a_security_group_description():
    graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-bastion-sg").inputs.update(description="the bastion's group"))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.type, f.property, f.value) == (
        "E3031", "vpc-nat-bastion-sg", "aws:ec2/securityGroup:SecurityGroup", "GroupDescription", "the bastion's group")
    assert "does not match" in f.message and "vpc-nat-bastion-sg" in f.line()


def test_length_a_description_longer_than_aws_allows():
    graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-bastion-sg").inputs.update(description="x" * 300))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.property, f.value) == ("E3033", "vpc-nat-bastion-sg", "GroupDescription", "x" * 300)


def test_enum_an_instance_type_the_region_does_not_offer():
    graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-web-dev").inputs.update(instanceType="t3.micrx"))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.property, f.value) == ("E3628", "vpc-nat-web-dev", "InstanceType", "t3.micrx")


def test_cross_property_a_subnet_outside_its_vpc():
    graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-vpc-a-sn-a-02").inputs.update(cidrBlock="10.99.2.0/24"))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.property, f.value) == ("E3059", "vpc-nat-vpc-a-sn-a-02", "CidrBlock", "10.99.2.0/24")
    assert "is not a valid subnet of" in f.message


def test_ordering_an_internet_facing_load_balancer_that_does_not_wait_for_the_gateway():
    def drop(graph: StackGraph) -> None:
        alb = resource(graph, "load-balancer-lb-alb")
        igw = resource(graph, "load-balancer-vpc-igw")
        alb.dependencies = [u for u in alb.dependencies if u != igw.urn]
    f = only_finding(mutated("load-balancer", drop))
    assert (f.rule, f.resource, f.property) == ("CL-ORDER-IGW", "load-balancer-lb-alb", "subnets")
    assert "load-balancer-vpc-igw" in f.message and "depends_on" in f.message


def rule_findings(rule_id: str, graph: StackGraph):
    """One deploy rule's findings, without linting the whole template (what these tests are about)."""
    return next(r for r in deployrules.DEPLOY_RULES if r.id == rule_id).check(graph)


def _without_dependencies(graph: StackGraph, name: str, dropped) -> None:
    r = resource(graph, name)
    r.dependencies = [u for u in r.dependencies if not dropped(graph[u].name)]


def test_ordering_a_beanstalk_environment_that_does_not_wait_for_its_subnets_route_to_the_gateway():
    """Beanstalk makes the load balancer and the public instances itself: the environment waits for the
    gateway and, in each subnet it puts them in, for the default route to it and the association."""
    def drop_associations(graph: StackGraph) -> None:
        _without_dependencies(graph, "beanstalk-env", lambda n: n.startswith("beanstalk-vpc-public-rt-"))
    found = rule_findings("CL-ORDER-IGW", mutated("beanstalk", drop_associations, options={"coursework": True}))
    assert sorted((f.rule, f.resource, f.property) for f in found) == [("CL-ORDER-IGW", "beanstalk-env", "settings")] * 2
    for f, subnet in zip(found, ("sn-0", "sn-16")):
        assert "without waiting for the default route to the internet gateway beanstalk-vpc-igw" in f.message
        assert f"add depends_on=[beanstalk-vpc-public-rt-{subnet}]" in f.message and "fails to launch" in f.message

    def drop_the_way_out(graph: StackGraph) -> None:
        _without_dependencies(graph, "beanstalk-env", lambda n: n.startswith("beanstalk-vpc-public-"))
    found = [f.message for f in rule_findings("CL-ORDER-IGW", mutated("beanstalk", drop_the_way_out))]
    assert len(found) == 3 and "without waiting for the internet gateway beanstalk-vpc-igw" in found[0]
    assert "add depends_on=[beanstalk-vpc-public-default, beanstalk-vpc-public-rt-sn-0]" in found[1]  # the single instance's
    assert "add depends_on=[beanstalk-vpc-public-default, beanstalk-vpc-public-rt-sn-16]" in found[2]  # subnets, both


def test_ordering_which_beanstalk_environments_need_the_gateway_and_in_which_subnets():
    from labctl.kinds.elasticbeanstalk import public_subnets

    def settings(**options: str) -> list[dict[str, str]]:
        namespace = {"EnvironmentType": "aws:elasticbeanstalk:environment"}
        return [{"namespace": namespace.get(k, "aws:ec2:vpc"), "name": k, "value": v} for k, v in options.items()]
    assert public_subnets(settings(EnvironmentType="SingleInstance", Subnets="a,b")) == ["a", "b"]  # its Elastic IP
    balanced = {"EnvironmentType": "LoadBalanced", "Subnets": "p1,p2"}
    assert public_subnets(settings(**balanced, ELBSubnets="a,b")) == ["a", "b"]  # an internet-facing load balancer
    assert public_subnets(settings(**balanced)) == ["p1", "p2"]  # ELBSubnets default to the instances'
    assert public_subnets(settings(**balanced, ELBSubnets="a", AssociatePublicIpAddress="true")) == ["p1", "p2", "a"]
    assert public_subnets(settings(**balanced, ELBSubnets="a", ELBScheme="internal")) == []  # private: a NAT's business
    assert public_subnets(None) == []


def test_lifecycle_a_beanstalk_environment_secret_that_rds_rotates():
    """RDS rotates its managed master user secret every 7 days; Beanstalk reads environment secrets only
    when an instance boots: the running instances would keep the old password."""
    secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-0123-AbCdEf"

    def managed(graph: StackGraph) -> None:
        db = resource(graph, "beanstalk-db")
        db.inputs.update(manageMasterUserPassword=True)
        db.outputs["masterUserSecrets"] = [{"secretArn": secret, "secretStatus": "active"}]
        for s in resource(graph, "beanstalk-env").inputs["settings"]:
            if s["namespace"] == "aws:elasticbeanstalk:application:environmentsecrets":
                s["value"] = secret
    (f,) = rule_findings("CL-LIFECYCLE-ROTATING-SECRET", mutated("beanstalk", managed, options={"coursework": True}))
    assert (f.rule, f.resource, f.property, f.value) == (
        "CL-LIFECYCLE-ROTATING-SECRET", "beanstalk-env", "environment secret RDS_PASSWORD", secret)
    assert "beanstalk-db keeps and rotates on its own" in f.message and "read only when an instance boots" in f.message
    assert "rds-secrets-manager.html" in f.message and "AWSHowTo.secrets.env-vars.html" in f.message


def test_lifecycle_an_instance_that_a_newer_ami_would_replace():
    graph = mutated("vpc-nat", lambda g: setattr(resource(g, "vpc-nat-web-dev"), "ignore_changes", []))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.property) == ("CL-LIFECYCLE-AMI", "vpc-nat-web-dev", "ImageId")
    assert f.value.startswith("ami-") and "replaces the student's instance" in f.message


def test_lifecycle_a_beanstalk_environment_that_a_newer_platform_would_update():
    """The PHP platform is looked up as the most recent solution stack, as the AMI is: without ignoring
    it, the next `up` after AWS publishes a platform version replaces a running class's instances."""
    graph = mutated("beanstalk", lambda g: setattr(resource(g, "beanstalk-env"), "ignore_changes", []))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.property) == ("CL-LIFECYCLE-AMI", "beanstalk-env", "SolutionStackName")
    assert f.value.startswith("64bit Amazon Linux 2023") and "ignore changes to solutionStackName" in f.message


def test_cost_trap_a_database_past_standard_support_and_extended_support_left_on():
    graph = mutated("lamp", lambda g: resource(g, "lamp-db").inputs.update(engineVersion="8.0"))
    rule = next(r for r in deployrules.DEPLOY_RULES if r.id == "CL-COST-RDS-SUPPORT")
    (f,) = deployrules._check_rds_support(rule, graph, today=date(2026, 8, 1))
    assert (f.resource, f.property, f.value) == ("lamp-db", "EngineVersion", "8.0")
    assert "left RDS standard support on 2026-07-31" in f.message
    assert list(deployrules._check_rds_support(rule, graph, today=date(2026, 7, 30))) == []
    graph = mutated("lamp", lambda g: resource(g, "lamp-db").inputs.pop("engineLifecycleSupport"))
    f = only_finding(graph)
    assert (f.rule, f.property) == ("CL-COST-RDS-SUPPORT", "EngineLifecycleSupport")


def test_value_a_rule_description_ec2_refuses_though_the_schema_lets_it_through():
    """An apostrophe in a rule's description (EC2's IpRange/UserIdGroupPair Description): the schema
    only checks a group's own description; the beanstalk coursework's MySQL rule had one."""
    graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-bastion-sg-in-ssh-from-the-admin-cidr").inputs.update(
        description="SSH from the instructor's network"))
    f = only_finding(graph)
    assert (f.rule, f.resource, f.value) == ("CL-VALUE-EC2-DESCRIPTION", "vpc-nat-bastion-sg-in-ssh-from-the-admin-cidr",
                                             "SSH from the instructor's network")
    assert "\"'\"" in f.message
    for fine in ("SSH from the admin CIDR (10.0.0.0/8) #1: [ok] & {ok}!", "x" * 255):
        graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-bastion-sg-in-ssh-from-the-admin-cidr").inputs.update(
            description=fine))
        assert [f for f in Validator().validate(graph).findings if f.rule.startswith("CL-")] == []
    graph = mutated("vpc-nat", lambda g: resource(g, "vpc-nat-bastion-sg-in-ssh-from-the-admin-cidr").inputs.update(
        description="x" * 256))
    assert only_finding(graph).rule == "CL-VALUE-EC2-DESCRIPTION"


def _root_volume(size: str, kind: str | None = None):
    def edit(graph: StackGraph) -> None:
        settings = resource(graph, "beanstalk-env").inputs["settings"]
        for setting in settings:
            if setting["name"] == "RootVolumeSize":
                setting["value"] = size
            if setting["name"] == "RootVolumeType" and kind:
                setting["value"] = kind
    return edit


def test_value_a_beanstalk_root_volume_outside_the_range_aws_documents():
    """gp3 takes 10-16384 GB in Beanstalk's option reference (8 is magnetic's minimum); the lab had 8."""
    f = only_finding(mutated("beanstalk", _root_volume("8")))
    assert (f.rule, f.resource, f.value) == ("CL-VALUE-BEANSTALK-OPTIONS", "beanstalk-env", "8")
    assert "10 to 16384 GB" in f.message
    # past 100 GB the Learner Lab's own limit refuses it too (CL-LIMIT-ACCOUNT, tests/test_account_limits.py)
    rules = [f.rule for f in Validator().validate(mutated("beanstalk", _root_volume("1025", "standard"))).findings]
    assert rules == ["CL-VALUE-BEANSTALK-OPTIONS", "CL-LIMIT-ACCOUNT"]
    for size, kind in (("10", None), ("16384", "gp2"), ("8", "standard")):
        graph = mutated("beanstalk", _root_volume(size, kind))
        assert [f.rule for f in Validator().validate(graph).findings if f.rule.startswith("CL-")] == (
            ["CL-LIMIT-ACCOUNT"] if size == "16384" else []), (size, kind)


def _pushed_as(tag: str, **repository):
    def edit(graph: StackGraph) -> None:
        image, repo = resource(graph, "containers-web-alpine-image"), resource(graph, "containers-web-alpine")
        image.inputs["imageName"] = f"{repo.outputs['repositoryUrl']}:{tag}"
        repo.inputs.update(repository)
    return edit


def test_value_an_immutable_tag_that_does_not_follow_the_build_context():
    """The containers repositories keep version tags immutable: a fixed tag pushes once, and the first `up`
    after a change to the page fails ("tag ... already exists"); the lab's tags carry the context's digest."""
    from cloudlabs.labs.containers import NGINX
    f = only_finding(mutated("containers", _pushed_as("1.0"), "images"))  # through the validator once
    assert (f.rule, f.resource, f.property) == ("CL-VALUE-ECR-IMMUTABLE-TAG", "containers-web-alpine-image", "imageName")
    assert f.value.endswith("/web-alpine:1.0") and "'labs/containers/lighttpd'" in f.message and "already exists" in f.message
    rule = next(r for r in deployrules.DEPLOY_RULES if r.id == "CL-VALUE-ECR-IMMUTABLE-TAG")
    refused = (
        (NGINX.tag(), {}),  # another context's digest
        ("latest", {"imageTagMutabilityExclusionFilters": []}),  # latest, not excluded
        ("v1", {"imageTagMutability": "MUTABLE_WITH_EXCLUSION",
                "imageTagMutabilityExclusionFilters": [{"filter": "v*", "filterType": "WILDCARD"}]}),
    )
    accepted = (
        ("latest", {}),  # the lab's exclusion
        ("1.0", {"imageTagMutability": "MUTABLE"}),
        ("1.0", {"imageTagMutabilityExclusionFilters": [{"filter": "1.*", "filterType": "WILDCARD"}]}),
    )
    for tag, repository in refused + accepted:
        found = rule.check(mutated("containers", _pushed_as(tag, **repository), "images"))
        assert [x.resource for x in found] == (["containers-web-alpine-image"] if (tag, repository) in refused else []), tag
    local = lab_graph("containers", "images", {"variant": "local"})  # built, not pushed: no repository
    assert rule.check(local) == [] and rule.check(lab_graph("containers", "images")) == []


def test_a_finding_on_a_folded_resource_names_that_resource():
    """S3 bucket parts are bucket properties in CloudFormation; a finding there names the Pulumi resource."""
    def bad_cors(graph: StackGraph) -> None:
        resource(graph, "object-storage-site2-cors").inputs["corsRules"][0]["allowedMethods"] = ["FETCH"]
    f = only_finding(mutated("object-storage", bad_cors))
    assert (f.resource, f.type) == ("object-storage-site2-cors", "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration")
    assert f.property.startswith("CorsConfiguration")


def test_suppressions_are_documented_and_narrow():
    assert all(s.reason and len(s.reason) > 40 for s in SUPPRESSIONS)
    major = next(s for s in SUPPRESSIONS if s.rule == "E3691")
    assert major.applies("8.4") and not major.applies("8.4.99") and not major.applies("9")
    graph = mutated("lamp", lambda g: resource(g, "lamp-db").inputs.update(engineVersion="8.4.99"))
    f = only_finding(graph)  # a full version AWS does not have is not suppressed
    assert (f.rule, f.value) == ("E3691", "8.4.99")


def test_stacks_of_one_shape_are_linted_once_and_findings_stay_per_student():
    validator = Validator(LintCache(None))
    from .conftest import render_config
    graphs = [render_config(config(student=f"s{seat:02d}", seat=seat, labs=[{"lab": "vpc-nat"}])) for seat in (1, 2, 30)]
    assert all(validator.validate(g).ready for g in graphs) and validator.lints == 1
    bad = StackGraph.from_json(copy.deepcopy(graphs[2].to_json()))
    resource(bad, "vpc-nat-vpc-a-sn-a-02").inputs["cidrBlock"] = "10.99.2.0/24"
    result = validator.validate(bad)  # a different shape: linted, and the finding names this student's stack
    assert validator.lints == 2 and result.findings[0].stack == bad.stack


# --- where it runs: validate, plan, up/preview ------------------------------------------------------


@pytest.fixture
def apostrophe(monkeypatch):
    """The program as it was: a security-group description with an apostrophe (what EC2 refuses).
    A change in memory, not in the files the graph cache fingerprints: the cache is off."""
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", "off")
    from components import security
    original = security.LabSecurityGroup.__init__

    def init(self, name, args, opts=None):
        if args.group_name == "bastion-SG":
            args = copy.copy(args)
            args.description = "the bastion's group"
        original(self, name, args, opts)
    monkeypatch.setattr(security.LabSecurityGroup, "__init__", init)


def test_plan_refuses_a_stack_aws_would_refuse_with_a_line_a_student_can_act_on(apostrophe, capsys):
    from labctl.cli.main import main
    assert main(["plan", "demo-s03", "--jobs", "1", "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "NO (1 finding)" in out
    assert ('ERROR demo-s03: vpc-nat-bastion-sg (aws:ec2/securityGroup:SecurityGroup): GroupDescription: '
            '"the bastion\'s group": [E3031]') in out


def test_validate_exit_codes_json_and_markdown(apostrophe, capsys, tmp_path):
    import json

    from labctl.cli.main import main
    assert main(["validate", "demo-s01", "--jobs", "1"]) == 0  # ec2-webserver has no bastion
    capsys.readouterr()
    report, md = tmp_path / "v.json", tmp_path / "v.md"
    assert main(["validate", "demo-s02", "demo-s03", "--jobs", "1", "--json", str(report), "--markdown", str(md)]) == 1
    data = json.loads(report.read_text())
    assert [d["deployReady"] for d in data] == [False, False]
    assert {f["rule"] for d in data for f in d["findings"]} == {"E3031"}
    assert "| demo-s03 | `vpc-nat-bastion-sg` | GroupDescription |" in md.read_text()
    assert "findings suppressed by the documented table" in md.read_text()


def test_up_and_preview_send_nothing_that_is_not_deploy_ready(apostrophe, capsys, monkeypatch, tmp_path):
    from labctl.cli import runners
    from labctl.cli.main import main

    from .fakerunner import FakeRunner, shared_account_environments
    runner = FakeRunner()
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: runner)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    shared_account_environments(monkeypatch, tmp_path)  # a class the instructor deploys
    assert main(["up", "demo"]) == 1
    err = capsys.readouterr().err
    assert "nothing sent: 2 of 3 stacks are not deploy-ready" in err and runner.calls == []
    assert main(["preview", "demo", "--skip-validation"]) == 0 and len(runner.calls) == 3


def test_the_docs_show_the_suppression_table_and_the_rules_as_the_code_has_them():
    from cloudlabs import REPO_ROOT
    from labctl.analysis.validation import suppression_table
    readme = (REPO_ROOT / "docs/explanation/layers-of-truth.md").read_text()
    for row in suppression_table():
        assert "| " + " | ".join(row) + " |" in readme
    for rule in deployrules.DEPLOY_RULES:
        assert f"| {rule.id} | {rule.kind} | {rule.summary} | {rule.source} |" in readme


def test_the_lint_cache_serves_a_deploy_ready_shape_across_runs_and_survives_damage(tmp_path):
    graph = lab_graph("vpc-nat")
    first = Validator(LintCache(tmp_path))
    assert first.validate(graph).ready and first.lints == 1
    (entry,) = tmp_path.iterdir()
    second = Validator(LintCache(tmp_path))  # a later run: nothing to lint
    result = second.validate(graph)
    assert result.ready and second.lints == 0 and len(result.suppressed) == len(first.validate(graph).suppressed)
    entry.write_text("{not json")
    third = Validator(LintCache(tmp_path))
    assert third.validate(graph).ready and third.lints == 1  # damaged: linted again
    bad = StackGraph.from_json(copy.deepcopy(graph.to_json()))
    resource(bad, "vpc-nat-bastion-sg").inputs["description"] = "the bastion's group"
    fourth = Validator(LintCache(tmp_path))
    assert not fourth.validate(bad).ready  # a new shape: never served from another shape's entry
