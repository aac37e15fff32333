"""RDS: database instances and their subnet groups."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from labctl.kinds.emulation import Emulator, delete_call, named, tags
from labctl.kinds.guards import Guard
from labctl.kinds.fakes import hex_id
from labctl.kinds.templates import Alias, Template, number_text, tag_list
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds import capacity
from labctl.kinds import FREE, Kind
from labctl.kinds.live_reads import Found, LiveRead, in_vpcs, listing
from labctl.kinds import drawing
from labctl.kinds.network import DATABASE_PUBLIC, HOST, HOST_PART, Reach, first_placed
from labctl.kinds.replacing import BRIDGE_AUTONAME, Replaces, NAME_PREFIX, autonamed
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_db_subnet_group(aws, i, name):
    group = named(i, name).lower()
    made = aws("rds").create_db_subnet_group(DBSubnetGroupName=group, DBSubnetGroupDescription=i.get("description") or "Managed by Pulumi",
                                             SubnetIds=list(i["subnetIds"]), Tags=tags(i))["DBSubnetGroup"]
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
    identifier = named(i, name, 63, key="identifier", prefix_key="identifierPrefix").lower()
    args: dict[str, Any] = {"DBInstanceIdentifier": identifier, "Tags": tags(i)}
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


def _delete_db_instance(aws, identifier: str, extra: dict) -> None:
    final = {"SkipFinalSnapshot": True} if extra.get("skipFinalSnapshot") else {
        "SkipFinalSnapshot": False, "FinalDBSnapshotIdentifier": extra.get("finalSnapshotIdentifier") or f"{identifier}-final"}
    aws("rds").delete_db_instance(DBInstanceIdentifier=identifier, DeleteAutomatedBackups=bool(extra.get("deleteAutomatedBackups", True)), **final)


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_db_instance(cloud: FakeCloud, args: Args) -> Answered:
    identifier = args.inputs.get("identifier") or (args.inputs.get("identifierPrefix") or "db-") + hex_id(cloud.stack + args.name, 26)
    address = f"{identifier}.c{hex_id(cloud.stack, 11)}.{cloud.region}.rds.amazonaws.com"
    port = int(args.inputs.get("port") or 3306)
    computed = {"identifier": identifier, "address": address, "endpoint": f"{address}:{port}", "port": port,
                "arn": cloud.arn("rds", f"db:{identifier}"), "resourceId": f"db-{hex_id(identifier, 26).upper()}",
                "hostedZoneId": "Z2R2ITUGPM61AM", "status": "available"}
    if args.inputs.get("manageMasterUserPassword"):  # RDS keeps the password in a secret of its own
        secret = f"rds!db-{hex_id(identifier, 8)}-{hex_id(identifier + '/s', 4)}-{hex_id(identifier + '/t', 4)}-{hex_id(identifier + '/u', 12)}"
        computed["masterUserSecrets"] = [{"secretArn": cloud.arn("secretsmanager", f"secret:{secret}-{hex_id(secret, 6)}"),
                                          "secretStatus": "active", "kmsKeyId": cloud.arn("kms", f"key/{hex_id(secret, 32)}")}]
    return identifier, computed


def _fake_db_subnet_group(cloud: FakeCloud, args: Args) -> Answered:
    name = cloud.unique_name(args)
    return name, {"name": name, "arn": cloud.arn("rds", f"subgrp:{name}")}


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _db_instance_properties(b, r):
    i = r.inputs
    return {
        "DBInstanceIdentifier": r.outputs.get("identifier"), "Engine": i.get("engine"), "EngineVersion": i.get("engineVersion"),
        "EngineLifecycleSupport": i.get("engineLifecycleSupport"), "DBInstanceClass": i.get("instanceClass"),
        "AllocatedStorage": number_text(i.get("allocatedStorage")),
        "StorageType": i.get("storageType"), "StorageEncrypted": i.get("storageEncrypted"), "DBName": i.get("dbName"),
        "MasterUsername": i.get("username"), "MasterUserPassword": i.get("password"),
        "ManageMasterUserPassword": i.get("manageMasterUserPassword"),
        "Port": number_text(i.get("port")), "PubliclyAccessible": i.get("publiclyAccessible"),
        "MultiAZ": i.get("multiAz"), "DBSubnetGroupName": b.ref(i.get("dbSubnetGroupName")),
        "VPCSecurityGroups": b.ref(i.get("vpcSecurityGroupIds")), "BackupRetentionPeriod": i.get("backupRetentionPeriod"),
        "DeletionProtection": i.get("deletionProtection"), "AutoMinorVersionUpgrade": i.get("autoMinorVersionUpgrade"),
        "DeleteAutomatedBackups": i.get("deleteAutomatedBackups"), "Tags": tag_list(i.get("tags"))}


def _db_subnet_group_properties(b, r):
    i = r.inputs
    return {"DBSubnetGroupName": r.outputs.get("name"), "DBSubnetGroupDescription": i.get("description"),
            "SubnetIds": b.ref(i.get("subnetIds")), "Tags": tag_list(i.get("tags"))}


_BY_NAME = Alias(output="name")  # a database names its subnet group by name, which is the group's Ref


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_databases(scan: SweepScan) -> Iterable[Listed]:
    for db in scan.pages(scan.client("rds"), "describe_db_instances", "DBInstances"):
        if db["DBInstanceStatus"] == "deleted":
            continue
        available = db["DBInstanceStatus"] != "stopped"
        price = scan.price("rds_instance_hour", db["DBInstanceClass"])
        storage = scan.price("rds_storage_gb_month", db.get("StorageType", "gp2"))
        hourly = None if price is None or storage is None else (
            (price if available else 0.0) + db.get("AllocatedStorage", 0) * storage / scan.per_month)
        vpc = (db.get("DBSubnetGroup") or {}).get("VpcId")
        yield scan.found("database", db["DBInstanceIdentifier"], scan.tag_map(db.get("TagList")), (vpc,) if vpc else (),
                         state=db["DBInstanceStatus"], detail=db["DBInstanceClass"], hourly=hourly,
                         since=db.get("InstanceCreateTime"))


def _delete_database_once(scan: SweepScan, item: Listed) -> None:
    if item.state != "deleting":
        scan.client("rds").delete_db_instance(DBInstanceIdentifier=item.id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)


def _databases_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    rds = scan.client("rds")
    return scan.still(items, lambda i: bool(rds.describe_db_instances(DBInstanceIdentifier=i.id)["DBInstances"]))


def _find_db_subnet_groups(scan: SweepScan) -> Iterable[Listed]:
    rds = scan.client("rds")
    for group in scan.pages(rds, "describe_db_subnet_groups", "DBSubnetGroups"):
        tags = scan.tag_map(rds.list_tags_for_resource(ResourceName=group["DBSubnetGroupArn"]).get("TagList"))
        yield scan.found("DB subnet group", group["DBSubnetGroupName"], tags, (group["VpcId"],) if group.get("VpcId") else ())


# --- live reads: how the live reader (labctl.ops.live) finds each kind in AWS ----------------------

DATABASES = listing("rds", "describe_db_instances", "DBInstances", in_vpcs(
    lambda db, ids: (db.get("DBSubnetGroup") or {}).get("VpcId") in ids, servers=()))


def _read_database(db, reading):
    yield Found(db["DBInstanceIdentifier"], db.get("TagList"),
                {"dbSubnetGroupName": db["DBSubnetGroup"].get("DBSubnetGroupName"), "publiclyAccessible": db.get("PubliclyAccessible", False),
                 "vpcSecurityGroupIds": [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])],
                 "instanceClass": db.get("DBInstanceClass")})


def _read_subnet_group(db, reading):
    """A database's subnet group, as its answer describes it (one per database read)."""
    group = db["DBSubnetGroup"]
    name = group.get("DBSubnetGroupName")
    yield Found(f"subgrp:{name}", None, {"subnetIds": [s["SubnetIdentifier"] for s in group.get("Subnets", [])]}, {"name": name})


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_subnet_group(r, model):
    model.add_subnet_group(r.outputs.get("name") or r.id, list(r.inputs.get("subnetIds") or []))


