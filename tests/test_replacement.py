"""Replacements in the review's diff: what `pulumi preview` would replace, and what becomes unknown.

Classified against AWS's CloudFormation schemas (create-only properties, cfn-lint's copy), the kinds'
records and the resource options; checked on every kind the labs render, and on the issue's example
(vpc-nat starter -> solution replaces web-dev: userData with user_data_replace_on_change)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from cloudlabs.catalog import LABS
from labctl import kinds
from labctl.analysis import cfn
from labctl.analysis.diff import REPLACE, REPLACE_DELETE_FIRST, diff_sets, diff_stack, loss_lines, report_lines
from labctl.analysis.replacement import AFTER_REPLACEMENT, TAGS, create_only
from labctl.kinds.replacing import ANY

from .conftest import lab_graph


@pytest.fixture(scope="module")
def vpc_nat() -> tuple[dict[str, Any], dict[str, Any]]:
    return lab_graph("vpc-nat", "starter").to_json(), lab_graph("vpc-nat", "solution").to_json()


@pytest.fixture(scope="module")
def solutions() -> dict[str, dict[str, Any]]:
    """Every lab at its last stage, as snapshot documents."""
    return {lab: lab_graph(lab, LABS[lab].last_stage).to_json() for lab in LABS}


def _resource(doc: dict[str, Any], type_token: str, name_part: str = "") -> dict[str, Any]:
    return next(r for r in doc["resources"] if r["type"] == type_token and name_part in r["name"])


def _change(doc: dict[str, Any], urn: str, key: str, value: Any) -> dict[str, Any]:
    head = copy.deepcopy(doc)
    for r in head["resources"]:
        if r["urn"] == urn:
            r["inputs"][key] = value
    return head


def _op(base: dict[str, Any], head: dict[str, Any], urn: str) -> str:
    found = [r for r in diff_stack(base["stack"], base, head).resources if r.urn == urn]
    return found[0].op if found else ""


def test_the_issues_example_replaces_web_dev_and_its_outputs_are_unknown(vpc_nat):
    base, head = vpc_nat
    d = diff_stack("s", base, head)
    ops = {r.name: r for r in d.resources}
    web = ops["vpc-nat-web-dev"]
    assert web.op == REPLACE and any("userDataReplaceOnChange" in b for b in web.because)
    assert "vpc-nat-bastion" not in ops  # unchanged: no replacement invented
    outputs = {p.path: p for p in d.outputs}
    for name in ("webDevPrivateIp", "sshWebDev", "curlFromBastion"):
        assert outputs[f"vpc-nat.{name}"].new == AFTER_REPLACEMENT
        assert outputs[f"vpc-nat.{name}"].old == base["outputs"]["vpc-nat"][name]
    assert "vpc-nat.bastionPublicIp" not in outputs and "vpc-nat.vpcId" not in outputs
    assert d.losses == [("a running instance", "vpc-nat-web-dev (replaced)")]


def test_a_cohort_of_30_says_30_students_lose_a_running_instance(vpc_nat):
    base, head = vpc_nat

    def cohort(doc):
        out = {}
        for n in range(1, 31):
            copy_ = copy.deepcopy(doc)
            copy_["stack"] = f"c-s{n:02d}"
            copy_["settings"] = {**copy_["settings"], "cohort": "c", "student": f"s{n:02d}"}
            out[copy_["stack"]] = copy_
        return out
    diffs = diff_sets(cohort(base), cohort(head))
    assert loss_lines(diffs) == ["30 students lose a running instance: vpc-nat-web-dev (replaced)"]
    text = "\n".join(report_lines(diffs, markdown=True))
    assert "+-30 to replace" in text and "+- aws:ec2/instance:Instance vpc-nat-web-dev" in text


def test_an_ignored_change_is_no_change(vpc_nat):
    base, _ = vpc_nat
    web = _resource(base, "aws:ec2/instance:Instance", "web-dev")
    assert "ami" in web.get("ignoreChanges", [])
    head = _change(base, web["urn"], "ami", "ami-0123456789abcdef0")
    assert diff_stack("s", base, head).status == "unchanged"


# Known answers, independent of the code under test: what the provider does (its documentation).
KNOWN = [
    ("vpc-nat", "aws:ec2/subnet:Subnet", "sn-a-02", "cidrBlock", "10.1.9.0/24", REPLACE),
    ("vpc-nat", "aws:ec2/subnet:Subnet", "sn-a-01", "mapPublicIpOnLaunch", False, "~"),
    ("vpc-nat", "aws:ec2/instance:Instance", "web-dev", "instanceType", "t3.small", "~"),
    ("vpc-nat", "aws:ec2/instance:Instance", "bastion", "keyName", "other", REPLACE),
    ("vpc-nat", "aws:ec2/vpc:Vpc", "", "cidrBlock", "10.9.0.0/16", REPLACE),
    ("vpc-nat", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "", "fromPort", 2222, "~"),
    ("vpc-nat", "aws:ec2/route:Route", "", "destinationCidrBlock", "10.77.0.0/16", REPLACE),
    ("load-balancer", "aws:lb/targetGroup:TargetGroup", "", "port", 8080, REPLACE),
    ("load-balancer", "aws:lb/targetGroup:TargetGroup", "", "deregistrationDelay", 10, "~"),
    ("lamp", "aws:rds/instance:Instance", "", "allocatedStorage", 30, "~"),
    ("lamp", "aws:rds/instance:Instance", "", "username", "other", REPLACE),
]


@pytest.mark.parametrize("lab, type_token, name_part, key, value, expected", KNOWN,
                         ids=[f"{k[1].split(':')[-1]}.{k[3]}" for k in KNOWN])
def test_known_answers(solutions, lab, type_token, name_part, key, value, expected):
    base = solutions[lab]
    r = _resource(base, type_token, name_part)
    op = _op(base, _change(base, r["urn"], key, value), r["urn"])
    assert op.replace(REPLACE_DELETE_FIRST, REPLACE) == expected


def _mutated(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    if isinstance(value, list):
        return value + value[-1:] if value else ["x"]
    if isinstance(value, dict):
        return {**value, "cloudlabsChanged": "x"}
    return "x"


def _schema_says(base: dict[str, Any], head: dict[str, Any], r: dict[str, Any], key: str) -> bool:
    """The oracle, from the schema alone: a create-only property of the resource's own CloudFormation
    resource differs, the record's inputs or replace-on-change flag name the input, or the options do."""
    from labctl.offline.graph import StackGraph
    record = kinds.kind(r["type"])
    rep = record.replaces
    if key in r.get("replaceOnChanges", []):
        return True
    if rep is not None and key not in TAGS:
        if ANY in rep.inputs or key in rep.inputs or (rep.flag and r["inputs"].get(rep.flag) and key in rep.flagged):
            return True
    if record.template is None or record.template.fold is not None:
        return False
    old, new = (cfn.translate(StackGraph.from_json(d)) for d in (base, head))

    def own(translation):
        lid = min((lid for lid, urn in translation.logical.items() if urn == r["urn"]), key=len)
        return translation.template["Resources"][lid]
    a, b = own(old), own(new)
    updatable = set(rep.updatable) if rep else set()
    for parts in create_only(b["Type"]):
        if parts[0] in updatable or parts[0] in TAGS:
            continue
        get_a, get_b = a.get("Properties", {}), b.get("Properties", {})
        for p in parts:
            if p == "*":
                break
            get_a = get_a.get(p) if isinstance(get_a, dict) else None
            get_b = get_b.get(p) if isinstance(get_b, dict) else None
        if get_a != get_b:
            return True
    return False


