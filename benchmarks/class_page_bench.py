"""Class page benchmark (labctl report): prints numbers, asserts nothing.

1. End to end on the sandbox: a synthetic cohort of N students (a Learner Lab class, each student in their own account: most on vpc-nat solution, every
   fifth on ec2-webserver, every seventh on vpc-nat starter) is written, synced and brought up on one
   served sandbox (tests/sandboxes.py), graded and checked for drift (--json), then `labctl report`
   writes its page; timed per command, with the page's size. ``--screenshot FILE`` saves the page as
   Debian's chromium shows it.
2. The page alone at class sizes (default 250): the template rendered from synthetic rows (the
   cohort's diagrams included), its size and time, and how long chromium takes to load it from
   file:// (navigation start to the load event, the median of five loads).

    python benchmarks/class_page_bench.py                          # 30 end to end; 30, 100 and 250 page-only
    python benchmarks/class_page_bench.py --students 30 --screenshot /tmp/class-page.png
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent.parent))

from labctl.analysis.class_page import ClassPage, StudentRow, render_page  # noqa: E402

COHORT = "pagebench"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def cohort_file(n: int) -> str:
    def entry(i: int) -> str:
        if i % 5 == 0:
            return f"  - id: s{i:03d}\n    labs:\n      - lab: ec2-webserver\n"
        if i % 7 == 0:
            return f"  - id: s{i:03d}\n    labs:\n      - lab: vpc-nat\n        stage: starter\n"
        return f"  - id: s{i:03d}\n"
    return (f"cohort: {COHORT}\nregion: us-east-1\nprofile: learner-lab\nadminCidr: 198.51.100.0/24\nexpires: 2026-12-19\n"
            "keyName: vockey\n"
            f"instanceType: t3.micro\nlabs:\n  - lab: vpc-nat\n    stage: solution\nroster:\n"
            + "".join(entry(i) for i in range(1, n + 1)))


def timed(argv: list[str]) -> tuple[int, float]:
    from labctl.cli.main import main
    started = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    if code:  # what the command said, in short: a benchmark of a failing run is no benchmark
        print("\n".join(("    | " + line) for line in (out.getvalue() + err.getvalue()).strip().splitlines()[-6:]))
    return code, time.perf_counter() - started


def end_to_end(n: int, root: Path, screenshot: Path | None) -> Path:
    from labctl.cli import runners
    from labctl.ops.sandbox import Store
    from tests.sandboxes import served
    env = root / "environments"
    env.mkdir()
    (env / f"{COHORT}.yaml").write_text(cohort_file(n))
    runners.STATE_DIR = root / "state"
    where = ["--environments", str(env)]
    print(f"end to end, {n} students, one served sandbox:")
    with served(Store(root / "state" / "sandbox")):
        later = (datetime.now(timezone.utc) + timedelta(hours=3)).isoformat()
        for name, argv in (("sync", ["sync", COHORT, *where]),
                           ("up", ["up", COHORT, *where, "--emulate"]),
                           ("grade --json", ["grade", COHORT, *where, "--emulate", "--json", str(root / "grades.json")]),
                           ("drift --json", ["drift", COHORT, *where, "--emulate", "--json", str(root / "drift.json")]),
                           ("spend", ["spend", COHORT, *where, "--emulate", "--now", later]),
                           ("report", ["report", COHORT, *where, "--emulate", "--now", later, "--html", str(root / "site"),
                                       "--grades", str(root / "grades.json"), "--drift", str(root / "drift.json")])):
            code, seconds = timed(argv)
            print(f"  {name:<14} exit {code}  {seconds:6.1f} s")
    page = root / "site" / "index.html"
    print(f"  page: {page.stat().st_size / 1024:.0f} KiB")
    if screenshot is not None:
        load_times(page, 1, screenshot)
        print(f"  screenshot: {screenshot}")
    return page


def synthetic(n: int, diagrams: list) -> ClassPage:
    now = datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)
    rows = [StudentRow(f"s{i:03d}", f"{COHORT}-s{i:03d}", "vpc-nat (solution)", i % 9 != 0, 14, f"complete {i % 9}/8",
                       "complete" if i % 3 else "incomplete", "none" if i % 4 else "1 added by hand, 0 missing from AWS",
                       "none" if i % 4 else "drift", 0.013 * i, 0.02 * i, date(2026, 12, 19), False, f"../cards/s{i:03d}.html",
                       i % 2 == 0)
            for i in range(1, n + 1)]
    return ClassPage(COHORT, now, now + timedelta(hours=4), rows, diagrams, "grades.json", "drift.json")


def load_times(page: Path, runs: int, screenshot: Path | None = None) -> list[float]:
    from playwright.sync_api import sync_playwright
    times = []
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS,
                                                       headless=True, viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        for _ in range(runs):
            tab.goto(page.as_uri(), wait_until="load")
            times.append(tab.evaluate("() => { const t = performance.getEntriesByType('navigation')[0]; "
                                      "return t.loadEventEnd - t.startTime; }"))
        if screenshot is not None:
            tab.screenshot(path=str(screenshot), full_page=True)
        context.close()
    return times


def page_only(sizes: list[int], diagrams: list, root: Path) -> None:
    print("the page alone (template + browser load):")
    for n in sizes:
        page = synthetic(n, diagrams)
        started = time.perf_counter()
        text = render_page(page)
        seconds = time.perf_counter() - started
        path = root / f"page-{n}.html"
        path.write_text(text)
        loads = load_times(path, 5) if Path("/usr/bin/chromium").exists() else []
        load = f"{statistics.median(loads):.0f} ms" if loads else "no chromium"
        print(f"  {n:>4} students: {len(text) / 1024:6.0f} KiB, rendered in {seconds * 1000:5.0f} ms, chromium load {load}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=30, help="end-to-end cohort size (0: skip; default 30)")
    parser.add_argument("--sizes", default="30,100,250", help="page-only sizes, comma-separated (default 30,100,250)")
    parser.add_argument("--screenshot", type=Path, help="save the end-to-end page as chromium shows it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        diagrams = []
        if args.students:
            (root / "e2e").mkdir()
            end_to_end(args.students, root / "e2e", args.screenshot)
            from labctl.cli import report
            from cloudlabs.cohort import load_cohort
            cohort = load_cohort(root / "e2e" / "environments" / f"{COHORT}.yaml")
            with contextlib.redirect_stderr(io.StringIO()):
                diagrams = report._diagrams(cohort, report._stack_settings(cohort))
        page_only([int(x) for x in args.sizes.split(",") if x], diagrams, root)


if __name__ == "__main__":
    main()
