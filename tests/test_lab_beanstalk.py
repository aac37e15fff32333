"""beanstalk (chapter 11): the bundle, the application and version, the environment's settings per
option and profile, the roles, the network, outputs, paths and cost."""

from __future__ import annotations

import base64
import io
import json
import re
import shlex
import zipfile
from contextlib import contextmanager

import boto3
import pytest
from moto import mock_aws

from cloudlabs import content
from cloudlabs.labs import beanstalk
from cloudlabs.labs.beanstalk import BeanstalkOptions
from cloudlabs.settings import SettingsError, parse_settings
from labctl.analysis import cfn
from labctl.analysis.check import check_graph
from labctl.analysis.cost import estimate
from labctl.kinds.elasticbeanstalk import SOLUTION_STACKS
from labctl.ops import emulate

from .conftest import SOURCE, config, lab_graph
from .graphtools import ASSOCIATION, EGRESS, IGW, INGRESS, ROUTE, ROUTE_TABLE, SG, SUBNET, VPC, sg_rules, subnets

APP = "aws:elasticbeanstalk/application:Application"
VERSION = "aws:elasticbeanstalk/applicationVersion:ApplicationVersion"
ENV = "aws:elasticbeanstalk/environment:Environment"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
BUCKET = "aws:s3/bucket:Bucket"
ROLE, PROFILE = "aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile"
ATTACHMENT, INLINE = "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy"
HA = {"environment": "high-availability"}
NETWORK = {VPC: 1, IGW: 1, SUBNET: 2, ROUTE_TABLE: 1, ROUTE: 1, ASSOCIATION: 2}
STORAGE = {BUCKET: 1, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": 1,
           "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": 1, OBJECT: 1}
IAM = {ROLE: 2, ATTACHMENT: 3, INLINE: 1, PROFILE: 1}


def settings_of(graph) -> dict[tuple[str, str], str]:
    (env,) = graph.of_type(ENV)
    pairs = [(s["namespace"], s["name"]) for s in env.inputs["settings"]]
    assert len(pairs) == len(set(pairs)), "an option set twice"
    return {(s["namespace"], s["name"]): s["value"] for s in env.inputs["settings"]}


# --- kinds and counts ---------------------------------------------------------------------------

@pytest.mark.parametrize("stage,options,profile,expected", [
    ("starter", None, "learner-lab", {SG: 1, INGRESS: 1, EGRESS: 1}),
    ("solution", None, "learner-lab", {SG: 1, INGRESS: 1, EGRESS: 1, ENV: 1}),
    ("starter", HA, "learner-lab", {SG: 2, INGRESS: 2, EGRESS: 2}),
    ("solution", HA, "learner-lab", {SG: 2, INGRESS: 2, EGRESS: 2, ENV: 1}),
    ("solution", None, "sandbox", {SG: 1, INGRESS: 1, EGRESS: 1, ENV: 1, **IAM}),
    ("solution", HA, "sandbox", {SG: 2, INGRESS: 2, EGRESS: 2, ENV: 1, **IAM}),
])
def test_resource_kinds_and_counts(stage, options, profile, expected):
    graph = lab_graph("beanstalk", stage=stage, options=options, profile=profile)
    assert dict(graph.type_counts()) == {**NETWORK, **STORAGE, APP: 1, VERSION: 1, **expected}


# --- the bundle -----------------------------------------------------------------------------------

def test_the_bundle_has_the_files_at_its_root_and_is_the_same_bytes_every_time():
    data = beanstalk.bundle_bytes()
    assert data == beanstalk.bundle_bytes()
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert names == sorted(p.name for p in content.lab_path(beanstalk.APP_DIR).iterdir() if p.is_file()) == ["index.php", "picture.svg"]
    assert not any("/" in n for n in names)  # no top-level folder (the book's warning, book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Deployment of a single webserver application on Elastic Beanstalk”)
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        assert beanstalk.PAGE_TEXT in bundle.read("index.php").decode()
        assert {i.date_time for i in bundle.infolist()} == {beanstalk.ZIP_EPOCH}


def test_a_folder_is_bundled_by_its_contents_not_as_a_folder(lab_copy):
    app = lab_copy / "demo-project"
    (app / "img").mkdir(parents=True)
    (app / "index.php").write_text("<?php echo 'x';")
    (app / "img" / "a.png").write_bytes(b"\x89PNG")
    data = beanstalk.bundle_bytes(app)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["img/a.png", "index.php"]
    (app / "index.php").touch()  # a new modification time changes nothing
    assert beanstalk.bundle_bytes(app) == data
    (app / "index.php").write_text("<?php echo 'y';")
    assert beanstalk.bundle_label(beanstalk.bundle_bytes(app)) != beanstalk.bundle_label(data)  # a new version
    with pytest.raises(ValueError, match="no files to bundle"):
        (lab_copy / "empty").mkdir()
        beanstalk.bundle_bytes(lab_copy / "empty")


