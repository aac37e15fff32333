"""Incremental plans: rendered graphs kept by the content of everything that can change them.

A stack's key is a hash of
- the program: every file under ``cloudlabs/``, ``components/`` and ``labs/``, ``__main__.py``, the
  renderer's own modules (``labctl/offline/render.py``, ``fakeaws.py``, ``graph.py``) and the records
  whose answers the fake cloud gives (``labctl/kinds/``), *but* the labs' own files (below);
- the installed versions of the distributions the graph depends on, and the Python version;
- the stack settings file's bytes, and the guardrail profile file it names;
- for every lab the stack file names (``cloudlabs:labs``: a key, a list of keys or ``{lab: ...}``),
  that lab's fingerprint: its definition ``cloudlabs/labs/<module>.py``, its component
  ``components/labs/<module>.py``, its content folders under ``labs/`` (``LAB.content``), and the
  same for every lab module these import, transitively (found with ``ast``: ``from .lamp import``,
  ``from cloudlabs.labs import vpc_nat``, ``from ..labs.x import``...).
So an unchanged cohort re-plans without rendering, a changed stack file re-renders that stack only,
a changed lab re-renders the stacks that use it (or a lab that imports it), and any other change to
the program re-renders every stack.

Which files are a lab's: the module of each lab of the catalog (``cloudlabs.catalog``, imported here
as every render imports it: a lab module that fails to import, or two modules with one key, fail the
key as they would fail every render), the component module of the same name (a test holds the
components to that name), and the lab's content folders. Everything else stays in the program:
``__init__.py`` of both packages (discovery), ``components/labs/base.py``, a helper module without
``LAB``, files of ``labs/`` no lab ships, a lab file that does not parse, and any lab whose modules a
shared module imports (with what it imports). What this assumes, and the labs' conventions say: a
lab module changes other labs' graphs only through imports (not by mutating shared state when it is
imported, or by importing a lab dynamically), and a lab reads only its own content folders (its
``LAB.content``, which the program checks). A lab module that fails to import fails every render
(discovery imports them all); its key sees that only for the stacks of that lab and of the labs
that import it (the test suite renders every lab). A stack file that does not parse, or names a lab the catalog does not
know, gets no lab part: its render fails, and a failed render is never kept.

Entries are written atomically (a reader never sees half of one); an unreadable entry is ignored
and the stack rendered again. An entry served is touched (its mtime is its last use, best effort),
so CI can drop what a run did not use: ``prune`` (``labctl cache prune --unused-since MARKER``).
The cache lives in ``.cloudlabs/cache/graphs/`` (git-ignored); ``CLOUDLABS_CACHE_DIR`` moves it (CI
can share it between the base and head plans) and ``--no-cache`` or ``CLOUDLABS_CACHE_DIR=off``
bypasses it.
"""

from __future__ import annotations

import ast
import hashlib
import os
import json
import pkgutil
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Iterable

import yaml

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


def _hash_files(root: Path, dirs: tuple[str, ...], files: tuple[str, ...], skip: frozenset[Path] = frozenset()) -> str:
    """Names and bytes of the files (but those in ``skip``, or under a folder in it); a symbolic link
    by its target's name, never followed (what it points at is not read: ``cloudlabs.content``
    refuses links where content is read)."""
    digest = hashlib.sha256()
    paths = [root / f for f in files]
    for directory in dirs:
        if (root / directory).is_symlink():
            paths.append(root / directory)
            continue
        for folder, subdirs, names in os.walk(root / directory):  # os.walk does not follow links
            subdirs[:] = sorted(d for d in subdirs if d != "__pycache__" and Path(folder) / d not in skip)
            paths += [Path(folder) / name for name in sorted(names)] + [Path(folder) / d for d in subdirs
                                                                         if (Path(folder) / d).is_symlink()]
    for path in sorted(p for p in paths if p not in skip):
        name = str(path.relative_to(root)).encode()
        if path.is_symlink():
            digest.update(b"link\0" + name + b"\0" + os.readlink(path).encode() + b"\0")
        elif path.is_file():
            digest.update(name + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _labs_dir(root: Path) -> Path:
    return content.LABS_DIR if root == REPO_ROOT else root / "labs"


@lru_cache(maxsize=None)
def program_fingerprint(root: Path = REPO_ROOT) -> str:
    """What every graph depends on besides its own settings and its labs (computed once per process)."""
    versions = []
    for name in DISTRIBUTIONS:
        try:
            versions.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            versions.append(f"{name} missing")
    labs = _labs_dir(root)
    units = lab_units(root, labs)
    return hashlib.sha256("\n".join([_hash_files(root, PROGRAM_DIRS, PROGRAM_FILES, units.own_files),
                                     _hash_files(labs, (".",), (), units.own_folders),
                                     sys.version, *versions]).encode()).hexdigest()


LAB_PACKAGES = ("cloudlabs.labs", "components.labs")  # a lab's two modules: the definition and the component
_LABS_WORD = re.compile(rb"\blabs\b")  # "labs" as a name of its own (not the end of "cloudlabs")


@dataclass(frozen=True)
class LabUnits:
    """Which files are each lab's own (by the module name of its definition)."""
    modules: dict[str, str]  # lab key -> module name
    files: dict[str, tuple[Path, ...]]  # module -> its definition and component files
    folders: dict[str, tuple[Path, ...]]  # module -> its content folders
    closure: dict[str, frozenset[str]]  # module -> itself and every lab module it imports, transitively
    own_files: frozenset[Path]  # files the program fingerprint leaves to the labs' fingerprints
    own_folders: frozenset[Path]


def _catalog_modules() -> dict[str, tuple[str, tuple[str, ...]]]:
    """Lab key -> (module name, content folders), as the catalog found them (importing it imports
    every lab module, as every render does)."""
    from cloudlabs import labs as package
    from cloudlabs.catalog import LABS
    module_of = {id(getattr(sys.modules.get(f"{package.__name__}.{info.name}"), "LAB", None)): info.name
                 for info in pkgutil.iter_modules(package.__path__)}
    return {key: (module_of[id(lab)], tuple(lab.content)) for key, lab in LABS.items() if id(lab) in module_of}


def _module_name(root: Path, path: Path) -> tuple[str, str]:
    """The dotted name of a source file and the package its relative imports start from."""
    parts = path.relative_to(root).with_suffix("").parts
    name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return name, name if parts[-1] == "__init__" else ".".join(parts[:-1])


@lru_cache(maxsize=1024)
def imported_modules(source: bytes, package: str) -> frozenset[str]:
    """Every dotted name an import of ``source`` may load (``from a import b``: ``a`` and ``a.b``);
    SyntaxError when it does not parse."""
    names: set[str] = set()
    todo: list[ast.AST] = [ast.parse(source)]
    while todo:  # statements only (an import is one, anywhere): expressions are most of a tree
        node = todo.pop()
        todo += (child for child in ast.iter_child_nodes(node)
                 if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)))
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(names)


