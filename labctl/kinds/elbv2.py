"""Elastic Load Balancing (v2): application load balancers, listeners, target groups."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:lb/loadBalancer:LoadBalancer", "load balancer", "load_balancer", drift=True),
    Kind("aws:lb/listener:Listener", "listener", FREE, "billed with its load balancer"),
    Kind("aws:lb/targetGroup:TargetGroup", "target group", FREE, "billed with its load balancer"),
    Kind("aws:lb/targetGroupAttachment:TargetGroupAttachment", "target registration", FREE),
)
