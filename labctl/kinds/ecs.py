"""ECS: clusters, task definitions and (Fargate) services."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:ecs/cluster:Cluster", "ECS cluster", FREE, sweep="ECS cluster"),
    Kind("aws:ecs/taskDefinition:TaskDefinition", "task definition", FREE, sweep="ECS task definition"),
    Kind("aws:ecs/service:Service", "ECS service", "fargate_service", sweep="ECS service"),
)
