"""Live grading and drift on the emulator: deploy a starter, apply the book's fix by hand with
boto3, and grade; a partial fix fails naming what still blocks; drift lists exactly the changes
made by hand. Reads only: nothing the students built is changed by grade or drift."""

from __future__ import annotations

import csv
import io
import json


import boto3
import pytest
import yaml
from moto import mock_aws

from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.render import ENVIRONMENTS, render_file
from labctl.ops import emulate

REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch, tmp_path):
    """In-process moto; grade and drift read it through the same seam the CLI uses for AWS."""
    with mock_aws():
        session = boto3.Session(region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        monkeypatch.setattr(runners, "make_live_client", lambda region, command, endpoint_url=None: session.client)
        yield session


def deploy(session, stack: str, tmp_path, environments=ENVIRONMENTS):
    emulate.up(render_file(environments / f"Pulumi.{stack}.yaml"), session, tmp_path / "state")


def by_name(ec2, kind: str, name: str) -> dict:
    """A resource of the student's lab by its Name tag (describe_<kind>)."""
    items = {"route_tables": "RouteTables", "security_groups": "SecurityGroups", "subnets": "Subnets",
             "internet_gateways": "InternetGateways", "vpcs": "Vpcs", "network_acls": "NetworkAcls"}[kind]
    found = [i for i in getattr(ec2, f"describe_{kind}")(Filters=[{"Name": "tag:Name", "Values": [name]}])[items]]
    assert len(found) == 1, (kind, name, found)
    return found[0]


def snapshot(ec2) -> str:
    """Everything grade could touch, to prove it touched nothing."""
    return json.dumps([ec2.describe_route_tables()["RouteTables"], ec2.describe_security_group_rules()["SecurityGroupRules"],
                       ec2.describe_network_acls()["NetworkAcls"]], sort_keys=True, default=str)


def grade(capsys, *args: str) -> tuple[int, str]:
    code = main(["grade", *args])
    return code, capsys.readouterr().out


def grade_json(capsys, *args: str) -> tuple[int, list[dict]]:
    """The grades as data (the table is for people; its wrapping depends on the terminal)."""
    code = main(["grade", *args, "--json", "-"])
    return code, json.loads(capsys.readouterr().out)


def blockers(student: dict) -> list[str]:
    return [p["blockedBy"] or "open, and must not be" for p in student["paths"] if not p["passed"]]


# --- vpc-nat (chapter 7.1-7.2): the NAT gateway, its route, web-dev's HTTP rule -------------------------


def fix_vpc_nat(ec2, route: bool = True, http_rule: bool = True) -> None:
    public = by_name(ec2, "subnets", "SN-A-01")
    eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public["SubnetId"], AllocationId=eip["AllocationId"])["NatGateway"]
    if route:
        table = by_name(ec2, "route_tables", "VPC-A-RT-Private")
        ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat["NatGatewayId"])
    if http_rule:
        web, bastion = by_name(ec2, "security_groups", "web-dev-SG"), by_name(ec2, "security_groups", "bastion-SG")
        ec2.authorize_security_group_ingress(GroupId=web["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": bastion["GroupId"]}]}])


def test_the_starter_is_graded_incomplete_with_what_blocks(aws, capsys, tmp_path):
    deploy(aws, "demo-s02", tmp_path)
    code, out = grade(capsys, "demo-s02")
    assert code == 1 and "0 of 1 students complete" in out
    code, (student,) = grade_json(capsys, "demo-s02")
    assert (student["passed"], student["total"], student["complete"]) == (5, 8, False)
    assert blockers(student) == [
        "security group web-dev-SG of web-dev has no inbound rule for tcp 80 from bastion",
        *["route table VPC-A-RT-Private (" + p["blockedBy"].split("(", 1)[1] for p in student["paths"]
          if not p["passed"] and p["path"].startswith("web-dev")],
    ]


