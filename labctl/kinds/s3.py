"""S3: buckets, their settings and objects."""

from __future__ import annotations

import base64
import urllib.parse
from typing import Any, Callable, Iterable, TYPE_CHECKING

from cloudlabs import content
from labctl.kinds.emulation import Emulator, delete_call, named, pascal, tags
from labctl.kinds.guards import Guard
from labctl.kinds.fakes import generic, hex_id
from labctl.kinds.templates import Alias, Template, document, folded, renamed
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan
from labctl.kinds import drawing
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import FREE, USAGE, Kind
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, WITH_BUCKET, Found, Listing, LiveRead, everything
from labctl.kinds.replacing import BRIDGE_AUTONAME, Replaces
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_bucket(aws, i, name):
    bucket = named(i, name, 63, key="bucket", prefix_key="bucketPrefix").lower()
    s3 = aws("s3")
    region = aws.region
    s3.create_bucket(Bucket=bucket, **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    if tags(i):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags(i)})
    return bucket, {"forceDestroy": bool(i.get("forceDestroy"))}


def _bucket_part(call: str, argument: str, build: Callable[[dict], Any]) -> Callable:
    """A bucket's sub-resource (policy, public access block, encryption, website, CORS): one put call."""
    def create(aws, i, name):
        getattr(aws("s3"), call)(Bucket=i["bucket"], **{argument: build(i)})
        return i["bucket"], {}
    return create


def _website(i: dict) -> dict:
    config = {k[:1].upper() + k[1:]: pascal(i[k]) for k in ("indexDocument", "errorDocument", "redirectAllRequestsTo") if i.get(k)}
    if i.get("routingRules"):
        config["RoutingRules"] = pascal(i["routingRules"])
    return config


def _create_website(aws, i, name):
    bucket, _ = _bucket_part("put_bucket_website", "WebsiteConfiguration", _website)(aws, i, name)
    domain = f"s3-website-{aws.region}.amazonaws.com"
    return bucket, {"outputs": {"websiteDomain": domain, "websiteEndpoint": f"{bucket}.{domain}"}}


def _create_object(aws, i, name):
    args: dict[str, Any] = {"Bucket": i["bucket"], "Key": i["key"]}
    source = i.get("source") or {}
    if i.get("content") is not None:
        args["Body"] = str(i["content"]).encode()
    elif i.get("contentBase64") is not None:
        args["Body"] = base64.b64decode(i["contentBase64"])
    elif source.get("path"):
        args["Body"] = content.read_bytes(content.project_path(source["path"]))  # as Pulumi reads it, but labs/ only
    elif source.get("text") is not None:
        args["Body"] = str(source["text"]).encode()
    else:
        raise ValueError(f"{name}: the object's content is neither content, contentBase64 nor a file or text asset")
    for key, arg in (("contentType", "ContentType"), ("cacheControl", "CacheControl"), ("contentEncoding", "ContentEncoding")):
        if i.get(key):
            args[arg] = i[key]
    if i.get("tags"):
        args["Tagging"] = urllib.parse.urlencode({k: str(v) for k, v in i["tags"].items()})
    aws("s3").put_object(**args)
    return i["key"], {"bucket": i["bucket"]}


def _empty_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})


def _delete_bucket(aws, bucket: str, extra: dict) -> None:
    if extra.get("forceDestroy"):  # as the provider does: empty it first
        _empty_bucket(aws("s3"), bucket)
    aws("s3").delete_bucket(Bucket=bucket)


def _delete_bucket_objectv2(aws, rid, x):
    aws("s3").delete_object(Bucket=x["bucket"], Key=rid)


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_bucket(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs.get("bucket") or (args.inputs.get("bucketPrefix") or "terraform-") + hex_id(cloud.stack + args.name, 26)
    return name, {"bucket": name, "arn": f"arn:aws:s3:::{name}", "bucketDomainName": f"{name}.s3.amazonaws.com",
                  "bucketRegionalDomainName": f"{name}.s3.{cloud.region}.amazonaws.com", "region": cloud.region,
                  "hostedZoneId": "Z3AQBSTGFYJSTF"}


def _fake_website(cloud: FakeCloud, args: Args) -> Answered:
    bucket = args.inputs["bucket"]
    return bucket, {"websiteEndpoint": f"{bucket}.s3-website-{cloud.region}.amazonaws.com",
                    "websiteDomain": f"s3-website-{cloud.region}.amazonaws.com"}


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _in_bucket(prop: str, convert: Callable[[dict], Any]) -> Template:
    """A bucket's setting: CloudFormation has it as a property of the bucket."""
    return folded("aws:s3/bucket:Bucket", "bucket", prop, lambda b, r: convert(r.inputs))


def _cors_configuration(i: dict) -> dict:
    return {"CorsRules": [{"AllowedHeaders": c.get("allowedHeaders"), "AllowedMethods": c.get("allowedMethods"),
                           "AllowedOrigins": c.get("allowedOrigins"), "MaxAge": c.get("maxAgeSeconds")}
                          for c in i.get("corsRules") or []]}


def _website_configuration(i: dict) -> dict:
    return {"IndexDocument": (i.get("indexDocument") or {}).get("suffix"),
            "ErrorDocument": (i.get("errorDocument") or {}).get("key")}


def _bucket_encryption(i: dict) -> dict:
    return {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")},
         "BucketKeyEnabled": rule.get("bucketKeyEnabled")} for rule in i.get("rules") or []]}


