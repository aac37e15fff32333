"""Class-size benchmark: prints numbers, asserts nothing.

A synthetic cohort of N vpc-nat students (stage solution, profile sandbox: an instructor-controlled
shared account) is written and synced in a temporary directory, then run through the CLI as an
instructor runs a session on the sandbox: plan, up, grade, drift, grade of one student, destroy and
sweep (each with --emulate but plan), each command on its own. In-process, every command builds its
account as the CLI does (replaying the store); served, all of them run against one served sandbox
(tests/sandboxes.py, a thread of the same process).

Each size and mode runs in a fresh child process (this script with ``--one N MODE --root PATH``),
so the memory of one does not carry into the next. Per command: wall seconds, exit code, the
failures the command reports (stacks not deploy-ready, failed or not started; students incomplete
or not read; stacks drifted or not read; resources left; "-" when its output says nothing parseable,
then the exit code is all there is) and the peak RSS of the process during the command (VmHWM, reset
before each command through /proc/self/clear_refs; "-" where Linux does not allow it; served, the
sandbox's thread counts too), with how far it rose above the RSS the command started with (memory a
process once held is seldom given back, so a peak is never below what earlier commands left). A last
row per run gives the child's whole wall time, its ru_maxrss and the peak RSS of the render workers
it started (RUSAGE_CHILDREN: plan, up and drift render in worker processes, which no per-command
figure sees).

    python benchmarks/class_bench.py                       # 50, 100, 250 students, in-process and served
    python benchmarks/class_bench.py --sizes 5 --modes served
    python benchmarks/class_bench.py --checkout ../old     # another checkout's labctl, run by this script
    python benchmarks/class_bench.py --compare ../old      # that one, then this one, with new/old ratios

``--tracemalloc`` adds the peak of Python's own allocations per command (tracemalloc, reset before
each); it makes every command several times slower (plan of 5 students: 4.6 s -> 35 s; the render
workers forked from the child trace too), so its times are not comparable with a run without it.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
REPO = HERE.parent.parent
sys.path.insert(0, str(REPO))  # the parent imports nothing of the project; a child puts its --root first

COHORT = "bench"
MODES = ("in-process", "served")
ROW = "CLASS-BENCH-ROW "  # how a child hands a row to its parent (one JSON document a line)
WHOLE = "(whole run)"
MIB = 1024 * 1024


# ---------------------------------------------------------------- the child: one size, one mode

def cohort_file(n: int) -> str:
    roster = "".join(f"  - id: s{i:03d}\n" for i in range(1, n + 1))
    return (f"cohort: {COHORT}\nregion: us-east-1\nprofile: sandbox\nadminCidr: 198.51.100.0/24\nexpires: 2026-12-19\n"
            f"keyName: vockey\ninstanceType: t3.micro\nlabs:\n  - lab: vpc-nat\n    stage: solution\nroster:\n{roster}")


def commands(environments: Path, parallel: int | None) -> list[tuple[str, list[str]]]:
    where = ["--environments", str(environments)]
    fleet = ["--parallel", str(parallel)] if parallel else []
    return [("plan", ["plan", COHORT, *where]),
            ("up", ["up", COHORT, *where, "--emulate", *fleet]),
            ("grade", ["grade", COHORT, *where, "--emulate"]),
            ("drift", ["drift", COHORT, *where, "--emulate"]),
            ("grade 1 student", ["grade", COHORT, *where, "--emulate", "--students", "s001"]),
            ("destroy", ["destroy", COHORT, *where, "--emulate", *fleet]),
            ("sweep", ["sweep", COHORT, *where, "--emulate"])]


def reset_rss_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS (Linux 4.0+)
        return True
    except OSError:
        return False


def rss(field: str = "VmHWM") -> int | None:
    """The process's peak RSS (VmHWM) or its RSS now (VmRSS), in bytes."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) * 1024
    return None


