"""Emulated deployment against moto: the real program's resources created through boto3."""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from cloudlabs import REPO_ROOT
from cloudlabs.catalog import LABS
from labctl.ops import emulate
from labctl.offline.graph import Resource
from labctl.offline.render import ENVIRONMENTS, render_file

from .conftest import lab_graph

NETWORK_STACKS = ["demo-s01", "demo-s02", "demo-s03"] + [f"demo-net-n0{i}" for i in range(1, 9)]


class CachedSession:
    """A boto3 Session whose clients are made once for the whole run: making clients was most of a
    test's time. Clients made before ``mock_aws`` starts still reach it (moto hooks botocore itself)."""

    region_name = "us-east-1"
    _session = boto3.Session(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    _made: dict[str, object] = {}
    _lock = threading.Lock()

    def client(self, service: str):
        with self._lock:
            if service not in self._made:
                self._made[service] = self._session.client(service)
            return self._made[service]


@pytest.fixture
def aws():
    with mock_aws():
        yield CachedSession()


@pytest.fixture
def ec2(aws):
    return aws.client("ec2")


def _graph(stack: str):
    return render_file(ENVIRONMENTS / f"Pulumi.{stack}.yaml")


def _lab_vpcs(ec2) -> list[dict]:
    return [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]


def _live_instances(ec2) -> list[dict]:
    return [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
            if i["State"]["Name"] != "terminated"]


@pytest.mark.parametrize("stack", NETWORK_STACKS)
def test_up_then_destroy_leaves_nothing(stack, aws, ec2, tmp_path):
    graph = _graph(stack)
    state = emulate.up(graph, aws, tmp_path)
    assert len(state.resources) == sum(1 for r in graph.resources if r.custom)
    vpcs = _lab_vpcs(ec2)
    assert vpcs and all(any(t["Key"] == "cloudlabs:student" for t in v.get("Tags", [])) for v in vpcs)
    assert emulate.destroy(stack, aws, tmp_path) == len(state.resources)
    assert _lab_vpcs(ec2) == [] and _live_instances(ec2) == []
    assert not (tmp_path / f"{stack}.json").exists()


def test_real_ids_flow_into_dependents(aws, ec2, tmp_path):
    emulate.up(_graph("demo-s01"), aws, tmp_path)
    (vpc,) = _lab_vpcs(ec2)
    (igw,) = ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc["VpcId"]]}])["InternetGateways"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]
    routes = [r for t in tables for r in t["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert [r["GatewayId"] for r in routes] == [igw["InternetGatewayId"]]
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]}
    instances = _live_instances(ec2)
    assert instances and all(i["SubnetId"] in subnets for i in instances)
    names = {t["Value"] for i in instances for t in i.get("Tags", []) if t["Key"] == "Name"}
    assert len(names) == len(instances)


def test_interrupted_up_converges(aws, ec2, tmp_path):
    graph = _graph("demo-net-n02")
    created: list[str] = []

    class Interrupt(Exception):
        pass

    def stop_after_ten(urn: str) -> None:
        created.append(urn)
        if len(created) == 10:
            raise Interrupt()

    with pytest.raises(Interrupt):
        emulate.up(graph, aws, tmp_path, on_created=stop_after_ten)
    state = emulate.up(graph, aws, tmp_path)  # a later run creates only what is missing
    assert len(state.resources) == sum(1 for r in graph.resources if r.custom)
    assert len(_lab_vpcs(ec2)) == 1
    emulate.destroy("demo-net-n02", aws, tmp_path)
    assert _lab_vpcs(ec2) == []


def test_unsupported_type_is_named(aws, ec2, tmp_path):
    graph = _graph("demo-app-a05")
    graph.resources.append(Resource("urn:pulumi:x::cloudlabs::aws:sqs/queue:Queue::q", "aws:sqs/queue:Queue", "q",
                                    None, True, "q-1", {}))
    with pytest.raises(emulate.UnsupportedType, match="aws:sqs/queue:Queue"):
        emulate.up(graph, aws, tmp_path)
    assert _lab_vpcs(ec2) == [] and not list(Path(tmp_path).iterdir())  # nothing attempted


def test_a_state_entry_of_an_unknown_type_is_named_on_destroy(aws, tmp_path):
    state = emulate.EmulatedStack("x", tmp_path, {"urn:q": {"type": "aws:sqs/queue:Queue", "id": "q-1"}})
    state.save()
    with pytest.raises(emulate.UnsupportedType, match="aws:sqs/queue:Queue"):
        emulate.destroy("x", aws, tmp_path)


