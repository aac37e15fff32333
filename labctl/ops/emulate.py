"""Emulated deployment: replay a stack's rendered graph against an AWS API (moto) with boto3.

The program runs once under the renderer's mocks (the same ``__main__.py``); the custom
resources are then created through boto3 in dependency order. The ids the renderer's fakes made
up are swapped, everywhere they occur in later inputs, for the ids moto returns, so a route gets
the real gateway id and an instance the real subnet and security-group ids. Destroy deletes in
reverse order. The state (URN -> type and AWS id) is a JSON file in a state directory.

Why replay the rendered graph rather than let ``Mocks.new_resource`` call boto3: the renderer's
graph already has every input and every dependency resolved, so the runner is a plain loop over
a topological order, testable without the Pulumi runtime, and the failure of one call stops
before any dependent is attempted. A type the emulator does not know is an error naming it.

Scope: every type any lab renders, at every stage and option (tests/test_emulator.py renders
them all and checks that up then destroy leaves nothing): the EC2 network and instance types; ALB,
target groups, listeners and target-group attachments (elbv2); launch templates, Auto Scaling
groups and scaling policies; S3 gateway endpoints; S3 buckets and their policy, public access
block, encryption, website, CORS and objects (a file asset is read from the repository, as Pulumi
reads it relative to the program); RDS subnet groups and instances; ``random:RandomPassword``,
generated locally (no cloud call) and put where the graph has the redacted value from it (the
database's password). The generated password is kept in the state file, as Pulumi keeps it in its
state: these are passwords of a moto database, never of a real one. Names with a prefix get a
unique suffix, as the provider's do, so 50 students' groups and templates do not collide.

How each kind is made and deleted is in its record (``labctl.kinds``, the ``emulator`` facet);
IAM roles, policies and instance profiles, Beanstalk applications, with what moto's Elastic
Beanstalk lacks (``UNSUPPORTED``, from the records: application
versions and environments, each with its reason in the error).

A type without a handler raises ``UnsupportedType`` naming it, before anything is created (and on
destroy, for a state entry of such a type); nothing is skipped. A call moto refuses or does not
implement raises ``EmulationError`` naming the resource's type and name, the cause chained; the
state keeps what was made, so destroy still removes it. ``up`` and ``destroy`` take a boto3
``Session`` (clients for ec2, elbv2, autoscaling, s3, rds), not one client.

What moto (5.2.5) does not emulate, and what the emulator does about it:

- ``PutScalingPolicy`` answers ``PolicyArn`` where botocore expects ``PolicyARN``, so the ARN is
  lost: the emulator reads it back with ``DescribePolicies``.
- ``DeleteVpc`` keeps the VPC's default network ACL (AWS deletes it with the VPC), and the ACL's
  stale subnet associations make ``DeleteNetworkAcl`` refuse it: an ACL left of a deleted VPC is a
  moto artefact (untagged; ``labctl sweep`` does not see it) and the tests' inventory ignores it.
- Nothing runs: instances never boot their user data, the ALB forwards nothing, health checks and
  target tracking never act (the group stays at its desired capacity), the database takes no
  connections, a bucket policy or public access block is stored but not enforced.
- moto answers at once: no waiting for a NAT gateway, a database or an ALB to become available or
  to be deleted (a deleted NAT gateway stays listed as ``deleted``, as in AWS for an hour).

The containers lab: ECR repositories, ECS clusters, task definitions and services
(``labctl.kinds.ecr``, ``labctl.kinds.ecs``); its docker types (images built and pushed, containers, volumes) need a
Docker engine: a graph with any is refused with ``NeedsDockerEngine`` before anything is created.

Cross-process persistence needs a served moto (``endpoint_url``), since in-process moto keeps
nothing on disk.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable

from labctl import kinds
from labctl.kinds.emulation import Emulator
from labctl.offline.graph import SECRET, StackGraph
from labctl.ops.awserrors import aws_text, is_dependency, is_gone
from labctl.ops.emulated_state import EmulatedStack


class UnsupportedType(RuntimeError):
    """The emulator cannot create this resource type."""


class NeedsDockerEngine(UnsupportedType):
    """The graph builds or runs images (the docker provider's types): the emulator has no Docker engine."""


class StaleState(RuntimeError):
    """A state whose ids belong to another emulated account than the one at hand."""


class EmulationError(RuntimeError):
    """A call for one resource failed (moto refused it, or does not implement it): the message names
    the resource's type and name before the cause, which stays chained."""


def topological(graph: StackGraph) -> list:
    """Custom resources, each after everything it depends on (its dependencies and its parents')."""
    custom = {r.urn: r for r in graph.resources if r.custom}
    every = {r.urn: r for r in graph.resources}

    def deps(urn: str) -> set[str]:
        found: set[str] = set()
        record = every.get(urn)
        while record is not None:
            found.update(record.dependencies)
            for urns in record.property_dependencies.values():
                found.update(urns)
            record = every.get(record.parent) if record.parent else None
        return {d for d in found if d in custom and d != urn}

    order: list = []
    seen: set[str] = set()

    def visit(urn: str, path: tuple = ()) -> None:
        if urn in seen:
            return
        if urn in path:
            raise RuntimeError(f"dependency cycle at {urn}")
        for dep in sorted(deps(urn)):
            visit(dep, path + (urn,))
        seen.add(urn)
        order.append(custom[urn])

    for urn in sorted(custom):
        visit(urn)
    return order


# --- the registry: each kind's record says how moto makes and deletes it (labctl.kinds) -------------

Handler = Emulator  # create(aws, inputs, name) -> (id, extra); delete(aws, id, extra)
HANDLERS: dict[str, Emulator] = {token: k.emulator for token, k in kinds.KINDS.items() if k.emulator}
UNSUPPORTED = {token: k.emulated for token, k in kinds.KINDS.items() if k.emulated and not k.needs_engine}  # with the reason
DOCKER_ENGINE_TYPES = {token: k.emulated for token, k in kinds.KINDS.items() if k.needs_engine}  # what each does there
# Made by the emulator itself, no cloud call: a replay keeps them as recorded.
GENERATED_LOCALLY = {token for token, k in kinds.KINDS.items() if k.generated_locally}


class Clients:
    """boto3 clients by service name (``aws("s3")``), each made once from a session."""

    _lock = threading.Lock()  # making clients from one session is not thread-safe

    def __init__(self, session: Any):
        self.session = session
        self._made: dict[str, Any] = {}
        self.region = getattr(session, "region_name", None) or "us-east-1"

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            with self._lock:
                self._made[service] = self.session.client(service)
        return self._made[service]


def _delete(aws: Clients, entry: dict) -> bool:
    """Delete one resource; False when it was already gone (which counts as deleted, as Pulumi's
    provider counts it: a teardown interrupted, a sweep, or a student got there first)."""
    handler = HANDLERS.get(entry["type"])
    if handler is None:
        raise UnsupportedType(f"{entry['type']}: the emulator cannot delete this resource type")
    try:
        handler.delete(aws, entry["id"], entry.get("extra", {}))
    except Exception as err:  # noqa: BLE001 - any failure, named by its resource
        if is_gone(err):
            return False
        hint = (" (something outside this stack's state uses it, e.g. made by hand: labctl sweep <cohort> --emulate "
                "--delete removes it, then destroy again)" if is_dependency(err) else "")
        raise EmulationError(f"{entry['type']} {entry.get('name', entry['id'])}: cannot delete in the emulator: "
                             f"{err}{hint}") from err
    return True


def _swap(value: Any, ids: dict[str, str]) -> Any:
    """The renderer's ids replaced by the emulator's, in values and inside JSON documents (a bucket
    policy names its endpoint: ``aws:SourceVpce``)."""
    if isinstance(value, str):
        if value in ids:
            return ids[value]
        if value.startswith("{"):
            for fake, real in ids.items():
                if len(fake) > 8 and fake in value:  # ids, never short words
                    value = value.replace(fake, real)
        return value
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


def needs_docker_engine(graph: StackGraph) -> list[str]:
    """The graph's types that need a Docker engine, with what each does."""
    return sorted(f"{r.type} ({DOCKER_ENGINE_TYPES[r.type]})" for r in graph.resources if r.custom and r.type in DOCKER_ENGINE_TYPES)


def unsupported_types(graph: StackGraph) -> list[str]:
    return sorted({r.type for r in graph.resources if r.custom and r.type not in HANDLERS})


def clients(aws: Any) -> Clients:
    """``aws`` as ``Clients``: a boto3 ``Session`` (or anything with ``client(name)``) is wrapped."""
    if isinstance(aws, Clients):
        return aws
    if not callable(getattr(aws, "client", None)):
        raise TypeError("the emulator needs a boto3 Session (every service's client), not one client")
    return Clients(aws)


def _resolve_secrets(record, inputs: dict, state: "EmulatedStack") -> dict:
    """A redacted input that comes from a resource the emulator generated (a random password) gets
    the generated value; any other stays redacted."""
    for key, value in inputs.items():
        if value == SECRET:
            for dep in record.property_dependencies.get(key, []):
                generated = state.resources.get(dep, {}).get("extra", {}).get("secret")
                if generated is not None:
                    inputs[key] = generated
    return inputs


def _open(stack: str, state_dir: Path, account: str, log: Callable[[str], None] | None) -> EmulatedStack:
    """The stack's state, ready to act on in ``account``: never one whose ids belong to another
    account; the creates a killed run left pending are dropped (and said so in ``log``)."""
    state = EmulatedStack.load(stack, state_dir)
    if state.resources and state.account != account:
        raise StaleState(f"{state.path}: its ids belong to emulated account {state.account or '(unnamed)'!r}, not to "
                         f"{account or '(unnamed)'!r}: replay it into this account first (labctl.ops.sandbox does)")
    state.account = account
    for dropped in state.drop_pending():
        if log:
            log(f"--- dropped a create a killed run left pending: {dropped} (tagged with the cohort if it exists: "
                "labctl sweep finds it)")
    return state


def _made(record: Any, inputs: dict, aws_id: str, extra: dict) -> dict:
    """A state entry: the AWS id, the fake ids it stands for, what delete needs, and the inputs and
    outputs that let ``replay`` make it again."""
    outputs = extra.pop("outputs", {})  # e.g. a VPC's default security group, an ALB's DNS name
    aliases = {record.id: aws_id} if record.id else {}
    for key, real in outputs.items():
        if isinstance(record.outputs.get(key), str) and isinstance(real, str):
            aliases[record.outputs[key]] = real
    return {"type": record.type, "name": record.name, "id": aws_id, "aliases": aliases, "extra": extra,
            "inputs": inputs, "outputs": outputs}


def up(graph: StackGraph, aws: Any, state_dir: Path, on_created: Callable[[str], None] | None = None,
       account: str = "", log: Callable[[str], None] | None = None, role: str = "") -> EmulatedStack:
    """Create what the state lacks (so an interrupted up converges when run again). Each create is
    recorded as pending before its call and as made after it (``EmulatedStack.record``). ``aws``: a boto3 Session whose
    clients reach moto (or ``Clients``); ``account``: the emulated account's id (see ``replay``); ``role``: the
    student's role ``aws`` was assumed through (per-student), kept so a replay makes the stack in that account again."""
    engine = sorted(set(needs_docker_engine(graph)))
    if engine:
        raise NeedsDockerEngine(f"{graph.stack}: needs a Docker engine, which the emulator does not have, for {', '.join(engine)}; "
                                "nothing was created. Emulate a stage without images (containers starter), or run "
                                "pulumi up where a Docker engine runs")
    missing = unsupported_types(graph)
    if missing:
        raise UnsupportedType(f"{graph.stack}: the emulator cannot create: "
                              + ", ".join(f"{t} ({UNSUPPORTED[t]})" if t in UNSUPPORTED else t for t in missing))
    aws = clients(aws)
    state = _open(graph.stack, state_dir, account, log)
    state.region = aws.region
    state.role = role
    ids = {fake: real for entry in state.resources.values() for fake, real in entry.get("aliases", {}).items()}
    try:
        for record in topological(graph):
            if record.urn in state.resources:
                continue
            inputs = _resolve_secrets(record, _swap(record.inputs, ids), state)
            state.record("pending", record.urn, {"type": record.type, "name": record.name})
            try:  # Ctrl-C inside the call leaves it pending: it may have been made
                aws_id, extra = HANDLERS[record.type].create(aws, inputs, record.name)
            except Exception as err:  # noqa: BLE001 - any failure, named by its resource
                state.record("refused", record.urn)  # nothing was made
                raise EmulationError(f"{record.type} {record.name}: cannot create in the emulator: {aws_text(err)}") from err
            entry = _made(record, inputs, aws_id, extra)
            state.record("made", record.urn, entry)
            ids.update(entry["aliases"])
            if on_created:
                on_created(record.urn)
        if state.appending:
            state.save()  # the changes folded into one document
    finally:
        state.close()
    return state


# Refusals the AWS provider retries until they clear (an internet gateway's detach while an instance,
# NAT gateway or load balancer still maps a public address; a subnet, security group or VPC still in
# use; a target group still behind a listener), while Pulumi deletes the stack's other resources in
# parallel. The emulator deletes one at a time, so it retries such a refusal after the next deletions.
RETRIED_CODES = frozenset({"DependencyViolation", "ResourceInUse"})


def _retried(err: EmulationError) -> bool:
    cause = getattr(err.__cause__, "response", None) or {}
    return cause.get("Error", {}).get("Code") in RETRIED_CODES


def _deleted(aws: Clients, state: EmulatedStack, urn: str, refused: dict[str, EmulationError],
             log: Callable[[str], None] | None) -> bool:
    """Delete one resource of the state (one already gone counts as deleted); False (the refusal kept
    in ``refused``) when AWS refused it for a dependency another deletion may still remove."""
    entry = state.resources[urn]
    try:
        if not _delete(aws, entry) and log:
            log(f"--- {entry['type']} {entry.get('name', urn)} was already gone")
    except EmulationError as err:
        if not _retried(err):
            raise
        refused[urn] = err
        return False
    refused.pop(urn, None)
    state.record("deleted", urn)
    return True


def _retry_refused(aws: Clients, state: EmulatedStack, refused: dict[str, EmulationError],
                   log: Callable[[str], None] | None) -> int:
    """Retry the refused deletions, oldest refusal first, until none goes through; return how many did."""
    count = 0
    progress = True
    while progress:
        progress = any(_deleted(aws, state, urn, refused, log) for urn in list(refused))
        count += progress
    return count


def destroy(stack: str, aws: Any, state_dir: Path, account: str = "", log: Callable[[str], None] | None = None) -> int:
    """Delete every resource of the state in reverse creation order (one already gone counts as
    deleted); return how many. The state shrinks after each, so a killed destroy resumes. A deletion
    AWS refuses for a dependency (``RETRIED_CODES``) is retried after each later one, as the provider
    retries it while Pulumi deletes the rest in parallel; one still refused when nothing else is left fails."""
    aws = clients(aws)
    state = _open(stack, state_dir, account, log)
    count = 0
    refused: dict[str, EmulationError] = {}
    try:
        for urn in reversed(list(state.resources)):
            if _deleted(aws, state, urn, refused, log):
                count += 1 + _retry_refused(aws, state, refused, log)
        if refused:
            raise next(iter(refused.values()))
        state.remove()
    finally:
        state.close()
    return count


def replay(state: EmulatedStack, aws: Any, account: str) -> EmulatedStack:
    """The stack made again, as its state recorded it, in ``account`` (an empty one: an in-process
    sandbox, a restarted server): each resource created from its recorded inputs, the old ids in
    them replaced by the new ones. Returns the new state (not saved); the old one is not changed.
    What the emulator generates itself (a password, a private key) keeps its recorded value."""
    aws = clients(aws)
    new = EmulatedStack(state.stack, state.state_dir, account=account, region=state.region, role=state.role)
    renamed: dict[str, str] = {}
    for urn, entry in state.resources.items():
        if entry["type"] in GENERATED_LOCALLY:
            new.resources[urn] = entry
            continue
        inputs = _swap(entry.get("inputs", {}), renamed)
        try:
            aws_id, extra = HANDLERS[entry["type"]].create(aws, inputs, entry.get("name", urn))
        except Exception as err:  # noqa: BLE001 - any failure, named by its resource
            raise EmulationError(f"{state.stack}: {entry['type']} {entry.get('name', urn)}: cannot make it again in the "
                                 f"emulator: {err}") from err
        outputs = extra.pop("outputs", {})
        renamed[entry["id"]] = aws_id
        for key, old in entry.get("outputs", {}).items():
            if isinstance(old, str) and isinstance(outputs.get(key), str):
                renamed[old] = outputs[key]
        new.resources[urn] = {**entry, "id": aws_id, "extra": extra, "inputs": inputs, "outputs": outputs,
                              "aliases": {fake: renamed.get(real, real) for fake, real in entry.get("aliases", {}).items()}}
    return new


_RENDER_LOCK = threading.Lock()


class EmulatorRunner:
    """The fleet's Runner on the emulator: up/preview/refresh/destroy replay each stack's graph
    through boto3 (a ``session`` whose clients point at moto), stop/start reuse ``PowerRunner``.
    Stateless apart from the state directory, so stacks run in parallel threads. ``account``: the
    emulated account's id, stamped on every state it writes."""

    def __init__(self, session: Any, state_dir: Path, stack_files: dict[str, Path], owners: dict[str, tuple[str, str]] | None = None,
                 account: str = "", graphs: dict[str, StackGraph] | None = None,
                 sessions: Callable[[str], Any] | None = None, roles: dict[str, str] | None = None):
        self.session, self.state_dir, self.stack_files, self.owners = session, Path(state_dir), stack_files, owners or {}
        self.account = account
        self.graphs = dict(graphs or {})  # rendered already (by the validation before up): not rendered again
        # ``sessions``: stack -> the session of its region and account (a spread cohort, per-student accounts)
        self.sessions = sessions or (lambda _stack: session)
        self.roles = dict(roles or {})  # per-student stacks: the role their session was assumed through
        self._clients: dict[int, Clients] = {}  # one client per service and session for every stack: boto3 clients
        self._clients_lock = threading.Lock()  # are thread-safe, making one is not cheap

    def clients(self, stack: str) -> Clients:
        session = self.sessions(stack)
        with self._clients_lock:
            if id(session) not in self._clients:
                self._clients[id(session)] = Clients(session)
            return self._clients[id(session)]

    def resources(self, stack: str) -> int | None:
        state = EmulatedStack.load(stack, self.state_dir)
        return None if state.pending else len(state.resources)

    def run(self, stack: str, operation: str, log: Callable[[str], None], progress: Callable[[int], None]):
        from labctl.ops.fleet import Outcome
        from labctl.offline.render import render_file

        if operation in ("stop", "start"):
            from labctl.ops.awsops import PowerRunner
            return PowerRunner(self.sessions(stack), self.owners).run(stack, operation, log, progress)
        aws = self.clients(stack)
        if operation == "destroy":
            count = destroy(stack, aws, self.state_dir, self.account, log)
            progress(count)
            return Outcome({"delete": count}, f"{count} resource(s) deleted in the emulator")
        graph = self.graphs.get(stack)
        if graph is None:
            with _RENDER_LOCK:  # concurrent renders in threads hung in testing: render one at a time
                graph = render_file(self.stack_files[stack])
        if operation == "preview":
            have = EmulatedStack.load(stack, self.state_dir).resources
            missing = [r for r in graph.resources if r.custom and r.urn not in have]
            return Outcome({"create": len(missing)}, f"{len(missing)} to create")
        if operation not in ("up", "refresh"):
            raise ValueError(f"the emulator does not {operation}")
        before = len(EmulatedStack.load(stack, self.state_dir).resources)
        done = [before]

        def created(urn: str) -> None:
            done[0] += 1
            log(f"created {urn}")
            progress(done[0])

        state = up(graph, aws, self.state_dir, on_created=created, account=self.account, log=log,
                   role=self.roles.get(stack, ""))
        made = len(state.resources) - before
        return Outcome({"create": made, "same": before}, f"{len(state.resources)} resource(s) in the emulator")

    def cancel(self, stack: str) -> None:  # each call is quick; up resumes from the state file
        pass
