"""What a change costs (labctl/analysis/cost_diff.py): figures against hand-computed ones from the
price table, the session from the cohort file through sync, settings and snapshot to the headline,
the profile's defaults, bad values refused, unpriced resources named, and no change said so.

Two stacks are rendered once (vpc-nat starter and solution, from a synced cohort file); every set
of 30 students is made by cloning their JSON under other stack names."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml

from cloudlabs import REPO_ROOT
from cloudlabs.cohort import apply_sync, plan_sync
from cloudlabs.settings import read_stack_file
from labctl.analysis.cost import Session, session_of
from labctl.analysis.cost_diff import MARKDOWN_ROWS, Cause, CostChange, Unpriced, cost_change, money
from labctl.cli.main import main
from tests.conftest import render_config

COHORT = """cohort: fall26
region: us-east-1
profile: learner-lab
adminCidr: 203.0.113.0/24
expires: 2026-12-19
keyName: vockey
{session}labs:
  - lab: vpc-nat
    stage: {stage}
roster:
  - id: s01
  - id: s02
"""
SESSION = "sessionHours: 3\nsessions: 12\n"
STUDENTS = 30

# The price table's own figures, read here by hand: what the solution adds to the starter is a NAT
# gateway and its Elastic IP (a public IPv4 address), each billed by the hour.
_PRICES = yaml.safe_load((REPO_ROOT / "pricing" / "aws-on-demand.yaml").read_text())["regions"]["us-east-1"]
NAT_HOUR, IPV4_HOUR = _PRICES["natGatewayHour"], _PRICES["publicIpv4Hour"]


def synced(directory: Path, stage: str, session: str = SESSION) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / "fall26.yaml"
    path.write_text(COHORT.format(stage=stage, session=session))
    apply_sync(plan_sync(path))
    return directory / "Pulumi.fall26-s01.yaml"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> dict[str, dict]:
    """fall26-s01 at starter and at solution, each rendered from the stack file sync wrote."""
    envs = tmp_path_factory.mktemp("envs")
    docs = {}
    for stage in ("starter", "solution"):
        docs[stage] = render_config(read_stack_file(synced(envs, stage))).to_json()
    return docs


def student(doc: dict, number: int, cohort: str = "fall26") -> dict:
    """The same graph for another student (stack name, URNs, settings)."""
    name = f"{cohort}-s{number:02d}"
    clone = json.loads(json.dumps(doc).replace("fall26-s01", name))
    clone["settings"].update(cohort=cohort, student=f"s{number:02d}")
    return clone


def cohort_set(doc: dict, numbers=range(1, STUDENTS + 1), cohort: str = "fall26") -> dict[str, dict]:
    return {f"{cohort}-s{n:02d}": student(doc, n, cohort) for n in numbers}


def test_money_has_signs_on_changes_and_no_negative_zero():
    assert [money(4.05, True), money(-4.049999, True), money(0.045, True), money(1234.5)] == [
        "+$4.05", "-$4.05", "+$0.045", "$1,234.50"]
    assert money(-0.000877, True) == "-$0.00088" and money(-1e-12, True) == money(0.0) == "$0.00"


def test_the_session_flows_from_the_cohort_file_through_sync_and_settings_into_the_snapshot(rendered, tmp_path):
    config = read_stack_file(synced(tmp_path, "starter"))
    assert (config["cloudlabs:sessionHours"], config["cloudlabs:sessions"]) == (3, 12)
    assert {k: rendered["starter"]["settings"][k] for k in ("sessionHours", "sessions")} == {"sessionHours": 3, "sessions": 12}


def test_starter_to_solution_for_a_cohort_of_30_against_the_price_table(rendered):
    other = cohort_set(rendered["solution"], range(1, 4), cohort="spring27")  # a cohort the change leaves as it is
    change = cost_change({**cohort_set(rendered["starter"]), **other}, {**cohort_set(rendered["solution"]), **other})
    each = NAT_HOUR + IPV4_HOUR  # per student per hour
    session, course = each * 3 * STUDENTS, each * 3 * STUDENTS * 12
    assert change.headline() == [
        f"fall26: +${each:.3f}/h per student: +${session:.2f} per 3-hour session for the cohort of 30; "
        f"+${course:.2f} over the course's 12 sessions"]
    assert (round(each, 6), round(session, 6), round(course, 6)) == (0.05, 4.5, 54.0)  # the example, today's prices
    row, unchanged = change.rows
    assert (row.cohort, row.lab, row.stages, row.students, row.sessions) == ("fall26", "vpc-nat", "starter -> solution", 30, "12 × 3 h")
    assert (unchanged.cohort, unchanged.hourly, unchanged.students) == ("spring27", 0, 3)
    assert "spring27" not in "\n".join(change.markdown())  # only what changes is in the table
    assert row.hourly == pytest.approx(each * STUDENTS) and row.per_course == pytest.approx(course)
    assert [(c.op, c.resource, c.item, round(c.hourly, 6), len(c.stacks)) for c in change.causes] == [
        ("+", "vpc-nat-vpc-a-nat", "NAT gateway", NAT_HOUR, 30),
        ("+", "vpc-nat-vpc-a-nat-eip", "public IPv4 address (Elastic IP)", IPV4_HOUR, 30)]
    markdown = "\n".join(change.markdown())
    assert "| fall26 | vpc-nat (starter -> solution) | 30 | 12 × 3 h |" in markdown
    assert f"| + | `vpc-nat-vpc-a-nat` | NAT gateway | +${NAT_HOUR:.3f} | 30 | +${NAT_HOUR * 30:.2f} |" in markdown
    # the reverse change saves the same
    assert cost_change(cohort_set(rendered["solution"]), cohort_set(rendered["starter"])).headline()[0].startswith(
        f"fall26: -${each:.3f}/h per student: -${session:.2f} per 3-hour session")


def test_students_changing_by_different_amounts_and_a_new_student(rendered):
    base = {**cohort_set(rendered["starter"], range(1, 21)), **cohort_set(rendered["solution"], range(21, 30))}
    head = cohort_set(rendered["solution"], range(1, 31))  # s30 is new: their whole stack counts
    change = cost_change(base, head)
    whole = sum(i["hourly"] for i in _items(change, "fall26-s30"))
    each = NAT_HOUR + IPV4_HOUR
    total = 20 * each + whole
    assert change.headline() == [
        f"fall26: $0.00 to +${whole:.3f}/h per student (+${total:.2f}/h for the cohort of 30 (1 new)): "
        f"+${total * 3:.2f} per 3-hour session; +${total * 36:.2f} over the course's 12 sessions"]
    [row] = change.rows
    assert (row.students, row.added, row.stages) == (30, 1, "mixed stages")


def _items(change, stack):
    side = next(s for s in change.stacks if s.stack == stack).head
    return [{"hourly": i.hourly} for i in side.cost.items]


def test_no_change_is_said_and_the_cli_prints_the_cost_after_the_diff(rendered, tmp_path, capsys):
    same = cost_change(cohort_set(rendered["solution"]), cohort_set(rendered["solution"]))
    assert same.headline() == ["No cost change (30 stacks compared)."]
    assert not same.causes and not same.changed
    directories = {}
    for side, stage in (("base", "starter"), ("head", "solution")):
        directories[side] = tmp_path / side
        directories[side].mkdir()
        for stack, doc in cohort_set(rendered[stage]).items():
            (directories[side] / f"{stack}.json").write_text(json.dumps(doc))
    assert main(["diff", str(directories["base"]), str(directories["head"])]) == 1
    out = capsys.readouterr().out
    assert out.index("in each of 30 stacks") < out.index("Cost:")
    assert "fall26: +$0.050/h per student: +$4.50 per 3-hour session for the cohort of 30" in out
    assert "+ vpc-nat-vpc-a-nat: NAT gateway +$0.045/h in 30 stacks" in out
    broken = json.loads((directories["head"] / "fall26-s01.json").read_text())
    broken["settings"]["sessions"] = 0  # the published schema holds the session too
    (directories["head"] / "fall26-s01.json").write_text(json.dumps(broken))
    assert main(["diff", str(directories["base"]), str(directories["head"])]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"{directories['head']}/fall26-s01.json: settings.sessions: 0 is not allowed; allowed: input should be greater than "
        "or equal to 1 (cloudlabs.graph/v1, as labctl plan --snapshots writes it)"]


def test_unpriced_resources_are_named_on_both_sides(rendered):
    def with_cache(doc):
        doc = copy.deepcopy(doc)
        bastion = next(r for r in doc["resources"] if r["name"] == "vpc-nat-bastion" and r["custom"])
        doc["resources"].append({**bastion, "type": "aws:elasticache/cluster:Cluster", "name": "vpc-nat-cache",
                                 "urn": bastion["urn"].replace("vpc-nat-bastion", "vpc-nat-cache"), "inputs": {}})
        return doc

    base = cohort_set(rendered["starter"], range(1, 3))
    head = cohort_set(rendered["starter"], range(1, 3))
    base["fall26-s01"], head["fall26-s01"], head["fall26-s02"] = (with_cache(d) for d in (
        base["fall26-s01"], head["fall26-s01"], head["fall26-s02"]))
    change = cost_change(base, head)
    [unpriced] = change.unpriced
    assert (unpriced.what, unpriced.base, unpriced.head) == (
        "aws:elasticache/cluster:Cluster vpc-nat-cache", ["fall26-s01"], ["fall26-s01", "fall26-s02"])
    assert "- `aws:elasticache/cluster:Cluster vpc-nat-cache`: base 1 stack, head 2 stacks" in change.markdown()
    assert change.headline() == ["No cost change (2 stacks compared)."]  # priced items: none changed
    head["fall26-s01"] = student(rendered["solution"], 1)
    del base["fall26-s01"]  # now only head has it, in s02: a resource the change adds
    assert cost_change(base, head).headline()[-1] == (
        "Not priced, not in the figures: 1 resource the change adds (aws:elasticache/cluster:Cluster vpc-nat-cache).")


def test_defaults_from_the_profile_and_snapshots_that_predate_the_session(rendered, tmp_path):
    stack_file = synced(tmp_path, "starter", session="")
    assert not {"cloudlabs:sessionHours", "cloudlabs:sessions"} & set(read_stack_file(stack_file))  # files stay as they were
    assert session_of({"profile": "learner-lab"}) == Session(4, 12) and session_of({"profile": "sandbox"}) == Session(8, 12)
    old = [copy.deepcopy(rendered[s]) for s in ("starter", "solution")]
    for doc in old:
        del doc["settings"]["sessionHours"], doc["settings"]["sessions"]
    headline = cost_change(cohort_set(old[0]), cohort_set(old[1])).headline()[0]
    assert "per 4-hour session for the cohort of 30" in headline and "over the course's 12 sessions" in headline


def test_bad_session_values_are_one_line_and_exit_2(tmp_path, capsys):
    envs = tmp_path / "envs"
    envs.mkdir()
    (envs / "fall26.yaml").write_text(COHORT.format(stage="starter", session="sessionHours: '3'\nsessions: 0\n"))
    assert main(["sync", "fall26", "--environments", str(envs)]) == 2
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        f"{envs}/fall26.yaml:7: sessionHours: \"3\" is not allowed (text, not a number; remove the quotes); allowed: a number "
        "of hours more than 0, at most 24: a class session's length (default: the profile's sessionHours; learner-lab 4)",
        f"{envs}/fall26.yaml:8: sessions: 0 is not allowed (out of range); allowed: a whole number from 1 to 1000: how many "
        "sessions the course has (default: the profile's sessions; 12, one per chapter of the book)"]
    assert "Traceback" not in out + err and sorted(p.name for p in envs.iterdir()) == ["fall26.yaml"]


def test_plan_and_cost_price_a_session_at_the_stacks_own_length(tmp_path, capsys):
    envs = tmp_path / "envs"
    synced(envs, "starter", session="")  # learner-lab's 4-hour session (plan's default used to be 3 h for every stack)
    assert main(["plan", "fall26-s01", "--environments", str(envs), "--quiet"]) == 0
    assert "$/4 h" in capsys.readouterr().out
    assert main(["plan", "fall26-s01", "--environments", str(envs), "--quiet", "--hours", "2"]) == 0
    assert "$/2 h" in capsys.readouterr().out
    assert main(["cost", "fall26", "--environments", str(envs)]) == 0
    assert "Cost of a 4 h session" in capsys.readouterr().out


def test_the_comment_stays_short_whatever_the_number_of_distinct_changes():
    causes = [Cause("+", f"r{i}", "NAT gateway", 0.0, 0.001 * (i + 1), ["c-s01"]) for i in range(MARKDOWN_ROWS + 5)]
    unpriced = [Unpriced(f"aws:x/y:Y u{i}", head=["c-s01"]) for i in range(MARKDOWN_ROWS + 2)]
    markdown = CostChange([], [], causes, unpriced, "2026-11-22").markdown()
    assert sum(line.startswith("| + |") for line in markdown) == MARKDOWN_ROWS
    assert "... and 5 more changes (labctl diff lists them all)" in "\n".join(markdown)
    assert "... and 2 more resources (labctl diff lists them all)" in "\n".join(markdown)
    text = CostChange([], [], causes, unpriced, "2026-11-22").text()
    assert sum(line.startswith("    + r") for line in text) == MARKDOWN_ROWS + 5


def test_a_resource_no_lab_names_is_the_stacks_own_row(rendered):
    head = cohort_set(rendered["solution"], range(1, 3))
    eip = next(r for r in head["fall26-s01"]["resources"] if r["name"] == "vpc-nat-vpc-a-nat-eip")
    head["fall26-s01"]["resources"].append({**eip, "name": "extra-eip", "urn": eip["urn"].replace("vpc-nat-vpc-a-nat-eip", "extra-eip")})
    change = cost_change(cohort_set(rendered["solution"], range(1, 3)), head)
    assert [(r.label, round(r.hourly, 6), r.students) for r in change.rows] == [("(stack)", IPV4_HOUR, 1), ("vpc-nat (solution)", 0, 2)]
    assert "  fall26 (stack), 1 student, 12 × 3 h: $0.00/h -> " in "\n".join(change.text())
