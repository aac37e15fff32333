"""The offline renderer: the real program under mocks, AWS-shaped and deterministic."""

from __future__ import annotations

import json
from ipaddress import IPv4Address, IPv4Network, IPv6Network

import pytest
from pulumi.runtime.mocks import MockCallArgs

from cloudlabs.settings import SettingsError
from labctl.offline import render
from labctl.offline.fakeaws import ELASTIC_IPS, INSTANCE_PUBLIC_IPS, FakeAws, zones_of
from labctl.offline.graph import StackGraph

from .conftest import config, lab_graph, render_config
from .graphtools import EIP, IGW, INSTANCE, NAT, ROUTE_TABLE, SG, SUBNET, VPC

ID_PREFIXES = {VPC: "vpc-", SUBNET: "subnet-", INSTANCE: "i-", SG: "sg-", NAT: "nat-", EIP: "eipalloc-",
               IGW: "igw-", ROUTE_TABLE: "rtb-"}


def test_rendering_the_same_stack_twice_gives_identical_graphs():
    cfg = config(labs=[{"lab": "ec2-webserver", "options": {"count": 6, "os": "alternate"}}])
    first = render_config(cfg, cache=False).dumps()
    second = render_config(cfg, cache=False).dumps()
    assert first == second


def test_many_stacks_render_in_one_process_without_leaking_state():
    graphs = [render_config(config(seat=seat, student=f"s{seat:02d}"), cache=False) for seat in (1, 2, 3)]
    for seat, graph in zip((1, 2, 3), graphs):
        assert graph.stack == f"test-s{seat:02d}"
        assert all(r.urn.startswith(f"urn:pulumi:test-s{seat:02d}::cloudlabs::") for r in graph)
        (vpc,) = graph.of_type(VPC)
        assert vpc.inputs["cidrBlock"] == f"10.{seat}.0.0/16"
        assert graph.outputs["addressBlock"] == f"10.{seat}.0.0/16"
    assert len({g.of_type(VPC)[0].id for g in graphs}) == 3


def test_computed_values_look_like_aws():
    graph = lab_graph("vpc-nat")
    for resource in graph.custom_resources:
        prefix = ID_PREFIXES.get(resource.type)
        if prefix:
            assert resource.id.startswith(prefix), resource.urn
            assert len(resource.id) == len(prefix) + 17
    (vpc,) = graph.of_type(VPC)
    assert vpc.outputs["arn"] == f"arn:aws:ec2:us-east-1:123456789012:vpc/{vpc.id}"
    for instance in graph.of_type(INSTANCE):
        assert instance.inputs["ami"].startswith("ami-")
        assert instance.outputs["privateDns"].endswith(".ec2.internal")


def test_private_ips_lie_inside_their_subnet_and_zones_are_the_regions():
    for region in ("us-east-1", "us-west-2"):
        graph = lab_graph("ec2-webserver", options={"count": 6}, aws_region=region)
        subnets = {s.id: s for s in graph.of_type(SUBNET)}
        for instance in graph.of_type(INSTANCE) + graph.of_type(NAT):
            subnet = subnets[instance.inputs["subnetId"]]
            network = IPv4Network(subnet.inputs["cidrBlock"])
            address = IPv4Address(instance.outputs["privateIp"])
            assert address in network and int(address) - int(network.network_address) >= 4
        assert {s.inputs["availabilityZone"] for s in subnets.values()} <= set(zones_of(region))


def test_public_ips_come_from_documentation_ranges():
    graph = lab_graph("vpc-nat")
    publics = [i.outputs["publicIp"] for i in graph.of_type(INSTANCE) if i.outputs["publicIp"]]
    assert publics and all(IPv4Address(ip) in INSTANCE_PUBLIC_IPS for ip in publics)
    (eip,) = graph.of_type(EIP)
    assert IPv4Address(eip.outputs["publicIp"]) in ELASTIC_IPS
    (nat,) = graph.of_type(NAT)
    assert nat.outputs["publicIp"] == eip.outputs["publicIp"]


def test_parents_and_dependencies_are_recorded():
    graph = lab_graph("vpc-nat")
    web_dev = graph.named("vpc-nat-web-dev", INSTANCE)
    assert graph[web_dev.parent].type == "cloudlabs:compute:WebServer"
    assert graph[graph[web_dev.parent].parent].type == "cloudlabs:labs:VpcNat"
    subnet = graph.named("vpc-nat-vpc-a-sn-a-02", SUBNET)
    assert subnet.urn in web_dev.dependencies
    assert web_dev.property_dependencies["subnetId"] == [subnet.urn]
    # component outputs are registered and kept
    assert graph.named("vpc-nat-vpc-a", "cloudlabs:network:LabVpc").outputs["cidr_block"] == "10.1.0.0/16"


