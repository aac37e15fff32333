"""ssh-access (chapter 13): the key pair, VM1 and VM2, stage by stage and key source by source."""

from __future__ import annotations

import json

import pytest

from cloudlabs.settings import SettingsError, parse_settings
from labctl.analysis.check import check_graph

from .conftest import SOURCE, config, lab_graph, render_config
from .emulated import emulated_stack
from .graphtools import (
    EGRESS, IGW, INGRESS, INSTANCE, ROUTE, ROUTE_TABLE, SG, SUBNET, VPC, instances, name_tag, sg_rules, subnets,
)

KEY_PAIR = "aws:ec2/keyPair:KeyPair"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
ADMIN = "203.0.113.0/24"
# A well-formed (not secret) ed25519 public key, as `ssh-keygen -t ed25519` prints it.
STUDENT_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3v4xb3Dm0s0fLZCwzvA6z6oWvZl9z9qQ5c2pGmYc1L student@laptop"


NETWORK = {VPC: 1, IGW: 1, SUBNET: 6, ROUTE_TABLE: 1, ROUTE: 1, "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
           SG: 2, INGRESS: 3, EGRESS: 2}


@pytest.mark.parametrize("stage,options,made", [
    ("starter", None, {}),  # key: created: the student makes the key pair, then VM1 and VM2 (the book's order)
    ("solution", None, {INSTANCE: 2, KEY_PAIR: 1, PRIVATE_KEY: 1}),
    ("starter", {"key": "generated"}, {INSTANCE: 1, KEY_PAIR: 1, PRIVATE_KEY: 1}),
    ("solution", {"key": "generated"}, {INSTANCE: 2, KEY_PAIR: 1, PRIVATE_KEY: 1}),
])
def test_resource_kinds_and_counts(stage, options, made):
    assert dict(lab_graph("ssh-access", stage=stage, options=options).type_counts()) == {**NETWORK, **made}


def test_both_instances_share_the_books_key_in_the_books_subnet_with_public_addresses():
    graph = lab_graph("ssh-access")
    (key,), (private,) = graph.of_type(KEY_PAIR), graph.of_type(PRIVATE_KEY)
    assert private.inputs == {"algorithm": "RSA", "rsaBits": 2048}  # as create-key-pair makes it
    assert key.inputs["keyName"] == "example-key" and "keyNamePrefix" not in key.inputs  # the book's name
    assert key.inputs["publicKey"] == private.outputs["publicKeyOpenssh"]
    vms = instances(graph)
    sn80 = subnets(graph)["SN-80"]
    assert sn80.inputs["cidrBlock"] == "10.1.80.0/20"  # the book's 172.31.80.0/20, in the seat's block
    for vm in ("VM1", "VM2"):
        assert vms[vm].inputs["keyName"] == "example-key"
        assert vms[vm].inputs["subnetId"] == sn80.id
        assert vms[vm].inputs["associatePublicIpAddress"] is True  # the chapter ends on VM2's public IP (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)


def test_a_shared_account_prefixes_the_books_key_name_with_the_student():
    out = lab_graph("ssh-access", stage="starter", nameTagPrefix=True).outputs["ssh-access"]
    assert out["keyName"] == "s01-example-key" and "--key-name s01-example-key " in out["createKeyPair"]


def test_security_groups_admit_ssh_from_the_admin_cidr_and_vm2_from_vm1():
    for stage in ("starter", "solution"):
        assert sg_rules(lab_graph("ssh-access", stage=stage)) == {
            ("VM1-SG", "in", "tcp", 22, 22, ADMIN), ("VM1-SG", "out", "-1", None, None, "0.0.0.0/0"),
            ("VM2-SG", "in", "tcp", 22, 22, "sg:VM1-SG"), ("VM2-SG", "in", "tcp", 22, 22, ADMIN),
            ("VM2-SG", "out", "-1", None, None, "0.0.0.0/0"),
        }


def test_the_generated_private_key_is_pem_as_the_book_downloads_it(monkeypatch):
    """RSA: PEM (BEGIN RSA PRIVATE KEY, book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”), as the book's download; ED25519: OpenSSH's format,
    the one ssh reads for it. The output is a secret, so it is shown here with secret() disarmed."""
    import pulumi
    monkeypatch.setattr(pulumi.Output, "secret", staticmethod(lambda value: value))
    for algorithm, header in (("RSA", "-----BEGIN RSA PRIVATE KEY-----"), ("ED25519", "-----BEGIN OPENSSH PRIVATE KEY-----")):
        cfg = config(labs=[{"lab": "ssh-access", "options": {"key": "generated", "algorithm": algorithm}}])
        assert render_config(cfg, cache=False).outputs["ssh-access"]["privateKey"].startswith(header)


