"""The offline renderer: run the real Pulumi program (``__main__.py``) for a stack's settings,
in-process, through Pulumi's mocks. No Pulumi CLI, no AWS credentials.

Each render runs in a fresh ``contextvars.Context`` (Pulumi keeps its runtime state in context
variables), so many stacks render one after another in one process; only the first pays the
imports.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import runpy
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterable, Mapping

from pulumi.runtime.config import set_all_config
from pulumi.runtime.mocks import MockEngine, MockMonitor, MockSettings
from pulumi.runtime.settings import configure
from pulumi.runtime.stack import run_in_stack

from cloudlabs import REPO_ROOT
from cloudlabs.content import LabContentError
from cloudlabs.settings import (
    REGION_KEY,
    SettingsError,
    StackSettings,
    load_stack_settings,
    read_stack_file,
    runtime_config_values,
    stack_name_of,
)

from labctl.offline.fakeaws import FakeAws
from labctl.offline.graph import SECRET, Resource, StackGraph, plain
from labctl.offline import sdkpatch

PROJECT = "cloudlabs"
PROGRAM = REPO_ROOT / "__main__.py"
ENVIRONMENTS = REPO_ROOT / "environments"


class RenderError(RuntimeError):
    """The program failed for one stack (the cause is chained)."""

    def __init__(self, stack: str, cause: BaseException):
        self.stack = stack
        self.cause = cause
        super().__init__(f"{stack}: the program failed: {type(cause).__name__}: {cause}")


class ProgramError(RuntimeError):
    """The program raised; ``monitor`` still holds whatever it had registered before."""

    def __init__(self, monitor: "GraphRecorder", cause: BaseException):
        self.monitor = monitor
        self.cause = cause
        super().__init__(str(cause))


class GraphRecorder(MockMonitor):
    """A mock resource monitor that keeps what ``Mocks.new_resource`` cannot see: parents,
    dependencies, property dependencies, raw inputs (secrets still marked) and registered
    outputs of components and of the stack."""

    def __init__(self, mocks: FakeAws):
        super().__init__(mocks)
        self.records: dict[str, Resource] = {}
        self.registered_outputs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        inputs = plain(request.object)
        state = plain(response.object) if response.object is not None else {}
        for key in request.additionalSecretOutputs:  # the engine would mark these secret (e.g. a password's result)
            if key in state:
                state[key] = SECRET
        record = Resource(
            urn=response.urn,
            type=request.type,
            name=request.name,
            parent=request.parent or None,
            custom=bool(request.custom),
            id=response.id or None,
            inputs=inputs,
            outputs={k: v for k, v in state.items() if k not in inputs},
            dependencies=sorted(set(request.dependencies)),
            property_dependencies={k: sorted(set(v.urns)) for k, v in request.propertyDependencies.items()},
            ignore_changes=sorted(set(request.ignoreChanges)),
            replace_on_changes=sorted(set(request.replaceOnChanges)),
            delete_before_replace=bool(request.deleteBeforeReplace),
        )
        with self._lock:
            self.records[record.urn] = record
        return response

    def RegisterResourceOutputs(self, request):  # noqa: N802
        with self._lock:
            self.registered_outputs[request.urn] = plain(request.outputs)
        return super().RegisterResourceOutputs(request)


def _stack_urn(stack: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}"


def _run_path(program: Path) -> None:
    runpy.run_path(str(program), run_name="__main__")  # the program's globals are not needed


class _InlineExecutor(ThreadPoolExecutor):  # asyncio accepts no other default executor
    """The loop's default executor while rendering: runs the SDK's RPCs (the mock monitor's
    methods) at once on the program's own thread. The monitor is synchronous and, with
    ``sdkpatch``, never waits on an event loop for plain data, so handing each call to a worker
    thread (with an event loop of its own) only cost thread switches, self-pipe wake-ups and a
    loop per thread. One thread also makes a render's order of registrations deterministic."""

    def submit(self, fn, /, *args, **kwargs):
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine, as a thread would
            future.set_exception(exc)
        return future


_INLINE = _InlineExecutor()

_gc_lock = threading.Lock()
_gc_paused_by: list[int] = [0]  # renders in progress that paused the collector


