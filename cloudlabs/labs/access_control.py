"""access-control (chapter 5): network ACLs and security groups, in the student's default-like VPC."""

from __future__ import annotations

from typing import Any, Literal, Mapping
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from ..addressing import default_like_layout
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny, ping
from ..probes import PageContains, ProbeSpec

CONTAINER_PORTS = (8081, 8082, 8083)
# Chapter 5's "access control with security groups and TCP analysis" (book ch. 5, “Chapter 5 Coursework” › “Submit”): two nginx
# containers per host and a MongoDB container each, reached on its native driver port.
TCP_ANALYSIS_PORTS = {"VM2": (8081, 8082), "VM3": (8083, 8084)}
MONGODB_PORT = 27017
NGINX_PAGE = "Welcome to nginx!"  # the nginx image's default page
MONGODB_OVER_HTTP = "It looks like you are trying to access MongoDB over HTTP on the native driver port."  # book ch. 5, “Chapter 5 Coursework” › “Submit”

AccessControlPart = Literal["nacl", "security-groups", "containers", "coursework", "coursework-nacl", "tcp-analysis"]
# The chapter's three assignments each build VM1-VM3 (the book's names): one at a time.
ASSIGNMENTS = ("coursework", "coursework-nacl", "tcp-analysis")


class AccessControlOptions(LabOptions):
    parts: tuple[AccessControlPart, ...] = Field(
        ("nacl", "security-groups", "containers"), min_length=1, strict=False,
        description="a non-empty list of parts, each once: nacl, security-groups, containers, and at most one of "
                    "chapter 5's assignments (VM1 in SN-0, VM2/VM3 in SN-80): coursework (security groups, book ch. 5, Chapter 5 Coursework), "
                    "coursework-nacl (the same with NACLs, book ch. 5, Chapter 5 Coursework; not with nacl: both own SN-0's NACL), "
                    "tcp-analysis (nginx and MongoDB containers, book ch. 5, Submit)",
    )

    @field_validator("parts")
    @classmethod
    def _each_once(cls, parts: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(parts)) != len(parts):
            raise ValueError("a part is listed twice")
        chosen = [p for p in parts if p in ASSIGNMENTS]
        if len(chosen) > 1:
            raise ValueError(f"{' and '.join(chosen)} both build VM1-VM3: choose one assignment at a time")
        if "nacl" in parts and "coursework-nacl" in parts:
            raise ValueError("nacl and coursework-nacl both give SN-0 a NACL of their own: choose one")
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
            ping("VM-SG", INTERNET, True, "ping www.sheridancollege.ca from VM-SG: ICMP goes out (book ch. 5, Configure and Apply Security Groups)"),
            ping(INTERNET, "VM-SG", False, "ping VM-SG from home: no group lets ICMP in (book ch. 5, Configure and Apply Security Groups)"),
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
            ping("VM1", "VM2", stage != "starter", "ping VM2 from VM1 (book ch. 5, Chapter 5 Coursework)"),
            ping("VM1", "VM3", stage != "starter", "ping VM3 from VM1"),
            opened("VM1", "VM2", CONTAINER_PORTS[0], "curl VM2:8081 from VM1"),
            opened("VM1", "VM3", CONTAINER_PORTS[-1], "curl VM3:8083 from VM1"),
            deny(INTERNET, "VM2", CONTAINER_PORTS[0], "only VM1 may curl the containers"),
            ping(INTERNET, "VM3", False, "only VM1 may ping VM2 and VM3"),
            allow("VM2", INTERNET, 443, "docker pulls the nginx image"),
        ]
    if "coursework-nacl" in options.parts:
        paths += _coursework_nacl_paths(stage)
        if "containers" in options.parts:
            paths.append(deny("VM-DOCKER", "VM2", CONTAINER_PORTS[0], "inside the VPC only VM1 reaches the containers: "
                              "SN-80's NACL denies the VPC's other TCP (150) before the replies' rule (200)"))
    if "tcp-analysis" in options.parts:
        paths += _tcp_analysis_paths(stage)
    return paths


def _coursework_nacl_paths(stage: str) -> list[Expect]:
    """book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework”: the temporary group lets everything in from the admin and the VPC, so the
    NACLs of SN-0 and SN-80 alone decide."""
    ssh = allow if stage != "starter" else deny
    done = stage == "solution"
    return [
        *(ssh(ADMIN, vm, 22, f"ssh into {vm}: inbound 22 and the reply on ephemeral ports, in its subnet's NACL")
          for vm in ("VM1", "VM2", "VM3")),
        ping("VM1", "VM2", done, "ping VM2 from VM1: ICMP out of SN-0 and into SN-80, and the replies back"),
        ping("VM1", "VM3", done, "ping VM3 from VM1"),
        (allow if done else deny)("VM1", "VM2", CONTAINER_PORTS[0], "curl VM2:8081 from VM1"),
        (allow if done else deny)("VM1", "VM3", CONTAINER_PORTS[-1], "curl VM3:8083 from VM1"),
        ping(ADMIN, "VM2", False, "only VM1 pings VM2 and VM3: the group lets the admin's ICMP in, the NACL does not"),
        deny(INTERNET, "VM2", CONTAINER_PORTS[0], "the replies' rule admits 1024-65535 from anywhere (stateless); "
                                                  "the temporary group keeps the world out"),
        allow("VM2", INTERNET, 443, "Docker and nginx are downloaded at boot (SN-80's NACL, every stage)"),
    ]


