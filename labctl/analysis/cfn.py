"""A rendered stack graph as the equivalent CloudFormation template, so that AWS's own resource
schemas (the CloudFormation registry schemas cfn-lint ships) can check its values.

Each Pulumi resource becomes the CloudFormation resource that makes the same API call; ids,
ARNs and names that the graph's resources produce become ``Ref``/``Fn::GetAtt`` to them, so
cross-property rules (a subnet inside its VPC, an ALB over two zones) see the real structure.
Resources that CloudFormation models as properties of another resource (a bucket's CORS rules,
a target group's targets) are folded into it. Types with no CloudFormation counterpart are
listed in :data:`NOT_VALIDATED` with the reason, never passed silently as clean.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from labctl.analysis import cfn_containers
from labctl import kinds
from labctl.kinds.shared import HEALTH_CHECK_FIELDS, PROTOCOL_NUMBERS, ROUTE_TARGETS
from labctl.offline.graph import Resource, StackGraph

Template = dict[str, Any]

# Pulumi types with no CloudFormation resource of their own, and why.
NOT_VALIDATED: dict[str, str] = {token: k.no_template for token, k in kinds.KINDS.items() if k.no_template}  # with the reason


@dataclass
class Translation:
    template: Template
    logical: dict[str, str] = field(default_factory=dict)  # logical id -> Pulumi URN
    folded: dict[tuple[str, str], str] = field(default_factory=dict)  # (logical id, top property) -> URN
    not_validated: list[Resource] = field(default_factory=list)

    def urn_of(self, logical_id: str, prop: str | None) -> str | None:
        return self.folded.get((logical_id, prop or "")) or self.logical.get(logical_id)


def logical_id(name: str) -> str:
    """CloudFormation logical ids are alphanumeric: 'vpc-nat-vpc-a-igw' -> 'VpcNatVpcAIgw'."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", name) if part) or "Resource"


def _tags(tags: Any) -> list[dict[str, Any]] | None:
    if not isinstance(tags, dict) or not tags:
        return None
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


