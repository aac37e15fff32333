"""The sandbox refuses deletes and creates as AWS does (labctl/ops/emulator_rules.py): every rule of
RULES is refused with AWS's code while its dependency exists (a delete) or is missing (a create) and
accepted once that is fixed, in-process (mock_aws) and, for a sample, through a served moto on
127.0.0.1; a lab graph that creates its load balancer or NAT gateway before the internet gateway
fails on the emulator's up with AWS's error."""

from __future__ import annotations

import json
import socket
from typing import Any, Callable

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from labctl.ops import emulator_rules
from labctl.ops.emulator_rules import RULES, install

Aws = Callable[[str], Any]
Attempt = Callable[[], Any]


def clients(endpoint: str | None = None) -> Aws:
    session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
    made: dict[str, Any] = {}

    def aws(service: str) -> Any:
        if service not in made:
            made[service] = session.client(service, endpoint_url=endpoint)
        return made[service]
    return aws


# --- building blocks ------------------------------------------------------------------------------------


def vpc(aws: Aws) -> str:
    return aws("ec2").create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]


def subnet(aws: Aws, vpc_id: str, third: int = 1, az: str = "us-east-1a") -> str:
    return aws("ec2").create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{third}.0/24", AvailabilityZone=az)["Subnet"]["SubnetId"]


def sg(aws: Aws, vpc_id: str, name: str = "app") -> str:
    return aws("ec2").create_security_group(VpcId=vpc_id, GroupName=name, Description=name)["GroupId"]


_AMI: list[str] = []


def ami(aws: Aws) -> str:
    """One of moto's bundled Linux AMIs (the same ids in every account; listing them is slow, so once)."""
    if not _AMI:
        _AMI.append(next(i["ImageId"] for i in aws("ec2").describe_images(Owners=["amazon"])["Images"] if i.get("Platform") != "windows"))
    return _AMI[0]


def instance(aws: Aws, subnet_id: str, public: bool = False, groups: list[str] | None = None) -> str:
    nic: dict[str, Any] = {"DeviceIndex": 0, "SubnetId": subnet_id, "AssociatePublicIpAddress": public}
    if groups:
        nic["Groups"] = groups
    return aws("ec2").run_instances(ImageId=ami(aws), MinCount=1, MaxCount=1, InstanceType="t3.micro",
                                    NetworkInterfaces=[nic])["Instances"][0]["InstanceId"]


def terminate(aws: Aws, instance_id: str) -> Attempt:
    return lambda: aws("ec2").terminate_instances(InstanceIds=[instance_id])


def eni(aws: Aws, subnet_id: str, groups: list[str] | None = None) -> str:
    return aws("ec2").create_network_interface(SubnetId=subnet_id, **({"Groups": groups} if groups else {}))[
        "NetworkInterface"]["NetworkInterfaceId"]


def igw(aws: Aws, vpc_id: str) -> str:
    gateway = aws("ec2").create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    aws("ec2").attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)
    return gateway


def connected(aws: Aws, subnet_id: str) -> str:
    """The subnet's VPC with an internet gateway attached (one made if it has none), as AWS requires before a
    public NAT gateway, an internet-facing load balancer or an Elastic IP association; returns the VPC's id."""
    vpc_id = aws("ec2").describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]["VpcId"]
    if not aws("ec2").describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]:
        igw(aws, vpc_id)
    return vpc_id


def create_nat(aws: Aws, subnet_id: str, allocation: str) -> str:
    """CreateNatGateway, then the state read as the provider waits for it: a failed gateway fails the create
    with its FailureCode (AWS accepts the call and fails the gateway)."""
    made = aws("ec2").create_nat_gateway(SubnetId=subnet_id, AllocationId=allocation)["NatGateway"]["NatGatewayId"]
    (gateway,) = aws("ec2").describe_nat_gateways(NatGatewayIds=[made])["NatGateways"]
    if gateway["State"] == "failed":
        raise ClientError({"Error": {"Code": gateway["FailureCode"], "Message": gateway["FailureMessage"]}}, "CreateNatGateway")
    return made


def nat(aws: Aws, subnet_id: str) -> tuple[str, str]:
    connected(aws, subnet_id)
    allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
    return create_nat(aws, subnet_id, allocation), allocation


def create_load_balancer(aws: Aws, subnets: list[str], groups: list[str] | None = None) -> str:
    return aws("elbv2").create_load_balancer(Name="web", Subnets=subnets, SecurityGroups=groups or [], Scheme="internet-facing",
                                             Type="application")["LoadBalancers"][0]["LoadBalancerArn"]


def load_balancer(aws: Aws, subnets: list[str], groups: list[str] | None = None) -> str:
    connected(aws, subnets[0])
    return create_load_balancer(aws, subnets, groups)


def two_subnets(aws: Aws) -> tuple[str, str, str]:
    vpc_id = vpc(aws)
    return vpc_id, subnet(aws, vpc_id, 1, "us-east-1a"), subnet(aws, vpc_id, 2, "us-east-1b")


def endpoint(aws: Aws, vpc_id: str, subnet_id: str, groups: list[str] | None = None) -> str:
    return aws("ec2").create_vpc_endpoint(VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.ecr.api", VpcEndpointType="Interface",
                                          SubnetIds=[subnet_id], SecurityGroupIds=groups or [])["VpcEndpoint"]["VpcEndpointId"]


