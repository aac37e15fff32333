"""One emulated stack's state: what the emulator made for it, in creation order, in a file of its own.

Like Pulumi's state, it is what lets ``destroy`` find every resource again and ``up`` resume after
an interruption. Each resource's entry keeps its AWS id, the renderer's fake ids it stands for
(``aliases``), what its delete needs (``extra``), and the inputs it was created with and the
outputs AWS answered, so the stack can be made again, exactly as it was, in an account that is
born empty (an in-process sandbox, a restarted server): ``labctl.ops.emulate.replay``.

The file also says which account its ids belong to (``account``: a served sandbox's id, or the id
of one command's in-process account): ids of an account that no longer exists are never used.
A create is recorded as ``pending`` before its call and as a resource after it, so a run killed in
between leaves a trace instead of a silent orphan (the next run drops it, as ``pulumi refresh
--clear-pending-creates`` does; what it made carries the cohort's tags, where ``labctl sweep`` finds it).

The file is the state as one JSON document on its first line, then one line per change since
(``record``: a create pending, made or refused, a resource deleted), appended as it happens: an up
or destroy of a class changes thousands of resources, and rewriting the whole file after each cost
more than the emulated calls (250 students: 15 s of a 50 s up). ``save`` writes the whole state
again as one line, atomically under a unique temporary name (up and destroy do when they end). A
process killed while appending leaves a last line without its newline: it is ignored (the change
it was recording is the one a kill interrupts anyway). Files are readable by their owner only (they
hold generated passwords and private keys, as Pulumi's state does). A damaged or foreign file is a
``StateError`` that names it and the repair; it is never read as empty.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudlabs.reading import InputFileError, read_text
from cloudlabs.writing import PRIVATE_FILE, atomic_write, private_dir

FORMAT = "cloudlabs-emulated-stack/3"
OLDER_FORMATS = ("cloudlabs-emulated-stack/2",)  # one JSON document, no change lines: read, written as /3
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
MAX_STATE_BYTES = 64 * 1024 * 1024  # a stack's resources and their changes; far above any lab's
REPAIR = "labctl sandbox forget {stack} drops it from the store (a served sandbox keeps its resources: labctl sweep " \
         "--emulate --delete finds them by their tags), or labctl sandbox reset empties the whole store"


class StateError(ValueError):
    """A state file that cannot be used: one line naming the file, what is wrong and the repair."""


@dataclass
class EmulatedStack:
    """One stack's emulated state: URN -> entry, in creation order."""

    stack: str
    state_dir: Path
    resources: dict[str, dict] = field(default_factory=dict)
    pending: dict[str, dict] = field(default_factory=dict)  # creates begun and not known to have finished
    account: str = ""  # the account the ids belong to
    region: str = "us-east-1"
    role: str = ""  # per-student: the role its resources were made through (the student's emulated account)
    _log: int | None = field(default=None, repr=False, compare=False)  # the file, open for appending changes

    def __del__(self) -> None:
        self.close()

    @property
    def path(self) -> Path:
        return state_path(self.state_dir, self.stack)

    @classmethod
    def load(cls, stack: str, state_dir: Path) -> "EmulatedStack":
        """The stack's state, or an empty one when it has none; ``StateError`` when its file is damaged."""
        found = cls(stack, Path(state_dir))
        if found.path.exists() or found.path.is_symlink():
            _fill(found, found.path)
        return found

    def save(self) -> None:
        """The whole state written again (one line, atomically); changes are appended after it."""
        self.close()
        private_dir(self.state_dir)
        document = {"format": FORMAT, "stack": self.stack, "account": self.account, "region": self.region,
                    **({"role": self.role} if self.role else {}), "resources": self.resources, "pending": self.pending}
        atomic_write(self.path, json.dumps(document, separators=(",", ":")) + "\n", mode=PRIVATE_FILE, durable=False)

    def record(self, change: str, urn: str, entry: dict | None = None) -> None:
        """Apply one change and append it to the file: ``pending`` (a create begun: ``entry`` its type
        and name), ``made`` (``entry`` the resource's), ``refused`` (a pending create that made
        nothing) or ``deleted``. The first change after a load writes the whole state first, so
        whatever else changed in memory (the account, the region) is in the file too."""
        if change not in CHANGES:
            raise ValueError(f"unknown change {change!r}")
        _apply(self, change, urn, entry)
        if self._log is None:
            self.save()
            self._log = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC)
        line = {"change": change, "urn": urn} if entry is None else {"change": change, "urn": urn, "entry": entry}
        os.write(self._log, (json.dumps(line, separators=(",", ":")) + "\n").encode())

    @property
    def appending(self) -> bool:
        """Changes were appended since the state was last written whole."""
        return self._log is not None

    def close(self) -> None:
        """Stop appending (the next change writes the whole state first)."""
        if self._log is not None:
            os.close(self._log)
            self._log = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)

    def drop_pending(self) -> list[str]:
        """Forget the creates a killed run left pending (saved); returns a line per dropped create."""
        dropped = [f"{entry.get('type')} {entry.get('name', urn)}" for urn, entry in self.pending.items()]
        if dropped:
            self.pending.clear()
            self.save()
        return dropped


