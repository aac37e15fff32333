"""The credential-free sandbox: one emulated AWS account (moto) that labctl's cloud commands
use with ``--emulate``, and that ``labctl sandbox serve`` keeps alive on 127.0.0.1 for the AWS
CLI and the book's boto3 scripts.

Where the account lives:
- a served sandbox (``labctl sandbox serve``): moto's server on 127.0.0.1:PORT, recorded in
  ``.cloudlabs/sandbox/server.json``; every ``--emulate`` command and every student's
  ``aws --endpoint-url`` talk to it, so state persists across processes while it runs;
- otherwise in-process: moto in this process, born empty with the command and gone with it. Every
  stack of the store is made again in it first (``emulate.replay``), from what its state file
  recorded, so the command sees the account as the last command left it.

The store (``.cloudlabs/sandbox/``) is one state file per stack (``stacks/<stack>.json``, see
``labctl.ops.emulated_state``): the only record of what is up in the sandbox. Its rules:
- one writer at a time, no reader while it writes: a lock file (``store.lock``), exclusive for the
  commands that change the account (up, destroy, stop, start, refresh, sweep --delete, the
  served sandbox while it loads), shared for those that only read it (grade, drift, preview,
  sweep); the lock is taken before deciding where the account is, so nobody sees a half-loaded one;
- every state says which account its ids belong to: an in-process account's id dies with its
  command, so the next one replays every state; a served account's id is in ``server.json``;
- readers never write: an in-process reader replays the stacks in memory only;
- a damaged or foreign file is one ``StoreError`` naming it and the repair (``labctl sandbox forget
  STACK`` or ``labctl sandbox reset``), never a traceback and never read as "nothing is up";
- ``sandbox serve`` is exclusive (``serve.lock``, held for the server's life: a killed server
  releases it), and a ``server.json`` whose server no longer holds that lock is stale and ignored.

Only 127.0.0.1 is ever a network target, and the shell's AWS settings are set aside
(``labctl.ops.hermetic``); moto refuses what AWS refuses (``labctl.ops.emulator_rules``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sys
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from cloudlabs.reading import InputFileError, load_json
from cloudlabs.writing import PRIVATE_FILE, atomic_write, lock_file, private_dir

from labctl.ops import emulate
from labctl.ops.emulated_state import EmulatedStack, StateError, stored_stacks
from labctl.ops.hermetic import hermetic

SANDBOX_KEY = "sandbox"  # moto accepts any credentials; these never reach AWS


class SandboxError(RuntimeError):
    """The sandbox cannot be used as asked (already served, a port in use, it does not answer)."""


class StoreError(SandboxError):
    """A file of the store that cannot be used: names it and the repair."""


class EndpointSession:
    """A boto3 session whose clients all go to the sandbox's endpoint (what ``--endpoint-url``
    does for the AWS CLI)."""

    def __init__(self, region: str, endpoint_url: str, credentials: dict[str, str] | None = None):
        import boto3
        self.region_name, self.endpoint_url = region, endpoint_url
        creds = credentials or {"AccessKeyId": SANDBOX_KEY, "SecretAccessKey": SANDBOX_KEY}
        self._session: Any = boto3.Session(region_name=region, aws_access_key_id=creds["AccessKeyId"],
                                           aws_secret_access_key=creds["SecretAccessKey"],
                                           aws_session_token=creds.get("SessionToken"))

    def client(self, service: str, **kwargs: Any) -> Any:
        return self._session.client(service, endpoint_url=self.endpoint_url, **kwargs)


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    account: str


@dataclass
class Store:
    root: Path

    @property
    def stacks_dir(self) -> Path:
        return self.root / "stacks"

    @property
    def server_file(self) -> Path:
        return self.root / "server.json"

    @property
    def lock_path(self) -> Path:
        return self.root / "store.lock"

    @property
    def serve_lock_path(self) -> Path:
        return self.root / "serve.lock"

    def stacks(self) -> list[str]:
        """Every stack with a state in the store (up, or partly up)."""
        try:
            return stored_stacks(self.stacks_dir)
        except StateError as err:
            raise StoreError(str(err)) from None

    def states(self) -> list[EmulatedStack]:
        try:
            return [EmulatedStack.load(stack, self.stacks_dir) for stack in stored_stacks(self.stacks_dir)]
        except StateError as err:
            raise StoreError(str(err)) from None

    @contextlib.contextmanager
    def locked(self, writer: bool, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
        """The store's lock: exclusive for a writer, shared for a reader. ``on_wait`` hears once why
        the command waits."""
        private_dir(self.root)
        holder = "another labctl command is using the sandbox"
        with lock_file(self.lock_path, shared=not writer, on_wait=(lambda: on_wait(holder)) if on_wait else None):
            yield

    def server(self) -> Server | None:
        """The served sandbox, or None when none runs (a ``server.json`` left by a killed server is
        stale: its server no longer holds ``serve.lock``). A server that holds the lock but does not
        answer, or whose record is damaged, is a ``SandboxError``."""
        if not self.server_file.exists() or not _held(self.serve_lock_path):
            return None
        try:
            data = load_json(self.server_file, "served sandbox record (written by labctl sandbox serve)")
            server = Server(int(data["port"]), int(data["pid"]), str(data["account"]))
        except (InputFileError, KeyError, TypeError, ValueError) as err:
            raise StoreError(f"{self.server_file}: damaged ({err}); stop the served sandbox (labctl sandbox serve, "
                             "Ctrl-C) and start it again") from None
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=2):
                return server
        except OSError:
            raise SandboxError(f"the served sandbox (pid {server.pid}) does not answer on 127.0.0.1:{server.port}; "
                               f"stop it (kill {server.pid}) and start it again") from None

    def server_port(self) -> int | None:
        server = self.server()
        return server.port if server else None


def _held(path: Path) -> bool:
    """Someone holds an exclusive lock on ``path`` (a lock file that does not exist is not held)."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


