"""What Pulumi does not do for a class: pause students' machines between sessions, and prove
after a teardown that nothing tagged with the cohort is left running on anyone's credits.

Everything here is plain boto3 against the account's API (tested against moto).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable

from cloudlabs.pricing import PriceTable
from labctl.ops.fleet import Outcome

COHORT_TAG, STUDENT_TAG, EXPIRES_TAG = "cloudlabs:cohort", "cloudlabs:student", "cloudlabs:expires"


def _tags(items: Iterable[dict] | None) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in items or []}


# --- stop and start -------------------------------------------------------------------------------


class PowerRunner:
    """Stops or starts a student's EC2 and RDS instances (found by their cloudlabs tags), keeping
    their disks and data. Instances of an Auto Scaling group are left alone (the group would
    replace them); NAT gateways cannot be stopped and keep billing."""

    def __init__(self, session: Any, owners: dict[str, tuple[str, str]]):
        self.session = session
        self.owners = owners  # stack -> (cohort, student)

    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]) -> Outcome:
        if operation not in ("stop", "start"):
            raise ValueError(f"PowerRunner does not {operation}")
        cohort, student = self.owners[stack]
        ec2, rds = self.session.client("ec2"), self.session.client("rds")
        want = "running" if operation == "stop" else "stopped"
        filters = [{"Name": f"tag:{COHORT_TAG}", "Values": [cohort]}, {"Name": f"tag:{STUDENT_TAG}", "Values": [student]},
                   {"Name": "instance-state-name", "Values": [want]}]
        instances: list[str] = []
        managed: list[str] = []
        for page in ec2.get_paginator("describe_instances").paginate(Filters=filters):
            for reservation in page["Reservations"]:
                for inst in reservation["Instances"]:
                    (managed if "aws:autoscaling:groupName" in _tags(inst.get("Tags")) else instances).append(inst["InstanceId"])
        if instances:
            (ec2.stop_instances if operation == "stop" else ec2.start_instances)(InstanceIds=instances)
        log(f"{operation}: instances {', '.join(instances) or 'none'}")
        if managed:
            log(f"left alone (Auto Scaling group members): {', '.join(managed)}")
        databases = []
        for page in rds.get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                tags = _tags(db.get("TagList"))
                if tags.get(COHORT_TAG) != cohort or tags.get(STUDENT_TAG) != student:
                    continue
                if db["DBInstanceStatus"] == ("available" if operation == "stop" else "stopped"):
                    (rds.stop_db_instance if operation == "stop" else rds.start_db_instance)(
                        DBInstanceIdentifier=db["DBInstanceIdentifier"])
                    databases.append(db["DBInstanceIdentifier"])
        log(f"{operation}: databases {', '.join(databases) or 'none'}")
        progress(len(instances) + len(databases))
        verb = "stopped" if operation == "stop" else "started"
        note = f"; {len(managed)} Auto Scaling instance(s) left alone" if managed else ""
        return Outcome({"update": len(instances) + len(databases)},
                       f"{len(instances)} instance(s), {len(databases)} database(s) {verb}{note}")

    def cancel(self, stack: str) -> None:  # API calls are quick: nothing to cancel
        pass


# --- the sweep ------------------------------------------------------------------------------------


@dataclass
class Leftover:
    student: str
    kind: str
    id: str
    state: str = ""
    detail: str = ""  # instance type, DB class, ...
    hourly: float | None = 0.0  # None: costs money but no price is known
    expires: str = ""
    arn: str = ""


def _arn_id(arn: str) -> tuple[str, str]:
    """(service:resource-type, id) from an ARN."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5]
    if service == "s3":
        return "s3:bucket", resource
    for sep in ("/", ":"):
        if sep in resource:
            kind, rest = resource.split(sep, 1)
            return f"{service}:{kind}", rest.split("/")[-1] if service != "elasticloadbalancing" else rest
    return f"{service}:{resource}", resource


