"""A class where it really lives: a cohort spread over regions (each student placed once, evenly, and kept
there), and per-student accounts rehearsed as accounts of their own in the emulator (issue 29)."""

from __future__ import annotations

import dataclasses

import pytest
import yaml

from cloudlabs.cohort import CohortError, apply_sync, plan_sync, student_accounts
from labctl.analysis import quotas
from labctl.cli.quota_table import spread_hints
from labctl.kinds.quotas import QUOTAS

from .test_accounts import HEADER, PER_STUDENT, write

SPREAD = HEADER.replace("region: us-east-1\n", "region: us-east-1\nregions: [us-east-1, us-west-2]\n")


def _roster(ids: list[str]) -> str:
    return SPREAD + "roster: [" + ", ".join(ids) + "]\n"


def _regions(env) -> dict[str, str]:
    return {p.name[len("Pulumi.fall26-"):-5]: yaml.safe_load(p.read_text())["config"]["aws:region"]
            for p in sorted(env.glob("Pulumi.fall26-*.yaml"))}


def test_a_spread_cohort_places_each_student_once_evenly_and_keeps_them_there(tmp_path):
    path = write(tmp_path, _roster(["s01", "s02", "s03", "s04", "s05"]))
    apply_sync(plan_sync(path))
    assert _regions(tmp_path) == {"s01": "us-east-1", "s02": "us-west-2", "s03": "us-east-1", "s04": "us-west-2",
                                  "s05": "us-east-1"}
    assert yaml.safe_load((tmp_path / "fall26.seats.yaml").read_text())["regions"]["s04"] == "us-west-2"
    # s01 and s03 leave (their seats kept until prune), three join: the newcomers even the count out and
    # nobody already placed moves (a move would replace their whole stack)
    path.write_text(_roster(["s02", "s04", "s05", "s06", "s07", "s08"]))
    plan = plan_sync(path)
    apply_sync(plan)
    placed = {"s01": "us-east-1", "s02": "us-west-2", "s03": "us-east-1", "s04": "us-west-2", "s05": "us-east-1",
              "s06": "us-west-2", "s07": "us-east-1", "s08": "us-west-2"}  # 3:2, then 3:3, a tie (list order), 4:4
    assert _regions(tmp_path) == placed and plan.regions == placed


def test_stacks_made_before_the_cohort_was_spread_stay_in_their_region(tmp_path):
    path = write(tmp_path, HEADER + "roster: [s01, s02]\n")
    apply_sync(plan_sync(path))
    path.write_text(_roster(["s01", "s02", "s03", "s04"]))
    apply_sync(plan_sync(path))
    assert _regions(tmp_path) == {"s01": "us-east-1", "s02": "us-east-1", "s03": "us-west-2", "s04": "us-west-2"}


def test_dropping_a_region_that_holds_students_is_refused_and_nothing_is_written(tmp_path):
    path = write(tmp_path, _roster(["s01", "s02"]))
    apply_sync(plan_sync(path))
    before = {p.name: p.read_text() for p in tmp_path.iterdir() if p != path}
    path.write_text(_roster(["s01", "s02"]).replace("regions: [us-east-1, us-west-2]\n", ""))
    with pytest.raises(CohortError) as err:
        plan_sync(path)
    (line,) = str(err.value).splitlines()
    assert "1 student(s) would move region (s02; recorded in fall26.seats.yaml or their stack files)" in line
    assert "allowed: a list that keeps us-west-2, where the stack of s02 lives" in line
    assert {p.name: p.read_text() for p in tmp_path.iterdir() if p != path} == before


def _row(quota: str, need: float, limit: float, region: str = "us-east-1", stacks: int = 10) -> quotas.Row:
    return quotas.Row("shared", "big", region, QUOTAS[quota], "", need, stacks, limit)


def test_the_regions_a_shared_cohort_needs_are_counted_from_the_room_each_region_leaves():
    # ten vpc-nat students and the default VPC: 11 VPCs; each region has room for 5 - 1 = 4 students' VPCs
    assert quotas.regions_needed([_row("vpcs", 11, 5)]) == {"big": 3}
    # already spread over two regions, 6 VPCs each (5 students + the default): still 10 students, 3 regions
    assert quotas.regions_needed([_row("vpcs", 6, 5), _row("vpcs", 6, 5, "us-west-2")]) == {"big": 3}
    # an account quota does not spread; a fitting cohort needs nothing
    assert quotas.regions_needed([_row("buckets", 120, 100), _row("vpcs", 4, 5)]) == {}



def test_a_stack_alone_over_a_regions_limit_needs_an_increase_not_more_regions():
    # ten students at 6 vCPUs each against a new account's 5: no region holds even one of them
    rows = [_row("ondemand-vcpus", 60, 5), _row("vpcs", 11, 5)]
    assert quotas.regions_needed(rows) == {"big": 0}
    assert [r.quota.key for r in quotas.too_big(rows)["big"]] == ["ondemand-vcpus"]
    hints = spread_hints(rows, {})
    assert len(hints) == 1 and "one stack alone is over" in hints[0] and "L-1216C47A" in hints[0]
    assert "request the increases" in hints[0] and "regions:" not in hints[0]


def test_a_cohort_whose_average_stack_fits_but_whose_largest_does_not_is_not_told_to_spread():
    # three students, 10 vCPUs in all: on average 3.3 a stack fits a new account's 5, but one stack takes 6
    row = dataclasses.replace(_row("ondemand-vcpus", 10, 5, stacks=3), largest=6)
    assert quotas.regions_needed([row]) == {"big": 0}
    assert quotas.too_big([row]) == {"big": [row]}
    # the same cohort with every stack at most 4 (room 5) spreads: one a region at 3.3 on average, 3 regions
    assert quotas.regions_needed([dataclasses.replace(row, largest=4)]) == {"big": 3}


