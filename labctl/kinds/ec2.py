"""EC2: the network's parts, instances, addresses, keys and launch templates."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:ec2/vpc:Vpc", "VPC", FREE, drift=True),
    Kind("aws:ec2/subnet:Subnet", "subnet", FREE, drift=True),
    Kind("aws:ec2/internetGateway:InternetGateway", "internet gateway", FREE, drift=True),
    Kind("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "egress-only gateway", FREE, drift=True),
    Kind("aws:ec2/routeTable:RouteTable", "route table", FREE, drift=True),
    Kind("aws:ec2/route:Route", "route", FREE),
    Kind("aws:ec2/routeTableAssociation:RouteTableAssociation", "route table association", FREE),
    Kind("aws:ec2/securityGroup:SecurityGroup", "security group", FREE, drift=True),
    Kind("aws:ec2/networkAcl:NetworkAcl", "network ACL", FREE, drift=True),
    Kind("aws:ec2/networkAclRule:NetworkAclRule", "network ACL rule", FREE),
    Kind("aws:ec2/networkAclAssociation:NetworkAclAssociation", "network ACL association", FREE),
    Kind("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peering", FREE, "traffic across it is billed by use", drift=True),
    Kind("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "peering acceptance", FREE),
    Kind("aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint", "vpc_endpoint", drift=True),
    Kind("aws:ec2/natGateway:NatGateway", "NAT gateway", "nat_gateway", drift=True),
    Kind("aws:ec2/eip:Eip", "Elastic IP", "elastic_ip"),
    Kind("aws:ec2/instance:Instance", "instance", "instance", drift=True),
    Kind("aws:ec2/keyPair:KeyPair", "key pair", FREE),
    Kind("aws:ec2/launchTemplate:LaunchTemplate", "launch template", FREE, "its instances are priced with their Auto Scaling group"),
    Kind("aws:ebs/volume:Volume", "EBS volume", "volume", emulated="no lab creates one: the emulator has no handler for it yet"),
)