def test_csv_on_stdout_is_the_csv_alone(aws, capsys):
    """`--csv -` feeds a gradebook through a pipe: the table goes to stderr, stdout holds only the CSV."""
    code = main(["grade", "demo-s02", "--csv", "-"])  # nothing deployed: one row, "no lab network found"
    out, err = capsys.readouterr()
    assert code == 1
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:2] == ["stack", "student"] and [r[0] for r in rows[1:]] == ["demo-s02"]
    assert "Grades at stage solution" in err


def test_the_books_fix_passes_and_exports_a_csv(aws, capsys, tmp_path):
    deploy(aws, "demo-s02", tmp_path)
    ec2 = aws.client("ec2")
    fix_vpc_nat(ec2)
    before = snapshot(ec2)
    code, out = grade(capsys, "demo-s02", "--csv", str(tmp_path / "grades.csv"))
    assert code == 0, out
    assert "1 of 1 students complete" in out and "8/8" in out
    rows = list(csv.DictReader(io.StringIO((tmp_path / "grades.csv").read_text())))
    assert rows == [{"stack": "demo-s02", "student": "s02", "passed": "8", "total": "8", "complete": "yes", "first blocking": ""}]
    assert snapshot(ec2) == before  # grading read, and changed nothing


@pytest.mark.parametrize("route, http_rule, blocker", [
    (False, True, "route table VPC-A-RT-Private"),
    (True, False, "has no inbound rule for tcp 80 from bastion"),
])
def test_a_partial_fix_fails_naming_what_still_blocks(aws, capsys, tmp_path, route, http_rule, blocker):
    deploy(aws, "demo-s02", tmp_path)
    fix_vpc_nat(aws.client("ec2"), route=route, http_rule=http_rule)
    code, (student,) = grade_json(capsys, "demo-s02")
    assert code == 1
    assert blockers(student) and all(blocker in b for b in blockers(student)), blockers(student)


def test_drift_lists_exactly_the_changes_made_by_hand(aws, capsys, tmp_path):
    deploy(aws, "demo-s02", tmp_path)
    assert main(["drift", "demo-s02"]) == 0
    assert "demo-s02: no drift" in capsys.readouterr().out
    ec2 = aws.client("ec2")
    fix_vpc_nat(ec2)
    assert main(["drift", "demo-s02", "--json", "-"]) == 1
    (report,) = json.loads(capsys.readouterr().out)
    nat = ec2.describe_nat_gateways()["NatGateways"][0]["NatGatewayId"]
    assert report["addedByHand"] == [
        f"resource NAT gateway {nat}",
        f"route VPC-A-RT-Private: 0.0.0.0/0 -> NAT gateway {nat}",
        "sg-rule web-dev-SG: tcp 80 in from group bastion-SG",
    ]
    assert report["missingFromAws"] == []


def test_drift_sees_what_was_deleted_by_hand(aws, capsys, tmp_path):
    deploy(aws, "demo-s03", tmp_path)  # vpc-nat solution: the NAT route is part of the plan
    ec2 = aws.client("ec2")
    table = by_name(ec2, "route_tables", "VPC-A-RT-Private")
    ec2.delete_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0")
    assert main(["drift", "demo-s03"]) == 1
    out = capsys.readouterr().out
    assert "0 added by hand, 1 missing or changed" in out
    assert "- route VPC-A-RT-Private: 0.0.0.0/0 -> NAT gateway VPC-A-NAT" in out


# --- dual-stack (chapter 6): the ::/0 route ----------------------------------------------------------------


def test_dual_stack_needs_the_ipv6_default_route(aws, capsys, tmp_path):
    deploy(aws, "demo-net-n04", tmp_path)
    ec2 = aws.client("ec2")
    assert grade(capsys, "demo-net-n04")[0] == 1
    table = next(t for t in ec2.describe_route_tables(Filters=[{"Name": "tag:cloudlabs:student", "Values": ["n04"]}])["RouteTables"]
                 if any(r.get("GatewayId", "").startswith("igw-") for r in t["Routes"]))
    igw = next(r["GatewayId"] for r in table["Routes"] if r.get("GatewayId", "").startswith("igw-"))
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    code, out = grade(capsys, "demo-net-n04")
    assert code == 0, out


