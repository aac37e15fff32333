"""Emulated deployment: replay a stack's rendered graph against an AWS API (moto) with boto3.

The program runs once under the renderer's mocks (the same ``__main__.py``); the custom
resources are then created through boto3 in dependency order. The ids the renderer's fakes made
up are swapped, everywhere they occur in later inputs, for the ids moto returns, so a route gets
the real gateway id and an instance the real subnet and security-group ids. Destroy deletes in
reverse order. The state (URN -> type and AWS id) is a JSON file in a state directory.

Why replay the rendered graph rather than let ``Mocks.new_resource`` call boto3: the renderer's
graph already has every input and every dependency resolved, so the runner is a plain loop over
a topological order, testable without the Pulumi runtime, and the failure of one call stops
before any dependent is attempted. A type the emulator does not know is an error naming it.

Scope: every type any lab renders, at every stage and option (tests/test_emulator.py renders
them all and checks that up then destroy leaves nothing): the EC2 network and instance types; ALB,
target groups, listeners and target-group attachments (elbv2); launch templates, Auto Scaling
groups and scaling policies; S3 gateway endpoints; S3 buckets and their policy, public access
block, encryption, website, CORS and objects (a file asset is read from the repository, as Pulumi
reads it relative to the program); RDS subnet groups and instances; ``random:RandomPassword``,
generated locally (no cloud call) and put where the graph has the redacted value from it (the
database's password). The generated password is kept in the state file, as Pulumi keeps it in its
state: these are passwords of a moto database, never of a real one. Names with a prefix get a
unique suffix, as the provider's do, so 50 students' groups and templates do not collide.

IAM roles, policies and instance profiles are in ``emulate_iam``; Beanstalk applications in
``emulate_beanstalk``, with what moto's Elastic Beanstalk lacks (``UNSUPPORTED``: application
versions and environments, each with its reason in the error).

A type without a handler raises ``UnsupportedType`` naming it, before anything is created (and on
destroy, for a state entry of such a type); nothing is skipped. A call moto refuses or does not
implement raises ``EmulationError`` naming the resource's type and name, the cause chained; the
state keeps what was made, so destroy still removes it. ``up`` and ``destroy`` take a boto3
``Session`` (clients for ec2, elbv2, autoscaling, s3, rds), not one client.

What moto (5.2.5) does not emulate, and what the emulator does about it:

- ``PutScalingPolicy`` answers ``PolicyArn`` where botocore expects ``PolicyARN``, so the ARN is
  lost: the emulator reads it back with ``DescribePolicies``.
- ``DeleteVpc`` keeps the VPC's default network ACL (AWS deletes it with the VPC), and the ACL's
  stale subnet associations make ``DeleteNetworkAcl`` refuse it: an ACL left of a deleted VPC is a
  moto artefact (untagged; ``labctl sweep`` does not see it) and the tests' inventory ignores it.
- Nothing runs: instances never boot their user data, the ALB forwards nothing, health checks and
  target tracking never act (the group stays at its desired capacity), the database takes no
  connections, a bucket policy or public access block is stored but not enforced.
- moto answers at once: no waiting for a NAT gateway, a database or an ALB to become available or
  to be deleted (a deleted NAT gateway stays listed as ``deleted``, as in AWS for an hour).

The containers lab: ECR repositories, ECS clusters, task definitions and services
(``emulate_containers``); its docker types (images built and pushed, containers, volumes) need a
Docker engine: a graph with any is refused with ``NeedsDockerEngine`` before anything is created.

Cross-process persistence needs a served moto (``endpoint_url``), since in-process moto keeps
nothing on disk.
"""

from __future__ import annotations

import base64
import secrets
import string
from ipaddress import IPv6Network
import threading
import urllib.parse
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from labctl.kinds.shared import HEALTH_CHECK_FIELDS, PROTOCOL_NUMBERS, ROUTE_TARGETS
from labctl.offline.graph import SECRET, StackGraph
from labctl.ops import emulate_beanstalk, emulate_containers, emulate_iam
from labctl.ops.awserrors import is_dependency, is_gone
from labctl.ops.emulated_state import EmulatedStack
from cloudlabs import content


class UnsupportedType(RuntimeError):
    """The emulator cannot create this resource type."""


class NeedsDockerEngine(UnsupportedType):
    """The graph builds or runs images (the docker provider's types): the emulator has no Docker engine."""


class StaleState(RuntimeError):
    """A state whose ids belong to another emulated account than the one at hand."""


class EmulationError(RuntimeError):
    """A call for one resource failed (moto refused it, or does not implement it): the message names
    the resource's type and name before the cause, which stays chained."""


def topological(graph: StackGraph) -> list:
    """Custom resources, each after everything it depends on (its dependencies and its parents')."""
    custom = {r.urn: r for r in graph.resources if r.custom}
    every = {r.urn: r for r in graph.resources}

    def deps(urn: str) -> set[str]:
        found: set[str] = set()
        record = every.get(urn)
        while record is not None:
            found.update(record.dependencies)
            for urns in record.property_dependencies.values():
                found.update(urns)
            record = every.get(record.parent) if record.parent else None
        return {d for d in found if d in custom and d != urn}

    order: list = []
    seen: set[str] = set()

    def visit(urn: str, path: tuple = ()) -> None:
        if urn in seen:
            return
        if urn in path:
            raise RuntimeError(f"dependency cycle at {urn}")
        for dep in sorted(deps(urn)):
            visit(dep, path + (urn,))
        seen.add(urn)
        order.append(custom[urn])

    for urn in sorted(custom):
        visit(urn)
    return order


def _tags(inputs: dict) -> list[dict[str, str]]:
    return [{"Key": k, "Value": str(v)} for k, v in (inputs.get("tags") or {}).items()]


def _spec(resource_type: str, inputs: dict) -> list[dict]:
    tags = _tags(inputs)
    return [{"ResourceType": resource_type, "Tags": tags}] if tags else []


def _create_vpc(ec2, i):
    vpc = ec2.create_vpc(CidrBlock=i["cidrBlock"], TagSpecifications=_spec("vpc", i),
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
    args = {"VpcId": i["vpcId"], "CidrBlock": i["cidrBlock"], "TagSpecifications": _spec("subnet", i)}
    if i.get("availabilityZone"):
        args["AvailabilityZone"] = i["availabilityZone"]
    subnet = ec2.create_subnet(**args)["Subnet"]["SubnetId"]
    if i.get("ipv6CidrBlock"):  # the plan's /64 is numbered in the renderer's /56: the same number in the real one
        ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=_same_slot(ec2, i["vpcId"], i["ipv6CidrBlock"]))
    if i.get("mapPublicIpOnLaunch"):
        ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    return subnet, {}


