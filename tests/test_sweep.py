"""The sweep, kind by kind, on moto: every kind it scans is found when it is the cohort's (by its own
tags, or made by hand inside the cohort's VPC), deleted in an order AWS accepts, and never when it
is another cohort's, even one that sits next to it."""

from __future__ import annotations

import json
from typing import Any, Callable

import boto3
import pytest
from moto import mock_aws

from labctl.ops.sweep import ForeignResources, Ledger, Sweeper
from labctl.ops.sweep_kinds import RULE_NAMES, RULES, Scan

REGION = "us-east-1"


def tags(cohort: str, student: str = "u1") -> list[dict[str, str]]:
    return [{"Key": "cloudlabs:cohort", "Value": cohort}, {"Key": "cloudlabs:student", "Value": student},
            {"Key": "Name", "Value": f"{student}-thing"}]


def spec(kind: str, cohort: str) -> list[dict]:
    return [{"ResourceType": kind, "Tags": tags(cohort)}]


class Base:
    """A cohort's VPC with two subnets in two zones, tagged, as a lab makes it."""

    def __init__(self, s: Any, cohort: str, n: int):
        ec2 = s.client("ec2")
        self.cohort, self.s = cohort, s
        self.vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16", TagSpecifications=spec("vpc", cohort))["Vpc"]["VpcId"]
        self.subnets = [ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.{n}.{i}.0/24", AvailabilityZone=f"{REGION}{z}",
                                          TagSpecifications=spec("subnet", cohort))["Subnet"]["SubnetId"]
                        for i, z in ((1, "a"), (2, "b"))]

    def ami(self) -> str:
        return "ami-12c6146b"  # in moto's catalog (listing the catalog costs seconds)

    def instance(self, tagged: bool = True) -> str:
        args = {"TagSpecifications": spec("instance", self.cohort)} if tagged else {}
        return self.s.client("ec2").run_instances(ImageId=self.ami(), InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                                  SubnetId=self.subnets[0], **args)["Instances"][0]["InstanceId"]


def _service(b: Base) -> str:
    ecs = b.s.client("ecs")
    cluster = ecs.create_cluster(clusterName=f"{b.cohort}-c", tags=[{"key": t["Key"], "value": t["Value"]} for t in tags(b.cohort)])
    ecs.register_task_definition(family=f"{b.cohort}-web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                 memory="512", containerDefinitions=[{"name": "web", "image": "nginx", "essential": True,
                                                                      "memory": 512}])
    group = b.s.client("ec2").create_security_group(GroupName=f"{b.cohort}-svc", Description="web", VpcId=b.vpc)["GroupId"]
    return ecs.create_service(cluster=cluster["cluster"]["clusterArn"], serviceName="web-alpine", taskDefinition=f"{b.cohort}-web",
                              desiredCount=1, launchType="FARGATE",
                              networkConfiguration={"awsvpcConfiguration": {"subnets": b.subnets[:1], "securityGroups": [group],
                                                                              "assignPublicIp": "ENABLED"}},
                              tags=[{"key": t["Key"], "value": t["Value"]} for t in tags(b.cohort)])["service"]["serviceArn"]


