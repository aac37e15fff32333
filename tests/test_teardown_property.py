"""The done-when of teardown: on one served sandbox shared by two cohorts, any sequence of what an
instructor or a student can do (up, a run killed at any point, destroy, sweep, sweep --delete, a NAT
gateway made by hand) ends, after the cohort's destroy and sweep, with nothing of the cohort in the
account and nothing of the other cohort touched, as the account itself reports (boto3)."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from labctl.cli import runners
from labctl.cli.main import main
from labctl.ops.sandbox import Store

from .sandboxes import Child, addresses_not_of, client, everything_in, served, tagged

STUDENTS = ("s02", "s03")  # vpc-nat starter and solution of cohort demo (17 and 21 resources)
OTHER = ["demo-net", "--students", "n04"]  # another cohort in the same account: dual-stack starter

STEP = st.one_of(
    st.tuples(st.just("up"), st.sampled_from(STUDENTS)),
    st.tuples(st.just("destroy"), st.sampled_from(STUDENTS)),
    st.tuples(st.just("kill up"), st.integers(1, 40)),
    st.tuples(st.just("kill destroy"), st.integers(1, 40)),
    st.tuples(st.just("sweep"), st.just("")),
    st.tuples(st.just("sweep --delete"), st.just("")),
    st.tuples(st.just("NAT by hand"), st.sampled_from(STUDENTS)),
)


def _our_vpcs(port: int) -> set[str]:
    return tagged(port, "demo").get("vpc", set())


def _nat_by_hand(port: int, student: str) -> None:
    ec2 = client(port, "ec2")
    subnets = [s for s in ec2.describe_subnets()["Subnets"] if {"Key": "cloudlabs:student", "Value": student} in s.get("Tags", [])
               and {"Key": "cloudlabs:cohort", "Value": "demo"} in s.get("Tags", [])]
    if subnets:  # the student's VPC is (partly) up
        ec2.create_nat_gateway(SubnetId=subnets[0]["SubnetId"], AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])


def _do(store: Store, port: int, step: tuple[str, object], seen: set[str]) -> None:
    what, arg = step
    seen |= _our_vpcs(port)
    if what == "up":
        main(["up", "demo", "--students", str(arg), "--emulate"])
    elif what == "destroy":
        main(["destroy", "demo", "--students", str(arg), "--emulate"])
    elif what in ("kill up", "kill destroy"):
        child = Child(store.root.parent, "emulator", str(arg), "--", what.split()[1], "demo", "--students", ",".join(STUDENTS),
                      "--emulate", "--parallel", "1")
        try:
            child.wait_until_stopped()
        except AssertionError:
            pass  # it finished before its N-th step: a run that was not killed
        child.kill()
    elif what == "sweep":
        main(["sweep", "demo", "--emulate"])
    elif what == "sweep --delete":
        main(["sweep", "demo", "--emulate", "--delete"])
    else:
        _nat_by_hand(port, str(arg))
    seen |= _our_vpcs(port)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    state = tmp_path_factory.mktemp("shared-sandbox") / "state"
    store = Store(state / "sandbox")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runners, "STATE_DIR", state)
        with served(store) as port:
            assert main(["up", *OTHER, "--emulate"]) == 0
            yield store, port, tagged(port, "demo-net")


# No shrinking: each example is seconds of real commands; the assertion messages carry the steps.
# CI runs 4 examples; CLOUDLABS_PROPERTY_EXAMPLES=50 ./dev test tests/test_teardown_property.py for a long search.
@settings(max_examples=int(os.environ.get("CLOUDLABS_PROPERTY_EXAMPLES", "4")), deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(STEP, min_size=1, max_size=4))
def test_any_sequence_ends_with_nothing_of_the_cohort_and_the_other_untouched(sandbox, steps, capsys):
    store, port, others = sandbox
    seen: set[str] = set()
    for step in steps:
        _do(store, port, step, seen)
    main(["destroy", "demo", "--emulate"])  # the teardown: destroy, then the sweep removes what destroy could not
    assert main(["sweep", "demo", "--emulate", "--delete"]) == 0, steps
    assert tagged(port, "demo") == {}, steps  # read from the account, not through labctl
    assert everything_in(port, seen) == set(), steps  # nor anything made by hand in its VPCs
    assert addresses_not_of(port, "demo-net") == set(), steps  # nor a hand-made NAT gateway's address
    assert tagged(port, "demo-net") == others, steps  # the other cohort untouched
    capsys.readouterr()
    assert main(["destroy", "demo", "--emulate"]) == 0 and main(["sweep", "demo", "--emulate"]) == 0, steps
    assert "nothing left: the teardown is complete" in capsys.readouterr().out
    assert [s for s in store.stacks() if s.startswith("demo-s")] == []
