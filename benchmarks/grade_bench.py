"""Grading benchmark: prints numbers, asserts nothing.

A 50-student vpc-nat cohort (starter) is synced, rendered and deployed on in-process moto;
every student then applies the book's fix by boto3 (NAT gateway, its route, web-dev's HTTP
rule), and `labctl grade` (the CLI, in this process, reading moto) grades the whole cohort and
writes the gradebook CSV. Printed: the time of each phase and the grades.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import tempfile
import time
from pathlib import Path

import boto3
from moto import mock_aws

from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.render import render_file
from labctl.ops import emulate


def fix(ec2, student: str) -> None:
    def one(kind: str, items: str, name: str) -> dict:
        found = getattr(ec2, f"describe_{kind}")(Filters=[{"Name": "tag:Name", "Values": [name]},
                                                          {"Name": "tag:cloudlabs:student", "Values": [student]}])[items]
        return found[0]
    public = one("subnets", "Subnets", "SN-A-01")
    nat = ec2.create_nat_gateway(SubnetId=public["SubnetId"],
                                 AllocationId=ec2.allocate_address(Domain="vpc")["AllocationId"])["NatGateway"]["NatGatewayId"]
    table = one("route_tables", "RouteTables", "VPC-A-RT-Private")
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    web, bastion = one("security_groups", "SecurityGroups", "web-dev-SG"), one("security_groups", "SecurityGroups", "bastion-SG")
    ec2.authorize_security_group_ingress(GroupId=web["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": bastion["GroupId"]}]}])


def main_bench() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, mock_aws():
        environments = Path(tmp) / "environments"
        environments.mkdir()
        roster = "".join(f"  - id: g{n:03d}\n" for n in range(1, args.students + 1))
        (environments / "grading.yaml").write_text(
            "cohort: grading\nregion: us-east-1\nadminCidr: 198.51.100.0/24\nexpires: 2026-12-19\nkeyName: vockey\n"
            f"labs:\n  - lab: vpc-nat\n    stage: starter\nroster:\n{roster}")
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["sync", "grading", "--environments", str(environments)]) == 0
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        ec2 = session.client("ec2")
        runners.make_live_client = lambda region, command, endpoint_url=None: session.client  # the CLI reads moto

        start = time.perf_counter()
        files = sorted(environments.glob("Pulumi.grading-*.yaml"))
        graphs = [render_file(f) for f in files]
        rendered = time.perf_counter()
        for graph in graphs:
            emulate.up(graph, session, Path(tmp) / "state")
        deployed = time.perf_counter()
        for n in range(1, args.students + 1):
            fix(ec2, f"g{n:03d}")
        fixed = time.perf_counter()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(["grade", "grading", "--environments", str(environments), "--csv", str(Path(tmp) / "grades.csv")])
        graded = time.perf_counter()
        rows = (Path(tmp) / "grades.csv").read_text().splitlines()[1:]
        complete = sum(1 for r in rows if ",yes," in r)
        print(f"{args.students} students of vpc-nat on the emulator (in-process moto):")
        print(f"  render {rendered - start:6.2f} s   emulated up {deployed - rendered:6.2f} s   "
              f"book's fix by boto3 {fixed - deployed:6.2f} s")
        print(f"  labctl grade (read {args.students} live networks, evaluate, CSV): {graded - fixed:.2f} s "
              f"({(graded - fixed) / args.students * 1000:.0f} ms per student); exit {code}; {complete}/{len(rows)} complete")


if __name__ == "__main__":
    main_bench()