def _create_igw(ec2, i):
    igw = ec2.create_internet_gateway(TagSpecifications=_spec("internet-gateway", i))["InternetGateway"]["InternetGatewayId"]
    if i.get("vpcId"):
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=i["vpcId"])
    return igw, {"vpcId": i.get("vpcId")}


def _create_route_table(ec2, i):
    return ec2.create_route_table(VpcId=i["vpcId"], TagSpecifications=_spec("route-table", i))["RouteTable"]["RouteTableId"], {}


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
            "VpcId": i["vpcId"], "TagSpecifications": _spec("security-group", i)}
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
    return ec2.allocate_address(Domain="vpc", TagSpecifications=_spec("elastic-ip", i))["AllocationId"], {}


def _create_nat(ec2, i):
    nat = ec2.create_nat_gateway(SubnetId=i["subnetId"], AllocationId=i["allocationId"],
                                 TagSpecifications=_spec("natgateway", i))["NatGateway"]["NatGatewayId"]
    return nat, {}


def _create_eigw(ec2, i):
    return ec2.create_egress_only_internet_gateway(VpcId=i["vpcId"], TagSpecifications=_spec("egress-only-internet-gateway", i))[
        "EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"], {}


def _create_nacl(ec2, i):
    return ec2.create_network_acl(VpcId=i["vpcId"], TagSpecifications=_spec("network-acl", i))["NetworkAcl"]["NetworkAclId"], {}


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
    pcx = ec2.create_vpc_peering_connection(VpcId=i["vpcId"], PeerVpcId=i["peerVpcId"], TagSpecifications=_spec("vpc-peering-connection", i))[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    if i.get("autoAccept"):  # as the provider does: one account and region, accepted at once
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    return pcx, {}


def _create_peering_accepter(ec2, i):
    if i.get("autoAccept"):
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=i["vpcPeeringConnectionId"])
    return i["vpcPeeringConnectionId"], {}


def _create_sg_rule(direction: str) -> Callable:
    def create(ec2, i):
        perm: dict[str, Any] = {"IpProtocol": i["ipProtocol"]}
        if i.get("fromPort") is not None:
            perm["FromPort"] = int(i["fromPort"])
        if i.get("toPort") is not None:
            perm["ToPort"] = int(i["toPort"])
        if i.get("cidrIpv4"):
            perm["IpRanges"] = [{"CidrIp": i["cidrIpv4"], "Description": i.get("description", "")}]
        if i.get("cidrIpv6"):
            perm["Ipv6Ranges"] = [{"CidrIpv6": i["cidrIpv6"], "Description": i.get("description", "")}]
        if i.get("referencedSecurityGroupId"):
            perm["UserIdGroupPairs"] = [{"GroupId": i["referencedSecurityGroupId"]}]
        call = ec2.authorize_security_group_ingress if direction == "ingress" else ec2.authorize_security_group_egress
        result = call(GroupId=i["securityGroupId"], IpPermissions=[perm])
        rules = result.get("SecurityGroupRules") or [{}]
        return rules[0].get("SecurityGroupRuleId", f"sgr-{i['securityGroupId']}"), {"groupId": i["securityGroupId"], "direction": direction}
    return create


def _create_instance(ec2, i):
    args: dict[str, Any] = {"ImageId": i.get("ami") or "ami-12c6146b", "InstanceType": i.get("instanceType", "t3.micro"),
                            "MinCount": 1, "MaxCount": 1, "TagSpecifications": _spec("instance", i)}
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


# --- the application labs' services ---------------------------------------------------------


def _bool(value: Any) -> bool:
    """Pulumi's AWS provider keeps some booleans as strings ("true") in launch templates."""
    return value if isinstance(value, bool) else str(value).lower() == "true"


def _named(i: dict, name: str, limit: int = 255, key: str = "name", prefix_key: str = "namePrefix") -> str:
    """The AWS name the provider would choose: the given one, the prefix and a unique suffix, or
    (Pulumi's autonaming) the resource's name and a random 7-character suffix."""
    if i.get(key):
        return str(i[key])
    if i.get(prefix_key):
        return (str(i[prefix_key]) + uuid.uuid4().hex + uuid.uuid4().hex)[:min(limit, len(i[prefix_key]) + 26)]
    return f"{name}-{uuid.uuid4().hex[:7]}"[:limit]


def _pascal(value: Any, renames: dict[str, str] | None = None) -> Any:
    """camelCase keys (Pulumi's inputs) as PascalCase (the AWS API's), nested; ``renames`` for the
    few that are not a plain capitalisation (sseAlgorithm -> SSEAlgorithm)."""
    renames = renames or {}
    if isinstance(value, list):
        return [_pascal(v, renames) for v in value]
    if isinstance(value, dict):
        return {renames.get(k, k[:1].upper() + k[1:]): _pascal(v, renames) for k, v in value.items()}
    return value