def failures_of(command: str, stdout: str, stderr: str) -> tuple[int | None, str]:
    """What the command itself reports as not done: (count, detail); None when its output says nothing parseable."""
    text = stdout + "\n" + stderr
    failed_lines = len(re.findall(r"^FAILED ", text, re.MULTILINE))
    if command in ("up", "destroy"):
        nothing = re.search(r"nothing sent: (\d+) of (\d+) stacks are not deploy-ready", text)
        if nothing:
            return int(nothing.group(2)), f"nothing sent: {nothing.group(1)} of {nothing.group(2)} not deploy-ready"
        title = re.search(rf"^{command}: (.+?)\s*$", stdout, re.MULTILINE)
        if title:
            counts = {status.strip(): int(k) for k, status in re.findall(r"(\d+) ([a-z][a-z ]*?)(?=,|$)", title.group(1))}
            if counts:
                bad = {s: k for s, k in counts.items() if s not in ("succeeded", "skipped")}
                return sum(bad.values()), ", ".join(f"{k} {s}" for s, k in counts.items())
    elif command.startswith("grade"):
        title = re.search(r"Grades at stage \S+: (\d+) of (\d+) students complete", stdout)
        if title:
            done, total = int(title.group(1)), int(title.group(2))
            unread = len(re.findall(r"\bNOT READ\b", stdout))
            return total - done, f"{done} of {total} complete" + (f", {unread} not read" if unread else "")
    elif command == "drift":
        clean = len(re.findall(r"^\S+: no drift$", stdout, re.MULTILINE))
        drifted = len(re.findall(r"^\S+: \d+ added by hand, \d+ missing or changed$", stdout, re.MULTILINE))
        if clean or drifted or failed_lines:
            return drifted + failed_lines, f"{clean} clean, {drifted} drifted, {failed_lines} not read"
    elif command == "sweep":
        unscanned = len(re.findall(r"^labctl: could not scan ", stderr, re.MULTILINE))
        left = re.search(r"Left of cohort \S+ in \S+: (\d+)", stdout)
        if left:
            return int(left.group(1)) + unscanned, f"{left.group(1)} resources left, {unscanned} kinds not scanned"
        if "nothing left" in stdout:
            return unscanned, "nothing left" + (f", {unscanned} kinds not scanned" if unscanned else "")
    elif command == "plan":
        footer = re.findall(r"│\s*(\d+) stacks?\s*│.*│\s*(\d+) of (\d+)\s*│\s*$", stdout, re.MULTILINE)  # the overview's
        ready = footer[-1][1:] if footer else None
        if ready:
            not_ready = int(ready[1]) - int(ready[0])
            return not_ready + failed_lines, f"{ready[0]} of {ready[1]} deploy-ready, {failed_lines} failed"
        if failed_lines:
            return failed_lines, f"{failed_lines} failed"
    return None, ""


def measure(main: Any, command: str, argv: list[str], trace: bool) -> dict:
    out, err = io.StringIO(), io.StringIO()
    if trace:
        tracemalloc.reset_peak()
    resettable = reset_rss_peak()
    rss_start = rss("VmRSS")
    raised = None
    start = time.perf_counter()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    except KeyboardInterrupt:
        raise
    except SystemExit as exc:  # argparse refusing an option an older checkout lacks
        code = exc.code if isinstance(exc.code, int) else 2
        raised = f"SystemExit: {err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else exc.code}"
    except BaseException as exc:  # noqa: BLE001 - reported as the command's row
        code, raised = None, f"{type(exc).__name__}: {exc}"
    wall = time.perf_counter() - start
    failures, detail = failures_of(command, out.getvalue(), err.getvalue())
    if raised:
        detail = raised
    elif failures is None and code not in (0, None):
        lines = [line for line in err.getvalue().splitlines() if line.strip()]
        detail = lines[-1][:160] if lines else ""
    return {"command": command, "wall": wall, "exit": code, "failures": failures, "detail": detail,
            "py_peak": tracemalloc.get_traced_memory()[1] if trace else None,
            "rss_peak": rss() if resettable else None, "rss_start": rss_start}


def emit(row: dict) -> None:
    print(ROW + json.dumps(row), flush=True)


