"""containers (chapter 12): the Docker host, ECR, the images, ECS Fargate; and the local variant."""

from __future__ import annotations

import base64
import copy
import json
import re
import shutil
from ipaddress import ip_network

import boto3
import pytest
from pulumi.runtime.mocks import MockCallArgs
from moto import mock_aws

from cloudlabs import REPO_ROOT
from cloudlabs.labs import containers as definition
from cloudlabs.labs.containers import IMAGES, LIGHTTPD, NGINX, BuildContext, docker_host_user_data
from cloudlabs.probes import PageContains
from cloudlabs.settings import SettingsError, parse_settings
from labctl.analysis.check import check_graph
from labctl.analysis.cost import estimate
from labctl.offline.fakeaws import FakeAws
from labctl.offline.graph import SECRET
from labctl.ops import emulate

from .conftest import SOURCE, config, lab_graph
from .emulated import emulated_stack
from .localhosts import Hosts


@pytest.fixture
def hosts():
    h = Hosts()
    yield h
    h.close()
from .graphtools import EGRESS, IGW, INGRESS, INSTANCE, ROUTE, ROUTE_TABLE, SG, SUBNET, VPC, instances, name_tag, sg_rules, subnets

ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
REPOSITORY = "aws:ecr/repository:Repository"
CLUSTER = "aws:ecs/cluster:Cluster"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
SERVICE = "aws:ecs/service:Service"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
INSTANCE_PROFILE = "aws:iam/instanceProfile:InstanceProfile"
HOST_IAM = {ROLE: 1, ROLE_POLICY: 1, INSTANCE_PROFILE: 1}  # the Docker host's own profile, where roles may be created
IMAGE = "docker:index/image:Image"
REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"
VOLUME = "docker:index/volume:Volume"
DOCKER_PROVIDER = "pulumi:providers:docker"
ADMIN = "203.0.113.0/24"
NETWORK = {VPC: 1, IGW: 1, SUBNET: 6, ROUTE_TABLE: 1, ROUTE: 1, ASSOCIATION: 6}
HOST_RULES = {
    ("docker-host-SG", "in", "tcp", 22, 22, ADMIN), ("docker-host-SG", "in", "tcp", 8080, 8089, ADMIN),
    ("docker-host-SG", "in", "tcp", 5000, 5000, ADMIN), ("docker-host-SG", "out", "-1", None, None, "0.0.0.0/0"),
}
REGISTRY = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _by_name(graph, type_token):
    return {name_tag(r): r for r in graph.of_type(type_token)}


# --- kinds, counts and rules, stage by stage -----------------------------------------------------

@pytest.mark.parametrize("stage,options,profile,extra", [
    ("starter", None, "learner-lab", {}),
    ("images", None, "learner-lab", {IMAGE: 2}),
    ("solution", None, "learner-lab", {IMAGE: 2, CLUSTER: 1, TASK: 1, SERVICE: 1, SG: 1, INGRESS: 1, EGRESS: 1}),
    ("starter", None, "sandbox", HOST_IAM),
    ("solution", None, "sandbox", {IMAGE: 2, CLUSTER: 1, TASK: 1, SERVICE: 1, SG: 1, INGRESS: 1, EGRESS: 1, ROLE: 2, ATTACHMENT: 1,
                                   ROLE_POLICY: 1, INSTANCE_PROFILE: 1}),
    ("solution", {"coursework": True}, "learner-lab", {
        IMAGE: 2, CLUSTER: 1, TASK: 1, SERVICE: 1, SG: 2, INGRESS: 2, EGRESS: 2, "aws:lb/loadBalancer:LoadBalancer": 1,
        "aws:lb/targetGroup:TargetGroup": 1, "aws:lb/listener:Listener": 1}),
])
def test_resource_kinds_and_counts(stage, options, profile, extra):
    graph = lab_graph("containers", stage=stage, options=options, profile=profile)
    expected = {**NETWORK, SG: 1, INGRESS: 3, EGRESS: 1, INSTANCE: 1, REPOSITORY: 2}
    for kind, count in extra.items():
        expected[kind] = expected.get(kind, 0) + count
    assert dict(graph.type_counts()) == expected


@pytest.mark.parametrize("stage", ["starter", "images"])
def test_before_the_service_only_the_docker_host_has_a_group(stage):
    assert sg_rules(lab_graph("containers", stage=stage)) == HOST_RULES


def test_the_service_group_opens_http_to_the_world_as_the_book_does():
    assert sg_rules(lab_graph("containers")) == HOST_RULES | {
        ("web-alpine-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-alpine-SG", "out", "-1", None, None, "0.0.0.0/0")}


def test_coursework_tasks_take_http_only_from_the_load_balancer():
    assert sg_rules(lab_graph("containers", options={"coursework": True})) == HOST_RULES | {
        ("web-alpine-SG", "in", "tcp", 80, 80, "sg:web-ALB-SG"), ("web-alpine-SG", "out", "-1", None, None, "0.0.0.0/0"),
        ("web-ALB-SG", "in", "tcp", 80, 80, "0.0.0.0/0"), ("web-ALB-SG", "out", "tcp", 80, 80, "10.1.0.0/16")}


def test_the_network_is_the_seats_default_like_vpc():
    graph = lab_graph("containers")
    (vpc,) = graph.of_type(VPC)
    assert vpc.inputs["cidrBlock"] == "10.1.0.0/16"
    assert {n: s.inputs["cidrBlock"] for n, s in subnets(graph).items()} == {
        f"SN-{16 * i}": f"10.1.{16 * i}.0/20" for i in range(6)}


# --- the Docker host -----------------------------------------------------------------------------