def test_a_call_moto_refuses_names_the_resource_and_destroy_still_cleans_up(aws, ec2, tmp_path, monkeypatch):
    def refused(aws, i, name):
        raise NotImplementedError("The create_load_balancer action has not been implemented")

    monkeypatch.setattr(emulate, "HANDLERS", {**emulate.HANDLERS, "aws:lb/loadBalancer:LoadBalancer": emulate.Handler(
        refused, emulate.HANDLERS["aws:lb/loadBalancer:LoadBalancer"].delete)})
    graph = lab_graph("load-balancer")
    with pytest.raises(emulate.EmulationError, match="aws:lb/loadBalancer:LoadBalancer load-balancer-lb-alb: cannot create") as raised:
        emulate.up(graph, aws, tmp_path)
    assert isinstance(raised.value.__cause__, NotImplementedError)
    assert _lab_vpcs(ec2)  # what came before it exists, and is in the state
    emulate.destroy(graph.stack, aws, tmp_path)
    assert _lab_vpcs(ec2) == [] and _live_instances(ec2) == []


def test_one_ec2_client_is_refused_with_a_reason(ec2, tmp_path):
    with pytest.raises(TypeError, match="Session"):
        emulate.up(_graph("demo-s01"), ec2, tmp_path)


def _fleet_setup(tmp_path, stacks):
    files = {s: ENVIRONMENTS / f"Pulumi.{s}.yaml" for s in stacks}
    owners = {s: tuple(s.rsplit("-", 1)) for s in stacks}
    session = CachedSession()
    return emulate.EmulatorRunner(session, tmp_path / "state", files, owners), session


def test_fleet_one_failure_never_stops_the_others(ec2, tmp_path, monkeypatch):
    from labctl.ops.fleet import Fleet
    monkeypatch.delitem(emulate.HANDLERS, "aws:rds/instance:Instance")  # as if the emulator could not create it
    stacks = ["demo-s01", "demo-app-a05", "demo-s02"]  # a05 has a database
    runner, _ = _fleet_setup(tmp_path, stacks)
    results = {r.stack: r for r in Fleet(runner, parallel=2, retries=0).run(stacks, "up")}
    assert results["demo-app-a05"].status == "failed" and "aws:rds/instance:Instance" in results["demo-app-a05"].cause
    assert results["demo-s01"].status == results["demo-s02"].status == "succeeded"
    assert len(_lab_vpcs(ec2)) == 2
    down = Fleet(runner, parallel=2, retries=0).run(["demo-s01", "demo-s02"], "destroy")
    assert [r.status for r in down] == ["succeeded", "succeeded"] and _lab_vpcs(ec2) == []


def test_stop_start_change_instance_states(ec2, tmp_path):
    from labctl.ops.fleet import Fleet
    runner, _ = _fleet_setup(tmp_path, ["demo-s01"])
    Fleet(runner, retries=0).run(["demo-s01"], "up")

    def states() -> set[str]:
        return {i["State"]["Name"] for i in _live_instances(ec2)}

    assert states() == {"running"}
    assert Fleet(runner, retries=0).run(["demo-s01"], "stop")[0].status == "succeeded"
    assert states() == {"stopped"}
    Fleet(runner, retries=0).run(["demo-s01"], "start")
    assert states() == {"running"}


def test_sweep_finds_nothing_after_emulated_destroy(ec2, tmp_path):
    from labctl.ops.sweep import Sweeper
    from labctl.ops.fleet import Fleet
    runner, session = _fleet_setup(tmp_path, ["demo-net-n05", "demo-s01"])
    Fleet(runner, retries=0).run(["demo-net-n05", "demo-s01"], "up")
    assert Sweeper(session, "demo-net", region="us-east-1").find()  # deployed: the sweep sees it
    Fleet(runner, retries=0).run(["demo-net-n05", "demo-s01"], "destroy")
    assert Sweeper(session, "demo-net", region="us-east-1").find() == []
    assert Sweeper(session, "demo", region="us-east-1").find() == []


# --- every lab, every stage: up then destroy leaves nothing ----------------------------------

