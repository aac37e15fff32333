"""EC2: the network's parts, instances, addresses, keys and launch templates."""

from __future__ import annotations

from ipaddress import IPv6Network
from typing import Any, Callable

from labctl.kinds.emulation import SECRET, Emulator, as_bool, delete_call, named, on_ec2, pascal, spec, tags, with_ec2
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, STUDENT_VPCS, Found, LiveRead, attached_vpc, in_vpcs, listing, vpc_ids
from labctl.kinds.network import ACL_ENTRY, HOST, HOST_PART, NAT, NETWORK_ACL, NOT_IN_NETWORK, PEERING, ROUTE, ROUTE_TABLE, ROUTE_TARGET, SECURITY_GROUP, SUBNET, SUBNET_ASSOCIATION, VPC, Reach
from labctl.kinds.shared import PROTOCOL_NUMBERS, ROUTE_TARGETS
from labctl.kinds import FREE, Kind


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
    args = {"VpcId": i["vpcId"], "CidrBlock": i["cidrBlock"], "TagSpecifications": spec("subnet", i)}
    if i.get("availabilityZone"):
        args["AvailabilityZone"] = i["availabilityZone"]
    subnet = ec2.create_subnet(**args)["Subnet"]["SubnetId"]
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
    return ec2.create_route_table(VpcId=i["vpcId"], TagSpecifications=spec("route-table", i))["RouteTable"]["RouteTableId"], {}


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
    return ec2.associate_route_table(RouteTableId=i["routeTableId"], SubnetId=i["subnetId"])["AssociationId"], {}


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


def _create_nat(ec2, i):
    nat = ec2.create_nat_gateway(SubnetId=i["subnetId"], AllocationId=i["allocationId"],
                                 TagSpecifications=spec("natgateway", i))["NatGateway"]["NatGatewayId"]
    return nat, {}


def _create_eigw(ec2, i):
    return ec2.create_egress_only_internet_gateway(VpcId=i["vpcId"], TagSpecifications=spec("egress-only-internet-gateway", i))[
        "EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"], {}


