"""The validation matrix (labctl/analysis/matrix.py) swept whole: every cell rendered, validated
(AWS's schemas and the deploy rules) and, one cell per emulator shape, brought up and down on
in-process moto. Prints the matrix's size, each phase's time and every finding; asserts nothing.

``--full``: every accepted option set under every stack setting (the product) instead of the
covering design the tests use. ``--no-emulate``: skip the emulator phase.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import boto3
from moto import mock_aws

from labctl.analysis import matrix
from labctl.analysis.validation import LintCache, Validator
from labctl.ops import emulate, emulator_rules


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="the full product instead of the covering design")
    parser.add_argument("--no-emulate", action="store_true")
    parser.add_argument("--lab", action="append", help="only these labs (repeatable)")
    args = parser.parse_args()
    os.environ.setdefault("CLOUDLABS_CACHE_DIR", "off")  # measure the work, not a cache of an earlier run

    start = time.perf_counter()
    m = matrix.derive(args.lab, full=args.full)
    derived = time.perf_counter() - start
    by_model = sum(1 for _, why in m.refused if why.startswith("options model"))
    print(f"matrix ({'full product' if args.full else 'covering design'}): {m.summary()} "
          f"({by_model} refused by an options model, {len(m.refused) - by_model} by the settings parser); "
          f"derived in {derived:.2f} s")

    start, cpu = time.perf_counter(), time.process_time()
    rendered = [(cell, matrix.render_cell(cell)) for cell in m.cells]
    rendering, rendering_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"rendered {len(rendered)} stacks ({sum(len(g.custom_resources) for _, g in rendered)} resources) "
          f"in {rendering:.1f} s ({rendering_cpu:.1f} s of CPU)")

    start, cpu = time.perf_counter(), time.process_time()
    validator = Validator(LintCache(None))
    failing = 0
    for cell, graph in rendered:
        result = validator.validate(graph)
        if result.findings:
            failing += 1
            print(f"NOT DEPLOY-READY {cell.id}")
            for finding in result.findings:
                print(f"    {finding.line()}")
    validating, validating_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"validated {len(rendered)} stacks ({validator.lints} distinct template shapes linted) in {validating:.1f} s "
          f"({validating_cpu:.1f} s of CPU): "
          f"{len(rendered) - failing} deploy-ready, {failing} not")

    if args.no_emulate:
        return
    shapes = matrix.distinct_emulator_shapes(rendered)
    emulator_rules.install()
    start, cpu = time.perf_counter(), time.process_time()
    up, refused = 0, 0
    with mock_aws(), tempfile.TemporaryDirectory() as state:
        aws = emulate.Clients(boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"))
        for cell, graph in shapes.values():
            if emulate.needs_docker_engine(graph) or emulate.unsupported_types(graph):
                refused += 1
                continue
            try:
                emulate.up(graph, aws, Path(state))
                emulate.destroy(graph.stack, aws, Path(state))
                up += 1
            except Exception as err:  # a finding to report, not a reason to stop the sweep
                print(f"EMULATION FAILED {cell.id}: {type(err).__name__}: {err}")
                emulate.destroy(graph.stack, aws, Path(state))
    emulating, emulating_cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"emulator: {len(shapes)} distinct emulator shapes (lab, kinds and counts); {up} up and down in "
          f"{emulating:.1f} s ({emulating_cpu:.1f} s of CPU), {refused} refused whole by the emulator (Docker engine or calls moto lacks)")


if __name__ == "__main__":
    main()
