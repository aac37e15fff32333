"""LabBucket: an S3 bucket with the lab's defaults, objects, and optional policy, website, CORS."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pulumi
import pulumi_aws as aws

from cloudlabs import content
from cloudlabs.exposure import EXCEPTION_TAG, PUBLIC_BUCKET

from .context import LabContext

def project_relative(path: Path) -> str:
    """A lab content path as Pulumi names it, relative to the project (``labs/...``): Pulumi
    resolves it from the program's directory, and plans of two checkouts (a pull request's base
    and head) then compare equal."""
    return content.shown(path)


CONTENT_TYPES = {".html": "text/html", ".jpg": "image/jpeg", ".png": "image/png", ".txt": "text/plain"}


@dataclass(frozen=True)
class LabObject:
    key: str
    source: Path | None = None  # a file shipped in the repo...
    content: pulumi.Input[str] | None = None  # ...or generated text

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(Path(self.key).suffix.lower(), "application/octet-stream")


@dataclass
class LabBucketArgs:
    purpose: str  # short: part of the globally unique name
    context: LabContext
    account_id: pulumi.Input[str]
    objects: Sequence[LabObject] = ()
    public: bool = False  # lift Block Public Access for a public bucket policy (the lab must be about it)
    policy: Callable[[str], dict[str, Any]] | None = None  # bucket ARN -> policy document
    website: bool = False
    extra_tags: dict[str, str] = field(default_factory=dict)


class LabBucket(pulumi.ComponentResource):
    """A bucket named ``<cohort>-<student>-<purpose>-<account id>`` (S3 names are global),
    force-destroyed with the stack, encrypted (SSE-S3), versioning off, Block Public Access on
    unless the lab makes it public, holding only the lab's own objects; optionally a policy
    (applied after the public-access settings) and a website configuration.

    Outputs: bucket (name), arn, website_endpoint (when a website).
    """

    def __init__(self, name: str, args: LabBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("cloudlabs:storage:LabBucket", name, None, opts)
        ctx = args.context
        child = pulumi.ResourceOptions(parent=self)
        bucket_name = pulumi.Output.concat(f"{ctx.cohort}-{ctx.student}-{args.purpose}-", args.account_id)
        self.bucket = aws.s3.Bucket(name, bucket=bucket_name, force_destroy=True,
                                    tags={**ctx.tags(f"bucket-{args.purpose}"), **args.extra_tags,
                                          **({EXCEPTION_TAG: PUBLIC_BUCKET} if args.public else {})}, opts=child)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption", bucket=self.bucket.id,
            rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}], opts=child)
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access", bucket=self.bucket.id, block_public_acls=True, ignore_public_acls=True,
            block_public_policy=not args.public, restrict_public_buckets=not args.public, opts=child)
        for obj in args.objects:
            source: dict[str, Any] = {"content": obj.content}
            if obj.source:
                # Read now, through the content checks: a link or a device in labs/ never reaches the
                # bucket. The digest is the object's identity in the graph (a changed picture is a
                # diff) and, as the provider's source_hash, makes a real `up` replace the object's body.
                source = {"source": pulumi.FileAsset(project_relative(obj.source)),
                          "source_hash": content.file_digest(obj.source)}
            aws.s3.BucketObjectv2(f"{name}-{obj.key.replace('/', '-').lower()}", bucket=self.bucket.id, key=obj.key,
                                  content_type=obj.content_type, tags=ctx.tags(f"bucket-{args.purpose}/{obj.key}"),
                                  opts=child, **source)
        self.website_endpoint: pulumi.Output[str] | None = None
        if args.website:
            site = aws.s3.BucketWebsiteConfiguration(
                f"{name}-website", bucket=self.bucket.id, index_document={"suffix": "index.html"},
                error_document={"key": "error.html"}, opts=child)
            self.website_endpoint = site.website_endpoint
        if args.policy is not None:
            policy = args.policy
            document = self.bucket.arn.apply(lambda arn: json.dumps(policy(arn), indent=2, sort_keys=True))
            aws.s3.BucketPolicy(f"{name}-policy", bucket=self.bucket.id, policy=document,
                                opts=pulumi.ResourceOptions(parent=self, depends_on=[block]))
        self.name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket": self.name, "arn": self.arn, "website_endpoint": self.website_endpoint})