def _create_nacl(ec2, i):
    return ec2.create_network_acl(VpcId=i["vpcId"], TagSpecifications=spec("network-acl", i))["NetworkAcl"]["NetworkAclId"], {}


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
    pcx = ec2.create_vpc_peering_connection(VpcId=i["vpcId"], PeerVpcId=i["peerVpcId"], TagSpecifications=spec("vpc-peering-connection", i))[
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
    yield Found(s["SubnetId"], s.get("Tags"), {"vpcId": s["VpcId"], "cidrBlock": s["CidrBlock"], "ipv6CidrBlock": v6,
                                               "mapPublicIpOnLaunch": s.get("MapPublicIpOnLaunch", False),
                                               "availabilityZone": s.get("AvailabilityZone")})


def _read_route_table(t, reading):
    yield Found(t["RouteTableId"], t.get("Tags"), {"vpcId": t["VpcId"]})


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
            yield Found(a["RouteTableAssociationId"], None, {"subnetId": a["SubnetId"], "routeTableId": t["RouteTableId"]})


def _read_network_acl(acl, reading):
    yield Found(acl["NetworkAclId"], acl.get("Tags"), {"vpcId": acl["VpcId"]})


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
        yield Found(a["NetworkAclAssociationId"], None, {"subnetId": a["SubnetId"], "networkAclId": acl["NetworkAclId"]})


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
        yield Found(i["InstanceId"], i.get("Tags"),
                    {"subnetId": i["SubnetId"], "instanceType": i.get("InstanceType"),
                     "vpcSecurityGroupIds": [g["GroupId"] for g in i.get("SecurityGroups", [])]},
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
                   list(r.outputs.get("ipv6Addresses") or []), list(r.inputs.get("vpcSecurityGroupIds") or []))


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



KINDS = (
    Kind("aws:ec2/vpc:Vpc", "VPC", FREE, drift=True, sweep="VPC", aws_made=("defaultSecurityGroupId", "defaultNetworkAclId", "mainRouteTableId"),
         live=LiveRead(STUDENT_VPCS, _read_vpc),
         reach=Reach(VPC, _place_vpc),
         emulator=Emulator(with_ec2(_create_vpc), delete_call("ec2", "delete_vpc", "VpcId"))),
    Kind("aws:ec2/subnet:Subnet", "subnet", FREE, drift=True, sweep="subnet",
         live=LiveRead(SUBNETS, _read_subnet),
         reach=Reach(SUBNET, _place_subnet),
         emulator=Emulator(with_ec2(_create_subnet), delete_call("ec2", "delete_subnet", "SubnetId"))),
    Kind("aws:ec2/internetGateway:InternetGateway", "internet gateway", FREE, drift=True, sweep="internet gateway",
         live=LiveRead(INTERNET_GATEWAYS, _read_internet_gateway),
         reach_reason=ROUTE_TARGET,
         emulator=on_ec2(_create_igw, _delete_igw)),
    Kind("aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway", "egress-only gateway", FREE, drift=True, sweep="egress-only internet gateway",
         live=LiveRead(EGRESS_ONLY_GATEWAYS, _read_egress_only_gateway),
         reach_reason=ROUTE_TARGET,
         emulator=Emulator(with_ec2(_create_eigw), delete_call("ec2", "delete_egress_only_internet_gateway", "EgressOnlyInternetGatewayId"))),
    Kind("aws:ec2/routeTable:RouteTable", "route table", FREE, drift=True, sweep="route table",
         live=LiveRead(ROUTE_TABLES, _read_route_table),
         reach=Reach(ROUTE_TABLE, _place_route_table),
         emulator=Emulator(with_ec2(_create_route_table), delete_call("ec2", "delete_route_table", "RouteTableId"))),
    Kind("aws:ec2/route:Route", "route", FREE, sweep_with="goes with its route table", drift_fact="route",
         live=LiveRead(ROUTE_TABLES, _read_routes),
         reach=Reach(ROUTE, _place_route),
         emulator=on_ec2(_create_route, _delete_route)),
    Kind("aws:ec2/routeTableAssociation:RouteTableAssociation", "route table association", FREE, sweep_with="goes with its route table (deleting the table ends it)",
         live=LiveRead(ROUTE_TABLES, _read_route_table_associations),
         reach=Reach(SUBNET_ASSOCIATION, _place_route_table_association),
         emulator=Emulator(with_ec2(_create_rt_assoc), delete_call("ec2", "disassociate_route_table", "AssociationId"))),
    Kind("aws:ec2/securityGroup:SecurityGroup", "security group", FREE, drift=True, sweep="security group",
         live=LiveRead(SECURITY_GROUPS, _read_security_group),
         reach=Reach(SECURITY_GROUP, _place_security_group),
         emulator=Emulator(with_ec2(_create_sg), delete_call("ec2", "delete_security_group", "GroupId"))),
    Kind("aws:ec2/networkAcl:NetworkAcl", "network ACL", FREE, drift=True, sweep="network ACL",
         live=LiveRead(NETWORK_ACLS, _read_network_acl),
         reach=Reach(NETWORK_ACL, _place_network_acl),
         emulator=Emulator(with_ec2(_create_nacl), delete_call("ec2", "delete_network_acl", "NetworkAclId"))),
    Kind("aws:ec2/networkAclRule:NetworkAclRule", "network ACL rule", FREE, sweep_with="goes with its network ACL", drift_fact="nacl-entry", within="networkAclId",
         live=LiveRead(NETWORK_ACLS, _read_network_acl_rules),
         reach=Reach(ACL_ENTRY, _place_network_acl_rule),
         emulator=on_ec2(_create_nacl_rule, _delete_network_acl_rule)),
    Kind("aws:ec2/networkAclAssociation:NetworkAclAssociation", "network ACL association", FREE, sweep_with="goes with its network ACL (the subnet returns to the default ACL)",
         live=LiveRead(NETWORK_ACLS, _read_network_acl_associations),
         reach=Reach(SUBNET_ASSOCIATION, _place_network_acl_association),
         emulator=on_ec2(_create_nacl_assoc, _delete_network_acl_association)),
    Kind("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", "peering", FREE, "traffic across it is billed by use", drift=True, sweep="peering connection",
         live=LiveRead(PEERINGS, _read_peering),
         reach=Reach(PEERING, _place_peering),
         emulator=Emulator(with_ec2(_create_peering), delete_call("ec2", "delete_vpc_peering_connection", "VpcPeeringConnectionId"))),
    Kind("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "peering acceptance", FREE, sweep_with="goes with its peering connection", no_template="CloudFormation accepts a same-account peering itself; the accepter has no resource type",
         live_reason="read as its peering connection's status (active: accepted)",
         reach=Reach(PEERING, _place_peering_accepter),
         emulator=on_ec2(_create_peering_accepter, _delete_vpc_peering_connection_accepter)),
    Kind("aws:ec2/vpcEndpoint:VpcEndpoint", "endpoint", "vpc_endpoint", drift=True, sweep="VPC endpoint",
         live=LiveRead(ENDPOINTS, _read_endpoint),
         reach_reason="a gateway endpoint's routes go to an AWS service's prefix list, not a path the model follows",
         emulator=Emulator(_create_vpc_endpoint, delete_call("ec2", "delete_vpc_endpoints", "VpcEndpointIds", listed=True))),
    Kind("aws:ec2/natGateway:NatGateway", "NAT gateway", "nat_gateway", drift=True, sweep="NAT gateway",
         live=LiveRead(NAT_GATEWAYS, _read_nat_gateway),
         reach=Reach(NAT, _place_nat_gateway),
         emulator=Emulator(with_ec2(_create_nat), delete_call("ec2", "delete_nat_gateway", "NatGatewayId"))),
    Kind("aws:ec2/eip:Eip", "Elastic IP", "elastic_ip", sweep="Elastic IP",
         live_reason="read with the NAT gateway that holds it (its allocation and public address)",
         reach_reason="its address is placed with what holds it: a NAT gateway's outputs",
         emulator=Emulator(with_ec2(_create_eip), delete_call("ec2", "release_address", "AllocationId"))),
    Kind("aws:ec2/instance:Instance", "instance", "instance", drift=True, sweep="instance",
         live=LiveRead(RESERVATIONS, _read_instances),
         reach=Reach(HOST, _place_instance),
         emulator=Emulator(with_ec2(_create_instance), delete_call("ec2", "terminate_instances", "InstanceIds", listed=True))),
    Kind("aws:ec2/keyPair:KeyPair", "key pair", FREE, sweep="key pair",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=on_ec2(_create_key_pair, _delete_key_pair)),
    Kind("aws:ec2/launchTemplate:LaunchTemplate", "launch template", FREE, "its instances are priced with their Auto Scaling group", sweep="launch template",
         live_reason="read as the instances launched with it",
         reach=Reach(HOST_PART, _place_launch_template),
         emulator=Emulator(_create_launch_template, delete_call("ec2", "delete_launch_template", "LaunchTemplateId"))),
    Kind("aws:ebs/volume:Volume", "EBS volume", "volume", emulated="no lab creates one: the emulator has no handler for it yet", sweep="volume",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
    ),
)
