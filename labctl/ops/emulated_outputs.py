"""A stack's outputs as the emulator made it: the rendered program's outputs with the renderer's ids and
addresses replaced by those the emulated AWS answered (the state's aliases), and each instance's
public IP read from the emulated account (moto gives one to an instance in a public subnet)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Callable

from labctl.offline.graph import SECRET, StackGraph
from labctl.ops.emulated_state import EmulatedStack


# What is swapped: AWS ids (vpc-0a1b2c3d...), IPv4 addresses and AWS host names. Never names: a key
# pair's name is also its fake id, and its file name (<name>.pem) must stay.
SWAPPED = re.compile(r"[a-z]+-[0-9a-f]{8,}|[0-9]{1,3}(\.[0-9]{1,3}){3}|.*\.amazonaws\.com(:[0-9]+)?")


def _swap_text(value: Any, ids: dict[str, str]) -> Any:
    """Every known fake id or address inside a string replaced (an ssh command names an IP)."""
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        for fake in sorted(ids, key=len, reverse=True):  # the longest first: 198.51.100.18 inside .189
            if len(fake) > 8 and fake in value:
                value = value.replace(fake, ids[fake])
        return value
    if isinstance(value, list):
        return [_swap_text(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap_text(v, ids) for k, v in value.items()}
    return value


def public_ips(graph: StackGraph, state: EmulatedStack, ec2: Any) -> dict[str, str]:
    """The renderer's public IP of each instance -> the one the emulated account gave it."""
    found: dict[str, str] = {}
    made = {urn: entry["id"] for urn, entry in state.resources.items() if isinstance(entry.get("id"), str)}
    wanted = {made[r.urn]: r.outputs["publicIp"] for r in graph.resources
              if r.urn in made and isinstance(r.outputs.get("publicIp"), str) and str(made[r.urn]).startswith("i-")}
    if not wanted:
        return found
    for reservation in ec2.describe_instances(InstanceIds=sorted(wanted))["Reservations"]:
        for inst in reservation["Instances"]:
            if inst.get("PublicIpAddress"):
                found[wanted[inst["InstanceId"]]] = inst["PublicIpAddress"]
    return found


def emulated_outputs(graph: StackGraph, state_dir: Path, client: Callable[[str], Any] | None = None) -> dict[str, Any] | None:
    """The stack's outputs in the emulator, or None when the emulator holds nothing of it. ``client``: the
    stack's boto3 client factory (its public IPs); without it the renderer's addresses stay."""
    state = EmulatedStack.load(graph.stack, state_dir)
    if not state.resources:
        return None
    ids = {fake: real for entry in state.resources.values() for fake, real in entry.get("aliases", {}).items()
           if isinstance(fake, str) and isinstance(real, str) and SWAPPED.fullmatch(fake)}
    if client is not None:
        ids.update(public_ips(graph, state, client("ec2")))
    return _reveal(_swap_text(graph.outputs, ids), state)


def _reveal(outputs: Any, state: EmulatedStack) -> Any:
    """The plan's redacted secrets given the values the emulator generated, where that is unambiguous: a
    ``privateKey`` the one PEM key, any other secret the one other value (a database password). With two
    of a kind they stay redacted."""
    made = [entry.get("extra", {}).get("secret") for entry in state.resources.values()]
    keys = [s for s in made if isinstance(s, str) and s.startswith("-----BEGIN")]
    others = [s for s in made if isinstance(s, str) and not s.startswith("-----BEGIN")]

    def walk(value: Any, key: str) -> Any:
        if isinstance(value, dict):
            return {k: walk(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, key) for v in value]
        if value == SECRET:
            pool = keys if key == "privateKey" else others
            return pool[0] if len(pool) == 1 else value
        return value
    return walk(outputs, "")
