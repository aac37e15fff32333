"""Facts several kinds share, kept once."""

from __future__ import annotations

# IP protocol numbers by the names Pulumi's inputs use ("-1": every protocol).
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "all": -1, "-1": -1}
PROTOCOL_NAMES = {str(number): name for name, number in PROTOCOL_NUMBERS.items() if name != "-1"}
