"""Stop/start and the verified teardown against moto, with resources created the way the labs create them."""

from __future__ import annotations

import os

import boto3
import pytest
from moto import mock_aws

from labctl.ops.awsops import PowerRunner
from labctl.ops.sweep import Sweeper
from cloudlabs.pricing import load_prices

from .fakerunner import shared_account_environments

REGION = "us-east-1"


def tags(student: str, name: str, cohort: str = "fall26", lab: str = "vpc-nat") -> list[dict]:
    return [{"Key": "Name", "Value": f"{student}-{name}"}, {"Key": "cloudlabs:cohort", "Value": cohort},
            {"Key": "cloudlabs:student", "Value": student}, {"Key": "cloudlabs:lab", "Value": lab},
            {"Key": "cloudlabs:expires", "Value": "2026-12-19"}]


def spec(kind: str, student: str, name: str, cohort: str = "fall26") -> list[dict]:
    return [{"ResourceType": kind, "Tags": tags(student, name, cohort)}]


@pytest.fixture
def aws():
    keys = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_SESSION_TOKEN")
    saved = {k: os.environ.get(k) for k in keys}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    with mock_aws():
        yield boto3.Session(region_name=REGION)
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


_IMAGES: dict[bool, str] = {}


def catalog_image(ec2, windows: bool = False) -> str:
    """A Linux (or Windows) image of moto's catalog, looked up once: the catalog is fixed, and
    listing it takes seconds (its first Amazon image may be Windows, which bills a license)."""
    if windows not in _IMAGES:
        _IMAGES[windows] = next(i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]
                                if (i.get("Platform") == "windows") == windows)
    return _IMAGES[windows]


def linux_ami(ec2) -> str:
    return catalog_image(ec2)


def vpc_nat_student(session, n: int, student: str, cohort: str = "fall26") -> dict[str, str]:
    """What the vpc-nat lab creates for one student: VPC, subnets, IGW, route tables, the SG pair,
    NAT gateway + EIP, bastion and web-dev."""
    ec2 = session.client("ec2")
    sp = lambda kind, name: spec(kind, student, name, cohort)  # noqa: E731
    vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16", TagSpecifications=sp("vpc", "VPC-A"))["Vpc"]["VpcId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.1.0/24", AvailabilityZone="us-east-1a",
                               TagSpecifications=sp("subnet", "SN-A-01"))["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n}.2.0/24", AvailabilityZone="us-east-1b",
                                TagSpecifications=sp("subnet", "SN-A-02"))["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway(TagSpecifications=sp("internet-gateway", "VPC-A-IGW"))["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=sp("route-table", "RT-Public"))["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=sp("elastic-ip", "VPC-A-NAT-EIP"))["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip, TagSpecifications=sp("natgateway", "VPC-A-NAT"))["NatGateway"]["NatGatewayId"]
    private_rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=sp("route-table", "RT-Private"))["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private)
    ec2.create_route(RouteTableId=private_rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    bastion_sg = ec2.create_security_group(GroupName=f"{student}-bastion-SG-x", Description="bastion", VpcId=vpc,
                                           TagSpecifications=sp("security-group", "bastion-SG"))["GroupId"]
    web_sg = ec2.create_security_group(GroupName=f"{student}-web-dev-SG-x", Description="web-dev", VpcId=vpc,
                                       TagSpecifications=sp("security-group", "web-dev-SG"))["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": bastion_sg}]}])
    ami = linux_ami(ec2)
    instances = {}
    for host, subnet, group in (("bastion", public, bastion_sg), ("web-dev", private, web_sg)):
        instances[host] = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=subnet,
                                            SecurityGroupIds=[group], TagSpecifications=sp("instance", host))["Instances"][0]["InstanceId"]
    return {"vpc": vpc, "nat": nat, "eip": eip, "public_subnet": public, "private_subnet": private, **instances}


def lamp_extras(session, student: str, subnets: list[str]) -> None:
    rds = session.client("rds")
    rds.create_db_subnet_group(DBSubnetGroupName=f"{student}-db-x", DBSubnetGroupDescription="db", SubnetIds=subnets,
                               Tags=tags(student, "db-subnet-group", lab="lamp"))
    rds.create_db_instance(DBInstanceIdentifier=f"database-1-{student}-x", Engine="mysql", DBInstanceClass="db.t3.micro",
                           AllocatedStorage=20, StorageType="gp2", MasterUsername="admin", MasterUserPassword="x" * 16,
                           DBSubnetGroupName=f"{student}-db-x", Tags=tags(student, "database-1", lab="lamp"))
    s3 = session.client("s3")
    bucket = f"fall26-{student}-site1-123456789012"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags(student, "bucket-site1", lab="object-storage")})
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<html></html>")


