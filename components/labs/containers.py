"""containers (chapter 12): a Docker host, the book's images in ECR, a Fargate service; or the
book's containers on a Docker engine of the student's own (variant local)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_aws as aws
import pulumi_docker as docker

from cloudlabs.images import AMAZON_LINUX_2023
from cloudlabs.labs import containers
from cloudlabs.labs.containers import (
    ALB, BOOK_TAG, C1_PAGE, HOST, HOST_PORTS, HOST_SUBNET, IMAGES, LOCAL_WEB_PORT, NGINX_IMAGE, PLAIN_CONTAINERS, SERVICE,
    SERVICE_SUBNETS, SHARED_CONTAINERS, TASK_CPU, TASK_MEMORY, VOLUME, VOLUME_PATH, WEB_PORT, BuildContext, ContainersOptions, docker_host_user_data,
)

from ..compute import InstanceArgs, lab_instance, lookup_ami, ssh_command, zones_offering
from ..context import LabContext
from ..loadbalancing import WebLoadBalancer, WebLoadBalancerArgs
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound, tcp
from .base import LabArgs, LabComponent

PLATFORM = "linux/amd64"  # the pushed images only: Fargate's X86_64 tasks (a laptop with Apple silicon cross-builds)
EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
NEEDS_AWS = ("variant aws: pulumi up needs AWS credentials and a Docker engine where pulumi runs (it builds the two "
             "images and pushes them to ECR at stage images and solution); the starter needs no Docker engine")
NEEDS_LOCAL = ("variant local: pulumi up needs a running Docker engine (dockerHost, DOCKER_HOST or the local socket): it "
               "pulls nginx, creates the volume and the containers, and builds the two images there for its own platform; no AWS "
               f"credentials. WEB is published on {LOCAL_WEB_PORT}, not the book's {WEB_PORT}: macOS's AirPlay Receiver "
               f"holds {WEB_PORT}")


def book_commands(ctx: LabContext, local: bool) -> list[str]:
    """The chapter's docker commands, in the book's order (on the Docker host, or what the local
    variant does for the student)."""
    volume = ctx.account_name(VOLUME) if local else VOLUME
    commands = [
        *(f"docker run -itd --name {c} -p {port}:80 {NGINX_IMAGE}" for c, port in PLAIN_CONTAINERS),
        f"docker exec -it C1 bash -c 'echo \"{C1_PAGE}\" > {VOLUME_PATH}/index.html'",  # the book's edit (book ch. 12, “Docker Container Composition” › “Modification of the container”)
        f"docker volume create {volume}",
        *(f"docker run -itd --name {c} -p {port}:80 -v {volume}:{VOLUME_PATH} {NGINX_IMAGE}" for c, port in SHARED_CONTAINERS),
        f"docker exec -it C1-VOL bash -c 'echo \"<h1>Hello from {VOLUME}</h1>\" > {VOLUME_PATH}/index.html'",  # book ch. 12, “Docker Container Composition” › “Using Volumes to keep persistent data”
    ]
    for image in IMAGES:
        folder = image.directory if local else f"~/{image.directory.rsplit('/', 1)[1]}"
        commands += [f"docker build -t {image.key}:{image.tag()} {folder}",
                     f"docker run -d --name {image.container} -p {image.published(local)}:80 {image.key}:{image.tag()}"]
    return commands


def ecs_steps(ctx: LabContext, image: str) -> str:
    """The book's ECS activity (book ch. 12, “Docker Container Composition” › “AWS Elastic Container Service”) in the console, with what this lab's network needs: the book picks the
    default VPC's subnets; here the lab's VPC, whose subnets are public, and a group that opens HTTP as the book's."""
    role = f", task execution role {ctx.premade_role}" if ctx.premade_role else ""
    return (f"in the ECS console (the book's last activity): a Fargate cluster; a task definition web-alpine with the image "
            f"{image} on port 80 (0.25 vCPU, 0.5 GB{role}); the service web-alpine in the lab's VPC (named {ctx.tags('VPC')['Name']}) "
            "(its subnets), public IP turned on, with a new security group opening HTTP 80 from anywhere; then browse the "
            "task's public IP (the service's task, Networking tab)")


