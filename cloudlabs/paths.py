"""Expected network paths: what "success looks like" at the end of each activity, as data.

Each lab declares, per stage, the paths a student will test (browse the public IP, curl a
private host from the bastion, ping across the peering) and whether they must work. `labctl
check` evaluates them on the rendered graph; a `starter` stage declares where it must fail.

Endpoints are named as the book names them:
- a host's name ("bastion", "web-dev", "VM1"),
- "subnet:<name>" for any host in a subnet without a security group of its own,
- "internet" (any IPv4 address), "internet6" (any IPv6 address), "admin" (the internet seen
  from the stack's admin CIDR, e.g. the campus network), and "cidr:<range>" for a given range.
"""

from __future__ import annotations

from dataclasses import dataclass

INTERNET, INTERNET6, ADMIN = "internet", "internet6", "admin"
PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6")


@dataclass(frozen=True)
class Expect:
    src: str
    dst: str
    port: int | None  # None for ICMP
    allowed: bool
    why: str  # the test the book asks the student to run
    protocol: str = "tcp"

    def __post_init__(self) -> None:
        if self.protocol not in PROTOCOLS:
            raise ValueError(f"protocol {self.protocol!r}; allowed: {', '.join(PROTOCOLS)}")
        if (self.port is None) != self.protocol.startswith("icmp"):
            raise ValueError("a port for tcp/udp, none for icmp")

    @property
    def label(self) -> str:
        target = self.dst if self.port is None else f"{self.dst}:{self.port}"
        proto = "" if self.protocol == "tcp" else f" ({self.protocol})"
        return f"{self.src} -> {target}{proto}"


def allow(src: str, dst: str, port: int | None, why: str, protocol: str = "tcp") -> Expect:
    return Expect(src, dst, port, True, why, protocol)


def deny(src: str, dst: str, port: int | None, why: str, protocol: str = "tcp") -> Expect:
    return Expect(src, dst, port, False, why, protocol)


def ping(src: str, dst: str, allowed: bool, why: str) -> Expect:
    return Expect(src, dst, None, allowed, why, "icmp")
