"""IAM: roles, their policies and instance profiles (global, free)."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:iam/role:Role", "IAM role", FREE, sweep="IAM role"),
    Kind("aws:iam/rolePolicy:RolePolicy", "role policy", FREE, sweep_with="goes with its IAM role (deleted before it)"),
    Kind("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policy attachment", FREE, sweep_with="goes with its IAM role (detached before it is deleted)"),
    Kind("aws:iam/instanceProfile:InstanceProfile", "instance profile", FREE, sweep="IAM instance profile"),
)
