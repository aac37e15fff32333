"""Network diagrams (issue 28): byte-stable Mermaid holding every VPC, subnet, gateway and peering of
the graph, marks, the expected-paths overlay, the CLI's bad input, and the generated docs kept current."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import shutil

import pytest

from cloudlabs import REPO_ROOT
from cloudlabs.catalog import LABS
from cloudlabs.paths import allow
from cloudlabs.settings import parse_settings
from labctl.analysis import labdocs
from labctl.analysis.check import check_graph
from labctl.analysis.diagram import CLASSES, MARKS, escape, mermaid
from labctl.cli.main import main
from labctl.kinds import KINDS, drawing
from labctl.offline.graph import StackGraph
from labctl.offline.render import render


def _render(lab: str, stage: str = "solution") -> StackGraph:
    cfg = labdocs._config(lab, stage, {})
    settings = parse_settings(cfg, labdocs.SAMPLE)
    return render(settings.stack_name, cfg, settings)


@pytest.fixture(scope="module")
def graphs() -> dict[str, StackGraph]:
    return {key: _render(*key.split(":")) for key in ("vpc-nat:solution", "vpc-nat:starter", "vpc-peering:solution",
                                                       "lamp:solution")}


def _of(graph: StackGraph, role: str) -> list:
    return [r for r in graph.custom_resources if r.type in KINDS and KINDS[r.type].diagram == role]


def _block(text: str, subgraph_id: str) -> str:
    """The lines of one subgraph, up to its own ``end``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"subgraph {subgraph_id}["))
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == " " * indent + "end")
    return "\n".join(lines[start:end + 1])


def _id_of(role_prefix: str, resource) -> str:
    return role_prefix + re.sub(r"[^A-Za-z0-9_]", "_", resource.name)


def test_every_drawn_role_is_known():
    assert {k.diagram for k in KINDS.values() if k.diagram} <= set(drawing.ROLES)


def test_the_same_graph_gives_the_same_bytes(graphs):
    for graph in graphs.values():
        text = mermaid(graph)
        assert mermaid(graph) == text
        assert mermaid(StackGraph.from_json(json.loads(graph.dumps()))) == text  # a snapshot's round trip
        assert text.startswith("flowchart LR\n") and "architecture" not in text


def test_every_vpc_subnet_gateway_and_peering_of_the_graph_is_drawn(graphs):
    for key, graph in graphs.items():
        text = mermaid(graph, paths=False)
        for vpc in _of(graph, drawing.VPC):
            block = _block(text, _id_of("vpc_", vpc))
            assert vpc.inputs["cidrBlock"] in block.splitlines()[0] and vpc.inputs["tags"]["Name"] in block.splitlines()[0]
            for subnet in (s for s in _of(graph, drawing.SUBNET) if s.inputs["vpcId"] == vpc.id):
                head = _block(block, _id_of("sn_", subnet)).splitlines()[0]
                # the tier is read from the route table; the lab's own tag says what the book meant
                assert subnet.inputs["cidrBlock"] in head and subnet.inputs["tags"]["cloudlabs:tier"] in head, (key, head)
                assert subnet.inputs["availabilityZone"] in head
            for gateway in (g for g in _of(graph, drawing.INTERNET_GATEWAY) if g.inputs["vpcId"] == vpc.id):
                assert f"    {_id_of('n_', gateway)}{{{{" in block
                assert f"internet --- {_id_of('n_', gateway)}" in text
        for nat in _of(graph, drawing.NAT):
            subnet = graph.by_id(nat.inputs["subnetId"])
            assert f"{_id_of('n_', nat)}{{{{\"NAT gateway: " in _block(text, _id_of("sn_", subnet))
        for instance in _of(graph, drawing.INSTANCE):
            assert _id_of("n_", instance) in _block(text, _id_of("sn_", graph.by_id(instance.inputs["subnetId"])))
        for peering in _of(graph, drawing.PEERING):
            ends = {_id_of("vpc_", graph.by_id(peering.inputs[k])) for k in ("vpcId", "peerVpcId")}
            assert any({line.split()[0], line.split()[-1]} == ends and "peering" in line for line in text.splitlines() if line)
    assert _of(graphs["vpc-peering:solution"], drawing.PEERING) and _of(graphs["vpc-nat:solution"], drawing.NAT)


def test_a_database_spans_its_subnet_groups_subnets(graphs):
    graph = graphs["lamp:solution"]
    text = mermaid(graph, paths=False)
    (db,) = _of(graph, drawing.DATABASE)
    spanned = {line.split()[-1] for line in text.splitlines() if line.strip().startswith(f"{_id_of('n_', db)} -.- ")}
    private = {_id_of("sn_", s) for s in _of(graph, drawing.SUBNET) if s.inputs["tags"]["cloudlabs:tier"] == "private"}
    assert spanned == private and len(private) == 2


def test_marks_give_a_class_and_a_marker_and_removed_resources_are_drawn(graphs):
    starter, solution = graphs["vpc-nat:starter"], graphs["vpc-nat:solution"]
    (nat,) = _of(solution, drawing.NAT)
    assert not _of(starter, drawing.NAT)
    web = next(r for r in _of(solution, drawing.INSTANCE) if r.name == "vpc-nat-web-dev")
    subnet = _of(starter, drawing.SUBNET)[0]
    vpc = _of(starter, drawing.VPC)[0]
    text = mermaid(starter, {web.urn: "replaced", subnet.urn: "changed", vpc.urn: "added"}, removed=[nat])
    nat_id = _id_of("n_", nat)
    assert f'{nat_id}{{{{"− NAT gateway: VPC-A-NAT"}}}}' in _block(text, _id_of("sn_", starter.by_id(nat.inputs["subnetId"])))
    assert '"± instance: web-dev"' in text and f'["~ {subnet.inputs["tags"]["Name"]}' in text and '["+ VPC ' in text
    for mark, members in (("removed", nat_id), ("replaced", _id_of("n_", web)), ("changed", _id_of("sn_", subnet)),
                          ("added", _id_of("vpc_", vpc))):
        assert f"  classDef {mark} {CLASSES[mark]}" in text and f"  class {members} {mark}" in text
    assert "stroke-dasharray" in CLASSES["removed"] and set(MARKS) == set(CLASSES)
    assert "classDef" not in mermaid(starter)
    with pytest.raises(ValueError, match="marks deleted; allowed: added, replaced, removed, changed"):
        mermaid(starter, {web.urn: "deleted"})


