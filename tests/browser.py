"""Debian's chromium, driven by playwright, for the tests that look at a page as a reader does (the class
page, the documentation site). Never a browser playwright downloads: CLOUDLABS_CHROMIUM names the binary
(default /usr/bin/chromium, which .ci/run installs). Without it the browser tests skip, except where
CLOUDLABS_REQUIRE_BROWSER=1 (CI) makes its absence a failure, so CI never passes them by skipping."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

CHROMIUM = os.environ.get("CLOUDLABS_CHROMIUM", "/usr/bin/chromium")
# As the machine's own probe starts it: headless, and none of the background calls a closed network refuses.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextlib.contextmanager
def chromium(init_script: str | None = None) -> Iterator[object]:
    """A fresh browser context (its own empty profile), closed afterwards."""
    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (CLOUDLABS_CHROMIUM); CI installs Debian's"
        if os.environ.get("CLOUDLABS_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as p:
        context = p.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        if init_script:
            context.add_init_script(init_script)
        try:
            yield context
        finally:
            context.close()
