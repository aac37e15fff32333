"""References into the course book: every one names its chapter, section and heading, the labs'
resolve in the book when it is present (../shared/seeds/), and no bare line number is left."""

from __future__ import annotations

import dataclasses
import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import cloudlabs
from cloudlabs import REPO_ROOT
from cloudlabs.book import BARE_LINE_REF, BOOK_FILE, Book, BookError, BookRef, book_path, load_book
from cloudlabs.catalog import LABS

BOOK = load_book()
needs_book = pytest.mark.skipif(BOOK is None, reason=f"the course book is not at {book_path()} (not in the repository)")

# A small book printed as the real one is (a text export of the PDF), for the locator's own rules.
MINI = "\n".join([
    " Chapter 1 ",          # 1
    "",                     # 2
    "Getting Started ",     # 3  the chapter's title
    "Some words before any section. ",
    " First Section ",      # 5
    "Body text of the first section. ",
    "Learning Activity ",   # 7  the activity's block starts here
    "",
    "Launch an instance ",  # 9  its title
    "Open the console and launch an ",
    "instance named web-01. ",  # a quote spans this line break
    " Chapter 1 Coursework ",  # 12
    "Submit the screenshots. ",
    " Chapter 2 ",          # 14
    "Networks ",
    " Routing ",            # 16
    "Routes go to the gateway. ",
])


def _refs_in_modules() -> list[tuple[str, BookRef]]:
    """Every BookRef the code holds: the labs' and any named constant in a cloudlabs module."""
    found = [(f"lab {key}", lab.book) for key, lab in LABS.items()]
    for info in pkgutil.walk_packages(cloudlabs.__path__, "cloudlabs."):
        module = importlib.import_module(info.name)
        found += [(f"{info.name}.{name}", value) for name, value in vars(module).items() if isinstance(value, BookRef)]
    return found


REFS = _refs_in_modules()


def bare(text: str) -> str:
    """Text with bare line references written as §nnnn, so that this file holds none itself."""
    return text.replace("§", "L")


# --- the reference itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("where, ref", REFS, ids=[where for where, _ in REFS])
def test_every_reference_names_chapter_section_and_heading(where, ref):
    assert ref.chapter >= 1 and ref.chapter_title.strip() and ref.section.strip() and ref.heading.strip(), where
    assert f'Chapter {ref.chapter} "{ref.chapter_title}"' in str(ref)


@pytest.mark.parametrize("key", list(LABS))
def test_every_lab_cites_its_chapter_with_a_quote_and_a_checked_line_hint(key):
    lab = LABS[key]
    assert lab.book.chapter == lab.chapter
    assert lab.book.quote, "a lab quotes the activity's own words, which a reader can search for"
    assert lab.book.lines, "the catalog orders the labs of a chapter by the book's line hint"
    assert lab.seed_lines == bare(f"§{lab.book.lines[0]}-{lab.book.lines[1]}")  # labdocs' column until it cites str(book)


@pytest.mark.parametrize("change", [{"section": " "}, {"heading": ""}, {"chapter_title": ""}, {"chapter": 0},
                                    {"lines": (20, 10)}])
def test_a_reference_without_its_names_is_refused(change):
    base = dict(chapter=1, chapter_title="Getting Started", section="First Section", heading="Launch an instance")
    with pytest.raises(ValueError):
        BookRef(**{**base, **change})


def test_a_citation_reads_without_the_book():
    ref = BookRef(7, "VPC Architecture", "Designing and deploying VPCs", "Creation of a Virtual Private Cloud (VPC)",
                  quote="a new VPC called VPC-A", lines=(5281, 5534))
    assert str(ref) == ('Chapter 7 "VPC Architecture", section "Designing and deploying VPCs", '
                        'heading "Creation of a Virtual Private Cloud (VPC)": "a new VPC called VPC-A"')
    assert ref.line_range == bare("§5281-5534")


# --- locating a reference (the locator's rules, on a small book) --------------------------------------


def test_the_outline_has_chapters_titles_sections_and_activities():
    book = Book(MINI)
    assert [(c.number, c.title, c.first, c.last) for c in book.chapters] == [(1, "Getting Started", 1, 13),
                                                                            (2, "Networks", 14, 17)]
    assert [(h.line, h.text, h.kind) for h in book.chapter(1).headings] == [
        (1, "Getting Started", "section"), (5, "First Section", "section"), (7, "Launch an instance", "activity"),
        (12, "Chapter 1 Coursework", "section")]


@pytest.mark.parametrize("line, section, heading", [
    (4, "Getting Started", "Getting Started"),
    (6, "Getting Started", "First Section"),
    (10, "First Section", "Launch an instance"),
    (13, "Getting Started", "Chapter 1 Coursework"),  # the chapter's own parts sit under its title
    (17, "Networks", "Routing"),
])
def test_a_line_is_cited_by_its_enclosing_chapter_section_and_heading(line, section, heading):
    ref = Book(MINI).ref_at(line)
    assert (ref.section, ref.heading) == (section, heading)


def test_locate_returns_the_headings_lines_and_finds_a_quote_across_line_breaks():
    book = Book(MINI)
    ref = BookRef(1, "Getting Started", "First Section", "Launch an instance", quote="launch an instance named web-01")
    assert book.locate(ref) == (7, 11)
    assert book.locate(dataclasses.replace(ref, through="Chapter 1 Coursework")) == (7, 13)


