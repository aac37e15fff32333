"""CloudFormation translations of the containers lab's types (ECR, ECS, IAM), merged into
``cfn.TRANSLATIONS``; the docker provider's types are not AWS resources (their records say so: ``labctl.kinds``).

Each translation takes the builder of ``cfn`` (``b.ref``/``b.add``/``b.out``): no import of
``cfn`` here, so either module may be imported first."""

from __future__ import annotations

import json
from typing import Any


def _tags(tags: Any) -> list[dict[str, Any]] | None:
    if not isinstance(tags, dict) or not tags:
        return None
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _document(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _repository(b, r) -> None:
    i = r.inputs
    scan = i.get("imageScanningConfiguration") or {}
    encryption = (i.get("encryptionConfigurations") or [{}])[0]
    b.add(r, "AWS::ECR::Repository", {
        "RepositoryName": r.outputs.get("name") or i.get("name"), "ImageTagMutability": i.get("imageTagMutability"),
        "ImageScanningConfiguration": {"ScanOnPush": scan.get("scanOnPush")} if scan else None,
        "EncryptionConfiguration": {"EncryptionType": encryption.get("encryptionType"), "KmsKey": encryption.get("kmsKey")}
        if encryption else None,
        "EmptyOnDelete": i.get("forceDelete"), "Tags": _tags(i.get("tags"))})


def _cluster(b, r) -> None:
    i = r.inputs
    b.add(r, "AWS::ECS::Cluster", {
        "ClusterName": r.outputs.get("name") or i.get("name"),
        "ClusterSettings": [{"Name": s.get("name"), "Value": s.get("value")} for s in i.get("settings") or []],
        "Tags": _tags(i.get("tags"))})


def _container_definition(c: dict[str, Any]) -> dict[str, Any]:
    """The ECS API's container definition (JSON, camelCase) as CloudFormation's (PascalCase)."""
    def pascal(value: Any) -> Any:
        if isinstance(value, dict):
            return {k[:1].upper() + k[1:]: pascal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [pascal(v) for v in value]
        return value
    return pascal(c)


def _task_definition(b, r) -> None:
    i = r.inputs
    platform = i.get("runtimePlatform") or {}
    definitions = _document(i.get("containerDefinitions")) or []
    b.add(r, "AWS::ECS::TaskDefinition", {
        "Family": i.get("family"), "Cpu": i.get("cpu"), "Memory": i.get("memory"), "NetworkMode": i.get("networkMode"),
        "RequiresCompatibilities": i.get("requiresCompatibilities"), "ExecutionRoleArn": b.ref(i.get("executionRoleArn")),
        "TaskRoleArn": b.ref(i.get("taskRoleArn")),
        "RuntimePlatform": {"OperatingSystemFamily": platform.get("operatingSystemFamily"),
                            "CpuArchitecture": platform.get("cpuArchitecture")} if platform else None,
        "ContainerDefinitions": [_container_definition(c) for c in definitions] if isinstance(definitions, list) else definitions,
        "Tags": _tags(i.get("tags"))})


def _service(b, r) -> None:
    i = r.inputs
    network = i.get("networkConfiguration") or {}
    b.add(r, "AWS::ECS::Service", {
        "ServiceName": i.get("name"), "Cluster": b.ref(i.get("cluster")), "TaskDefinition": b.ref(i.get("taskDefinition")),
        "LaunchType": i.get("launchType"), "DesiredCount": i.get("desiredCount"),
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": b.ref(network.get("subnets")), "SecurityGroups": b.ref(network.get("securityGroups")),
            "AssignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"}} if network else None,
        "LoadBalancers": [{"TargetGroupArn": b.ref(lb.get("targetGroupArn")), "ContainerName": lb.get("containerName"),
                           "ContainerPort": lb.get("containerPort")} for lb in i.get("loadBalancers") or []],
        "PropagateTags": i.get("propagateTags"), "EnableECSManagedTags": i.get("enableEcsManagedTags"),
        "Tags": _tags(i.get("tags"))})


TRANSLATIONS = {
    "aws:ecr/repository:Repository": _repository,
    "aws:ecs/cluster:Cluster": _cluster,
    "aws:ecs/taskDefinition:TaskDefinition": _task_definition,
    "aws:ecs/service:Service": _service,
}

