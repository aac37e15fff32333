"""Quotas before up (issue 29): what a cohort needs at its peak per account against AWS's default quotas,
the applied values read through Service Quotas, up's refusal, and the emulator refusing where AWS would.
One render per lab (conftest's cache), shared by every cohort size."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import yaml
from botocore.exceptions import ClientError
from moto import mock_aws

from cloudlabs.catalog import LABS
from labctl.analysis import quotas
from labctl.cli.main import main
from labctl.kinds.quotas import QUOTAS
from labctl.ops import emulate

from tests.conftest import config, lab_graph

# Per student, counted by hand from each lab's last stage (the book's end): VPCs, internet gateways, Elastic
# IPs, NAT gateways per zone, On-Demand vCPUs (t3.micro: 2 each; autoscaling at maxSize 4), load balancers.
BY_HAND: dict[str, dict[tuple[str, str], float]] = {
    "ec2-webserver": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("ondemand-vcpus", ""): 2 * 2},
    "access-control": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("ondemand-vcpus", ""): 3 * 2},
    "dual-stack": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("ondemand-vcpus", ""): 1 * 2},
    "vpc-nat": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("elastic-ips", ""): 1, ("nat-gateways", "us-east-1a"): 1,
                ("ondemand-vcpus", ""): 2 * 2},
    "vpc-peering": {("vpcs", ""): 2, ("internet-gateways", ""): 2, ("elastic-ips", ""): 2, ("nat-gateways", "us-east-1a"): 1,
                    ("nat-gateways", "us-east-1b"): 1, ("ondemand-vcpus", ""): 4 * 2, ("peering-requests", ""): 1},
    "peering-topologies": {("vpcs", ""): 3, ("internet-gateways", ""): 3, ("elastic-ips", ""): 1,
                           ("nat-gateways", "us-east-1a"): 1, ("ondemand-vcpus", ""): 4 * 2, ("peering-requests", ""): 3},
    "load-balancer": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("albs", ""): 1, ("target-groups", ""): 1,
                      ("ondemand-vcpus", ""): 3 * 2},
    "autoscaling": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("albs", ""): 1, ("target-groups", ""): 1,
                    ("ondemand-vcpus", ""): 4 * 2},
    "object-storage": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("buckets", ""): 7, ("ondemand-vcpus", ""): 2 * 2},
    "lamp": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("db-instances", ""): 1, ("db-storage", ""): 20,
             ("ondemand-vcpus", ""): 1 * 2},
    "beanstalk": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("beanstalk-environments", ""): 1, ("elastic-ips", ""): 1,
                  ("buckets", ""): 1, ("ondemand-vcpus", ""): 1 * 2},
    "containers": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("fargate-vcpus", ""): 0.25, ("ondemand-vcpus", ""): 1 * 2},
    "ssh-access": {("vpcs", ""): 1, ("internet-gateways", ""): 1, ("key-pairs", ""): 1, ("ondemand-vcpus", ""): 2 * 2},
}
BASE = {("vpcs", ""): 1, ("internet-gateways", ""): 1}  # the region's default VPC and its gateway


def _graph(lab: str) -> Any:
    return lab_graph(lab, stage=LABS[lab].last_stage, profile="sandbox" if lab == "beanstalk" else "learner-lab")


def cohort(lab: str, students: int, model: str = "shared") -> list[quotas.Stack]:
    graph = _graph(lab)  # students differ only in names and addresses: one render stands for all
    return [quotas.Stack(f"c-s{i}", "c", "us-east-1", model, graph) for i in range(students)]


def test_every_lab_is_counted_by_hand():
    assert set(BY_HAND) == set(LABS)


@pytest.mark.parametrize("students", [30, 250])
@pytest.mark.parametrize("lab", sorted(BY_HAND))
def test_a_shared_cohort_needs_each_students_share_times_the_class(lab, students):
    (need, count), = quotas.needs(cohort(lab, students)).values()
    assert count == students
    for key, per_student in BY_HAND[lab].items():
        assert need[key] == per_student * students + BASE.get(key, 0), key


def test_per_student_accounts_need_one_students_share_and_per_vpc_quotas_never_add_up():
    (need, _), = quotas.needs(cohort("peering-topologies", 30, "per-student")).values()
    assert need[("vpcs", "")] == 3 + 1 and need[("nat-gateways", "us-east-1a")] == 1
    (shared, _), = quotas.needs(cohort("peering-topologies", 30)).values()
    assert shared[("peerings-per-vpc", "")] == 2  # the hub VPC's two peerings, whatever the class size


def test_a_mixed_cohort_adds_its_labs_and_lists_every_quota_over_its_limit_with_the_request():
    stacks = cohort("vpc-nat", 3) + [quotas.Stack("c-l", "c", "us-east-1", "shared", _graph("lamp"))]
    rows = {(r.quota.key, r.zone): r for r in quotas.rows(stacks)}
    assert rows[("vpcs", "")].need == 1 + 3 + 1 and rows[("vpcs", "")].fits
    assert rows[("db-instances", "")].need == 1 and rows[("elastic-ips", "")].need == 3
    assert rows[("ondemand-vcpus", "")].need == 3 * 4 + 2
    (line,) = quotas.problems(rows.values())
    assert line.startswith("quota Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances (ec2 L-1216C47A) in us-east-1:")
    assert "needs 14 at its peak, the limit is 5 (AWS default)" in line
    assert line.endswith("aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A "
                         "--desired-value 14 --region us-east-1")


def test_thirty_vpc_nat_students_in_one_account_need_31_vpcs():
    over = {r.quota.key: r for r in quotas.rows(cohort("vpc-nat", 30)) if not r.fits}
    assert set(over) == {"vpcs", "internet-gateways", "elastic-ips", "nat-gateways", "ondemand-vcpus"}
    assert over["vpcs"].problem().endswith("--service-code vpc --quota-code L-F678F1CE --desired-value 31 --region us-east-1")
    assert over["nat-gateways"].where == "us-east-1a" and over["nat-gateways"].need == 30


class _Recorded:
    """Service Quotas as a recording fake: an applied value for the VPC quota, none for the rest."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def get_service_quota(self, ServiceCode: str, QuotaCode: str) -> dict[str, Any]:
        self.calls.append((ServiceCode, QuotaCode))
        if QuotaCode == "L-F678F1CE":
            return {"Quota": {"Value": 40.0}}
        raise ClientError({"Error": {"Code": "NoSuchResourceException", "Message": "none"}}, "GetServiceQuota")


