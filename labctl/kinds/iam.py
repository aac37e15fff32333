"""IAM: roles, their policies and instance profiles (global, free); the roles the beanstalk and
containers labs create outside the Learner Lab.

moto 5.2.5 emulates them in full. AWS's managed policies (AWSElasticBeanstalkWebTier,
AmazonECSTaskExecutionRolePolicy, ...) exist in moto only when it loads them
(``mock_aws(config={"iam": {"load_aws_managed_policies": True}})`` or
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``); otherwise attaching one is refused, and the emulator
names the resource."""

from __future__ import annotations

from typing import Any

from labctl.kinds.emulation import Emulator, delete_call, given_name, tags
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import FREE, Kind


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_role(aws, i, name):
    role_name = given_name(i, name, 64)
    args: dict[str, Any] = {"RoleName": role_name, "AssumeRolePolicyDocument": i["assumeRolePolicy"]}
    for key, arg in (("description", "Description"), ("path", "Path"), ("maxSessionDuration", "MaxSessionDuration")):
        if i.get(key) is not None:
            args[arg] = i[key]
    if tags(i):
        args["Tags"] = tags(i)
    role = aws("iam").create_role(**args)["Role"]
    return role_name, {"outputs": {"name": role_name, "arn": role["Arn"], "uniqueId": role["RoleId"]}}


def _attach(aws, i, name):
    aws("iam").attach_role_policy(RoleName=i["role"], PolicyArn=i["policyArn"])
    return f"{i['role']}/{i['policyArn']}", {"role": i["role"], "policyArn": i["policyArn"]}


def _put_role_policy(aws, i, name):
    policy = given_name(i, name, 128)
    aws("iam").put_role_policy(RoleName=i["role"], PolicyName=policy, PolicyDocument=i["policy"])
    return f"{i['role']}:{policy}", {"role": i["role"], "policyName": policy}


def _create_instance_profile(aws, i, name):
    profile = given_name(i, name, 128)
    args: dict[str, Any] = {"InstanceProfileName": profile}
    if i.get("path"):
        args["Path"] = i["path"]
    if tags(i):
        args["Tags"] = tags(i)
    made = aws("iam").create_instance_profile(**args)["InstanceProfile"]
    if i.get("role"):
        aws("iam").add_role_to_instance_profile(InstanceProfileName=profile, RoleName=i["role"])
    return profile, {"role": i.get("role"), "outputs": {"name": profile, "arn": made["Arn"], "uniqueId": made["InstanceProfileId"]}}


def _delete_instance_profile(aws, profile: str, extra: dict) -> None:
    if extra.get("role"):
        aws("iam").remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=extra["role"])
    aws("iam").delete_instance_profile(InstanceProfileName=profile)


def _delete_role_policy_attachment(aws, rid, x):
    aws("iam").detach_role_policy(RoleName=x["role"], PolicyArn=x["policyArn"])


def _delete_role_policy(aws, rid, x):
    aws("iam").delete_role_policy(RoleName=x["role"], PolicyName=x["policyName"])


KINDS = (
    Kind("aws:iam/role:Role", "IAM role", FREE, sweep="IAM role",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_role, delete_call("iam", "delete_role", "RoleName"))),
    Kind("aws:iam/rolePolicy:RolePolicy", "role policy", FREE, sweep_with="goes with its IAM role (deleted before it)",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_put_role_policy, _delete_role_policy)),
    Kind("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policy attachment", FREE, sweep_with="goes with its IAM role (detached before it is deleted)",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_attach, _delete_role_policy_attachment)),
    Kind("aws:iam/instanceProfile:InstanceProfile", "instance profile", FREE, sweep="IAM instance profile",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_instance_profile, _delete_instance_profile)),
)
