"""ec2-webserver (chapter 3): web servers bootstrapped by user data in a default-like VPC."""

from __future__ import annotations

from typing import Any, Literal, Mapping

from pydantic import Field, model_validator

from ..addressing import default_like_layout
from ..images import IMAGES, architecture
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output, StackFacts
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import PageContains, PortOpen, ProbeSpec

RDP_PORT = 3389
# The book's Windows activity (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”) launches one server; its RDP file is Windows-01.rdp (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”),
# the console's name for an instance named Windows-01.
WINDOWS_NAME = "Windows-{:02d}"


def is_windows(os: str) -> bool:
    image = IMAGES.get(os)
    return image is not None and image.shell == "powershell"


class Ec2WebserverOptions(LabOptions):
    count: int = Field(2, ge=0, le=6, description="a whole number of servers from 0 to 6 (default 2; 1 with a Windows "
                                                  "os, as the book launches one Windows server, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance; 0: the VPC and "
                                                  "the security group only, for the CLI and boto3 deployments of the "
                                                  "chapter 3 assignment, book ch. 3, Chapter 3 coursework to Assignment Interacting with the cloud programmatically)")
    os: Literal["amazon-linux-2023", "ubuntu-24.04", "alternate", "windows-server-2019"] = Field(
        "amazon-linux-2023",
        description="amazon-linux-2023, ubuntu-24.04, alternate (VM1 Amazon Linux, VM2 Ubuntu, ... as in the coursework), "
                    "or windows-server-2019 (the book's Windows activity, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance: Windows-01 reached over RDP from "
                    "the admin CIDR as Administrator with the decrypted password; no web server)",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_windows_server(cls, data: Any) -> Any:
        """The book launches one Windows server (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”) and two Linux ones: an unset count follows the os."""
        if isinstance(data, dict) and "count" not in data and isinstance(data.get("os"), str) and is_windows(data["os"]):
            return {**data, "count": 1}
        return data

    def conflicts(self, stack: StackFacts) -> dict[str, str]:
        if is_windows(self.os) and architecture(stack.instance_type) != "x86_64":
            return {"os": f"Windows Server 2019 images are x86_64 only, and instanceType {stack.instance_type} is an "
                          f"{architecture(stack.instance_type)} (Graviton) type"}
        if is_windows(self.os) and self.count and stack.key_name is None:
            return {"os": "a Windows server's Administrator password is encrypted with its key pair (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance) and "
                          "no keyName is set (cloudlabs:keyName): get-password-data would have nothing to decrypt with"}
        return {}


def host_names(options: Ec2WebserverOptions) -> list[str]:
    """VM1..VMn as the coursework names the web servers; Windows-01.. as the book names its Windows server."""
    if is_windows(options.os):
        return [WINDOWS_NAME.format(i) for i in range(1, options.count + 1)]
    return [f"VM{i}" for i in range(1, options.count + 1)]


def windows_paths(stage: str, options: Ec2WebserverOptions) -> list[Expect]:
    """Only what the book does: connect from the laptop over RDP (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”). It builds no web server."""
    if stage == "starter":
        return [deny(ADMIN, "subnet:SN-0", RDP_PORT, "nothing to connect to yet: launch Windows-01 (launch, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance), "
                                                      "then get its password and connect over RDP (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)")]
    return [allow(ADMIN, host, RDP_PORT, f"RDP to {host}'s public DNS name or IP as Administrator with the decrypted "
                                         "password (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)") for host in host_names(options)]


def expected_paths(stage: str, options: Ec2WebserverOptions) -> list[Expect]:
    if is_windows(options.os) and options.count:  # count 0 is the assignment's start, the same for every os
        return windows_paths(stage, options)
    web = allow if stage == "solution" else deny
    paths: list[Expect] = []
    for vm in host_names(options):
        paths += [
            allow(ADMIN, vm, 22, f"ssh into {vm} from the admin CIDR"),
            deny(INTERNET, vm, 22, "SSH from anywhere else is refused"),
            web(INTERNET, vm, 80, f"browse http://<{vm} public IP>/" + ("" if stage == "solution" else ": it fails, why?")),
            allow(vm, INTERNET, 443, "the user data downloads the web server package"),
        ]
    if options.count >= 2:
        paths.append(allow("VM1", "VM2", 22, "ssh from VM1 into VM2 with the key copied to VM1 (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)"))
    return paths


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    specs: list[ProbeSpec] = []
    for vm, s in sorted((out.get("servers") or {}).items()):
        if "rdpAddress" in s:
            specs.append(PortOpen(f"{vm} RDP", "connect with an RDP client as Administrator (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)", s["rdpAddress"]))
        else:
            specs.append(PageContains(f"{vm} page", "browse the public IP: Hello from <hostname> (chapter 3)", s["url"],
                                      ("Hello from",)))
    return specs


SERVERS = "count 1-6"
LINUX = "count 1-6, Linux"
WINDOWS_RUNS = "Windows, solution"
WINDOWS_STARTER = "Windows, starter"
VPC_ONLY = "count 0"

LAB = LabDefinition(
    key="ec2-webserver",
    chapter=3,
    section="3",
    title="Web servers on EC2, bootstrapped by user data; the book's Windows server",
    book=BookRef(3, "Cloud Computing", section="Virtualized Computing",
                 heading="Launching an EC2 instance in AWS cloud to explore all its components",
                 through="Task",
                 quote="Open your AWS Academy account and start a lab.",
                 lines=(1311, 2762)),
    summary=(
        "A VPC shaped like the default VPC (six public /20s, one per AZ where the region allows, see the address "
        "plan) and 1-6 web servers (option `count`, default 2; option `os`: `amazon-linux-2023`, `ubuntu-24.04` or "
        "the coursework's `alternate`) that answer \"Hello from <hostname>\"; one security group: SSH from the admin "
        "CIDR, HTTP from anywhere, SSH between its members (VM1 -> VM2, chapter 13's test, book ch. 13, Observing the Security Principles when Accessing Cloud Resources); IMDSv2 stays "
        "required and the output `metadataCommands` gives chapter 4's metadata questions (book ch. 4, Display the information in the file dhclient--eth0.lease) in their "
        "token form (the book's plain `curl` gets 401; PowerShell's Invoke-RestMethod on Windows). With "
        "`os: windows-server-2019`, the book's Windows activity (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance): one server, Windows-01 (30 GiB), "
        "its group takes RDP from the admin CIDR only; the student gets the Administrator password with the key "
        "pair's private key and connects over RDP; no web server"
    ),
    stages={
        "starter": "the security group allows SSH only: the browser times out, as in the book (\"It failed! Why?\"). "
                   "Windows: the VPC and Windows-01's group (RDP from the admin CIDR); the student launches Windows-01 "
                   "(output `launch`, the book's launch wizard, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance), gets the password and connects (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)",
        "solution": "HTTP (80) is open to the world: every server's page loads. Windows: Windows-01 runs; RDP from "
                    "the admin CIDR with the password get-password-data decrypts (the book's end state, book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)",
    },
    options=Ec2WebserverOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_variants={"with `count: 1`": {"count": 1}, "with `count: 6`": {"count": 6},
                   "with `os: windows-server-2019` (license included)": {"os": "windows-server-2019"}},
    cost_notes="the Windows starter runs no instance until the student launches Windows-01",
    outputs=(
        Output("vpcId", "id", "the VPC"),
        Output("vpcCidr", "address", "the VPC's IPv4 block (10.N.0.0/16)"),
        Output("servers", "mapping", "per VM: OS, subnet, public and private IP, url, ssh command (Windows: the RDP "
                                     "address and command and the one that decrypts the Administrator password)",
               f"{LINUX}; {WINDOWS_RUNS}"),
        Output("urls", "list", "every server's page", LINUX),
        Output("metadataCommands", "list", "chapter 4's instance-metadata questions with the IMDSv2 token (bash; "
                                           "PowerShell for Windows servers)"),
        Output("launch", "mapping", "per Windows server: the aws ec2 run-instances that does the book's launch "
                                    "wizard (Windows Server 2019 Base, 30 GiB, the key pair, the RDP group, a public "
                                    "address)", WINDOWS_STARTER),
        Output("getPassword", "command", "get-password-data with the key pair's private key: the Administrator "
                                         "password (book ch. 3, Deploy a Windows Server 2019 on AWS EC2 instance)", WINDOWS_STARTER),
        Output("nextStep", "text", "where the student is in the book's Windows activity and what it does next",
               "Windows"),
        Output("assignment", "text", "which VM goes where, by console, AWS CLI or boto3 (book ch. 3, Chapter 3 coursework)", VPC_ONLY),
        Output("subnetIds", "mapping", "subnet name -> id, for --subnet-id", VPC_ONLY),
        Output("securityGroupId", "id", "the web group, for --security-group-ids", VPC_ONLY),
        Output("amis", "mapping", "Amazon Linux and Ubuntu AMI ids in the stack's region", VPC_ONLY),
        Output("instanceType", "text", "the stack's instance type", VPC_ONLY),
        Output("keyName", "text", "the key pair for --key-name (empty: none set)", VPC_ONLY),
        Output("cliExampleVm3", "command", "an aws ec2 run-instances line for VM3", VPC_ONLY),
    ),
)
