"""One module per lab, each defining ``LAB`` (a ``cloudlabs.lab.LabDefinition``).

Modules are discovered, so a new lab is a new module here (and its component in
``components.labs``); nothing else is registered by hand. ``cloudlabs.catalog`` orders them.
"""

from __future__ import annotations

import importlib
import pkgutil

from ..lab import LabDefinition


def discover() -> list[LabDefinition]:
    found: list[LabDefinition] = []
    for module in pkgutil.iter_modules(__path__):
        lab = getattr(importlib.import_module(f"{__name__}.{module.name}"), "LAB", None)
        if lab is None:
            continue  # a helper module shared by labs
        if not isinstance(lab, LabDefinition):
            raise TypeError(f"{__name__}.{module.name}.LAB is not a LabDefinition")
        found.append(lab)
    return found
