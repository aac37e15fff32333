"""containers (chapter 12): Docker on an EC2 host, the book's two images in a private ECR
registry, and the lighttpd image served by ECS on Fargate; or the same images and containers
on a Docker engine of the student's own (variant ``local``, no AWS at all)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, ValidationInfo, field_validator, model_validator

from .. import content
from ..addressing import default_like_layout
from ..dockerhost import ALLOWED as DOCKER_HOST_ALLOWED
from ..dockerhost import parse_docker_host
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import PageContains, ProbeSpec, SamePage, TaskPage

HOST = "docker-host"  # the book's EC2 instance acting as Docker host
SERVICE = "web-alpine"  # the book's ECS service (and task definition family, container name)
ALB = "web-ALB"
HOST_SUBNET = "SN-0"
SERVICE_SUBNETS = ("SN-0", "SN-16")  # two zones: the coursework's load balancer needs them
BOOK_TAG = "latest"  # the tag the book pushes by hand (book ch. 12, “Docker Container Composition” › “AWS Elastic Container Registry Service”); the project's own pushes carry version tags
HOST_PORTS = (8080, 8089)  # the book opens 8080-8089 for C1, C2 and the later containers (book ch. 12, “Docker Container Composition” › “Running NGINX webservers on containers”)
WEB_PORT = 5000  # the NGINX image's container WEB (the book: "modify the security group to allow port 5000")
# Variant local publishes WEB on another host port: on current macOS the AirPlay Receiver holds 5000 ("address
# already in use"); 8083 is free among the book's 8080-8089 there (web1 8080, C1 8081, C2 8082). The image still listens on 80.
LOCAL_WEB_PORT = 8083
TASK_CPU, TASK_MEMORY = 256, 512  # the smallest Fargate task: 0.25 vCPU, 0.5 GB


@dataclass(frozen=True)
class BuildContext:
    """One of the book's Docker projects, kept in the repository as its build context."""

    key: str  # the book's image name, also the ECR repository's
    directory: str  # relative to the repository root (Pulumi runs the program there)
    base: str  # the FROM line's image
    container: str  # the book's container name for it
    host_port: int  # the book's -p <host port>:80
    page: str  # text the built image's home page shows
    local_port: int | None = None  # the host port of variant local where the book's is taken on the student's machine

    def published(self, local: bool) -> int:
        """The host port the container is published on (the container listens on 80 either way)."""
        return self.local_port if local and self.local_port is not None else self.host_port

    @property
    def path(self) -> Path:
        return content.project_path(self.directory)

    @property
    def dockerfile(self) -> str:
        return f"{self.directory}/Dockerfile"

    def tag(self) -> str:
        """The image tag: the book's version and a digest of the context's files with their modes, so
        a changed page is a new tag (the repository's version tags are immutable) and a new task
        definition, and so is whatever makes the Docker provider build again (it hashes the modes too:
        another umask must not push an existing tag)."""
        return f"1.0-{content.digest(self.path, modes=True)[:12]}"  # the whole context, as Docker sends it: links refused


LIGHTTPD = BuildContext("web-alpine", "labs/containers/lighttpd", "alpine", "web1", 8080,
                        "Basic Docker webserver on Alpine")
NGINX = BuildContext("web-nginx", "labs/containers/my-nginx", "nginx:alpine", "WEB", WEB_PORT,
                     "Docker container running NGINX on Alpine", local_port=LOCAL_WEB_PORT)
IMAGES = (LIGHTTPD, NGINX)

