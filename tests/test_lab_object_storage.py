"""object-storage (chapter 9): buckets, public access, every policy statement, websites, CORS, the endpoint."""

from __future__ import annotations

import json

import pytest

from cloudlabs.settings import SettingsError, parse_settings

from .conftest import SOURCE, config, lab_graph
from .graphtools import INSTANCE, associations, instances, subnets

BUCKET = "aws:s3/bucket:Bucket"
BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
WEBSITE = "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration"
CORS = "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration"
OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
PURPOSES = ("private", "public", "jpg", "png", "site1", "site2", "vpce")
PUBLIC = {"public", "jpg", "site1", "site2"}


def name(purpose: str) -> str:
    return f"test-s01-{purpose}-123456789012"


def by_bucket(graph, type_token):
    return {r.inputs["bucket"]: r for r in graph.of_type(type_token)}


def statements(graph) -> dict[str, list[dict]]:
    return {bucket: json.loads(p.inputs["policy"])["Statement"] for bucket, p in by_bucket(graph, POLICY).items()}


@pytest.mark.parametrize("stage,policies,cors", [("starter", 2, 0), ("solution", 6, 1)])
def test_kinds_and_counts(stage, policies, cors):
    counts = lab_graph("object-storage", stage=stage).type_counts()
    assert (counts[BUCKET], counts[BLOCK], counts[SSE], counts[WEBSITE], counts[OBJECT]) == (7, 7, 7, 2, 17)
    assert (counts.get(POLICY, 0), counts.get(CORS, 0), counts[ENDPOINT], counts[INSTANCE]) == (policies, cors, 1, 2)


def test_buckets_are_unique_per_student_encrypted_and_force_destroyed():
    graph = lab_graph("object-storage")
    buckets = {b.inputs["bucket"]: b for b in graph.of_type(BUCKET)}
    assert set(buckets) == {name(p) for p in PURPOSES}
    assert all(b.inputs["forceDestroy"] is True for b in buckets.values())  # nothing survives pulumi destroy
    sse = by_bucket(graph, SSE)
    assert all(sse[n].inputs["rules"] == [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}] for n in buckets)
    assert not graph.of_type("aws:s3/bucketVersioning:BucketVersioning")  # versioning off


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_public_access_only_where_the_lab_is_about_it(stage):
    blocks = by_bucket(lab_graph("object-storage", stage=stage), BLOCK)
    for purpose in PURPOSES:
        b = blocks[name(purpose)].inputs
        assert b["blockPublicAcls"] is True and b["ignorePublicAcls"] is True
        # with the cors part, the two websites work in the starter too (only the CORS rule is missing)
        public = purpose in PUBLIC and (stage == "solution" or purpose in ("site1", "site2"))
        assert b["blockPublicPolicy"] is (not public) and b["restrictPublicBuckets"] is (not public), purpose


