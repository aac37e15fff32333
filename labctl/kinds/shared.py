"""Facts several kinds share, kept once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

# IP protocol numbers by the names Pulumi's inputs use ("-1": every protocol).
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "all": -1, "-1": -1}
PROTOCOL_NAMES = {str(number): name for name, number in PROTOCOL_NUMBERS.items() if name != "-1"}


@dataclass(frozen=True)
class RouteTarget:
    """Where a route sends traffic: one input of ``aws:ec2/route:Route`` (a route has exactly one)."""

    key: str  # Pulumi's input (and the live reader's)
    api: str  # the EC2 API's and CloudFormation's name for it (CreateRoute, DescribeRouteTables, AWS::EC2::Route)
    label: str  # in drift reports
    short: str  # in the network model (labctl.analysis.reach) and tests: its id's prefix


# In the order a reader looks for them (a route table's API answer names one).
ROUTE_TARGETS = (
    RouteTarget("natGatewayId", "NatGatewayId", "NAT gateway", "nat"),
    RouteTarget("vpcPeeringConnectionId", "VpcPeeringConnectionId", "peering", "pcx"),
    RouteTarget("egressOnlyGatewayId", "EgressOnlyInternetGatewayId", "egress-only gateway", "eigw"),
    RouteTarget("gatewayId", "GatewayId", "gateway", "igw"),  # an internet gateway, or a gateway endpoint (vpce-)
    RouteTarget("instanceId", "InstanceId", "instance", "i"),
    RouteTarget("transitGatewayId", "TransitGatewayId", "transit gateway", "tgw"),
    RouteTarget("vpcEndpointId", "VpcEndpointId", "endpoint", "vpce"),
    RouteTarget("networkInterfaceId", "NetworkInterfaceId", "network interface", "eni"),
)
# The targets the network model follows; any other is a path it does not follow ("other").
FOLLOWED_TARGETS = ("nat", "pcx", "eigw", "igw")


# A target group's health check: Pulumi's ``healthCheck`` keys -> the ELBv2 API's and CloudFormation's
# names (``matcher`` is a structure in both: {"HttpCode": ...}).
HEALTH_CHECK_FIELDS = {"enabled": "HealthCheckEnabled", "path": "HealthCheckPath", "port": "HealthCheckPort",
                       "protocol": "HealthCheckProtocol", "interval": "HealthCheckIntervalSeconds",
                       "timeout": "HealthCheckTimeoutSeconds", "healthyThreshold": "HealthyThresholdCount",
                       "unhealthyThreshold": "UnhealthyThresholdCount"}


@dataclass(frozen=True)
class FieldMap:
    """One kind's field names in Pulumi's inputs and in the AWS API (whose names CloudFormation's
    properties share for the kinds that use a map): the emulator's call, the CloudFormation
    template and the live read rename through the one map, so they cannot disagree."""

    names: Mapping[str, str]  # Pulumi's input -> the API's (and CloudFormation's) name

    def api(self, inputs: Mapping[str, Any], only: tuple[str, ...] | None = None) -> dict[str, Any]:
        """The inputs that are set, by the API's names (``only``: those a call takes)."""
        return {api: inputs[key] for key, api in self.names.items()
                if (only is None or key in only) and inputs.get(key) is not None}

    def pulumi(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """What AWS describes, by Pulumi's names (the fields the answer has)."""
        return {key: item[api] for key, api in self.names.items() if api in item}


# What EC2 allows in a security group's description and in a rule's (IpRange, Ipv6Range, UserIdGroupPair
# Description; CreateSecurityGroup GroupDescription): up to 255 characters of these. An apostrophe is
# refused ("Invalid rule description"), though it reads naturally in English.
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html
EC2_DESCRIPTION = re.compile(r"[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]{0,255}")
EC2_DESCRIPTION_ALLOWED = "up to 255 of a-z A-Z 0-9, spaces and . _ - : / ( ) # , @ [ ] + = & ; { } ! $ *"