# The book's NGINX containers: C1 and C2 (book ch. 12, “Docker Container Composition” › “Running NGINX webservers on containers”; the student writes "Hello from C1" into C1's page, book ch. 12, “Docker Container Composition” › “Modification of the container”),
# then C1-VOL and C2-VOL sharing the volume VOL-EXAMPLE (book ch. 12, “Docker Container Composition” › “Using Volumes to keep persistent data”: both show the page edited in the volume).
NGINX_IMAGE = "nginx:latest"
VOLUME = "VOL-EXAMPLE"
VOLUME_PATH = "/usr/share/nginx/html"
PLAIN_CONTAINERS = (("C1", 8081), ("C2", 8082))
SHARED_CONTAINERS = (("C1-VOL", 8084), ("C2-VOL", 8085))
C1_PAGE = "<html><body><h1> Hello from C1 </h1></body></html>"  # the book's echo into C1's index.html (book ch. 12, “Docker Container Composition” › “Modification of the container”)
NGINX_PAGE = "Welcome to nginx!"  # nginx's own page: C2 keeps it (the book edits C1 only)


def docker_host_user_data() -> str:
    """The book's bootstrap (book ch. 12, “Docker Container Composition” › “Configuration of a Docker host on an EC2 instance in AWS”, on Amazon Linux 2023: dnf, and docker enabled at boot), plus
    the book's two projects copied into ec2-user's home, so ``docker build`` works as in the book."""
    lines = [
        "#!/bin/bash",
        "# cloudlabs: Docker host (chapter 12): docker installed, ec2-user in the docker group, the book's projects",
        "set -euxo pipefail",
        "until dnf install -y docker; do sleep 30; done",
        "usermod -a -G docker ec2-user",
        "systemctl enable --now docker",
    ]
    for image in IMAGES:
        home = f"/home/ec2-user/{Path(image.directory).name}"
        for name, data in content.tree(image.path):  # regular files of labs/ only: user data reaches the instance
            target = f"{home}/{name}"
            encoded = base64.b64encode(data).decode()
            lines += [f"mkdir -p {Path(target).parent.as_posix()}", f"echo {encoded} | base64 -d > {target}"]
    lines += ["chown -R ec2-user:ec2-user " + " ".join(f"/home/ec2-user/{Path(i.directory).name}" for i in IMAGES), ""]
    return "\n".join(lines)