@dataclass
class Account:
    """The emulated account a command acts on: ``session(region)`` gives boto3 sessions into it."""

    id: str
    served: Server | None
    sessions: dict[str, Any]
    make_session: Callable[[str], Any]
    with_credentials: Callable[[dict[str, str], str], Any] | None = None  # (STS credentials, region) -> session
    _assumed: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self, region: str) -> Any:
        with self._lock:
            if region not in self.sessions:
                self.sessions[region] = self.make_session(region)
            return self.sessions[region]

    def assumed(self, role_arn: str, region: str, stack: str) -> Any:
        """A session in the emulated account of ``role_arn`` (per-student: each student's account apart, as in
        AWS): moto's STS answers AssumeRole with keys of the role's account, and every call made with them
        acts there. The same role and region give the same session for the whole command."""
        with self._lock:
            if (role_arn, region) in self._assumed:
                return self._assumed[(role_arn, region)]
        from cloudlabs.accounts import session_name
        answer = self.session(region).client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name(stack))
        assert self.with_credentials is not None
        made = self.with_credentials(answer["Credentials"], region)
        with self._lock:
            return self._assumed.setdefault((role_arn, region), made)

    def stack_session(self, settings: Any) -> Any:
        """The session a stack acts through: its student's emulated account (per-student), else the sandbox's."""
        role = getattr(settings, "role_arn", None)
        if getattr(settings, "account_model", None) == "per-student" and role:
            return self.assumed(role, settings.region, settings.stack_name)
        return self.session(settings.region)


def _replay_all(store: Store, account: Account, save: bool) -> int:
    """Every stack of the store that ``account`` does not hold made again in it (all of them in a
    new account; none in a kept one, see account_snapshot); saved when ``save`` (writers), kept in
    memory otherwise (readers never write). Returns how many resources."""
    made = 0
    for state in store.states():
        if state.account == account.id:
            continue
        session = account.assumed(state.role, state.region, state.stack) if state.role else account.session(state.region)
        fresh = emulate.replay(state, session, account.id)
        made += len(fresh.resources)
        if save:
            fresh.save() if fresh.resources else fresh.remove()
    return made


@contextlib.contextmanager
def account(store: Store, region: str, writer: bool = True,
            on_wait: Callable[[str], None] | None = None) -> Iterator[Account]:
    """The sandbox's account for one command, under the store's lock (see the module's rules): the
    served one when it runs, else an in-process one with every stack of the store made again."""
    with hermetic(), store.locked(writer, on_wait):
        served = store.server()
        if served is not None:
            stale = [s.stack for s in store.states() if s.account != served.account]
            if stale:
                raise StoreError(f"{', '.join(stale)}: not loaded in the served sandbox (their states belong to another "
                                 "account); stop the served sandbox and start it again: it loads every stack")
            url = f"http://127.0.0.1:{served.port}"
            yield Account(served.account, served, {}, lambda r: EndpointSession(r, url),
                          lambda creds, r: EndpointSession(r, url, creds))
            return
        import boto3
        from moto import mock_aws

        from labctl.ops import account_snapshot, moto_host
        moto_host.install()  # this process hosts the account: AWS's refusals, one call at a time
        with mock_aws():
            kept = account_snapshot.load(store.root, store.stacks_dir)  # the last writer's account, if it still matches
            if writer:
                account_snapshot.discard(store.root)  # until this command ends normally, the states alone are the truth
            local = Account(kept.account if kept else f"in-process-{uuid.uuid4().hex[:12]}", None, {},
                            lambda r: boto3.Session(region_name=r, aws_access_key_id=SANDBOX_KEY,
                                                    aws_secret_access_key=SANDBOX_KEY),
                            lambda creds, r: boto3.Session(region_name=r, aws_access_key_id=creds["AccessKeyId"],
                                                           aws_secret_access_key=creds["SecretAccessKey"],
                                                           aws_session_token=creds["SessionToken"]))
            local.session(region)
            _replay_all(store, local, save=writer)  # only the stacks the kept account does not hold
            yield local
            if writer:
                with moto_host.CALLS:  # no call half-way while the account is written down
                    problem = account_snapshot.save(store.root, local.id, store.stacks_dir)
                if problem:
                    print(f"labctl: note: the emulated account could not be kept ({problem}); the next command "
                          "makes it again from the stack states", file=sys.stderr)


