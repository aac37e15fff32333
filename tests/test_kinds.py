"""One record per resource kind (labctl.kinds): every type any lab renders, in every stage and
variant, has a record, and each facet the records hold is complete for it; the modules that read
a facet from the records name no type token for it; the modules that still keep a table of their
own (the facets not moved yet) may not name more tokens than they do today."""

from __future__ import annotations

import copy
import re
from functools import lru_cache

from cloudlabs import REPO_ROOT
from labctl import kinds
from labctl.analysis import cost
from labctl.analysis.drift import COMPARED
from labctl.ops import emulate

from .conftest import lab_graph
from .test_validation import VARIANTS

TOKEN = re.compile(r"""["'](?:aws|tls|random|docker):[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+["']|["']pulumi:providers:[a-z0-9]+["']""")
# Modules outside labctl/kinds that still name type tokens, with how many distinct ones: the facets
# not moved into the records yet. A number may only go down; a module not listed names none.
STILL_NAMING = {
    "labctl/offline/fakeaws.py": 53, "labctl/analysis/cfn.py": 43, "labctl/analysis/cfn_containers.py": 4,
    "labctl/analysis/deployrules.py": 6,
    "labctl/analysis/access.py": 3, "labctl/analysis/grading.py": 2, "labctl/analysis/cost.py": 2, "labctl/cli/summary.py": 1,
}


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


def test_type_tokens_are_named_outside_the_records_no_more_than_today():
    grown = {m: (n, STILL_NAMING.get(m, 0)) for m, n in _naming().items() if n > STILL_NAMING.get(m, 0)}
    assert grown == {}, "a facet belongs in labctl/kinds (one record per type), not in a table of its own"


def test_the_token_count_sees_tokens():
    assert len(TOKEN.findall('x = {"aws:ec2/vpc:Vpc": 1, "pulumi:providers:docker": 2, "aws:ec2:vpc": 3}')) == 2


def test_every_kind_is_swept_or_says_why_and_the_sweep_covers_everything_the_emulator_makes():
    from labctl.ops.sweep_kinds import KIND_NAMES
    for token, kind in kinds.KINDS.items():
        assert bool(kind.sweep) != bool(kind.sweep_with), f"{token}: a sweep kind or a reason, one of them"
        assert not kind.sweep or kind.sweep in KIND_NAMES, f"{token}: the sweep has no kind {kind.sweep!r}"
    # what the emulator can make, a failed destroy can leave: the sweep finds it, or its parent
    for token in emulate.HANDLERS:
        kind = kinds.KINDS[token]
        assert kind.sweep or kind.sweep_with.startswith(("goes with", "nothing in the cloud")), token
    for kind in kinds.KINDS.values():  # "goes with its route table": a kind the sweep deletes
        if kind.sweep_with.startswith("goes with its "):
            assert kind.sweep_with.removeprefix("goes with its ").split(" (")[0] in KIND_NAMES, kind.token


def test_deploy_readiness_translates_every_rendered_kind_whose_record_gives_no_reason():
    from labctl.analysis import cfn
    assert cfn.NOT_VALIDATED == {t: k.no_template for t, k in kinds.KINDS.items() if k.no_template}
    for token in rendered_types():
        assert (token in cfn.TRANSLATIONS) != bool(kinds.KINDS[token].no_template), token


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