def _public_access_block(i: dict) -> dict:
    return {"BlockPublicAcls": i.get("blockPublicAcls"), "BlockPublicPolicy": i.get("blockPublicPolicy"),
            "IgnorePublicAcls": i.get("ignorePublicAcls"), "RestrictPublicBuckets": i.get("restrictPublicBuckets")}


_BY_NAME = Alias(input="bucket")  # others name a bucket by its name, which is its Ref


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_buckets(scan: SweepScan) -> Iterable[Listed]:
    s3 = scan.client("s3")
    for bucket in s3.list_buckets().get("Buckets", []):
        name = bucket["Name"]
        try:
            where = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
        except Exception as err:  # noqa: BLE001 - deleted between the listing and now
            if scan.is_gone(err):
                continue
            raise
        if where != scan.region:
            continue  # the sweep of its own region finds it
        try:
            tags = scan.tag_map(s3.get_bucket_tagging(Bucket=name).get("TagSet"))
        except Exception as err:  # noqa: BLE001 - NoSuchTagSet: a bucket without tags
            if "NoSuchTagSet" not in str(err) and not scan.is_gone(err):
                raise
            tags = {}
        yield scan.found("bucket", name, tags)


def _empty_and_delete_bucket(scan: SweepScan, item: Listed) -> None:
    s3 = scan.client("s3")
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=item.id):
        objects = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if objects:
            s3.delete_objects(Bucket=item.id, Delete={"Objects": objects, "Quiet": True})
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=item.id):
        objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if objects:
            s3.delete_objects(Bucket=item.id, Delete={"Objects": objects, "Quiet": True})
    s3.delete_bucket(Bucket=item.id)


_SWEPT_BUCKETS = SweepRule(_find_buckets, _empty_and_delete_bucket, arn_kinds=("s3:bucket",))  # Bucket and BucketV2 alike


# --- live reads: how the live reader (labctl.ops.live) finds each kind in AWS ----------------------

BUCKETS = Listing("s3", "list_buckets", "Buckets", everything)


def _read_bucket(bucket, reading):
    """The student's buckets (named <cohort>-<student>-<purpose>-<account>) with what decides access to
    them: the policy, Block Public Access and the CORS rules. The bucket's own tags name the student
    (its name only narrows: cohort ``demo`` with student ``net-1`` and cohort ``demo-net`` share a prefix)."""
    import json

    from botocore.exceptions import ClientError
    s3, name = reading.client("s3"), bucket["Name"]
    if not name.startswith(f"{reading.cohort}-{reading.student}-"):
        return
    try:
        if not reading.owns(s3.get_bucket_tagging(Bucket=name).get("TagSet")):
            return
    except ClientError:
        return  # NoSuchTagSet: not a lab's bucket

    def part(call: str, key: str, absent: Any, parse: Callable = lambda value: value) -> Any:
        try:
            return parse(getattr(s3, call)(Bucket=name)[key])
        except ClientError:  # NoSuchBucketPolicy, NoSuchPublicAccessBlockConfiguration, NoSuchCORSConfiguration
            return absent
    yield Found(name, None, {"bucket": name}, {"policy": part("get_bucket_policy", "Policy", None, json.loads),
                                              "publicAccessBlock": part("get_public_access_block", "PublicAccessBlockConfiguration", {}),
                                              "corsRules": part("get_bucket_cors", "CORSRules", [])})


# A bucket's configuration resources (aws_s3_bucket_*): the bucket forces a new one, the rest changes in place.
_OF_ITS_BUCKET = Replaces(inputs=("bucket",), source="the Terraform AWS provider's aws_s3_bucket_* configuration resources: "
                                                    "only the bucket forces a new one")

