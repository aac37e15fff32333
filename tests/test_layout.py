"""The architecture as a test: imports go one way (cli -> analysis/ops -> offline -> kinds -> cloudlabs),
the core and the lab definitions never import Pulumi, and no package imports itself in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

from cloudlabs import REPO_ROOT

# A module may import from its own layer's package and from layers listed for it, nothing else.
ALLOWED = {
    "cloudlabs": {"cloudlabs"},
    "components": {"components", "cloudlabs"},
    "labctl.kinds": {"labctl.kinds", "cloudlabs"},
    "labctl.offline": {"labctl.offline", "labctl.kinds", "cloudlabs"},
    "labctl.analysis": {"labctl.analysis", "labctl.offline", "labctl.kinds", "cloudlabs"},
    "labctl.ops": {"labctl.ops", "labctl.offline", "labctl.kinds", "cloudlabs"},
    "labctl.cli": {"labctl.cli", "labctl.analysis", "labctl.ops", "labctl.offline", "labctl.kinds", "cloudlabs"},
}
PULUMI_FREE = ("cloudlabs",)  # the core: importable (and testable) without the Pulumi SDK


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    return _imports_of(path.read_text(), _module_name(path), path.name == "__init__.py")


def _imports_of(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source imports, anywhere in it (imports inside functions count too)."""
    tree = ast.parse(source)
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return found


def _layer(module: str) -> str | None:
    for layer in sorted(ALLOWED, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return None


def _sources() -> list[Path]:
    return sorted(p for pkg in ("cloudlabs", "components", "labctl") for p in (REPO_ROOT / pkg).rglob("*.py"))


def _violations(module: str, imports: set[str]) -> list[str]:
    layer = _layer(module)
    if layer is None:
        return []  # labctl/__init__.py and __main__.py
    return [f"{module} ({layer}) imports {target} ({_layer(target)})" for target in sorted(imports)
            if _layer(target) is not None and _layer(target) not in ALLOWED[layer]]


def test_imports_go_one_way():
    assert [v for p in _sources() for v in _violations(_module_name(p), _imports(p))] == []


def test_the_core_never_imports_pulumi():
    offenders = [f"{p.relative_to(REPO_ROOT)}: {t}" for p in _sources() if _layer(_module_name(p)) in PULUMI_FREE
                 for t in _imports(p) if t == "pulumi" or t.startswith(("pulumi.", "pulumi_"))]
    assert offenders == []


def test_no_import_cycles_between_modules():
    modules = {_module_name(p): p for p in _sources()}
    edges = {name: sorted(t for t in _imports(path) if t in modules and t != name) for name, path in modules.items()}
    state: dict[str, int] = {}  # 1 visiting, 2 done
    cycles: list[list[str]] = []

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in edges[node]:
            if state.get(nxt) == 1:
                cycles.append(trail[trail.index(nxt):] + [nxt] if nxt in trail else [node, nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for name in modules:
        if name not in state:
            visit(name, [name])
    # a package's __init__ importing its own modules is not a cycle worth reporting
    cycles = [c for c in cycles if not any(c[i + 1].startswith(c[i] + ".") for i in range(len(c) - 1))]
    assert cycles == []


def test_the_layer_check_sees_wrong_imports():
    """The checks are not vacuous: relative, absolute and function-level imports against the flow."""
    offline = _imports_of("from ..cli.common import EXIT_OK\n", "labctl.offline.render")
    assert _violations("labctl.offline.render", offline) == [
        "labctl.offline.render (labctl.offline) imports labctl.cli.common (labctl.cli)",
        "labctl.offline.render (labctl.offline) imports labctl.cli.common.EXIT_OK (labctl.cli)"]
    core = _imports_of("def f():\n    import labctl.analysis.cost\n", "cloudlabs.catalog")
    assert _violations("cloudlabs.catalog", core) == [
        "cloudlabs.catalog (cloudlabs) imports labctl.analysis.cost (labctl.analysis)"]
    assert _violations("labctl.ops.fleet", _imports_of("from labctl.analysis import cost\n", "labctl.ops.fleet"))
    assert _violations("labctl.cli.plan", _imports_of("from labctl.analysis import cost\n", "labctl.cli.plan")) == []
