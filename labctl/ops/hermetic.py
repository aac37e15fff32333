"""The sandbox never leaves 127.0.0.1, whatever the shell says.

botocore reads much of its behaviour from the environment and from files the shell points at:
``AWS_ENDPOINT_URL`` (and ``AWS_ENDPOINT_URL_<SERVICE>``) sends a service's calls elsewhere,
``AWS_PROFILE`` and ``~/.aws/config`` can name other endpoints, a ``credential_process`` (a
program botocore runs) or a role to assume through STS, and ``HTTP(S)_PROXY`` routes every call
through a proxy. An emulated command must act on the emulator only: ``hermetic()`` sets all of
that aside for its duration (AWS variables, the shared config and credentials files, the proxy
variables) and refuses any connection, and any name lookup, that is not to the loopback address.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from typing import Any, Iterator

PROXY_VARIABLES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}
# What botocore would otherwise read: no config or credentials file, no instance metadata.
NEUTRAL = {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true"}
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


class LeftTheSandbox(OSError):
    """A connection or name lookup beyond 127.0.0.1 was attempted while emulating."""


def _set_aside(name: str) -> bool:
    return name.upper().startswith("AWS_") or name.lower() in PROXY_VARIABLES


def _loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if not isinstance(host, str):
        return False
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


_lock = threading.Lock()
_depth = 0  # hermetic blocks open now (a served sandbox and a command may share a process: tests)
_saved: dict[str, Any] = {}


def _guarded_connect(original: Any) -> Any:
    def connect(sock: socket.socket, address: Any, *args: Any) -> Any:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address[0]):
            raise LeftTheSandbox(f"the sandbox never connects beyond 127.0.0.1 (refused: {address[0]}:{address[1]})")
        return original(sock, address, *args)
    return connect


def _guarded_getaddrinfo(original: Any) -> Any:
    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback(host):
            raise LeftTheSandbox(f"the sandbox never looks up names beyond 127.0.0.1 (refused: {host})")
        return original(host, *args, **kwargs)
    return getaddrinfo


def _enter() -> None:
    environment = {name: value for name, value in os.environ.items() if _set_aside(name)}
    for name in environment:
        del os.environ[name]
    os.environ.update(NEUTRAL)
    _saved.update(environment=environment, connect=socket.socket.connect, connect_ex=socket.socket.connect_ex,
                  getaddrinfo=socket.getaddrinfo)
    socket.socket.connect = _guarded_connect(_saved["connect"])  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect(_saved["connect_ex"])  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo(_saved["getaddrinfo"])


def _leave() -> None:
    socket.socket.connect = _saved["connect"]  # type: ignore[method-assign]
    socket.socket.connect_ex = _saved["connect_ex"]  # type: ignore[method-assign]
    socket.getaddrinfo = _saved["getaddrinfo"]
    for name in NEUTRAL:
        os.environ.pop(name, None)
    os.environ.update(_saved["environment"])
    _saved.clear()


@contextlib.contextmanager
def hermetic() -> Iterator[None]:
    """For the block: the shell's AWS and proxy settings set aside, and nothing but 127.0.0.1
    reachable from this process. Blocks may nest and overlap (threads): the first sets it up, the
    last restores what was there."""
    global _depth
    with _lock:
        if _depth == 0:
            _enter()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                _leave()
