"""load-balancer (chapter 8.1-8.2): three web servers behind an Application Load Balancer."""

from __future__ import annotations

from typing import Any, Mapping

from ..addressing import default_like_layout
from ..book import BookRef
from ..lab import LabDefinition, NoOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import Alternates, PageContains, ProbeSpec

SUBNETS = ("SN-0", "SN-16", "SN-32")  # three AZs
ALB = "web-ALB"


def alb_paths(target: str) -> list[Expect]:
    return [
        allow(INTERNET, ALB, 80, "browse the load balancer's DNS name"),
        allow(ALB, target, 80, f"the load balancer forwards to {target} (and health-checks it)"),
    ]


def host_paths(target: str, direct_http: bool) -> list[Expect]:
    return [
        (allow(INTERNET, target, 80, f"browse {target}'s public IP (the book's test before the ALB, book ch. 8, Configuration of an AWS Elastic Load Balancer)") if direct_http
         else deny(INTERNET, target, 80, "the group's servers answer HTTP only through the load balancer")),
        allow(ADMIN, target, 22, f"ssh into {target} from the admin CIDR"),
        allow(target, INTERNET, 443, "the user data downloads the web server package"),
    ]


def expected_paths(stage: str, options: NoOptions) -> list[Expect]:
    paths = [p for vm in ("VM1", "VM2", "VM3") for p in host_paths(vm, direct_http=True)
             if vm == "VM1" or p.dst == vm]  # browse every VM; ssh and packages once
    if stage == "solution":
        paths += [p for vm in ("VM1", "VM2", "VM3") for p in alb_paths(vm) if vm == "VM1" or p.src == ALB]
    return paths


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    found: list[ProbeSpec] = [PageContains(f"{vm} page", "browse each VM before the ALB (book ch. 8, Configuration of an AWS Elastic Load Balancer)", t["url"], ("This is",))
                              for vm, t in sorted((out.get("targets") or {}).items()) if t.get("url")]
    if out.get("url"):
        found.append(Alternates("ALB alternates", "refresh the ALB's DNS name: the hosts alternate (book ch. 8, Creation of the elastic load balancer)", out["url"]))
    return found


LAB = LabDefinition(
    key="load-balancer",
    chapter=8,
    section="8.1-8.2",
    title="An Application Load Balancer over three web servers",
    book=BookRef(8, "Cloud Autoscaling Infrastructure", section="Hash",
                 heading="Configuration of an AWS Elastic Load Balancer",
                 through="Further Investigation of the functioning of the Load Balancer",
                 quote="provide access to a cluster of three webservers connected to different subnets",
                 lines=(6201, 6508)),
    summary=(
        "Three web servers in three AZs, each page saying \"This is <hostname>\" (book ch. 8, Configuration of an AWS Elastic Load Balancer) and browsable on its public "
        "IP as the book tests first (book ch. 8, Configuration of an AWS Elastic Load Balancer: the book's web group, HTTP from anywhere, SSH from the admin CIDR); a "
        "target group on HTTP 80 with the book's health check (`/`, every 30 s, 5 s timeout, 2 to unhealthy, 5 to "
        "healthy, code 200); an internet-facing Application Load Balancer (with a group of its own, where the book "
        "reuses the web group) and a listener forwarding to the group"
    ),
    stages={
        "starter": "the three servers, each browsable on its public IP (book ch. 8, Configuration of an AWS Elastic Load Balancer); no target group, no ALB: the student "
                   "builds them",
        "solution": "the ALB alternates between the three servers (book ch. 8, Creation of the elastic load balancer)",
    },
    options=NoOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probes=probes,
    outputs=(
        Output("targets", "mapping", "VM1-VM3: subnet, private and public IP, url, ssh command"),
        Output("url", "url", "the load balancer's page", "solution"),
        Output("test", "command", "six requests to the ALB: the hosts alternate", "solution"),
        Output("nextStep", "text", "the target group and ALB the student builds (book ch. 8, Creation of a Target Group to Creation of the elastic load balancer)", "starter"),
    ),
)
