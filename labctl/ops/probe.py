"""Live probes: the book's "success looks like", checked against a deployed stack over HTTP (and,
for the Windows server's RDP, a TCP connection).

The offline checker proves the network allows a path; only a live request proves the student's
page is there: "Hello from <host>" (chapter 3), the ALB alternating between its hosts (book ch. 8, “Creation of a Target Group” › “Creation of the elastic load balancer”),
the three database rows on the LAMP page (book ch. 10, “Networking” › “Configuration of the webserver to talk to the database”), the JPG readable and the PNG refused (book ch. 9, “Bucket Policy” › “Set a Bucket Policy to selectively allow public access to certain objects”).
Probes read the stack's outputs (URLs, IPs) through ``OutputSource``, so tests point them at
local HTTP servers on 127.0.0.1 playing the students' hosts. The probes are the same for
`starter` and `solution`: they check the book's end state, i.e. whether the student is done.

Each probe is retried until it passes, at most ``attempts`` times ``interval`` seconds apart
(a fresh instance needs minutes for its user data), so a run is bounded.
"""

from __future__ import annotations

import re
import socket
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Protocol

from cloudlabs.catalog import LABS
from cloudlabs.probes import Alternates, PageContains, PortOpen, ProbeSpec, SamePage, StatusIs, TaskPage

Fetch = Callable[[str], tuple[int, str]]  # url -> (HTTP status, body); status 0: no answer
# (cluster, service, port) -> the page URLs of the service's running tasks with a public IP, read from AWS
Locate = Callable[[str, str, int], list[str]]


def http_fetch(url: str, timeout: float = 5.0) -> tuple[int, str]:
    """GET a URL; an HTTP error is an answer (its status), a network error is status 0."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - stack outputs are http(s) URLs
            return response.status, response.read(1_000_000).decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, ""
    except (urllib.error.URLError, OSError, ValueError) as err:
        return 0, str(getattr(err, "reason", err))


@dataclass(frozen=True)
class Verdict:
    passed: bool
    detail: str


@dataclass(frozen=True)
class Probe:
    name: str  # what is probed, e.g. "VM1 page"
    why: str  # the book's test
    check: Callable[[Fetch], Verdict]


def page_contains(url: str, *texts: str) -> Callable[[Fetch], Verdict]:
    def check(fetch: Fetch) -> Verdict:
        status, body = fetch(url)
        if status != 200:
            return Verdict(False, f"{url}: {'no answer' if status == 0 else f'HTTP {status}'}")
        missing = [t for t in texts if t not in body]
        if missing:
            return Verdict(False, f"{url}: page lacks {', '.join(repr(t) for t in missing)}")
        return Verdict(True, f"{url}: HTTP 200 with {', '.join(repr(t) for t in texts)}")
    return check


def status_is(url: str, expected: int) -> Callable[[Fetch], Verdict]:
    def check(fetch: Fetch) -> Verdict:
        status, _ = fetch(url)
        shown = "no answer" if status == 0 else f"HTTP {status}"
        return Verdict(status == expected, f"{url}: {shown} (expected {expected})")
    return check


HOST_LINE = re.compile(r"(?:This is|Hello from)\s+([^<\s]+)")


def alternates(url: str, requests: int = 6) -> Callable[[Fetch], Verdict]:
    """Refresh the ALB's page: at least two different hosts must answer (book ch. 8, “Creation of a Target Group” › “Creation of the elastic load balancer”)."""
    def check(fetch: Fetch) -> Verdict:
        hosts: list[str] = []
        for _ in range(requests):
            status, body = fetch(url)
            match = HOST_LINE.search(body) if status == 200 else None
            if match:
                hosts.append(match.group(1))
        distinct = sorted(set(hosts))
        if len(distinct) >= 2:
            return Verdict(True, f"{url}: {len(distinct)} hosts answered in {requests} requests ({', '.join(distinct)})")
        return Verdict(False, f"{url}: {len(hosts)} of {requests} answers named a host, {len(distinct)} distinct")
    return check


