"""References into the course book that a reader finds in any copy of it.

The book (``seeds/000_2cf00a33d9a2939b.txt``, next to the checkout as ``../shared/seeds/``) is
not in the repository, and a new edition moves every line. So a :class:`BookRef` names what a
reader can search for: the chapter (number and title), the section, the heading as the book
prints it, and optionally a short quote of the activity's own words. Line numbers are only a
hint (``lines``), which ``tests/test_book.py`` checks against the book when it is present.

How the book marks its structure (a text export of the PDF):

- a chapter starts at a line `` Chapter N`` (one leading space); its title is the next
  non-blank line;
- a section is a short line with one leading space, e.g. `` Designing and deploying VPCs``
  (``Chapter 7 Coursework`` and ``Chapter Conclusion`` are sections too); the book prints its
  sub-sections alike, so a heading's section is the section-style line before it (the
  chapter's title for the first one and for the chapter's own ``Chapter ...`` parts);
- an activity is the first non-blank line after a ``Learning Activity`` line; its block starts at
  that label line.

Sections, activity titles and each chapter's title are *headings*; a heading's block runs to the line before
the next heading, or the chapter's end.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

BOOK_FILE = "000_2cf00a33d9a2939b.txt"
# ../shared/seeds/ from the checkout; CLOUDLABS_SEEDS_DIR points elsewhere (another copy).
DEFAULT_SEEDS_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"

_CHAPTER = re.compile(r"^ Chapter (\d+)\s*$")
_SECTION = re.compile(r"^ \S")
_ACTIVITY_LABEL = "Learning Activity"
# A bare line reference as the code used to cite the book: "L" and a line (or a range of two,
# the second with or without its own "L"), with an optional " area"; not inside words (AL2023). scripts/cite-book rewrites them, tests/test_book.py refuses them.
BARE_LINE_REF = re.compile(r"\bL(\d{3,5})(?:-L?(\d{3,5}))?\b(?: area\b)?")


@dataclass(frozen=True)
class BookRef:
    """Where the book describes something, by names a reader searches for in any copy."""

    chapter: int
    chapter_title: str  # as the book prints it, e.g. "VPC Architecture"
    section: str  # the enclosing section's heading, exactly as printed
    heading: str  # the heading itself (an activity's title or the section's), exactly as printed
    quote: str = ""  # a few of the activity's own words, found under the heading
    through: str = ""  # for a reference over several headings: the last one it covers
    lines: tuple[int, int] | None = None  # a hint only, checked against the book when present

    def __post_init__(self) -> None:
        if self.chapter < 1 or not self.chapter_title.strip() or not self.section.strip() or not self.heading.strip():
            raise ValueError(f"a book reference names its chapter, section and heading: {self!r}")
        if self.lines is not None and not (0 < self.lines[0] <= self.lines[1]):
            raise ValueError(f"book reference lines must be a range first <= last: {self.lines!r}")

    def __str__(self) -> str:
        text = f'Chapter {self.chapter} "{self.chapter_title}", section "{self.section}", heading "{self.heading}"'
        if self.through:
            text += f' through "{self.through}"'
        if self.quote:
            text += f': "{self.quote}"'
        return text

    @property
    def line_range(self) -> str:
        """The hint in the old references' form ("L" and the first line, "-", the last); empty without a hint."""
        return f"L{self.lines[0]}-{self.lines[1]}" if self.lines else ""


@dataclass(frozen=True)
class Heading:
    line: int  # 1-based
    text: str
    kind: Literal["section", "activity"]


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    first: int  # the `` Chapter N`` line
    last: int  # the line before the next chapter (or the book's last line)
    headings: tuple[Heading, ...]


class BookError(ValueError):
    """A reference the book does not bear out (the heading or quote is not where it says)."""


