"""labctl command line.

Exit codes: 0 success (for diff and sync --check: nothing changed), 1 a stack failed or
something changed, 2 bad input (settings, files, arguments): nothing is rendered or written.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cloudlabs.addressing import LAYOUTS, seat_block
from cloudlabs.catalog import LABS
from cloudlabs.cohort import apply_sync, is_cohort_file, plan_sync
from cloudlabs.reading import InputFileError, ensure_regular_file
from cloudlabs.settings import SLUG, SettingsError, load_all_stack_settings
from cloudlabs.writing import OutputPathError, atomic_write, check_output_dir, check_output_file, exclusive

from . import arguments, render
from .batch import RenderResult, default_jobs, render_files
from .cost import PricingError, estimate, load_prices
from .graph import StackGraph, dumps
from .selection import SelectionError, resolve_targets
from .summary import print_cost, print_plan

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130
# What bad input raises, wherever it is found: reported as one message, exit 2, nothing written.
BAD_INPUT = (SettingsError, SelectionError, OutputPathError, PricingError, InputFileError, FileNotFoundError)
MAX_JOBS = 64
DETAIL_LIMIT = 5  # plan prints per-stack panels up to this many stacks (or with --details)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def error(message: str) -> None:
    """Errors go to stderr as plain text: one line each, never wrapped or restyled."""
    print(message, file=sys.stderr)


def bad_input(exc: Exception) -> int:
    """Report bad input (settings problems as they are, anything else prefixed) and give exit code 2."""
    error(str(exc) if isinstance(exc, SettingsError) else f"labctl: {exc}")
    return EXIT_BAD_INPUT


def _targets_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="stack names (demo-s01), cohort names (demo), stack or cohort files, or directories; "
                             "default: every stack in environments/")
    parser.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR",
                        help="where stack and cohort names are looked up (default: %(default)s)")
    parser.add_argument("--jobs", "-j", type=arguments.whole_number(1, MAX_JOBS), default=default_jobs(), metavar="N",
                        help=f"stacks rendered in parallel, 1 to {MAX_JOBS} (default: the number of cores, %(default)s)")
    parser.add_argument("--no-cache", action="store_true",
                        help="render every stack, even those whose inputs did not change since the last plan "
                             "(cache: .cloudlabs/cache/, CLOUDLABS_CACHE_DIR)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="labctl", description="Instructor's tools for cloudlabs student stacks (offline).")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plan = sub.add_parser("plan", help="render stacks offline; summary, cost, snapshots",
                          description="Render stacks offline (no Pulumi CLI, no AWS credentials) and print their "
                                      "VPC CIDRs, resources, outputs and estimated cost.")
    _targets_argument(plan)
    plan.add_argument("--hours", type=arguments.hours, default=3.0, help="session length for the cost column (default: %(default)s)")
    plan.add_argument("--details", action="store_true", help=f"per-stack panels even for more than {DETAIL_LIMIT} stacks")
    plan.add_argument("--quiet", action="store_true", help="only the overview table")
    plan.add_argument("--snapshots", type=Path, metavar="DIR", help="write one stable JSON graph per stack: DIR/<stack>.json")
    plan.add_argument("--json", dest="json_file", metavar="FILE",
                      help="write the graphs as a JSON list of cloudlabs.graph/v1 documents ('-' for stdout)")

    sync = sub.add_parser("sync", help="write a cohort's stack files from its cohort file",
                          description="Validate environments/<cohort>.yaml and write environments/Pulumi.<cohort>-<student>.yaml "
                                      "for every student, keeping seats stable in <cohort>.seats.yaml.")
    sync.add_argument("cohort", help="cohort name (environments/<name>.yaml) or cohort file")
    sync.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR")
    sync.add_argument("--prune", action="store_true",
                      help="remove stack files of students who left the roster (destroy their stacks first) and free their seats")
    sync.add_argument("--check", action="store_true", help="write nothing; exit 1 if any file would change")

    cost = sub.add_parser("cost", help="estimated cost per stack and cohort, itemized",
                          description="Render stacks offline and price them with pricing/aws-on-demand.yaml.")
    _targets_argument(cost)
    cost.add_argument("--hours", type=arguments.hours, default=3.0, help="session length in hours (default: %(default)s)")
    cost.add_argument("--details", action="store_true", help="itemize every stack, not only the cohort totals")

    check = sub.add_parser("check", help="evaluate every lab's expected network paths offline",
                           description="Render stacks offline and evaluate the paths each lab declares (e.g. internet -> "
                                       "bastion:22 from the admin CIDR allowed): security groups, NACLs, routes, NAT, "
                                       "peering. Exit 1 if any path is not as expected.")
    _targets_argument(check)
    check.add_argument("--all", action="store_true", help="list every path, not only those that fail")

    reach = sub.add_parser("reach", help="can traffic go from A to B in a stack? (with the hops and what blocks it)",
                           description="Evaluate one path on a stack's rendered graph. Endpoints: a host's name "
                                       "(bastion, VM1), subnet:<name>, internet, internet6, admin (the admin CIDR), cidr:<range>. "
                                       "Exit 0 if allowed, 1 if denied.")
    reach.add_argument("stack", help="stack name or stack file")
    reach.add_argument("src")
    reach.add_argument("dst")
    reach.add_argument("--port", type=arguments.PORT, help="destination port (tcp/udp), 1 to 65535")
    reach.add_argument("--protocol", default="tcp", choices=["tcp", "udp", "icmp", "icmpv6"])
    reach.add_argument("--environments", type=Path, default=render.ENVIRONMENTS, metavar="DIR")

    diff = sub.add_parser("diff", help="compare two snapshot directories (e.g. base and pull request)",
                          description="Resources added, removed and changed per stack, with identical changes folded "
                                      "across stacks. Exit 0: no change; 1: changes; 2: bad input.")
    diff.add_argument("base", type=Path, help="snapshot directory of the base (labctl plan --snapshots)")
    diff.add_argument("head", type=Path, help="snapshot directory of the change")
    diff.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown ('-' for stdout)")

    validate = sub.add_parser("validate", help="would AWS accept every stack? (AWS's resource schemas + deploy rules)",
                              description="Render stacks offline, translate each to the equivalent CloudFormation template "
                                          "and check it against AWS's resource schemas (cfn-lint), plus the ordering, "
                                          "lifecycle and cost rules schemas cannot express. Exit 0 deploy-ready, 1 findings, "
                                          "2 bad input.")
    _targets_argument(validate)
    validate.add_argument("--all", action="store_true", help="also list suppressed findings (with their reason) and "
                                                            "resources with no CloudFormation counterpart")
    validate.add_argument("--json", dest="json_file", metavar="FILE", help="write the results as JSON ('-' for stdout)")
    validate.add_argument("--markdown", metavar="FILE", help="write a Markdown summary (for a pull-request comment)")

    sub.add_parser("labs", help="list the lab catalog")
    sub.add_parser("schema", help="print the JSON Schema of the cloudlabs.graph/v1 format (plan --json, --snapshots)")
    from . import fleetcli
    fleetcli.add_commands(sub, _targets_argument)
    from . import probecli
    probecli.add_command(sub, _targets_argument)
    return parser


def run() -> None:
    """The ``labctl`` console script."""
    sys.exit(main())


def main(argv: list[str] | None = None) -> int:
    """Run one command; Ctrl-C ends it with one line and exit 130, never a traceback."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        error("labctl: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `labctl plan | head`: the reader left; nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED


