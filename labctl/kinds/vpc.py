"""The VPC service's own resources: security group rules as resources of their own."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress rule", FREE, sweep_with="goes with its security group"),
    Kind("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress rule", FREE, sweep_with="goes with its security group"),
)
