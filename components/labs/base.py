"""The contract every lab component follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import pulumi

from cloudlabs.addressing import LabLayout
from cloudlabs.lab import LabDefinition, LabOptions

from ..context import LabContext

OptionsT = TypeVar("OptionsT", bound=LabOptions)


@dataclass
class LabArgs(Generic[OptionsT]):
    context: LabContext
    layout: LabLayout  # the lab's networks for this seat, from the address plan
    options: OptionsT


class LabComponent(pulumi.ComponentResource, Generic[OptionsT]):
    """A lab: built from LabArgs, exposing ``outputs`` (what the student needs next), which the
    program exports as the stack output named after the lab key. ``LAB`` is the lab's definition
    (cloudlabs.labs): the outputs a build returns must be the ones it declares."""

    TYPE: ClassVar[str] = "cloudlabs:labs:Lab"
    LAB: ClassVar[LabDefinition[Any]]
    outputs: dict[str, Any]

    def __init__(self, name: str, args: LabArgs[OptionsT], opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TYPE, name, None, opts)
        self.args = args
        self.outputs = self.build(name, args)
        self.LAB.check_outputs(set(self.outputs))
        self.register_outputs(self.outputs)

    def build(self, name: str, args: LabArgs[OptionsT]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)