def test_every_kind_the_labs_render_is_classified_as_its_schema_says(solutions):
    """Each input of one resource of every kind, changed alone: replaced exactly when the schema says."""
    checked = set()
    for lab, doc in solutions.items():
        for r in doc["resources"]:
            if not r["custom"] or r["type"] in checked:
                continue
            checked.add(r["type"])
            for key in sorted(r["inputs"]):
                if key in r.get("ignoreChanges", []) or key in ("__defaults",):
                    continue
                head = _change(doc, r["urn"], key, _mutated(r["inputs"][key]))
                op = _op(doc, head, r["urn"])
                assert op in ("~", REPLACE, REPLACE_DELETE_FIRST), (lab, r["type"], key, op)
                assert (op != "~") == _schema_says(doc, head, r, key), (lab, r["type"], key, op)
    assert len(checked) >= 30


def test_every_kind_says_how_it_is_replaced():
    """A kind has its own CloudFormation resource (its schema's create-only properties) or a record."""
    missing = [t for t, k in kinds.KINDS.items()
               if (k.template is None or k.template.fold is not None) and k.replaces is None]
    assert missing == []
    for token, k in kinds.KINDS.items():
        if k.replaces is not None:
            assert k.replaces.source, token
            if k.replaces.updatable:
                assert k.template is not None
                names = {parts[0] for parts in create_only(k.template.type)}
                assert set(k.replaces.updatable) <= names, token  # only what the schema would replace on


