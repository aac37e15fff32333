"""ssh-access (chapter 13): key pairs, host keys, and SSH from one instance to another."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..addressing import default_like_layout
from ..lab import LabDefinition, LabOptions, Output, StackFacts
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..sshkeys import ALLOWED as PUBLIC_KEY_ALLOWED
from ..sshkeys import parse_public_key

SUBNET = "SN-80"  # the book puts VM1 and VM2 in 172.31.80.0/20 (L11110)
KEY_FILE = "example-key.pem"  # the book's file name (L11073)


class SshAccessOptions(LabOptions):
    key: Literal["generated", "imported", "existing"] = Field(
        "generated", description="generated (a new key pair; the private key only as a Pulumi secret output), "
                                 "imported (publicKey: the student's own), or existing (the stack's keyName, e.g. vockey)")
    algorithm: Literal["RSA", "ED25519"] = Field(
        "RSA", description="RSA (4096 bits, the book's choice) or ED25519, for a generated key")
    public_key: str | None = Field(
        None, max_length=16384, description=PUBLIC_KEY_ALLOWED + " (with key: imported)",
        examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3v4xb3Dm0s0fLZCwzvA6z6oWvZl9z9qQ5c2pGmYc1L student@laptop"])

    # An option read only with another option's value is refused where it is written (its own key)
    # when it asks for something (a value other than its default), rather than silently ignored.
    @field_validator("algorithm")
    @classmethod
    def _only_generated(cls, value: str, info: ValidationInfo) -> str:
        key = info.data.get("key")
        if key is not None and key != "generated" and value != cls.model_fields["algorithm"].default:
            raise ValueError(f"algorithm is only read with key: generated (key: {key} makes no key pair)")
        return value

    @field_validator("public_key")
    @classmethod
    def _parsed(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        key = info.data.get("key")
        if key is not None and key != "imported":
            raise ValueError("publicKey is only read with key: imported")
        try:
            parse_public_key(value)
        except ValueError as err:
            raise ValueError(f"publicKey is not an OpenSSH public key EC2 imports: {err}") from None
        return value

    @model_validator(mode="after")
    def _key_source(self) -> "SshAccessOptions":
        if self.key == "imported" and self.public_key is None:
            raise ValueError("key: imported needs publicKey (" + PUBLIC_KEY_ALLOWED + ")")
        return self

    def conflicts(self, stack: StackFacts) -> dict[str, str]:
        if self.key == "existing" and stack.key_name is None:
            return {"key": "key: existing uses the stack's keyName (cloudlabs:keyName) and none is set: "
                           "VM1 and VM2 would start without a key pair"}
        return {}


def expected_paths(stage: str, options: SshAccessOptions) -> list[Expect]:
    paths = [
        allow(ADMIN, "VM1", 22, f"ssh -i {KEY_FILE} ec2-user@<VM1 public IP> from the admin CIDR"),
        deny(INTERNET, "VM1", 22, "SSH from anywhere else is refused"),
        allow("VM1", INTERNET, 443, "VM1 updates its packages"),
    ]
    if stage == "solution":
        paths += [
            allow("VM1", "VM2", 22, "from VM1, ssh into VM2 with the key copied to VM1 (L11127)"),
            deny(INTERNET, "VM2", 22, "VM2 has no public address: VM1 is the only way in"),
        ]
    return paths


LAB = LabDefinition(
    key="ssh-access",
    chapter=13,
    section="13",
    title="SSH key pairs: from the laptop to VM1, and from VM1 to VM2",
    seed_lines="L10825-11160",
    summary=(
        "A key pair (option `key`: generated, with the private key only as a Pulumi secret output and a command "
        "that saves it with mode 600; imported from the student's public key; or the stack's existing keyName), VM1 "
        "in SN-80 (SSH from the admin CIDR only) and, as the book does next, VM2 in the same subnet with the same "
        "key, without a public address and taking SSH only from VM1: the student finds the host key in known_hosts "
        "and /etc/ssh, the public key in authorized_keys, then copies the private key to VM1 and hops to VM2"
    ),
    stages={
        "starter": "the key pair and VM1 (L11000-11090: known_hosts, host keys, authorized_keys); VM2's security "
                   "group is ready and the outputs give the run-instances command that launches VM2 with the same key",
        "solution": "VM2 runs in SN-80 with the same key; SSH from VM1 to VM2 works once the key is on VM1 (L11127)",
    },
    options=SshAccessOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probed_from_inside=True,
    cost_notes="key pairs are free",
    outputs=(
        Output("keyName", "text", "the key pair both instances use"),
        Output("keySource", "text", "generated, imported or existing"),
        Output("fingerprint", "text", "the key pair's fingerprint as AWS shows it", "key generated or imported"),
        Output("privateKey", "secret", "the generated private key, OpenSSH format (a Pulumi secret: --show-secrets)",
               "key generated"),
        Output("saveKey", "command", f"writes the private key to {KEY_FILE} with mode 600", "key generated"),
        Output("vm1", "mapping", "VM1's public and private IP and ssh command"),
        Output("bookSteps", "list", "the chapter's commands on VM1: host keys, known_hosts, authorized_keys"),
        Output("copyKeyToVm1", "command", "copies the private key to VM1 with mode 400 (the book's step before L11127)"),
        Output("launchVm2", "command", "aws ec2 run-instances for VM2 in SN-80 with the same key and VM2's group",
               "starter"),
        Output("vm2", "mapping", "VM2's private IP, ssh from VM1, and ssh through VM1 from the laptop", "solution"),
    ),
)
