"""EC2 Auto Scaling: groups and their scaling policies."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:autoscaling/group:Group", "Auto Scaling group", "autoscaling_group", sweep="Auto Scaling group"),
    Kind("aws:autoscaling/policy:Policy", "scaling policy", FREE, sweep_with="goes with its Auto Scaling group"),
)
