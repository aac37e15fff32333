"""Cost estimates of known graphs against figures computed by hand from the price table."""

from __future__ import annotations

import pytest

from cloudlabs.pricing import PricingError, load_prices
from labctl.analysis.cost import estimate, summarize
from labctl.offline.graph import Resource, StackGraph

from .conftest import config, lab_graph

GP3_8GIB_HOUR = 8 * 0.08 / 730  # an 8 GiB gp3 root volume, per hour


def approx(x):
    return pytest.approx(x, rel=1e-9)


def test_the_price_table_is_dated_and_sourced():
    prices = load_prices()
    assert prices.as_of == "2026-11-22" and prices.currency == "USD" and "AWS" in prices.source
    assert set(prices.regions) == {"us-east-1", "us-west-2"}
    east = prices.regions["us-east-1"]
    assert (east.ec2_instance_hour["t3.micro"], east.nat_gateway_hour, east.public_ipv4_hour) == (0.0104, 0.045, 0.005)


def test_vpc_nat_costs_two_instances_a_nat_gateway_and_two_public_addresses():
    cost = estimate(lab_graph("vpc-nat"))
    expected = 2 * 0.0104 + 2 * GP3_8GIB_HOUR + 0.005 + 0.005 + 0.045
    assert cost.hourly == approx(expected)  # 0.07755...
    assert round(cost.hourly, 4) == 0.0776
    assert sorted((i.resource, i.item) for i in cost.items) == [
        ("vpc-nat-bastion", "gp3 volume"), ("vpc-nat-bastion", "public IPv4 address"),
        ("vpc-nat-bastion", "t3.micro instance"), ("vpc-nat-vpc-a-nat", "NAT gateway"),
        ("vpc-nat-vpc-a-nat-eip", "public IPv4 address (Elastic IP)"),
        ("vpc-nat-web-dev", "gp3 volume"), ("vpc-nat-web-dev", "t3.micro instance"),
    ]
    assert cost.for_hours(3) == approx(3 * expected)
    assert cost.unpriced == []


def test_starter_is_cheaper_because_the_student_creates_the_nat_gateway():
    """The book creates the NAT gateway and its Elastic IP at book ch. 7, “Designing and deploying VPCs” › “Configuring external access for the private subnet via NAT gateway”: the starter does not pay for them."""
    starter, solution = estimate(lab_graph("vpc-nat", stage="starter")), estimate(lab_graph("vpc-nat"))
    assert solution.hourly - starter.hourly == approx(0.045 + 0.005)


@pytest.mark.parametrize("count", [1, 3, 6])
def test_ec2_webserver_costs_scale_with_the_server_count(count):
    cost = estimate(lab_graph("ec2-webserver", options={"count": count}))
    assert cost.hourly == approx(count * (0.0104 + GP3_8GIB_HOUR + 0.005))


def test_instance_type_and_region_change_the_price():
    t2 = estimate(lab_graph("ec2-webserver", options={"count": 2}, instanceType="t2.micro", aws_region="us-west-2"))
    assert t2.region == "us-west-2"
    assert t2.hourly == approx(2 * (0.0116 + GP3_8GIB_HOUR + 0.005))


def graph(resources: list[Resource], region: str = "us-east-1") -> StackGraph:
    return StackGraph("t-s01", "cloudlabs", {"region": region}, {}, resources)


def res(type_: str, name: str, inputs: dict, outputs: dict | None = None, id_: str | None = None) -> Resource:
    return Resource(f"urn:pulumi:t-s01::cloudlabs::{type_}::{name}", type_, name, None, True, id_ or name, inputs, outputs or {})


def test_database_load_balancer_and_fargate_by_hand():
    g = graph([
        res("aws:rds/instance:Instance", "db", {"instanceClass": "db.t3.micro", "allocatedStorage": 20, "storageType": "gp2"}),
        res("aws:lb/loadBalancer:LoadBalancer", "alb", {"loadBalancerType": "application", "internal": False,
                                                        "subnets": ["a", "b", "c"]}),
        res("aws:ecs/taskDefinition:TaskDefinition", "task", {"cpu": "256", "memory": "512"},
            {"arn": "arn:aws:ecs:us-east-1:123456789012:task-definition/task:1"}),
        res("aws:ecs/service:Service", "svc", {"launchType": "FARGATE", "desiredCount": 2,
                                               "taskDefinition": "arn:aws:ecs:us-east-1:123456789012:task-definition/task:1",
                                               "networkConfiguration": {"assignPublicIp": True}}),
    ])
    cost = estimate(g)
    by_resource: dict[str, float] = {}
    for item in cost.items:
        by_resource[item.resource] = by_resource.get(item.resource, 0) + item.hourly
    assert by_resource["db"] == approx(0.017 + 20 * 0.115 / 730)
    assert by_resource["alb"] == approx(0.0225 + 3 * 0.005)
    assert by_resource["svc"] == approx(2 * 0.25 * 0.04048 + 2 * 0.5 * 0.004445 + 2 * 0.005)


