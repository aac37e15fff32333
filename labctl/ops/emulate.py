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

Scope (partial): the EC2 network and instance types of the network labs. Other types raise
``UnsupportedType``; cross-process persistence needs a served moto (``endpoint_url``), since
in-process moto keeps nothing on disk.
"""

from __future__ import annotations

import json
from ipaddress import IPv6Network
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from labctl.offline.graph import StackGraph


class UnsupportedType(RuntimeError):
    """The emulator cannot create this resource type."""


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
    if i.get("assignGeneratedIpv6CidrBlock"):
        _allow_ipv6_in_default_acl(ec2, acl["NetworkAcls"][0])
    return vpc, {"outputs": {"defaultSecurityGroupId": group["SecurityGroups"][0]["GroupId"],
                             "defaultNetworkAclId": acl["NetworkAcls"][0]["NetworkAclId"],
                             "defaultRouteTableId": table["RouteTables"][0]["RouteTableId"],
                             "mainRouteTableId": table["RouteTables"][0]["RouteTableId"]}}


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
                     ("gatewayId", "GatewayId"), ("natGatewayId", "NatGatewayId"),
                     ("vpcPeeringConnectionId", "VpcPeeringConnectionId"), ("egressOnlyGatewayId", "EgressOnlyInternetGatewayId")):
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
    defaults = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])["SecurityGroupRules"]
    ids = [r["SecurityGroupRuleId"] for r in defaults if r["IsEgress"]]
    if ids:
        ec2.revoke_security_group_egress(GroupId=group, SecurityGroupRuleIds=ids)
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
                            "Protocol": str(PROTOCOLS.get(str(i["protocol"]), i["protocol"])), "RuleAction": i["ruleAction"],
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


PROTOCOLS = {"tcp": 6, "udp": 17, "icmp": 1, "all": -1, "-1": -1}


def _create_peering(ec2, i):
    return ec2.create_vpc_peering_connection(VpcId=i["vpcId"], PeerVpcId=i["peerVpcId"], TagSpecifications=_spec("vpc-peering-connection", i))[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"], {}


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
    if i.get("userData"):
        args["UserData"] = i["userData"]
    if i.get("keyName"):
        args["KeyName"] = i["keyName"]
    if i.get("ipv6AddressCount"):
        args["Ipv6AddressCount"] = int(i["ipv6AddressCount"])
    instance = ec2.run_instances(**args)["Instances"][0]
    return instance["InstanceId"], {"privateIp": instance.get("PrivateIpAddress")}


CREATORS: dict[str, Callable] = {
    "aws:ec2/vpc:Vpc": _create_vpc,
    "aws:ec2/subnet:Subnet": _create_subnet,
    "aws:ec2/internetGateway:InternetGateway": _create_igw,
    "aws:ec2/routeTable:RouteTable": _create_route_table,
    "aws:ec2/route:Route": _create_route,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _create_rt_assoc,
    "aws:ec2/securityGroup:SecurityGroup": _create_sg,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _create_sg_rule("ingress"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _create_sg_rule("egress"),
    "aws:ec2/instance:Instance": _create_instance,
    "aws:ec2/eip:Eip": _create_eip,
    "aws:ec2/natGateway:NatGateway": _create_nat,
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": _create_eigw,
    "aws:ec2/networkAcl:NetworkAcl": _create_nacl,
    "aws:ec2/networkAclAssociation:NetworkAclAssociation": _create_nacl_assoc,
    "aws:ec2/networkAclRule:NetworkAclRule": _create_nacl_rule,
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": _create_peering,
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": _create_peering_accepter,
}


def _delete(ec2, entry: dict) -> None:
    kind, aws_id, extra = entry["type"], entry["id"], entry.get("extra", {})
    if kind == "aws:ec2/instance:Instance":
        ec2.terminate_instances(InstanceIds=[aws_id])
    elif kind == "aws:ec2/securityGroup:SecurityGroup":
        ec2.delete_security_group(GroupId=aws_id)
    elif kind.startswith("aws:vpc/securityGroup"):
        revoke = ec2.revoke_security_group_ingress if extra["direction"] == "ingress" else ec2.revoke_security_group_egress
        revoke(GroupId=extra["groupId"], SecurityGroupRuleIds=[aws_id])
    elif kind == "aws:ec2/routeTableAssociation:RouteTableAssociation":
        ec2.disassociate_route_table(AssociationId=aws_id)
    elif kind == "aws:ec2/route:Route":
        key = "DestinationIpv6CidrBlock" if extra.get("ipv6") else "DestinationCidrBlock"
        ec2.delete_route(RouteTableId=extra["routeTableId"], **{key: extra["destination"]})
    elif kind == "aws:ec2/routeTable:RouteTable":
        ec2.delete_route_table(RouteTableId=aws_id)
    elif kind == "aws:ec2/internetGateway:InternetGateway":
        if extra.get("vpcId"):
            ec2.detach_internet_gateway(InternetGatewayId=aws_id, VpcId=extra["vpcId"])
        ec2.delete_internet_gateway(InternetGatewayId=aws_id)
    elif kind == "aws:ec2/subnet:Subnet":
        ec2.delete_subnet(SubnetId=aws_id)
    elif kind == "aws:ec2/vpc:Vpc":
        ec2.delete_vpc(VpcId=aws_id)
    elif kind == "aws:ec2/eip:Eip":
        ec2.release_address(AllocationId=aws_id)
    elif kind == "aws:ec2/natGateway:NatGateway":
        ec2.delete_nat_gateway(NatGatewayId=aws_id)
    elif kind == "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway":
        ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=aws_id)
    elif kind == "aws:ec2/networkAcl:NetworkAcl":
        ec2.delete_network_acl(NetworkAclId=aws_id)
    elif kind == "aws:ec2/networkAclAssociation:NetworkAclAssociation":
        ec2.replace_network_acl_association(AssociationId=aws_id, NetworkAclId=extra["defaultAclId"])
    elif kind == "aws:ec2/networkAclRule:NetworkAclRule":
        ec2.delete_network_acl_entry(NetworkAclId=extra["networkAclId"], RuleNumber=extra["ruleNumber"], Egress=extra["egress"])
    elif kind == "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=aws_id)
    elif kind == "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter":
        pass  # accepting has no undo; deleting the connection ends it
    else:
        raise UnsupportedType(f"{kind}: the emulator cannot delete this resource type")


def _swap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


@dataclass
class EmulatedStack:
    """One stack's emulated state: URN -> {type, id, fake id, extra}, kept in creation order."""

    stack: str
    state_dir: Path
    resources: dict[str, dict] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.state_dir / f"{self.stack}.json"

    @classmethod
    def load(cls, stack: str, state_dir: Path) -> "EmulatedStack":
        found = cls(stack, Path(state_dir))
        if found.path.is_file():
            found.resources = json.loads(found.path.read_text())["resources"]
        return found

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"stack": self.stack, "resources": self.resources}, indent=1))
        tmp.replace(self.path)


