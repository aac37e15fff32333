"""Four narrowly scoped replacements in the Pulumi SDK, active only while the renderer runs a
program (issue 17: the renderer spent about a third of its time on work that mocks never use).

Both wrap an SDK function and call the original unless the context variable ``RENDERING`` is set,
which ``labctl.offline.render.run_program`` does inside the fresh context each render runs in. So
other Pulumi code in the same process (tests using ``pulumi.runtime.set_mocks``, the bare-SDK
anchor of ``benchmarks/render_speed_bench.py``) gets the SDK exactly as installed. Nothing here
changes what a program registers or what the recorder sees: rendered graphs stay byte-identical.

1. ``pulumi.runtime.resource._get_stack_trace``: for every resource the SDK walks the whole Python
   stack (``traceback.extract_stack``, reading source lines through linecache) and builds a
   protobuf ``StackTrace`` of file URIs for ``RegisterResourceRequest.sourcePosition/stackTrace``,
   which the engine uses for diagnostics. The mock monitor and the recorder never read either
   field; while rendering it returns an empty ``StackTrace`` (the SDK's own answer when it finds no
   user frame, so ``sourcePosition`` is then unset). About 10% of a render.

2. ``pulumi.runtime.stack.wait_for_rpcs``: at the end of a program the SDK waits for its pending
   outputs with ``asyncio.wait(pending, FIRST_COMPLETED)`` in a loop, which adds and removes a
   done-callback on every pending output each time any one of them finishes: quadratic in the
   number of outputs (a vpc-peering stack has ~1000). While rendering, the same loop waits with
   ``FIRST_EXCEPTION``: one callback per output per round, and it still returns (and re-raises)
   as soon as an output fails. About 25% of a render.

3. ``pulumi.runtime.mocks._sync_await``: the mock monitor turns the fake cloud's answer into a
   protobuf ``Struct`` with the SDK's async ``serialize_properties`` and waits for it with
   ``_sync_await``, which needs an event loop of the calling thread, so the SDK's RPCs each ran on
   an executor thread with a loop of its own. For plain data that coroutine never waits on
   anything; while rendering it is run to its end directly (one ``send``), and only if it does
   wait is it finished through the original ``_sync_await``. With that, the renderer runs the
   monitor's calls inline on the program's own thread (``render._InlineExecutor``): no thread
   hand-offs, no per-thread loops.

4. ``pulumi.log.debug``: the SDK logs a few debug lines per resource, each a protobuf
   ``LogRequest`` handed to the engine; the mock engine passes it to a ``logging`` logger, where
   it ends unless that logger is on at DEBUG. While rendering, with such a mock engine and its
   logger not on at DEBUG, the line is dropped up front (what the logger would have done).

Each replacement is installed only if the function it wraps is the one it was written against
(its source hash below, pulumi 3.272.0); another SDK version renders unpatched, only slower.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import logging
import threading
from contextvars import ContextVar
from typing import Any, Callable

from pulumi import log as _log
from pulumi.runtime import mocks as _mocks
from pulumi.runtime import resource as _resource
from pulumi.runtime import stack as _stack
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager, get_engine

RENDERING: ContextVar[bool] = ContextVar("labctl_offline_rendering", default=False)

# sha256 of inspect.getsource() of the SDK functions these replacements were written against.
EXPECTED = {
    "_get_stack_trace": "3943b2273016925109e1c3a7bc603db06a44ea09ff3494c29544e44bccf8dd1f",
    "wait_for_rpcs": "c0f9027f85ad09255ded0a1908033b490f76d303a3e40b50d3cf47a69265469d",
    "_sync_await": "77b69aaf7da77f1c3d4237099099b200a3e917b6da1f554743c00bfb17fa010b",
    "debug": "381cd6115cca6ca19ddc9416014d9afb086d7b7a9cb3ca8d80f2be24bdb44d6f",
}

_installed: dict[str, bool] = {}
_lock = threading.Lock()


def _source_hash(func: Callable[..., Any]) -> str:
    try:
        return hashlib.sha256(inspect.getsource(func).encode()).hexdigest()
    except (OSError, TypeError):
        return ""


def _patched_get_stack_trace(original: Callable[[], source_pb2.StackTrace]) -> Callable[[], source_pb2.StackTrace]:
    def _get_stack_trace() -> source_pb2.StackTrace:
        if RENDERING.get():
            return source_pb2.StackTrace()
        return original()
    _get_stack_trace.__wrapped__ = original  # type: ignore[attr-defined]
    return _get_stack_trace


async def _wait_for_rpcs_linear(await_all_outstanding_tasks: bool = True) -> None:
    """The SDK's ``wait_for_rpcs`` (pulumi 3.272.0) with ``FIRST_EXCEPTION`` for the outputs."""
    rpc_manager = _get_rpc_manager()
    while True:
        while len(rpc_manager.rpcs) > 0:
            await asyncio.sleep(0)
            try:
                await rpc_manager.rpcs.pop()
            except Exception as exn:
                if rpc_manager.unhandled_exception is not None:
                    cause = rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
                    raise exn from cause
                raise

        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)

        if await_all_outstanding_tasks:
            while True:
                with SETTINGS.lock:
                    if len(SETTINGS.outputs) == 0:
                        break
                    pending_outputs: list[asyncio.Task] = list(SETTINGS.outputs)
                    SETTINGS.outputs.clear()

                # All of them, or the first that fails (the SDK: the first that finishes, again
                # and again, each time re-arming every pending one).
                done, not_done = await asyncio.wait(pending_outputs, return_when=asyncio.FIRST_EXCEPTION)

                for task in done:
                    await task

                if not_done:
                    with SETTINGS.lock:
                        for task in not_done:
                            SETTINGS.outputs.add(task)

        if len(rpc_manager.rpcs) == 0:
            break


