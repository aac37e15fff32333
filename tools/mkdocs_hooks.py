"""MkDocs hooks of the documentation site (mkdocs.yml's ``hooks``).

The site serves Mermaid itself: the Material theme loads ``mermaid@11`` from a CDN unless the page
already has it, so ``mkdocs.yml`` lists ``assets/javascripts/mermaid.min.js`` in ``extra_javascript``
and this hook adds that file to the build from the pinned npm package (``tools/mermaid``, which
``./dev site`` installs). The diagrams then render offline, and the CI artifact needs no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

MERMAID = Path(__file__).parent / "mermaid/node_modules/mermaid/dist/mermaid.min.js"
SITE_PATH = "assets/javascripts/mermaid.min.js"


def on_files(files: Files, config: Any) -> Files:
    if not MERMAID.is_file():
        raise PluginError(f"{MERMAID} is missing: ./dev site installs it (npm ci --prefix tools/mermaid)")
    files.append(File.generated(config, SITE_PATH, abs_src_path=str(MERMAID)))
    return files
