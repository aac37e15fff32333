"""EC2: the network's parts, instances, addresses, keys and launch templates."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timezone
from ipaddress import IPv6Network
from typing import Any, Callable, Iterable, TYPE_CHECKING

from labctl.kinds.emulation import SECRET, Emulator, as_bool, delete_call, named, on_ec2, pascal, spec, tags, with_ec2
from labctl.kinds.guards import Guard
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, STUDENT_VPCS, Found, LiveRead, attached_vpc, in_vpcs, listing, vpc_ids
from labctl.kinds import drawing
from labctl.kinds.network import ACL_ENTRY, ADDRESS, HOST, HOST_PART, NAT, NETWORK_ACL, NOT_IN_NETWORK, PEERING, ROUTE, ROUTE_TABLE, ROUTE_TARGET, SECURITY_GROUP, SUBNET, SUBNET_ASSOCIATION, VPC, Reach
from labctl.kinds.shared import PROTOCOL_NUMBERS, ROUTE_TARGETS, FieldMap
from labctl.kinds.fakes import ACCOUNT_ID, digest, generic, hex_id, with_id
from labctl.kinds.templates import Alias, Companion, Template, boolean, document, renamed, renamed_properties, tag_list
from labctl.kinds.deploy import InternetRoute, NeedsGateway, TableAssociation
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds import capacity
from labctl.kinds import FREE, USAGE, Kind, Lookup
from labctl.kinds.replacing import ANY, Replaces, TF_ASSOCIATION, TF_NO_UPDATE, TF_TAGS, autonamed
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- field maps: each kind's inputs by the API's names, where the emulator's call, the template and the
# live read rename the same fields (labctl.kinds.shared.FieldMap) --------------------------------------

_SUBNET_FIELDS = FieldMap({"vpcId": "VpcId", "cidrBlock": "CidrBlock", "availabilityZone": "AvailabilityZone",
                           "mapPublicIpOnLaunch": "MapPublicIpOnLaunch"})
_CREATE_SUBNET = ("vpcId", "cidrBlock", "availabilityZone")  # CreateSubnet's; the public-address setting is ModifySubnetAttribute's
_IN_VPC_FIELDS = FieldMap({"vpcId": "VpcId"})  # a route table, a network ACL, an egress-only gateway
_ROUTE_TABLE_ASSOCIATION_FIELDS = FieldMap({"subnetId": "SubnetId", "routeTableId": "RouteTableId"})
_NETWORK_ACL_ASSOCIATION_FIELDS = FieldMap({"subnetId": "SubnetId", "networkAclId": "NetworkAclId"})
_PEERING_FIELDS = FieldMap({"vpcId": "VpcId", "peerVpcId": "PeerVpcId"})
_NAT_FIELDS = FieldMap({"subnetId": "SubnetId", "allocationId": "AllocationId", "connectivityType": "ConnectivityType"})
_EIP_ASSOCIATION_FIELDS = FieldMap({"allocationId": "AllocationId", "instanceId": "InstanceId",
                                    "networkInterfaceId": "NetworkInterfaceId", "privateIpAddress": "PrivateIpAddress"})


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_vpc(ec2, i):
    vpc = ec2.create_vpc(CidrBlock=i["cidrBlock"], TagSpecifications=spec("vpc", i),
                         AmazonProvidedIpv6CidrBlock=bool(i.get("assignGeneratedIpv6CidrBlock")))["Vpc"]["VpcId"]
    if i.get("enableDnsSupport") is not None:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": bool(i["enableDnsSupport"])})
    if i.get("enableDnsHostnames") is not None:
        ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": bool(i["enableDnsHostnames"])})
    group = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])
    acl = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])
    outputs = {"defaultSecurityGroupId": group["SecurityGroups"][0]["GroupId"],
               "defaultNetworkAclId": acl["NetworkAcls"][0]["NetworkAclId"],
               "defaultRouteTableId": table["RouteTables"][0]["RouteTableId"],
               "mainRouteTableId": table["RouteTables"][0]["RouteTableId"]}
    if i.get("assignGeneratedIpv6CidrBlock"):
        _allow_ipv6_in_default_acl(ec2, acl["NetworkAcls"][0])
        # the real /56 stands in for the planned one wherever it is used: a peer's route, a group's rule
        (described,) = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        outputs["ipv6CidrBlock"] = next(a["Ipv6CidrBlock"] for a in described.get("Ipv6CidrBlockAssociationSet", []))
    return vpc, {"outputs": outputs}


def _allow_ipv6_in_default_acl(ec2, acl: dict) -> None:
    """AWS gives a VPC's default network ACL rules 101 allowing all IPv6 traffic when the VPC gets
    an IPv6 block; moto 5.2 does not, so the emulator adds them as AWS would."""
    present = {(e["RuleNumber"], e["Egress"]) for e in acl.get("Entries", [])}
    for egress in (False, True):
        if (101, egress) not in present:
            ec2.create_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=101, Protocol="-1", RuleAction="allow",
                                         Egress=egress, Ipv6CidrBlock="::/0")


def _same_slot(ec2, vpc_id: str, planned: str) -> str:
    """The /64 with the planned one's number (its 8 bits after the /56) in the VPC's real /56."""
    (vpc,) = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    block = next(a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", []))
    index = (int(IPv6Network(planned).network_address) >> 64) & 0xFF
    return str(list(IPv6Network(block).subnets(new_prefix=64))[index])


def _create_subnet(ec2, i):
    subnet = ec2.create_subnet(**_SUBNET_FIELDS.api(i, only=_CREATE_SUBNET), TagSpecifications=spec("subnet", i))["Subnet"]["SubnetId"]
    if i.get("ipv6CidrBlock"):  # the plan's /64 is numbered in the renderer's /56: the same number in the real one
        ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=_same_slot(ec2, i["vpcId"], i["ipv6CidrBlock"]))
    if i.get("mapPublicIpOnLaunch"):
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    return subnet, {}


def _create_igw(ec2, i):
    igw = ec2.create_internet_gateway(TagSpecifications=spec("internet-gateway", i))["InternetGateway"]["InternetGatewayId"]
    if i.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=i["vpcId"])
    return igw, {"vpcId": i.get("vpcId")}


def _create_route_table(ec2, i):
    return ec2.create_route_table(**_IN_VPC_FIELDS.api(i), TagSpecifications=spec("route-table", i))["RouteTable"]["RouteTableId"], {}


def _create_route(ec2, i):
    args: dict[str, Any] = {"RouteTableId": i["routeTableId"]}
    for key, arg in (("destinationCidrBlock", "DestinationCidrBlock"), ("destinationIpv6CidrBlock", "DestinationIpv6CidrBlock"),
                     *((t.key, t.api) for t in ROUTE_TARGETS)):
        if i.get(key):
            args[arg] = i[key]
    ec2.create_route(**args)
    dest = i.get("destinationCidrBlock") or i.get("destinationIpv6CidrBlock")
    return f"r-{i['routeTableId']}-{dest}", {"routeTableId": i["routeTableId"], "destination": dest,
                                              "ipv6": bool(i.get("destinationIpv6CidrBlock"))}


def _create_rt_assoc(ec2, i):
    return ec2.associate_route_table(**_ROUTE_TABLE_ASSOCIATION_FIELDS.api(i))["AssociationId"], {}


def _create_sg(ec2, i):
    name = i.get("name") or (i.get("namePrefix", "sg-") + "emulated")
    args = {"GroupName": name, "Description": i.get("description") or "Managed by Pulumi",
            "VpcId": i["vpcId"], "TagSpecifications": spec("security-group", i)}
    group = ec2.create_security_group(**args)["GroupId"]
    # The AWS provider removes the default allow-all egress rule so only declared rules remain;
    # without this the declared "all outbound" rule is a duplicate (moto rejects it, as AWS does).
    # In a VPC with IPv6, AWS adds the same rule for ::/0.
    # As the provider does it: revoked by their permissions, read from the group itself (a filter on
    # the account's rules would scan all of them: a class has thousands).
    (made,) = ec2.describe_security_groups(GroupIds=[group])["SecurityGroups"]
    if made.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=group, IpPermissions=made["IpPermissionsEgress"])
    return group, {}


def _create_eip(ec2, i):
    return ec2.allocate_address(Domain="vpc", TagSpecifications=spec("elastic-ip", i))["AllocationId"], {}


def _create_eip_association(ec2, i):
    association = ec2.associate_address(**_EIP_ASSOCIATION_FIELDS.api(i))["AssociationId"]
    (address,) = ec2.describe_addresses(AllocationIds=[i["allocationId"]])["Addresses"]
    return association, {"outputs": {"publicIp": address.get("PublicIp", "")}}


def _create_nat(ec2, i):
    """Made, then read as the provider waits for it: AWS makes a NAT gateway it cannot run (a public one in a VPC
    without an internet gateway) in state failed, and the provider fails the create with its FailureCode."""
    nat = ec2.create_nat_gateway(**_NAT_FIELDS.api(i), TagSpecifications=spec("natgateway", i))["NatGateway"]
    made = next(iter(ec2.describe_nat_gateways(NatGatewayIds=[nat["NatGatewayId"]])["NatGateways"]), nat)
    if made.get("State") == "failed":
        from botocore.exceptions import ClientError
        raise ClientError({"Error": {"Code": made.get("FailureCode") or "Failed",
                                     "Message": made.get("FailureMessage") or f"NAT gateway {nat['NatGatewayId']} failed"}},
                          "CreateNatGateway")
    return nat["NatGatewayId"], {}


def _create_eigw(ec2, i):
    return ec2.create_egress_only_internet_gateway(**_IN_VPC_FIELDS.api(i), TagSpecifications=spec("egress-only-internet-gateway", i))[
        "EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"], {}


def _create_nacl(ec2, i):
    return ec2.create_network_acl(**_IN_VPC_FIELDS.api(i), TagSpecifications=spec("network-acl", i))["NetworkAcl"]["NetworkAclId"], {}


def _create_nacl_assoc(ec2, i):
    """Move the subnet's association from its current ACL to this one; remember the default to move back."""
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [i["subnetId"]]}])["NetworkAcls"]
    current = next(a for a in acls[0]["Associations"] if a["SubnetId"] == i["subnetId"])
    vpc = acls[0]["VpcId"]
    default = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    new = ec2.replace_network_acl_association(AssociationId=current["NetworkAclAssociationId"], NetworkAclId=i["networkAclId"])
    return new["NewAssociationId"], {"defaultAclId": default["NetworkAclId"]}