def test_the_docker_host_installs_docker_and_the_books_projects():
    graph = lab_graph("containers", stage="starter")
    host = instances(graph)["docker-host"]
    assert host.inputs["subnetId"] == subnets(graph)["SN-0"].id and host.inputs["associatePublicIpAddress"] is True
    script = host.inputs["userData"]
    assert script == docker_host_user_data()
    assert "dnf install -y docker" in script and "usermod -a -G docker ec2-user" in script
    assert "systemctl enable --now docker" in script
    written = dict(re.findall(r"echo (\S+) \| base64 -d > (\S+)", script)[i][::-1] for i in range(script.count("base64 -d")))
    for image in IMAGES:
        for file in (p for p in image.path.rglob("*") if p.is_file()):
            target = f"/home/ec2-user/{image.path.name}/{file.relative_to(image.path).as_posix()}"
            assert base64.b64decode(written[target]) == file.read_bytes(), target
    assert len(script.encode()) < 16 * 1024  # EC2's user-data limit


def test_learner_lab_the_docker_host_pushes_with_labinstanceprofile():
    """The starter's ecrLogin and pushCommands run on the host: it needs credentials (the book runs them in
    Cloud9, which has them); the Learner Lab's premade profile, no IAM created."""
    graph = lab_graph("containers", stage="starter")
    assert instances(graph)["docker-host"].inputs["iamInstanceProfile"] == "LabInstanceProfile"
    assert not [r for r in graph.custom_resources if r.type.startswith("aws:iam/")]
    assert "on the Docker host" in graph.outputs["containers"]["nextStep"]


