"""AWS's delete-time and create-time refusals, taught to moto.

The sandbox (moto, in-process or served on 127.0.0.1) is only worth what it refuses: where moto
deletes or makes what AWS would refuse, a rehearsal passes that a real class fails. ``install()``
wraps moto's backend methods (so ``mock_aws`` and ``ThreadedMotoServer`` both refuse) with the checks
below; each refusal raises moto's own exception type with AWS's error code (and AWS's message where
AWS documents one). ``RULES`` is the one reference table of every refusal the sandbox makes, moto's
own included (``enforced_by``): on a delete, detach or release (``phase`` "delete": what still uses
the resource), and on a create or associate (``phase`` "create": what must exist first, mostly the
VPC's internet gateway, which a graph missing a ``depends_on`` may create too late: the deploy rule
CL-ORDER-IGW is the offline check). It lists exactly what is enforced, and the tests refuse and then
accept each one.

One create-time rule is not a refusal of the call, because AWS does not refuse it: a public NAT
gateway in a VPC without an internet gateway is created, in state ``failed`` with FailureCode
``Gateway.NotAttached`` (``nat-no-internet-gateway``; the failed gateway keeps no interface and no
address). The provider's wait for ``available`` then fails the create, and so does the emulator's
(``labctl.kinds.ec2``), with AWS's code and message.

Rules apply to the API call a client makes, never to moto's own calls inside it (deleting a VPC
deletes its main route table and default security group; terminating an instance deletes its
network interfaces): a thread-local depth counts nested backend calls.

Where moto's state after a delete would make a rule refuse falsely, the state is fixed as AWS
behaves (see ``_FIXES``): a deleted NAT gateway frees its network interface and Elastic IP, a
terminated instance loses the interfaces created with it and its Elastic IP associations, a
stopped awsvpc task's interface goes, and a deleted VPC takes its default network ACL along.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

EC2_ERRORS = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html"
_EC2_API = "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_{}.html"
_ELB_API = "https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_{}.html"
_RDS_API = "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_{}.html"
_ASG_API = "https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_{}.html"
_ECS_API = "https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_{}.html"
_ECR_API = "https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_{}.html"
_IAM_API = "https://docs.aws.amazon.com/IAM/latest/APIReference/API_{}.html"
_S3_API = "https://docs.aws.amazon.com/AmazonS3/latest/API/API_{}.html"
SG_DELETE_GUIDE = "https://docs.aws.amazon.com/vpc/latest/userguide/deleting-security-groups.html"

MOTO, CLOUDLABS = "moto", "cloudlabs"


@dataclass(frozen=True)
class Rule:
    """One refusal: ``operation`` of ``service`` answers ``code`` while ``condition`` holds.
    ``id`` names the rule's test; ``enforced_by`` says whether moto does it itself or this module."""

    id: str
    service: str
    operation: str
    code: str
    condition: str
    url: str
    enforced_by: str = CLOUDLABS

    @property
    def phase(self) -> str:
        """"delete" (a delete, detach or release refused while something uses it) or "create"."""
        return "delete" if self.operation.startswith(("Delete", "Detach", "Release")) else "create"


def _r(id: str, service: str, operation: str, code: str, condition: str, url: str = "", by: str = CLOUDLABS) -> Rule:
    apis = {"ec2": _EC2_API, "elbv2": _ELB_API, "rds": _RDS_API, "autoscaling": _ASG_API, "ecs": _ECS_API,
            "ecr": _ECR_API, "iam": _IAM_API, "s3": _S3_API}
    return Rule(id, service, operation, code, condition, url or apis[service].format(operation), by)