# The non-default options that change which types (or how many) a lab renders.
OPTION_CASES = {
    "ec2-webserver": [{"count": 0}, {"os": "windows-server-2019"}],
    "ssh-access": [{"key": "existing"}, {"key": "generated"}, {"algorithm": "ED25519"}],
    "access-control": [{"parts": ["coursework"]}, {"parts": ["coursework-nacl"]}, {"parts": ["tcp-analysis"]}],
    "dual-stack": [{"coursework": True}, {"coursework": True, "natGateway": False}],
    "vpc-peering": [{"natGateway": False}],
    "peering-topologies": [{"topology": "provider"}],
    "object-storage": [{"parts": ["private", "website"]}, {"parts": ["endpoint", "coursework"]}],
    "lamp": [{"dbInstanceClass": "db.t4g.micro"}, {"coursework": True}],
    "containers": [{"coursework": True}],
    "beanstalk": [{"environment": "high-availability"}, {"coursework": True}],
}
LAB_CASES = [(lab, stage, options) for lab, spec in LABS.items() for stage in spec.stages
             for options in [None, *OPTION_CASES.get(lab, [])]]


def _case_id(case) -> str:
    lab, stage, options = case
    return f"{lab}-{stage}" + ("" if options is None else "-" + json.dumps(options, separators=(",", ":")))


