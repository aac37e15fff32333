"""Every kind of resource the sweep looks for: how to list it, how to delete it, how to know that
an asynchronous delete has finished, in the order AWS accepts the deletes (dependents first: what
holds an address, an interface or a route goes before what it sits in).

The kinds are what the labs create and what the book's chapters have a student create by hand
(instances, NAT gateways with their Elastic IPs, network interfaces, endpoints, load balancers,
target groups, Auto Scaling groups, launch templates, AMIs and their snapshots, key pairs,
databases, buckets, Beanstalk environments and applications, ECR repositories, ECS services,
clusters and task definitions, log groups, IAM roles and instance profiles, and the VPC parts).
A kind lists *everything* of its sort in the region, with each item's own tags and the VPCs it
sits in; deciding what belongs to a cohort is the sweep's job (``labctl.ops.sweep``), never a
server-side filter's.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Callable, Iterable

from cloudlabs.pricing import RegionPrices

from labctl.ops.awserrors import is_gone
from labctl.ops.awslist import pages, tag_map


@dataclass
class Found:
    """One resource as listed: its own tags, the VPCs it sits in or touches, what it holds that
    belongs with it (a NAT gateway's Elastic IP), and ``default`` for AWS's own parts of a VPC (its
    default security group, main route table, default ACL; the default VPC), which go with it."""

    kind: str
    id: str
    tags: dict[str, str] = field(default_factory=dict)
    vpcs: tuple[str, ...] = ()
    state: str = ""
    detail: str = ""
    hourly: float | None = 0.0  # None: costs money, no price known
    default: bool = False
    holds: tuple[tuple[str, str], ...] = ()  # (kind, id)
    arn: str = ""
    parent: str = ""  # what the delete call also names (an ECS service's cluster)


_CLIENTS: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()
_CLIENTS_LOCK = threading.Lock()


class Scan:
    """One region as the sweep sees it: clients made once per session (making one is slow), the
    prices, and lookups kinds share."""

    def __init__(self, session: Any, region: str, prices: RegionPrices | None, hours_per_month: float = 730,
                 sleep: Callable[[float], None] = time.sleep):
        self.session, self.region, self.p, self.per_month, self.sleep = session, region, prices, hours_per_month, sleep

    def client(self, service: str) -> Any:
        with _CLIENTS_LOCK:
            made = _CLIENTS.setdefault(self.session, {})
            if service not in made:
                made[service] = self.session.client(service)
            return made[service]

    @cached_property
    def account_id(self) -> str:
        return str(self.client("sts").get_caller_identity()["Account"])

    @cached_property
    def subnet_vpc(self) -> dict[str, str]:
        return {s["SubnetId"]: s["VpcId"] for s in pages(self.client("ec2"), "describe_subnets", "Subnets")}

    def vpcs_of_subnets(self, subnets: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted({self.subnet_vpc[s] for s in subnets if s in self.subnet_vpc}))

    def price(self, table: str, key: str) -> float | None:
        values = getattr(self.p, table) if self.p else None
        return None if values is None or key not in values else values[key]

    @property
    def ipv4(self) -> float | None:
        return self.p.public_ipv4_hour if self.p else None


@dataclass(frozen=True)
class Kind:
    """How the sweep finds and deletes one kind. ``remaining`` (for deletes AWS finishes later) says
    which of the deleted items still exist; ``prepare`` runs once before the kind's deletes."""

    name: str
    find: Callable[[Scan], Iterable[Found]]
    delete: Callable[[Scan, Found], None]
    remaining: Callable[[Scan, list[Found]], list[Found]] | None = None
    prepare: Callable[[Scan, list[Found]], None] | None = None
    arn_kinds: tuple[str, ...] = ()  # what the tagging API calls it (service:resource-type)


def _ec2(scan: Scan) -> Any:
    return scan.client("ec2")


def _still(scan: Scan, items: list[Found], exists: Callable[[Found], bool]) -> list[Found]:
    out = []
    for item in items:
        try:
            if exists(item):
                out.append(item)
        except Exception as err:  # noqa: BLE001 - only "no such resource" means gone
            if not is_gone(err):
                raise
    return out


# --- Elastic Beanstalk ----------------------------------------------------------------------------


def _eb_tags(scan: Scan, arn: str) -> dict[str, str]:
    try:
        return tag_map(scan.client("elasticbeanstalk").list_tags_for_resource(ResourceArn=arn).get("ResourceTags"))
    except Exception as err:  # noqa: BLE001 - gone since the listing: no tags to go by
        if is_gone(err):
            return {}
        raise


def _find_environments(scan: Scan) -> Iterable[Found]:
    for env in pages(scan.client("elasticbeanstalk"), "describe_environments", "Environments"):
        if env.get("Status") == "Terminated":
            continue
        yield Found("Beanstalk environment", env["EnvironmentId"], _eb_tags(scan, env["EnvironmentArn"]),
                    state=env.get("Status", ""), detail=env.get("EnvironmentName", ""), hourly=None)


def _environments_left(scan: Scan, items: list[Found]) -> list[Found]:
    eb = scan.client("elasticbeanstalk")
    live = {e["EnvironmentId"] for e in eb.describe_environments(EnvironmentIds=[i.id for i in items]).get("Environments", [])
            if e.get("Status") != "Terminated"}
    return [i for i in items if i.id in live]


def _find_applications(scan: Scan) -> Iterable[Found]:
    for app in scan.client("elasticbeanstalk").describe_applications().get("Applications", []):
        yield Found("Beanstalk application", app["ApplicationName"], _eb_tags(scan, app["ApplicationArn"]))


# --- ECS and ECR ----------------------------------------------------------------------------------


def _ecs_tags(scan: Scan, arn: str) -> dict[str, str]:
    return tag_map(scan.client("ecs").list_tags_for_resource(resourceArn=arn).get("tags"))


def _clusters(scan: Scan) -> list[dict]:
    ecs = scan.client("ecs")
    arns = pages(ecs, "list_clusters", "clusterArns")
    return ecs.describe_clusters(clusters=arns, include=["TAGS"]).get("clusters", []) if arns else []


def _find_services(scan: Scan) -> Iterable[Found]:
    ecs = scan.client("ecs")
    for cluster in _clusters(scan):
        arns = pages(ecs, "list_services", "serviceArns", cluster=cluster["clusterArn"])
        for start in range(0, len(arns), 10):
            described = ecs.describe_services(cluster=cluster["clusterArn"], services=arns[start:start + 10], include=["TAGS"])
            for svc in described.get("services", []):
                if svc.get("status") == "INACTIVE":
                    continue
                subnets = ((svc.get("networkConfiguration") or {}).get("awsvpcConfiguration") or {}).get("subnets", [])
                yield Found("ECS service", svc["serviceArn"], tag_map(svc.get("tags")), scan.vpcs_of_subnets(subnets),
                            state=svc.get("status", ""), detail=f"desired {svc.get('desiredCount', 0)}", hourly=None,
                            parent=svc.get("clusterArn") or cluster["clusterArn"])


def _delete_service(scan: Scan, item: Found) -> None:
    ecs = scan.client("ecs")
    ecs.update_service(cluster=item.parent, service=item.id, desiredCount=0)  # its Fargate tasks stop billing
    ecs.delete_service(cluster=item.parent, service=item.id, force=True)


def _services_left(scan: Scan, items: list[Found]) -> list[Found]:
    listed = {f.id for f in _find_services(scan)}  # ACTIVE or DRAINING: not gone yet
    return [i for i in items if i.id in listed]


def _find_clusters(scan: Scan) -> Iterable[Found]:
    for cluster in _clusters(scan):
        if cluster.get("status") == "ACTIVE":
            yield Found("ECS cluster", cluster["clusterArn"], tag_map(cluster.get("tags")), state="ACTIVE")


def _find_task_definitions(scan: Scan) -> Iterable[Found]:
    ecs = scan.client("ecs")
    for arn in pages(ecs, "list_task_definitions", "taskDefinitionArns", status="ACTIVE"):
        described = ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        yield Found("ECS task definition", arn, tag_map(described.get("tags")))


def _find_repositories(scan: Scan) -> Iterable[Found]:
    ecr = scan.client("ecr")
    for repo in pages(ecr, "describe_repositories", "repositories"):
        tags = tag_map(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
        yield Found("ECR repository", repo["repositoryName"], tags, hourly=None, arn=repo["repositoryArn"])


# --- EC2: compute ---------------------------------------------------------------------------------


def _find_groups(scan: Scan) -> Iterable[Found]:
    for g in pages(scan.client("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups"):
        subnets = [s for s in (g.get("VPCZoneIdentifier") or "").split(",") if s]
        yield Found("Auto Scaling group", g["AutoScalingGroupName"], tag_map(g.get("Tags")), scan.vpcs_of_subnets(subnets),
                    state=str(g.get("Status") or "active"), detail=f"desired {g['DesiredCapacity']}")


def _groups_left(scan: Scan, items: list[Found]) -> list[Found]:
    asg = scan.client("autoscaling")
    names = {g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups(
        AutoScalingGroupNames=[i.id for i in items]).get("AutoScalingGroups", [])}
    return [i for i in items if i.id in names]


def _instance_hourly(scan: Scan, instance: dict[str, Any]) -> float | None:
    """What a running instance bills by the hour: its type (Windows with the license, ``Platform:
    windows``) and its public IPv4 address; a stopped one, nothing."""
    if instance["State"]["Name"] != "running":
        return 0.0
    windows = instance.get("Platform") == "windows"
    price = scan.price("ec2_windows_instance_hour" if windows else "ec2_instance_hour", instance["InstanceType"])
    if price is not None and instance.get("PublicIpAddress"):
        price += scan.ipv4 or 0.0
    return price


def _find_instances(scan: Scan) -> Iterable[Found]:
    for r in pages(_ec2(scan), "describe_instances", "Reservations"):
        for i in r["Instances"]:
            if i["State"]["Name"] in ("terminated",):
                continue
            yield Found("instance", i["InstanceId"], tag_map(i.get("Tags")), (i["VpcId"],) if i.get("VpcId") else (),
                        state=i["State"]["Name"], detail=i["InstanceType"], hourly=_instance_hourly(scan, i))


def _instances_left(scan: Scan, items: list[Found]) -> list[Found]:
    found = pages(_ec2(scan), "describe_instances", "Reservations", InstanceIds=[i.id for i in items])
    live = {i["InstanceId"] for r in found for i in r["Instances"] if i["State"]["Name"] != "terminated"}
    return [i for i in items if i.id in live]


def _find_launch_templates(scan: Scan) -> Iterable[Found]:
    for t in pages(_ec2(scan), "describe_launch_templates", "LaunchTemplates"):
        yield Found("launch template", t["LaunchTemplateId"], tag_map(t.get("Tags")), detail=t.get("LaunchTemplateName", ""))


def _find_images(scan: Scan) -> Iterable[Found]:
    for image in _ec2(scan).describe_images(Owners=["self"]).get("Images", []):
        if image.get("OwnerId") != scan.account_id:  # the filter narrows; the owner decides
            continue
        yield Found("AMI", image["ImageId"], tag_map(image.get("Tags")), state=image.get("State", ""),
                    detail=image.get("Name", ""), hourly=None)


def _find_snapshots(scan: Scan) -> Iterable[Found]:
    mine = [{"Name": "owner-id", "Values": [scan.account_id]}]  # moto 5.2.5 ignores OwnerIds, not this
    for snap in pages(_ec2(scan), "describe_snapshots", "Snapshots", OwnerIds=["self"], Filters=mine):
        if snap.get("OwnerId") != scan.account_id:
            continue
        yield Found("snapshot", snap["SnapshotId"], tag_map(snap.get("Tags")), state=snap.get("State", ""),
                    detail=f"{snap.get('VolumeSize', '?')} GiB", hourly=None)


def _find_volumes(scan: Scan) -> Iterable[Found]:
    for v in pages(_ec2(scan), "describe_volumes", "Volumes"):
        if v["State"] != "available":  # attached volumes go with their instance
            continue
        price = scan.price("ebs_gb_month", v["VolumeType"])
        yield Found("volume", v["VolumeId"], tag_map(v.get("Tags")), state="unattached", detail=f"{v['Size']} GiB",
                    hourly=None if price is None else price * v["Size"] / scan.per_month)


def _find_key_pairs(scan: Scan) -> Iterable[Found]:
    for pair in _ec2(scan).describe_key_pairs().get("KeyPairs", []):
        yield Found("key pair", pair["KeyPairId"], tag_map(pair.get("Tags")), detail=pair.get("KeyName", ""))


# --- load balancing -------------------------------------------------------------------------------


def _elb_tags(scan: Scan, arns: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        for desc in scan.client("elbv2").describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
            out[desc["ResourceArn"]] = tag_map(desc.get("Tags"))
    return out


def _find_load_balancers(scan: Scan) -> Iterable[Found]:
    lbs = pages(scan.client("elbv2"), "describe_load_balancers", "LoadBalancers")
    tags = _elb_tags(scan, [lb["LoadBalancerArn"] for lb in lbs])
    for lb in lbs:
        price = scan.price("load_balancer_hour", lb.get("Type", "application"))
        if price is not None and lb.get("Scheme") == "internet-facing":
            price += (scan.ipv4 or 0.0) * len(lb.get("AvailabilityZones", []))
        yield Found("load balancer", lb["LoadBalancerArn"], tags.get(lb["LoadBalancerArn"], {}),
                    (lb["VpcId"],) if lb.get("VpcId") else (), state=lb.get("State", {}).get("Code", ""),
                    detail=lb.get("DNSName", ""), hourly=price)


def _load_balancers_left(scan: Scan, items: list[Found]) -> list[Found]:
    elb = scan.client("elbv2")
    return _still(scan, items, lambda i: bool(elb.describe_load_balancers(LoadBalancerArns=[i.id])["LoadBalancers"]))


def _find_target_groups(scan: Scan) -> Iterable[Found]:
    groups = pages(scan.client("elbv2"), "describe_target_groups", "TargetGroups")
    tags = _elb_tags(scan, [g["TargetGroupArn"] for g in groups])
    for g in groups:
        yield Found("target group", g["TargetGroupArn"], tags.get(g["TargetGroupArn"], {}),
                    (g["VpcId"],) if g.get("VpcId") else ())


# --- EC2: network ---------------------------------------------------------------------------------


def _find_nat_gateways(scan: Scan) -> Iterable[Found]:
    for n in pages(_ec2(scan), "describe_nat_gateways", "NatGateways"):
        if n["State"] in ("deleted", "failed"):
            continue
        held = tuple(("Elastic IP", a["AllocationId"]) for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId"))
        yield Found("NAT gateway", n["NatGatewayId"], tag_map(n.get("Tags")), (n["VpcId"],), state=n["State"],
                    hourly=scan.p.nat_gateway_hour if scan.p else None, holds=held)


def _delete_nat_gateway(scan: Scan, item: Found) -> None:
    if item.state != "deleting":  # already on its way: only waited for
        _ec2(scan).delete_nat_gateway(NatGatewayId=item.id)


def _nat_gateways_left(scan: Scan, items: list[Found]) -> list[Found]:
    found = _ec2(scan).describe_nat_gateways(NatGatewayIds=[i.id for i in items])["NatGateways"]
    live = {n["NatGatewayId"] for n in found if n["State"] not in ("deleted", "failed")}
    return [i for i in items if i.id in live]


def _find_endpoints(scan: Scan) -> Iterable[Found]:
    for e in pages(_ec2(scan), "describe_vpc_endpoints", "VpcEndpoints"):
        if str(e.get("State", "")).lower() in ("deleted", "deleting", "rejected", "failed"):
            continue
        yield Found("VPC endpoint", e["VpcEndpointId"], tag_map(e.get("Tags")), (e["VpcId"],), state=str(e.get("State", "")),
                    detail=e.get("ServiceName", ""))


def _find_interfaces(scan: Scan) -> Iterable[Found]:
    """Network interfaces made by hand and not in use: one in use, or one AWS manages for a NAT
    gateway, a load balancer or an endpoint, goes with what uses it."""
    ec2 = _ec2(scan)
    managed = {a.get("NetworkInterfaceId") for n in pages(ec2, "describe_nat_gateways", "NatGateways")
               for a in n.get("NatGatewayAddresses", [])}
    for n in pages(ec2, "describe_network_interfaces", "NetworkInterfaces"):
        if n.get("Status") != "available" or n.get("RequesterManaged") or n.get("InterfaceType", "interface") != "interface" \
                or n["NetworkInterfaceId"] in managed:
            continue
        yield Found("network interface", n["NetworkInterfaceId"], tag_map(n.get("TagSet")), (n["VpcId"],),
                    state="available", detail=n.get("PrivateIpAddress", ""))


def _find_addresses(scan: Scan) -> Iterable[Found]:
    for a in _ec2(scan).describe_addresses().get("Addresses", []):
        if a.get("Domain", "vpc") != "vpc":
            continue
        yield Found("Elastic IP", a["AllocationId"], tag_map(a.get("Tags")), detail=a.get("PublicIp", ""), hourly=scan.ipv4,
                    state="associated" if a.get("AssociationId") else "")


def _release_address(scan: Scan, item: Found) -> None:
    ec2 = _ec2(scan)
    (address,) = ec2.describe_addresses(AllocationIds=[item.id])["Addresses"]
    if address.get("AssociationId"):  # still on an interface of the cohort's (an instance's, by hand)
        ec2.disassociate_address(AssociationId=address["AssociationId"])
    ec2.release_address(AllocationId=item.id)


def _find_peerings(scan: Scan) -> Iterable[Found]:
    for p in pages(_ec2(scan), "describe_vpc_peering_connections", "VpcPeeringConnections"):
        status = (p.get("Status") or {}).get("Code", "")
        if status in ("deleted", "rejected", "failed", "expired", "deleting"):
            continue
        vpcs = tuple(sorted({p["RequesterVpcInfo"].get("VpcId", ""), p["AccepterVpcInfo"].get("VpcId", "")} - {""}))
        yield Found("peering connection", p["VpcPeeringConnectionId"], tag_map(p.get("Tags")), vpcs, state=status)


def _find_security_groups(scan: Scan) -> Iterable[Found]:
    for g in pages(_ec2(scan), "describe_security_groups", "SecurityGroups"):
        yield Found("security group", g["GroupId"], tag_map(g.get("Tags")), (g["VpcId"],) if g.get("VpcId") else (),
                    detail=g.get("GroupName", ""), default=g.get("GroupName") == "default")


def _revoke_rules(scan: Scan, groups: list[Found]) -> None:
    """The sweep's groups refer to each other (web-dev's admits the bastion's): drop their rules
    first, so no group is kept alive by another's reference."""
    ec2 = _ec2(scan)
    for group in groups:
        try:
            (g,) = ec2.describe_security_groups(GroupIds=[group.id])["SecurityGroups"]
            if g.get("IpPermissions"):
                ec2.revoke_security_group_ingress(GroupId=group.id, IpPermissions=g["IpPermissions"])
            if g.get("IpPermissionsEgress"):
                ec2.revoke_security_group_egress(GroupId=group.id, IpPermissions=g["IpPermissionsEgress"])
        except Exception:  # noqa: BLE001 - the delete that follows reports what really fails
            pass


def _find_subnets(scan: Scan) -> Iterable[Found]:
    for s in pages(_ec2(scan), "describe_subnets", "Subnets"):
        yield Found("subnet", s["SubnetId"], tag_map(s.get("Tags")), (s["VpcId"],), detail=s.get("CidrBlock", ""),
                    default=bool(s.get("DefaultForAz")))


def _find_route_tables(scan: Scan) -> Iterable[Found]:
    for t in pages(_ec2(scan), "describe_route_tables", "RouteTables"):
        main = any(a.get("Main") for a in t.get("Associations", []))
        yield Found("route table", t["RouteTableId"], tag_map(t.get("Tags")), (t["VpcId"],), default=main)


def _delete_route_table(scan: Scan, item: Found) -> None:
    ec2 = _ec2(scan)
    (table,) = ec2.describe_route_tables(RouteTableIds=[item.id])["RouteTables"]
    for association in table.get("Associations", []):
        if not association.get("Main"):
            ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    ec2.delete_route_table(RouteTableId=item.id)


def _find_network_acls(scan: Scan) -> Iterable[Found]:
    for acl in pages(_ec2(scan), "describe_network_acls", "NetworkAcls"):
        yield Found("network ACL", acl["NetworkAclId"], tag_map(acl.get("Tags")), (acl["VpcId"],),
                    default=bool(acl.get("IsDefault")))


def _find_internet_gateways(scan: Scan) -> Iterable[Found]:
    defaults = {v["VpcId"] for v in pages(_ec2(scan), "describe_vpcs", "Vpcs") if v.get("IsDefault")}
    for gw in pages(_ec2(scan), "describe_internet_gateways", "InternetGateways"):
        vpcs = tuple(a["VpcId"] for a in gw.get("Attachments", []) if a.get("VpcId"))
        yield Found("internet gateway", gw["InternetGatewayId"], tag_map(gw.get("Tags")), vpcs,
                    default=bool(vpcs) and set(vpcs) <= defaults)


def _delete_internet_gateway(scan: Scan, item: Found) -> None:
    ec2 = _ec2(scan)
    for vpc in item.vpcs:
        try:
            ec2.detach_internet_gateway(InternetGatewayId=item.id, VpcId=vpc)
        except Exception as err:  # noqa: BLE001 - already detached (an interrupted sweep) is fine
            if "NotAttached" not in str(err):
                raise
    ec2.delete_internet_gateway(InternetGatewayId=item.id)


def _find_egress_only_gateways(scan: Scan) -> Iterable[Found]:
    for gw in pages(_ec2(scan), "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"):
        vpcs = tuple(a["VpcId"] for a in gw.get("Attachments", []) if a.get("VpcId"))
        yield Found("egress-only internet gateway", gw["EgressOnlyInternetGatewayId"], tag_map(gw.get("Tags")), vpcs)


def _find_vpcs(scan: Scan) -> Iterable[Found]:
    for v in pages(_ec2(scan), "describe_vpcs", "Vpcs"):
        yield Found("VPC", v["VpcId"], tag_map(v.get("Tags")), (v["VpcId"],), detail=v.get("CidrBlock", ""),
                    default=bool(v.get("IsDefault")))


# --- RDS, S3, logs, IAM ---------------------------------------------------------------------------


def _find_databases(scan: Scan) -> Iterable[Found]:
    for db in pages(scan.client("rds"), "describe_db_instances", "DBInstances"):
        if db["DBInstanceStatus"] == "deleted":
            continue
        available = db["DBInstanceStatus"] != "stopped"
        price = scan.price("rds_instance_hour", db["DBInstanceClass"])
        storage = scan.price("rds_storage_gb_month", db.get("StorageType", "gp2"))
        hourly = None if price is None or storage is None else (
            (price if available else 0.0) + db.get("AllocatedStorage", 0) * storage / scan.per_month)
        vpc = (db.get("DBSubnetGroup") or {}).get("VpcId")
        yield Found("database", db["DBInstanceIdentifier"], tag_map(db.get("TagList")), (vpc,) if vpc else (),
                    state=db["DBInstanceStatus"], detail=db["DBInstanceClass"], hourly=hourly)


def _delete_database(scan: Scan, item: Found) -> None:
    if item.state != "deleting":
        scan.client("rds").delete_db_instance(DBInstanceIdentifier=item.id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)


def _databases_left(scan: Scan, items: list[Found]) -> list[Found]:
    rds = scan.client("rds")
    return _still(scan, items, lambda i: bool(rds.describe_db_instances(DBInstanceIdentifier=i.id)["DBInstances"]))


def _find_db_subnet_groups(scan: Scan) -> Iterable[Found]:
    rds = scan.client("rds")
    for group in pages(rds, "describe_db_subnet_groups", "DBSubnetGroups"):
        tags = tag_map(rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"]).get("TagList"))
        yield Found("DB subnet group", group["DBSubnetGroupName"], tags, (group["VpcId"],) if group.get("VpcId") else ())


def _find_buckets(scan: Scan) -> Iterable[Found]:
    s3 = scan.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            where = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        except Exception as err:  # noqa: BLE001 - deleted between the listing and now
            if is_gone(err):
                continue
            raise
        if where != scan.region:
            continue  # the sweep of its own region finds it
        try:
            tags = tag_map(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except Exception as err:  # noqa: BLE001 - NoSuchTagSet: a bucket without tags
            if "NoSuchTagSet" not in str(err) and not is_gone(err):
                raise
            tags = {}
        yield Found("bucket", name, tags)


def _delete_bucket(scan: Scan, item: Found) -> None:
    s3 = scan.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=item.id):
        objects = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if objects:
            s3.delete_objects(Bucket=item.id, Delete={"Objects": objects, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=item.id):
        objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if objects:
            s3.delete_objects(Bucket=item.id, Delete={"Objects": objects, "Quiet": True})
    s3.delete_bucket(Bucket=item.id)


def _find_log_groups(scan: Scan) -> Iterable[Found]:
    logs = scan.client("logs")
    for group in pages(logs, "describe_log_groups", "logGroups"):
        tags = logs.list_tags_log_group(logGroupName=group["logGroupName"]).get("tags", {})
        yield Found("log group", group["logGroupName"], dict(tags), detail=f"{group.get('storedBytes', 0)} bytes", hourly=None)


def _find_roles(scan: Scan) -> Iterable[Found]:
    iam = scan.client("iam")
    for role in pages(iam, "list_roles", "Roles"):
        if role.get("Path", "/").startswith("/aws-service-role/"):
            continue  # AWS's own, made and removed by the services
        tags = tag_map(pages(iam, "list_role_tags", "Tags", RoleName=role["RoleName"]))
        yield Found("IAM role", role["RoleName"], tags)


def _delete_role(scan: Scan, item: Found) -> None:
    iam = scan.client("iam")
    for profile in pages(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=item.id):
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=item.id)
    for policy in pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=item.id):
        iam.detach_role_policy(RoleName=item.id, PolicyArn=policy["PolicyArn"])
    for name in pages(iam, "list_role_policies", "PolicyNames", RoleName=item.id):
        iam.delete_role_policy(RoleName=item.id, PolicyName=name)
    iam.delete_role(RoleName=item.id)


def _find_instance_profiles(scan: Scan) -> Iterable[Found]:
    iam = scan.client("iam")
    for profile in pages(iam, "list_instance_profiles", "InstanceProfiles"):
        # listings leave tags out on AWS: GetInstanceProfile has them
        tags = tag_map(iam.get_instance_profile(InstanceProfileName=profile["InstanceProfileName"])["InstanceProfile"].get("Tags"))
        yield Found("IAM instance profile", profile["InstanceProfileName"], tags)


def _delete_instance_profile(scan: Scan, item: Found) -> None:
    iam = scan.client("iam")
    for role in iam.get_instance_profile(InstanceProfileName=item.id)["InstanceProfile"].get("Roles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=item.id, RoleName=role["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=item.id)


# --- the table, in deletion order -----------------------------------------------------------------


def _call(service: str, operation: str, argument: str, **fixed: Any) -> Callable[[Scan, Found], None]:
    """A delete that is one call naming the item's id."""
    return lambda scan, item: getattr(scan.client(service), operation)(**{argument: item.id}, **fixed)


def _ec2_list(operation: str, argument: str) -> Callable[[Scan, Found], None]:
    return lambda scan, item: getattr(_ec2(scan), operation)(**{argument: [item.id]})


KINDS: tuple[Kind, ...] = (
    Kind("Beanstalk environment", _find_environments, _call("elasticbeanstalk", "terminate_environment", "EnvironmentId",
                                                            TerminateResources=True),
         _environments_left, arn_kinds=("elasticbeanstalk:environment",)),
    Kind("ECS service", _find_services, _delete_service, _services_left, arn_kinds=("ecs:service",)),
    Kind("Auto Scaling group", _find_groups, _call("autoscaling", "delete_auto_scaling_group", "AutoScalingGroupName",
                                                   ForceDelete=True),
         _groups_left, arn_kinds=("autoscaling:autoScalingGroup",)),
    Kind("instance", _find_instances, _ec2_list("terminate_instances", "InstanceIds"), _instances_left,
         arn_kinds=("ec2:instance",)),
    Kind("load balancer", _find_load_balancers, _call("elbv2", "delete_load_balancer", "LoadBalancerArn"),
         _load_balancers_left, arn_kinds=("elasticloadbalancing:loadbalancer",)),
    Kind("target group", _find_target_groups, _call("elbv2", "delete_target_group", "TargetGroupArn"),
         arn_kinds=("elasticloadbalancing:targetgroup",)),
    Kind("NAT gateway", _find_nat_gateways, _delete_nat_gateway, _nat_gateways_left, arn_kinds=("ec2:natgateway",)),
    Kind("VPC endpoint", _find_endpoints, _ec2_list("delete_vpc_endpoints", "VpcEndpointIds"), arn_kinds=("ec2:vpc-endpoint",)),
    Kind("database", _find_databases, _delete_database, _databases_left, arn_kinds=("rds:db",)),
    Kind("DB subnet group", _find_db_subnet_groups, _call("rds", "delete_db_subnet_group", "DBSubnetGroupName"),
         arn_kinds=("rds:subgrp",)),
    Kind("ECS cluster", _find_clusters, _call("ecs", "delete_cluster", "cluster"), arn_kinds=("ecs:cluster",)),
    Kind("ECS task definition", _find_task_definitions, _call("ecs", "deregister_task_definition", "taskDefinition"),
         arn_kinds=("ecs:task-definition",)),
    Kind("ECR repository", _find_repositories, _call("ecr", "delete_repository", "repositoryName", force=True),
         arn_kinds=("ecr:repository",)),
    Kind("network interface", _find_interfaces, _call("ec2", "delete_network_interface", "NetworkInterfaceId"),
         arn_kinds=("ec2:network-interface",)),
    Kind("Elastic IP", _find_addresses, _release_address, arn_kinds=("ec2:elastic-ip",)),
    Kind("peering connection", _find_peerings, _call("ec2", "delete_vpc_peering_connection", "VpcPeeringConnectionId"),
         arn_kinds=("ec2:vpc-peering-connection",)),
    Kind("security group", _find_security_groups, _call("ec2", "delete_security_group", "GroupId"), prepare=_revoke_rules,
         arn_kinds=("ec2:security-group",)),
    Kind("subnet", _find_subnets, _call("ec2", "delete_subnet", "SubnetId"), arn_kinds=("ec2:subnet",)),
    Kind("route table", _find_route_tables, _delete_route_table, arn_kinds=("ec2:route-table",)),
    Kind("network ACL", _find_network_acls, _call("ec2", "delete_network_acl", "NetworkAclId"), arn_kinds=("ec2:network-acl",)),
    Kind("internet gateway", _find_internet_gateways, _delete_internet_gateway, arn_kinds=("ec2:internet-gateway",)),
    Kind("egress-only internet gateway", _find_egress_only_gateways,
         _call("ec2", "delete_egress_only_internet_gateway", "EgressOnlyInternetGatewayId"),
         arn_kinds=("ec2:egress-only-internet-gateway",)),
    Kind("VPC", _find_vpcs, _call("ec2", "delete_vpc", "VpcId"), arn_kinds=("ec2:vpc",)),
    Kind("launch template", _find_launch_templates, _call("ec2", "delete_launch_template", "LaunchTemplateId"),
         arn_kinds=("ec2:launch-template",)),
    Kind("AMI", _find_images, _call("ec2", "deregister_image", "ImageId"), arn_kinds=("ec2:image",)),
    Kind("snapshot", _find_snapshots, _call("ec2", "delete_snapshot", "SnapshotId"), arn_kinds=("ec2:snapshot",)),
    Kind("volume", _find_volumes, _call("ec2", "delete_volume", "VolumeId"), arn_kinds=("ec2:volume",)),
    Kind("key pair", _find_key_pairs, lambda scan, item: _ec2(scan).delete_key_pair(KeyName=item.detail),
         arn_kinds=("ec2:key-pair",)),
    Kind("bucket", _find_buckets, _delete_bucket, arn_kinds=("s3:bucket",)),
    Kind("Beanstalk application", _find_applications, _call("elasticbeanstalk", "delete_application", "ApplicationName",
                                                            TerminateEnvByForce=True),
         arn_kinds=("elasticbeanstalk:application",)),
    Kind("log group", _find_log_groups, _call("logs", "delete_log_group", "logGroupName"), arn_kinds=("logs:log-group",)),
    Kind("IAM instance profile", _find_instance_profiles, _delete_instance_profile, arn_kinds=("iam:instance-profile",)),
    Kind("IAM role", _find_roles, _delete_role, arn_kinds=("iam:role",)),
)
KIND_NAMES = tuple(k.name for k in KINDS)
COVERED_ARN_KINDS = {arn for k in KINDS for arn in k.arn_kinds}
