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

Files are written atomically under unique temporary names, readable by their owner only (they hold
generated passwords and private keys, as Pulumi's state does). A damaged or foreign file is a
``StateError`` that names it and the repair; it is never read as empty.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from cloudlabs.reading import InputFileError, load_json
from cloudlabs.writing import PRIVATE_FILE, atomic_write, private_dir

FORMAT = "cloudlabs-emulated-stack/2"
STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
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
        private_dir(self.state_dir)
        document = {"format": FORMAT, "stack": self.stack, "account": self.account, "region": self.region,
                    "resources": self.resources, "pending": self.pending}
        atomic_write(self.path, json.dumps(document, indent=1), mode=PRIVATE_FILE, durable=False)

    def remove(self) -> None:
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


def _fill(state: EmulatedStack, path: Path) -> None:
    repair = REPAIR.format(stack=state.stack)
    if path.is_symlink():
        raise StateError(f"{path}: a symbolic link, not a state written by labctl; {repair}")
    try:
        data = load_json(path, "emulated stack state (written by labctl)")
    except InputFileError as err:
        raise StateError(f"{err}; {repair}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format", "none") if isinstance(data, dict) else type(data).__name__
        raise StateError(f"{path}: not a state of this labctl (format {found!r}; allowed: {FORMAT!r}); {repair}")
    if data.get("stack") != state.stack:
        raise StateError(f"{path}: holds the state of stack {data.get('stack')!r}, not {state.stack!r}; {repair}")
    resources, pending = data.get("resources"), data.get("pending", {})
    if not isinstance(resources, dict) or not isinstance(pending, dict):
        raise StateError(f"{path}: damaged (no mapping of resources); {repair}")
    entries_ok = all(
        isinstance(e, dict) and isinstance(e.get("type"), str) and isinstance(e.get("id"), str)
        and isinstance(e.get("inputs", {}), dict) for e in resources.values())
    if not entries_ok or not isinstance(data.get("account", ""), str) or not isinstance(data.get("region", ""), str):
        raise StateError(f"{path}: damaged (its resources are not entries with a type and an id); {repair}")
    state.resources, state.pending, state.account = resources, pending, data.get("account", "")
    state.region = data.get("region") or state.region


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
