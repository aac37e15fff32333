"""What the teardown tests share: a served sandbox in this process, a labctl run in a child process
that can be killed at a chosen point, and boto3 reads of the account itself (never through labctl)."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import boto3

from cloudlabs import REPO_ROOT
from labctl.ops.sandbox import Store, serve

COHORT_TAG = "cloudlabs:cohort"
BOUND = 300  # seconds: only bounds a broken test; nothing is synchronised by time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(store: Store) -> Iterator[int]:
    """``labctl sandbox serve`` of ``store`` in a thread of this process, until the block ends."""
    port, ready, stop = free_port(), threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            serve(store, port, lambda p, n: ready.set(), stop.wait)
        except BaseException as err:  # noqa: BLE001 - handed to the test
            failure.append(err)
            ready.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(BOUND) and not failure, failure
    try:
        yield port
    finally:
        stop.set()
        thread.join(BOUND)


def client(port: int, service: str):
    return boto3.client(service, region_name="us-east-1", endpoint_url=f"http://127.0.0.1:{port}",
                        aws_access_key_id="student", aws_secret_access_key="student")


def tagged(port: int, cohort: str) -> dict[str, set[str]]:
    """What the account itself holds with ``cloudlabs:cohort = cohort``, read with boto3: kind -> ids."""
    ec2, elb, rds = client(port, "ec2"), client(port, "elbv2"), client(port, "rds")

    def ours(tags) -> bool:
        return any(t.get("Key") == COHORT_TAG and t.get("Value") == cohort for t in tags or [])

    found = {
        "vpc": {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if ours(v.get("Tags"))},
        "subnet": {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if ours(s.get("Tags"))},
        "instance": {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
                     if ours(i.get("Tags")) and i["State"]["Name"] != "terminated"},
        "security group": {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"] if ours(g.get("Tags"))},
        "route table": {t["RouteTableId"] for t in ec2.describe_route_tables()["RouteTables"] if ours(t.get("Tags"))},
        "internet gateway": {g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]
                             if ours(g.get("Tags"))},
        "NAT gateway": {n["NatGatewayId"] for n in ec2.describe_nat_gateways()["NatGateways"]
                        if ours(n.get("Tags")) and n["State"] not in ("deleted", "failed")},
        "Elastic IP": {a["AllocationId"] for a in ec2.describe_addresses()["Addresses"] if ours(a.get("Tags"))},
        "key pair": {k["KeyPairId"] for k in ec2.describe_key_pairs()["KeyPairs"] if ours(k.get("Tags"))},
        "load balancer": {lb["LoadBalancerArn"] for lb in elb.describe_load_balancers()["LoadBalancers"]
                          if ours(elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0].get("Tags"))},
        "database": {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"] if ours(d.get("TagList"))},
    }
    return {kind: ids for kind, ids in found.items() if ids}


def everything_in(port: int, vpcs: set[str]) -> set[str]:
    """Every NAT gateway, instance, subnet and Elastic IP in (or of a NAT gateway in) the VPCs, whatever its tags."""
    ec2 = client(port, "ec2")
    nats = [n for n in ec2.describe_nat_gateways()["NatGateways"] if n["VpcId"] in vpcs and n["State"] != "deleted"]
    return ({n["NatGatewayId"] for n in nats}
            | {a["AllocationId"] for n in nats for a in n.get("NatGatewayAddresses", []) if a.get("AllocationId")}
            | {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"] if s["VpcId"] in vpcs}
            | {i["InstanceId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]
               if i.get("VpcId") in vpcs and i["State"]["Name"] != "terminated"})


def addresses_not_of(port: int, cohort: str) -> set[str]:
    """Every Elastic IP in the account that is not tagged with ``cohort`` (a NAT gateway's address
    outlives its gateway, and then nothing says whose it was)."""
    return {a["AllocationId"] for a in client(port, "ec2").describe_addresses()["Addresses"]
            if {"Key": COHORT_TAG, "Value": cohort} not in a.get("Tags", [])}


class Child:
    """labctl in a child process (tests/killpoint.py), stopped at a chosen point and killed there."""

    def __init__(self, state_dir: Path, *argv: str):
        env = {**os.environ, "CLOUDLABS_STATE_DIR": str(state_dir)}
        self.proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "tests" / "killpoint.py"), *argv], cwd=REPO_ROOT,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def wait_until_stopped(self) -> str:
        """The barrier: the child says it stopped (a line), or it ended (then the test fails with its stderr)."""
        assert self.proc.stdout is not None
        while True:
            readable, _, _ = select.select([self.proc.stdout], [], [], BOUND)
            assert readable, "the child neither stopped nor ended"
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError(f"the child ended ({self.proc.wait()}) before its stop point:\n{self.proc.stderr.read()}")
            if line.startswith("STOPPED"):
                return line.strip()

    def kill(self) -> None:
        if self.proc.poll() is None:  # (a run that ended before its stop point has nothing to kill)
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(BOUND)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
