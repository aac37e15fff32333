"""Issue 28's per-lab cache keys: how many stacks of environments/ re-render after one lab changes.

For each lab of the catalog, in a throw-away copy of the program, a comment is appended to the lab's
component module (components/labs/<module>.py); every stack's key is computed before and after, as
``labctl plan`` keys it now (the program fingerprint without the labs' own files, plus each named
lab's fingerprint), and as it was keyed before (one program fingerprint holding every lab file).
Then the same for a shared module (components/labs/base.py). Also: the cost of the keys in a fresh
process (program fingerprint, lab files and their imports, every stack's key). Prints numbers,
asserts nothing.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cloudlabs import REPO_ROOT  # noqa: E402
from cloudlabs.catalog import LABS  # noqa: E402
from labctl.offline import graphcache  # noqa: E402
from labctl.offline.render import ENVIRONMENTS  # noqa: E402


def copy_program(root: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__")
    for folder in (*graphcache.PROGRAM_DIRS, "labs"):
        shutil.copytree(REPO_ROOT / folder, root / folder, ignore=ignore)
    for name in graphcache.PROGRAM_FILES:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_ROOT / name, root / name)


def keys_now(root: Path, stacks: list[Path]) -> dict[str, str]:
    graphcache.lab_units.cache_clear()
    graphcache._lab_fingerprint.cache_clear()
    cache = graphcache.GraphCache(root / "cache", fingerprint=graphcache.program_fingerprint.__wrapped__(root), root=root)
    return {path.name: cache.key(path, None) for path in stacks}


def keys_before(root: Path, stacks: list[Path]) -> dict[str, str]:
    """The key as it was: every file of cloudlabs/, components/ and labs/ in one fingerprint."""
    program = graphcache._hash_files(root, graphcache.PROGRAM_DIRS, graphcache.PROGRAM_FILES) + \
        graphcache._hash_files(root / "labs", (".",), ())
    return {path.name: hashlib.sha256(program.encode() + path.read_bytes()).hexdigest() for path in stacks}


def changed(before: dict[str, str], after: dict[str, str]) -> int:
    return sum(before[s] != after[s] for s in before)


def main() -> None:
    stacks = sorted(ENVIRONMENTS.glob("Pulumi.*.yaml"))
    users = {key: sum(key in graphcache.stack_labs(p.read_bytes()) for p in stacks) for key in LABS}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        copy_program(root)
        units = graphcache.lab_units(root, root / "labs")
        base_now, base_before = keys_now(root, stacks), keys_before(root, stacks)
        print(f"{len(stacks)} stacks in environments/; stacks re-rendered after a comment in one module:")
        print(f"{'module changed':42} {'stacks with the lab':>20} {'before':>7} {'per-lab':>8}")
        total_before = total_now = 0
        for key, module in sorted(units.modules.items()):
            edited = root / "components" / "labs" / f"{module}.py"
            original = edited.read_bytes()
            edited.write_bytes(original + b"\n# edited\n")
            now, before = changed(base_now, keys_now(root, stacks)), changed(base_before, keys_before(root, stacks))
            edited.write_bytes(original)
            total_before, total_now = total_before + before, total_now + now
            print(f"{'components/labs/' + module + '.py':42} {users[key]:>20} {before:>7} {now:>8}")
        print(f"{'one lab at a time, mean over ' + str(len(units.modules)) + ' labs':42} {'':>20} "
              f"{total_before / len(units.modules):>7.1f} {total_now / len(units.modules):>8.1f}")
        shared = root / "components" / "labs" / "base.py"
        shared.write_bytes(shared.read_bytes() + b"\n# edited\n")
        print(f"{'components/labs/base.py (shared)':42} {len(stacks):>20} "
              f"{changed(base_before, keys_before(root, stacks)):>7} {changed(base_now, keys_now(root, stacks)):>8}")
    code = ("import time; t = time.perf_counter(); from pathlib import Path; "
            "from labctl.offline.graphcache import GraphCache; from labctl.offline.render import ENVIRONMENTS; "
            "import cloudlabs.catalog; t1 = time.perf_counter(); c = GraphCache(Path('/nonexistent')); "
            "[c.key(p, None) for p in sorted(ENVIRONMENTS.glob('Pulumi.*.yaml'))]; "
            "print(f'{time.perf_counter() - t1:.3f}')")
    runs = sorted(float(subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True,
                                       check=True).stdout) for _ in range(5))
    print(f"keys of all {len(stacks)} stacks in a fresh process (imports excluded), median of 5: {runs[2]:.3f} s")
    start = time.perf_counter()
    keys_before(REPO_ROOT, stacks)
    print(f"(the old single-fingerprint keys, warm process: {time.perf_counter() - start:.3f} s)")


if __name__ == "__main__":
    main()
