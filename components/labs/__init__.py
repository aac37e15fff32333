"""One ComponentResource per lab of the catalog, registered by lab key."""

from __future__ import annotations

from .access_control import AccessControlLab
from .base import LabArgs, LabComponent
from .dual_stack import DualStackLab
from .ec2_webserver import Ec2WebserverLab
from .lamp import LampLab
from .object_storage import ObjectStorageLab
from .load_balancer import AutoscalingLab, LoadBalancerLab
from .vpc_nat import VpcNatLab
from .vpc_peering import VpcPeeringLab

LAB_COMPONENTS: dict[str, type[LabComponent]] = {
    "ec2-webserver": Ec2WebserverLab,
    "access-control": AccessControlLab,
    "dual-stack": DualStackLab,
    "vpc-nat": VpcNatLab,
    "vpc-peering": VpcPeeringLab,
    "load-balancer": LoadBalancerLab,
    "autoscaling": AutoscalingLab,
    "object-storage": ObjectStorageLab,
    "lamp": LampLab,
}

__all__ = ["LAB_COMPONENTS", "LabArgs", "LabComponent"]