def test_what_has_no_price_rule_is_reported_not_hidden():
    cost = estimate(graph([res("aws:elasticache/cluster:Cluster", "cache", {}),
                           res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.1.0.0/16"})]))
    assert cost.items == [] and cost.unpriced == ["aws:elasticache/cluster:Cluster cache"]


def test_missing_prices_say_what_is_priced():
    unpriced = estimate(graph([], region="eu-west-3"))  # a whole region: marked, not an error
    assert not unpriced.region_priced and unpriced.hourly == 0
    assert unpriced.unpriced == ["every resource (no prices for eu-west-3 in pricing/aws-on-demand.yaml; "
                                 "priced regions: us-east-1, us-west-2)"]
    with pytest.raises(PricingError, match="no EC2 instance price for 'm5.large' in us-east-1"):
        estimate(graph([res("aws:ec2/instance:Instance", "vm", {"instanceType": "m5.large"})]))


def test_cohort_totals_add_up_per_item():
    costs = [estimate(lab_graph("vpc-nat")), estimate(lab_graph("ec2-webserver", options={"count": 3}))]
    rows = {r.item: r for r in summarize(costs)}
    assert rows["t3.micro instance"].quantity == 5 and rows["t3.micro instance"].hourly == approx(5 * 0.0104)
    assert rows["public IPv4 address"].quantity == 4
    assert rows["NAT gateway"].hourly == approx(0.045)
    assert sum(r.hourly for r in rows.values()) == approx(sum(c.hourly for c in costs))


def test_a_region_the_price_table_does_not_cover_plans_and_is_marked_unpriced(tmp_path, capsys):
    """The sandbox profile allows eu-west-1, the price table does not price it: plan the stack, mark its
    cost unpriced, never stop the plan (it used to end with "no prices for region")."""
    import yaml

    from labctl.cli.main import main
    cfg = config(profile="sandbox", aws_region="eu-west-1", labs=[{"lab": "vpc-nat"}])
    (tmp_path / "Pulumi.test-s01.yaml").write_text(yaml.safe_dump({"config": cfg}))
    assert main(["plan", str(tmp_path), "--jobs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "eu-west-1" in out and "unpriced" in out
    assert main(["cost", str(tmp_path), "--jobs", "1"]) == 0
    assert "no prices for eu-west-1" in capsys.readouterr().out


def test_a_starter_is_priced_with_what_the_books_steps_add_during_the_session(tmp_path, capsys, monkeypatch):
    """vpc-nat's starter gains its NAT gateway and Elastic IP in the session: cost and plan show the
    difference to the last stage apart (one render for the stacks that differ only in student and seat)."""
    import yaml

    from labctl.analysis.session_cost import at_last_stages, in_session_additions
    from labctl.cli.main import main
    starter, solution = estimate(lab_graph("vpc-nat", "starter")), estimate(lab_graph("vpc-nat", "solution"))
    expected = solution.hourly - starter.hourly
    assert expected == approx(0.045 + 0.005)  # the NAT gateway and its address
    for n in (1, 2):
        cfg = config(student=f"s0{n}", seat=n, labs=[{"lab": "vpc-nat", "stage": "starter"}])
        (tmp_path / f"Pulumi.test-s0{n}.yaml").write_text(yaml.safe_dump({"config": cfg}))
    cfg = config(student="s03", seat=3, labs=[{"lab": "vpc-nat", "stage": "solution"}])
    (tmp_path / "Pulumi.test-s03.yaml").write_text(yaml.safe_dump({"config": cfg}))
    assert main(["cost", str(tmp_path), "--jobs", "1"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert f"During the session, vpc-nat (starter): the book's steps add ${expected:.3f}/h per student" in out
    assert f"${2 * expected:.3f}/h, ${2 * expected * 4:.3f} per session for the 2 stack(s)" in out  # learner-lab's 4 h
    assert "vpc-nat (solution): the book's steps" not in out
    assert main(["plan", str(tmp_path), "--jobs", "1", "--quiet"]) == 0
    assert "During the session, vpc-nat (starter)" in " ".join(capsys.readouterr().out.split())

    assert at_last_stages(config(labs=[{"lab": "containers", "stage": "starter"}]))["cloudlabs:labs"] == [
        {"lab": "containers", "stage": "solution"}]  # the last of starter, images, solution
    assert at_last_stages(config(labs=[{"lab": "vpc-nat", "stage": "solution"}])) is None
    assert in_session_additions({}, {}, load_prices()) == {}
    from labctl.analysis import session_cost
    renders = []
    monkeypatch.setattr(session_cost.render, "render", lambda stack, cfg, settings: renders.append(stack) or lab_graph("vpc-nat"))
    configs = {f"test-s0{n}": (tmp_path / f"Pulumi.test-s0{n}.yaml", yaml.safe_load((tmp_path / f"Pulumi.test-s0{n}.yaml").read_text())["config"])
               for n in (1, 2, 3)}
    added = in_session_additions(configs, {stack: starter for stack in configs}, load_prices())
    assert renders == ["test-s01"] and set(added) == {"test-s01", "test-s02"}  # s03 is at the last stage already

    # the graph cache keeps that render between runs: the next plan renders nothing, a changed profile renders again
    from labctl.offline.graphcache import GraphCache
    cache = GraphCache(tmp_path / "cache", fingerprint="program")
    renders.clear()
    first = in_session_additions(configs, {stack: starter for stack in configs}, load_prices(), cache)
    again = in_session_additions(configs, {stack: starter for stack in configs}, load_prices(), cache)
    assert renders == ["test-s01"] and first == again == added
    sandbox = {stack: (path, {**cfg, "cloudlabs:profile": "sandbox"}) for stack, (path, cfg) in configs.items()}
    in_session_additions(sandbox, {stack: starter for stack in configs}, load_prices(), cache)
    assert renders == ["test-s01", "test-s01"]