KINDS = (
    Kind("aws:s3/bucket:Bucket", "bucket", USAGE, "storage and requests: a lab's few KB cost fractions of a cent", sweep="bucket",
         quota=quotas.one("buckets"),
         provision_seconds=3,
         replaces=Replaces(autoname="bucket", loses="a bucket's objects", source=BRIDGE_AUTONAME),
         diagram=drawing.BUCKET,
         fake=_fake_bucket,
         template=renamed("AWS::S3::Bucket", {"bucket": "BucketName"}, own=("bucket",), aliases=(_BY_NAME,)),
         access_role="bucket",
         shows_deployed=True,
         sweep_rule=_SWEPT_BUCKETS,
         live=LiveRead(BUCKETS, _read_bucket),
         reach_reason="not in a VPC: who may read it is the bucket access checks' (labctl.analysis.access)",
         emulator=Emulator(_create_bucket, _delete_bucket)),
    Kind("aws:s3/bucketV2:BucketV2", "bucket", USAGE, "storage and requests", emulated="no lab creates one: the emulator has no handler for it yet", sweep="bucket",
         quota=quotas.one("buckets"),
         provision_seconds=3,
         replaces=Replaces(inputs=("bucket",), autoname="bucket", loses="a bucket's objects", source=BRIDGE_AUTONAME),
         diagram=drawing.BUCKET,
         fake=generic,
         live_reason="the same bucket in AWS: read as a Bucket",
         reach_reason="not in a VPC: who may read it is the bucket access checks' (labctl.analysis.access)",
         sweep_rule=_SWEPT_BUCKETS),
    Kind("aws:s3/bucketPolicy:BucketPolicy", "bucket policy", FREE, sweep_with="goes with its bucket",
         provision_seconds=2,
         untagged="a bucket setting, tagged with its bucket",
         fake=generic,
         template=Template("AWS::S3::BucketPolicy", lambda b, r: {"Bucket": b.ref(r.inputs.get("bucket")), "PolicyDocument": document(r.inputs.get("policy"))}, referenced=False),
         live_reason=WITH_BUCKET,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_bucket_part("put_bucket_policy", "Policy", lambda i: i["policy"]), delete_call("s3", "delete_bucket_policy", "Bucket"))),
    Kind("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "public access block", FREE, sweep_with="goes with its bucket",
         provision_seconds=2,
         replaces=_OF_ITS_BUCKET,
         guard=Guard(blocks_public=("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"), blocks_for="bucket"), untagged="a bucket setting, tagged with its bucket",
         fake=generic,
         template=_in_bucket("PublicAccessBlockConfiguration", _public_access_block),
         live_reason=WITH_BUCKET,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_bucket_part("put_public_access_block", "PublicAccessBlockConfiguration", lambda i: {
            arg: bool(i.get(key, False)) for key, arg in (("blockPublicAcls", "BlockPublicAcls"), ("ignorePublicAcls", "IgnorePublicAcls"),
                                                          ("blockPublicPolicy", "BlockPublicPolicy"),
                                                          ("restrictPublicBuckets", "RestrictPublicBuckets"))}), delete_call("s3", "delete_public_access_block", "Bucket"))),
    Kind("aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration", "website configuration", FREE, sweep_with="goes with its bucket",
         provision_seconds=2,
         replaces=_OF_ITS_BUCKET,
         untagged="a bucket setting, tagged with its bucket",
         fake=_fake_website,
         template=_in_bucket("WebsiteConfiguration", _website_configuration),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_website, delete_call("s3", "delete_bucket_website", "Bucket"))),
    Kind("aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "CORS configuration", FREE, sweep_with="goes with its bucket",
         provision_seconds=2,
         replaces=_OF_ITS_BUCKET,
         untagged="a bucket setting, tagged with its bucket",
         fake=generic,
         template=_in_bucket("CorsConfiguration", _cors_configuration),
         live_reason=WITH_BUCKET,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_bucket_part("put_bucket_cors", "CORSConfiguration", lambda i: {"CORSRules": pascal(i["corsRules"], {"id": "ID"})}), delete_call("s3", "delete_bucket_cors", "Bucket"))),
    Kind("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "encryption configuration", FREE, sweep_with="goes with its bucket",
         provision_seconds=2,
         replaces=_OF_ITS_BUCKET,
         untagged="a bucket setting, tagged with its bucket",
         fake=generic,
         template=_in_bucket("BucketEncryption", _bucket_encryption),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_bucket_part("put_bucket_encryption", "ServerSideEncryptionConfiguration", lambda i: {"Rules": pascal(
            i["rules"], {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"})}), delete_call("s3", "delete_bucket_encryption", "Bucket"))),
    Kind("aws:s3/bucketObjectv2:BucketObjectv2", "object", USAGE, "storage of a few KB: fractions of a cent per month", sweep_with="goes with its bucket (emptied before it is deleted)", no_template="S3 objects are data uploaded with PutObject, not CloudFormation resources",
         provision_seconds=1,
         replaces=Replaces(inputs=("bucket", "key"), source="aws_s3_object: an object is its bucket and key; its content changes in place (a new PutObject)"),
         fake=generic,
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_object, _delete_bucket_objectv2)),
)
