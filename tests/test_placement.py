"""Subnets in different zone slots get different zones where the region allows it (book ch. 6, “Virtual Private Cloud” › “Chapter 6 Coursework”)."""

from __future__ import annotations

from cloudlabs.catalog import lab_layout
from cloudlabs.labs.dual_stack import COURSEWORK_SUBNETS
from cloudlabs.placement import place_subnets, shared_zones

from .conftest import lab_graph
from .graphtools import SUBNET, subnets

ALL = ["us-east-1a", "us-east-1b", "us-east-1c", "us-east-1d", "us-east-1e", "us-east-1f"]
T3 = [z for z in ALL if z != "us-east-1e"]


def test_subnets_without_instances_take_the_zones_the_instance_type_lacks():
    plan = lab_layout("ec2-webserver", 1).vpc("VPC")
    placement = place_subnets(plan.subnets, ["SN-0", "SN-16"], T3, ALL)
    assert placement["SN-0"] == "us-east-1a" and placement["SN-16"] == "us-east-1b"
    assert len(set(placement.values())) == 6 and shared_zones(placement) == []


def test_six_instance_subnets_over_five_zones_share_one_and_say_so():
    plan = lab_layout("ec2-webserver", 1).vpc("VPC")
    placement = place_subnets(plan.subnets, [s.name for s in plan.subnets], T3, ALL)
    assert "us-east-1e" not in placement.values()
    assert shared_zones(placement) == [("SN-0", "SN-80")]


def test_subnets_of_one_slot_share_their_zone_on_purpose():
    plan = lab_layout("vpc-nat", 1).vpc("VPC-A")
    assert place_subnets(plan.subnets, ["SN-A-01", "SN-A-02"], T3, ALL) == {"SN-A-01": "us-east-1a", "SN-A-02": "us-east-1a"}


def test_dual_stack_coursework_subnets_are_each_in_their_own_zone():
    graph = lab_graph("dual-stack", options={"coursework": True})
    zones = {name: s.inputs["availabilityZone"] for name, s in subnets(graph).items()}
    assert len({zones[name] for name in COURSEWORK_SUBNETS}) == 6  # book ch. 6, “Virtual Private Cloud” › “Chapter 6 Coursework”: all different
    assert zones["SN-0"] != "us-east-1e"  # the web server's subnet offers t3


def test_ec2_webserver_places_only_its_servers_subnets_in_t3_zones():
    two = {n: s.inputs["availabilityZone"] for n, s in subnets(lab_graph("ec2-webserver", options={"count": 2})).items()}
    assert len(set(two.values())) == 6 and "us-east-1e" not in (two["SN-0"], two["SN-16"])
    six = [s.inputs["availabilityZone"] for s in lab_graph("ec2-webserver", options={"count": 6}).of_type(SUBNET)]
    assert "us-east-1e" not in six and len(set(six)) == 5
