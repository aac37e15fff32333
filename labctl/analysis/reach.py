"""Reachability on the rendered graph: can protocol P to port X go from A to B?

The evaluator follows what AWS follows, in the order of the troubleshooting checklist
(seeds/004): security groups (outbound on the source, inbound on the destination, stateful:
replies pass), network ACLs (both directions, first matching rule by number, stateless: the
reply to the client's ephemeral ports needs its own rule), route tables (longest prefix match
over local, internet gateway, NAT gateway, peering and egress-only gateway routes, for the
request and for the reply), placement (same VPC, or peered VPCs with routes on both sides), and
for the internet a public address plus an internet-gateway route, or a NAT gateway for private
sources going out.

Every answer carries the hops taken and, when denied, the first thing that blocks, in the
checklist's words. It also names the rules the answer relies on (``relied``): each is an
explicit route, NACL entry or security-group rule that was the only one allowing its step.

What each kind is in the model (a VPC, a route, a host...) and how its resource is placed there is in
its record (``Kind.reach``, ``labctl.kinds.network``); ``NetworkModel`` builds the model role by role
through its ``add_*`` methods and keeps what AWS adds on its own (main tables, default ACLs and groups).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv6Address, IPv4Network, IPv6Network, ip_address, ip_network
from typing import Any, Iterable, Union

from cloudlabs.tags import STUDENT_TAG

from labctl.kinds import KINDS, shared
from labctl.kinds.network import ROLES
from labctl.kinds.shared import FOLLOWED_TARGETS, ROUTE_TARGETS
from labctl.offline.graph import Resource, StackGraph

Address = Union[IPv4Address, IPv6Address]
Network = Union[IPv4Network, IPv6Network]

EPHEMERAL = (1024, 65535)  # AWS's advice for NACL reply rules: covers Linux, Windows and NAT gateways
INTERNET_V4 = ip_address("198.18.7.7")  # a public address outside every lab (RFC 2544 range)
INTERNET_V6 = ip_address("3fff::7")  # RFC 9637 documentation prefix, outside every lab
PROTOCOL_NUMBERS = {name: str(number) for name, number in shared.PROTOCOL_NUMBERS.items()}  # as the API answers them
PROTOCOL_NAMES = {v: k for k, v in PROTOCOL_NUMBERS.items() if k != "all"}
ALL_V4, ALL_V6 = ip_network("0.0.0.0/0"), ip_network("::/0")
# The records with a role in the model, in the order it is built (a role may use what earlier ones placed).
_PLACERS = tuple((kind.token, kind.reach.place) for role in ROLES for kind in KINDS.values()
                 if kind.reach is not None and kind.reach.role == role)


def proto(value: Any) -> str:
    """Protocol as its number ("6"), whatever form the graph holds ("tcp", "6", -1)."""
    text = str(value).lower()
    if text.endswith(".0"):
        text = text[:-2]
    return PROTOCOL_NUMBERS.get(text, text)


def _rid(resource: Resource) -> str:
    """A custom resource's id (every rendered one has one; its URN stands in otherwise)."""
    return resource.id or resource.urn


def name_of(resource: Resource, student: str | None = None) -> str:
    """The book name from the Name tag ("s01-VPC-A-RT-Public" -> "VPC-A-RT-Public"). ``student``:
    the stack's student, for what carries no student tag (made by hand and read live: a student's
    own "web-ALB" keeps its name, "s01-web-ALB" loses the prefix)."""
    tags = resource.inputs.get("tags") or {}
    if not tags.get("Name") and resource.name == resource.id:
        return resource.name  # an untagged object read from AWS: its id is its only name
    return book_name(tags.get("Name") or resource.name, tags.get(STUDENT_TAG) or student)


def book_name(tag: str, student: str | None) -> str:
    """A Name tag without the student's prefix: the prefix is optional (cohort setting
    nameTagPrefix); without a student tag, the part after the first hyphen."""
    if student is not None:
        return tag[len(student) + 1:] if tag.startswith(f"{student}-") else tag
    return tag.split("-", 1)[1] if "-" in tag else tag