@pytest.mark.parametrize("change, message", [
    ({"chapter": 3}, "has no chapter 3"),
    ({"chapter_title": "Starting"}, "is titled 'Getting Started'"),
    ({"heading": "Launch a server"}, "has no heading 'Launch a server'"),
    ({"section": "Routing"}, "is in section 'First Section'"),
    ({"quote": "named web-02"}, "is not under"),
    ({"lines": (7, 12)}, "lines 7-12 in the reference, 7-11 in the book"),
])
def test_a_reference_the_book_does_not_bear_out_is_refused(change, message):
    ref = BookRef(1, "Getting Started", "First Section", "Launch an instance", quote="named web-01", lines=(7, 11))
    with pytest.raises(BookError, match=message):
        Book(MINI).check(dataclasses.replace(ref, **change))


# --- against the book itself, when it is present -------------------------------------------------------


@needs_book
@pytest.mark.parametrize("where, ref", REFS, ids=[where for where, _ in REFS])
def test_every_reference_resolves_in_the_book(where, ref):
    first, last = BOOK.check(ref)  # the heading, section, quote and line hint, or a BookError naming which
    assert ref.heading in BOOK.lines[first - 1] or ref.heading in " ".join(BOOK.lines[first - 1:first + 2])


# --- no bare line numbers ------------------------------------------------------------------------------


# README.md and docs/ are converted with the same script (scripts/cite-book README.md docs).
@pytest.mark.parametrize("place", ["cloudlabs", "components", "labctl", "tests", "README.md", "docs"])
def test_no_bare_line_reference_is_left(place):
    root = REPO_ROOT / place
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.suffix in (".py", ".md")
                                                 and "__pycache__" not in p.parts)
    left = [f"{path.relative_to(REPO_ROOT)}:{number}: {match.group(0)}" for path in paths
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            for match in BARE_LINE_REF.finditer(line)]
    assert not left, "bare book line references (run scripts/cite-book on them):\n" + "\n".join(left)


def _cite_book(*args: str, seeds) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOUDLABS_SEEDS_DIR": str(seeds)}
    return subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "cite-book"), *args], env=env,
                          capture_output=True, text=True, timeout=60)


def test_cite_book_rewrites_markdown_and_python_and_check_finds_what_is_left(tmp_path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / BOOK_FILE).write_text(MINI + "\n")
    page = tmp_path / "page.md"
    page.write_text(bare("Launch it (§0010 area), then submit (§0006-§0013).\nNot a reference: A§2023.\n"))
    code = tmp_path / "lab.py"
    code.write_text(bare('"""Routes (§0016)."""\nNOTE = "ping (§0016)"  # §0004\n'))
    assert _cite_book("--check", str(tmp_path), seeds=seeds).returncode == 1

    done = _cite_book(str(page), str(code), seeds=seeds)

    assert done.returncode == 0, done.stderr
    assert page.read_text() == ("Launch it (book ch. 1, “First Section” › “Launch an instance”), then submit "
                                "(book ch. 1, “Getting Started” › “First Section” to “Chapter 1 Coursework”).\n"
                                "Not a reference: AL2023.\n")
    # prose (docstrings, comments) in full; a string the program uses (shown, or sent to AWS as a
    # description) by chapter and heading in the characters AWS accepts
    assert code.read_text() == ('"""Routes (book ch. 2, “Networks” › “Routing”)."""\n'
                                'NOTE = "ping (book ch. 2, Routing)"  # book ch. 1, “Getting Started”\n')
    compile(code.read_text(), str(code), "exec")
    check = _cite_book("--check", str(tmp_path), seeds=seeds)
    assert (check.returncode, check.stdout.strip()) == (0, "no bare book line references")


def test_cite_book_without_the_book_says_where_it_looked_and_writes_nothing(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(bare("See §1234.\n"))
    done = _cite_book(str(page), seeds=tmp_path / "nowhere")
    assert done.returncode == 2 and "the book is not at" in done.stderr and "Traceback" not in done.stderr
    assert page.read_text() == bare("See §1234.\n")


CITATION = re.compile(r"book ch\. (\d+), “([^”]+)”(?: › “([^”]+)”)?(?: to “([^”]+)”)?")


@needs_book
@pytest.mark.parametrize("place", ["cloudlabs", "components", "labctl", "tests"])
def test_every_written_citation_names_headings_of_its_chapter(place):
    """The citations scripts/cite-book wrote (and any written by hand since) name headings the
    book prints in that chapter: a typo or a new edition's renamed heading is caught here."""
    wrong = []
    for path in sorted((REPO_ROOT / place).rglob("*.py")):
        if path == Path(__file__):
            continue  # its citations are of the small book above
        for match in CITATION.finditer(path.read_text(encoding="utf-8")):
            chapter = next((c for c in BOOK.chapters if c.number == int(match.group(1))), None)
            names = {h.text for h in chapter.headings} if chapter else set()
            wrong += [f"{path.relative_to(REPO_ROOT)}: {match.group(0)}: no heading {name!r} in chapter {match.group(1)}"
                      for name in match.groups()[1:] if name and name not in names]
    assert not wrong, "\n".join(wrong)
