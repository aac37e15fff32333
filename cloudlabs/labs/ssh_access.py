"""ssh-access (chapter 13): key pairs, host keys, and SSH from one instance to another."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from ..addressing import default_like_layout
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output, StackFacts
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..sshkeys import ALLOWED as PUBLIC_KEY_ALLOWED
from ..sshkeys import parse_public_key

SUBNET = "SN-80"  # the book puts VM1 and VM2 in 172.31.80.0/20 (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)
KEY_FILE = "example-key.pem"  # the book downloads example-key.pem (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)
KEY_NAME = "example-key"  # its name in authorized_keys (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”); book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources” says test-key, every later step example-key


class SshAccessOptions(LabOptions):
    key: Literal["created", "generated", "imported", "existing"] = Field(
        "created", description="created (the book's route: the student creates the key pair example-key and downloads "
                               "example-key.pem with the createKeyPair command, then launches VM1 and VM2 with it; the "
                               "solution makes it as create-key-pair does), generated (a new key pair; the private key "
                               "only as a Pulumi secret output), imported (publicKey: the student's own), or existing "
                               "(the stack's keyName, e.g. vockey)")
    algorithm: Literal["RSA", "ED25519"] = Field(
        "RSA", description="RSA (2048 bits, as create-key-pair makes it; the book selects RSA) or ED25519, for a key "
                           "created or generated")
    public_key: str | None = Field(
        None, max_length=16384, description=PUBLIC_KEY_ALLOWED + " (with key: imported)",
        examples=["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH3v4xb3Dm0s0fLZCwzvA6z6oWvZl9z9qQ5c2pGmYc1L student@laptop"])

    # An option read only with another option's value is refused where it is written (its own key)
    # when it asks for something (a value other than its default), rather than silently ignored.
    @field_validator("algorithm")
    @classmethod
    def _only_generated(cls, value: str, info: ValidationInfo) -> str:
        key = info.data.get("key")
        if key in ("imported", "existing") and value != cls.model_fields["algorithm"].default:
            raise ValueError(f"algorithm is only read with key: created or generated (key: {key} makes no key pair)")
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


def students_vm1(stage: str, options: SshAccessOptions) -> bool:
    """The book creates the key pair before it launches VM1 (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”): with a key the student
    creates, the starter cannot launch VM1, and the student launches it with their new key."""
    return stage == "starter" and options.key == "created"


def expected_paths(stage: str, options: SshAccessOptions) -> list[Expect]:
    """Only what the book does: the laptop reaches VM1 (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”), VM1 reaches VM2 by its private
    address (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”), and the laptop reaches VM2 by its public address (book ch. 13, “Computer A ciphers the challenge data with its private key” › “Observing the Security Principles when Accessing Cloud Resources”)."""
    if students_vm1(stage, options):
        return [deny(ADMIN, f"subnet:{SUBNET}", 22, "nothing to ssh into yet: the student creates the key pair "
                                                     "(book ch. 13, Observing the Security Principles when Accessing Cloud Resources) and launches VM1 with it (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)")]
    paths = [allow(ADMIN, "VM1", 22, f"ssh -i {KEY_FILE} ec2-user@<VM1 public IP> from the laptop (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)")]
    if stage == "starter":
        return [*paths, deny(INTERNET, "VM1", 22, "VM1's group takes SSH from the admin CIDR only")]
    return [*paths,
            allow("VM1", "VM2", 22, f"on VM1: ssh -i {KEY_FILE} ec2-user@<VM2 private IP>, once the key is on VM1 (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)"),
            allow(ADMIN, "VM2", 22, f"ssh -i {KEY_FILE} ec2-user@<VM2 public IP> from the laptop (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)")]


LAB = LabDefinition(
    key="ssh-access",
    chapter=13,
    section="13",
    title="SSH key pairs: from the laptop to VM1, from VM1 to VM2, and from the laptop to VM2",
    book=BookRef(13, "Security Principles", section="Security Principles",
                 heading="Security Principles",
                 through="Chapter 12 Coursework",
                 quote="Computer and network security is based on the principles of secrecy, data integrity and access authentication.",
                 lines=(10248, 11513)),
    summary=(
        "The chapter's learning activity (book ch. 13, Observing the Security Principles when Accessing Cloud Resources): the key pair example-key, downloaded as example-key.pem "
        "(option `key`: created by the student with the book's create-key-pair, the default; generated, with the "
        "private key only as a Pulumi secret output in PEM; imported from the student's public key; or the stack's "
        "existing keyName), VM1 in SN-80, then VM2 in the same subnet with the same key and a public address: the "
        "student finds the host key in known_hosts and /etc/ssh, the public key in authorized_keys, copies the "
        "private key to VM1, hops to VM2, and ends connecting from the laptop to VM2's public address. SSH is "
        "open to the admin CIDR (and to VM2 from VM1) only: the book's lesson needs no more"
    ),
    stages={
        "starter": "the network the book launches into (SN-80 and the groups of VM1 and VM2); with key: created, the "
                   "student creates and downloads the key pair (book ch. 13, Observing the Security Principles when Accessing Cloud Resources) and launches VM1 with it (book ch. 13, Observing the Security Principles when Accessing Cloud Resources), "
                   "otherwise VM1 runs with the lab's key; the outputs give the commands, with the student's ids, "
                   "that launch VM2 in SN-80 with the same key and a public address (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)",
        "solution": "VM1 and VM2 in SN-80 with the key pair example-key (with key: created, one made as "
                    "create-key-pair makes it); SSH from VM1 to VM2 once the key is on VM1 (book ch. 13, Observing the Security Principles when Accessing Cloud Resources), and from the "
                    "laptop to VM2's public address (book ch. 13, Observing the Security Principles when Accessing Cloud Resources)",
    },
    options=SshAccessOptions,
    layout=default_like_layout,
    expected_paths=expected_paths,
    probed_from_inside=True,
    cost_notes="key pairs are free; with key: created the starter runs no instance until the student launches VM1",
    outputs=(
        Output("keyName", "text", "the key pair both instances use (with key: created, the name to create)"),
        Output("keySource", "text", "created, generated, imported or existing"),
        Output("nextStep", "text", "where the student is in the chapter and what the book does next"),
        Output("fingerprint", "text", "the key pair's fingerprint as AWS shows it", "the lab makes or imports the key"),
        Output("privateKey", "secret", "the private key the lab made, PEM as the book downloads it for RSA (OpenSSH "
                                       "for ED25519; a Pulumi secret: --show-secrets)", "the lab makes the key"),
        Output("saveKey", "command", f"writes the private key to {KEY_FILE} with mode 600", "the lab makes the key"),
        Output("createKeyPair", "command", f"the book's key pair step: aws ec2 create-key-pair, saved to {KEY_FILE} "
                                           "with mode 400", "starter, key created"),
        Output("launchVm1", "command", "aws ec2 run-instances for VM1 in SN-80 with the new key and VM1's group",
               "starter, key created"),
        Output("vm1", "mapping", "VM1's public and private IP and ssh command", "VM1 is the lab's (not the starter "
                                                                               "with key: created)"),
        Output("bookSteps", "list", "the chapter's commands on VM1: host keys, known_hosts, authorized_keys"),
        Output("copyKeyToVm1", "command", "copies the private key to VM1 with mode 400 (the book's step before book ch. 13, Observing the Security Principles when Accessing Cloud Resources)"),
        Output("launchVm2", "command", "aws ec2 run-instances for VM2 in SN-80 with the same key, VM2's group and a "
                                       "public address", "starter"),
        Output("vm2", "mapping", "VM2's private and public IP, ssh from VM1 and from the laptop", "solution"),
    ),
)
