"""The address plan: the book's layouts, and the properties every seat and lab must keep."""

from __future__ import annotations

from ipaddress import IPv4Network
from itertools import combinations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlabs.addressing import SEATS, AddressPlanError, carve, seat_block
from cloudlabs.catalog import LABS, lab_layout, stack_layout

seats = st.integers(min_value=SEATS.start, max_value=SEATS.stop - 1)
labs = st.sampled_from(sorted(LABS))


def net(text: str) -> IPv4Network:
    return IPv4Network(text)


def all_networks(lab: str, seat: int) -> list[IPv4Network]:
    layout = lab_layout(lab, seat)
    return [v.cidr for v in layout.vpcs] + [s.cidr for v in layout.vpcs for s in v.subnets]


@given(seats, seats, labs, labs)
def test_different_seats_never_overlap(a, b, lab_a, lab_b):
    if a == b:
        return
    assert not seat_block(a).overlaps(seat_block(b))
    for x in all_networks(lab_a, a):
        for y in all_networks(lab_b, b):
            assert not x.overlaps(y), (lab_a, a, x, lab_b, b, y)


@given(seats, labs)
def test_every_subnet_lies_inside_its_vpc_and_the_seat_block(seat, lab):
    for vpc in lab_layout(lab, seat).vpcs:
        assert vpc.cidr.subnet_of(seat_block(seat))
        for subnet in vpc.subnets:
            assert subnet.cidr.subnet_of(vpc.cidr), (lab, vpc.name, subnet.name)


@given(seats, labs)
def test_no_two_subnets_of_a_vpc_overlap(seat, lab):
    for vpc in lab_layout(lab, seat).vpcs:
        for a, b in combinations(vpc.subnets, 2):
            assert not a.cidr.overlaps(b.cidr), (lab, a.name, b.name)
        names = [s.name for s in vpc.subnets]
        assert len(names) == len(set(names))


@given(seats, st.lists(labs, min_size=1, max_size=4, unique=True))
def test_two_vpcs_in_one_stack_never_overlap(seat, chosen):
    """A stack's labs either get disjoint VPCs or are refused with a clear error."""
    vpcs = [(lab, v) for lab in chosen for v in lab_layout(lab, seat).vpcs]
    overlapping = any(a.cidr.overlaps(b.cidr) for (_, a), (_, b) in combinations(vpcs, 2))
    if overlapping:
        with pytest.raises(AddressPlanError, match="overlapping addresses"):
            stack_layout(chosen, seat)
    else:
        layouts = stack_layout(chosen, seat)
        planned = [v.cidr for layout in layouts for v in layout.vpcs]
        for a, b in combinations(planned, 2):
            assert not a.overlaps(b)


@given(seats)
def test_two_vpcs_of_one_lab_never_overlap(seat):
    a, b = lab_layout("vpc-peering", seat).vpcs
    assert not a.cidr.overlaps(b.cidr)


def test_seat_n_owns_10_n_0_0_16_and_seat_0_is_the_instructor():
    assert seat_block(0) == net("10.0.0.0/16")
    assert seat_block(7) == net("10.7.0.0/16")
    assert seat_block(254) == net("10.254.0.0/16")
    for bad in (-1, 255, 1000, True, "3", 2.0):
        with pytest.raises(AddressPlanError, match="seats are 0 \\(instructor\\) and 1-254"):
            seat_block(bad)


def test_ec2_webserver_is_shaped_like_the_default_vpc():
    (vpc,) = lab_layout("ec2-webserver", 42).vpcs
    assert vpc.cidr == net("10.42.0.0/16")
    assert [(s.name, str(s.cidr), s.tier, s.az) for s in vpc.subnets] == [
        ("SN-0", "10.42.0.0/20", "public", 0),
        ("SN-16", "10.42.16.0/20", "public", 1),
        ("SN-32", "10.42.32.0/20", "public", 2),
        ("SN-48", "10.42.48.0/20", "public", 3),
        ("SN-64", "10.42.64.0/20", "public", 4),
        ("SN-80", "10.42.80.0/20", "public", 5),
    ]


def test_vpc_nat_matches_the_book():
    (vpc,) = lab_layout("vpc-nat", 9).vpcs
    assert (vpc.name, vpc.cidr) == ("VPC-A", net("10.9.0.0/16"))
    assert [(s.name, str(s.cidr), s.tier) for s in vpc.subnets] == [
        ("SN-A-01", "10.9.1.0/24", "public"),
        ("SN-A-02", "10.9.2.0/24", "private"),
    ]


def test_vpc_peering_halves_the_block():
    a, b = lab_layout("vpc-peering", 5).vpcs
    assert (a.name, a.cidr, b.name, b.cidr) == ("VPC-A", net("10.5.0.0/17"), "VPC-B", net("10.5.128.0/17"))
    assert [str(s.cidr) for s in a.subnets + b.subnets] == ["10.5.0.0/20", "10.5.16.0/20", "10.5.128.0/20", "10.5.144.0/20"]


def test_lamp_puts_the_database_subnets_in_two_zones():
    (vpc,) = lab_layout("lamp", 3).vpcs
    db = vpc.private_subnets
    assert [str(s.cidr) for s in db] == ["10.3.128.0/20", "10.3.144.0/20"]
    assert len({s.az for s in db}) == 2


def test_dual_stack_coursework_sizes_and_private_sn_b():
    (vpc,) = lab_layout("dual-stack", 12).vpcs
    sizes = {s.name: s.cidr.num_addresses for s in vpc.subnets if not s.name.startswith("SN-") or s.name[3].isalpha()}
    assert sizes == {"SN-A": 2048, "SN-B": 2048, "SN-C": 4096, "SN-D": 8192, "SN-E": 8192, "SN-F": 16384}
    assert [s.name for s in vpc.private_subnets] == ["SN-B"]
    assert vpc.ipv6 and sorted(s.ipv6_index for s in vpc.subnets) == list(range(12))
    coursework = [s for s in vpc.subnets if s.name in sizes]
    assert len({s.az for s in coursework}) == 6  # each in its own zone


def test_carve_packs_largest_first_and_refuses_when_full():
    block = net("10.0.0.0/24")
    assert carve(block, [net("10.0.0.0/26")], {"a": 64, "b": 128}) == {"b": net("10.0.0.128/25"), "a": net("10.0.0.64/26")}
    with pytest.raises(AddressPlanError, match="no free /25 left"):
        carve(block, [net("10.0.0.0/25"), net("10.0.0.128/26")], {"x": 128})
    with pytest.raises(AddressPlanError, match="not a power of two"):
        carve(block, [], {"x": 100})


def test_unknown_lab_has_no_layout():
    with pytest.raises(AddressPlanError, match="no address layout for lab 'nope'"):
        lab_layout("nope", 1)


def test_networked_labs_conflict_but_are_named_in_the_error():
    with pytest.raises(AddressPlanError, match=r"labs ec2-webserver \(VPC 10.4.0.0/16\) and vpc-nat \(VPC-A 10.4.0.0/16\)"):
        stack_layout(["ec2-webserver", "vpc-nat"], 4)
