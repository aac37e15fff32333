"""The deploy rules' facts about kinds: what AWS enforces on a kind when it is created or
replaced that no resource schema can express (``labctl.analysis.deployrules`` keeps the rules and
cites their sources)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable


@dataclass(frozen=True)
class NeedsGateway:
    """AWS refuses to create it while the VPC of its subnets has no internet gateway attached."""

    subnets: str  # the input naming its subnet (or list of subnets)
    when: Callable[[dict[str, Any]], bool]  # for which inputs (an internet-facing load balancer, a public NAT gateway)
    through: str = ""  # set: ``subnets`` names another resource (an instance), whose input ``through`` holds the subnet


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
