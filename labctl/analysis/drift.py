"""Drift: what differs between a student's live network and the planned graph of their stack.

Both graphs are reduced to facts named the way the book names things (Name tags without the
student prefix; untagged objects by their AWS id): routes, security-group rules, network ACL
entries and the resources themselves. Ids never match between a plan and AWS, names do. AWS's
own defaults that the program never manages (the default security group's rules, the default
network ACL's entries) are left out of both sides.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from cloudlabs.tags import STUDENT_TAG

from labctl import kinds
from labctl.analysis.reach import book_name, name_of, proto
from labctl.kinds.shared import PROTOCOL_NAMES, ROUTE_TARGETS
from labctl.offline.graph import Resource, StackGraph

# Resources whose presence is compared (by type and name); rules and routes are compared as facts.
COMPARED = {token: k.label for token, k in kinds.KINDS.items() if k.drift}


@dataclass(frozen=True, order=True)
class Fact:
    kind: str  # resource | route | sg-rule | nacl-entry
    text: str  # how the report shows it

    def __str__(self) -> str:
        return f"{self.kind} {self.text}"


@dataclass
class Drift:
    stack: str
    added: list[Fact]  # live, not planned: made by hand
    removed: list[Fact]  # planned, not live: deleted or changed by hand

    @property
    def clean(self) -> bool:
        return not self.added and not self.removed

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "addedByHand": [str(f) for f in self.added],
                "missingFromAws": [str(f) for f in self.removed]}


def _ports(protocol: str, low: Any, high: Any) -> str:
    if protocol not in ("6", "17") or low is None:
        return ""
    return f" {low}" if low == high else f" {low}-{high}"


def facts(graph: StackGraph) -> set[Fact]:
    names = {r.id: name_of(r, graph.settings.get("student")) for r in graph.resources if r.id}
    defaults = {r.outputs.get(key) for r in graph.custom_resources if r.type in kinds.KINDS
                for key in kinds.KINDS[r.type].aws_made} - {None}  # what AWS made itself: never the student's
    found: set[Fact] = set()

    def named(resource_id: Any) -> str:
        return names.get(resource_id, str(resource_id))

    for r in graph.custom_resources:
        kind = COMPARED.get(r.type)
        if kind is not None and r.id not in defaults:
            found.add(Fact("resource", f"{kind} {name_of(r, graph.settings.get('student'))}"))
        record = kinds.KINDS.get(r.type)
        if record is None or not record.drift_fact or (record.within and r.inputs.get(record.within) in defaults):
            continue
        found |= FACTS[record.drift_fact](r, named)
    return found


def _beanstalk_launches(r: Resource) -> set[Fact]:
    """What a planned Beanstalk environment launches and AWS then lists: its instances (named
    after the environment) and, load balanced, its load balancer (read as "<environment>-ALB")."""
    if "::live$" in r.urn:  # read live, it stands for nothing: what it launched is read itself
        return set()
    name = book_name(r.inputs.get("name") or r.name, (r.inputs.get("tags") or {}).get(STUDENT_TAG))
    launched = {Fact("resource", f"instance {name}")}
    settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in r.inputs.get("settings") or []}
    if settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) != "SingleInstance":
        launched.add(Fact("resource", f"load balancer {name}-ALB"))
    return launched


def _route(r: Resource, named: Any) -> Fact:
    i = r.inputs
    destination = i.get("destinationCidrBlock") or i.get("destinationIpv6CidrBlock")
    target = next((f"{t.label} {named(i[t.key])}" for t in ROUTE_TARGETS if i.get(t.key)), "?")
    return Fact("route", f"{named(i['routeTableId'])}: {destination} -> {target}")


def _sg_rule(r: Resource, named: Any) -> Fact:
    i = r.inputs
    protocol = proto(i.get("ipProtocol"))
    peer = i.get("cidrIpv4") or i.get("cidrIpv6") or f"group {named(i.get('referencedSecurityGroupId'))}"
    direction = "out to" if r.type.endswith("EgressRule") else "in from"
    return Fact("sg-rule", f"{named(i['securityGroupId'])}: {PROTOCOL_NAMES.get(protocol, protocol)}"
                           f"{_ports(protocol, i.get('fromPort'), i.get('toPort'))} {direction} {peer}")


def _nacl_entry(r: Resource, named: Any) -> Fact:
    i = r.inputs
    protocol = proto(i.get("protocol"))
    return Fact("nacl-entry", f"{named(i['networkAclId'])}: {'outbound' if i.get('egress') else 'inbound'} "
                              f"{i.get('ruleNumber')} {i.get('ruleAction')} {PROTOCOL_NAMES.get(protocol, protocol)}"
                              f"{_ports(protocol, i.get('fromPort'), i.get('toPort'))} "
                              f"{i.get('cidrBlock') or i.get('ipv6CidrBlock')}")


# How each kind of fact reads its resource (a kind's record names its fact: labctl.kinds).
FACTS: dict[str, Callable[[Resource, Callable[[Any], str]], set[Fact]]] = {
    "route": lambda r, named: {_route(r, named)},
    "sg-rule": lambda r, named: {_sg_rule(r, named)},
    "nacl-entry": lambda r, named: {_nacl_entry(r, named)},
    "launches": lambda r, named: _beanstalk_launches(r),
}


def drift(planned: StackGraph, live: StackGraph) -> Drift:
    want, have = facts(planned), facts(live)
    return Drift(planned.stack, sorted(have - want), sorted(want - have))