def _create_nacl_rule(ec2, i):
    args: dict[str, Any] = {"NetworkAclId": i["networkAclId"], "RuleNumber": int(i["ruleNumber"]),
                            "Protocol": str(PROTOCOL_NUMBERS.get(str(i["protocol"]), i["protocol"])), "RuleAction": i["ruleAction"],
                            "Egress": bool(i.get("egress"))}
    if i.get("cidrBlock"):
        args["CidrBlock"] = i["cidrBlock"]
    if i.get("ipv6CidrBlock"):
        args["Ipv6CidrBlock"] = i["ipv6CidrBlock"]
    if i.get("fromPort") is not None:
        args["PortRange"] = {"From": int(i["fromPort"]), "To": int(i.get("toPort", i["fromPort"]))}
    ec2.create_network_acl_entry(**args)
    return f"nacl-{i['networkAclId']}-{args['RuleNumber']}-{args['Egress']}", {
        "networkAclId": i["networkAclId"], "ruleNumber": args["RuleNumber"], "egress": args["Egress"]}


def _create_peering(ec2, i):
    pcx = ec2.create_vpc_peering_connection(**_PEERING_FIELDS.api(i), TagSpecifications=spec("vpc-peering-connection", i))[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    if i.get("autoAccept"):  # as the provider does: one account and region, accepted at once
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    return pcx, {}


def _create_peering_accepter(ec2, i):
    if i.get("autoAccept"):
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=i["vpcPeeringConnectionId"])
    return i["vpcPeeringConnectionId"], {}


def _create_instance(ec2, i):
    args: dict[str, Any] = {"ImageId": i.get("ami") or "ami-12c6146b", "InstanceType": i.get("instanceType", "t3.micro"),
                            "MinCount": 1, "MaxCount": 1, "TagSpecifications": spec("instance", i)}
    if i.get("subnetId"):
        args["SubnetId"] = i["subnetId"]
    if i.get("vpcSecurityGroupIds"):
        args["SecurityGroupIds"] = list(i["vpcSecurityGroupIds"])
    if i.get("privateIp"):
        args["PrivateIpAddress"] = i["privateIp"]
    if i.get("userData") and i["userData"] != SECRET:  # a redacted script (it holds a secret) is left out
        args["UserData"] = i["userData"]
    if i.get("keyName"):
        args["KeyName"] = i["keyName"]
    if i.get("ipv6AddressCount"):
        args["Ipv6AddressCount"] = int(i["ipv6AddressCount"])
    instance = ec2.run_instances(**args)["Instances"][0]
    return instance["InstanceId"], {"privateIp": instance.get("PrivateIpAddress")}


def _create_key_pair(ec2, i):
    name = named(i, "key", key="keyName", prefix_key="keyNamePrefix")
    pair = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=str(i["publicKey"]).encode(),
                               TagSpecifications=spec("key-pair", i))
    return pair["KeyPairId"], {"keyName": name, "outputs": {"keyName": name}}


def _create_launch_template(aws, i, name):
    data: dict[str, Any] = {}
    for key, arg in (("imageId", "ImageId"), ("instanceType", "InstanceType"), ("keyName", "KeyName"),
                     ("userData", "UserData"), ("vpcSecurityGroupIds", "SecurityGroupIds")):
        if i.get(key):
            data[arg] = i[key]
    if i.get("blockDeviceMappings"):
        data["BlockDeviceMappings"] = [
            {"DeviceName": m["deviceName"], **({"Ebs": {
                ("Iops" if k == "iops" else k[:1].upper() + k[1:]): (as_bool(v) if k in ("deleteOnTermination", "encrypted") else v)
                for k, v in m["ebs"].items()}} if m.get("ebs") else {})}
            for m in i["blockDeviceMappings"]]
    if i.get("networkInterfaces"):
        data["NetworkInterfaces"] = []
        for index, n in enumerate(i["networkInterfaces"]):
            nic: dict[str, Any] = {"DeviceIndex": int(n.get("deviceIndex", index))}
            for key, arg in (("securityGroups", "Groups"), ("subnetId", "SubnetId"),
                             ("associatePublicIpAddress", "AssociatePublicIpAddress"), ("deleteOnTermination", "DeleteOnTermination")):
                if n.get(key) is not None:
                    nic[arg] = as_bool(n[key]) if key in ("associatePublicIpAddress", "deleteOnTermination") else n[key]
            data["NetworkInterfaces"].append(nic)
    if i.get("metadataOptions"):
        data["MetadataOptions"] = pascal(i["metadataOptions"])
    if i.get("creditSpecification"):
        data["CreditSpecification"] = pascal(i["creditSpecification"])
    if i.get("tagSpecifications"):
        data["TagSpecifications"] = [{"ResourceType": t["resourceType"], "Tags": tags(t)} for t in i["tagSpecifications"]]
    template = aws("ec2").create_launch_template(LaunchTemplateName=named(i, name, 128), LaunchTemplateData=data,
                                                 TagSpecifications=spec("launch-template", i))["LaunchTemplate"]
    return template["LaunchTemplateId"], {"outputs": {"name": template["LaunchTemplateName"]}}


def _create_vpc_endpoint(aws, i, name):
    args: dict[str, Any] = {"VpcId": i["vpcId"], "ServiceName": i["serviceName"],
                            "VpcEndpointType": i.get("vpcEndpointType", "Gateway"), "TagSpecifications": spec("vpc-endpoint", i)}
    for key, arg in (("routeTableIds", "RouteTableIds"), ("subnetIds", "SubnetIds"), ("securityGroupIds", "SecurityGroupIds"),
                     ("policy", "PolicyDocument"), ("privateDnsEnabled", "PrivateDnsEnabled")):
        if i.get(key) is not None:
            args[arg] = i[key]
    endpoint = aws("ec2").create_vpc_endpoint(**args)["VpcEndpoint"]
    return endpoint["VpcEndpointId"], {}