def test_sweep_reports_what_is_left_per_student_with_its_hourly_cost(aws):
    a = vpc_nat_student(aws, 1, "u101")
    vpc_nat_student(aws, 2, "u102")
    lamp_extras(aws, "u101", [a["private_subnet"], a["public_subnet"]])  # RDS wants two AZs
    other = vpc_nat_student(aws, 9, "x999", cohort="spring27")  # another cohort: never reported
    found = Sweeper(aws, "fall26", load_prices(), REGION).find()
    kinds = {}
    for item in found:
        kinds.setdefault(item.student, []).append(item.kind)
    assert sorted(kinds) == ["u101", "u102"]
    assert sorted(kinds["u102"]) == sorted(["instance", "instance", "NAT gateway", "Elastic IP", "security group",
                                            "security group", "subnet", "subnet", "route table", "route table",
                                            "internet gateway", "VPC"])
    assert {"database", "DB subnet group", "bucket"} <= set(kinds["u101"])
    by_id = {item.id: item for item in found}
    assert by_id[a["nat"]].hourly == 0.045 and by_id[a["eip"]].hourly == 0.005
    assert by_id[a["bastion"]].hourly == pytest.approx(0.0104) and by_id[a["bastion"]].detail == "t3.micro"
    assert by_id["database-1-u101-x"].hourly == pytest.approx(0.017 + 20 * 0.115 / 730)
    assert all(item.expires == "2026-12-19" for item in found)
    assert other["vpc"] not in by_id
    assert kinds["u101"].index("instance") < kinds["u101"].index("VPC")  # listed in deletion order


def test_delete_in_dependency_order_leaves_nothing_and_touches_no_other_cohort(aws):
    a = vpc_nat_student(aws, 1, "u101")
    vpc_nat_student(aws, 2, "u102")
    lamp_extras(aws, "u101", [a["private_subnet"], a["public_subnet"]])  # RDS wants two AZs
    other = vpc_nat_student(aws, 9, "x999", cohort="spring27")
    sweeper = Sweeper(aws, "fall26", load_prices(), REGION)
    deleted: list[str] = []
    failures = sweeper.delete(sweeper.find(), log=deleted.append)
    assert failures == []
    assert sweeper.find() == []
    assert deleted.index(next(d for d in deleted if d.startswith("deleted instance"))) < \
        deleted.index(next(d for d in deleted if d.startswith("deleted VPC")))
    survivors = Sweeper(aws, "spring27", load_prices(), REGION).find()
    assert {x.id for x in survivors} >= {other["vpc"], other["nat"], other["bastion"]}


def test_stop_and_start_keep_the_work_and_leave_auto_scaling_instances_alone(aws):
    a = vpc_nat_student(aws, 1, "u101")
    b = vpc_nat_student(aws, 2, "u102")
    lamp_extras(aws, "u101", [a["private_subnet"], a["public_subnet"]])  # RDS wants two AZs
    ec2, rds = aws.client("ec2"), aws.client("rds")
    ami = linux_ami(ec2)
    member = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=a["private_subnet"],
                               TagSpecifications=[{"ResourceType": "instance", "Tags": tags("u101", "web-ASG-instance") + [
                                   {"Key": "aws:autoscaling:groupName", "Value": "u101-web-ASG"}]}])["Instances"][0]["InstanceId"]
    runner = PowerRunner(aws, {"fall26-u101": ("fall26", "u101")})
    lines: list[str] = []
    outcome = runner.run("fall26-u101", "stop", lines.append, lambda n: None)
    state = lambda i: ec2.describe_instances(InstanceIds=[i])["Reservations"][0]["Instances"][0]["State"]["Name"]  # noqa: E731
    assert state(a["bastion"]) == "stopped" and state(a["web-dev"]) == "stopped"
    assert state(member) == "running" and state(b["bastion"]) == "running"  # another student untouched
    assert rds.describe_db_instances(DBInstanceIdentifier="database-1-u101-x")["DBInstances"][0]["DBInstanceStatus"] == "stopped"
    assert outcome.summary == "2 instance(s), 1 database(s) stopped; 1 Auto Scaling instance(s) left alone"
    assert any("left alone" in line for line in lines)
    runner.run("fall26-u101", "start", lines.append, lambda n: None)
    assert state(a["bastion"]) == "running"
    assert rds.describe_db_instances(DBInstanceIdentifier="database-1-u101-x")["DBInstances"][0]["DBInstanceStatus"] == "available"