class Book:
    """The book's outline (chapters and headings) and its text, for locating references."""

    def __init__(self, text: str) -> None:
        # split on newlines only, as `grep -n` counts (the export has no other line breaks to trust)
        self.lines = text.removesuffix("\n").split("\n")
        self.chapters = _outline(self.lines)

    def chapter(self, number: int) -> Chapter:
        for chapter in self.chapters:
            if chapter.number == number:
                return chapter
        raise BookError(f"the book has no chapter {number}; it has {', '.join(str(c.number) for c in self.chapters)}")

    def enclosing(self, line: int) -> tuple[Chapter, Heading, Heading]:
        """The chapter, section and heading that contain a line: the heading is the last section or
        activity title at or before it."""
        for chapter in self.chapters:
            if chapter.first <= line <= chapter.last:
                break
        else:
            raise BookError(f"line {line} is outside every chapter (lines {self.chapters[0].first}-{len(self.lines)})")
        before = [h for h in chapter.headings if h.line <= line]  # the chapter's title is always first
        heading = before[-1]
        # the section a heading is in: the last section-style line before it (the book prints
        # sections and their sub-sections alike), or the chapter's title for its first section
        # ("Chapter 7 Coursework", "Chapter Conclusion" are the chapter's own parts)
        sections = [h for h in before[:-1] if h.kind == "section"]
        if not sections or heading.text.startswith("Chapter "):
            return chapter, before[0], heading
        return chapter, sections[-1], heading

    def ref_at(self, line: int, quote: str = "") -> BookRef:
        chapter, section, heading = self.enclosing(line)
        return BookRef(chapter.number, chapter.title, section.text, heading.text, quote)

    def block(self, chapter: Chapter, heading: Heading) -> tuple[int, int]:
        """A heading's lines: from it to the line before the next heading (or the chapter's end)."""
        later = [h.line for h in chapter.headings if h.line > heading.line]
        return heading.line, (later[0] - 1 if later else chapter.last)

    def _find(self, chapter: Chapter, text: str, after: int = 0, hint: int | None = None) -> Heading:
        """The heading printed as ``text`` (the book repeats a few: the one at the hinted line, else the first)."""
        found = [h for h in chapter.headings if h.text == text and h.line >= after]
        if found:
            return next((h for h in found if h.line == hint), found[0])
        raise BookError(f"chapter {chapter.number} has no heading {text!r}"
                        + (f" after line {after}" if after else ""))

    def locate(self, ref: BookRef) -> tuple[int, int]:
        """The lines a reference covers, after checking each name in it against the book:
        the chapter's title, the section, the heading (in that section), the last heading
        (``through``) and the quote (in the covered lines, across line breaks)."""
        chapter = self.chapter(ref.chapter)
        if chapter.title != ref.chapter_title:
            raise BookError(f"chapter {ref.chapter} is titled {chapter.title!r}, not {ref.chapter_title!r}")
        heading = self._find(chapter, ref.heading, hint=ref.lines[0] if ref.lines else None)
        _, section, _ = self.enclosing(heading.line)
        if section.text != ref.section:
            raise BookError(f"heading {ref.heading!r} is in section {section.text!r}, not {ref.section!r}")
        first, last = self.block(chapter, heading)
        if ref.through:
            last = self.block(chapter, self._find(chapter, ref.through, after=heading.line))[1]
        if ref.quote and _squash(ref.quote) not in _squash(" ".join(self.lines[first - 1:last])):
            raise BookError(f"the quote {ref.quote!r} is not under {ref.heading!r} (lines {first}-{last})")
        return first, last

    def check(self, ref: BookRef) -> tuple[int, int]:
        """locate(), and the reference's line hint must match what the book says."""
        found = self.locate(ref)
        if ref.lines is not None and ref.lines != found:
            raise BookError(f"{ref}: lines {ref.lines[0]}-{ref.lines[1]} in the reference, "
                            f"{found[0]}-{found[1]} in the book")
        return found


def _squash(text: str) -> str:
    return " ".join(text.split())


def _outline(lines: list[str]) -> tuple[Chapter, ...]:
    starts: list[tuple[int, int, str]] = []  # (line, number, title)
    headings: list[Heading] = []
    label = 0  # the line of a "Learning Activity" label whose title is still to come
    for index, raw in enumerate(lines):
        line, text = index + 1, raw.strip()
        if not text:
            continue
        if label:  # the activity's title follows its label; its block starts at the label
            headings.append(Heading(label, text, "activity"))
            label = 0
            continue
        chapter = _CHAPTER.match(raw)
        if chapter:
            title = next((later.strip() for later in lines[index + 1:] if later.strip()), "")
            starts.append((line, int(chapter.group(1)), title))
        elif text == _ACTIVITY_LABEL:
            label = line
        elif _SECTION.match(raw) and _is_heading(text) and not (starts and text == starts[-1][2]):
            headings.append(Heading(line, text, "section"))
    chapters = []
    for position, (first, number, title) in enumerate(starts):
        last = starts[position + 1][0] - 1 if position + 1 < len(starts) else len(lines)
        # the chapter's title heads the lines before its first section
        inside = (Heading(first, title, "section"),) + tuple(h for h in headings if first < h.line <= last)
        chapters.append(Chapter(number, title, first, last, inside))
    return tuple(chapters)


def _is_heading(text: str) -> bool:
    """A short line of its own, not a sentence, a list item or a label."""
    return (len(text) <= 70 and text[0].isupper() and not text.endswith((".", ":", ",", ";"))
            and not text.startswith("•"))


def book_path() -> Path:
    return Path(os.environ.get("CLOUDLABS_SEEDS_DIR") or DEFAULT_SEEDS_DIR) / BOOK_FILE


@lru_cache(maxsize=4)
def _load(path: Path) -> Book | None:
    return Book(path.read_text(encoding="utf-8")) if path.is_file() else None


def load_book() -> Book | None:
    """The book when it is present (None when not: a reader without it still has the names)."""
    return _load(book_path())


__all__ = ["BARE_LINE_REF", "BOOK_FILE", "Book", "BookError", "BookRef", "Chapter", "Heading", "book_path", "load_book"]
