"""access-control (chapter 5): network ACLs and security groups, in the student's default-like VPC."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from ..addressing import default_like_layout
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny, ping

CONTAINER_PORTS = (8081, 8082, 8083)

AccessControlPart = Literal["nacl", "security-groups", "containers", "coursework"]


class AccessControlOptions(LabOptions):
    parts: tuple[AccessControlPart, ...] = Field(
        ("nacl", "security-groups", "containers"), min_length=1, strict=False,
        description="a non-empty list of parts, each once: nacl, security-groups, containers, coursework "
                    "(chapter 5's VM1 in SN-0 and VM2/VM3 in SN-80, L4233)",
    )

    @field_validator("parts")
    @classmethod
    def _each_once(cls, parts: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(parts)) != len(parts):
            raise ValueError("a part is listed twice")
        return parts


def expected_paths(stage: str, options: AccessControlOptions) -> list[Expect]:
    opened = allow if stage != "starter" else deny
    paths: list[Expect] = []
    if "nacl" in options.parts:
        paths += [
            opened(ADMIN, "VM-NACL", 22, "ssh into VM-NACL: needs inbound 22 and the reply on ephemeral ports"),
            deny(INTERNET, "VM-NACL", 22, "SSH only from the admin CIDR"),
            (allow if stage == "solution" else deny)("VM-NACL", INTERNET, 443,
                                                     "sudo dnf update: outbound 443 and the reply on ephemeral ports"),
        ]
    if "security-groups" in options.parts:
        paths += [
            opened(INTERNET, "VM-SG", 80, "browse VM-SG: SG-01 lets HTTP in (the default group does not)"),
            opened(ADMIN, "VM-SG", 22, "ssh into VM-SG: SG-02 adds SSH (SG-01 alone fails)"),
            allow("VM-SG", INTERNET, 443, "outbound is open: package installs work"),
        ]
    if "containers" in options.parts:
        paths += [
            opened(INTERNET, "VM-DOCKER", CONTAINER_PORTS[1], "browse <public IP>:8082, the second container"),
            allow(ADMIN, "VM-DOCKER", 22, "ssh into the Docker host"),
            allow("VM-DOCKER", INTERNET, 443, "docker pulls the nginx image"),
        ]
    if "coursework" in options.parts:
        paths += [allow(ADMIN, vm, 22, f"the administrator reaches {vm} over SSH") for vm in ("VM1", "VM2", "VM3")]
        paths += [
            ping("VM1", "VM2", stage != "starter", "ping VM2 from VM1 (L4255)"),
            ping("VM1", "VM3", stage != "starter", "ping VM3 from VM1"),
            opened("VM1", "VM2", CONTAINER_PORTS[0], "curl VM2:8081 from VM1"),
            opened("VM1", "VM3", CONTAINER_PORTS[-1], "curl VM3:8083 from VM1"),
            deny(INTERNET, "VM2", CONTAINER_PORTS[0], "only VM1 may curl the containers"),
            ping(INTERNET, "VM3", False, "only VM1 may ping VM2 and VM3"),
            allow("VM2", INTERNET, 443, "docker pulls the nginx image"),
        ]
    return paths


LAB = LabDefinition(
    key="access-control",
    chapter=5,
    section="5",
    title="Network ACLs and security groups",
    seed_lines="L3558-4400",
    summary=(
        "A default-like VPC with three parts (option `parts`, default all): SN-0 with its own network ACL and an "
        "instance in it; an instance protected by SG-01 (HTTP in, ICMP out) and SG-02 (SSH from the admin CIDR) "
        "together; an instance running three nginx containers on 8081-8083 behind one rule for the range"
    ),
    stages={
        "starter": "the NACL denies everything; the SG instance has only the VPC's default group; no rule for the "
                   "containers' ports",
        "ssh": "NACL: inbound 22 from the admin CIDR, outbound ephemeral 1024-65535 (SSH works, package installs do "
               "not); SG-01 + SG-02; the 8081-8083 rule",
        "solution": "NACL adds outbound 443 and inbound ephemeral 1024-65535: package installs work",
    },
    options=AccessControlOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probed_from_inside=True,
    cost_variants={"with the `coursework` part too": {"parts": ["nacl", "security-groups", "containers", "coursework"]}},
    outputs=(
        Output("vpcId", "id", "the VPC"),
        Output("vpcCidr", "address", "the VPC's IPv4 block"),
        Output("nacl", "mapping", "the NACL's id and rules, VM-NACL's public IP, ssh command and test", "part nacl"),
        Output("securityGroups", "mapping", "VM-SG's groups, public IP, url and ssh command", "part security-groups"),
        Output("containers", "mapping", "the Docker host's public IP, ssh command and the three container urls",
               "part containers"),
        Output("coursework", "mapping", "VM1-VM3's addresses and ssh commands, and the curl/ping tests to run from VM1",
               "part coursework"),
    ),
)