def _main(argv: list[str] | None) -> int:
    args = build_parser().parse_args(argv)
    to_stderr = "-" in (getattr(args, "json_file", None), getattr(args, "markdown", None))
    stream = sys.stderr if to_stderr else sys.stdout
    # emoji off ("cloudlabs:seat:" is not an emoji); piped into a file or CI log, give tables room.
    out = Console(stderr=to_stderr, emoji=False, highlight=False, width=None if stream.isatty() else 132)
    if args.command == "labs":
        return cmd_labs(out)
    if args.command == "schema":
        from .graph import json_schema
        sys.stdout.write(dumps(json_schema()))
        return EXIT_OK
    if args.command == "sync":
        return cmd_sync(args, out)
    if args.command == "diff":
        from .diff import cmd_diff
        return cmd_diff(args, out)
    if args.command == "reach":
        return cmd_reach(args, out)
    if args.command == "validate":
        return cmd_render(args, out)
    if args.command == "probe":
        from .probecli import cmd_probe
        return cmd_probe(args, out, resolve_targets)
    if args.command in ("up", "preview", "refresh", "destroy", "stop", "start", "sweep", "expired"):
        from . import fleetcli
        if args.command == "sweep":
            return fleetcli.cmd_sweep(args, out)
        if args.command == "expired":
            return fleetcli.cmd_expired(args, out, resolve_targets)
        return fleetcli.cmd_fleet(args, out, resolve_targets)
    return cmd_render(args, out)


