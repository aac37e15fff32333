"""EC2 Auto Scaling: groups and their scaling policies."""

from __future__ import annotations

from typing import Any

from labctl.kinds.emulation import Emulator, named, pascal
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, AS_LAUNCHED
from labctl.kinds import FREE, Kind
from labctl.kinds.network import AUTOSCALING_PUBLIC, HOST, NOT_IN_NETWORK, Reach, first_placed


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


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_group(r, model):
    """Its instances: the eleventh address of its first subnet stands in for them, as its launch template makes them."""
    launched = model.launch_template((r.inputs.get("launchTemplate") or {}).get("id"))
    subnet = first_placed(model, r.inputs.get("vpcZoneIdentifiers") or [])
    if launched is None or not subnet:
        return
    public, groups = launched
    tags = {t.get("key"): t.get("value") for t in r.inputs.get("tags") or []}
    name = model.book_name(tags.get("Name") or r.name, tags.get("cloudlabs:student") or model.student)
    model.place_host(name, "auto scaling instance", subnet, 11, AUTOSCALING_PUBLIC if public else None, groups)


KINDS = (
    Kind("aws:autoscaling/group:Group", "Auto Scaling group", "autoscaling_group", sweep="Auto Scaling group",
         live_reason=AS_LAUNCHED,
         reach=Reach(HOST, _place_group),
         emulator=Emulator(_create_asg, _delete_group)),
    Kind("aws:autoscaling/policy:Policy", "scaling policy", FREE, sweep_with="goes with its Auto Scaling group",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_scaling_policy, _delete_policy)),
)
