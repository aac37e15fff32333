"""The deploy rules' facts about kinds: what AWS enforces on a kind when it is created or
replaced that no resource schema can express (``labctl.analysis.deployrules`` keeps the rules and
cites their sources)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class NeedsGateway:
    """AWS refuses to create it (or, for what a service creates for you, the service fails to) while
    the VPC of its subnets has no internet gateway attached.

    Which kinds state it, and why (the rest do not):
    - an internet-facing load balancer (InvalidSubnet: the VPC has no internet gateway;
      elasticloadbalancing/latest/application/application-load-balancers.html), a public NAT gateway
      (vpc/latest/userguide/nat-gateway-working-with.html) and an Elastic IP association
      (Gateway.NotAttached, AWSEC2/latest/APIReference/API_AssociateAddress.html): AWS checks the attachment;
    - a Beanstalk environment with public instances or an internet-facing load balancer: Beanstalk
      creates that load balancer, or a single instance's Elastic IP, itself, and its public instances
      reach Beanstalk's endpoints through the gateway while the environment is created, so it needs the
      route too (``route``; elasticbeanstalk/latest/dg/vpc.html);
    - not an instance with AssociatePublicIpAddress: RunInstances assigns the address without any
      gateway (AWSEC2/latest/APIReference/API_InstanceNetworkInterfaceSpecification.html);
    - not an ECS service with assignPublicIp (AmazonECS/latest/APIReference/API_AwsVpcConfiguration.html)
      nor an Auto Scaling group in public subnets behind an internet-facing load balancer: CreateService
      and CreateAutoScalingGroup check no gateway, and Pulumi does not wait for their tasks or
      instances to be healthy unless wait_for_steady_state / wait_for_elb_capacity / min_elb_capacity
      is set (pulumi.com/registry/packages/aws/api-docs/ecs/service/, .../autoscaling/group/); no lab
      sets them. One that does would need a record here for the same reason as Beanstalk's.
    (Pages under https://docs.aws.amazon.com/ unless a host is named.)"""

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


@dataclass(frozen=True)
class TagMutability:
    """A registry repository whose tags may be immutable: a push of a tag that exists there is refused
    ("tag ... already exists"). ECR's settings: MUTABLE, IMMUTABLE, and the two *_WITH_EXCLUSION forms whose
    wildcard filters name the tags that behave the other way."""

    setting: str  # the input holding the mutability (MUTABLE, IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE_WITH_EXCLUSION)
    exclusions: str  # the input listing the exclusion filters ({"filter": "latest", "filterType": "WILDCARD"})
    url: str  # the output an image's name starts with (<url>:<tag>)

    def immutable(self, inputs: dict[str, Any], tag: str) -> bool:
        setting = str(inputs.get(self.setting) or "MUTABLE")
        excluded = any(_wildcard(str(f.get("filter", ""))).fullmatch(tag) for f in inputs.get(self.exclusions) or [])
        if setting.endswith("_WITH_EXCLUSION"):
            return setting.startswith("IMMUTABLE") != excluded
        return setting == "IMMUTABLE"


def _wildcard(pattern: str) -> "re.Pattern[str]":
    """ECR's WILDCARD filter: ``*`` stands for any characters, nothing else is special."""
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


@dataclass(frozen=True)
class PushedImage:
    """An image built from a context and pushed under a name ``<repository>:<tag>``."""

    name: str  # the input holding <repository>:<tag>
    context: str  # the input holding the build arguments, and their key naming the context folder ("build", "context")
    context_key: str
    skip_push: str  # the input that, true, keeps the image on the engine (nothing is pushed)