def same_page(urls: tuple[str, ...]) -> Callable[[Fetch], Verdict]:
    """Every URL answers 200 with the same page (the book's two containers on one volume, book ch. 12, “Docker Container Composition” › “Using Volumes to keep persistent data”)."""
    def check(fetch: Fetch) -> Verdict:
        answers = {url: fetch(url) for url in urls}
        down = [f"{url}: {'no answer' if status == 0 else f'HTTP {status}'}" for url, (status, _) in answers.items()
                if status != 200]
        if down:
            return Verdict(False, "; ".join(down))
        if len({body for _, body in answers.values()}) > 1:
            return Verdict(False, f"{', '.join(urls)}: different pages (not one index.html in a shared volume)")
        return Verdict(True, f"{', '.join(urls)}: HTTP 200, the same page")
    return check


def task_page(spec: TaskPage, locate: Locate | None) -> Callable[[Fetch], Verdict]:
    """The service's page on its running task's public IP, found again at each try (ECS may replace the task)."""
    def check(fetch: Fetch) -> Verdict:
        if locate is None:
            return Verdict(False, f"service {spec.service}: no AWS access to find its tasks' public IP")
        try:
            urls = locate(spec.cluster, spec.service, spec.port)
        except Exception as err:  # noqa: BLE001 - botocore's errors (credentials, access denied) are the verdict
            return Verdict(False, f"service {spec.service}: cannot read its tasks: {err}")
        if not urls:
            return Verdict(False, f"service {spec.service} in {spec.cluster}: no running task with a public IP")
        return page_contains(urls[0], *spec.texts)(fetch)
    return check




def port_open(address: str, timeout: float = 5.0) -> Callable[[Fetch], Verdict]:
    """Open a TCP connection to ``host:port`` and close it: something listens (RDP's 3389). No HTTP,
    so the fetch is not used."""
    host, _, port = address.rpartition(":")

    def check(fetch: Fetch) -> Verdict:
        if not host or not port.isdigit():
            return Verdict(False, f"{address}: not host:port")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return Verdict(True, f"{address}: TCP connection accepted")
        except OSError as err:
            return Verdict(False, f"{address}: no connection ({err.strerror or err})")
    return check


def check_of(spec: ProbeSpec, locate: Locate | None = None) -> Callable[[Fetch], Verdict]:
    if isinstance(spec, PageContains):
        return page_contains(spec.url, *spec.texts)
    if isinstance(spec, StatusIs):
        return status_is(spec.url, spec.status)
    if isinstance(spec, TaskPage):
        return task_page(spec, locate)
    if isinstance(spec, SamePage):
        return same_page(spec.urls)
    if isinstance(spec, PortOpen):
        return port_open(spec.address)
    if isinstance(spec, Alternates):
        return alternates(spec.url, spec.requests)
    raise TypeError(f"no check for {type(spec).__name__}")


def probes_for(lab: str, outputs: Mapping[str, Any], locate: Locate | None = None) -> list[Probe]:
    """The lab's live tests (its definition's ``probes``) for these stack outputs."""
    build = LABS[lab].probes if lab in LABS else None
    return [Probe(s.name, s.why, check_of(s, locate)) for s in build(outputs)] if build is not None and outputs else []


def task_locator(client: Callable[[str], Any]) -> Locate:
    """Read the service's running tasks' public IPs with boto3 clients from ``client(service)``."""
    from labctl.kinds.ecs import task_public_ips

    def locate(cluster: str, service: str, port: int) -> list[str]:
        return [f"http://{ip}:{port}/" for ip in task_public_ips(client, cluster, service)]
    return locate


# --- running them ------------------------------------------------------------------------------


class OutputSource(Protocol):
    def outputs(self, stack: str) -> Mapping[str, Any]:
        """The stack's outputs, by lab key (as `pulumi stack output --json --show-secrets` gives them)."""