def cmd_labs(out: Console) -> int:
    table = Table(title="Lab catalog", title_justify="left")
    for column in ("lab", "chapter", "stages", "what the student gets"):
        table.add_column(column)
    for spec in LABS.values():
        table.add_row(spec.key, str(spec.chapter), ", ".join(spec.stages), spec.summary)
    out.print(table)
    planned = [k for k in LAYOUTS if k not in LABS]
    out.print(f"Address layouts ready for labs still to come: {', '.join(planned)}")
    return EXIT_OK


# --- sync -----------------------------------------------------------------------------------------


def cohort_file(name_or_path: str, environments: Path) -> Path:
    """A cohort's file: its name in ``environments`` (never a path made from the name), or the
    path of a cohort file."""
    path = Path(name_or_path)
    if path.suffix == ".yaml" and path.is_file() and is_cohort_file(path):
        return path
    if SLUG.match(name_or_path):
        candidate = environments / f"{name_or_path}.yaml"
        if candidate.exists():
            ensure_regular_file(candidate, "cohort file")  # never open (and lock) a FIFO or a directory
            return candidate
        raise SelectionError(f"{name_or_path}: no cohort file (looked for {candidate})")
    raise SelectionError(f"{name_or_path!r} is not allowed; allowed: a cohort name (e.g. demo) or a cohort file "
                         "(<cohort>.yaml, not a Pulumi.<stack>.yaml or .seats.yaml)")


def cmd_sync(args: argparse.Namespace, out: Console) -> int:
    try:
        path = cohort_file(args.cohort, args.environments)
        if not args.check:
            check_output_dir(path.parent, "sync")  # the stack files are written next to the cohort file
    except (SelectionError, InputFileError, OutputPathError) as exc:
        return bad_input(exc)
    # One sync of a cohort at a time: the second waits, then decides on what the first wrote.
    with exclusive(path, on_wait=lambda: error(f"labctl: waiting for another sync of {path.name} to finish")):
        return _sync_locked(args, path, out)


def _sync_locked(args: argparse.Namespace, path: Path, out: Console) -> int:
    try:
        plan = plan_sync(path, prune=args.prune)
    except SettingsError as exc:
        return bad_input(exc)

    table = Table(title=f"Cohort {plan.cohort.name}: {len(plan.stacks)} students", title_justify="left")
    for column in ("student", "seat", "addresses", "stack file", "change"):
        table.add_column(column, justify="right" if column == "seat" else "left")
    for change in plan.stacks:
        seat = change.seat if change.seat is not None else 0  # every student on the roster has a seat
        table.add_row(change.student, str(seat), str(seat_block(seat)), change.path.name, _verb(change.status, args.check))
    out.print(table)
    for change in plan.departed:
        seat_text = f"seat {change.seat}" if change.seat is not None else "no recorded seat"
        if change.status == "removed":
            out.print(f"left the roster: {change.student} ({seat_text}): {change.path.name} {_verb('removed', args.check)}")
        else:
            out.print(f"left the roster: {change.student} ({seat_text}): {change.path.name} kept, and the seat with it; "
                      f"destroy the stack, then `labctl sync {plan.cohort.name} --prune`")
    out.print(f"seat file {plan.lock.path.name}: {_verb(plan.lock.status, args.check)}")
    if args.check:
        return EXIT_FAILED if plan.changes else EXIT_OK
    apply_sync(plan)
    return EXIT_OK


def _verb(status: str, check: bool) -> str:
    if not check or status in ("unchanged", "kept"):
        return status
    return {"created": "would be created", "updated": "would be updated", "removed": "would be removed"}[status]


# --- plan and cost --------------------------------------------------------------------------------


def _check_outputs(args: argparse.Namespace) -> None:
    """Output paths are checked before any work: a typo must not cost a whole render."""
    if getattr(args, "snapshots", None):
        check_output_dir(args.snapshots, "--snapshots")
    if getattr(args, "json_file", None) not in (None, "-"):
        check_output_file(Path(args.json_file), "--json")
    if getattr(args, "markdown", None) not in (None, "-"):
        check_output_file(Path(args.markdown), "--markdown")


