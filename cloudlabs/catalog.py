"""The lab catalog: every lab a stack can select, its stages and its options, as data.

A new lab adds one ``LabSpec`` here (what a student may ask for, validated before anything is
registered), one layout in ``addressing.LAYOUTS`` and one component in ``components.labs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

DEFAULT_STAGE = "solution"


class LabOptions(BaseModel):
    """Base of every lab's options: camelCase keys in YAML, unknown keys refused."""

    # strict: `count: "3"` or `coursework: yes` is refused, not converted (a YAML list still makes a tuple)
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True,
                              strict=True, allow_inf_nan=False)


class NoOptions(LabOptions):
    pass


class Ec2WebserverOptions(LabOptions):
    count: int = Field(2, ge=0, le=6, description="a whole number of web servers from 0 to 6 (0: the VPC and the "
                                                  "security group only, for the CLI and boto3 deployments of the "
                                                  "chapter 3 assignment, L2559-2635)")
    os: Literal["amazon-linux-2023", "ubuntu-24.04", "alternate"] = Field(
        "amazon-linux-2023",
        description="amazon-linux-2023, ubuntu-24.04, or alternate (VM1 Amazon Linux, VM2 Ubuntu, ... as in the coursework)",
    )


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


NAT_OPTION = ("true or false: false drops the NAT gateways (and their Elastic IPs); private web servers "
              "then serve their page with Python's built-in server, which needs no package download")


class DualStackOptions(LabOptions):
    coursework: bool = Field(False, description="true or false: also carve the coursework subnets SN-A..SN-F")
    nat_gateway: bool = Field(True, description="true or false: with coursework, false gives private SN-B an "
                                                "IPv6-only way out (egress-only gateway) instead of a NAT gateway")


class VpcPeeringOptions(LabOptions):
    nat_gateway: bool = Field(True, description=NAT_OPTION)


StoragePart = Literal["private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint"]
STORAGE_PARTS: tuple[StoragePart, ...] = ("private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint")


class ObjectStorageOptions(LabOptions):
    parts: tuple[StoragePart, ...] = Field(
        STORAGE_PARTS, min_length=1, strict=False,
        description="a non-empty list of parts, each once: " + ", ".join(STORAGE_PARTS) + " (cors needs website)",
    )

    @field_validator("parts")
    @classmethod
    def _consistent(cls, parts: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(parts)) != len(parts):
            raise ValueError("a part is listed twice")
        if "cors" in parts and "website" not in parts:
            raise ValueError("cors needs website (website 1 is the allowed origin)")
        return parts


class LampOptions(LabOptions):
    db_instance_class: Literal["db.t3.micro", "db.t4g.micro"] = Field(
        "db.t3.micro", description="db.t3.micro or db.t4g.micro (the smallest classes)")


@dataclass(frozen=True)
class LabSpec:
    key: str
    chapter: int
    title: str
    seed_lines: str  # where the book describes it (seeds/000_*.txt)
    summary: str
    stages: dict[str, str]  # stage -> what the student gets
    options: type[LabOptions] = NoOptions

    @property
    def default_stage(self) -> str:
        return DEFAULT_STAGE if DEFAULT_STAGE in self.stages else next(iter(self.stages))


