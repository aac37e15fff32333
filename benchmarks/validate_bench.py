"""What deploy-readiness validation adds to planning a cohort (target: under 10 s for 250 students
of the heaviest lab on 2 cores). Prints numbers, asserts nothing.

1. Render a cohort once (not timed against the target: that is the plan itself).
2. Validate every graph as `labctl plan` does (one validator per worker: each distinct template
   shape is linted once), timed in one process, cfn-lint's import and rule loading included.
3. For scale: linting every template (no shape sharing), measured on a sample and extrapolated.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml

from labctl.analysis.batch import render_files
from labctl.analysis.cfn import translate
from labctl.analysis.validation import Validator, _lint


def write_cohort(directory: Path, students: int, lab: str) -> list[Path]:
    files = []
    for seat in range(1, students + 1):
        config = {"aws:region": "us-east-1", "cloudlabs:cohort": "bench", "cloudlabs:student": f"s{seat:03d}",
                  "cloudlabs:seat": seat, "cloudlabs:labs": [{"lab": lab, "stage": "solution"}],
                  "cloudlabs:adminCidr": "203.0.113.0/24", "cloudlabs:keyName": "vockey", "cloudlabs:expires": "2026-12-19"}
        path = directory / f"Pulumi.bench-s{seat:03d}.yaml"
        path.write_text(yaml.safe_dump({"config": config}))
        files.append(path)
    return files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--students", type=int, default=250)
    parser.add_argument("--lab", default="vpc-peering")
    parser.add_argument("--sample", type=int, default=5, help="templates linted one by one for the naive figure")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = write_cohort(Path(tmp), args.students, args.lab)
        start = time.perf_counter()
        graphs = [r.graph for r in render_files(files, jobs=2) if r.graph is not None]
        rendered = time.perf_counter() - start
    resources = sum(len(g.custom_resources) for g in graphs)
    print(f"rendered {len(graphs)} {args.lab} stacks ({resources} resources) in {rendered:.1f} s (2 workers; the plan itself)")

    start = time.perf_counter()
    validator = Validator()
    results = [validator.validate(g) for g in graphs]
    validated = time.perf_counter() - start
    ready = sum(1 for r in results if r.ready)
    print(f"validation of {len(graphs)} stacks: {validated:.2f} s in one process "
          f"({validator.lints} cfn-lint run(s) for {len(graphs)} templates; {ready} deploy-ready) "
          f"-> target < 10 s: {'met' if validated < 10 else 'MISSED'}")
    print(f"  with 2 workers each validating its share (as labctl plan does): at most {validated:.2f} s added, "
          f"{min(2, len(graphs))} lint runs")

    start = time.perf_counter()
    for g in graphs[: args.sample]:
        _lint(translate(g).template, "us-east-1")
    per = (time.perf_counter() - start) / max(1, min(args.sample, len(graphs)))
    print(f"without shape sharing: {per:.2f} s per template -> {per * len(graphs):.0f} s for {len(graphs)} stacks")


if __name__ == "__main__":
    main()
