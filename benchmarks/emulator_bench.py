"""Wall time of emulated deployments on in-process moto: every supported demo stack up + destroy,
and a 50-student cohort (demo-s01's graph replayed 50 times under 50 stack names)."""

from __future__ import annotations

import dataclasses
import tempfile
import time
from pathlib import Path

import boto3
from moto import mock_aws

from labctl.ops import emulate
from labctl.offline.render import ENVIRONMENTS, render_file


def main() -> None:
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        state = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        done = 0
        for path in sorted(ENVIRONMENTS.glob("Pulumi.*.yaml")):
            graph = render_file(path)
            if emulate.unsupported_types(graph):
                continue
            emulate.up(graph, ec2, state)
            emulate.destroy(graph.stack, ec2, state)
            done += 1
        print(f"demo stacks (render + up + destroy), {done} supported stacks: {time.perf_counter() - start:.2f} s")

        graph = render_file(ENVIRONMENTS / "Pulumi.demo-s01.yaml")
        start = time.perf_counter()
        for n in range(50):
            emulate.up(dataclasses.replace(graph, stack=f"bench-{n:02d}"), ec2, state)
        middle = time.perf_counter()
        for n in range(50):
            emulate.destroy(f"bench-{n:02d}", ec2, state)
        end = time.perf_counter()
        print(f"50 students x {sum(r.custom for r in graph.resources)} resources: up {middle - start:.2f} s, destroy {end - middle:.2f} s")


if __name__ == "__main__":
    main()