# --- vpc-peering (chapter 7.4): the peer's CIDR in all four route tables -----------------------------------


def peering_routes(ec2, directions: tuple[str, ...]) -> None:
    pcx = ec2.describe_vpc_peering_connections()["VpcPeeringConnections"][0]["VpcPeeringConnectionId"]
    cidrs = {"A": by_name(ec2, "vpcs", "VPC-A")["CidrBlock"], "B": by_name(ec2, "vpcs", "VPC-B")["CidrBlock"]}
    for side in directions:
        peer = "B" if side == "A" else "A"
        for tier in ("Public", "Private"):
            table = by_name(ec2, "route_tables", f"VPC-{side}-RT-{tier}")
            ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock=cidrs[peer], VpcPeeringConnectionId=pcx)


def test_peering_routes_in_both_directions_pass_one_direction_fails(aws, capsys, tmp_path):
    deploy(aws, "demo-net-n06", tmp_path)
    ec2 = aws.client("ec2")
    peering_routes(ec2, ("A",))  # only VPC-A knows the way: replies never come back
    code, (student,) = grade_json(capsys, "demo-net-n06")
    assert code == 1
    assert blockers(student) and all("VPC-B-RT" in b for b in blockers(student)), blockers(student)
    peering_routes(ec2, ("B",))
    assert grade(capsys, "demo-net-n06")[0] == 0


# --- ec2-webserver (chapter 3): the HTTP rule --------------------------------------------------------------


def test_ec2_webserver_needs_http_on_port_80_not_another(aws, capsys, tmp_path):
    environments = tmp_path / "environments"
    environments.mkdir()
    settings = yaml.safe_load((ENVIRONMENTS / "Pulumi.demo-s01.yaml").read_text())
    settings["config"]["cloudlabs:labs"] = [{"lab": "ec2-webserver", "stage": "starter", "options": {"count": 3}}]
    (environments / "Pulumi.demo-s01.yaml").write_text(yaml.safe_dump(settings))
    deploy(aws, "demo-s01", tmp_path, environments)
    ec2 = aws.client("ec2")
    group = by_name(ec2, "security_groups", "web-SG")

    def open_port(port: int) -> None:
        ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])

    open_port(8080)  # the wrong port
    code, (student,) = grade_json(capsys, "demo-s01", "--environments", str(environments))
    assert code == 1
    assert blockers(student) == [f"security group web-SG of VM{i} has no inbound rule for tcp 80 from the internet"
                                 for i in (1, 2, 3)]
    open_port(80)
    assert grade(capsys, "demo-s01", "--environments", str(environments))[0] == 0


# --- many students, one unreadable ------------------------------------------------------------------------


def test_a_student_whose_network_is_gone_is_reported_and_the_others_graded(aws, capsys, tmp_path):
    deploy(aws, "demo-s02", tmp_path)
    fix_vpc_nat(aws.client("ec2"))
    code, out = grade(capsys, "demo-s02", "demo-s03")  # demo-s03 was never deployed
    assert code == 1 and "1 of 2 students complete" in out
    code, grades = grade_json(capsys, "demo-s02", "demo-s03")
    assert [(g["stack"], g["complete"], g["total"]) for g in grades] == [("demo-s02", True, 8), ("demo-s03", False, 0)]
    assert grades[1]["error"].startswith("no lab network found")


def test_endpoint_urls_other_than_the_local_sandbox_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grade", "demo-s02", "--endpoint-url", "http://10.0.0.5:5000"])
    assert exit_.value.code == 2
    assert "allowed: http://127.0.0.1:PORT" in capsys.readouterr().err