def test_other_profiles_give_the_docker_host_a_profile_that_pushes_only_to_the_labs_repositories():
    graph = lab_graph("containers", stage="starter", profile="sandbox")
    (role,), (policy,), (profile,) = graph.of_type(ROLE), graph.of_type(ROLE_POLICY), graph.of_type(INSTANCE_PROFILE)
    assert instances(graph)["docker-host"].inputs["iamInstanceProfile"] == profile.outputs["name"]
    assert profile.inputs["role"] == role.outputs["name"] == policy.inputs["role"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"] == [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    login, push = json.loads(policy.inputs["policy"])["Statement"]
    assert (login["Action"], login["Resource"]) == ("ecr:GetAuthorizationToken", "*")  # the token is the registry's
    repositories = sorted(r.outputs["arn"] for r in graph.of_type(REPOSITORY))
    assert push["Resource"] == repositories and len(repositories) == 2 and "*" not in json.dumps(push)
    assert set(push["Action"]) == {"ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload",
                                   "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"}


def test_a_profile_without_roles_or_an_instance_profile_is_refused():
    from cloudlabs.profiles import IamRules
    from components.context import LabContext
    from components.labs.containers import ContainersLab

    ctx = LabContext("c", "s01", 1, "containers", "starter", "2026-12-19", ip_network(ADMIN), False, "t3.micro", None,
                     "us-east-1", iam=IamRules(create_roles=False, service_role="LabRole"))
    with pytest.raises(ValueError, match="names no iam.instanceProfile: the Docker host would have no credentials"):
        ContainersLab._host_profile(object.__new__(ContainersLab), "containers", ctx, {})  # type: ignore[arg-type]


# --- the build contexts, the repositories and the push ------------------------------------------

def test_the_build_contexts_are_the_books_projects():
    assert [i.key for i in IMAGES] == ["web-alpine", "web-nginx"]
    for image in IMAGES:
        dockerfile = (REPO_ROOT / image.dockerfile).read_text()
        assert f"FROM {image.base}\n" in dockerfile and "EXPOSE 80" in dockerfile
        for source in re.findall(r"^COPY \./(\S+?)(?:/\*)? ", dockerfile, re.M):  # every COPY source is in the context
            assert (image.path / source).exists(), (image.key, source)
    assert image_page(LIGHTTPD) == "<html><body><h1> Basic Docker webserver on Alpine </h1></body></html>\n"
    assert 'server.port = 80' in (LIGHTTPD.path / "conf/lighttpd.conf").read_text()
    assert "listen       80;" in (NGINX.path / "default.conf").read_text()
    assert 'src="MapleLeaf.svg"' in image_page(NGINX) and (NGINX.path / "HTML/MapleLeaf.svg").is_file()


def image_page(image: BuildContext) -> str:
    return next(p for p in image.path.rglob("index.html")).read_text()


def test_the_tag_follows_the_build_context(lab_copy):
    original = LIGHTTPD.tag()
    copy_dir = lab_copy / "lighttpd-copy"
    shutil.copytree(LIGHTTPD.path, copy_dir)
    moved = BuildContext("web-alpine", "labs/lighttpd-copy", "alpine", "web1", 8080, "x")
    assert moved.path == copy_dir
    assert moved.tag() == original and re.fullmatch(r"1\.0-[0-9a-f]{12}", moved.tag())
    page = (copy_dir / "html/index.html").read_bytes()
    (copy_dir / "html/index.html").write_text("<h1>changed</h1>")
    assert moved.tag() != original
    (copy_dir / "html/index.html").write_bytes(page)
    assert moved.tag() == original
    mode = (copy_dir / "html/index.html").stat().st_mode
    (copy_dir / "html/index.html").chmod(0o600)  # another umask: the Docker provider builds again, so a new tag
    assert moved.tag() != original
    (copy_dir / "html/index.html").chmod(mode)
    assert moved.tag() == original
    (copy_dir / "html/extra.txt").write_text("")  # a new file, even empty, is a new context
    assert moved.tag() != original


def test_the_repositories_are_private_scanned_immutable_and_go_with_the_stack():
    """Version tags are immutable; the book's `latest`, which the student pushes by hand at the starter,
    is exempt, so the push can be repeated and never holds a tag the later stages push."""
    graph = lab_graph("containers", stage="starter")
    repos = _by_name(graph, REPOSITORY)
    assert set(repos) == {"web-alpine", "web-nginx"}
    for key, repo in repos.items():
        assert repo.inputs["name"] == key  # learner-lab: the account is the student's own
        assert repo.inputs["imageTagMutability"] == "IMMUTABLE_WITH_EXCLUSION" and repo.inputs["forceDelete"] is True
        assert repo.inputs["imageTagMutabilityExclusionFilters"] == [{"filter": "latest", "filterType": "WILDCARD"}]
        assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    out = graph.outputs["containers"]
    assert out["repositories"] == {k: f"{REGISTRY}/{k}" for k in repos}
    assert out["ecrLogin"] == f"aws ecr get-login-password --region us-east-1 | docker login --username AWS --password-stdin {REGISTRY}"
    assert f"docker push {REGISTRY}/web-alpine:latest" in out["pushCommands"]  # the book's (book ch. 12, “Docker Container Composition” › “AWS Elastic Container Registry Service”)
    assert not any(LIGHTTPD.tag() in c or NGINX.tag() in c for c in out["pushCommands"])
    pushed = lab_graph("containers", stage="images").outputs["containers"]["images"]
    assert {i["name"].rsplit(":", 1)[1] for i in pushed.values()} == {LIGHTTPD.tag(), NGINX.tag()}
    assert "docker run -itd --name C1 -p 8081:80 nginx:latest" in out["bookCommands"]
    assert "docker run -itd --name C2 -p 8082:80 nginx:latest" in out["bookCommands"]
    assert not graph.of_type(IMAGE) and "images" not in out


def test_the_docker_hosts_containers_are_probed_as_the_book_leaves_them():
    """C1 (the student's "Hello from C1"), C2 (nginx's page), C1-VOL and C2-VOL (one page from VOL-EXAMPLE),
    web1 and WEB (the images' pages) on the Docker host's public IP: from the admin CIDR, which its group admits."""
    out = lab_graph("containers", stage="starter").outputs["containers"]
    ip = out["host"]["publicIp"]
    found = definition.probes(out)
    assert [(p.name, getattr(p, "url", None) or p.urls) for p in found] == [
        ("C1 page", f"http://{ip}:8081/"), ("C2 page", f"http://{ip}:8082/"), ("WEB page", f"http://{ip}:5000/"),
        ("web1 page", f"http://{ip}:8080/"), ("VOL-EXAMPLE page", (f"http://{ip}:8084/", f"http://{ip}:8085/"))]
    assert [p.texts for p in found[:4]] == [("Hello from C1",), ("Welcome to nginx!",), (NGINX.page,), (LIGHTTPD.page,)]
    from cloudlabs.paths import ADMIN
    allowed = {e.port for e in definition.expected_paths("starter", definition.ContainersOptions())
               if e.allowed and (e.src, e.dst) == (ADMIN, definition.HOST)}
    assert {8080, 8081, 8082, 5000} <= allowed  # 8084 and 8085 in the same 8080-8089 rule (tested above)


def test_the_starter_and_images_stage_say_what_the_book_does_next():
    """The starter leaves the pushes and the ECS activity to the student (no cluster, task or service) and its
    nextStep names them with the lab's own values: `latest` as pushed, the lab's VPC, a public IP, HTTP open."""
    starter = lab_graph("containers", stage="starter")
    assert not starter.of_type(CLUSTER) and not starter.of_type(TASK) and not starter.of_type(SERVICE)
    step = starter.outputs["containers"]["nextStep"]
    assert step.startswith("on the Docker host (host.ssh): the book's docker commands (bookCommands), then ecrLogin")
    assert f"the image {REGISTRY}/web-alpine:latest on port 80" in step and "task execution role LabRole" in step
    assert "the service web-alpine in the lab's VPC (named VPC)" in step and "public IP turned on" in step
    assert "HTTP 80 from anywhere" in step
    images = lab_graph("containers", stage="images")
    assert not images.of_type(SERVICE)
    assert f"the image {REGISTRY}/web-alpine:{LIGHTTPD.tag()} on port 80" in images.outputs["containers"]["nextStep"]
    sandbox = lab_graph("containers", stage="starter", profile="sandbox").outputs["containers"]["nextStep"]
    assert "LabRole" not in sandbox and "(named s01-VPC)" in sandbox


def test_in_a_shared_account_names_carry_the_student():
    graph = lab_graph("containers", profile="sandbox")
    assert {r.inputs["name"] for r in graph.of_type(REPOSITORY)} == {"s01-web-alpine", "s01-web-nginx"}
    (cluster,) = graph.of_type(CLUSTER)
    assert cluster.inputs["name"] == "s01-web-alpine-cluster"


@pytest.mark.parametrize("stage", ["images", "solution"])
def test_images_are_built_from_the_contexts_and_pushed_with_ecrs_token(stage):
    graph = lab_graph("containers", stage=stage)
    images = {r.inputs["build"]["context"]: r for r in graph.of_type(IMAGE)}
    assert set(images) == {i.directory for i in IMAGES}
    token = FakeAws("us-east-1", graph.stack).call(
        MockCallArgs("aws:ecr/getAuthorizationToken:getAuthorizationToken", {"registryId": "123456789012"}, ""))
    for image in IMAGES:
        made = images[image.directory]
        assert made.inputs["build"] == {"context": image.directory, "dockerfile": image.dockerfile, "platform": "linux/amd64"}
        assert (REPO_ROOT / made.inputs["build"]["dockerfile"]).is_file()
        assert made.inputs["imageName"] == f"{REGISTRY}/{image.key}:{image.tag()}"  # under the repository's URL
        assert made.inputs["skipPush"] is False
        assert made.inputs["registry"] == {"server": REGISTRY, "username": token["userName"], "password": SECRET}
        repo = _by_name(graph, REPOSITORY)[image.key]
        assert repo.urn in made.dependencies or repo.urn in made.property_dependencies.get("imageName", [])
    dumped = json.dumps({"resources": [r.__dict__ for r in graph.resources], "outputs": graph.outputs}, default=str)
    assert token["password"] not in dumped  # the registry password is only ever a secret
    out = graph.outputs["containers"]["images"]
    assert out["web-alpine"]["digest"] == images[LIGHTTPD.directory].outputs["repoDigest"]


# --- ECS: the task definition and the service ----------------------------------------------------

def test_the_task_definition_runs_the_pushed_image_on_fargate():
    graph = lab_graph("containers")
    (task,) = graph.of_type(TASK)
    assert (task.inputs["cpu"], task.inputs["memory"], task.inputs["networkMode"], task.inputs["requiresCompatibilities"]) == (
        "256", "512", "awsvpc", ["FARGATE"])
    (container,) = json.loads(task.inputs["containerDefinitions"])
    (pushed,) = [r for r in graph.of_type(IMAGE) if r.inputs["build"]["context"] == LIGHTTPD.directory]
    assert container["image"] == pushed.outputs["repoDigest"] and "@sha256:" in container["image"]  # by digest, not tag
    assert container["portMappings"] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    assert container["name"] == "web-alpine" and container["essential"] is True


def test_learner_lab_uses_labrole_and_creates_no_iam():
    graph = lab_graph("containers")
    (task,) = graph.of_type(TASK)
    assert task.inputs["executionRoleArn"] == "arn:aws:iam::123456789012:role/LabRole"
    assert not [r for r in graph.custom_resources if r.type.startswith("aws:iam/")]
    assert graph.outputs["containers"]["executionRole"] == "arn:aws:iam::123456789012:role/LabRole"


def test_other_profiles_get_a_minimal_execution_role_of_their_own():
    graph = lab_graph("containers", profile="sandbox")
    (role,) = [r for r in graph.of_type(ROLE) if "ecsTaskExecution" in r.inputs["namePrefix"]]
    (attachment,), (task,) = graph.of_type(ATTACHMENT), graph.of_type(TASK)
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"] == [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    assert attachment.inputs == {"role": role.outputs["name"],
                                 "policyArn": "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"}
    assert task.inputs["executionRoleArn"] == role.outputs["arn"]


