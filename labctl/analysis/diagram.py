"""A stack's network as a Mermaid ``flowchart LR`` (GitHub renders it; the same graph gives the same bytes).

Subgraphs: one per VPC (its Name tag and CIDRs), inside it one per subnet (name, CIDR, tier and zone;
public: its route table sends 0.0.0.0/0 to an internet gateway), public subnets first, then by zone.
Nodes: what the kinds' records give a role (``Kind.diagram``, ``labctl.kinds.drawing``): gateways,
hosts (instances, Auto Scaling groups, load balancers, databases, ECS services, Beanstalk
environments), buckets, and the internet. A node sits in the one subnet its inputs name; one naming
several (a load balancer, a database's subnet group) sits in their VPC with a dotted link to each.
Edges: the internet to each internet gateway, each subnet's default routes to their gateway,
peerings between their VPCs (dotted while not accepted), and, as an overlay, the lab's expected
paths (``labctl.analysis.check.expected_paths``): solid when the book expects them to work, crossed
and dotted when it expects them refused, with the graph's own verdict in the label where it differs.

Where the network model (``labctl.analysis.reach.NetworkModel``) knows a fact (subnets, route
tables, peerings, which resource is which host), the diagram reads it from there.

``marks`` (URN -> "added", "replaced", "removed", "changed") colour a node and put a marker in its
label (``+``, ``±``, ``−``, ``~``) so it reads without colour; ``removed`` resources (only in the
base graph) are drawn too, marked removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from labctl.analysis.check import expected_paths
from labctl.analysis.reach import _PLACERS, Evaluator, NetworkModel, Verdict
from labctl.kinds import KINDS, drawing
from labctl.offline.graph import Resource, StackGraph

MARKS = {"added": "+", "replaced": "±", "removed": "−", "changed": "~"}
CLASSES = {
    "added": "fill:#e6ffed,stroke:#1a7f37,stroke-width:2px",
    "replaced": "fill:#fff1e5,stroke:#d4610a,stroke-width:2px",
    "removed": "fill:#ffebe9,stroke:#cf222e,stroke-width:2px,stroke-dasharray:5 5",
    "changed": "fill:#ddf4ff,stroke:#0969da,stroke-width:2px",
}
ALLOWED_COLOUR, DENIED_COLOUR = "#1a7f37", "#cf222e"
LEGEND = ("Legend: solid green arrows are paths the book expects to work, dotted red ones (✗) paths it expects "
          "refused; dotted lines join a node to the subnets it spans; marks: + added, ± replaced, − removed, ~ changed.")
INTERNET = "internet"
ADMIN = "admin"
_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "[": "#91;", "]": "#93;", "{": "#123;", "}": "#125;",
            "|": "#124;", "`": "#96;"}
_SHAPES = {  # role -> (opening, closing) of its node
    drawing.INTERNET_GATEWAY: ("{{", "}}"), drawing.EGRESS_GATEWAY: ("{{", "}}"), drawing.NAT: ("{{", "}}"),
    drawing.ENDPOINT: ("{{", "}}"), drawing.LOAD_BALANCER: ("([", "])"), drawing.DATABASE: ("[(", ")]"),
    drawing.BUCKET: ("[(", ")]"),
}


def escape(text: str) -> str:
    """Text safe inside a quoted Mermaid label: quotes, brackets, braces, pipes and ``<``/``>`` as entities."""
    return "".join(_ESCAPES.get(c, c) for c in " ".join(str(text).split()))


def _sanitise(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


class _Recorded(NetworkModel):
    """The network model, remembering which resource placed which host, peering and subnet group lookup."""

    def __init__(self, graph: StackGraph):
        self._current: Resource | None = None
        self.host_of: dict[str, str] = {}  # host name (as paths name it) -> URN of the resource that placed it
        self.groups_of: dict[str, list[str]] = {}  # URN -> the subnets of the subnet group it was placed with
        self.peering_of: dict[str, tuple[str, str]] = {}  # URN -> (requester VPC, accepter VPC)
        super().__init__(graph)

    def _build(self) -> None:
        for token, place in _PLACERS:
            for r in self._of(token):
                self._current = r
                place(r, self)
        self._current = None

    def _placed_by(self, name: str) -> None:
        if self._current is not None:
            self.host_of[name] = self._current.urn

    def add_host(self, name: str, kind: str, subnet_id: str, private_ip: str, public_ip: str | None,
                 ipv6: list[str], groups: list[str], resource_id: str = "") -> None:
        self._placed_by(name)
        super().add_host(name, kind, subnet_id, private_ip, public_ip, ipv6, groups, resource_id)

    def place_host(self, name: str, kind: str, subnet_id: str, offset: int, public: Any, groups: list[str]) -> None:
        self._placed_by(name)
        super().place_host(name, kind, subnet_id, offset, public, groups)

    def place_elsewhere(self, name: str, why: str) -> None:
        self._placed_by(name)
        super().place_elsewhere(name, why)

    def subnet_group(self, name: Any) -> list[str]:
        found = super().subnet_group(name)
        if self._current is not None:
            self.groups_of[self._current.urn] = list(found)
        return found

    def add_peering(self, peering_id: str, requester: str, accepter: str, active: bool) -> None:
        if self._current is not None:
            self.peering_of[self._current.urn] = (requester, accepter)
        super().add_peering(peering_id, requester, accepter, active)


def _strings(value: Any) -> Iterator[str]:
    """Every string in an input (comma-separated lists split: Beanstalk's option settings)."""
    if isinstance(value, str):
        yield from (part.strip() for part in value.split(","))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


@dataclass
class _Node:
    id: str
    resource: Resource
    role: str
    label: str
    subnet: str | None = None  # the subnet id it is drawn in
    vpc: str | None = None  # the VPC id it is drawn in (when not in one subnet)
    spans: list[str] = field(default_factory=list)  # subnet ids it is linked to


@dataclass
class _Edge:
    line: str
    style: str = ""


def _role(resource: Resource) -> str:
    kind = KINDS.get(resource.type)
    return kind.diagram if kind is not None and resource.custom else ""


def mermaid(graph: StackGraph, marks: Mapping[str, str] | None = None, removed: Sequence[Resource] = (),
            paths: bool = True) -> str:
    """The stack's network as Mermaid text (see the module's docstring); ``paths``: the expected-paths overlay."""
    marks = dict(marks or {})
    unknown = sorted({m for m in marks.values() if m not in MARKS})
    if unknown:
        raise ValueError(f"marks {', '.join(unknown)}; allowed: {', '.join(MARKS)}")
    present = {r.urn for r in graph.resources}
    gone = [r for r in removed if r.urn not in present]
    for r in gone:
        marks[r.urn] = "removed"
    drawn = StackGraph(graph.stack, graph.project, graph.settings, graph.outputs, list(graph.resources) + gone) if gone else graph
    model = _Recorded(drawn)
    return _Drawing(graph, model, marks).text(paths)


class _Drawing:
    def __init__(self, graph: StackGraph, model: _Recorded, marks: Mapping[str, str]):
        self.graph, self.m, self.marks = graph, model, marks
        self.ids: dict[str, str] = {}  # URN -> node or subgraph id
        taken: set[str] = {INTERNET, ADMIN}
        resources = sorted((r for r in model.graph.resources if _role(r)), key=lambda r: (_sanitise(r.name), r.urn))
        for r in resources:
            prefix = {drawing.VPC: "vpc_", drawing.SUBNET: "sn_"}.get(_role(r), "n_")
            base = prefix + _sanitise(r.name)
            candidate, n = base, 2
            while candidate in taken:
                candidate, n = f"{base}_{n}", n + 1
            taken.add(candidate)
            self.ids[r.urn] = candidate
        self.by_id = {r.id: r for r in resources if r.id}
        self.vpcs = {vid: r for vid, r in ((r.id, r) for r in resources if _role(r) == drawing.VPC) if vid in model.vpcs}
        self.subnets = {sid: r for sid, r in ((r.id, r) for r in resources if _role(r) == drawing.SUBNET) if sid in model.subnets}
        self.nodes = [self._node(r) for r in resources if _role(r) not in (drawing.VPC, drawing.SUBNET, drawing.PEERING)]
        self.peerings = [r for r in resources if _role(r) == drawing.PEERING]

    # --- placement --------------------------------------------------------------------------------

    def _node(self, r: Resource) -> _Node:
        role = _role(r)
        named = set(_strings(r.inputs))
        subnets = sorted(s for s in named if s in self.subnets) or sorted(s for s in self.m.groups_of.get(r.urn, [])
                                                                          if s in self.subnets)
        vpcs = sorted({self.m.subnets[s].vpc for s in subnets} | {v for v in named if v in self.vpcs})
        node = _Node(self.ids[r.urn], r, role, f"{role}: {self._name(r)}")
        if role == drawing.BUCKET:
            return node
        if len(subnets) == 1:
            node.subnet = subnets[0]
        elif subnets:
            node.spans = subnets
            node.vpc = vpcs[0] if len(vpcs) == 1 else None
        elif len(vpcs) == 1:
            node.vpc = vpcs[0]
        return node

    def _name(self, r: Resource) -> str:
        """The book's name: the host's name where it placed one (paths name it so), else its Name tag."""
        hosts = sorted((name for name, urn in self.m.host_of.items() if urn == r.urn), key=lambda n: (len(n), n))
        if hosts:
            return hosts[0]
        return self.m.name(r) if isinstance(r.inputs.get("tags") or {}, dict) else r.name

    def _tier(self, subnet_id: str) -> str:
        table = self.m.tables.get(self.m.subnets[subnet_id].route_table)
        routes = table.routes if table else []
        return "public" if any(str(r.destination) == "0.0.0.0/0" and r.kind == "igw" for r in routes) else "private"

    @staticmethod
    def _zone(r: Resource) -> str:
        return str(r.inputs.get("availabilityZone") or r.outputs.get("availabilityZone") or "")

    # --- text -------------------------------------------------------------------------------------

    def _label(self, urn: str, text: str) -> str:
        mark = self.marks.get(urn)
        return escape(f"{MARKS[mark]} {text}" if mark else text)

    def _node_line(self, node: _Node, indent: str) -> str:
        opening, closing = _SHAPES.get(node.role, ("[", "]"))
        return f'{indent}{node.id}{opening}"{self._label(node.resource.urn, node.label)}"{closing}'

    def text(self, paths: bool) -> str:
        lines = ["flowchart LR", f'  {INTERNET}(("{INTERNET}"))']
        for node in sorted((n for n in self.nodes if n.vpc is None and n.subnet is None), key=lambda n: n.id):
            lines.append(self._node_line(node, "  "))
        for vpc_id in sorted(self.vpcs, key=lambda v: self.ids[self.vpcs[v].urn]):
            lines += self._vpc(vpc_id)
        edges = self._edges()
        if paths:
            edges += self._paths(lines)
        lines += [f"  {e.line}" for e in edges]
        lines += [f"  linkStyle {i} {e.style}" for i, e in enumerate(edges) if e.style]
        used = sorted({mark for urn, mark in self.marks.items() if urn in self.ids})
        lines += [f"  classDef {mark} {CLASSES[mark]}" for mark in used]
        for mark in used:
            members = sorted(self.ids[urn] for urn, m in self.marks.items() if m == mark and urn in self.ids)
            lines.append(f"  class {','.join(members)} {mark}")
        return "\n".join(lines) + "\n"

    def _vpc(self, vpc_id: str) -> list[str]:
        r = self.vpcs[vpc_id]
        cidrs = ", ".join(str(c) for c in self.m.vpcs[vpc_id].cidrs)
        lines = [f'  subgraph {self.ids[r.urn]}["{self._label(r.urn, f"VPC {self.m.vpcs[vpc_id].name} · {cidrs}")}"]']
        for node in sorted((n for n in self.nodes if n.vpc == vpc_id and n.subnet is None), key=lambda n: n.id):
            lines.append(self._node_line(node, "    "))
        inside = [s for s in self.subnets if self.m.subnets[s].vpc == vpc_id]
        for sid in sorted(inside, key=lambda s: (self._tier(s) != "public", self._zone(self.subnets[s]),
                                                   self.m.subnets[s].name, self.ids[self.subnets[s].urn])):
            sr, subnet = self.subnets[sid], self.m.subnets[sid]
            cidrs = str(subnet.cidr) + (f", {subnet.ipv6}" if subnet.ipv6 else "")
            zone = self._zone(sr)
            text = f"{subnet.name} · {cidrs} · {self._tier(sid)}" + (f" · {zone}" if zone else "")
            lines.append(f'    subgraph {self.ids[sr.urn]}["{self._label(sr.urn, text)}"]')
            for node in sorted((n for n in self.nodes if n.subnet == sid), key=lambda n: n.id):
                lines.append(self._node_line(node, "      "))
            lines.append("    end")
        lines.append("  end")
        return lines

    def _edges(self) -> list[_Edge]:
        edges = [_Edge(f"{INTERNET} --- {n.id}") for n in sorted(self.nodes, key=lambda n: n.id)
                 if n.role == drawing.INTERNET_GATEWAY]
        edges += [_Edge(f'{n.id} -- "IPv6 out" --> {INTERNET}') for n in sorted(self.nodes, key=lambda n: n.id)
                  if n.role == drawing.EGRESS_GATEWAY]
        for sid in sorted(self.subnets, key=lambda s: self.ids[self.subnets[s].urn]):
            table = self.m.tables.get(self.m.subnets[sid].route_table)
            for route in sorted(table.routes if table else [], key=lambda r: (r.destination.version, str(r.destination))):
                target = self.by_id.get(route.target)
                if route.destination.prefixlen == 0 and target is not None and target.urn in self.ids:
                    edges.append(_Edge(f'{self.ids[self.subnets[sid].urn]} -- "{escape(str(route.destination))}" --> '
                                       f'{self.ids[target.urn]}'))
        for n in sorted(self.nodes, key=lambda n: n.id):
            edges += [_Edge(f"{n.id} -.- {sid}") for sid in sorted(self.ids[self.subnets[s].urn] for s in n.spans)]
        for r in self.peerings:
            requester, accepter = self.m.peering_of.get(r.urn, ("", ""))
            if requester in self.vpcs and accepter in self.vpcs:
                active = self.m.peerings.get(r.id or "", ("", "", False))[2]
                text = self._label(r.urn, f"peering {self.m.name(r)}" + ("" if active else " (not accepted)"))
                arrow = f'<-->|"{text}"|' if active else f'<-.->|"{text}"|'
                edges.append(_Edge(f"{self.ids[self.vpcs[requester].urn]} {arrow} {self.ids[self.vpcs[accepter].urn]}"))
        return edges

    # --- the expected paths ---------------------------------------------------------------------------

    def _paths(self, lines: list[str]) -> list[_Edge]:
        if "labs" not in self.graph.settings:
            return []
        evaluator = Evaluator(NetworkModel(self.graph), self.graph.settings.get("adminCidr"))
        seen = sorted({(e.src, e.dst, e.protocol, e.port if e.port is not None else -1, e.allowed)
                       for _, _, e in expected_paths(self.graph)})
        extra: dict[str, str] = {}
        edges = []
        for src, dst, protocol, port, allowed in seen:
            try:
                verdict = evaluator.check(src, dst, protocol, None if port < 0 else port)
            except (KeyError, ValueError) as missing:
                verdict = Verdict(False, [], str(missing.args[0]))
            a, b = self._end(src, extra), self._end(dst, extra)
            what = protocol if port < 0 else f"{protocol}/{port}"
            if verdict.allowed != allowed:
                what += f" (expected {'allowed' if allowed else 'denied'}, {'allowed' if verdict.allowed else 'denied'})"
            if allowed:
                edges.append(_Edge(f'{a} -- "{escape(what)}" --> {b}', f"stroke:{ALLOWED_COLOUR},stroke-width:2px"))
            else:
                edges.append(_Edge(f'{a} -. "{escape("✗ " + what)}" .-> {b}', f"stroke:{DENIED_COLOUR},stroke-width:2px"))
        lines += [f'  {node}["{escape(text)}"]' for node, text in sorted(extra.items())]
        return edges

    def _end(self, name: str, extra: dict[str, str]) -> str:
        """The node a path's end is drawn at (a node made for the admin range or a host the graph lacks)."""
        if name in (INTERNET, "internet6") or name.startswith("cidr:"):
            return INTERNET
        if name == ADMIN:
            extra[ADMIN] = f"admin {self.graph.settings.get('adminCidr') or '(no admin CIDR)'}"
            return ADMIN
        if name.startswith("subnet:"):
            subnet = next((r for sid, r in sorted(self.subnets.items()) if self.m.subnets[sid].name == name[7:]), None)
            if subnet is not None:
                return self.ids[subnet.urn]
        urn = self.m.host_of.get(name)
        if urn is not None and urn in self.ids:
            return self.ids[urn]
        node = "missing_" + _sanitise(name)
        extra[node] = f"{name} (not in the graph)"
        return node
