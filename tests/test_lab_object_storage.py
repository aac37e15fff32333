"""object-storage (chapter 9): buckets, public access, every policy statement, websites, CORS, the endpoint."""

from __future__ import annotations

import json

import pytest

from cloudlabs.settings import SettingsError, parse_settings

from .conftest import SOURCE, config, lab_graph
from .emulated import emulated_stack
from .graphtools import EGRESS, INGRESS, INSTANCE, SG, associations, instances, name_tag, sg_rules, subnets

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


# --- the coursework (book ch. 9, “Cloud Elastic Object Storage” › “Chapter 9 Coursework”): an EC2 web server with content from S3, four topologies in one part ----------

COURSEWORK = {"parts": ["coursework"]}
CW_BUCKETS = ("cw-obj1", "cw-obj2", "cw-site1", "cw-site2")


@pytest.mark.parametrize("stage,policies,cors", [("starter", 0, 0), ("solution", 4, 2)])
def test_coursework_kinds_and_counts(stage, policies, cors):
    counts = lab_graph("object-storage", stage=stage, options=COURSEWORK).type_counts()
    assert (counts[BUCKET], counts[BLOCK], counts[SSE], counts[WEBSITE], counts[OBJECT]) == (4, 4, 4, 2, 10)
    assert (counts.get(POLICY, 0), counts.get(CORS, 0), counts.get(ENDPOINT, 0)) == (policies, cors, 0)
    assert (counts[INSTANCE], counts[SG], counts[INGRESS], counts[EGRESS]) == (1, 1, 2, 1)


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_next_to_every_other_part_shares_the_vpc(stage):
    from cloudlabs.labs.object_storage import ALL_PARTS
    counts = lab_graph("object-storage", stage=stage, options={"parts": list(ALL_PARTS)}).type_counts()
    assert (counts[BUCKET], counts[INSTANCE], counts["aws:ec2/vpc:Vpc"], counts[ENDPOINT]) == (11, 3, 1, 1)
    assert counts[CORS] == (3 if stage == "solution" else 0)


def test_coursework_buckets_and_their_objects():
    graph = lab_graph("object-storage", options=COURSEWORK)
    assert {b.inputs["bucket"] for b in graph.of_type(BUCKET)} == {name(p) for p in CW_BUCKETS}
    assert all(b.inputs["forceDestroy"] is True for b in graph.of_type(BUCKET))
    objects = {(o.inputs["bucket"], o.inputs["key"]) for o in graph.of_type(OBJECT)}
    assert {k for b, k in objects if b == name("cw-obj1")} == {"MapleLeaf.jpg", "Capture.PNG"}
    assert {k for b, k in objects if b == name("cw-obj2")} == {"MapleLeafBlue.jpg", "Capture.PNG"}
    assert {k for b, k in objects if b == name("cw-site1")} == {"index.html", "MapleLeaf.jpg", "error.html"}
    assert {k for b, k in objects if b == name("cw-site2")} == {"index.html", "MapleLeafBlue.jpg", "error.html"}
    sites = by_bucket(graph, WEBSITE)
    assert set(sites) == {name("cw-site1"), name("cw-site2")}  # the object buckets are not websites (book ch. 9, “Cloud Elastic Object Storage” › “Chapter 9 Coursework”)
    for site in sites.values():
        assert site.inputs["indexDocument"] == {"suffix": "index.html"} and site.inputs["errorDocument"] == {"key": "error.html"}


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_public_access_only_in_the_solution_and_never_for_acls(stage):
    blocks = by_bucket(lab_graph("object-storage", stage=stage, options=COURSEWORK), BLOCK)
    for purpose in CW_BUCKETS:
        b = blocks[name(purpose)].inputs
        assert b["blockPublicAcls"] is True and b["ignorePublicAcls"] is True
        assert b["blockPublicPolicy"] is (stage == "starter") and b["restrictPublicBuckets"] is (stage == "starter")


def test_coursework_policies_statement_by_statement():
    graph = lab_graph("object-storage", options=COURSEWORK)
    policy = statements(graph)
    arn = lambda p: f"arn:aws:s3:::{name(p)}"  # noqa: E731
    # one object per bucket, by its exact key: Capture.PNG next to it stays private
    assert policy[name("cw-obj1")] == [{"Sid": "ReadOneObject", "Effect": "Allow", "Principal": "*",
                                        "Action": "s3:GetObject", "Resource": f"{arn('cw-obj1')}/MapleLeaf.jpg"}]
    assert policy[name("cw-obj2")] == [{"Sid": "ReadOneObject", "Effect": "Allow", "Principal": "*",
                                        "Action": "s3:GetObject", "Resource": f"{arn('cw-obj2')}/MapleLeafBlue.jpg"}]
    for site in ("cw-site1", "cw-site2"):
        assert policy[name(site)] == [{"Sid": "PublicRead", "Effect": "Allow", "Principal": "*",
                                       "Action": "s3:GetObject", "Resource": f"{arn(site)}/*"}]


