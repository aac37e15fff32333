"""A finding: one thing AWS would refuse (or bill for), against one Pulumi resource."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Finding:
    stack: str
    resource: str  # Pulumi logical name
    type: str  # Pulumi type token
    property: str  # CloudFormation property path, e.g. "GroupDescription"
    value: Any
    rule: str  # cfn-lint rule id (E3031) or deploy rule id (CL-ORDER-IGW)
    message: str
    level: str = "error"  # error | warning

    def line(self) -> str:
        value = json.dumps(self.value, default=str)
        value = value if len(value) <= 80 else value[:77] + "..."
        message = self.message if len(self.message) <= 400 else self.message[:397] + "..."
        return (f"{self.stack}: {self.resource} ({self.type}): {self.property or '(resource)'}: {value}: "
                f"[{self.rule}] {message}")

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "resource": self.resource, "type": self.type, "property": self.property,
                "value": self.value, "rule": self.rule, "message": self.message, "level": self.level}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Finding":
        return cls(data["stack"], data["resource"], data["type"], data["property"], data["value"], data["rule"],
                   data["message"], data["level"])
