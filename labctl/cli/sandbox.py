"""labctl sandbox serve: the emulated AWS account on 127.0.0.1, for --emulate commands, the AWS
CLI and the book's boto3 scripts (no AWS account, no credentials)."""

from __future__ import annotations

import argparse
import signal
import threading

from rich.console import Console

from labctl.cli import arguments, runners
from labctl.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, Subparsers, error
from labctl.offline.render import render_file
from labctl.ops.sandbox import SandboxError, Store, serve


def register(sub: Subparsers) -> None:
    p = sub.add_parser("sandbox", help="the credential-free sandbox: an emulated AWS account on 127.0.0.1",
                       description="Serve the sandbox's emulated AWS account (moto) on 127.0.0.1 with every stack "
                                   "brought up with --emulate loaded, until Ctrl-C.")
    actions = p.add_subparsers(dest="action", required=True)
    s = actions.add_parser("serve", help="serve the emulated account on 127.0.0.1:PORT until Ctrl-C")
    s.add_argument("--port", type=arguments.PORT, default=5000, help="the port on 127.0.0.1, 1 to 65535 (default: %(default)s)")
    s.add_argument("--region", default="us-east-1", help="the region the stacks are loaded in (default: %(default)s)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    stop = threading.Event()
    received: list[int] = []

    def stop_on(signum: int, frame: object) -> None:
        received.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or the lifecycle script ending its sandbox
        signal.signal(signum, stop_on)

    def wait() -> None:
        stop.wait()

    def ready(port: int, loaded: int) -> None:
        url = f"http://127.0.0.1:{port}"
        out.print(f"sandbox: emulated AWS on {url} ({loaded} resources of the stacks brought up with --emulate)", markup=False)
        out.print(f"  aws --endpoint-url {url} ec2 describe-vpcs      (any credentials, e.g. AWS_ACCESS_KEY_ID=sandbox)",
                  markup=False)
        out.print("  labctl up <cohort> --emulate, labctl grade <cohort> --emulate; Ctrl-C stops it", markup=False)

    try:
        serve(Store(runners.STATE_DIR / "sandbox"), args.port, args.region, render_file, ready, wait)
    except SandboxError as exc:
        error(f"labctl: {exc}")
        return EXIT_BAD_INPUT
    out.print("sandbox: stopped", markup=False)
    return EXIT_INTERRUPTED if signal.SIGINT in received else EXIT_OK
