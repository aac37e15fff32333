"""Issue 17's plan and review figures: prints numbers, asserts nothing.

A cohort of N students of the heaviest lab: `labctl plan` cold (empty cache), again unchanged, and
after one student's stack file changed, each in a fresh process as an instructor runs it, with the
peak memory of the process tree and its CPU time. Then the review: `scripts/plan-diff` (base plan,
head plan with validation, validate, diff) in a throw-away clone of this repository's HEAD whose
environments/ hold the same cohort (committed as the base; the head changes one stack file), with
the graph cache shared by base and head as CI shares it: once with an empty cache, once warm.
Targets from the issue: cold < 15 s on 2 cores, unchanged < 2 s, review < 30 s.

The machine may be shared: each line also gives the CPU seconds our processes used and the CPU
seconds other processes took meanwhile (from /proc/stat), so a busy machine shows as such.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
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


def machine_busy() -> float:
    """CPU seconds every process on the machine has used (user + nice + system), from /proc/stat."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return (int(fields[0]) + int(fields[1]) + int(fields[2])) / os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # waited-for children and their children
    return usage.ru_utime + usage.ru_stime


class Run:
    def __init__(self, wall: float, peak: int, cpu: float, others: float):
        self.wall, self.peak, self.cpu, self.others = wall, peak, cpu, others

    def line(self, target: float | None = None) -> str:
        verdict = "" if target is None else f" (target < {target:g} s: {'met' if self.wall < target else 'MISSED'})"
        return (f"{self.wall:6.1f} s{verdict}, peak {self.peak / 2 ** 20:.0f} MiB, our CPU {self.cpu:.1f} s, "
                f"other processes {max(0.0, self.others):.1f} CPU s meanwhile")


def run(argv: list[str], env: dict[str, str], cwd: Path = REPO) -> Run:
    busy, cpu = machine_busy(), children_cpu()
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    wall = time.perf_counter() - start
    ours = children_cpu() - cpu
    return Run(wall, peak, ours, machine_busy() - busy - ours)


def stack_doc(seat: int, lab: str) -> dict:
    return {"config": {"aws:region": "us-east-1", "cloudlabs:cohort": "bench", "cloudlabs:student": f"s{seat:03d}",
                       "cloudlabs:seat": seat, "cloudlabs:labs": [{"lab": lab, "stage": "solution"}],
                       "cloudlabs:adminCidr": "203.0.113.0/24", "cloudlabs:keyName": "vockey",
                       "cloudlabs:expires": "2026-12-19"}}


def change_admin_cidr(path: Path, cidr: str) -> None:
    doc = yaml.safe_load(path.read_text())
    doc["config"]["cloudlabs:adminCidr"] = cidr
    path.write_text(yaml.safe_dump(doc))


def shim_venv(where: Path, repo: Path) -> Path:
    """A virtualenv that is this interpreter's (its site-packages linked, not copied) with the
    stamp ./dev expects for ``repo``'s pins, so scripts/plan-diff's ./dev never installs anything."""
    site = Path(next(p for p in sys.path if p.endswith("site-packages") and p.startswith(sys.prefix)))
    (where / "bin").mkdir(parents=True)
    (where / "bin" / "python").symlink_to(sys._base_executable)  # type: ignore[attr-defined]
    (where / site.relative_to(sys.prefix)).parent.mkdir(parents=True)
    (where / site.relative_to(sys.prefix)).symlink_to(site)
    shutil.copy(Path(sys.prefix) / "pyvenv.cfg", where / "pyvenv.cfg")
    pins = b"".join((repo / name).read_bytes() for name in ("pyproject.toml", "requirements.txt", "requirements-dev.txt"))
    (where / ".requirements.sha256").write_text(hashlib.sha256(pins).hexdigest() + "\n")
    return where


def bench_review(tmp: Path, students: int, lab: str) -> tuple[Run, Run, int]:
    """scripts/plan-diff on a clone of HEAD with the cohort committed as the base and one stack
    file changed in the working tree: with an empty shared cache, then warm (another stack changed)."""
    clone = tmp / "repo"
    subprocess.run(["git", "clone", "--quiet", "--shared", str(REPO), str(clone)], check=True)
    envs = clone / "environments"
    for seat in range(1, students + 1):
        (envs / f"Pulumi.bench-s{seat:03d}.yaml").write_text(yaml.safe_dump(stack_doc(seat, lab)))
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(git + ["add", "environments"], cwd=clone, check=True)
    subprocess.run(git + ["commit", "--quiet", "-m", "bench cohort"], cwd=clone, check=True)
    stacks = len(list(envs.glob("Pulumi.*.yaml")))
    env = {**os.environ, "CLOUDLABS_CACHE_DIR": str(tmp / "review-cache"),
           "CLOUDLABS_VENV": str(shim_venv(tmp / "venv", clone))}
    review = ["scripts/plan-diff", "HEAD", str(tmp / "review")]
    change_admin_cidr(envs / "Pulumi.bench-s001.yaml", "198.51.100.0/24")
    cold = run(review, env, cwd=clone)
    change_admin_cidr(envs / "Pulumi.bench-s002.yaml", "198.51.100.0/24")
    warm = run(review, env, cwd=clone)
    if not (tmp / "review" / "diff.md").is_file():
        print("  note: scripts/plan-diff wrote no diff.md; see the logs in its output directory", file=sys.stderr)
    return cold, warm, stacks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=250)
    parser.add_argument("--lab", default="vpc-peering")
    parser.add_argument("--no-review", action="store_true", help="skip the scripts/plan-diff figures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        envs, cache = Path(tmp) / "environments", Path(tmp) / "cache"
        envs.mkdir()
        for seat in range(1, args.students + 1):
            (envs / f"Pulumi.bench-s{seat:03d}.yaml").write_text(yaml.safe_dump(stack_doc(seat, args.lab)))
        env = {**os.environ, "CLOUDLABS_CACHE_DIR": str(cache)}
        plan = [sys.executable, "-m", "labctl", "plan", "--environments", str(envs), "--quiet"]
        cold = run(plan, env)
        warm = run(plan, env)
        change_admin_cidr(envs / "Pulumi.bench-s001.yaml", "198.51.100.0/24")
        one = run(plan, env)
        review = None if args.no_review else bench_review(Path(tmp), args.students, args.lab)
    print(f"{args.students} {args.lab} students, `labctl plan` with deploy-readiness validation, "
          f"{os.cpu_count()} cores:")
    print(f"  cold (empty caches):           {cold.line(15)}")
    print(f"  unchanged (served from cache): {warm.line(2)}")
    print(f"  one stack file changed:        {one.line()}")
    if review is not None:
        cold_review, warm_review, stacks = review
        print(f"scripts/plan-diff HEAD (base + head + validate + diff), {stacks} stacks ({args.students} "
              f"{args.lab} + the demo stacks), one stack file changed, shared graph cache:")
        print(f"  empty cache (base renders every stack; head reuses all but the changed one): "
              f"{cold_review.line(30)}")
        print(f"  warm cache (another stack file changed):                                      "
              f"{warm_review.line(30)}")


if __name__ == "__main__":
    main()
