"""``./dev docs``: every generated page of the documentation site, written from the code, or with
``--check`` only compared with it (exit 1 when a page is stale, missing or no longer generated).

Whole pages: the command and exit code reference (from the argument parser), the file formats,
the lab reference and the network diagrams. Tables inside hand-written pages (``docs/**/*.md``
and ``README.md``) are the regions between ``<!-- generated: NAME -->`` and ``<!-- /generated: NAME -->``;
the nav's entries for the per-lab pages (``mkdocs.yml``) are regions too (``labctl.analysis.sitenav``).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable

from cloudlabs import REPO_ROOT
from cloudlabs.writing import atomic_write

from labctl.analysis import formatdocs, labdocs, sitenav
from labctl.cli import reference

REFERENCE_DIR = "docs/reference"


def generated_directories() -> dict[str, Callable[[], dict[str, str]]]:
    """Directory (relative to the project) -> its pages, every ``*.md`` of which ``./dev docs`` owns."""
    return {labdocs.DIAGRAMS_DIR: labdocs.diagram_pages, labdocs.LABS_DIR: labdocs.lab_pages}


def generated_pages() -> dict[str, str]:
    """Single generated pages (relative path -> text) among hand-written ones in docs/reference."""
    parser = reference.build_parser()
    pages = {f"{REFERENCE_DIR}/commands.md": reference.command_page(parser),
             f"{REFERENCE_DIR}/exit-codes.md": reference.exit_code_page(parser)}
    pages.update({f"{REFERENCE_DIR}/{name}": text for name, text in formatdocs.format_pages().items()})
    return pages


def pages_with_regions(root: Path) -> list[Path]:
    candidates = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    return [path for path in candidates if path.is_file() and labdocs.REGION_NAME.search(path.read_text())]


def plan(root: Path) -> tuple[dict[Path, str], list[Path], list[str]]:
    """(pages to write, stray pages to remove, one line per page that differs) for the project at ``root``."""
    writes: dict[Path, str] = {}
    strays: list[Path] = []
    problems: list[str] = []
    for directory, make in generated_directories().items():
        wanted = make()
        problems += labdocs.diagram_problems(root / directory, wanted)
        writes.update({root / directory / name: text for name, text in wanted.items()})
        if (root / directory).is_dir():
            strays += [path for path in sorted((root / directory).glob("*.md")) if path.name not in wanted]
    for relative, text in generated_pages().items():
        path = root / relative
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text() != text:
            problems.append(f"{path}: out of date")
        writes[path] = text
    mkdocs = root / sitenav.MKDOCS_FILE
    if mkdocs.is_file():
        current = mkdocs.read_text()
        problems += [f"{mkdocs}: its nav has no `# generated: {name}` region (the generated pages it lists would be "
                     f"unreachable); add the two comment lines where they belong" for name in sitenav.missing_regions(current)]
        wanted_nav = sitenav.update_nav(current)
        if wanted_nav != current:
            problems.append(f"{mkdocs}: the nav's generated entries are out of date")
            writes[mkdocs] = wanted_nav
    for path in pages_with_regions(root):
        current = path.read_text()
        wanted_text = labdocs.update_regions(current, labdocs.TABLES)
        if wanted_text != current:
            problems.append(f"{path}: generated tables out of date")
        writes[path] = wanted_text
    return writes, strays, problems


def main(argv: list[str] | None = None) -> int:
    """Rewrite every generated page of the documentation; ``--check`` writes nothing and exits 1 if any is stale."""
    parser = argparse.ArgumentParser(prog="./dev docs", description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a generated page is out of date")
    args = parser.parse_args(argv)
    writes, strays, problems = plan(REPO_ROOT)
    if args.check:
        for problem in problems:
            print(f"{problem}; run ./dev docs")
        if not problems:
            print(f"the documentation's {len(writes)} generated pages are current")
        return 1 if problems else 0
    changed = 0
    for path, text in writes.items():
        if not path.is_file() or path.read_text() != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, text)
            changed += 1
    for stray in strays:
        stray.unlink()
    print(f"{changed} generated pages rewritten, {len(strays)} removed, {len(writes) - changed} current")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
