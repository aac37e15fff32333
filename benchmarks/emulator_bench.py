"""Wall time of emulated deployments on in-process moto: every demo stack up + destroy, a
50-student cohort of a network lab (demo-s01's graph replayed under 50 stack names) and a
50-student cohort of an application lab (50 students rendered, each with its own seat and names).
Prints numbers, asserts nothing.  ``--lab`` picks the application lab (default load-balancer)."""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import boto3
from moto import mock_aws

from cloudlabs.settings import parse_settings
from labctl.offline import render
from labctl.ops import emulate

STUDENTS = 50


def student_config(lab: str, n: int) -> dict:
    return {"aws:region": "us-east-1", "cloudlabs:cohort": "bench", "cloudlabs:student": f"u{n:03d}", "cloudlabs:seat": n,
            "cloudlabs:labs": [{"lab": lab}], "cloudlabs:adminCidr": "198.51.100.0/24", "cloudlabs:profile": "learner-lab",
            "cloudlabs:keyName": "vockey", "cloudlabs:instanceType": "t3.micro", "cloudlabs:expires": "2026-12-19"}


def cohort(aws, state: Path, graphs: list) -> tuple[float, float]:
    start = time.perf_counter()
    for graph in graphs:
        emulate.up(graph, aws, state)
    middle = time.perf_counter()
    for graph in graphs:
        emulate.destroy(graph.stack, aws, state)
    return middle - start, time.perf_counter() - middle


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", default="load-balancer", help="the application lab of the second cohort")
    args = parser.parse_args()
    with mock_aws():
        aws = emulate.Clients(boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"))
        state = Path(tempfile.mkdtemp())
        start = time.perf_counter()
        done = 0
        refused = []
        for path in sorted(render.ENVIRONMENTS.glob("Pulumi.*.yaml")):
            graph = render.render_file(path)
            if emulate.needs_docker_engine(graph) or emulate.unsupported_types(graph):
                refused.append(graph.stack)  # images need a Docker engine; moto lacks Beanstalk versions
                continue
            emulate.up(graph, aws, state)
            emulate.destroy(graph.stack, aws, state)
            done += 1
        print(f"demo stacks (render + up + destroy), {done} stacks: {time.perf_counter() - start:.2f} s"
              f" ({', '.join(refused)} refused by the emulator, not counted)")

        graph = render.render_file(render.ENVIRONMENTS / "Pulumi.demo-s01.yaml")
        up, down = cohort(aws, state, [dataclasses.replace(graph, stack=f"bench-{n:02d}") for n in range(STUDENTS)])
        print(f"{STUDENTS} students x {sum(r.custom for r in graph.resources)} resources (demo-s01): up {up:.2f} s, destroy {down:.2f} s")

        start = time.perf_counter()
        graphs = []
        for n in range(1, STUDENTS + 1):
            config = student_config(args.lab, n)
            settings = parse_settings(config, f"bench-u{n:03d}")
            graphs.append(render.render(settings.stack_name, config, settings))
        rendered = time.perf_counter() - start
        up, down = cohort(aws, state, graphs)
        print(f"{STUDENTS} students x {sum(r.custom for r in graphs[0].resources)} resources ({args.lab}): "
              f"up {up:.2f} s, destroy {down:.2f} s, up + destroy {up + down:.2f} s (render {rendered:.2f} s, not included)")


if __name__ == "__main__":
    main()
