"""Review benchmark: prints numbers, asserts nothing.

What a pull request's review costs for a big class: a clone of this checkout gets a synthetic cohort
of N vpc-nat students (default 250) at the starter, committed as the base; the head moves them to
the solution (the issue's example: web-dev is replaced on every stack). Then ``scripts/plan-diff``
plans the base and the head of every stack in ``environments/``, validates, diffs and writes the
review comment, as the workflow does, three times in one run:

- cold: an empty graph cache (the workflow's first run, or the old workflow, which planned the base
  in a worktree with a cache of its own every time);
- warm: the cache the cold run left (the next push of the same pull request);
- one lab changed: the head also changes one lab's module (ssh-access) after a warm run: with the
  per-lab keys only the stacks of that lab and the labs that import it are rendered again.

Per run: wall seconds, the comment's size against GitHub's limit, and the report's size.

    python benchmarks/review_bench.py                # 250 students
    python benchmarks/review_bench.py --students 30
    python benchmarks/review_bench.py --compare 5276d57   # that revision's scripts/plan-diff first, same cohort
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def cohort_file(students: int, stage: str, sessions: bool) -> str:
    lines = ["cohort: bench", "region: us-east-1", "profile: learner-lab", "adminCidr: 203.0.113.0/24",
             "expires: 2026-12-19", "keyName: vockey", "instanceType: t3.micro"]
    lines += ["sessionHours: 3", "sessions: 12"] if sessions else []  # an older revision knows neither
    lines += ["labs:", "  - lab: vpc-nat", f"    stage: {stage}", "roster:"]
    lines += [f"  - id: b{n:03d}" for n in range(1, students + 1)]
    return "\n".join(lines) + "\n"


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)


def review(clone: Path, env: dict[str, str], label: str, limit: int) -> None:
    start = time.perf_counter()
    result = run(["scripts/plan-diff", "HEAD", "out"], clone, env)
    seconds = time.perf_counter() - start
    comment = clone / "out" / "comment.md"
    report = clone / "out" / "report.md"
    size = len(comment.read_text()) if comment.exists() else -1
    full = len(report.read_text()) if report.exists() else -1
    first = result.stdout.splitlines()[0] if result.stdout else (result.stderr.strip().splitlines() or [""])[-1]
    print(f"{label:<18} {seconds:7.1f} s   exit {result.returncode}   comment {size:>6} chars (limit {limit})   "
          f"report {full:>7} chars   {first}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=250)
    parser.add_argument("--compare", metavar="REV", help="first the same runs with this revision's program and plan-diff")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from labctl.analysis.review import GITHUB_LIMIT

    for revision in ([args.compare] if args.compare else []) + ["HEAD"]:
        print(f"--- {revision} ---")
        bench(revision, args.students, GITHUB_LIMIT)
    return 0


def bench(revision: str, students: int, limit: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        subprocess.run(["git", "checkout", "--quiet", "--detach", revision], cwd=clone, check=True)
        env = {**os.environ, "CLOUDLABS_VENV": str(Path(sys.prefix)), "CLOUDLABS_CACHE_DIR": str(Path(tmp) / "cache")}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        python = sys.executable
        cohort = clone / "environments" / "bench.yaml"
        sessions = "sessionHours" in (clone / "cloudlabs" / "cohort.py").read_text()
        cohort.write_text(cohort_file(students, "starter", sessions))
        subprocess.run([python, "-m", "labctl", "sync", "bench"], cwd=clone, check=True, capture_output=True)
        for command in (["git", "add", "-A"], ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
                                                 "commit", "--quiet", "-m", "base: the cohort at the starter"]):
            subprocess.run(command, cwd=clone, check=True)
        cohort.write_text(cohort_file(students, "solution", sessions))
        subprocess.run([python, "-m", "labctl", "sync", "bench"], cwd=clone, check=True, capture_output=True)
        stacks = len(list((clone / "environments").glob("Pulumi.*.yaml")))
        print(f"review of {stacks} stacks ({students} vpc-nat students starter -> solution, "
              f"and the {stacks - students} demo stacks), {os.cpu_count()} cores")
        review(clone, env, "cold cache", limit)
        review(clone, env, "warm cache", limit)
        module = clone / "components" / "labs" / "ssh_access.py"
        module.write_text(module.read_text() + "\n# a change to one lab\n")
        review(clone, env, "one lab changed", limit)


if __name__ == "__main__":
    raise SystemExit(main())
