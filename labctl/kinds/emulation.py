"""The emulator facet's common parts: a record's ``emulator`` says how moto makes and deletes the
kind through boto3 (``labctl.ops.emulate`` runs them in dependency order, keeps the state, swaps
the renderer's ids for moto's). ``create(aws, inputs, name) -> (id, extra)``, ``extra`` kept in
the state, its ``outputs`` the real values of the graph's fake outputs; ``delete(aws, id, extra)``;
``aws(service)`` gives a boto3 client, ``aws.region`` the region."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Callable


SECRET = "[secret]"  # how a graph shows a secret value (labctl.offline.graph renders it so)


@dataclass(frozen=True)
class Emulator:
    create: Callable[[Any, dict, str], tuple[str, dict]]
    delete: Callable[[Any, str, dict], None]


def on_ec2(create: Callable, delete: Callable) -> Emulator:
    """The network kinds, written against one EC2 client."""
    return Emulator(with_ec2(create), lambda aws, rid, extra: delete(aws("ec2"), rid, extra))


def with_ec2(create: Callable) -> Callable[[Any, dict, str], tuple[str, dict]]:
    """A network kind's create, written against one EC2 client."""
    return lambda aws, i, name: create(aws("ec2"), i)


def delete_call(service: str, operation: str, argument: str, listed: bool = False) -> Callable[[Any, str, dict], None]:
    """A delete that is one call naming the resource's id (in a list where the API takes several)."""
    return lambda aws, rid, extra: getattr(aws(service), operation)(**{argument: [rid] if listed else rid})


def tags(inputs: dict) -> list[dict[str, str]]:
    """Pulumi's tags as the AWS API's [{Key, Value}]."""
    return [{"Key": k, "Value": str(v)} for k, v in (inputs.get("tags") or {}).items()]


def spec(resource_type: str, inputs: dict) -> list[dict]:
    """EC2's TagSpecifications for a create call."""
    found = tags(inputs)
    return [{"ResourceType": resource_type, "Tags": found}] if found else []


def as_bool(value: Any) -> bool:
    """Pulumi's AWS provider keeps some booleans as strings ("true") in launch templates."""
    return value if isinstance(value, bool) else str(value).lower() == "true"


def named(i: dict, name: str, limit: int = 255, key: str = "name", prefix_key: str = "namePrefix") -> str:
    """The AWS name the provider would choose: the given one, the prefix and a unique suffix, or
    (Pulumi's autonaming) the resource's name and a random 7-character suffix."""
    if i.get(key):
        return str(i[key])
    if i.get(prefix_key):
        return (str(i[prefix_key]) + uuid.uuid4().hex + uuid.uuid4().hex)[:min(limit, len(i[prefix_key]) + 26)]
    return f"{name}-{uuid.uuid4().hex[:7]}"[:limit]


def given_name(i: dict, fallback: str, limit: int) -> str:
    """The given name, else the prefix and a unique suffix (as the provider names IAM and
    Beanstalk resources)."""
    if i.get("name"):
        return str(i["name"])
    prefix = str(i.get("namePrefix") or f"{fallback}-")
    return (prefix + uuid.uuid4().hex)[:limit]


def pascal(value: Any, renames: dict[str, str] | None = None) -> Any:
    """camelCase keys (Pulumi's inputs) as PascalCase (the AWS API's), nested; ``renames`` for the
    few that are not a plain capitalisation (sseAlgorithm -> SSEAlgorithm)."""
    renames = renames or {}
    if isinstance(value, list):
        return [pascal(v, renames) for v in value]
    if isinstance(value, dict):
        return {renames.get(k, k[:1].upper() + k[1:]): pascal(v, renames) for k, v in value.items()}
    return value