DV = "DependencyViolation"
RULES: tuple[Rule, ...] = (
    # --- subnets: anything with a network interface in the subnet
    _r("subnet-instance", "ec2", "DeleteSubnet", DV, "a pending, running, stopping or stopped instance in the subnet"),
    _r("subnet-nat-gateway", "ec2", "DeleteSubnet", DV, "a NAT gateway in the subnet that is not deleted"),
    _r("subnet-network-interface", "ec2", "DeleteSubnet", DV, "a network interface in the subnet (any owner: hand-made, an instance's, a "
       "NAT gateway's, an interface endpoint's)"),
    _r("subnet-vpc-endpoint", "ec2", "DeleteSubnet", DV, "an interface VPC endpoint in the subnet that is not deleted"),
    _r("subnet-load-balancer", "ec2", "DeleteSubnet", DV, "an ELBv2 load balancer using the subnet (its nodes' interfaces)"),
    _r("subnet-ecs-service", "ec2", "DeleteSubnet", DV, "an active ECS service (awsvpc) with desired count > 0 placing tasks in the subnet"),
    _r("subnet-rds-instance", "ec2", "DeleteSubnet", DV, "an RDS DB instance whose interface is in the subnet: the subnet of its DB "
       "subnet group in the instance's Availability Zone (the group's first if none is), every subnet of the group when Multi-AZ"),
    # --- VPCs: everything but the default security group, default network ACL and main route table
    _r("vpc-subnet", "ec2", "DeleteVpc", DV, "a subnet in the VPC", by=MOTO),
    _r("vpc-route-table", "ec2", "DeleteVpc", DV, "a route table in the VPC other than the main one", by=MOTO),
    _r("vpc-vpn-gateway", "ec2", "DeleteVpc", DV, "a virtual private gateway attached to the VPC", by=MOTO),
    _r("vpc-internet-gateway", "ec2", "DeleteVpc", DV, "an internet gateway attached to the VPC"),
    _r("vpc-egress-only-gateway", "ec2", "DeleteVpc", DV, "an egress-only internet gateway in the VPC"),
    _r("vpc-security-group", "ec2", "DeleteVpc", DV, "a security group in the VPC other than its default group"),
    _r("vpc-network-acl", "ec2", "DeleteVpc", DV, "a network ACL in the VPC other than its default ACL"),
    _r("vpc-endpoint", "ec2", "DeleteVpc", DV, "a VPC endpoint (gateway or interface) in the VPC that is not deleted"),
    # --- internet gateways
    _r("igw-detach-public-ip", "ec2", "DetachInternetGateway", DV, "a network interface in the VPC (an instance's, not terminated) with a "
       "public IPv4 address"),
    _r("igw-detach-elastic-ip", "ec2", "DetachInternetGateway", DV, "an Elastic IP address associated with an instance or network "
       "interface in the VPC"),
    _r("igw-detach-nat-gateway", "ec2", "DetachInternetGateway", DV, "a public NAT gateway in the VPC, not deleted, holding an Elastic IP"),
    _r("igw-detach-load-balancer", "ec2", "DetachInternetGateway", DV, "an internet-facing ELBv2 load balancer in the VPC (its nodes' "
       "public addresses)"),
    _r("igw-delete-attached", "ec2", "DeleteInternetGateway", DV, "the gateway is attached to a VPC (moto refuses too; this gives AWS's "
       "message)"),
    # --- security groups
    _r("sg-default", "ec2", "DeleteSecurityGroup", "CannotDelete", "the group is a VPC's default security group", SG_DELETE_GUIDE),
    _r("sg-referenced", "ec2", "DeleteSecurityGroup", DV, "a rule of another security group references the group"),
    _r("sg-network-interface", "ec2", "DeleteSecurityGroup", DV, "a network interface or a non-terminated instance uses the group"),
    _r("sg-load-balancer", "ec2", "DeleteSecurityGroup", DV, "an ELBv2 load balancer uses the group", SG_DELETE_GUIDE),
    _r("sg-rds-instance", "ec2", "DeleteSecurityGroup", DV, "an RDS DB instance uses the group", SG_DELETE_GUIDE),
    _r("sg-ecs-service", "ec2", "DeleteSecurityGroup", DV, "an active ECS service (awsvpc) with desired count > 0 uses the group",
       SG_DELETE_GUIDE),
    _r("sg-vpc-endpoint", "ec2", "DeleteSecurityGroup", DV, "an interface VPC endpoint, not deleted, uses the group", SG_DELETE_GUIDE),
    # --- addresses, interfaces, NAT gateways
    _r("eip-associated", "ec2", "ReleaseAddress", "InvalidIPAddress.InUse", "the address is associated (with an instance, a network "
       "interface or a NAT gateway) in a nondefault VPC"),
    _r("eni-attached", "ec2", "DeleteNetworkInterface", "InvalidNetworkInterface.InUse", "the interface is attached to an instance"),
    _r("nat-unknown", "ec2", "DeleteNatGateway", "NatGatewayNotFound", "no NAT gateway has that id (moto crashed with AttributeError)",
       EC2_ERRORS),
    # --- route tables and network ACLs
    _r("rtb-main", "ec2", "DeleteRouteTable", DV, "the route table is its VPC's main route table"),
    _r("rtb-associated", "ec2", "DeleteRouteTable", DV, "the route table is associated with a subnet", by=MOTO),
    _r("acl-default", "ec2", "DeleteNetworkAcl", "InvalidParameterValue", "the network ACL is its VPC's default ACL"),
    _r("acl-associated", "ec2", "DeleteNetworkAcl", DV, "the network ACL is associated with a subnet", by=MOTO),
    # --- load balancing
    _r("tg-in-use", "elbv2", "DeleteTargetGroup", "ResourceInUse", "a listener's default action or a rule forwards to the target group",
       by=MOTO),
    _r("lb-deletion-protection", "elbv2", "DeleteLoadBalancer", "OperationNotPermitted", "the load balancer's deletion_protection.enabled "
       "attribute is true"),
    # --- RDS
    _r("db-subnet-group-in-use", "rds", "DeleteDBSubnetGroup", "InvalidDBSubnetGroupStateFault", "a DB instance uses the DB subnet group"),
    _r("db-deletion-protection", "rds", "DeleteDBInstance", "InvalidParameterCombination", "the DB instance has DeletionProtection",
       "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_DeleteInstance.html", by=MOTO),
    # --- Auto Scaling
    _r("asg-instances", "autoscaling", "DeleteAutoScalingGroup", "ResourceInUse", "the group has instances and ForceDelete is not true"),
    # --- ECS and ECR
    _r("ecs-cluster-services", "ecs", "DeleteCluster", "ClusterContainsServicesException", "the cluster has an active service"),
    _r("ecs-cluster-tasks", "ecs", "DeleteCluster", "ClusterContainsTasksException", "the cluster has a task that is not stopped"),
    _r("ecs-service-scaled", "ecs", "DeleteService", "InvalidParameterException", "the service's desired count is above 0 and force is "
       "not true", by=MOTO),
    _r("ecr-repository-images", "ecr", "DeleteRepository", "RepositoryNotEmptyException", "the repository has images and force is not "
       "true", by=MOTO),
    # --- IAM
    _r("role-instance-profile", "iam", "DeleteRole", "DeleteConflict", "the role is in an instance profile", by=MOTO),
    _r("role-managed-policy", "iam", "DeleteRole", "DeleteConflict", "a managed policy is attached to the role", by=MOTO),
    _r("role-inline-policy", "iam", "DeleteRole", "DeleteConflict", "the role has an inline policy", by=MOTO),
    _r("instance-profile-role", "iam", "DeleteInstanceProfile", "DeleteConflict", "the instance profile has a role", by=MOTO),
    _r("policy-attached", "iam", "DeletePolicy", "DeleteConflict", "the managed policy is attached to a user, group or role"),
    _r("policy-versions", "iam", "DeletePolicy", "DeleteConflict", "the managed policy has a version besides its default version"),
    _r("policy-default-version", "iam", "DeletePolicyVersion", "DeleteConflict", "the version is the policy's default version", by=MOTO),
    # --- S3
    _r("bucket-not-empty", "s3", "DeleteBucket", "BucketNotEmpty", "the bucket has objects (or object versions)", by=MOTO),
    # === create time: what AWS refuses to make (or makes failed) until something else exists ===============
    _r("eip-associate-no-internet-gateway", "ec2", "AssociateAddress", "Gateway.NotAttached", "the instance's or network "
       "interface's VPC has no internet gateway attached (AWS: \"Network vpc-... is not attached to any internet gateway\"); a "
       "default VPC has its own", EC2_ERRORS),
    _r("nat-no-internet-gateway", "ec2", "CreateNatGateway", "Gateway.NotAttached", "a public NAT gateway (ConnectivityType public, "
       "the default) in a subnet whose VPC has no internet gateway attached: AWS creates it in state failed with this FailureCode "
       "and FailureMessage \"Network vpc-... has no Internet gateway attached\"; the provider's wait (and the emulator's) fails",
       "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_NatGateway.html"),
    _r("lb-no-internet-gateway", "elbv2", "CreateLoadBalancer", "InvalidSubnet", "an internet-facing load balancer (Scheme "
       "internet-facing, the default) in subnets of a VPC with no internet gateway attached (AWS: \"VPC vpc-... has no internet "
       "gateway\")", "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-dependson.html"),
    _r("lb-two-azs", "elbv2", "CreateLoadBalancer", "ValidationError", "an Application Load Balancer whose subnets cover fewer "
       "than two Availability Zones (AWS: \"At least two subnets in two different Availability Zones must be specified\")"),
    _r("lb-same-az", "elbv2", "CreateLoadBalancer", "InvalidConfigurationRequest", "two of the load balancer's subnets are in the "
       "same Availability Zone (AWS: \"A load balancer cannot be attached to multiple subnets in the same Availability Zone\")"),
    _r("route-gateway-other-network", "ec2", "CreateRoute", "InvalidParameterValue", "the route's GatewayId is an internet gateway "
       "not attached to the route table's VPC (AWS: \"route table rtb-... and network gateway igw-... belong to different "
       "networks\"; CloudFormation: a route to a gateway depends on its attachment)",
       "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ec2-route.html"),
    _r("db-subnet-group-one-az", "rds", "CreateDBSubnetGroup", "DBSubnetGroupDoesNotCoverEnoughAZs", "the group's subnets cover "
       "fewer than two Availability Zones (in a region with more than one)"),
    # === create time: AWS's default quotas (labctl.kinds.quotas), counted in the emulated account and region ====
    _r("quota-vpcs", "ec2", "CreateVpc", "VpcLimitExceeded", "the region already has its VPCs quota (L-F678F1CE, default 5; the "
       "default VPC counts)", EC2_ERRORS),
    _r("quota-internet-gateways", "ec2", "CreateInternetGateway", "InternetGatewayLimitExceeded", "the region already has its "
       "internet gateways quota (L-A4707A72, default 5; the default VPC's counts, which moto leaves out)", EC2_ERRORS),
    _r("quota-elastic-ips", "ec2", "AllocateAddress", "AddressLimitExceeded", "the region already has its Elastic IPs quota "
       "(L-0263D0A3, default 5)", EC2_ERRORS),
    _r("quota-nat-gateways", "ec2", "CreateNatGateway", "NatGatewayLimitExceeded", "the subnet's Availability Zone already has its "
       "NAT gateways quota (L-FE5A380F, default 5; failed and deleted gateways do not count)", EC2_ERRORS),
)

