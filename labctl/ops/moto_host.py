"""What a process that hosts the emulated account does to moto, once, before the first call.

- AWS's refusals (``emulator_rules``): a delete AWS refuses while something uses the resource.
- One call at a time. moto's backends are plain dictionaries and lists, not thread-safe: the
  fleet runs stacks in parallel threads against the in-process account, and the served sandbox
  answers each request on a thread of its own, so two calls could meet inside one backend
  ("dictionary changed size during iteration", a subnet created while a describe walks the list).
  Every call into moto passes one lock: in-process at moto's botocore stubber (where a boto3
  call becomes a backend call), served at the WSGI application (where a request does). The GIL
  already runs one of them at a time, so serialising costs little (see benchmarks/class_bench.py).
- No call that grows with the account. moto finds an EC2 resource's tags by matching every tag
  of the account against its id (for every resource it describes or creates): a class of 250
  students (5,000 resources) made each call hundreds of times slower than the first. Tags are
  looked up by id instead, with the same result; so are a security group (moto copied every
  group's table to find one: each rule, instance and group create asks) and instances (moto
  copied every reservation: each volume attached at launch, each terminate asks); and the list of a response class's methods,
  which moto rebuilt with ``inspect.getmembers`` on every request (1.6 ms each), is kept per class
  (classes do not change once the rules are installed).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

CALLS = threading.RLock()  # re-entrant: a backend that calls another service through boto3 keeps going
_install_lock = threading.Lock()
_installed = False
# Told, with the lock still to take, that a call waits for it (tests force interleavings with it).
on_wait: Callable[[], None] | None = None
# moto's own lookups that install() replaced with ones that do not grow with the account, by
# "Class.method" (tests hold each replacement to the same answers as moto's own).
REPLACED: dict[str, Callable[..., Any]] = {}


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Any:
        if not CALLS.acquire(blocking=False):
            if on_wait is not None:
                on_wait()
            CALLS.acquire()
        try:
            return method(*args, **kwargs)
        finally:
            CALLS.release()

    call.__cloudlabs_serialised__ = True  # type: ignore[attr-defined]
    return call


def _tags_by_id(self: Any) -> list[dict[str, str]]:
    """``TaggedEC2Resource.get_tags``, by the resource's id: what ``describe_tags(filters={
    "resource-id": [id]})`` returns for an id (ids hold no wildcard), without scanning every tag."""
    from moto.ec2.models.tags import EC2_PREFIX_TO_RESOURCE, get_prefix
    if not self.id:
        return []
    tags = self.ec2_backend.tags.get(self.id) or {}
    kind = EC2_PREFIX_TO_RESOURCE.get(get_prefix(self.id), "")
    return [{"resource_id": self.id, "key": key, "value": value, "resource_type": kind} for key, value in tags.items()]


def _group_by_id(self: Any, group_id: str) -> Any:
    """``SecurityGroupBackend.get_security_group_from_id``: the group's table per VPC is keyed by
    the group's id, so one lookup per VPC instead of a copy of every group."""
    for groups in list(self.groups.values()):
        group = groups.get(group_id)
        if group is not None:
            return group
    return None


def _instance_by_id(self: Any, instance_id: str) -> Any:
    """``InstanceBackend.get_instance`` without copying every reservation first (the copies are
    shallow: the instances found are the same objects)."""
    from moto.ec2.exceptions import InvalidInstanceIdError
    for reservation in list(self.reservations.values()):
        for instance in reservation.instances:
            if instance.id == instance_id:
                return instance
    raise InvalidInstanceIdError(instance_id)


def _instances_by_ids(self: Any, instance_ids: list[str], filters: Any = None) -> list[Any]:
    """``InstanceBackend.get_multi_instances_by_id`` without copying every reservation first."""
    from moto.ec2.exceptions import InvalidInstanceIdError
    wanted = set(instance_ids)
    found = {instance.id: instance for reservation in list(self.reservations.values())
             for instance in reservation.instances if instance.id in wanted}
    missing = [i for i in instance_ids if i not in found]
    if missing:
        raise InvalidInstanceIdError(missing)
    return [found[i] for i in instance_ids if found[i].applies(filters)]


def install() -> None:
    """Patch moto once (idempotent, thread-safe): AWS's rules, and one call at a time."""
    global _installed
    from labctl.ops import emulator_rules
    emulator_rules.install()
    with _install_lock:
        if _installed:
            return
        from moto.core.botocore_stubber import BotocoreStubber
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication
        for entry in (BotocoreStubber, DomainDispatcherApplication):
            original = entry.__dict__["__call__"]
            if not getattr(original, "__cloudlabs_serialised__", False):
                entry.__call__ = _serialised(original)  # type: ignore[method-assign]
        from moto.ec2.models.core import TaggedEC2Resource
        from moto.ec2.models.instances import InstanceBackend
        from moto.ec2.models.security_groups import SecurityGroupBackend
        replaced: tuple[tuple[type, str, Callable[..., Any]], ...] = (
            (TaggedEC2Resource, "get_tags", _tags_by_id),
            (SecurityGroupBackend, "get_security_group_from_id", _group_by_id),
            (InstanceBackend, "get_instance", _instance_by_id),
            (InstanceBackend, "get_multi_instances_by_id", _instances_by_ids))
        for cls, name, faster in replaced:
            REPLACED[f"{cls.__name__}.{name}"] = cls.__dict__[name]
            setattr(cls, name, faster)
        from moto.core import responses
        responses.method_names_from_class = functools.lru_cache(maxsize=None)(
            responses.method_names_from_class)
        _installed = True