def cmd_render(args: argparse.Namespace, out: Console) -> int:
    """plan and cost: validate everything, render on every core, then report."""
    # Validate everything first: one bad file or path stops the run before anything is rendered or written.
    try:
        files = resolve_targets(args.targets, args.environments)
        if not files:
            raise SelectionError(f"no stack files (Pulumi.<stack>.yaml) in {args.targets or args.environments}")
        _check_outputs(args)
        from cloudlabs.profiles import profile_path
        profiles = {path: profile_path(s.profile.name) for path, s in load_all_stack_settings(files).items()}
        prices = load_prices()
    except BAD_INPUT as exc:
        return bad_input(exc)

    validate = args.command in ("plan", "validate")
    results = _render_with_progress(files, args.jobs, validate, not args.no_cache, profiles)
    graphs = [r.graph for r in results if r.graph is not None]
    failures = [r for r in results if r.error is not None]
    checks = {r.stack: r.validation for r in results if r.validation is not None}
    paths_failed = False
    not_ready = any(not c.ready for c in checks.values())
    try:
        costs = {g.stack: estimate(g, prices) for g in graphs}
    except PricingError as exc:
        error(f"labctl: {exc}")
        return EXIT_FAILED

    if args.command == "check":
        from .check import check_graph
        from .summary import print_checks
        checked = [r for g in graphs for r in check_graph(g)]  # one name, one type (it reused `results`)
        print_checks(checked, out, show_all=args.all)
        paths_failed = any(not r.passed for r in checked)
    elif args.command == "cost":
        print_cost(graphs, costs, args.hours, out, details=args.details or len(graphs) == 1, prices=prices)
    elif args.command == "validate":
        from .validatecli import report
        try:
            report(list(checks.values()), args, out)
        except OSError as exc:
            error(f"labctl: could not write {exc.filename}: {exc.strerror}")
            return EXIT_FAILED
    else:
        details = not args.quiet and (args.details or len(graphs) <= DETAIL_LIMIT)
        print_plan(graphs, out, details=details, costs=costs, hours=args.hours, checks=checks)
        try:
            _write_outputs(args, graphs, out)
        except OSError as exc:  # checked before rendering; a disk can still fill up meanwhile
            error(f"labctl: could not write {exc.filename}: {exc.strerror}")
            return EXIT_FAILED
    for failure in failures:
        error(f"FAILED {failure.error}")
    return EXIT_FAILED if failures or paths_failed or not_ready else EXIT_OK


def cmd_reach(args: argparse.Namespace, out: Console) -> int:
    from .reach import evaluate
    if (args.port is None) != args.protocol.startswith("icmp"):
        error("labctl: --port is required for tcp/udp and not allowed for icmp")
        return EXIT_BAD_INPUT
    try:
        files = resolve_targets([args.stack], args.environments)
        if len(files) != 1:
            raise SelectionError(f"{args.stack}: selects {len(files)} stacks; allowed: one stack (a stack name or file)")
        load_all_stack_settings(files)
        graph = render.render_file(files[0])
    except BAD_INPUT as exc:
        return bad_input(exc)
    except render.RenderError as exc:
        error(f"FAILED {exc}")
        return EXIT_FAILED
    try:
        verdict = evaluate(graph, args.src, args.dst, args.protocol, args.port)
    except KeyError as exc:
        return bad_input(ValueError(exc.args[0]))
    target = args.dst if args.port is None else f"{args.dst}:{args.port}"
    out.print(f"{graph.stack}: {args.src} -> {target} ({args.protocol}): {'ALLOWED' if verdict.allowed else 'DENIED'}")
    for hop in verdict.hops:
        out.print(f"  {hop}", markup=False)
    if verdict.reason:
        out.print(f"  blocked: {verdict.reason}", markup=False)
    return EXIT_OK if verdict.allowed else EXIT_FAILED


def _render_with_progress(files: list[Path], jobs: int, validate: bool = False, cached: bool = True,
                          profiles: dict[Path, Path] | None = None) -> list[RenderResult]:
    from .graphcache import GraphCache, cache_dir
    cache = GraphCache(cache_dir()) if cached else None
    progress = Progress(TextColumn("rendering"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                        TextColumn("{task.description}"), console=Console(stderr=True), transient=True,
                        disable=len(files) < 2 or not sys.stderr.isatty())
    with progress:
        task = progress.add_task("", total=len(files))
        return render_files(files, jobs, on_result=lambda r: progress.update(task, advance=1, description=r.stack),
                            validate=validate, cache=cache, profiles=profiles)


def _write_outputs(args: argparse.Namespace, graphs: list[StackGraph], out: Console) -> None:
    if args.snapshots:
        args.snapshots.mkdir(exist_ok=True)
        for graph in graphs:
            atomic_write(args.snapshots / f"{graph.stack}.json", graph.dumps())
        out.print(f"wrote {len(graphs)} snapshot(s) to {args.snapshots}/")
    if args.json_file:
        text = dumps([g.to_json() for g in graphs])
        if args.json_file == "-":
            sys.stdout.write(text)
        else:
            atomic_write(Path(args.json_file), text)
            out.print(f"wrote {len(graphs)} graph(s) to {args.json_file}")