class StaticOutputs:
    """Outputs given as data (tests, or a JSON file saved from `pulumi stack output --json`)."""

    def __init__(self, by_stack: Mapping[str, Mapping[str, Any]]):
        self.by_stack = by_stack

    def outputs(self, stack: str) -> Mapping[str, Any]:
        return self.by_stack.get(stack, {})


class PulumiOutputs:
    """The deployed stacks' outputs through the Automation API (needs the Pulumi CLI and the
    backend the fleet uses)."""

    def __init__(self, backend: str | None = None):
        from labctl.ops.automation import AutomationRunner
        self.runner = AutomationRunner(backend)

    def outputs(self, stack: str) -> Mapping[str, Any]:
        return {key: value.value for key, value in self.runner._stack(stack).outputs().items()}


class FindsEnvironments:
    """Outputs completed with what only the cloud knows: a lab whose starter leaves the environment to
    the student (Beanstalk's) names its application and environment but has no ``url``; the url is the
    environment's CNAME as Elastic Beanstalk reports it, once the student created it, so the starter
    is probed as the solution is. ``clients(stack)``: that stack's boto3 client factory (its region's; a
    per-student stack's, its student's account through the student's role)."""

    def __init__(self, source: OutputSource, clients: Callable[[str], Callable[[str], Any]]):
        self.source, self.clients = source, clients

    def outputs(self, stack: str) -> Mapping[str, Any]:
        from labctl.kinds.elasticbeanstalk import environment_url
        found = dict(self.source.outputs(stack))
        for lab, out in found.items():
            if isinstance(out, Mapping) and not out.get("url") and out.get("application") and out.get("environment"):
                url = environment_url(self.clients(stack)("elasticbeanstalk"), out["application"], out["environment"])
                if url:
                    found[lab] = {**out, "url": url}
        return found


@dataclass(frozen=True)
class ProbeResult:
    stack: str
    lab: str
    probe: str
    passed: bool
    attempts: int
    detail: str


def run_probe(probe: Probe, fetch: Fetch, attempts: int, interval: float, stop: threading.Event) -> tuple[Verdict, int]:
    """Retry until the probe passes, at most ``attempts`` times; ``stop`` ends the waiting early."""
    verdict = Verdict(False, "not run")
    for attempt in range(1, attempts + 1):
        verdict = probe.check(fetch)
        if verdict.passed or attempt == attempts or stop.wait(interval):
            return verdict, attempt
    return verdict, attempts


def probe_stack(stack: str, labs: list[str], source: OutputSource, fetch: Fetch = http_fetch, attempts: int = 10,
                interval: float = 30.0, stop: threading.Event | None = None, locate: Locate | None = None) -> list[ProbeResult]:
    stop = stop or threading.Event()
    try:
        outputs = source.outputs(stack)
    except Exception as err:  # noqa: BLE001 - one student's missing stack must not stop the others
        return [ProbeResult(stack, ", ".join(labs), "stack outputs", False, 1, f"cannot read the outputs: {err}")]
    results: list[ProbeResult] = []
    for lab in labs:
        probes = probes_for(lab, outputs.get(lab) or {}, locate)
        if not probes:
            definition = LABS.get(lab)
            inside = definition is not None and definition.probed_from_inside
            why = ("seen only from inside the VPC (use `labctl check`)" if inside
                   else "no live probe for this lab" if definition is None or not definition.probes
                   else "no outputs yet (is the stack up?)" if not outputs.get(lab)
                   else "nothing the outputs name to probe yet: the student launches it by hand (use `labctl grade`)")
            results.append(ProbeResult(stack, lab, "-", inside, 0, why))
            continue
        for probe in probes:
            verdict, tries = run_probe(probe, fetch, attempts, interval, stop)
            results.append(ProbeResult(stack, lab, probe.name, verdict.passed, tries, verdict.detail))
    return results
