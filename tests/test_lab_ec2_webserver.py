"""ec2-webserver (chapter 3): the graph a student gets, stage by stage."""

from __future__ import annotations

import pytest

from .conftest import lab_graph
from .graphtools import (
    ASSOCIATION, EGRESS, INGRESS, INSTANCE, ROUTE, ROUTE_TABLE, SG, SUBNET, VPC, IGW,
    associations, instances, routes, sg_rules, subnets,
)

ADMIN = "203.0.113.0/24"


def counts(graph):
    return dict(graph.type_counts())


def test_solution_resource_kinds_and_counts():
    graph = lab_graph("ec2-webserver", options={"count": 3})
    assert counts(graph) == {VPC: 1, IGW: 1, SUBNET: 6, ROUTE_TABLE: 1, ROUTE: 1, ASSOCIATION: 6,
                             SG: 1, INGRESS: 3, EGRESS: 1, INSTANCE: 3}


def test_vpc_is_default_like_with_dns_hostnames():
    graph = lab_graph("ec2-webserver", seat=17, student="s17")
    (vpc,) = graph.of_type(VPC)
    assert vpc.inputs["cidrBlock"] == "10.17.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    assert {name: s.inputs["cidrBlock"] for name, s in subnets(graph).items()} == {
        f"SN-{16 * i}": f"10.17.{16 * i}.0/20" for i in range(6)}
    assert all(s.inputs["mapPublicIpOnLaunch"] is True for s in subnets(graph).values())


def test_every_subnet_routes_to_the_internet_gateway():
    graph = lab_graph("ec2-webserver")
    assert routes(graph) == {("VPC-RT-Public", "0.0.0.0/0", "igw:VPC-IGW")}
    assert associations(graph) == {f"SN-{16 * i}": "VPC-RT-Public" for i in range(6)}


@pytest.mark.parametrize("stage,http", [("starter", False), ("solution", True)])
def test_security_group_rules_per_stage(stage, http):
    graph = lab_graph("ec2-webserver", stage=stage)
    expected = {("web-SG", "in", "tcp", 22, 22, ADMIN), ("web-SG", "out", "-1", None, None, "0.0.0.0/0"),
                ("web-SG", "in", "tcp", 22, 22, "sg:web-SG")}  # VM1 -> VM2 over SSH (chapter 13, L11127)
    if http:
        expected.add(("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0"))
    assert sg_rules(graph) == expected


def test_one_server_per_subnet_with_the_coursework_os_alternation():
    graph = lab_graph("ec2-webserver", options={"count": 6, "os": "alternate"})
    vms = instances(graph)
    assert sorted(vms) == [f"VM{i}" for i in range(1, 7)]
    by_id = {s.id: name for name, s in subnets(graph).items()}
    for i in range(1, 7):
        vm = vms[f"VM{i}"]
        assert by_id[vm.inputs["subnetId"]] == f"SN-{16 * (i - 1)}"
        ubuntu = i % 2 == 0
        assert ("nginx" in vm.inputs["userData"]) is ubuntu
        assert ("httpd" in vm.inputs["userData"]) is not ubuntu
        assert 'echo "<html><body><h1>Hello from $(hostname -f)</h1></body></html>" > /var/www/html/index.html' in vm.inputs["userData"]
    ubuntu_amis = {vms[f"VM{i}"].inputs["ami"] for i in (2, 4, 6)}
    linux_amis = {vms[f"VM{i}"].inputs["ami"] for i in (1, 3, 5)}
    assert len(ubuntu_amis) == 1 and len(linux_amis) == 1 and ubuntu_amis != linux_amis


def test_servers_are_public_and_answer_on_their_public_ip():
    graph = lab_graph("ec2-webserver", options={"count": 2, "os": "ubuntu-24.04"})
    out = graph.outputs["ec2-webserver"]
    for name, vm in instances(graph).items():
        assert vm.inputs["associatePublicIpAddress"] is True
        assert vm.inputs["keyName"] == "vockey"
        server = out["servers"][name]
        assert server["publicIp"] == vm.outputs["publicIp"]
        assert server["url"] == f"http://{vm.outputs['publicIp']}/"
        assert server["ssh"] == f"ssh -i labsuser.pem ubuntu@{vm.outputs['publicIp']}"
    assert out["urls"] == [out["servers"]["VM1"]["url"], out["servers"]["VM2"]["url"]]
    assert out["vpcCidr"] == "10.1.0.0/16"


def test_subnets_avoid_zones_without_the_instance_type():
    """us-east-1e offers no t3: subnets for t3 servers skip it (six servers then share a zone);
    subnets without a server, and t2 servers, may use it."""
    t3 = {s.inputs["availabilityZone"] for s in lab_graph("ec2-webserver", instanceType="t3.micro", options={"count": 6}).of_type(SUBNET)}
    t2 = {s.inputs["availabilityZone"] for s in lab_graph("ec2-webserver", instanceType="t2.micro", options={"count": 6}).of_type(SUBNET)}
    assert "us-east-1e" not in t3 and len(t3) == 5
    assert "us-east-1e" in t2 and len(t2) == 6


def test_without_a_key_pair_the_ssh_command_uses_the_default_identity():
    graph = lab_graph("ec2-webserver", options={"count": 1}, keyName=None)
    (vm,) = graph.of_type(INSTANCE)
    assert "keyName" not in vm.inputs
    assert graph.outputs["ec2-webserver"]["servers"]["VM1"]["ssh"] == f"ssh ec2-user@{vm.outputs['publicIp']}"