# moto refuses some deletes of types no lab makes (EBS volumes and snapshots in use, DHCP options sets
# in use, IAM users with policies); they are not in RULES, which covers the labs' and students' types.

# Considered and not enforced, because AWS does not refuse (or moto cannot tell), with the reason.
NOT_ENFORCED: tuple[tuple[str, str], ...] = (
    ("DeleteVpc with a VPC peering connection", "AWS deletes an active peering connection with the VPC "
     "(https://docs.aws.amazon.com/vpc/latest/peering/delete-vpc-peering-connection.html); only a cross-account "
     "pending-acceptance request blocks, and the sandbox is one account"),
    ("DeleteVpc with a target group", "a target group has no network interface in the VPC; AWS does not list it among a VPC's "
     "dependencies (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteVpc.html)"),
    ("DeleteLaunchTemplate used by an Auto Scaling group", "AWS deletes it; the group then fails to launch instances"),
    ("DeleteLaunchConfiguration in use", "no lab uses launch configurations"),
    ("Elastic Beanstalk DeleteApplication with running environments", "moto 5.2.5 has no TerminateEnvironment, so a refusal would "
     "leave no way out; the emulator deletes an application with TerminateEnvByForce, as the provider does"),
    ("DeleteVpc with a network interface", "every interface lives in a subnet, and DeleteSubnet already refuses while one is there "
     "(subnet-network-interface), so a VPC can never hold an interface without a subnet"),
    ("DeleteSubnet for every subnet of a DB subnet group", "AWS blocks only the subnet holding the DB's interface (rule "
     "subnet-rds-instance); blocking the group's other subnets would refuse what AWS accepts"),
)


# --- the machinery: wrap a backend method once, run its checks on the outermost call -------------------

Check = Callable[[Any, dict[str, Any]], None]
Fix = Callable[[Any, dict[str, Any], Any], None]

_state = threading.local()
_install_lock = threading.Lock()
_installed = False


def _depth() -> int:
    return getattr(_state, "depth", 0)


def _wrap(original: Callable, checks: list[tuple[str, Check]], fixes: list[Fix]) -> Callable:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.update(arguments.pop("kwargs", None) or {})
        if _depth() == 0:
            only = getattr(_state, "only", None)
            for rule_id, check in checks:
                if only is None or only == rule_id:
                    check(self, arguments)
        _state.depth = _depth() + 1
        try:
            result = original(self, *args, **kwargs)
            for fix in fixes:
                fix(self, arguments, result)
            return result
        finally:
            _state.depth -= 1

    method.__cloudlabs_rules__ = True  # type: ignore[attr-defined]
    return method


@contextlib.contextmanager
def only(rule_id: str) -> Iterator[None]:
    """In this thread, enforce only the rule ``rule_id`` of this module (none, for a rule moto enforces):
    the tests use it to show each rule refuses by itself."""
    _state.only = rule_id
    try:
        yield
    finally:
        _state.only = None


def _ruled(rule_id: str, outcome: Fix) -> Fix:
    """An outcome rule (a create AWS accepts and fails) as a fix that ``only`` can turn off like a check."""
    def fix(backend: Any, args: dict[str, Any], result: Any) -> None:
        only = getattr(_state, "only", None)
        if only is None or only == rule_id:
            outcome(backend, args, result)
    return fix


def _target(path: str) -> tuple[Any, str]:
    """``module:Class.method`` -> (the class, the method name)."""
    module, _, rest = path.partition(":")
    cls_name, _, name = rest.partition(".")
    return getattr(importlib.import_module(module), cls_name), name


def install() -> None:
    """Patch moto once (idempotent, thread-safe)."""
    global _installed
    with _install_lock:
        if _installed:
            return
        targets: dict[str, tuple[list[tuple[str, Check]], list[Fix]]] = {}
        for path, rule_id, check in _GUARDS:
            targets.setdefault(path, ([], []))[0].append((rule_id, check))
        for path, fix in _FIXES:
            targets.setdefault(path, ([], []))[1].append(fix)
        for path, rule_id, outcome in _OUTCOMES:
            targets.setdefault(path, ([], []))[1].append(_ruled(rule_id, outcome))
        for path, (checks, fixes) in targets.items():
            cls, name = _target(path)
            original = cls.__dict__[name]
            if not getattr(original, "__cloudlabs_rules__", False):
                setattr(cls, name, _wrap(original, checks, fixes))
        _install_responses()
        _installed = True


# --- lookups across moto's backends ---------------------------------------------------------------------


def _other(service: str, backend: Any) -> Any:
    """The same account's and region's backend of another service."""
    backends = getattr(importlib.import_module(f"moto.{service}.models"), f"{service}_backends")
    return backends[backend.account_id][backend.region_name]


def _live_instances(ec2: Any) -> Iterable[Any]:
    for reservation in list(ec2.reservations.values()):
        for instance in reservation.instances:
            if instance.state not in ("terminated", "shutting-down"):
                yield instance


def _instance_subnets(instance: Any) -> set[str]:
    return {nic.subnet.id for nic in instance.nics.values() if nic.subnet} | ({instance.subnet_id} if instance.subnet_id else set())


def _instance_groups(instance: Any) -> set[str]:
    groups = {g.id for g in instance.security_groups}
    for nic in instance.nics.values():
        groups |= {g.id for g in nic.group_set}
    return groups


def _live_nat_gateways(ec2: Any) -> Iterable[Any]:
    return (n for n in list(ec2.nat_gateways.values()) if n.state not in ("deleted", "deleting", "failed"))


def _live_endpoints(ec2: Any) -> Iterable[Any]:
    return (e for e in list(ec2.vpc_end_points.values()) if str(e.state).lower() != "deleted")


