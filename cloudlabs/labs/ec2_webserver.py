"""ec2-webserver (chapter 3): web servers bootstrapped by user data in a default-like VPC."""

from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import Field

from ..addressing import default_like_layout
from ..images import WINDOWS_SERVER_2019, architecture
from ..lab import LabDefinition, LabOptions, Output, StackFacts
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import PageContains, ProbeSpec


class Ec2WebserverOptions(LabOptions):
    count: int = Field(2, ge=0, le=6, description="a whole number of web servers from 0 to 6 (0: the VPC and the "
                                                  "security group only, for the CLI and boto3 deployments of the "
                                                  "chapter 3 assignment, L2559-2635)")
    os: Literal["amazon-linux-2023", "ubuntu-24.04", "alternate", "windows-server-2019"] = Field(
        "amazon-linux-2023",
        description="amazon-linux-2023, ubuntu-24.04, alternate (VM1 Amazon Linux, VM2 Ubuntu, ... as in the coursework), "
                    "or windows-server-2019 (the book's Windows server, L2425: RDP from the admin CIDR, IIS)",
    )

    def conflicts(self, stack: StackFacts) -> dict[str, str]:
        if self.os == WINDOWS_SERVER_2019.key and architecture(stack.instance_type) != "x86_64":
            return {"os": f"Windows Server 2019 images are x86_64 only, and instanceType {stack.instance_type} is an "
                          f"{architecture(stack.instance_type)} (Graviton) type"}
        return {}


def expected_paths(stage: str, options: Ec2WebserverOptions) -> list[Expect]:
    web = allow if stage == "solution" else deny
    windows = options.os == "windows-server-2019"
    port, way = (3389, "RDP") if windows else (22, "ssh")
    paths: list[Expect] = []
    for i in range(1, options.count + 1):
        vm = f"VM{i}"
        paths += [
            allow(ADMIN, vm, port, f"{way} into {vm} from the admin CIDR"),
            deny(INTERNET, vm, port, f"{way.upper()} from anywhere else is refused"),
            web(INTERNET, vm, 80, f"browse http://<{vm} public IP>/" + ("" if stage == "solution" else ": it fails, why?")),
            allow(vm, INTERNET, 443, "the user data downloads the web server package"),
        ]
    if options.count >= 2 and not windows:
        paths.append(allow("VM1", "VM2", 22, "ssh from VM1 into VM2 with the key copied to VM1 (L11127)"))
    return paths


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    return [PageContains(f"{vm} page", "browse the public IP: Hello from <hostname> (chapter 3)", s["url"], ("Hello from",))
            for vm, s in sorted((out.get("servers") or {}).items())]


SERVERS = "count 1-6"
VPC_ONLY = "count 0"

LAB = LabDefinition(
    key="ec2-webserver",
    chapter=3,
    section="3",
    title="Web servers on EC2, bootstrapped by user data",
    seed_lines="L1311-2700",
    summary=(
        "A VPC shaped like the default VPC (six public /20s, one per AZ where the region allows, see the address "
        "plan) and 1-6 web servers (option `count`, default 2; option `os`: `amazon-linux-2023`, `ubuntu-24.04` or "
        "the coursework's `alternate`) that answer \"Hello from <hostname>\"; one security group: SSH from the admin "
        "CIDR, HTTP from anywhere, SSH between its members (VM1 -> VM2, chapter 13's test, L11127); IMDSv2 stays "
        "required and the output `metadataCommands` gives chapter 4's metadata questions (L3233-3261) in their "
        "token form (the book's plain `curl` gets 401; PowerShell's Invoke-RestMethod on Windows)"
    ),
    stages={
        "starter": "the security group allows SSH only: the browser times out, as in the book (\"It failed! Why?\")",
        "solution": "HTTP (80) is open to the world: every server's page loads",
    },
    options=Ec2WebserverOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_variants={"with `count: 1`": {"count": 1}, "with `count: 6`": {"count": 6},
                   "with `os: windows-server-2019` (license included)": {"os": "windows-server-2019"}},
    outputs=(
        Output("vpcId", "id", "the VPC"),
        Output("vpcCidr", "address", "the VPC's IPv4 block (10.N.0.0/16)"),
        Output("servers", "mapping", "per VM: OS, subnet, public and private IP, url, ssh command (Windows: the RDP "
                                     "command and the one that decrypts the Administrator password)", SERVERS),
        Output("urls", "list", "every server's page", SERVERS),
        Output("metadataCommands", "list", "chapter 4's instance-metadata questions with the IMDSv2 token (bash; "
                                           "PowerShell for Windows servers)"),
        Output("assignment", "text", "which VM goes where, by console, AWS CLI or boto3 (L2559)", VPC_ONLY),
        Output("subnetIds", "mapping", "subnet name -> id, for --subnet-id", VPC_ONLY),
        Output("securityGroupId", "id", "the web group, for --security-group-ids", VPC_ONLY),
        Output("amis", "mapping", "Amazon Linux and Ubuntu AMI ids in the stack's region", VPC_ONLY),
        Output("instanceType", "text", "the stack's instance type", VPC_ONLY),
        Output("keyName", "text", "the key pair for --key-name (empty: none set)", VPC_ONLY),
        Output("cliExampleVm3", "command", "an aws ec2 run-instances line for VM3", VPC_ONLY),
    ),
)