def test_coursework_cors_site1_allows_the_web_server_and_site2_allows_site1():
    graph = lab_graph("object-storage", options=COURSEWORK)
    web = instances(graph)["web"]
    site1 = by_bucket(graph, WEBSITE)[name("cw-site1")].outputs["websiteEndpoint"]
    rules = {c.inputs["bucket"]: c.inputs["corsRules"] for c in graph.of_type(CORS)}
    assert rules == {
        name("cw-site1"): [{"allowedOrigins": [f"http://{web.outputs['publicIp']}"], "allowedMethods": ["GET"],
                            "allowedHeaders": ["*"], "maxAgeSeconds": 300}],
        name("cw-site2"): [{"allowedOrigins": [f"http://{site1}"], "allowedMethods": ["GET"],
                            "allowedHeaders": ["*"], "maxAgeSeconds": 300}]}
    assert graph.outputs["object-storage"]["coursework"]["allowedOrigins"] == {
        "cw-site1": [f"http://{web.outputs['publicIp']}"], "cw-site2": [f"http://{site1}"]}


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_web_server_its_group_and_its_page(stage):
    graph = lab_graph("object-storage", stage=stage, options=COURSEWORK)
    web = instances(graph)["web"]
    assert web.inputs["subnetId"] == subnets(graph)["SN-0"].id and web.inputs["associatePublicIpAddress"] is True
    assert web.inputs["metadataOptions"]["httpTokens"] == "required"
    groups = {g.id: name_tag(g) for g in graph.of_type(SG)}
    assert [groups[g] for g in web.inputs["vpcSecurityGroupIds"]] == ["web-SG"]
    assert sg_rules(graph) == {("web-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-SG", "in", "tcp", 22, 22, "203.0.113.0/24"),
                               ("web-SG", "out", "tcp", 443, 443, "0.0.0.0/0")}
    script = web.inputs["userData"]
    assert "dnf install -y httpd" in script and "cat > /var/www/html/index.html <<'HTML'" in script
    site1 = by_bucket(graph, WEBSITE)[name("cw-site1")].outputs["websiteEndpoint"]
    for text in (f"https://{name('cw-obj1')}.s3.amazonaws.com/MapleLeaf.jpg",
                 f"https://{name('cw-obj2')}.s3.amazonaws.com/MapleLeafBlue.jpg",
                 f'fetch("http://{site1}/index.html")', "Object from bucket 1", "Object from bucket 2"):
        assert text in script, text
    # the page's text reaches the file as written: the here-document ends after the page
    page = script.split("<<'HTML'\n", 1)[1].split("\nHTML\n", 1)[0]
    assert page.startswith("<html>") and page.endswith("</html>") and "{site1}" not in page


def test_coursework_site1_page_loads_site2():
    graph = lab_graph("object-storage", options=COURSEWORK)
    site2 = by_bucket(graph, WEBSITE)[name("cw-site2")].outputs["websiteEndpoint"]
    (index,) = [o for o in graph.of_type(OBJECT) if o.inputs["bucket"] == name("cw-site1") and o.inputs["key"] == "index.html"]
    assert f'fetch("http://{site2}/index.html")' in index.inputs["content"] and "{site2}" not in index.inputs["content"]
    assert index.inputs["contentType"] == "text/html"


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_outputs(stage):
    graph = lab_graph("object-storage", stage=stage, options=COURSEWORK)
    out = graph.outputs["object-storage"]
    assert set(out) == {"coursework"}
    cw = out["coursework"]
    web = instances(graph)["web"]
    assert cw["url"] == f"http://{web.outputs['publicIp']}/" and cw["ssh"] == f"ssh -i labsuser.pem ec2-user@{web.outputs['publicIp']}"
    assert cw["buckets"] == {p: name(p) for p in CW_BUCKETS}
    assert cw["objectUrls"] == [f"https://{name('cw-obj1')}.s3.amazonaws.com/MapleLeaf.jpg",
                                f"https://{name('cw-obj2')}.s3.amazonaws.com/MapleLeafBlue.jpg"]
    assert cw["privateObjectUrls"] == [f"https://{name(p)}.s3.amazonaws.com/Capture.PNG" for p in ("cw-obj1", "cw-obj2")]
    assert cw["site1Url"] == f"http://{name('cw-site1')}.s3-website-us-east-1.amazonaws.com/"
    assert cw["site2Url"] == f"http://{name('cw-site2')}.s3-website-us-east-1.amazonaws.com/"
    if stage == "starter":
        assert cw["allowedOrigins"] == {} and "CORS rule" in cw["expect"]
    else:
        assert "expect" not in cw