def _interface_endpoints(ec2: Any) -> Iterable[Any]:
    return (e for e in _live_endpoints(ec2) if str(e.vpc_endpoint_type or "").lower() == "interface")


def _load_balancers(backend: Any) -> list[Any]:
    return list(_other("elbv2", backend).load_balancers.values())


def _awsvpc(service: Any) -> dict[str, Any]:
    config = getattr(service, "network_configuration", None) or {}
    return config.get("awsvpcConfiguration") or {}


def _running_services(backend: Any) -> Iterable[Any]:
    return (s for s in list(_other("ecs", backend).services.values()) if s.status == "ACTIVE" and int(s.desired_count or 0) > 0)


def _db_instances(backend: Any) -> list[Any]:
    return list(_other("rds", backend).databases.values())


def _db_eni_subnets(db: Any) -> set[str]:
    """Where a DB instance's interface is: its subnet group's subnet in its AZ (all of them, Multi-AZ)."""
    group = getattr(db, "db_subnet_group", None)
    subnets = list(getattr(group, "_subnets", None) or [])
    if not subnets:
        return set()
    if getattr(db, "multi_az", False):
        return {s.id for s in subnets}
    in_az = [s for s in subnets if s.availability_zone == getattr(db, "availability_zone", None)]
    return {(in_az or subnets)[0].id}


# --- DeleteSubnet ---------------------------------------------------------------------------------------


def _subnet_rule(blocked: Callable[[Any, str], bool]) -> Check:
    def check(backend: Any, args: dict[str, Any]) -> None:
        subnet_id = args["subnet_id"]
        if blocked(backend, subnet_id):
            from moto.ec2.exceptions import DependencyViolationError
            raise DependencyViolationError(f"The subnet '{subnet_id}' has dependencies and cannot be deleted.")
    return check


def _subnet_has_instance(ec2: Any, subnet_id: str) -> bool:
    return any(subnet_id in _instance_subnets(i) for i in _live_instances(ec2))


def _subnet_has_nat(ec2: Any, subnet_id: str) -> bool:
    return any(n.subnet_id == subnet_id for n in _live_nat_gateways(ec2))


def _subnet_has_eni(ec2: Any, subnet_id: str) -> bool:
    return any(e.subnet is not None and e.subnet.id == subnet_id for e in list(ec2.enis.values()))


def _subnet_has_endpoint(ec2: Any, subnet_id: str) -> bool:
    return any(subnet_id in (e.subnet_ids or []) for e in _interface_endpoints(ec2))


def _subnet_has_lb(ec2: Any, subnet_id: str) -> bool:
    return any(any(s.id == subnet_id for s in lb.subnets) for lb in _load_balancers(ec2))


def _subnet_has_service(ec2: Any, subnet_id: str) -> bool:
    return any(subnet_id in (_awsvpc(s).get("subnets") or []) for s in _running_services(ec2))


def _subnet_has_db(ec2: Any, subnet_id: str) -> bool:
    return any(subnet_id in _db_eni_subnets(db) for db in _db_instances(ec2))


# --- DeleteVpc ------------------------------------------------------------------------------------------


def _vpc_rule(blocked: Callable[[Any, str], bool]) -> Check:
    def check(backend: Any, args: dict[str, Any]) -> None:
        vpc_id = args["vpc_id"]
        if vpc_id in backend.vpcs and blocked(backend, vpc_id):
            from moto.ec2.exceptions import DependencyViolationError
            raise DependencyViolationError(f"The vpc '{vpc_id}' has dependencies and cannot be deleted.")
    return check


def _vpc_has_igw(ec2: Any, vpc_id: str) -> bool:
    return any(g.vpc is not None and g.vpc.id == vpc_id for g in list(ec2.internet_gateways.values()))


def _vpc_has_eigw(ec2: Any, vpc_id: str) -> bool:
    return any(g.vpc_id == vpc_id for g in list(ec2.egress_only_internet_gateways.values()))


def _vpc_has_sg(ec2: Any, vpc_id: str) -> bool:
    return any(g.name != "default" for g in list(ec2.groups.get(vpc_id, {}).values()))


def _vpc_has_acl(ec2: Any, vpc_id: str) -> bool:
    return any(a.vpc_id == vpc_id and not a.default for a in list(ec2.network_acls.values()))


def _vpc_has_endpoint(ec2: Any, vpc_id: str) -> bool:
    return any(e.vpc_id == vpc_id for e in _live_endpoints(ec2))


# --- DetachInternetGateway / DeleteInternetGateway ---------------------------------------------------------


def _detach_rule(blocked: Callable[[Any, str], bool]) -> Check:
    def check(backend: Any, args: dict[str, Any]) -> None:
        vpc_id = args["vpc_id"]
        igw = backend.internet_gateways.get(args["internet_gateway_id"])
        if igw is None or igw.vpc is None or igw.vpc.id != vpc_id:
            return  # moto answers Gateway.NotAttached / InvalidInternetGatewayID.NotFound
        if blocked(backend, vpc_id):
            from moto.ec2.exceptions import DependencyViolationError
            raise DependencyViolationError(f"Network {vpc_id} has some mapped public address(es). "
                                           "Please unmap those public address(es) before detaching the gateway.")
    return check


def _eni_live(eni: Any) -> bool:
    return eni.instance is None or eni.instance.state not in ("terminated", "shutting-down")


def _vpc_has_public_ip(ec2: Any, vpc_id: str) -> bool:
    return any(e.subnet is not None and e.subnet.vpc_id == vpc_id and e.public_ip and _eni_live(e) for e in list(ec2.enis.values()))


def _eip_vpc(ec2: Any, eip: Any) -> str | None:
    if eip.eni is not None and eip.eni.subnet is not None:
        return eip.eni.subnet.vpc_id
    if eip.instance is not None:
        return eip.instance.vpc_id
    return None


def _vpc_has_eip(ec2: Any, vpc_id: str) -> bool:
    return any(_eip_vpc(ec2, eip) == vpc_id for eip in list(ec2.addresses))


def _vpc_has_public_nat(ec2: Any, vpc_id: str) -> bool:
    return any(n.vpc_id == vpc_id and n.connectivity_type != "private" and any(a.get("allocationId") for a in n.address_set)
               for n in _live_nat_gateways(ec2))


def _vpc_has_public_lb(ec2: Any, vpc_id: str) -> bool:
    return any(lb.vpc_id == vpc_id and lb.scheme == "internet-facing" for lb in _load_balancers(ec2))


def _igw_attached(backend: Any, args: dict[str, Any]) -> None:
    igw_id = args["internet_gateway_id"]
    igw = backend.internet_gateways.get(igw_id)
    if igw is not None and igw.vpc is not None:
        from moto.ec2.exceptions import DependencyViolationError
        raise DependencyViolationError(f"The internetGateway '{igw_id}' has dependencies and cannot be deleted.")


# --- DeleteSecurityGroup ----------------------------------------------------------------------------------


