"""Fleet benchmark: 50 stacks whose `up` takes a scripted time, at parallelism 1, 4, 8 and 16.

Prints wall time against the ideal ceil(50/p) x duration and the orchestrator's own overhead
per stack (threads, logs, progress callbacks). Asserts nothing.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

from labctl.ops.fleet import Fleet, Outcome


class ScriptedRunner:
    def __init__(self, duration: float):
        self.duration = duration

    def run(self, stack, operation, log, progress):
        log(f"{operation} {stack}")
        time.sleep(self.duration)
        progress(21)
        return Outcome({"create": 21}, "ok")

    def cancel(self, stack):
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stacks", type=int, default=50)
    parser.add_argument("--duration", type=float, default=0.2, help="seconds per scripted `up`")
    args = parser.parse_args()
    stacks = [f"bench-u{i:03d}" for i in range(args.stacks)]
    for parallel in (1, 4, 8, 16):
        with tempfile.TemporaryDirectory() as tmp:
            fleet = Fleet(ScriptedRunner(args.duration), parallel=parallel, log_dir=Path(tmp), on_change=lambda: None)
            start = time.perf_counter()
            results = fleet.run(stacks, "up")
            wall = time.perf_counter() - start
        assert all(r.status == "succeeded" for r in results)
        ideal = math.ceil(args.stacks / parallel) * args.duration
        print(f"parallel {parallel:2d}: {wall:6.2f} s, ideal {ideal:5.2f} s ({(wall / ideal - 1) * 100:+.1f}%), "
              f"overhead {(wall - ideal) / args.stacks * 1000:.1f} ms per stack")


if __name__ == "__main__":
    main()