@contextlib.contextmanager
def _collector_paused():
    """No cyclic garbage collection while a program runs. The SDK makes a few thousand futures,
    tasks and outputs per stack, all alive until the program ends, and the collector traversed
    them again and again: about a third of a render. Afterwards one collection frees the render's
    cycles (the next allocation triggers it). Renders in several threads at once resume the
    collector when the last one ends; a collector someone else turned off stays off."""
    with _gc_lock:
        ours = _gc_paused_by[0] > 0 or gc.isenabled()  # off by someone else: not ours to turn on
        if ours:
            _gc_paused_by[0] += 1
            gc.disable()
    try:
        yield
    finally:
        if ours:
            with _gc_lock:
                _gc_paused_by[0] -= 1
                if _gc_paused_by[0] == 0:
                    gc.enable()


def run_program(stack: str, config: Mapping[str, Any], program: Path = PROGRAM) -> GraphRecorder:
    """Run the program once under mocks and return the recorder; ProgramError if it raised."""
    region = str(config.get(REGION_KEY) or "us-east-1")
    monitor = GraphRecorder(FakeAws(region, stack))

    sdkpatch.install()

    def run() -> None:
        sdkpatch.RENDERING.set(True)  # this render's context only (see sdkpatch)
        configure(MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=MockEngine(None),
            project=PROJECT,
            stack=stack,
            dry_run=False,
            organization="organization",
            callbacks=None,
            # The SDK's set of pending outputs (and its lock) default to one per process: a
            # program that failed left its still-pending outputs there, tied to its closed
            # loop, and the next render in the process waited for them forever. Each render
            # gets its own.
            outputs=set(),
            lock=threading.Lock(),
        ))
        set_all_config(runtime_config_values(config))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        loop.set_default_executor(_INLINE)
        try:
            loop.run_until_complete(run_in_stack(lambda: _run_path(program)))
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    try:
        with _collector_paused():
            contextvars.Context().run(run)
    except Exception as err:
        raise ProgramError(monitor, err) from err
    return monitor


def settings_summary(settings: StackSettings) -> dict[str, Any]:
    return {
        "cohort": settings.cohort,
        "student": settings.student,
        "seat": settings.seat,
        "region": settings.region,
        "profile": settings.profile.name,
        "adminCidr": str(settings.admin_cidr),
        "instanceType": settings.instance_type,
        "keyName": settings.key_name,
        "keyFile": settings.key_file,
        "nameTagPrefix": settings.name_tag_prefix,
        "expires": settings.expires.isoformat(),
        "sessionHours": int(settings.session_hours) if settings.session_hours.is_integer() else settings.session_hours,
        "sessions": settings.sessions,
        "labs": [
            {"lab": s.lab, "stage": s.stage, "options": s.options.model_dump(by_alias=True, mode="json")}
            for s in settings.labs
        ],
    }


def render(stack: str, config: Mapping[str, Any], settings: StackSettings) -> StackGraph:
    """Render validated settings into a graph; RenderError if the program fails."""
    try:
        monitor = run_program(stack, config)
    except ProgramError as err:
        if isinstance(err.cause.__cause__, (SettingsError, LabContentError)):  # __main__ wraps them in pulumi.RunError
            raise err.cause.__cause__ from None
        raise RenderError(stack, err.cause) from err.cause
    records = dict(monitor.records)
    for urn, outputs in monitor.registered_outputs.items():
        if urn in records and not records[urn].custom:
            records[urn].outputs = outputs
    stack_outputs = monitor.registered_outputs.get(_stack_urn(stack), {})
    return StackGraph(stack, PROJECT, settings_summary(settings), stack_outputs, list(records.values()))


def render_file(path: Path) -> StackGraph:
    """Validate a stack file (SettingsError: nothing runs) and render it."""
    settings = load_stack_settings(path)
    return render(stack_name_of(path), read_stack_file(path), settings)


def stack_files(targets: Iterable[str | Path] = (), environments: Path = ENVIRONMENTS) -> list[Path]:
    """Resolve stack names, stack files and directories to stack files (sorted, unique)."""
    found: list[Path] = []
    for target in list(targets) or [environments]:
        path = Path(target)
        if path.is_dir():
            found.extend(sorted(path.glob("Pulumi.*.yaml")))
        elif path.is_file():
            found.append(path)
        elif (environments / f"Pulumi.{target}.yaml").is_file():
            found.append(environments / f"Pulumi.{target}.yaml")
        else:
            raise FileNotFoundError(f"{target}: no such stack file, directory, or stack in {environments}")
    return list(dict.fromkeys(found))
