"""The contract every lab component follows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import pulumi

from cloudlabs.addressing import LabLayout
from cloudlabs.catalog import LabOptions
from cloudlabs.paths import Expect

from ..context import LabContext


OptionsT = TypeVar("OptionsT", bound=LabOptions)


@dataclass
class LabArgs(Generic[OptionsT]):
    context: LabContext
    layout: LabLayout  # the lab's networks for this seat, from the address plan
    options: OptionsT


class LabComponent(pulumi.ComponentResource, Generic[OptionsT]):
    """A lab: built from LabArgs, exposing ``outputs`` (what the student needs next), which the
    program exports as the stack output named after the lab key."""

    TYPE = "cloudlabs:labs:Lab"
    outputs: dict[str, Any]

    def __init__(self, name: str, args: LabArgs[OptionsT], opts: pulumi.ResourceOptions | None = None):
        super().__init__(self.TYPE, name, None, opts)
        self.args = args
        self.outputs = self.build(name, args)
        self.register_outputs(self.outputs)

    def build(self, name: str, args: LabArgs[OptionsT]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    @classmethod
    def expected_paths(cls, stage: str, options: OptionsT) -> list[Expect]:
        """What "success looks like" for this stage (and where the starter must fail), evaluated
        by `labctl check` on the rendered graph. Every lab declares its paths."""
        raise NotImplementedError(f"{cls.__name__} declares no expected paths")

    @property
    def child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)
