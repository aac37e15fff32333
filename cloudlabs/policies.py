"""The bucket and endpoint policies of chapter 9, as plain data (JSON-ready dicts)."""

from __future__ import annotations

from typing import Any, Sequence

VERSION = "2012-10-17"


def _policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": VERSION, "Statement": list(statements)}


def public_read(bucket_arn: str) -> dict[str, Any]:
    """Anyone may read every object (the book's first bucket policy, and its websites)."""
    return _policy({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/*"})


def suffix_read(bucket_arn: str, pattern: str) -> dict[str, Any]:
    """Anyone may read objects whose key matches ``pattern`` like "*.JPG" (case matters: .JPG is
    not .jpg)."""
    return _policy({"Sid": f"ReadOnly{pattern.strip('*.')}", "Effect": "Allow", "Principal": "*",
                    "Action": "s3:GetObject", "Resource": f"{bucket_arn}/{pattern}"})


def object_read(bucket_arn: str, key: str) -> dict[str, Any]:
    """Anyone may read one object, named by its exact key; the rest of the bucket stays private
    (chapter 9's coursework: the button on the EC2 page loads that object, nothing else)."""
    return _policy({"Sid": "ReadOneObject", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                    "Resource": f"{bucket_arn}/{key}"})


def suffix_from_cidr(bucket_arn: str, pattern: str, cidr: str) -> dict[str, Any]:
    """Objects matching ``pattern``, only for requests from the ``cidr`` range."""
    return _policy({"Sid": f"{pattern.strip('*.')}FromCampus", "Effect": "Allow", "Principal": "*",
                    "Action": "s3:GetObject", "Resource": f"{bucket_arn}/{pattern}",
                    "Condition": {"IpAddress": {"aws:SourceIp": cidr}}})


def through_endpoint(bucket_arn: str, endpoint_id: str) -> dict[str, Any]:
    """Reads only through one VPC gateway endpoint: private hosts, no internet, no credentials."""
    return _policy({"Sid": "ReadThroughTheLabEndpoint", "Effect": "Allow", "Principal": "*",
                    "Action": "s3:GetObject", "Resource": f"{bucket_arn}/*",
                    "Condition": {"StringEquals": {"aws:SourceVpce": endpoint_id}}})


def endpoint_scope(bucket_arns: Sequence[str]) -> dict[str, Any]:
    """The endpoint itself reaches only the lab's buckets."""
    resources = [r for arn in bucket_arns for r in (arn, f"{arn}/*")]
    return _policy({"Sid": "OnlyTheLabBuckets", "Effect": "Allow", "Principal": "*",
                    "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": resources})
