"""The book's live tests of a deployed lab, as data: each lab says what to request from its
stack outputs and what answer means "done"; ``labctl.ops.probe`` sends the requests (or, for a
port, opens a TCP connection)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageContains:
    """GET ``url``: HTTP 200 and every one of ``texts`` on the page."""

    name: str  # what is probed, e.g. "VM1 page"
    why: str  # the book's test
    url: str
    texts: tuple[str, ...]


@dataclass(frozen=True)
class StatusIs:
    """GET ``url``: exactly this HTTP status (403 for what must stay private)."""

    name: str
    why: str
    url: str
    status: int


@dataclass(frozen=True)
class Alternates:
    """Refresh ``url``: at least two different hosts answer (a load balancer at work)."""

    name: str
    why: str
    url: str
    requests: int = 6


@dataclass(frozen=True)
class TaskPage:
    """GET ``http://<public IP of a running task of the ECS service>:port/``: HTTP 200 and every one of
    ``texts``. The address is read from AWS when the probe runs: ECS starts the tasks after the stack is
    up, and replaces them with new addresses, so no stack output can hold it."""

    name: str
    why: str
    cluster: str
    service: str
    port: int
    texts: tuple[str, ...]


@dataclass(frozen=True)
class SamePage:
    """GET every one of ``urls``: HTTP 200 from each and the same page (two containers on one volume)."""

    name: str
    why: str
    urls: tuple[str, ...]


@dataclass(frozen=True)
class PortOpen:
    """Open a TCP connection to ``address`` (``host:port``): something listens there (RDP's 3389, where
    the book's test is a client connecting, book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”, and there is no page to read)."""

    name: str
    why: str
    address: str


ProbeSpec = PageContains | StatusIs | Alternates | TaskPage | SamePage | PortOpen
