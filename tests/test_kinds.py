"""One record per resource kind (labctl.kinds): every type any lab renders, in every stage and
variant, has a record, and each facet the records hold is complete for it; no module outside the
records names a type token (labctl and cloudlabs: a table of one facet's own would start there)."""

from __future__ import annotations

import copy
import re
from functools import lru_cache

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from cloudlabs import REPO_ROOT
from labctl import kinds
from labctl.analysis import cost
from labctl.analysis.drift import COMPARED
from labctl.offline.fakeaws import FakeAws
from labctl.ops import emulate

from .conftest import lab_graph
from .test_validation import VARIANTS

TOKEN = re.compile(r"""["'](?:aws|tls|random|docker):[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+["']|["']pulumi:providers:[a-z0-9]+["']""")


@lru_cache(maxsize=1)
def rendered_types() -> frozenset[str]:
    return frozenset(r.type for lab, stage, options in VARIANTS for r in lab_graph(lab, stage, options).resources
                     if r.custom or r.type.startswith("pulumi:providers:") and r.type != "pulumi:providers:aws")


def test_every_type_a_lab_renders_has_one_record():
    missing = sorted(rendered_types() - set(kinds.KINDS))
    assert missing == []
    assert len(rendered_types()) > 40  # the variants really were rendered


def test_every_kind_has_a_price_rule_the_estimator_has_or_says_why_it_has_none():
    for token, kind in kinds.KINDS.items():
        if kind.price in (kinds.FREE, kinds.USAGE):
            assert token in cost.FREE
        else:
            assert callable(getattr(cost.Estimator, kind.price, None)), f"{token}: no estimator rule {kind.price!r}"
    assert cost.FREE == {t for t, k in kinds.KINDS.items() if k.price in (kinds.FREE, kinds.USAGE)}
    usage_without_reason = [t for t, k in kinds.KINDS.items() if k.price == kinds.USAGE and not k.price_note]
    assert usage_without_reason == []


def test_the_emulator_makes_every_kind_it_does_not_give_a_reason_for_and_no_other():
    for token, kind in kinds.KINDS.items():
        assert (kind.emulator is None) != (kind.emulated is None), f"{token}: how moto makes it, or why it cannot"
        assert (token in emulate.HANDLERS) == (kind.emulated is None), token
    assert emulate.GENERATED_LOCALLY == {"random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey"}
    assert set(emulate.UNSUPPORTED) | set(emulate.DOCKER_ENGINE_TYPES) == {
        t for t, k in kinds.KINDS.items() if k.emulated}


def test_drift_compares_the_kinds_the_records_mark_by_their_labels():
    assert COMPARED == {t: k.label for t, k in kinds.KINDS.items() if k.drift}
    assert "aws:ec2/natGateway:NatGateway" in COMPARED and COMPARED["aws:ec2/vpc:Vpc"] == "VPC"


def test_labels_are_unique_within_a_service_and_services_come_from_the_token():
    seen: dict[tuple[str, str], str] = {}
    for token, kind in kinds.KINDS.items():
        key = (kind.service, kind.label)
        assert key not in seen or kind.service == "s3", f"{token} and {seen.get(key)} share the label {kind.label!r}"
        seen[key] = token
    assert kinds.kind("aws:lb/listener:Listener").service == "lb"
    assert kinds.label("aws:newservice/thing:Thing") == "aws:newservice/thing:Thing"


def _naming() -> dict[str, int]:
    found = {}
    for path in sorted((REPO_ROOT / "labctl").rglob("*.py")) + sorted((REPO_ROOT / "cloudlabs").rglob("*.py")):
        relative = path.relative_to(REPO_ROOT).as_posix()
        if relative.startswith("labctl/kinds/"):
            continue
        tokens = set(TOKEN.findall(path.read_text()))
        if tokens:
            found[relative] = len(tokens)
    return found


def test_no_module_outside_the_records_names_a_type_token():
    assert _naming() == {}, "a fact about a type belongs in its record in labctl/kinds, not in a table of its own"


def test_the_token_count_sees_tokens():
    assert len(TOKEN.findall('x = {"aws:ec2/vpc:Vpc": 1, "pulumi:providers:docker": 2, "aws:ec2:vpc": 3}')) == 2


