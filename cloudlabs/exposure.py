"""When is a range "the internet"? One answer for the settings check and the security-group guard.

Opening SSH or RDP to ``0.0.0.0/0`` is the classic mistake, but ``0.0.0.0/1`` or ``1.0.0.0/8``
is the same mistake written differently. A range counts as wide open when it holds more
public addresses than one organisation's network plausibly does: shorter than /16 for IPv4
(65,536 addresses: a large campus) or /32 for IPv6 (an ISP-sized allocation). Ranges entirely
inside the private, loopback or link-local blocks are not internet ranges, whatever their size.
"""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network

WIDEST_IPV4_PREFIX = 16
WIDEST_IPV6_PREFIX = 32
ADMIN_PORTS = frozenset({22, 3389})  # SSH and RDP

WIDE_OPEN_TEXT = (f"an IPv4 range of /{WIDEST_IPV4_PREFIX} or narrower (IPv6: /{WIDEST_IPV6_PREFIX}), "
                  "or a private range")


# Blocks no internet host is in (RFC 1918, shared CGNAT space, loopback, link-local, IPv6 ULA).
# Listed, not taken from ``is_private``: that calls 0.0.0.0/1 private because both of its ends are.
NOT_INTERNET_V4 = tuple(IPv4Network(block) for block in (
    "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16"))
NOT_INTERNET_V6 = tuple(IPv6Network(block) for block in ("fc00::/7", "fe80::/10", "::1/128"))


def is_wide_open(network: IPv4Network | IPv6Network) -> bool:
    """True for ranges that open a port to a large part of the internet (see the module doc)."""
    if isinstance(network, IPv4Network):
        return network.prefixlen < WIDEST_IPV4_PREFIX and not any(network.subnet_of(b) for b in NOT_INTERNET_V4)
    return network.prefixlen < WIDEST_IPV6_PREFIX and not any(network.subnet_of(b) for b in NOT_INTERNET_V6)


def describe(network: IPv4Network | IPv6Network) -> str:
    """'opens ... to the whole internet' or '... to 2,147,483,648 internet addresses'."""
    if network.prefixlen == 0:
        return "the whole internet"
    return f"{network.num_addresses:,} internet addresses"


# The exceptions a lab takes to the secure defaults for the book's lesson. The component that takes one
# tags the resource with it (EXCEPTION_TAG: the exception's name), and the guardrails
# (labctl.analysis.guardrails, the policy pack) accept exactly that exception on a resource so marked.
EXCEPTION_TAG = "cloudlabs:exception"
PUBLIC_BUCKET = "public-bucket"
OPEN_ADMIN_CIDR = "open-admin-cidr"
EXCEPTIONS = {
    PUBLIC_BUCKET: "the bucket is public because the lab is about public access (chapter 9's public-read, jpg-only and "
                   "website parts): Block Public Access is lifted for its policy, ACLs stay blocked",
    OPEN_ADMIN_CIDR: "the stack's settings open SSH and RDP to a wide range on purpose (cloudlabs:allowOpenAdminCidr: true)",
}