def _json(value: Any) -> Any:
    """Pulumi passes policies as JSON text; CloudFormation takes the document."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _bool(value: Any) -> Any:
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


# Types nothing refers to by id; some reuse another resource's id as theirs (an S3 bucket's
# configuration resources have the bucket's name as id), which must keep pointing at the bucket.
NOT_REFERENCED = {
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration", "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketObjectv2:BucketObjectv2", "aws:ec2/route:Route", "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:ec2/networkAclAssociation:NetworkAclAssociation", "aws:ec2/networkAclRule:NetworkAclRule",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", "aws:autoscaling/policy:Policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "aws:iam/rolePolicy:RolePolicy",
}



class _Builder:
    def __init__(self, graph: StackGraph):
        self.graph = graph
        self.out = Translation({"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}})
        self.refs: dict[str, Any] = {}  # a value a resource produces -> Ref/GetAtt
        self.ids: dict[str, str] = {}  # URN -> logical id
        used: set[str] = set()
        for r in graph.custom_resources:
            base = logical_id(r.name)
            lid, n = base, 2
            while lid in used:
                lid, n = f"{base}{n}", n + 1
            used.add(lid)
            self.ids[r.urn] = lid
            if r.type not in NOT_REFERENCED:
                self._register_refs(r, lid)

    def _register_refs(self, r: Resource, lid: str) -> None:
        ref = {"Ref": lid}
        if r.type == "aws:ec2/eip:Eip":
            self.refs[str(r.outputs.get("allocationId"))] = {"Fn::GetAtt": [lid, "AllocationId"]}
            return
        if r.id:
            self.refs[r.id] = ref
        for key, attr in (("arn", "Arn"), ("name", "Name")):
            value = r.outputs.get(key)
            if isinstance(value, str) and value not in self.refs:
                self.refs[value] = {"Ref": lid} if value == r.id else {"Fn::GetAtt": [lid, attr]}
        if r.type == "aws:rds/subnetGroup:SubnetGroup" and r.outputs.get("name"):
            self.refs[r.outputs["name"]] = ref
        if r.type == "aws:s3/bucket:Bucket" and r.inputs.get("bucket"):
            self.refs[r.inputs["bucket"]] = ref

    def ref(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.refs.get(value, value)
        if isinstance(value, list):
            return [self.ref(v) for v in value]
        return value

    def add(self, r: Resource, cfn_type: str, props: dict[str, Any], suffix: str = "") -> str:
        lid = self.ids[r.urn] + suffix
        clean = {k: v for k, v in props.items() if v is not None and v != [] and v != {}}
        self.out.template["Resources"][lid] = {"Type": cfn_type, "Properties": clean}
        self.out.logical[lid] = r.urn
        return lid

    def _folded_into(self, r: Resource, target: Any, prop: str) -> tuple[str, dict[str, Any]]:
        """The logical id and properties of the resource ``target`` refers to."""
        ref = self.ref(target)
        lid = ref.get("Ref") if isinstance(ref, dict) else None
        resources = self.out.template["Resources"]
        if lid is None or lid not in resources:
            raise KeyError(f"{r.name}: {prop} for a resource that is not in the graph ({target!r})")
        return lid, resources[lid]["Properties"]

    def fold(self, r: Resource, target: Any, prop: str, value: Any) -> None:
        """Put ``value`` into the resource ``target`` (a value that refers to it) as ``prop``."""
        lid, properties = self._folded_into(r, target, prop)
        properties[prop] = value
        self.out.folded[(lid, prop)] = r.urn

    def fold_item(self, r: Resource, target: Any, prop: str, item: Any) -> None:
        """Append ``item`` to the list ``prop`` of the resource ``target`` (a group's targets, a
        role's managed policies); a finding on the list names the first resource folded in."""
        lid, properties = self._folded_into(r, target, prop)
        properties.setdefault(prop, []).append(item)
        self.out.folded.setdefault((lid, prop), r.urn)


def _vpc(b: _Builder, r: Resource) -> None:
    i = r.inputs
    lid = b.add(r, "AWS::EC2::VPC", {"CidrBlock": i.get("cidrBlock"), "EnableDnsSupport": i.get("enableDnsSupport"),
                                     "EnableDnsHostnames": i.get("enableDnsHostnames"), "Tags": _tags(i.get("tags"))})
    if i.get("assignGeneratedIpv6CidrBlock"):
        b.add(r, "AWS::EC2::VPCCidrBlock", {"VpcId": {"Ref": lid}, "AmazonProvidedIpv6CidrBlock": True}, "Ipv6")


def _subnet(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::EC2::Subnet", {
        "VpcId": b.ref(i.get("vpcId")), "CidrBlock": i.get("cidrBlock"), "AvailabilityZone": i.get("availabilityZone"),
        "MapPublicIpOnLaunch": i.get("mapPublicIpOnLaunch"), "Ipv6CidrBlock": i.get("ipv6CidrBlock"),
        "AssignIpv6AddressOnCreation": i.get("assignIpv6AddressOnCreation"), "Tags": _tags(i.get("tags"))})


def _igw(b: _Builder, r: Resource) -> None:
    lid = b.add(r, "AWS::EC2::InternetGateway", {"Tags": _tags(r.inputs.get("tags"))})
    if r.inputs.get("vpcId"):  # Pulumi attaches the gateway when it has a vpc_id
        b.add(r, "AWS::EC2::VPCGatewayAttachment", {"VpcId": b.ref(r.inputs["vpcId"]), "InternetGatewayId": {"Ref": lid}},
              "Attachment")


def _simple(cfn_type: str, mapping: dict[str, str], tags: bool = True,
            own: tuple[str, ...] = ()) -> Callable[[_Builder, Resource], None]:
    """A resource whose properties are a renaming of the Pulumi inputs (references resolved,
    except in ``own``: the resource's own name is not a reference to itself)."""
    def build(b: _Builder, r: Resource) -> None:
        props = {cfn: r.inputs.get(pulumi) if pulumi in own else b.ref(r.inputs.get(pulumi)) for pulumi, cfn in mapping.items()}
        if tags:
            props["Tags"] = _tags(r.inputs.get("tags"))
        b.add(r, cfn_type, props)
    return build