def test_the_version_is_the_bundle_uploaded_to_the_labs_private_bucket():
    graph = lab_graph("beanstalk")
    data = beanstalk.bundle_bytes()
    (obj,), (bucket,), (version,), (app,) = (graph.of_type(t) for t in (OBJECT, BUCKET, VERSION, APP))
    assert base64.b64decode(obj.inputs["contentBase64"]) == data and obj.inputs["contentType"] == "application/zip"
    label = beanstalk.bundle_label(data)
    assert version.inputs["name"] == label and re.fullmatch(r"v-[0-9a-f]{12}", label)
    assert version.inputs["bucket"] == bucket.inputs["bucket"] == "test-s01-bundles-123456789012"
    assert version.inputs["key"] == obj.inputs["key"] == f"Example/{label}.zip"
    assert version.inputs["application"] == app.inputs["name"] == "Example"
    block = next(r for r in graph.custom_resources if r.type.endswith("bucketPublicAccessBlock:BucketPublicAccessBlock"))
    assert all(block.inputs[k] is True for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"))
    assert bucket.inputs["forceDestroy"] is True


def test_plans_are_stable_across_renders():
    from .conftest import render_config
    cfg = config(labs=[{"lab": "beanstalk", "stage": "solution"}])
    first, second = render_config(cfg, cache=False), render_config(cfg, cache=False)
    assert [(r.urn, r.inputs) for r in first.resources] == [(r.urn, r.inputs) for r in second.resources]


# --- the environment: platform, network, settings -------------------------------------------------

def test_the_php_platform_is_looked_up_at_deploy_time():
    graph = lab_graph("beanstalk")
    (env,) = graph.of_type(ENV)
    expected = next(s for s in SOLUTION_STACKS if re.search(beanstalk.PHP_PLATFORM, s))
    assert env.inputs["solutionStackName"] == expected == graph.outputs["beanstalk"]["platform"]
    assert re.fullmatch(beanstalk.PHP_PLATFORM, "64bit Amazon Linux 2023 v4.7.2 running PHP 8.4")
    assert not re.search(beanstalk.PHP_PLATFORM, "64bit Amazon Linux 2 v3.9.2 running PHP 8.1")  # AL2023 only
    assert not re.search(beanstalk.PHP_PLATFORM, "64bit Amazon Linux 2023 v6.6.2 running Node.js 22")


def test_the_environment_lives_in_the_students_vpc_over_two_zones():
    graph = lab_graph("beanstalk", options=HA)
    nets = subnets(graph)
    assert {n: s.inputs["cidrBlock"] for n, s in nets.items()} == {"SN-0": "10.1.0.0/20", "SN-16": "10.1.16.0/20"}
    assert nets["SN-0"].inputs["availabilityZone"] != nets["SN-16"].inputs["availabilityZone"]
    assert all(s.inputs["mapPublicIpOnLaunch"] is True for s in nets.values())
    (vpc,) = graph.of_type(VPC)
    assert vpc.inputs["cidrBlock"] == "10.1.0.0/16"
    settings = settings_of(graph)
    both = f"{nets['SN-0'].id},{nets['SN-16'].id}"
    assert settings[("aws:ec2:vpc", "VPCId")] == vpc.id
    assert settings[("aws:ec2:vpc", "Subnets")] == settings[("aws:ec2:vpc", "ELBSubnets")] == both
    assert settings[("aws:ec2:vpc", "AssociatePublicIpAddress")] == "true"


COMMON = {
    ("aws:autoscaling:launchconfiguration", "InstanceType"): "t3.micro",
    ("aws:autoscaling:launchconfiguration", "DisableDefaultEC2SecurityGroup"): "true",
    ("aws:autoscaling:launchconfiguration", "DisableIMDSv1"): "true",  # IMDSv2 only
    ("aws:autoscaling:launchconfiguration", "RootVolumeType"): "gp3",
    ("aws:autoscaling:launchconfiguration", "RootVolumeSize"): "10",
    ("aws:elasticbeanstalk:healthreporting:system", "SystemType"): "enhanced",
    ("aws:elasticbeanstalk:application", "Application Healthcheck URL"): "/index.php",
}


def _group_id(graph, name: str) -> str:
    return next(g.id for g in graph.of_type(SG) if g.inputs["tags"]["Name"] == name)


@pytest.mark.parametrize("options", [None, HA, {"coursework": True}])
@pytest.mark.parametrize("profile", ["learner-lab", "sandbox"])
def test_the_environment_waits_for_what_beanstalk_needs_but_no_input_names(options, profile):
    """The public subnets' default route to the internet gateway and their associations (the
    instances reach Beanstalk's endpoints through them while it launches), every rule of the
    environment's groups (the load balancer's way in and out, HTTP to the instances) and the roles'
    policies and attachments (the instances read the bundle and the password at boot)."""
    graph = lab_graph("beanstalk", options=options, profile=profile)
    (env,) = graph.of_type(ENV)
    names = {graph[u].name for u in env.dependencies if graph[u].custom}
    assert {"beanstalk-vpc-public-default", "beanstalk-vpc-public-rt-sn-0", "beanstalk-vpc-public-rt-sn-16"} <= names
    groups = {r.id for r in graph.of_type(SG) if r.name != "beanstalk-db-sg"}
    rules = {r.name for r in graph.of_type(INGRESS) + graph.of_type(EGRESS) if r.inputs["securityGroupId"] in groups}
    assert len(rules) == (2 if options is None else 4) and rules <= names
    iam = {r.name for r in graph.of_type(ATTACHMENT) + graph.of_type(INLINE)}
    assert len(iam) == (0 if profile == "learner-lab" else 4) and iam <= names


def test_single_instance_settings():
    graph = lab_graph("beanstalk")
    settings = settings_of(graph)
    assert {k: settings[k] for k in COMMON} == COMMON
    assert settings[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "SingleInstance"
    assert (settings[("aws:autoscaling:asg", "MinSize")], settings[("aws:autoscaling:asg", "MaxSize")]) == ("1", "1")
    assert settings[("aws:autoscaling:launchconfiguration", "SecurityGroups")] == _group_id(graph, "Example-env-SG")
    assert not any(ns.startswith("aws:elbv2") or name.startswith("ELB") or name == "LoadBalancerType" for ns, name in settings)
    (env,) = graph.of_type(ENV)
    assert (env.inputs["name"], env.inputs["tier"], env.inputs["version"]) == ("Example-env", "WebServer", graph.of_type(VERSION)[0].id)


def test_high_availability_settings_are_the_books_min_2_max_4_behind_an_alb():
    graph = lab_graph("beanstalk", options=HA)
    settings = settings_of(graph)
    assert {k: settings[k] for k in COMMON} == COMMON
    alb_sg = _group_id(graph, "Asgdemo-env-ALB-SG")
    assert {k: v for k, v in settings.items() if k[0] in ("aws:elasticbeanstalk:environment", "aws:autoscaling:asg", "aws:elbv2:loadbalancer",
                                                            "aws:elasticbeanstalk:environment:process:default")} == {
        ("aws:elasticbeanstalk:environment", "EnvironmentType"): "LoadBalanced",
        ("aws:elasticbeanstalk:environment", "LoadBalancerType"): "application",
        ("aws:elasticbeanstalk:environment", "ServiceRole"): "LabRole",
        ("aws:autoscaling:asg", "MinSize"): "2", ("aws:autoscaling:asg", "MaxSize"): "4",
        ("aws:elbv2:loadbalancer", "SecurityGroups"): alb_sg, ("aws:elbv2:loadbalancer", "ManagedSecurityGroup"): alb_sg,
        ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"): "/index.php",
    }
    assert settings[("aws:ec2:vpc", "ELBScheme")] == "public"
    assert settings[("aws:autoscaling:launchconfiguration", "SecurityGroups")] == _group_id(graph, "Asgdemo-env-SG")
    (app,), (env,) = graph.of_type(APP), graph.of_type(ENV)
    assert (app.inputs["name"], env.inputs["name"]) == ("asg-demo", "Asgdemo-env")  # the book's names (book ch. 11, “Platform” › “Deployment of a single webserver application on Elastic Beanstalk”)


@pytest.mark.parametrize("options,rules", [
    (None, {("Example-env-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("Example-env-SG", "out", "-1", None, None, "0.0.0.0/0")}),
    (HA, {("Asgdemo-env-ALB-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("Asgdemo-env-ALB-SG", "out", "tcp", 80, 80, "10.1.0.0/16"),
          ("Asgdemo-env-SG", "in", "tcp", 80, 80, "sg:Asgdemo-env-ALB-SG"), ("Asgdemo-env-SG", "out", "-1", None, None, "0.0.0.0/0")}),
])
def test_security_groups_open_http_only_and_no_ssh(options, rules):
    assert sg_rules(lab_graph("beanstalk", options=options)) == rules


# --- roles per profile ----------------------------------------------------------------------------

@pytest.mark.parametrize("stage,options", [("starter", None), ("solution", None), ("solution", HA)])
def test_learner_lab_uses_labrole_and_labinstanceprofile_and_creates_no_iam(stage, options):
    graph = lab_graph("beanstalk", stage=stage, options=options)
    assert not [r for r in graph.custom_resources if r.type.startswith("aws:iam/")]
    out = graph.outputs["beanstalk"]
    assert (out["serviceRole"], out["instanceProfile"]) == ("LabRole", "LabInstanceProfile")
    if stage == "solution":
        settings = settings_of(graph)
        assert settings[("aws:elasticbeanstalk:environment", "ServiceRole")] == "LabRole"
        assert settings[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")] == "LabInstanceProfile"


def test_other_profiles_get_minimal_roles_of_their_own():
    graph = lab_graph("beanstalk", profile="sandbox")
    roles = {r.inputs["namePrefix"]: r for r in graph.of_type(ROLE)}
    assert set(roles) == {"s01-eb-ec2-", "s01-eb-service-"}
    ec2, service = roles["s01-eb-ec2-"], roles["s01-eb-service-"]
    assert json.loads(ec2.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert json.loads(service.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "elasticbeanstalk.amazonaws.com"}, "Action": "sts:AssumeRole",
         "Condition": {"StringEquals": {"sts:ExternalId": "elasticbeanstalk"}}}]
    attached = {(a.inputs["role"], a.inputs["policyArn"]) for a in graph.of_type(ATTACHMENT)}
    assert attached == {(ec2.outputs["name"], "arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier"),
                        (service.outputs["name"], "arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth"),
                        (service.outputs["name"], "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy")}
    (inline,), (bucket,), (profile,) = graph.of_type(INLINE), graph.of_type(BUCKET), graph.of_type(PROFILE)
    assert inline.inputs["role"] == ec2.outputs["name"]
    assert json.loads(inline.inputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{bucket.outputs['arn']}/*"}]  # the bundle only
    assert profile.inputs["role"] == ec2.outputs["name"]
    settings = settings_of(graph)
    assert settings[("aws:elasticbeanstalk:environment", "ServiceRole")] == service.outputs["name"]
    assert settings[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")] == profile.outputs["name"]
    # a shared account: the student's id in front of the application and environment names
    (app,), (env,) = graph.of_type(APP), graph.of_type(ENV)
    assert (app.inputs["name"], env.inputs["name"]) == ("s01-Example", "s01-Example-env")


def test_the_environment_carries_the_cloudlabs_tags_but_leaves_name_to_beanstalk():
    (env,) = lab_graph("beanstalk").of_type(ENV)
    assert "Name" not in env.inputs["tags"] and env.inputs["tags"]["cloudlabs:lab"] == "beanstalk"


# --- outputs, paths, probes, cost -----------------------------------------------------------------

def test_solution_outputs_point_at_the_environment():
    graph = lab_graph("beanstalk")
    (env,) = graph.of_type(ENV)
    out = graph.outputs["beanstalk"]
    assert out["url"] == f"http://{env.outputs['cname']}/"
    assert re.fullmatch(r"http://example-env\.eba-[0-9a-f]{8}\.us-east-1\.elasticbeanstalk\.com/", out["url"])
    assert out["endpoint"] == env.outputs["endpointUrl"] and re.fullmatch(r"192\.0\.2\.\d+", out["endpoint"])  # the Elastic IP
    assert out["environmentType"] == "SingleInstance" and out["environment"] == "Example-env"
    assert out["bundle"]["files"] == ["index.php", "picture.svg"]
    assert "--environment-name Example-env" in out["describeHealth"]
    assert "Name=tag:elasticbeanstalk:environment-name,Values=Example-env" in out["findInstances"]
    assert "createEnvironment" not in out
    ha = lab_graph("beanstalk", options=HA).outputs["beanstalk"]
    assert ha["endpoint"].endswith(".us-east-1.elb.amazonaws.com") and ha["environmentType"] == "LoadBalanced"


@pytest.mark.parametrize("options", [None, HA])
def test_starter_gives_the_create_environment_command_with_the_solutions_settings(options):
    starter = lab_graph("beanstalk", stage="starter", options=options)
    assert not starter.of_type(ENV)
    out = starter.outputs["beanstalk"]
    assert not {"url", "endpoint"} & set(out) and out["environment"] == ("Example-env" if options is None else "Asgdemo-env")
    argv = shlex.split(out["createEnvironment"])
    assert argv[:3] == ["aws", "elasticbeanstalk", "create-environment"]
    arg = dict(zip(argv[3::2], argv[4::2]))
    solution = lab_graph("beanstalk", options=options)
    (env,) = solution.of_type(ENV)
    assert arg["--application-name"] == env.inputs["application"] and arg["--environment-name"] == env.inputs["name"]
    assert arg["--solution-stack-name"] == env.inputs["solutionStackName"] and arg["--version-label"] == env.inputs["version"]
    given = {(o["Namespace"], o["OptionName"]): o["Value"] for o in json.loads(arg["--option-settings"])}
    assert given == settings_of(solution)  # the same ids: both renders are of the same stack


def test_expected_paths_hold_and_the_starter_has_nothing_to_browse():
    for stage in ("starter", "solution"):
        for options in (None, HA):
            results = check_graph(lab_graph("beanstalk", stage=stage, options=options))
            assert results and all(r.passed for r in results), [r.expect.label for r in results if not r.passed]
    labels = {r.expect.label: r.verdict.allowed for r in check_graph(lab_graph("beanstalk", options=HA))}
    assert labels == {"internet -> Asgdemo-env-ALB:80": True, "Asgdemo-env-ALB -> Asgdemo-env:80": True,
                      "internet -> Asgdemo-env:80": False, "Asgdemo-env -> internet:443": True}


def test_probes_read_the_books_page_through_the_environments_url():
    out = lab_graph("beanstalk", options=HA).outputs["beanstalk"]
    page, alternates = beanstalk.LAB.probes(out)
    assert page.url == out["url"] and page.texts == (beanstalk.PAGE_TEXT,)
    assert alternates.url == out["url"]
    assert beanstalk.LAB.probes(lab_graph("beanstalk", stage="starter").outputs["beanstalk"]) == []


def test_cost_is_the_instances_and_for_high_availability_the_load_balancer():
    single = estimate(lab_graph("beanstalk"))
    assert [(i.item, i.quantity) for i in single.items] == [
        ("t3.micro instance", 1), ("gp3 volume", 10.0), ("public IPv4 address (Elastic IP)", 1)]
    assert single.unpriced == [] and single.hourly == pytest.approx(0.0104 + 10 * 0.08 / 730 + 0.005)
    ha = estimate(lab_graph("beanstalk", options=HA))
    assert [(i.item, i.quantity) for i in ha.items] == [
        ("t3.micro instance", 2), ("gp3 volume", 20.0), ("public IPv4 address", 2), ("application load balancer", 1),
        ("public IPv4 address (load balancer)", 2)]
    assert ha.hourly == pytest.approx(2 * 0.0104 + 20 * 0.08 / 730 + 2 * 0.005 + 0.0225 + 2 * 0.005)
    assert estimate(lab_graph("beanstalk", stage="starter")).hourly == 0


def test_cloudformation_sees_the_application_version_environment_and_roles():
    graph = lab_graph("beanstalk", options=HA, profile="sandbox")
    template = cfn.translate(graph).template["Resources"]
    by_type: dict[str, list] = {}
    for lid, resource in template.items():
        by_type.setdefault(resource["Type"], []).append(resource["Properties"])
    (env,) = by_type["AWS::ElasticBeanstalk::Environment"]
    (version,) = by_type["AWS::ElasticBeanstalk::ApplicationVersion"]
    assert env["ApplicationName"] == version["ApplicationName"] == {"Ref": "BeanstalkApp"}
    assert env["VersionLabel"] == {"Ref": "BeanstalkVersion"} and version["SourceBundle"]["S3Bucket"] == {"Ref": "BeanstalkBundles"}
    values = {(o["Namespace"], o["OptionName"]): o["Value"] for o in env["OptionSettings"]}
    assert values[("aws:ec2:vpc", "VPCId")] == {"Ref": "BeanstalkVpc"}
    assert values[("aws:autoscaling:launchconfiguration", "IamInstanceProfile")] == {"Ref": "BeanstalkEc2Profile"}
    assert sorted(len(r.get("ManagedPolicyArns", [])) for r in by_type["AWS::IAM::Role"]) == [1, 2]
    (profile,) = by_type["AWS::IAM::InstanceProfile"]
    assert profile["Roles"] == [{"Ref": "BeanstalkEc2Role"}]


# --- bad options ----------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"environment": "multi"}, r"options.environment: \"multi\" is not allowed; allowed: single .* or high-availability"),
    ({"environment": True}, r"options.environment: true is not allowed"),
    ({"instances": 3}, r"options.instances: 3 is not allowed \(unknown option\)"),
])
def test_bad_options_are_refused_with_what_is_allowed(options, message):
    with pytest.raises(SettingsError, match=message):
        parse_settings(config(labs=[{"lab": "beanstalk", "options": options}]), SOURCE)


def test_a_profile_without_roles_to_use_or_create_is_refused(monkeypatch):
    from components.labs.beanstalk import BeanstalkLab
    from cloudlabs.profiles import IamRules
    from components.context import LabContext
    from ipaddress import ip_network
    ctx = LabContext("c", "s01", 1, "beanstalk", "solution", "2026-12-19", ip_network("203.0.113.0/24"), False, "t3.micro",
                     None, "us-east-1", iam=IamRules(create_roles=False))
    with pytest.raises(ValueError, match="names no iam.serviceRole and iam.instanceProfile"):
        BeanstalkLab._roles(object.__new__(BeanstalkLab), "beanstalk", ctx, None)  # type: ignore[arg-type]


# --- the emulator ---------------------------------------------------------------------------------

def test_the_emulator_refuses_what_moto_lacks_and_names_the_calls(tmp_path):
    graph = lab_graph("beanstalk", stage="starter")
    with mock_aws():
        with pytest.raises(emulate.UnsupportedType, match=r"ApplicationVersion \(moto 5\.2\.5 has no CreateApplicationVersion"):
            emulate.up(graph, boto3.Session(region_name="us-east-1"), tmp_path)
    assert not list(tmp_path.iterdir())  # refused before anything was made


def test_what_moto_can_do_goes_up_and_down_roles_policies_profile_application(tmp_path):
    from labctl.analysis.reach import without
    graph = lab_graph("beanstalk", profile="sandbox")
    graph = without(graph, [r.urn for r in graph.custom_resources if r.type in emulate.UNSUPPORTED])
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        iam, eb, s3 = (session.client(s) for s in ("iam", "elasticbeanstalk", "s3"))
        state = emulate.up(graph, session, tmp_path)
        assert len(state.resources) == len(graph.custom_resources)
        roles = {r["RoleName"]: r for r in iam.list_roles()["Roles"]}
        service = next(n for n in roles if n.startswith("s01-eb-service-"))
        ec2 = next(n for n in roles if n.startswith("s01-eb-ec2-"))
        assert {p["PolicyName"] for p in iam.list_attached_role_policies(RoleName=service)["AttachedPolicies"]} == {
            "AWSElasticBeanstalkEnhancedHealth", "AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy"}
        assert iam.list_role_policies(RoleName=ec2)["PolicyNames"] == ["bundles-read"]
        (profile,) = iam.list_instance_profiles()["InstanceProfiles"]
        assert [r["RoleName"] for r in profile["Roles"]] == [ec2]
        assert [a["ApplicationName"] for a in eb.describe_applications()["Applications"]] == ["s01-Example"]
        (bucket,) = s3.list_buckets()["Buckets"]
        (obj,) = s3.list_objects_v2(Bucket=bucket["Name"])["Contents"]
        assert s3.get_object(Bucket=bucket["Name"], Key=obj["Key"])["Body"].read() == beanstalk.bundle_bytes()
        assert emulate.destroy(graph.stack, session, tmp_path) == len(state.resources)
        assert iam.list_roles()["Roles"] == [] and iam.list_instance_profiles()["InstanceProfiles"] == []
        assert eb.describe_applications()["Applications"] == [] and s3.list_buckets()["Buckets"] == []


@pytest.mark.parametrize("options", [None, HA])
def test_own_roles_are_deploy_ready_against_aws_schemas(options):
    from labctl.analysis.validation import Validator
    result = Validator().validate(lab_graph("beanstalk", options=options, profile="sandbox"))
    assert result.findings == [], "\n".join(f.line() for f in result.findings)


def test_a_classic_load_balancer_is_reported_unpriced_not_guessed():
    import copy
    graph = copy.deepcopy(lab_graph("beanstalk", options=HA))  # the cached graph stays as rendered
    (env,) = graph.of_type(ENV)
    env.inputs["settings"] = [s for s in env.inputs["settings"] if s["name"] != "LoadBalancerType"]  # the API's default: classic
    cost = estimate(graph)
    assert cost.unpriced == [f"{ENV} beanstalk-env (classic load balancer)"]
    assert [i.item for i in cost.items] == ["t3.micro instance", "gp3 volume", "public IPv4 address"]


# --- the coursework: a high-availability LAMP stack -------------------------------------------------

COURSEWORK = {"coursework": True}
DB, DB_SUBNETS = "aws:rds/instance:Instance", "aws:rds/subnetGroup:SubnetGroup"
PASSWORD, PARAMETER = "random:index/randomPassword:RandomPassword", "aws:ssm/parameter:Parameter"


def test_coursework_adds_the_database_to_the_high_availability_environment():
    graph = lab_graph("beanstalk", options=COURSEWORK)
    assert dict(graph.type_counts()) == {**NETWORK, **STORAGE, APP: 1, VERSION: 1, ENV: 1, SG: 3, INGRESS: 3, EGRESS: 2,
                                         DB: 1, DB_SUBNETS: 1, PASSWORD: 1, PARAMETER: 1}
    settings = settings_of(graph)
    assert settings[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced"
    assert (settings[("aws:autoscaling:asg", "MinSize")], settings[("aws:autoscaling:asg", "MaxSize")]) == ("2", "4")
    (app,), (env,) = graph.of_type(APP), graph.of_type(ENV)
    assert (app.inputs["name"], env.inputs["name"]) == ("lamp-demo", "Lampdemo-env")
    assert lab_graph("beanstalk", options={"coursework": True, "environment": "high-availability"}).of_type(ENV)


def test_the_page_gets_the_database_from_environment_properties_and_the_password_from_a_parameter_nothing_rotates():
    """The password is generated, a Pulumi secret wherever it goes (the database, the parameter), and
    never an output; not RDS's managed secret, which RDS rotates every 7 days while Beanstalk reads
    environment secrets only at an instance's boot (CL-LIFECYCLE-ROTATING-SECRET)."""
    graph = lab_graph("beanstalk", options=COURSEWORK)
    (db,), (subnet_group,) = graph.of_type(DB), graph.of_type(DB_SUBNETS)
    (password,), (parameter,) = graph.of_type(PASSWORD), graph.of_type(PARAMETER)
    assert not db.inputs.get("manageMasterUserPassword") and db.inputs["password"] == "[secret]"
    assert (password.inputs["length"], password.inputs["special"]) == (32, False)  # MySQL refuses / @ " and spaces
    assert {k: parameter.inputs[k] for k in ("name", "type", "tier", "value")} == {
        "name": "/cloudlabs/lamp-demo/RDS_PASSWORD", "type": "SecureString", "tier": "Standard", "value": "[secret]"}
    assert password.urn in db.property_dependencies["password"] and password.urn in parameter.property_dependencies["value"]
    assert "[secret]" not in json.dumps(graph.outputs) and password.outputs["result"] not in json.dumps(graph.outputs)
    assert (db.inputs["publiclyAccessible"], db.inputs["storageEncrypted"], db.inputs["engine"]) == (False, True, "mysql")
    assert (db.inputs["instanceClass"], db.inputs["dbName"], db.inputs["username"]) == ("db.t3.micro", "ebdb", "admin")
    nets = subnets(graph)
    assert subnet_group.inputs["subnetIds"] == [nets["SN-0"].id, nets["SN-16"].id]
    settings = settings_of(graph)
    secret = parameter.outputs["arn"]
    assert {k[1]: v for k, v in settings.items() if k[0] == "aws:elasticbeanstalk:application:environment"} == {
        "RDS_HOSTNAME": db.outputs["address"], "RDS_PORT": "3306", "RDS_DB_NAME": "ebdb", "RDS_USERNAME": "admin"}
    assert {k[1]: v for k, v in settings.items() if k[0] == "aws:elasticbeanstalk:application:environmentsecrets"} == {
        "RDS_PASSWORD": secret}
    assert secret == "arn:aws:ssm:us-east-1:123456789012:parameter/cloudlabs/lamp-demo/RDS_PASSWORD"
    out = graph.outputs["beanstalk"]["database"]
    assert out["endpoint"] == f"{db.outputs['address']}:3306" and out["passwordParameter"] == parameter.inputs["name"]
    assert "aws ssm get-parameter" in out["readPassword"] and "--name '/cloudlabs/lamp-demo/RDS_PASSWORD' --with-decryption" in out["readPassword"]
    shared = lab_graph("beanstalk", options=COURSEWORK, nameTagPrefix=True)  # students sharing an account: one each
    assert shared.of_type(PARAMETER)[0].inputs["name"] == "/cloudlabs/s01-lamp-demo/RDS_PASSWORD"


def test_the_coursework_bundle_is_the_page_that_reads_the_database():
    graph = lab_graph("beanstalk", options=COURSEWORK)
    (obj,) = graph.of_type(OBJECT)
    data = base64.b64decode(obj.inputs["contentBase64"])
    assert data == beanstalk.bundle_bytes(content.lab_path(beanstalk.COURSEWORK_DIR)) != beanstalk.bundle_bytes()
    page = zipfile.ZipFile(io.BytesIO(data)).read("index.php").decode()
    for name in (*beanstalk.DB_PROPERTIES, beanstalk.DB_SECRET_PROPERTY):
        assert f"getenv('{name}')" in page
    assert beanstalk.COURSEWORK_TEXT in page and all(row in page for row in beanstalk.COURSEWORK_ROWS)
    (version,) = graph.of_type(VERSION)
    assert version.inputs["name"] == beanstalk.bundle_label(data)


def test_the_coursework_starter_leaves_the_page_and_the_database_properties_to_the_student():
    """The book creates the database first (book ch. 11, “Platform” › “Conclusion”) and calls the page that calls the database's endpoint,
    with the environment's properties for it, "the challenging part" (book ch. 11, “Platform” › “Conclusion”): the starter has the
    database, ships the demo-project (not the finished page) and says what to set; the solution does it."""
    starter = lab_graph("beanstalk", stage="starter", options=COURSEWORK)
    assert starter.of_type(DB) and starter.of_type(PARAMETER) and not starter.of_type(ENV)
    (obj,) = starter.of_type(OBJECT)
    assert base64.b64decode(obj.inputs["contentBase64"]) == beanstalk.bundle_bytes()  # the demo-project
    out = starter.outputs["beanstalk"]
    assert out["bundle"]["files"] == ["index.php", "picture.svg"] and "RDS_" not in out["createEnvironment"]
    (db,), (parameter,) = starter.of_type(DB), starter.of_type(PARAMETER)
    assert out["environmentProperties"] == {
        "RDS_HOSTNAME": db.outputs["address"], "RDS_PORT": "3306", "RDS_DB_NAME": "ebdb", "RDS_USERNAME": "admin",
        "RDS_PASSWORD": f"an environment secret: {parameter.outputs['arn']} (or the value readPassword prints)"}
    assert "the challenging part is yours (book ch. 11, Conclusion)" in out["nextStep"] and "environmentProperties" in out["nextStep"]
    assert "readPassword" in out["database"]
    solution = lab_graph("beanstalk", options=COURSEWORK).outputs["beanstalk"]
    assert "environmentProperties" not in solution and solution["nextStep"].startswith("done: Lampdemo-env runs")


@pytest.mark.parametrize("options, step", [(None, "create the environment Example-env on the PHP platform"),
                                           (HA, "create the environment Asgdemo-env with an application load balancer")])
def test_the_starter_says_where_the_student_is_and_what_the_book_does_next(options, step):
    out = lab_graph("beanstalk", stage="starter", options=options).outputs["beanstalk"]
    assert step in out["nextStep"] and "run createEnvironment" in out["nextStep"] and "default VPC" in out["nextStep"]


def test_the_database_takes_mysql_only_from_the_instances():
    assert {r for r in sg_rules(lab_graph("beanstalk", options=COURSEWORK)) if r[0] == "MySQL-RDS-SG"} == {
        ("MySQL-RDS-SG", "in", "tcp", 3306, 3306, "sg:Lampdemo-env-SG")}
    labels = {r.expect.label: r.verdict.allowed for r in check_graph(lab_graph("beanstalk", options=COURSEWORK))}
    assert labels["Lampdemo-env -> MySQL-RDS:3306"] is True
    assert labels["internet -> MySQL-RDS:3306"] is False and labels["admin -> MySQL-RDS:3306"] is False


def test_own_instance_role_may_read_the_database_password_and_nothing_else():
    graph = lab_graph("beanstalk", options=COURSEWORK, profile="sandbox")
    (inline,), (parameter,), (bucket,) = graph.of_type(INLINE), graph.of_type(PARAMETER), graph.of_type(BUCKET)
    assert json.loads(inline.inputs["policy"])["Statement"] == [
        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{bucket.outputs['arn']}/*"},
        {"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": parameter.outputs["arn"]}]


def test_the_coursework_probe_looks_for_the_rows_and_the_cost_adds_the_database():
    graph = lab_graph("beanstalk", options=COURSEWORK)
    (page, alternates) = beanstalk.LAB.probes(graph.outputs["beanstalk"])
    assert page.texts == (beanstalk.COURSEWORK_TEXT, *beanstalk.COURSEWORK_ROWS)
    items = [(i.item, i.quantity) for i in estimate(graph).items]
    assert ("db.t3.micro database", 1) in items and ("application load balancer", 1) in items
    starter = lab_graph("beanstalk", stage="starter", options=COURSEWORK)  # the book creates the database first
    assert [i.item for i in estimate(starter).items] == ["db.t3.micro database", "gp2 database storage"]


def test_coursework_on_a_single_instance_is_refused():
    with pytest.raises(SettingsError, match=r"coursework: true is the book's high-availability LAMP stack \(book ch. 11, Conclusion\)"):
        parse_settings(config(labs=[{"lab": "beanstalk", "options": {"coursework": True, "environment": "single"}}]), SOURCE)


# --- live grading: what Beanstalk launches, read back from AWS --------------------------------------

def _beanstalks_default_groups(ec2, vpc: str, balanced: bool) -> tuple[str, str | None]:
    """The groups Beanstalk makes when the console leaves them to it (the book's route): the instances'
    with HTTP and SSH from anywhere (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”; HTTP only from the load balancer's group when load
    balanced), the load balancer's with HTTP from anywhere."""
    def group(name: str) -> str:
        return ec2.create_security_group(GroupName=name, Description="Beanstalk's default", VpcId=vpc)["GroupId"]

    def allow(group_id: str, port: int, source: dict) -> None:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}])

    instances = group("awseb-e-abc123-stack-AWSEBSecurityGroup-X1")
    alb = group("awseb-e-abc123-stack-AWSEBLoadBalancerSecurityGroup-X2") if balanced else None
    anywhere = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    allow(instances, 22, anywhere)
    allow(instances, 80, {"UserIdGroupPairs": [{"GroupId": alb}]} if alb else anywhere)
    if alb:
        allow(alb, 80, anywhere)
    return instances, alb


@contextmanager
def _starter_on_moto(tmp_path, options=None):
    """The starter up on in-process moto (without what moto cannot emulate), as a student finds it:
    yields the starter's graph, the session, the student's scope and the settings grading uses."""
    from labctl.analysis.grading import settings_for_stage
    from labctl.analysis.reach import without
    from labctl.ops.live import StudentScope
    starter = lab_graph("beanstalk", stage="starter", options=options)
    deployable = without(starter, [r.urn for r in starter.custom_resources if r.type in emulate.UNSUPPORTED])
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        emulate.up(deployable, session, tmp_path)
        yield starter, session, StudentScope("test", "s01", starter.stack), settings_for_stage(starter.settings, "solution")


def _launch_as_beanstalk_does(session, options: BeanstalkOptions, default_groups: bool = False) -> None:
    """What Beanstalk's CloudFormation stack makes in the student's VPC, by boto3: instances named after
    the environment (its tags propagated, the lab's group, the first subnets) and, load balanced, an
    ALB tagged with the environment's name over both subnets with the lab's ALB group; with
    ``default_groups``, Beanstalk's own groups instead (the book's console route)."""
    ec2, elb = session.client("ec2"), session.client("elbv2")

    def named(kind: str, key: str, name: str) -> str:
        found = getattr(ec2, f"describe_{kind}")(Filters=[{"Name": "tag:Name", "Values": [name]}])
        (item,) = next(v for k, v in found.items() if k != "ResponseMetadata")
        return item[key]

    env = beanstalk.names(options)["environment"]
    tags = [{"Key": "Name", "Value": env}, {"Key": "elasticbeanstalk:environment-name", "Value": env},
            {"Key": "cloudlabs:cohort", "Value": "test"}, {"Key": "cloudlabs:student", "Value": "s01"}]
    low, _ = beanstalk.CAPACITY[options.kind]
    sn0, sn16 = named("subnets", "SubnetId", "SN-0"), named("subnets", "SubnetId", "SN-16")
    balanced = options.kind == "high-availability"
    if default_groups:
        vpc = ec2.describe_subnets(SubnetIds=[sn0])["Subnets"][0]["VpcId"]
        instance_group, alb_group = _beanstalks_default_groups(ec2, vpc, balanced)
    else:
        instance_group = named("security_groups", "GroupId", f"{env}-SG")
        alb_group = named("security_groups", "GroupId", f"{env}-ALB-SG") if balanced else None
    ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=low, MaxCount=low, SubnetId=sn0,
                      SecurityGroupIds=[instance_group], TagSpecifications=[{"ResourceType": "instance", "Tags": tags}])
    if balanced:
        elb.create_load_balancer(Name="awseb-AWSEB-1A2B3C4D", Subnets=[sn0, sn16], Scheme="internet-facing", Type="application",
                                 SecurityGroups=[alb_group], Tags=tags)


@pytest.mark.parametrize("options", [None, HA])
def test_live_grading_finds_the_environment_once_beanstalk_has_launched_it(options, tmp_path):
    from labctl.analysis.grading import grade
    from labctl.ops.live import LiveReader
    with _starter_on_moto(tmp_path, options) as (starter, session, scope, settings):
        before = grade(LiveReader(session.client).read(scope, settings), "s01")
        assert not before.complete and any("no host named" in line for line in before.blockers())
        _launch_as_beanstalk_does(session, BeanstalkOptions.model_validate(options or {}))
        live = LiveReader(session.client).read(scope, settings)
        after = grade(live, "s01")
    assert after.complete, after.blockers()
    from labctl.analysis.drift import drift
    planned = lab_graph("beanstalk", stage="solution", options=options)
    # what Beanstalk launched is what the plan's environment stands for: no drift (the plan's own
    # bucket, bundle and non-network resources are outside drift's view)
    assert drift(planned, live).clean, drift(planned, live).to_json()
    assert after.total == len(beanstalk.expected_paths("solution", BeanstalkOptions.model_validate(options or {})))


def test_the_coursework_password_parameter_goes_up_and_down_in_the_emulator(tmp_path):
    """The SecureString parameter is made with the stack's tags and the generated password, named as
    the environment secret's ARN ends, and deleted with the stack."""
    from labctl.analysis.reach import without
    graph = lab_graph("beanstalk", options=COURSEWORK, profile="sandbox")
    graph = without(graph, [r.urn for r in graph.custom_resources if r.type not in (PASSWORD, PARAMETER)])  # only those two
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
        ssm = session.client("ssm")
        state = emulate.up(graph, session, tmp_path)
        (listed,) = ssm.describe_parameters()["Parameters"]
        made = ssm.get_parameter(Name=listed["Name"], WithDecryption=True)["Parameter"]
        assert made["Type"] == "SecureString" and made["ARN"].endswith(f":parameter{made['Name']}")
        assert made["Name"].startswith("/cloudlabs/") and made["Name"].endswith("lamp-demo/RDS_PASSWORD")
        assert len(made["Value"]) == 32 and made["Value"].isalnum()  # the generated password, not a placeholder
        tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=made["Name"])["TagList"]
        assert {"Key": "cloudlabs:student", "Value": "s01"} in tags
        assert emulate.destroy(graph.stack, session, tmp_path) == len(state.resources)
        assert ssm.describe_parameters()["Parameters"] == []


@pytest.mark.parametrize("options", [HA])
def test_the_books_console_route_with_beanstalks_default_groups_grades_complete(options, tmp_path):
    """The book's route leaves the groups to Beanstalk: SSH from anywhere on the instances (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”),
    which the book never asks to close. An environment so launched in the lab's VPC is complete (the
    single instance's: the default-VPC test below ends on it)."""
    from labctl.analysis.grading import grade
    from labctl.ops.live import LiveReader
    with _starter_on_moto(tmp_path, options) as (_starter, session, scope, settings):
        _launch_as_beanstalk_does(session, BeanstalkOptions.model_validate(options or {}), default_groups=True)
        graded = grade(LiveReader(session.client).read(scope, settings), "s01")
    assert graded.complete, graded.blockers()
    assert not any(":22" in r.expect.label for r in graded.results)  # nothing the book does not ask for


class _AnswersConfiguration:
    """A session's clients, the Elastic Beanstalk one answering what moto 5.2.5 lacks as AWS does:
    DescribeConfigurationSettings for the environments in ``vpcs`` (name -> its VPCId, "" when none was
    picked), and ListTagsForResource for an application (moto keeps no application's tags; AWS gives
    the ones Pulumi set: the stack's)."""

    def __init__(self, session, vpcs: dict[str, str], application_tags: dict[str, str]):
        self.session, self.vpcs, self.application_tags = session, vpcs, application_tags

    def __call__(self, service: str):
        client = self.session.client(service)
        if service == "elasticbeanstalk":
            listed = client.list_tags_for_resource

            def list_tags_for_resource(ResourceArn: str) -> dict:
                if ":application/" not in ResourceArn:
                    return listed(ResourceArn=ResourceArn)
                return {"ResourceArn": ResourceArn,
                        "ResourceTags": [{"Key": k, "Value": v} for k, v in self.application_tags.items()]}
            client.list_tags_for_resource = list_tags_for_resource

            def describe_configuration_settings(ApplicationName: str, EnvironmentName: str) -> dict:
                options = [{"Namespace": "aws:elasticbeanstalk:environment", "OptionName": "EnvironmentType",
                            "Value": "SingleInstance"}]
                if self.vpcs[EnvironmentName]:  # none picked: AWS lists the option without a value
                    options.append({"Namespace": "aws:ec2:vpc", "OptionName": "VPCId", "Value": self.vpcs[EnvironmentName]})
                else:
                    options.append({"Namespace": "aws:ec2:vpc", "OptionName": "VPCId"})
                return {"ConfigurationSettings": [{"ApplicationName": ApplicationName, "EnvironmentName": EnvironmentName,
                                                   "OptionSettings": options}]}
            client.describe_configuration_settings = describe_configuration_settings
        return client


def test_an_environment_in_the_default_vpc_is_graded_saying_where_it_runs(tmp_path):
    """The book's console route never picks a VPC (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”): Beanstalk puts the environment in the
    account's default VPC, which grading does not read. The grade says so, naming the environment;
    once it runs in the lab's VPC, the same read grades it complete."""
    from labctl.analysis.grading import grade
    from labctl.ops.live import LiveReader
    with _starter_on_moto(tmp_path) as (starter, session, scope, settings):
        vpcs: dict[str, str] = {}
        (application,) = starter.of_type(APP)
        clients = _AnswersConfiguration(session, vpcs, application.inputs["tags"])
        made = session.client("elasticbeanstalk").create_environment(
            ApplicationName="Example", EnvironmentName="Example-env", SolutionStackName=SOLUTION_STACKS[0])
        vpcs["Example-env"] = ""  # the console's default: no VPC picked
        live = LiveReader(clients).read(scope, settings)
        (env,) = live.of_type(ENV)
        assert env.id == made["EnvironmentId"] and env.outputs["cname"] == made["CNAME"]
        before = grade(live, "s01")
        assert not before.complete
        assert all("Beanstalk environment Example-env runs in the account's default VPC" in line
                   for line in before.blockers()), before.blockers()
        from labctl.analysis.drift import drift
        missing = drift(lab_graph("beanstalk"), live).to_json()["missingFromAws"]
        assert any("instance Example-env" in fact for fact in missing), missing  # the environment read stands for no instance
        (vpc,) = session.client("ec2").describe_vpcs(Filters=[{"Name": "tag:cloudlabs:student", "Values": ["s01"]}])["Vpcs"]
        vpcs["Example-env"] = vpc["VpcId"]  # created again in the lab's VPC: Beanstalk launches its instance there
        _launch_as_beanstalk_does(session, BeanstalkOptions(), default_groups=True)
        after = grade(LiveReader(clients).read(scope, settings), "s01")
    assert after.complete, after.blockers()


class _DescribesEnvironments:
    """Elastic Beanstalk's DescribeEnvironments as AWS answers it (moto 5.2.5 answers no CNAME): the
    environments ``made``, narrowed by application and names."""

    def __init__(self):
        self.made: list[dict] = []

    def __call__(self, service: str):
        assert service == "elasticbeanstalk"
        return self

    def describe_environments(self, ApplicationName: str, EnvironmentNames: list[str]) -> dict:
        return {"Environments": [e for e in self.made
                                 if e["ApplicationName"] == ApplicationName and e["EnvironmentName"] in EnvironmentNames]}


def test_the_starter_is_probed_once_the_student_created_the_environment():
    """The starter has no url: the probe finds the environment the student created by its application and
    name (DescribeEnvironments' CNAME) and fetches it; the CNAME resolves to a local server on 127.0.0.1
    answering as the book's page. Before the environment exists, or once terminated, nothing is probed."""
    from labctl.ops.probe import FindsEnvironments, StaticOutputs, http_fetch, probe_stack
    from .localhosts import Hosts
    out = lab_graph("beanstalk", stage="starter").outputs["beanstalk"]
    aws = _DescribesEnvironments()
    source = FindsEnvironments(StaticOutputs({"test-s01": {"beanstalk": out}}), lambda _stack: aws)
    cname = "example-env.eba-hvmgnwpx.us-east-1.elasticbeanstalk.com"  # the book's (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”)
    hosts = Hosts()
    page = hosts.page("/", f"<h1>{beanstalk.PAGE_TEXT}</h1>")

    def fetch(url: str) -> tuple[int, str]:  # DNS: the environment's CNAME is the local server
        return http_fetch(page if url == f"http://{cname}/" else url)

    def probed():
        (result,) = probe_stack("test-s01", ["beanstalk"], source, fetch, attempts=1, interval=0)
        return result

    try:
        assert probed().detail.startswith("nothing the outputs name to probe yet: the student")
        env = {"ApplicationName": out["application"], "EnvironmentName": out["environment"], "CNAME": cname, "Status": "Ready"}
        aws.made.append(env)
        after = probed()
        env["Status"] = "Terminated"
        gone = probed()
    finally:
        hosts.close()
    assert after.passed and after.probe == "environment page", after
    assert after.detail.startswith(f"http://{cname}/: HTTP 200")
    assert not gone.passed and gone.detail.startswith("nothing the outputs name to probe yet: the student")
