"""The deploy rules' facts about kinds: what AWS enforces on a kind when it is created or
replaced that no resource schema can express (``labctl.analysis.deployrules`` keeps the rules and
cites their sources)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class NeedsGateway:
    """AWS refuses to create it while the VPC of its subnets has no internet gateway attached."""

    subnets: str  # the input naming its subnet (or list of subnets)
    when: Callable[[dict[str, Any]], bool]  # for which inputs (an internet-facing load balancer, a public NAT gateway)
    through: str = ""  # set: ``subnets`` names another resource (an instance), whose input ``through`` holds the subnet