def unsupported_types(graph: StackGraph) -> list[str]:
    return sorted({r.type for r in graph.resources if r.custom and r.type not in CREATORS})


def up(graph: StackGraph, ec2, state_dir: Path, on_created: Callable[[str], None] | None = None) -> EmulatedStack:
    """Create what the state lacks (so an interrupted up converges when run again); save after each."""
    missing = unsupported_types(graph)
    if missing:
        raise UnsupportedType(f"{graph.stack}: the emulator cannot create: {', '.join(missing)}")
    state = EmulatedStack.load(graph.stack, state_dir)
    ids = {fake: real for entry in state.resources.values() for fake, real in entry.get("aliases", {}).items()}
    for record in topological(graph):
        if record.urn in state.resources:
            continue
        aws_id, extra = CREATORS[record.type](ec2, _swap(record.inputs, ids))
        aliases = {record.id: aws_id} if record.id else {}
        for key, real in extra.pop("outputs", {}).items():  # e.g. a VPC's default security group
            if isinstance(record.outputs.get(key), str):
                aliases[record.outputs[key]] = real
        ids.update(aliases)
        state.resources[record.urn] = {"type": record.type, "name": record.name, "id": aws_id,
                                       "aliases": aliases, "extra": extra}
        state.save()
        if on_created:
            on_created(record.urn)
    return state


def destroy(stack: str, ec2, state_dir: Path) -> int:
    """Delete every resource of the state in reverse creation order; return how many."""
    state = EmulatedStack.load(stack, state_dir)
    count = 0
    for urn in reversed(list(state.resources)):
        _delete(ec2, state.resources[urn])
        del state.resources[urn]
        state.save()
        count += 1
    if state.path.exists():
        state.path.unlink()
    return count


_RENDER_LOCK = threading.Lock()


class EmulatorRunner:
    """The fleet's Runner on the emulator: up/preview/refresh/destroy replay each stack's graph
    through boto3 (a ``session`` whose clients point at moto), stop/start reuse ``PowerRunner``.
    Stateless apart from the state directory, so stacks run in parallel threads."""

    def __init__(self, session: Any, state_dir: Path, stack_files: dict[str, Path], owners: dict[str, tuple[str, str]] | None = None):
        self.session, self.state_dir, self.stack_files, self.owners = session, Path(state_dir), stack_files, owners or {}

    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]):
        from labctl.ops.fleet import Outcome
        from labctl.offline.render import render_file

        if operation in ("stop", "start"):
            from labctl.ops.awsops import PowerRunner
            return PowerRunner(self.session, self.owners).run(stack, operation, log, progress)
        ec2 = self.session.client("ec2")
        if operation == "destroy":
            count = destroy(stack, ec2, self.state_dir)
            progress(count)
            return Outcome({"delete": count}, f"{count} resource(s) deleted in the emulator")
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

        state = up(graph, ec2, self.state_dir, on_created=created)
        made = len(state.resources) - before
        return Outcome({"create": made, "same": before}, f"{len(state.resources)} resource(s) in the emulator")

    def cancel(self, stack: str) -> None:  # each call is quick; up resumes from the state file
        pass