def serve(store: Store, port: int, ready: Callable[[int, int], None], wait: Callable[[], None],
          on_wait: Callable[[str], None] | None = None, verbose: bool = False) -> None:
    """moto's server on 127.0.0.1:PORT with every stack of the store made again in it; ``ready`` is
    told the port and how many resources were loaded; ``wait`` blocks until the server should stop.
    Exclusive: a second ``serve`` of the same store is a ``SandboxError``."""
    import logging

    from moto.server import ThreadedMotoServer

    from labctl.ops import account_snapshot, moto_host
    moto_host.install()
    # refusals first, so a refused serve creates nothing (the lock below is taken again, race-free)
    if _held(store.serve_lock_path):
        raise SandboxError(f"a sandbox is already served from {store.root} ({_describe(store)}); stop it first")
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SandboxError(f"port {port} on 127.0.0.1 is in use; allowed: a free port (--port)")
    private_dir(store.root)
    with os.fdopen(os.open(store.serve_lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "a+b") as serving:
        try:
            fcntl.flock(serving.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SandboxError(f"a sandbox is already served from {store.root} ({_describe(store)}); stop it first") from None
        logging.getLogger("werkzeug").setLevel(logging.INFO if verbose else logging.WARNING)  # a line per request
        with hermetic():
            server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=verbose)
            server.start()
            try:
                record = Server(port, os.getpid(), f"served-{uuid.uuid4().hex[:12]}")
                url = f"http://127.0.0.1:{port}"
                here = Account(record.account, record, {}, lambda r: EndpointSession(r, url))
                with store.locked(writer=True, on_wait=on_wait):
                    account_snapshot.discard(store.root)  # the stacks move to the served account
                    loaded = _replay_all(store, here, save=True)
                    atomic_write(store.server_file, json.dumps({"port": port, "pid": record.pid, "account": record.account}) + "\n",
                                 mode=PRIVATE_FILE)
                ready(port, loaded)
                wait()
            finally:
                with contextlib.suppress(OSError):
                    store.server_file.unlink()  # ours: we hold serve.lock
                server.stop()


def _describe(store: Store) -> str:
    try:
        data = json.loads(store.server_file.read_text())
        return f"pid {data['pid']}, http://127.0.0.1:{data['port']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "starting"


def forget_deleted(store: Store, ids: set[str]) -> dict[str, int]:
    """What a sweep deleted in an in-process account, dropped from the states too (the caller holds
    the writer lock): else the next command would make it again. A resource goes when its id was
    deleted, and so does whatever names a gone one in its inputs (a route of a deleted route table,
    a rule of a deleted group). Returns stack -> how many entries went."""
    dropped: dict[str, int] = {}
    for state in store.states():
        gone = set(ids)
        before = len(state.resources)
        for urn, entry in list(state.resources.items()):
            if entry["id"] in gone or _names_any(entry.get("inputs", {}), gone):
                gone.add(entry["id"])
                gone.update(v for v in entry.get("outputs", {}).values() if isinstance(v, str))
                del state.resources[urn]
        if len(state.resources) != before:
            dropped[state.stack] = before - len(state.resources)
            in_the_cloud = any(e["type"] not in emulate.GENERATED_LOCALLY for e in state.resources.values())
            state.save() if in_the_cloud else state.remove()  # a password alone is not a stack
    return dropped


def _names_any(value: Any, ids: set[str]) -> bool:
    if isinstance(value, str):
        return value in ids
    if isinstance(value, list):
        return any(_names_any(v, ids) for v in value)
    if isinstance(value, dict):
        return any(_names_any(v, ids) for v in value.values())
    return False


def forget(store: Store, stack: str) -> bool:
    """Drop one stack from the store (its state file, damaged or not). True if it was there."""
    with store.locked(writer=True):
        try:
            path = EmulatedStack(stack, store.stacks_dir).path
        except StateError as err:
            raise StoreError(str(err)) from None
        present = path.exists() or path.is_symlink()
        path.unlink(missing_ok=True)
        return present


def reset(store: Store) -> list[str]:
    """Empty the store: every stack's state, the journal. Refused while a served sandbox runs (its
    account would keep what the store forgets). Returns the stacks that were in it."""
    import shutil
    with store.locked(writer=True):
        if store.server_file.exists() and _held(store.serve_lock_path):
            raise SandboxError(f"a sandbox is served from {store.root} ({_describe(store)}); stop it first "
                               "(Ctrl-C where labctl sandbox serve runs), then reset")
        removed = []
        if store.stacks_dir.is_dir():
            for path in sorted(store.stacks_dir.iterdir()):
                removed.append(path.stem)
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
        for name in ("fleet-journal.json", "server.json", "account.pickle", "account.json"):
            (store.root / name).unlink(missing_ok=True)
        shutil.rmtree(store.root / "sweep", ignore_errors=True)  # the sweep's ledger of ids in that account
        return removed