def _group_of(backend: Any, args: dict[str, Any]) -> Any:
    if args.get("group_id"):
        return backend.get_security_group_from_id(args["group_id"])
    if args.get("name"):
        return backend.get_security_group_by_name_or_id(args["name"])
    return None


def _sg_default(backend: Any, args: dict[str, Any]) -> None:
    group = _group_of(backend, args)
    if group is not None and group.name == "default":
        from moto.ec2.exceptions import EC2ClientError
        raise EC2ClientError("CannotDelete", f'the specified group: "{group.id}" name: "default" cannot be deleted by a user')


def _sg_rule(blocked: Callable[[Any, str], bool]) -> Check:
    def check(backend: Any, args: dict[str, Any]) -> None:
        group = _group_of(backend, args)
        if group is not None and blocked(backend, group.id):
            from moto.ec2.exceptions import DependencyViolationError
            raise DependencyViolationError(f"resource {group.id} has a dependent object")
    return check


def _sg_referenced(ec2: Any, group_id: str) -> bool:
    for groups in list(ec2.groups.values()):
        for other in list(groups.values()):
            if other.id == group_id:
                continue
            for rule in other.ingress_rules + other.egress_rules:
                if (rule.source_group or {}).get("GroupId") == group_id:
                    return True
    return False


def _sg_used_by_eni(ec2: Any, group_id: str) -> bool:
    enis = any(group_id in {g.id for g in e.group_set} for e in list(ec2.enis.values()) if _eni_live(e))
    return enis or any(group_id in _instance_groups(i) for i in _live_instances(ec2))


def _sg_used_by_lb(ec2: Any, group_id: str) -> bool:
    return any(group_id in (lb.security_groups or []) for lb in _load_balancers(ec2))


def _sg_used_by_db(ec2: Any, group_id: str) -> bool:
    return any(group_id in (db.vpc_security_group_ids or []) for db in _db_instances(ec2))


def _sg_used_by_service(ec2: Any, group_id: str) -> bool:
    return any(group_id in (_awsvpc(s).get("securityGroups") or []) for s in _running_services(ec2))


def _sg_used_by_endpoint(ec2: Any, group_id: str) -> bool:
    return any(group_id in (e.security_group_ids or []) for e in _interface_endpoints(ec2))


# --- addresses, interfaces, NAT gateways --------------------------------------------------------------------


def _eip_of(backend: Any, args: dict[str, Any]) -> Any:
    for eip in list(backend.addresses):
        if (args.get("allocation_id") and eip.allocation_id == args["allocation_id"]) or (
                args.get("address") and eip.public_ip == args["address"]):
            return eip
    return None


def _eip_associated(backend: Any, args: dict[str, Any]) -> None:
    eip = _eip_of(backend, args)
    if eip is None or (eip.eni is None and eip.instance is None):
        return
    vpc_id = _eip_vpc(backend, eip)
    vpc = backend.vpcs.get(vpc_id) if vpc_id else None
    if vpc is not None and getattr(vpc, "is_default", False):
        return  # [Default VPC] releasing disassociates
    from moto.ec2.exceptions import EC2ClientError
    raise EC2ClientError("InvalidIPAddress.InUse", f"Address {eip.public_ip} is in use.")


def _eni_attached(backend: Any, args: dict[str, Any]) -> None:
    eni = backend.enis.get(args["eni_id"])
    if eni is not None and eni.instance is not None and eni.attachment_id is not None:
        from moto.ec2.exceptions import EC2ClientError
        raise EC2ClientError("InvalidNetworkInterface.InUse", f"The network interface '{eni.id}' is currently in use.")


def _nat_unknown(backend: Any, args: dict[str, Any]) -> None:
    nat_id = args["nat_gateway_id"]
    if nat_id not in backend.nat_gateways:
        from moto.ec2.exceptions import EC2ClientError
        raise EC2ClientError("NatGatewayNotFound", f"NAT gateway {nat_id} was not found")


# --- route tables and network ACLs ---------------------------------------------------------------------------


def _rtb_main(backend: Any, args: dict[str, Any]) -> None:
    table = backend.route_tables.get(args["route_table_id"])
    if table is not None and table.main_association_id is not None:
        from moto.ec2.exceptions import DependencyViolationError
        raise DependencyViolationError(f"The routeTable '{table.id}' has dependencies and cannot be deleted.")


def _acl_default(backend: Any, args: dict[str, Any]) -> None:
    acl = backend.network_acls.get(args["network_acl_id"])
    if acl is not None and acl.default:
        from moto.ec2.exceptions import EC2ClientError
        raise EC2ClientError("InvalidParameterValue", f"cannot delete default network ACL {acl.id}")


# --- ELBv2, RDS, Auto Scaling, ECS, IAM -------------------------------------------------------------------------


def _lb_protected(backend: Any, args: dict[str, Any]) -> None:
    lb = backend.load_balancers.get(args["arn"])
    if lb is not None and str(lb.attrs.get("deletion_protection.enabled", "false")).lower() == "true":
        from moto.elbv2.exceptions import ELBClientError
        raise ELBClientError("OperationNotPermitted",
                             f"Load balancer '{lb.arn}' cannot be deleted because deletion protection is enabled")


def _db_subnet_group_in_use(backend: Any, args: dict[str, Any]) -> None:
    name = str(args["subnet_name"]).lower()
    users = sorted(db.db_instance_identifier for db in list(backend.databases.values())
                   if str(getattr(getattr(db, "db_subnet_group", None), "name", "") or "").lower() == name)
    if users:
        from moto.rds.exceptions import RDSClientError
        raise RDSClientError("InvalidDBSubnetGroupStateFault",
                             f"Cannot delete the subnet group '{name}' because at least one database instance: {users[0]} is still using it.")


def _asg_has_instances(backend: Any, args: dict[str, Any]) -> None:
    group = backend.autoscaling_groups.get(args["group_name"])
    if group is not None and group.instance_states and not getattr(_state, "force_delete", False):
        from moto.autoscaling.exceptions import AutoscalingClientError
        raise AutoscalingClientError("ResourceInUse", "You cannot delete an AutoScalingGroup while there are instances or pending Spot "
                                                      "instance request(s) still in the group.")


def _with_force_delete(original: Callable) -> Callable:
    """The response handler reads ForceDelete (moto's backend never sees it) for ``_asg_has_instances``."""
    @functools.wraps(original)
    def handler(self: Any) -> Any:
        _state.force_delete = str(self._get_param("ForceDelete", False)).lower() == "true"
        try:
            return original(self)
        finally:
            _state.force_delete = False
    handler.__cloudlabs_rules__ = True  # type: ignore[attr-defined]
    return handler


def _ecs_cluster(backend: Any, args: dict[str, Any]) -> Any:
    try:
        return backend._get_cluster(args["cluster_str"])
    except Exception:  # noqa: BLE001 - moto answers ClusterNotFoundException itself
        return None