def _random_password(aws, i, name):
    """random:RandomPassword, generated locally as the random provider does (no cloud call)."""
    rng = secrets.SystemRandom()
    pools = {"lower": string.ascii_lowercase, "upper": string.ascii_uppercase, "numeric": string.digits,
             "special": i.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"}
    used = {k: v for k, v in pools.items() if i.get(k, True) is not False}
    if not used:
        raise ValueError(f"{name}: a password needs at least one character class")
    chars = [rng.choice(pool) for k, pool in used.items() for _ in range(int(i.get(f"min{k.capitalize()}", 0) or 0))]
    everything = "".join(used.values())
    chars += [rng.choice(everything) for _ in range(max(0, int(i.get("length", 16)) - len(chars)))]
    rng.shuffle(chars)
    return "none", {"secret": "".join(chars)}


def _private_key(aws, i, name):
    """tls:PrivateKey, generated locally as the TLS provider does (no cloud call); its public key
    replaces the renderer's placeholder wherever the graph uses it (the key pair)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    key = (ed25519.Ed25519PrivateKey.generate() if i.get("algorithm") == "ED25519"
           else rsa.generate_private_key(public_exponent=65537, key_size=int(i.get("rsaBits") or 2048)))
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    return "none", {"secret": private, "outputs": {"publicKeyOpenssh": public + "\n"}}


def _create_key_pair(ec2, i):
    name = _named(i, "key", key="keyName", prefix_key="keyNamePrefix")
    pair = ec2.import_key_pair(KeyName=name, PublicKeyMaterial=str(i["publicKey"]).encode(),
                               TagSpecifications=_spec("key-pair", i))
    return pair["KeyPairId"], {"keyName": name, "outputs": {"keyName": name}}


def _create_lb(aws, i, name):
    elb = aws("elbv2")
    args: dict[str, Any] = {"Name": _named(i, name, 32), "Subnets": list(i.get("subnets") or []),
                            "Scheme": "internal" if i.get("internal") else "internet-facing",
                            "Type": i.get("loadBalancerType", "application")}
    if i.get("securityGroups"):
        args["SecurityGroups"] = list(i["securityGroups"])
    if i.get("ipAddressType"):
        args["IpAddressType"] = i["ipAddressType"]
    if _tags(i):
        args["Tags"] = _tags(i)
    lb = elb.create_load_balancer(**args)["LoadBalancers"][0]
    arn = lb["LoadBalancerArn"]
    attributes = [{"Key": key, "Value": str(value).lower()} for key, value in (
        ("routing.http.drop_invalid_header_fields.enabled", i.get("dropInvalidHeaderFields")),
        ("deletion_protection.enabled", i.get("enableDeletionProtection")),
        ("idle_timeout.timeout_seconds", i.get("idleTimeout"))) if value is not None]
    if attributes:
        elb.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=attributes)
    return arn, {"outputs": {"arn": arn, "dnsName": lb["DNSName"], "name": lb["LoadBalancerName"],
                             "arnSuffix": arn.split(":loadbalancer/", 1)[1], "zoneId": lb.get("CanonicalHostedZoneId")}}


def _create_tg(aws, i, name):
    elb = aws("elbv2")
    args: dict[str, Any] = {"Name": _named(i, name, 32), "TargetType": i.get("targetType", "instance")}
    for key, arg in (("protocol", "Protocol"), ("port", "Port"), ("vpcId", "VpcId"), ("protocolVersion", "ProtocolVersion")):
        if i.get(key) is not None:
            args[arg] = i[key]
    for key, value in (i.get("healthCheck") or {}).items():
        if key == "matcher":
            args["Matcher"] = {"HttpCode": str(value)}
        elif key in HEALTH_CHECK_FIELDS:
            args[HEALTH_CHECK_FIELDS[key]] = str(value) if key == "port" else value
        else:
            raise ValueError(f"{name}: health check setting {key} is not emulated")
    if _tags(i):
        args["Tags"] = _tags(i)
    group = elb.create_target_group(**args)["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    if i.get("deregistrationDelay") is not None:
        elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
            {"Key": "deregistration_delay.timeout_seconds", "Value": str(i["deregistrationDelay"])}])
    return arn, {"outputs": {"arn": arn, "name": group["TargetGroupName"], "arnSuffix": arn.split(":", 5)[5]}}


def _create_listener(aws, i, name):
    args: dict[str, Any] = {"LoadBalancerArn": i["loadBalancerArn"], "DefaultActions": _pascal(i["defaultActions"])}
    for key, arg in (("protocol", "Protocol"), ("port", "Port"), ("certificateArn", "Certificates"), ("sslPolicy", "SslPolicy")):
        if i.get(key) is not None:
            args[arg] = [{"CertificateArn": i[key]}] if key == "certificateArn" else i[key]
    if _tags(i):
        args["Tags"] = _tags(i)
    arn = aws("elbv2").create_listener(**args)["Listeners"][0]["ListenerArn"]
    return arn, {"outputs": {"arn": arn}}


def _create_tg_attachment(aws, i, name):
    target: dict[str, Any] = {"Id": i["targetId"]}
    if i.get("port") is not None:
        target["Port"] = int(i["port"])
    aws("elbv2").register_targets(TargetGroupArn=i["targetGroupArn"], Targets=[target])
    return f"{i['targetGroupArn']}-{i['targetId']}", {"targetGroupArn": i["targetGroupArn"], "target": target}


def _create_launch_template(aws, i, name):
    data: dict[str, Any] = {}
    for key, arg in (("imageId", "ImageId"), ("instanceType", "InstanceType"), ("keyName", "KeyName"),
                     ("userData", "UserData"), ("vpcSecurityGroupIds", "SecurityGroupIds")):
        if i.get(key):
            data[arg] = i[key]
    if i.get("blockDeviceMappings"):
        data["BlockDeviceMappings"] = [
            {"DeviceName": m["deviceName"], **({"Ebs": {
                ("Iops" if k == "iops" else k[:1].upper() + k[1:]): (_bool(v) if k in ("deleteOnTermination", "encrypted") else v)
                for k, v in m["ebs"].items()}} if m.get("ebs") else {})}
            for m in i["blockDeviceMappings"]]
    if i.get("networkInterfaces"):
        data["NetworkInterfaces"] = []
        for index, n in enumerate(i["networkInterfaces"]):
            nic: dict[str, Any] = {"DeviceIndex": int(n.get("deviceIndex", index))}
            for key, arg in (("securityGroups", "Groups"), ("subnetId", "SubnetId"),
                             ("associatePublicIpAddress", "AssociatePublicIpAddress"), ("deleteOnTermination", "DeleteOnTermination")):
                if n.get(key) is not None:
                    nic[arg] = _bool(n[key]) if key in ("associatePublicIpAddress", "deleteOnTermination") else n[key]
            data["NetworkInterfaces"].append(nic)
    if i.get("metadataOptions"):
        data["MetadataOptions"] = _pascal(i["metadataOptions"])
    if i.get("creditSpecification"):
        data["CreditSpecification"] = _pascal(i["creditSpecification"])
    if i.get("tagSpecifications"):
        data["TagSpecifications"] = [{"ResourceType": t["resourceType"], "Tags": _tags(t)} for t in i["tagSpecifications"]]
    template = aws("ec2").create_launch_template(LaunchTemplateName=_named(i, name, 128), LaunchTemplateData=data,
                                                 TagSpecifications=_spec("launch-template", i))["LaunchTemplate"]
    return template["LaunchTemplateId"], {"outputs": {"name": template["LaunchTemplateName"]}}


def _create_asg(aws, i, name):
    group_name = _named(i, name)
    args: dict[str, Any] = {"AutoScalingGroupName": group_name, "MinSize": int(i["minSize"]), "MaxSize": int(i["maxSize"])}
    for key, arg in (("desiredCapacity", "DesiredCapacity"), ("healthCheckType", "HealthCheckType"),
                     ("healthCheckGracePeriod", "HealthCheckGracePeriod"), ("defaultCooldown", "DefaultCooldown"),
                     ("availabilityZones", "AvailabilityZones"), ("targetGroupArns", "TargetGroupARNs")):
        if i.get(key) is not None:
            args[arg] = i[key]
    if i.get("vpcZoneIdentifiers"):
        args["VPCZoneIdentifier"] = ",".join(i["vpcZoneIdentifiers"])
    template = i.get("launchTemplate")
    if template:
        args["LaunchTemplate"] = {("LaunchTemplateId" if template.get("id") else "LaunchTemplateName"): template.get("id") or template["name"],
                                  "Version": str(template.get("version") or "$Default")}
    if i.get("tags"):
        args["Tags"] = [{"ResourceId": group_name, "ResourceType": "auto-scaling-group", "Key": t["key"],
                         "Value": str(t["value"]), "PropagateAtLaunch": bool(t.get("propagateAtLaunch"))} for t in i["tags"]]
    asg = aws("autoscaling")
    asg.create_auto_scaling_group(**args)
    (made,) = asg.describe_auto_scaling_groups(AutoScalingGroupNames=[group_name])["AutoScalingGroups"]
    return group_name, {"outputs": {"name": group_name, "arn": made["AutoScalingGroupARN"]}}


def _create_scaling_policy(aws, i, name):
    policy_name = _named(i, name)
    args: dict[str, Any] = {"AutoScalingGroupName": i["autoscalingGroupName"], "PolicyName": policy_name,
                            "PolicyType": i.get("policyType", "SimpleScaling")}
    for key, arg in (("adjustmentType", "AdjustmentType"), ("scalingAdjustment", "ScalingAdjustment"),
                     ("cooldown", "Cooldown"), ("estimatedInstanceWarmup", "EstimatedInstanceWarmup")):
        if i.get(key) is not None:
            args[arg] = i[key]
    if i.get("targetTrackingConfiguration"):
        config = _pascal(i["targetTrackingConfiguration"])
        config["TargetValue"] = float(config["TargetValue"])
        args["TargetTrackingConfiguration"] = config
    asg = aws("autoscaling")
    arn = asg.put_scaling_policy(**args).get("PolicyARN")
    if not arn:  # moto 5.2.5 answers PolicyArn, which botocore drops: the listing has it
        (policy,) = asg.describe_policies(AutoScalingGroupName=i["autoscalingGroupName"], PolicyNames=[policy_name])["ScalingPolicies"]
        arn = policy["PolicyARN"]
    return arn, {"group": i["autoscalingGroupName"], "policyName": policy_name, "outputs": {"arn": arn, "name": policy_name}}


def _create_vpc_endpoint(aws, i, name):
    args: dict[str, Any] = {"VpcId": i["vpcId"], "ServiceName": i["serviceName"],
                            "VpcEndpointType": i.get("vpcEndpointType", "Gateway"), "TagSpecifications": _spec("vpc-endpoint", i)}
    for key, arg in (("routeTableIds", "RouteTableIds"), ("subnetIds", "SubnetIds"), ("securityGroupIds", "SecurityGroupIds"),
                     ("policy", "PolicyDocument"), ("privateDnsEnabled", "PrivateDnsEnabled")):
        if i.get(key) is not None:
            args[arg] = i[key]
    endpoint = aws("ec2").create_vpc_endpoint(**args)["VpcEndpoint"]
    return endpoint["VpcEndpointId"], {}


def _create_bucket(aws, i, name):
    bucket = _named(i, name, 63, key="bucket", prefix_key="bucketPrefix").lower()
    s3 = aws("s3")
    region = aws.region
    s3.create_bucket(Bucket=bucket, **({} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}))
    if _tags(i):
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": _tags(i)})
    return bucket, {"forceDestroy": bool(i.get("forceDestroy"))}


def _bucket_part(call: str, argument: str, build: Callable[[dict], Any]) -> Callable:
    """A bucket's sub-resource (policy, public access block, encryption, website, CORS): one put call."""
    def create(aws, i, name):
        getattr(aws("s3"), call)(Bucket=i["bucket"], **{argument: build(i)})
        return i["bucket"], {}
    return create


def _website(i: dict) -> dict:
    config = {k[:1].upper() + k[1:]: _pascal(i[k]) for k in ("indexDocument", "errorDocument", "redirectAllRequestsTo") if i.get(k)}
    if i.get("routingRules"):
        config["RoutingRules"] = _pascal(i["routingRules"])
    return config


def _create_website(aws, i, name):
    bucket, _ = _bucket_part("put_bucket_website", "WebsiteConfiguration", _website)(aws, i, name)
    domain = f"s3-website-{aws.region}.amazonaws.com"
    return bucket, {"outputs": {"websiteDomain": domain, "websiteEndpoint": f"{bucket}.{domain}"}}


def _create_object(aws, i, name):
    args: dict[str, Any] = {"Bucket": i["bucket"], "Key": i["key"]}
    source = i.get("source") or {}
    if i.get("content") is not None:
        args["Body"] = str(i["content"]).encode()
    elif i.get("contentBase64") is not None:
        args["Body"] = base64.b64decode(i["contentBase64"])
    elif source.get("path"):
        args["Body"] = content.read_bytes(content.project_path(source["path"]))  # as Pulumi reads it, but labs/ only
    elif source.get("text") is not None:
        args["Body"] = str(source["text"]).encode()
    else:
        raise ValueError(f"{name}: the object's content is neither content, contentBase64 nor a file or text asset")
    for key, arg in (("contentType", "ContentType"), ("cacheControl", "CacheControl"), ("contentEncoding", "ContentEncoding")):
        if i.get(key):
            args[arg] = i[key]
    if i.get("tags"):
        args["Tagging"] = urllib.parse.urlencode({k: str(v) for k, v in i["tags"].items()})
    aws("s3").put_object(**args)
    return i["key"], {"bucket": i["bucket"]}


def _create_db_subnet_group(aws, i, name):
    group = _named(i, name).lower()
    made = aws("rds").create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription=i.get("description") or "Managed by Pulumi",
                                             SubnetIds=list(i["subnetIds"]), Tags=_tags(i))["DBSubnetGroup"]
    return group, {"outputs": {"name": group, "arn": made["DBSubnetGroupArn"]}}


