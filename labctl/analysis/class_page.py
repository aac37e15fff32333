"""The class page: one static HTML file (no server, no script, no external CSS or fonts) with a row per
student (stage, deployed or not, grade, drift, spend so far, expiry, a link to the card), the
cohort's totals and a diagram of a stack per lab. Every value is HTML-escaped by the template engine
(jinja2, autoescape on); every state is written in words, colour only repeats it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import jinja2

from labctl.analysis.diagram_svg import Link
from labctl.analysis.spend import ESTIMATE_NOTE

TEMPLATES = Path(__file__).parent / "templates"
GENERATOR = "labctl report"  # the page's <meta name="generator">: how a later run knows the file is its own


@dataclass(frozen=True)
class StudentRow:
    student: str
    stack: str
    labs: str  # "vpc-nat (solution)", comma-separated
    deployed: bool
    resources: int  # of the cohort's, found in AWS
    grade: str  # "complete 13/13", "incomplete 5/8: ...", "not graded"
    grade_state: str  # complete, incomplete, not-read, not-graded
    drift: str  # "none", "2 added by hand, 1 missing", "not checked"
    drift_state: str  # none, drift, not-checked
    spend: float
    forecast: float
    expires: datetime | date | None  # the session clock's destroy time (schedule.expires), else the tagged date
    expired: bool
    card_href: str
    card_present: bool


@dataclass(frozen=True)
class Diagram:
    lab: str
    stack: str
    svg: str
    links: list[Link]


@dataclass
class ClassPage:
    cohort: str
    now: datetime
    until: datetime
    rows: list[StudentRow]
    diagrams: list[Diagram] = field(default_factory=list)
    grades_from: str = ""  # the grade --json file read, or ""
    drift_from: str = ""
    unscanned: list[str] = field(default_factory=list)
    note: str = ESTIMATE_NOTE

    @property
    def spend(self) -> float:
        return sum(r.spend for r in self.rows)

    @property
    def forecast(self) -> float:
        return sum(r.forecast for r in self.rows)

    @property
    def deployed(self) -> int:
        return sum(r.deployed for r in self.rows)

    @property
    def complete(self) -> int:
        return sum(r.grade_state == "complete" for r in self.rows)

    @property
    def drifted(self) -> int:
        return sum(r.drift_state == "drift" for r in self.rows)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["usd"] = lambda value: f"${value:,.2f}"
    return env


def render_page(page: ClassPage) -> str:
    return _environment().get_template("class_page.html.j2").render(page=page, generator=GENERATOR)