# What `docker push` needs on a repository (ECR's "Required IAM permissions for pushing an image",
# https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html); the login's token is
# asked of the registry, so GetAuthorizationToken takes no repository.
PUSH_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload",
                "ecr:PutImage", "ecr:UploadLayerPart")


def push_policy(repository_arns: list[str]) -> dict[str, Any]:
    """Least privilege for the book's push from the Docker host: a login token, and the push actions
    on the lab's repositories only."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "Login", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
        {"Sid": "PushToTheLabsRepositories", "Effect": "Allow", "Action": list(PUSH_ACTIONS),
         "Resource": sorted(repository_arns)}]}


def engine_address(docker_host: str | None) -> str:
    """Where the published ports are browsed: the engine's host, or localhost for a local socket."""
    if docker_host is None or docker_host.startswith(("unix:", "npipe:")):
        return "localhost"
    return urlsplit(docker_host).hostname or "localhost"


class ContainersLab(LabComponent[ContainersOptions]):
    """Chapter 12. Variant ``aws``: the Docker host the book's activities run on (its group
    opens SSH, the containers' ports 8080-8089 and the NGINX image's 5000 to the admin CIDR
    only, where the book leaves the source open) and an instance profile, so the starter's ``ecrLogin``
    and ``pushCommands`` work there (the book runs them in Cloud9, which has credentials): the
    profile's premade one (LabInstanceProfile under learner-lab), else one of the lab's own that may
    push to the lab's two repositories and nothing else; one private ECR repository per image, its
    version tags immutable (the tag carries a digest of the build context and its modes), the book's
    ``latest`` exempt (the student's push by hand), scanned on push; at stage
    ``images`` pulumi-docker builds both images for linux/amd64 and pushes them with ECR's
    authorization token (the password a secret); at ``solution`` an ECS cluster, a Fargate task
    definition running web-alpine by digest on port 80 and the service with a public IP in SN-0
    and SN-16. The service's group opens HTTP to the whole internet: that is the book's lesson
    (a public web service), and all its tasks serve is the book's page. Coursework: two tasks
    behind an ALB, HTTP into the tasks only from the ALB. The execution role is the profile's
    pre-made role (LabRole under learner-lab: no IAM is created), else a role of the lab's own
    with AmazonECSTaskExecutionRolePolicy.

    Variant ``local``: the docker provider against the student's engine, no AWS resource and no
    AWS call: C1 and C2 (nginx) on 8081/8082, the volume VOL-EXAMPLE
    and C1-VOL and C2-VOL (nginx) on 8084/8085 sharing it, as the book runs them, and from stage
    ``images`` the two images built locally for the engine's own platform (not pushed: no ``platform``, so an
    arm64 engine without emulation builds them) and run as web1 on 8080 and WEB on 8083 (the book's 5000 is
    held by macOS's AirPlay Receiver; the container still listens on 80)."""

    TYPE = "cloudlabs:labs:Containers"
    LAB = containers.LAB

    def build(self, name: str, args: LabArgs[ContainersOptions]) -> dict[str, Any]:
        if args.options.variant == "local":
            return self._local(name, args)
        return self._aws(name, args)

    # --- variant aws ------------------------------------------------------------------------

    def _aws(self, name: str, args: LabArgs[ContainersOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type),
                                               instance_subnets=(HOST_SUBNET,)), opts=self.child)
        host_sg = LabSecurityGroup(f"{name}-host-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="Docker host: SSH, container ports 8080-8089 and 5000 from the admin CIDR",
            group_name=f"{HOST}-SG", context=ctx,
            rules=[inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
                   inbound(tcp(*HOST_PORTS), ctx.admin_cidr, "containers on 8080-8089 from the admin CIDR",
                           name="containers-from-admin"),
                   inbound(tcp(WEB_PORT), ctx.admin_cidr, "the NGINX image on 5000 from the admin CIDR",
                           name="web-from-admin"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (packages, Docker Hub, ECR)")]), opts=self.child)
        repositories = {image.key: aws.ecr.Repository(
            f"{name}-{image.key}", name=ctx.account_name(image.key).lower(),
            # version tags immutable; the book's `latest` (the student's push by hand) may be pushed again
            image_tag_mutability="IMMUTABLE_WITH_EXCLUSION",
            image_tag_mutability_exclusion_filters=[{"filter": BOOK_TAG, "filter_type": "WILDCARD"}],
            image_scanning_configuration={"scan_on_push": True}, encryption_configurations=[{"encryption_type": "AES256"}],
            force_delete=True,  # destroy removes the pushed images with the repository
            tags=ctx.tags(image.key), opts=self.child) for image in IMAGES}
        host = lab_instance(f"{name}-host", InstanceArgs(
            subnet_id=vpc.subnets[HOST_SUBNET].id, security_group_ids=[host_sg.id],
            ami=lookup_ami(AMAZON_LINUX_2023, ctx.instance_type), context=ctx, host_name=HOST,
            user_data=docker_host_user_data(), instance_profile=self._host_profile(name, ctx, repositories)), parent=self)
        first = repositories[IMAGES[0].key]
        registry = first.repository_url.apply(lambda url: url.split("/", 1)[0])
        outputs: dict[str, Any] = {
            "variant": "aws",
            "host": {"publicIp": host.public_ip, "privateIp": host.private_ip,
                           "ssh": ssh_command(AMAZON_LINUX_2023.login_user, host.public_ip, ctx.ssh_key_file)},
            "repositories": {key: repo.repository_url for key, repo in repositories.items()},
            "ecrLogin": registry.apply(lambda server: f"aws ecr get-login-password --region {ctx.region} | "
                                                      f"docker login --username AWS --password-stdin {server}"),
            "bookCommands": book_commands(ctx, local=False),
            "needs": NEEDS_AWS,
        }
        if ctx.stage == "starter":
            outputs["pushCommands"] = pulumi.Output.all(*(repositories[i.key].repository_url for i in IMAGES)).apply(
                lambda urls: [c for image, url in zip(IMAGES, urls) for c in (
                    f"cd ~/{image.directory.rsplit('/', 1)[1]} && docker build -t {image.key}:{BOOK_TAG} .",
                    f"docker tag {image.key}:{BOOK_TAG} {url}:{BOOK_TAG}", f"docker push {url}:{BOOK_TAG}")])
            outputs["nextStep"] = repositories[SERVICE].repository_url.apply(lambda url: (
                "on the Docker host (host.ssh): the book's docker commands (bookCommands), then ecrLogin and pushCommands "
                f"push web-alpine:{BOOK_TAG} and web-nginx:{BOOK_TAG} to your repositories (the book does this in Cloud9); "
                "then " + ecs_steps(ctx, f"{url}:{BOOK_TAG}")))
            return outputs

        token = aws.ecr.get_authorization_token_output(registry_id=first.registry_id)
        credentials = docker.RegistryArgs(server=registry, username=token.user_name,
                                          password=pulumi.Output.secret(token.password))
        images = {image.key: self._pushed(name, image, repositories[image.key], credentials) for image in IMAGES}
        outputs["images"] = {key: {"name": image.image_name, "digest": image.repo_digest} for key, image in images.items()}
        if ctx.stage == "images":
            outputs["nextStep"] = images[SERVICE].image_name.apply(lambda name: ecs_steps(ctx, name))
            return outputs
        outputs.update(self._service(name, ctx, options, vpc, plan.cidr, images[SERVICE]))
        return outputs

    def _pushed(self, name: str, image: BuildContext, repository: aws.ecr.Repository,
                credentials: docker.RegistryArgs) -> docker.Image:
        return docker.Image(
            f"{name}-{image.key}-image",
            image_name=repository.repository_url.apply(lambda url: f"{url}:{image.tag()}"),
            build=docker.DockerBuildArgs(context=image.directory, dockerfile=image.dockerfile, platform=PLATFORM),
            registry=credentials, skip_push=False, opts=self.child)

    def _host_profile(self, name: str, ctx: LabContext, repositories: dict[str, aws.ecr.Repository]) -> pulumi.Input[str]:
        """What the Docker host's `aws ecr get-login-password` and `docker push` act with: the profile's
        premade instance profile (LabInstanceProfile under learner-lab: no IAM is created), else a
        profile of the lab's own that may push to the lab's two repositories and nothing else."""
        if not ctx.iam.create_roles:
            if not ctx.iam.instance_profile:
                raise ValueError("lab containers: the profile allows no new roles (iam.createRoles: false) and names no "
                                 "iam.instanceProfile: the Docker host would have no credentials to push to ECR")
            return ctx.iam.instance_profile
        role = aws.iam.Role(f"{name}-host-role", name_prefix=ctx.account_name(f"{HOST}-"),
                            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}),
                            description="the Docker host pushes the lab's images to its ECR repositories (chapter 12)",
                            tags=ctx.tags(f"{HOST}-role"), opts=self.child)
        arns = pulumi.Output.all(*(repositories[image.key].arn for image in IMAGES))
        aws.iam.RolePolicy(f"{name}-host-push", name="ecr-push", role=role.name,
                           policy=arns.apply(lambda resources: json.dumps(push_policy(resources))), opts=self.child)
        profile = aws.iam.InstanceProfile(f"{name}-host-profile", name_prefix=ctx.account_name(f"{HOST}-"), role=role.name,
                                          tags=ctx.tags(f"{HOST}-profile"), opts=self.child)
        return profile.name

    def _execution_role(self, name: str, ctx: LabContext) -> pulumi.Output[str]:
        if ctx.premade_role:
            return aws.iam.get_role_output(name=ctx.premade_role).arn
        if not ctx.iam.create_roles:
            raise ValueError("the profile neither lets labs create roles (iam.createRoles) nor names one (iam.serviceRole): "
                             "the ECS task execution role cannot be chosen")
        role = aws.iam.Role(f"{name}-execution-role", name_prefix=ctx.account_name("ecsTaskExecution-")[:38],
                            assume_role_policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                                "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                "Action": "sts:AssumeRole"}]}),
                            description="ECS pulls the lab's images from ECR with it", tags=ctx.tags("ecsTaskExecutionRole"),
                            opts=self.child)
        attachment = aws.iam.RolePolicyAttachment(f"{name}-execution-policy", role=role.name, policy_arn=EXECUTION_POLICY,
                                                  opts=self.child)
        return pulumi.Output.all(role.arn, attachment.id).apply(lambda v: v[0])  # usable once the policy is attached

    def _service(self, name: str, ctx: LabContext, options: ContainersOptions, vpc: LabVpc, vpc_cidr,
                 image: docker.Image) -> dict[str, Any]:
        cluster = aws.ecs.Cluster(f"{name}-cluster", name=ctx.account_name(f"{SERVICE}-cluster"),
                                  settings=[{"name": "containerInsights", "value": "disabled"}],
                                  tags=ctx.tags(f"{SERVICE}-cluster"), opts=self.child)
        role_arn = self._execution_role(name, ctx)
        task = aws.ecs.TaskDefinition(
            f"{name}-task", family=ctx.account_name(SERVICE), cpu=str(TASK_CPU), memory=str(TASK_MEMORY),
            network_mode="awsvpc", requires_compatibilities=["FARGATE"], execution_role_arn=role_arn,
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
            container_definitions=image.repo_digest.apply(lambda digest: json.dumps([{
                "name": SERVICE, "image": digest, "essential": True,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]}])),
            tags=ctx.tags(SERVICE), opts=self.child)
        lb = None
        if options.coursework:
            lb = WebLoadBalancer(f"{name}-lb", WebLoadBalancerArgs(
                vpc_id=vpc.vpc_id, vpc_cidr=vpc_cidr, subnet_ids=[vpc.subnets[s].id for s in SERVICE_SUBNETS], context=ctx,
                internet_gateway=vpc.igw, lb_name=ALB, target_type="ip"), opts=self.child)
            http = inbound(HTTP, lb.security_group_id, "HTTP from the load balancer", name="http-from-alb")
        else:
            http = inbound(HTTP, ANYWHERE, "HTTP from anywhere (a public web service, as in the book)", name="http-from-anywhere")
        task_sg = LabSecurityGroup(f"{name}-service-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description=f"{SERVICE} tasks: HTTP in, all out (ECR pulls)", group_name=f"{SERVICE}-SG",
            context=ctx, rules=[http, outbound(ALL_TRAFFIC, ANYWHERE, "all outbound (image pulls from ECR)")]), opts=self.child)
        service = aws.ecs.Service(
            f"{name}-service", name=SERVICE, cluster=cluster.arn, task_definition=task.arn, launch_type="FARGATE",
            desired_count=2 if options.coursework else 1,
            network_configuration={"subnets": [vpc.subnets[s].id for s in SERVICE_SUBNETS],
                                   "security_groups": [task_sg.id],
                                   "assign_public_ip": True},  # public subnets without NAT: the address pulls the image
            load_balancers=[{"target_group_arn": lb.target_group.arn, "container_name": SERVICE, "container_port": 80}]
            if lb else None,
            propagate_tags="SERVICE", enable_ecs_managed_tags=True, tags=ctx.tags(SERVICE),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[lb.listener] if lb else []))
        find_ip = cluster.name.apply(lambda c: (
            f"aws ecs describe-tasks --cluster {c} --tasks $(aws ecs list-tasks --cluster {c} --service-name {SERVICE} "
            "--query 'taskArns[0]' --output text) --query \"tasks[0].attachments[0].details[?name=='networkInterfaceId'].value\" "
            "--output text | xargs -I{} aws ec2 describe-network-interfaces --network-interface-ids {} "
            "--query 'NetworkInterfaces[0].Association.PublicIp' --output text"))
        outputs: dict[str, Any] = {"cluster": cluster.name, "service": service.name, "findTaskIp": find_ip,
                                   "executionRole": role_arn}
        if lb is not None:
            outputs["url"] = lb.url
        return outputs

    # --- variant local ----------------------------------------------------------------------

    def _local(self, name: str, args: LabArgs[ContainersOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        engine = docker.Provider(f"{name}-engine", host=options.docker_host, opts=self.child)
        on_engine = pulumi.ResourceOptions(parent=self, provider=engine)
        volume = docker.Volume(f"{name}-volume", name=ctx.account_name(VOLUME), opts=on_engine,
                               labels=[docker.VolumeLabelArgs(label=k, value=v) for k, v in ctx.tags(VOLUME).items()])
        nginx = docker.RemoteImage(f"{name}-nginx", name=NGINX_IMAGE, keep_locally=True, opts=on_engine)
        address = engine_address(options.docker_host)
        running: dict[str, Any] = {}

        def run(key: str, book_name: str, image: pulumi.Input[str], port: int, shared: bool) -> None:
            container = docker.Container(
                f"{name}-{key}", name=ctx.account_name(book_name), image=image, ports=[{"internal": 80, "external": port}],
                volumes=[{"volume_name": volume.name, "container_path": VOLUME_PATH}] if shared else None,
                restart="unless-stopped", opts=on_engine,
                labels=[docker.ContainerLabelArgs(label=k, value=v) for k, v in ctx.tags(book_name).items()])
            running[book_name] = {"name": container.name, "port": port, "url": f"http://{address}:{port}/"}

        for book_name, port in PLAIN_CONTAINERS:
            run(book_name.lower(), book_name, nginx.image_id, port, shared=False)
        for book_name, port in SHARED_CONTAINERS:
            run(book_name.lower(), book_name, nginx.image_id, port, shared=True)
        outputs: dict[str, Any] = {"variant": "local", "containers": running, "bookCommands": book_commands(ctx, local=True),
                                   "needs": NEEDS_LOCAL}
        if ctx.stage == "starter":
            outputs["nextStep"] = (f"write the book's page into C1 (docker exec -it C1 bash; echo \"{C1_PAGE}\" > "
                                   f"{VOLUME_PATH}/index.html) and see it on 8081, C2 keeping nginx's on 8082; edit "
                                   f"index.html in the volume (docker exec -it C1-VOL bash) and see the same page on C1-VOL "
                                   "(8084) and C2-VOL (8085); then build the two images from labs/containers/ (bookCommands)")
            return outputs
        built = {}
        for image in IMAGES:
            built[image.key] = docker.Image(
                f"{name}-{image.key}-image", image_name=f"{image.key}:{image.tag()}",
                build=docker.DockerBuildArgs(context=image.directory, dockerfile=image.dockerfile),  # the engine's platform
                skip_push=True, opts=on_engine)  # local only: no registry
            run(image.container.lower(), image.container, built[image.key].image_name, image.published(local=True),
                shared=False)
        outputs["images"] = {key: {"name": image.image_name} for key, image in built.items()}
        return outputs
