"""Lab content is read as regular files inside labs/ only (cloudlabs.content): a link, device,
FIFO or hard link planted anywhere in a lab's folder is bad input, at the edge of every command
and again where the program reads, and no byte of what it points at reaches anything written."""

from __future__ import annotations

import base64
import errno
import os
import re
import shutil
import stat
import uuid
from pathlib import Path

import pytest

from cloudlabs import content
from cloudlabs.catalog import LABS
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline import graphcache, render

from .conftest import config, render_config

CONTENT_LABS = {key: lab for key, lab in LABS.items() if lab.content}
# A stack of each lab that ships content, a stage that reads it, and one file it reads.
STACK_OF = {"object-storage": ("object-storage", "solution", {"parts": ["private", "public-read", "website", "cors", "coursework"]},
                               "object-storage/Capture.PNG"),
            "containers": ("containers", "solution", {}, "containers/lighttpd/html/index.html"),
            "beanstalk": ("beanstalk", "solution", {"coursework": True}, "beanstalk/coursework/index.php")}


def encodings(secret: bytes) -> list[bytes]:
    """The secret as it could appear in a written file: raw, and base64 at each of the three
    alignments a longer payload could put it at (user data and bundles are base64)."""
    found = [secret]
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret)
        found.append(encoded[4 if offset else 0:-4])  # the 4-character groups made of the secret's bytes only
    return found


def written(root: Path) -> dict[Path, bytes]:
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found[path] = path.read_bytes()
    return found


def test_every_folder_of_labs_belongs_to_a_lab_that_declares_it():
    top = sorted(p.name for p in content.LABS_DIR.iterdir())
    assert top == sorted(folder for lab in CONTENT_LABS.values() for folder in lab.content)
    assert set(STACK_OF) == set(CONTENT_LABS)


def test_regular_files_are_read_and_the_digest_is_names_and_contents(lab_copy):
    folder = lab_copy / "containers" / "lighttpd"
    names = [name for name, _ in content.tree(folder)]
    assert names == sorted(names) and "Dockerfile" in names and "html/index.html" in names
    before = content.digest(folder)
    (folder / "html" / "index.html").write_bytes(b"<h1>other</h1>")
    assert content.digest(folder) != before
    assert content.read_text(content.project_path("labs/containers/lighttpd/html/index.html")) == "<h1>other</h1>"


@pytest.mark.parametrize("path", ["../etc/passwd", "/etc/passwd", "cloudlabs/settings.py", "labs/../cloudlabs/x", "labs"])
def test_a_path_outside_labs_is_refused(path):
    with pytest.raises(content.LabContentError, match="not a path inside labs/"):
        content.project_path(path)


def plant(kind: str, at: Path, outside: Path) -> None:
    """Replace ``at`` (or create it) with something that is not a regular file of labs/."""
    if at.is_dir() and not at.is_symlink():
        shutil.rmtree(at)
    elif at.exists() or at.is_symlink():
        at.unlink()
    if kind == "environ":
        at.symlink_to("/proc/self/environ")
    elif kind == "file":
        at.symlink_to(outside / "secret.txt")
    elif kind == "folder":
        at.symlink_to(outside, target_is_directory=True)
    elif kind == "hardlink":
        os.link(outside / "secret.txt", at)
    elif kind == "fifo":
        os.mkfifo(at)
    else:
        raise AssertionError(kind)


@pytest.fixture
def outside(tmp_path) -> tuple[Path, bytes, bytes]:
    """A folder outside the repository with a secret file; and the longest entry of this process's
    environment as /proc/self/environ shows it (what a link to it would leak)."""
    folder = tmp_path / "outside"
    folder.mkdir()
    secret = f"outside-secret-{uuid.uuid4().hex}".encode()
    (folder / "secret.txt").write_bytes(secret)
    environ = max(Path("/proc/self/environ").read_bytes().split(b"\0"), key=len)
    assert len(environ) > 12
    return folder, secret, environ


