"""labctl sandbox: the emulated AWS account on 127.0.0.1, for --emulate commands, the AWS CLI and
the book's boto3 scripts (no AWS account, no credentials), and the repairs of its store."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from rich.console import Console
from rich.table import Table

from labctl.cli import arguments, runners
from labctl.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, Subparsers, error
from labctl.ops.sandbox import SandboxError, Store, StoreError, forget, reset, serve


def register(sub: Subparsers) -> None:
    p = sub.add_parser("sandbox", help="the credential-free sandbox: an emulated AWS account on 127.0.0.1",
                       description="Serve the sandbox's emulated AWS account (moto) on 127.0.0.1 with every stack "
                                   "brought up with --emulate loaded, until Ctrl-C; show or repair its store.")
    actions = p.add_subparsers(dest="action", required=True)
    s = actions.add_parser("serve", help="serve the emulated account on 127.0.0.1:PORT until Ctrl-C")
    s.add_argument("--port", type=arguments.PORT, default=5000, help="the port on 127.0.0.1, 1 to 65535 (default: %(default)s)")
    s.add_argument("--verbose", action="store_true", help="log every request the emulator answers")
    actions.add_parser("status", help="is a sandbox served, and which stacks are in the store")
    f = actions.add_parser("forget", help="drop one stack from the store (e.g. a damaged state file)",
                           description="Drop one stack's state from the store. A served sandbox keeps its resources: "
                                       "labctl sweep COHORT --emulate --delete removes them by their tags.")
    f.add_argument("stack", type=arguments.name("stack"), help="a stack the store holds (labctl sandbox status)")
    actions.add_parser("reset", help="empty the store (refused while a sandbox is served)",
                       description="Forget every stack of the sandbox's store and its journal; nothing of AWS is touched.")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, out: Console) -> int:
    store = Store(runners.STATE_DIR / "sandbox")
    try:
        if args.action == "serve":
            return _serve(args, out, store)
        if args.action == "status":
            return _status(out, store)
        if args.action == "forget":
            check_in_store(store, args.stack)
            present = forget(store, args.stack)
            out.print(f"sandbox: {args.stack} " + ("forgotten" if present else "was not in the store"), markup=False)
            return EXIT_OK
        removed = reset(store)
        out.print(f"sandbox: store emptied ({len(removed)} stack{'s' if len(removed) != 1 else ''}: "
                  f"{', '.join(removed) or 'none'})", markup=False)
        return EXIT_OK
    except SandboxError as exc:
        error(f"labctl: {exc}")
        return EXIT_BAD_INPUT


def check_in_store(store: Store, stack: str) -> None:
    """``forget`` of a stack the store does not hold names nothing: refused, nothing created."""
    from labctl.ops.emulated_state import EmulatedStack, StateError
    try:
        path = EmulatedStack(stack, store.stacks_dir).path
    except StateError as err:
        raise StoreError(str(err)) from None
    if path.exists() or path.is_symlink():
        return
    try:
        held = ", ".join(store.stacks()) or "none"
    except StoreError:
        held = "see labctl sandbox status"
    raise SandboxError(f"sandbox forget: {stack} is not in the store ({store.stacks_dir}); allowed: a stack it holds "
                       f"({held})")


def _status(out: Console, store: Store) -> int:
    server = store.server()
    out.print(f"sandbox: served on http://127.0.0.1:{server.port} (pid {server.pid})" if server
              else "sandbox: not served (each --emulate command makes the stacks again in-process)", markup=False)
    table = Table(title=f"stacks in the store ({store.stacks_dir})", title_justify="left")
    for column in ("stack", "region", "resources", "loaded"):
        table.add_column(column, justify="right" if column == "resources" else "left")
    for state in store.states():
        loaded = "yes" if server and state.account == server.account else ("no" if server else "-")
        table.add_row(state.stack, state.region, str(len(state.resources)) + (" (+ pending)" if state.pending else ""), loaded)
    out.print(table)
    return EXIT_OK


def _serve(args: argparse.Namespace, out: Console, store: Store) -> int:
    stop = threading.Event()
    received: list[int] = []

    def stop_on(signum: int, frame: object) -> None:
        received.append(signum)
        stop.set()

    for signum in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C, or the lifecycle script ending its sandbox
        signal.signal(signum, stop_on)

    def ready(port: int, loaded: int) -> None:
        url = f"http://127.0.0.1:{port}"
        out.print(f"sandbox: emulated AWS on {url} ({loaded} resources of the stacks brought up with --emulate)", markup=False)
        out.print(f"  aws --endpoint-url {url} ec2 describe-vpcs      (any credentials, e.g. AWS_ACCESS_KEY_ID=sandbox)",
                  markup=False)
        out.print("  labctl up <cohort> --emulate, labctl grade <cohort> --emulate; Ctrl-C stops it", markup=False)

    def wait() -> None:
        stop.wait()

    serve(store, args.port, ready, wait, verbose=args.verbose,
          on_wait=lambda why: print(f"labctl: waiting: {why}", file=sys.stderr))
    out.print("sandbox: stopped", markup=False)
    return EXIT_INTERRUPTED if signal.SIGINT in received else EXIT_OK


# What this command's exit codes mean (the documentation's reference: labctl.cli.reference).
EXIT_CODES = {
    "serve": {
        0: "stopped by SIGTERM",
        2: "the port is in use, or a sandbox is already served",
        130: "stopped by Ctrl-C",
    },
    "status": {
        0: "done",
        2: "a damaged store file (named, with the repair)",
    },
    "forget": {
        0: "the stack's state is dropped",
        2: "a stack the store does not hold, or a damaged store file",
    },
    "reset": {
        0: "the store is empty",
        2: "the sandbox is being served",
    },
}
