"""The one way labctl writes a file: checked before any work starts, replaced atomically, and
serialised per cohort.

- :func:`check_output_file` / :func:`check_output_dir` refuse an output path that could not be
  written (missing parent, a directory where a file should be, no permission) before anything is
  rendered, so a command never does minutes of work and then fails on its last step.
- :func:`atomic_write` writes a uniquely named temporary file in the target's directory and
  renames it over the target: readers see the old or the new file, never half of one, and two
  writers never share a temporary file.
- :func:`exclusive` holds an advisory lock on a file (the cohort file for ``sync``) so that two
  runs that read, decide and write the same files cannot interleave; :func:`lock_file` does the
  same on a lock file of its own (created if missing), shared for readers or exclusive for writers.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterator


class OutputPathError(ValueError):
    """An output path that cannot be written; one line naming it."""


def _writable_dir(directory: Path, for_what: str) -> None:
    if not directory.exists():
        raise OutputPathError(f"{for_what}: the directory {directory} does not exist")
    if not directory.is_dir():
        raise OutputPathError(f"{for_what}: {directory} is not a directory")
    try:  # a real probe: permission bits say nothing to root, or on /proc, a full disk, a read-only mount
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as err:
        raise OutputPathError(f"{for_what}: cannot write in {directory} ({err.strerror})") from None


def check_output_file(path: Path, option: str) -> None:
    """``path`` can be created or replaced as a regular file."""
    if path.is_dir():
        raise OutputPathError(f"{option}: {path} is a directory; allowed: a file path")
    if path.exists() and not path.is_file():
        raise OutputPathError(f"{option}: {path} is not a regular file; allowed: a file path")
    _writable_dir(path.parent if str(path.parent) else Path("."), option)


def check_output_dir(path: Path, option: str) -> None:
    """``path`` is a writable directory, or can be created in one (created when written)."""
    if path.exists():
        if not path.is_dir():
            raise OutputPathError(f"{option}: {path} exists and is not a directory; allowed: a directory")
        _writable_dir(path, option)
    else:
        _writable_dir(path.parent if str(path.parent) else Path("."), option)


PRIVATE_DIR, PRIVATE_FILE = 0o700, 0o600  # what holds secrets, like ~/.ssh: readable by its owner only


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter (made, or narrowed if it is wider): the
    sandbox store holds the emulated stacks' generated private keys and passwords."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):  # folders made here are private too (pathlib's parents would not be)
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    path = missing[0] if missing else path
    if stat.S_IMODE(os.stat(path).st_mode) != PRIVATE_DIR:
        os.chmod(path, PRIVATE_DIR)
    return path


def atomic_write(path: Path, text: str, mode: int = 0o644, durable: bool = True) -> None:
    """Replace ``path`` with ``text`` in one step (a unique temporary file, then a rename), so a
    killed process leaves the old file or the new one, never half of one. ``durable`` also flushes
    it to the disk first (survives a power cut; a killed process does not need it). ``mode`` 0o600
    for what holds secrets (set before the file gets its name)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def exclusive(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``path`` (which must exist) for the block.

    Nothing is created: the lock lives on the file itself and ends with the process. When
    another process holds it, ``on_wait`` is called once and the lock is waited for.
    """
    with open(path, "rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def lock_file(path: Path, shared: bool = False, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an advisory lock on the lock file ``path`` (created if missing) for the block: shared
    (readers, any number at once) or exclusive (one writer, no readers). ``on_wait`` is called once
    when someone else holds it, then the lock is waited for. The lock ends with the process, so a
    killed holder never leaves it taken."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # 0600: a lock file holds nothing, but it lives next to what may (the sandbox store)
    with os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE), "a+b") as handle:
        kind = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        try:
            fcntl.flock(handle.fileno(), kind | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(handle.fileno(), kind)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
