"""The emulator's handlers for the containers lab's AWS types (ECR repositories, ECS clusters,
task definitions and services, IAM roles and their policy attachments), as (create, delete)
pairs that ``emulate.HANDLERS`` wraps; and the docker types it cannot emulate.

What moto (5.2.5) does with them: it stores repositories (their tag mutability, scanning and
encryption settings), clusters, task definitions (any image reference: moto never pulls it) and
services (their network configuration and load balancers, as given); no task ever runs, so a
service has no task and no public IP. Roles are stored; attaching an AWS managed policy
(AmazonECSTaskExecutionRolePolicy) needs moto to load them (``MOTO_IAM_LOAD_MANAGED_POLICIES=true``
or ``mock_aws(config={"iam": {"load_aws_managed_policies": True}})``), else moto's NoSuchEntity is
reported with the resource's name. moto lists deleted clusters and services as INACTIVE.

The docker provider's types (an image built and pushed, a remote image pulled, a container, a
volume, the provider itself) need a Docker engine, which the emulator does not have: a graph
with any of them is refused before anything is created (``emulate.NeedsDockerEngine``), never
recorded as done. The containers lab's ``starter`` (host and repositories) has none of them.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

from labctl import kinds

DOCKER_ENGINE_TYPES = {token: k.emulated for token, k in kinds.KINDS.items() if k.needs_engine}  # what each does there


def _lower_tags(inputs: dict) -> list[dict[str, str]]:
    """ECS takes tags as key/value in lower case."""
    return [{"key": k, "value": str(v)} for k, v in (inputs.get("tags") or {}).items()]


def _tags(inputs: dict) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in (inputs.get("tags") or {}).items()]


def _create_repository(aws, i, name):
    args: dict[str, Any] = {"repositoryName": i.get("name") or f"{name}-{uuid.uuid4().hex[:7]}"}
    if i.get("imageTagMutability"):
        args["imageTagMutability"] = i["imageTagMutability"]
    if i.get("imageScanningConfiguration"):
        args["imageScanningConfiguration"] = {"scanOnPush": bool(i["imageScanningConfiguration"].get("scanOnPush"))}
    if i.get("encryptionConfigurations"):
        args["encryptionConfiguration"] = {"encryptionType": i["encryptionConfigurations"][0].get("encryptionType", "AES256")}
    if _tags(i):
        args["tags"] = _tags(i)
    repo = aws("ecr").create_repository(**args)["repository"]
    return repo["repositoryName"], {"forceDelete": bool(i.get("forceDelete")), "outputs": {
        "repositoryUrl": repo["repositoryUri"], "arn": repo["repositoryArn"], "registryId": repo["registryId"]}}


def _delete_repository(aws, rid, extra):
    aws("ecr").delete_repository(repositoryName=rid, force=bool(extra.get("forceDelete")))


def _create_cluster(aws, i, name):
    args: dict[str, Any] = {"clusterName": i.get("name") or f"{name}-{uuid.uuid4().hex[:7]}"}
    if i.get("settings"):
        args["settings"] = [{"name": s["name"], "value": s["value"]} for s in i["settings"]]
    if _lower_tags(i):
        args["tags"] = _lower_tags(i)
    cluster = aws("ecs").create_cluster(**args)["cluster"]
    return cluster["clusterArn"], {"outputs": {"arn": cluster["clusterArn"], "name": cluster["clusterName"]}}


def _create_task_definition(aws, i, name):
    import json
    args: dict[str, Any] = {"family": i["family"], "containerDefinitions": json.loads(i["containerDefinitions"])}
    for key in ("networkMode", "requiresCompatibilities", "cpu", "memory", "executionRoleArn", "taskRoleArn"):
        if i.get(key) is not None:
            args[key] = i[key]
    if i.get("runtimePlatform"):
        args["runtimePlatform"] = dict(i["runtimePlatform"])
    if _lower_tags(i):
        args["tags"] = _lower_tags(i)
    task = aws("ecs").register_task_definition(**args)["taskDefinition"]
    return task["taskDefinitionArn"], {"outputs": {"arn": task["taskDefinitionArn"]}}


def _create_service(aws, i, name):
    args: dict[str, Any] = {"cluster": i["cluster"], "serviceName": i.get("name") or name, "taskDefinition": i["taskDefinition"],
                            "desiredCount": int(i.get("desiredCount", 1))}
    for key in ("launchType", "propagateTags", "enableECSManagedTags"):
        source = "enableEcsManagedTags" if key == "enableECSManagedTags" else key
        if i.get(source) is not None:
            args[key] = i[source]
    network = i.get("networkConfiguration")
    if network:
        args["networkConfiguration"] = {"awsvpcConfiguration": {
            "subnets": list(network.get("subnets") or []), "securityGroups": list(network.get("securityGroups") or []),
            "assignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"}}
    if i.get("loadBalancers"):
        args["loadBalancers"] = [{"targetGroupArn": lb["targetGroupArn"], "containerName": lb["containerName"],
                                  "containerPort": int(lb["containerPort"])} for lb in i["loadBalancers"]]
    if _lower_tags(i):
        args["tags"] = _lower_tags(i)
    service = aws("ecs").create_service(**args)["service"]
    return service["serviceArn"], {"cluster": i["cluster"], "outputs": {"name": service["serviceName"]}}


HANDLERS: dict[str, tuple[Callable[[Any, dict, str], tuple[str, dict]], Callable[[Any, str, dict], None]]] = {
    "aws:ecr/repository:Repository": (_create_repository, _delete_repository),
    "aws:ecs/cluster:Cluster": (_create_cluster, lambda aws, rid, x: aws("ecs").delete_cluster(cluster=rid)),
    "aws:ecs/taskDefinition:TaskDefinition": (
        _create_task_definition, lambda aws, rid, x: aws("ecs").deregister_task_definition(taskDefinition=rid)),
    # force: the provider scales the service to zero before deleting it
    "aws:ecs/service:Service": (_create_service, lambda aws, rid, x: aws("ecs").delete_service(
        cluster=x["cluster"], service=rid, force=True)),
}