class Sweeper:
    """Everything in one region carrying ``cloudlabs:cohort = <cohort>``, per student."""

    def __init__(self, session: Any, cohort: str, prices: PriceTable | None = None, region: str | None = None,
                 whole_account: bool = False):
        self.s, self.cohort, self.whole_account = session, cohort, whole_account
        self.region = region or session.region_name
        self.p = prices.regions.get(self.region) if prices else None
        self.per_month = prices.hours_per_month if prices else 730

    def _mine(self, tags: dict[str, str]) -> bool:
        return tags.get(COHORT_TAG) == self.cohort

    def _left(self, tags: dict[str, str], kind: str, rid: str, **kw: Any) -> Leftover:
        return Leftover(tags.get(STUDENT_TAG, "?"), kind, rid, expires=tags.get(EXPIRES_TAG, ""), **kw)

    def _instance_hourly(self, instance: dict[str, Any]) -> float | None:
        """What a running instance bills by the hour: its type (Windows with the license,
        ``Platform: windows``) and its public IPv4 address; a stopped one, nothing."""
        if instance["State"]["Name"] != "running":
            return 0.0
        if self.p is None:
            return None
        windows = instance.get("Platform") == "windows"
        price = self._price(self.p.ec2_windows_instance_hour if windows else self.p.ec2_instance_hour, instance["InstanceType"])
        if price is not None and instance.get("PublicIpAddress"):
            price += self.p.public_ipv4_hour
        return price

    def _price(self, table: dict[str, float] | None, key: str) -> float | None:
        return None if table is None or key not in table else table[key]

    def find(self) -> list[Leftover]:
        found: dict[tuple[str, str], Leftover] = {}

        def add(item: Leftover) -> None:
            found.setdefault((item.kind, item.id), item)

        mine = lambda item: self._mine(_tags(item.get("Tags")))  # noqa: E731 - server-side filters are not trusted alone

        ec2 = self.s.client("ec2")
        cohort_filter = [{"Name": f"tag:{COHORT_TAG}", "Values": [self.cohort]}]
        ipv4 = self.p.public_ipv4_hour if self.p else None
        for page in ec2.get_paginator("describe_instances").paginate(Filters=cohort_filter):
            for r in page["Reservations"]:
                for i in r["Instances"]:
                    if not mine(i) or i["State"]["Name"] in ("terminated", "shutting-down"):
                        continue
                    add(self._left(_tags(i.get("Tags")), "instance", i["InstanceId"], state=i["State"]["Name"],
                                   detail=i["InstanceType"], hourly=self._instance_hourly(i)))
        for n in ec2.describe_nat_gateways(Filter=cohort_filter)["NatGateways"]:
            if mine(n) and n["State"] not in ("deleted", "deleting"):
                add(self._left(_tags(n.get("Tags")), "NAT gateway", n["NatGatewayId"], state=n["State"],
                               hourly=self.p.nat_gateway_hour if self.p else None))
        for a in ec2.describe_addresses(Filters=cohort_filter)["Addresses"]:
            if mine(a):
                add(self._left(_tags(a.get("Tags")), "Elastic IP", a["AllocationId"], detail=a.get("PublicIp", ""), hourly=ipv4))
        for v in ec2.describe_volumes(Filters=cohort_filter)["Volumes"]:
            if mine(v) and v["State"] == "available":  # attached volumes go with their instance
                price = self._price(self.p.ebs_gb_month if self.p else None, v["VolumeType"])
                add(self._left(_tags(v.get("Tags")), "volume", v["VolumeId"], state="unattached", detail=f"{v['Size']} GiB",
                               hourly=None if price is None else price * v["Size"] / self.per_month))
        simple = (("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId", "VPC endpoint"),
                  ("describe_vpc_peering_connections", "VpcPeeringConnections", "VpcPeeringConnectionId", "peering connection"),
                  ("describe_security_groups", "SecurityGroups", "GroupId", "security group"),
                  ("describe_subnets", "Subnets", "SubnetId", "subnet"),
                  ("describe_route_tables", "RouteTables", "RouteTableId", "route table"),
                  ("describe_internet_gateways", "InternetGateways", "InternetGatewayId", "internet gateway"),
                  ("describe_egress_only_internet_gateways", "EgressOnlyInternetGateways", "EgressOnlyInternetGatewayId",
                   "egress-only internet gateway"),
                  ("describe_network_acls", "NetworkAcls", "NetworkAclId", "network ACL"),
                  ("describe_vpcs", "Vpcs", "VpcId", "VPC"),
                  ("describe_launch_templates", "LaunchTemplates", "LaunchTemplateId", "launch template"))
        for call, key, id_key, kind in simple:
            for item in getattr(ec2, call)(Filters=cohort_filter)[key]:
                state = (item.get("Status") or {}).get("Code", "") if kind == "peering connection" else item.get("State", "")
                if not mine(item) or state in ("deleted", "rejected", "failed"):
                    continue
                add(self._left(_tags(item.get("Tags")), kind, item[id_key], state=str(state)))

        elb = self.s.client("elbv2")
        lbs = elb.describe_load_balancers()["LoadBalancers"]
        for lb, tags in self._elb_tags(elb, [lb["LoadBalancerArn"] for lb in lbs], lbs):
            price = self._price(self.p.load_balancer_hour if self.p else None, lb.get("Type", "application"))
            if price is not None and lb.get("Scheme") == "internet-facing":
                price += (ipv4 or 0) * len(lb.get("AvailabilityZones", []))
            add(self._left(tags, "load balancer", lb["LoadBalancerArn"], state=lb.get("State", {}).get("Code", ""),
                           detail=lb.get("DNSName", ""), hourly=price))
        groups = elb.describe_target_groups()["TargetGroups"]
        for tg, tags in self._elb_tags(elb, [g["TargetGroupArn"] for g in groups], groups):
            add(self._left(tags, "target group", tg["TargetGroupArn"]))

        asg = self.s.client("autoscaling")
        for page in asg.get_paginator("describe_auto_scaling_groups").paginate():
            for g in page["AutoScalingGroups"]:
                tags = {t["Key"]: t["Value"] for t in g.get("Tags", [])}
                if self._mine(tags):
                    add(self._left(tags, "Auto Scaling group", g["AutoScalingGroupName"],
                                   detail=f"desired {g['DesiredCapacity']}", state=str(g.get("Status", "active"))))

        rds = self.s.client("rds")
        for db in rds.describe_db_instances()["DBInstances"]:
            tags = _tags(db.get("TagList"))
            if self._mine(tags):
                available = db["DBInstanceStatus"] != "stopped"
                price = self._price(self.p.rds_instance_hour if self.p else None, db["DBInstanceClass"])
                storage = self._price(self.p.rds_storage_gb_month if self.p else None, db.get("StorageType", "gp2"))
                hourly = None if price is None or storage is None else (
                    (price if available else 0.0) + db.get("AllocatedStorage", 0) * storage / self.per_month)
                add(self._left(tags, "database", db["DBInstanceIdentifier"], state=db["DBInstanceStatus"],
                               detail=db["DBInstanceClass"], hourly=hourly))
        for group in rds.describe_db_subnet_groups()["DBSubnetGroups"]:
            tags = _tags(rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"]).get("TagList"))
            if self._mine(tags):
                add(self._left(tags, "DB subnet group", group["DBSubnetGroupName"]))

        s3 = self.s.client("s3")
        for bucket in s3.list_buckets().get("Buckets", []):
            try:
                tags = _tags(s3.get_bucket_tagging(Bucket=bucket["Name"]).get("TagSet"))
            except Exception:  # noqa: BLE001 - NoSuchTagSet, or a bucket in another region
                continue
            if self._mine(tags):
                add(self._left(tags, "bucket", bucket["Name"]))

        # What the service calls above do not cover, the tagging API still finds. (For the kinds
        # they do cover, the service calls win: tagging lists just-terminated resources for a while.)
        tagging = self.s.client("resourcegroupstaggingapi")
        for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": COHORT_TAG, "Values": [self.cohort]}]):
            for mapping in page["ResourceTagMappingList"]:
                kind, rid = _arn_id(mapping["ResourceARN"])
                if kind not in COVERED:
                    add(self._left(_tags(mapping.get("Tags")), kind, rid, arn=mapping["ResourceARN"], hourly=None))
        self._added_by_hand(ec2, elb, rds, found, add)
        return sorted(found.values(), key=lambda x: (x.student, DELETE_ORDER.index(x.kind) if x.kind in DELETE_ORDER else 99, x.id))

    def _added_by_hand(self, ec2: Any, elb: Any, rds: Any, found: dict[tuple[str, str], Leftover],
                       add: Callable[[Leftover], None]) -> None:
        """Everything inside the cohort's VPCs, whatever its tags: what students made by hand (the
        book's CLI and boto3 instances, an extra subnet, a NAT gateway) blocks `pulumi destroy` of
        the VPC or keeps billing. Marked "added by hand", owned by the student whose VPC it is in."""
        owner = {x.id: x.student for x in found.values() if x.kind == "VPC"}
        if self.whole_account:  # an account given over to one student: every VPC but the default, and all below
            for vpc in ec2.describe_vpcs()["Vpcs"]:
                if not vpc.get("IsDefault"):
                    owner.setdefault(vpc["VpcId"], _tags(vpc.get("Tags")).get(STUDENT_TAG, "account"))
                    if (("VPC", vpc["VpcId"])) not in found:
                        add(Leftover(owner[vpc["VpcId"]], "VPC", vpc["VpcId"], detail="added by hand"))
            self._whole_account(ec2, found, add)
        if not owner:
            return
        in_vpcs = [{"Name": "vpc-id", "Values": sorted(owner)}]
        ipv4 = self.p.public_ipv4_hour if self.p else None

        def hand(kind: str, rid: str, vpc: str, **kw: Any) -> None:
            if (kind, rid) not in found:
                detail = kw.pop("detail", "")
                add(Leftover(owner.get(vpc, "?"), kind, rid, detail=("added by hand" + (f": {detail}" if detail else "")), **kw))

        for page in ec2.get_paginator("describe_instances").paginate(Filters=in_vpcs):
            for r in page["Reservations"]:
                for i in r["Instances"]:
                    if i["State"]["Name"] in ("terminated", "shutting-down"):
                        continue
                    hand("instance", i["InstanceId"], i["VpcId"], state=i["State"]["Name"], detail=i["InstanceType"],
                         hourly=self._instance_hourly(i))
        for n in ec2.describe_nat_gateways(Filter=in_vpcs)["NatGateways"]:
            if n["State"] in ("deleted", "deleting", "failed"):
                continue
            hand("NAT gateway", n["NatGatewayId"], n["VpcId"], state=n["State"], hourly=self.p.nat_gateway_hour if self.p else None)
            for address in n.get("NatGatewayAddresses", []):  # its Elastic IP bills on after the gateway is gone
                if address.get("AllocationId"):
                    hand("Elastic IP", address["AllocationId"], n["VpcId"], detail=address.get("PublicIp", ""), hourly=ipv4)
        scoped = (("describe_vpc_endpoints", "VpcEndpoints", "VpcEndpointId", "VPC endpoint", lambda x: True),
                  ("describe_security_groups", "SecurityGroups", "GroupId", "security group", lambda x: x["GroupName"] != "default"),
                  ("describe_subnets", "Subnets", "SubnetId", "subnet", lambda x: True),
                  ("describe_route_tables", "RouteTables", "RouteTableId", "route table",
                   lambda x: not any(a.get("Main") for a in x.get("Associations", []))),
                  ("describe_network_acls", "NetworkAcls", "NetworkAclId", "network ACL", lambda x: not x.get("IsDefault")))
        for call, key, id_key, kind, managed_by_us in scoped:
            for item in getattr(ec2, call)(Filters=in_vpcs)[key]:
                if managed_by_us(item):  # AWS's own defaults go with the VPC
                    hand(kind, item[id_key], item["VpcId"])
        for gw in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": sorted(owner)}])["InternetGateways"]:
            vpc = next((a["VpcId"] for a in gw.get("Attachments", []) if a.get("VpcId") in owner), "?")
            hand("internet gateway", gw["InternetGatewayId"], vpc)
        for lb in elb.describe_load_balancers()["LoadBalancers"]:
            if lb.get("VpcId") in owner:
                hand("load balancer", lb["LoadBalancerArn"], lb["VpcId"], hourly=None)
        for db in rds.describe_db_instances()["DBInstances"]:
            vpc = (db.get("DBSubnetGroup") or {}).get("VpcId")
            if vpc in owner:
                hand("database", db["DBInstanceIdentifier"], vpc, state=db["DBInstanceStatus"], hourly=None)

    def _whole_account(self, ec2: Any, found: dict[tuple[str, str], Leftover], add: Callable[[Leftover], None]) -> None:
        """What bills or blocks outside any lab VPC: instances in the default VPC (chapter 3 launches
        there), Elastic IPs, buckets."""
        ipv4 = self.p.public_ipv4_hour if self.p else None
        for page in ec2.get_paginator("describe_instances").paginate():
            for r in page["Reservations"]:
                for i in r["Instances"]:
                    if i["State"]["Name"] not in ("terminated", "shutting-down") and ("instance", i["InstanceId"]) not in found:
                        add(Leftover("account", "instance", i["InstanceId"], state=i["State"]["Name"],
                                     detail=f"added by hand: {i['InstanceType']}", hourly=self._instance_hourly(i)))
        for a in ec2.describe_addresses()["Addresses"]:
            if ("Elastic IP", a["AllocationId"]) not in found:
                add(Leftover("account", "Elastic IP", a["AllocationId"], detail=f"added by hand: {a.get('PublicIp', '')}",
                             hourly=ipv4))
        for bucket in self.s.client("s3").list_buckets().get("Buckets", []):
            if ("bucket", bucket["Name"]) not in found:
                add(Leftover("account", "bucket", bucket["Name"], detail="added by hand"))

    @staticmethod
    def _elb_tags(elb: Any, arns: list[str], items: list[dict]):
        by_arn = {(i.get("LoadBalancerArn") or i.get("TargetGroupArn")): i for i in items}
        for start in range(0, len(arns), 20):
            for desc in elb.describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]:
                tags = _tags(desc.get("Tags"))
                if tags.get(COHORT_TAG):
                    yield by_arn[desc["ResourceArn"]], tags

    # --- deletion ------------------------------------------------------------------------------

    def delete(self, leftovers: list[Leftover], wait: bool = True, log: Callable[[str], None] = print) -> list[tuple[Leftover, str]]:
        """Delete in dependency order; returns what could not be deleted, with why."""
        ec2, elb, rds, s3 = (self.s.client(n) for n in ("ec2", "elbv2", "rds", "s3"))
        asg = self.s.client("autoscaling")
        failures: list[tuple[Leftover, str]] = []
        ordered = sorted(leftovers, key=lambda x: DELETE_ORDER.index(x.kind) if x.kind in DELETE_ORDER else len(DELETE_ORDER))
        kinds_seen = {x.kind for x in ordered}

        def gone(kind: str) -> None:
            """Between steps, wait for what the next step depends on to be gone (real AWS is slow)."""
            if not wait:
                return
            if kind == "instance":
                ids = [x.id for x in ordered if x.kind == "instance"]
                ec2.get_waiter("instance_terminated").wait(InstanceIds=ids, WaiterConfig={"Delay": 5, "MaxAttempts": 120})
            elif kind == "NAT gateway":
                for x in (x for x in ordered if x.kind == "NAT gateway"):
                    for _ in range(120):
                        state = ec2.describe_nat_gateways(NatGatewayIds=[x.id])["NatGateways"][0]["State"]
                        if state == "deleted":
                            break
                        time.sleep(5)
            elif kind == "database":
                for x in (x for x in ordered if x.kind == "database"):
                    rds.get_waiter("db_instance_deleted").wait(DBInstanceIdentifier=x.id,
                                                               WaiterConfig={"Delay": 15, "MaxAttempts": 120})

        actions: dict[str, Callable[[Leftover], None]] = {
            "Auto Scaling group": lambda x: asg.delete_auto_scaling_group(AutoScalingGroupName=x.id, ForceDelete=True),
            "instance": lambda x: ec2.terminate_instances(InstanceIds=[x.id]),
            "load balancer": lambda x: elb.delete_load_balancer(LoadBalancerArn=x.id),
            "target group": lambda x: elb.delete_target_group(TargetGroupArn=x.id),
            "NAT gateway": lambda x: ec2.delete_nat_gateway(NatGatewayId=x.id),
            "Elastic IP": lambda x: ec2.release_address(AllocationId=x.id),
            "database": lambda x: rds.delete_db_instance(DBInstanceIdentifier=x.id, SkipFinalSnapshot=True,
                                                         DeleteAutomatedBackups=True),
            "DB subnet group": lambda x: rds.delete_db_subnet_group(DBSubnetGroupName=x.id),
            "VPC endpoint": lambda x: ec2.delete_vpc_endpoints(VpcEndpointIds=[x.id]),
            "peering connection": lambda x: ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=x.id),
            "security group": lambda x: ec2.delete_security_group(GroupId=x.id),
            "subnet": lambda x: ec2.delete_subnet(SubnetId=x.id),
            "route table": lambda x: self._delete_route_table(ec2, x.id),
            "internet gateway": lambda x: self._delete_igw(ec2, x.id),
            "egress-only internet gateway": lambda x: ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=x.id),
            "network ACL": lambda x: ec2.delete_network_acl(NetworkAclId=x.id),
            "VPC": lambda x: ec2.delete_vpc(VpcId=x.id),
            "launch template": lambda x: ec2.delete_launch_template(LaunchTemplateId=x.id),
            "volume": lambda x: ec2.delete_volume(VolumeId=x.id),
            "bucket": lambda x: self._delete_bucket(s3, x.id),
        }
        previous = None
        for item in ordered:
            if previous is not None and item.kind != previous and previous in kinds_seen:
                gone(previous)
            if item.kind == "security group" and previous != "security group":
                # groups of a lab refer to each other: drop every rule of every group before any delete
                for group in (x for x in ordered if x.kind == "security group"):
                    self._revoke_rules(ec2, group.id)
            previous = item.kind
            action = actions.get(item.kind)
            if action is None:
                failures.append((item, "no deletion rule for this kind: delete it by hand"))
                continue
            try:
                action(item)
                log(f"deleted {item.kind} {item.id} ({item.student})")
            except Exception as err:  # noqa: BLE001 - report and go on with the rest
                failures.append((item, str(err).splitlines()[0]))
        return failures

    @staticmethod
    def _revoke_rules(ec2: Any, group_id: str) -> None:
        try:
            group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
            if group.get("IpPermissions"):
                ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
            if group.get("IpPermissionsEgress"):
                ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=group["IpPermissionsEgress"])
        except Exception:  # noqa: BLE001 - the delete that follows reports what really fails
            pass

    @staticmethod
    def _delete_route_table(ec2: Any, table_id: str) -> None:
        table = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
        for association in table.get("Associations", []):
            if not association.get("Main"):
                ec2.disassociate_route_table(AssociationId=association["RouteTableAssociationId"])
        ec2.delete_route_table(RouteTableId=table_id)

    @staticmethod
    def _delete_igw(ec2: Any, igw_id: str) -> None:
        igw = ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"][0]
        for attachment in igw.get("Attachments", []):
            ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=attachment["VpcId"])
        ec2.delete_internet_gateway(InternetGatewayId=igw_id)

    @staticmethod
    def _delete_bucket(s3: Any, bucket: str) -> None:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
            objects = [{"Key": o["Key"], "VersionId": o["VersionId"]} for o in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            objects = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if objects:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
        s3.delete_bucket(Bucket=bucket)


# ARN kinds the service calls of Sweeper.find report themselves (with states and prices).
COVERED = {
    "ec2:instance", "ec2:natgateway", "ec2:elastic-ip", "ec2:volume", "ec2:vpc-endpoint", "ec2:vpc-peering-connection",
    "ec2:security-group", "ec2:subnet", "ec2:route-table", "ec2:internet-gateway", "ec2:egress-only-internet-gateway",
    "ec2:network-acl", "ec2:vpc", "ec2:launch-template", "elasticloadbalancing:loadbalancer",
    "elasticloadbalancing:targetgroup", "autoscaling:autoScalingGroup", "rds:db", "rds:subgrp", "s3:bucket",
}

# Dependents first: what holds an address, an interface or a route goes before what it sits in.
DELETE_ORDER = [
    "Auto Scaling group", "instance", "load balancer", "target group", "NAT gateway", "Elastic IP", "database",
    "DB subnet group", "VPC endpoint", "peering connection", "security group", "subnet", "route table",
    "internet gateway", "egress-only internet gateway", "network ACL", "VPC", "launch template", "volume", "bucket",
]


# --- expiry ---------------------------------------------------------------------------------------


def expired(expiries: dict[str, date], today: date) -> list[tuple[str, date, int]]:
    """(stack, expiry date, days past) for every stack whose expiry date has passed."""
    return sorted(((stack, when, (today - when).days) for stack, when in expiries.items() if when < today),
                  key=lambda row: (row[1], row[0]))
