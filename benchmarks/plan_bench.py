"""Incremental plans (issue 17's figures that this session built): prints numbers, asserts nothing.

A cohort of N students of the heaviest lab: `labctl plan` cold (empty cache), again unchanged, and
after one student's stack file changed, each in a fresh process as an instructor runs it, with the
peak memory of the process tree. Targets from the issue: cold < 15 s, unchanged < 2 s.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def tree_rss(pid: int) -> int:
    """Resident memory of a process and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            total += int(Path(f"/proc/{current}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo.extend(children.get(current, []))
    return total


def run(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.2):
            peak = max(peak, tree_rss(proc.pid))
    sampler = threading.Thread(target=sample)
    sampler.start()
    proc.wait()
    done.set()
    sampler.join()
    return time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=250)
    parser.add_argument("--lab", default="vpc-peering")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        envs, cache = Path(tmp) / "environments", Path(tmp) / "cache"
        envs.mkdir()
        for seat in range(1, args.students + 1):
            config = {"aws:region": "us-east-1", "cloudlabs:cohort": "bench", "cloudlabs:student": f"s{seat:03d}",
                      "cloudlabs:seat": seat, "cloudlabs:labs": [{"lab": args.lab, "stage": "solution"}],
                      "cloudlabs:adminCidr": "203.0.113.0/24", "cloudlabs:keyName": "vockey",
                      "cloudlabs:expires": "2026-12-19"}
            (envs / f"Pulumi.bench-s{seat:03d}.yaml").write_text(yaml.safe_dump({"config": config}))
        env = {**os.environ, "CLOUDLABS_CACHE_DIR": str(cache)}
        plan = [sys.executable, "-m", "labctl", "plan", "--environments", str(envs), "--quiet"]
        cold, cold_peak = run(plan, env)
        warm, warm_peak = run(plan, env)
        first = envs / "Pulumi.bench-s001.yaml"
        doc = yaml.safe_load(first.read_text())
        doc["config"]["cloudlabs:adminCidr"] = "198.51.100.0/24"
        first.write_text(yaml.safe_dump(doc))
        one, _ = run(plan, env)
    mib = 2 ** 20
    print(f"{args.students} {args.lab} students, `labctl plan` with deploy-readiness validation, 2 cores:")
    print(f"  cold (empty caches):          {cold:6.1f} s, peak {cold_peak / mib:.0f} MiB (target < 15 s: "
          f"{'met' if cold < 15 else 'MISSED'})")
    print(f"  unchanged (served from cache): {warm:6.1f} s, peak {warm_peak / mib:.0f} MiB (target < 2 s: "
          f"{'met' if warm < 2 else 'MISSED'})")
    print(f"  one stack file changed:        {one:6.1f} s (that stack rendered, the others from the cache)")


if __name__ == "__main__":
    main()
