"""One ComponentResource per lab of the catalog, registered by lab key."""

from __future__ import annotations

from .base import LabArgs, LabComponent
from .ec2_webserver import Ec2WebserverLab
from .vpc_nat import VpcNatLab

LAB_COMPONENTS: dict[str, type[LabComponent]] = {
    "ec2-webserver": Ec2WebserverLab,
    "vpc-nat": VpcNatLab,
}

__all__ = ["LAB_COMPONENTS", "LabArgs", "LabComponent"]
