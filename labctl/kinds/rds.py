"""RDS: database instances and their subnet groups."""

from __future__ import annotations

from typing import Any, Iterable

from labctl.kinds.emulation import Emulator, delete_call, named, tags
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds import FREE, Kind


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
                         state=db["DBInstanceStatus"], detail=db["DBInstanceClass"], hourly=hourly)


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


KINDS = (
    Kind("aws:rds/instance:Instance", "database", "database", drift=True, sweep="database",
         sweep_rule=SweepRule(_find_databases, _delete_database_once, _databases_left, arn_kinds=("rds:db",)),
         emulator=Emulator(_create_db_instance, _delete_db_instance)),
    Kind("aws:rds/subnetGroup:SubnetGroup", "DB subnet group", FREE, sweep="DB subnet group",
         sweep_rule=SweepRule(_find_db_subnet_groups, delete_by_id("rds", "delete_db_subnet_group", "DBSubnetGroupName"), arn_kinds=("rds:subgrp",)),
         emulator=Emulator(_create_db_subnet_group, delete_call("rds", "delete_db_subnet_group", "DBSubnetGroupName"))),
)
