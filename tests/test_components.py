"""Cross-cutting promises of the components: tags, secure defaults, and guards."""

from __future__ import annotations

import inspect

import pulumi_aws as aws
import pulumi_docker as docker
import pulumi_random as random
import pulumi_tls as tls
import pytest

from cloudlabs.catalog import LABS
from components.labs import LAB_COMPONENTS
from components.network import ipv6_subnet
from components.security import ANYWHERE, SSH, HTTP, RDP, ALL_TRAFFIC, inbound, opens_admin_port_to_world
from labctl.offline import render

from .conftest import config, lab_graph
from .graphtools import INSTANCE

# Resource types without a `tags` argument; checked against the provider SDK below.
UNTAGGABLE = {"aws:ec2/route:Route": aws.ec2.Route,
              "aws:ec2/routeTableAssociation:RouteTableAssociation": aws.ec2.RouteTableAssociation,
              "aws:ec2/networkAclRule:NetworkAclRule": aws.ec2.NetworkAclRule,
              "aws:ec2/networkAclAssociation:NetworkAclAssociation": aws.ec2.NetworkAclAssociation,
              "aws:lb/targetGroupAttachment:TargetGroupAttachment": aws.lb.TargetGroupAttachment,
              "aws:autoscaling/policy:Policy": aws.autoscaling.Policy,
              "random:index/randomPassword:RandomPassword": random.RandomPassword,
              "tls:index/privateKey:PrivateKey": tls.PrivateKey,
              "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": aws.s3.BucketPublicAccessBlock,
              "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
                  aws.s3.BucketServerSideEncryptionConfiguration,
              "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration": aws.s3.BucketWebsiteConfiguration,
              "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": aws.s3.BucketCorsConfiguration,
              "aws:s3/bucketPolicy:BucketPolicy": aws.s3.BucketPolicy,
              "docker:index/image:Image": docker.Image}
TAG_KEYS = {"Name", "cloudlabs:cohort", "cloudlabs:student", "cloudlabs:lab", "cloudlabs:expires"}
# Types whose Name tag AWS sets itself and refuses from the caller (Beanstalk: the environment's name).
NAMED_BY_AWS = {"aws:elasticbeanstalk/environment:Environment"}

ALL_LAB_GRAPHS = [(lab, stage) for lab, spec in LABS.items() for stage in spec.stages]


def test_every_catalog_lab_has_a_component():
    assert set(LAB_COMPONENTS) == set(LABS)


def test_untaggable_types_really_take_no_tags():
    for cls in UNTAGGABLE.values():  # each resource's public XArgs class lists what it takes
        args_class = getattr(inspect.getmodule(cls), cls.__name__ + "Args")
        assert "tags" not in inspect.signature(args_class.__init__).parameters
    assert "tags" in inspect.signature(aws.ec2.VpcArgs.__init__).parameters  # the check can see tags


@pytest.mark.parametrize("lab,stage", ALL_LAB_GRAPHS)
def test_everything_taggable_is_tagged(lab, stage):
    graph = lab_graph(lab, stage=stage)
    for resource in graph.custom_resources:
        if resource.type in UNTAGGABLE:
            continue
        tags = resource.inputs.get("tags", {})
        if isinstance(tags, list):  # Auto Scaling groups take a list of {key, value, propagateAtLaunch}
            tags = {t["key"]: t["value"] for t in tags}
        if resource.type in NAMED_BY_AWS:
            assert "Name" not in tags and TAG_KEYS - {"Name"} <= set(tags), resource.urn
            tags = {**tags, "Name": resource.inputs["name"]}
        assert TAG_KEYS <= set(tags), resource.urn
        assert not tags["Name"].startswith("s01-")  # learner-lab: one account per student, the book's names
        assert (tags["cloudlabs:cohort"], tags["cloudlabs:student"], tags["cloudlabs:lab"], tags["cloudlabs:expires"]) == (
            "test", "s01", lab, "2026-12-19")


@pytest.mark.parametrize("lab,stage", ALL_LAB_GRAPHS)
def test_instances_are_secure_and_cheap_by_default(lab, stage):
    instances = lab_graph(lab, stage=stage).of_type(INSTANCE)
    # autoscaling's instances come from a launch template, beanstalk's from Beanstalk (tested with the labs); ssh-access's
    # starter leaves VM1 and VM2 to the student, with commands that ask for IMDSv2 (tested with the lab)
    assert instances or lab in ("autoscaling", "beanstalk") or (lab, stage) == ("ssh-access", "starter")
    for vm in instances:
        assert vm.inputs["metadataOptions"]["httpTokens"] == "required"
        root = vm.inputs["rootBlockDevice"]
        assert root["encrypted"] is True and root["volumeType"] == "gp3" and root["deleteOnTermination"] is True
        assert vm.inputs["creditSpecification"] == {"cpuCredits": "standard"}
        assert vm.inputs["instanceType"] == "t3.micro"
        assert vm.inputs["userDataReplaceOnChange"] is True