def test_sweep_and_stop_through_the_cli(aws, capsys, monkeypatch, tmp_path):
    from labctl.cli import runners
    from labctl.cli.main import main
    monkeypatch.setattr(runners, "make_session", lambda region, command="": aws)
    monkeypatch.setattr(runners, "make_power_runner", lambda args, owners: PowerRunner(aws, owners))
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    shared_account_environments(monkeypatch, tmp_path)
    vpc_nat_student(aws, 1, "s01", cohort="demo")
    assert main(["stop", "demo", "--students", "s01"]) == 0
    out = capsys.readouterr().out
    assert "demo-s01" in out and "2 instance(s)" not in out  # the table shows the result, the log the details
    assert main(["sweep", "demo"]) == 1
    out = capsys.readouterr().out
    assert "Left of cohort demo in us-east-1" in out and "NAT gateway" in out and "$0.0450" in out
    assert "2026-12-19" in out  # the expiry tag of what is left
    assert main(["sweep", "demo", "--delete"]) == 0
    out = capsys.readouterr().out
    assert "after deletion: 0 left" in out
    assert main(["sweep", "demo"]) == 0 and "nothing left: the teardown is complete" in capsys.readouterr().out


def test_start_brings_the_outputs_up_to_date_and_says_so_when_it_cannot(aws, capsys, monkeypatch, tmp_path):
    from labctl.cli import runners
    from labctl.cli.main import main

    from .fakerunner import FakeRunner
    monkeypatch.setattr(runners, "make_power_runner", lambda args, owners: PowerRunner(aws, owners))
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    pulumi = FakeRunner()
    monkeypatch.setattr(runners, "make_pulumi_runner", lambda args, owners: pulumi)
    shared_account_environments(monkeypatch, tmp_path)
    vpc_nat_student(aws, 1, "s01", cohort="demo")
    assert main(["stop", "demo", "--students", "s01"]) == 0
    assert main(["start", "demo", "--students", "s01"]) == 0
    assert pulumi.calls == [("demo-s01", "outputs")]  # pulumi up --refresh: new public IPs in the outputs
    assert main(["start", "demo", "--students", "s01", "--no-outputs"]) == 0 and len(pulumi.calls) == 1

    def no_cli(args, owners):
        raise ValueError("the Pulumi CLI is not on PATH")
    monkeypatch.setattr(runners, "make_pulumi_runner", no_cli)
    capsys.readouterr()
    assert main(["start", "demo", "--students", "s01"]) == 0
    assert "the stack outputs still show the old public IPs (the Pulumi CLI is not on PATH)" in capsys.readouterr().out


def test_sweep_prices_a_windows_instance_with_its_license(aws):
    """Chapter 3's Windows server left running bills the license with the hour."""
    ec2 = aws.client("ec2")
    a = vpc_nat_student(aws, 1, "u101")
    windows = catalog_image(ec2, windows=True)
    vm = ec2.run_instances(ImageId=windows, MinCount=1, MaxCount=1, InstanceType="t3.micro", SubnetId=a["private_subnet"],
                           TagSpecifications=[{"ResourceType": "instance", "Tags": [
                               {"Key": "cloudlabs:cohort", "Value": "fall26"}, {"Key": "cloudlabs:student", "Value": "u101"}]}])
    (found,) = [x for x in Sweeper(aws, "fall26", load_prices(), REGION).find() if x.id == vm["Instances"][0]["InstanceId"]]
    assert found.hourly == pytest.approx(0.0196)


def test_sweep_leaves_beanstalks_own_bucket_and_says_how_to_remove_it(aws, capsys, monkeypatch, tmp_path):
    """Elastic Beanstalk keeps elasticbeanstalk-<region>-<account> for itself (untagged, deletion denied
    by its policy): never the cohort's, so the sweep leaves it and says so, the teardown still complete."""
    from labctl.cli import runners
    from labctl.cli.main import main
    monkeypatch.setattr(runners, "make_session", lambda region, command="": aws)
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    shared_account_environments(monkeypatch, tmp_path)
    account = aws.client("sts").get_caller_identity()["Account"]
    bucket = f"elasticbeanstalk-us-east-1-{account}"
    aws.client("s3").create_bucket(Bucket=bucket)
    assert main(["sweep", "demo"]) == 0
    captured = capsys.readouterr()
    assert "nothing left: the teardown is complete" in captured.out
    assert f"bucket {bucket} is the Beanstalk environments' own storage" in captured.err
    assert f"aws s3api delete-bucket-policy --bucket {bucket} && aws s3 rb s3://{bucket} --force" in captured.err
    assert main(["sweep", "demo", "--delete"]) == 0 and "own storage" in capsys.readouterr().err
    assert bucket in [b["Name"] for b in aws.client("s3").list_buckets()["Buckets"]]  # never deleted
    aws.client("s3").delete_bucket(Bucket=bucket)
    assert main(["sweep", "demo"]) == 0 and "own storage" not in capsys.readouterr().err