def child(n: int, mode: str, root: Path, parallel: int | None, trace: bool) -> int:
    """One size and one mode, in this (fresh) process: a row a command, then the process's figures."""
    if root != REPO:
        sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() not in (REPO, HERE.parent)]
    sys.path.insert(0, str(root))
    os.chdir(root)
    code = 0
    with tempfile.TemporaryDirectory(prefix="class-bench-") as tmp:
        os.environ["CLOUDLABS_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ["CLOUDLABS_STATE_DIR"] = str(Path(tmp) / "state")
        try:
            import cloudlabs
            import labctl
            import tests.sandboxes
            from labctl.cli import runners
            from labctl.cli.main import main
            from labctl.ops.sandbox import Store
            from tests.sandboxes import served
        except Exception as exc:  # noqa: BLE001 - an older checkout that lacks something
            emit({"command": "import", "wall": 0.0, "exit": None, "failures": None, "detail": f"{type(exc).__name__}: {exc}"})
            return 1
        for module in (labctl, cloudlabs, tests.sandboxes):  # never this checkout's code for another's
            if not Path(module.__file__).resolve().is_relative_to(root):
                emit({"command": "import", "wall": 0.0, "exit": None, "failures": None,
                      "detail": f"{module.__name__} imported from {module.__file__}, not from {root}"})
                return 1
        runners.STATE_DIR = Path(tmp) / "state"
        environments = Path(tmp) / "environments"
        environments.mkdir()
        (environments / f"{COHORT}.yaml").write_text(cohort_file(n))
        if trace:
            tracemalloc.start()
        sync = measure(main, "sync", ["sync", COHORT, "--environments", str(environments)], trace)
        emit(sync)
        if sync["exit"] != 0:
            return 1
        sandbox: Any = served(Store(runners.STATE_DIR / "sandbox")) if mode == "served" else contextlib.nullcontext()
        try:
            with sandbox:
                for command, argv in commands(environments, parallel):
                    row = measure(main, command, argv, trace)
                    emit(row)
                    if row["exit"] == 130:  # labctl took the Ctrl-C itself
                        return 130
                    if row["exit"] != 0:
                        code = 1
        except KeyboardInterrupt:
            return 130
        except Exception as exc:  # noqa: BLE001 - the served sandbox did not start (or stop)
            emit({"command": "serve", "wall": 0.0, "exit": None, "failures": None, "detail": f"{type(exc).__name__}: {exc}"})
            return 1
    return code


def child_totals() -> dict:
    return {"maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "children_maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024}


# ---------------------------------------------------------------- the parent: every size and mode

class Interrupted(Exception):
    pass


def run_one(n: int, mode: str, root: Path, args: argparse.Namespace, label: str, rows: list[dict]) -> None:
    """One child process: its rows are added to ``rows`` as they come (so an interrupted run keeps them)."""
    argv = [sys.executable, str(HERE), "--one", str(n), mode, "--root", str(root)]
    if args.parallel:
        argv += ["--parallel", str(args.parallel)]
    if args.tracemalloc:
        argv.append("--tracemalloc")
    start = time.perf_counter()
    first = len(rows)
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(argv, cwd=root, stdout=subprocess.PIPE, stderr=errors, text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith(ROW):
                    row = {"size": n, "mode": mode, **json.loads(line[len(ROW):])}
                    rows.append(row)
                    if "maxrss" not in row:
                        print(f"  {label}{n:>4} {mode:<10} {row['command']:<16} {row['wall']:8.2f} s  "
                              f"exit {row['exit']!s:>4}  failures {fmt_failures(row)}", flush=True)
            code = proc.wait()
        except KeyboardInterrupt:
            stop(proc)
            for line in proc.stdout or ():  # what the child said as it stopped (the interrupted command's row)
                if line.startswith(ROW) and "maxrss" not in line:
                    rows.append({"size": n, "mode": mode, **json.loads(line[len(ROW):])})
            raise Interrupted from None
        wall = time.perf_counter() - start
        errors.seek(0)
        tail = [line for line in errors.read().splitlines() if line.strip()]
    totals = rows.pop() if len(rows) > first and "maxrss" in rows[-1] else {}
    ran = rows[first:]
    failed = [r["command"] for r in ran if r["exit"] != 0]
    detail = f"of {len(ran)} commands" + (f": {', '.join(failed)}" if failed else "")
    if (not totals or code not in (0, 1)) and tail:  # the child itself broke: its last words
        detail += f"; child: {tail[-1][:160]}"
    rows.append({"size": n, "mode": mode, "command": WHOLE, "wall": wall, "exit": code, "failures": len(failed),
                 "detail": detail, "rss_peak": totals.get("maxrss"), "children_rss": totals.get("children_maxrss")})
    if code == 130:
        raise Interrupted


def stop(proc: subprocess.Popen) -> None:
    """The child had the Ctrl-C too (same process group); give it a moment, then end it."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(3)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def fmt_failures(row: dict) -> str:
    if row["failures"] is None:  # unparseable: the exit code says it
        return "-" + (f" ({row['detail']})" if row.get("detail") else "")
    return str(row["failures"]) + (f" ({row['detail']})" if row.get("detail") else "")


def mib(value: int | None) -> str:
    return "-" if value is None else f"{value / MIB:.0f}"


def ratio(new: float | None, old: float | None) -> str:
    return "-" if not new or not old else f"{new / old:.2f}"


def table(title: str, rows: list[dict], old: list[dict] | None = None) -> Any:
    from rich.table import Table
    t = Table(title=title, title_justify="left")
    traced = any(r.get("py_peak") is not None for r in rows)
    for column in ("size", "mode", "command", "wall s", "exit", "failures", "RSS peak MiB (+growth)",
                   "py peak MiB")[:8 if traced else 7]:
        t.add_column(column, justify="left" if column in ("mode", "command", "failures") else "right", overflow="fold")
    before = {(r["size"], r["mode"], r["command"]): r for r in old or []}
    if old is not None:
        t.add_column("wall new/old", justify="right")
        t.add_column("RSS new/old", justify="right")
    for r in rows:
        grew = "" if r.get("rss_peak") is None or r.get("rss_start") is None else \
            f" ({(r['rss_peak'] - r['rss_start']) / MIB:+.0f})"
        cells = [str(r["size"]), r["mode"], r["command"], f"{r['wall']:.2f}", str(r["exit"]), fmt_failures(r),
                 mib(r.get("rss_peak")) + grew] + ([mib(r.get("py_peak"))] if traced else [])
        if r["command"] == WHOLE:
            cells[6] += f" (ru_maxrss; workers {mib(r.get('children_rss'))})"
        if old is not None:
            o = before.get((r["size"], r["mode"], r["command"]), {})
            cells += [ratio(r["wall"], o.get("wall")), ratio(r.get("rss_peak"), o.get("rss_peak"))]
        t.add_row(*cells, end_section=r["command"] == WHOLE)
    return t


def parent(args: argparse.Namespace) -> int:
    from rich.console import Console
    console = Console(width=None if sys.stdout.isatty() else 160)
    runs: list[tuple[str, Path]] = []
    if args.compare:
        runs = [("old", args.compare), ("new", args.checkout or REPO)]
    else:
        runs = [("", args.checkout or REPO)]
    for _, root in runs:
        if not (root / "labctl" / "cli" / "main.py").is_file():
            print(f"class_bench: {root} is not a cloudlabs checkout (no labctl/cli/main.py)", file=sys.stderr)
            return 2
    titles = {label: f"{label + ': ' if label else ''}{root} ({describe(root)})" for label, root in runs}
    print(f"vpc-nat solution, profile sandbox; sizes {', '.join(map(str, args.sizes))}; modes {', '.join(args.modes)}; "
          f"tracemalloc {'on' if args.tracemalloc else 'off'}; {os.cpu_count()} cores; python {sys.version.split()[0]}")
    results: dict[str, list[dict]] = {}
    interrupted = False
    try:
        for label, root in runs:
            results[label] = []
            print(titles[label], flush=True)
            for n in args.sizes:
                for mode in args.modes:
                    run_one(n, mode, root, args, f"{label} " if label else "", results[label])
    except (KeyboardInterrupt, Interrupted):
        interrupted = True
        print("class_bench: interrupted; what ran so far:", file=sys.stderr)
    for label, root in runs:
        if label in results:
            console.print(table(titles[label], results[label],
                                results.get("old") if label == "new" else None))
    return 130 if interrupted else 0


def describe(root: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%h %s"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "not a git checkout"
    dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return (done.stdout.strip()[:60] or "not a git checkout") + (" + uncommitted changes" if dirty else "")


def sizes(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated numbers of students, e.g. 50,100,250") from None
    if not values or any(not 1 <= v <= 254 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: each size 1 to 254 (the seats of a cohort)")
    return values


def modes(text: str) -> list[str]:
    values = [part.strip() for part in text.split(",") if part.strip()]
    if not values or any(v not in MODES for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated, of {', '.join(MODES)}")
    return values


def checkout(text: str) -> Path:
    return Path(text).expanduser().resolve()


def run() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=sizes, default=[50, 100, 250], help="students per cohort (default: 50,100,250)")
    parser.add_argument("--modes", type=modes, default=list(MODES), help="in-process, served or both (default: both)")
    parser.add_argument("--parallel", type=int, help="up and destroy --parallel (default: labctl's own)")
    parser.add_argument("--tracemalloc", action="store_true",
                        help="also the peak of Python's allocations per command (slows every command several times over)")
    parser.add_argument("--checkout", type=checkout, metavar="PATH", help="run this checkout's labctl instead of this one")
    parser.add_argument("--compare", type=checkout, metavar="OLD_PATH",
                        help="run OLD_PATH's labctl, then this one's (or --checkout's), and print new/old ratios")
    parser.add_argument("--one", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    parser.add_argument("--root", type=checkout, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one is None:
        return parent(args)
    try:
        code = child(int(args.one[0]), args.one[1], args.root, args.parallel, args.tracemalloc)
    except KeyboardInterrupt:
        code = 130
    emit(child_totals())
    return code


if __name__ == "__main__":
    sys.exit(run())