@pytest.mark.parametrize("lab,stage", ALL_LAB_GRAPHS)
def test_no_admin_port_is_open_to_the_world_by_default(lab, stage):
    from .graphtools import INGRESS
    for rule in lab_graph(lab, stage=stage).of_type(INGRESS):
        if rule.inputs.get("cidrIpv4") == "0.0.0.0/0" or rule.inputs.get("cidrIpv6") == "::/0":
            assert rule.inputs["ipProtocol"] != "-1", rule.urn
            low, high = rule.inputs["fromPort"], rule.inputs["toPort"]
            assert not any(low <= port <= high for port in (22, 3389)), rule.urn


def test_world_open_ssh_only_with_the_explicit_flag():
    graph = lab_graph("vpc-nat", adminCidr="0.0.0.0/0", allowOpenAdminCidr=True)
    from .graphtools import sg_rules
    assert ("bastion-SG", "in", "tcp", 22, 22, "0.0.0.0/0") in sg_rules(graph)


def test_security_group_component_refuses_world_ssh_without_the_flag(tmp_path):
    program = tmp_path / "__main__.py"
    program.write_text(
        "from ipaddress import ip_network\n"
        "from components.context import LabContext\n"
        "from components.security import LabSecurityGroup, LabSecurityGroupArgs, inbound, SSH, ANYWHERE\n"
        "ctx = LabContext('c', 's', 1, 'lab', 'solution', '2026-12-19', ip_network('203.0.113.0/24'), False,\n"
        "                 't3.micro', None, 'us-east-1')\n"
        "LabSecurityGroup('g', LabSecurityGroupArgs('vpc-1', 'd', [inbound(SSH, ANYWHERE, 'ssh from anywhere')], ctx, 'g'))\n"
    )
    with pytest.raises(render.ProgramError, match=r"rule 'ssh from anywhere' opens SSH \(22\) to 0.0.0.0/0 \(the whole internet\); "
                                                  r"set cloudlabs:allowOpenAdminCidr: true"):
        render.run_program("c-s", config(), program=program)


def test_which_rules_count_as_world_open_admin_access():
    assert opens_admin_port_to_world(inbound(SSH, ANYWHERE, "x"))
    assert opens_admin_port_to_world(inbound(RDP, ANYWHERE, "x"))
    assert opens_admin_port_to_world(inbound(ALL_TRAFFIC, ANYWHERE, "x"))
    assert not opens_admin_port_to_world(inbound(HTTP, ANYWHERE, "x"))
    from ipaddress import ip_network
    assert not opens_admin_port_to_world(inbound(SSH, ip_network("203.0.113.0/24"), "x"))


def test_ipv6_subnets_are_the_numbered_64s_of_the_vpc_56():
    assert ipv6_subnet("2001:db8:0:ab00::/56", 0) == "2001:db8:0:ab00::/64"
    assert ipv6_subnet("2001:db8:0:ab00::/56", 11) == "2001:db8:0:ab0b::/64"


