"""The class page (labctl report) in a real headless browser, Debian's chromium driven by playwright:
it loads from file:// with no console errors and no request leaving the page's folder, and the
figures it shows (spend per student, totals, grades) are the ones labctl spend and grade computed
on the same emulated account. Also: escaping, accessibility markup, the card links, and the files
report refuses to overwrite."""

from __future__ import annotations

import json
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from labctl.analysis.class_page import GENERATOR
from labctl.cli import runners
from labctl.cli.main import main
from labctl.offline.render import ENVIRONMENTS
from labctl.ops.sandbox import Store

from .browser import chromium
from .sandboxes import served

@pytest.fixture(scope="module")
def class_page(tmp_path_factory):
    """The demo cohort up on a served sandbox (one account, so every command reads the same launch
    times), graded, its spend estimated and its page written 10 hours later; one card written."""
    tmp = tmp_path_factory.mktemp("class-page")
    env = tmp / "environments"
    shutil.copytree(ENVIRONMENTS, env)
    cards = tmp / "cards" / "demo"
    cards.mkdir(parents=True)
    (cards / "s01.html").write_text("<!DOCTYPE html><title>card</title><p>card of s01</p>")
    later = (datetime.now(timezone.utc) + timedelta(hours=10)).isoformat()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runners, "STATE_DIR", tmp / "state")
        store = Store(tmp / "state" / "sandbox")
        with served(store):
            common = ["--environments", str(env), "--emulate"]
            assert main(["up", "demo", *common]) == 0
            assert main(["grade", "demo", *common, "--stage", "planned", "--json", str(tmp / "grades.json")]) == 0
            assert main(["drift", "demo", *common, "--json", str(tmp / "drift.json")]) == 0
            assert main(["spend", "demo", *common, "--now", later, "--json", str(tmp / "spend.json")]) == 0
            assert main(["report", "demo", *common, "--now", later, "--html", str(tmp / "site"), "--cards", str(cards),
                         "--grades", str(tmp / "grades.json"), "--drift", str(tmp / "drift.json")]) == 0
    return tmp


@pytest.fixture(scope="module")
def browser():
    with chromium() as context:
        yield context


def _open(browser, path: Path):
    page = browser.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return page, problems, requests


def test_the_page_renders_without_console_errors_and_loads_nothing_else(class_page, browser):
    page, problems, requests = _open(browser, class_page / "site" / "index.html")
    assert problems == []
    assert requests == [(class_page / "site" / "index.html").as_uri()]  # no CSS, script, font or image from anywhere
    assert page.locator("script").count() == 0
    page.close()


