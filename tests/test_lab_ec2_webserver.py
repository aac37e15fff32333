"""ec2-webserver (chapter 3): the graph a student gets, stage by stage."""

from __future__ import annotations

import pytest

from labctl.analysis.check import check_graph

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
                ("web-SG", "in", "tcp", 22, 22, "sg:web-SG")}  # VM1 -> VM2 over SSH (chapter 13, book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)
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
    """count 0 (book ch. 3, “Cloud Computing” › “Chapter 3 coursework” to “Assignment Interacting with the cloud programmatically”): the VPC and the group (SSH and HTTP), no server; the outputs are the
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


# --- Windows Server (chapter 3, book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”): one server, RDP, the decrypted password; no web server ---------------

WINDOWS = {"os": "windows-server-2019"}


@pytest.fixture(scope="module")
def windows():
    """The Windows variant's two stages, rendered once for the module's tests."""
    return {stage: lab_graph("ec2-webserver", stage=stage, options=WINDOWS) for stage in ("starter", "solution")}


def test_windows_is_one_server_as_the_book_launches_and_linux_keeps_two():
    from cloudlabs.labs.ec2_webserver import Ec2WebserverOptions
    assert Ec2WebserverOptions.model_validate(WINDOWS).count == 1
    assert Ec2WebserverOptions.model_validate({**WINDOWS, "count": 3}).count == 3  # a count written is kept
    assert Ec2WebserverOptions.model_validate({}).count == 2
    assert Ec2WebserverOptions.model_validate({"os": "ubuntu-24.04"}).count == 2


def test_windows_group_takes_rdp_from_the_admin_cidr_only_and_no_web_server_is_built(windows):
    for graph in windows.values():
        assert sg_rules(graph) == {("Windows-SG", "in", "tcp", 3389, 3389, ADMIN),
                                   ("Windows-SG", "out", "-1", None, None, "0.0.0.0/0")}  # no HTTP, no SSH
    assert not instances(windows["starter"])  # the student launches Windows-01, as the book does (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”)
    (vm,) = instances(windows["solution"]).values()
    assert "userData" not in vm.inputs  # no IIS: the book never builds a web server on it
    assert vm.inputs["tags"]["Name"] == "Windows-01"  # the book's Windows-01.rdp (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”)
    assert vm.inputs["rootBlockDevice"]["volumeSize"] == 30 and vm.inputs["tags"]["cloudlabs:os"] == "windows"
    assert vm.inputs["metadataOptions"]["httpTokens"] == "required" and vm.inputs["associatePublicIpAddress"] is True
    assert vm.inputs["ami"].startswith("ami-") and vm.inputs["keyName"] == "vockey"


def test_windows_grades_rdp_from_the_admin_cidr_and_nothing_the_book_does_not_ask_for(windows):
    for stage, labels in (("starter", {"admin -> subnet:SN-0:3389"}), ("solution", {"admin -> Windows-01:3389"})):
        results = check_graph(windows[stage])
        assert {r.expect.label for r in results} == labels and all(r.passed for r in results)


def test_windows_starter_gives_the_launch_and_says_what_the_book_does_next(windows):
    graph = windows["starter"]
    out = graph.outputs["ec2-webserver"]
    (group,) = graph.of_type(SG)
    command = out["launch"]["Windows-01"]
    assert command.startswith("aws ec2 run-instances --image-id ami-") and "--key-name vockey " in command
    assert f"--subnet-id {subnets(graph)['SN-0'].id} --security-group-ids {group.id} --associate-public-ip-address" in command
    assert "VolumeSize=30,VolumeType=gp3,Encrypted=true" in command and "HttpTokens=required" in command
    assert "{Key=Name,Value=Windows-01}" in command and "{Key=cloudlabs:student,Value=s01}" in command
    assert out["getPassword"].startswith("aws ec2 get-password-data --instance-id <Windows-01 instance id> ")
    assert "--priv-launch-key labsuser.pem " in out["getPassword"]
    assert "launch Windows-01" in out["nextStep"] and "servers" not in out and "urls" not in out
    assert "RDP to anywhere, Windows-SG to your admin CIDR only" in out["nextStep"]  # where the lab differs, and why


def test_windows_solution_gives_the_rdp_address_and_the_password_command(windows):
    out = windows["solution"].outputs["ec2-webserver"]
    vm = out["servers"]["Windows-01"]
    assert vm["rdpAddress"] == f"{vm['publicIp']}:3389" and vm["rdp"].startswith(f"mstsc /v:{vm['publicIp']}")
    assert "ssh" not in vm and "url" not in vm and "urls" not in out
    # Learner Lab's "Download PEM" saves vockey's key as labsuser.pem (profile keyFiles); the stack's keyFile wins
    assert vm["password"].startswith("aws ec2 get-password-data --instance-id i-") and "--priv-launch-key labsuser.pem " in vm["password"]
    own = lab_graph("ec2-webserver", options=WINDOWS, keyFile="keys/vockey.pem").outputs["ec2-webserver"]["servers"]["Windows-01"]
    assert "--priv-launch-key keys/vockey.pem " in own["password"]
    assert "end of the book's activity" in out["nextStep"]


def test_windows_without_a_key_pair_is_refused_with_why():
    from cloudlabs.settings import SettingsError, parse_settings
    from .conftest import SOURCE, config
    with pytest.raises(SettingsError, match="nothing to decrypt with"):
        parse_settings(config(labs=[{"lab": "ec2-webserver", "options": WINDOWS}], keyName=None), SOURCE)


def test_windows_servers_get_the_metadata_questions_in_powershell(windows):
    """bash's `curl` and `$TOKEN` do not work in PowerShell; the same IMDSv2 token, with Invoke-RestMethod."""
    commands = windows["solution"].outputs["ec2-webserver"]["metadataCommands"]
    assert commands[0] == ("$t = Invoke-RestMethod -Method PUT -Uri http://169.254.169.254/latest/api/token "
                           "-Headers @{'X-aws-ec2-metadata-token-ttl-seconds'='21600'}")
    assert len(commands) == 17 and not any("curl" in c or "$TOKEN" in c for c in commands)
    assert ("Invoke-RestMethod -Headers @{'X-aws-ec2-metadata-token'=$t} "
            "-Uri http://169.254.169.254/latest/meta-data/placement/availability-zone") in commands
    assert all(c.startswith("Invoke-RestMethod -Headers @{'X-aws-ec2-metadata-token'=$t} -Uri ") for c in commands[1:])
    assert windows["starter"].outputs["ec2-webserver"]["metadataCommands"] == commands
    vpc_only = lab_graph("ec2-webserver", options={**WINDOWS, "count": 0}).outputs["ec2-webserver"]["metadataCommands"]
    assert vpc_only[0].startswith("TOKEN=$(curl")  # count 0: the assignment's VMs are Amazon Linux and Ubuntu