def _cluster_has_services(backend: Any, args: dict[str, Any]) -> None:
    cluster = _ecs_cluster(backend, args)
    if cluster is not None and any(s.cluster_arn == cluster.arn and s.status == "ACTIVE" for s in list(backend.services.values())):
        from moto.ecs.exceptions import ECSException
        raise ECSException("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.")


def _cluster_has_tasks(backend: Any, args: dict[str, Any]) -> None:
    cluster = _ecs_cluster(backend, args)
    tasks = list((backend.tasks.get(cluster.name) or {}).values()) if cluster is not None else []
    if any(str(t.last_status).upper() != "STOPPED" and str(t.desired_status).upper() != "STOPPED" for t in tasks):
        from moto.ecs.exceptions import ECSException
        raise ECSException("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.")


def _iam_policy(backend: Any, args: dict[str, Any]) -> Any:
    return backend.managed_policies.get(args["policy_arn"])


def _policy_attached(backend: Any, args: dict[str, Any]) -> None:
    policy = _iam_policy(backend, args)
    if policy is not None and policy.attachment_count > 0:
        from moto.iam.exceptions import DeleteConflictException
        raise DeleteConflictException("Cannot delete a policy attached to entities.")


def _policy_versions(backend: Any, args: dict[str, Any]) -> None:
    policy = _iam_policy(backend, args)
    if policy is not None and len(policy.versions) > 1:
        from moto.iam.exceptions import DeleteConflictException
        raise DeleteConflictException("This policy has more than one version. Before you delete a policy, you must delete the policy's "
                                      "versions. The default version is deleted with the policy.")


# --- create time: what must exist first (the VPC's internet gateway, a second Availability Zone) ------------


def _vpc_has_internet(ec2: Any, vpc_id: str | None) -> bool:
    """An internet gateway is attached to the VPC (a default VPC always has one in AWS; moto's has none)."""
    vpc = ec2.vpcs.get(vpc_id) if vpc_id else None
    return vpc is None or getattr(vpc, "is_default", False) or _vpc_has_igw(ec2, vpc.id)


def _associate_needs_gateway(backend: Any, args: dict[str, Any]) -> None:
    eni, instance = args.get("eni"), args.get("instance")
    if eni is not None and eni.subnet is not None:
        vpc_id = eni.subnet.vpc_id
    elif instance is not None:
        vpc_id = instance.vpc_id
    else:
        return
    if not _vpc_has_internet(backend, vpc_id):
        from moto.ec2.exceptions import EC2ClientError
        raise EC2ClientError("Gateway.NotAttached", f"Network {vpc_id} is not attached to any internet gateway")


def _nat_fails_without_gateway(backend: Any, args: dict[str, Any], nat: Any) -> None:
    """AWS makes a public NAT gateway in a VPC without an internet gateway, failed: no interface, no address."""
    if str(nat.connectivity_type or "public") == "private" or _vpc_has_internet(backend, nat.vpc_id):
        return
    nat.state = "failed"
    nat.failure_code = "Gateway.NotAttached"
    nat.failure_message = f"Network {nat.vpc_id} has no Internet gateway attached"
    _nat_frees_its_address(backend, args, nat)
    nat.address_set = [{k: v for k, v in a.items() if k == "allocationId"} for a in nat.address_set]


def _lb_subnets(backend: Any, args: dict[str, Any]) -> list[Any]:
    ids = list(args.get("subnet_ids") or []) + [m.get("SubnetId") for m in args.get("subnet_mappings") or []]
    return [s for s in (_subnet(backend.ec2_backend, i) for i in ids) if s is not None]


def _lb_two_azs(backend: Any, args: dict[str, Any]) -> None:
    subnets = _lb_subnets(backend, args)
    if str(args.get("loadbalancer_type") or "application") == "application" and subnets and \
            len({s.availability_zone for s in subnets}) < 2:
        from moto.elbv2.exceptions import ELBClientError
        raise ELBClientError("ValidationError", "At least two subnets in two different Availability Zones must be specified")


def _lb_same_az(backend: Any, args: dict[str, Any]) -> None:
    zones = [s.availability_zone for s in _lb_subnets(backend, args)]
    if len(zones) != len(set(zones)):
        from moto.elbv2.exceptions import ELBClientError
        raise ELBClientError("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same "
                                                            "Availability Zone")


def _lb_needs_gateway(backend: Any, args: dict[str, Any]) -> None:
    if str(args.get("scheme") or "internet-facing") != "internet-facing" or str(args.get("loadbalancer_type") or "") == "gateway":
        return
    ec2 = backend.ec2_backend
    for subnet in _lb_subnets(backend, args):
        if not _vpc_has_internet(ec2, subnet.vpc_id):
            from moto.elbv2.exceptions import ELBClientError
            raise ELBClientError("InvalidSubnet", f"VPC {subnet.vpc_id} has no internet gateway")


def _subnet(ec2: Any, subnet_id: str | None) -> Any:
    try:
        return ec2.get_subnet(subnet_id) if subnet_id else None
    except Exception:  # noqa: BLE001 - moto answers InvalidSubnetID.NotFound itself
        return None


def _route_gateway_in_network(backend: Any, args: dict[str, Any]) -> None:
    gateway_id, table = args.get("gateway_id"), backend.route_tables.get(args.get("route_table_id"))
    igw = backend.internet_gateways.get(gateway_id) if gateway_id else None
    if igw is None or table is None:
        return  # not an internet gateway (moto answers an unknown id itself)
    if igw.vpc is None or igw.vpc.id != table.vpc_id:
        from moto.ec2.exceptions import EC2ClientError
        raise EC2ClientError("InvalidParameterValue", f"route table {table.id} and network gateway {igw.id} belong to different networks")


def _db_subnet_group_azs(backend: Any, args: dict[str, Any]) -> None:
    subnets = [s for s in args.get("subnets") or [] if s is not None]
    zones = sorted({s.availability_zone for s in subnets})
    if not subnets or len(zones) >= 2:
        return
    region_zones = _other("ec2", backend).describe_availability_zones()
    if len(region_zones) > 1:
        from moto.rds.exceptions import RDSClientError
        raise RDSClientError("DBSubnetGroupDoesNotCoverEnoughAZs",
                             "The DB subnet group doesn't meet Availability Zone (AZ) coverage requirement. Current AZ coverage: "
                             f"{', '.join(zones)}. Add subnets to cover at least 2 AZs.")


# --- create time: AWS's default quotas, per emulated account and region ----------------------------------------

_raised: dict[tuple[str, str], float] = {}  # (account id, quota key) -> a raised limit, as an increase AWS granted


def raise_quota(account_id: str, quota: str, value: float) -> None:
    """Grant the emulated account ``account_id`` ("*": every emulated account) a raised ``quota`` (a key of
    labctl.kinds.quotas.QUOTAS), as a request-service-quota-increase would; the rule then holds that value, and
    so does up --emulate's quota check (``emulated_limit``)."""
    from labctl.kinds.quotas import QUOTAS
    _raised[(account_id, QUOTAS[quota].key)] = value


