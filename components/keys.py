"""The shared account model's key pair per student (issue 29): one account holds the whole cohort,
so a key pair handed to everyone (a Learner Lab's vockey) would let any student ssh into anyone's
instances. Each stack gets its own instead, made when its first lab launches an instance: an RSA
key (``get-password-data`` of a Windows instance needs RSA) from the TLS provider, registered as an
EC2 key pair named ``<cohort>-<student>-key``; the private key leaves Pulumi only as the stack's
secret output ``studentKey.privateKey``, for that student alone."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_tls as tls

from cloudlabs.accounts import student_key_file, student_key_name


class StudentKey:
    """Made once per stack, on first use; every lab's instances and launch templates use it."""

    def __init__(self, cohort: str, student: str):
        self.cohort, self.student = cohort, student
        self.name = student_key_name(cohort, student)
        self.file = student_key_file(cohort, student)
        self.pair: aws.ec2.KeyPair | None = None
        self.private: tls.PrivateKey | None = None

    def key_name(self, tags: dict[str, str]) -> pulumi.Output[str]:
        """The key pair's name, as an output that depends on the key pair: an instance never starts
        before its key exists. ``tags``: the first lab's (the key pair is the stack's, not a lab's)."""
        if self.pair is None:
            self.private = tls.PrivateKey("student-key-private", algorithm="RSA", rsa_bits=2048)
            self.pair = aws.ec2.KeyPair("student-key", key_name=self.name, public_key=self.private.public_key_openssh,
                                        tags={**tags, "Name": f"{self.student}-key"})
        return self.pair.key_name

    def outputs(self) -> dict[str, Any] | None:
        """The stack's ``studentKey`` output (None: no lab launched an instance)."""
        if self.pair is None or self.private is None:
            return None
        stack = f"{self.cohort}-{self.student}"
        return {
            "keyName": self.pair.key_name,
            "keyFile": self.file,
            "privateKey": pulumi.Output.secret(self.private.private_key_pem),
            "saveKey": (f"(umask 077; pulumi stack output studentKey --show-secrets --json --stack {stack} | python3 -c "
                        f"\"import json,sys; sys.stdout.write(json.load(sys.stdin)['privateKey'])\" > {self.file})"),
        }