def _tcp_analysis_paths(stage: str) -> list[Expect]:
    """The table of book ch. 5, “Chapter 5 Coursework” › “Submit”, each line a path; before it (`starter`) only SSH works."""
    opened = allow if stage != "starter" else deny
    paths = [allow(ADMIN, vm, 22, f"the administrator SSHes to {vm}'s public address") for vm in ("VM1", "VM2", "VM3")]
    paths.append(ping(ADMIN, "VM1", stage != "starter", "ping and traceroute VM1's public address"))
    for vm, ports in TCP_ANALYSIS_PORTS.items():
        for port in (*ports, MONGODB_PORT):
            paths.append(opened(ADMIN, vm, port, f"the administrator browses {vm}:{port}"))
            paths.append(opened("VM1", vm, port, f"curl {vm}:{port} from VM1"))
        paths.append(ping("VM1", vm, stage != "starter", f"ping {vm}'s private address from VM1"))
    paths += [
        deny(INTERNET, "VM2", MONGODB_PORT, "MongoDB only from the administrator and VM1"),
        ping(ADMIN, "VM2", False, "the table lets the administrator ping VM1 only"),
        deny("VM2", "VM3", TCP_ANALYSIS_PORTS["VM3"][0], "VM3's containers admit VM1, not VM2"),
    ]
    return paths


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    """What a browser outside the VPC sees: VM-SG's page, the containers' pages, and in the TCP
    analysis the containers and MongoDB's answer over HTTP (those from the admin CIDR only: run
    `labctl probe` from there). VM1's tests of the assignments are seen from inside only."""
    found: list[ProbeSpec] = []
    if sg := out.get("securityGroups"):
        found.append(PageContains("VM-SG page", "browse VM-SG: SG-01 lets HTTP in", sg["url"], ("Hello from",)))
    for url in (out.get("containers") or {}).get("urls") or []:
        found.append(PageContains(f"VM-DOCKER:{urlsplit(url).port} page", "browse <public IP>:<port>: an nginx container",
                                  url, (NGINX_PAGE,)))
    for vm, urls in sorted(((out.get("tcpAnalysis") or {}).get("urls") or {}).items()):
        for port, url in sorted(urls.items(), key=lambda item: int(item[0])):
            mongodb = int(port) == MONGODB_PORT
            found.append(PageContains(f"{vm}:{port} {'MongoDB over HTTP' if mongodb else 'page'}",
                                      "from the admin CIDR: browse the container (book ch. 5, Submit)", url,
                                      (MONGODB_OVER_HTTP if mongodb else NGINX_PAGE,)))
    return found


LAB = LabDefinition(
    key="access-control",
    chapter=5,
    section="5",
    title="Network ACLs and security groups",
    book=BookRef(5, "Cloud Access Control", section="Protocol IPv4 encapsulating a TCP segment",
                 heading="Create and Apply a NACL",
                 through="Submit",
                 quote="Find Network ACLs under Security.",
                 lines=(3558, 4404)),
    summary=(
        "A default-like VPC with three parts (option `parts`, default all): SN-0 with its own network ACL and an "
        "instance in it; an instance protected by SG-01 (HTTP in, ICMP out) and SG-02 (SSH from the admin CIDR) "
        "together; an instance running three nginx containers on 8081-8083 behind one rule for the range; "
        "or one of the chapter's three assignments with VM1-VM3 (security groups, NACLs, the TCP analysis)"
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
    probes=probes,
    probed_from_inside=True,
    cost_variants={"with the `coursework` part too": {"parts": ["nacl", "security-groups", "containers", "coursework"]},
                   "the `coursework-nacl` assignment alone": {"parts": ["coursework-nacl"]},
                   "the `tcp-analysis` assignment alone": {"parts": ["tcp-analysis"]}},
    outputs=(
        Output("vpcId", "id", "the VPC"),
        Output("vpcCidr", "address", "the VPC's IPv4 block"),
        Output("nacl", "mapping", "the NACL's id and rules, VM-NACL's public IP, ssh command and test", "part nacl"),
        Output("securityGroups", "mapping", "VM-SG's groups, public IP, url and ssh command", "part security-groups"),
        Output("containers", "mapping", "the Docker host's public IP, ssh command and the three container urls",
               "part containers"),
        Output("coursework", "mapping", "VM1-VM3's addresses and ssh commands, and the curl/ping tests to run from VM1",
               "part coursework"),
        Output("courseworkNacl", "mapping", "VM1-VM3's addresses and ssh commands, both NACLs' rules, and the "
               "curl/ping tests to run from VM1", "part coursework-nacl"),
        Output("tcpAnalysis", "mapping", "VM1-VM3's addresses and ssh commands, the container URLs to browse by "
               "host and port, the curl tests to run from VM1, the Wireshark filter for VM2's MongoDB",
               "part tcp-analysis"),
    ),
)