def test_metadata_questions_of_chapter_4_are_printed_in_their_imdsv2_form():
    """IMDSv2 stays required (no plain GET: 401); the book's questions come with a token."""
    graph = lab_graph("ec2-webserver")
    assert all(vm.inputs["metadataOptions"]["httpTokens"] == "required" for vm in instances(graph).values())
    commands = graph.outputs["ec2-webserver"]["metadataCommands"]
    assert commands[0].startswith("TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token")
    assert len(commands) == 17
    assert 'curl -s -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/placement/availability-zone' in commands
    assert all("$TOKEN" in c for c in commands[1:])


def test_vpc_only_start_for_the_cli_and_boto3_assignment():
    """count 0 (L2559-2635): the VPC and the group (SSH and HTTP), no server; the outputs are the
    ids the student's run-instances and boto3 calls need."""
    graph = lab_graph("ec2-webserver", options={"count": 0})
    assert not graph.of_type(INSTANCE)
    out = graph.outputs["ec2-webserver"]
    nets = subnets(graph)
    (group,) = graph.of_type(SG)
    assert out["subnetIds"] == {name: s.id for name, s in nets.items()} and out["securityGroupId"] == group.id
    assert set(out["amis"]) == {"amazon-linux-2023", "ubuntu-24.04"} and out["amis"]["amazon-linux-2023"].startswith("ami-")
    assert f"--subnet-id {nets['SN-32'].id} --security-group-ids {group.id}" in out["cliExampleVm3"]
    assert "--key-name vockey" in out["cliExampleVm3"] and "HttpTokens=required" in out["cliExampleVm3"]
    assert ("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0") in sg_rules(graph)


# --- Windows Server (chapter 3, L2425) ---------------------------------------------------------------------

WINDOWS = {"os": "windows-server-2019", "count": 2}


def test_windows_servers_take_rdp_from_the_admin_cidr_only_and_serve_iis():
    from .graphtools import sg_rules
    graph = lab_graph("ec2-webserver", options=WINDOWS)
    assert sg_rules(graph) == {
        ("web-SG", "in", "tcp", 3389, 3389, "203.0.113.0/24"), ("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0"),
        ("web-SG", "out", "-1", None, None, "0.0.0.0/0")}  # no SSH at all, and no SSH between members
    for vm in instances(graph).values():
        assert vm.inputs["userData"].startswith("<powershell>") and "Install-WindowsFeature -Name Web-Server" in vm.inputs["userData"]
        assert "Hello from $env:COMPUTERNAME" in vm.inputs["userData"]
        assert vm.inputs["rootBlockDevice"]["volumeSize"] == 30 and vm.inputs["tags"]["cloudlabs:os"] == "windows"
        assert vm.inputs["metadataOptions"]["httpTokens"] == "required"


def test_windows_ami_is_looked_up_at_deploy_time_and_the_password_retrieval_is_explained():
    graph = lab_graph("ec2-webserver", options=WINDOWS)
    (ami,) = {vm.inputs["ami"] for vm in instances(graph).values()}
    assert ami.startswith("ami-")
    vm1 = graph.outputs["ec2-webserver"]["servers"]["VM1"]
    assert "ssh" not in vm1 and vm1["rdp"].startswith(f"mstsc /v:{vm1['publicIp']}")
    # Learner Lab's "Download PEM" saves vockey's key as labsuser.pem (profile keyFiles); the stack's keyFile wins
    assert vm1["password"].startswith("aws ec2 get-password-data --instance-id i-") and "--priv-launch-key labsuser.pem " in vm1["password"]
    own = lab_graph("ec2-webserver", options=WINDOWS, keyFile="keys/vockey.pem").outputs["ec2-webserver"]["servers"]["VM1"]
    assert "--priv-launch-key keys/vockey.pem " in own["password"]
    sandbox = lab_graph("ec2-webserver", options=WINDOWS, profile="sandbox").outputs["ec2-webserver"]["servers"]["VM1"]
    assert "--priv-launch-key vockey.pem " in sandbox["password"]  # no download named there: <keyName>.pem


def test_windows_servers_get_the_metadata_questions_in_powershell():
    """bash's `curl` and `$TOKEN` do not work in PowerShell; the same IMDSv2 token, with Invoke-RestMethod."""
    commands = lab_graph("ec2-webserver", options=WINDOWS).outputs["ec2-webserver"]["metadataCommands"]
    assert commands[0] == ("$t = Invoke-RestMethod -Method PUT -Uri http://169.254.169.254/latest/api/token "
                           "-Headers @{'X-aws-ec2-metadata-token-ttl-seconds'='21600'}")
    assert len(commands) == 17 and not any("curl" in c or "$TOKEN" in c for c in commands)
    assert ("Invoke-RestMethod -Headers @{'X-aws-ec2-metadata-token'=$t} "
            "-Uri http://169.254.169.254/latest/meta-data/placement/availability-zone") in commands
    assert all(c.startswith("Invoke-RestMethod -Headers @{'X-aws-ec2-metadata-token'=$t} -Uri ") for c in commands[1:])
    vpc_only = lab_graph("ec2-webserver", options={**WINDOWS, "count": 0}).outputs["ec2-webserver"]["metadataCommands"]
    assert vpc_only[0].startswith("TOKEN=$(curl")  # count 0: the assignment's VMs are Amazon Linux and Ubuntu


def test_windows_is_priced_with_its_license():
    from labctl.analysis.cost import estimate
    items = {i.item: i.unit_price for i in estimate(lab_graph("ec2-webserver", options=WINDOWS)).items}
    assert items["t3.micro Windows instance"] == 0.0196 and "t3.micro instance" not in items
