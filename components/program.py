"""The Pulumi program's body: settings in, lab components and stack outputs out.

``__main__.py`` calls it under the Pulumi engine; labctl's renderer runs that same
``__main__.py`` under mocks, so there is one program and no test fork of it.
"""

from __future__ import annotations

from typing import Any

from pulumi.runtime.config import CONFIG, get_config_env

from cloudlabs import content
from cloudlabs.addressing import seat_block
from cloudlabs.catalog import LABS
from cloudlabs.settings import StackSettings

from .context import LabContext
from .keys import StudentKey
from .labs import LAB_COMPONENTS, LabArgs


def runtime_config() -> dict[str, Any]:
    """Every config value the engine handed to this program (``namespace:key`` -> string)."""
    values = dict(get_config_env())
    values.update(CONFIG.get())
    return values


def build_stack(settings: StackSettings) -> dict[str, Any]:
    """Create every selected lab; return the stack outputs."""
    outputs: dict[str, Any] = {
        "student": settings.student,
        "seat": settings.seat,
        "addressBlock": str(seat_block(settings.seat)),
        "labs": {s.lab: s.stage for s in settings.labs},
    }
    student_key = StudentKey(settings.cohort, settings.student) if settings.generated_key else None
    for selection, layout in zip(settings.labs, settings.layouts()):
        for folder in LABS[selection.lab].content:  # what the lab ships: regular files of labs/ only
            content.check_folder(content.lab_path(folder))
        context = LabContext.for_lab(settings, selection.lab, selection.stage, student_key)
        lab = LAB_COMPONENTS[selection.lab](selection.lab, LabArgs(context, layout, selection.options))
        outputs[selection.lab] = lab.outputs
    key = student_key.outputs() if student_key is not None else None
    if key is not None:  # shared model: the student's own key pair, its private key a secret
        outputs["studentKey"] = key
    return outputs
