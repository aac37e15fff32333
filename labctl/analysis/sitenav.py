"""The site's navigation: the entries of ``mkdocs.yml``'s ``nav`` for the generated pages of a
directory (the lab reference, the network diagrams), one per lab of the catalog, kept between the
comment lines ``# generated: NAME`` and ``# /generated: NAME`` by ``./dev docs``. So a new lab's
pages are reachable from the nav the moment they are generated, and a removed lab leaves no dead entry.

``mkdocs.yml`` is edited as text, not loaded and dumped: its comments and its ``!!python/name`` tags stay.
"""

from __future__ import annotations

import json
import re
from typing import Callable

from cloudlabs.catalog import LABS

MKDOCS_FILE = "mkdocs.yml"
REGION = re.compile(r"^(?P<indent>[ ]*)# generated: (?P<name>[a-z-]+)\n(?P<body>.*?)^(?P=indent)# /generated: (?P=name)\n",
                    re.S | re.M)


def _per_lab(directory: str, overview: str) -> Callable[[], list[tuple[str, str]]]:
    def entries() -> list[tuple[str, str]]:
        return [("Overview", f"{directory}/{overview}"), *((lab.key, f"{directory}/{lab.key}.md") for lab in LABS.values())]
    return entries


# region name -> its (title, page) entries, pages relative to docs/
NAV_REGIONS: dict[str, Callable[[], list[tuple[str, str]]]] = {
    "lab-pages": _per_lab("reference/labs", "index.md"),
    "diagram-pages": _per_lab("diagrams", "README.md"),
}


def update_nav(text: str) -> str:
    """``mkdocs.yml``'s text with every known region's entries as the catalog has them (others untouched)."""
    def body(match: re.Match[str]) -> str:
        make = NAV_REGIONS.get(match["name"])
        if make is None:
            return match.group(0)
        indent = match["indent"]
        lines = [f"{indent}- {json.dumps(title)}: {page}\n" for title, page in make()]
        return f"{indent}# generated: {match['name']}\n{''.join(lines)}{indent}# /generated: {match['name']}\n"
    return REGION.sub(body, text)


def missing_regions(text: str) -> list[str]:
    """The regions ``mkdocs.yml`` should hold and does not (the pages they list would be unreachable)."""
    found = {match["name"] for match in REGION.finditer(text)}
    return [name for name in NAV_REGIONS if name not in found]