def _delete_igw(ec2, rid, extra):
    if extra.get("vpcId"):
        ec2.detach_internet_gateway(InternetGatewayId=rid, VpcId=extra["vpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=rid)


def _delete_route(ec2, rid, extra):
    key = "DestinationIpv6CidrBlock" if extra.get("ipv6") else "DestinationCidrBlock"
    ec2.delete_route(RouteTableId=extra["routeTableId"], **{key: extra["destination"]})


def _delete_key_pair(ec2, rid, x):
    ec2.delete_key_pair(KeyName=x["keyName"])


def _delete_network_acl_association(ec2, rid, x):
    ec2.replace_network_acl_association(AssociationId=rid, NetworkAclId=x["defaultAclId"])


def _delete_network_acl_rule(ec2, rid, x):
    ec2.delete_network_acl_entry(
        NetworkAclId=x["networkAclId"], RuleNumber=x["ruleNumber"], Egress=x["egress"])


def _delete_vpc_peering_connection_accepter(ec2, rid, x):
    None


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_vpc(cloud: FakeCloud, args: Args) -> Answered:
    vpc_id = cloud.new_id("vpc", args)
    computed = {
        "arn": cloud.arn("ec2", f"vpc/{vpc_id}"),
        "ownerId": ACCOUNT_ID,
        "mainRouteTableId": f"rtb-{hex_id(vpc_id + '/main')}",
        "defaultRouteTableId": f"rtb-{hex_id(vpc_id + '/main')}",
        "defaultSecurityGroupId": f"sg-{hex_id(vpc_id + '/default-sg')}",
        "defaultNetworkAclId": f"acl-{hex_id(vpc_id + '/default-acl')}",
        "instanceTenancy": "default",
        "enableDnsSupport": args.inputs.get("enableDnsSupport", True),
    }
    if args.inputs.get("assignGeneratedIpv6CidrBlock"):
        computed["ipv6CidrBlock"] = cloud.ipv6_block(args)
        computed["ipv6AssociationId"] = f"vpc-cidr-assoc-{hex_id(vpc_id + '/v6')}"
    return vpc_id, computed


def _fake_subnet(cloud: FakeCloud, args: Args) -> Answered:
    subnet_id = cloud.new_id("subnet", args)
    zone = args.inputs.get("availabilityZone") or cloud.zones()[0]
    zone_ids = dict(zip(cloud.zones(), cloud.zone_ids()))
    return subnet_id, {
        "arn": cloud.arn("ec2", f"subnet/{subnet_id}"),
        "ownerId": ACCOUNT_ID,
        "availabilityZone": zone,
        "availabilityZoneId": zone_ids.get(zone, ""),
    }


_ROUTE_TABLE_ID = with_id("rtb", "ec2", "route-table")


def _fake_route_table(cloud: FakeCloud, args: Args) -> Answered:
    table, computed = _ROUTE_TABLE_ID(cloud, args)
    return table, {**computed, "ownerId": ACCOUNT_ID}


def _fake_eip(cloud: FakeCloud, args: Args) -> Answered:
    allocation = cloud.new_id("eipalloc", args)
    public_ip = cloud.elastic_ip(args)
    return allocation, {
        "allocationId": allocation,
        "publicIp": public_ip,
        "publicDns": f"ec2-{public_ip.replace('.', '-')}.compute-1.amazonaws.com",
        "domain": "vpc",
        "arn": cloud.arn("ec2", f"elastic-ip/{allocation}"),
    }


def _fake_eip_association(cloud: FakeCloud, args: Args) -> Answered:
    """The association's id, and the address it gives (the Elastic IP's, answered before it)."""
    eip = cloud.state(args.inputs.get("allocationId", ""))
    return cloud.new_id("eipassoc", args), {"publicIp": eip.get("publicIp", ""), "allocationId": args.inputs.get("allocationId", "")}


def _fake_nat_gateway(cloud: FakeCloud, args: Args) -> Answered:
    nat_id = cloud.new_id("nat", args)
    eip = cloud.state(args.inputs.get("allocationId", ""))
    return nat_id, {
        "privateIp": cloud.private_ip(args.inputs["subnetId"], args),
        "publicIp": eip.get("publicIp", ""),
        "networkInterfaceId": f"eni-{hex_id(nat_id + '/eni')}",
        "associationId": f"eipassoc-{hex_id(nat_id + '/assoc')}",
    }


def _fake_security_group(cloud: FakeCloud, args: Args) -> Answered:
    group_id = cloud.new_id("sg", args)
    name = args.inputs.get("name") or f"{args.inputs.get('namePrefix', 'terraform-')}{hex_id(group_id, 26)}"
    return group_id, {"arn": cloud.arn("ec2", f"security-group/{group_id}"), "ownerId": ACCOUNT_ID, "name": name}


def _fake_peering(cloud: FakeCloud, args: Args) -> Answered:
    pcx = cloud.new_id("pcx", args)
    return pcx, {"arn": cloud.arn("ec2", f"vpc-peering-connection/{pcx}"), "peerOwnerId": ACCOUNT_ID,
                 "peerRegion": cloud.region,
                 "acceptStatus": "active" if args.inputs.get("autoAccept") else "pending-acceptance"}


def _fake_peering_accepter(cloud: FakeCloud, args: Args) -> Answered:
    pcx = args.inputs["vpcPeeringConnectionId"]
    requested = cloud.state(pcx)
    return pcx, {"acceptStatus": "active", "vpcId": requested.get("peerVpcId", ""),
                 "peerVpcId": requested.get("vpcId", ""), "peerOwnerId": ACCOUNT_ID, "peerRegion": cloud.region}


def _fake_vpc_endpoint(cloud: FakeCloud, args: Args) -> Answered:
    endpoint = cloud.new_id("vpce", args)
    return endpoint, {"arn": cloud.arn("ec2", f"vpc-endpoint/{endpoint}"), "prefixListId": f"pl-{hex_id(endpoint, 8)}",
                      "state": "available", "ownerId": ACCOUNT_ID}


def _ipv6_addresses(subnet: dict[str, Any], args: Args) -> list[str]:
    count = int(args.inputs.get("ipv6AddressCount") or (1 if subnet.get("assignIpv6AddressOnCreation") else 0))
    if not count or not subnet.get("ipv6CidrBlock"):
        return []
    block = IPv6Network(subnet["ipv6CidrBlock"])
    return [str(block.network_address + 16 + (digest(args.typ, args.name, str(i)) % (1 << 48))) for i in range(count)]


def _fake_instance(cloud: FakeCloud, args: Args) -> Answered:
    instance_id = cloud.new_id("i", args)
    subnet_id = args.inputs["subnetId"]
    subnet = cloud.state(subnet_id)
    private_ip = cloud.private_ip(subnet_id, args)
    public = args.inputs.get("associatePublicIpAddress", subnet.get("mapPublicIpOnLaunch", False))
    public_ip = cloud.public_ip(args) if public else ""
    return instance_id, {
        "arn": cloud.arn("ec2", f"instance/{instance_id}"),
        "availabilityZone": subnet.get("availabilityZone", ""),
        "privateIp": private_ip,
        "publicIp": public_ip,
        **cloud.dns_names(private_ip, public_ip or None),
        "primaryNetworkInterfaceId": f"eni-{hex_id(instance_id + '/eni')}",
        "ipv6Addresses": _ipv6_addresses(subnet, args),
        "instanceState": "running",
    }


def _fake_key_pair(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs.get("keyName") or (args.inputs.get("keyNamePrefix") or "terraform-") + hex_id(cloud.stack + args.name, 26)
    key_id = cloud.new_id("key", args)
    md5 = hashlib.md5(str(args.inputs.get("publicKey", "")).encode(), usedforsecurity=False).hexdigest()
    return name, {"keyName": name, "keyPairId": key_id, "arn": cloud.arn("ec2", f"key-pair/{name}"),
                  "fingerprint": ":".join(md5[i:i + 2] for i in range(0, 32, 2)),
                  "keyType": "ed25519" if str(args.inputs.get("publicKey", "")).startswith("ssh-ed25519") else "rsa"}


def _fake_launch_template(cloud: FakeCloud, args: Args) -> Answered:
    lt = cloud.new_id("lt", args)
    return lt, {"arn": cloud.arn("ec2", f"launch-template/{lt}"), "latestVersion": 1, "defaultVersion": 1,
                "name": cloud.unique_name(args)}


def _fake_ami(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    filters = {f["name"]: f["values"][0] for f in query.get("filters") or []}
    name = filters.get("name", "image-*").replace("*", "20261101")
    ami_id = f"ami-{hex_id(cloud.region + '/' + name)}"
    return {
        "id": ami_id, "imageId": ami_id, "name": name, "architecture": filters.get("architecture", "x86_64"),
        "ownerId": (query.get("owners") or ["amazon"])[0], "rootDeviceName": "/dev/xvda",
        "rootDeviceType": "ebs", "virtualizationType": "hvm", "state": "available",
        "arn": f"arn:aws:ec2:{cloud.region}::image/{ami_id}",
    }


def _fake_offerings(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    wanted = [v for f in query.get("filters") or [] if f.get("name") == "instance-type" for v in f.get("values", [])]
    zones = cloud.zones_offering(wanted)
    return {"id": cloud.region, "locations": zones, "locationTypes": ["availability-zone"] * len(zones),
            "instanceTypes": (wanted[:1] or ["t3.micro"]) * len(zones)}


LOOKUPS = (
    Lookup("aws:ec2/getAmi:getAmi", _fake_ami),
    Lookup("aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings", _fake_offerings),
)


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _vpc_properties(b, r):
    i = r.inputs
    return {"CidrBlock": i.get("cidrBlock"), "EnableDnsSupport": i.get("enableDnsSupport"),
            "EnableDnsHostnames": i.get("enableDnsHostnames"), "Tags": tag_list(i.get("tags"))}


_IPV6_BLOCK = Companion("assignGeneratedIpv6CidrBlock", "Ipv6", "AWS::EC2::VPCCidrBlock",
                        lambda b, r, own: {"VpcId": own, "AmazonProvidedIpv6CidrBlock": True})


def _subnet_properties(b, r):
    i = r.inputs
    return {**renamed_properties(b, r, _SUBNET_FIELDS), "Ipv6CidrBlock": i.get("ipv6CidrBlock"),
            "AssignIpv6AddressOnCreation": i.get("assignIpv6AddressOnCreation"), "Tags": tag_list(i.get("tags"))}


_ATTACHMENT = Companion("vpcId", "Attachment", "AWS::EC2::VPCGatewayAttachment",  # Pulumi attaches the gateway when it has a vpc_id
                        lambda b, r, own: {"VpcId": b.ref(r.inputs["vpcId"]), "InternetGatewayId": own})


def _nacl_entry_properties(b, r):
    i = r.inputs
    protocol = PROTOCOL_NUMBERS.get(str(i.get("protocol")), i.get("protocol"))
    props: dict[str, Any] = {"NetworkAclId": b.ref(i.get("networkAclId")), "RuleNumber": i.get("ruleNumber"),
                             "Protocol": protocol, "RuleAction": i.get("ruleAction"), "Egress": i.get("egress"),
                             "CidrBlock": i.get("cidrBlock"), "Ipv6CidrBlock": i.get("ipv6CidrBlock")}
    if protocol in (1, 58):
        props["Icmp"] = {"Type": i.get("icmpType", -1), "Code": i.get("icmpCode", -1)}
    elif i.get("fromPort") is not None:
        props["PortRange"] = {"From": i.get("fromPort"), "To": i.get("toPort")}
    return props


def _key_pair_properties(b, r):
    """ImportKeyPair with the public key (CloudFormation creates a new key pair without it)."""
    return {"KeyName": r.outputs.get("keyName") or r.inputs.get("keyName"),
            "PublicKeyMaterial": b.ref(r.inputs.get("publicKey")), "Tags": tag_list(r.inputs.get("tags"))}


def _sg_properties(b, r):
    i = r.inputs
    return {"GroupDescription": i.get("description"), "GroupName": r.outputs.get("name"),
            "VpcId": b.ref(i.get("vpcId")), "Tags": tag_list(i.get("tags"))}


def _ebs(device: dict[str, Any]) -> dict[str, Any]:
    return {"VolumeSize": device.get("volumeSize"), "VolumeType": device.get("volumeType"),
            "Encrypted": boolean(device.get("encrypted")), "DeleteOnTermination": boolean(device.get("deleteOnTermination"))}


def _metadata(options: Any) -> dict[str, Any] | None:
    if not isinstance(options, dict):
        return None
    return {"HttpTokens": options.get("httpTokens"), "HttpEndpoint": options.get("httpEndpoint"),
            "HttpPutResponseHopLimit": options.get("httpPutResponseHopLimit")}


def _instance_properties(b, r):
    i = r.inputs
    props: dict[str, Any] = {
        "ImageId": i.get("ami"), "InstanceType": i.get("instanceType"), "KeyName": i.get("keyName"),
        "MetadataOptions": _metadata(i.get("metadataOptions")), "Tags": tag_list(i.get("tags")),
        "CreditSpecification": {"CPUCredits": i["creditSpecification"]["cpuCredits"]} if i.get("creditSpecification") else None,
        "UserData": {"Fn::Base64": i["userData"]} if isinstance(i.get("userData"), str) else None,
        "PrivateIpAddress": i.get("privateIp"),
    }
    root = i.get("rootBlockDevice")
    if isinstance(root, dict):
        props["BlockDeviceMappings"] = [{"DeviceName": "/dev/xvda", "Ebs": _ebs(root)}]
    if i.get("associatePublicIpAddress") is not None:  # CloudFormation sets it on the network interface
        props["NetworkInterfaces"] = [{"DeviceIndex": "0", "AssociatePublicIpAddress": i["associatePublicIpAddress"],
                                       "SubnetId": b.ref(i.get("subnetId")), "GroupSet": b.ref(i.get("vpcSecurityGroupIds")),
                                       "Ipv6AddressCount": i.get("ipv6AddressCount")}]
        props["NetworkInterfaces"][0] = {k: v for k, v in props["NetworkInterfaces"][0].items() if v is not None}
    else:
        props.update({"SubnetId": b.ref(i.get("subnetId")), "SecurityGroupIds": b.ref(i.get("vpcSecurityGroupIds")),
                      "Ipv6AddressCount": i.get("ipv6AddressCount")})
    return props


def _launch_template_properties(b, r):
    i = r.inputs
    data: dict[str, Any] = {
        "ImageId": i.get("imageId"), "InstanceType": i.get("instanceType"), "KeyName": i.get("keyName"),
        "UserData": i.get("userData"), "MetadataOptions": _metadata(i.get("metadataOptions")),
        "CreditSpecification": {"CpuCredits": i["creditSpecification"]["cpuCredits"]} if i.get("creditSpecification") else None,
        "BlockDeviceMappings": [{"DeviceName": d.get("deviceName"), "Ebs": _ebs(d.get("ebs") or {})}
                                for d in i.get("blockDeviceMappings") or []],
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": boolean(n.get("associatePublicIpAddress")),
                               "DeleteOnTermination": boolean(n.get("deleteOnTermination")), "Groups": b.ref(n.get("securityGroups"))}
                              for n in i.get("networkInterfaces") or []],
        "TagSpecifications": [{"ResourceType": t.get("resourceType"), "Tags": tag_list(t.get("tags"))}
                              for t in i.get("tagSpecifications") or []],
    }
    return {"LaunchTemplateName": r.outputs.get("name"),
            "LaunchTemplateData": {k: v for k, v in data.items() if v not in (None, [], {})},
            "TagSpecifications": [{"ResourceType": "launch-template", "Tags": tag_list(i.get("tags"))}] if i.get("tags") else None}


_ENDPOINT = renamed("AWS::EC2::VPCEndpoint", {"vpcId": "VpcId", "serviceName": "ServiceName", "vpcEndpointType": "VpcEndpointType",
                                              "routeTableIds": "RouteTableIds"}, tags=False)


# an address's Ref is its public IP: others name it by its allocation id
_ELASTIC_IP = renamed("AWS::EC2::EIP", {"domain": "Domain"}, referenced=False,
                      aliases=(Alias(output="allocationId", attribute="AllocationId"),))


def _endpoint_properties(b, r):
    policy = r.inputs.get("policy")
    return {**_ENDPOINT.properties(b, r), "PolicyDocument": document(policy) if policy else None}


# --- deploy rules: what AWS enforces that no schema expresses (labctl.analysis.deployrules) --------


# AssociateAddress answers Gateway.NotAttached while the instance's VPC has no internet gateway.
_ADDRESS_NEEDS_GATEWAY = NeedsGateway("instanceId", when=lambda i: bool(i.get("instanceId")), through="subnetId")
_PUBLIC_NAT = NeedsGateway("subnetId", when=lambda i: i.get("connectivityType", "public") == "public")
# an instance's AMI is looked up as the most recent image: a newer one replaces the instance
_NEWEST_AMI = ("ami", "ImageId")


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _ec2(scan: SweepScan) -> Any:
    return scan.client("ec2")


def _instance_hourly(scan: SweepScan, instance: dict[str, Any]) -> float | None:
    """What a running instance bills by the hour: its type (Windows with the license, ``Platform:
    windows``) and its public IPv4 address; a stopped one, nothing."""
    if instance["State"]["Name"] != "running":
        return 0.0
    return _running_hourly(scan, instance)


# EC2's StateTransitionReason of a stopped instance: "User initiated (2026-12-04 14:00:00 GMT)"
_STOPPED_AT = re.compile(r"\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) (?:GMT|UTC)\)")


def _stopped_at(instance: dict[str, Any]) -> datetime | None:
    """When a stopped instance stopped, as EC2's StateTransitionReason says (None: it does not say)."""
    if instance["State"]["Name"] != "stopped":
        return None
    match = _STOPPED_AT.search(instance.get("StateTransitionReason") or "")
    return datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc) if match else None


def _running_hourly(scan: SweepScan, instance: dict[str, Any]) -> float | None:
    windows = instance.get("Platform") == "windows"
    price = scan.price("ec2_windows_instance_hour" if windows else "ec2_instance_hour", instance["InstanceType"])
    if price is not None and instance.get("PublicIpAddress"):
        price += scan.ipv4 or 0.0
    return price


def _find_instances(scan: SweepScan) -> Iterable[Listed]:
    for r in scan.pages(_ec2(scan), "describe_instances", "Reservations"):
        for i in r["Instances"]:
            if i["State"]["Name"] in ("terminated",):
                continue
            yield scan.found("instance", i["InstanceId"], scan.tag_map(i.get("Tags")), (i["VpcId"],) if i.get("VpcId") else (),
                             state=i["State"]["Name"], detail=i["InstanceType"], hourly=_instance_hourly(scan, i),
                             since=i.get("LaunchTime"), stopped_at=_stopped_at(i), running_hourly=_running_hourly(scan, i))


def _instances_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    found = scan.pages(_ec2(scan), "describe_instances", "Reservations", InstanceIds=[i.id for i in items])
    live = {i["InstanceId"] for r in found for i in r["Instances"] if i["State"]["Name"] != "terminated"}
    return [i for i in items if i.id in live]


def _find_launch_templates(scan: SweepScan) -> Iterable[Listed]:
    for t in scan.pages(_ec2(scan), "describe_launch_templates", "LaunchTemplates"):
        yield scan.found("launch template", t["LaunchTemplateId"], scan.tag_map(t.get("Tags")), detail=t.get("LaunchTemplateName", ""))


def _find_images(scan: SweepScan) -> Iterable[Listed]:
    for image in _ec2(scan).describe_images(Owners=["self"]).get("Images", []):
        if image.get("OwnerId") != scan.account_id:  # the filter narrows; the owner decides
            continue
        yield scan.found("AMI", image["ImageId"], scan.tag_map(image.get("Tags")), state=image.get("State", ""),
                         detail=image.get("Name", ""), hourly=None)


def _find_snapshots(scan: SweepScan) -> Iterable[Listed]:
    mine = [{"Name": "owner-id", "Values": [scan.account_id]}]  # moto 5.2.5 ignores OwnerIds, not this
    for snap in scan.pages(_ec2(scan), "describe_snapshots", "Snapshots", OwnerIds=["self"], Filters=mine):
        if snap.get("OwnerId") != scan.account_id:
            continue
        yield scan.found("snapshot", snap["SnapshotId"], scan.tag_map(snap.get("Tags")), state=snap.get("State", ""),
                         detail=f"{snap.get('VolumeSize', '?')} GiB", hourly=None)


def _find_volumes(scan: SweepScan) -> Iterable[Listed]:
    for v in scan.pages(_ec2(scan), "describe_volumes", "Volumes"):
        if v["State"] != "available":  # attached volumes go with their instance
            continue
        price = scan.price("ebs_gb_month", v["VolumeType"])
        yield scan.found("volume", v["VolumeId"], scan.tag_map(v.get("Tags")), state="unattached", detail=f"{v['Size']} GiB",
                         hourly=None if price is None else price * v["Size"] / scan.per_month, since=v.get("CreateTime"))


def _find_key_pairs(scan: SweepScan) -> Iterable[Listed]:
    for pair in _ec2(scan).describe_key_pairs().get("KeyPairs", []):
        yield scan.found("key pair", pair["KeyPairId"], scan.tag_map(pair.get("Tags")), detail=pair.get("KeyName", ""))


def _delete_key_pair_by_name(scan: SweepScan, item: Listed) -> None:
    _ec2(scan).delete_key_pair(KeyName=item.detail)  # the listing's detail: its name


def _find_nat_gateways(scan: SweepScan) -> Iterable[Listed]:
    for n in scan.pages(_ec2(scan), "describe_nat_gateways", "NatGateways"):
        if n["State"] in ("deleted", "failed"):
            continue
        held = tuple(("Elastic IP", a["AllocationId"]) for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId"))
        yield scan.found("NAT gateway", n["NatGatewayId"], scan.tag_map(n.get("Tags")), (n["VpcId"],), state=n["State"],
                         hourly=scan.p.nat_gateway_hour if scan.p else None, holds=held, since=n.get("CreateTime"))


def _delete_nat_gateway(scan: SweepScan, item: Listed) -> None:
    if item.state != "deleting":  # already on its way: only waited for
        _ec2(scan).delete_nat_gateway(NatGatewayId=item.id)


def _nat_gateways_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    found = _ec2(scan).describe_nat_gateways(NatGatewayIds=[i.id for i in items])["NatGateways"]
    live = {n["NatGatewayId"] for n in found if n["State"] not in ("deleted", "failed")}
    return [i for i in items if i.id in live]


def _find_endpoints(scan: SweepScan) -> Iterable[Listed]:
    for e in scan.pages(_ec2(scan), "describe_vpc_endpoints", "VpcEndpoints"):
        if str(e.get("State", "")).lower() in ("deleted", "deleting", "rejected", "failed"):
            continue
        yield scan.found("VPC endpoint", e["VpcEndpointId"], scan.tag_map(e.get("Tags")), (e["VpcId"],), state=str(e.get("State", "")),
                         detail=e.get("ServiceName", ""))


def _find_interfaces(scan: SweepScan) -> Iterable[Listed]:
    """Network interfaces made by hand and not in use: one in use, or one AWS manages for a NAT
    gateway, a load balancer or an endpoint, goes with what uses it."""
    ec2 = _ec2(scan)
    managed = {a.get("NetworkInterfaceId") for n in scan.pages(ec2, "describe_nat_gateways", "NatGateways")
               for a in n.get("NatGatewayAddresses", [])}
    for n in scan.pages(ec2, "describe_network_interfaces", "NetworkInterfaces"):
        if n.get("Status") != "available" or n.get("RequesterManaged") or n.get("InterfaceType", "interface") != "interface" \
                or n["NetworkInterfaceId"] in managed:
            continue
        yield scan.found("network interface", n["NetworkInterfaceId"], scan.tag_map(n.get("TagSet")), (n["VpcId"],),
                         state="available", detail=n.get("PrivateIpAddress", ""))


def _find_addresses(scan: SweepScan) -> Iterable[Listed]:
    for a in _ec2(scan).describe_addresses().get("Addresses", []):
        if a.get("Domain", "vpc") != "vpc":
            continue
        yield scan.found("Elastic IP", a["AllocationId"], scan.tag_map(a.get("Tags")), detail=a.get("PublicIp", ""), hourly=scan.ipv4,
                         state="associated" if a.get("AssociationId") else "")


def _release_address(scan: SweepScan, item: Listed) -> None:
    ec2 = _ec2(scan)
    (address,) = ec2.describe_addresses(AllocationIds=[item.id])["Addresses"]
    if address.get("AssociationId"):  # still on an interface of the cohort's (an instance's, by hand)
        ec2.disassociate_address(AssociationId=address["AssociationId"])
    ec2.release_address(AllocationId=item.id)


def _find_peerings(scan: SweepScan) -> Iterable[Listed]:
    for p in scan.pages(_ec2(scan), "describe_vpc_peering_connections", "VpcPeeringConnections"):
        status = (p.get("Status") or {}).get("Code", "")
        if status in ("deleted", "rejected", "failed", "expired", "deleting"):
            continue
        vpcs = tuple(sorted({p["RequesterVpcInfo"].get("VpcId", ""), p["AccepterVpcInfo"].get("VpcId", "")} - {""}))
        yield scan.found("peering connection", p["VpcPeeringConnectionId"], scan.tag_map(p.get("Tags")), vpcs, state=status)


def _find_security_groups(scan: SweepScan) -> Iterable[Listed]:
    for g in scan.pages(_ec2(scan), "describe_security_groups", "SecurityGroups"):
        yield scan.found("security group", g["GroupId"], scan.tag_map(g.get("Tags")), (g["VpcId"],) if g.get("VpcId") else (),
                         detail=g.get("GroupName", ""), default=g.get("GroupName") == "default")


def _revoke_rules(scan: SweepScan, groups: list[Listed]) -> None:
    """The sweep's groups refer to each other (web-dev's admits the bastion's): drop their rules
    first, so no group is kept alive by another's reference."""
    ec2 = _ec2(scan)
    for group in groups:
        try:
            (g,) = ec2.describe_security_groups(GroupIds=[group.id])["SecurityGroups"]
            if g.get("IpPermissions"):
                ec2.revoke_security_group_ingress(GroupId=group.id, IpPermissions=g["IpPermissions"])
            if g.get("IpPermissionsEgress"):
                ec2.revoke_security_group_egress(GroupId=group.id, IpPermissions=g["IpPermissionsEgress"])
        except Exception:  # noqa: BLE001 - the delete that follows reports what really fails
            pass


def _find_subnets(scan: SweepScan) -> Iterable[Listed]:
    for s in scan.pages(_ec2(scan), "describe_subnets", "Subnets"):
        yield scan.found("subnet", s["SubnetId"], scan.tag_map(s.get("Tags")), (s["VpcId"],), detail=s.get("CidrBlock", ""),
                         default=bool(s.get("DefaultForAz")))


def _find_route_tables(scan: SweepScan) -> Iterable[Listed]:
    for t in scan.pages(_ec2(scan), "describe_route_tables", "RouteTables"):
        main = any(a.get("Main") for a in t.get("Associations", []))
        yield scan.found("route table", t["RouteTableId"], scan.tag_map(t.get("Tags")), (t["VpcId"],), default=main)


def _delete_route_table(scan: SweepScan, item: Listed) -> None:
    ec2 = _ec2(scan)
    (table,) = ec2.describe_route_tables(RouteTableIds=[item.id])["RouteTables"]
    for association in table.get("Associations", []):
        if not association.get("Main"):
            ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
    ec2.delete_route_table(RouteTableId=item.id)


def _find_network_acls(scan: SweepScan) -> Iterable[Listed]:
    for acl in scan.pages(_ec2(scan), "describe_network_acls", "NetworkAcls"):
        yield scan.found("network ACL", acl["NetworkAclId"], scan.tag_map(acl.get("Tags")), (acl["VpcId"],),
                         default=bool(acl.get("IsDefault")))


def _find_internet_gateways(scan: SweepScan) -> Iterable[Listed]:
    defaults = {v["VpcId"] for v in scan.pages(_ec2(scan), "describe_vpcs", "Vpcs") if v.get("IsDefault")}
    for gw in scan.pages(_ec2(scan), "describe_internet_gateways", "InternetGateways"):
        vpcs = tuple(a["VpcId"] for a in gw.get("Attachments", []) if a.get("VpcId"))
        yield scan.found("internet gateway", gw["InternetGatewayId"], scan.tag_map(gw.get("Tags")), vpcs,
                         default=bool(vpcs) and set(vpcs) <= defaults)


def _delete_internet_gateway(scan: SweepScan, item: Listed) -> None:
    ec2 = _ec2(scan)
    for vpc in item.vpcs:
        try:
            ec2.detach_internet_gateway(InternetGatewayId=item.id, VpcId=vpc)
        except Exception as err:  # noqa: BLE001 - already detached (an interrupted sweep) is fine
            if "NotAttached" not in str(err):
                raise
    ec2.delete_internet_gateway(InternetGatewayId=item.id)


def _find_egress_only_gateways(scan: SweepScan) -> Iterable[Listed]:
    for gw in scan.pages(_ec2(scan), "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways"):
        vpcs = tuple(a["VpcId"] for a in gw.get("Attachments", []) if a.get("VpcId"))
        yield scan.found("egress-only internet gateway", gw["EgressOnlyInternetGatewayId"], scan.tag_map(gw.get("Tags")), vpcs)


def _find_vpcs(scan: SweepScan) -> Iterable[Listed]:
    for v in scan.pages(_ec2(scan), "describe_vpcs", "Vpcs"):
        yield scan.found("VPC", v["VpcId"], scan.tag_map(v.get("Tags")), (v["VpcId"],), detail=v.get("CidrBlock", ""),
                         default=bool(v.get("IsDefault")))


NOT_RENDERED = "no lab creates one: the emulator has no handler for it yet"


# --- live reads: how the live reader (labctl.ops.live) finds each kind in AWS ----------------------

LIVE_STATES = {"pending", "running", "stopping", "stopped"}  # an instance that still exists
GONE_NAT = {"deleting", "deleted", "failed"}
GONE_PEERING = {"deleted", "rejected", "failed", "expired"}

SUBNETS = listing("ec2", "describe_subnets", "Subnets")
ROUTE_TABLES = listing("ec2", "describe_route_tables", "RouteTables")
NETWORK_ACLS = listing("ec2", "describe_network_acls", "NetworkAcls")
SECURITY_GROUPS = listing("ec2", "describe_security_groups", "SecurityGroups")
INTERNET_GATEWAYS = listing("ec2", "describe_internet_gateways", "InternetGateways", in_vpcs(
    lambda gw, ids: attached_vpc(gw, ids) is not None, servers=("attachment.vpc-id",)))
EGRESS_ONLY_GATEWAYS = listing("ec2", "describe_egress_only_internet_gateways", "EgressOnlyInternetGateways", in_vpcs(
    lambda gw, ids: attached_vpc(gw, ids) is not None, servers=()))
NAT_GATEWAYS = listing("ec2", "describe_nat_gateways", "NatGateways", in_vpcs(parameter="Filter"))
RESERVATIONS = listing("ec2", "describe_instances", "Reservations", in_vpcs(lambda reservation, ids: True))
PEERINGS = listing("ec2", "describe_vpc_peering_connections", "VpcPeeringConnections", in_vpcs(
    lambda p, ids: p["RequesterVpcInfo"].get("VpcId") in ids or p["AccepterVpcInfo"].get("VpcId") in ids,
    servers=("requester-vpc-info.vpc-id", "accepter-vpc-info.vpc-id")), unique="VpcPeeringConnectionId")
ENDPOINTS = listing("ec2", "describe_vpc_endpoints", "VpcEndpoints")


def _in_vpc(items: list[dict], vpc: dict, key: str, which: Callable[[dict], bool]) -> str | None:
    """The id (``key``) of the first item of the VPC that ``which`` picks: its main route table, its default ACL."""
    return next((item[key] for item in items if item["VpcId"] == vpc["VpcId"] and which(item)), None)


def _read_vpc(vpc, reading):
    v6 = next((a["Ipv6CidrBlock"] for a in vpc.get("Ipv6CidrBlockAssociationSet", [])
               if a.get("Ipv6CidrBlockState", {}).get("State") in ("associated", None)), None)
    yield Found(vpc["VpcId"], vpc.get("Tags"), {"cidrBlock": vpc["CidrBlock"]}, {
        "ipv6CidrBlock": v6,
        "mainRouteTableId": _in_vpc(reading.items(ROUTE_TABLES), vpc, "RouteTableId",
                                    lambda t: any(a.get("Main") for a in t.get("Associations", []))),
        "defaultNetworkAclId": _in_vpc(reading.items(NETWORK_ACLS), vpc, "NetworkAclId", lambda a: bool(a.get("IsDefault"))),
        "defaultSecurityGroupId": _in_vpc(reading.items(SECURITY_GROUPS), vpc, "GroupId", lambda g: g["GroupName"] == "default")})


def _read_subnet(s, reading):
    v6 = next((a["Ipv6CidrBlock"] for a in s.get("Ipv6CidrBlockAssociationSet", [])), None)
    yield Found(s["SubnetId"], s.get("Tags"), {**_SUBNET_FIELDS.pulumi(s), "ipv6CidrBlock": v6})


def _read_route_table(t, reading):
    yield Found(t["RouteTableId"], t.get("Tags"), _IN_VPC_FIELDS.pulumi(t))


def _read_routes(t, reading):
    for route in t.get("Routes", []):
        if route.get("GatewayId") == "local" or route.get("State") == "blackhole":
            continue  # local routes are implied by the VPC; a blackhole route carries nothing
        destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
        if destination is None:
            continue  # prefix-list routes (a gateway endpoint's S3 route): not a path the checker follows
        inputs: dict[str, Any] = {"routeTableId": t["RouteTableId"]}
        inputs["destinationIpv6CidrBlock" if ":" in destination else "destinationCidrBlock"] = destination
        target = next((target for target in ROUTE_TARGETS if route.get(target.api)), None)
        if target:
            inputs[target.key] = route[target.api]
        yield Found(f"{t['RouteTableId']}:{destination}", None, inputs)


def _read_route_table_associations(t, reading):
    for a in t.get("Associations", []):
        if a.get("SubnetId"):
            yield Found(a["RouteTableAssociationId"], None, _ROUTE_TABLE_ASSOCIATION_FIELDS.pulumi({**a, "RouteTableId": t["RouteTableId"]}))


def _read_network_acl(acl, reading):
    yield Found(acl["NetworkAclId"], acl.get("Tags"), _IN_VPC_FIELDS.pulumi(acl))


def _read_network_acl_rules(acl, reading):
    for e in acl.get("Entries", []):
        if e["RuleNumber"] == 32767:
            continue  # the implicit final deny: the model denies what no entry allows
        ports = e.get("PortRange") or {}
        yield Found(f"{acl['NetworkAclId']}:{'out' if e['Egress'] else 'in'}:{e['RuleNumber']}", None, {
            "networkAclId": acl["NetworkAclId"], "ruleNumber": e["RuleNumber"], "egress": e["Egress"],
            "protocol": e["Protocol"], "ruleAction": e["RuleAction"], "fromPort": ports.get("From"),
            "toPort": ports.get("To"), "cidrBlock": e.get("CidrBlock"), "ipv6CidrBlock": e.get("Ipv6CidrBlock")})


def _read_network_acl_associations(acl, reading):
    for a in acl.get("Associations", []):
        yield Found(a["NetworkAclAssociationId"], None, _NETWORK_ACL_ASSOCIATION_FIELDS.pulumi({**a, "NetworkAclId": acl["NetworkAclId"]}))


def _read_security_group(g, reading):
    yield Found(g["GroupId"], g.get("Tags"), {"vpcId": g["VpcId"], "description": g.get("Description", ""), "name": g["GroupName"]})


def _read_internet_gateway(igw, reading):
    yield Found(igw["InternetGatewayId"], igw.get("Tags"), {"vpcId": attached_vpc(igw, vpc_ids(reading))})


def _read_egress_only_gateway(gw, reading):
    vpc = attached_vpc(gw, vpc_ids(reading))
    if vpc is not None:
        yield Found(gw["EgressOnlyInternetGatewayId"], gw.get("Tags"), {"vpcId": vpc})


def _read_nat_gateway(nat, reading):
    if nat.get("State") in GONE_NAT:
        return
    address: dict[str, Any] = next(iter(nat.get("NatGatewayAddresses", [])), {})
    yield Found(nat["NatGatewayId"], nat.get("Tags"), {"subnetId": nat["SubnetId"], "allocationId": address.get("AllocationId")},
                {"privateIp": address.get("PrivateIp"), "publicIp": address.get("PublicIp")})


def _read_instances(reservation, reading):
    ids = vpc_ids(reading)
    for i in reservation.get("Instances", []):
        if i.get("State", {}).get("Name") not in LIVE_STATES or i.get("VpcId") not in ids:
            continue
        v6 = [a["Ipv6Address"] for n in i.get("NetworkInterfaces", []) for a in n.get("Ipv6Addresses", [])]
        # the instance's groups and its interfaces' (run-instances --associate-public-ip-address, as the AWS CLI
        # sends it, names the groups on the interface; moto then lists none on the instance)
        groups = [g["GroupId"] for g in [*i.get("SecurityGroups", []), *(g for n in i.get("NetworkInterfaces", [])
                                                                           for g in n.get("Groups", []))]]
        yield Found(i["InstanceId"], i.get("Tags"),
                    {"subnetId": i["SubnetId"], "instanceType": i.get("InstanceType"),
                     "vpcSecurityGroupIds": list(dict.fromkeys(groups))},
                    {"privateIp": i.get("PrivateIpAddress"), "publicIp": i.get("PublicIpAddress"),
                     "ipv6Addresses": v6, "instanceState": i["State"]["Name"]})


def _read_peering(p, reading):
    status = p.get("Status", {}).get("Code")
    if status not in GONE_PEERING:
        yield Found(p["VpcPeeringConnectionId"], p.get("Tags"), {"vpcId": p["RequesterVpcInfo"]["VpcId"],
                                                                 "peerVpcId": p["AccepterVpcInfo"]["VpcId"],
                                                                 "autoAccept": status == "active"})


def _read_endpoint(e, reading):
    yield Found(e["VpcEndpointId"], e.get("Tags"), {"vpcId": e["VpcId"], "serviceName": e.get("ServiceName"),
                                                    "vpcEndpointType": e.get("VpcEndpointType"),
                                                    "routeTableIds": e.get("RouteTableIds", [])})



# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _rid(r) -> str:
    """A custom resource's id (every rendered one has one; its URN stands in otherwise)."""
    return r.id or r.urn


def _place_vpc(r, model):
    cidrs = [r.inputs["cidrBlock"]] + ([r.outputs["ipv6CidrBlock"]] if r.outputs.get("ipv6CidrBlock") else [])
    model.add_vpc(_rid(r), model.name(r), cidrs, r.outputs.get("mainRouteTableId"), r.outputs.get("defaultNetworkAclId"),
                  r.outputs.get("defaultSecurityGroupId"))


def _place_route_table(r, model):
    model.add_route_table(_rid(r), model.name(r), r.inputs["vpcId"])


def _place_route(r, model):
    destination = str(r.inputs.get("destinationCidrBlock") or r.inputs.get("destinationIpv6CidrBlock"))
    model.add_route(r.inputs["routeTableId"], destination, r.inputs, r.urn)


def _place_subnet(r, model):
    model.add_subnet(_rid(r), model.name(r), r.inputs["vpcId"], r.inputs["cidrBlock"], r.inputs.get("ipv6CidrBlock"))


def _place_route_table_association(r, model):
    model.associate(r.inputs.get("subnetId"), route_table=r.inputs["routeTableId"])


def _place_network_acl(r, model):
    model.add_network_acl(_rid(r), model.name(r))


def _place_network_acl_rule(r, model):
    i = r.inputs
    model.add_acl_entry(i["networkAclId"], i["ruleNumber"], bool(i.get("egress")), i["protocol"], (i.get("fromPort"), i.get("toPort")),
                        str(i.get("cidrBlock") or i.get("ipv6CidrBlock")), i["ruleAction"] == "allow", r.urn)


def _place_network_acl_association(r, model):
    model.associate(r.inputs.get("subnetId"), network_acl=r.inputs["networkAclId"])


def _place_security_group(r, model):
    model.add_security_group(_rid(r), model.name(r))


def _place_nat_gateway(r, model):
    model.add_nat(_rid(r), model.name(r), r.inputs["subnetId"], r.outputs["privateIp"], r.outputs.get("publicIp"))


def _place_instance(r, model):
    model.add_host(model.name(r), "instance", r.inputs["subnetId"], r.outputs["privateIp"], r.outputs.get("publicIp"),
                   list(r.outputs.get("ipv6Addresses") or []), list(r.inputs.get("vpcSecurityGroupIds") or []), resource_id=_rid(r))


def _place_eip_association(r, model):
    """The Elastic IP becomes the instance's public address (AWS answers it as the instance's PublicIpAddress)."""
    model.give_public_address(r.inputs.get("instanceId"), r.outputs.get("publicIp"))


def _place_launch_template(r, model):
    """What an Auto Scaling group launches with it: a public address or not, and its groups."""
    interface = (r.inputs.get("networkInterfaces") or [{}])[0]
    model.add_launch_template(r.id, str(interface.get("associatePublicIpAddress")).lower() == "true",
                              list(interface.get("securityGroups") or r.inputs.get("vpcSecurityGroupIds") or []))


def _place_peering(r, model):
    model.add_peering(_rid(r), r.inputs["vpcId"], r.inputs["peerVpcId"], bool(r.inputs.get("autoAccept")))


def _place_peering_accepter(r, model):
    if r.inputs.get("autoAccept"):
        model.accept_peering(r.inputs["vpcPeeringConnectionId"])



_INSTANCE_REPLACES = ("aws_instance: the subnet, private address and public address force a new instance (CloudFormation's network "
                      "interfaces would also replace on its groups, which the provider changes in place); "
                      "user_data_replace_on_change makes a user data change replace it too")

KINDS = (
    Kind("aws:ec2/vpc:Vpc", "VPC", FREE, drift=True, sweep="VPC", aws_made=("defaultSecurityGroupId", "defaultNetworkAclId", "mainRouteTableId"),
         quota=quotas.vpc,
         provision_seconds=3,  # the provider waits for the VPC to be available
         diagram=drawing.VPC,
         fake=_fake_vpc,
         template=Template("AWS::EC2::VPC", _vpc_properties, companions=(_IPV6_BLOCK,)),
         shows_deployed=True,
         address_space="cidrBlock",
         sweep_rule=SweepRule(_find_vpcs, delete_by_id("ec2", "delete_vpc", "VpcId"), arn_kinds=("ec2:vpc",)),
         live=LiveRead(STUDENT_VPCS, _read_vpc),
         reach=Reach(VPC, _place_vpc),
         emulator=Emulator(with_ec2(_create_vpc), delete_call("ec2", "delete_vpc", "VpcId"))),
    Kind("aws:ec2/subnet:Subnet", "subnet", FREE, drift=True, sweep="subnet",
         provision_seconds=3,
         diagram=drawing.SUBNET,
         fields=_SUBNET_FIELDS,
         fake=_fake_subnet,
         template=Template("AWS::EC2::Subnet", _subnet_properties),
         sweep_rule=SweepRule(_find_subnets, delete_by_id("ec2", "delete_subnet", "SubnetId"), arn_kinds=("ec2:subnet",)),
         live=LiveRead(SUBNETS, _read_subnet),
         reach=Reach(SUBNET, _place_subnet),
         emulator=Emulator(with_ec2(_create_subnet), delete_call("ec2", "delete_subnet", "SubnetId"))),
    Kind("aws:ec2/internetGateway:InternetGateway", "internet gateway", FREE, drift=True, sweep="internet gateway",
         quota=quotas.one("internet-gateways"),
         provision_seconds=3,  # create, then attach
         diagram=drawing.INTERNET_GATEWAY,
         fake=with_id("igw", "ec2", "internet-gateway"),
         gateway_of="vpcId",
         template=Template("AWS::EC2::InternetGateway", lambda b, r: {"Tags": tag_list(r.inputs.get("tags"))}, companions=(_ATTACHMENT,)),
         sweep_rule=SweepRule(_find_internet_gateways, _delete_internet_gateway, arn_kinds=("ec2:internet-gateway",)),
         live=LiveRead(INTERNET_GATEWAYS, _read_internet_gateway),
         reach_reason=ROUTE_TARGET,
         emulator=on_ec2(_create_igw, _delete_igw)),
    Kind("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "egress-only gateway", FREE, drift=True, sweep="egress-only internet gateway",
         quota=quotas.one("egress-only-gateways"),
         provision_seconds=3,
         diagram=drawing.EGRESS_GATEWAY,
         fields=_IN_VPC_FIELDS,
         fake=with_id("eigw", "ec2", "egress-only-internet-gateway"),
         template=renamed("AWS::EC2::EgressOnlyInternetGateway", _IN_VPC_FIELDS, tags=False),
         sweep_rule=SweepRule(_find_egress_only_gateways, delete_by_id("ec2", "delete_egress_only_internet_gateway", "EgressOnlyInternetGatewayId"),
                              arn_kinds=("ec2:egress-only-internet-gateway",)),
         live=LiveRead(EGRESS_ONLY_GATEWAYS, _read_egress_only_gateway),
         reach_reason=ROUTE_TARGET,
         emulator=Emulator(with_ec2(_create_eigw), delete_call("ec2", "delete_egress_only_internet_gateway", "EgressOnlyInternetGatewayId"))),
    Kind("aws:ec2/routeTable:RouteTable", "route table", FREE, drift=True, sweep="route table",
         provision_seconds=2,
         fields=_IN_VPC_FIELDS,
         fake=_fake_route_table,
         template=renamed("AWS::EC2::RouteTable", _IN_VPC_FIELDS),
         sweep_rule=SweepRule(_find_route_tables, _delete_route_table, arn_kinds=("ec2:route-table",)),
         live=LiveRead(ROUTE_TABLES, _read_route_table),
         reach=Reach(ROUTE_TABLE, _place_route_table),
         emulator=Emulator(with_ec2(_create_route_table), delete_call("ec2", "delete_route_table", "RouteTableId"))),
    Kind("aws:ec2/route:Route", "route", FREE, sweep_with="goes with its route table", drift_fact="route",
         provision_seconds=2,
         untagged="a route takes no tags",
         internet_route=InternetRoute("routeTableId", "destinationCidrBlock", "gatewayId"),
         fake=with_id("r"),
         template=renamed("AWS::EC2::Route", {"routeTableId": "RouteTableId", "destinationCidrBlock": "DestinationCidrBlock",
                                           "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock", **{t.key: t.api for t in ROUTE_TARGETS}},
                          tags=False, referenced=False),
         live=LiveRead(ROUTE_TABLES, _read_routes),
         reach=Reach(ROUTE, _place_route),
         emulator=on_ec2(_create_route, _delete_route)),
    Kind("aws:ec2/routeTableAssociation:RouteTableAssociation", "route table association", FREE, sweep_with="goes with its route table (deleting the table ends it)",
         provision_seconds=1,
         replaces=Replaces(updatable=("RouteTableId",), source=TF_ASSOCIATION),
         untagged="an association takes no tags",
         table_association=TableAssociation("subnetId", "routeTableId"),
         fields=_ROUTE_TABLE_ASSOCIATION_FIELDS,
         fake=with_id("rtbassoc"),
         template=renamed("AWS::EC2::SubnetRouteTableAssociation", _ROUTE_TABLE_ASSOCIATION_FIELDS, tags=False, referenced=False),
         live=LiveRead(ROUTE_TABLES, _read_route_table_associations),
         reach=Reach(SUBNET_ASSOCIATION, _place_route_table_association),
         emulator=Emulator(with_ec2(_create_rt_assoc), delete_call("ec2", "disassociate_route_table", "AssociationId"))),
    Kind("aws:ec2/securityGroup:SecurityGroup", "security group", FREE, drift=True, sweep="security group",
         quota=quotas.security_group,
         provision_seconds=3,  # create, then revoke the default egress rule
         replaces=autonamed(),
         fake=_fake_security_group,
         template=Template("AWS::EC2::SecurityGroup", _sg_properties),
         sweep_rule=SweepRule(_find_security_groups, delete_by_id("ec2", "delete_security_group", "GroupId"), prepare=_revoke_rules,
                              arn_kinds=("ec2:security-group",)),
         live=LiveRead(SECURITY_GROUPS, _read_security_group),
         reach=Reach(SECURITY_GROUP, _place_security_group),
         emulator=Emulator(with_ec2(_create_sg), delete_call("ec2", "delete_security_group", "GroupId"))),
    Kind("aws:ec2/networkAcl:NetworkAcl", "network ACL", FREE, drift=True, sweep="network ACL",
         provision_seconds=2,
         fields=_IN_VPC_FIELDS,
         fake=with_id("acl", "ec2", "network-acl"),
         template=renamed("AWS::EC2::NetworkAcl", _IN_VPC_FIELDS),
         sweep_rule=SweepRule(_find_network_acls, delete_by_id("ec2", "delete_network_acl", "NetworkAclId"), arn_kinds=("ec2:network-acl",)),
         live=LiveRead(NETWORK_ACLS, _read_network_acl),
         reach=Reach(NETWORK_ACL, _place_network_acl),
         emulator=Emulator(with_ec2(_create_nacl), delete_call("ec2", "delete_network_acl", "NetworkAclId"))),
    Kind("aws:ec2/networkAclRule:NetworkAclRule", "network ACL rule", FREE, sweep_with="goes with its network ACL", drift_fact="nacl-entry", within="networkAclId",
         provision_seconds=1,
         replaces=Replaces(inputs=(ANY,), source=TF_NO_UPDATE),
         untagged="an ACL entry takes no tags",
         fake=with_id("nacl"),
         template=Template("AWS::EC2::NetworkAclEntry", _nacl_entry_properties, referenced=False),
         live=LiveRead(NETWORK_ACLS, _read_network_acl_rules),
         reach=Reach(ACL_ENTRY, _place_network_acl_rule),
         emulator=on_ec2(_create_nacl_rule, _delete_network_acl_rule)),
    Kind("aws:ec2/networkAclAssociation:NetworkAclAssociation", "network ACL association", FREE, sweep_with="goes with its network ACL (the subnet returns to the default ACL)",
         provision_seconds=1,
         untagged="an association takes no tags",
         fields=_NETWORK_ACL_ASSOCIATION_FIELDS,
         fake=with_id("aclassoc"),
         template=renamed("AWS::EC2::SubnetNetworkAclAssociation", _NETWORK_ACL_ASSOCIATION_FIELDS, tags=False, referenced=False),
         live=LiveRead(NETWORK_ACLS, _read_network_acl_associations),
         reach=Reach(SUBNET_ASSOCIATION, _place_network_acl_association),
         emulator=on_ec2(_create_nacl_assoc, _delete_network_acl_association)),
    Kind("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peering", FREE, "traffic across it is billed by use", drift=True, sweep="peering connection",
         quota=quotas.peering,
         provision_seconds=5,  # pending-acceptance within seconds
         diagram=drawing.PEERING,
         fields=_PEERING_FIELDS,
         fake=_fake_peering,
         template=renamed("AWS::EC2::VPCPeeringConnection", _PEERING_FIELDS),
         sweep_rule=SweepRule(_find_peerings, delete_by_id("ec2", "delete_vpc_peering_connection", "VpcPeeringConnectionId"),
                              arn_kinds=("ec2:vpc-peering-connection",)),
         live=LiveRead(PEERINGS, _read_peering),
         reach=Reach(PEERING, _place_peering),
         emulator=Emulator(with_ec2(_create_peering), delete_call("ec2", "delete_vpc_peering_connection", "VpcPeeringConnectionId"))),
    Kind("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "peering acceptance", FREE, sweep_with="goes with its peering connection", no_template="CloudFormation accepts a same-account peering itself; the accepter has no resource type",
         provision_seconds=5,  # waits for the peering to be active
         replaces=Replaces(inputs=("vpcPeeringConnectionId",), source="aws_vpc_peering_connection_accepter: it accepts one connection"),
         fake=_fake_peering_accepter,
         live_reason="read as its peering connection's status (active: accepted)",
         reach=Reach(PEERING, _place_peering_accepter),
         emulator=on_ec2(_create_peering_accepter, _delete_vpc_peering_connection_accepter)),
    Kind("aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint", "vpc_endpoint", drift=True, sweep="VPC endpoint",
         provision_seconds=10,  # a gateway endpoint; an interface endpoint takes ~1-2 min
         diagram=drawing.ENDPOINT,
         fake=_fake_vpc_endpoint,
         template=Template("AWS::EC2::VPCEndpoint", _endpoint_properties),
         access_role="endpoint",
         sweep_rule=SweepRule(_find_endpoints, delete_by_id("ec2", "delete_vpc_endpoints", "VpcEndpointIds", listed=True),
                              arn_kinds=("ec2:vpc-endpoint",)),
         live=LiveRead(ENDPOINTS, _read_endpoint),
         reach_reason="a gateway endpoint's routes go to an AWS service's prefix list, not a path the model follows",
         emulator=Emulator(_create_vpc_endpoint, delete_call("ec2", "delete_vpc_endpoints", "VpcEndpointIds", listed=True))),
    Kind("aws:ec2/natGateway:NatGateway", "NAT gateway", "nat_gateway", drift=True, sweep="NAT gateway",
         quota=quotas.nat_gateway,
         provision_seconds=120,  # pending -> available takes minutes; the provider waits (issue 29: ~2 min) https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html
         diagram=drawing.NAT,
         fields=_NAT_FIELDS,
         fake=_fake_nat_gateway,
         needs_gateway=_PUBLIC_NAT,
         template=renamed("AWS::EC2::NatGateway", _NAT_FIELDS),
         sweep_rule=SweepRule(_find_nat_gateways, _delete_nat_gateway, _nat_gateways_left, arn_kinds=("ec2:natgateway",)),
         live=LiveRead(NAT_GATEWAYS, _read_nat_gateway),
         reach=Reach(NAT, _place_nat_gateway),
         emulator=Emulator(with_ec2(_create_nat), delete_call("ec2", "delete_nat_gateway", "NatGatewayId"))),
    Kind("aws:ec2/eip:Eip", "Elastic IP", "elastic_ip", sweep="Elastic IP",
         quota=quotas.one("elastic-ips"),
         provision_seconds=2,
         replaces=Replaces(inputs=("domain",), source="aws_eip: the domain (vpc) forces a new address"),
         fake=_fake_eip,
         template=_ELASTIC_IP,
         sweep_rule=SweepRule(_find_addresses, _release_address, arn_kinds=("ec2:elastic-ip",)),
         live_reason="read with what holds it: a NAT gateway (its allocation and public address), an instance (its public address)",
         reach_reason="its address is placed with what holds it: a NAT gateway's outputs, an association's",
         emulator=Emulator(with_ec2(_create_eip), delete_call("ec2", "release_address", "AllocationId"))),
    Kind("aws:ec2/eipAssociation:EipAssociation", "Elastic IP association", FREE, "the address is billed as its Elastic IP",
         provision_seconds=2,
         untagged="an association takes no tags",
         fields=_EIP_ASSOCIATION_FIELDS,
         fake=_fake_eip_association,
         needs_gateway=_ADDRESS_NEEDS_GATEWAY,
         template=renamed("AWS::EC2::EIPAssociation", _EIP_ASSOCIATION_FIELDS, tags=False, referenced=False),
         sweep_with="goes with its Elastic IP (the sweep disassociates an address before it releases it)",
         live_reason="read with its instance: AWS answers the Elastic IP as the instance's public address",
         reach=Reach(ADDRESS, _place_eip_association),
         emulator=Emulator(with_ec2(_create_eip_association), delete_call("ec2", "disassociate_address", "AssociationId"))),
    Kind("aws:ec2/instance:Instance", "instance", "instance", drift=True, sweep="instance",
         quota=quotas.instance,
         provision_seconds=30,  # the provider waits for `running` (not for user data or status checks)
         replaces=Replaces(inputs=("associatePublicIpAddress", "subnetId", "privateIp"), updatable=("NetworkInterfaces",), flag="userDataReplaceOnChange", flagged=("userData", "userDataBase64"), loses="a running instance", source=_INSTANCE_REPLACES),
         diagram=drawing.INSTANCE,
         guard=Guard(imds="metadataOptions", encrypted=("rootBlockDevice.encrypted", "ebsBlockDevices[].encrypted"), instance_profile="iamInstanceProfile"),
         capacity=capacity.instance,
         fake=_fake_instance,
         newest_image=_NEWEST_AMI,
         template=Template("AWS::EC2::Instance", _instance_properties),
         access_role="host",
         sweep_rule=SweepRule(_find_instances, delete_by_id("ec2", "terminate_instances", "InstanceIds", listed=True), _instances_left,
                              arn_kinds=("ec2:instance",)),
         live=LiveRead(RESERVATIONS, _read_instances),
         reach=Reach(HOST, _place_instance),
         emulator=Emulator(with_ec2(_create_instance), delete_call("ec2", "terminate_instances", "InstanceIds", listed=True))),
    Kind("aws:ec2/keyPair:KeyPair", "key pair", FREE, sweep="key pair",
         quota=quotas.one("key-pairs"),
         provision_seconds=1,
         replaces=Replaces(updatable=("Tags",), source=TF_TAGS),
         fake=_fake_key_pair,
         template=Template("AWS::EC2::KeyPair", _key_pair_properties),
         sweep_rule=SweepRule(_find_key_pairs, _delete_key_pair_by_name, arn_kinds=("ec2:key-pair",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=on_ec2(_create_key_pair, _delete_key_pair)),
    Kind("aws:ec2/launchTemplate:LaunchTemplate", "launch template", FREE, "its instances are priced with their Auto Scaling group", sweep="launch template",
         provision_seconds=2,
         replaces=autonamed(),
         guard=Guard(imds="metadataOptions", encrypted=("blockDeviceMappings[].ebs.encrypted",), instance_type="instanceType", instance_profile="iamInstanceProfile.name"),
         capacity=capacity.launch_template,
         fake=_fake_launch_template,
         template=Template("AWS::EC2::LaunchTemplate", _launch_template_properties),
         sweep_rule=SweepRule(_find_launch_templates, delete_by_id("ec2", "delete_launch_template", "LaunchTemplateId"),
                              arn_kinds=("ec2:launch-template",)),
         live_reason="read as the instances launched with it",
         reach=Reach(HOST_PART, _place_launch_template),
         emulator=Emulator(_create_launch_template, delete_call("ec2", "delete_launch_template", "LaunchTemplateId"))),
    Kind("aws:ebs/volume:Volume", "EBS volume", "volume", emulated="no lab creates one: the emulator has no handler for it yet", sweep="volume",
         provision_seconds=10,  # creating -> available
         replaces=Replaces(inputs=("availabilityZone", "snapshotId", "encrypted", "kmsKeyId", "outpostArn"), loses="a volume's data", source="aws_ebs_volume: these arguments force a new volume; size, type and IOPS change in place (ModifyVolume)"),
         guard=Guard(encrypted=("encrypted",)),
         capacity=capacity.volume,
         fake=generic,
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         sweep_rule=SweepRule(_find_volumes, delete_by_id("ec2", "delete_volume", "VolumeId"), arn_kinds=("ec2:volume",))),
    # what the book has a student make by hand (no lab renders them): the sweep finds them
    Kind("aws:ec2/networkInterface:NetworkInterface", "network interface", FREE, "a public address on it is billed as the address",
         provision_seconds=5,
         replaces=Replaces(inputs=("subnetId",), source="aws_network_interface: the subnet forces a new interface; addresses and groups change in place"),
         fake=with_id("eni", "ec2", "network-interface"),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason="no lab renders one: an instance's own interface is the instance's in the network model",
         sweep_rule=SweepRule(_find_interfaces, delete_by_id("ec2", "delete_network_interface", "NetworkInterfaceId"),
                              arn_kinds=("ec2:network-interface",)),
         emulated=NOT_RENDERED, sweep="network interface"),
    Kind("aws:ec2/ami:Ami", "AMI", FREE, "its storage is its snapshots', billed with them",
         provision_seconds=300,  # an image of an instance: its snapshots are taken first, minutes
         replaces=Replaces(inputs=("name", "rootDeviceName", "ebsBlockDevices", "ephemeralBlockDevices", "virtualizationType", "architecture", "bootMode", "imdsSupport"), source="aws_ami: an image cannot be changed after registration, only its description"),
         fake=with_id("ami", "ec2", "image"),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         sweep_rule=SweepRule(_find_images, delete_by_id("ec2", "deregister_image", "ImageId"), arn_kinds=("ec2:image",)),
         emulated=NOT_RENDERED, sweep="AMI",
         no_template="CloudFormation has no resource type for an AMI: it is registered, or made from an instance, by an API call"),
    Kind("aws:ebs/snapshot:Snapshot", "EBS snapshot", USAGE, "storage by the GB-month: cents for a lab's root volume",
         provision_seconds=120,  # pending -> completed, minutes for a root volume
         replaces=Replaces(inputs=("volumeId", "outpostArn"), source="aws_ebs_snapshot: a snapshot is of one volume"),
         fake=with_id("snap", "ec2", "snapshot"),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         sweep_rule=SweepRule(_find_snapshots, delete_by_id("ec2", "delete_snapshot", "SnapshotId"), arn_kinds=("ec2:snapshot",)),
         emulated=NOT_RENDERED, sweep="snapshot",
         no_template="CloudFormation has no resource type for an EBS snapshot: it is taken by an API call"),
)
