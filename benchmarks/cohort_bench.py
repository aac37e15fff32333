"""Cohort benchmark: prints numbers, asserts nothing.

Writes a 50-student cohort (vpc-nat) into a temporary environments directory, syncs it, then
times `labctl plan <cohort>` end to end (a fresh process, as an instructor runs it) with 1 and
with 2 worker processes, and samples the memory of the whole process tree (parent + workers).
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

REPO = Path(__file__).resolve().parent.parent
PAGE = os.sysconf("SC_PAGE_SIZE")


def cohort_text(students: int, lab: str) -> str:
    roster = "".join(f"  - id: u{n:03d}\n" for n in range(1, students + 1))
    return (f"cohort: bench\nregion: us-east-1\nadminCidr: 198.51.100.0/24\nexpires: 2026-12-19\nkeyName: vockey\n"
            f"labs:\n  - lab: {lab}\nroster:\n{roster}")


def tree_rss(root: int) -> int:
    """Resident memory of a process and all its descendants, in bytes."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except OSError:
            pass
        todo.extend(children.get(pid, []))
    return total


def run_measured(cmd: list[str], cwd: Path) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, tree_rss(proc.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {err.decode()}")
    return elapsed, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--lab", default="vpc-nat")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        envs = Path(tmp)
        (envs / "bench.yaml").write_text(cohort_text(args.students, args.lab))
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "labctl", "sync", "bench", "--environments", str(envs)], cwd=REPO,
                       check=True, stdout=subprocess.DEVNULL)
        print(f"sync of {args.students} students: {time.perf_counter() - start:.2f} s (fresh process)")
        for jobs in (1, 2):
            times, peaks = [], []
            for _ in range(args.runs):
                elapsed, peak = run_measured([sys.executable, "-m", "labctl", "plan", "bench", "--environments", str(envs),
                                              "--quiet", "--jobs", str(jobs)], REPO)
                times.append(elapsed)
                peaks.append(peak)
            times.sort()
            print(f"plan of {args.students} {args.lab} stacks, {jobs} worker(s): median {times[len(times) // 2]:.2f} s "
                  f"(min {times[0]:.2f}), peak memory {max(peaks) / 2**20:.0f} MiB (all processes)")
        elapsed, peak = run_measured([sys.executable, "-m", "labctl", "check", "bench", "--environments", str(envs)], REPO)
        print(f"check of {args.students} {args.lab} stacks (render + every expected path), 2 workers: {elapsed:.2f} s, "
              f"peak memory {peak / 2**20:.0f} MiB")
        bench_evaluation(envs)


def bench_evaluation(envs: Path) -> None:
    """The evaluator alone, on graphs already rendered."""
    from labctl.analysis.batch import render_files
    from labctl.analysis.check import check_graph
    from labctl.offline.render import stack_files
    graphs = [r.graph for r in render_files(stack_files([envs]), jobs=2)]
    start = time.perf_counter()
    paths = sum(len(check_graph(g)) for g in graphs)
    elapsed = time.perf_counter() - start
    print(f"evaluation only: {paths} paths in {len(graphs)} stacks in {elapsed * 1000:.0f} ms "
          f"({elapsed / paths * 1e6:.0f} µs per path)")


if __name__ == "__main__":
    main()