class ContainersOptions(LabOptions):
    variant: Literal["aws", "local"] = Field(
        "aws", description="aws (a Docker host, private ECR repositories and an ECS Fargate service in the student's VPC) "
                           "or local (the book's images and containers on a Docker engine of your own: no AWS at all)")
    coursework: bool = Field(
        False, description="true or false: the chapter's coursework, two tasks in two zones behind an Application Load "
                           "Balancer (variant aws)")
    docker_host: str | None = Field(
        None, max_length=512, examples=["ssh://ubuntu@192.0.2.10"], description="the Docker engine of variant local: " + DOCKER_HOST_ALLOWED +
                                          " (default: DOCKER_HOST, else the local socket)")

    @field_validator("docker_host")
    @classmethod
    def _an_engine_address(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        variant = info.data.get("variant")
        if variant is not None and variant != "local":
            raise ValueError("dockerHost is only read with variant: local")
        parse_docker_host(value)  # ValueError: what is wrong, any password masked
        return value

    @model_validator(mode="after")
    def _fits_the_variant(self) -> "ContainersOptions":
        if self.coursework and self.variant != "aws":
            raise ValueError("coursework: true needs variant: aws (the load balancer is an AWS one)")
        return self


def expected_paths(stage: str, options: ContainersOptions) -> list[Expect]:
    if options.variant == "local":
        return []  # no network of the lab's own: the engine publishes the ports on the student's machine
    paths = [
        allow(ADMIN, HOST, 22, "ssh into the Docker host from the admin CIDR"),
        allow(ADMIN, HOST, 8081, "browse C1 on <host public IP>:8081 (book ch. 12, Running NGINX webservers on containers)"),
        allow(ADMIN, HOST, 8082, "browse C2 on <host public IP>:8082"),
        allow(ADMIN, HOST, 8080, "browse web1, the lighttpd image, on :8080"),
        allow(ADMIN, HOST, WEB_PORT, "browse WEB, the NGINX image, on :5000"),
        deny(INTERNET, HOST, 8081, "the containers' ports are open to the admin CIDR only"),
        deny(INTERNET, HOST, 22, "SSH from anywhere else is refused"),
        allow(HOST, INTERNET, 443, "the host pulls images (Docker Hub, ECR) and packages"),
    ]
    if stage == "solution":
        if options.coursework:
            paths += [
                allow(INTERNET, ALB, 80, "browse the load balancer's DNS name (the coursework)"),
                allow(ALB, SERVICE, 80, "the load balancer forwards to the tasks (and health-checks them)"),
                deny(INTERNET, SERVICE, 80, "the tasks answer HTTP only through the load balancer"),
            ]
        else:
            paths.append(allow(INTERNET, SERVICE, 80, "browse the task's public IP (the book's last test; HTTP from "
                                                      "anywhere, as the book's service group)"))
    return paths


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    """The book's end state: the containers' pages as the book leaves them, on the local engine or on the Docker
    host's public IP (probed from the admin CIDR, as its group allows) (C1 with the student's
    "Hello from C1", C2 with nginx's own, C1-VOL and C2-VOL one page from the shared volume, web1 and WEB
    the images' pages); the service's page, on its running task's public IP (read from AWS when probed,
    book ch. 12, “Docker Container Composition” › “AWS Elastic Container Service”) or, with the coursework, on the load balancer."""
    pages = {"C1": "Hello from C1", "C2": NGINX_PAGE, LIGHTTPD.container: LIGHTTPD.page, NGINX.container: NGINX.page}
    containers = out.get("containers") or {}
    host_ip = (out.get("host") or {}).get("publicIp")
    if host_ip and not containers:  # variant aws: the same containers, run by the student on the Docker host (admin CIDR)
        containers = {name: {"port": port, "url": f"http://{host_ip}:{port}/"} for name, port in (
            *PLAIN_CONTAINERS, *SHARED_CONTAINERS, *((i.container, i.host_port) for i in IMAGES))}
    found: list[ProbeSpec] = [PageContains(f"{name} page", f"browse {name} on port {c['port']}", c["url"], (pages[name],))
                              for name, c in sorted(containers.items()) if c.get("url") and name in pages]
    shared = [containers[name]["url"] for name, _ in SHARED_CONTAINERS if (containers.get(name) or {}).get("url")]
    if len(shared) == len(SHARED_CONTAINERS):
        found.append(SamePage(f"{VOLUME} page", "C1-VOL and C2-VOL show the index.html edited in the volume (book ch. 12, Using Volumes to keep persistent data)",
                              tuple(shared)))
    if out.get("url"):
        found.append(PageContains("web-alpine service", "browse the service (the book's ECS test)", out["url"],
                                  (LIGHTTPD.page,)))
    elif out.get("cluster") and out.get("service"):
        found.append(TaskPage("web-alpine service", "browse the task's public IP on port 80 (the book's ECS test, book ch. 12, AWS Elastic Container Service)",
                              out["cluster"], out["service"], 80, (LIGHTTPD.page,)))
    return found


LAB = LabDefinition(
    key="containers",
    chapter=12,
    section="12",
    title="Docker containers: a Docker host, images in ECR, a service on ECS Fargate",
    book=BookRef(12, "Introduction to Docker Containers", section="Docker Container Composition",
                 heading="Configuration of a Docker host on an EC2 instance in AWS",
                 through="AWS Elastic Container Service",
                 quote="an EC2 instance will be configured to act as a Docker host",
                 lines=(8781, 10247)),
    summary=(
        "Variant `aws`: a Docker host (Amazon Linux 2023, Docker installed by user data, ec2-user in the docker "
        "group, the book's two projects in its home directory, an instance profile that may push to the lab's two repositories only: LabInstanceProfile under learner-lab) whose group opens SSH, 8080-8089 and 5000 to the admin "
        "CIDR only; private ECR repositories web-alpine and web-nginx (scan on push, immutable version tags with the book's `latest` exempt, deleted with "
        "their images); the book's two images (lighttpd on Alpine, NGINX on Alpine) built from `labs/containers/` "
        "with pulumi-docker and pushed with ECR's authorization token; an ECS cluster, a Fargate task definition "
        "(port 80, 0.25 vCPU, 0.5 GB, the pushed image by digest, execution role LabRole under learner-lab) and the "
        "service web-alpine with a public IP, HTTP open to the world as the book's service. Coursework: two tasks "
        "behind an Application Load Balancer. Variant `local`: no AWS at all: on a Docker engine of your own, C1 and "
        "C2 (nginx) on 8081/8082, C1-VOL and C2-VOL on 8084/8085 sharing the volume VOL-EXAMPLE, and the two images built for the engine's own platform "
        "and run on 8080 and 8083 (WEB: not the book's 5000, which macOS's AirPlay Receiver holds)"
    ),
    stages={
        "starter": "the Docker host and the empty repositories (local: C1 and C2, and C1-VOL and C2-VOL on the shared volume): the student "
                   "runs the book's docker commands, builds the images and pushes them with the outputs' commands",
        "images": "the two images built from the repository's build contexts and pushed to ECR (local: built and run "
                  "as web1 on 8080 and WEB on 8083, not 5000); the student creates the ECS cluster, task and service",
        "solution": "the ECS cluster, task definition and service web-alpine running the pushed image on Fargate "
                    "(coursework: behind an ALB); local: as images",
    },
    options=ContainersOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_variants={"with `coursework: true`": {"coursework": True}, "with `variant: local`": {"variant": "local"}},
    cost_notes="ECR storage ($0.10 per GB-month; the two images are about 60 MB) and data transfer are not in the "
               "hourly figure; variant local runs on your own machine and costs nothing",
    outputs=(
        Output("variant", "text", "aws or local"),
        Output("host", "mapping", "the Docker host's public and private IP and ssh command", "variant aws"),
        Output("repositories", "mapping", "web-alpine and web-nginx: each repository's URL", "variant aws"),
        Output("ecrLogin", "command", "docker login to the registry with ECR's token (the console's command 1), on the "
                                      "Docker host: its instance profile may push to the two repositories (the book "
                                      "runs it in Cloud9)", "variant aws"),
        Output("pushCommands", "list", "build, tag and push each image by hand on the Docker host (the console's "
                                       "commands 2-4)", "variant aws, starter"),
        Output("bookCommands", "list", "the chapter's docker commands: C1 and C2 on 8081/8082 (C1's page edited), "
                                       "C1-VOL and C2-VOL on the shared volume on 8084/8085, web1 on 8080 and WEB on 5000 (local: 8083)"),
        Output("images", "mapping", "each built image: its name, and (aws) the digest ECS runs", "stage images, solution"),
        Output("containers", "mapping", "C1, C2, C1-VOL, C2-VOL (and web1, WEB): name, port and URL on the engine", "variant local"),
        Output("cluster", "text", "the ECS cluster's name", "variant aws, solution"),
        Output("service", "text", "the ECS service's name (web-alpine)", "variant aws, solution"),
        Output("findTaskIp", "command", "the aws CLI commands that print the task's public IP (browse it on port 80)",
               "variant aws, solution"),
        Output("url", "url", "the load balancer's page", "coursework"),
        Output("executionRole", "text", "the task execution role: LabRole under learner-lab, else the lab's own",
               "variant aws, solution"),
        Output("nextStep", "text", "what the student does next, as the book goes on", "starter, images"),
        Output("needs", "text", "what runs where: variant local needs a Docker engine (pulumi up builds and runs "
                                "there); the offline renderer and emulator do not build images"),
    ),
    content=("containers",),
)
