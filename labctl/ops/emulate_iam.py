"""The emulator's IAM types: roles, their managed and inline policies, instance profiles (the
roles the beanstalk and containers labs create outside the Learner Lab).

moto 5.2.5 emulates them in full. AWS's managed policies (AWSElasticBeanstalkWebTier,
AmazonECSTaskExecutionRolePolicy, ...) exist in moto only when it loads them
(``mock_aws(config={"iam": {"load_aws_managed_policies": True}})`` or
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``); otherwise attaching one is refused, and the emulator
names the resource.
"""

from __future__ import annotations

import uuid
from typing import Any, Callable

Create = Callable[[Any, dict, str], tuple[str, dict]]
Delete = Callable[[Any, str, dict], None]


def aws_tags(i: dict) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in (i.get("tags") or {}).items()]


def given_name(i: dict, fallback: str, limit: int) -> str:
    """The given name, else the prefix and a unique suffix (as the provider does; the Beanstalk
    handlers name applications the same way)."""
    if i.get("name"):
        return str(i["name"])
    prefix = str(i.get("namePrefix") or f"{fallback}-")
    return (prefix + uuid.uuid4().hex)[:limit]


def _create_role(aws, i, name):
    role_name = given_name(i, name, 64)
    args: dict[str, Any] = {"RoleName": role_name, "AssumeRolePolicyDocument": i["assumeRolePolicy"]}
    for key, arg in (("description", "Description"), ("path", "Path"), ("maxSessionDuration", "MaxSessionDuration")):
        if i.get(key) is not None:
            args[arg] = i[key]
    if aws_tags(i):
        args["Tags"] = aws_tags(i)
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
    if aws_tags(i):
        args["Tags"] = aws_tags(i)
    made = aws("iam").create_instance_profile(**args)["InstanceProfile"]
    if i.get("role"):
        aws("iam").add_role_to_instance_profile(InstanceProfileName=profile, RoleName=i["role"])
    return profile, {"role": i.get("role"), "outputs": {"name": profile, "arn": made["Arn"], "uniqueId": made["InstanceProfileId"]}}


def _delete_instance_profile(aws, profile: str, extra: dict) -> None:
    if extra.get("role"):
        aws("iam").remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=extra["role"])
    aws("iam").delete_instance_profile(InstanceProfileName=profile)


HANDLERS: dict[str, tuple[Create, Delete]] = {
    "aws:iam/role:Role": (_create_role, lambda aws, rid, x: aws("iam").delete_role(RoleName=rid)),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": (
        _attach, lambda aws, rid, x: aws("iam").detach_role_policy(RoleName=x["role"], PolicyArn=x["policyArn"])),
    "aws:iam/rolePolicy:RolePolicy": (
        _put_role_policy, lambda aws, rid, x: aws("iam").delete_role_policy(RoleName=x["role"], PolicyName=x["policyName"])),
    "aws:iam/instanceProfile:InstanceProfile": (_create_instance_profile, _delete_instance_profile),
}
