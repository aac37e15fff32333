"""What a kind takes of an account's limits (a profile's ``limits``, held per stack by the deploy rule
CL-LIMIT-ACCOUNT in ``labctl.analysis.deployrules``): the EC2 instances it runs at most at once and
their types, the EBS volumes it makes, the database class and storage, an IAM role of its own.

A kind's record names its ``capacity`` function; a kind without one takes none of these (a VPC, a
load balancer: AWS's capacity, not the account's instances)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol


class Resource(Protocol):
    """What a capacity function reads of a rendered resource (``labctl.offline.graph.Resource``)."""

    inputs: dict[str, Any]


class StackGraph(Protocol):
    """What it reads of the graph: another resource by its id (``labctl.offline.graph.StackGraph``)."""

    def by_id(self, resource_id: str) -> Any: ...


@dataclass(frozen=True)
class Launches:
    """EC2 instances a resource runs at once at most; of several allowed types, the largest counts."""

    count: int
    instance_types: tuple[str, ...]
    prop: str  # where the count comes from, e.g. "maxSize"


@dataclass(frozen=True)
class Volume:
    gib: int
    prop: str  # where its size is written, e.g. "rootBlockDevice.volumeSize"


@dataclass(frozen=True)
class Database:
    instance_class: str
    storage_gib: int
    storage_prop: str


@dataclass(frozen=True)
class Capacity:
    launches: Launches | None = None
    volumes: tuple[Volume, ...] = ()
    database: Database | None = None
    role: bool = False  # an IAM role of the stack's own


CapacityOf = Callable[[Resource, StackGraph], Capacity]

# Beanstalk's documented default for aws:autoscaling:asg MaxSize (the general options reference)
BEANSTALK_DEFAULT_MAX_SIZE = 4
BEANSTALK_DEFAULT_INSTANCE_TYPE = "t3.micro"  # what Beanstalk launches when no option names a type


def _gib(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def _sized(items: list[tuple[Any, str]]) -> tuple[Volume, ...]:
    return tuple(Volume(gib, prop) for value, prop in items if value is not None and (gib := _gib(value)) is not None)


def _template_volumes(template: dict[str, Any]) -> tuple[Volume, ...]:
    return _sized([((m.get("ebs") or {}).get("volumeSize"), f"blockDeviceMappings[{i}].ebs.volumeSize")
                   for i, m in enumerate(template.get("blockDeviceMappings") or [])])


def _launch_template(r: Resource, graph: StackGraph) -> dict[str, Any]:
    """The inputs of the launch template ``r`` launches from (by id), empty when it names none in the graph."""
    ref = (r.inputs.get("launchTemplate") or {}).get("id")
    try:
        return graph.by_id(str(ref)).inputs if ref else {}
    except KeyError:
        return {}


def instance(r: Resource, graph: StackGraph) -> Capacity:
    """One instance, of its type (or its launch template's); its root and extra volumes."""
    itype = r.inputs.get("instanceType") or _launch_template(r, graph).get("instanceType")
    root = r.inputs.get("rootBlockDevice") or {}
    extra = [(d.get("volumeSize"), f"ebsBlockDevices[{i}].volumeSize") for i, d in enumerate(r.inputs.get("ebsBlockDevices") or [])]
    return Capacity(Launches(1, (str(itype),) if itype else (), "instanceType"),
                    _sized([(root.get("volumeSize"), "rootBlockDevice.volumeSize"), *extra]))


def launch_template(r: Resource, graph: StackGraph) -> Capacity:
    """No instance of its own (its group's or instance's count them); the volumes each launch gets."""
    return Capacity(volumes=_template_volumes(r.inputs))


def autoscaling_group(r: Resource, graph: StackGraph) -> Capacity:
    """At its maximum size, of its launch template's type (scaling policies may take it there)."""
    itype = _launch_template(r, graph).get("instanceType")
    return Capacity(Launches(int(r.inputs.get("maxSize") or 0), (str(itype),) if itype else (), "maxSize"))


def beanstalk_environment(r: Resource, graph: StackGraph) -> Capacity:
    """A single-instance environment runs one; a load-balanced one its group's MaxSize (default 4)."""
    settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in r.inputs.get("settings") or []}
    single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    written = settings.get(("aws:autoscaling:asg", "MaxSize"))
    count = 1 if single else _gib(written) if written is not None else BEANSTALK_DEFAULT_MAX_SIZE
    prop = ("EnvironmentType SingleInstance" if single else
            "aws:autoscaling:asg MaxSize" + ("" if written is not None else f" (unset: Beanstalk's default {BEANSTALK_DEFAULT_MAX_SIZE})"))
    types = str(settings.get(("aws:autoscaling:launchconfiguration", "InstanceType"))
                or settings.get(("aws:ec2:instances", "InstanceTypes")) or BEANSTALK_DEFAULT_INSTANCE_TYPE)
    return Capacity(Launches(count or 0, tuple(t.strip() for t in types.split(",") if t.strip()), prop),
                    _sized([(settings.get(("aws:autoscaling:launchconfiguration", "RootVolumeSize")),
                             "aws:autoscaling:launchconfiguration RootVolumeSize")]))


def volume(r: Resource, graph: StackGraph) -> Capacity:
    return Capacity(volumes=_sized([(r.inputs.get("size"), "size")]))


def database(r: Resource, graph: StackGraph) -> Capacity:
    """Its class, and its storage at the most it may grow to (storage autoscaling's maxAllocatedStorage)."""
    grows = r.inputs.get("maxAllocatedStorage")
    prop, storage = ("maxAllocatedStorage", grows) if grows else ("allocatedStorage", r.inputs.get("allocatedStorage", 20))
    return Capacity(database=Database(str(r.inputs.get("instanceClass")), _gib(storage) or 0, prop))


def role(r: Resource, graph: StackGraph) -> Capacity:
    return Capacity(role=True)


def fargate_service(r: Resource, graph: StackGraph) -> Capacity:
    """Fargate tasks run on AWS's capacity: no EC2 instance in the account, so an ECS service on
    Fargate counts towards neither the running instances nor their vCPUs (an ECS service on EC2
    capacity would be counted as its Auto Scaling group's instances)."""
    return Capacity()