def _place_database(r, model):
    """The twelfth address of its subnet group's first subnet stands in for it."""
    subnet = first_placed(model, model.subnet_group(r.inputs.get("dbSubnetGroupName")))
    if subnet:
        model.place_host(model.name(r), "database", subnet, 12, DATABASE_PUBLIC if r.inputs.get("publiclyAccessible") else None,
                         list(r.inputs.get("vpcSecurityGroupIds") or []))


def _managed_secret(inputs: dict[str, Any], outputs: dict[str, Any]) -> list[str]:
    """The master user's secret RDS keeps in Secrets Manager (ManageMasterUserPassword) and rotates
    every 7 days unless told otherwise."""
    if not inputs.get("manageMasterUserPassword"):
        return []
    return [s["secretArn"] for s in outputs.get("masterUserSecrets") or [] if isinstance(s, dict) and s.get("secretArn")]


KINDS = (
    Kind("aws:rds/instance:Instance", "database", "database", drift=True, sweep="database",
         quota=quotas.database,
         provision_seconds=600,  # creating -> available: 5-15 min for a small instance (issue 29; https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_CreateDBInstance.html)
         replaces=Replaces(inputs=("identifierPrefix",), updatable=("DBSubnetGroupName",), autoname="identifier", loses="a database", source="aws_db_instance moves to another subnet group in place (ModifyDBInstance); " + NAME_PREFIX + "; " + BRIDGE_AUTONAME),
         diagram=drawing.DATABASE,
         guard=Guard(encrypted=("storageEncrypted",), not_public="publiclyAccessible"),
         capacity=capacity.database,
         rotating_secret=_managed_secret,
         fake=_fake_db_instance,
         extended_support=True,
         template=Template("AWS::RDS::DBInstance", _db_instance_properties),
         sweep_rule=SweepRule(_find_databases, _delete_database_once, _databases_left, arn_kinds=("rds:db",)),
         live=LiveRead(DATABASES, _read_database),
         reach=Reach(HOST, _place_database),
         emulator=Emulator(_create_db_instance, _delete_db_instance)),
    Kind("aws:rds/subnetGroup:SubnetGroup", "DB subnet group", FREE, sweep="DB subnet group",
         provision_seconds=2,
         replaces=autonamed(),
         fake=_fake_db_subnet_group,
         template=Template("AWS::RDS::DBSubnetGroup", _db_subnet_group_properties, aliases=(_BY_NAME,)),
         sweep_rule=SweepRule(_find_db_subnet_groups, delete_by_id("rds", "delete_db_subnet_group", "DBSubnetGroupName"), arn_kinds=("rds:subgrp",)),
         live=LiveRead(DATABASES, _read_subnet_group),
         reach=Reach(HOST_PART, _place_subnet_group),
         emulator=Emulator(_create_db_subnet_group, delete_call("rds", "delete_db_subnet_group", "DBSubnetGroupName"))),
)