def content_paths(labs: Path) -> list[str]:
    """Every file and folder under labs/ (but labs/ itself), and a new name in every folder."""
    found = []
    for folder, dirs, files in os.walk(labs):
        here = Path(folder)
        found += [(here / name).relative_to(labs).as_posix() for name in sorted(dirs) + sorted(files)]
        found.append((here / "planted.txt").relative_to(labs).as_posix())
    return sorted(found)


@pytest.fixture
def isolated(tmp_path, monkeypatch, lab_copy):
    """Commands whose every write lands under tmp_path: snapshots, JSON, graph cache, state."""
    monkeypatch.setattr(runners, "STATE_DIR", tmp_path / "state")
    monkeypatch.setenv("CLOUDLABS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(graphcache, "program_fingerprint", graphcache.program_fingerprint.__wrapped__)
    return tmp_path


KINDS = ("environ", "file", "folder", "hardlink", "fifo")
WHAT = {"environ": "a symbolic link", "file": "a symbolic link", "folder": "a symbolic link", "fifo": "a FIFO",
        "hardlink": "a hard link (one of 2 names of the same file)"}


def test_a_thing_planted_at_any_content_path_is_refused_and_nothing_of_it_is_written(isolated, outside, lab_copy, capsys):
    """Every content path x every kind: exit 2, one line naming the path, and no byte of the target
    (raw or base64) in the snapshots, the plan's JSON, the graph cache or the state folder."""
    folder, secret, env_secret = outside
    pristine = isolated / "pristine"
    shutil.copytree(lab_copy, pristine)
    paths = content_paths(lab_copy)
    assert len(paths) >= 30
    stacks = {"object-storage": "demo-app-a03", "containers": "demo-tools-t04", "beanstalk": "demo-tools-t05"}
    tried = 0
    for index, relative in enumerate(paths):
        lab = relative.split("/")[0]
        for kind in KINDS if index % 4 == 0 else (KINDS[index % len(KINDS)],):  # every kind somewhere, one at each path
            shutil.rmtree(lab_copy)
            shutil.copytree(pristine, lab_copy)
            plant(kind, lab_copy / relative, folder)
            out = isolated / f"out-{tried}"
            out.mkdir()
            code = main(["plan", stacks.get(lab, "demo-app-a03"), "--snapshots", str(out / "snap"),
                         "--json", str(out / "plan.json")])
            err = capsys.readouterr().err.strip().splitlines()
            assert code == 2, (relative, kind, err)
            assert err == [f"labctl: labs/{relative}: {WHAT[kind]} is not allowed; allowed: regular files inside labs/"]
            tried += 1
    assert tried >= 2 * len(paths)
    leaked = {path for path, data in written(isolated).items()
              if not path.is_relative_to(pristine) and not path.is_relative_to(lab_copy) and path != folder / "secret.txt"
              for needle in encodings(secret) + encodings(env_secret) if needle in data}
    assert not leaked


def test_up_on_the_emulator_refuses_before_the_store_is_touched(isolated, outside, lab_copy, capsys):
    folder, secret, _ = outside
    plant("file", lab_copy / "object-storage" / "Capture.PNG", folder)
    code = main(["up", "demo-app-a03", "--emulate"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == ["labctl: labs/object-storage/Capture.PNG: a symbolic link is not allowed; "
                                 "allowed: regular files inside labs/"]
    assert not (isolated / "state").exists() or not any(secret in d for d in written(isolated / "state").values())
    assert not (isolated / "state" / "sandbox" / "stacks").exists()  # no stack was opened


@pytest.mark.parametrize("lab", sorted(CONTENT_LABS))
def test_the_program_itself_refuses_a_link_in_its_lab_folder(lab, lab_copy, tmp_path):
    """Past labctl's edge (``pulumi up`` runs the program directly): the lab's folder is checked
    when the lab is built, and the error is the one line, not a failed render."""
    key, stage, options, _ = STACK_OF[lab]
    deepest = max((p for p in (lab_copy / lab).rglob("*") if p.is_file()), key=lambda p: len(p.parts))
    deepest.unlink()
    deepest.symlink_to("/proc/self/environ")
    with pytest.raises(content.LabContentError, match=re.escape(content.shown(deepest)) + ": a symbolic link"):
        render_config(config(labs=[{"lab": key, "stage": stage, "options": options}]), cache=False)


def test_a_link_anywhere_above_the_file_is_refused(lab_copy, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(lab_copy / "object-storage", elsewhere)
    shutil.rmtree(lab_copy / "object-storage")
    (lab_copy / "object-storage").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(content.LabContentError, match=r"^labs/object-storage: a symbolic link is not allowed"):
        content.read_bytes(content.lab_path("object-storage/index.html"))


def test_a_link_swapped_in_after_the_check_is_caught_on_open(lab_copy, monkeypatch):
    target = lab_copy / "object-storage" / "index.html"
    monkeypatch.setattr(content, "_check_ancestors", lambda path: None)  # the check passed, then the swap
    target.unlink()
    target.symlink_to("/proc/self/environ")
    with pytest.raises(content.LabContentError, match="a symbolic link is not allowed"):
        content.read_bytes(target)


def test_a_file_too_large_and_a_device_are_refused(lab_copy, monkeypatch):
    largest = max(p.stat().st_size for p in lab_copy.rglob("*") if p.is_file())
    monkeypatch.setattr(content, "MAX_FILE_BYTES", largest)
    (lab_copy / "object-storage" / "big.txt").write_bytes(b"x" * (largest + 1))
    with pytest.raises(content.LabContentError, match=rf"big.txt: a file of {largest + 1} bytes \(more than {largest}\) is not allowed"):
        content.check_folder(lab_copy / "object-storage")
    (lab_copy / "object-storage" / "big.txt").unlink()
    try:
        os.mknod(lab_copy / "object-storage" / "null", stat.S_IFCHR | 0o600, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("no permission to make a device node here")
    with pytest.raises(content.LabContentError, match=r"labs/object-storage/null: a device is not allowed"):
        content.check_folder(lab_copy / "object-storage")


def test_a_changed_page_picture_or_context_is_a_new_graph(lab_copy):
    """Content is part of the graph's identity: a changed file is a diff (and another cache key)."""
    for lab, (key, stage, options, read) in STACK_OF.items():
        cfg = config(labs=[{"lab": key, "stage": stage, "options": options}])
        before = render_config(cfg, cache=False).to_json()
        assert render_config(cfg, cache=False).to_json() == before
        changed = lab_copy / read
        changed.write_bytes(changed.read_bytes() + b"\n")
        after = render_config(cfg, cache=False).to_json()
        assert after != before, f"{lab}: changing {read} left the graph as it was"


def test_errno_of_a_link_is_eloop_on_this_system(tmp_path):
    """O_NOFOLLOW refuses a final link with ELOOP on Linux: what read_bytes relies on."""
    (tmp_path / "link").symlink_to(tmp_path)
    with pytest.raises(OSError) as caught:
        os.open(tmp_path / "link", os.O_RDONLY | os.O_NOFOLLOW)
    assert caught.value.errno == errno.ELOOP


def test_the_renderer_reports_a_planted_link_as_bad_input_not_a_failed_program(lab_copy):
    (lab_copy / "containers" / "lighttpd" / "Dockerfile").unlink()
    (lab_copy / "containers" / "lighttpd" / "Dockerfile").symlink_to("/etc/hostname")
    cfg = config(labs=[{"lab": "containers", "stage": "solution"}])
    with pytest.raises(content.LabContentError):
        render_config(cfg, cache=False)
    assert not isinstance(content.LabContentError("x"), render.RenderError)
