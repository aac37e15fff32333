"""ECR: private image repositories."""

from __future__ import annotations

from labctl.kinds import USAGE, Kind

KINDS = (
    Kind("aws:ecr/repository:Repository", "ECR repository", USAGE, "storage per GB-month: the containers lab's cost note", sweep="ECR repository"),
)
