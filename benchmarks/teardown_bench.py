"""Teardown benchmark: prints numbers, asserts nothing.

A cohort of vpc-nat students (solution: NAT gateway and Elastic IP each, 21 resources) is synced
and brought up on the sandbox through the CLI, as an instructor runs it; then the time of
`labctl destroy COHORT --emulate` and of `labctl sweep COHORT --emulate` (which must find nothing)
is printed, on the served sandbox (the state of a class session) and in-process (each command
replays the store into an account of its own first). ``--students`` sets the size (default 50).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labctl.cli import runners  # noqa: E402
from labctl.cli.main import main  # noqa: E402
from labctl.ops.sandbox import Store  # noqa: E402
from tests.sandboxes import served  # noqa: E402


def quiet(argv: list[str]) -> tuple[int, float]:
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv)
    return code, time.perf_counter() - start


def round_trip(environments: Path, cohort: str, label: str) -> None:
    where = ["--environments", str(environments), "--emulate"]
    code, up = quiet(["up", cohort, *where, "--parallel", "4", "--skip-validation"])
    assert code == 0, f"up failed ({code})"
    code, destroy = quiet(["destroy", cohort, *where, "--parallel", "4"])
    assert code == 0, f"destroy failed ({code})"
    code, sweep = quiet(["sweep", cohort, "--emulate", "--environments", str(environments)])
    print(f"{label}: up {up:.1f} s; destroy {destroy:.1f} s + sweep {sweep:.1f} s = {destroy + sweep:.1f} s"
          f"{'' if code == 0 else f' (sweep exit {code}: something left)'}")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CLOUDLABS_CACHE_DIR"] = str(Path(tmp) / "cache")
        runners.STATE_DIR = Path(tmp) / "state"
        environments = Path(tmp) / "environments"
        environments.mkdir()
        roster = "".join(f"  - id: t{n:03d}\n" for n in range(1, args.students + 1))
        (environments / "teardown.yaml").write_text(
            "cohort: teardown\nregion: us-east-1\nadminCidr: 198.51.100.0/24\nexpires: 2026-12-19\nkeyName: vockey\n"
            f"instanceType: t3.micro\nlabs:\n  - lab: vpc-nat\n    stage: solution\nroster:\n{roster}")
        assert quiet(["sync", "teardown", "--environments", str(environments)])[0] == 0
        print(f"{args.students} students, vpc-nat solution")
        with served(Store(runners.STATE_DIR / "sandbox")):
            round_trip(environments, "teardown", "served sandbox")
        round_trip(environments, "teardown", "in-process  ")


if __name__ == "__main__":
    run()
