"""object-storage (chapter 9): buckets and their policies, static websites with CORS, a gateway endpoint,
and the chapter's coursework (an EC2 web server with content from S3)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import json

import pulumi
import pulumi_aws as aws

from cloudlabs import content
from cloudlabs import policies
from cloudlabs.labs.object_storage import ObjectStorageOptions
from cloudlabs.images import AMAZON_LINUX_2023

from cloudlabs.labs import object_storage

from ..compute import Bastion, BastionArgs, InstanceArgs, WebServer, lab_instance, lookup_ami, zones_offering
from ..network import LabVpc, LabVpcArgs
from ..security import ANYWHERE, HTTP, HTTPS, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound
from ..storage import LabBucket, LabBucketArgs, LabObject
from .base import LabArgs, LabComponent

FOLDER = "object-storage"  # under labs/: the book's pages and pictures


def lab_file(name: str) -> Path:
    return content.lab_path(f"{FOLDER}/{name}")


def template(name: str) -> str:
    """A page template, read now (through the content checks), filled in later with endpoints."""
    return content.read_text(lab_file(name))
SUFFIX_OBJECTS = ("top_folder/folder1/number1.JPG", "top_folder/folder1/orangebucket.PNG",
                  "top_folder/folder2/number2.JPG", "top_folder/folder2/greenbucket.PNG")


def files(*keys: str) -> list[LabObject]:
    return [LabObject(key, lab_file(Path(key).name)) for key in keys]


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

    `coursework` (book ch. 9, “Cloud Elastic Object Storage” › “Chapter 9 Coursework”, all four topologies in one part: see ``object_storage.COURSEWORK_HOST``'s
    comment): a web server in SN-0 (HTTP from anywhere, SSH from the admin CIDR, HTTPS out for its
    package) whose page has one button per object bucket and loads the 1st S3 website by `fetch`;
    the 1st website's page loads the 2nd. How the browser may read an object of a bucket that is
    not a website: a bucket policy letting anyone `s3:GetObject` that one key (the bucket's other
    object stays private), with Block Public Access lifted for the policy of those two buckets
    only (ACLs stay blocked), as the public parts do. Not presigned URLs: made at deploy time they
    expire (7 days at most, hours with the Learner Lab's session credentials) and the page breaks
    before it is graded; made on request they need an instance role the Learner Lab does not let
    students create. Not an `aws:Referer` condition: any client sets that header, so it protects
    nothing and S3 still counts the policy as public. CORS: the 1st website allows
    `http://<web server's public IP>` (`labctl start` runs `pulumi up --refresh`, which rewrites
    the rule when a stop/start changes the IP), the 2nd allows the 1st website's origin. In the
    `starter` the four buckets are private and have no CORS rule: the buttons and fetches fail
    until the student writes the policies and rules.
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
                site2 = bucket("site2", [LabObject("index.html", lab_file("site2.html")), *files("MapleLeafBlue.jpg", "error.html")],
                               public=True, policy=policies.public_read, website=True, in_starter=True)
            cors_page = template("cors-index.html.tmpl") if site2 is not None else ""
            index = (LabObject("index.html", lab_file("index.html")) if site2 is None else LabObject(
                "index.html", content=_website(site2).apply(lambda endpoint: cors_page.replace("{site2}", endpoint))))
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
        made: list[LabVpc] = []

        def vpc() -> LabVpc:
            """One VPC for the endpoint's hosts and the coursework's web server, made when first needed."""
            if not made:
                made.append(LabVpc(f"{name}-vpc", LabVpcArgs(plan=args.layout.vpc("VPC"), context=ctx,
                                                             availability_zones=zones_offering(ctx.instance_type)),
                                   opts=self.child))
            return made[0]

        if "endpoint" in parts:
            out["endpoint"] = self._endpoint_part(name, args, account, vpc())
        if "coursework" in parts:
            out["coursework"] = self._coursework_part(name, args, vpc(), bucket, url)
        return out

    def _coursework_part(self, name: str, args: LabArgs, vpc: LabVpc, bucket, url) -> dict[str, Any]:
        ctx = args.context
        solution = ctx.stage == "solution"
        objects = {purpose: bucket(purpose, files(key, object_storage.COURSEWORK_PRIVATE_KEY), public=True,
                                   policy=lambda arn, key=key: policies.object_read(arn, key))
                   for purpose, key in object_storage.COURSEWORK_OBJECTS.items()}
        site1_name, site2_name = object_storage.COURSEWORK_SITES
        site2 = bucket(site2_name, [LabObject("index.html", lab_file("site2.html")), *files("MapleLeafBlue.jpg", "error.html")],
                       public=True, policy=policies.public_read, website=True)
        site1_page, index_page = template("coursework-site1.html.tmpl"), template("coursework-index.html.tmpl")
        site1_index = LabObject("index.html", content=_website(site2).apply(lambda endpoint: site1_page.replace("{site2}", endpoint)))
        site1 = bucket(site1_name, [site1_index, *files("MapleLeaf.jpg", "error.html")], public=True,
                       policy=policies.public_read, website=True)
        object_urls = [url(objects[p], k) for p, k in object_storage.COURSEWORK_OBJECTS.items()]
        page = pulumi.Output.all(*object_urls, _website(site1)).apply(
            lambda v: index_page
            .replace("{object1}", v[0]).replace("{object2}", v[1]).replace("{site1}", v[2]))
        group = LabSecurityGroup(f"{name}-cw-web-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="coursework web server: HTTP from anywhere, SSH from the admin CIDR, HTTPS out",
            group_name="web-SG", context=ctx,
            rules=[inbound(HTTP, ANYWHERE, "HTTP from anywhere (the page with the buttons)", name="http-from-anywhere"),
                   inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR", name="ssh-from-admin"),
                   outbound(HTTPS, ANYWHERE, "HTTPS out (the web server package)", name="https-out")]), opts=self.child)
        web = WebServer(f"{name}-cw-web", InstanceArgs(
            subnet_id=vpc.subnets["SN-0"].id, security_group_ids=[group.id], ami=lookup_ami(AMAZON_LINUX_2023, ctx.instance_type),
            context=ctx, host_name=object_storage.COURSEWORK_HOST, user_data=page.apply(object_storage.coursework_user_data)),
            opts=self.child)
        if web.public_ip is None:
            raise ValueError("the coursework web server was built without a public address")
        web_origin = web.public_ip.apply(lambda ip: [f"http://{ip}"])
        site1_origin = _website(site1).apply(lambda e: [f"http://{e}"])
        if solution:  # each CORS rule belongs to the website that is read and names the page that reads it
            for site, origins in ((site1, web_origin), (site2, site1_origin)):
                purpose = site1_name if site is site1 else site2_name
                aws.s3.BucketCorsConfiguration(
                    f"{name}-{purpose}-cors", bucket=site.bucket.id,
                    cors_rules=[{"allowed_origins": origins, "allowed_methods": ["GET"], "allowed_headers": ["*"],
                                 "max_age_seconds": 300}], opts=pulumi.ResourceOptions(parent=site))
        result: dict[str, Any] = {
            "url": web.url, "publicIp": web.public_ip, "ssh": web.ssh,
            "buckets": {purpose: b.name for purpose, b in {**objects, site1_name: site1, site2_name: site2}.items()},
            "objectUrls": object_urls,
            "privateObjectUrls": [url(b, object_storage.COURSEWORK_PRIVATE_KEY) for b in objects.values()],
            "site1Url": _website(site1).apply(lambda e: f"http://{e}/"),
            "site2Url": _website(site2).apply(lambda e: f"http://{e}/"),
            "allowedOrigins": {site1_name: web_origin, site2_name: site1_origin} if solution else {},
        }
        if not solution:
            result["expect"] = ("the page loads but its buttons show nothing and the 1st website's fetch fails: write a "
                                "policy letting anyone read each button's object (that key only), make both websites "
                                "public, then a CORS rule on the 1st website allowing the web server's origin (the "
                                "page's http://<public IP>) and one on the 2nd allowing the 1st website's origin")
        return result

    def _endpoint_part(self, name: str, args: LabArgs, account: pulumi.Output[str], vpc: LabVpc) -> dict[str, Any]:
        ctx = args.context
        solution = ctx.stage == "solution"
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