def test_coursework_probes_are_the_books_tests():
    from cloudlabs.catalog import LABS
    cw = lab_graph("object-storage", options=COURSEWORK).outputs["object-storage"]["coursework"]
    found = {(p.name, p.url, getattr(p, "status", None)) for p in LABS["object-storage"].probes({"coursework": cw})}
    assert found == {("coursework page", cw["url"], None),
                     ("coursework object 1 readable", cw["objectUrls"][0], 200),
                     ("coursework object 2 readable", cw["objectUrls"][1], 200),
                     ("coursework bucket 1 otherwise private", cw["privateObjectUrls"][0], 403),
                     ("coursework bucket 2 otherwise private", cw["privateObjectUrls"][1], 403),
                     ("coursework website 1", cw["site1Url"], 200), ("coursework website 2", cw["site2Url"], 200)}


def as_aws_reports(graph):
    """The graph as `labctl grade` reads a deployment: each bucket with the policy, Block Public
    Access and CORS rules AWS reports for it (from the program's own resources), the instances
    with their public IPs."""
    from labctl.offline.graph import Resource, StackGraph
    policies = {b: {"Statement": s} for b, s in statements(graph).items()}
    blocks = by_bucket(graph, BLOCK)
    cors = by_bucket(graph, CORS)
    pascal = {"blockPublicAcls": "BlockPublicAcls", "ignorePublicAcls": "IgnorePublicAcls",
              "blockPublicPolicy": "BlockPublicPolicy", "restrictPublicBuckets": "RestrictPublicBuckets"}
    resources = []
    for bucket in graph.of_type(BUCKET):
        n = bucket.inputs["bucket"]
        rules = [{"AllowedOrigins": r["allowedOrigins"], "AllowedMethods": r["allowedMethods"]}
                 for r in (cors[n].inputs["corsRules"] if n in cors else [])]
        resources.append(Resource(f"urn:live::{n}", BUCKET, n, None, True, n, {"bucket": n}, {
            "policy": policies.get(n), "corsRules": rules,
            "publicAccessBlock": {pascal[k]: v for k, v in blocks[n].inputs.items() if k in pascal}}))
    for i in graph.of_type(INSTANCE):
        resources.append(Resource(f"urn:live::{i.id}", INSTANCE, i.id, None, True, i.id, {"tags": i.inputs["tags"]},
                                  {"publicIp": i.outputs.get("publicIp")}))
    return StackGraph(graph.stack, graph.project, graph.settings, {}, resources)


@pytest.mark.parametrize("stage", ["starter", "solution"])
def test_coursework_access_holds_on_what_the_stage_deploys(stage):
    """The access declarations, evaluated as `labctl grade` does: the solution passes them all;
    the starter's buckets deny what the student has to open, and nothing else is open."""
    from labctl.analysis.access import check_access
    results = check_access(as_aws_reports(lab_graph("object-storage", stage=stage, options=COURSEWORK)))
    assert {r.expect.label: r.verdict.allowed for r in results} == {
        "anyone reads cw-obj1/MapleLeaf.jpg": stage == "solution",
        "anyone reads cw-obj1/Capture.PNG": False,
        "anyone reads cw-obj2/MapleLeafBlue.jpg": stage == "solution",
        "anyone reads cw-obj2/Capture.PNG": False,
        "anyone reads cw-site1/index.html": stage == "solution",
        "cw-site1 allows web's origin (CORS)": stage == "solution",
        "anyone reads cw-site2/index.html": stage == "solution",
        "cw-site2 allows cw-site1's origin (CORS)": stage == "solution"}
    assert all(r.passed for r in results)


def test_a_cors_rule_for_another_address_does_not_pass_for_the_web_server():
    from labctl.analysis.access import check_access
    graph = as_aws_reports(lab_graph("object-storage", options=COURSEWORK))
    (site1,) = [r for r in graph.of_type(BUCKET) if r.id == name("cw-site1")]
    site1.outputs["corsRules"] = [{"AllowedOrigins": ["http://192.0.2.1"], "AllowedMethods": ["GET"]}]
    (failed,) = [r for r in check_access(graph) if not r.passed]
    assert failed.expect.label == "cw-site1 allows web's origin (CORS)"
    assert failed.verdict.reason.startswith(f"bucket {name('cw-site1')} has no CORS rule allowing GET from http://198.51.100.")
    for instance in graph.of_type(INSTANCE):
        instance.outputs.pop("publicIp")  # stopped: no public address, no origin
    (failed,) = [r for r in check_access(graph) if not r.passed]
    assert failed.verdict.reason == "no running web instance with a public IP: no origin to allow"