def _lab_imports(names: frozenset[str], modules: set[str]) -> set[str]:
    """The lab modules (by name) among imported dotted names."""
    found = set()
    for name in names:
        for package in LAB_PACKAGES:
            rest = name.removeprefix(package + ".")
            if rest != name and rest.split(".")[0] in modules:
                found.add(rest.split(".")[0])
    return found


def _closure(start: set[str], edges: dict[str, set[str]]) -> frozenset[str]:
    seen, todo = set(start), list(start)
    while todo:
        for other in edges.get(todo.pop(), ()):
            if other not in seen:
                seen.add(other)
                todo.append(other)
    return frozenset(seen)


@lru_cache(maxsize=None)
def lab_units(root: Path, labs: Path) -> LabUnits:
    catalog = _catalog_modules()
    modules = {module for module, _ in catalog.values()}
    files = {module: tuple(root / package.replace(".", "/") / f"{module}.py" for package in LAB_PACKAGES)
             for module in modules}
    folders: dict[str, tuple[Path, ...]] = {module: () for module in modules}
    for module, shipped in catalog.values():
        folders[module] += tuple(labs / folder for folder in shipped)
    edges: dict[str, set[str]] = {module: set() for module in modules}
    shared: set[str] = set()  # lab modules the program itself depends on
    lab_files = {path: module for module, paths in files.items() for path in paths}
    lab_dirs = [package.replace(".", "/") for package in LAB_PACKAGES]
    sources = [root / name for name in PROGRAM_FILES if name.endswith(".py")]
    for directory in PROGRAM_DIRS:
        sources += sorted((root / directory).rglob("*.py"))
    for path in sources:
        owner = lab_files.get(path)
        try:
            source = path.read_bytes()
            if not _LABS_WORD.search(source) and not any(path.is_relative_to(root / d) for d in lab_dirs):
                continue  # outside their packages, an import of a lab module names the package "labs"
            names = imported_modules(source, _module_name(root, path)[1])
        except FileNotFoundError:
            continue
        except (SyntaxError, ValueError, OSError):
            if owner is not None:
                shared.add(owner)  # what it imports is unknown: every stack depends on it
            continue
        (edges[owner] if owner is not None else shared).update(_lab_imports(names, modules))
    closure = {module: _closure({module}, edges) for module in modules}
    pinned = _closure(shared, edges)
    return LabUnits(
        modules={key: module for key, (module, _) in catalog.items()}, files=files, folders=folders, closure=closure,
        own_files=frozenset(p for m in modules - pinned for p in files[m]),
        own_folders=frozenset(p for m in modules - pinned for p in folders[m]))


def lab_fingerprint(key: str, root: Path = REPO_ROOT) -> str | None:
    """What the graph of a stack with lab ``key`` depends on besides the program: the files of the
    lab and of the labs it imports; None for a lab the catalog does not know."""
    return _lab_fingerprint(key, root, _labs_dir(root))


