"""The Docker engine address of the containers lab's variant local (``dockerHost``), parsed.

The value reaches the docker provider, which dials it, or runs ``ssh`` with it for ``ssh://``,
and it is written into the plan's JSON. So it is parsed as a URL and held to what Docker itself
takes (docker/cli opts/hosts.go, ``parseDockerDaemonHost``:
https://github.com/docker/cli/blob/master/opts/hosts.go; its ssh helper, which refuses a password,
a query and a fragment: https://github.com/docker/cli/blob/master/cli/connhelper/ssh/ssh.go;
the forms as Docker documents them: https://docs.docker.com/reference/cli/dockerd/#bind-docker-to-another-hostport-or-a-unix-socket),
and narrower where Docker is too lenient for a committed file: a host that starts with ``-``
(``ssh://-oProxyCommand=...`` is an option smuggled into ssh), a port outside 1-65535, a relative
or ``..`` socket path, or a password (it would be written into the plan; messages show it masked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from ipaddress import ip_address
from urllib.parse import SplitResult, urlsplit

SCHEMES = ("unix", "tcp", "ssh", "npipe")
ALLOWED = ("unix:///absolute/path.sock, tcp://host[:port], ssh://[user@]host[:port] or npipe:////./pipe/name; "
           "a host is a DNS name or an IP address (IPv6 in brackets), a port 1-65535, no password")
# user:password@ in a URL (scheme://user:password@host), wherever a shown value holds one
_PASSWORD = re.compile(r"(?P<start>[A-Za-z][A-Za-z0-9+.-]*://[^/@:\s\"']*):[^/@\s\"']*@")
HOST_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
USER = re.compile(r"[A-Za-z0-9_.][A-Za-z0-9_.-]{0,31}")
SOCKET_PATH = re.compile(r"(?:/[A-Za-z0-9_.@+-]+)+")
PIPE_PATH = re.compile(r"//\./pipe/[A-Za-z0-9_.-]+")
def mask_password(text: str) -> str:
    """The text with every URL's password replaced by ***: an error line never repeats a password."""
    return _PASSWORD.sub(r"\g<start>:***@", text)


@dataclass(frozen=True)
class DockerHost:
    scheme: str
    host: str | None  # tcp and ssh
    port: int | None
    user: str | None  # ssh only
    path: str | None  # unix and npipe


def parse_docker_host(text: str) -> DockerHost:
    """The address, or ValueError saying what is wrong (with any password masked)."""
    if not text.isascii() or not text.isprintable() or any(c.isspace() for c in text):
        raise ValueError("not printable ASCII without spaces")
    scheme, sep, _ = text.partition("://")
    if not sep or scheme not in SCHEMES:
        raise ValueError(f"dockerHost {mask_password(text)!r} is not unix://, tcp://, ssh:// or npipe:// and an address")
    try:
        url = urlsplit(text)
    except ValueError as err:  # e.g. tcp://[::1 (an unclosed IPv6 bracket)
        raise ValueError(f"not a URL ({err})") from None
    if url.query or url.fragment or text.endswith(("?", "#")):
        raise ValueError("a query or fragment (? or #) is not part of a Docker address")
    if scheme in ("unix", "npipe"):
        return _local(scheme, url)
    return _remote(scheme, url)


def _local(scheme: str, url: SplitResult) -> DockerHost:
    if url.netloc:
        raise ValueError(f"{scheme}:// takes a path, not a host: {scheme}://{url.netloc} names no socket "
                         f"(write {'unix:///var/run/docker.sock' if scheme == 'unix' else 'npipe:////./pipe/docker_engine'})")
    if scheme == "npipe":
        if not PIPE_PATH.fullmatch(url.path):
            raise ValueError("not a named pipe as Docker writes it: npipe:////./pipe/<name>")
        return DockerHost(scheme, None, None, None, url.path)
    if not url.path.startswith("/"):
        raise ValueError("the socket path is not absolute")
    if any(part in ("..", ".") for part in url.path.split("/")):
        raise ValueError("the socket path has . or .. segments; write the path itself")
    if not SOCKET_PATH.fullmatch(url.path):
        raise ValueError("the socket path has characters other than letters, digits and / _ . @ + -")
    return DockerHost(scheme, None, None, None, url.path)


def _remote(scheme: str, url: SplitResult) -> DockerHost:
    if url.password is not None or (url.username is not None and ":" in url.netloc.rpartition("@")[0]):
        raise ValueError("a password in the address: it would be written into the plan (use an ssh key or agent, "
                         "or TLS certificates)")
    user = url.username
    if user is not None and scheme != "ssh":
        raise ValueError(f"{scheme}:// takes no user name")
    if user is not None and not USER.fullmatch(user):
        raise ValueError("the ssh user is not a user name (letters, digits, _ . -, not starting with -)")
    try:
        port = url.port
    except ValueError:
        raise ValueError("the port is not a whole number from 1 to 65535") from None
    if port == 0:
        raise ValueError("the port is not a whole number from 1 to 65535")
    if url.netloc.endswith(":"):
        raise ValueError("a colon without a port")
    host = url.hostname or ""
    if not host:
        raise ValueError(f"{scheme}:// needs a host")
    _check_host(host, url.netloc)
    if url.path not in ("", "/"):
        raise ValueError(f"{scheme}:// takes no path")
    return DockerHost(scheme, host, port, user, None)


def _check_host(host: str, netloc: str) -> None:
    if host.startswith("-"):
        raise ValueError("the host starts with - (ssh would read it as an option)")
    if "%" in host:
        raise ValueError("the host has a % (a zone index or an escaped character)")
    if "[" in netloc:
        try:
            if ip_address(host).version == 6:
                return
        except ValueError:
            pass
        raise ValueError("not an IPv6 address between the brackets")
    if re.fullmatch(r"[0-9.]+", host):
        try:
            ip_address(host)
        except ValueError:
            raise ValueError("not an IPv4 address") from None
        return
    if len(host) > 253 or not all(HOST_LABEL.fullmatch(label) for label in host.rstrip(".").split(".")):
        raise ValueError("the host is not a DNS name (labels of letters, digits and inner hyphens) or an IP address")
