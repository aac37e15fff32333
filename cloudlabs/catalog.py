"""The lab catalog: every lab a stack can select, its stages and its options, as data.

A new lab adds one ``LabSpec`` here (what a student may ask for, validated before anything is
registered), one layout in ``addressing.LAYOUTS`` and one component in ``components.labs``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

DEFAULT_STAGE = "solution"


class LabOptions(BaseModel):
    """Base of every lab's options: camelCase keys in YAML, unknown keys refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True)


class NoOptions(LabOptions):
    pass


class Ec2WebserverOptions(LabOptions):
    count: int = Field(2, ge=1, le=6, description="a whole number of web servers from 1 to 6")
    os: Literal["amazon-linux-2023", "ubuntu-24.04", "alternate"] = Field(
        "amazon-linux-2023",
        description="amazon-linux-2023, ubuntu-24.04, or alternate (VM1 Amazon Linux, VM2 Ubuntu, ... as in the coursework)",
    )


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


LABS: dict[str, LabSpec] = {
    spec.key: spec
    for spec in (
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
                "from the admin CIDR) and a private web-dev server reached through it; a NAT gateway "
                "with an Elastic IP gives web-dev a way out."
            ),
            stages={
                "starter": "NAT gateway exists but the private route table has no default route, and "
                "web-dev accepts only SSH from the bastion: no updates, no curl from the bastion",
                "solution": "private default route to the NAT gateway; web-dev accepts SSH and HTTP "
                "from the bastion's security group",
            },
        ),
    )
}