def inventory(aws) -> dict[str, set[str]]:
    """What ``labctl sweep`` would look for and more, untagged kinds too: every service the emulator
    uses, described without filters, kind -> ids of what exists (deleted/terminated states left out)."""
    ec2, elb, asg, rds, s3 = (aws.client(n) for n in ("ec2", "elbv2", "autoscaling", "rds", "s3"))
    found: dict[str, set[str]] = {}

    def add(kind: str, ids) -> None:
        found[kind] = set(ids)

    add("vpc", (v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]))
    add("subnet", (s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]))
    add("security group", (g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]))
    add("security group rule", (r["SecurityGroupRuleId"] for r in ec2.describe_security_group_rules()["SecurityGroupRules"]))
    add("route table", (t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"]))
    add("route", (f"{t['RouteTableId']}:{r.get('DestinationCidrBlock') or r.get('DestinationIpv6CidrBlock') or r.get('DestinationPrefixListId')}"
                  for t in ec2.describe_route_tables()["RouteTables"] for r in t["Routes"]))
    add("route table association", (a["RouteTableAssociationId"] for t in ec2.describe_route_tables()["RouteTables"]
                                    for a in t["Associations"]))
    add("internet gateway", (g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]))
    add("egress-only gateway", (g["EgressOnlyInternetGatewayId"]
                                for g in ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]))
    vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
    # moto 5.2.5 keeps a deleted VPC's default ACL (AWS deletes it with the VPC), and its stale subnet
    # associations make DeleteNetworkAcl refuse: an ACL whose VPC is gone is moto's, not a leftover
    acls = [a for a in ec2.describe_network_acls()["NetworkAcls"] if a["VpcId"] in vpcs]
    add("network ACL", (a["NetworkAclId"] for a in acls))
    add("network ACL entry", (f"{a['NetworkAclId']}:{e['RuleNumber']}:{e['Egress']}" for a in acls for e in a["Entries"]))
    add("instance", (i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                     if i["State"]["Name"] not in ("terminated", "shutting-down")))
    add("NAT gateway", (n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"] if n["State"] not in ("deleted", "deleting")))
    add("Elastic IP", (a["AllocationId"] for a in ec2.describe_addresses()["Addresses"]))
    add("VPC endpoint", (e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"] if e["State"] != "deleted"))
    add("peering", (p["VpcPeeringConnectionId"] for p in ec2.describe_vpc_peering_connections()["VpcPeeringConnections"]
                    if p["Status"]["Code"] not in ("deleted", "rejected", "failed")))
    add("launch template", (t["LaunchTemplateId"] for t in ec2.describe_launch_templates()["LaunchTemplates"]))
    lbs = elb.describe_load_balancers()["LoadBalancers"]
    add("load balancer", (lb["LoadBalancerArn"] for lb in lbs))
    add("listener", (x["ListenerArn"] for lb in lbs for x in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]))
    groups = elb.describe_target_groups()["TargetGroups"]
    add("target group", (g["TargetGroupArn"] for g in groups))
    add("target", (f"{g['TargetGroupArn']}:{t['Target']['Id']}" for g in groups
                   for t in elb.describe_target_health(TargetGroupArn=g["TargetGroupArn"])["TargetHealthDescriptions"]))
    add("Auto Scaling group", (g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups()["AutoScalingGroups"]))
    add("scaling policy", (p["PolicyARN"] for p in asg.describe_policies()["ScalingPolicies"]))
    add("database", (d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]))
    add("DB subnet group", (g["DBSubnetGroupName"] for g in rds.describe_db_subnet_groups()["DBSubnetGroups"]))
    buckets = [b["Name"] for b in s3.list_buckets().get("Buckets", [])]
    add("ECR repository", (r["repositoryName"] for r in aws.client("ecr").describe_repositories()["repositories"]))
    add("bucket", buckets)
    add("object", (f"{b}/{o['Key']}" for b in buckets for o in s3.list_objects_v2(Bucket=b).get("Contents", [])))
    return found


# graph type -> inventory kind, for the check that the inventory sees what up made
KIND = {"aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet", "aws:ec2/securityGroup:SecurityGroup": "security group",
        "aws:ec2/routeTable:RouteTable": "route table", "aws:ec2/internetGateway:InternetGateway": "internet gateway",
        "aws:ec2/instance:Instance": "instance", "aws:ec2/natGateway:NatGateway": "NAT gateway", "aws:ec2/eip:Eip": "Elastic IP",
        "aws:ec2/vpcEndpoint:VpcEndpoint": "VPC endpoint", "aws:ec2/launchTemplate:LaunchTemplate": "launch template",
        "aws:ec2/networkAcl:NetworkAcl": "network ACL", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": "peering",
        "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": "egress-only gateway",
        "aws:ec2/routeTableAssociation:RouteTableAssociation": "route table association",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security group rule",
        "aws:lb/loadBalancer:LoadBalancer": "load balancer", "aws:lb/listener:Listener": "listener",
        "aws:lb/targetGroup:TargetGroup": "target group", "aws:lb/targetGroupAttachment:TargetGroupAttachment": "target",
        "aws:autoscaling/group:Group": "Auto Scaling group", "aws:autoscaling/policy:Policy": "scaling policy",
        "aws:rds/instance:Instance": "database", "aws:rds/subnetGroup:SubnetGroup": "DB subnet group",
        "aws:s3/bucket:Bucket": "bucket", "aws:s3/bucketObjectv2:BucketObjectv2": "object",
        "aws:ecr/repository:Repository": "ECR repository"}


def _new(after: dict[str, set[str]], before: dict[str, set[str]]) -> dict[str, set[str]]:
    return {kind: ids - before.get(kind, set()) for kind, ids in after.items() if ids - before.get(kind, set())}


@pytest.mark.parametrize("case", LAB_CASES, ids=_case_id)
def test_every_lab_and_stage_up_then_destroy_leaves_nothing(case, aws, tmp_path):
    from labctl.ops.sweep import Sweeper
    lab, stage, options = case
    graph = lab_graph(lab, stage=stage, options=options)
    before = inventory(aws)  # moto's default VPC, its subnets, groups, tables; rds's default group
    unsupported = sorted({r.type for r in graph.custom_resources if r.type in emulate.UNSUPPORTED})
    if emulate.needs_docker_engine(graph):  # containers' images and service: built by docker, which the emulator lacks
        with pytest.raises(emulate.NeedsDockerEngine, match="needs a Docker engine.*docker:index/image:Image.*nothing was created"):
            emulate.up(graph, aws, tmp_path)
    elif unsupported:  # calls moto lacks (their records in labctl/kinds say why): refused whole, each with its reason
        with pytest.raises(emulate.UnsupportedType) as refused:
            emulate.up(graph, aws, tmp_path)
        assert all(f"{t} ({emulate.UNSUPPORTED[t]})" in str(refused.value) for t in unsupported)
    if emulate.needs_docker_engine(graph) or unsupported:
        assert _new(inventory(aws), before) == {} and not (tmp_path / f"{graph.stack}.json").exists()
        return
    state = emulate.up(graph, aws, tmp_path)
    assert len(state.resources) == sum(1 for r in graph.resources if r.custom)
    made = _new(inventory(aws), before)
    counts = graph.type_counts()
    for kind_type, kind in KIND.items():  # the inventory sees each kind up created, at least as many as the graph has
        assert len(made.get(kind, ())) >= counts.get(kind_type, 0), kind
    assert Sweeper(aws, "test", region="us-east-1").find()  # the sweep sees the tagged ones

    assert emulate.destroy(graph.stack, aws, tmp_path) == len(state.resources)
    assert _new(inventory(aws), before) == {}
    assert Sweeper(aws, "test", region="us-east-1").find() == []
    assert not (tmp_path / f"{graph.stack}.json").exists()


def test_every_rendered_type_has_a_handler():
    rendered = {r.type for case in LAB_CASES for r in lab_graph(case[0], stage=case[1], options=case[2]).resources if r.custom}
    rendered -= set(emulate.DOCKER_ENGINE_TYPES)  # refused with NeedsDockerEngine (above)
    assert rendered <= set(emulate.HANDLERS) | set(emulate.UNSUPPORTED), rendered - set(emulate.HANDLERS)
    assert not set(emulate.HANDLERS) & set(emulate.UNSUPPORTED)
    assert rendered >= set(KIND)  # every kind the inventory checks is exercised by some case


def test_load_balancer_gets_real_ids(aws, ec2, tmp_path):
    emulate.up(lab_graph("load-balancer"), aws, tmp_path)
    elb = aws.client("elbv2")
    (lb,) = elb.describe_load_balancers()["LoadBalancers"]
    (tg,) = elb.describe_target_groups()["TargetGroups"]
    (listener,) = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]  # on moto's ALB
    assert listener["DefaultActions"][0]["TargetGroupArn"] == tg["TargetGroupArn"] and (listener["Port"], listener["Protocol"]) == (80, "HTTP")
    assert tg["VpcId"] in {v["VpcId"] for v in _lab_vpcs(ec2)}
    assert (tg["HealthCheckIntervalSeconds"], tg["HealthyThresholdCount"], tg["UnhealthyThresholdCount"], tg["Matcher"]) == (
        30, 5, 2, {"HttpCode": "200"})
    targets = {t["Target"]["Id"] for t in elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]}
    assert targets == {i["InstanceId"] for i in _live_instances(ec2)} and len(targets) == 3
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [tg["VpcId"]]}])["Subnets"]}
    assert {z["SubnetId"] for z in lb["AvailabilityZones"]} <= subnets and lb["Scheme"] == "internet-facing"
    attributes = {a["Key"]: a["Value"] for a in elb.describe_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"])["Attributes"]}
    assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"


def test_autoscaling_gets_real_ids(aws, ec2, tmp_path):
    state = emulate.up(lab_graph("autoscaling"), aws, tmp_path)
    elb, asg = aws.client("elbv2"), aws.client("autoscaling")
    (tg,) = elb.describe_target_groups()["TargetGroups"]
    (template,) = ec2.describe_launch_templates()["LaunchTemplates"]
    (group,) = asg.describe_auto_scaling_groups()["AutoScalingGroups"]
    assert group["TargetGroupARNs"] == [tg["TargetGroupArn"]]  # moto's ARN, not the renderer's
    assert group["LaunchTemplate"]["LaunchTemplateId"] == template["LaunchTemplateId"]
    assert (group["MinSize"], group["DesiredCapacity"], group["MaxSize"], group["HealthCheckType"]) == (2, 2, 4, "ELB")
    (vpc,) = _lab_vpcs(ec2)
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]}
    assert set(group["VPCZoneIdentifier"].split(",")) <= subnets and len(group["VPCZoneIdentifier"].split(",")) == 3
    (policy,) = asg.describe_policies()["ScalingPolicies"]
    assert policy["AutoScalingGroupName"] == group["AutoScalingGroupName"] and policy["PolicyType"] == "TargetTrackingScaling"
    assert policy["TargetTrackingConfiguration"]["TargetValue"] == 50
    data = ec2.describe_launch_template_versions(LaunchTemplateId=template["LaunchTemplateId"])["LaunchTemplateVersions"][0]["LaunchTemplateData"]
    groups = {g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]}
    assert set(data["NetworkInterfaces"][0]["Groups"]) <= groups and data["MetadataOptions"]["HttpTokens"] == "required"
    assert len(_live_instances(ec2)) == 2  # the group's own instances
    state_policy = next(e for e in state.resources.values() if e["type"] == "aws:autoscaling/policy:Policy")
    assert state_policy["id"] == policy["PolicyARN"]


