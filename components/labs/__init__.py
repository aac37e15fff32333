"""One ComponentResource per lab, found by the lab key of its definition (``LAB``).

Modules are discovered: a new lab's component is a new module here, nothing is registered by
hand; a test checks that every lab of the catalog has exactly one component.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

from .base import LabArgs, LabComponent


def _discover() -> dict[str, type[LabComponent[Any]]]:
    found: dict[str, type[LabComponent[Any]]] = {}
    for module in pkgutil.iter_modules(__path__):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        for _, cls in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(cls, LabComponent) and cls.__module__ == loaded.__name__ and "LAB" in vars(cls):
                if cls.LAB.key in found:
                    raise ValueError(f"two components build the lab {cls.LAB.key!r}")
                found[cls.LAB.key] = cls
    return found


LAB_COMPONENTS: dict[str, type[LabComponent[Any]]] = _discover()

__all__ = ["LAB_COMPONENTS", "LabArgs", "LabComponent"]
