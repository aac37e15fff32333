"""Facts several kinds share, kept once."""

from __future__ import annotations

from dataclasses import dataclass

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