DB_ARGS = (("allocatedStorage", "AllocatedStorage"), ("instanceClass", "DBInstanceClass"), ("engine", "Engine"),
           ("engineVersion", "EngineVersion"), ("username", "MasterUsername"), ("password", "MasterUserPassword"),
           ("dbName", "DBName"), ("vpcSecurityGroupIds", "VpcSecurityGroupIds"), ("dbSubnetGroupName", "DBSubnetGroupName"),
           ("port", "Port"), ("multiAz", "MultiAZ"), ("publiclyAccessible", "PubliclyAccessible"), ("storageType", "StorageType"),
           ("storageEncrypted", "StorageEncrypted"), ("backupRetentionPeriod", "BackupRetentionPeriod"),
           ("autoMinorVersionUpgrade", "AutoMinorVersionUpgrade"), ("deletionProtection", "DeletionProtection"),
           ("engineLifecycleSupport", "EngineLifecycleSupport"), ("parameterGroupName", "DBParameterGroupName"),
           ("availabilityZone", "AvailabilityZone"), ("kmsKeyId", "KmsKeyId"), ("iops", "Iops"))


def _create_db_instance(aws, i, name):
    identifier = _named(i, name, 63, key="identifier", prefix_key="identifierPrefix").lower()
    args: dict[str, Any] = {"DBInstanceIdentifier": identifier, "Tags": _tags(i)}
    for key, arg in DB_ARGS:
        if i.get(key) is not None:
            args[arg] = i[key]
    db = aws("rds").create_db_instance(**args)["DBInstance"]
    endpoint = db.get("Endpoint") or {}
    outputs = {"identifier": identifier, "arn": db["DBInstanceArn"], "resourceId": db.get("DbiResourceId")}
    if endpoint.get("Address"):
        outputs.update(address=endpoint["Address"], endpoint=f"{endpoint['Address']}:{endpoint.get('Port', i.get('port', 3306))}")
    return identifier, {"skipFinalSnapshot": bool(i.get("skipFinalSnapshot")), "finalSnapshotIdentifier": i.get("finalSnapshotIdentifier"),
                        "deleteAutomatedBackups": i.get("deleteAutomatedBackups", True), "outputs": outputs}


