"""What the course's guardrails (``labctl.analysis.guardrails``, the CrossGuard pack in ``policy/``) read of a
kind's inputs, as Pulumi passes them in a preview (camelCase): where its secure defaults are written.
A kind without a ``guard`` has none of these; the capacity facts (instance types, sizes, roles) are its
``capacity`` record's, and whether it takes tags its ``untagged`` reason's."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Guard:
    imds: str = ""  # the input holding its metadata options: httpTokens must be "required" (IMDSv2)
    encrypted: tuple[str, ...] = ()  # inputs that must be true, dotted; "x[]" is every item of the list x
    not_public: str = ""  # an input that must not be true (a database's publiclyAccessible)
    ingress: bool = False  # a security group ingress rule: cidrIpv4/cidrIpv6, ipProtocol, fromPort, toPort
    blocks_public: tuple[str, ...] = ()  # a bucket's public access block: each flag must be true...
    blocks_for: str = ""  # ...unless the bucket this input names is marked with a book exception
    instance_type: str = ""  # the input naming its instance type (a launch template's own)
    instance_profile: str = ""  # the input naming the instance profile its instances run with
    beanstalk_options: bool = False  # its option settings (the kind's option_settings input) name IMDS, roles


# Beanstalk's option settings the guardrails read (the general options reference)
BEANSTALK_IMDS = ("aws:autoscaling:launchconfiguration", "DisableIMDSv1")
BEANSTALK_INSTANCE_PROFILE = ("aws:autoscaling:launchconfiguration", "IamInstanceProfile")
BEANSTALK_SERVICE_ROLE = ("aws:elasticbeanstalk:environment", "ServiceRole")
