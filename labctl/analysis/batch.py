"""Render many stack files, on every core, with an optional progress callback.

Each worker process renders whole stacks with the same in-process renderer (the Pulumi SDK
runs one program per process at a time, so processes, not threads, give parallelism). One
stack's failure is recorded and the others go on.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from cloudlabs import content
from cloudlabs.settings import read_stack_file, stack_name_of

from labctl.offline.graph import StackGraph
from labctl.offline.graphcache import GraphCache
from labctl.offline.render import RenderError, render_file
from labctl.analysis.deployrules import judges_session_end
from labctl.analysis.session_cost import session_end_graph
from labctl.analysis.validation import StackValidation, Validator


@dataclass
class RenderResult:
    path: Path
    stack: str
    graph: StackGraph | None = None
    error: str | None = None
    validation: StackValidation | None = None  # with validate=True: AWS's schemas and the deploy rules


_validator: list[Validator] = []  # one per process: each worker lints each template shape once
_session_ends: dict[str, StackGraph | None] = {}  # per batch and process: one render per group of stacks (session_cost)


def _validate(path: Path, graph: StackGraph) -> dict:
    """AWS's schemas and the deploy rules; the rules that judge the session too read the stack at its
    labs' last stage (rendered only for a stack before it, and only where its profile has limits)."""
    if not _validator:
        _validator.append(Validator())
    session_end = session_end_graph(graph.stack, path, read_stack_file(path), _session_ends) if judges_session_end(graph) else None
    return _validator[0].validate(graph, session_end).to_json()


def default_jobs() -> int:
    return os.cpu_count() or 1


def _ignore_interrupts() -> None:
    """Workers leave Ctrl-C to the parent: the terminal sends SIGINT to the whole process group,
    and a worker that raised KeyboardInterrupt would print its own traceback."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what has not started and end the workers now (a render holds nothing worth
    finishing), then wait for them, so Ctrl-C leaves no process behind."""
    workers = list(getattr(pool, "_processes", None) or {})  # pids; the executor has no public handle
    pool.shutdown(wait=False, cancel_futures=True)
    for process in multiprocessing.active_children():
        if not workers or process.pid in workers:
            process.terminate()
    for process in multiprocessing.active_children():
        process.join()


def _render(path: str, validate: bool = False) -> tuple[str, dict | None, str | None, dict | None]:
    try:
        graph = render_file(Path(path))
    except RenderError as err:
        return path, None, str(err), None
    except Exception as err:  # noqa: BLE001 - a worker must report, never take the batch down
        return path, None, f"{stack_name_of(Path(path))}: {type(err).__name__}: {err}", None
    if not validate:
        return path, graph.to_json(), None, None
    return path, graph.to_json(), None, _validate(Path(path), graph)


def _profile_file(path: Path) -> Path | None:
    """The guardrail profile file a stack file names (part of its cache key), for callers that
    have not validated the settings already (those pass ``profiles``)."""
    from cloudlabs.profiles import profile_path
    from cloudlabs.settings import DEFAULT_PROFILE, read_stack_file
    name = read_stack_file(path).get("cloudlabs:profile", DEFAULT_PROFILE)
    return profile_path(name) if isinstance(name, str) else None


def render_files(paths: list[Path], jobs: int | None = None,
                 on_result: Callable[[RenderResult], None] | None = None, validate: bool = False,
                 cache: GraphCache | None = None, profiles: dict[Path, Path] | None = None) -> list[RenderResult]:
    """Render (and with ``validate``, validate) every file; results in the order of ``paths``.
    With a ``cache``, stacks whose inputs did not change are served from it, not rendered."""
    content.check_all()  # a link or device in labs/ is bad input, before any cache key reads the tree
    _session_ends.clear()  # a new batch: the program or the lab content may have changed since
    results: dict[str, RenderResult] = {}
    keys: dict[str, str] = {}

    def record(path: str, data: dict | None, error: str | None, check: dict | None = None,
               graph: StackGraph | None = None) -> None:
        if graph is None and data is not None:  # rendered now: keep it for the next plan
            graph = StackGraph.from_json(data)
            if cache is not None and path in keys:
                cache.put(keys[path], graph, check, document=data)  # the worker's to_json(): not made again
        result = RenderResult(Path(path), stack_name_of(Path(path)), graph, error,
                              StackValidation.from_json(check) if check is not None else None)
        results[path] = result
        if on_result:
            on_result(result)

    todo = list(paths)
    if cache is not None:
        todo = []
        for path in paths:
            profile = profiles.get(path) if profiles is not None else _profile_file(path)
            keys[str(path)] = key = cache.key(path, profile)
            hit = cache.get(key, stack_name_of(path))
            if hit is None:
                todo.append(path)
                continue
            graph, check = hit
            if validate and check is None:  # cached by a run that did not validate
                check = _validate(path, graph)
                cache.put(key, graph, check)
            record(str(path), None, None, check if validate else None, graph=graph)
    if not todo:
        return [results[str(p)] for p in paths]
    jobs = max(1, min(jobs or default_jobs(), len(todo)))
    if jobs == 1:
        for path in todo:
            record(*_render(str(path), validate))
    else:
        # fork: workers inherit the parent's imports (pulumi, pulumi_aws) instead of paying them again
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context(method),
                                   initializer=_ignore_interrupts)
        try:
            futures = {pool.submit(_render, str(path), validate): str(path) for path in todo}
            for future in as_completed(futures):
                try:
                    record(*future.result())
                except Exception as err:  # noqa: BLE001 - a crashed worker fails its stack only
                    failed = futures[future]
                    record(failed, None, f"{stack_name_of(Path(failed))}: worker failed: {type(err).__name__}: {err}")
        except BaseException:  # Ctrl-C (or anything else): no worker outlives the batch
            _stop(pool)
            raise
        pool.shutdown(wait=True)
    return [results[str(p)] for p in paths]