def _group(b: Base) -> str:
    ec2, asg = b.s.client("ec2"), b.s.client("autoscaling")
    template = ec2.create_launch_template(LaunchTemplateName=f"{b.cohort}-lt-asg", LaunchTemplateData={
        "ImageId": b.ami(), "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
    asg.create_auto_scaling_group(AutoScalingGroupName=f"{b.cohort}-web-ASG", MinSize=1, MaxSize=2, DesiredCapacity=1,
                                  LaunchTemplate={"LaunchTemplateId": template, "Version": "$Default"},
                                  VPCZoneIdentifier=",".join(b.subnets),
                                  Tags=[{"Key": t["Key"], "Value": t["Value"], "PropagateAtLaunch": True} for t in tags(b.cohort)])
    return f"{b.cohort}-web-ASG"


def _load_balancer(b: Base) -> str:
    _attached_igw(b)  # AWS makes an internet-facing load balancer only in a VPC with an internet gateway
    return b.s.client("elbv2").create_load_balancer(Name=f"{b.cohort}-alb", Subnets=b.subnets, Tags=tags(b.cohort))[
        "LoadBalancers"][0]["LoadBalancerArn"]


def _target_group(b: Base) -> str:
    return b.s.client("elbv2").create_target_group(Name=f"{b.cohort}-tg", Protocol="HTTP", Port=80, VpcId=b.vpc,
                                                   Tags=tags(b.cohort))["TargetGroups"][0]["TargetGroupArn"]


def _nat(b: Base) -> str:
    ec2 = b.s.client("ec2")
    _attached_igw(b)  # a public NAT gateway fails without one
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", b.cohort))["AllocationId"]
    return ec2.create_nat_gateway(SubnetId=b.subnets[0], AllocationId=eip, TagSpecifications=spec("natgateway", b.cohort))[
        "NatGateway"]["NatGatewayId"]


def _database(b: Base) -> str:
    rds = b.s.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=f"{b.cohort}-db-group", DBSubnetGroupDescription="db", SubnetIds=b.subnets,
                               Tags=tags(b.cohort))
    rds.create_db_instance(DBInstanceIdentifier=f"{b.cohort}-database-1", Engine="mysql", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, MasterUsername="admin", MasterUserPassword="x" * 16,
                           DBSubnetGroupName=f"{b.cohort}-db-group", Tags=tags(b.cohort))
    return f"{b.cohort}-database-1"


def _db_subnet_group(b: Base) -> str:
    b.s.client("rds").create_db_subnet_group(DBSubnetGroupName=f"{b.cohort}-group", DBSubnetGroupDescription="db",
                                             SubnetIds=b.subnets, Tags=tags(b.cohort))
    return f"{b.cohort}-group"


def _image(b: Base) -> str:
    return b.s.client("ec2").create_image(InstanceId=b.instance(), Name=f"{b.cohort}-web-image",
                                          TagSpecifications=spec("image", b.cohort))["ImageId"]


def _snapshot(b: Base) -> str:
    ec2 = b.s.client("ec2")
    volume = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=volume, TagSpecifications=spec("snapshot", b.cohort))["SnapshotId"]
    ec2.delete_volume(VolumeId=volume)
    return snapshot


def _peering(b: Base) -> str:
    ec2 = b.s.client("ec2")
    other = ec2.create_vpc(CidrBlock="10.250.0.0/16", TagSpecifications=spec("vpc", b.cohort))["Vpc"]["VpcId"]
    return ec2.create_vpc_peering_connection(VpcId=b.vpc, PeerVpcId=other, TagSpecifications=spec("vpc-peering-connection", b.cohort))[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]


def _bucket(b: Base) -> str:
    s3 = b.s.client("s3")
    name = f"{b.cohort}-u1-site-123456789012"
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tags(b.cohort)})
    s3.put_object(Bucket=name, Key="index.html", Body=b"<p>hi</p>")
    return name


def _role(b: Base) -> str:
    iam = b.s.client("iam")
    iam.create_role(RoleName=f"{b.cohort}-ecsTaskExecution", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
                    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
                    Tags=tags(b.cohort))
    policy = iam.create_policy(PolicyName=f"{b.cohort}-pull", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}]}))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=f"{b.cohort}-ecsTaskExecution", PolicyArn=policy)
    iam.put_role_policy(RoleName=f"{b.cohort}-ecsTaskExecution", PolicyName="inline", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "logs:CreateLogStream", "Resource": "*"}]}))
    return f"{b.cohort}-ecsTaskExecution"


def _profile(b: Base) -> str:
    iam = b.s.client("iam")
    iam.create_instance_profile(InstanceProfileName=f"{b.cohort}-eb-ec2", Tags=tags(b.cohort))
    iam.add_role_to_instance_profile(InstanceProfileName=f"{b.cohort}-eb-ec2", RoleName=_role(b))
    return f"{b.cohort}-eb-ec2"