def test_the_private_key_is_only_a_secret_and_saved_with_mode_600():
    graph = lab_graph("ssh-access")
    out = graph.outputs["ssh-access"]
    assert out["privateKey"] == "[secret]"
    assert out["saveKey"].startswith("(umask 077;") and out["saveKey"].endswith("> example-key.pem)")
    assert "--show-secrets" in out["saveKey"] and "--stack test-s01" in out["saveKey"]
    assert out["vm1"]["ssh"].startswith("ssh -i example-key.pem ec2-user@")
    assert "chmod 400 .ssh/example-key.pem" in out["copyKeyToVm1"]


def test_starter_leaves_the_key_pair_vm1_and_vm2_to_the_student_with_the_books_commands():
    graph = lab_graph("ssh-access", stage="starter")
    assert not instances(graph) and not graph.of_type(KEY_PAIR) and not graph.of_type(PRIVATE_KEY)
    out = graph.outputs["ssh-access"]
    assert out["keySource"] == "created" and out["keyName"] == "example-key"
    assert out["createKeyPair"].startswith("aws ec2 create-key-pair --key-name example-key --key-type rsa --key-format pem ")
    assert out["createKeyPair"].endswith("--query KeyMaterial --output text > example-key.pem && chmod 400 example-key.pem")
    assert "{Key=cloudlabs:student,Value=s01}" in out["createKeyPair"]  # tagged: the sweep finds it
    group = {name_tag(g): g.id for g in graph.of_type(SG)}
    sn80 = subnets(graph)["SN-80"].id
    for vm in ("VM1", "VM2"):
        command = out[f"launch{vm.title()}"]
        assert "--key-name example-key " in command and f"--subnet-id {sn80} " in command
        assert f"--security-group-ids {group[f'{vm}-SG']} " in command and "--associate-public-ip-address" in command
        assert f"{{Key=Name,Value={vm}}}" in command and "HttpTokens=required" in command
    assert "vm1" not in out and "vm2" not in out and "privateKey" not in out
    assert "<VM1 public IP>" in out["copyKeyToVm1"] and "create the key pair example-key" in out["nextStep"]


def test_starter_with_the_labs_key_runs_vm1_and_leaves_vm2_to_the_student():
    graph = lab_graph("ssh-access", stage="starter", options={"key": "generated"})
    assert set(instances(graph)) == {"VM1"}
    out = graph.outputs["ssh-access"]
    (key,) = graph.of_type(KEY_PAIR)
    (vm2_group,) = [g for g in graph.of_type(SG) if name_tag(g) == "VM2-SG"]
    command = out["launchVm2"]
    assert f"--key-name {key.outputs['keyName']}" in command and f"--security-group-ids {vm2_group.id}" in command
    assert f"--subnet-id {subnets(graph)['SN-80'].id}" in command and "--associate-public-ip-address" in command
    assert "vm2" not in out and "createKeyPair" not in out and "launchVm1" not in out
    assert "launchVm2" in out["nextStep"]


def test_solution_reaches_vm2_from_vm1_and_from_the_laptop():
    out = lab_graph("ssh-access").outputs["ssh-access"]
    assert out["vm2"]["sshFromVm1"] == f"ssh -i ~/.ssh/example-key.pem ec2-user@{out['vm2']['privateIp']}"
    assert out["vm2"]["sshFromLaptop"] == f"ssh -i example-key.pem ec2-user@{out['vm2']['publicIp']}"
    assert "launchVm2" not in out and "createKeyPair" not in out


def test_expected_paths_hold_on_the_rendered_graph():
    for stage in ("starter", "solution"):
        results = check_graph(lab_graph("ssh-access", stage=stage))
        assert results and all(r.passed for r in results), [r.expect.label for r in results if not r.passed]
    labels = {r.expect.label for r in check_graph(lab_graph("ssh-access"))}
    assert labels == {"admin -> VM1:22", "VM1 -> VM2:22", "admin -> VM2:22"}  # the book's three ssh, nothing else


def test_an_imported_key_creates_no_private_key():
    graph = lab_graph("ssh-access", options={"key": "imported", "publicKey": STUDENT_KEY})
    assert not graph.of_type(PRIVATE_KEY)
    (key,) = graph.of_type(KEY_PAIR)
    assert key.inputs["publicKey"] == STUDENT_KEY
    out = graph.outputs["ssh-access"]
    assert "privateKey" not in out and "saveKey" not in out and out["keySource"] == "imported"


def test_the_existing_key_pair_is_used_as_it_is():
    graph = lab_graph("ssh-access", options={"key": "existing"})
    assert not graph.of_type(KEY_PAIR) and not graph.of_type(PRIVATE_KEY)
    assert {vm.inputs["keyName"] for vm in instances(graph).values()} == {"vockey"}
    assert graph.outputs["ssh-access"]["vm1"]["ssh"].startswith("ssh -i labsuser.pem ")


def test_an_ed25519_key_has_no_rsa_bits_and_the_student_creates_it_as_ed25519():
    (private,) = lab_graph("ssh-access", options={"algorithm": "ED25519"}).of_type(PRIVATE_KEY)
    assert private.inputs == {"algorithm": "ED25519"}
    starter = lab_graph("ssh-access", stage="starter", options={"algorithm": "ED25519"}).outputs["ssh-access"]
    assert "--key-type ed25519 --key-format pem " in starter["createKeyPair"]