def test_expected_paths_are_drawn_allowed_or_denied(graphs, monkeypatch):
    graph = graphs["vpc-nat:solution"]
    text = mermaid(graph)
    edges = [line for line in text.splitlines() if ' "' in line and ("-->" in line or ".->" in line)]
    results = check_graph(graph)
    assert results and all(r.passed for r in results)
    for r in results:
        what = r.expect.protocol if r.expect.port is None else f"{r.expect.protocol}/{r.expect.port}"
        wanted = f'-- "{what}" -->' if r.expect.allowed else f'-. "✗ {what}" .->'
        assert any(wanted in e for e in edges), (r.expect, wanted)
    styles = [line for line in text.splitlines() if line.startswith("  linkStyle")]
    assert sum("#cf222e" in s for s in styles) == len({(r.expect.src, r.expect.dst, r.expect.protocol, r.expect.port)
                                                        for r in results if not r.expect.allowed})
    assert "✗" not in mermaid(graph, paths=False) and "linkStyle" not in mermaid(graph, paths=False)
    original = LABS["vpc-nat"]
    monkeypatch.setitem(LABS, "vpc-nat", dataclasses.replace(original, expected_paths=lambda stage, options: [
        allow("internet", "web-dev", 22, "nobody should expect this"), allow("bastion", "ghost", 22, "not in the graph")]))
    text = mermaid(graph)
    assert 'internet -- "tcp/22 (expected allowed, denied)" --> n_vpc_nat_web_dev' in text
    assert 'missing_ghost["ghost (not in the graph)"]' in text


def test_labels_are_escaped(graphs):
    assert escape('a "b" <c> [d] {e} |f| #g') == "a #quot;b#quot; #lt;c#gt; #91;d#93; #123;e#125; #124;f#124; #35;g"
    graph = StackGraph.from_json(json.loads(graphs["vpc-nat:solution"].dumps()))
    web = next(r for r in _of(graph, drawing.INSTANCE) if r.name == "vpc-nat-web-dev")
    web.inputs = copy.deepcopy(web.inputs)
    web.inputs["tags"]["Name"] = 's01-we"b<1>[x]'
    line = next(line for line in mermaid(graph, paths=False).splitlines() if line.strip().startswith("n_vpc_nat_web_dev["))
    assert line.strip() == 'n_vpc_nat_web_dev["instance: we#quot;b#lt;1#gt;#91;x#93;"]'


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_cli_draws_a_snapshot_and_refuses_bad_input_in_one_line(graphs, tmp_path, capsys):
    graph = graphs["vpc-peering:solution"]
    snapshot = tmp_path / f"{graph.stack}.json"
    snapshot.write_text(graph.dumps())
    code, out, _ = _run(capsys, "diagram", "--snapshot", str(snapshot), "--no-paths")
    assert code == 0 and out == mermaid(graph, paths=False)
    code, _, _ = _run(capsys, "diagram", "--snapshot", str(snapshot), "--output", str(tmp_path / "net.mmd"))
    assert code == 0 and (tmp_path / "net.mmd").read_text() == mermaid(graph)
    for argv, message in ((["demo-s01", "demo-s02"], "labctl: 2 stacks given (demo-s01 demo-s02); allowed: one stack"),
                          (["no-such-stack"], "labctl: no-such-stack: no such stack"),
                          (["demo"], "labctl: demo: selects"),
                          (["demo-s01", "--snapshot", str(snapshot)], "labctl: demo-s01 and --snapshot"),
                          (["--snapshot", str(tmp_path / "none.json")], "none.json"),
                          (["demo-s01", "--output", str(REPO_ROOT / "environments" / "Pulumi.demo-s01.yaml")],
                           "is the stack file of demo-s01, which labctl reads")):
        code, out, err = _run(capsys, "diagram", *argv)
        assert code == 2 and out == "" and len(err.splitlines()) == 1 and message in err, (argv, err)


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return labdocs.diagram_pages()


def test_the_diagram_docs_are_current_and_a_stale_one_is_caught(pages, tmp_path):
    directory = REPO_ROOT / labdocs.DIAGRAMS_DIR
    assert labdocs.diagram_problems(directory, pages) == [], "docs/diagrams is out of date: run ./dev docs"
    assert set(pages) == {f"{key}.md" for key in LABS} | {"README.md"}
    for key, lab in LABS.items():
        assert pages[f"{key}.md"].count("```mermaid") == len(lab.stages)
    copy_ = tmp_path / "diagrams"
    shutil.copytree(directory, copy_)
    (copy_ / "vpc-nat.md").write_text((copy_ / "vpc-nat.md").read_text().replace("10.1.2.0/24", "10.1.3.0/24"))
    (copy_ / "lamp.md").unlink()
    (copy_ / "old-lab.md").write_text("# gone\n")
    assert labdocs.diagram_problems(copy_, pages) == [f"{copy_ / 'lamp.md'}: missing", f"{copy_ / 'vpc-nat.md'}: out of date",
                                                      f"{copy_ / 'old-lab.md'}: not generated by ./dev docs (remove it)"]