def _nacl_entry(b: _Builder, r: Resource) -> None:
    i = r.inputs
    protocol = PROTOCOL_NUMBERS.get(str(i.get("protocol")), i.get("protocol"))
    props: dict[str, Any] = {"NetworkAclId": b.ref(i.get("networkAclId")), "RuleNumber": i.get("ruleNumber"),
                             "Protocol": protocol, "RuleAction": i.get("ruleAction"), "Egress": i.get("egress"),
                             "CidrBlock": i.get("cidrBlock"), "Ipv6CidrBlock": i.get("ipv6CidrBlock")}
    if protocol in (1, 58):
        props["Icmp"] = {"Type": i.get("icmpType", -1), "Code": i.get("icmpCode", -1)}
    elif i.get("fromPort") is not None:
        props["PortRange"] = {"From": i.get("fromPort"), "To": i.get("toPort")}
    b.add(r, "AWS::EC2::NetworkAclEntry", props)


def _key_pair(b: _Builder, r: Resource) -> None:
    """ImportKeyPair with the public key (CloudFormation creates a new key pair without it)."""
    b.add(r, "AWS::EC2::KeyPair", {"KeyName": r.outputs.get("keyName") or r.inputs.get("keyName"),
                                   "PublicKeyMaterial": b.ref(r.inputs.get("publicKey")), "Tags": _tags(r.inputs.get("tags"))})


def _sg(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::EC2::SecurityGroup", {"GroupDescription": i.get("description"), "GroupName": r.outputs.get("name"),
                                         "VpcId": b.ref(i.get("vpcId")), "Tags": _tags(i.get("tags"))})


def _sg_rule(ingress: bool) -> Callable[[_Builder, Resource], None]:
    def build(b: _Builder, r: Resource) -> None:
        i = r.inputs
        peer = "SourceSecurityGroupId" if ingress else "DestinationSecurityGroupId"
        b.add(r, "AWS::EC2::SecurityGroupIngress" if ingress else "AWS::EC2::SecurityGroupEgress", {
            "GroupId": b.ref(i.get("securityGroupId")), "IpProtocol": i.get("ipProtocol"), "FromPort": i.get("fromPort"),
            "ToPort": i.get("toPort"), "CidrIp": i.get("cidrIpv4"), "CidrIpv6": i.get("cidrIpv6"),
            peer: b.ref(i.get("referencedSecurityGroupId")), "Description": i.get("description")})
    return build


def _ebs(device: dict[str, Any]) -> dict[str, Any]:
    return {"VolumeSize": device.get("volumeSize"), "VolumeType": device.get("volumeType"),
            "Encrypted": _bool(device.get("encrypted")), "DeleteOnTermination": _bool(device.get("deleteOnTermination"))}


def _metadata(options: Any) -> dict[str, Any] | None:
    if not isinstance(options, dict):
        return None
    return {"HttpTokens": options.get("httpTokens"), "HttpEndpoint": options.get("httpEndpoint"),
            "HttpPutResponseHopLimit": options.get("httpPutResponseHopLimit")}


def _instance(b: _Builder, r: Resource) -> None:
    i = r.inputs
    props: dict[str, Any] = {
        "ImageId": i.get("ami"), "InstanceType": i.get("instanceType"), "KeyName": i.get("keyName"),
        "MetadataOptions": _metadata(i.get("metadataOptions")), "Tags": _tags(i.get("tags")),
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
    b.add(r, "AWS::EC2::Instance", props)


def _launch_template(b: _Builder, r: Resource) -> None:
    i = r.inputs
    data: dict[str, Any] = {
        "ImageId": i.get("imageId"), "InstanceType": i.get("instanceType"), "KeyName": i.get("keyName"),
        "UserData": i.get("userData"), "MetadataOptions": _metadata(i.get("metadataOptions")),
        "CreditSpecification": {"CpuCredits": i["creditSpecification"]["cpuCredits"]} if i.get("creditSpecification") else None,
        "BlockDeviceMappings": [{"DeviceName": d.get("deviceName"), "Ebs": _ebs(d.get("ebs") or {})}
                                for d in i.get("blockDeviceMappings") or []],
        "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": _bool(n.get("associatePublicIpAddress")),
                               "DeleteOnTermination": _bool(n.get("deleteOnTermination")), "Groups": b.ref(n.get("securityGroups"))}
                              for n in i.get("networkInterfaces") or []],
        "TagSpecifications": [{"ResourceType": t.get("resourceType"), "Tags": _tags(t.get("tags"))}
                              for t in i.get("tagSpecifications") or []],
    }
    b.add(r, "AWS::EC2::LaunchTemplate", {
        "LaunchTemplateName": r.outputs.get("name"),
        "LaunchTemplateData": {k: v for k, v in data.items() if v not in (None, [], {})},
        "TagSpecifications": [{"ResourceType": "launch-template", "Tags": _tags(i.get("tags"))}] if i.get("tags") else None})


