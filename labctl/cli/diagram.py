"""labctl diagram: one stack's network as a Mermaid flowchart (GitHub renders it), rendered offline
or read from a snapshot (``labctl plan --snapshots DIR``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console

from cloudlabs.reading import InputFileError, load_json
from cloudlabs.settings import load_all_stack_settings

from labctl.analysis.diagram import mermaid
from labctl.cli.common import (BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, environments_argument, error,
                               write_text)
from labctl.cli.outputs import check_outputs, settings_inputs
from labctl.cli.selection import SelectionError, resolve_targets
from labctl.offline import render
from labctl.offline.graph import FORMAT, StackGraph, document_problems

SNAPSHOT = f"{FORMAT} snapshot (labctl plan --snapshots DIR)"


def register(sub: Subparsers) -> None:
    diagram = sub.add_parser("diagram", help="draw a stack's network as a Mermaid flowchart",
                             description="Draw one stack's network (VPCs, subnets by tier and zone, gateways, hosts, "
                                         "load balancers, databases, buckets, peerings) as a Mermaid flowchart, with the "
                                         "lab's expected paths as an overlay. Rendered offline, or read from a snapshot.")
    diagram.add_argument("stack", nargs="*", metavar="STACK", help="one stack: a stack name (demo-s01) or stack file")
    environments_argument(diagram)
    diagram.add_argument("--snapshot", type=Path, metavar="FILE",
                         help="draw this snapshot (labctl plan --snapshots DIR: DIR/<stack>.json) instead of rendering")
    diagram.add_argument("--output", "-o", metavar="FILE", default="-", help="where the Mermaid text goes (default: stdout)")
    diagram.add_argument("--no-paths", action="store_true", help="leave out the expected paths' overlay")
    diagram.set_defaults(handler=run)


def _snapshot(path: Path) -> StackGraph:
    data = load_json(path, SNAPSHOT)
    problems = document_problems(data, str(path))
    if problems:
        raise InputFileError("\n".join(problems))
    return StackGraph.from_json(data)


def run(args: argparse.Namespace, out: Console) -> int:
    try:
        if args.snapshot is not None:
            if args.stack:
                raise SelectionError(f"{' '.join(args.stack)} and --snapshot {args.snapshot}: both name a stack; "
                                     "allowed: a stack or --snapshot FILE")
            check_outputs(args, [(args.snapshot, "the snapshot drawn")])
            graph = _snapshot(args.snapshot)
        else:
            if len(args.stack) != 1:
                raise SelectionError(f"{len(args.stack)} stacks given ({' '.join(args.stack) or 'none'}); allowed: one "
                                     "stack (a stack name or file), or --snapshot FILE")
            files = resolve_targets(args.stack, args.environments)
            if len(files) != 1:
                raise SelectionError(f"{args.stack[0]}: selects {len(files)} stacks; allowed: one stack (a stack name or file)")
            settings = load_all_stack_settings(files)
            check_outputs(args, settings_inputs(settings))
            graph = render.render_file(files[0])
    except BAD_INPUT as exc:
        return bad_input(exc)
    except render.RenderError as exc:
        error(f"FAILED {exc}")
        return EXIT_FAILED
    text = mermaid(graph, paths=not args.no_paths)
    try:
        write_text(args.output, text)
    except OSError as exc:  # checked before rendering; a disk can still fill up meanwhile
        error(f"labctl: could not write {exc.filename}: {exc.strerror}")
        return EXIT_FAILED
    if args.output != "-":
        out.print(f"wrote the diagram of {graph.stack} to {args.output}")
    return EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "drawn",
    1: "the stack's program failed",
    2: "bad input",
}
