"""The reachability model's roles: what a kind is in the network ``labctl.analysis.reach`` evaluates.

A kind with a role names it and the function that places the resource in the model (``Reach``):
the function reads the resource's inputs and outputs and hands what it found to the model through
``NetworkBuilder`` (the model's own methods: it keeps the elements, the defaults AWS adds and the
evaluation). The model is built role by role in the order of ``ROLES``, so a function may look up
what an earlier role placed (a host's subnet, a database's subnet group, a group's launch template).
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any, Callable, Iterable, Protocol

# The roles, in the order the model is built (each may use what the roles before it placed).
VPC = "VPC"  # its address ranges; AWS adds its main route table, default ACL and default group
ROUTE_TABLE = "route table"
ROUTE = "route"
SUBNET = "subnet"
SUBNET_ASSOCIATION = "subnet association"  # a subnet's route table or network ACL
NETWORK_ACL = "network ACL"
ACL_ENTRY = "network ACL entry"
SECURITY_GROUP = "security group"
GROUP_RULE = "security group rule"
NAT = "NAT gateway"
HOST_PART = "part of a host"  # what a host is placed with: a database's subnet group, a group's launch template
HOST = "host"  # something with addresses a path starts or ends at
ADDRESS = "address association"  # a public address given to a host placed before (an Elastic IP's association)
PEERING = "peering"  # a connection, or its acceptance
ROLES = (VPC, ROUTE_TABLE, ROUTE, SUBNET, SUBNET_ASSOCIATION, NETWORK_ACL, ACL_ENTRY, SECURITY_GROUP, GROUP_RULE, NAT,
         HOST_PART, HOST, ADDRESS, PEERING)

# Stand-ins for addresses AWS assigns at run time (a load balancer's nodes, an ASG's instances).
LOAD_BALANCER_PUBLIC = ip_address("192.0.2.254")
AUTOSCALING_PUBLIC = ip_address("192.0.2.253")
DATABASE_PUBLIC = ip_address("192.0.2.252")
FARGATE_PUBLIC = ip_address("192.0.2.251")
BEANSTALK_PUBLIC = ip_address("192.0.2.250")


class NetworkBuilder(Protocol):
    """The reachability model as a record's function sees it (``labctl.analysis.reach.NetworkModel``)."""

    student: str | None  # the stack's student, for names without a student tag

    def name(self, resource: Any) -> str:
        """The resource's book name (its Name tag without the student's prefix)."""

    def book_name(self, tag: str, student: str | None) -> str:
        """A Name tag without ``student``'s prefix."""

    def has_subnet(self, subnet_id: Any) -> bool: ...

    def has_vpc(self, vpc_id: Any) -> bool: ...

    def place_elsewhere(self, name: str, why: str) -> None:
        """A host that exists outside the graph's VPCs: a path to or from it fails saying ``why``."""

    def add_vpc(self, vpc_id: str, name: str, cidrs: list[str], main_table: str | None, default_acl: str | None,
                default_group: str | None) -> None: ...

    def add_route_table(self, table_id: str, name: str, vpc_id: str) -> None: ...

    def add_route(self, table_id: str, destination: str, inputs: dict[str, Any], urn: str) -> None:
        """A route of a table already placed (else ignored); ``inputs`` name its target (ROUTE_TARGETS)."""

    def add_subnet(self, subnet_id: str, name: str, vpc_id: str, cidr: str, ipv6: str | None) -> None: ...

    def associate(self, subnet_id: Any, route_table: str | None = None, network_acl: str | None = None) -> None:
        """A subnet's own route table or network ACL (a subnet not placed: ignored)."""

    def add_network_acl(self, acl_id: str, name: str) -> None: ...

    def add_acl_entry(self, acl_id: str, number: int, egress: bool, protocol: Any, ports: tuple[Any, Any], cidr: str,
                      allow: bool, urn: str) -> None:
        """An entry of an ACL already placed (else ignored); ``ports`` count for TCP and UDP only."""

    def add_security_group(self, group_id: str, name: str) -> None: ...

    def add_group_rule(self, group_id: str, egress: bool, protocol: Any, ports: tuple[Any, Any] | None, cidr: str | None,
                       group: str | None, description: str, urn: str) -> None:
        """A rule of a group already placed (else ignored): to and from ``cidr``, or members of ``group``."""

    def add_nat(self, nat_id: str, name: str, subnet_id: str, private_ip: str, public_ip: str | None) -> None: ...

    def add_host(self, name: str, kind: str, subnet_id: str, private_ip: str, public_ip: str | None,
                 ipv6: list[str], groups: list[str], resource_id: str = "") -> None:
        """A host whose addresses the resource knows (an instance; ``resource_id``: what others name it by)."""

    def give_public_address(self, resource_id: Any, public_ip: str | None) -> None:
        """A placed host's public address from now on (an Elastic IP associated with it; else ignored)."""

    def place_host(self, name: str, kind: str, subnet_id: str, offset: int, public: Any, groups: list[str]) -> None:
        """A host whose address AWS assigns at run time: the ``offset``-th address of a placed subnet
        stands in for it, and ``public`` (a stand-in, or None) for its public address."""

    def add_subnet_group(self, name: str, subnet_ids: list[str]) -> None: ...

    def subnet_group(self, name: Any) -> list[str]: ...

    def add_launch_template(self, template_id: Any, public: bool, groups: list[str]) -> None: ...

    def launch_template(self, template_id: Any) -> tuple[bool, list[str]] | None:
        """What a placed template launches: (with a public address, its groups)."""

    def add_peering(self, peering_id: str, requester: str, accepter: str, active: bool) -> None: ...

    def accept_peering(self, peering_id: str) -> None: ...


@dataclass(frozen=True)
class Reach:
    role: str  # one of ROLES
    place: Callable[[Any, NetworkBuilder], None]  # the graph's resource -> its elements, through the builder


def first_placed(model: NetworkBuilder, subnet_ids: Iterable[Any]) -> str | None:
    """The first subnet of a list when the model has placed it (a host goes in its first subnet)."""
    first = next(iter(subnet_ids), None)
    return first if first is not None and model.has_subnet(first) else None


# Why a kind has no role in the model, where many share the reason.
NOT_IN_NETWORK = "decides no path: it places no address and holds no route or rule"
ROUTE_TARGET = "a route's target: the routes naming it are what the model follows (labctl.kinds.shared.ROUTE_TARGETS)"