def test_applied_values_override_the_defaults_and_are_read_once_per_region_and_quota():
    fake = _Recorded()
    limits = quotas.applied_limits(lambda region: fake)
    rows = {r.quota.key: r for r in quotas.rows(cohort("vpc-nat", 30), limits)}
    assert (rows["vpcs"].limit, rows["vpcs"].applied, rows["vpcs"].fits) == (40, True, True)
    assert (rows["elastic-ips"].limit, rows["elastic-ips"].applied) == (5, False)
    assert len(fake.calls) == len(set(fake.calls)) == len(rows)
    quotas.rows(cohort("vpc-nat", 2), limits)
    assert len(fake.calls) == len(rows)


def test_moto_service_quotas_answers_the_vpc_defaults_and_the_rest_fall_back():
    with mock_aws():
        client = boto3.client("service-quotas", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        notes: list[str] = []
        limits = quotas.applied_limits(lambda region: client, notes)
        assert limits("us-east-1", QUOTAS["vpcs"]) == (5, True)
        assert limits("us-east-1", QUOTAS["ondemand-vcpus"]) == (5, False)
        assert not notes


def test_the_emulated_rehearsal_fails_where_aws_would_at_the_fifth_student(tmp_path):
    """In one shared account the default VPC and four students' fill the region's five VPCs: the fifth
    student's VPC is refused. Students in accounts of their own (self-service: the rehearsal puts them in
    one emulated account, each tagged with the account it stands in) are counted apart, as AWS counts them."""
    shared = [lab_graph("vpc-nat", student=f"s0{i}", seat=i, profile="sandbox") for i in range(1, 6)]
    alone = [lab_graph("vpc-nat", student=f"s0{i}", seat=i) for i in range(1, 7)]
    assert all(g.settings.get("profile") == "learner-lab" for g in alone)  # learner-lab: self-service
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        for i, graph in enumerate(shared[:4]):
            emulate.up(graph, session, tmp_path / str(i))
        with pytest.raises(emulate.EmulationError, match="VpcLimitExceeded"):
            emulate.up(shared[4], session, tmp_path / "4")
        for i, graph in enumerate(alone):  # six accounts of one VPC each, beside the shared four
            emulate.up(graph, session, tmp_path / f"alone{i}")


def test_up_refuses_a_cohort_that_cannot_fit_before_anything_is_sent(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CLOUDLABS_STATE_DIR", str(tmp_path / "state"))
    envs = tmp_path / "environments"
    envs.mkdir()
    for i in range(1, 6):
        document = {"config": config(cohort="big", student=f"s0{i}", seat=i, profile="sandbox",  # shared
                                     labs=[{"lab": "vpc-nat", "stage": "starter"}])}
        (envs / f"Pulumi.big-s0{i}.yaml").write_text(yaml.safe_dump(document))
    assert main(["up", str(envs), "--emulate", "--no-cache"]) == 1
    err = capsys.readouterr().err
    assert "quota VPCs per Region (vpc L-F678F1CE) in us-east-1: the cohort big (5 stacks, one shared account) needs 6" in err
    assert "--service-code vpc --quota-code L-F678F1CE --desired-value 6 --region us-east-1" in err
    # VPCs alone would need 2 regions (room for 5 - 1, its default VPC); each stack's 4 vCPUs against a new
    # account's 5 leave room for one stack per region: 5 of the 6 regions the sandbox profile allows
    assert ("cohort big fits these limits spread over 5 regions: list them in its cohort file (regions: [us-east-1, "
            "us-east-2, us-west-2, ca-central-1, eu-west-1]; its profile allows us-east-1, us-east-2, us-west-2, ca-central-1, eu-west-1, eu-central-1), then "
            "labctl sync big; students already placed keep their region") in err
    assert "nothing sent" in err and not (tmp_path / "state" / "sandbox").exists()


def test_a_learner_lab_account_comes_with_its_profiles_32_vcpus_not_awss_new_account_default():
    """Learner Lab accounts come with the student guide's 32 vCPUs (the profile's limits): that stands
    for AWS's default of 5; an applied value read from the account still wins; a profile without it does not."""
    from cloudlabs.profiles import load_profile
    learner, sandbox = load_profile("learner-lab"), load_profile("sandbox")
    graph = _graph("peering-topologies")
    one = [quotas.Stack("c-s1", "c", "us-east-1", "self-service", graph, learner)]
    vcpus = {r.quota.key: r for r in quotas.rows(one)}["ondemand-vcpus"]
    assert (vcpus.limit, vcpus.stated_by, vcpus.source) == (32, "learner-lab", "profile learner-lab")
    assert vcpus.need > 5 and vcpus.fits
    shared = [quotas.Stack("c-s1", "c", "us-east-1", "shared", graph, sandbox)]
    assert {r.quota.key: r for r in quotas.rows(shared)}["ondemand-vcpus"].limit == 5  # AWS's default
    mixed = one + [quotas.Stack("c-s2", "c", "us-east-1", "self-service", graph, sandbox)]
    assert {r.quota.key: r for r in quotas.rows(mixed)}["ondemand-vcpus"].stated_by == ""  # not every account says so
    applied = {r.quota.key: r for r in quotas.rows(one, lambda region, quota: (64.0, True))}["ondemand-vcpus"]
    assert (applied.limit, applied.source) == (64, "applied")