def test_graph_json_round_trips():
    graph = lab_graph("vpc-nat", stage="starter")
    data = json.loads(graph.dumps())
    assert data["format"] == "cloudlabs.graph/v1"
    assert [r["urn"] for r in data["resources"]] == sorted(r["urn"] for r in data["resources"])
    assert StackGraph.from_json(data).dumps() == graph.dumps()


def test_bad_settings_stop_the_program_before_any_resource_is_registered():
    """The program validates on its own (as under `pulumi up`), not only labctl before it."""
    with pytest.raises(render.ProgramError) as caught:
        render.run_program("test-s01", config(seat=999))
    assert isinstance(caught.value.cause.__cause__, SettingsError)
    assert str(caught.value) == (
        "environments/Pulumi.test-s01.yaml: cloudlabs:seat: 999 is not allowed (out of range); "
        "allowed: a whole number from 0 (the instructor) to 254; seat N owns 10.N.0.0/16")
    registered = [r.type for r in caught.value.monitor.records.values()]
    assert registered == ["pulumi:pulumi:Stack"]


def test_secrets_are_redacted_in_the_graph(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi, pulumi_aws as aws\n"
        "pw = pulumi.Output.secret('hunter2')\n"
        "aws.ssm.Parameter('p', type='SecureString', value=pw)\n"
        "pulumi.export('password', pw)\n"
        "pulumi.export('plain', 'visible')\n"
    )
    monitor = render.run_program("test-s01", config(), program=program)
    stack_outputs = monitor.registered_outputs[render._stack_urn("test-s01")]
    assert stack_outputs == {"password": "[secret]", "plain": "visible"}
    (param,) = [r for r in monitor.records.values() if r.type == "aws:ssm/parameter:Parameter"]
    assert param.inputs["value"] == "[secret]"
    assert "hunter2" not in json.dumps([r.to_json() for r in monitor.records.values()])


def test_an_unmodelled_lookup_fails_loudly():
    with pytest.raises(NotImplementedError, match="no answer for lookup aws:rds/getEngineVersion"):
        FakeAws("us-east-1", "s").call(MockCallArgs("aws:rds/getEngineVersion:getEngineVersion", {}, ""))


def test_a_failing_program_is_reported_with_its_stack(monkeypatch):
    from components.labs import vpc_nat

    def broken(self, name, args):
        raise RuntimeError("component bug")

    monkeypatch.setattr(vpc_nat.VpcNatLab, "build", broken)
    cfg = config()
    with pytest.raises(render.RenderError, match="test-s01: the program failed: RuntimeError: component bug"):
        render_config(cfg, cache=False)


def test_ipv6_vpc_gets_a_56_from_the_documentation_prefix():
    mocks = FakeAws("us-east-1", "s")
    from pulumi.runtime.mocks import MockResourceArgs
    _, state = mocks.new_resource(MockResourceArgs("aws:ec2/vpc:Vpc", "v", {"cidrBlock": "10.1.0.0/16",
                                                                              "assignGeneratedIpv6CidrBlock": True}, custom=True))
    block = IPv6Network(state["ipv6CidrBlock"])
    assert block.prefixlen == 56 and block.subnet_of(IPv6Network("2001:db8::/32"))


@pytest.mark.parametrize("lab,options", [("ec2-webserver", {"count": 6, "os": "alternate"}), ("vpc-nat", None)])
@pytest.mark.parametrize("seat", [1, 50, 254])
def test_addresses_are_unique_within_a_stack(lab, options, seat):
    graph = lab_graph(lab, options=options, seat=seat, student=f"s{seat}")
    private = [r.outputs["privateIp"] for r in graph.of_type(INSTANCE) + graph.of_type(NAT)]
    public = [r.outputs["publicIp"] for r in graph.of_type(INSTANCE) + graph.of_type(EIP) if r.outputs["publicIp"]]
    assert len(private) == len(set(private)) and len(public) == len(set(public))


def test_program_reads_config_the_way_the_pulumi_cli_passes_it(monkeypatch):
    """The CLI's language host hands config to the program in PULUMI_CONFIG (JSON)."""
    from cloudlabs.settings import parse_settings, runtime_config_values
    from components.program import runtime_config
    monkeypatch.setenv("PULUMI_CONFIG", json.dumps(runtime_config_values(config())))
    assert parse_settings(runtime_config(), "x", runtime=True) == parse_settings(config(), "x")


def test_a_render_leaves_no_unclosed_event_loop():
    """Every event loop the SDK's RPC threads used is closed with the render: left to the garbage
    collector, a loop can be finalized after its sockets and print a traceback mid-run."""
    import asyncio
    import gc

    from cloudlabs.settings import parse_settings

    def open_loops() -> list:  # unreachable ones included: the collector is off while we look
        return [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop) and not o.is_closed()]

    gc.collect()
    gc.disable()
    try:
        before = len(open_loops())
        cfg = config(labs=[{"lab": "vpc-nat", "stage": "solution"}])
        render.render("test-s01", cfg, parse_settings(cfg, "x"))
        assert len(open_loops()) == before
    finally:
        gc.enable()
