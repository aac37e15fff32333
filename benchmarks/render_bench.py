"""Renderer benchmark: prints numbers, asserts nothing (timings are not tests).

1. `labctl plan` of the demo cohorts, end to end as an instructor runs it (fresh process,
   imports included, default workers), median of several runs.
2. 50 stacks of vpc-nat (seats 1-50) rendered in one process: the first render pays the
   imports; the rest show the renderer's steady rate in resources per second.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def stack_config(seat: int, lab: str, stage: str) -> dict:
    return {
        "aws:region": "us-east-1",
        "cloudlabs:cohort": "bench",
        "cloudlabs:student": f"s{seat:03d}",
        "cloudlabs:seat": seat,
        "cloudlabs:labs": [{"lab": lab, "stage": stage}],
        "cloudlabs:adminCidr": "203.0.113.0/24",
        "cloudlabs:keyName": "vockey",
        "cloudlabs:expires": "2026-12-19",
    }


def bench_demo_plan(runs: int) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "labctl", "plan"], cwd=REPO, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    stacks = len(list((REPO / "environments").glob("Pulumi.*.yaml")))
    print(f"labctl plan of the demo cohorts ({stacks} stacks, fresh process): median {statistics.median(times):.2f} s "
          f"(min {min(times):.2f}, max {max(times):.2f}, {runs} runs)")


def bench_many(stacks: int, lab: str, stage: str) -> None:
    start = time.perf_counter()
    from cloudlabs.settings import parse_settings
    from labctl.offline.render import render
    imported = time.perf_counter()

    durations, resources = [], 0
    for seat in range(1, stacks + 1):
        cfg = stack_config(seat, lab, stage)
        t0 = time.perf_counter()
        settings = parse_settings(cfg, f"bench seat {seat}")
        graph = render(settings.stack_name, cfg, settings)
        durations.append(time.perf_counter() - t0)
        resources += len(graph.resources)
    total = time.perf_counter() - start
    steady = sum(durations[1:])
    per_stack = resources / stacks
    print(f"{stacks} stacks of {lab} ({stage}): {resources} resources ({per_stack:.0f} per stack incl. components)")
    print(f"  imports {imported - start:.2f} s, first render {durations[0]:.2f} s, "
          f"then {steady / (stacks - 1) * 1000:.0f} ms per stack")
    print(f"  total {total:.2f} s -> {resources / total:.0f} resources/s overall, "
          f"{(resources - per_stack) / steady:.0f} resources/s steady state")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--lab", default="vpc-nat")
    parser.add_argument("--stage", default="solution")
    parser.add_argument("--runs", type=int, default=5, help="runs of the demo plan")
    args = parser.parse_args()
    bench_demo_plan(args.runs)
    bench_many(args.stacks, args.lab, args.stage)


if __name__ == "__main__":
    main()