def test_object_storage_gets_real_ids_and_contents(aws, ec2, tmp_path):
    graph = lab_graph("object-storage")
    emulate.up(graph, aws, tmp_path)
    s3 = aws.client("s3")
    (endpoint,) = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    (vpc,) = _lab_vpcs(ec2)
    tables = {t["RouteTableId"] for t in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["RouteTables"]}
    assert endpoint["VpcId"] == vpc["VpcId"] and set(endpoint["RouteTableIds"]) <= tables and endpoint["VpcEndpointType"] == "Gateway"
    site2 = "test-s01-site2-123456789012"
    (rule,) = s3.get_bucket_cors(Bucket=site2)["CORSRules"]
    assert rule["AllowedOrigins"] == ["http://test-s01-site1-123456789012.s3-website-us-east-1.amazonaws.com"]
    assert s3.get_bucket_website(Bucket=site2)["IndexDocument"] == {"Suffix": "index.html"}
    png = json.loads(s3.get_bucket_policy(Bucket="test-s01-png-123456789012")["Policy"])
    assert png["Statement"][0]["Condition"] == {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    block = s3.get_public_access_block(Bucket="test-s01-private-123456789012")["PublicAccessBlockConfiguration"]
    assert all(block.values())
    rules = s3.get_bucket_encryption(Bucket="test-s01-jpg-123456789012")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    body = s3.get_object(Bucket="test-s01-jpg-123456789012", Key="top_folder/folder1/number1.JPG")
    assert body["Body"].read() == (REPO_ROOT / "labs/object-storage/number1.JPG").read_bytes() and body["ContentType"] == "image/jpeg"
    assert b"Website 1" in s3.get_object(Bucket="test-s01-site1-123456789012", Key="index.html")["Body"].read()


def test_lamp_gets_real_ids_and_a_generated_password(aws, ec2, tmp_path):
    state = emulate.up(lab_graph("lamp"), aws, tmp_path)
    rds = aws.client("rds")
    (db,) = rds.describe_db_instances()["DBInstances"]
    (vpc,) = _lab_vpcs(ec2)
    assert db["DBSubnetGroup"]["VpcId"] == vpc["VpcId"] and len(db["DBSubnetGroup"]["Subnets"]) == 2
    groups = {g["GroupId"] for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["SecurityGroups"]}
    assert {g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]} <= groups
    assert (db["Engine"], db["DBName"], db["MasterUsername"], db["AllocatedStorage"], db["StorageEncrypted"]) == ("mysql", "exampleDB", "admin", 20, True)
    (password,) = [e for e in state.resources.values() if e["type"] == "random:index/randomPassword:RandomPassword"]
    secret = password["extra"]["secret"]
    assert len(secret) == 20 and secret.isalnum()  # length 20, special false


