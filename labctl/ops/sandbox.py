"""The credential-free sandbox: one emulated AWS account (moto) that labctl's cloud commands
use with ``--emulate``, and that ``labctl sandbox serve`` keeps alive on 127.0.0.1 for the AWS
CLI and the book's boto3 scripts.

Where the account lives:
- a served sandbox (``labctl sandbox serve``): moto's server on 127.0.0.1:PORT, recorded in
  ``.cloudlabs/sandbox/server.json``; every ``--emulate`` command and every student's
  ``aws --endpoint-url`` talk to it, so state persists across processes while it runs;
- otherwise in-process: moto in this process, rebuilt from the store (every stack that is up
  in the sandbox is created again from its graph) before the command runs. The store is the
  emulator's state files in ``.cloudlabs/sandbox/stacks/``; ids change when it is rebuilt.

Only 127.0.0.1 is ever a network target; the in-process account never leaves the process.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from cloudlabs import REPO_ROOT
from cloudlabs.writing import atomic_write

from labctl.ops import emulate

STORE = REPO_ROOT / ".cloudlabs" / "sandbox"
SANDBOX_KEY = "sandbox"  # moto accepts any credentials; these never reach AWS


class SandboxError(RuntimeError):
    pass


class EndpointSession:
    """A boto3 session whose clients all go to the sandbox's endpoint (what ``--endpoint-url``
    does for the AWS CLI)."""

    def __init__(self, region: str, endpoint_url: str):
        import boto3
        self.region_name, self.endpoint_url = region, endpoint_url
        self._session: Any = boto3.Session(region_name=region, aws_access_key_id=SANDBOX_KEY,
                                           aws_secret_access_key=SANDBOX_KEY)

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint_url, **kwargs)


@dataclass
class Store:
    root: Path = STORE

    @property
    def stacks_dir(self) -> Path:
        return self.root / "stacks"

    @property
    def index_file(self) -> Path:
        return self.root / "index.json"

    @property
    def server_file(self) -> Path:
        return self.root / "server.json"

    def index(self) -> dict[str, str]:
        """stack -> its stack file, for every stack up in the sandbox."""
        try:
            data = json.loads(self.index_file.read_text())
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def record(self, stacks_up: dict[str, Path], stacks_down: list[str]) -> None:
        index = self.index()
        index.update({stack: str(path) for stack, path in stacks_up.items()})
        for stack in stacks_down:
            index.pop(stack, None)
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write(self.index_file, json.dumps(index, indent=2, sort_keys=True) + "\n")

    def server_port(self) -> int | None:
        """The port of a running ``labctl sandbox serve``, or None (a stale record is ignored)."""
        try:
            data = json.loads(self.server_file.read_text())
            port, pid = int(data["port"]), int(data["pid"])
            os.kill(pid, 0)
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return port
        except (OSError, ValueError, KeyError, TypeError):
            return None


def rebuild(store: Store, session: Any, render: Callable[[Path], Any]) -> int:
    """Create every stack of the store again in an empty account (in-process sandbox); returns
    how many resources. A stack whose file is gone is dropped from the store."""
    created = 0
    gone = []
    for stack, path in sorted(store.index().items()):
        if not Path(path).is_file():
            gone.append(stack)
            continue
        state = emulate.EmulatedStack.load(stack, store.stacks_dir)
        if state.path.exists():
            state.path.unlink()  # its ids belonged to an account that no longer exists
        created += len(emulate.up(render(Path(path)), session, store.stacks_dir).resources)
    if gone:
        store.record({}, gone)
    return created


@contextlib.contextmanager
def account(store: Store, region: str, render: Callable[[Path], Any]) -> Iterator[Any]:
    """A session on the sandbox: the served one when it runs, else an in-process one rebuilt from
    the store (and left behind when the block ends)."""
    from labctl.ops import emulator_rules
    emulator_rules.install()  # moto refuses deletes as AWS does
    port = store.server_port()
    if port is not None:
        yield EndpointSession(region, f"http://127.0.0.1:{port}")
        return
    import boto3
    from moto import mock_aws
    with mock_aws():
        session = boto3.Session(region_name=region, aws_access_key_id=SANDBOX_KEY, aws_secret_access_key=SANDBOX_KEY)
        rebuild(store, session, render)
        yield session


def serve(store: Store, port: int, region: str, render: Callable[[Path], Any], ready: Callable[[int, int], None],
          wait: Callable[[], None]) -> None:
    """moto's server on 127.0.0.1:PORT with every stack of the store created in it; ``ready`` is told
    the port and how many resources were loaded; ``wait`` blocks until the server should stop."""
    from moto.server import ThreadedMotoServer

    from labctl.ops import emulator_rules
    emulator_rules.install()  # moto refuses deletes as AWS does
    if store.server_port() is not None:
        raise SandboxError(f"a sandbox is already served (see {store.server_file}); stop it first")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SandboxError(f"port {port} on 127.0.0.1 is in use; allowed: a free port (--port)")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        loaded = rebuild(store, EndpointSession(region, f"http://127.0.0.1:{port}"), render)
        store.root.mkdir(parents=True, exist_ok=True)
        atomic_write(store.server_file, json.dumps({"port": port, "pid": os.getpid()}) + "\n")
        ready(port, loaded)
        wait()
    finally:
        with contextlib.suppress(OSError):
            store.server_file.unlink()
        server.stop()