# --- the model ------------------------------------------------------------------------------------


@dataclass
class Route:
    destination: Network
    kind: str  # local, igw, nat, pcx, eigw, other
    target: str
    urn: str | None = None  # None for the implicit local route


@dataclass
class RouteTable:
    id: str
    name: str
    vpc: str
    routes: list[Route]

    def lookup(self, address: Address) -> Route | None:
        candidates = [r for r in self.routes if r.destination.version == address.version and address in r.destination]
        return max(candidates, key=lambda r: r.destination.prefixlen, default=None)


@dataclass
class NaclEntry:
    number: int
    egress: bool
    protocol: str
    ports: tuple[int, int] | None  # None: every port (all traffic, or ICMP)
    cidr: Network
    allow: bool
    urn: str | None = None


@dataclass
class Nacl:
    id: str
    name: str
    entries: list[NaclEntry]


@dataclass
class SgRule:
    egress: bool
    protocol: str
    ports: tuple[int, int] | None
    cidr: Network | None
    group: str | None  # referenced security group id
    description: str
    urn: str | None = None


@dataclass
class SecurityGroup:
    id: str
    name: str
    rules: list[SgRule]


@dataclass
class Subnet:
    id: str
    name: str
    vpc: str
    cidr: IPv4Network
    ipv6: IPv6Network | None
    route_table: str = ""
    nacl: str = ""


@dataclass
class Endpoint:
    """Something with addresses in a subnet: an instance, a NAT gateway, a subnet's stand-in."""

    name: str
    kind: str
    subnet: str
    private_ip: Address
    public_ip: Address | None = None
    ipv6: list[Address] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)


@dataclass
class Vpc:
    id: str
    name: str
    cidrs: list[Network]


