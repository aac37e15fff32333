"""labctl diff on hand-made snapshot pairs: added, removed, changed, folding, Markdown, exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from labctl.cli.main import main
from labctl.analysis.diff import diff_sets, fold, report_lines

VPC = "aws:ec2/vpc:Vpc"
ROUTE = "aws:ec2/route:Route"
RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def resource(stack: str, type_: str, name: str, inputs: dict) -> dict:
    return {"urn": f"urn:pulumi:{stack}::cloudlabs::{type_}::{name}", "type": type_, "name": name, "parent": None,
            "custom": True, "id": f"{name}-id", "inputs": inputs, "outputs": {}, "dependencies": [],
            "propertyDependencies": {}}


def snapshot(stack: str, *resources: tuple[str, str, dict], outputs: dict | None = None) -> dict:
    return {"format": "cloudlabs.graph/v1", "stack": stack, "project": "cloudlabs", "settings": {},
            "outputs": outputs or {}, "resources": [resource(stack, *r) for r in resources]}


def base_set(n: int = 3) -> dict[str, dict]:
    return {f"c-s{i}": snapshot(f"c-s{i}", (VPC, "vpc", {"cidrBlock": f"10.{i}.0.0/16", "tags": {"Name": f"s{i}-VPC"}}))
            for i in range(1, n + 1)}


def write_set(directory: Path, snapshots: dict[str, dict]) -> Path:
    directory.mkdir()
    for stack, data in snapshots.items():
        (directory / f"{stack}.json").write_text(json.dumps(data))
    return directory


def test_identical_sets_have_no_changes():
    diffs = diff_sets(base_set(), base_set())
    assert [d.status for d in diffs] == ["unchanged"] * 3
    assert report_lines(diffs, markdown=False) == ["No changes in 3 stacks."]


def test_the_same_addition_everywhere_folds_into_one_line():
    head = copy.deepcopy(base_set())
    for stack, data in head.items():
        data["resources"].append(resource(stack, ROUTE, "private-default", {"destinationCidrBlock": "0.0.0.0/0"}))
        data["resources"].append(resource(stack, RULE, "http-from-bastion", {"fromPort": 80}))
    diffs = diff_sets(base_set(), head)
    (group,) = fold(diffs)
    assert group.headline() == "+2 resources in each of 3 stacks"
    lines = report_lines(diffs, markdown=False)
    assert lines[0] == "3 of 3 stacks change: +6 to add, ~0 to change, +-0 to replace, -0 to remove."
    assert "+ aws:ec2/route:Route private-default" in lines


def test_changed_properties_are_listed_with_old_and_new_values():
    head = copy.deepcopy(base_set(2))
    head["c-s1"]["resources"][0]["inputs"]["tags"]["Name"] = "s1-VPC-A"
    head["c-s1"]["resources"][0]["inputs"]["enableDnsHostnames"] = True
    diffs = diff_sets(base_set(2), head)
    changed = diffs[0]
    assert changed.status == "changed" and diffs[1].status == "unchanged"
    (change,) = changed.resources
    assert change.op == "~" and [(p.path, p.old, p.new) for p in change.properties] == [
        ("enableDnsHostnames", None, True), ("tags.Name", "s1-VPC", "s1-VPC-A")]
    assert "    tags.Name: s1-VPC => s1-VPC-A" in report_lines(diffs, markdown=False)


def test_removals_new_stacks_and_removed_stacks():
    base = base_set(3)
    head = copy.deepcopy(base)
    head["c-s1"]["resources"] = []
    del head["c-s3"]
    head["c-s4"] = snapshot("c-s4", (VPC, "vpc", {"cidrBlock": "10.4.0.0/16"}))
    headlines = [g.headline() for g in fold(diff_sets(base, head))]
    assert sorted(headlines) == ["-1 resource in c-s1", "new stack (1 resources) in c-s4", "stack removed (1 resources) in c-s3"]


def test_different_shapes_fold_separately_and_outputs_count():
    base = base_set(4)
    head = copy.deepcopy(base)
    for stack in ("c-s1", "c-s2", "c-s3"):
        head[stack]["resources"].append(resource(stack, ROUTE, "r", {}))
    head["c-s4"]["outputs"] = {"url": "http://198.51.100.7/"}
    groups = fold(diff_sets(base, head))
    assert [g.headline() for g in groups] == ["+1 resource in each of 3 stacks", "1 output change in c-s4"]


def test_markdown_report_for_a_pull_request():
    head = copy.deepcopy(base_set(2))
    for stack, data in head.items():
        data["resources"].append(resource(stack, ROUTE, "r", {}))
    md = "\n".join(report_lines(diff_sets(base_set(2), head), markdown=True))
    assert md.startswith("## cloudlabs plan diff\n")
    assert "- **+1 resource in each of 2 stacks**" in md
    assert "<details><summary>+1 resource in each of 2 stacks</summary>" in md
    assert "Stacks: c-s1, c-s2 (shown: c-s1)" in md and "```diff\n+ aws:ec2/route:Route r\n```" in md


def test_cli_exit_codes_and_markdown_file(tmp_path, capsys):
    base = write_set(tmp_path / "base", base_set(2))
    same = write_set(tmp_path / "same", base_set(2))
    head_data = copy.deepcopy(base_set(2))
    head_data["c-s2"]["resources"][0]["inputs"]["cidrBlock"] = "10.22.0.0/16"
    head = write_set(tmp_path / "head", head_data)
    assert main(["diff", str(base), str(same)]) == 0
    md = tmp_path / "diff.md"
    assert main(["diff", str(base), str(head), "--markdown", str(md)]) == 1
    out = capsys.readouterr().out
    assert "1 replaced in c-s2" in out and "cidrBlock: 10.2.0.0/16 => 10.22.0.0/16" in out  # a new CIDR is a new VPC
    assert "1 replaced in c-s2" in md.read_text() and "+- aws:ec2/vpc:Vpc" in md.read_text()


def test_cli_refuses_what_is_not_a_snapshot(tmp_path, capsys):
    base = write_set(tmp_path / "base", base_set(1))
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.json").write_text('{"format": "other"}')
    assert main(["diff", str(base), str(bad)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"{bad}/x.json: format: 'other' is not allowed; allowed: cloudlabs.graph/v1 (labctl plan --snapshots)")
    assert main(["diff", str(base), str(tmp_path / "missing")]) == 2


def test_the_published_schema_accepts_every_snapshot_and_names_the_format(tmp_path, capsys):
    import json

    import jsonschema

    from labctl.cli.main import main
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "cloudlabs.graph/v1" and schema["properties"]["format"]["const"] == "cloudlabs.graph/v1"
    assert main(["plan", "demo-s02", "--quiet", "--snapshots", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "demo-s02.json").read_text())
    jsonschema.validate(document, schema)
    document["resources"][0]["custom"] = "yes"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema)