def test_the_rows_know_their_largest_stack():
    from .test_quotas import _graph
    small, big = _graph("ec2-webserver"), _graph("access-control")
    stacks = [quotas.Stack("big-s1", "big", "us-east-1", "shared", small), quotas.Stack("big-s2", "big", "us-east-1", "shared", big)]
    vcpus = next(r for r in quotas.rows(stacks) if r.quota.key == "ondemand-vcpus")
    one = {s.name: next(r.need for r in quotas.rows([s]) if r.quota.key == "ondemand-vcpus") for s in stacks}
    assert vcpus.largest == max(one.values()) and vcpus.need == sum(one.values())

def test_an_account_quota_adds_up_over_the_regions_of_a_spread_cohort():
    from .test_quotas import _graph
    graph = _graph("object-storage")  # 7 buckets a student
    stacks = [quotas.Stack(f"big-s{i}", "big", "us-east-1" if i % 2 else "us-west-2", "shared", graph) for i in range(16)]
    limits = lambda region, q: (100.0, True) if q.key == "buckets" else (q.default, False)  # noqa: E731
    rows = {(r.region, r.quota.key): r for r in quotas.rows(stacks, limits)}
    assert rows[("us-east-1", "vpcs")].need == 8 + 1 and rows[("us-west-2", "vpcs")].need == 8 + 1
    assert rows[("us-east-1", "buckets")].need == rows[("us-west-2", "buckets")].need == 16 * 7
    assert rows[("us-east-1", "buckets")].stacks == 16 and rows[("us-east-1", "vpcs")].stacks == 8
    (line,) = [line for line in quotas.problems(rows.values()) if "L-DC2B2D3D" in line]  # once, not once per region
    assert "in all regions: the cohort big (16 stacks, one shared account) needs 112 at its peak, the limit is 100" in line


# --- per-student accounts, each an emulated account of its own -----------------------------------------------


PER_STUDENT_SPREAD = (PER_STUDENT.replace("region: us-east-1\n", "region: us-east-1\nregions: [us-east-1, us-west-2]\n")
                      .replace("  - lab: vpc-nat\n", "  - lab: vpc-nat\n    stage: starter\n"))
ROLE = "arn:aws:iam::{}:role/OrganizationAccountAccessRole"
# s01 in its account 1111... in the cohort's first region, s02 in 2222... in the second
WHERE = {"s01": (ROLE.format("111111111111"), "us-east-1"), "s02": (ROLE.format("222222222222"), "us-west-2")}


def _cohort_everywhere(store) -> dict[tuple[str, str], set[str]]:
    """(account's role or "caller", region) -> the students whose tagged VPCs that emulated account holds there."""
    from labctl.ops.sandbox import account
    found = {}
    with account(store, "us-east-1", writer=False) as emulated:
        for role, region in [*WHERE.values(), ("caller", "us-east-1"), ("caller", "us-west-2")]:
            session = emulated.session(region) if role == "caller" else emulated.assumed(role, region, "look")
            vpcs = session.client("ec2").describe_vpcs(Filters=[{"Name": "tag:cloudlabs:cohort", "Values": ["fall26"]}])
            found[(role, region)] = {next(t["Value"] for t in v["Tags"] if t["Key"] == "cloudlabs:student")
                                     for v in vpcs["Vpcs"]}
    return found


def test_a_per_student_cohort_spread_over_regions_is_rehearsed_in_each_students_own_account(tmp_path, monkeypatch, capsys):
    """up puts each student's stack in their own emulated account (through their role, as on AWS) and region;
    the caller's account holds none of it; a student who left the roster (stack file kept) is still swept
    in their account, and the sweep leaves nothing anywhere."""
    from labctl.cli import runners
    from labctl.cli.main import main
    from labctl.ops.sandbox import Store
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")  # 0.3 s per account and region; no lab needs them here
    env = tmp_path / "environments"
    env.mkdir()
    path = write(env, PER_STUDENT_SPREAD)
    apply_sync(plan_sync(path))
    assert _regions(env) == {"s01": "us-east-1", "s02": "us-west-2"}
    assert main(["up", "fall26", "--emulate", "--environments", str(env)]) == 0
    store = Store(tmp_path / "state" / "sandbox")
    assert _cohort_everywhere(store) == {WHERE["s01"]: {"s01"}, WHERE["s02"]: {"s02"}, ("caller", "us-east-1"): set(),
                                         ("caller", "us-west-2"): set()}
    assert {s.stack: (s.role, s.region) for s in store.states()} == {f"fall26-{sid}": w for sid, w in WHERE.items()}

    path.write_text(PER_STUDENT_SPREAD.replace('  - id: s02\n    account: "222222222222"\n', ""))  # s02 leaves
    apply_sync(plan_sync(path))
    assert [(a.student, a.region, a.departed) for a in student_accounts(plan_sync(path).cohort)] == [
        ("s01", "us-east-1", False), ("s02", "us-west-2", True)]
    capsys.readouterr()
    assert main(["sweep", "fall26", "--emulate", "--delete", "--environments", str(env)]) == 0
    out = capsys.readouterr().out
    assert f"account 222222222222 of s02 (left the roster; stack file kept) (role {WHERE['s02'][0]}), us-west-2:" in out
    assert all(students == set() for students in _cohort_everywhere(store).values())