def _empty_bucket(s3, bucket: str) -> None:
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        if doomed:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed, "Quiet": True})


def _delete_bucket(aws, bucket: str, extra: dict) -> None:
    if extra.get("forceDestroy"):  # as the provider does: empty it first
        _empty_bucket(aws("s3"), bucket)
    aws("s3").delete_bucket(Bucket=bucket)


def _delete_db_instance(aws, identifier: str, extra: dict) -> None:
    final = {"SkipFinalSnapshot": True} if extra.get("skipFinalSnapshot") else {
        "SkipFinalSnapshot": False, "FinalDBSnapshotIdentifier": extra.get("finalSnapshotIdentifier") or f"{identifier}-final"}
    aws("rds").delete_db_instance(DBInstanceIdentifier=identifier, DeleteAutomatedBackups=bool(extra.get("deleteAutomatedBackups", True)), **final)


# --- the registry ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Handler:
    """How one resource type is created (``create(aws, inputs, name) -> (id, extra)``, ``extra`` kept in
    the state, its ``outputs`` the real values of the graph's fake outputs) and deleted
    (``delete(aws, id, extra)``). ``aws(service)`` gives a boto3 client."""

    create: Callable[[Any, dict, str], tuple[str, dict]]
    delete: Callable[[Any, str, dict], None]


def _on_ec2(create: Callable, delete: Callable) -> Handler:
    """The network types, written against one EC2 client."""
    return Handler(lambda aws, i, name: create(aws("ec2"), i), lambda aws, rid, extra: delete(aws("ec2"), rid, extra))