def test_lab_vpc_ipv6_block_subnets_and_default_routes(tmp_path):
    """LabVpc's IPv6 option (the dual-stack lab builds on it): a /56, numbered /64s, ::/0 to the
    internet gateway for public subnets and to an egress-only gateway for private ones."""
    program = tmp_path / "__main__.py"
    program.write_text(
        "from ipaddress import ip_network\n"
        "from cloudlabs.catalog import lab_layout\n"
        "from components.context import LabContext\n"
        "from components.network import LabVpc, LabVpcArgs\n"
        "ctx = LabContext('c', 's01', 1, 'dual-stack', 'solution', '2026-12-19', ip_network('203.0.113.0/24'), False,\n"
        "                 't3.micro', None, 'us-east-1')\n"
        "plan = lab_layout('dual-stack', 1).vpc('VPC')\n"
        "LabVpc('ds', LabVpcArgs(plan=plan, context=ctx, availability_zones=['us-east-1a', 'us-east-1b'], nat_gateway=True))\n"
    )
    from ipaddress import IPv6Network
    from labctl.offline.graph import StackGraph
    from .graphtools import VPC, SUBNET, routes, subnets

    monitor = render.run_program("c-s01", config(), program=program)
    graph = StackGraph("c-s01", "cloudlabs", {}, {}, list(monitor.records.values()))
    (vpc,) = graph.of_type(VPC)
    block = IPv6Network(vpc.outputs["ipv6CidrBlock"])
    assert vpc.inputs["assignGeneratedIpv6CidrBlock"] is True and block.prefixlen == 56
    nets = subnets(graph)
    assert nets["SN-0"].inputs["ipv6CidrBlock"] == str(next(block.subnets(new_prefix=64)))  # the book's "00"
    for subnet in nets.values():
        assert IPv6Network(subnet.inputs["ipv6CidrBlock"]).subnet_of(block)
        assert subnet.inputs["assignIpv6AddressOnCreation"] is True
    assert len({s.inputs["ipv6CidrBlock"] for s in nets.values()}) == len(nets) == 12
    assert routes(graph) == {
        ("VPC-RT-Public", "0.0.0.0/0", "igw:VPC-IGW"),
        ("VPC-RT-Public", "::/0", "igw:VPC-IGW"),
        ("VPC-RT-Private", "0.0.0.0/0", "nat:VPC-NAT"),
        ("VPC-RT-Private", "::/0", "eigw:VPC-EIGW"),
    }
    assert {s.inputs["availabilityZone"] for s in graph.of_type(SUBNET)} == {"us-east-1a", "us-east-1b"}


@pytest.mark.parametrize("seat", [1, 50, 254])
def test_rendered_vpcs_never_overlap_within_or_across_students(seat):
    """Every lab and stage rendered for seats 1, 50 and 254: a student's VPCs are disjoint and
    all lie in their /16, so two students never overlap."""
    from ipaddress import ip_network
    from .graphtools import VPC
    block = ip_network(f"10.{seat}.0.0/16")
    for lab, stage in ALL_LAB_GRAPHS:
        cidrs = [ip_network(v.inputs["cidrBlock"]) for v in lab_graph(lab, stage=stage, seat=seat, student=f"s{seat}").of_type(VPC)]
        assert cidrs and all(c.subnet_of(block) for c in cidrs), (lab, stage, cidrs)
        for i, a in enumerate(cidrs):
            for b in cidrs[i + 1:]:
                assert not a.overlaps(b), (lab, stage, a, b)


def test_name_tags_carry_the_student_prefix_in_a_shared_account():
    """The sandbox profile (students share the account) prefixes Name tags; where students do not share one
    (per-student, self-service), a cohort may choose."""
    from .graphtools import name_tag, subnets
    shared = lab_graph("vpc-nat", profile="sandbox")
    assert {s.inputs["tags"]["Name"] for s in subnets(shared).values()} == {"s01-SN-A-01", "s01-SN-A-02"}
    own = lab_graph("vpc-nat", nameTagPrefix=False, profile="sandbox", accountModel="self-service")
    assert {s.inputs["tags"]["Name"] for s in subnets(own).values()} == {"SN-A-01", "SN-A-02"}
    assert {name_tag(s) for s in subnets(own).values()} == {name_tag(s) for s in subnets(shared).values()}
    chosen = lab_graph("vpc-nat", nameTagPrefix=True)  # learner-lab, prefix chosen anyway
    assert "s01-SN-A-01" in {s.inputs["tags"]["Name"] for s in subnets(chosen).values()}


def test_the_key_file_name_is_a_setting_the_ssh_outputs_use():
    """Default: the file the profile's download saves the key pair's key as (Learner Lab: vockey -> labsuser.pem),
    else <keyName>.pem; the stack's keyFile wins."""
    default = lab_graph("vpc-nat").outputs["vpc-nat"]["sshBastion"]
    assert default.startswith("ssh -i labsuser.pem ec2-user@")
    assert lab_graph("vpc-nat", profile="sandbox").outputs["vpc-nat"]["sshBastion"].startswith("ssh -i vockey.pem ec2-user@")
    assert lab_graph("vpc-nat", keyName="demo-key").outputs["vpc-nat"]["sshBastion"].startswith("ssh -i demo-key.pem ")
    renamed = lab_graph("vpc-nat", keyFile="keys/vockey.pem").outputs["vpc-nat"]
    assert renamed["sshBastion"].startswith("ssh -i keys/vockey.pem ec2-user@")
    assert renamed["sshWebDev"].count("-i keys/vockey.pem") == 2
