"""EC2: the network's parts, instances, addresses, keys and launch templates."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:ec2/vpc:Vpc", "VPC", FREE, drift=True, sweep="VPC"),
    Kind("aws:ec2/subnet:Subnet", "subnet", FREE, drift=True, sweep="subnet"),
    Kind("aws:ec2/internetGateway:InternetGateway", "internet gateway", FREE, drift=True, sweep="internet gateway"),
    Kind("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "egress-only gateway", FREE, drift=True, sweep="egress-only internet gateway"),
    Kind("aws:ec2/routeTable:RouteTable", "route table", FREE, drift=True, sweep="route table"),
    Kind("aws:ec2/route:Route", "route", FREE, sweep_with="goes with its route table"),
    Kind("aws:ec2/routeTableAssociation:RouteTableAssociation", "route table association", FREE, sweep_with="goes with its route table (deleting the table ends it)"),
    Kind("aws:ec2/securityGroup:SecurityGroup", "security group", FREE, drift=True, sweep="security group"),
    Kind("aws:ec2/networkAcl:NetworkAcl", "network ACL", FREE, drift=True, sweep="network ACL"),
    Kind("aws:ec2/networkAclRule:NetworkAclRule", "network ACL rule", FREE, sweep_with="goes with its network ACL"),
    Kind("aws:ec2/networkAclAssociation:NetworkAclAssociation", "network ACL association", FREE, sweep_with="goes with its network ACL (the subnet returns to the default ACL)"),
    Kind("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peering", FREE, "traffic across it is billed by use", drift=True, sweep="peering connection"),
    Kind("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "peering acceptance", FREE, sweep_with="goes with its peering connection", no_template="CloudFormation accepts a same-account peering itself; the accepter has no resource type"),
    Kind("aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint", "vpc_endpoint", drift=True, sweep="VPC endpoint"),
    Kind("aws:ec2/natGateway:NatGateway", "NAT gateway", "nat_gateway", drift=True, sweep="NAT gateway"),
    Kind("aws:ec2/eip:Eip", "Elastic IP", "elastic_ip", sweep="Elastic IP"),
    Kind("aws:ec2/instance:Instance", "instance", "instance", drift=True, sweep="instance"),
    Kind("aws:ec2/keyPair:KeyPair", "key pair", FREE, sweep="key pair"),
    Kind("aws:ec2/launchTemplate:LaunchTemplate", "launch template", FREE, "its instances are priced with their Auto Scaling group", sweep="launch template"),
    Kind("aws:ebs/volume:Volume", "EBS volume", "volume", emulated="no lab creates one: the emulator has no handler for it yet", sweep="volume"),
)