def test_windows_is_priced_with_its_license(windows):
    from labctl.analysis.cost import estimate
    items = {i.item: (i.unit_price, i.quantity) for i in estimate(windows["solution"]).items}
    assert items["t3.micro Windows instance"][0] == 0.0196 and "t3.micro instance" not in items


def test_windows_probe_connects_to_rdp_on_a_local_listener(windows):
    """The book's test is an RDP client connecting (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”): the probe opens a TCP connection to the
    rdpAddress output. A local listener plays Windows-01; a closed port fails, named."""
    import socket
    from labctl.ops.probe import probes_for, run_probe
    import threading
    rendered = windows["solution"].outputs["ec2-webserver"]
    assert [p.name for p in probes_for("ec2-webserver", rendered)] == ["Windows-01 RDP"]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        (probe,) = probes_for("ec2-webserver", {"servers": {"Windows-01": {**rendered["servers"]["Windows-01"], "rdpAddress": address}}})
        verdict, tries = run_probe(probe, lambda url: (0, ""), attempts=1, interval=0, stop=threading.Event())
        assert verdict.passed and tries == 1, verdict
    verdict, _ = run_probe(probe, lambda url: (0, ""), attempts=1, interval=0, stop=threading.Event())
    assert not verdict.passed and f"{address}: no connection" in verdict.detail  # the listener is gone


