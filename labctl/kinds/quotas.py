"""AWS's default quotas a class meets, and what one resource of a kind takes of them.

``QUOTAS``: AWS's *default* value of each quota (Service Quotas' "AWS default quota value"), its quota
and service code (the ones ``aws service-quotas get-service-quota`` and
``request-service-quota-increase`` take), its scope and where AWS states it. The VPC quotas' codes and
values are moto's copy of AWS's own list (``moto/servicequotas/resources/default_quotas/vpc.py``,
``ListAWSDefaultServiceQuotas --service-code vpc``); the others are from each service's "endpoints
and quotas" page of the AWS General Reference (the ``url``). An account's applied value may differ
(raised on request, or lower on a new account: see ``ondemand-vcpus``); ``labctl.analysis.quotas``
reads it through Service Quotas when credentials are present.

A kind's record names its ``quota`` function: (resource, graph) -> the ``Use`` s one resource takes.
Scopes: ``region`` and ``account`` quotas add up over every stack in the account; ``zone`` quotas add
up per Availability Zone; ``vpc`` and ``group`` quotas hold per VPC or per security group (their need
is the largest one's, never a sum over stacks).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any, Callable

from labctl.kinds import capacity
from labctl.kinds.capacity import Resource, StackGraph

_GR = "https://docs.aws.amazon.com/general/latest/gr/{}.html"
MOTO_VPC = "moto's copy of AWS's default VPC quotas (ListAWSDefaultServiceQuotas vpc)"


@dataclass(frozen=True)
class Quota:
    key: str  # how the project names it (a Use's quota)
    code: str  # Service Quotas' quota code; "" where the quota is not in Service Quotas
    service: str  # Service Quotas' service code
    name: str  # AWS's name of the quota
    default: float  # AWS's default value
    scope: str  # "region", "zone" (per Availability Zone), "account", "vpc" (per VPC), "group" (per security group)
    url: str  # where AWS states it
    source: str = ""  # where the code and value were checked, beside the url
    note: str = ""

    def request(self, desired: float, region: str) -> str:
        """The command that asks AWS for more (or where to ask, for a quota Service Quotas does not hold)."""
        if not self.code:
            return f"not in Service Quotas: {self.note or 'ask AWS Support'}"
        where = "" if self.scope == "account" and self.service == "s3" else f" --region {region}"
        return (f"aws service-quotas request-service-quota-increase --service-code {self.service} "
                f"--quota-code {self.code} --desired-value {desired:g}{where}")


def _q(key: str, code: str, service: str, name: str, default: float, scope: str, page: str, source: str = "",
       note: str = "") -> Quota:
    return Quota(key, code, service, name, default, scope, _GR.format(page), source or f"AWS General Reference, {page}", note)


_QUOTAS = (
    _q("vpcs", "L-F678F1CE", "vpc", "VPCs per Region", 5, "region", "vpc-service", MOTO_VPC,
       "the default VPC counts too (AWS makes one in every region of an account)"),
    _q("internet-gateways", "L-A4707A72", "vpc", "Internet gateways per Region", 5, "region", "vpc-service", MOTO_VPC,
       "the default VPC's counts too"),
    _q("egress-only-gateways", "L-45FE3B85", "vpc", "Egress-only internet gateways per Region", 5, "region", "vpc-service",
       MOTO_VPC),
    _q("nat-gateways", "L-FE5A380F", "vpc", "NAT gateways per Availability Zone", 5, "zone", "vpc-service", MOTO_VPC,
       "failed and deleted gateways do not count"),
    _q("elastic-ips", "L-0263D0A3", "ec2", "EC2-VPC Elastic IPs", 5, "region", "ec2-service"),
    _q("peerings-per-vpc", "L-7E9ECCDB", "vpc", "Active VPC peering connections per VPC", 50, "vpc", "vpc-service", MOTO_VPC),
    _q("peering-requests", "L-DC9F7029", "vpc", "Outstanding VPC peering connection requests", 25, "region", "vpc-service",
       MOTO_VPC, "a same-account request the lab accepts at once (autoAccept, or its accepter) is outstanding only until "
                 "then; counted as the region's requests, the worst case of a whole class requesting at once"),
    _q("security-groups", "L-E79EC296", "vpc", "VPC security groups per Region", 2500, "region", "vpc-service", MOTO_VPC,
       "each VPC's default group counts too"),
    _q("rules-per-group", "L-0EA8095F", "vpc", "Inbound or outbound rules per security group", 60, "group", "vpc-service",
       MOTO_VPC, "inbound and outbound separately, per address family"),
    _q("albs", "L-53DA6B97", "elasticloadbalancing", "Application Load Balancers per Region", 50, "region", "elb"),
    _q("target-groups", "L-B22855CB", "elasticloadbalancing", "Target Groups per Region", 3000, "region", "elb"),
    _q("db-instances", "L-7B6409FD", "rds", "DB instances", 40, "region", "rds-service"),
    _q("db-storage", "L-7ADDB58A", "rds", "Total storage for all DB instances", 100000, "region", "rds-service",
       note="GiB, at each database's largest (storage autoscaling's maximum)"),
    _q("ondemand-vcpus", "L-1216C47A", "ec2", "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", 5, "region",
       "ec2-service", note="vCPUs; Service Quotas' default is 5, and AWS documents that a new account may start below its "
                           "quotas, which grow with use (https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html); "
                           "the live check reads the applied value"),
    _q("fargate-vcpus", "L-3032A538", "fargate", "Fargate On-Demand vCPU resource count", 6, "region", "ecs-service"),
    _q("beanstalk-environments", "", "elasticbeanstalk", "Elastic Beanstalk environments", 200, "region", "elasticbeanstalk",
       note="Elastic Beanstalk states it in DescribeAccountAttributes (ResourceQuotas.EnvironmentQuota), not in Service "
            "Quotas; ask AWS Support for more"),
    _q("buckets", "L-DC2B2D3D", "s3", "General purpose buckets", 10000, "account", "s3",
       note="per account, over every region (the default was 100 before November 2024)"),
    _q("key-pairs", "", "ec2", "Key pairs per Region", 5000, "region", "ec2-service",
       "the CreateKeyPair API reference (\"up to 5,000 key pairs per Region\")", "fixed: not adjustable"),
)
QUOTAS: dict[str, Quota] = {q.key: q for q in _QUOTAS}


@dataclass(frozen=True)
class Use:
    """What one resource takes of one quota: ``amount``, in ``zone`` (a zone quota) or of ``per`` (the VPC or
    security group a per-VPC or per-group quota counts within); ``how``: where the amount comes from."""

    quota: str
    amount: float = 1
    zone: str = ""
    per: str = ""
    how: str = ""


QuotaUse = Callable[[Resource, StackGraph], tuple[Use, ...]]


@lru_cache(maxsize=1)
def _instance_types() -> dict[str, Any]:
    """AWS's instance type data (DescribeInstanceTypes), as moto ships it."""
    return json.loads(gzip.decompress((files("moto.ec2") / "resources" / "instance_types.json.gz").read_bytes()))