def delete_endpoint(aws: Aws, endpoint_id: str) -> Attempt:
    return lambda: aws("ec2").delete_vpc_endpoints(VpcEndpointIds=[endpoint_id])


def ecs_service(aws: Aws, subnet_id: str, groups: list[str] | None = None) -> Attempt:
    """A Fargate service (awsvpc) with one task wanted; returns how to scale it to zero."""
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="lab")
    ecs.register_task_definition(family="web", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                                 containerDefinitions=[{"name": "web", "image": "nginx", "essential": True}])
    ecs.create_service(cluster="lab", serviceName="web", taskDefinition="web", desiredCount=1, launchType="FARGATE",
                       networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet_id], "securityGroups": groups or []}})
    return lambda: ecs.update_service(cluster="lab", service="web", desiredCount=0)


def db_instance(aws: Aws, subnets: list[str], groups: list[str] | None = None, **extra: Any) -> str:
    rds = aws("rds")
    rds.create_db_subnet_group(DBSubnetGroupName="data", DBSubnetGroupDescription="data", SubnetIds=subnets)
    rds.create_db_instance(DBInstanceIdentifier="db", DBInstanceClass="db.t3.micro", Engine="mysql", AllocatedStorage=20,
                           MasterUsername="admin", MasterUserPassword="password123", DBSubnetGroupName="data",
                           VpcSecurityGroupIds=groups or [], **extra)
    return "db"


def delete_db(aws: Aws, identifier: str = "db") -> Attempt:
    return lambda: aws("rds").delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)


def role(aws: Aws, name: str = "app") -> str:
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                       "Action": "sts:AssumeRole"}]}
    aws("iam").create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    return name


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]})


def policy(aws: Aws) -> str:
    return aws("iam").create_policy(PolicyName="read", PolicyDocument=POLICY)["Policy"]["Arn"]


# --- one scenario per rule: build the dependency; return (the refused call, its removal) -------------------

Scenario = Callable[[Aws], tuple[Attempt, Attempt]]


def _delete_subnet(aws: Aws, subnet_id: str) -> Attempt:
    return lambda: aws("ec2").delete_subnet(SubnetId=subnet_id)


def _delete_vpc(aws: Aws, vpc_id: str) -> Attempt:
    return lambda: aws("ec2").delete_vpc(VpcId=vpc_id)


def _delete_sg(aws: Aws, group: str) -> Attempt:
    return lambda: aws("ec2").delete_security_group(GroupId=group)


def _detach(aws: Aws, gateway: str, vpc_id: str) -> Attempt:
    return lambda: aws("ec2").detach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id)


def subnet_instance(aws: Aws) -> tuple[Attempt, Attempt]:
    net = subnet(aws, vpc(aws))
    return _delete_subnet(aws, net), terminate(aws, instance(aws, net))


def subnet_nat_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    net = subnet(aws, vpc(aws))
    gateway, _ = nat(aws, net)
    return _delete_subnet(aws, net), lambda: aws("ec2").delete_nat_gateway(NatGatewayId=gateway)


def subnet_network_interface(aws: Aws) -> tuple[Attempt, Attempt]:
    net = subnet(aws, vpc(aws))
    interface = eni(aws, net)
    return _delete_subnet(aws, net), lambda: aws("ec2").delete_network_interface(NetworkInterfaceId=interface)


def subnet_vpc_endpoint(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    net = subnet(aws, vpc_id)
    return _delete_subnet(aws, net), delete_endpoint(aws, endpoint(aws, vpc_id, net))


def subnet_load_balancer(aws: Aws) -> tuple[Attempt, Attempt]:
    _, a, b = two_subnets(aws)
    arn = load_balancer(aws, [a, b])
    return _delete_subnet(aws, a), lambda: aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)


def subnet_ecs_service(aws: Aws) -> tuple[Attempt, Attempt]:
    net = subnet(aws, vpc(aws))
    return _delete_subnet(aws, net), ecs_service(aws, net)


def subnet_rds_instance(aws: Aws) -> tuple[Attempt, Attempt]:
    _, a, b = two_subnets(aws)
    db_instance(aws, [a, b])  # single-AZ in us-east-1a: its interface is in a
    aws("ec2").delete_subnet(SubnetId=b)  # the group's other subnet holds nothing: AWS deletes it
    return _delete_subnet(aws, a), delete_db(aws)


