"""Elastic Load Balancing (v2): application load balancers, listeners, target groups."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

KINDS = (
    Kind("aws:lb/loadBalancer:LoadBalancer", "load balancer", "load_balancer", drift=True, sweep="load balancer"),
    Kind("aws:lb/listener:Listener", "listener", FREE, "billed with its load balancer", sweep_with="goes with its load balancer"),
    Kind("aws:lb/targetGroup:TargetGroup", "target group", FREE, "billed with its load balancer", sweep="target group"),
    Kind("aws:lb/targetGroupAttachment:TargetGroupAttachment", "target registration", FREE, sweep_with="goes with its target group"),
)