def _main(argv: list[str]) -> int:
    """labctl in a thread of its own: playwright's sync API keeps an event loop in this one, and the
    renderer (the diagrams) runs Pulumi's own."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(main, argv).result()


def _money(text: str) -> float:
    return float(text.strip().lstrip("$").replace(",", ""))


def test_the_figures_shown_are_the_ones_computed(class_page, browser):
    spend = json.loads((class_page / "spend.json").read_text())
    grades = {row["student"]: row for row in json.loads((class_page / "grades.json").read_text())}
    page, problems, _ = _open(browser, class_page / "site" / "index.html")
    shown = {}
    for row in page.locator("#students tbody tr").all():
        student = row.locator("th[scope=row]").inner_text()
        cells = row.locator("td").all_inner_texts()
        shown[student] = cells
        assert _money(row.locator("td.spend").inner_text()) == spend["students"][student]["soFar"]
        assert _money(row.locator("td.forecast").inner_text()) == spend["students"][student]["forecast"]
        g = grades[student]
        assert cells[2] == f"{'complete' if g['complete'] else 'incomplete'} {g['passed']}/{g['total']}"
        assert cells[0] == {"s01": "ec2-webserver (solution)", "s02": "vpc-nat (starter)", "s03": "vpc-nat (solution)"}[student]
        assert cells[1].startswith("deployed (") and cells[3] == "none" and cells[6] == "2026-12-19"
    assert sorted(shown) == ["s01", "s02", "s03"]
    assert spend["students"]["s03"]["soFar"] > spend["students"]["s02"]["soFar"] > 0  # the NAT gateway costs; 10 hours passed
    assert _money(page.locator("#total-spend").inner_text()) == spend["cohort"]["soFar"]
    assert _money(page.locator("#total-forecast").inner_text()) == spend["cohort"]["forecast"]
    assert page.locator("#totals").inner_text().count("3") >= 3  # students, deployed, graded complete
    assert problems == []
    page.close()


def test_the_tables_have_captions_and_headers_and_states_are_words(class_page, browser):
    page, _, _ = _open(browser, class_page / "site" / "index.html")
    students = page.locator("#students")
    assert students.locator("caption").inner_text().startswith("Students of cohort demo")
    assert students.locator("thead th[scope=col]").count() == 9
    assert students.locator("tbody th[scope=row]").count() == 3
    assert page.locator("table:not(:has(caption))").count() == 0
    assert page.locator("figure > svg[role=img] > title").count() == 2  # ec2-webserver and vpc-nat, each a titled picture
    assert page.locator("figure figcaption").all_inner_texts() == ["ec2-webserver: stack demo-s01", "vpc-nat: stack demo-s02"]
    page.close()


def test_each_row_links_its_card_relative_to_the_page_and_says_when_it_is_missing(class_page, browser):
    page, _, _ = _open(browser, class_page / "site" / "index.html")
    links = {a.inner_text(): a.get_attribute("href") for a in page.locator("#students a").all()}
    assert links == {f"card of {s}": f"../cards/demo/{s}.html" for s in ("s01", "s02", "s03")}
    cells = {row.locator("th").inner_text(): row.locator("td").last.inner_text() for row in page.locator("#students tbody tr").all()}
    assert cells == {"s01": "card of s01", "s02": "card of s02 (no card)", "s03": "card of s03 (no card)"}
    page.click("text=card of s01")
    assert page.inner_text("p") == "card of s01"  # the link works from file://
    page.close()


def test_values_from_the_saved_results_are_escaped_not_run(class_page, browser, tmp_path, monkeypatch):
    rows = json.loads((class_page / "grades.json").read_text())
    rows[0]["error"] = '<img src=x onerror="document.title=1">'
    (tmp_path / "grades.json").write_text(json.dumps(rows))
    monkeypatch.setattr(runners, "STATE_DIR", class_page / "state")
    assert _main(["report", "demo", "--environments", str(class_page / "environments"), "--emulate", "--html",
                  str(tmp_path / "site"), "--grades", str(tmp_path / "grades.json")]) == 0
    page, problems, requests = _open(browser, tmp_path / "site" / "index.html")
    assert page.locator("#students img").count() == 0 and problems == [] and len(requests) == 1
    assert 'not read: <img src=x onerror="document.title=1">' in page.locator("#students").inner_text()
    page.close()


def test_report_never_overwrites_a_page_it_did_not_write(class_page, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runners, "STATE_DIR", class_page / "state")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>the course's home page</p>")
    argv = ["report", "demo", "--environments", str(class_page / "environments"), "--emulate", "--html", str(site)]
    assert _main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "was not written by labctl report" in err
    assert (site / "index.html").read_text() == "<p>the course's home page</p>"
    (site / "index.html").unlink()
    assert _main(argv) == 0 and GENERATOR in (site / "index.html").read_text()
    assert _main(argv) == 0  # its own page: replaced
    assert _main(argv[:-2] + ["--html", str(tmp_path / "missing" / "deeper")]) == 2
    assert _main(argv + ["--grades", str(tmp_path / "nope.json")]) == 2
    assert re.search(r"nope\.json", capsys.readouterr().err)


def test_the_diagram_draws_every_node_and_link_of_labctl_diagrams_flowchart():
    from labctl.analysis.diagram import mermaid
    from labctl.analysis.diagram_svg import parse, svg
    from labctl.offline.render import render_file
    with ThreadPoolExecutor(1) as pool:  # Pulumi's event loop, apart from playwright's in this thread (see _main)
        text = mermaid(pool.submit(render_file, ENVIRONMENTS / "Pulumi.demo-s03.yaml").result())
    drawing, links = svg(text, 'stack "demo-s03" <vpc-nat>')
    root, raw = parse(text)
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", drawing)
    assert "VPC VPC-A · 10.3.0.0/16" in labels and "NAT gateway: VPC-A-NAT" in labels and "instance: web-dev" in labels
    assert drawing.count("<line ") == len(links) == len(raw) == len(re.findall(r"^\s+\S+ (--|-\.)", text, re.MULTILINE))
    assert ("internet", "instance: bastion", "tcp/22", True) in {(x.source, x.target, x.label, x.refused) for x in links}
    assert "<title>stack &quot;demo-s03&quot; &lt;vpc-nat&gt;</title>" in drawing