@pytest.mark.parametrize("options, message", [
    ({"key": "imported"}, "key: imported needs publicKey"),
    ({"key": "imported", "publicKey": "ssh-rsa not-base64!"}, "publicKey is not an OpenSSH public key"),
    ({"key": "imported", "publicKey": "-----BEGIN RSA PRIVATE KEY-----"}, "publicKey is not an OpenSSH public key"),
    ({"key": "generated", "publicKey": STUDENT_KEY}, "publicKey is only read with key: imported"),
    ({"key": "borrowed"}, r"\"borrowed\" is not allowed; allowed: created .*generated .*imported .*or existing"),
    ({"key": "existing", "algorithm": "ED25519"}, "algorithm is only read with key: created or generated"),
])
def test_bad_key_options_are_refused_with_what_is_allowed(options, message):
    with pytest.raises(SettingsError, match=message):
        parse_settings(config(labs=[{"lab": "ssh-access", "options": options}]), SOURCE)


def test_the_host_key_step_names_the_key_a_current_client_records():
    """OpenSSH clients prefer the ED25519 host key (HostKeyAlgorithms), which Amazon Linux 2023 offers:
    the known_hosts entry the first ssh writes is that key, not the book's ECDSA one."""
    steps = lab_graph("ssh-access").outputs["ssh-access"]["bookSteps"]
    host_key = next(step for step in steps if "/etc/ssh/" in step)
    assert host_key.startswith("on VM1: cat /etc/ssh/ssh_host_ed25519_key.pub")
    assert "ssh_host_ecdsa_key.pub" in host_key  # the book's, named as such


# --- graded on the emulator: the book's route, the student's steps by hand with boto3 -------------------------


def _graded(capsys, env) -> tuple[bool, dict[str, str]]:
    """(complete, {failing path: what blocks it}) as `labctl grade` says at the solution stage."""
    from labctl.cli.main import main
    code = main(["grade", "demo-tools-t01", "--environments", str(env), "--json", "-"])
    (student,) = json.loads(capsys.readouterr().out)
    assert code == (0 if student["complete"] else 1)
    return student["complete"], {p["path"]: p["blockedBy"] or "open" for p in student["paths"] if not p["passed"]}


def _launch(ec2, name: str, group: str, key: str, public: bool) -> str:
    """run-instances as the starter's launchVm1/launchVm2 say (SN-80, the group, the key, a public address)."""
    subnet = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["SN-80"]}])["Subnets"][0]["SubnetId"]
    group_id = ec2.describe_security_groups(Filters=[{"Name": "tag:Name", "Values": [group]}])["SecurityGroups"][0]["GroupId"]
    (vm,) = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", KeyName=key, MinCount=1, MaxCount=1,
                              NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group_id],
                                                  "AssociatePublicIpAddress": public}],
                              TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}],
                              )["Instances"]
    return vm["InstanceId"]


def test_the_books_route_on_the_emulator_grades_complete(monkeypatch, tmp_path, capsys):
    """The starter up on moto; the student creates example-key and downloads the PEM, launches VM1,
    then VM2: launched private (the lab's old way) the laptop's ssh to VM2 is blocked, named; launched
    the book's way, with a public address, the grade is complete."""
    with emulated_stack(monkeypatch, tmp_path, "demo-tools-t01", {"lab": "ssh-access", "stage": "starter"}) as (session, env):
        ec2 = session.client("ec2")
        complete, failing = _graded(capsys, env)
        assert not complete and set(failing) == {"admin -> VM1:22", "VM1 -> VM2:22", "admin -> VM2:22"}
        assert "no host named 'VM1'" in failing["admin -> VM1:22"]
        pem = ec2.create_key_pair(KeyName="example-key", KeyType="rsa", KeyFormat="pem")["KeyMaterial"]
        assert pem.startswith("-----BEGIN RSA PRIVATE KEY-----")  # the book's example-key.pem (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)
        _launch(ec2, "VM1", "VM1-SG", "example-key", public=True)
        complete, failing = _graded(capsys, env)
        assert not complete and set(failing) == {"VM1 -> VM2:22", "admin -> VM2:22"}, failing
        assert all("no host named 'VM2'" in why for why in failing.values()), failing
        private_vm2 = _launch(ec2, "VM2", "VM2-SG", "example-key", public=False)
        complete, failing = _graded(capsys, env)
        assert not complete and list(failing) == ["admin -> VM2:22"] and "no public IPv4 address" in failing["admin -> VM2:22"]
        ec2.terminate_instances(InstanceIds=[private_vm2])
        _launch(ec2, "VM2", "VM2-SG", "example-key", public=True)  # the book's VM2, reached from the laptop (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)
        complete, failing = _graded(capsys, env)
        assert complete, failing
