"""The network diagram's roles: what a kind is in ``labctl.analysis.diagram``'s picture of a stack.

A kind with a role (``Kind.diagram``) is drawn; every other kind is left out of the picture (rules,
routes, associations, roles and policies decide paths or permissions, not the layout). Where a
drawn thing goes is read from the graph, not from the role: the subnets and VPCs its inputs name
(a single subnet: inside it; several: in their VPC, with an edge to each), else outside every VPC.
"""

from __future__ import annotations

VPC = "vpc"  # a subgraph: its Name tag and CIDRs
SUBNET = "subnet"  # a subgraph inside its VPC: name, CIDR, tier (public: 0.0.0.0/0 to an internet gateway), zone
INTERNET_GATEWAY = "internet gateway"  # in its VPC, linked to the internet
EGRESS_GATEWAY = "egress-only gateway"  # in its VPC, outbound IPv6 to the internet
NAT = "NAT gateway"  # in its subnet
ENDPOINT = "endpoint"  # a VPC endpoint, in its VPC
INSTANCE = "instance"
AUTOSCALING = "Auto Scaling group"
LOAD_BALANCER = "load balancer"
DATABASE = "database"
SERVICE = "ECS service"
BEANSTALK = "Beanstalk environment"
BUCKET = "bucket"  # outside every VPC
PEERING = "peering"  # no node: an edge between the two VPCs it joins

ROLES = (VPC, SUBNET, INTERNET_GATEWAY, EGRESS_GATEWAY, NAT, ENDPOINT, INSTANCE, AUTOSCALING, LOAD_BALANCER, DATABASE,
         SERVICE, BEANSTALK, BUCKET, PEERING)