def emulated_limit(account_id: str, quota: str) -> float:
    from labctl.kinds.quotas import QUOTAS
    return _raised.get((account_id, quota), _raised.get(("*", quota), QUOTAS[quota].default))


def _limit(backend: Any, quota: str) -> float:
    return emulated_limit(backend.account_id, quota)


def _quota_error(code: str, message: str) -> Exception:
    from moto.ec2.exceptions import EC2ClientError
    return EC2ClientError(code, message)


def _tag_value(tags: Any, key: str) -> str:
    """A tag's value from what moto keeps or is given: a {key: value} mapping, or a list of Key/Value
    (or key/value) pairs."""
    if isinstance(tags, dict):
        return str(tags.get(key, ""))
    for tag in tags or []:
        if isinstance(tag, dict) and (tag.get("Key") or tag.get("key")) == key:
            return str(tag.get("Value") if "Value" in tag else tag.get("value", ""))
    return ""


def _scope_of(backend: Any, resource_id: str) -> str:
    """The account a resource stands in (cloudlabs.tags.ACCOUNT_TAG; "" for the emulated account itself)."""
    from cloudlabs.tags import ACCOUNT_TAG
    return str(backend.tags.get(resource_id, {}).get(ACCOUNT_TAG, ""))


def _in_scope(backend: Any, ids: Any, args: dict[str, Any]) -> list[str]:
    """The ids that count against the same account as the resource being created: an emulated rehearsal
    puts stacks of several accounts (per-student, self-service) in one, tagged with the one each stands in."""
    from cloudlabs.tags import ACCOUNT_TAG
    scope = _tag_value(args.get("tags"), ACCOUNT_TAG)
    return [i for i in ids if _scope_of(backend, i) == scope]


def _vpc_quota(backend: Any, args: dict[str, Any]) -> None:
    mine = _in_scope(backend, [v.id for v in backend.vpcs.values() if not getattr(v, "is_default", False)], args)
    default_vpc = any(getattr(v, "is_default", False) for v in backend.vpcs.values())  # every account has its own
    if len(mine) + default_vpc >= _limit(backend, "vpcs"):
        raise _quota_error("VpcLimitExceeded", "The maximum number of VPCs has been reached.")


def _igw_quota(backend: Any, args: dict[str, Any]) -> None:
    default_vpc_gateway = any(getattr(v, "is_default", False) for v in backend.vpcs.values())  # moto leaves it out
    default_ids = {i.id for i in backend.internet_gateways.values()
                   if i.vpc is not None and getattr(backend.vpcs.get(i.vpc.id), "is_default", False)}
    mine = _in_scope(backend, [i for i in backend.internet_gateways if i not in default_ids], args)
    if len(mine) + default_vpc_gateway >= _limit(backend, "internet-gateways"):
        raise _quota_error("InternetGatewayLimitExceeded", "The maximum number of internet gateways has been reached.")


def _eip_quota(backend: Any, args: dict[str, Any]) -> None:
    mine = _in_scope(backend, [a.allocation_id for a in backend.addresses], args)
    if len(mine) >= _limit(backend, "elastic-ips"):
        raise _quota_error("AddressLimitExceeded", "The maximum number of addresses has been reached.")


def _nat_quota(backend: Any, args: dict[str, Any]) -> None:
    subnet = _subnet(backend, args.get("subnet_id"))
    if subnet is None:
        return
    zone = subnet.availability_zone
    in_zone = [n.id for n in backend.nat_gateways.values() if n.state not in ("deleted", "failed")
               and (s := _subnet(backend, n.subnet_id)) is not None and s.availability_zone == zone]
    if len(_in_scope(backend, in_zone, args)) >= _limit(backend, "nat-gateways"):
        raise _quota_error("NatGatewayLimitExceeded", f"The maximum number of NAT gateways has been reached in {zone}.")


# --- the guard table: (moto method, rule id, check) ---------------------------------------------------------

_SUBNET = "moto.ec2.models.subnets:SubnetBackend.delete_subnet"
_VPC = "moto.ec2.models.vpcs:VPCBackend.delete_vpc"
_DETACH = "moto.ec2.models.internet_gateways:InternetGatewayBackend.detach_internet_gateway"
_SG = "moto.ec2.models.security_groups:SecurityGroupBackend.delete_security_group"