def test_every_policy_statement_by_statement():
    graph = lab_graph("object-storage")
    policy = statements(graph)
    arn = lambda p: f"arn:aws:s3:::{name(p)}"  # noqa: E731
    for purpose in ("public", "site1", "site2"):
        assert policy[name(purpose)] == [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                          "Action": "s3:GetObject", "Resource": f"{arn(purpose)}/*"}]
    assert policy[name("jpg")] == [{"Sid": "ReadOnlyJPG", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                    "Resource": f"{arn('jpg')}/*.JPG"}]  # upper case: number1.jpg would be denied
    assert policy[name("png")] == [{"Sid": "PNGFromCampus", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                    "Resource": f"{arn('png')}/*.PNG",
                                    "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]
    (endpoint,) = graph.of_type(ENDPOINT)
    assert policy[name("vpce")] == [{"Sid": "ReadThroughTheLabEndpoint", "Effect": "Allow", "Principal": "*",
                                     "Action": "s3:GetObject", "Resource": f"{arn('vpce')}/*",
                                     "Condition": {"StringEquals": {"aws:SourceVpce": endpoint.id}}}]
    assert name("private") not in policy


def test_starter_has_two_working_sites_and_no_cors_rule():
    """The CORS lesson starts from two working websites and the browser's CORS error; every other
    bucket is private (the book's "Access Denied")."""
    graph = lab_graph("object-storage", stage="starter")
    assert set(statements(graph)) == {name("site1"), name("site2")} and not graph.of_type(CORS)
    out = graph.outputs["object-storage"]["cors"]
    assert out["allowedOrigins"] == [] and "CORS error" in out["expect"]


def test_website_without_cors_starts_private():
    graph = lab_graph("object-storage", stage="starter", options={"parts": ["website"]})
    assert not graph.of_type(POLICY)
    assert by_bucket(graph, BLOCK)[name("site1")].inputs["blockPublicPolicy"] is True


def test_objects_are_the_labs_own_files():
    graph = lab_graph("object-storage")
    objects = {(o.inputs["bucket"], o.inputs["key"]): o for o in graph.of_type(OBJECT)}
    assert {k for b, k in objects if b == name("jpg")} == {
        "top_folder/folder1/number1.JPG", "top_folder/folder1/orangebucket.PNG",
        "top_folder/folder2/number2.JPG", "top_folder/folder2/greenbucket.PNG"}
    assert {k for b, k in objects if b == name("site1")} == {"index.html", "MapleLeaf.jpg", "error.html"}
    assert objects[(name("site1"), "MapleLeaf.jpg")].inputs["contentType"] == "image/jpeg"
    assert objects[(name("jpg"), "top_folder/folder2/greenbucket.PNG")].inputs["contentType"] == "image/png"
    for o in graph.of_type(OBJECT):
        source = o.inputs.get("source")
        if source is not None:  # shipped files, relative to the project (the same in every checkout)
            assert source["path"].startswith("labs/object-storage/"), source
            assert source["path"].endswith(o.inputs["key"].split("/")[-1]) or o.inputs["key"] == "index.html"


def test_two_websites_and_the_cors_rule_that_lets_site1_load_site2():
    graph = lab_graph("object-storage")
    sites = by_bucket(graph, WEBSITE)
    for purpose in ("site1", "site2"):
        site = sites[name(purpose)]
        assert site.inputs["indexDocument"] == {"suffix": "index.html"} and site.inputs["errorDocument"] == {"key": "error.html"}
    site1_endpoint = sites[name("site1")].outputs["websiteEndpoint"]
    site2_endpoint = sites[name("site2")].outputs["websiteEndpoint"]
    assert site1_endpoint == f"{name('site1')}.s3-website-us-east-1.amazonaws.com"
    (cors,) = graph.of_type(CORS)
    assert cors.inputs["bucket"] == name("site2")
    assert cors.inputs["corsRules"] == [{"allowedOrigins": [f"http://{site1_endpoint}"], "allowedMethods": ["GET"],
                                         "allowedHeaders": ["*"], "maxAgeSeconds": 300}]
    index = [o for o in graph.of_type(OBJECT) if o.inputs["bucket"] == name("site1") and o.inputs["key"] == "index.html"][0]
    assert f'fetch("http://{site2_endpoint}/index.html")' in index.inputs["content"]
    assert graph.outputs["object-storage"]["website"]["url"] == f"http://{site1_endpoint}/"


def test_gateway_endpoint_for_the_private_subnet_scoped_to_the_labs_bucket():
    graph = lab_graph("object-storage")
    (endpoint,) = graph.of_type(ENDPOINT)
    assert (endpoint.inputs["serviceName"], endpoint.inputs["vpcEndpointType"]) == ("com.amazonaws.us-east-1.s3", "Gateway")
    tables = {t.id: t for t in graph.of_type("aws:ec2/routeTable:RouteTable")}
    (table_id,) = endpoint.inputs["routeTableIds"]
    assert tables[table_id].inputs["tags"]["Name"] == "VPC-RT-Private"
    assert associations(graph)["SN-96"] == "VPC-RT-Private"
    assert subnets(graph)["SN-96"].inputs["cidrBlock"] == "10.1.96.0/20"
    assert json.loads(endpoint.inputs["policy"])["Statement"] == [{
        "Sid": "OnlyTheLabBuckets", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": [f"arn:aws:s3:::{name('vpce')}", f"arn:aws:s3:::{name('vpce')}/*"]}]
    host = instances(graph)["vpce-host"]
    assert host.inputs["subnetId"] == subnets(graph)["SN-96"].id and host.inputs["associatePublicIpAddress"] is False
    assert f"https://{name('vpce')}.s3.us-east-1.amazonaws.com/endpoint-test.txt" in host.inputs["userData"]


def test_parts_option_and_its_rule():
    graph = lab_graph("object-storage", options={"parts": ["jpg-only"]})
    assert [b.inputs["bucket"] for b in graph.of_type(BUCKET)] == [name("jpg")] and not graph.of_type(INSTANCE)
    with pytest.raises(SettingsError) as caught:
        parse_settings(config(labs=[{"lab": "object-storage", "options": {"parts": ["cors"]}}]), SOURCE)
    assert "cloudlabs:labs[0].options.parts" in str(caught.value)