def _ec2_tagged(call: str, key: str, resource: str, **kw: Any) -> Callable[[Base], str]:
    def make(b: Base) -> str:
        ec2 = b.s.client("ec2")
        args = {k: (v(b) if callable(v) else v) for k, v in kw.items()}
        made = getattr(ec2, call)(TagSpecifications=spec(resource, b.cohort), **args)
        value = made
        for part in key.split("."):
            value = value[part]
        return value
    return make


FACTORIES: dict[str, Callable[[Base], str]] = {
    "ECS service": _service,
    "Auto Scaling group": _group,
    "instance": lambda b: b.instance(),
    "load balancer": _load_balancer,
    "target group": _target_group,
    "NAT gateway": _nat,
    "VPC endpoint": _ec2_tagged("create_vpc_endpoint", "VpcEndpoint.VpcEndpointId", "vpc-endpoint", VpcId=lambda b: b.vpc,
                                ServiceName=f"com.amazonaws.{REGION}.s3", VpcEndpointType="Gateway"),
    "database": _database,
    "DB subnet group": _db_subnet_group,
    "ECS cluster": lambda b: b.s.client("ecs").create_cluster(clusterName=f"{b.cohort}-cluster", tags=[
        {"key": t["Key"], "value": t["Value"]} for t in tags(b.cohort)])["cluster"]["clusterArn"],
    "ECS task definition": lambda b: b.s.client("ecs").register_task_definition(
        family=f"{b.cohort}-task", containerDefinitions=[{"name": "web", "image": "nginx", "memory": 512}],
        tags=[{"key": t["Key"], "value": t["Value"]} for t in tags(b.cohort)])["taskDefinition"]["taskDefinitionArn"],
    "ECR repository": lambda b: b.s.client("ecr").create_repository(
        repositoryName=f"{b.cohort}/web-alpine", tags=tags(b.cohort))["repository"]["repositoryName"],
    "network interface": _ec2_tagged("create_network_interface", "NetworkInterface.NetworkInterfaceId", "network-interface",
                                     SubnetId=lambda b: b.subnets[0]),
    "Elastic IP": _ec2_tagged("allocate_address", "AllocationId", "elastic-ip", Domain="vpc"),
    "peering connection": _peering,
    "security group": _ec2_tagged("create_security_group", "GroupId", "security-group", GroupName=lambda b: f"{b.cohort}-sg",
                                  Description="web", VpcId=lambda b: b.vpc),
    "subnet": _ec2_tagged("create_subnet", "Subnet.SubnetId", "subnet", VpcId=lambda b: b.vpc,
                          CidrBlock=lambda b: b.s.client("ec2").describe_vpcs(VpcIds=[b.vpc])["Vpcs"][0]["CidrBlock"].replace(".0.0/16", ".9.0/24")),
    "route table": _ec2_tagged("create_route_table", "RouteTable.RouteTableId", "route-table", VpcId=lambda b: b.vpc),
    "network ACL": _ec2_tagged("create_network_acl", "NetworkAcl.NetworkAclId", "network-acl", VpcId=lambda b: b.vpc),
    "internet gateway": lambda b: _attached_igw(b),
    "egress-only internet gateway": _ec2_tagged("create_egress_only_internet_gateway",
                                                "EgressOnlyInternetGateway.EgressOnlyInternetGatewayId",
                                                "egress-only-internet-gateway", VpcId=lambda b: b.vpc),
    "VPC": lambda b: b.vpc,
    "launch template": _ec2_tagged("create_launch_template", "LaunchTemplate.LaunchTemplateId", "launch-template",
                                   LaunchTemplateName=lambda b: f"{b.cohort}-lt", LaunchTemplateData={"InstanceType": "t3.micro"}),
    "AMI": _image,
    "snapshot": _snapshot,
    "volume": _ec2_tagged("create_volume", "VolumeId", "volume", AvailabilityZone=f"{REGION}a", Size=8),
    "key pair": _ec2_tagged("create_key_pair", "KeyPairId", "key-pair", KeyName=lambda b: f"{b.cohort}-example-key"),
    "bucket": _bucket,
    "log group": lambda b: (b.s.client("logs").create_log_group(logGroupName=f"/ecs/{b.cohort}-web",
                                                                tags={t["Key"]: t["Value"] for t in tags(b.cohort)}),
                            f"/ecs/{b.cohort}-web")[1],
    "SSM parameter": lambda b: (b.s.client("ssm").put_parameter(Name=f"/cloudlabs/{b.cohort}-lamp-demo/RDS_PASSWORD", Value="pw",
                                                                 Type="SecureString", Tags=tags(b.cohort)),
                                f"/cloudlabs/{b.cohort}-lamp-demo/RDS_PASSWORD")[1],
    "IAM instance profile": _profile,
    "IAM role": _role,
}
# What moto 5.2.5 cannot make or take down, with why; the sweep's code for them runs on AWS only.
NOT_ON_MOTO = {
    "Beanstalk environment": "moto has no TerminateEnvironment",
    "Beanstalk application": "moto keeps no tags on applications, so none is ever the cohort's by its tags",
}


