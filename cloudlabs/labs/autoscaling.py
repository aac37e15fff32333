"""autoscaling (chapter 8.3): an Auto Scaling group of identical servers behind the load balancer."""

from __future__ import annotations

from typing import Any, Mapping

from ..addressing import default_like_layout
from ..book import BookRef
from ..lab import LabDefinition, NoOptions, Output
from ..paths import Expect
from ..probes import PageContains, ProbeSpec
from .load_balancer import alb_paths, host_paths

GROUP = "web-ASG"  # the servers, as reachability names them


def expected_paths(stage: str, options: NoOptions) -> list[Expect]:
    return alb_paths(GROUP) + host_paths(GROUP, direct_http=False)


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    return [PageContains("ALB page", "the ASG's identical page through the ALB (book ch. 8, Further Investigation of the functioning of the Load Balancer)", out["url"], ("Auto Scaling Group",))]


LAB = LabDefinition(
    key="autoscaling",
    chapter=8,
    section="8.3",
    title="An Auto Scaling group behind the load balancer",
    book=BookRef(8, "Cloud Autoscaling Infrastructure", section="Creation of the elastic load balancer",
                 heading="Configuration of an Auto Scaling Group",
                 through="Auto Scaling Group",
                 quote="An Auto Scaling Group (ASG) is a set of identical servers",
                 lines=(6509, 6755)),
    summary=(
        "A launch template with the web-server user data serving one identical page on every server (the book's "
        "point, book ch. 8, Further Investigation of the functioning of the Load Balancer; instead of the book's hand-made AMI), servers taking HTTP only from the ALB, an Auto Scaling "
        "group of min 2 / desired 2 / max 4 over three AZs in the ALB's target group with ELB health checks, target "
        "tracking on average CPU at 50%; outputs say how to find and load an instance (`stress-ng` on AL2023)"
    ),
    stages={"solution": "two identical servers behind the ALB (book ch. 8, Further Investigation of the functioning of the Load Balancer); loading their CPU adds up to two more"},
    options=NoOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_notes="scaled out to 4 servers, two more instances with their volumes and addresses",
    outputs=(
        Output("url", "url", "the load balancer's page"),
        Output("autoScalingGroup", "text", "the group's name"),
        Output("capacity", "mapping", "min, desired and max servers"),
        Output("findInstances", "command", "list the group's instances with the AWS CLI"),
        Output("loadOneInstance", "command", "load one server's CPU (stress-ng) to watch the group scale out"),
    ),
)