def _asg(b: _Builder, r: Resource) -> None:
    i = r.inputs
    lt = i.get("launchTemplate") or {}
    tags: list[dict[str, Any]] = i["tags"] if isinstance(i.get("tags"), list) else []
    b.add(r, "AWS::AutoScaling::AutoScalingGroup", {
        "AutoScalingGroupName": r.outputs.get("name"), "MinSize": str(i.get("minSize")), "MaxSize": str(i.get("maxSize")),
        "DesiredCapacity": str(i["desiredCapacity"]) if i.get("desiredCapacity") is not None else None,
        "VPCZoneIdentifier": b.ref(i.get("vpcZoneIdentifiers")), "TargetGroupARNs": b.ref(i.get("targetGroupArns")),
        "HealthCheckType": i.get("healthCheckType"), "HealthCheckGracePeriod": i.get("healthCheckGracePeriod"),
        "LaunchTemplate": {"LaunchTemplateId": b.ref(lt.get("id")), "Version": str(lt.get("version"))} if lt else None,
        "Tags": [{"Key": t["key"], "Value": t["value"], "PropagateAtLaunch": bool(t.get("propagateAtLaunch"))} for t in tags]})


def _scaling_policy(b: _Builder, r: Resource) -> None:
    i = r.inputs
    tt = i.get("targetTrackingConfiguration") or {}
    spec = tt.get("predefinedMetricSpecification") or {}
    b.add(r, "AWS::AutoScaling::ScalingPolicy", {
        "AutoScalingGroupName": b.ref(i.get("autoscalingGroupName")), "PolicyType": i.get("policyType"),
        "TargetTrackingConfiguration": {"PredefinedMetricSpecification": {"PredefinedMetricType": spec.get("predefinedMetricType")},
                                        "TargetValue": tt.get("targetValue")} if tt else None})


def _load_balancer(b: _Builder, r: Resource) -> None:
    i = r.inputs
    attributes = [{"Key": "deletion_protection.enabled", "Value": str(bool(i.get("enableDeletionProtection"))).lower()}]
    if i.get("dropInvalidHeaderFields") is not None:
        attributes.append({"Key": "routing.http.drop_invalid_header_fields.enabled",
                           "Value": str(bool(i["dropInvalidHeaderFields"])).lower()})
    b.add(r, "AWS::ElasticLoadBalancingV2::LoadBalancer", {
        "Name": r.outputs.get("name"), "Type": i.get("loadBalancerType"),
        "Scheme": "internal" if i.get("internal") else "internet-facing", "Subnets": b.ref(i.get("subnets")),
        "SecurityGroups": b.ref(i.get("securityGroups")), "LoadBalancerAttributes": attributes, "Tags": _tags(i.get("tags"))})


def _target_group(b: _Builder, r: Resource) -> None:
    i = r.inputs
    hc = i.get("healthCheck") or {}
    b.add(r, "AWS::ElasticLoadBalancingV2::TargetGroup", {
        "Name": r.outputs.get("name"), "Port": i.get("port"), "Protocol": i.get("protocol"), "VpcId": b.ref(i.get("vpcId")),
        "TargetType": i.get("targetType"), **{api: hc.get(key) for key, api in HEALTH_CHECK_FIELDS.items()},
        "Matcher": {"HttpCode": hc["matcher"]} if hc.get("matcher") else None,
        "TargetGroupAttributes": [{"Key": "deregistration_delay.timeout_seconds", "Value": str(i["deregistrationDelay"])}]
        if i.get("deregistrationDelay") is not None else None,
        "Tags": _tags(i.get("tags"))})