def _delete_igw(ec2, rid, extra):
    if extra.get("vpcId"):
        ec2.detach_internet_gateway(InternetGatewayId=rid, VpcId=extra["vpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=rid)


def _delete_route(ec2, rid, extra):
    key = "DestinationIpv6CidrBlock" if extra.get("ipv6") else "DestinationCidrBlock"
    ec2.delete_route(RouteTableId=extra["routeTableId"], **{key: extra["destination"]})


def _revoke_sg_rule(ec2, rid, extra):
    revoke = ec2.revoke_security_group_ingress if extra["direction"] == "ingress" else ec2.revoke_security_group_egress
    revoke(GroupId=extra["groupId"], SecurityGroupRuleIds=[rid])


HANDLERS: dict[str, Handler] = {
    "aws:ec2/vpc:Vpc": _on_ec2(_create_vpc, lambda ec2, rid, x: ec2.delete_vpc(VpcId=rid)),
    "aws:ec2/subnet:Subnet": _on_ec2(_create_subnet, lambda ec2, rid, x: ec2.delete_subnet(SubnetId=rid)),
    "aws:ec2/internetGateway:InternetGateway": _on_ec2(_create_igw, _delete_igw),
    "aws:ec2/routeTable:RouteTable": _on_ec2(_create_route_table, lambda ec2, rid, x: ec2.delete_route_table(RouteTableId=rid)),
    "aws:ec2/route:Route": _on_ec2(_create_route, _delete_route),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _on_ec2(
        _create_rt_assoc, lambda ec2, rid, x: ec2.disassociate_route_table(AssociationId=rid)),
    "aws:ec2/securityGroup:SecurityGroup": _on_ec2(_create_sg, lambda ec2, rid, x: ec2.delete_security_group(GroupId=rid)),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _on_ec2(_create_sg_rule("ingress"), _revoke_sg_rule),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _on_ec2(_create_sg_rule("egress"), _revoke_sg_rule),
    "aws:ec2/instance:Instance": _on_ec2(_create_instance, lambda ec2, rid, x: ec2.terminate_instances(InstanceIds=[rid])),
    "tls:index/privateKey:PrivateKey": Handler(_private_key, lambda aws, rid, x: None),  # nothing in the cloud
    # by name, as the provider deletes it (moto 5.2.5 ignores KeyPairId and answers success)
    "aws:ec2/keyPair:KeyPair": _on_ec2(_create_key_pair, lambda ec2, rid, x: ec2.delete_key_pair(KeyName=x["keyName"])),
    "aws:ec2/eip:Eip": _on_ec2(_create_eip, lambda ec2, rid, x: ec2.release_address(AllocationId=rid)),
    "aws:ec2/natGateway:NatGateway": _on_ec2(_create_nat, lambda ec2, rid, x: ec2.delete_nat_gateway(NatGatewayId=rid)),
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": _on_ec2(
        _create_eigw, lambda ec2, rid, x: ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=rid)),
    "aws:ec2/networkAcl:NetworkAcl": _on_ec2(_create_nacl, lambda ec2, rid, x: ec2.delete_network_acl(NetworkAclId=rid)),
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": _on_ec2(
        _create_nacl_assoc, lambda ec2, rid, x: ec2.replace_network_acl_association(AssociationId=rid, NetworkAclId=x["defaultAclId"])),
    "aws:ec2/networkAclRule:NetworkAclRule": _on_ec2(_create_nacl_rule, lambda ec2, rid, x: ec2.delete_network_acl_entry(
        NetworkAclId=x["networkAclId"], RuleNumber=x["ruleNumber"], Egress=x["egress"])),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": _on_ec2(
        _create_peering, lambda ec2, rid, x: ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=rid)),
    # accepting has no undo; deleting the connection ends it
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": _on_ec2(_create_peering_accepter, lambda ec2, rid, x: None),
    "aws:ec2/vpcEndpoint:VpcEndpoint": Handler(_create_vpc_endpoint, lambda aws, rid, x: aws("ec2").delete_vpc_endpoints(VpcEndpointIds=[rid])),
    "aws:ec2/launchTemplate:LaunchTemplate": Handler(
        _create_launch_template, lambda aws, rid, x: aws("ec2").delete_launch_template(LaunchTemplateId=rid)),
    "aws:lb/loadBalancer:LoadBalancer": Handler(_create_lb, lambda aws, rid, x: aws("elbv2").delete_load_balancer(LoadBalancerArn=rid)),
    "aws:lb/targetGroup:TargetGroup": Handler(_create_tg, lambda aws, rid, x: aws("elbv2").delete_target_group(TargetGroupArn=rid)),
    "aws:lb/listener:Listener": Handler(_create_listener, lambda aws, rid, x: aws("elbv2").delete_listener(ListenerArn=rid)),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": Handler(_create_tg_attachment, lambda aws, rid, x: aws("elbv2").deregister_targets(
        TargetGroupArn=x["targetGroupArn"], Targets=[x["target"]])),
    # ForceDelete: the group's instances go with it (the provider scales to zero and waits; moto terminates at once)
    "aws:autoscaling/group:Group": Handler(_create_asg, lambda aws, rid, x: aws("autoscaling").delete_auto_scaling_group(
        AutoScalingGroupName=rid, ForceDelete=True)),
    "aws:autoscaling/policy:Policy": Handler(_create_scaling_policy, lambda aws, rid, x: aws("autoscaling").delete_policy(
        AutoScalingGroupName=x["group"], PolicyName=x["policyName"])),
    "aws:s3/bucket:Bucket": Handler(_create_bucket, _delete_bucket),
    "aws:s3/bucketPolicy:BucketPolicy": Handler(_bucket_part("put_bucket_policy", "Policy", lambda i: i["policy"]),
                                                lambda aws, rid, x: aws("s3").delete_bucket_policy(Bucket=rid)),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": Handler(
        _bucket_part("put_public_access_block", "PublicAccessBlockConfiguration", lambda i: {
            arg: bool(i.get(key, False)) for key, arg in (("blockPublicAcls", "BlockPublicAcls"), ("ignorePublicAcls", "IgnorePublicAcls"),
                                                          ("blockPublicPolicy", "BlockPublicPolicy"),
                                                          ("restrictPublicBuckets", "RestrictPublicBuckets"))}),
        lambda aws, rid, x: aws("s3").delete_public_access_block(Bucket=rid)),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": Handler(
        _bucket_part("put_bucket_encryption", "ServerSideEncryptionConfiguration", lambda i: {"Rules": _pascal(
            i["rules"], {"sseAlgorithm": "SSEAlgorithm", "kmsMasterKeyId": "KMSMasterKeyID"})}),
        lambda aws, rid, x: aws("s3").delete_bucket_encryption(Bucket=rid)),
    "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration": Handler(
        _create_website, lambda aws, rid, x: aws("s3").delete_bucket_website(Bucket=rid)),
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": Handler(
        _bucket_part("put_bucket_cors", "CORSConfiguration", lambda i: {"CORSRules": _pascal(i["corsRules"], {"id": "ID"})}),
        lambda aws, rid, x: aws("s3").delete_bucket_cors(Bucket=rid)),
    "aws:s3/bucketObjectv2:BucketObjectv2": Handler(_create_object, lambda aws, rid, x: aws("s3").delete_object(Bucket=x["bucket"], Key=rid)),
    "aws:rds/subnetGroup:SubnetGroup": Handler(
        _create_db_subnet_group, lambda aws, rid, x: aws("rds").delete_db_subnet_group(DBSubnetGroupName=rid)),
    "aws:rds/instance:Instance": Handler(_create_db_instance, _delete_db_instance),
    "random:index/randomPassword:RandomPassword": Handler(_random_password, lambda aws, rid, x: None),  # nothing in the cloud
}
HANDLERS.update({t: Handler(*pair) for t, pair in emulate_iam.HANDLERS.items()})  # roles, policies, instance profiles
HANDLERS.update({t: Handler(*pair) for t, pair in emulate_containers.HANDLERS.items()})  # ECR, ECS
HANDLERS.update({t: Handler(*pair) for t, pair in emulate_beanstalk.HANDLERS.items()})  # Beanstalk applications
UNSUPPORTED = emulate_beanstalk.UNSUPPORTED  # types moto cannot create, each with the reason
# Made by the emulator itself, no cloud call: a replay keeps them as recorded.
GENERATED_LOCALLY = {"random:index/randomPassword:RandomPassword", "tls:index/privateKey:PrivateKey"}


class Clients:
    """boto3 clients by service name (``aws("s3")``), each made once from a session."""

    _lock = threading.Lock()  # making clients from one session is not thread-safe

    def __init__(self, session: Any):
        self.session = session
        self._made: dict[str, Any] = {}
        self.region = getattr(session, "region_name", None) or "us-east-1"

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            with self._lock:
                self._made[service] = self.session.client(service)
        return self._made[service]