def test_the_service_has_a_public_ip_in_two_public_subnets():
    graph = lab_graph("containers")
    (service,), (cluster,), (task,) = graph.of_type(SERVICE), graph.of_type(CLUSTER), graph.of_type(TASK)
    nets = subnets(graph)
    assert service.inputs["name"] == "web-alpine" and service.inputs["launchType"] == "FARGATE"
    assert service.inputs["cluster"] == cluster.outputs["arn"] and service.inputs["taskDefinition"] == task.outputs["arn"]
    assert service.inputs["desiredCount"] == 1 and "loadBalancers" not in service.inputs
    network = service.inputs["networkConfiguration"]
    assert network["assignPublicIp"] is True and network["subnets"] == [nets["SN-0"].id, nets["SN-16"].id]
    assert network["securityGroups"] == [_by_name(graph, SG)["web-alpine-SG"].id]
    out = graph.outputs["containers"]
    assert out["service"] == "web-alpine" and out["cluster"] == "web-alpine-cluster"
    assert "--service-name web-alpine" in out["findTaskIp"] and "url" not in out


def test_coursework_puts_two_tasks_behind_the_load_balancer():
    graph = lab_graph("containers", options={"coursework": True})
    (service,), (group,), (listener,) = (graph.of_type(SERVICE), graph.of_type("aws:lb/targetGroup:TargetGroup"),
                                         graph.of_type("aws:lb/listener:Listener"))
    assert group.inputs["targetType"] == "ip" and group.inputs["port"] == 80  # awsvpc tasks register by address
    assert service.inputs["desiredCount"] == 2
    assert service.inputs["loadBalancers"] == [{"targetGroupArn": group.outputs["arn"], "containerName": "web-alpine",
                                                "containerPort": 80}]
    assert listener.urn in service.dependencies  # the group is attached to a listener before the service uses it
    out = graph.outputs["containers"]
    assert out["url"].startswith("http://") and out["url"].endswith(".elb.amazonaws.com/")
    assert definition.probes(out)[-1:] == [PageContains("web-alpine service", "browse the service (the book's ECS test)", out["url"],
                                                   (LIGHTTPD.page,))]


def test_expected_paths_hold_and_name_the_books_tests():
    labels = {}
    for stage, options in (("starter", None), ("solution", None), ("solution", {"coursework": True})):
        results = check_graph(lab_graph("containers", stage=stage, options=options))
        assert results and all(r.passed for r in results), [r.expect.label for r in results if not r.passed]
        labels[(stage, bool(options))] = {r.expect.label for r in results}
    assert {"admin -> docker-host:8081", "admin -> docker-host:8082", "admin -> docker-host:5000",
            "internet -> docker-host:8081"} <= labels[("starter", False)]
    assert "internet -> web-alpine:80" in labels[("solution", False)]
    assert {"internet -> web-ALB:80", "web-ALB -> web-alpine:80", "internet -> web-alpine:80"} <= labels[("solution", True)]