def test_a_host_deleted_by_hand_fails_its_paths_with_the_reason(aws, capsys, tmp_path):
    deploy(aws, "demo-s02", tmp_path)
    ec2 = aws.client("ec2")
    fix_vpc_nat(ec2)
    web_dev = [i["InstanceId"] for r in ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["web-dev"]}])["Reservations"]
               for i in r["Instances"]]
    ec2.terminate_instances(InstanceIds=web_dev)
    code, (student,) = grade_json(capsys, "demo-s02")
    assert code == 1
    assert {p["path"] for p in student["paths"] if not p["passed"]} == {
        "internet -> web-dev:80", "bastion -> web-dev:22", "bastion -> web-dev:80", "web-dev -> internet:443",
        "web-dev -> internet (icmp)"} - {"internet -> web-dev:80"}



# --- access-control (chapter 5): the NACL's package-install rules ---------------------------------------------


def nacl_entries(ec2, outbound_https: bool = True, inbound_ephemeral: bool = True) -> None:
    acl = by_name(ec2, "network_acls", "NACL-SN-0")
    if outbound_https:
        ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=20, Protocol="6", RuleAction="allow",
                                     Egress=True, CidrBlock="0.0.0.0/0", PortRange={"From": 443, "To": 443})
    if inbound_ephemeral:
        ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=20, Protocol="6", RuleAction="allow",
                                     Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 1024, "To": 65535})


@pytest.mark.parametrize("outbound_https, inbound_ephemeral, complete", [
    (True, True, True), (True, False, False), (False, True, False)])
def test_access_control_needs_both_nacl_rules_for_package_installs(aws, capsys, tmp_path, outbound_https, inbound_ephemeral,
                                                                   complete):
    deploy(aws, "demo-net-n02", tmp_path)  # stage ssh: SSH works, package installs do not
    nacl_entries(aws.client("ec2"), outbound_https, inbound_ephemeral)
    code, (student,) = grade_json(capsys, "demo-net-n02", "--stage", "solution")
    assert (code == 0) == complete and student["complete"] == complete
    if not complete:
        assert blockers(student) and all("NACL-SN-0" in b for b in blockers(student)), blockers(student)


# --- object-storage (chapter 9): the bucket policies, Block Public Access, the CORS rule --------------------


def bucket_named(s3, purpose: str, student: str = "a03") -> str:
    (name,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"demo-app-{student}-{purpose}-")]
    return name


def fix_buckets(session, jpg_pattern: str = "*.JPG", cors: bool = True) -> None:
    """The book's steps: open the public buckets and write their policies, site 2's CORS rule, and
    the endpoint bucket's policy (reads only through the lab's endpoint)."""
    from cloudlabs import policies
    s3, ec2 = session.client("s3"), session.client("ec2")

    def put(purpose: str, document: dict, public: bool) -> None:
        name = bucket_named(s3, purpose)
        if public:
            s3.delete_public_access_block(Bucket=name)
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(document))

    arn = lambda purpose: f"arn:aws:s3:::{bucket_named(s3, purpose)}"  # noqa: E731
    put("public", policies.public_read(arn("public")), True)
    put("jpg", policies.suffix_read(arn("jpg"), jpg_pattern), True)
    admin = yaml.safe_load((ENVIRONMENTS / "Pulumi.demo-app-a03.yaml").read_text())["config"]["cloudlabs:adminCidr"]
    put("png", policies.suffix_from_cidr(arn("png"), "*.PNG", admin), False)
    (endpoint,) = ec2.describe_vpc_endpoints()["VpcEndpoints"]
    put("vpce", policies.through_endpoint(arn("vpce"), endpoint["VpcEndpointId"]), False)
    if cors:
        site1 = bucket_named(s3, "site1")
        s3.put_bucket_cors(Bucket=bucket_named(s3, "site2"), CORSConfiguration={"CORSRules": [
            {"AllowedOrigins": [f"http://{site1}.s3-website-us-east-1.amazonaws.com"], "AllowedMethods": ["GET"]}]})