def _delete(aws: Clients, entry: dict) -> bool:
    """Delete one resource; False when it was already gone (which counts as deleted, as Pulumi's
    provider counts it: a teardown interrupted, a sweep, or a student got there first)."""
    handler = HANDLERS.get(entry["type"])
    if handler is None:
        raise UnsupportedType(f"{entry['type']}: the emulator cannot delete this resource type")
    try:
        handler.delete(aws, entry["id"], entry.get("extra", {}))
    except Exception as err:  # noqa: BLE001 - any failure, named by its resource
        if is_gone(err):
            return False
        hint = (" (something outside this stack's state uses it, e.g. made by hand: labctl sweep <cohort> --emulate "
                "--delete removes it, then destroy again)" if is_dependency(err) else "")
        raise EmulationError(f"{entry['type']} {entry.get('name', entry['id'])}: cannot delete in the emulator: "
                             f"{err}{hint}") from err
    return True


def _swap(value: Any, ids: dict[str, str]) -> Any:
    """The renderer's ids replaced by the emulator's, in values and inside JSON documents (a bucket
    policy names its endpoint: ``aws:SourceVpce``)."""
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        if value.startswith("{"):
            for fake, real in ids.items():
                if len(fake) > 8 and fake in value:  # ids, never short words
                    value = value.replace(fake, real)
        return value
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


def needs_docker_engine(graph: StackGraph) -> list[str]:
    """The graph's types that need a Docker engine (see ``emulate_containers``), with what each does."""
    return sorted(f"{r.type} ({emulate_containers.DOCKER_ENGINE_TYPES[r.type]})" for r in graph.resources
                  if r.custom and r.type in emulate_containers.DOCKER_ENGINE_TYPES)


def unsupported_types(graph: StackGraph) -> list[str]:
    return sorted({r.type for r in graph.resources if r.custom and r.type not in HANDLERS})


def clients(aws: Any) -> Clients:
    """``aws`` as ``Clients``: a boto3 ``Session`` (or anything with ``client(name)``) is wrapped."""
    if isinstance(aws, Clients):
        return aws
    if not callable(getattr(aws, "client", None)):
        raise TypeError("the emulator needs a boto3 Session (every service's client), not one client")
    return Clients(aws)


def _resolve_secrets(record, inputs: dict, state: "EmulatedStack") -> dict:
    """A redacted input that comes from a resource the emulator generated (a random password) gets
    the generated value; any other stays redacted."""
    for key, value in inputs.items():
        if value == SECRET:
            for dep in record.property_dependencies.get(key, []):
                generated = state.resources.get(dep, {}).get("extra", {}).get("secret")
                if generated is not None:
                    inputs[key] = generated
    return inputs


def _open(stack: str, state_dir: Path, account: str, log: Callable[[str], None] | None) -> EmulatedStack:
    """The stack's state, ready to act on in ``account``: never one whose ids belong to another
    account; the creates a killed run left pending are dropped (and said so in ``log``)."""
    state = EmulatedStack.load(stack, state_dir)
    if state.resources and state.account != account:
        raise StaleState(f"{state.path}: its ids belong to emulated account {state.account or '(unnamed)'!r}, not to "
                         f"{account or '(unnamed)'!r}: replay it into this account first (labctl.ops.sandbox does)")
    state.account = account
    for dropped in state.drop_pending():
        if log:
            log(f"--- dropped a create a killed run left pending: {dropped} (tagged with the cohort if it exists: "
                "labctl sweep finds it)")
    return state


def _made(record: Any, inputs: dict, aws_id: str, extra: dict) -> dict:
    """A state entry: the AWS id, the fake ids it stands for, what delete needs, and the inputs and
    outputs that let ``replay`` make it again."""
    outputs = extra.pop("outputs", {})  # e.g. a VPC's default security group, an ALB's DNS name
    aliases = {record.id: aws_id} if record.id else {}
    for key, real in outputs.items():
        if isinstance(record.outputs.get(key), str) and isinstance(real, str):
            aliases[record.outputs[key]] = real
    return {"type": record.type, "name": record.name, "id": aws_id, "aliases": aliases, "extra": extra,
            "inputs": inputs, "outputs": outputs}


def up(graph: StackGraph, aws: Any, state_dir: Path, on_created: Callable[[str], None] | None = None,
       account: str = "", log: Callable[[str], None] | None = None) -> EmulatedStack:
    """Create what the state lacks (so an interrupted up converges when run again). Each create is
    recorded as pending before its call and as made after it (``EmulatedStack.record``). ``aws``: a boto3 Session whose
    clients reach moto (or ``Clients``); ``account``: the emulated account's id (see ``replay``)."""
    engine = sorted(set(needs_docker_engine(graph)))
    if engine:
        raise NeedsDockerEngine(f"{graph.stack}: needs a Docker engine, which the emulator does not have, for {', '.join(engine)}; "
                                "nothing was created. Emulate a stage without images (containers starter), or run "
                                "pulumi up where a Docker engine runs")
    missing = unsupported_types(graph)
    if missing:
        raise UnsupportedType(f"{graph.stack}: the emulator cannot create: "
                              + ", ".join(f"{t} ({UNSUPPORTED[t]})" if t in UNSUPPORTED else t for t in missing))
    aws = clients(aws)
    state = _open(graph.stack, state_dir, account, log)
    state.region = aws.region
    ids = {fake: real for entry in state.resources.values() for fake, real in entry.get("aliases", {}).items()}
    try:
        for record in topological(graph):
            if record.urn in state.resources:
                continue
            inputs = _resolve_secrets(record, _swap(record.inputs, ids), state)
            state.record("pending", record.urn, {"type": record.type, "name": record.name})
            try:  # Ctrl-C inside the call leaves it pending: it may have been made
                aws_id, extra = HANDLERS[record.type].create(aws, inputs, record.name)
            except Exception as err:  # noqa: BLE001 - any failure, named by its resource
                state.record("refused", record.urn)  # nothing was made
                raise EmulationError(f"{record.type} {record.name}: cannot create in the emulator: {err}") from err
            entry = _made(record, inputs, aws_id, extra)
            state.record("made", record.urn, entry)
            ids.update(entry["aliases"])
            if on_created:
                on_created(record.urn)
        if state.appending:
            state.save()  # the changes folded into one document
    finally:
        state.close()
    return state


# Refusals the AWS provider retries until they clear (an internet gateway's detach while an instance,
# NAT gateway or load balancer still maps a public address; a subnet, security group or VPC still in
# use; a target group still behind a listener), while Pulumi deletes the stack's other resources in
# parallel. The emulator deletes one at a time, so it retries such a refusal after the next deletions.
RETRIED_CODES = frozenset({"DependencyViolation", "ResourceInUse"})