def test_cost_per_stage_and_variant():
    def items(stage, options=None):
        return {(i.item, i.quantity) for i in estimate(lab_graph("containers", stage=stage, options=options)).items}

    host = {("t3.micro instance", 1), ("gp3 volume", 8), ("public IPv4 address", 1)}
    assert items("starter") == items("images") == host
    assert items("solution") == host | {("Fargate vCPU", 0.25), ("Fargate memory", 0.5), ("public IPv4 address (task)", 1)}
    assert items("solution", {"coursework": True}) == host | {
        ("Fargate vCPU", 0.5), ("Fargate memory", 1.0), ("public IPv4 address (task)", 2), ("application load balancer", 1),
        ("public IPv4 address (load balancer)", 2)}
    local = estimate(lab_graph("containers", options={"variant": "local"}))
    assert local.items == [] and local.unpriced == []


# --- variant local: a Docker engine of the student's own -----------------------------------------

@pytest.mark.parametrize("stage,images", [("starter", 0), ("images", 2), ("solution", 2)])
def test_local_creates_nothing_in_aws(stage, images):
    graph = lab_graph("containers", stage=stage, options={"variant": "local"})
    assert dict(graph.type_counts()) == {DOCKER_PROVIDER: 1, VOLUME: 1, REMOTE_IMAGE: 1, CONTAINER: 4 + images,
                                         **({IMAGE: images} if images else {})}
    assert not [r for r in graph.resources if r.type.startswith("aws:") or r.type == "pulumi:providers:aws"]
    (provider,) = graph.of_type(DOCKER_PROVIDER)
    assert {r.type.split(":")[0] for r in graph.custom_resources} == {"docker", "pulumi"}
    assert "host" not in provider.inputs  # DOCKER_HOST, else the local socket


def test_local_runs_c1_and_c2_on_their_own_and_c1_vol_and_c2_vol_on_the_books_volume():
    """As the book (book ch. 12, “Docker Container Composition” › “Running NGINX webservers on containers”, book ch. 12, “Docker Container Composition” › “Using Volumes to keep persistent data”): C1 and C2 plain nginx on 8081/8082 (the student writes "Hello from
    C1" into C1's page), then C1-VOL and C2-VOL on 8084/8085 sharing VOL-EXAMPLE."""
    graph = lab_graph("containers", stage="starter", options={"variant": "local"})
    (volume,), (nginx,) = graph.of_type(VOLUME), graph.of_type(REMOTE_IMAGE)
    assert volume.inputs["name"] == "VOL-EXAMPLE" and nginx.inputs["name"] == "nginx:latest"
    running = {c.inputs["name"]: c for c in graph.of_type(CONTAINER)}
    assert set(running) == {"C1", "C2", "C1-VOL", "C2-VOL"}
    for name, port, shared in (("C1", 8081, False), ("C2", 8082, False), ("C1-VOL", 8084, True), ("C2-VOL", 8085, True)):
        c = running[name].inputs
        assert (c["ports"][0]["internal"], c["ports"][0]["external"]) == (80, port)
        assert c.get("volumes") == ([{"volumeName": "VOL-EXAMPLE", "containerPath": "/usr/share/nginx/html"}] if shared else None)
        assert c["image"] == nginx.outputs["imageId"]
    for labelled in [volume, *running.values()]:  # the engine's objects say whose they are, as AWS tags do
        labels = {entry["label"]: entry["value"] for entry in labelled.inputs["labels"]}
        assert (labels["cloudlabs:student"], labels["cloudlabs:lab"], labels["Name"]) == ("s01", "containers", labelled.inputs["name"])
    out = graph.outputs["containers"]
    assert out["containers"]["C1"] == {"name": "C1", "port": 8081, "url": "http://localhost:8081/"}
    assert "Docker engine" in out["needs"] and "no AWS" in out["needs"]
    assert "Hello from C1" in out["nextStep"] and "C1-VOL (8084) and C2-VOL (8085)" in out["nextStep"]
    assert [(p.name, getattr(p, "url", None) or p.urls) for p in definition.probes(out)] == [
        ("C1 page", "http://localhost:8081/"), ("C2 page", "http://localhost:8082/"),
        ("VOL-EXAMPLE page", ("http://localhost:8084/", "http://localhost:8085/"))]
    assert [p.texts for p in definition.probes(out)[:2]] == [("Hello from C1",), ("Welcome to nginx!",)]


def test_local_images_are_built_for_the_engines_platform_not_pushed_and_run_on_8080_and_8083():
    """Not 5000 for WEB: macOS's AirPlay Receiver holds it ("address already in use"); the container still listens
    on 80. No platform: an arm64 engine without emulation cannot build linux/amd64 (only ECR's images are for Fargate)."""
    graph = lab_graph("containers", stage="images", options={"variant": "local", "dockerHost": "ssh://ubuntu@192.0.2.10"})
    built = {r.inputs["imageName"]: r for r in graph.of_type(IMAGE)}
    assert set(built) == {f"{i.key}:{i.tag()}" for i in IMAGES}
    for image in built.values():
        assert image.inputs["skipPush"] is True and "registry" not in image.inputs
        assert "platform" not in image.inputs["build"]  # the engine's own
    running = {c.inputs["name"]: c.inputs for c in graph.of_type(CONTAINER)}
    assert running["web1"]["image"] == f"web-alpine:{LIGHTTPD.tag()}" and running["web1"]["ports"][0]["external"] == 8080
    assert running["WEB"]["image"] == f"web-nginx:{NGINX.tag()}"
    assert (running["WEB"]["ports"][0]["internal"], running["WEB"]["ports"][0]["external"]) == (80, 8083)
    assert "volumes" not in running["web1"]
    (provider,) = graph.of_type(DOCKER_PROVIDER)
    assert provider.inputs["host"] == "ssh://ubuntu@192.0.2.10"
    out = graph.outputs["containers"]
    assert out["containers"]["WEB"] == {"name": "WEB", "port": 8083, "url": "http://192.0.2.10:8083/"}
    assert f"docker run -d --name WEB -p 8083:80 web-nginx:{NGINX.tag()}" in out["bookCommands"]
    assert "WEB is published on 8083, not the book's 5000: macOS's AirPlay Receiver" in out["needs"]
    host_ports = [c["ports"][0]["external"] for c in running.values()]
    assert 5000 not in host_ports and len(set(host_ports)) == len(host_ports)
    aws = lab_graph("containers", stage="images").outputs["containers"]  # the Docker host keeps the book's port
    assert f"docker run -d --name WEB -p 5000:80 web-nginx:{NGINX.tag()}" in aws["bookCommands"]


