"""Live probes: the book's "success looks like", checked against a deployed stack over HTTP (and,
for the Windows server's RDP, a TCP connection).

The offline checker proves the network allows a path; only a live request proves the student's
page is there: "Hello from <host>" (chapter 3), the ALB alternating between its hosts (L6343),
the three database rows on the LAMP page (L8288), the JPG readable and the PNG refused (L7420).
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
from cloudlabs.probes import Alternates, PageContains, PortOpen, ProbeSpec, StatusIs

Fetch = Callable[[str], tuple[int, str]]  # url -> (HTTP status, body); status 0: no answer


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
    """Refresh the ALB's page: at least two different hosts must answer (L6343)."""
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


def check_of(spec: ProbeSpec) -> Callable[[Fetch], Verdict]:
    if isinstance(spec, PageContains):
        return page_contains(spec.url, *spec.texts)
    if isinstance(spec, StatusIs):
        return status_is(spec.url, spec.status)
    if isinstance(spec, PortOpen):
        return port_open(spec.address)
    if isinstance(spec, Alternates):
        return alternates(spec.url, spec.requests)
    raise TypeError(f"no check for {type(spec).__name__}")


def probes_for(lab: str, outputs: Mapping[str, Any]) -> list[Probe]:
    """The lab's live tests (its definition's ``probes``) for these stack outputs."""
    build = LABS[lab].probes if lab in LABS else None
    return [Probe(s.name, s.why, check_of(s)) for s in build(outputs)] if build is not None and outputs else []


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
                interval: float = 30.0, stop: threading.Event | None = None) -> list[ProbeResult]:
    stop = stop or threading.Event()
    try:
        outputs = source.outputs(stack)
    except Exception as err:  # noqa: BLE001 - one student's missing stack must not stop the others
        return [ProbeResult(stack, ", ".join(labs), "stack outputs", False, 1, f"cannot read the outputs: {err}")]
    results: list[ProbeResult] = []
    for lab in labs:
        probes = probes_for(lab, outputs.get(lab) or {})
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