def test_object_storage_is_graded_on_its_bucket_policies(aws, capsys, tmp_path):
    deploy(aws, "demo-app-a03", tmp_path)  # starter: every bucket private but the two CORS websites
    code, (student,) = grade_json(capsys, "demo-app-a03")
    assert code == 1
    assert {p["path"] for p in student["paths"] if not p["passed"]} == {
        "anyone reads public/Capture.PNG", "anyone reads jpg/top_folder/folder1/number1.JPG",
        "admin reads png/top_folder/folder1/orangebucket.PNG", "site2 allows site1's origin (CORS)",
        "endpoint reads vpce/endpoint-test.txt"}
    fix_buckets(aws)
    code, (student,) = grade_json(capsys, "demo-app-a03")
    assert code == 0, blockers(student)


def test_a_lowercase_jpg_pattern_or_a_missing_cors_rule_is_named(aws, capsys, tmp_path):
    deploy(aws, "demo-app-a03", tmp_path)
    fix_buckets(aws, jpg_pattern="*.jpg", cors=False)  # the book warns: the case of the suffix matters
    code, (student,) = grade_json(capsys, "demo-app-a03")
    assert code == 1
    reasons = blockers(student)
    assert len(reasons) == 2
    assert any("lets anyone read top_folder/folder1/number1.JPG" in r for r in reasons)
    assert any("has no CORS rule allowing GET" in r for r in reasons)


def test_the_deployed_solution_grades_complete_buckets_included(aws, capsys, tmp_path):
    deploy(aws, "demo-app-a04", tmp_path)  # object-storage solution: the program's own policies and CORS rule
    code, (student,) = grade_json(capsys, "demo-app-a04")
    assert code == 0, blockers(student)
    assert student["total"] == 13  # 3 network paths of the endpoint part, 10 bucket checks


def test_a_class_read_asks_whose_a_listed_resource_is_once_for_the_class():
    """Beanstalk applications are listed whole and each student's reader asks an application's tags
    to tell whose it is: on a class read (SharedListings) each is asked once, its refusal included,
    not once per student (250 students with an application each would be 62,500 calls)."""
    from botocore.exceptions import ClientError

    from labctl.ops.live import SharedListings

    asked: list[dict[str, str]] = []

    class Beanstalk:
        def list_tags_for_resource(self, **kwargs: str) -> dict:
            asked.append(kwargs)
            if kwargs["ResourceArn"] == "arn:gone":
                raise ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "ListTagsForResource")
            return {"ResourceTags": [{"Key": "owner", "Value": kwargs["ResourceArn"]}]}

        def describe_environments(self, **kwargs: str) -> dict:
            asked.append(kwargs)
            return {"Environments": []}

    shared = SharedListings(lambda service: Beanstalk())
    for _student in range(3):
        eb = shared("elasticbeanstalk")
        for arn in ("arn:a", "arn:b"):
            assert eb.list_tags_for_resource(ResourceArn=arn)["ResourceTags"][0]["Value"] == arn
        with pytest.raises(ClientError, match="gone"):
            eb.list_tags_for_resource(ResourceArn="arn:gone")
        eb.describe_environments(ApplicationName="a")  # not a read about whose it is: each student's own
    assert asked.count({"ResourceArn": "arn:a"}) == asked.count({"ResourceArn": "arn:gone"}) == 1
    assert asked.count({"ApplicationName": "a"}) == 3


def test_a_class_read_reads_each_ecs_cluster_once_for_the_class(aws):
    """Every ECS cluster of the account is listed whole; its services and their tasks are read once
    for a class (SharedListings), not once per student, and each reader gets the same answer."""
    from labctl.ops.live import SharedListings

    from .emulated import counting_calls

    ecs = aws.client("ecs")
    cluster = ecs.create_cluster(clusterName="c1")["cluster"]["clusterArn"]
    calls: list[str] = []
    shared = SharedListings(counting_calls(aws.client, calls))
    answers = [[s for page in shared("ecs").get_paginator("list_services").paginate(cluster=cluster) for s in page["serviceArns"]]
               + shared("ecs").describe_services(cluster=cluster, services=["web"])["failures"]
               for _student in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert calls.count("ListServices") == calls.count("DescribeServices") == 1
