"""Renderer vs the bare Pulumi SDK, side by side in one run (issue 17): prints numbers, asserts nothing.

Renders N stacks of a lab with the real renderer (``labctl.offline.render.render``: the real
``__main__.py`` and components, the fake cloud, the recorder, the graph), then runs the *bare-SDK
anchor* for every one of those graphs: a minimal program that registers the same resources (same
types, names, inputs, parents, dependencies and property dependencies) under echo mocks that
return the inputs as the outputs, through the SDK as installed (no renderer patch applies to it).
Both run in this process, after a warm-up, in alternating rounds; the figure of merit is the
renderer's resources per second over the anchor's (issue target: >= 0.9).

    python benchmarks/render_speed_bench.py [--stacks 20] [--lab vpc-peering] [--rounds 3] [--profile]

``--profile`` adds a cProfile of the renderer's stacks (top entries by own and by cumulative time).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import cProfile
import io
import pstats
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import pulumi  # noqa: E402
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings, Mocks  # noqa: E402
from pulumi.runtime.settings import configure  # noqa: E402
from pulumi.runtime.stack import run_in_stack  # noqa: E402

from cloudlabs.settings import parse_settings  # noqa: E402
from labctl.offline.graph import StackGraph  # noqa: E402
from labctl.offline.render import PROJECT, render  # noqa: E402


def stack_config(seat: int, lab: str, stage: str) -> dict:
    return {
        "aws:region": "us-east-1", "cloudlabs:cohort": "bench", "cloudlabs:student": f"s{seat:03d}",
        "cloudlabs:seat": seat, "cloudlabs:labs": [{"lab": lab, "stage": stage}],
        "cloudlabs:adminCidr": "203.0.113.0/24", "cloudlabs:keyName": "vockey", "cloudlabs:expires": "2026-12-19",
    }


# --- the bare-SDK anchor ----------------------------------------------------------------------


class EchoMocks(Mocks):
    """Outputs are the inputs; ids are the logical names; lookups return their arguments."""

    def new_resource(self, args):  # type: ignore[override]
        return (f"{args.name}-id" if args.custom else ""), dict(args.inputs)

    def call(self, args):  # type: ignore[override]
        return dict(args.args)


def _register_order(graph: StackGraph) -> list:
    """Parents and dependencies before the resources that name them (the stack itself excluded)."""
    by_urn = {r.urn: r for r in graph.resources if r.type != "pulumi:pulumi:Stack"}
    done: dict[str, None] = {}

    def visit(urn: str) -> None:
        if urn in done or urn not in by_urn:
            return
        done[urn] = None  # the graph is acyclic; mark first so a bad graph cannot recurse forever
        resource = by_urn[urn]
        needs = [resource.parent or ""] + resource.dependencies + [u for us in resource.property_dependencies.values() for u in us]
        for other in needs:
            visit(other)
        del done[urn]
        done[urn] = None

    for urn in by_urn:
        visit(urn)
    return [by_urn[u] for u in done]


def anchor_program(graph: StackGraph) -> None:
    """Register the graph's resources as a minimal Pulumi program would: plain inputs, inputs that
    depend on other resources as outputs of those resources, parents and depends_on as recorded."""
    made: dict[str, pulumi.Resource] = {}
    for r in _register_order(graph):
        parent = made.get(r.parent or "")
        depends_on = [made[u] for u in r.dependencies if u in made]
        opts = pulumi.ResourceOptions(parent=parent, depends_on=depends_on)
        if not r.custom:
            component = pulumi.ComponentResource(r.type, r.name, None, opts)
            component.register_outputs(r.outputs)
            made[r.urn] = component
            continue
        props: dict[str, Any] = {}
        for key, value in r.inputs.items():
            deps = [made[u] for u in r.property_dependencies.get(key, []) if u in made]
            if deps:
                props[key] = pulumi.Output.all(*[d.urn for d in deps]).apply(lambda _, v=value: v)
            else:
                props[key] = value
        made[r.urn] = pulumi.CustomResource(r.type, r.name, props, opts)


def run_anchor(graph: StackGraph) -> None:
    """The anchor under the SDK's own MockMonitor and a fresh context and loop, its RPCs on the
    loop's default executor as the SDK runs them; the event loops the SDK's RPC threads need are
    made and closed here (left to the collector, they print "Invalid file descriptor" errors)."""
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def start_thread() -> None:
        thread_loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(thread_loops[-1])

    def run() -> None:
        monitor = MockMonitor(EchoMocks())
        configure(MockSettings(monitor=monitor, monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
                               engine=MockEngine(None), project=PROJECT, stack=graph.stack, dry_run=False,
                               organization="organization", callbacks=None))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_default_executor(ThreadPoolExecutor(initializer=start_thread))
        try:
            loop.run_until_complete(run_in_stack(lambda: anchor_program(graph)))
        finally:
            loop.run_until_complete(loop.shutdown_default_executor())
            for thread_loop in thread_loops:
                thread_loop.close()
            asyncio.set_event_loop(None)
            loop.close()
    contextvars.Context().run(run)


# --- measuring --------------------------------------------------------------------------------


def render_all(configs: list[tuple[dict, Any]]) -> list[StackGraph]:
    return [render(settings.stack_name, cfg, settings) for cfg, settings in configs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stacks", type=int, default=20)
    parser.add_argument("--lab", default="vpc-peering")
    parser.add_argument("--stage", default="solution")
    parser.add_argument("--rounds", type=int, default=3, help="alternating renderer/anchor rounds (median reported)")
    parser.add_argument("--profile", action="store_true", help="cProfile the renderer; print the top entries")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()

    configs = []
    for seat in range(1, args.stacks + 1):
        cfg = stack_config(seat, args.lab, args.stage)
        configs.append((cfg, parse_settings(cfg, f"bench seat {seat}")))
    graphs = render_all(configs[:1])  # warm-up: imports, first-use caches
    run_anchor(graphs[0])
    graphs = render_all(configs)
    resources = sum(len(g.resources) for g in graphs)  # components and the stack included, in both

    renderer, anchor, renderer_cpu, anchor_cpu = [], [], [], []
    for _ in range(args.rounds):
        start, cpu = time.perf_counter(), time.process_time()
        render_all(configs)
        renderer.append(time.perf_counter() - start)
        renderer_cpu.append(time.process_time() - cpu)
        start, cpu = time.perf_counter(), time.process_time()
        for graph in graphs:
            run_anchor(graph)
        anchor.append(time.perf_counter() - start)
        anchor_cpu.append(time.process_time() - cpu)
    r, a = statistics.median(renderer), statistics.median(anchor)
    ratio = (resources / r) / (resources / a)
    cpu_ratio = statistics.median(anchor_cpu) / statistics.median(renderer_cpu)
    print(f"{args.stacks} stacks of {args.lab} ({args.stage}), {resources} resources "
          f"({resources / args.stacks:.0f} per stack incl. components and the stack), median of {args.rounds} rounds:")
    print(f"  renderer (program + fake cloud + recorder + graph): {r / args.stacks * 1000:6.1f} ms/stack, "
          f"{resources / r:6.0f} resources/s")
    print(f"  bare-SDK anchor (same resources, echo mocks):       {a / args.stacks * 1000:6.1f} ms/stack, "
          f"{resources / a:6.0f} resources/s")
    print(f"  ratio renderer/anchor: {ratio:.2f}x (target >= 0.9x: {'met' if ratio >= 0.9 else 'MISSED'}); "
          f"by CPU time (steadier on a busy machine): {cpu_ratio:.2f}x")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        render_all(configs)
        profiler.disable()
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
            text = out.getvalue()
            print(f"\nrenderer profile, top {args.top} by {order}:")
            print(text[text.find("   ncalls"):].rstrip())


if __name__ == "__main__":
    main()