def _retried(err: EmulationError) -> bool:
    cause = getattr(err.__cause__, "response", None) or {}
    return cause.get("Error", {}).get("Code") in RETRIED_CODES


def _deleted(aws: Clients, state: EmulatedStack, urn: str, refused: dict[str, EmulationError],
             log: Callable[[str], None] | None) -> bool:
    """Delete one resource of the state (one already gone counts as deleted); False (the refusal kept
    in ``refused``) when AWS refused it for a dependency another deletion may still remove."""
    entry = state.resources[urn]
    try:
        if not _delete(aws, entry) and log:
            log(f"--- {entry['type']} {entry.get('name', urn)} was already gone")
    except EmulationError as err:
        if not _retried(err):
            raise
        refused[urn] = err
        return False
    refused.pop(urn, None)
    state.record("deleted", urn)
    return True


def _retry_refused(aws: Clients, state: EmulatedStack, refused: dict[str, EmulationError],
                   log: Callable[[str], None] | None) -> int:
    """Retry the refused deletions, oldest refusal first, until none goes through; return how many did."""
    count = 0
    progress = True
    while progress:
        progress = any(_deleted(aws, state, urn, refused, log) for urn in list(refused))
        count += progress
    return count


def destroy(stack: str, aws: Any, state_dir: Path, account: str = "", log: Callable[[str], None] | None = None) -> int:
    """Delete every resource of the state in reverse creation order (one already gone counts as
    deleted); return how many. The state shrinks after each, so a killed destroy resumes. A deletion
    AWS refuses for a dependency (``RETRIED_CODES``) is retried after each later one, as the provider
    retries it while Pulumi deletes the rest in parallel; one still refused when nothing else is left fails."""
    aws = clients(aws)
    state = _open(stack, state_dir, account, log)
    count = 0
    refused: dict[str, EmulationError] = {}
    try:
        for urn in reversed(list(state.resources)):
            if _deleted(aws, state, urn, refused, log):
                count += 1 + _retry_refused(aws, state, refused, log)
        if refused:
            raise next(iter(refused.values()))
        state.remove()
    finally:
        state.close()
    return count


def replay(state: EmulatedStack, aws: Any, account: str) -> EmulatedStack:
    """The stack made again, as its state recorded it, in ``account`` (an empty one: an in-process
    sandbox, a restarted server): each resource created from its recorded inputs, the old ids in
    them replaced by the new ones. Returns the new state (not saved); the old one is not changed.
    What the emulator generates itself (a password, a private key) keeps its recorded value."""
    aws = clients(aws)
    new = EmulatedStack(state.stack, state.state_dir, account=account, region=state.region)
    renamed: dict[str, str] = {}
    for urn, entry in state.resources.items():
        if entry["type"] in GENERATED_LOCALLY:
            new.resources[urn] = entry
            continue
        inputs = _swap(entry.get("inputs", {}), renamed)
        try:
            aws_id, extra = HANDLERS[entry["type"]].create(aws, inputs, entry.get("name", urn))
        except Exception as err:  # noqa: BLE001 - any failure, named by its resource
            raise EmulationError(f"{state.stack}: {entry['type']} {entry.get('name', urn)}: cannot make it again in the "
                                 f"emulator: {err}") from err
        outputs = extra.pop("outputs", {})
        renamed[entry["id"]] = aws_id
        for key, old in entry.get("outputs", {}).items():
            if isinstance(old, str) and isinstance(outputs.get(key), str):
                renamed[old] = outputs[key]
        new.resources[urn] = {**entry, "id": aws_id, "extra": extra, "inputs": inputs, "outputs": outputs,
                              "aliases": {fake: renamed.get(real, real) for fake, real in entry.get("aliases", {}).items()}}
    return new


_RENDER_LOCK = threading.Lock()


class EmulatorRunner:
    """The fleet's Runner on the emulator: up/preview/refresh/destroy replay each stack's graph
    through boto3 (a ``session`` whose clients point at moto), stop/start reuse ``PowerRunner``.
    Stateless apart from the state directory, so stacks run in parallel threads. ``account``: the
    emulated account's id, stamped on every state it writes."""

    def __init__(self, session: Any, state_dir: Path, stack_files: dict[str, Path], owners: dict[str, tuple[str, str]] | None = None,
                 account: str = "", graphs: dict[str, StackGraph] | None = None):
        self.session, self.state_dir, self.stack_files, self.owners = session, Path(state_dir), stack_files, owners or {}
        self.account = account
        self.graphs = dict(graphs or {})  # rendered already (by the validation before up): not rendered again
        self.aws = Clients(session)  # one client per service for every stack: boto3 clients are thread-safe, making one is not cheap

    def resources(self, stack: str) -> int | None:
        state = EmulatedStack.load(stack, self.state_dir)
        return None if state.pending else len(state.resources)

    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]):
        from labctl.ops.fleet import Outcome
        from labctl.offline.render import render_file

        if operation in ("stop", "start"):
            from labctl.ops.awsops import PowerRunner
            return PowerRunner(self.session, self.owners).run(stack, operation, log, progress)
        aws = self.aws
        if operation == "destroy":
            count = destroy(stack, aws, self.state_dir, self.account, log)
            progress(count)
            return Outcome({"delete": count}, f"{count} resource(s) deleted in the emulator")
        graph = self.graphs.get(stack)
        if graph is None:
            with _RENDER_LOCK:  # concurrent renders in threads hung in testing: render one at a time
                graph = render_file(self.stack_files[stack])
        if operation == "preview":
            have = EmulatedStack.load(stack, self.state_dir).resources
            missing = [r for r in graph.resources if r.custom and r.urn not in have]
            return Outcome({"create": len(missing)}, f"{len(missing)} to create")
        if operation not in ("up", "refresh"):
            raise ValueError(f"the emulator does not {operation}")
        before = len(EmulatedStack.load(stack, self.state_dir).resources)
        done = [before]

        def created(urn: str) -> None:
            done[0] += 1
            log(f"created {urn}")
            progress(done[0])

        state = up(graph, aws, self.state_dir, on_created=created, account=self.account, log=log)
        made = len(state.resources) - before
        return Outcome({"create": made, "same": before}, f"{len(state.resources)} resource(s) in the emulator")

    def cancel(self, stack: str) -> None:  # each call is quick; up resumes from the state file
        pass