_GUARDS: tuple[tuple[str, str, Check], ...] = (
    (_SUBNET, "subnet-instance", _subnet_rule(_subnet_has_instance)),
    (_SUBNET, "subnet-nat-gateway", _subnet_rule(_subnet_has_nat)),
    (_SUBNET, "subnet-network-interface", _subnet_rule(_subnet_has_eni)),
    (_SUBNET, "subnet-vpc-endpoint", _subnet_rule(_subnet_has_endpoint)),
    (_SUBNET, "subnet-load-balancer", _subnet_rule(_subnet_has_lb)),
    (_SUBNET, "subnet-ecs-service", _subnet_rule(_subnet_has_service)),
    (_SUBNET, "subnet-rds-instance", _subnet_rule(_subnet_has_db)),
    (_VPC, "vpc-internet-gateway", _vpc_rule(_vpc_has_igw)),
    (_VPC, "vpc-egress-only-gateway", _vpc_rule(_vpc_has_eigw)),
    (_VPC, "vpc-security-group", _vpc_rule(_vpc_has_sg)),
    (_VPC, "vpc-network-acl", _vpc_rule(_vpc_has_acl)),
    (_VPC, "vpc-endpoint", _vpc_rule(_vpc_has_endpoint)),
    (_DETACH, "igw-detach-public-ip", _detach_rule(_vpc_has_public_ip)),
    (_DETACH, "igw-detach-elastic-ip", _detach_rule(_vpc_has_eip)),
    (_DETACH, "igw-detach-nat-gateway", _detach_rule(_vpc_has_public_nat)),
    (_DETACH, "igw-detach-load-balancer", _detach_rule(_vpc_has_public_lb)),
    ("moto.ec2.models.internet_gateways:InternetGatewayBackend.delete_internet_gateway", "igw-delete-attached", _igw_attached),
    (_SG, "sg-default", _sg_default),
    (_SG, "sg-referenced", _sg_rule(_sg_referenced)),
    (_SG, "sg-network-interface", _sg_rule(_sg_used_by_eni)),
    (_SG, "sg-load-balancer", _sg_rule(_sg_used_by_lb)),
    (_SG, "sg-rds-instance", _sg_rule(_sg_used_by_db)),
    (_SG, "sg-ecs-service", _sg_rule(_sg_used_by_service)),
    (_SG, "sg-vpc-endpoint", _sg_rule(_sg_used_by_endpoint)),
    ("moto.ec2.models.elastic_ip_addresses:ElasticAddressBackend.release_address", "eip-associated", _eip_associated),
    ("moto.ec2.models.elastic_network_interfaces:NetworkInterfaceBackend.delete_network_interface", "eni-attached", _eni_attached),
    ("moto.ec2.models.nat_gateways:NatGatewayBackend.delete_nat_gateway", "nat-unknown", _nat_unknown),
    ("moto.ec2.models.route_tables:RouteBackend.delete_route_table", "rtb-main", _rtb_main),
    ("moto.ec2.models.network_acls:NetworkAclBackend.delete_network_acl", "acl-default", _acl_default),
    ("moto.elbv2.models:ELBv2Backend.delete_load_balancer", "lb-deletion-protection", _lb_protected),
    ("moto.rds.models:RDSBackend.delete_subnet_group", "db-subnet-group-in-use", _db_subnet_group_in_use),
    ("moto.autoscaling.models:AutoScalingBackend.delete_auto_scaling_group", "asg-instances", _asg_has_instances),
    ("moto.ecs.models:EC2ContainerServiceBackend.delete_cluster", "ecs-cluster-services", _cluster_has_services),
    ("moto.ecs.models:EC2ContainerServiceBackend.delete_cluster", "ecs-cluster-tasks", _cluster_has_tasks),
    ("moto.iam.models:IAMBackend.delete_policy", "policy-attached", _policy_attached),
    ("moto.iam.models:IAMBackend.delete_policy", "policy-versions", _policy_versions),
    ("moto.ec2.models.elastic_ip_addresses:ElasticAddressBackend.associate_address", "eip-associate-no-internet-gateway",
     _associate_needs_gateway),
    ("moto.elbv2.models:ELBv2Backend.create_load_balancer", "lb-two-azs", _lb_two_azs),
    ("moto.elbv2.models:ELBv2Backend.create_load_balancer", "lb-same-az", _lb_same_az),
    ("moto.elbv2.models:ELBv2Backend.create_load_balancer", "lb-no-internet-gateway", _lb_needs_gateway),
    ("moto.ec2.models.route_tables:RouteBackend.create_route", "route-gateway-other-network", _route_gateway_in_network),
    ("moto.rds.models:RDSBackend.create_subnet_group", "db-subnet-group-one-az", _db_subnet_group_azs),
    ("moto.ec2.models.vpcs:VPCBackend.create_vpc", "quota-vpcs", _vpc_quota),
    ("moto.ec2.models.internet_gateways:InternetGatewayBackend.create_internet_gateway", "quota-internet-gateways", _igw_quota),
    ("moto.ec2.models.elastic_ip_addresses:ElasticAddressBackend.allocate_address", "quota-elastic-ips", _eip_quota),
    ("moto.ec2.models.nat_gateways:NatGatewayBackend.create_nat_gateway", "quota-nat-gateways", _nat_quota),
)

# Create-time rules where AWS accepts the call and the resource ends failed: (moto method, rule id, outcome).
_OUTCOMES: tuple[tuple[str, str, Fix], ...] = (
    ("moto.ec2.models.nat_gateways:NatGatewayBackend.create_nat_gateway", "nat-no-internet-gateway", _nat_fails_without_gateway),
)


# --- state fixes: moto's state after a call, made what AWS's is ------------------------------------------------


def _nat_frees_its_address(backend: Any, args: dict[str, Any], nat: Any) -> None:
    """AWS deletes a NAT gateway's network interface and disassociates its Elastic IP."""
    eni = getattr(nat, "_eni", None)
    if eni is None:
        return
    for eip in list(backend.addresses):
        if eip.eni is eni:
            backend.disassociate_address(address=eip.public_ip)
    if eni.id in backend.enis:
        eni.delete()


def _launch_interfaces_go_with_instance(backend: Any, args: dict[str, Any], reservation: Any) -> None:
    """An interface created at launch is deleted on termination unless the request said DeleteOnTermination=false
    (moto keeps every interface it created, which would hold the subnet and security groups for ever)."""
    specs = {int(s.get("DeviceIndex", 0)): s for s in args.get("nics") or [] if isinstance(s, dict)}
    for instance in reservation.instances:
        for index, nic in instance.nics.items():
            spec = specs.get(int(index), {})
            if spec.get("NetworkInterfaceId") or str(spec.get("DeleteOnTermination", "")).lower() == "false":
                continue
            nic.delete_on_termination = True


def _terminated_instances_let_go(backend: Any, args: dict[str, Any], result: Any) -> None:
    """AWS disassociates a terminated instance's Elastic IPs and detaches the interfaces it keeps."""
    for instance, _previous in result:
        nics = list(instance.nics.values())
        for eip in list(backend.addresses):
            if eip.instance is instance or (eip.eni is not None and eip.eni in nics):
                backend.disassociate_address(address=eip.public_ip)
        for nic in nics:
            if nic.id in backend.enis and nic.instance is instance:
                nic.instance, nic.attachment_id, nic.attach_time, nic.status = None, None, None, "available"


def _vpc_takes_default_acl(backend: Any, args: dict[str, Any], vpc: Any) -> None:
    """AWS deletes a VPC's default network ACL with it (moto left it behind)."""
    for acl_id in [a.id for a in list(backend.network_acls.values()) if a.vpc_id == args["vpc_id"]]:
        backend.network_acls.pop(acl_id, None)


def _stopped_task_frees_its_interface(backend: Any, args: dict[str, Any], task: Any) -> None:
    """AWS deletes an awsvpc task's network interface when the task stops (moto kept it, holding the subnet)."""
    ec2 = _other("ec2", backend)
    for attachment in getattr(task, "attachments", None) or []:
        for detail in attachment.get("details", []):
            if detail.get("name") == "networkInterfaceId" and detail.get("value") in ec2.enis:
                ec2.enis[detail["value"]].delete()


_FIXES: tuple[tuple[str, Fix], ...] = (
    ("moto.ec2.models.nat_gateways:NatGatewayBackend.delete_nat_gateway", _nat_frees_its_address),
    ("moto.ec2.models.instances:InstanceBackend.run_instances", _launch_interfaces_go_with_instance),
    ("moto.ec2.models.instances:InstanceBackend.terminate_instances", _terminated_instances_let_go),
    (_VPC, _vpc_takes_default_acl),
    ("moto.ecs.models:EC2ContainerServiceBackend.stop_task", _stopped_task_frees_its_interface),
)

_RESPONSES: tuple[tuple[str, Callable[[Callable], Callable]], ...] = (
    ("moto.autoscaling.responses:AutoScalingResponse.delete_auto_scaling_group", _with_force_delete),
)


def _install_responses() -> None:
    for path, wrapper in _RESPONSES:
        cls, name = _target(path)
        original = cls.__dict__[name]
        if not getattr(original, "__cloudlabs_rules__", False):
            setattr(cls, name, wrapper(original))


def guarded_rules() -> set[str]:
    """The ids of the rules this module enforces (the tests check RULES against them)."""
    return {rule_id for _path, rule_id, _check in _GUARDS} | {rule_id for _path, rule_id, _outcome in _OUTCOMES}
