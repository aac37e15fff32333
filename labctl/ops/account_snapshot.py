"""The in-process emulated account kept between commands: moto's state, saved by the command
that changed it and loaded by the next, instead of making every stack of the store again.

Replaying a stack costs its API calls (about 20 ms a resource: 100 vpc-nat students, 2,100
resources, took 40 s before each command); loading the saved account takes well under a second.
So a command's time follows the work it was asked for: grading one student reads one student.

Trust, in order:
- the state files stay the truth. The snapshot (``account.pickle`` and ``account.json`` in the
  store) is used only when it matches them exactly: the same account id and the same bytes of
  every state file of that account (a digest per stack, recorded at save), the same moto and the
  same emulator code. Anything else (a stack forgotten, a served sandbox that re-made the stacks
  in its own account, a state changed by hand) and the snapshot is dropped and the account is
  made from the states as before;
- a writer drops the snapshot before its first change and saves a new one only when it ends
  normally, so a killed command leaves no snapshot that disagrees with the states;
- it is a pickle: loaded only from the store's own 0600 files, owned by this user, in its 0700
  folder (anyone who can write there can already change the states).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import json
import os
import pickle
import stat
import sys
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cloudlabs.writing import PRIVATE_FILE, atomic_write

FORMAT = "cloudlabs-account-snapshot/1"
_CODE = ("emulate.py", "emulator_rules.py", "moto_host.py", "account_snapshot.py")  # and the kinds' emulator facets


def _paths(root: Path) -> tuple[Path, Path]:
    return root / "account.pickle", root / "account.json"


@dataclass(frozen=True)
class Loaded:
    account: str
    stacks: frozenset[str]  # whose resources the loaded account holds


def _code_fingerprint() -> str:
    digest = hashlib.sha256(f"moto {version('moto')}\n".encode())
    here = Path(__file__).parent
    for path in [here / name for name in _CODE] + sorted((here.parent / "kinds").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def state_digests(stacks_dir: Path, account: str) -> dict[str, str]:
    """stack -> sha256 of its state file, for every state file of ``account``."""
    found: dict[str, str] = {}
    if not stacks_dir.is_dir():
        return found
    for path in sorted(stacks_dir.glob("*.json")):
        data = path.read_bytes()
        try:
            owner = json.loads(data).get("account")
        except (ValueError, AttributeError):
            continue  # a damaged state is the store's business (StateError), not the snapshot's
        if owner == account:
            found[path.stem] = hashlib.sha256(data).hexdigest()
    return found


def discard(root: Path) -> None:
    for path in _paths(root):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _backend_dicts() -> list[tuple[str, str, Any]]:
    """(module, name, BackendDict) of every moto service that holds an account in this process."""
    from moto.core.base_backend import BackendDict
    found = []
    for backends in list(BackendDict._instances):  # type: ignore[misc]
        module_name = backends.backend.__module__
        candidates = [module_name, module_name.rsplit(".", 1)[0]]
        for candidate in candidates:
            module = sys.modules.get(candidate)
            name = next((n for n, v in vars(module).items() if v is backends), None) if module else None
            if name:
                found.append((candidate, name, backends))
                break
        else:
            raise RuntimeError(f"moto's {backends.service_name} backends are not a module's attribute: cannot be saved")
    return found


def _private_key(pem: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    return load_pem_private_key(pem, password=None)


def _reduce_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    """moto keeps the key pairs it generates as cryptography objects, which do not pickle: as PEM."""
    from cryptography.hazmat.primitives import serialization
    return _private_key, (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()),)


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
        if isinstance(obj, (rsa.RSAPrivateKey, ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey)):
            return _reduce_private_key(obj)
        return NotImplemented


def save(root: Path, account: str, stacks_dir: Path) -> str | None:
    """Keep the in-process account (call inside ``mock_aws``, after the command's last change).
    Returns why it could not be kept (moto holds something that does not pickle), else None: then
    the next command makes the account from the states, as before."""
    import io
    buffer = io.BytesIO()
    try:
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump([(module, name, dict(backends)) for module, name, backends in _backend_dicts()])
    except (pickle.PicklingError, TypeError, AttributeError, RuntimeError) as err:
        discard(root)
        return f"{type(err).__name__}: {err}"
    data = buffer.getvalue()
    pickled, meta = _paths(root)
    discard(root)
    tmp = pickled.with_name(pickled.name + ".new")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE), "wb") as handle:
        handle.write(data)
    os.replace(tmp, pickled)
    atomic_write(meta, json.dumps({"format": FORMAT, "account": account, "code": _code_fingerprint(),
                                   "pickle": hashlib.sha256(data).hexdigest(),
                                   "states": state_digests(stacks_dir, account)}, indent=1) + "\n",
                 mode=PRIVATE_FILE, durable=False)
    return None


def _ours(path: Path) -> bool:
    info = os.lstat(path)
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def load(root: Path, stacks_dir: Path) -> Loaded | None:
    """Put the kept account back into moto (call inside ``mock_aws``) when it matches the states
    exactly; else None (the caller makes the account from the states). Never writes: readers call
    it side by side; a writer discards a stale snapshot itself."""
    pickled, meta_path = _paths(root)
    try:
        if not (_ours(pickled) and _ours(meta_path)):
            return None
        meta = json.loads(meta_path.read_text())
        data = pickled.read_bytes()
    except (OSError, ValueError):
        return None
    if (not isinstance(meta, dict) or meta.get("format") != FORMAT or meta.get("code") != _code_fingerprint()
            or meta.get("pickle") != hashlib.sha256(data).hexdigest()
            or meta.get("states") != state_digests(stacks_dir, str(meta.get("account")))):
        return None
    for module, name, accounts in pickle.loads(data):  # noqa: S301 - the store's own 0600 file, checked above
        backends = getattr(importlib.import_module(module), name)
        backends.clear()
        for account_id, account_backend in accounts.items():
            backends[account_id] = account_backend
        from moto.core.base_backend import BackendDict
        if backends not in BackendDict._instances:  # type: ignore[misc]
            BackendDict._instances.append(backends)  # type: ignore[misc]
    return Loaded(str(meta["account"]), frozenset(meta["states"]))
