"""RDS: database instances and their subnet groups."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:rds/instance:Instance", "database", "database", drift=True, sweep="database"),
    Kind("aws:rds/subnetGroup:SubnetGroup", "DB subnet group", FREE, sweep="DB subnet group"),
)
