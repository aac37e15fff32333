"""labctl reach: can traffic go from A to B in one stack? With the hops and what blocks it."""

from __future__ import annotations

import argparse

from rich.console import Console

from cloudlabs.settings import load_all_stack_settings

from labctl.analysis.reach import evaluate
from labctl.cli import arguments
from labctl.cli.common import (BAD_INPUT, EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input,
                               environments_argument, error)
from labctl.cli.selection import SelectionError, resolve_targets
from labctl.offline import render


def register(sub: Subparsers) -> None:
    reach = sub.add_parser("reach", help="can traffic go from A to B in a stack? (with the hops and what blocks it)",
                           description="Evaluate one path on a stack's rendered graph. Endpoints: a host's name "
                                       "(bastion, VM1), subnet:<name>, internet, internet6, admin (the admin CIDR), cidr:<range>. "
                                       "Exit 0 if allowed, 1 if denied.")
    reach.add_argument("stack", help="stack name or stack file")
    reach.add_argument("src", help="where the traffic starts: an endpoint (see above)")
    reach.add_argument("dst", help="where it goes: another endpoint; at least one of the two inside the stack")
    reach.add_argument("--port", type=arguments.PORT, help="destination port, 1 to 65535: required for tcp and udp, "
                                                          "not allowed for icmp and icmpv6")
    reach.add_argument("--protocol", default="tcp", choices=["tcp", "udp", "icmp", "icmpv6"],
                       help="the traffic's protocol (default: tcp)")
    environments_argument(reach)
    reach.set_defaults(handler=run)


OUTSIDE = ("internet", "internet6", "admin")  # and cidr:<range>: the ends that are not in the stack


def outside(endpoint: str) -> bool:
    return endpoint in OUTSIDE or endpoint.startswith("cidr:")


def path_problem(src: str, dst: str) -> str | None:
    """What makes SRC -> DST no path to evaluate, before anything is rendered."""
    if src == dst:
        return f"src and dst are both {src!r}; allowed: two different endpoints"
    if outside(src) and outside(dst):
        return (f"src {src!r} and dst {dst!r} are both outside the stack; allowed: at least one end inside it: a host "
                "(bastion, VM1) or subnet:<name>")
    return None


def run(args: argparse.Namespace, out: Console) -> int:
    if (args.port is None) != args.protocol.startswith("icmp"):
        error("labctl: --port is required for tcp/udp and not allowed for icmp")
        return EXIT_BAD_INPUT
    problem = path_problem(args.src, args.dst)
    if problem:
        error(f"labctl: {problem}")
        return EXIT_BAD_INPUT
    try:
        files = resolve_targets([args.stack], args.environments)
        if len(files) != 1:
            raise SelectionError(f"{args.stack}: selects {len(files)} stacks; allowed: one stack (a stack name or file)")
        load_all_stack_settings(files)
        graph = render.render_file(files[0])
    except BAD_INPUT as exc:
        return bad_input(exc)
    except render.RenderError as exc:
        error(f"FAILED {exc}")
        return EXIT_FAILED
    try:
        verdict = evaluate(graph, args.src, args.dst, args.protocol, args.port)
    except (KeyError, ValueError) as exc:  # an endpoint the graph does not have
        return bad_input(ValueError(exc.args[0]))
    target = args.dst if args.port is None else f"{args.dst}:{args.port}"
    out.print(f"{graph.stack}: {args.src} -> {target} ({args.protocol}): {'ALLOWED' if verdict.allowed else 'DENIED'}")
    for hop in verdict.hops:
        out.print(f"  {hop}", markup=False)
    if verdict.reason:
        out.print(f"  blocked: {verdict.reason}", markup=False)
    return EXIT_OK if verdict.allowed else EXIT_FAILED


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    0: "the path is allowed",
    1: "the path is denied",
    2: "bad input",
}