def test_coursework_is_a_part_like_the_others_and_bad_parts_exit_2(tmp_path, capsys):
    from labctl.cli.main import main
    from labctl.offline.render import ENVIRONMENTS
    import shutil
    import yaml
    env = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, env)
    stack = env / "Pulumi.demo-app-a03.yaml"
    doc = yaml.safe_load(stack.read_text())
    doc["config"]["cloudlabs:labs"] = [{"lab": "object-storage", "options": {"parts": ["coursework", "topology-d"]}}]
    stack.write_text(yaml.safe_dump(doc))
    before = stack.read_bytes()
    code = main(["plan", "demo-app-a03", "--environments", str(env)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert "cloudlabs:labs[0].options.parts" in err[0] and "coursework" in err[0] and "topology-d" in err[0]
    assert stack.read_bytes() == before
    with pytest.raises(SettingsError, match="a part is listed twice"):
        parse_settings(config(labs=[{"lab": "object-storage", "options": {"parts": ["coursework", "coursework"]}}]), SOURCE)


# --- graded on the emulator: the student's steps, by hand with boto3, complete the coursework ------------------


@pytest.fixture
def emulated(monkeypatch, tmp_path):
    """The coursework's starter up on in-process moto, read by `labctl grade` through the CLI's seam."""
    with emulated_stack(monkeypatch, tmp_path, "demo-app-a03", {"lab": "object-storage", "stage": "starter", "options": COURSEWORK}) as (session, env):
        yield session, env


def grade_failures(capsys, env) -> tuple[int, set[str]]:
    from labctl.cli.main import main
    code = main(["grade", "demo-app-a03", "--environments", str(env), "--json", "-"])
    (student,) = json.loads(capsys.readouterr().out)
    return code, {p["path"] for p in student["paths"] if not p["passed"]}


def test_the_coursework_starter_graded_then_completed_by_the_students_steps(emulated, capsys):
    from cloudlabs import policies
    session, env = emulated
    code, failing = grade_failures(capsys, env)
    assert code == 1 and failing == {
        "anyone reads cw-obj1/MapleLeaf.jpg", "anyone reads cw-obj2/MapleLeafBlue.jpg",
        "anyone reads cw-site1/index.html", "cw-site1 allows web's origin (CORS)",
        "anyone reads cw-site2/index.html", "cw-site2 allows cw-site1's origin (CORS)"}
    s3, ec2 = session.client("s3"), session.client("ec2")
    prefix = "demo-app-a03-"  # <cohort>-<student>-<purpose>-<account>
    bucket = {b["Name"][len(prefix):].rsplit("-", 1)[0]: b["Name"] for b in s3.list_buckets()["Buckets"]}
    for purpose, key in (("cw-obj1", "MapleLeaf.jpg"), ("cw-obj2", "MapleLeafBlue.jpg")):  # (a), (b): one object each
        s3.delete_public_access_block(Bucket=bucket[purpose])
        s3.put_bucket_policy(Bucket=bucket[purpose], Policy=json.dumps(policies.object_read(f"arn:aws:s3:::{bucket[purpose]}", key)))
    for purpose in ("cw-site1", "cw-site2"):  # (c), (d): the websites public
        s3.delete_public_access_block(Bucket=bucket[purpose])
        s3.put_bucket_policy(Bucket=bucket[purpose], Policy=json.dumps(policies.public_read(f"arn:aws:s3:::{bucket[purpose]}")))
    code, failing = grade_failures(capsys, env)
    assert code == 1 and failing == {"cw-site1 allows web's origin (CORS)", "cw-site2 allows cw-site1's origin (CORS)"}
    (web,) = [i for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
              if {"Key": "Name", "Value": "web"} in i.get("Tags", [])]
    s3.put_bucket_cors(Bucket=bucket["cw-site1"], CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [f"http://{web['PublicIpAddress']}"], "AllowedMethods": ["GET"]}]})
    s3.put_bucket_cors(Bucket=bucket["cw-site2"], CORSConfiguration={"CORSRules": [
        {"AllowedOrigins": [f"http://{bucket['cw-site1']}.s3-website-us-east-1.amazonaws.com"], "AllowedMethods": ["GET"]}]})
    code, failing = grade_failures(capsys, env)
    assert (code, failing) == (0, set())
