"""labctl cards COHORT: an access card per student (DIR/<student>.md and .html) and DIR/cards.csv for the
course's LMS, from the stack outputs after `up` (the Pulumi backend, a JSON file of them, or the
emulator) or from the plan, marked "not deployed yet". Secrets only with --with-secrets, then only in
that student's own card files (mode 0600)."""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Callable, ContextManager, Iterator, Mapping

from rich.console import Console

from cloudlabs.cohort import CohortError, load_cohort
from cloudlabs.reading import InputFileError, load_json
from cloudlabs.schedule import next_session, utc_now
from cloudlabs.settings import StackSettings, load_all_stack_settings
from cloudlabs.writing import OutputPathError, atomic_write, check_output_dir, PRIVATE_FILE

from labctl.analysis.batch import default_jobs
from labctl.analysis.cards import CSV_COLUMNS, MARKER, Card, CardInput, cards_csv, csv_rows, make_card
from labctl.cli import arguments, runners
from labctl.cli.common import (BAD_INPUT, EXIT_FAILED, EXIT_OK, Subparsers, bad_input, emulate_argument,
                               environments_argument, students_argument)
from labctl.cli.outputs import check_not_inside, read_directories
from labctl.cli.rendering import Rendered, render_targets
from labctl.cli.selection import resolve_targets, select_students
from labctl.offline.graph import StackGraph

CARDS_DIR = Path("cards")  # the default: cards/<cohort>/ of the project (git-ignored: cards name addresses)
CSV_NAME = "cards.csv"

Outputs = Callable[[StackGraph], tuple[Mapping[str, Any] | None, str]]  # (outputs or None: not deployed, source)


def register(sub: Subparsers) -> None:
    p = sub.add_parser("cards", help="an access card per student (Markdown, HTML) and a CSV for the LMS",
                       description="Write DIR/<student>.md and DIR/<student>.html for every selected student of the "
                                   "cohort, and DIR/cards.csv (one row each, no secrets): lab and stage, URLs, ssh/RDP "
                                   "commands and the key file, the database endpoint, the first step, the session's end, "
                                   "the expiry and what a session costs. From the stack outputs after up, else from the "
                                   "plan (marked not deployed yet). Only files labctl wrote are ever replaced.")
    p.add_argument("cohort", type=arguments.name("cohort"), help="a cohort of environments/")
    environments_argument(p)
    students_argument(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="where the cards go (default: cards/<cohort>/, git-ignored)")
    p.add_argument("--with-secrets", action="store_true",
                   help="also put each student's secrets (a generated private key, a database password) on their own "
                        "card files, written with mode 0600; never in cards.csv")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--outputs", type=Path, metavar="FILE",
                        help="the stack outputs as a JSON file {stack: outputs} (e.g. pulumi stack output --json "
                             "--show-secrets per stack); stacks not in it get cards from the plan")
    source.add_argument("--from-plan", action="store_true",
                        help="every card from the offline plan, marked not deployed yet (no Pulumi CLI needed)")
    emulate_argument(source, "; stacks it does not hold get cards from the plan")
    p.set_defaults(handler=run, jobs=default_jobs(), no_cache=False)


def run(args: argparse.Namespace, out: Console) -> int:
    args.targets = [args.cohort]
    try:
        cohort = load_cohort(args.environments / f"{args.cohort}.yaml")
        selected = select_students(load_all_stack_settings(resolve_targets(args.targets, args.environments)), args.students)
        directory = args.out if args.out is not None else CARDS_DIR / args.cohort
        _check_directory(args, directory, args.out is None)
        outputs = _outputs_source(args, selected)
    except (*BAD_INPUT, CohortError, ValueError) as exc:
        return bad_input(exc)
    rendered = render_targets(args, validate=False, additions=True)
    if isinstance(rendered, int):
        return rendered
    rendered.report_failures()
    wanted = {s.stack_name: s for s in selected.values()}
    graphs = [g for g in rendered.graphs if g.stack in wanted]
    now = utc_now()
    session = next_session(cohort.schedule, now) if cohort.schedule else None
    cards: list[Card] = []
    with outputs as source:
        for graph in sorted(graphs, key=lambda g: g.stack):
            cards.append(make_card(_input(graph, wanted[graph.stack], rendered, session, cohort.schedule, source(graph)),
                                   args.with_secrets))
    try:
        _write(directory, cards, args.cohort, {s.id for s in cohort.students})
    except OutputPathError as exc:
        return bad_input(exc)
    deployed = sum(1 for c in cards if c.row["status"] == "deployed")
    out.print(f"cards of {args.cohort}: {len(cards)} written to {directory}/ ({deployed} deployed, {len(cards) - deployed} "
              f"not deployed yet){'; with secrets (0600)' if args.with_secrets else ''}; {directory / CSV_NAME} for the LMS",
              markup=False)
    return EXIT_FAILED if rendered.failures else EXIT_OK


def _check_directory(args: argparse.Namespace, directory: Path, default: bool) -> None:
    """A directory labctl may write cards in: never inside what it reads (settings, profiles, the labs'
    content); the default's parent (cards/) is made, a given one's must exist."""
    check_not_inside(directory, "--out", read_directories(args.environments))
    check_output_dir(CARDS_DIR if default and not CARDS_DIR.exists() else directory, "--out")