# --- options ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("options, message", [
    ({"variant": "docker"}, r"\"docker\" is not allowed; allowed: aws .*or local"),
    ({"variant": "local", "coursework": True}, "coursework: true needs variant: aws"),
    ({"dockerHost": "unix:///var/run/docker.sock"}, "dockerHost is only read with variant: local"),
    ({"variant": "local", "dockerHost": "localhost:2375"}, "dockerHost 'localhost:2375' is not unix://"),
    ({"coursework": "yes"}, r"coursework: \"yes\" is not allowed; allowed: true or false"),
])
def test_bad_options_are_refused_with_what_is_allowed(options, message):
    with pytest.raises(SettingsError, match=message):
        parse_settings(config(labs=[{"lab": "containers", "options": options}]), SOURCE)


# --- the emulator ----------------------------------------------------------------------------------

def test_the_emulator_refuses_images_before_creating_anything(tmp_path):
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        for options in (None, {"variant": "local"}):
            graph = lab_graph("containers", stage="images", options=options)
            with pytest.raises(emulate.NeedsDockerEngine, match=r"needs a Docker engine.*docker:index/image:Image \(builds and pushes images\).*nothing was created"):
                emulate.up(graph, session, tmp_path)
            assert not (tmp_path / f"{graph.stack}.json").exists()
        assert session.client("ecr").describe_repositories()["repositories"] == []


@pytest.mark.parametrize("options,profile", [(None, "sandbox"), ({"coursework": True}, "learner-lab")])
def test_the_ecs_part_goes_up_and_down_on_moto(options, profile, tmp_path):
    """The solution without its docker resources (the image reference stays the renderer's: moto never pulls it)."""
    graph = copy.deepcopy(lab_graph("containers", options=options, profile=profile))
    graph.resources = [r for r in graph.resources if not r.type.startswith("docker:")]
    with mock_aws(config={"iam": {"load_aws_managed_policies": True}}):  # AWS's managed policies exist in an account
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        state = emulate.up(graph, session, tmp_path)
        ecs, ec2 = session.client("ecs"), session.client("ec2")
        (cluster,) = ecs.list_clusters()["clusterArns"]
        (service,) = ecs.describe_services(cluster=cluster, services=["web-alpine"])["services"]
        network = service["networkConfiguration"]["awsvpcConfiguration"]
        lab_subnets = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets()["Subnets"]}
        assert sorted(lab_subnets[s] for s in network["subnets"]) == ["10.1.0.0/20", "10.1.16.0/20"]
        assert network["assignPublicIp"] == "ENABLED" and service["launchType"] == "FARGATE"
        task = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
        assert (task["cpu"], task["memory"], task["networkMode"]) == ("256", "512", "awsvpc")
        assert task["containerDefinitions"][0]["portMappings"][0]["containerPort"] == 80
        assert service["desiredCount"] == (2 if options else 1)
        if profile == "sandbox":
            role = session.client("iam").list_attached_role_policies(RoleName=task["executionRoleArn"].rsplit("/", 1)[1])
            assert [p["PolicyName"] for p in role["AttachedPolicies"]] == ["AmazonECSTaskExecutionRolePolicy"]
        else:
            assert task["executionRoleArn"].endswith(":role/LabRole")
            assert len(service["loadBalancers"]) == 1
        assert emulate.destroy(graph.stack, session, tmp_path) == len(state.resources)
        assert [c for c in ecs.describe_clusters(clusters=[cluster])["clusters"] if c["status"] == "ACTIVE"] == []
        assert session.client("ecr").describe_repositories()["repositories"] == []
        assert session.client("iam").list_roles()["Roles"] == []


# --- graded on the emulator: the book's route, the student's steps by hand with boto3 -------------------------


def _graded(capsys, env) -> tuple[bool, dict[str, str]]:
    """(complete, {failing path: what blocks it}) as `labctl grade` says at the solution stage."""
    from labctl.cli.main import main
    code = main(["grade", "demo-tools-t03", "--environments", str(env), "--json", "-"])
    (student,) = json.loads(capsys.readouterr().out)
    assert code == (0 if student["complete"] else 1)
    return student["complete"], {p["path"]: p["blockedBy"] or "open" for p in student["paths"] if not p["passed"]}


