"""IAM: roles, their policies and instance profiles (global, free)."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:iam/role:Role", "IAM role", FREE),
    Kind("aws:iam/rolePolicy:RolePolicy", "role policy", FREE),
    Kind("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "policy attachment", FREE),
    Kind("aws:iam/instanceProfile:InstanceProfile", "instance profile", FREE),
)