def test_every_kind_is_swept_or_says_why_and_the_sweep_covers_everything_the_emulator_makes():
    from labctl.kinds.sweeping import SWEEP_ORDER, sweep_rules
    rules = sweep_rules()
    for token, kind in kinds.KINDS.items():
        assert bool(kind.sweep) != bool(kind.sweep_with), f"{token}: a sweep kind or a reason, one of them"
        assert bool(kind.sweep) == (kind.sweep_rule is not None), f"{token}: a sweep label goes with its rule"
        assert not kind.sweep or rules.get(kind.sweep) is kind.sweep_rule, f"{token}: its rule is not the sweep's {kind.sweep!r}"
    # each rule is deleted once, in SWEEP_ORDER, under its own label
    assert len(SWEEP_ORDER) == len(set(SWEEP_ORDER)) == len(rules)
    assert {id(k.sweep_rule) for k in kinds.KINDS.values() if k.sweep_rule} == {id(r) for r in rules.values()}
    # what the emulator can make, a failed destroy can leave: the sweep finds it, or its parent
    for token in emulate.HANDLERS:
        kind = kinds.KINDS[token]
        assert kind.sweep or kind.sweep_with.startswith(("goes with", "nothing in the cloud")), token
    for kind in kinds.KINDS.values():  # "goes with its route table": a kind the sweep deletes
        if kind.sweep_with.startswith("goes with its "):
            assert kind.sweep_with.removeprefix("goes with its ").split(" (")[0] in rules, kind.token


# What the book's chapters have a student make by hand (console, CLI, boto3) beyond what the labs
# render, and the record whose rule sweeps it (shared/LABS.md, the seed's chapters): a new kind a
# chapter introduces needs a record with a rule here.
BY_HAND = {
    "network interface": "aws:ec2/networkInterface:NetworkInterface",  # an ENI left unused (chapter 5, book ch. 5, “The Default Security Group” › “Configure and Apply Security Groups”)
    "AMI": "aws:ec2/ami:Ami",  # "Create an IMAGE out of the EC2 instance" (chapter 8, book ch. 8, “Creation of the elastic load balancer” › “Configuration of an Auto Scaling Group”)
    "snapshot": "aws:ebs/snapshot:Snapshot",  # what that image is stored as
    "volume": "aws:ebs/volume:Volume",  # one an instance made by hand leaves behind
    "log group": "aws:cloudwatch/logGroup:LogGroup",  # ECS tasks' awslogs, Beanstalk's logs (chapters 11, 12)
    "Elastic IP": "aws:ec2/eip:Eip", "NAT gateway": "aws:ec2/natGateway:NatGateway",  # chapter 7, book ch. 7, “Designing and deploying VPCs” › “Configuring external access for the private subnet via NAT gateway”
    "instance": "aws:ec2/instance:Instance",
    "VPC endpoint": "aws:ec2/vpcEndpoint:VpcEndpoint", "key pair": "aws:ec2/keyPair:KeyPair",
}


def test_what_the_book_has_students_make_by_hand_has_a_record_whose_rule_sweeps_it():
    for label, token in BY_HAND.items():
        kind = kinds.KINDS[token]
        assert kind.sweep == label and kind.sweep_rule is not None, token
        assert kind.price in (kinds.FREE, kinds.USAGE) or callable(getattr(cost.Estimator, kind.price, None)), token
        assert kind.emulated or token in emulate.HANDLERS, token


def test_deploy_readiness_translates_every_rendered_kind_whose_record_gives_no_reason():
    from labctl.analysis import cfn
    for token in rendered_types():
        kind = kinds.KINDS[token]
        assert (kind.template is None) == bool(kind.no_template), f"{token}: a CloudFormation template, or why it has none"
    for token, kind in kinds.KINDS.items():
        assert not (kind.template and kind.no_template), token
    assert cfn.NOT_VALIDATED == {t: k.no_template for t, k in kinds.KINDS.items() if k.no_template}
    assert cfn.TRANSLATIONS == {t: k.template for t, k in kinds.KINDS.items() if k.template}


def test_a_kind_folded_into_another_names_a_kind_with_a_resource_of_its_own():
    for token, kind in kinds.KINDS.items():
        fold = kind.template.fold if kind.template else None
        if fold is not None:
            into = kinds.KINDS[fold.into].template
            assert into is not None and into.type and into.fold is None, token
        elif kind.template is not None:
            assert kind.template.type.startswith("AWS::"), token


