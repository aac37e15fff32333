"""Lab content (pages, images, build contexts, application bundles, user-data payloads): read
as regular files inside the repository's ``labs/`` folder, and nothing else.

Everything a lab ships to AWS or a Docker engine comes through here, because whatever is read
ends up in a graph, a snapshot, the graph cache, a review comment, a bucket with a public policy,
a web server's document root or an instance's user data. So a path is refused (``LabContentError``,
exit 2, naming the path) when any part of it below the repository is
- a symbolic link (``ln -s /proc/self/environ page.txt`` would publish the process environment),
- a device, FIFO or socket (reading would hang or never end),
- a hard link (a regular file with more than one name may be ``~/.aws/credentials`` under
  another name: a checkout never makes one),
- outside ``labs/``, or larger than ``MAX_FILE_BYTES``.
Files are opened with ``O_NOFOLLOW`` and checked again on the open descriptor, so a link swapped
in between the check and the read is refused too.

A lab's folder is checked as a whole when the lab is built (:func:`check_folder`), whether or not
the stage reads every file: the rule is simple to state and to test. :func:`digest` is the
content's identity (names, contents), for tags, labels and the graph.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from pathlib import Path, PurePosixPath

from . import REPO_ROOT
from .reading import InputFileError

LABS_DIR = REPO_ROOT / "labs"  # tests point it at a copy
MAX_FILE_BYTES = 32 << 20  # the largest file shipped is an image of a few hundred KiB
ALLOWED = "regular files inside labs/"


class LabContentError(InputFileError):
    """A lab content path that is not a regular file inside labs/; the message names it."""


def lab_path(relative: str) -> Path:
    """``labs/<relative>`` (``relative`` as ``containers/lighttpd``), under the current LABS_DIR."""
    parts = PurePosixPath(relative).parts
    if not parts or PurePosixPath(relative).is_absolute() or ".." in parts:
        raise LabContentError(f"{relative}: not a path inside labs/")
    return LABS_DIR.joinpath(*parts)


def project_path(path: str) -> Path:
    """A content path as the program names it to Pulumi (``labs/object-storage/index.html``,
    relative to the project directory) -> the file under LABS_DIR; refused if not under labs/."""
    parts = PurePosixPath(path).parts
    if len(parts) < 2 or parts[0] != "labs":
        raise LabContentError(f"{path}: not a path inside labs/; allowed: {ALLOWED}")
    return lab_path("/".join(parts[1:]))


def shown(path: Path) -> str:
    """A content path as messages show it: ``labs/...`` when it is under LABS_DIR."""
    try:
        return "labs/" + path.relative_to(LABS_DIR).as_posix()
    except ValueError:
        return str(path)


def _refuse(path: Path, what: str) -> LabContentError:
    return LabContentError(f"{shown(path)}: {what} is not allowed; allowed: {ALLOWED}")


def _kind(mode: int) -> str | None:
    """What a non-regular, non-directory entry is, for the message (None: regular or directory)."""
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return None


def _check_entry(path: Path, info: os.stat_result) -> None:
    kind = _kind(info.st_mode)
    if kind:
        raise _refuse(path, kind)
    if stat.S_ISREG(info.st_mode):
        if info.st_nlink > 1:
            raise _refuse(path, f"a hard link (one of {info.st_nlink} names of the same file)")
        if info.st_size > MAX_FILE_BYTES:
            raise _refuse(path, f"a file of {info.st_size} bytes (more than {MAX_FILE_BYTES})")


def _check_ancestors(path: Path) -> None:
    """Every component from labs/ down to ``path`` exists and none is a link or special file."""
    try:
        relative = path.relative_to(LABS_DIR)
    except ValueError:
        raise LabContentError(f"{path}: outside labs/; allowed: {ALLOWED}") from None
    current = LABS_DIR
    for part in ("", *relative.parts):
        current = current / part if part else current
        try:
            info = os.lstat(current)
        except FileNotFoundError:
            raise LabContentError(f"{shown(current)}: no such file; allowed: {ALLOWED}") from None
        except OSError as err:
            raise LabContentError(f"{shown(current)}: cannot be read ({err.strerror}); allowed: {ALLOWED}") from None
        _check_entry(current, info)
        if current != path and not stat.S_ISDIR(info.st_mode):
            raise LabContentError(f"{shown(current)}: not a folder; allowed: {ALLOWED}")


def read_bytes(path: Path) -> bytes:
    """The bytes of one content file, refused unless it is a regular file inside labs/."""
    _check_ancestors(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise _refuse(path, "a symbolic link") from None
        raise LabContentError(f"{shown(path)}: cannot be read ({err.strerror}); allowed: {ALLOWED}") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        _check_entry(path, info)  # the file opened, not the one checked: a swap in between is caught here
        if not stat.S_ISREG(info.st_mode):
            raise _refuse(path, "a folder")
        data = handle.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(path, f"a file of more than {MAX_FILE_BYTES} bytes")
    return data


def read_text(path: Path) -> str:
    data = read_bytes(path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LabContentError(f"{shown(path)}: not UTF-8 text (byte {err.start}); allowed: UTF-8 text") from None


def files(folder: Path) -> list[Path]:
    """Every file under ``folder``, sorted by relative name, as Docker would send a build
    context or a zip tool would pack it: refused as a whole if any entry is not a regular file
    or a folder (links are not followed, and not skipped: a skipped link would be a surprise)."""
    _check_ancestors(folder)
    found: list[Path] = []

    def walk(directory: Path) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as err:
            raise LabContentError(f"{shown(directory)}: cannot be listed ({err.strerror}); allowed: {ALLOWED}") from None
        for entry in entries:
            path = Path(entry.path)
            info = entry.stat(follow_symlinks=False)
            _check_entry(path, info)
            if stat.S_ISDIR(info.st_mode):
                walk(path)
            else:
                found.append(path)

    walk(folder)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def check_folder(folder: Path) -> None:
    """Refuse a lab folder holding anything but regular files and folders (see the module doc)."""
    files(folder)


def check_all() -> None:
    """The whole of labs/, before any stack is rendered: one clear refusal, not a failed render per stack."""
    if LABS_DIR.exists() or LABS_DIR.is_symlink():
        check_folder(LABS_DIR)


def tree(folder: Path) -> list[tuple[str, bytes]]:
    """(relative name, bytes) of every file under ``folder``, in name order."""
    return [(path.relative_to(folder).as_posix(), read_bytes(path)) for path in files(folder)]


def digest(folder: Path, modes: bool = False) -> str:
    """A sha256 of the names and contents of every file under ``folder`` (``modes``: and their
    permission bits, as a Docker build context's hash has them: a checkout made under another umask
    is another context)."""
    hasher = hashlib.sha256()
    for name, data in tree(folder):
        hasher.update(name.encode() + b"\x00" + data + b"\x00")
        if modes:
            hasher.update(oct(stat.S_IMODE(os.lstat(folder / name).st_mode)).encode() + b"\x00")
    return hasher.hexdigest()


def file_digest(path: Path) -> str:
    return hashlib.sha256(read_bytes(path)).hexdigest()
