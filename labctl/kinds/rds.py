"""RDS: database instances and their subnet groups."""

from __future__ import annotations

from typing import Any

from labctl.kinds.emulation import Emulator, delete_call, named, tags
from labctl.kinds import FREE, Kind
from labctl.kinds.live_reads import Found, LiveRead, in_vpcs, listing
from labctl.kinds.network import DATABASE_PUBLIC, HOST, HOST_PART, Reach, first_placed


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


KINDS = (
    Kind("aws:rds/instance:Instance", "database", "database", drift=True, sweep="database",
         live=LiveRead(DATABASES, _read_database),
         reach=Reach(HOST, _place_database),
         emulator=Emulator(_create_db_instance, _delete_db_instance)),
    Kind("aws:rds/subnetGroup:SubnetGroup", "DB subnet group", FREE, sweep="DB subnet group",
         live=LiveRead(DATABASES, _read_subnet_group),
         reach=Reach(HOST_PART, _place_subnet_group),
         emulator=Emulator(_create_db_subnet_group, delete_call("rds", "delete_db_subnet_group", "DBSubnetGroupName"))),
)