def test_every_fact_a_record_names_is_one_drift_reads_and_what_aws_makes_is_ignored():
    from labctl.analysis import drift
    named_facts = {k.drift_fact for k in kinds.KINDS.values() if k.drift_fact}
    assert named_facts == set(drift.FACTS)
    assert all(k.drift_fact for k in kinds.KINDS.values() if k.within)
    graph = copy.deepcopy(lab_graph("vpc-nat", "solution", None))
    before = drift.facts(graph)
    (vpc,) = graph.of_type("aws:ec2/vpc:Vpc")
    rule = copy.deepcopy(graph.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")[0])
    rule.urn, rule.inputs["cidrIpv4"] = rule.urn + "-copy", "203.0.113.7/32"
    graph.resources.append(rule)
    rule.inputs["securityGroupId"] = vpc.outputs["defaultSecurityGroupId"]  # a rule on the group AWS made: ignored
    assert drift.facts(graph) == before
    rule.inputs["securityGroupId"] = graph.of_type("aws:ec2/securityGroup:SecurityGroup")[0].id  # on the lab's own group: a fact
    assert len(drift.facts(graph) - before) == 1


def test_every_kind_states_the_fake_clouds_answer_for_it():
    for token, kind in kinds.KINDS.items():
        assert callable(kind.fake), f"{token}: what the fake cloud answers (labctl.kinds.fakes.generic, or its own)"
    assert rendered_types() <= {t for t, k in kinds.KINDS.items() if k.fake}


def test_the_fake_cloud_answers_from_the_records_and_generically_for_a_type_without_one():
    cloud = FakeAws("us-east-1", "s")
    vpc, outputs = cloud.new_resource(MockResourceArgs("aws:ec2/vpc:Vpc", "v", {"cidrBlock": "10.1.0.0/16"}, custom=True))
    assert vpc.startswith("vpc-") and outputs["defaultSecurityGroupId"].startswith("sg-")
    # no record (a component, the default AWS provider, a type new to the project): as it always was
    thing, outputs = cloud.new_resource(MockResourceArgs("aws:newservice/thing:Thing", "t", {"a": 1}, custom=True))
    assert thing.startswith("thing-") and outputs == {"a": 1, "id": thing}
    assert cloud.new_resource(MockResourceArgs("cloudlabs:labs:Thing", "t", {}, custom=False)) == ("", {})
    assert all(":" in t and t.split(":")[-1].startswith("get") for t in kinds.LOOKUPS)
    assert cloud.call(MockCallArgs("aws:index/getRegion:getRegion", {}, ""))["name"] == "us-east-1"


def test_the_deploy_rules_facts_name_inputs_the_labs_render():
    """What a record tells the deploy rules (labctl.analysis.deployrules) is an input its rendered
    resources have: a renamed input would silently turn a rule off."""
    seen: set[str] = set()
    for lab, stage, options in VARIANTS:
        for r in lab_graph(lab, stage, options).custom_resources:
            kind = kinds.KINDS[r.type]
            for fact, inputs in (("needs_gateway", (kind.needs_gateway.subnets,) if kind.needs_gateway else ()),
                                 ("gateway_of", (kind.gateway_of,) if kind.gateway_of else ()),
                                 ("internet_route", (kind.internet_route.table,) if kind.internet_route else ()),
                                 ("table_association", tuple(vars(kind.table_association).values())
                                  if kind.table_association else ()),
                                 ("newest_image", kind.newest_image[:1]),
                                 ("extended_support", ("engine", "engineVersion") if kind.extended_support else ())):
                assert all(i in r.inputs for i in inputs), f"{r.type}: {fact} names {inputs}, not all in its inputs"
                seen.update([fact] if inputs and fact != "internet_route" else [])
            route = kind.internet_route
            if route and r.inputs.get(route.destination) == "0.0.0.0/0" and route.gateway in r.inputs:
                seen.add("internet_route")  # a default route to a gateway, as the rule reads it
    assert seen == {"needs_gateway", "gateway_of", "internet_route", "table_association", "newest_image", "extended_support"}


def test_what_needs_no_gateway_record_waits_for_no_health_that_would_need_one():
    """NeedsGateway's docstring leaves ECS services and Auto Scaling groups out because Pulumi does not
    wait for their tasks or instances to be healthy: no lab may ask it to without giving them a record."""
    waits = {"aws:ecs/service:Service": ("waitForSteadyState",),
             "aws:autoscaling/group:Group": ("waitForElbCapacity", "minElbCapacity")}
    for lab, stage, options in VARIANTS:
        for r in lab_graph(lab, stage, options).custom_resources:
            if r.type in waits and not kinds.KINDS[r.type].needs_gateway:
                assert not any(r.inputs.get(i) for i in waits[r.type]), f"{lab} {stage} {r.name} waits for health"


def test_the_small_facets_are_read_from_the_records():
    from labctl.analysis import access, grading
    from labctl.cli import summary
    assert (access.BUCKETS, access.ENDPOINTS, access.HOSTS) == (
        {"aws:s3/bucket:Bucket"}, {"aws:ec2/vpcEndpoint:VpcEndpoint"}, {"aws:ec2/instance:Instance"})
    assert grading.DEPLOYED_SIGNS == {"aws:ec2/vpc:Vpc", "aws:s3/bucket:Bucket"}
    graph = lab_graph("vpc-peering", "solution", None)
    assert summary.vpc_cidrs(graph) == sorted(r.inputs["cidrBlock"] for r in graph.of_type("aws:ec2/vpc:Vpc"))
    assert len(summary.vpc_cidrs(graph)) == 2


def test_every_rendered_kind_is_read_live_or_says_why_and_drift_compares_only_what_is_read():
    from labctl.kinds.live_reads import LiveRead
    for token in rendered_types():
        kind = kinds.KINDS[token]
        assert (kind.live is None) == bool(kind.live_reason), f"{token}: how the live reader reads it, or why it does not"
        assert kind.live is None or isinstance(kind.live, LiveRead), token
    # what drift compares by its presence, or as a fact, must be in the live graph it compares
    unread = [t for t, k in kinds.KINDS.items() if (k.drift or k.drift_fact) and k.live is None and k.drift_fact != "launches"]
    assert unread == []


def test_the_live_reader_reads_each_listing_once_and_names_the_actions_it_needs():
    from labctl.ops import live
    listings = {read.listing for _, read in live._READ_LIVE}
    assert len(listings) < len(live._READ_LIVE)  # a route table's listing gives its routes and associations too
    actions = {a.split(":", 1)[1].lower() for a in live.READ_ACTIONS}
    for listing in listings:  # the IAM action is the call's name (ListBuckets: ListAllMyBuckets)
        action = listing.operation.replace("_", "").replace("listbuckets", "listallmybuckets")
        assert action in actions, action


def test_every_rendered_kind_has_a_role_in_the_network_model_or_says_why():
    from labctl.analysis import reach
    from labctl.kinds.network import ROLES, Reach
    for token in rendered_types():
        kind = kinds.KINDS[token]
        assert (kind.reach is None) == bool(kind.reach_reason), f"{token}: its role in the network model, or why it has none"
        assert kind.reach is None or (isinstance(kind.reach, Reach) and kind.reach.role in ROLES), token
    placed = [token for token, _ in reach._PLACERS]
    assert set(placed) == {t for t, k in kinds.KINDS.items() if k.reach} and len(placed) == len(set(placed))
    roles = [kinds.KINDS[t].reach.role for t in placed]
    assert roles == sorted(roles, key=ROLES.index)  # built in the roles' order: a subnet before the hosts in it


# An ACL association is not created: the subnet's association with its current ACL is replaced
# (ReplaceNetworkAclAssociation names the association and the new ACL), so only its template and
# live read rename through its map.
REPLACED_NOT_CREATED = {"aws:ec2/networkAclAssociation:NetworkAclAssociation"}


def test_a_kinds_field_map_is_what_its_template_and_its_emulator_call_name():
    """Where a record has one map of its inputs to the API's names, the CloudFormation template and the
    emulator's calls both name every set input by it (a map the two copied would drift)."""
    from unittest import mock

    mapped = {t: k for t, k in kinds.KINDS.items() if k.fields is not None}
    assert len(mapped) >= 9
    seen = set()
    for lab, stage, options in VARIANTS:
        for r in lab_graph(lab, stage, options).custom_resources:
            kind = mapped.get(r.type)
            if kind is None:
                continue
            seen.add(r.type)
            wanted = kind.fields.api(r.inputs)
            if kind.template is not None:
                props = kind.template.properties(mock.Mock(ref=lambda value: value), r)
                assert {api: props.get(api) for api in wanted} == wanted, r.urn
            if r.type in REPLACED_NOT_CREATED:
                continue
            aws = mock.MagicMock()  # answers what the creates read back: a VPC's Amazon-provided /56
            aws.describe_vpcs.return_value = {"Vpcs": [{"Ipv6CidrBlockAssociationSet": [{"Ipv6CidrBlock": "2600:1f18:1::/56"}]}]}
            kind.emulator.create(lambda service: aws, r.inputs, r.name)
            called = {key for call in aws.method_calls for key in call.kwargs}
            sent = {api for api, value in wanted.items() if value is not False}  # false: AWS's default, need not be sent
            assert sent - called == set(), r.urn
    assert seen == set(mapped) - {"aws:ec2/eipAssociation:EipAssociation"}  # every mapped kind but the recipe's was rendered
