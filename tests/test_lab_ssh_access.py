"""ssh-access (chapter 13): the key pair, VM1 and VM2, stage by stage and key source by source."""

from __future__ import annotations

import pytest

from cloudlabs.settings import SettingsError, parse_settings
from labctl.analysis.check import check_graph

from .conftest import SOURCE, config, lab_graph
from .graphtools import (
    EGRESS, IGW, INGRESS, INSTANCE, ROUTE, ROUTE_TABLE, SG, SUBNET, VPC, instances, name_tag, sg_rules, subnets,
)

KEY_PAIR = "aws:ec2/keyPair:KeyPair"
PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
ADMIN = "203.0.113.0/24"
# A well-formed (not secret) ed25519 public key, as `ssh-keygen -t ed25519` prints it.
STUDENT_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3v4xb3Dm0s0fLZCwzvA6z6oWvZl9z9qQ5c2pGmYc1L student@laptop"


@pytest.mark.parametrize("stage,instances_count", [("starter", 1), ("solution", 2)])
def test_resource_kinds_and_counts(stage, instances_count):
    graph = lab_graph("ssh-access", stage=stage)
    assert dict(graph.type_counts()) == {
        VPC: 1, IGW: 1, SUBNET: 6, ROUTE_TABLE: 1, ROUTE: 1, "aws:ec2/routeTableAssociation:RouteTableAssociation": 6,
        SG: 2, INGRESS: 2, EGRESS: 2, INSTANCE: instances_count, KEY_PAIR: 1, PRIVATE_KEY: 1}


def test_both_instances_share_the_generated_key_in_the_books_subnet():
    graph = lab_graph("ssh-access")
    (key,), (private,) = graph.of_type(KEY_PAIR), graph.of_type(PRIVATE_KEY)
    assert private.inputs == {"algorithm": "RSA", "rsaBits": 4096}  # the book's choice (RSA)
    assert key.inputs["publicKey"] == private.outputs["publicKeyOpenssh"]
    vms = instances(graph)
    sn80 = subnets(graph)["SN-80"]
    assert sn80.inputs["cidrBlock"] == "10.1.80.0/20"  # the book's 172.31.80.0/20, in the seat's block
    for vm in ("VM1", "VM2"):
        assert vms[vm].inputs["keyName"] == key.outputs["keyName"]
        assert vms[vm].inputs["subnetId"] == sn80.id
    assert vms["VM1"].inputs["associatePublicIpAddress"] is True
    assert vms["VM2"].inputs["associatePublicIpAddress"] is False


def test_security_groups_admit_ssh_from_the_admin_cidr_then_only_from_vm1():
    assert sg_rules(lab_graph("ssh-access")) == {
        ("VM1-SG", "in", "tcp", 22, 22, ADMIN), ("VM1-SG", "out", "-1", None, None, "0.0.0.0/0"),
        ("VM2-SG", "in", "tcp", 22, 22, "sg:VM1-SG"), ("VM2-SG", "out", "-1", None, None, "0.0.0.0/0"),
    }


def test_the_private_key_is_only_a_secret_and_saved_with_mode_600():
    graph = lab_graph("ssh-access")
    out = graph.outputs["ssh-access"]
    assert out["privateKey"] == "[secret]"
    assert out["saveKey"].startswith("(umask 077;") and out["saveKey"].endswith("> example-key.pem)")
    assert "--show-secrets" in out["saveKey"] and "--stack test-s01" in out["saveKey"]
    assert out["vm1"]["ssh"].startswith("ssh -i example-key.pem ec2-user@")
    assert "chmod 400 .ssh/example-key.pem" in out["copyKeyToVm1"]


def test_starter_leaves_vm2_to_the_student_with_the_command_that_launches_it():
    graph = lab_graph("ssh-access", stage="starter")
    assert set(instances(graph)) == {"VM1"}
    out = graph.outputs["ssh-access"]
    (key,) = graph.of_type(KEY_PAIR)
    (vm2_group,) = [g for g in graph.of_type(SG) if name_tag(g) == "VM2-SG"]
    command = out["launchVm2"]
    assert f"--key-name {key.outputs['keyName']}" in command and f"--security-group-ids {vm2_group.id}" in command
    assert f"--subnet-id {subnets(graph)['SN-80'].id}" in command and "--no-associate-public-ip-address" in command
    assert "vm2" not in out


def test_solution_hops_to_vm2_through_vm1():
    out = lab_graph("ssh-access").outputs["ssh-access"]
    assert out["vm2"]["sshFromVm1"] == f"ssh -i ~/.ssh/example-key.pem ec2-user@{out['vm2']['privateIp']}"
    assert f"-W %h:%p ec2-user@{out['vm1']['publicIp']}" in out["vm2"]["sshViaVm1"]


def test_expected_paths_hold_on_the_rendered_graph():
    for stage in ("starter", "solution"):
        results = check_graph(lab_graph("ssh-access", stage=stage))
        assert results and all(r.passed for r in results), [r.expect.label for r in results if not r.passed]
    labels = {r.expect.label for r in check_graph(lab_graph("ssh-access"))}
    assert "VM1 -> VM2:22" in labels and "internet -> VM2:22" in labels


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


def test_an_ed25519_key_has_no_rsa_bits():
    (private,) = lab_graph("ssh-access", options={"algorithm": "ED25519"}).of_type(PRIVATE_KEY)
    assert private.inputs == {"algorithm": "ED25519"}


@pytest.mark.parametrize("options, message", [
    ({"key": "imported"}, "key: imported needs publicKey"),
    ({"key": "imported", "publicKey": "ssh-rsa not-base64!"}, "publicKey is not an OpenSSH public key"),
    ({"key": "imported", "publicKey": "-----BEGIN RSA PRIVATE KEY-----"}, "publicKey is not an OpenSSH public key"),
    ({"key": "generated", "publicKey": STUDENT_KEY}, "publicKey is only read with key: imported"),
    ({"key": "borrowed"}, r"\"borrowed\" is not allowed; allowed: generated .*imported .*or existing"),
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