class NetworkModel:
    """The parts of a rendered stack that decide reachability."""

    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.student: str | None = graph.settings.get("student")
        self.vpcs: dict[str, Vpc] = {}
        self._elsewhere: dict[str, str] = {}  # hosts outside the graph's VPCs: why a path to them fails
        self.subnets: dict[str, Subnet] = {}
        self.tables: dict[str, RouteTable] = {}
        self.nacls: dict[str, Nacl] = {}
        self.groups: dict[str, SecurityGroup] = {}
        self.endpoints: dict[str, Endpoint] = {}
        self.nats: dict[str, Endpoint] = {}
        self.peerings: dict[str, tuple[str, str, bool]] = {}  # pcx -> (requester vpc, accepter vpc, active)
        self._main_tables: dict[str, str] = {}  # vpc -> its main route table
        self._default_nacls: dict[str, str] = {}  # vpc -> its default network ACL
        self._subnet_groups: dict[str, list[str]] = {}  # a database's subnet group (by name) -> its subnets
        self._templates: dict[str, tuple[bool, list[str]]] = {}  # launch template id -> (public address, groups)
        self._accepted: set[str] = set()  # peerings an accepter accepts
        self._hosts_by_id: dict[str, str] = {}  # an instance's id -> its host's name (what an address association names)
        self._build()

    def _of(self, type_token: str) -> list[Resource]:
        return self.graph.of_type(type_token)

    def _build(self) -> None:
        for token, place in _PLACERS:
            for r in self._of(token):
                place(r, self)

    # --- what the records place (labctl.kinds.network.NetworkBuilder) ----------------------------

    def name(self, resource: Resource) -> str:
        return name_of(resource, self.student)

    @staticmethod
    def book_name(tag: str, student: str | None) -> str:
        return book_name(tag, student)

    def has_subnet(self, subnet_id: Any) -> bool:
        return subnet_id in self.subnets

    def has_vpc(self, vpc_id: Any) -> bool:
        return vpc_id in self.vpcs

    def place_elsewhere(self, name: str, why: str) -> None:
        self._elsewhere[name] = why

    def add_vpc(self, vpc_id: str, name: str, cidrs: list[str], main_table: str | None, default_acl: str | None,
                default_group: str | None) -> None:
        """A VPC with what AWS makes beside it: its main route table, its default network ACL (allowing
        everything) and its default group (everything from its own members in, everything out)."""
        self.vpcs[vpc_id] = Vpc(vpc_id, name, [ip_network(c) for c in cidrs])
        main = main_table or f"main-{vpc_id}"
        self._main_tables[vpc_id] = main
        self.tables[main] = RouteTable(main, f"{name} main route table", vpc_id, self._local_routes(vpc_id))
        acl = default_acl or f"default-acl-{vpc_id}"
        self._default_nacls[vpc_id] = acl
        self.nacls[acl] = Nacl(acl, f"{name} default NACL", [
            NaclEntry(100, egress, "-1", None, net, True) for egress in (False, True) for net in (ALL_V4, ALL_V6)])
        if default_group:
            self.groups[default_group] = SecurityGroup(default_group, "default", [
                SgRule(False, "-1", None, None, default_group, "from members of the default group"),
                SgRule(True, "-1", None, ALL_V4, None, "all outbound"),
                SgRule(True, "-1", None, ALL_V6, None, "all outbound (IPv6)")])

    def add_route_table(self, table_id: str, name: str, vpc_id: str) -> None:
        self.tables[table_id] = RouteTable(table_id, name, vpc_id, self._local_routes(vpc_id))

    def add_route(self, table_id: str, destination: str, inputs: dict[str, Any], urn: str) -> None:
        table = self.tables.get(table_id)
        if table is not None:
            kind, target = self._target(inputs)
            table.routes.append(Route(ip_network(destination), kind, target, urn))

    def add_subnet(self, subnet_id: str, name: str, vpc_id: str, cidr: str, ipv6: str | None) -> None:
        self.subnets[subnet_id] = Subnet(subnet_id, name, vpc_id, IPv4Network(cidr), IPv6Network(ipv6) if ipv6 else None,
                                         self._main_tables.get(vpc_id, ""), self._default_nacls.get(vpc_id, ""))

    def associate(self, subnet_id: Any, route_table: str | None = None, network_acl: str | None = None) -> None:
        subnet = self.subnets.get(subnet_id)
        if subnet is not None:
            subnet.route_table = route_table or subnet.route_table
            subnet.nacl = network_acl or subnet.nacl

    def add_network_acl(self, acl_id: str, name: str) -> None:
        self.nacls[acl_id] = Nacl(acl_id, name, [])

    def add_acl_entry(self, acl_id: str, number: int, egress: bool, protocol: Any, ports: tuple[Any, Any], cidr: str,
                      allow: bool, urn: str) -> None:
        nacl = self.nacls.get(acl_id)
        if nacl is not None:
            number_ = proto(protocol)
            span = (int(ports[0]), int(ports[1])) if number_ in ("6", "17") else None
            nacl.entries.append(NaclEntry(int(number), egress, number_, span, ip_network(cidr), allow, urn))

    def add_security_group(self, group_id: str, name: str) -> None:
        self.groups[group_id] = SecurityGroup(group_id, name, [])

    def add_group_rule(self, group_id: str, egress: bool, protocol: Any, ports: tuple[Any, Any] | None, cidr: str | None,
                       group: str | None, description: str, urn: str) -> None:
        holder = self.groups.get(group_id)
        if holder is not None:
            number = proto(protocol)
            span = (int(ports[0]), int(ports[1])) if number in ("6", "17") and ports and ports[0] is not None else None
            holder.rules.append(SgRule(egress, number, span, ip_network(cidr) if cidr else None, group, description, urn))

    def add_nat(self, nat_id: str, name: str, subnet_id: str, private_ip: str, public_ip: str | None) -> None:
        self.nats[nat_id] = Endpoint(name, "NAT gateway", subnet_id, ip_address(private_ip), ip_address(public_ip) if public_ip else None)

    def add_host(self, name: str, kind: str, subnet_id: str, private_ip: str, public_ip: str | None,
                 ipv6: list[str], groups: list[str], resource_id: str = "") -> None:
        self.endpoints[name] = Endpoint(name, kind, subnet_id, ip_address(private_ip), ip_address(public_ip) if public_ip else None,
                                        [ip_address(a) for a in ipv6], groups)
        if resource_id:
            self._hosts_by_id[resource_id] = name

    def give_public_address(self, resource_id: Any, public_ip: str | None) -> None:
        name = self._hosts_by_id.get(str(resource_id))
        if name is not None and public_ip:
            self.endpoints[name].public_ip = ip_address(public_ip)

    def place_host(self, name: str, kind: str, subnet_id: str, offset: int, public: Any, groups: list[str]) -> None:
        self.endpoints[name] = Endpoint(name, kind, subnet_id, self.subnets[subnet_id].cidr.network_address + offset, public,
                                        groups=groups)

    def add_subnet_group(self, name: str, subnet_ids: list[str]) -> None:
        self._subnet_groups[name] = subnet_ids

    def subnet_group(self, name: Any) -> list[str]:
        return self._subnet_groups.get(name, [])

    def add_launch_template(self, template_id: Any, public: bool, groups: list[str]) -> None:
        self._templates[template_id] = (public, groups)

    def launch_template(self, template_id: Any) -> tuple[bool, list[str]] | None:
        return self._templates.get(template_id)

    def add_peering(self, peering_id: str, requester: str, accepter: str, active: bool) -> None:
        self.peerings[peering_id] = (requester, accepter, active or peering_id in self._accepted)

    def accept_peering(self, peering_id: str) -> None:
        self._accepted.add(peering_id)
        if peering_id in self.peerings:
            requester, accepter, _ = self.peerings[peering_id]
            self.peerings[peering_id] = (requester, accepter, True)

    def _local_routes(self, vpc_id: str) -> list[Route]:
        vpc = self.vpcs.get(vpc_id)
        return [Route(cidr, "local", "local") for cidr in (vpc.cidrs if vpc else [])]

    @staticmethod
    def _target(inputs: dict[str, Any]) -> tuple[str, str]:
        for key, kind in ((t.key, t.short) for t in ROUTE_TARGETS if t.short in FOLLOWED_TARGETS):
            if inputs.get(key):
                target = inputs[key]
                if kind == "igw" and not str(target).startswith("igw-"):
                    kind = "other"  # e.g. a gateway endpoint (vpce-) or a virtual private gateway
                return kind, target
        return "other", next((str(v) for k, v in inputs.items() if k.endswith("Id") and k != "routeTableId"), "?")

    # --- lookups ------------------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        if name.startswith("subnet:"):
            subnet = next((s for s in self.subnets.values() if s.name == name[7:]), None)
            if subnet is None:
                raise KeyError(f"no subnet named {name[7:]!r}; subnets: {', '.join(sorted(s.name for s in self.subnets.values()))}")
            return Endpoint(f"a host in {subnet.name}", "subnet", subnet.id, subnet.cidr.network_address + 10,
                            ipv6=[subnet.ipv6.network_address + 10] if subnet.ipv6 else [])
        if name not in self.endpoints and name in self._elsewhere:
            raise KeyError(f"no host named {name!r} in the lab's VPCs: {self._elsewhere[name]}")
        if name not in self.endpoints:
            raise KeyError(f"no host named {name!r}; hosts: {', '.join(sorted(self.endpoints))}")
        return self.endpoints[name]

    def vpc_network_of(self, address: Address) -> Network | None:
        for vpc in self.vpcs.values():
            for cidr in vpc.cidrs:
                if cidr.version == address.version and address in cidr:
                    return cidr
        return None