def _attached_igw(b: Base) -> str:
    ec2 = b.s.client("ec2")
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", b.cohort))["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=b.vpc)
    return igw


@pytest.fixture
def aws():
    """An account of the test's own."""
    with mock_aws():
        yield boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")


@pytest.fixture(scope="module")
def shared():
    """One account for the kind-by-kind tests, as a real shared account is: each test's two cohorts
    are its own, and every earlier test's cohorts are still there, never to be touched. Its quotas are
    raised, as a course's shared account has them (the quota rules are test_quotas' and test_emulator_rules')."""
    from labctl.ops import emulator_rules
    with mock_aws(), pytest.MonkeyPatch.context() as patch:
        for quota in ("vpcs", "internet-gateways", "elastic-ips", "nat-gateways"):
            patch.setitem(emulator_rules._raised, ("*", quota), 1000)  # undone after the module
        yield boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")


def cohorts(kind: str) -> tuple[str, str]:
    n = RULE_NAMES.index(kind)
    return f"fall{n}", f"spring{n}"


# --- in accounts of their own (before the shared account's tests: moto's mocks share one state) ------


def test_a_hand_made_nat_gateways_address_is_found_with_it_and_remembered_once_the_vpc_is_gone(aws, tmp_path):
    ours = Base(aws, "fall26", 1)
    ec2 = aws.client("ec2")
    igw = _attached_igw(ours)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=ours.subnets[0], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    ledger = Ledger(tmp_path / "fall26.us-east-1.json")
    found = {(x.kind, x.id): x for x in Sweeper(aws, "fall26", region=REGION, ledger=ledger).find()}
    assert ("NAT gateway", nat) in found and found[("Elastic IP", eip)].detail == "added by hand: " + found[("Elastic IP", eip)].found.detail
    # the student deletes the gateway and someone the VPC; the address is still billed, and still found
    ec2.delete_nat_gateway(NatGatewayId=nat)
    for subnet in ours.subnets:
        ec2.delete_subnet(SubnetId=subnet)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=ours.vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=ours.vpc)
    (left,) = Sweeper(aws, "fall26", region=REGION, ledger=ledger).find()
    assert (left.kind, left.id, left.student) == ("Elastic IP", eip, "u1") and "remembered" in left.detail
    assert Sweeper(aws, "fall26", region=REGION).find() == []  # without the ledger it is nobody's
    assert Sweeper(aws, "fall26", region=REGION, ledger=ledger).delete([left], log=lambda m: None) == []
    assert ec2.describe_addresses()["Addresses"] == []


