"""ECS: clusters, task definitions and (Fargate) services.

What moto (5.2.5) does with them: it stores clusters, task definitions (any image reference: it
never pulls one) and services (their network configuration and load balancers, as given); no
task ever runs, so a service has no task and no public IP. It lists deleted clusters and services
as INACTIVE."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from labctl.kinds.emulation import Emulator, delete_call, pascal
from labctl.kinds.fakes import hex_id
from labctl.kinds.templates import Template, document, tag_list
from labctl.kinds import FREE, Kind

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


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


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_cluster(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs.get("name") or f"{args.name}-{hex_id(cloud.stack + args.name, 7)}"
    arn = cloud.arn("ecs", f"cluster/{name}")
    return arn, {"name": name, "arn": arn}


def _fake_task_definition(cloud: FakeCloud, args: Args) -> Answered:
    family = args.inputs["family"]
    arn = cloud.arn("ecs", f"task-definition/{family}:1")  # the id is the ARN: the family is also the service's name
    return arn, {"arn": arn, "revision": 1,
                 "arnWithoutRevision": cloud.arn("ecs", f"task-definition/{family}")}


def _fake_service(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs.get("name") or args.name
    cluster = str(args.inputs.get("cluster", "")).rsplit("/", 1)[-1]
    arn = cloud.arn("ecs", f"service/{cluster}/{name}")
    return arn, {"name": name, "arn": arn}


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _cluster_properties(b, r):
    i = r.inputs
    return {"ClusterName": r.outputs.get("name") or i.get("name"),
            "ClusterSettings": [{"Name": s.get("name"), "Value": s.get("value")} for s in i.get("settings") or []],
            "Tags": tag_list(i.get("tags"))}


def _task_definition_properties(b, r):
    i = r.inputs
    platform = i.get("runtimePlatform") or {}
    definitions = document(i.get("containerDefinitions")) or []
    return {
        "Family": i.get("family"), "Cpu": i.get("cpu"), "Memory": i.get("memory"), "NetworkMode": i.get("networkMode"),
        "RequiresCompatibilities": i.get("requiresCompatibilities"), "ExecutionRoleArn": b.ref(i.get("executionRoleArn")),
        "TaskRoleArn": b.ref(i.get("taskRoleArn")),
        "RuntimePlatform": {"OperatingSystemFamily": platform.get("operatingSystemFamily"),
                            "CpuArchitecture": platform.get("cpuArchitecture")} if platform else None,
        # the ECS API's container definitions (JSON, camelCase) as CloudFormation's (PascalCase)
        "ContainerDefinitions": pascal(definitions) if isinstance(definitions, list) else definitions,
        "Tags": tag_list(i.get("tags"))}


def _service_properties(b, r):
    i = r.inputs
    network = i.get("networkConfiguration") or {}
    return {
        "ServiceName": i.get("name"), "Cluster": b.ref(i.get("cluster")), "TaskDefinition": b.ref(i.get("taskDefinition")),
        "LaunchType": i.get("launchType"), "DesiredCount": i.get("desiredCount"),
        "NetworkConfiguration": {"AwsvpcConfiguration": {
            "Subnets": b.ref(network.get("subnets")), "SecurityGroups": b.ref(network.get("securityGroups")),
            "AssignPublicIp": "ENABLED" if network.get("assignPublicIp") else "DISABLED"}} if network else None,
        "LoadBalancers": [{"TargetGroupArn": b.ref(lb.get("targetGroupArn")), "ContainerName": lb.get("containerName"),
                           "ContainerPort": lb.get("containerPort")} for lb in i.get("loadBalancers") or []],
        "PropagateTags": i.get("propagateTags"), "EnableECSManagedTags": i.get("enableEcsManagedTags"),
        "Tags": tag_list(i.get("tags"))}


KINDS = (
    Kind("aws:ecs/cluster:Cluster", "ECS cluster", FREE, sweep="ECS cluster",
         fake=_fake_cluster,
         template=Template("AWS::ECS::Cluster", _cluster_properties),
         emulator=Emulator(_create_cluster, delete_call("ecs", "delete_cluster", "cluster"))),
    Kind("aws:ecs/taskDefinition:TaskDefinition", "task definition", FREE, sweep="ECS task definition",
         fake=_fake_task_definition,
         template=Template("AWS::ECS::TaskDefinition", _task_definition_properties),
         emulator=Emulator(_create_task_definition, delete_call("ecs", "deregister_task_definition", "taskDefinition"))),
    Kind("aws:ecs/service:Service", "ECS service", "fargate_service", sweep="ECS service",
         fake=_fake_service,
         template=Template("AWS::ECS::Service", _service_properties),
         emulator=Emulator(_create_service, _delete_service)),
)