def _target_attachment(b: _Builder, r: Resource) -> None:
    b.fold_item(r, r.inputs.get("targetGroupArn"), "Targets", {"Id": b.ref(r.inputs.get("targetId")), "Port": r.inputs.get("port")})


def _listener(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::ElasticLoadBalancingV2::Listener", {
        "LoadBalancerArn": b.ref(i.get("loadBalancerArn")), "Port": i.get("port"), "Protocol": i.get("protocol"),
        "DefaultActions": [{"Type": a.get("type"), "TargetGroupArn": b.ref(a.get("targetGroupArn"))}
                           for a in i.get("defaultActions") or []]})


def _db_instance(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::RDS::DBInstance", {
        "DBInstanceIdentifier": r.outputs.get("identifier"), "Engine": i.get("engine"), "EngineVersion": i.get("engineVersion"),
        "EngineLifecycleSupport": i.get("engineLifecycleSupport"), "DBInstanceClass": i.get("instanceClass"),
        "AllocatedStorage": str(i["allocatedStorage"]) if i.get("allocatedStorage") is not None else None,
        "StorageType": i.get("storageType"), "StorageEncrypted": i.get("storageEncrypted"), "DBName": i.get("dbName"),
        "MasterUsername": i.get("username"), "MasterUserPassword": i.get("password"),
        "ManageMasterUserPassword": i.get("manageMasterUserPassword"),
        "Port": str(i["port"]) if i.get("port") is not None else None, "PubliclyAccessible": i.get("publiclyAccessible"),
        "MultiAZ": i.get("multiAz"), "DBSubnetGroupName": b.ref(i.get("dbSubnetGroupName")),
        "VPCSecurityGroups": b.ref(i.get("vpcSecurityGroupIds")), "BackupRetentionPeriod": i.get("backupRetentionPeriod"),
        "DeletionProtection": i.get("deletionProtection"), "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
        "DeleteAutomatedBackups": i.get("deleteAutomatedBackups"), "Tags": _tags(i.get("tags"))})


def _db_subnet_group(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::RDS::DBSubnetGroup", {"DBSubnetGroupName": r.outputs.get("name"),
                                         "DBSubnetGroupDescription": i.get("description"),
                                         "SubnetIds": b.ref(i.get("subnetIds")), "Tags": _tags(i.get("tags"))})


def _bucket_part(prop: str, convert: Callable[[dict[str, Any]], Any]) -> Callable[[_Builder, Resource], None]:
    return lambda b, r: b.fold(r, r.inputs.get("bucket"), prop, convert(r.inputs))


def _cors(i: dict[str, Any]) -> dict[str, Any]:
    return {"CorsRules": [{"AllowedHeaders": c.get("allowedHeaders"), "AllowedMethods": c.get("allowedMethods"),
                           "AllowedOrigins": c.get("allowedOrigins"), "MaxAge": c.get("maxAgeSeconds")}
                          for c in i.get("corsRules") or []]}


def _website(i: dict[str, Any]) -> dict[str, Any]:
    return {"IndexDocument": (i.get("indexDocument") or {}).get("suffix"),
            "ErrorDocument": (i.get("errorDocument") or {}).get("key")}


def _encryption(i: dict[str, Any]) -> dict[str, Any]:
    return {"ServerSideEncryptionConfiguration": [
        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": (rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")},
         "BucketKeyEnabled": rule.get("bucketKeyEnabled")} for rule in i.get("rules") or []]}


def _public_access(i: dict[str, Any]) -> dict[str, Any]:
    return {"BlockPublicAcls": i.get("blockPublicAcls"), "BlockPublicPolicy": i.get("blockPublicPolicy"),
            "IgnorePublicAcls": i.get("ignorePublicAcls"), "RestrictPublicBuckets": i.get("restrictPublicBuckets")}


def _bucket_policy(b: _Builder, r: Resource) -> None:
    b.add(r, "AWS::S3::BucketPolicy", {"Bucket": b.ref(r.inputs.get("bucket")), "PolicyDocument": _json(r.inputs.get("policy"))})