def test_whole_account_refuses_an_account_shared_with_another_cohort_and_deletes_nothing(aws):
    Base(aws, "fall26", 1).instance()
    Base(aws, "spring27", 2).instance()
    with pytest.raises(ForeignResources, match="spring27.*nothing was deleted"):
        Sweeper(aws, "fall26", region=REGION, whole_account=True).find()
    ours_alone = Sweeper(aws, "spring27", region=REGION)
    ours_alone.delete(ours_alone.find(), log=lambda m: None)
    everything = Sweeper(aws, "fall26", region=REGION, whole_account=True).find()
    assert {x.kind for x in everything} >= {"instance", "VPC", "subnet"}
    assert not any(x.kind == "VPC" and x.id == aws.client("ec2").describe_vpcs(
        Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"] for x in everything)  # AWS's default VPC stays


def test_a_kind_that_cannot_be_read_is_never_reported_as_nothing_left(aws):
    from dataclasses import replace

    def denied(scan):
        raise RuntimeError("AccessDenied: not authorized to perform rds:DescribeDBInstances")
    rules = {**RULES, "database": replace(RULES["database"], find=denied)}
    sweeper = Sweeper(aws, "fall26", region=REGION, rules=rules)
    assert sweeper.find() == [] and sweeper.unscanned == {"database": "AccessDenied: not authorized to perform rds:DescribeDBInstances"}


# --- kind by kind, in one shared account ------------------------------------------------------------


def test_every_kind_the_sweep_scans_is_tested_here_or_says_why_not():
    assert set(FACTORIES) | set(NOT_ON_MOTO) == set(RULE_NAMES)


@pytest.mark.parametrize("kind", sorted(FACTORIES))
def test_each_kind_is_found_by_its_own_tags_deleted_and_the_other_cohort_keeps_its_own(shared, kind):
    aws = shared
    cohort, other_cohort = cohorts(kind)
    ours, theirs = Base(aws, cohort, 1), Base(aws, other_cohort, 2)
    mine = FACTORIES[kind](ours)
    other = FACTORIES[kind](theirs)
    sweeper = Sweeper(aws, cohort, region=REGION)
    found = {(x.kind, x.id): x for x in sweeper.find()}
    assert (kind, mine) in found and found[(kind, mine)].student == "u1"
    assert all(x.id != other for x in found.values())
    assert sweeper.unscanned == {}
    assert sweeper.delete(list(found.values()), log=lambda m: None) == []  # its last scan found nothing left
    assert sweeper.unscanned == {}
    assert other in {f.id for f in RULES[kind].find(Scan(aws, REGION, None))}  # the other cohort's is still there


@pytest.mark.parametrize("kind", ["instance", "subnet", "security group", "route table", "network ACL", "network interface",
                                  "VPC endpoint", "load balancer", "target group"])
def test_what_a_student_makes_by_hand_inside_the_cohorts_vpc_is_theirs(shared, kind):
    """The same kinds untagged (the book's console and CLI steps): found inside the VPC, marked."""
    aws = shared
    cohort = cohorts(kind)[0] + "h"
    ours = Base(aws, cohort, 1)
    ec2 = aws.client("ec2")
    made = FACTORIES[kind](ours)
    untag = {"load balancer": lambda: aws.client("elbv2").remove_tags(ResourceArns=[made], TagKeys=[t["Key"] for t in tags("x")]),
             "target group": lambda: aws.client("elbv2").remove_tags(ResourceArns=[made], TagKeys=[t["Key"] for t in tags("x")])}
    untag.get(kind, lambda: ec2.delete_tags(Resources=[made], Tags=[{"Key": t["Key"]} for t in tags("x")]))()
    found = {(x.kind, x.id): x for x in Sweeper(aws, cohort, region=REGION).find()}
    assert found[(kind, made)].detail.startswith("added by hand") and found[(kind, made)].student == "u1"
    assert Sweeper(aws, cohort, region=REGION).delete(list(found.values()), log=lambda m: None) == []
