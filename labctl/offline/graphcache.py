"""Incremental plans: rendered graphs kept by the content of everything that can change them.

A stack's key is a hash of
- the program: every file under ``cloudlabs/``, ``components/`` and ``labs/``, ``__main__.py``, the
  renderer's own modules (``labctl/offline/render.py``, ``fakeaws.py``, ``graph.py``) and the records
  whose answers the fake cloud gives (``labctl/kinds/``);
- the installed versions of the distributions the graph depends on, and the Python version;
- the stack settings file's bytes, and the guardrail profile file it names.
So an unchanged cohort re-plans without rendering, a changed stack file re-renders that stack only,
and any change to the program re-renders every stack. Entries are written atomically (a reader
never sees half of one); an unreadable entry is ignored and the stack rendered again. The cache
lives in ``.cloudlabs/cache/graphs/`` (git-ignored); ``CLOUDLABS_CACHE_DIR`` moves it (CI can share
it between the base and head plans) and ``--no-cache`` or ``CLOUDLABS_CACHE_DIR=off`` bypasses it.
"""

from __future__ import annotations

import hashlib
import os
import json
import sys
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from cloudlabs import REPO_ROOT, content
from cloudlabs.reading import InputFileError, load_json
from cloudlabs.writing import atomic_write

from labctl.offline.graph import StackGraph, document_problems

PROGRAM_DIRS = ("cloudlabs", "components", "labctl/kinds")  # and the lab content, content.LABS_DIR
PROGRAM_FILES = ("__main__.py", "labctl/offline/render.py", "labctl/offline/fakeaws.py", "labctl/offline/graph.py",
                 "labctl/offline/sdkpatch.py")
# What a kept validation depends on (besides cfn-lint, whose version is part of its key): these and
# the records (labctl/kinds: each kind's CloudFormation template, or why it has none).
VALIDATION_FILES = tuple(f"labctl/analysis/{name}.py" for name in ("cfn", "deployrules", "findings", "guardrails", "validation"))
VALIDATION_DIRS = ("labctl/kinds",)
DISTRIBUTIONS = ("pulumi", "pulumi-aws", "pulumi-random", "pulumi-tls", "pulumi-docker", "pydantic", "PyYAML", "protobuf", "grpcio")


def _hash_files(root: Path, dirs: tuple[str, ...], files: tuple[str, ...]) -> str:
    """Names and bytes of the files; a symbolic link by its target's name, never followed (what it
    points at is not read: ``cloudlabs.content`` refuses links where content is read)."""
    digest = hashlib.sha256()
    paths = [root / f for f in files]
    for directory in dirs:
        for folder, subdirs, names in os.walk(root / directory):  # os.walk does not follow links
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__")
            paths += [Path(folder) / name for name in sorted(names)] + [Path(folder) / d for d in subdirs
                                                                         if (Path(folder) / d).is_symlink()]
    for path in sorted(paths):
        name = str(path.relative_to(root)).encode()
        if path.is_symlink():
            digest.update(b"link\0" + name + b"\0" + os.readlink(path).encode() + b"\0")
        elif path.is_file():
            digest.update(name + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@lru_cache(maxsize=None)
def program_fingerprint(root: Path = REPO_ROOT) -> str:
    """What every graph depends on besides its own settings (computed once per process)."""
    versions = []
    for name in DISTRIBUTIONS:
        try:
            versions.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} missing")
    labs = content.LABS_DIR if root == REPO_ROOT else root / "labs"
    return hashlib.sha256("\n".join([_hash_files(root, PROGRAM_DIRS, PROGRAM_FILES), _hash_files(labs, (".",), ()),
                                     sys.version, *versions]).encode()).hexdigest()


@lru_cache(maxsize=None)
def _validation_code() -> str:
    return _hash_files(REPO_ROOT, VALIDATION_DIRS, VALIDATION_FILES)


def validation_fingerprint() -> str:
    """A validation kept with a graph is reused only with the same checks, cfn-lint, moto (its instance
    type data gives the account limits' vCPUs) and day (the cost rules compare dates: a version can
    leave standard support overnight)."""
    from datetime import date
    return f"{_validation_code()} cfn-lint {version('cfn-lint')} moto {version('moto')} {date.today().isoformat()}"


def cache_root() -> Path | None:
    """Where labctl keeps its caches (git-ignored): ``.cloudlabs/cache/`` in the repository, or
    ``CLOUDLABS_CACHE_DIR`` (CI shares one between the base and head plans); ``off`` turns
    every cache off."""
    setting = os.environ.get("CLOUDLABS_CACHE_DIR", "")
    if setting == "off":
        return None
    return Path(setting) if setting else REPO_ROOT / ".cloudlabs" / "cache"


def cache_dir() -> Path | None:
    root = cache_root()
    return None if root is None else root / "graphs"


class GraphCache:
    def __init__(self, directory: Path | None, fingerprint: str | None = None):
        self.directory = directory
        self.fingerprint = fingerprint if fingerprint is not None else (program_fingerprint() if directory else "")
        self.hits = 0

    def key(self, stack_file: Path, profile_file: Path | None) -> str:
        digest = hashlib.sha256(self.fingerprint.encode())
        digest.update(stack_file.read_bytes())
        if profile_file is not None and profile_file.is_file():
            digest.update(profile_file.read_bytes())
        return digest.hexdigest()

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.json"

    def get(self, key: str, stack: str) -> tuple[StackGraph, dict[str, Any] | None] | None:
        """The graph (and its validation, when one was kept for today's checks) or None."""
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            entry: Any = load_json(path, "cached graph")
            data = entry["graph"]
        except (InputFileError, TypeError, KeyError):
            return None
        if document_problems(data, str(path)) or data.get("stack") != stack:
            return None  # damaged, or not this stack's: render again
        self.hits += 1
        check = entry.get("validation")
        valid = isinstance(check, dict) and entry.get("validationKey") == validation_fingerprint()
        return StackGraph.from_json(data), check if valid else None

    def put(self, key: str, graph: StackGraph, check: dict[str, Any] | None = None,
            document: dict[str, Any] | None = None) -> None:
        """Keep ``graph`` (``document``: its ``to_json()`` when the caller has it already)."""
        path = self._path(key)
        if path is None:
            return
        entry: dict[str, Any] = {"graph": document if document is not None else graph.to_json()}
        if check is not None:
            entry.update(validation=check, validationKey=validation_fingerprint())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, json.dumps(entry, sort_keys=True, default=str))
        except OSError:
            pass  # a cache that cannot be written only costs time
