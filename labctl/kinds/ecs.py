"""ECS: clusters, task definitions and (Fargate) services.

What moto (5.2.5) does with them: it stores clusters, task definitions (any image reference: it
never pulls one) and services (their network configuration and load balancers, as given); no
task ever runs, so a service has no task and no public IP. It lists deleted clusters and services
as INACTIVE."""

from __future__ import annotations

import uuid
from typing import Any

from labctl.kinds.emulation import Emulator, delete_call
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds import FREE, Kind
from labctl.kinds.network import FARGATE_PUBLIC, HOST, NOT_IN_NETWORK, Reach, first_placed


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _lower_tags(inputs: dict) -> list[dict[str, str]]:
    """ECS takes tags as key/value in lower case."""
    return [{"key": k, "value": str(v)} for k, v in (inputs.get("tags") or {}).items()]


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


def _delete_service(aws, rid, x):
    aws("ecs").delete_service(
        cluster=x["cluster"], service=rid, force=True)


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_service(r, model):
    """awsvpc tasks: an interface of their own; the thirteenth address of the first subnet stands in for them."""
    awsvpc = r.inputs.get("networkConfiguration") or {}
    subnet = first_placed(model, awsvpc.get("subnets") or [])
    if subnet:
        model.place_host(model.name(r), "ECS task", subnet, 13, FARGATE_PUBLIC if awsvpc.get("assignPublicIp") else None,
                         list(awsvpc.get("securityGroups") or []))


KINDS = (
    Kind("aws:ecs/cluster:Cluster", "ECS cluster", FREE, sweep="ECS cluster",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_cluster, delete_call("ecs", "delete_cluster", "cluster"))),
    Kind("aws:ecs/taskDefinition:TaskDefinition", "task definition", FREE, sweep="ECS task definition",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_task_definition, delete_call("ecs", "deregister_task_definition", "taskDefinition"))),
    Kind("aws:ecs/service:Service", "ECS service", "fargate_service", sweep="ECS service",
         live_reason="not read yet: its Fargate tasks are network interfaces, which the live read does not list",
         reach=Reach(HOST, _place_service),
         emulator=Emulator(_create_service, _delete_service)),
)
