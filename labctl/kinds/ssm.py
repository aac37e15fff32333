"""Systems Manager: parameters."""

from __future__ import annotations

from labctl.kinds.fakes import generic
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import FREE, Kind


KINDS = (
    Kind("aws:ssm/parameter:Parameter", "SSM parameter", FREE, "standard parameters are free", emulated="no lab creates one: the emulator has no handler for it yet", sweep_with="not swept: free, and no lab creates one",
         fake=generic,
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
    ),
)