def _the_books_service(session, public: bool) -> tuple[str, dict]:
    """The book's ECS steps (book ch. 12, “Docker Container Composition” › “AWS Elastic Container Service”) in the console, as boto3: a Fargate cluster, the task definition
    web-alpine (the pushed web-alpine:latest on port 80), the service web-alpine in the lab's subnets with a
    group opening HTTP to anyone and (the book's way) a public IP. Returns (cluster, awsvpc configuration)."""
    ec2, ecs = session.client("ec2"), session.client("ecs")
    repo = session.client("ecr").describe_repositories()["repositories"]
    url = next(r["repositoryUri"] for r in repo if r["repositoryName"].endswith("web-alpine"))
    vpc = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["SN-0"]}])["Subnets"][0]["VpcId"]
    subnets = [s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]]
    group = ec2.create_security_group(GroupName="web-alpine-sg", Description="HTTP", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    cluster = ecs.create_cluster(clusterName="web-alpine-cluster")["cluster"]["clusterArn"]
    ecs.register_task_definition(family="web-alpine", networkMode="awsvpc", requiresCompatibilities=["FARGATE"],
                                 cpu="256", memory="512", containerDefinitions=[{
                                     "name": "web-alpine", "image": f"{url}:latest", "essential": True,
                                     "memory": 512,  # moto's RunTask sums the containers' memory (ECS takes the task's)
                                     "portMappings": [{"containerPort": 80, "protocol": "tcp"}]}])
    awsvpc = {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "ENABLED" if public else "DISABLED"}
    ecs.create_service(cluster=cluster, serviceName="web-alpine", taskDefinition="web-alpine", desiredCount=1,
                       launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": awsvpc})
    return cluster, awsvpc


def _the_schedulers_task(session, cluster: str, awsvpc: dict) -> None:
    """What ECS's scheduler does for the service (moto's does not): one Fargate task in its group."""
    session.client("ecs").run_task(cluster=cluster, taskDefinition="web-alpine", launchType="FARGATE", count=1,
                                   group="service:web-alpine", startedBy="ecs-svc/1",
                                   networkConfiguration={"awsvpcConfiguration": awsvpc})


@pytest.fixture
def tasks_keep_running():
    """moto moves a task on from RUNNING at each DescribeTasks (towards STOPPED); ECS's stay RUNNING."""
    from moto.moto_api import state_manager
    state_manager.set_transition(model_name="ecs::task", transition={"progression": "manual", "times": 10**9})
    yield
    state_manager.unset_transition("ecs::task")


def test_the_books_route_on_the_emulator_grades_complete(monkeypatch, tmp_path, capsys, tasks_keep_running):
    """The starter up on moto (the Docker host, the two repositories); the student's ECS steps as the book
    does them: graded at each step, the web-alpine service counts once a task of it runs with a public IP."""
    with emulated_stack(monkeypatch, tmp_path, "demo-tools-t03", {"lab": "containers", "stage": "starter"}) as (session, env):
        ec2, ecs = session.client("ec2"), session.client("ecs")
        other = ec2.create_vpc(CidrBlock="10.200.0.0/16")["Vpc"]["VpcId"]  # someone else's web-alpine, running, public
        ec2.modify_vpc_attribute(VpcId=other, EnableDnsHostnames={"Value": True})
        elsewhere = {"subnets": [ec2.create_subnet(VpcId=other, CidrBlock="10.200.0.0/24")["Subnet"]["SubnetId"]],
                     "securityGroups": [ec2.create_security_group(GroupName="x", Description="x", VpcId=other)["GroupId"]],
                     "assignPublicIp": "ENABLED"}
        ecs.register_task_definition(family="web-alpine", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                     memory="512", containerDefinitions=[{"name": "web-alpine", "image": "x", "memory": 512}])
        theirs = ecs.create_cluster(clusterName="theirs")["cluster"]["clusterArn"]
        ecs.create_service(cluster=theirs, serviceName="web-alpine", taskDefinition="web-alpine", desiredCount=1,
                           launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": elsewhere})
        _the_schedulers_task(session, theirs, elsewhere)
        complete, failing = _graded(capsys, env)
        assert not complete and list(failing) == ["internet -> web-alpine:80"], failing
        assert "no host named 'web-alpine'" in failing["internet -> web-alpine:80"]  # not the student's: not read
        from labctl.ops.live import LiveReader, StudentScope
        read = LiveReader(session.client).read(StudentScope("demo-tools", "t03", "demo-tools-t03"))
        assert not read.of_type(SERVICE)  # not even in the graph: only services in the student's subnets are read
        cluster, private = _the_books_service(session, public=False)
        complete, failing = _graded(capsys, env)  # a service whose task has not started serves nothing
        assert not complete and "no host named 'web-alpine'" in failing["internet -> web-alpine:80"], failing
        _the_schedulers_task(session, cluster, private)
        complete, failing = _graded(capsys, env)
        assert not complete and list(failing) == ["internet -> web-alpine:80"], failing
        assert "no public IPv4 address" in failing["internet -> web-alpine:80"]
        ecs.update_service(cluster=cluster, service="web-alpine", desiredCount=0)
        ecs.delete_service(cluster=cluster, service="web-alpine", force=True)
        for arn in ecs.list_tasks(cluster=cluster)["taskArns"]:
            ecs.stop_task(cluster=cluster, task=arn)
        ecs.create_service(cluster=cluster, serviceName="web-alpine", taskDefinition="web-alpine", desiredCount=1,
                           launchType="FARGATE", networkConfiguration={"awsvpcConfiguration": {**private, "assignPublicIp": "ENABLED"}})
        _the_schedulers_task(session, cluster, {**private, "assignPublicIp": "ENABLED"})
        complete, failing = _graded(capsys, env)  # the book's service, with a public IP (book ch. 12, “Docker Container Composition” › “AWS Elastic Container Service”)
        assert complete, failing
        (service,) = LiveReader(session.client).read(StudentScope("demo-tools", "t03", "demo-tools-t03")).of_type(SERVICE)
        assert service.inputs["networkConfiguration"]["assignPublicIp"] is True and service.outputs["runningTasks"] == 1
        from labctl.kinds.ecs import task_public_ips
        assert task_public_ips(session.client, cluster, "web-alpine") == []  # moto gives Fargate's interface no address
        (task,) = ecs.describe_tasks(cluster=cluster, tasks=ecs.list_tasks(cluster=cluster, desiredStatus="RUNNING")["taskArns"])["tasks"]
        eni = next(d["value"] for d in task["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
        address = ec2.allocate_address(Domain="vpc")
        ec2.associate_address(AllocationId=address["AllocationId"], NetworkInterfaceId=eni)  # AWS's public IP, as moto can
        assert task_public_ips(session.client, cluster, "web-alpine") == [address["PublicIp"]]  # what `labctl probe` browses


def test_the_service_page_is_probed_on_its_running_tasks_public_ip(hosts):
    """At solution the outputs know the cluster and service, not the task's address: the probe reads it when it
    runs (a local server plays the task), and says so when no task runs yet or its page is not the book's."""
    from labctl.ops.probe import probe_stack, StaticOutputs, http_fetch
    out = {k: v for k, v in lab_graph("containers").outputs["containers"].items() if k != "host"}  # only 127.0.0.1 is browsed
    (spec,) = definition.probes(out)
    assert (spec.name, spec.cluster, spec.service, spec.port, spec.texts) == (
        "web-alpine service", out["cluster"], "web-alpine", 80, (LIGHTTPD.page,))
    page = hosts.page("/task", f"<html><body><h1> {LIGHTTPD.page} </h1></body></html>")
    asked = []

    def run(urls):
        def locate(cluster, service, port):
            asked.append((cluster, service, port))
            return urls
        (r,) = probe_stack("s", ["containers"], StaticOutputs({"s": {"containers": out}}), http_fetch, attempts=1, interval=0,
                           locate=locate)
        return r
    assert run([page]).passed and asked == [(out["cluster"], "web-alpine", 80)]
    waiting = run([])
    assert not waiting.passed and "no running task with a public IP" in waiting.detail
    wrong = run([hosts.page("/nginx", "<h1>Welcome to nginx!</h1>")])
    assert not wrong.passed and "page lacks 'Basic Docker webserver on Alpine'" in wrong.detail
    (no_aws,) = probe_stack("s", ["containers"], StaticOutputs({"s": {"containers": out}}), http_fetch, attempts=1, interval=0)
    assert not no_aws.passed and "no AWS access" in no_aws.detail


def test_the_local_probes_pass_the_books_edited_pages_only(hosts):
    """C1 after the book's echo, C2 with nginx's page, C1-VOL and C2-VOL with one page from the volume."""
    from labctl.ops.probe import probe_stack, StaticOutputs, http_fetch
    from cloudlabs.labs.containers import C1_PAGE
    nginx = "<title>Welcome to nginx!</title>"

    def run(c1, vol1, vol2):
        pages = {"C1": c1, "C2": nginx, "C1-VOL": vol1, "C2-VOL": vol2}
        containers = {name: {"name": name, "port": 1, "url": hosts.page(f"/{name}-{abs(hash((c1, vol1, vol2)))}", body)}
                      for name, body in pages.items()}
        results = probe_stack("s", ["containers"], StaticOutputs({"s": {"containers": {"variant": "local",
                              "containers": containers}}}), http_fetch, attempts=1, interval=0)
        return {r.probe: r for r in results}
    done = run(C1_PAGE, "<h1>Hello from VOL-EXAMPLE</h1>", "<h1>Hello from VOL-EXAMPLE</h1>")
    assert all(r.passed for r in done.values()) and set(done) == {"C1 page", "C2 page", "VOL-EXAMPLE page"}
    before = run(nginx, nginx + "1", nginx + "2")  # C1 not edited yet; two volumes, not one
    assert not before["C1 page"].passed and "lacks 'Hello from C1'" in before["C1 page"].detail
    assert not before["VOL-EXAMPLE page"].passed and "different pages" in before["VOL-EXAMPLE page"].detail


def test_labctl_probe_finds_the_task_in_the_stacks_region_with_the_configured_credentials(monkeypatch, tasks_keep_running):
    """`labctl probe`'s locator: the live client of the stack's region, asked only when a task page is probed;
    the running task's public IP (moto: an Elastic IP on the task's interface stands in for Fargate's)."""
    from labctl.cli import probe as probe_cli, runners
    with mock_aws():
        session = boto3.Session(region_name="eu-west-1", aws_access_key_id="t", aws_secret_access_key="t")
        asked = []
        monkeypatch.setattr(runners, "make_live_client", lambda region, command, endpoint_url=None: (
            asked.append((region, command)), session.client)[1])
        locate = probe_cli.aws_locator("eu-west-1")
        assert asked == []  # nothing read until a probe asks
        ec2, ecs = session.client("ec2"), session.client("ecs")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
        ec2.attach_internet_gateway(InternetGatewayId=ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"],
                                    VpcId=vpc)
        awsvpc = {"subnets": [ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.0.0/24")["Subnet"]["SubnetId"]],
                  "securityGroups": [ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]]}
        ecs.create_cluster(clusterName="c")
        ecs.register_task_definition(family="web-alpine", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256",
                                     memory="512", containerDefinitions=[{"name": "web-alpine", "image": "x", "memory": 512}])
        assert locate("c", "web-alpine", 80) == [] and asked == [("eu-west-1", "probe")]
        (task,) = ecs.run_task(cluster="c", taskDefinition="web-alpine", launchType="FARGATE", group="service:web-alpine",
                               networkConfiguration={"awsvpcConfiguration": awsvpc})["tasks"]
        (by_hand,) = ecs.run_task(cluster="c", taskDefinition="web-alpine", launchType="FARGATE", group="family:web-alpine",
                                  networkConfiguration={"awsvpcConfiguration": awsvpc})["tasks"]  # not the service's
        for run in (by_hand, task):
            eni = next(d["value"] for d in run["attachments"][0]["details"] if d["name"] == "networkInterfaceId")
            address = ec2.allocate_address(Domain="vpc")
            ec2.associate_address(AllocationId=address["AllocationId"], NetworkInterfaceId=eni)
        assert locate("c", "web-alpine", 80) == [f"http://{address['PublicIp']}:80/"]