def state_path(state_dir: Path, stack: str) -> Path:
    if not STACK_NAME.match(stack):
        raise StateError(f"{stack!r} is not a stack name; allowed: letters, digits, '.', '_' and '-'")
    return Path(state_dir) / f"{stack}.json"


CHANGES = ("pending", "made", "refused", "deleted")


def _apply(state: EmulatedStack, change: str, urn: str, entry: Any) -> None:
    if change == "pending":
        state.pending[urn] = entry
    elif change == "made":
        state.pending.pop(urn, None)
        state.resources[urn] = entry
    elif change == "refused":
        state.pending.pop(urn, None)
    else:
        state.resources.pop(urn, None)


def _document(state: EmulatedStack, path: Path, repair: str) -> tuple[Any, list[str]]:
    """The file's first document and its change lines (a last line cut short by a kill dropped)."""
    try:
        text = read_text(path, "emulated stack state (written by labctl)", MAX_STATE_BYTES)
    except InputFileError as err:
        raise StateError(f"{err}; {repair}") from None
    first, newline, rest = text.partition("\n")
    try:
        document = json.loads(first)
    except (json.JSONDecodeError, RecursionError):
        try:  # an older state: one indented document
            return json.loads(text), []
        except (json.JSONDecodeError, RecursionError) as err:
            raise StateError(f"{path}:{getattr(err, 'lineno', 1)}: not valid JSON; {repair}") from None
    lines = rest.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the newline that ends the last change
    elif lines:
        lines.pop()  # a change whose append a kill cut short: never applied
    return document, lines


def _fill(state: EmulatedStack, path: Path) -> None:
    repair = REPAIR.format(stack=state.stack)
    if path.is_symlink():
        raise StateError(f"{path}: a symbolic link, not a state written by labctl; {repair}")
    data, changes = _document(state, path, repair)
    if not isinstance(data, dict) or data.get("format") not in (FORMAT, *OLDER_FORMATS):
        found = data.get("format", "none") if isinstance(data, dict) else type(data).__name__
        raise StateError(f"{path}: not a state of this labctl (format {found!r}; allowed: {FORMAT!r}); {repair}")
    if data.get("stack") != state.stack:
        raise StateError(f"{path}: holds the state of stack {data.get('stack')!r}, not {state.stack!r}; {repair}")
    resources, pending = data.get("resources"), data.get("pending", {})
    if not isinstance(resources, dict) or not isinstance(pending, dict):
        raise StateError(f"{path}: damaged (no mapping of resources); {repair}")
    if not all(isinstance(data.get(key, ""), str) for key in ("account", "region", "role")):
        raise StateError(f"{path}: damaged (its account, region or role is not a string); {repair}")
    state.resources, state.pending, state.account = resources, pending, data.get("account", "")
    state.region = data.get("region") or state.region
    state.role = data.get("role", "")
    for number, line in enumerate(changes, start=2):
        try:
            change = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            change = None
        if not (isinstance(change, dict) and change.get("change") in CHANGES and isinstance(change.get("urn"), str)
                and isinstance(change.get("entry", {}), dict)):
            raise StateError(f"{path}:{number}: damaged (not a change labctl appends); {repair}")
        _apply(state, change["change"], change["urn"], change.get("entry", {}))
    entries_ok = all(
        isinstance(e, dict) and isinstance(e.get("type"), str) and isinstance(e.get("id"), str)
        and isinstance(e.get("inputs", {}), dict) for e in state.resources.values())
    if not entries_ok:
        raise StateError(f"{path}: damaged (its resources are not entries with a type and an id); {repair}")


def stored_stacks(state_dir: Path) -> list[str]:
    """The stacks that have a state in ``state_dir``; ``StateError`` for anything there that is not
    named like one (labctl's own temporary files of a killed write excepted). Whether each is a
    usable state is ``EmulatedStack.load``'s to say."""
    if not state_dir.is_dir():
        return []
    stacks = []
    for path in sorted(state_dir.iterdir()):
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            continue  # a write killed before its rename: never a state
        if path.suffix != ".json" or not STACK_NAME.match(path.stem):
            raise StateError(f"{path}: not a state written by labctl (the store holds <stack>.json files only); "
                             "move it out of the store, or labctl sandbox reset empties the whole store")
        stacks.append(path.stem)
    return stacks