def test_random_password_honours_its_classes():
    _, extra = emulate.HANDLERS["random:index/randomPassword:RandomPassword"].create(
        None, {"length": 12, "upper": False, "special": True, "overrideSpecial": "#", "minSpecial": 3, "minNumeric": 2}, "p")
    secret = extra["secret"]
    assert len(secret) == 12 and secret.count("#") >= 3 and sum(c.isdigit() for c in secret) >= 2 and not any(c.isupper() for c in secret)


def test_app_cohort_fleet_up_sweep_destroy(aws, tmp_path, monkeypatch):
    _raise_for_a_whole_cohort(monkeypatch)
    from labctl.ops.sweep import Sweeper
    from labctl.ops.fleet import Fleet
    stacks = [f"demo-app-a0{i}" for i in range(1, 6)]
    runner, _ = _fleet_setup(tmp_path, stacks)
    assert [r.status for r in Fleet(runner, parallel=2, retries=0).run(stacks, "up")] == ["succeeded"] * 5
    kinds = {x.kind for x in Sweeper(aws, "demo-app", region="us-east-1").find()}
    assert {"load balancer", "target group", "Auto Scaling group", "database", "DB subnet group", "bucket", "VPC endpoint",
            "launch template"} <= kinds
    assert [r.status for r in Fleet(runner, parallel=2, retries=0).run(stacks, "destroy")] == ["succeeded"] * 5
    assert Sweeper(aws, "demo-app", region="us-east-1").find() == []


def test_user_data_is_sent_base64_once(aws, ec2, tmp_path):
    emulate.up(lab_graph("ec2-webserver", options={"count": 1}), aws, tmp_path)
    (instance,) = _live_instances(ec2)
    data = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(data).startswith(b"#!")


def _raise_for_a_whole_cohort(monkeypatch) -> None:
    """The account as an instructor prepares it for a class in one account: the increases granted (the emulator's
    quota rules are tested in test_emulator_rules and test_quotas)."""
    from labctl.ops import emulator_rules
    for quota in ("vpcs", "internet-gateways", "elastic-ips", "nat-gateways", "ondemand-vcpus"):
        monkeypatch.setitem(emulator_rules._raised, ("*", quota), 100)  # undone after the test