def _patched_wait_for_rpcs(original: Callable[..., Any]) -> Callable[..., Any]:
    async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
        if RENDERING.get():
            await _wait_for_rpcs_linear(await_all_outstanding_tasks)
        else:
            await original(await_all_outstanding_tasks)
    wait_for_rpcs.__wrapped__ = original  # type: ignore[attr-defined]
    return wait_for_rpcs


async def _finish(coro: Any, waiting: Any) -> Any:
    """Run a coroutine on from where it stopped (it is waiting on ``waiting``) on an event loop."""
    while True:
        if waiting is None:
            await asyncio.sleep(0)  # a bare yield: give the loop one turn
        else:
            await asyncio.wait({waiting})  # done, whatever its outcome: the coroutine reads it itself
        try:
            waiting = coro.send(None)
        except StopIteration as stop:
            return stop.value


def _patched_sync_await(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def _sync_await(awaitable: Any) -> Any:
        if not RENDERING.get() or not inspect.iscoroutine(awaitable):
            return original(awaitable)
        try:
            waiting = awaitable.send(None)
        except StopIteration as stop:
            return stop.value
        return original(_finish(awaitable, waiting))
    _sync_await.__wrapped__ = original  # type: ignore[attr-defined]
    return _sync_await


def _patched_debug(original: Callable[..., None]) -> Callable[..., None]:
    def debug(msg: str, resource: Any = None, stream_id: Any = None, ephemeral: Any = None) -> None:
        if RENDERING.get():
            engine = get_engine()
            if isinstance(engine, _mocks.MockEngine) and not engine.logger.isEnabledFor(logging.DEBUG):
                return
        original(msg, resource, stream_id, ephemeral)
    debug.__wrapped__ = original  # type: ignore[attr-defined]
    return debug


def install() -> dict[str, bool]:
    """Install the replacements the installed SDK matches (once per process); which ones are on."""
    with _lock:
        if _installed:
            return dict(_installed)
        for module, name, patch in ((_resource, "_get_stack_trace", _patched_get_stack_trace),
                                    (_stack, "wait_for_rpcs", _patched_wait_for_rpcs),
                                    (_mocks, "_sync_await", _patched_sync_await),
                                    (_log, "debug", _patched_debug)):
            original = getattr(module, name)
            ok = _source_hash(original) == EXPECTED[name]
            if ok:
                setattr(module, name, patch(original))
            _installed[name] = ok
        return dict(_installed)
