"""object-storage (chapter 9): buckets and their policies, static websites with CORS, a gateway endpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import json

import pulumi
import pulumi_aws as aws

from cloudlabs import REPO_ROOT
from cloudlabs import policies
from cloudlabs.labs.object_storage import ObjectStorageOptions
from cloudlabs.images import AMAZON_LINUX_2023

from cloudlabs.labs import object_storage

from ..compute import Bastion, BastionArgs, InstanceArgs, lab_instance, lookup_ami, zones_offering
from ..network import LabVpc, LabVpcArgs
from ..security import ANYWHERE, HTTPS, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from ..storage import LabBucket, LabBucketArgs, LabObject
from .base import LabArgs, LabComponent

FILES = REPO_ROOT / "labs" / "object-storage"
SUFFIX_OBJECTS = ("top_folder/folder1/number1.JPG", "top_folder/folder1/orangebucket.PNG",
                  "top_folder/folder2/number2.JPG", "top_folder/folder2/greenbucket.PNG")


def files(*keys: str) -> list[LabObject]:
    return [LabObject(key, FILES / Path(key).name) for key in keys]


def _website(bucket: LabBucket) -> pulumi.Output[str]:
    if bucket.website_endpoint is None:
        raise ValueError("a website bucket was built without a website configuration")
    return bucket.website_endpoint


def _private_table(vpc: LabVpc) -> aws.ec2.RouteTable:
    if vpc.private_route_table is None:
        raise ValueError("the endpoint's VPC has no private route table")
    return vpc.private_route_table


class ObjectStorageLab(LabComponent[ObjectStorageOptions]):
    """The chapter's buckets, one per part (option `parts`). Public access exists only where the
    part is about it (public-read, jpg-only, the two websites) and those buckets hold only the
    lab's own files; png-from-admin stays behind Block Public Access because an IP-conditioned
    policy is not public. Every bucket is encrypted, unversioned and force-destroyed.

    Stages: in the `starter` every bucket is private (the book's "Access Denied") except, with the
    `cors` part, the two websites: the CORS lesson starts from two working sites and the browser's
    CORS error (so with `cors` the website part's own starter, a private bucket, is not offered).

    `endpoint`: a private host in SN-96 (no NAT, no internet) reads a bucket through an S3 gateway
    endpoint on SN-96's route table; the endpoint's policy reaches only the lab's buckets and the
    bucket admits reads only through that endpoint. A bastion in SN-0 is the way in.
    """

    TYPE = "cloudlabs:labs:ObjectStorage"
    LAB = object_storage.LAB

    def build(self, name: str, args: LabArgs[ObjectStorageOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        solution = ctx.stage == "solution"
        account = aws.get_caller_identity_output().account_id
        parts = set(options.parts)
        out: dict[str, Any] = {}

        def bucket(purpose: str, objects, public: bool = False, policy=None, website=False,
                   in_starter: bool = False) -> LabBucket:
            """In the starter a bucket is private (the book's "Access Denied") unless ``in_starter``:
            the CORS lesson starts from two working websites."""
            opened = solution or in_starter
            return LabBucket(f"{name}-{purpose}", LabBucketArgs(
                purpose=purpose, context=ctx, account_id=account, objects=objects, public=public and opened,
                policy=policy if opened else None, website=website), opts=self.child)

        def url(b: LabBucket, key: str) -> pulumi.Output[str]:
            return b.name.apply(lambda n: f"https://{n}.s3.amazonaws.com/{key}")

        if "private" in parts:
            b = bucket("private", files("Capture.PNG"))
            out["private"] = {"bucket": b.name, "object": url(b, "Capture.PNG"), "expect": "AccessDenied"}
        if "public-read" in parts:
            b = bucket("public", files("Capture.PNG"), public=True, policy=policies.public_read)
            out["publicRead"] = {"bucket": b.name, "object": url(b, "Capture.PNG")}
        if "jpg-only" in parts:
            b = bucket("jpg", files(*SUFFIX_OBJECTS), public=True, policy=lambda arn: policies.suffix_read(arn, "*.JPG"))
            out["jpgOnly"] = {"bucket": b.name, "readable": [url(b, k) for k in SUFFIX_OBJECTS if k.endswith(".JPG")],
                              "denied": [url(b, k) for k in SUFFIX_OBJECTS if k.endswith(".PNG")]}
        if "png-from-admin" in parts:
            b = bucket("png", files(*SUFFIX_OBJECTS),
                       policy=lambda arn: policies.suffix_from_cidr(arn, "*.PNG", str(ctx.admin_cidr)))
            out["pngFromAdmin"] = {"bucket": b.name, "readableFromAdminCidr": [url(b, k) for k in SUFFIX_OBJECTS if k.endswith(".PNG")]}
        if "website" in parts:
            site2 = None
            cors = "cors" in parts  # its starter: both sites work, site 1's fetch of site 2 is refused by CORS
            if cors:
                site2 = bucket("site2", [LabObject("index.html", FILES / "site2.html"), *files("MapleLeafBlue.jpg", "error.html")],
                               public=True, policy=policies.public_read, website=True, in_starter=True)
            index = (LabObject("index.html", FILES / "index.html") if site2 is None else LabObject(
                "index.html", content=_website(site2).apply(
                    lambda endpoint: (FILES / "cors-index.html.tmpl").read_text().replace("{site2}", endpoint))))
            site1 = bucket("site1", [index, *files("MapleLeaf.jpg", "error.html")], public=True,
                           policy=policies.public_read, website=True, in_starter=cors)
            out["website"] = {"bucket": site1.name, "url": _website(site1).apply(lambda e: f"http://{e}/")}
            if site2 is not None:
                origins = _website(site1).apply(lambda e: [f"http://{e}"])
                if solution:  # the CORS rule belongs to website 2 and names website 1's origin
                    aws.s3.BucketCorsConfiguration(
                        f"{name}-site2-cors", bucket=site2.bucket.id,
                        cors_rules=[{"allowed_origins": origins, "allowed_methods": ["GET"], "allowed_headers": ["*"],
                                     "max_age_seconds": 300}], opts=pulumi.ResourceOptions(parent=site2))
                out["cors"] = {"site2": site2.name, "site2Url": _website(site2).apply(lambda e: f"http://{e}/"),
                               "allowedOrigins": origins if solution else []}
                if not solution:
                    out["cors"]["expect"] = ("both sites load; site 1's request to site 2 fails with a CORS error in the "
                                             "browser console until site 2's CORS rule allows site 1's origin")
        if "endpoint" in parts:
            out["endpoint"] = self._endpoint_part(name, args, account)
        return out

    def _endpoint_part(self, name: str, args: LabArgs, account: pulumi.Output[str]) -> dict[str, Any]:
        ctx = args.context
        solution = ctx.stage == "solution"
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type)),
                     opts=self.child)
        target = LabBucket(f"{name}-vpce", LabBucketArgs(purpose="vpce", context=ctx, account_id=account,
                                                          objects=files("endpoint-test.txt")), opts=self.child)
        endpoint = aws.ec2.VpcEndpoint(
            f"{name}-s3-endpoint", vpc_id=vpc.vpc_id, service_name=f"com.amazonaws.{ctx.region}.s3",
            vpc_endpoint_type="Gateway", route_table_ids=[_private_table(vpc).id],
            policy=target.arn.apply(lambda arn: json.dumps(policies.endpoint_scope([arn]), indent=2, sort_keys=True)),
            tags=ctx.tags("S3-gateway-endpoint"), opts=self.child)
        if solution:
            aws.s3.BucketPolicy(
                f"{name}-vpce-policy", bucket=target.bucket.id,
                policy=pulumi.Output.all(target.arn, endpoint.id).apply(
                    lambda v: json.dumps(policies.through_endpoint(v[0], v[1]), indent=2, sort_keys=True)),
                opts=pulumi.ResourceOptions(parent=target))
        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        bastion = Bastion(f"{name}-bastion", BastionArgs(vpc_id=vpc.vpc_id, subnet_id=vpc.subnets["SN-0"].id, ami=ami,
                                                          context=ctx), opts=self.child)
        group = LabSecurityGroup(f"{name}-vpce-host-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="private host: SSH from the bastion, HTTPS out (S3 via the endpoint)",
            group_name="vpce-host-SG", context=ctx,
            rules=[inbound(SSH, bastion.security_group_id, "SSH from the bastion", name="ssh-from-bastion"),
                   outbound(HTTPS, ANYWHERE, "HTTPS out (S3 through the gateway endpoint)", name="https-out")]),
            opts=self.child)
        test = target.name.apply(lambda n: f"curl -fsS https://{n}.s3.{ctx.region}.amazonaws.com/endpoint-test.txt")
        boot = test.apply(lambda cmd: "\n".join([
            "#!/bin/bash",
            "# cloudlabs: read the lab's bucket through the S3 gateway endpoint (this subnet has no internet)",
            f"until {cmd} -o /home/ec2-user/endpoint-test.txt; do sleep 30; done", ""]))
        host = lab_instance(f"{name}-vpce-host", InstanceArgs(
            subnet_id=vpc.subnets["SN-96"].id, security_group_ids=[group.id], ami=ami, context=ctx, host_name="vpce-host",
            public=False, user_data=boot), parent=self)
        return {"bucket": target.name, "endpointId": endpoint.id, "bastionSsh": bastion.ssh,
                "hostSsh": bastion.ssh_to(AMAZON_LINUX_2023.login_user, host.private_ip), "testFromHost": test}

