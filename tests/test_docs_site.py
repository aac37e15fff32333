"""The documentation site as a reader sees it: built (--strict), served on 127.0.0.1 and opened in
Debian's chromium through playwright. The nav leads to a lab's page, the search finds a command,
the Mermaid diagrams are drawn, no page logs an error, and nothing is loaded from anywhere but the
site itself (fonts and Mermaid included), so the CI artifact works offline."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cloudlabs import REPO_ROOT

from .browser import chromium


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the base class's name)
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The built site, served on a free port of 127.0.0.1 for the module's tests."""
    out = tmp_path_factory.mktemp("site")
    done = subprocess.run([str(Path(sys.executable).parent / "mkdocs"), "build", "--strict", "--site-dir", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture(scope="module")
def browser():
    # Material draws each diagram into a closed shadow root; opened, the test can see the drawing
    with chromium("const attach = Element.prototype.attachShadow; Element.prototype.attachShadow = "
                  "function (options) { return attach.call(this, Object.assign({}, options, {mode: 'open'})); };") as context:
        yield context


class Visit:
    """A page of the site with every console error and every request that left the site (refused)."""

    def __init__(self, browser, site: str, path: str):
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.page = browser.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.route("**/*", self._only_the_site(site))
        self.page.goto(f"{site}/{path}", wait_until="load")

    def _only_the_site(self, site: str):
        def route(request_route):
            url = request_route.request.url
            if url.startswith(site + "/") or url.startswith(("data:", "blob:")):
                request_route.continue_()
            else:
                self.outside.append(url)
                request_route.abort()
        return route


def test_the_nav_leads_from_the_home_page_to_a_labs_reference_page(site, browser):
    visit = Visit(browser, site, "")
    visit.page.locator("nav.md-nav--primary label.md-nav__link", has_text="Labs").first.click()  # unfold the section
    visit.page.locator("nav.md-nav--primary a.md-nav__link", has_text="vpc-nat").first.click()
    visit.page.wait_for_url(f"{site}/reference/labs/vpc-nat/")
    assert visit.page.locator("h1").first.inner_text().startswith("vpc-nat: ")
    assert visit.errors == [] and visit.outside == []
    visit.page.close()


def test_the_search_finds_a_command(site, browser):
    visit = Visit(browser, site, "")
    visit.page.locator("input.md-search__input").click()
    visit.page.keyboard.type("sweep")  # as typed: the search answers key presses
    results = visit.page.locator(".md-search-result__item")
    results.first.wait_for(timeout=15000)
    assert results.count() > 0
    assert "sweep" in results.first.inner_text().lower()
    assert visit.errors == [] and visit.outside == []
    visit.page.close()


def test_mermaid_diagrams_are_drawn_by_the_sites_own_mermaid(site, browser):
    visit = Visit(browser, site, "diagrams/vpc-nat/")
    drawn = visit.page.locator(".mermaid svg")
    drawn.first.wait_for(timeout=15000)
    assert drawn.count() == visit.page.locator(".mermaid").count() >= 2  # every stage's diagram
    assert "Syntax error" not in visit.page.locator(".mermaid").first.inner_html()
    assert visit.page.evaluate("typeof mermaid") == "object"
    assert visit.errors == [] and visit.outside == []
    visit.page.close()
