"""Every lab's expected paths, on its rendered graph; and no rule that a path relies on is decorative."""

from __future__ import annotations

import pytest

from cloudlabs.catalog import LABS
from labctl.analysis.check import check_graph
from labctl.analysis.reach import evaluate, without

from .conftest import lab_graph

VARIANTS = [(lab, stage, None) for lab, spec in LABS.items() for stage in spec.stages] + [
    ("ec2-webserver", "solution", {"count": 6, "os": "alternate"}),
    ("dual-stack", "starter", {"coursework": True}),
    ("dual-stack", "solution", {"coursework": True}),
    ("dual-stack", "solution", {"coursework": True, "natGateway": False}),
    ("vpc-peering", "solution", {"natGateway": False}),
    ("access-control", "ssh", {"parts": ["security-groups"]}),
    ("access-control", "starter", {"parts": ["coursework"]}),
    ("access-control", "solution", {"parts": ["coursework"]}),
    ("access-control", "starter", {"parts": ["coursework-nacl"]}),
    ("access-control", "ssh", {"parts": ["coursework-nacl"]}),
    ("access-control", "solution", {"parts": ["security-groups", "containers", "coursework-nacl"]}),
    ("access-control", "starter", {"parts": ["tcp-analysis"]}),
    ("access-control", "solution", {"parts": ["tcp-analysis"]}),
    ("peering-topologies", "starter", {"topology": "provider"}),
    ("peering-topologies", "solution", {"topology": "provider"}),
    ("containers", "solution", {"coursework": True}),
    ("object-storage", "starter", {"parts": ["coursework"]}),
    ("object-storage", "solution", {"parts": ["endpoint", "coursework"]}),
    ("lamp", "starter", {"coursework": True}),
    ("lamp", "solution", {"coursework": True}),
    ("beanstalk", "solution", {"environment": "high-availability"}),
    ("beanstalk", "solution", {"coursework": True}),
    ("ssh-access", "starter", {"key": "generated"}),
    ("ssh-access", "solution", {"key": "existing"}),
]
IDS = [f"{lab}-{stage}" + (f"-{'-'.join(f'{k}={v}' for k, v in opts.items())}" if opts else "") for lab, stage, opts in VARIANTS]


@pytest.mark.parametrize("lab,stage,options", VARIANTS, ids=IDS)
def test_every_expected_path_holds(lab, stage, options):
    results = check_graph(lab_graph(lab, stage=stage, options=options))
    assert results, "a lab must declare its expected paths"
    failed = [f"{r.expect.label}: expected {'allowed' if r.expect.allowed else 'denied'}; {r.verdict.explanation}"
              for r in results if not r.passed]
    assert not failed, "\n".join(failed)


@pytest.mark.parametrize("lab,stage,options", VARIANTS, ids=IDS)
def test_no_rule_an_allowed_path_relies_on_is_decorative(lab, stage, options):
    """Remove any single route, NACL entry or security-group rule an allowed path relies on:
    the path must then be reported as failing."""
    graph = lab_graph(lab, stage=stage, options=options)
    checked = 0
    for result in check_graph(graph):
        if not result.expect.allowed:
            continue
        assert result.verdict.relied, f"{result.expect.label} relies on no explicit rule at all"
        for urn in result.verdict.relied:
            e = result.expect
            verdict = evaluate(without(graph, [urn]), e.src, e.dst, e.protocol, e.port)
            assert not verdict.allowed, f"{e.label} still allowed without {urn}"
            checked += 1
    if any(r.expect.allowed for r in check_graph(graph)):
        assert checked > 0


def test_a_starter_fails_exactly_where_the_book_says():
    nat = {r.expect.label: r.verdict.reason for r in check_graph(lab_graph("vpc-nat", stage="starter")) if not r.verdict.allowed}
    assert nat["bastion -> web-dev:80"] == "security group web-dev-SG of web-dev has no inbound rule for tcp 80 from bastion"
    assert nat["web-dev -> internet:443"].startswith("route table VPC-A-RT-Private (rtb-")
    assert nat["web-dev -> internet:443"].endswith("has no route to the internet (0.0.0.0/0)")
    peering = {r.expect.label: r.verdict.reason for r in check_graph(lab_graph("vpc-peering", stage="starter"))
               if not r.verdict.allowed}
    assert peering["VM1 -> VM4:80"] == ("VM1 and VM4 are in different VPCs: route table VPC-A-RT-Public has no route to "
                                        "10.1.128.0/17 through a peering connection")
    nacl = {r.expect.label: r.verdict.reason for r in check_graph(lab_graph("access-control", stage="ssh")) if not r.verdict.allowed}
    assert nacl["VM-NACL -> internet:443"] == ("the NACL NACL-SN-0 of subnet SN-0 has no outbound rule for the request "
                                                "(tcp 443 to 198.18.7.7)")