def vpc_subnet(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    return _delete_vpc(aws, vpc_id), _delete_subnet(aws, subnet(aws, vpc_id))


def vpc_route_table(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    table = aws("ec2").create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    return _delete_vpc(aws, vpc_id), lambda: aws("ec2").delete_route_table(RouteTableId=table)


def vpc_vpn_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    gateway = aws("ec2").create_vpn_gateway(Type="ipsec.1")["VpnGateway"]["VpnGatewayId"]
    aws("ec2").attach_vpn_gateway(VpnGatewayId=gateway, VpcId=vpc_id)
    return _delete_vpc(aws, vpc_id), lambda: aws("ec2").detach_vpn_gateway(VpnGatewayId=gateway, VpcId=vpc_id)


def vpc_internet_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    return _delete_vpc(aws, vpc_id), _detach(aws, igw(aws, vpc_id), vpc_id)


def vpc_egress_only_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    gateway = aws("ec2").create_egress_only_internet_gateway(VpcId=vpc_id)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    return _delete_vpc(aws, vpc_id), lambda: aws("ec2").delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=gateway)


def vpc_security_group(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    return _delete_vpc(aws, vpc_id), _delete_sg(aws, sg(aws, vpc_id))


def vpc_network_acl(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    acl = aws("ec2").create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    return _delete_vpc(aws, vpc_id), lambda: aws("ec2").delete_network_acl(NetworkAclId=acl)


def vpc_endpoint(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    main = aws("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"][0]["RouteTableId"]
    gateway = aws("ec2").create_vpc_endpoint(VpcId=vpc_id, ServiceName="com.amazonaws.us-east-1.s3", VpcEndpointType="Gateway",
                                             RouteTableIds=[main])["VpcEndpoint"]["VpcEndpointId"]
    return _delete_vpc(aws, vpc_id), delete_endpoint(aws, gateway)


def igw_detach_public_ip(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    gateway = igw(aws, vpc_id)
    return _detach(aws, gateway, vpc_id), terminate(aws, instance(aws, subnet(aws, vpc_id), public=True))


def igw_detach_elastic_ip(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    gateway = igw(aws, vpc_id)
    allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
    association = aws("ec2").associate_address(AllocationId=allocation, NetworkInterfaceId=eni(aws, subnet(aws, vpc_id)))["AssociationId"]
    return _detach(aws, gateway, vpc_id), lambda: aws("ec2").disassociate_address(AssociationId=association)


def igw_detach_nat_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    gateway = igw(aws, vpc_id)
    nat_id, _ = nat(aws, subnet(aws, vpc_id))
    return _detach(aws, gateway, vpc_id), lambda: aws("ec2").delete_nat_gateway(NatGatewayId=nat_id)


def igw_detach_load_balancer(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id, a, b = two_subnets(aws)
    gateway = igw(aws, vpc_id)
    arn = load_balancer(aws, [a, b])
    return _detach(aws, gateway, vpc_id), lambda: aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)


def igw_delete_attached(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    gateway = igw(aws, vpc_id)
    return lambda: aws("ec2").delete_internet_gateway(InternetGatewayId=gateway), _detach(aws, gateway, vpc_id)


def sg_default(aws: Aws) -> tuple[Attempt, Attempt]:
    """A default group is never deletable by itself: deleting its VPC takes it."""
    vpc_id = vpc(aws)
    group = aws("ec2").describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                         {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]["GroupId"]

    def delete() -> Any:
        try:
            return aws("ec2").delete_security_group(GroupId=group)
        except ClientError as err:
            if err.response["Error"]["Code"] == "InvalidGroup.NotFound":
                return None  # gone with its VPC, as AWS does
            raise
    return delete, _delete_vpc(aws, vpc_id)


def sg_referenced(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    target, other = sg(aws, vpc_id, "target"), sg(aws, vpc_id, "other")
    rule = aws("ec2").authorize_security_group_ingress(GroupId=other, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "UserIdGroupPairs": [{"GroupId": target}]}])["SecurityGroupRules"][0]
    return _delete_sg(aws, target), lambda: aws("ec2").revoke_security_group_ingress(
        GroupId=other, SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])


def sg_network_interface(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    group = sg(aws, vpc_id)
    interface = eni(aws, subnet(aws, vpc_id), [group])
    return _delete_sg(aws, group), lambda: aws("ec2").delete_network_interface(NetworkInterfaceId=interface)


def sg_load_balancer(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id, a, b = two_subnets(aws)
    group = sg(aws, vpc_id)
    arn = load_balancer(aws, [a, b], [group])
    return _delete_sg(aws, group), lambda: aws("elbv2").delete_load_balancer(LoadBalancerArn=arn)


def sg_rds_instance(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id, a, b = two_subnets(aws)
    group = sg(aws, vpc_id)
    db_instance(aws, [a, b], [group])
    return _delete_sg(aws, group), delete_db(aws)


def sg_ecs_service(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    group = sg(aws, vpc_id)
    return _delete_sg(aws, group), ecs_service(aws, subnet(aws, vpc_id), [group])


def sg_vpc_endpoint(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    group = sg(aws, vpc_id)
    return _delete_sg(aws, group), delete_endpoint(aws, endpoint(aws, vpc_id, subnet(aws, vpc_id), [group]))


def eip_associated(aws: Aws) -> tuple[Attempt, Attempt]:
    net = subnet(aws, vpc(aws))
    connected(aws, net)
    allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
    association = aws("ec2").associate_address(AllocationId=allocation, InstanceId=instance(aws, net))["AssociationId"]
    return (lambda: aws("ec2").release_address(AllocationId=allocation),
            lambda: aws("ec2").disassociate_address(AssociationId=association))


def eni_attached(aws: Aws) -> tuple[Attempt, Attempt]:
    net = subnet(aws, vpc(aws))
    interface = eni(aws, net)
    attachment = aws("ec2").attach_network_interface(NetworkInterfaceId=interface, InstanceId=instance(aws, net),
                                                     DeviceIndex=1)["AttachmentId"]
    return (lambda: aws("ec2").delete_network_interface(NetworkInterfaceId=interface),
            lambda: aws("ec2").detach_network_interface(AttachmentId=attachment))


def nat_unknown(aws: Aws) -> tuple[Attempt, Attempt]:
    """Refused for an id that names nothing; the same call on a real NAT gateway is accepted."""
    gateway, _ = nat(aws, subnet(aws, vpc(aws)))
    target = {"id": "nat-0123456789abcdef0"}

    def name_the_real_one() -> None:
        target["id"] = gateway
    return lambda: aws("ec2").delete_nat_gateway(NatGatewayId=target["id"]), name_the_real_one


def rtb_main(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    main = aws("ec2").describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"][0]
    association = next(a["RouteTableAssociationId"] for a in main["Associations"] if a.get("Main"))
    other = aws("ec2").create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    return (lambda: aws("ec2").delete_route_table(RouteTableId=main["RouteTableId"]),
            lambda: aws("ec2").replace_route_table_association(AssociationId=association, RouteTableId=other))


def rtb_associated(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    table = aws("ec2").create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    association = aws("ec2").associate_route_table(RouteTableId=table, SubnetId=subnet(aws, vpc_id))["AssociationId"]
    return (lambda: aws("ec2").delete_route_table(RouteTableId=table),
            lambda: aws("ec2").disassociate_route_table(AssociationId=association))


def acl_default(aws: Aws) -> tuple[Attempt, Attempt]:
    """A default ACL is never deletable by itself: deleting its VPC takes it."""
    vpc_id = vpc(aws)
    acl = aws("ec2").describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"][0]["NetworkAclId"]

    def delete() -> Any:
        if any(a["NetworkAclId"] == acl for a in aws("ec2").describe_network_acls()["NetworkAcls"]):
            return aws("ec2").delete_network_acl(NetworkAclId=acl)
        return None  # gone with its VPC, as AWS does
    return delete, _delete_vpc(aws, vpc_id)


def acl_associated(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    net = subnet(aws, vpc_id)
    acls = aws("ec2").describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]
    default = acls[0]["NetworkAclId"]
    current = next(a["NetworkAclAssociationId"] for a in acls[0]["Associations"] if a["SubnetId"] == net)
    acl = aws("ec2").create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    moved = aws("ec2").replace_network_acl_association(AssociationId=current, NetworkAclId=acl)["NewAssociationId"]
    return (lambda: aws("ec2").delete_network_acl(NetworkAclId=acl),
            lambda: aws("ec2").replace_network_acl_association(AssociationId=moved, NetworkAclId=default))


def tg_in_use(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id, a, b = two_subnets(aws)
    elbv2 = aws("elbv2")
    group = elbv2.create_target_group(Name="web", Protocol="HTTP", Port=80, VpcId=vpc_id)["TargetGroups"][0]["TargetGroupArn"]
    listener = elbv2.create_listener(LoadBalancerArn=load_balancer(aws, [a, b]), Protocol="HTTP", Port=80,
                                     DefaultActions=[{"Type": "forward", "TargetGroupArn": group}])["Listeners"][0]["ListenerArn"]
    return lambda: elbv2.delete_target_group(TargetGroupArn=group), lambda: elbv2.delete_listener(ListenerArn=listener)


def lb_deletion_protection(aws: Aws) -> tuple[Attempt, Attempt]:
    _, a, b = two_subnets(aws)
    elbv2 = aws("elbv2")
    arn = load_balancer(aws, [a, b])

    def protection(on: bool) -> Any:
        return elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
            {"Key": "deletion_protection.enabled", "Value": str(on).lower()}])
    protection(True)
    return lambda: elbv2.delete_load_balancer(LoadBalancerArn=arn), lambda: protection(False)


def db_subnet_group_in_use(aws: Aws) -> tuple[Attempt, Attempt]:
    _, a, b = two_subnets(aws)
    db_instance(aws, [a, b])
    return lambda: aws("rds").delete_db_subnet_group(DBSubnetGroupName="data"), delete_db(aws)


def db_deletion_protection(aws: Aws) -> tuple[Attempt, Attempt]:
    _, a, b = two_subnets(aws)
    db_instance(aws, [a, b], DeletionProtection=True)
    return delete_db(aws), lambda: aws("rds").modify_db_instance(DBInstanceIdentifier="db", DeletionProtection=False,
                                                                 ApplyImmediately=True)


def _asg(aws: Aws) -> str:
    net = subnet(aws, vpc(aws))
    aws("ec2").create_launch_template(LaunchTemplateName="web", LaunchTemplateData={"ImageId": ami(aws), "InstanceType": "t3.micro"})
    aws("autoscaling").create_auto_scaling_group(AutoScalingGroupName="web", LaunchTemplate={"LaunchTemplateName": "web"},
                                                 MinSize=1, MaxSize=2, DesiredCapacity=1, VPCZoneIdentifier=net)
    return net


def asg_instances(aws: Aws) -> tuple[Attempt, Attempt]:
    _asg(aws)
    autoscaling = aws("autoscaling")
    return (lambda: autoscaling.delete_auto_scaling_group(AutoScalingGroupName="web"),
            lambda: autoscaling.update_auto_scaling_group(AutoScalingGroupName="web", MinSize=0, DesiredCapacity=0))


def ecs_cluster_services(aws: Aws) -> tuple[Attempt, Attempt]:
    ecs_service(aws, subnet(aws, vpc(aws)))
    ecs = aws("ecs")
    return lambda: ecs.delete_cluster(cluster="lab"), lambda: ecs.delete_service(cluster="lab", service="web", force=True)


def ecs_cluster_tasks(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    aws("ec2").modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})  # moto's awsvpc tasks need it
    net = subnet(aws, vpc_id)
    ecs = aws("ecs")
    ecs.create_cluster(clusterName="lab")
    ecs.register_task_definition(family="job", networkMode="awsvpc", requiresCompatibilities=["FARGATE"], cpu="256", memory="512",
                                 containerDefinitions=[{"name": "job", "image": "busybox", "essential": True, "memory": 512}])
    task = ecs.run_task(cluster="lab", taskDefinition="job", launchType="FARGATE", count=1, networkConfiguration={
        "awsvpcConfiguration": {"subnets": [net], "securityGroups": []}})["tasks"][0]["taskArn"]
    return lambda: ecs.delete_cluster(cluster="lab"), lambda: ecs.stop_task(cluster="lab", task=task)


def ecs_service_scaled(aws: Aws) -> tuple[Attempt, Attempt]:
    scale_to_zero = ecs_service(aws, subnet(aws, vpc(aws)))
    return lambda: aws("ecs").delete_service(cluster="lab", service="web"), scale_to_zero


def ecr_repository_images(aws: Aws) -> tuple[Attempt, Attempt]:
    ecr = aws("ecr")
    ecr.create_repository(repositoryName="web")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
                "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "a" * 64},
                "layers": []}
    ecr.put_image(repositoryName="web", imageManifest=json.dumps(manifest), imageTag="v1")
    return (lambda: ecr.delete_repository(repositoryName="web"),
            lambda: ecr.batch_delete_image(repositoryName="web", imageIds=[{"imageTag": "v1"}]))


def role_instance_profile(aws: Aws) -> tuple[Attempt, Attempt]:
    name = role(aws)
    aws("iam").create_instance_profile(InstanceProfileName="app")
    aws("iam").add_role_to_instance_profile(InstanceProfileName="app", RoleName=name)
    return (lambda: aws("iam").delete_role(RoleName=name),
            lambda: aws("iam").remove_role_from_instance_profile(InstanceProfileName="app", RoleName=name))


def role_managed_policy(aws: Aws) -> tuple[Attempt, Attempt]:
    name, arn = role(aws), policy(aws)
    aws("iam").attach_role_policy(RoleName=name, PolicyArn=arn)
    return lambda: aws("iam").delete_role(RoleName=name), lambda: aws("iam").detach_role_policy(RoleName=name, PolicyArn=arn)


def role_inline_policy(aws: Aws) -> tuple[Attempt, Attempt]:
    name = role(aws)
    aws("iam").put_role_policy(RoleName=name, PolicyName="inline", PolicyDocument=POLICY)
    return lambda: aws("iam").delete_role(RoleName=name), lambda: aws("iam").delete_role_policy(RoleName=name, PolicyName="inline")


def instance_profile_role(aws: Aws) -> tuple[Attempt, Attempt]:
    name = role(aws)
    aws("iam").create_instance_profile(InstanceProfileName="app")
    aws("iam").add_role_to_instance_profile(InstanceProfileName="app", RoleName=name)
    return (lambda: aws("iam").delete_instance_profile(InstanceProfileName="app"),
            lambda: aws("iam").remove_role_from_instance_profile(InstanceProfileName="app", RoleName=name))


def policy_attached(aws: Aws) -> tuple[Attempt, Attempt]:
    name, arn = role(aws), policy(aws)
    aws("iam").attach_role_policy(RoleName=name, PolicyArn=arn)
    return lambda: aws("iam").delete_policy(PolicyArn=arn), lambda: aws("iam").detach_role_policy(RoleName=name, PolicyArn=arn)


def policy_versions(aws: Aws) -> tuple[Attempt, Attempt]:
    arn = policy(aws)
    version = aws("iam").create_policy_version(PolicyArn=arn, PolicyDocument=POLICY, SetAsDefault=False)["PolicyVersion"]["VersionId"]
    return lambda: aws("iam").delete_policy(PolicyArn=arn), lambda: aws("iam").delete_policy_version(PolicyArn=arn, VersionId=version)


def policy_default_version(aws: Aws) -> tuple[Attempt, Attempt]:
    arn = policy(aws)
    return (lambda: aws("iam").delete_policy_version(PolicyArn=arn, VersionId="v1"),
            lambda: aws("iam").create_policy_version(PolicyArn=arn, PolicyDocument=POLICY, SetAsDefault=True))


# --- create time: refused until the internet gateway is attached (or a second AZ covered) -------------------


def eip_associate_no_internet_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    interface = eni(aws, subnet(aws, vpc_id))
    allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
    return (lambda: aws("ec2").associate_address(AllocationId=allocation, NetworkInterfaceId=interface, AllowReassociation=True),
            lambda: igw(aws, vpc_id))


def nat_no_internet_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    net = subnet(aws, vpc_id)
    allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
    return lambda: create_nat(aws, net, allocation), lambda: igw(aws, vpc_id)


def lb_no_internet_gateway(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id, a, b = two_subnets(aws)
    return lambda: create_load_balancer(aws, [a, b]), lambda: igw(aws, vpc_id)


def lb_two_azs(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    subnets = [subnet(aws, vpc_id, 1, "us-east-1a")]
    connected(aws, subnets[0])
    return lambda: create_load_balancer(aws, subnets), lambda: subnets.append(subnet(aws, vpc_id, 2, "us-east-1b"))


def lb_same_az(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    subnets = [subnet(aws, vpc_id, 1, "us-east-1a"), subnet(aws, vpc_id, 2, "us-east-1a"), subnet(aws, vpc_id, 3, "us-east-1b")]
    connected(aws, subnets[0])
    return lambda: create_load_balancer(aws, subnets), lambda: subnets.remove(subnets[1])


def route_gateway_other_network(aws: Aws) -> tuple[Attempt, Attempt]:
    """A gateway made but not yet attached (the attachment is what the route must wait for)."""
    vpc_id = vpc(aws)
    table = aws("ec2").create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    gateway = aws("ec2").create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    return (lambda: aws("ec2").create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway),
            lambda: aws("ec2").attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc_id))


def db_subnet_group_one_az(aws: Aws) -> tuple[Attempt, Attempt]:
    vpc_id = vpc(aws)
    subnets = [subnet(aws, vpc_id, 1, "us-east-1a"), subnet(aws, vpc_id, 2, "us-east-1a")]
    made: list[str] = []

    def create() -> Any:
        name = f"data-{len(made)}"
        aws("rds").create_db_subnet_group(DBSubnetGroupName=name, DBSubnetGroupDescription="data", SubnetIds=subnets)
        made.append(name)
    return create, lambda: subnets.append(subnet(aws, vpc_id, 3, "us-east-1b"))


def quota_vpcs(aws: Aws) -> tuple[Attempt, Attempt]:
    """The default VPC and four more fill the region's 5."""
    made = [vpc(aws) for _ in range(4)]
    return lambda: vpc(aws), lambda: aws("ec2").delete_vpc(VpcId=made.pop())


def quota_internet_gateways(aws: Aws) -> tuple[Attempt, Attempt]:
    """The default VPC's gateway (which moto leaves out) and four more fill the region's 5."""
    made = [aws("ec2").create_internet_gateway()["InternetGateway"]["InternetGatewayId"] for _ in range(4)]
    return (lambda: aws("ec2").create_internet_gateway(),
            lambda: aws("ec2").delete_internet_gateway(InternetGatewayId=made.pop()))


def quota_elastic_ips(aws: Aws) -> tuple[Attempt, Attempt]:
    made = [aws("ec2").allocate_address(Domain="vpc")["AllocationId"] for _ in range(5)]
    return lambda: aws("ec2").allocate_address(Domain="vpc"), lambda: aws("ec2").release_address(AllocationId=made.pop())


def quota_nat_gateways(aws: Aws) -> tuple[Attempt, Attempt]:
    """Five private NAT gateways (no Elastic IP to run out of) fill us-east-1a; a failed one would not count."""
    net = subnet(aws, vpc(aws))

    def create() -> str:
        return aws("ec2").create_nat_gateway(SubnetId=net, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    made = [create() for _ in range(5)]
    return create, lambda: aws("ec2").delete_nat_gateway(NatGatewayId=made.pop())


def bucket_not_empty(aws: Aws) -> tuple[Attempt, Attempt]:
    aws("s3").create_bucket(Bucket="lab-bucket")
    aws("s3").put_object(Bucket="lab-bucket", Key="index.html", Body=b"hi")
    return lambda: aws("s3").delete_bucket(Bucket="lab-bucket"), lambda: aws("s3").delete_object(Bucket="lab-bucket", Key="index.html")


SCENARIOS: dict[str, Scenario] = {name.replace("_", "-"): fn for name, fn in list(globals().items())
                                  if callable(fn) and name.replace("_", "-") in {r.id for r in RULES}}


def refused_then_accepted(aws: Aws, rule_id: str) -> ClientError:
    attempt, remove = SCENARIOS[rule_id](aws)
    with pytest.raises(ClientError) as refused:
        attempt()
    remove()
    attempt()
    return refused.value


# --- the tests ------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _rules_installed():
    install()  # the conftest does it for the session too; idempotent


def test_every_rule_has_a_scenario_and_every_enforced_rule_is_listed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert set(SCENARIOS) == set(ids)
    ours = {r.id for r in RULES if r.enforced_by == emulator_rules.CLOUDLABS}
    assert ours == emulator_rules.guarded_rules()
    assert all(r.url.startswith("https://docs.aws.amazon.com/") and r.condition and r.code for r in RULES)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_refuses_by_itself_and_all_rules_accept_once_the_dependency_is_gone(rule):
    """With every other rule of ours off (all of them, for a rule moto enforces), the rule alone
    refuses: no rule passes only because another refuses the same call. With all of them on, the
    call is still refused, and accepted once the dependency is removed: together they never refuse
    what AWS accepts."""
    with mock_aws():
        attempt, remove = SCENARIOS[rule.id](clients())
        with emulator_rules.only(rule.id), pytest.raises(ClientError) as alone:
            attempt()
        assert alone.value.response["Error"]["Code"] == rule.code, alone.value
        with pytest.raises(ClientError) as together:
            attempt()
        assert together.value.response["Error"]["Code"] == rule.code, together.value
        remove()
        attempt()


def test_install_is_idempotent_and_thread_safe():
    import threading
    threads = [threading.Thread(target=install) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    from moto.ec2.models.subnets import SubnetBackend
    assert getattr(SubnetBackend.delete_subnet, "__cloudlabs_rules__", False)
    assert not getattr(SubnetBackend.delete_subnet.__wrapped__, "__cloudlabs_rules__", False)


def test_aws_messages():
    with mock_aws():
        aws = clients()
        vpc_id = vpc(aws)
        net = subnet(aws, vpc_id)
        gateway = igw(aws, vpc_id)
        instance(aws, net, public=True)
        with pytest.raises(ClientError) as err:
            aws("ec2").delete_subnet(SubnetId=net)
        assert err.value.response["Error"]["Message"] == f"The subnet '{net}' has dependencies and cannot be deleted."
        with pytest.raises(ClientError) as err:
            _detach(aws, gateway, vpc_id)()
        assert err.value.response["Error"]["Message"] == (f"Network {vpc_id} has some mapped public address(es). Please unmap those "
                                                          "public address(es) before detaching the gateway.")
        with pytest.raises(ClientError) as err:
            aws("ec2").delete_internet_gateway(InternetGatewayId=gateway)
        assert err.value.response["Error"]["Message"] == f"The internetGateway '{gateway}' has dependencies and cannot be deleted."
        with pytest.raises(ClientError) as err:
            aws("ec2").delete_vpc(VpcId=vpc_id)
        assert err.value.response["Error"]["Message"] == f"The vpc '{vpc_id}' has dependencies and cannot be deleted."


def test_asg_force_delete_takes_its_instances():
    with mock_aws():
        aws = clients()
        net = _asg(aws)
        aws("autoscaling").delete_auto_scaling_group(AutoScalingGroupName="web", ForceDelete=True)
        aws("ec2").delete_subnet(SubnetId=net)  # its instances' interfaces went with them


def test_nat_gateway_deletion_frees_its_interface_and_address():
    with mock_aws():
        aws = clients()
        vpc_id = vpc(aws)
        net = subnet(aws, vpc_id)
        gateway, allocation = nat(aws, net)
        with pytest.raises(ClientError) as err:
            aws("ec2").release_address(AllocationId=allocation)
        assert err.value.response["Error"]["Code"] == "InvalidIPAddress.InUse"
        aws("ec2").delete_nat_gateway(NatGatewayId=gateway)
        assert not aws("ec2").describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net]}])["NetworkInterfaces"]
        aws("ec2").release_address(AllocationId=allocation)
        aws("ec2").delete_subnet(SubnetId=net)


def test_terminated_instance_keeps_an_interface_it_was_told_to_keep():
    with mock_aws():
        aws = clients()
        net = subnet(aws, vpc(aws))
        kept = aws("ec2").run_instances(ImageId=ami(aws), MinCount=1, MaxCount=1, NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": net, "DeleteOnTermination": False}])["Instances"][0]
        aws("ec2").terminate_instances(InstanceIds=[kept["InstanceId"]])
        interface = kept["NetworkInterfaces"][0]["NetworkInterfaceId"]
        with pytest.raises(ClientError):
            aws("ec2").delete_subnet(SubnetId=net)  # the kept, now detached interface still holds the subnet
        aws("ec2").delete_network_interface(NetworkInterfaceId=interface)  # detached: deletable
        aws("ec2").delete_subnet(SubnetId=net)


def test_terminated_instance_disassociates_its_elastic_ip():
    with mock_aws():
        aws = clients()
        net = subnet(aws, vpc(aws))
        connected(aws, net)
        server = instance(aws, net)
        allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
        aws("ec2").associate_address(AllocationId=allocation, InstanceId=server)
        aws("ec2").terminate_instances(InstanceIds=[server])
        aws("ec2").release_address(AllocationId=allocation)


def test_stopped_task_frees_its_subnet():
    with mock_aws():
        aws = clients()
        ecs_cluster_tasks(aws)[1]()
        net = aws("ec2").describe_subnets(Filters=[{"Name": "cidr-block", "Values": ["10.0.1.0/24"]}])["Subnets"][0]["SubnetId"]
        aws("ec2").delete_subnet(SubnetId=net)


def test_release_in_the_default_vpc_disassociates():
    with mock_aws():
        aws = clients()
        default = aws("ec2").describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
        allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
        aws("ec2").associate_address(AllocationId=allocation, InstanceId=instance(aws, default))
        aws("ec2").release_address(AllocationId=allocation)


def test_deleted_vpc_takes_its_default_acl():
    with mock_aws():
        aws = clients()
        vpc_id = vpc(aws)
        aws("ec2").delete_vpc(VpcId=vpc_id)
        assert not aws("ec2").describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["NetworkAcls"]


# --- through a served moto on 127.0.0.1 -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def served():
    from moto.server import ThreadedMotoServer
    install()
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


SERVED = ("subnet-instance", "igw-detach-public-ip", "sg-default", "sg-referenced", "eip-associated", "lb-deletion-protection",
          "db-subnet-group-in-use", "asg-instances", "ecs-cluster-services", "policy-attached", "nat-no-internet-gateway",
          "lb-no-internet-gateway")


@pytest.mark.parametrize("rule_id", SERVED)
def test_rule_served(served, rule_id):
    import requests
    requests.post(f"{served}/moto-api/reset")  # a fresh account for each rule (127.0.0.1 only)
    rule = next(r for r in RULES if r.id == rule_id)
    err = refused_then_accepted(clients(served), rule_id)
    assert err.response["Error"]["Code"] == rule.code, err


def test_emulated_destroy_fails_on_what_aws_refuses_and_finishes_once_it_is_gone(tmp_path):
    """A student's hand-made interface in a lab subnet: destroy deletes everything else, then fails on
    the subnet (and its VPC) as Pulumi would; once the interface is gone, destroy finishes."""
    from labctl.offline.render import ENVIRONMENTS, render_file
    from labctl.ops import emulate
    with mock_aws():
        aws = clients()
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        graph = render_file(ENVIRONMENTS / "Pulumi.demo-s01.yaml")
        state = emulate.up(graph, session, tmp_path)
        subnet_id = next(e["id"] for e in state.resources.values() if e["type"] == "aws:ec2/subnet:Subnet")
        interface = eni(aws, subnet_id)
        with pytest.raises(emulate.EmulationError, match=f"The subnet '{subnet_id}' has dependencies"):
            emulate.destroy(graph.stack, session, tmp_path)
        left = emulate.EmulatedStack.load(graph.stack, tmp_path).resources
        assert {e["type"] for e in left.values()} <= {"aws:ec2/subnet:Subnet", "aws:ec2/vpc:Vpc"}
        aws("ec2").delete_network_interface(NetworkInterfaceId=interface)
        assert emulate.destroy(graph.stack, session, tmp_path) == len(left)


def test_create_time_messages_are_aws():
    """AWS's messages, as its errors and the documented NAT gateway failure give them."""
    with mock_aws():
        aws = clients()
        vpc_id, a, b = two_subnets(aws)
        allocation = aws("ec2").allocate_address(Domain="vpc")["AllocationId"]
        expected = {
            lambda: aws("ec2").associate_address(AllocationId=allocation, NetworkInterfaceId=eni(aws, b)):
                f"Network {vpc_id} is not attached to any internet gateway",
            lambda: create_nat(aws, a, allocation): f"Network {vpc_id} has no Internet gateway attached",
            lambda: create_load_balancer(aws, [a, b]): f"VPC {vpc_id} has no internet gateway",
        }
        for attempt, message in expected.items():
            with pytest.raises(ClientError) as err:
                attempt()
            assert err.value.response["Error"]["Message"] == message
        (failed,) = aws("ec2").describe_nat_gateways()["NatGateways"]
        assert (failed["State"], failed["FailureCode"]) == ("failed", "Gateway.NotAttached")
        assert not aws("ec2").describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [a]}])["NetworkInterfaces"]
        assert "AssociationId" not in aws("ec2").describe_addresses(AllocationIds=[allocation])["Addresses"][0]
        private = aws("ec2").create_nat_gateway(SubnetId=b, ConnectivityType="private")["NatGateway"]
        assert private["State"] == "available"  # a private NAT gateway needs no internet gateway
        internal = aws("elbv2").create_load_balancer(Name="inside", Subnets=[a, b], Scheme="internal", Type="application")
        assert internal["LoadBalancers"][0]["Scheme"] == "internal"


# --- end to end: a lab graph whose load balancer or NAT gateway does not wait for the internet gateway ----------


def _misordered(lab: str, needs_gateway: str, force: bool):
    """``lab``'s solution graph with ``needs_gateway`` no longer waiting for the VPC's internet gateway (what the
    deploy rule CL-ORDER-IGW finds offline). ``force``: the gateway made to wait for it instead, so the emulator,
    which creates independent resources in URN order, creates it first whatever the names."""
    import copy

    from labctl.offline.graph import StackGraph

    from .conftest import lab_graph
    graph = StackGraph.from_json(copy.deepcopy(lab_graph(lab).to_json()))
    needing = next(r for r in graph.custom_resources if r.name == needs_gateway)
    gateway = next(r for r in graph.custom_resources if r.type == "aws:ec2/internetGateway:InternetGateway"
                   and r.urn in needing.dependencies)
    needing.dependencies = [u for u in needing.dependencies if u != gateway.urn]
    needing.property_dependencies = {k: [u for u in v if u != gateway.urn] for k, v in needing.property_dependencies.items()}
    if force:
        gateway.dependencies = [*gateway.dependencies, needing.urn]
    return graph, needing, gateway


MISORDERED = {
    # URN order alone puts the load balancer (cloudlabs:loadbalancing...) before the gateway (cloudlabs:network...)
    "load-balancer": ("load-balancer-lb-alb", False, "InvalidSubnet", "has no internet gateway"),
    # the NAT gateway sorts after its VPC's gateway: the graph is made to create it first
    "vpc-nat": ("vpc-nat-vpc-a-nat", True, "Gateway.NotAttached", "has no Internet gateway attached"),
}


@pytest.mark.parametrize("lab", MISORDERED)
def test_emulated_up_fails_when_the_gateway_comes_too_late(lab, tmp_path):
    """The offline check finds the missing wait; the emulator's up, creating in its deterministic order, fails on the
    resource with AWS's code and message in what the student sees (the fleet's cause line); destroy then removes
    what was made."""
    from labctl.analysis.deployrules import DEPLOY_RULES
    from labctl.ops import emulate
    from labctl.ops.fleet import first_line
    name, force, code, message = MISORDERED[lab]
    graph, needing, gateway = _misordered(lab, name, force)
    (order_rule,) = [r for r in DEPLOY_RULES if r.id == "CL-ORDER-IGW"]
    assert [f.resource for f in order_rule.check(graph)] == [name]
    order = [r.urn for r in emulate.topological(graph)]
    assert order.index(needing.urn) < order.index(gateway.urn)
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        with pytest.raises(emulate.EmulationError) as failed:
            emulate.up(graph, session, tmp_path)
        seen = first_line(failed.value)
        assert seen.startswith(f"{needing.type} {name}: cannot create in the emulator: {code}: ") and seen.endswith(message), seen
        assert failed.value.__cause__.response["Error"]["Code"] == code
        made = emulate.EmulatedStack.load(graph.stack, tmp_path).resources
        assert needing.urn not in made and gateway.urn not in made
        assert emulate.destroy(graph.stack, session, tmp_path) == len(made)
        assert not [v for v in session.client("ec2").describe_vpcs()["Vpcs"] if not v["IsDefault"]]
