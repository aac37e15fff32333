"""CONTRIBUTING's recipe for a new AWS type, followed once for a type no lab renders: the Elastic
IP's association (chapter 3: an Elastic IP keeps a VM's public address across stops, "a way
around" the address changing). The type is one record in ``labctl/kinds/ec2.py``; every layer
reads it from there: the fake cloud's answer, the reachability model, the deploy rules and AWS's
CloudFormation schema, the emulator, the live reader and the sweep.

The graph is ec2-webserver's solution with VM1 launched without a public address, then given an
Elastic IP the way a student would add one."""

from __future__ import annotations

import copy

import boto3
import pytest
from moto import mock_aws
from pulumi.runtime.mocks import MockResourceArgs

from labctl import kinds
from labctl.analysis.reach import evaluate
from labctl.analysis.validation import Validator
from labctl.offline.fakeaws import FakeAws
from labctl.offline.graph import Resource, StackGraph
from labctl.ops import emulate
from labctl.ops.live import LiveReader, StudentScope

from .conftest import lab_graph

TOKEN = "aws:ec2/eipAssociation:EipAssociation"
EIP = "aws:ec2/eip:Eip"


def _vm1(graph: StackGraph) -> Resource:
    (vm,) = [r for r in graph.of_type("aws:ec2/instance:Instance") if r.inputs["tags"]["Name"].endswith("VM1")]
    return vm


def _without_public_address() -> StackGraph:
    graph = copy.deepcopy(lab_graph("ec2-webserver", "solution"))
    vm = _vm1(graph)
    vm.inputs["associatePublicIpAddress"] = False
    for key in ("publicIp", "publicDns"):
        vm.outputs.pop(key, None)
    return graph


def _register(cloud: FakeAws, graph: StackGraph, type_: str, name: str, inputs: dict, dependencies: list[str]) -> Resource:
    """A resource as the renderer would add it: the fake cloud's answer from the kind's record."""
    resource_id, outputs = cloud.new_resource(MockResourceArgs(type_, name, inputs, custom=True))
    computed = {k: v for k, v in outputs.items() if k not in inputs}
    resource = Resource(f"urn:pulumi:{graph.stack}::cloudlabs::{type_}::{name}", type_, name, None, True, resource_id,
                        inputs, computed, dependencies)
    graph.resources.append(resource)
    return resource


def _with_elastic_ip(wait_for_gateway: bool = True) -> tuple[StackGraph, Resource, Resource]:
    graph = _without_public_address()
    vm = _vm1(graph)
    (gateway,) = graph.of_type("aws:ec2/internetGateway:InternetGateway")
    tags = {**vm.inputs["tags"], "Name": "VM1-EIP"}
    cloud = FakeAws("us-east-1", graph.stack)
    eip = _register(cloud, graph, EIP, "vm1-eip", {"domain": "vpc", "tags": tags}, [])
    association = _register(cloud, graph, TOKEN, "vm1-eip-association", {"allocationId": eip.id, "instanceId": vm.id},
                            [eip.urn, vm.urn] + ([gateway.urn] if wait_for_gateway else []))
    return graph, eip, association


def test_the_record_answers_every_facet():
    kind = kinds.KINDS[TOKEN]
    assert kind.label == "Elastic IP association" and kind.service == "ec2"
    assert kind.price == kinds.FREE and kind.price_note
    assert callable(kind.fake)
    assert kind.template is not None and kind.template.type == "AWS::EC2::EIPAssociation" and not kind.no_template
    assert kind.emulator is not None and kind.emulated is None
    assert kind.sweep_with.startswith("goes with its Elastic IP") and kinds.KINDS[EIP].sweep == "Elastic IP"
    assert kind.reach is not None and kind.live is None and kind.live_reason
    assert kind.needs_gateway is not None


def test_the_fake_cloud_answers_the_elastic_ips_address():
    graph, eip, association = _with_elastic_ip()
    assert association.id.startswith("eipassoc-")
    assert association.outputs["publicIp"] == eip.outputs["publicIp"]


def test_the_association_is_what_lets_the_internet_reach_the_vm():
    before = evaluate(_without_public_address(), "internet", "VM1", "tcp", 80)
    assert not before.allowed
    graph, eip, _ = _with_elastic_ip()
    after = evaluate(graph, "internet", "VM1", "tcp", 80)
    assert after.allowed, after.reason
    assert f"public IP {eip.outputs['publicIp']}" in after.hops


def test_aws_schemas_accept_it_and_the_deploy_rules_want_the_internet_gateway_first():
    validator = Validator()
    graph, _, _ = _with_elastic_ip()
    assert validator.validate(graph).findings == []
    rushed, _, association = _with_elastic_ip(wait_for_gateway=False)
    findings = validator.validate(rushed).findings
    assert [f.resource for f in findings] == [association.name], [f.line() for f in findings]
    assert "internet gateway" in findings[0].line()


@pytest.fixture
def session():
    with mock_aws():
        yield boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")


def test_the_emulator_associates_it_the_live_reader_sees_the_address_and_destroy_takes_it_back(session, tmp_path):
    graph, _, _ = _with_elastic_ip()
    emulate.up(graph, session, tmp_path)
    ec2 = session.client("ec2")
    (address,) = ec2.describe_addresses()["Addresses"]
    assert address.get("AssociationId") and address.get("InstanceId")

    live = LiveReader(session.client).read(StudentScope("test", "s01", graph.stack), graph.settings)
    (vm,) = [r for r in live.of_type("aws:ec2/instance:Instance") if r.inputs["subnetId"] and r.id == address["InstanceId"]]
    assert vm.outputs["publicIp"] == address["PublicIp"]
    assert evaluate(live, "internet", "VM1", "tcp", 80).allowed

    emulate.destroy(graph.stack, session, tmp_path)
    assert ec2.describe_addresses()["Addresses"] == []
