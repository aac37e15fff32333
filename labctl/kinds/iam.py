"""IAM: roles, their policies and instance profiles (global, free); the roles the beanstalk and
containers labs create outside the Learner Lab.

moto 5.2.5 emulates them in full. AWS's managed policies (AWSElasticBeanstalkWebTier,
AmazonECSTaskExecutionRolePolicy, ...) exist in moto only when it loads them
(``mock_aws(config={"iam": {"load_aws_managed_policies": True}})`` or
``MOTO_IAM_LOAD_MANAGED_POLICIES=true``); otherwise attaching one is refused, and the emulator
names the resource."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from labctl.kinds.emulation import Emulator, delete_call, given_name, tags
from labctl.kinds.fakes import ACCOUNT_ID, generic, hex_id
from labctl.kinds.templates import Template, document, folded, tag_list
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import capacity
from labctl.kinds import FREE, Kind, Lookup
from labctl.kinds.replacing import ANY, Replaces, TF_NO_UPDATE, autonamed

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answer, Answered, Args, FakeCloud


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


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_named(kind: str, id_prefix: str) -> Answer:
    """Roles and instance profiles: named (or prefix plus suffix), global ARNs without a region."""
    def answer(cloud: FakeCloud, args: Args) -> Answered:
        name = cloud.unique_name(args)
        return name, {"name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:{kind}/{name}",
                      "uniqueId": id_prefix + hex_id(f"{cloud.stack}/{args.name}", 17).upper(), "createDate": "2026-11-01T00:00:00Z"}
    return answer


def _fake_get_role(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    """A role that exists before the stack (Learner Lab's LabRole)."""
    name = query["name"]
    return {"id": name, "name": name, "arn": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", "path": "/",
            "uniqueId": f"AROA{hex_id(name, 17).upper()}", "assumeRolePolicy": "{}", "maxSessionDuration": 3600}


LOOKUPS = (
    Lookup("aws:iam/getRole:getRole", _fake_get_role),
)


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _role_properties(b, r):
    i = r.inputs
    return {"RoleName": r.outputs.get("name"), "Description": i.get("description"), "Path": i.get("path"),
            "AssumeRolePolicyDocument": document(i.get("assumeRolePolicy")), "MaxSessionDuration": i.get("maxSessionDuration"),
            "Tags": tag_list(i.get("tags"))}


def _role_policy_properties(b, r):
    return {"RoleName": b.ref(r.inputs.get("role")), "PolicyName": r.inputs.get("name"), "PolicyDocument": document(r.inputs.get("policy"))}


def _instance_profile_properties(b, r):
    return {"InstanceProfileName": r.outputs.get("name"), "Path": r.inputs.get("path"), "Roles": [b.ref(r.inputs.get("role"))]}


_MANAGED_POLICY = folded("aws:iam/role:Role", "role", "ManagedPolicyArns",  # CloudFormation lists them on the role
                         lambda b, r: r.inputs.get("policyArn"), item=True)


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_roles(scan: SweepScan) -> Iterable[Listed]:
    iam = scan.client("iam")
    for role in scan.pages(iam, "list_roles", "Roles"):
        if role.get("Path", "/").startswith("/aws-service-role/"):
            continue  # AWS's own, made and removed by the services
        tags = scan.tag_map(scan.pages(iam, "list_role_tags", "Tags", RoleName=role["RoleName"]))
        yield scan.found("IAM role", role["RoleName"], tags)


def _detach_and_delete_role(scan: SweepScan, item: Listed) -> None:
    iam = scan.client("iam")
    for profile in scan.pages(iam, "list_instance_profiles_for_role", "InstanceProfiles", RoleName=item.id):
        iam.remove_role_from_instance_profile(InstanceProfileName=profile["InstanceProfileName"], RoleName=item.id)
    for policy in scan.pages(iam, "list_attached_role_policies", "AttachedPolicies", RoleName=item.id):
        iam.detach_role_policy(RoleName=item.id, PolicyArn=policy["PolicyArn"])
    for name in scan.pages(iam, "list_role_policies", "PolicyNames", RoleName=item.id):
        iam.delete_role_policy(RoleName=item.id, PolicyName=name)
    iam.delete_role(RoleName=item.id)


def _find_instance_profiles(scan: SweepScan) -> Iterable[Listed]:
    iam = scan.client("iam")
    for profile in scan.pages(iam, "list_instance_profiles", "InstanceProfiles"):
        # listings leave tags out on AWS: GetInstanceProfile has them
        tags = scan.tag_map(iam.get_instance_profile(InstanceProfileName=profile["InstanceProfileName"])["InstanceProfile"].get("Tags"))
        yield scan.found("IAM instance profile", profile["InstanceProfileName"], tags)


def _empty_and_delete_instance_profile(scan: SweepScan, item: Listed) -> None:
    iam = scan.client("iam")
    for role in iam.get_instance_profile(InstanceProfileName=item.id)["InstanceProfile"].get("Roles", []):
        iam.remove_role_from_instance_profile(InstanceProfileName=item.id, RoleName=role["RoleName"])
    iam.delete_instance_profile(InstanceProfileName=item.id)


KINDS = (
    Kind("aws:iam/role:Role", "IAM role", FREE, sweep="IAM role",
         provision_seconds=3,  # IAM is eventually consistent; the provider retries what uses a new role
         replaces=autonamed(),
         capacity=capacity.role,
         fake=_fake_named("role", "AROA"),
         template=Template("AWS::IAM::Role", _role_properties),
         sweep_rule=SweepRule(_find_roles, _detach_and_delete_role, arn_kinds=("iam:role",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_role, delete_call("iam", "delete_role", "RoleName"))),
    Kind("aws:iam/rolePolicy:RolePolicy", "role policy", FREE, sweep_with="goes with its IAM role (deleted before it)",
         provision_seconds=2,
         untagged="an inline policy is part of its role (IAM tags roles, not their inline policies)",
         replaces=autonamed(),
         fake=generic,
         template=Template("AWS::IAM::RolePolicy", _role_policy_properties, referenced=False),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_put_role_policy, _delete_role_policy)),
    Kind("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policy attachment", FREE, sweep_with="goes with its IAM role (detached before it is deleted)",
         provision_seconds=2,
         untagged="an attachment takes no tags (the role and the managed policy do)",
         replaces=Replaces(inputs=(ANY,), source=TF_NO_UPDATE),
         fake=generic,
         template=_MANAGED_POLICY,
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_attach, _delete_role_policy_attachment)),
    Kind("aws:iam/instanceProfile:InstanceProfile", "instance profile", FREE, sweep="IAM instance profile",
         provision_seconds=8,  # the provider waits for the profile to propagate
         replaces=autonamed(),
         fake=_fake_named("instance-profile", "AIPA"),
         template=Template("AWS::IAM::InstanceProfile", _instance_profile_properties),
         sweep_rule=SweepRule(_find_instance_profiles, _empty_and_delete_instance_profile, arn_kinds=("iam:instance-profile",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_instance_profile, _delete_instance_profile)),
)