def test_a_replaced_vpc_replaces_what_is_inside_it(solutions):
    """The VPC's id is unknown until the new one exists: its subnets (VpcId is create-only) and the
    instances in them (SubnetId) are replaced in turn; the addresses the outputs show are unknown."""
    base = solutions["vpc-nat"]
    vpc = _resource(base, "aws:ec2/vpc:Vpc")
    d = diff_stack("s", base, _change(base, vpc["urn"], "cidrBlock", "10.9.0.0/16"))
    ops = {r.name: r.op for r in d.resources}
    subnets = [r["name"] for r in base["resources"] if r["type"] == "aws:ec2/subnet:Subnet"]
    instances = [r["name"] for r in base["resources"] if r["type"] == "aws:ec2/instance:Instance"]
    assert all(ops[n] == REPLACE for n in [vpc["name"], *subnets, *instances])
    assert {p.path: p.new for p in d.outputs}["vpc-nat.vpcId"] == AFTER_REPLACEMENT


def test_resource_options_replace_on_changes_and_delete_before_replace(vpc_nat):
    base, _ = vpc_nat
    web = _resource(base, "aws:ec2/instance:Instance", "web-dev")
    head = _change(base, web["urn"], "tags", {**web["inputs"]["tags"], "Owner": "x"})
    assert _op(base, head, web["urn"]) == "~"  # tags change in place
    for r in head["resources"]:
        if r["urn"] == web["urn"]:
            r["replaceOnChanges"] = ["tags"]
    assert _op(base, head, web["urn"]) == REPLACE
    for r in head["resources"]:
        if r["urn"] == web["urn"]:
            r["deleteBeforeReplace"] = True
    assert _op(base, head, web["urn"]) == REPLACE_DELETE_FIRST


def test_a_name_the_program_sets_deletes_first_and_a_bucket_loses_its_objects(solutions):
    """Pulumi's bridge deletes first when the program names what Pulumi would name (two cannot share
    a name); a bucket replaced is a bucket emptied."""
    base = solutions["object-storage"]
    bucket = _resource(base, "aws:s3/bucket:Bucket", "public")
    assert bucket["inputs"].get("bucket")
    d = diff_stack("s", base, _change(base, bucket["urn"], "bucket", bucket["inputs"]["bucket"] + "-2"))
    change = [r for r in d.resources if r.urn == bucket["urn"]][0]
    assert change.op == REPLACE_DELETE_FIRST and any("bucket is set by the program" in b for b in change.because)
    assert ("a bucket's objects", f"{bucket['name']} (replaced)") in d.losses


def test_a_generated_name_creates_first(solutions):
    """A security group named from a prefix (Pulumi adds a suffix) is replaced new-one-first."""
    base = solutions["vpc-nat"]
    sg = _resource(base, "aws:ec2/securityGroup:SecurityGroup")
    assert sg["inputs"].get("namePrefix") and not sg["inputs"].get("name")
    assert _op(base, _change(base, sg["urn"], "description", "other"), sg["urn"]) == REPLACE
