"""The deploy rules' facts about kinds: what AWS enforces on a kind when it is created or
replaced that no resource schema can express (``labctl.analysis.deployrules`` keeps the rules and
cites their sources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class NeedsGateway:
    """AWS refuses to create it (or, for what a service creates for you, the service fails to) while
    the VPC of its subnets has no internet gateway attached.

    Which kinds state it, and why (the rest do not):
    - an internet-facing load balancer (InvalidSubnet: the VPC has no internet gateway), a public NAT
      gateway and an Elastic IP association (Gateway.NotAttached): AWS checks the attachment;
    - a Beanstalk environment with public instances or an internet-facing load balancer: Beanstalk
      creates that load balancer, or a single instance's Elastic IP, itself, and its instances reach
      Beanstalk's endpoints through the gateway while the environment is created (``route``);
    - not an instance with AssociatePublicIpAddress (RunInstances assigns the address without any
      gateway), nor an ECS service with assignPublicIp or an Auto Scaling group in public subnets:
      their create calls check no gateway, and Pulumi does not wait for their tasks or instances to
      be healthy (no lab sets wait_for_steady_state, min_elb_capacity or wait_for_elb_capacity; one
      that does would need a record here for the same reason as Beanstalk's)."""

    subnets: str  # the input naming its subnet (or list of subnets)
    when: Callable[[dict[str, Any]], bool]  # for which inputs (an internet-facing load balancer, a public NAT gateway)
    through: str = ""  # set: ``subnets`` names another resource (an instance), whose input ``through`` holds the subnet
    pick: Callable[[Any], list[Any]] | None = None  # set: the public subnets from the input's value (Beanstalk's option settings)
    route: str = ""  # set: why it also needs the default route to the gateway in its subnets' route tables (and their associations)


@dataclass(frozen=True)
class InternetRoute:
    """A route kind: how to tell a default route to an internet gateway."""

    table: str  # the input naming its route table
    destination: str  # the input holding its IPv4 destination (0.0.0.0/0 for the default route)
    gateway: str  # the input naming the gateway it goes to


@dataclass(frozen=True)
class TableAssociation:
    """A subnet's association with a route table."""

    subnet: str  # the input naming the subnet
    table: str  # the input naming the route table