def _eb_version(b: _Builder, r: Resource) -> None:
    """CloudFormation makes the version label itself; the rest is CreateApplicationVersion's."""
    i = r.inputs
    b.add(r, "AWS::ElasticBeanstalk::ApplicationVersion", {
        "ApplicationName": b.ref(i.get("application")), "Description": i.get("description"),
        "SourceBundle": {"S3Bucket": b.ref(i.get("bucket")), "S3Key": i.get("key")}})


def _eb_environment(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::ElasticBeanstalk::Environment", {
        "ApplicationName": b.ref(i.get("application")), "EnvironmentName": i.get("name"), "Description": i.get("description"),
        "SolutionStackName": i.get("solutionStackName"), "PlatformArn": i.get("platformArn"), "CNAMEPrefix": i.get("cnamePrefix"),
        "VersionLabel": b.ref(i.get("version")), "Tier": {"Name": i["tier"], "Type": "Standard"} if i.get("tier") else None,
        "OptionSettings": [{"Namespace": s.get("namespace"), "OptionName": s.get("name"), "ResourceName": s.get("resource"),
                            "Value": b.ref(s.get("value"))} for s in i.get("settings") or []],
        "Tags": _tags(i.get("tags"))})


def _iam_role(b: _Builder, r: Resource) -> None:
    i = r.inputs
    b.add(r, "AWS::IAM::Role", {
        "RoleName": r.outputs.get("name"), "Description": i.get("description"), "Path": i.get("path"),
        "AssumeRolePolicyDocument": _json(i.get("assumeRolePolicy")), "MaxSessionDuration": i.get("maxSessionDuration"),
        "Tags": _tags(i.get("tags"))})


def _role_policy_attachment(b: _Builder, r: Resource) -> None:
    """A managed policy attached to a role: CloudFormation lists them on the role."""
    b.fold_item(r, r.inputs.get("role"), "ManagedPolicyArns", r.inputs.get("policyArn"))


def _role_policy(b: _Builder, r: Resource) -> None:
    b.add(r, "AWS::IAM::RolePolicy", {"RoleName": b.ref(r.inputs.get("role")), "PolicyName": r.inputs.get("name"),
                                      "PolicyDocument": _json(r.inputs.get("policy"))})


def _instance_profile(b: _Builder, r: Resource) -> None:
    b.add(r, "AWS::IAM::InstanceProfile", {"InstanceProfileName": r.outputs.get("name"), "Path": r.inputs.get("path"),
                                           "Roles": [b.ref(r.inputs.get("role"))]})


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


