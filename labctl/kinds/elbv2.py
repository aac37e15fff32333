"""Elastic Load Balancing (v2): application load balancers, listeners, target groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from labctl.kinds.emulation import Emulator, delete_call, named, pascal, tags
from labctl.kinds.shared import HEALTH_CHECK_FIELDS
from labctl.kinds.fakes import arn_only, digest, generic, hex_id
from labctl.kinds.templates import Template, folded, tag_list
from labctl.kinds.deploy import NeedsGateway
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds import FREE, Kind
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, Found, LiveRead, in_vpcs, listing
from labctl.kinds import drawing
from labctl.kinds.network import HOST, LOAD_BALANCER_PUBLIC, Reach, first_placed
from labctl.kinds.replacing import ANY, Replaces, TF_NO_UPDATE, autonamed
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_lb(aws, i, name):
    elb = aws("elbv2")
    args: dict[str, Any] = {"Name": named(i, name, 32), "Subnets": list(i.get("subnets") or []),
                            "Scheme": "internal" if i.get("internal") else "internet-facing",
                            "Type": i.get("loadBalancerType", "application")}
    if i.get("securityGroups"):
        args["SecurityGroups"] = list(i["securityGroups"])
    if i.get("ipAddressType"):
        args["IpAddressType"] = i["ipAddressType"]
    if tags(i):
        args["Tags"] = tags(i)
    lb = elb.create_load_balancer(**args)["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    attributes = [{"Key": key, "Value": str(value).lower()} for key, value in (
        ("routing.http.drop_invalid_header_fields.enabled", i.get("dropInvalidHeaderFields")),
        ("deletion_protection.enabled", i.get("enableDeletionProtection")),
        ("idle_timeout.timeout_seconds", i.get("idleTimeout"))) if value is not None]
    if attributes:
        elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=attributes)
    return arn, {"outputs": {"arn": arn, "dnsName": lb["DNSName"], "name": lb["LoadBalancerName"],
                             "arnSuffix": arn.split(":loadbalancer/", 1)[1], "zoneId": lb.get("CanonicalHostedZoneId")}}


def _create_tg(aws, i, name):
    elb = aws("elbv2")
    args: dict[str, Any] = {"Name": named(i, name, 32), "TargetType": i.get("targetType", "instance")}
    for key, arg in (("protocol", "Protocol"), ("port", "Port"), ("vpcId", "VpcId"), ("protocolVersion", "ProtocolVersion")):
        if i.get(key) is not None:
            args[arg] = i[key]
    for key, value in (i.get("healthCheck") or {}).items():
        if key == "matcher":
            args["Matcher"] = {"HttpCode": str(value)}
        elif key in HEALTH_CHECK_FIELDS:
            args[HEALTH_CHECK_FIELDS[key]] = str(value) if key == "port" else value
        else:
            raise ValueError(f"{name}: health check setting {key} is not emulated")
    if tags(i):
        args["Tags"] = tags(i)
    group = elb.create_target_group(**args)["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    if i.get("deregistrationDelay") is not None:
        elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(i["deregistrationDelay"])}])
    return arn, {"outputs": {"arn": arn, "name": group["TargetGroupName"], "arnSuffix": arn.split(":", 5)[5]}}


def _create_listener(aws, i, name):
    args: dict[str, Any] = {"LoadBalancerArn": i["loadBalancerArn"], "DefaultActions": pascal(i["defaultActions"])}
    for key, arg in (("protocol", "Protocol"), ("port", "Port"), ("certificateArn", "Certificates"), ("sslPolicy", "SslPolicy")):
        if i.get(key) is not None:
            args[arg] = [{"CertificateArn": i[key]}] if key == "certificateArn" else i[key]
    if tags(i):
        args["Tags"] = tags(i)
    arn = aws("elbv2").create_listener(**args)["Listeners"][0]["ListenerArn"]
    return arn, {"outputs": {"arn": arn}}


def _create_tg_attachment(aws, i, name):
    target: dict[str, Any] = {"Id": i["targetId"]}
    if i.get("port") is not None:
        target["Port"] = int(i["port"])
    aws("elbv2").register_targets(TargetGroupArn=i["targetGroupArn"], Targets=[target])
    return f"{i['targetGroupArn']}-{i['targetId']}", {"targetGroupArn": i["targetGroupArn"], "target": target}


def _delete_target_group_attachment(aws, rid, x):
    aws("elbv2").deregister_targets(
        TargetGroupArn=x["targetGroupArn"], Targets=[x["target"]])


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_lb(cloud: FakeCloud, args: Args) -> Answered:
    name = cloud.unique_name(args, 6)
    arn = cloud.arn("elasticloadbalancing", f"loadbalancer/app/{name}/{hex_id(cloud.stack + args.name, 16)}")
    return arn, {"arn": arn, "name": name, "dnsName": f"{name}-{digest(cloud.stack, args.name) % 10**10}.{cloud.region}.elb.amazonaws.com",
                 "zoneId": "Z35SXDOTRQ7X7K", "arnSuffix": arn.split(":loadbalancer/")[1]}


def _fake_tg(cloud: FakeCloud, args: Args) -> Answered:
    name = cloud.unique_name(args, 6)
    arn = cloud.arn("elasticloadbalancing", f"targetgroup/{name}/{hex_id(cloud.stack + args.name, 16)}")
    return arn, {"arn": arn, "name": name, "arnSuffix": arn.split(":")[-1]}


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _load_balancer_properties(b, r):
    i = r.inputs
    attributes = [{"Key": "deletion_protection.enabled", "Value": str(bool(i.get("enableDeletionProtection"))).lower()}]
    if i.get("dropInvalidHeaderFields") is not None:
        attributes.append({"Key": "routing.http.drop_invalid_header_fields.enabled",
                           "Value": str(bool(i["dropInvalidHeaderFields"])).lower()})
    return {"Name": r.outputs.get("name"), "Type": i.get("loadBalancerType"),
            "Scheme": "internal" if i.get("internal") else "internet-facing", "Subnets": b.ref(i.get("subnets")),
            "SecurityGroups": b.ref(i.get("securityGroups")), "LoadBalancerAttributes": attributes, "Tags": tag_list(i.get("tags"))}


def _target_group_properties(b, r):
    i = r.inputs
    hc = i.get("healthCheck") or {}
    return {
        "Name": r.outputs.get("name"), "Port": i.get("port"), "Protocol": i.get("protocol"), "VpcId": b.ref(i.get("vpcId")),
        "TargetType": i.get("targetType"), **{api: hc.get(key) for key, api in HEALTH_CHECK_FIELDS.items()},
        "Matcher": {"HttpCode": hc["matcher"]} if hc.get("matcher") else None,
        "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": str(i["deregistrationDelay"])}]
        if i.get("deregistrationDelay") is not None else None,
        "Tags": tag_list(i.get("tags"))}


def _listener_properties(b, r):
    i = r.inputs
    return {"LoadBalancerArn": b.ref(i.get("loadBalancerArn")), "Port": i.get("port"), "Protocol": i.get("protocol"),
            "DefaultActions": [{"Type": a.get("type"), "TargetGroupArn": b.ref(a.get("targetGroupArn"))}
                               for a in i.get("defaultActions") or []]}


_TARGET = folded("aws:lb/targetGroup:TargetGroup", "targetGroupArn", "Targets",  # CloudFormation lists a group's targets on it
                 lambda b, r: {"Id": b.ref(r.inputs.get("targetId")), "Port": r.inputs.get("port")}, item=True)


# --- deploy rules: what AWS enforces that no schema expresses (labctl.analysis.deployrules) --------


_INTERNET_FACING = NeedsGateway("subnets", when=lambda i: not i.get("internal"))


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _elb_tags(scan: SweepScan, arns: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for start in range(0, len(arns), 20):
        for desc in scan.client("elbv2").describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
            out[desc["ResourceArn"]] = scan.tag_map(desc.get("Tags"))
    return out


def _find_load_balancers(scan: SweepScan) -> Iterable[Listed]:
    lbs = scan.pages(scan.client("elbv2"), "describe_load_balancers", "LoadBalancers")
    tags = _elb_tags(scan, [lb["LoadBalancerArn"] for lb in lbs])
    for lb in lbs:
        price = scan.price("load_balancer_hour", lb.get("Type", "application"))
        if price is not None and lb.get("Scheme") == "internet-facing":
            price += (scan.ipv4 or 0.0) * len(lb.get("AvailabilityZones", []))
        yield scan.found("load balancer", lb["LoadBalancerArn"], tags.get(lb["LoadBalancerArn"], {}),
                         (lb["VpcId"],) if lb.get("VpcId") else (), state=lb.get("State", {}).get("Code", ""),
                         detail=lb.get("DNSName", ""), hourly=price, since=lb.get("CreatedTime"))


def _load_balancers_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    elb = scan.client("elbv2")
    return scan.still(items, lambda i: bool(elb.describe_load_balancers(LoadBalancerArns=[i.id])["LoadBalancers"]))


def _find_target_groups(scan: SweepScan) -> Iterable[Listed]:
    groups = scan.pages(scan.client("elbv2"), "describe_target_groups", "TargetGroups")
    tags = _elb_tags(scan, [g["TargetGroupArn"] for g in groups])
    for g in groups:
        yield scan.found("target group", g["TargetGroupArn"], tags.get(g["TargetGroupArn"], {}),
                         (g["VpcId"],) if g.get("VpcId") else ())


# --- live reads: how the live reader (labctl.ops.live) finds each kind in AWS ----------------------

LOAD_BALANCERS = listing("elbv2", "describe_load_balancers", "LoadBalancers", in_vpcs(servers=()))


def _read_load_balancer(lb, reading):
    described = reading.client("elbv2").describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"]
    tags = reading.tag_map(described[0].get("Tags")) if described else {}
    environment = tags.get("elasticbeanstalk:environment-name")
    if environment:  # Beanstalk's load balancer, named as the plan's model names it (its instances carry the bare name)
        tags["Name"] = f"{tags.get('Name') or environment}-ALB"
    yield Found(lb["LoadBalancerArn"], tags or None,
                {"subnets": [z["SubnetId"] for z in lb.get("AvailabilityZones", [])],
                 "securityGroups": lb.get("SecurityGroups", []), "internal": lb.get("Scheme") == "internal",
                 "loadBalancerType": lb.get("Type")}, {"dnsName": lb.get("DNSName")})


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_load_balancer(r, model):
    """Its nodes: the fifth address of its first subnet stands in for them."""
    subnet = first_placed(model, r.inputs.get("subnets") or [])
    if subnet:
        model.place_host(model.name(r), "load balancer", subnet, 5, None if r.inputs.get("internal") else LOAD_BALANCER_PUBLIC,
                         list(r.inputs.get("securityGroups") or []))


KINDS = (
    Kind("aws:lb/loadBalancer:LoadBalancer", "load balancer", "load_balancer", drift=True, sweep="load balancer",
         quota=quotas.load_balancer,
         provision_seconds=180,  # provisioning -> active; the provider waits (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/create-application-load-balancer.html)
         replaces=autonamed(),
         diagram=drawing.LOAD_BALANCER,
         fake=_fake_lb,
         needs_gateway=_INTERNET_FACING,
         template=Template("AWS::ElasticLoadBalancingV2::LoadBalancer", _load_balancer_properties),
         sweep_rule=SweepRule(_find_load_balancers, delete_by_id("elbv2", "delete_load_balancer", "LoadBalancerArn"), _load_balancers_left,
                              arn_kinds=("elasticloadbalancing:loadbalancer",)),
         live=LiveRead(LOAD_BALANCERS, _read_load_balancer),
         reach=Reach(HOST, _place_load_balancer),
         emulator=Emulator(_create_lb, delete_call("elbv2", "delete_load_balancer", "LoadBalancerArn"))),
    Kind("aws:lb/listener:Listener", "listener", FREE, "billed with its load balancer", sweep_with="goes with its load balancer",
         provision_seconds=2,
         fake=arn_only("elasticloadbalancing", "listener/app"),
         template=Template("AWS::ElasticLoadBalancingV2::Listener", _listener_properties),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason="decides no path: the load balancer's subnets and groups do",
         emulator=Emulator(_create_listener, delete_call("elbv2", "delete_listener", "ListenerArn"))),
    Kind("aws:lb/targetGroup:TargetGroup", "target group", FREE, "billed with its load balancer", sweep="target group",
         quota=quotas.one("target-groups"),
         provision_seconds=2,
         replaces=autonamed(),
         fake=_fake_tg,
         template=Template("AWS::ElasticLoadBalancingV2::TargetGroup", _target_group_properties),
         sweep_rule=SweepRule(_find_target_groups, delete_by_id("elbv2", "delete_target_group", "TargetGroupArn"),
                              arn_kinds=("elasticloadbalancing:targetgroup",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason="decides no path: the load balancer's subnets and groups do",
         emulator=Emulator(_create_tg, delete_call("elbv2", "delete_target_group", "TargetGroupArn"))),
    Kind("aws:lb/targetGroupAttachment:TargetGroupAttachment", "target registration", FREE, sweep_with="goes with its target group",
         provision_seconds=2,
         replaces=Replaces(inputs=(ANY,), source=TF_NO_UPDATE),
         untagged="a target registration takes no tags",
         fake=generic,
         template=_TARGET,
         live_reason=NOT_CHECKED_LIVE,
         reach_reason="decides no path: the load balancer's subnets and groups do",
         emulator=Emulator(_create_tg_attachment, _delete_target_group_attachment)),
)