def test_windows_starter_probe_says_the_server_is_the_students_to_launch(windows):
    """The starter's outputs name no server (the student launches Windows-01): the probe fails and
    says where to look, rather than claiming the stack is not up."""
    from labctl.ops.probe import StaticOutputs, probe_stack
    outputs = {"ec2-webserver": windows["starter"].outputs["ec2-webserver"]}
    (result,) = probe_stack("s", ["ec2-webserver"], StaticOutputs({"s": outputs}), attempts=1, interval=0)
    assert not result.passed and "launches it by hand (use `labctl grade`)" in result.detail


# --- graded on the emulator: the book's route, the student's steps by hand with boto3 -------------------------


def _graded(capsys, env) -> tuple[bool, dict[str, str]]:
    """(complete, {failing path: what blocks it}) as `labctl grade` says at the solution stage."""
    import json
    from labctl.cli.main import main
    code = main(["grade", "demo-tools-t01", "--environments", str(env), "--json", "-"])
    (student,) = json.loads(capsys.readouterr().out)
    assert code == (0 if student["complete"] else 1)
    return student["complete"], {p["path"]: p["blockedBy"] or "open" for p in student["paths"] if not p["passed"]}


def test_the_books_windows_route_on_the_emulator_grades_complete(monkeypatch, tmp_path, capsys):
    """The Windows starter up on moto; the student launches Windows-01 as the starter's `launch` says:
    launched into the VPC's default group, or without a public address, the laptop's RDP is blocked,
    named; launched the book's way the grade is complete (nothing about HTTP or a page is asked)."""
    from .emulated import emulated_stack
    lab = {"lab": "ec2-webserver", "stage": "starter", "options": WINDOWS}
    with emulated_stack(monkeypatch, tmp_path, "demo-tools-t01", lab) as (session, env):
        ec2 = session.client("ec2")
        complete, failing = _graded(capsys, env)
        assert not complete and list(failing) == ["admin -> Windows-01:3389"]
        assert "no host named 'Windows-01'" in failing["admin -> Windows-01:3389"]
        sn0 = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["SN-0"]}])["Subnets"][0]
        subnet = sn0["SubnetId"]
        group = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": ["Windows-SG"]}])["SecurityGroups"][0]["GroupId"]
        default = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [sn0["VpcId"]]},
                                                        {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]

        def launch(public: bool, group: str = group) -> str:
            (vm,) = ec2.run_instances(
                ImageId="ami-12c6146b", InstanceType="t3.micro", KeyName="vockey", MinCount=1, MaxCount=1,
                NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group], "AssociatePublicIpAddress": public}],
                BlockDeviceMappings=[{"DeviceName": "/dev/sda1", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "Encrypted": True}}],
                TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "Windows-01"}]}],
            )["Instances"]
            return vm["InstanceId"]

        in_default = launch(public=True, group=default)  # the VPC's default group: no RDP rule
        complete, failing = _graded(capsys, env)
        assert not complete and "has no inbound rule for tcp 3389" in failing["admin -> Windows-01:3389"], failing
        ec2.terminate_instances(InstanceIds=[in_default])
        private = launch(public=False)
        complete, failing = _graded(capsys, env)
        assert not complete and "no public IPv4 address" in failing["admin -> Windows-01:3389"], failing
        ec2.terminate_instances(InstanceIds=[private])
        launch(public=True)
        complete, failing = _graded(capsys, env)
        assert complete, failing


def test_the_windows_solution_on_the_emulator_grades_complete(monkeypatch, tmp_path, capsys):
    """The solution stands in for the student's end state: up on moto, `grade` finds Windows-01 reachable over RDP."""
    from .emulated import emulated_stack
    lab = {"lab": "ec2-webserver", "stage": "solution", "options": WINDOWS}
    with emulated_stack(monkeypatch, tmp_path, "demo-tools-t01", lab) as (_, env):
        complete, failing = _graded(capsys, env)
        assert complete, failing