def vcpus(instance_type: str) -> int | None:
    """The instance type's default vCPUs, None for a type AWS's data does not have."""
    info = _instance_types().get(instance_type)
    return None if info is None else int(info["VCpuInfo"]["DefaultVCpus"])


def one(quota: str) -> QuotaUse:
    """One of ``quota`` per resource."""
    return lambda r, graph: (Use(quota),)


def _by_id(graph: StackGraph, resource_id: Any) -> Any:
    try:
        return graph.by_id(str(resource_id)) if resource_id else None
    except KeyError:
        return None


def nat_gateway(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """One NAT gateway in its subnet's Availability Zone (private ones count too: the quota is per gateway)."""
    subnet = _by_id(graph, r.inputs.get("subnetId"))
    zone = str((subnet.inputs.get("availabilityZone") or subnet.outputs.get("availabilityZone") or "")) if subnet else ""
    return (Use("nat-gateways", 1, zone=zone or "?", how="its subnet's zone"),)


def peering(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """An active peering on each of its two VPCs, and one request while it is outstanding."""
    vpcs = [str(v) for v in (r.inputs.get("vpcId"), r.inputs.get("peerVpcId")) if v]
    return (Use("peering-requests"), *(Use("peerings-per-vpc", 1, per=v) for v in vpcs))


def _launch_vcpus(launch: capacity.Launches | None) -> tuple[Use, ...]:
    if launch is None or not launch.count:
        return ()
    known = [c for t in launch.instance_types if (c := vcpus(t)) is not None]
    per = max(known) if known else 2  # an unknown type: the smallest lab types' 2
    return (Use("ondemand-vcpus", launch.count * per, how=f"{launch.count} x {per} vCPUs ({launch.prop})"),)


def instance(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """Its type's vCPUs (AWS's instance type data)."""
    return _launch_vcpus(capacity.instance(r, graph).launches)


def autoscaling_group(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """Its instances' vCPUs at its maximum size."""
    return _launch_vcpus(capacity.autoscaling_group(r, graph).launches)


def beanstalk_environment(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """One environment, its instances' vCPUs at MaxSize, and what Beanstalk makes for it: a single-instance
    environment's Elastic IP, a load-balanced one's load balancer (an ALB when it says so) and target group,
    and its security group."""
    settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in r.inputs.get("settings") or []}
    single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    made = [Use("elastic-ips", how="its single instance's address")] if single else [Use("target-groups")]
    if not single and settings.get(("aws:elasticbeanstalk:environment", "LoadBalancerType")) == "application":
        made.append(Use("albs"))
    return (Use("beanstalk-environments"), Use("security-groups", how="Beanstalk's own"), *made,
            *_launch_vcpus(capacity.beanstalk_environment(r, graph).launches))


def fargate_service(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """Its tasks' vCPUs (desired count x the task definition's cpu units / 1024) on Fargate."""
    if str(r.inputs.get("launchType") or "FARGATE") != "FARGATE":
        return ()
    task = _by_id(graph, r.inputs.get("taskDefinition"))
    cpu = float((task.inputs.get("cpu") if task else None) or 256) / 1024
    count = int(r.inputs.get("desiredCount") or 0)
    return (Use("fargate-vcpus", count * cpu, how=f"{count} x {cpu:g} vCPU"),)


def load_balancer(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    return (Use("albs"),) if str(r.inputs.get("loadBalancerType") or "application") == "application" else ()


def database(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    db = capacity.database(r, graph).database
    return (Use("db-instances"), Use("db-storage", db.storage_gib if db else 0, how=db.storage_prop if db else ""))


def security_group(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """One group, and its inline rules per direction (one per CIDR block, as AWS counts them)."""
    rules = [Use("security-groups")]
    for direction in ("ingress", "egress"):
        count = sum(max(1, len(x.get("cidrBlocks") or []) + len(x.get("ipv6CidrBlocks") or []))
                    for x in r.inputs.get(direction) or [])
        if count:
            rules.append(Use("rules-per-group", count, per=f"{getattr(r, 'name', id(r))}/{direction}"))
    return tuple(rules)


def group_rule(direction: str) -> QuotaUse:
    """A separate rule resource: one rule of its group's ``direction``."""
    def use(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
        group = _by_id(graph, r.inputs.get("securityGroupId"))
        return (Use("rules-per-group", 1, per=f"{group.name if group else r.inputs.get('securityGroupId')}/{direction}"),)
    return use


def vpc(r: Resource, graph: StackGraph) -> tuple[Use, ...]:
    """The VPC, and its default security group (AWS makes it; it counts)."""
    return (Use("vpcs"), Use("security-groups", how="the VPC's default group"))
