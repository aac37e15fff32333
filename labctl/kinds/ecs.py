"""ECS: clusters, task definitions and (Fargate) services.

What moto (5.2.5) does with them: it stores clusters, task definitions (any image reference: it
never pulls one) and services (their network configuration and load balancers, as given); no
task ever runs for a service, so a service has no task and no public IP: RunTask stands in for
ECS's scheduler in the tests (a Fargate task gets a network interface, with no public address, and
ListTasks ignores serviceName). It lists deleted clusters and services as INACTIVE."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, Iterable

from labctl.kinds.emulation import Emulator, delete_call, pascal
from labctl.kinds.fakes import hex_id
from labctl.kinds.templates import Template, document, tag_list
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, Found, LiveRead, Listing, everything
from labctl.kinds import capacity
from labctl.kinds import FREE, Kind
from labctl.kinds import drawing
from labctl.kinds.network import FARGATE_PUBLIC, HOST, NOT_IN_NETWORK, Reach, first_placed
from labctl.kinds.replacing import ANY, BRIDGE_AUTONAME, Replaces
from labctl.kinds import quotas

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


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _described_clusters(scan: SweepScan) -> list[dict]:
    ecs = scan.client("ecs")
    arns = scan.pages(ecs, "list_clusters", "clusterArns")
    return ecs.describe_clusters(clusters=arns, include=["TAGS"]).get("clusters", []) if arns else []


def _find_services(scan: SweepScan) -> Iterable[Listed]:
    ecs = scan.client("ecs")
    for cluster in _described_clusters(scan):
        arns = scan.pages(ecs, "list_services", "serviceArns", cluster=cluster["clusterArn"])
        for start in range(0, len(arns), 10):
            described = ecs.describe_services(cluster=cluster["clusterArn"], services=arns[start:start + 10], include=["TAGS"])
            for svc in described.get("services", []):
                if svc.get("status") == "INACTIVE":
                    continue
                subnets = ((svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("subnets", [])
                yield scan.found("ECS service", svc["serviceArn"], scan.tag_map(svc.get("tags")), scan.vpcs_of_subnets(subnets),
                                 state=svc.get("status", ""), detail=f"desired {svc.get('desiredCount', 0)}", hourly=None,
                                 parent=svc.get("clusterArn") or cluster["clusterArn"])


def _scale_down_and_delete_service(scan: SweepScan, item: Listed) -> None:
    ecs = scan.client("ecs")
    ecs.update_service(cluster=item.parent, service=item.id, desiredCount=0)  # its Fargate tasks stop billing
    ecs.delete_service(cluster=item.parent, service=item.id, force=True)


def _services_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    listed = {f.id for f in _find_services(scan)}  # ACTIVE or DRAINING: not gone yet
    return [i for i in items if i.id in listed]


def _find_clusters(scan: SweepScan) -> Iterable[Listed]:
    for cluster in _described_clusters(scan):
        if cluster.get("status") == "ACTIVE":
            yield scan.found("ECS cluster", cluster["clusterArn"], scan.tag_map(cluster.get("tags")), state="ACTIVE")


def _find_task_definitions(scan: SweepScan) -> Iterable[Listed]:
    ecs = scan.client("ecs")
    for arn in scan.pages(ecs, "list_task_definitions", "taskDefinitionArns", status="ACTIVE"):
        described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        yield scan.found("ECS task definition", arn, scan.tag_map(described.get("tags")))


# --- the live read: a service with its running tasks, in the student's subnets (labctl.ops.live runs it) ----


CLUSTERS = Listing("ecs", "list_clusters", "clusterArns", everything)  # ARNs; each cluster's services are read with it


def _all(client: Any, operation: str, key: str, **kwargs: Any) -> list[Any]:
    return [item for page in client.get_paginator(operation).paginate(**kwargs) for item in page.get(key, [])]


def running_interfaces(client: Any, cluster_arn: str, service: str) -> list[dict]:
    """The network interfaces of the service's running tasks, with boto3 clients from ``client(service)``
    (a task of a service is in the group ``service:<name>``: checked here, since an emulator may ignore
    ListTasks' serviceName)."""
    ecs = client("ecs")
    arns = _all(ecs, "list_tasks", "taskArns", cluster=cluster_arn, serviceName=service, desiredStatus="RUNNING")
    eni_ids = []
    for start in range(0, len(arns), 100):
        for task in ecs.describe_tasks(cluster=cluster_arn, tasks=arns[start:start + 100]).get("tasks", []):
            if task.get("lastStatus") != "RUNNING" or task.get("group") != f"service:{service}":
                continue
            eni_ids += [d["value"] for a in task.get("attachments", []) if a.get("type") == "ElasticNetworkInterface"
                        for d in a.get("details", []) if d.get("name") == "networkInterfaceId"]
    if not eni_ids:
        return []
    return client("ec2").describe_network_interfaces(NetworkInterfaceIds=eni_ids).get("NetworkInterfaces", [])


def task_public_ips(client: Any, cluster: str, service: str) -> list[str]:
    """The public IPs of the service's running tasks (what the book browses, book ch. 12, “Docker Container Composition” › “AWS Elastic Container Service”; `labctl probe`)."""
    return [ip for eni in running_interfaces(client, cluster, service) if (ip := (eni.get("Association") or {}).get("PublicIp"))]


def _read_services(cluster_arn: Any, reading: Any) -> Iterable[Found]:  # ListClusters lists ARNs, not dicts
    """Each ACTIVE service in the student's subnets (a service made in the console carries no tags)
    that has a running task, placed as its first running task's network interface: its subnet, its
    groups, and a public address when the interface has one (on AWS, every task of a service whose
    awsvpc configuration assigns public IPs; the emulator gives the interface none, so the service's
    ``assignPublicIp`` stands in there). A service with no running task serves nothing: not read."""
    from labctl.kinds.ec2 import SUBNETS
    subnets = {s["SubnetId"] for s in reading.items(SUBNETS)}
    if not subnets:
        return
    ecs = reading.client("ecs")
    arns = _all(ecs, "list_services", "serviceArns", cluster=cluster_arn)
    for start in range(0, len(arns), 10):
        for svc in ecs.describe_services(cluster=cluster_arn, services=arns[start:start + 10], include=["TAGS"]).get("services", []):
            awsvpc = (svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}
            if svc.get("status") != "ACTIVE" or not subnets & set(awsvpc.get("subnets") or []):
                continue
            interfaces = [i for i in running_interfaces(reading.client, cluster_arn, svc["serviceName"]) if i.get("SubnetId") in subnets]
            if not interfaces:
                continue
            first = interfaces[0]
            public_ip = (first.get("Association") or {}).get("PublicIp")
            tags = {t["key"]: t["value"] for t in svc.get("tags") or []}
            yield Found(svc["serviceName"], tags or None, {
                "name": svc["serviceName"], "cluster": cluster_arn, "desiredCount": svc.get("desiredCount"),
                "networkConfiguration": {
                    "subnets": [first["SubnetId"]], "securityGroups": [g["GroupId"] for g in first.get("Groups", [])],
                    "assignPublicIp": bool(public_ip) or awsvpc.get("assignPublicIp") == "ENABLED"}},
                {"arn": svc["serviceArn"], "runningTasks": len(interfaces), "publicIp": public_ip})


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
         provision_seconds=10,  # waits for ACTIVE
         replaces=Replaces(autoname="name", source=BRIDGE_AUTONAME),
         fake=_fake_cluster,
         template=Template("AWS::ECS::Cluster", _cluster_properties),
         sweep_rule=SweepRule(_find_clusters, delete_by_id("ecs", "delete_cluster", "cluster"), arn_kinds=("ecs:cluster",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_cluster, delete_call("ecs", "delete_cluster", "cluster"))),
    Kind("aws:ecs/taskDefinition:TaskDefinition", "task definition", FREE, sweep="ECS task definition",
         provision_seconds=2,
         replaces=Replaces(inputs=(ANY,), source="aws_ecs_task_definition: a task definition revision is immutable; every change registers a new one"),
         fake=_fake_task_definition,
         template=Template("AWS::ECS::TaskDefinition", _task_definition_properties),
         sweep_rule=SweepRule(_find_task_definitions, delete_by_id("ecs", "deregister_task_definition", "taskDefinition"),
                              arn_kinds=("ecs:task-definition",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_task_definition, delete_call("ecs", "deregister_task_definition", "taskDefinition"))),
    Kind("aws:ecs/service:Service", "ECS service", "fargate_service", sweep="ECS service",
         quota=quotas.fargate_service,
         provision_seconds=30,  # Fargate tasks start in ~30 s; the provider does not wait for a steady state by default
         replaces=Replaces(inputs=("launchType",), autoname="name", source="aws_ecs_service: the launch type forces a new service; " + BRIDGE_AUTONAME),
         diagram=drawing.SERVICE,
         capacity=capacity.fargate_service,
         fake=_fake_service,
         template=Template("AWS::ECS::Service", _service_properties),
         sweep_rule=SweepRule(_find_services, _scale_down_and_delete_service, _services_left, arn_kinds=("ecs:service",)),
         live=LiveRead(CLUSTERS, _read_services),
         reach=Reach(HOST, _place_service),
         emulator=Emulator(_create_service, _delete_service)),
)