def _input(graph: StackGraph, settings: StackSettings, rendered: Rendered, session: Any, schedule: Any,
           found: tuple[Mapping[str, Any] | None, str]) -> CardInput:
    outputs, source = found
    hours = (session.end - session.start).total_seconds() / 3600 if session else settings.session_hours
    cost = rendered.costs.get(graph.stack)
    hourly = None if cost is None or not cost.region_priced else cost.hourly + rendered.additions.get(graph.stack, 0.0)
    return CardInput(settings.cohort, settings.student, graph.stack, settings.region,
                     tuple((s.lab, s.stage) for s in settings.labs), outputs if outputs is not None else graph.outputs,
                     outputs is not None, schedule.expires if schedule else settings.expires, _key_file(settings),
                     (session.start, session.end) if session else None, hours,
                     None if hourly is None else hourly * hours, source, schedule is not None)


def _key_file(settings: StackSettings) -> str | None:
    """The private key file the ssh commands name: the stack's keyFile, else the profile's for its key pair."""
    if settings.key_file:
        return settings.key_file
    return str(settings.profile.key_files[settings.key_name]) if settings.key_name in settings.profile.key_files else None


def _outputs_source(args: argparse.Namespace, selected: dict[Path, StackSettings]) -> ContextManager[Outputs]:
    """Checked before anything renders: a bad outputs file, or no Pulumi CLI, is bad input. A context: the
    emulator's account stays open while the cards are made."""
    plan = ""  # said as "from the plan"
    if args.from_plan:
        return nullcontext(lambda graph: (None, plan))
    if args.outputs is not None:
        data = load_json(args.outputs, "JSON file of stack outputs ({stack: outputs})")
        if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
            raise InputFileError(f"{args.outputs}: not a mapping of stack names to outputs; allowed: {{stack: outputs}}")
        return nullcontext(lambda graph: (data[graph.stack], f"outputs from {args.outputs.name}") if graph.stack in data
                           else (None, f"not in {args.outputs.name}"))
    if args.emulate:
        return _emulated_source(selected)
    try:
        pulumi = runners.make_pulumi_outputs("cards")
    except ValueError as exc:
        raise ValueError(f"{exc}; or --from-plan for cards from the plan (marked not deployed yet), or --emulate") from None

    def from_backend(graph: StackGraph) -> tuple[Mapping[str, Any] | None, str]:
        try:
            found = pulumi.outputs(graph.stack)
        except Exception as err:  # noqa: BLE001 - a stack the backend does not have: its card comes from the plan
            print(f"labctl: note: {graph.stack}: no outputs from the Pulumi backend ({str(err).splitlines()[0][:200]}): "
                  "its card is from the plan", file=sys.stderr)
            return None, "not in the Pulumi backend"
        return (dict(found), "stack outputs") if found else (None, "no outputs in the Pulumi backend")
    return nullcontext(from_backend)


@contextmanager
def _emulated_source(selected: dict[Path, StackSettings]) -> Iterator[Outputs]:
    """The emulator's outputs, read (never written) from the sandbox's account: the served one, or the
    store's stacks made again in this process."""
    from labctl.ops.emulated_outputs import emulated_outputs
    from labctl.ops.sandbox import Store, account
    store = Store(runners.STATE_DIR / "sandbox")
    by_stack = {s.stack_name: s for s in selected.values()}
    region = sorted(s.region for s in by_stack.values())[0]
    with account(store, region, writer=False, on_wait=lambda why: print(f"labctl: waiting: {why}", file=sys.stderr)) as emulated:
        def read(graph: StackGraph) -> tuple[Mapping[str, Any] | None, str]:
            client = emulated.stack_session(by_stack[graph.stack]).client
            found = emulated_outputs(graph, store.stacks_dir, client)
            return (found, "the emulator") if found is not None else (None, "not in the emulator")
        yield read


def _owned(path: Path, first_line: str) -> bool:
    """The file does not exist, or it is one labctl wrote (its marker, or the CSV's header)."""
    if not path.exists() and not path.is_symlink():
        return True
    if path.is_symlink() or not path.is_file():
        return False
    with open(path, encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096)
    return first_line in head.splitlines()[:2] if head else False


def _write(directory: Path, cards: list[Card], cohort: str, roster: set[str]) -> None:
    """Every file checked first (a file labctl did not write is never replaced), then written. The CSV
    keeps the rows of the roster's other students (a card written for some students, or one whose stack
    failed to render)."""
    header = ",".join(CSV_COLUMNS)
    planned = [(directory / f"{c.student}.md", c.markdown, f"<!-- {MARKER}: cohort {cohort}, student {c.student} -->", c)
               for c in cards]
    planned += [(directory / f"{c.student}.html", c.html, f"<!-- {MARKER}: cohort {cohort}, student {c.student} -->", c)
                for c in cards]
    for path, _, marker, _ in planned + [(directory / CSV_NAME, "", header, None)]:
        if not _owned(path, marker):
            raise OutputPathError(f"--out: {path} exists and is not a card labctl wrote for it; allowed: a directory "
                                  "whose files of these names are labctl's cards (move that file, or choose another --out)")
    directory.mkdir(parents=directory.parent == CARDS_DIR, exist_ok=True)
    for path, text, _, card in planned:
        atomic_write(path, text, mode=PRIVATE_FILE if card.has_secrets else 0o644)
    existing = directory / CSV_NAME
    kept = [row for row in (csv_rows(existing.read_text(encoding="utf-8")) if existing.is_file() else [])
            if row["student"] in roster]
    atomic_write(existing, cards_csv(cards, kept))


EXIT_CODES = {
    0: 'every card written',
    1: "a stack's program failed to render (the other cards are still written)",
    2: 'bad input: nothing written',
}