# --- verdicts -------------------------------------------------------------------------------------


@dataclass
class Verdict:
    allowed: bool
    hops: list[str]
    reason: str | None = None  # the first thing that blocks, when denied
    relied: list[str] = field(default_factory=list)  # URNs of rules the answer relies on

    @property
    def explanation(self) -> str:
        return " -> ".join(self.hops) + (f"; BLOCKED: {self.reason}" if self.reason else "")


class Blocked(Exception):
    pass


@dataclass
class Party:
    label: str
    address: Address
    endpoint: Endpoint | None = None  # None for the internet

    @property
    def internet(self) -> bool:
        return self.endpoint is None


def _ports_text(protocol: str, ports: tuple[int, int] | None) -> str:
    name = PROTOCOL_NAMES.get(protocol, protocol)
    if name == "-1":
        return "all traffic"
    if ports is None:
        return name
    return f"{name} {ports[0]}" if ports[0] == ports[1] else f"{name} {ports[0]}-{ports[1]}"


class Evaluator:
    def __init__(self, model: NetworkModel, admin_cidr: str | None = None):
        self.m = model
        self.admin_cidr = ip_network(admin_cidr) if admin_cidr else None

    # --- parties ------------------------------------------------------------------------------

    def party(self, name: str, family: int) -> Party:
        if name == "internet":
            return Party("the internet", INTERNET_V4)
        if name == "internet6":
            return Party("the internet (IPv6)", INTERNET_V6)
        if name == "admin":
            if self.admin_cidr is None:
                raise KeyError("no admin CIDR known for this stack")
            return Party(f"the admin CIDR {self.admin_cidr}", self.admin_cidr.network_address + 1)
        if name.startswith("cidr:"):
            try:
                network = ip_network(name[5:], strict=False)
            except ValueError:
                raise KeyError(f"{name!r} is not an internet range; write e.g. cidr:198.51.100.0/24") from None
            # a host of the range stands for it (the network address itself is not a host)
            return Party(f"the internet range {network}", network.network_address + (1 if network.num_addresses > 1 else 0))
        endpoint = self.m.endpoint(name)
        if family == 6:
            if not endpoint.ipv6:
                raise Blocked(f"{endpoint.name} has no IPv6 address")
            return Party(endpoint.name, endpoint.ipv6[0], endpoint)
        return Party(endpoint.name, endpoint.private_ip, endpoint)

    def check(self, src: str, dst: str, protocol: str, port: int | None) -> Verdict:
        family = 6 if ("internet6" in (src, dst) or proto(protocol) == "58"  # ping6 between hosts goes over IPv6
                       or any(e.startswith("cidr:") and ":" in e[5:] for e in (src, dst))) else 4
        hops: list[str] = []
        relied: list[str] = []
        try:
            a, b = self.party(src, family), self.party(dst, family)
            if a.internet and b.internet:
                raise ValueError("one end must be inside the stack")
            self._flow(a, b, proto(protocol), port, hops, relied)
        except Blocked as blocked:
            return Verdict(False, hops, str(blocked), [])
        return Verdict(True, hops, None, relied)

    # --- the walk -----------------------------------------------------------------------------

    def _flow(self, a: Party, b: Party, protocol: str, port: int | None, hops: list[str], relied: list[str]) -> None:
        request = (port, port) if port is not None else None
        hops.append(f"{a.label} ({a.address})")
        if b.internet:
            return self._outbound_to_internet(a, b, protocol, request, hops, relied)
        if a.internet:
            return self._inbound_from_internet(a, b, protocol, request, hops, relied)
        return self._internal(a, b, protocol, request, hops, relied)

    def _internal(self, a, b, protocol, request, hops, relied) -> None:
        sa, sb = self.m.subnets[a.endpoint.subnet], self.m.subnets[b.endpoint.subnet]
        self._sg(a, b, protocol, request, egress=True, hops=hops, relied=relied)
        if sa.id != sb.id:
            self._nacl(sa, egress=True, protocol=protocol, ports=request, peer=b.address, what="the request", hops=hops, relied=relied)
            route = self._route(sa, b.address, hops, relied, to=self._describe_destination(b.address))
            if route.kind == "pcx":
                self._peering(route, sa.vpc, sb.vpc)
            elif route.kind != "local" or sa.vpc != sb.vpc:
                raise Blocked(f"{a.label} and {b.label} are in different VPCs: route table {self._table(sa).name} "
                              f"has no route to {self._describe_destination(b.address)} through a peering connection")
            self._nacl(sb, egress=False, protocol=protocol, ports=request, peer=a.address, what="the request", hops=hops, relied=relied)
        self._sg(b, a, protocol, request, egress=False, hops=hops, relied=relied)
        hops.append(f"{b.label} ({b.address})")
        if sa.id != sb.id:  # the stateless way back
            self._nacl(sb, egress=True, protocol=protocol, ports=self._reply(protocol), peer=a.address, what="the reply", hops=hops, relied=relied)
            back = self._route(sb, a.address, hops, relied, to=self._describe_destination(a.address), reply=True)
            if back.kind == "pcx":
                self._peering(back, sb.vpc, sa.vpc)
            elif back.kind != "local" or sa.vpc != sb.vpc:
                raise Blocked(f"route table {self._table(sb).name} has no route back to "
                              f"{self._describe_destination(a.address)} through the peering connection")
            self._nacl(sa, egress=False, protocol=protocol, ports=self._reply(protocol), peer=b.address, what="the reply", hops=hops, relied=relied)
        hops.append(f"reply back to {a.label}")

    def _outbound_to_internet(self, a, b, protocol, request, hops, relied) -> None:
        sa = self.m.subnets[a.endpoint.subnet]
        self._sg(a, b, protocol, request, egress=True, hops=hops, relied=relied)
        self._nacl(sa, egress=True, protocol=protocol, ports=request, peer=b.address, what="the request", hops=hops, relied=relied)
        route = self._route(sa, b.address, hops, relied, to=self._internet_text(b.address))
        reply = self._reply(protocol)
        if route.kind == "igw":
            if b.address.version == 4 and a.endpoint.public_ip is None:
                raise Blocked(f"{a.label} has no public IPv4 address, so replies from the internet cannot find it; "
                              f"a private host needs a NAT gateway route instead")
            hops.append(f"internet gateway {route.target}")
            hops.append(b.label)
            self._nacl(sa, egress=False, protocol=protocol, ports=reply, peer=b.address, what="the reply", hops=hops, relied=relied)
        elif route.kind == "eigw" and b.address.version == 6:
            hops.append(f"egress-only internet gateway {route.target}")
            hops.append(b.label)
            self._nacl(sa, egress=False, protocol=protocol, ports=reply, peer=b.address, what="the reply", hops=hops, relied=relied)
        elif route.kind == "nat" and b.address.version == 4:
            nat = self.m.nats.get(route.target)
            if nat is None:
                raise Blocked(f"route table {self._table(sa).name} points to NAT gateway {route.target}, which is not in the stack")
            sn = self.m.subnets[nat.subnet]
            hops.append(f"NAT gateway {nat.name} ({nat.private_ip} -> {nat.public_ip})")
            if sn.id != sa.id:
                self._nacl(sn, egress=False, protocol=protocol, ports=request, peer=a.address, what="the request into the NAT gateway's subnet", hops=hops, relied=relied)
            self._nacl(sn, egress=True, protocol=protocol, ports=request, peer=b.address, what="the NAT gateway's request", hops=hops, relied=relied)
            out = self._route(sn, b.address, hops, relied, to=self._internet_text(b.address))
            if out.kind != "igw":
                raise Blocked(f"route table {self._table(sn).name} of the NAT gateway's subnet {sn.name} has no route to "
                              f"the internet gateway for {self._internet_text(b.address)}")
            hops.append(f"internet gateway {out.target}")
            hops.append(b.label)
            self._nacl(sn, egress=False, protocol=protocol, ports=reply, peer=b.address, what="the reply into the NAT gateway's subnet", hops=hops, relied=relied)
            if sn.id != sa.id:
                self._nacl(sn, egress=True, protocol=protocol, ports=reply, peer=a.address, what="the reply from the NAT gateway", hops=hops, relied=relied)
                self._nacl(sa, egress=False, protocol=protocol, ports=reply, peer=nat.private_ip, what="the reply from the NAT gateway", hops=hops, relied=relied)
        else:
            raise Blocked(f"route table {self._table(sa).name} sends {self._internet_text(b.address)} to "
                          f"{route.kind} {route.target}, which does not lead to the internet")
        hops.append(f"reply back to {a.label}")

    def _inbound_from_internet(self, a, b, protocol, request, hops, relied) -> None:
        sb = self.m.subnets[b.endpoint.subnet]
        if b.address.version == 4:
            if b.endpoint.public_ip is None:
                raise Blocked(f"{b.label} has no public IPv4 address: the internet can reach it only through a public "
                              f"IP in a subnet routed to an internet gateway")
            hops.append(f"public IP {b.endpoint.public_ip}")
        self._nacl(sb, egress=False, protocol=protocol, ports=request, peer=a.address, what="the request", hops=hops, relied=relied)
        self._sg(b, a, protocol, request, egress=False, hops=hops, relied=relied)
        hops.append(f"{b.label} ({b.address})")
        self._nacl(sb, egress=True, protocol=protocol, ports=self._reply(protocol), peer=a.address, what="the reply", hops=hops, relied=relied)
        back = self._route(sb, a.address, hops, relied, to=self._internet_text(a.address), reply=True)
        if back.kind != "igw":
            raise Blocked(f"route table {self._table(sb).name} sends replies for {self._internet_text(a.address)} to "
                          f"{back.kind} {back.target}, not to the internet gateway the request came through")
        hops.append(f"reply through internet gateway {back.target} to {a.label}")

    # --- the checklist's items ----------------------------------------------------------------

    @staticmethod
    def _reply(protocol: str) -> tuple[int, int] | None:
        return EPHEMERAL if protocol in ("6", "17") else None

    def _table(self, subnet: Subnet) -> RouteTable:
        return self.m.tables[subnet.route_table]

    def _internet_text(self, address: Address) -> str:
        return f"the internet ({ALL_V4 if address.version == 4 else ALL_V6})"

    def _describe_destination(self, address: Address) -> str:
        network = self.m.vpc_network_of(address)
        return str(network) if network else str(address)

    def _route(self, subnet: Subnet, address: Address, hops, relied, to: str, reply: bool = False) -> Route:
        table = self._table(subnet)
        route = table.lookup(address)
        if route is None:
            what = "back " if reply else ""
            raise Blocked(f"route table {table.name} ({table.id}) has no route {what}to {to}")
        hops.append(f"route table {table.name}: {route.destination} via {route.kind if route.kind == 'local' else route.target}")
        if route.urn:
            relied.append(route.urn)
        return route

    def _peering(self, route: Route, from_vpc: str, to_vpc: str) -> None:
        peering = self.m.peerings.get(route.target)
        if peering is None:
            raise Blocked(f"the route uses peering connection {route.target}, which is not in the stack")
        requester, accepter, active = peering
        if {from_vpc, to_vpc} != {requester, accepter}:
            raise Blocked(f"peering connection {route.target} does not join these two VPCs")
        if not active:
            raise Blocked(f"peering connection {route.target} has not been accepted")

    def _nacl(self, subnet: Subnet, egress: bool, protocol: str, ports, peer: Address, what: str, hops, relied) -> None:
        nacl = self.m.nacls[subnet.nacl]
        direction = "outbound" if egress else "inbound"
        portless = ports is None  # ICMP: one rule decides the whole flow
        remaining: list[tuple[int, int]] = [(0, 0) if portless else ports]
        deciding: list[NaclEntry] = []
        for entry in sorted((e for e in nacl.entries if e.egress == egress), key=lambda e: e.number):
            if entry.protocol not in ("-1", protocol) or entry.cidr.version != peer.version or peer not in entry.cidr:
                continue
            span = None if portless else entry.ports
            covered = [c for c in (_overlap(r, span) for r in remaining) if c]
            if not covered:
                continue
            if not entry.allow:
                raise Blocked(f"the NACL {nacl.name} of subnet {subnet.name} denies {direction} {what} "
                              f"({_ports_text(protocol, None if portless else covered[0])}) "
                              f"{'to' if egress else 'from'} {peer} with rule {entry.number}")
            deciding.append(entry)
            remaining = [piece for r in remaining for piece in _subtract(r, span)]
            if not remaining:
                break
        if remaining:
            missing = None if portless else remaining[0]
            on = f" on ports {missing[0]}-{missing[1]}" if what.startswith("the reply") and missing else ""
            raise Blocked(f"the NACL {nacl.name} of subnet {subnet.name} has no {direction} rule for {what}"
                          f"{on} ({_ports_text(protocol, missing)} {'to' if egress else 'from'} {peer})")
        hops.append(f"NACL {nacl.name} {direction} {what}: rule {', '.join(str(e.number) for e in deciding)}")
        relied.extend(e.urn for e in deciding if e.urn)

    def _sg(self, holder: Party, other: Party, protocol: str, ports, egress: bool, hops, relied) -> None:
        endpoint = holder.endpoint
        if endpoint is None or endpoint.kind == "subnet":
            return
        direction = "outbound" if egress else "inbound"
        matches: list[tuple[SecurityGroup, SgRule]] = []
        for gid in endpoint.groups:
            group = self.m.groups.get(gid)
            if group is None:
                continue
            for rule in group.rules:
                if rule.egress != egress or rule.protocol not in ("-1", protocol):
                    continue
                if ports is not None and rule.ports is not None and not (rule.ports[0] <= ports[0] and ports[1] <= rule.ports[1]):
                    continue
                if rule.cidr is not None:
                    if rule.cidr.version != other.address.version or other.address not in rule.cidr:
                        continue
                elif not (other.endpoint is not None and rule.group in other.endpoint.groups):
                    continue
                matches.append((group, rule))
        names = ", ".join(self.m.groups[g].name if g in self.m.groups else g for g in endpoint.groups) or "none"
        if not matches:
            side = "to" if egress else "from"
            raise Blocked(f"security group {names} of {endpoint.name} has no {direction} rule for "
                          f"{_ports_text(protocol, ports)} {side} {other.label}")
        group, rule = matches[0]
        hops.append(f"security group {group.name} {direction}: {rule.description or 'rule'}")
        if len(matches) == 1 and rule.urn:
            relied.append(rule.urn)


def _overlap(a: tuple[int, int], b: tuple[int, int] | None) -> tuple[int, int] | None:
    if b is None:
        return a
    low, high = max(a[0], b[0]), min(a[1], b[1])
    return (low, high) if low <= high else None


def _subtract(a: tuple[int, int], b: tuple[int, int] | None) -> list[tuple[int, int]]:
    if b is None:
        return []
    pieces = []
    if a[0] < b[0]:
        pieces.append((a[0], min(a[1], b[0] - 1)))
    if a[1] > b[1]:
        pieces.append((max(a[0], b[1] + 1), a[1]))
    return [p for p in pieces if p[0] <= p[1]]


def evaluate(graph: StackGraph, src: str, dst: str, protocol: str = "tcp", port: int | None = None) -> Verdict:
    return Evaluator(NetworkModel(graph), graph.settings.get("adminCidr")).check(src, dst, protocol, port)


def without(graph: StackGraph, urns: Iterable[str]) -> StackGraph:
    """The graph minus some resources (what if this rule did not exist?)."""
    gone = set(urns)
    return StackGraph(graph.stack, graph.project, graph.settings, graph.outputs, [r for r in graph.resources if r.urn not in gone])
