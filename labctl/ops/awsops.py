"""What Pulumi does not do for a class: pause students' machines between sessions, and say which
stacks are past their expiry. (The teardown's proof, the sweep, is ``labctl.ops.sweep``.)

Everything here is plain boto3 against the account's API (tested against moto).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from labctl.ops.awslist import pages, tag_map
from labctl.ops.fleet import Outcome
from labctl.ops.sweep import COHORT_TAG, STUDENT_TAG


# --- stop and start -------------------------------------------------------------------------------


class PowerRunner:
    """Stops or starts a student's EC2 and RDS instances (found by their cloudlabs tags), keeping
    their disks and data. Instances of an Auto Scaling group are left alone (the group would
    replace them); NAT gateways cannot be stopped and keep billing."""

    def __init__(self, session: Any, owners: dict[str, tuple[str, str]], sessions: Any = None):
        self.session = session
        self.owners = owners  # stack -> (cohort, student)
        self.sessions = sessions  # labctl.ops.accounts.StudentSessions: each stack's own (per-student: its role)

    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]) -> Outcome:
        if operation not in ("stop", "start"):
            raise ValueError(f"PowerRunner does not {operation}")
        cohort, student = self.owners[stack]
        session = self.sessions.session(stack) if self.sessions is not None else self.session
        ec2, rds = session.client("ec2"), session.client("rds")
        want = "running" if operation == "stop" else "stopped"
        filters = [{"Name": f"tag:{COHORT_TAG}", "Values": [cohort]}, {"Name": f"tag:{STUDENT_TAG}", "Values": [student]},
                   {"Name": "instance-state-name", "Values": [want]}]
        instances: list[str] = []
        managed: list[str] = []
        for reservation in pages(ec2, "describe_instances", "Reservations", Filters=filters):
            for inst in reservation["Instances"]:
                tags = tag_map(inst.get("Tags"))  # the filter narrows; the instance's own tags decide
                if tags.get(COHORT_TAG) != cohort or tags.get(STUDENT_TAG) != student or inst["State"]["Name"] != want:
                    continue
                (managed if "aws:autoscaling:groupName" in tags else instances).append(inst["InstanceId"])
        if instances:
            (ec2.stop_instances if operation == "stop" else ec2.start_instances)(InstanceIds=instances)
        log(f"{operation}: instances {', '.join(instances) or 'none'}")
        if managed:
            log(f"left alone (Auto Scaling group members): {', '.join(managed)}")
        databases = []
        for page in rds.get_paginator("describe_db_instances").paginate():
            for db in page["DBInstances"]:
                tags = tag_map(db.get("TagList"))
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


# --- expiry ---------------------------------------------------------------------------------------


def expired(expiries: dict[str, date], today: date) -> list[tuple[str, date, int]]:
    """(stack, expiry date, days past) for every stack whose expiry date has passed."""
    return sorted(((stack, when, (today - when).days) for stack, when in expiries.items() if when < today),
                  key=lambda row: (row[1], row[0]))