_SPECS = (
    LabSpec(
        key="ec2-webserver",
        chapter=3,
        title="Web servers on EC2, bootstrapped by user data",
        seed_lines="L1311-2700",
        summary=(
            "A VPC shaped like the default VPC (six public /20s, one per AZ) and 1-6 web servers "
            "that answer 'Hello from <hostname>'; SSH from the admin CIDR, HTTP from anywhere."
        ),
        stages={
            "starter": "the security group allows SSH only: the browser times out, as in the book",
            "solution": "HTTP (80) is open to the world: every server's page loads",
        },
        options=Ec2WebserverOptions,
    ),
    LabSpec(
        key="vpc-nat",
        chapter=7,
        title="Public and private subnets, bastion and NAT gateway",
        seed_lines="L5281-5700",
        summary=(
            "VPC-A with public SN-A-01 and private SN-A-02, an internet gateway, a bastion (SSH "
            "from the admin CIDR) and a private web-dev server reached through it; in the solution "
            "a NAT gateway with an Elastic IP gives web-dev a way out."
        ),
        stages={
            "starter": "no NAT gateway and no Elastic IP (the book creates them, L5535), no route out of "
            "SN-A-02, web-dev without a web server and accepting only SSH from the bastion: no updates, "
            "no ping 8.8.8.8, no curl from the bastion",
            "solution": "NAT gateway + Elastic IP in SN-A-01 and the private default route to it; web-dev "
            "serves its page and accepts SSH and HTTP from the bastion's security group",
        },
    ),
    LabSpec(
        key="access-control",
        chapter=5,
        title="Network ACLs and security groups",
        seed_lines="L3558-4400",
        summary=(
            "In a default-like VPC: SN-0 with its own network ACL and an instance in it; an instance "
            "protected by SG-01 (HTTP in, ICMP out) and SG-02 (SSH from the admin CIDR) together; an "
            "instance running three nginx containers on 8081-8083 behind one security-group rule."
        ),
        stages={
            "starter": "the NACL denies everything; the SG instance has only the VPC's default group; "
            "no rule for the containers' ports",
            "ssh": "NACL: inbound 22 from the admin CIDR, outbound ephemeral 1024-65535 (SSH works, "
            "package installs do not); SG-01 + SG-02; the 8081-8083 rule",
            "solution": "NACL adds outbound 443 and inbound ephemeral 1024-65535: package installs work",
        },
        options=AccessControlOptions,
    ),
    LabSpec(
        key="dual-stack",
        chapter=6,
        title="IPv6 next to IPv4: a dual-stack VPC",
        seed_lines="L4830-5230",
        summary=(
            "A default-like VPC with an Amazon-provided IPv6 /56, subnets with numbered /64s (SN-0 gets "
            "00) and auto-assigned IPv6, and a web server reachable over IPv4 and IPv6; option: the "
            "coursework subnets SN-A..SN-F, each in its own AZ, SN-B private."
        ),
        stages={
            "starter": "IPv6 block and /64s, but no ::/0 route (the book adds it by hand): IPv6 does "
            "not reach the server; coursework SN-B has no way out",
            "solution": "::/0 to the internet gateway; SN-B gets a NAT gateway route and an "
            "egress-only gateway for IPv6",
        },
        options=DualStackOptions,
    ),
    LabSpec(
        key="load-balancer",
        chapter=8,
        title="An Application Load Balancer over three web servers",
        seed_lines="L6201-6500",
        summary=(
            "Three web servers in three AZs, each page naming its host and browsable directly (the book's "
            "first test); a target group on HTTP 80 with the book's health check (/, every 30 s, 5 s timeout, "
            "2 unhealthy, 5 healthy, 200); an internet-facing ALB and a listener forwarding to it."
        ),
        stages={
            "starter": "the three servers, each browsable on its public IP (L6230); no target group, no ALB: "
            "the student builds them",
            "solution": "the ALB alternates between the three servers (L6343)",
        },
    ),
    LabSpec(
        key="autoscaling",
        chapter=8,
        title="An Auto Scaling group behind the load balancer",
        seed_lines="L6500-6755",
        summary=(
            "A launch template (the web server's user data instead of the book's hand-made AMI), an "
            "Auto Scaling group of min 2 / desired 2 / max 4 over three subnets, registered to the ALB's "
            "target group with ELB health checks, and target tracking on average CPU at 50%."
        ),
        stages={"solution": "two identical servers behind the ALB (L6505); loading their CPU adds up to two more"},
    ),
    LabSpec(
        key="object-storage",
        chapter=9,
        title="Object storage: buckets, policies, static websites, CORS, a gateway endpoint",
        seed_lines="L7132-7819",
        summary=(
            "Buckets named per cohort and student: a private one (access denied), a public-read one, one "
            "that serves *.JPG only, one that serves PNG only to the admin CIDR, a static website, a second "
            "website that allows the first by CORS, and a private host reading a bucket through a VPC "
            "gateway endpoint (no internet)."
        ),
        stages={
            "starter": "every bucket private (the book's 'Access Denied') except, with cors, the two working "
            "websites whose cross-origin fetch fails (no CORS rule yet), the endpoint "
            "bucket without its policy",
            "solution": "the policies, the websites readable, website 2 allows website 1 by CORS, the "
            "endpoint bucket readable through the endpoint",
        },
        options=ObjectStorageOptions,
    ),
    LabSpec(
        key="lamp",
        chapter=10,
        title="LAMP: a PHP web server and a MySQL database on RDS",
        seed_lines="L7902-8331",
        summary=(
            "An Ubuntu web server with Apache, PHP and php-mysql and a private RDS MySQL instance "
            "(exampleDB, user admin, generated secret password, encrypted, 20 GiB) in a DB subnet group "
            "over two AZs; 3306 only from the web server's group; the PHP page lists table1's three records."
        ),
        stages={
            "starter": "the web server with Apache2 only and the empty database (the book's L7930 and L7937): "
            "the student installs mysql-client and PHP, creates table1 with its three rows and writes the PHP page",
            "solution": "the page lists the three records read from the database",
        },
        options=LampOptions,
    ),
    LabSpec(
        key="vpc-peering",
        chapter=7,
        title="Blue/green VPCs joined by peering",
        seed_lines="L5739-6008",
        summary=(
            "Blue VPC-A (staging, 10.N.0.0/17) and green VPC-B (production, 10.N.128.0/17), each "
            "with a public and a private /20, a bastion (VM1, VM3), a private web server (VM2, VM4) "
            "and a NAT gateway; a peering (requester B, accepter A); ICMP and HTTP allowed from the "
            "peer VPC."
        ),
        stages={
            "starter": "the peering is active but no route table knows the other VPC (the book's "
            "first failure)",
            "solution": "every route table of both VPCs routes the peer's CIDR through the peering",
        },
        options=VpcPeeringOptions,
    ),
)

# In course order (chapter), so lists of labs read like the book.
LABS: dict[str, LabSpec] = {spec.key: spec for spec in sorted(_SPECS, key=lambda spec: spec.chapter)}
