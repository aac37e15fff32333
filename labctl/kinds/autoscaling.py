"""EC2 Auto Scaling: groups and their scaling policies."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from cloudlabs.tags import STUDENT_TAG

from labctl.kinds.emulation import Emulator, named, pascal
from labctl.kinds.fakes import arn_only, hex_id
from labctl.kinds.templates import Template, number_text
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, AS_LAUNCHED
from labctl.kinds import capacity
from labctl.kinds import FREE, Kind
from labctl.kinds import drawing
from labctl.kinds.network import AUTOSCALING_PUBLIC, HOST, NOT_IN_NETWORK, Reach, first_placed
from labctl.kinds.replacing import autonamed
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_asg(aws, i, name):
    group_name = named(i, name)
    args: dict[str, Any] = {"AutoScalingGroupName": group_name, "MinSize": int(i["minSize"]), "MaxSize": int(i["maxSize"])}
    for key, arg in (("desiredCapacity", "DesiredCapacity"), ("healthCheckType", "HealthCheckType"),
                     ("healthCheckGracePeriod", "HealthCheckGracePeriod"), ("defaultCooldown", "DefaultCooldown"),
                     ("availabilityZones", "AvailabilityZones"), ("targetGroupArns", "TargetGroupARNs")):
        if i.get(key) is not None:
            args[arg] = i[key]
    if i.get("vpcZoneIdentifiers"):
        args["VPCZoneIdentifier"] = ",".join(i["vpcZoneIdentifiers"])
    template = i.get("launchTemplate")
    if template:
        args["LaunchTemplate"] = {("LaunchTemplateId" if template.get("id") else "LaunchTemplateName"): template.get("id") or template["name"],
                                  "Version": str(template.get("version") or "$Default")}
    if i.get("tags"):
        args["Tags"] = [{"ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": t["key"],
                         "Value": str(t["value"]), "PropagateAtLaunch": bool(t.get("propagateAtLaunch"))} for t in i["tags"]]
    asg = aws("autoscaling")
    asg.create_auto_scaling_group(**args)
    (made,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
    return group_name, {"outputs": {"name": group_name, "arn": made["AutoScalingGroupARN"]}}


def _create_scaling_policy(aws, i, name):
    policy_name = named(i, name)
    args: dict[str, Any] = {"AutoScalingGroupName": i["autoscalingGroupName"], "PolicyName": policy_name,
                            "PolicyType": i.get("policyType", "SimpleScaling")}
    for key, arg in (("adjustmentType", "AdjustmentType"), ("scalingAdjustment", "ScalingAdjustment"),
                     ("cooldown", "Cooldown"), ("estimatedInstanceWarmup", "EstimatedInstanceWarmup")):
        if i.get(key) is not None:
            args[arg] = i[key]
    if i.get("targetTrackingConfiguration"):
        config = pascal(i["targetTrackingConfiguration"])
        config["TargetValue"] = float(config["TargetValue"])
        args["TargetTrackingConfiguration"] = config
    asg = aws("autoscaling")
    arn = asg.put_scaling_policy(**args).get("PolicyARN")
    if not arn:  # moto 5.2.5 answers PolicyArn, which botocore drops: the listing has it
        (policy,) = asg.describe_policies(AutoScalingGroupName=i["autoscalingGroupName"], PolicyNames=[policy_name])["ScalingPolicies"]
        arn = policy["PolicyARN"]
    return arn, {"group": i["autoscalingGroupName"], "policyName": policy_name, "outputs": {"arn": arn, "name": policy_name}}


def _delete_group(aws, rid, x):
    aws("autoscaling").delete_auto_scaling_group(
        AutoScalingGroupName=rid, ForceDelete=True)


def _delete_policy(aws, rid, x):
    aws("autoscaling").delete_policy(
        AutoScalingGroupName=x["group"], PolicyName=x["policyName"])


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_group(cloud: FakeCloud, args: Args) -> Answered:
    name = cloud.unique_name(args)
    return name, {"name": name, "arn": cloud.arn("autoscaling", f"autoScalingGroup:{hex_id(name, 32)}:autoScalingGroupName/{name}")}


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _group_properties(b, r):
    i = r.inputs
    lt = i.get("launchTemplate") or {}
    tags: list[dict[str, Any]] = i["tags"] if isinstance(i.get("tags"), list) else []
    return {
        "AutoScalingGroupName": r.outputs.get("name"), "MinSize": str(i.get("minSize")), "MaxSize": str(i.get("maxSize")),
        "DesiredCapacity": number_text(i.get("desiredCapacity")),
        "VPCZoneIdentifier": b.ref(i.get("vpcZoneIdentifiers")), "TargetGroupARNs": b.ref(i.get("targetGroupArns")),
        "HealthCheckType": i.get("healthCheckType"), "HealthCheckGracePeriod": i.get("healthCheckGracePeriod"),
        "LaunchTemplate": {"LaunchTemplateId": b.ref(lt.get("id")), "Version": str(lt.get("version"))} if lt else None,
        "Tags": [{"Key": t["key"], "Value": t["value"], "PropagateAtLaunch": bool(t.get("propagateAtLaunch"))} for t in tags]}


def _policy_properties(b, r):
    i = r.inputs
    tt = i.get("targetTrackingConfiguration") or {}
    metric = tt.get("predefinedMetricSpecification") or {}
    return {"AutoScalingGroupName": b.ref(i.get("autoscalingGroupName")), "PolicyType": i.get("policyType"),
            "TargetTrackingConfiguration": {"PredefinedMetricSpecification": {"PredefinedMetricType": metric.get("predefinedMetricType")},
                                            "TargetValue": tt.get("targetValue")} if tt else None}


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_groups(scan: SweepScan) -> Iterable[Listed]:
    for g in scan.pages(scan.client("autoscaling"), "describe_auto_scaling_groups", "AutoScalingGroups"):
        subnets = [s for s in (g.get("VPCZoneIdentifier") or "").split(",") if s]
        yield scan.found("Auto Scaling group", g["AutoScalingGroupName"], scan.tag_map(g.get("Tags")), scan.vpcs_of_subnets(subnets),
                         state=str(g.get("Status") or "active"), detail=f"desired {g['DesiredCapacity']}")


def _groups_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    asg = scan.client("autoscaling")
    names = {g["AutoScalingGroupName"] for g in asg.describe_auto_scaling_groups(
        AutoScalingGroupNames=[i.id for i in items]).get("AutoScalingGroups", [])}
    return [i for i in items if i.id in names]


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_group(r, model):
    """Its instances: the eleventh address of its first subnet stands in for them, as its launch template makes them."""
    launched = model.launch_template((r.inputs.get("launchTemplate") or {}).get("id"))
    subnet = first_placed(model, r.inputs.get("vpcZoneIdentifiers") or [])
    if launched is None or not subnet:
        return
    public, groups = launched
    tags = {t.get("key"): t.get("value") for t in r.inputs.get("tags") or []}
    name = model.book_name(tags.get("Name") or r.name, tags.get(STUDENT_TAG) or model.student)
    model.place_host(name, "auto scaling instance", subnet, 11, AUTOSCALING_PUBLIC if public else None, groups)


KINDS = (
    Kind("aws:autoscaling/group:Group", "Auto Scaling group", "autoscaling_group", sweep="Auto Scaling group",
         quota=quotas.autoscaling_group,
         provision_seconds=90,  # the provider waits for min_size instances InService (wait_for_capacity_timeout)
         replaces=autonamed(),
         diagram=drawing.AUTOSCALING,
         capacity=capacity.autoscaling_group,
         fake=_fake_group,
         template=Template("AWS::AutoScaling::AutoScalingGroup", _group_properties),
         sweep_rule=SweepRule(_find_groups, delete_by_id("autoscaling", "delete_auto_scaling_group", "AutoScalingGroupName", ForceDelete=True),
                              _groups_left, arn_kinds=("autoscaling:autoScalingGroup",)),
         live_reason=AS_LAUNCHED,
         reach=Reach(HOST, _place_group),
         emulator=Emulator(_create_asg, _delete_group)),
    Kind("aws:autoscaling/policy:Policy", "scaling policy", FREE, sweep_with="goes with its Auto Scaling group",
         provision_seconds=1,
         untagged="a scaling policy takes no tags",
         fake=arn_only("autoscaling", "scalingPolicy"),
         template=Template("AWS::AutoScaling::ScalingPolicy", _policy_properties, referenced=False),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_scaling_policy, _delete_policy)),
)
