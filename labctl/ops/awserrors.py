"""What an AWS error means to a teardown: the resource is already gone (a delete that finds nothing
to delete has done its job), or something else still depends on it.

One classifier for the emulator's destroy and the sweep, on AWS and on moto alike: botocore's
``ClientError`` carries the service's error code (``InvalidVpcID.NotFound``, ``NoSuchBucket``,
``DBInstanceNotFound``, ...); the few services that answer a missing resource with a generic code
say so in the message (Auto Scaling: ``ValidationError: AutoScalingGroup name not found``).
"""

from __future__ import annotations

import re

# Error codes meaning "no such resource": EC2's <Kind>.NotFound family (InvalidVpcID.NotFound,
# InvalidGroup.NotFound, InvalidPermission.NotFound, InvalidRoute.NotFound, ...), NatGatewayNotFound,
# ELB's LoadBalancerNotFound / TargetGroupNotFound / ListenerNotFound, RDS's DBInstanceNotFound /
# DBSubnetGroupNotFoundFault, ECR/ECS's RepositoryNotFoundException / ClusterNotFoundException /
# ServiceNotFoundException, S3's NoSuchBucket, IAM's NoSuchEntity.
GONE_CODE = re.compile(r"(\.NotFound|NotFound|NotFoundException|NotFoundFault)$|^NoSuch")
# Services that use a generic code for a missing resource, and the message that says so.
GONE_MESSAGE = re.compile(r"AutoScalingGroup name not found|Launch template .* does not exist|"
                          r"(?:launch template|LaunchTemplate) ID .* does not exist", re.IGNORECASE)
DEPENDENCY_CODES = {"DependencyViolation", "ResourceInUse", "InvalidIPAddress.InUse", "DeleteConflict",
                    "InvalidDBSubnetGroupStateFault", "ClusterContainsServicesException", "RepositoryNotEmptyException",
                    "BucketNotEmpty"}


def error_code(err: BaseException) -> str:
    response = getattr(err, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code") or "")
    return ""


def is_gone(err: BaseException) -> bool:
    """The call failed because the resource it names does not exist (any more)."""
    code = error_code(err)
    if code and GONE_CODE.search(code):
        return True
    return bool(code) and bool(GONE_MESSAGE.search(str(err)))


def is_dependency(err: BaseException) -> bool:
    """The call failed because something else still uses the resource."""
    return error_code(err) in DEPENDENCY_CODES


def aws_text(err: BaseException) -> str:
    """An AWS error as its code and AWS's message (``InvalidSubnet: VPC vpc-... has no internet gateway``), without
    botocore's "An error occurred (...) when calling the ... operation" around them: a student's cause line is
    short (the fleet keeps 200 characters), and AWS's message is the part that says what to fix."""
    response = getattr(err, "response", None)
    code = error_code(err)
    if code:
        message = str((response.get("Error") or {}).get("Message") or "").strip()  # type: ignore[union-attr]
        return f"{code}: {message}" if message else code
    return str(err)