TRANSLATIONS: dict[str, Callable[[_Builder, Resource], None]] = {
    "aws:ec2/vpc:Vpc": _vpc,
    "aws:ec2/subnet:Subnet": _subnet,
    "aws:ec2/internetGateway:InternetGateway": _igw,
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway":
        _simple("AWS::EC2::EgressOnlyInternetGateway", {"vpcId": "VpcId"}, tags=False),
    "aws:ec2/eip:Eip": _simple("AWS::EC2::EIP", {"domain": "Domain"}),
    "aws:ec2/natGateway:NatGateway": _simple("AWS::EC2::NatGateway", {"subnetId": "SubnetId", "allocationId": "AllocationId",
                                                                     "connectivityType": "ConnectivityType"}),
    "aws:ec2/routeTable:RouteTable": _simple("AWS::EC2::RouteTable", {"vpcId": "VpcId"}),
    "aws:ec2/route:Route": _simple("AWS::EC2::Route", {
        "routeTableId": "RouteTableId", "destinationCidrBlock": "DestinationCidrBlock",
        "destinationIpv6CidrBlock": "DestinationIpv6CidrBlock", **{t.key: t.api for t in ROUTE_TARGETS}}, tags=False),
    "aws:ec2/routeTableAssociation:RouteTableAssociation":
        _simple("AWS::EC2::SubnetRouteTableAssociation", {"subnetId": "SubnetId", "routeTableId": "RouteTableId"}, tags=False),
    "aws:ec2/networkAcl:NetworkAcl": _simple("AWS::EC2::NetworkAcl", {"vpcId": "VpcId"}),
    "aws:ec2/networkAclAssociation:NetworkAclAssociation":
        _simple("AWS::EC2::SubnetNetworkAclAssociation", {"subnetId": "SubnetId", "networkAclId": "NetworkAclId"}, tags=False),
    "aws:ec2/networkAclRule:NetworkAclRule": _nacl_entry,
    "aws:ec2/securityGroup:SecurityGroup": _sg,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _sg_rule(True),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _sg_rule(False),
    "aws:ec2/instance:Instance": _instance,
    "aws:ec2/launchTemplate:LaunchTemplate": _launch_template,
    "aws:autoscaling/group:Group": _asg,
    "aws:autoscaling/policy:Policy": _scaling_policy,
    "aws:lb/loadBalancer:LoadBalancer": _load_balancer,
    "aws:lb/targetGroup:TargetGroup": _target_group,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": _target_attachment,
    "aws:lb/listener:Listener": _listener,
    "aws:rds/instance:Instance": _db_instance,
    "aws:rds/subnetGroup:SubnetGroup": _db_subnet_group,
    "aws:s3/bucket:Bucket": _simple("AWS::S3::Bucket", {"bucket": "BucketName"}, own=("bucket",)),
    "aws:s3/bucketPolicy:BucketPolicy": _bucket_policy,
    "aws:s3/bucketCorsConfiguration:BucketCorsConfiguration": _bucket_part("CorsConfiguration", _cors),
    "aws:s3/bucketWebsiteConfiguration:BucketWebsiteConfiguration": _bucket_part("WebsiteConfiguration", _website),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        _bucket_part("BucketEncryption", _encryption),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":
        _bucket_part("PublicAccessBlockConfiguration", _public_access),
    "aws:ec2/keyPair:KeyPair": _key_pair,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _simple("AWS::EC2::VPCEndpoint", {
        "vpcId": "VpcId", "serviceName": "ServiceName", "vpcEndpointType": "VpcEndpointType", "routeTableIds": "RouteTableIds"},
        tags=False),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection":
        _simple("AWS::EC2::VPCPeeringConnection", {"vpcId": "VpcId", "peerVpcId": "PeerVpcId"}),
    # CloudFormation's Beanstalk application and version take no tags (the API does: Pulumi sends them)
    "aws:elasticbeanstalk/application:Application":
        _simple("AWS::ElasticBeanstalk::Application", {"name": "ApplicationName", "description": "Description"}, tags=False,
                own=("name",)),
    "aws:elasticbeanstalk/applicationVersion:ApplicationVersion": _eb_version,
    "aws:elasticbeanstalk/environment:Environment": _eb_environment,
    "aws:iam/role:Role": _iam_role,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _role_policy_attachment,
    "aws:iam/rolePolicy:RolePolicy": _role_policy,
    "aws:iam/instanceProfile:InstanceProfile": _instance_profile,
}
TRANSLATIONS.update(cfn_containers.TRANSLATIONS)
# Resources other resources fold into must exist first: translate them in this order.
_FIRST = ("aws:s3/bucket:Bucket", "aws:lb/targetGroup:TargetGroup", "aws:iam/role:Role")


class UnmappedTypeError(KeyError):
    """A resource type with neither a translation nor a 'not validated' reason."""


def translate(graph: StackGraph) -> Translation:
    b = _Builder(graph)
    resources = sorted(graph.custom_resources, key=lambda r: (r.type not in _FIRST, r.urn))
    for r in resources:
        if r.type in NOT_VALIDATED:
            b.out.not_validated.append(r)
            continue
        build = TRANSLATIONS.get(r.type)
        if build is None:
            raise UnmappedTypeError(f"{graph.stack}: {r.name} ({r.type}) has no CloudFormation translation; add one to "
                                    "labctl/analysis/cfn.py TRANSLATIONS, or a reason to NOT_VALIDATED")
        build(b, r)
    endpoint_policies = [r for r in resources if r.type == "aws:ec2/vpcEndpoint:VpcEndpoint" and r.inputs.get("policy")]
    for r in endpoint_policies:
        b.out.template["Resources"][b.ids[r.urn]]["Properties"]["PolicyDocument"] = _json(r.inputs["policy"])
    b.out.template["Resources"] = {k: _prune(v) for k, v in b.out.template["Resources"].items()}
    return b.out