@lru_cache(maxsize=None)
def _lab_fingerprint(key: str, root: Path, labs: Path) -> str | None:
    units = lab_units(root, labs)
    module = units.modules.get(key)
    if module is None:
        return None
    digest = hashlib.sha256()
    for other in sorted(units.closure[module]):
        digest.update(f"{other}\0{_hash_files(root, (), tuple(str(p.relative_to(root)) for p in units.files[other]))}\0".encode())
        for folder in units.folders[other]:
            relative = str(folder.relative_to(labs))
            digest.update(f"{relative}\0{_hash_files(labs, (relative,), ())}\0".encode())
    return digest.hexdigest()


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def stack_labs(data: bytes) -> tuple[str, ...]:
    """The lab keys a stack file names (``config: cloudlabs:labs:``), read leniently: a file that
    does not parse names none (the render reports it)."""
    try:
        document = yaml.load(data, Loader=_LOADER)  # noqa: S506 (a safe loader)
    except (yaml.YAMLError, ValueError, RecursionError):
        return ()
    config = document.get("config") if isinstance(document, dict) else None
    value = config.get("cloudlabs:labs") if isinstance(config, dict) else None
    items = value if isinstance(value, list) else [value]
    keys = {item.get("lab") if isinstance(item, dict) else item for item in items}
    return tuple(sorted(k for k in keys if isinstance(k, str)))


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


ENTRY_NAME = re.compile(r"[0-9a-f]{64}\.json")  # a key (sha256) and .json: nothing else is an entry


class CacheDirError(ValueError):
    pass


def _entries(fd: int) -> list[os.DirEntry[str]]:
    with os.scandir(fd) as found:
        return [e for e in found if ENTRY_NAME.fullmatch(e.name) and e.is_file(follow_symlinks=False)]


def _open_dir(directory: Path) -> int | None:
    """The cache directory, opened without following a link to it; None when there is none."""
    try:
        return os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CacheDirError(f"{directory} is not a directory (a symbolic link, or a file): {exc.strerror}") from None


def entries(directory: Path) -> list[tuple[str, os.stat_result]]:
    """The cache's entries (name, stat), links and other files left out."""
    fd = _open_dir(directory)
    if fd is None:
        return []
    try:
        found = []
        for entry in _entries(fd):
            try:
                found.append((entry.name, entry.stat(follow_symlinks=False)))
            except FileNotFoundError:
                continue  # removed meanwhile
        return found
    finally:
        os.close(fd)


def prune(directory: Path, older_than: float) -> int:
    """Delete the entries last used (or written) before the timestamp ``older_than``; how many.
    Only regular files named as entries, directly in ``directory``; no link is followed."""
    fd = _open_dir(directory)
    if fd is None:
        return 0
    removed = 0
    try:
        for entry in _entries(fd):
            try:
                if entry.stat(follow_symlinks=False).st_mtime < older_than:
                    os.unlink(entry.name, dir_fd=fd)
                    removed += 1
            except FileNotFoundError:
                continue  # another prune was first
    finally:
        os.close(fd)
    return removed


class GraphCache:
    def __init__(self, directory: Path | None, fingerprint: str | None = None, root: Path = REPO_ROOT):
        self.directory = directory
        self.fingerprint = fingerprint if fingerprint is not None else (program_fingerprint(root) if directory else "")
        self.root = root
        self.hits = 0

    def key(self, stack_file: Path, profile_file: Path | None) -> str:
        data = stack_file.read_bytes()
        return self.key_of(data, profile_file, stack_labs(data))

    def key_of(self, settings: bytes, profile_file: Path | None, labs: Iterable[str]) -> str:
        """The key of a graph rendered from ``settings`` (a stack file's bytes, or a config as JSON: a
        stack at its labs' last stage, ``labctl.analysis.session_cost``) with that profile and labs."""
        digest = hashlib.sha256(self.fingerprint.encode())
        digest.update(settings)
        if profile_file is not None and profile_file.is_file():
            digest.update(profile_file.read_bytes())
        for lab in sorted(set(labs)):
            part = lab_fingerprint(lab, self.root)
            if part is not None:
                digest.update(f"\0lab {lab} {part}".encode())
        return digest.hexdigest()

    def _path(self, key: str) -> Path | None:
        return None if self.directory is None else self.directory / f"{key}.json"

    def get(self, key: str, stack: str | None) -> tuple[StackGraph, dict[str, Any] | None] | None:
        """The graph (and its validation, when one was kept for today's checks) or None; ``stack``: the
        stack it must be (None: any, for a render several stacks share)."""
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            entry: Any = load_json(path, "cached graph")
            data = entry["graph"]
        except (InputFileError, TypeError, KeyError):
            return None
        if document_problems(data, str(path)) or (stack is not None and data.get("stack") != stack):
            return None  # damaged, or not this stack's: render again
        self.hits += 1
        try:
            os.utime(path)  # its last use: what a CI run did not touch can be pruned
        except OSError:
            pass
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
