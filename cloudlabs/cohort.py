"""Cohorts: a class section's file (``environments/<cohort>.yaml``), its stable seat
assignment (``environments/<cohort>.seats.yaml``) and the stack files generated from them.

Everything is validated (every student's generated settings included) before anything is
written; each problem names the file, the line, the key, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from . import accounts
from .budget import Budget, read_budget
from .addressing import SEATS, STUDENT_SEATS, seat_block
from .profiles import ProfileError, load_profile
from .reading import InputFileError, YamlSource, dotted, load_yaml
from .schedule import Schedule, ScheduleError, parse_schedule
from .settings import (
    DEFAULT_PROFILE,
    NAMESPACE,
    REGION_KEY,
    SLUG,
    SLUG_ALLOWED,
    FileProblem,
    Problem,
    SettingsError,
    StackFileError,
    parse_settings,
    read_stack_document,
    stack_name_of,
)
from .writing import atomic_write

# cohort-file key -> stack setting it becomes
SETTING_OF = {
    "region": REGION_KEY,
    "profile": f"{NAMESPACE}:profile",
    "adminCidr": f"{NAMESPACE}:adminCidr",
    "allowOpenAdminCidr": f"{NAMESPACE}:allowOpenAdminCidr",
    "expires": f"{NAMESPACE}:expires",
    "labs": f"{NAMESPACE}:labs",
    "instanceType": f"{NAMESPACE}:instanceType",
    "keyName": f"{NAMESPACE}:keyName",
    "keyFile": f"{NAMESPACE}:keyFile",
    "nameTagPrefix": f"{NAMESPACE}:nameTagPrefix",
    "sessionHours": f"{NAMESPACE}:sessionHours",
    "sessions": f"{NAMESPACE}:sessions",
}
COHORT_KEYS = ("cohort", "region", "profile", "adminCidr", "allowOpenAdminCidr", "expires", "labs",
               "instanceType", "keyName", "keyFile", "nameTagPrefix", "sessionHours", "sessions", "accounts", "regions",
               "schedule", "budget", "roster")
REQUIRED = ("cohort", "region", "adminCidr", "expires", "labs", "roster")
STUDENT_KEYS = ("id", "seat", "name", "labs", "account")
ACCOUNTS_KEYS = ("model", "roleArn")
ACCOUNTS_ALLOWED = ("a mapping: model (shared, per-student or self-service; default: the profile's accountModel) and, "
                    "for per-student, roleArn")
ALLOWED_TOP = "the keys " + ", ".join(COHORT_KEYS)


class CohortError(SettingsError):
    """Bad cohort or seat file: every problem, one line each."""


@dataclass(frozen=True)
class Student:
    id: str
    index: int  # position in the roster
    seat: int | None = None  # explicit seat from the cohort file
    name: str | None = None  # display name: stays in the cohort file, never in stack files
    labs: Any = None  # per-student override of the session's labs
    account: str | None = None  # per-student model: the student's AWS account id


@dataclass
class Cohort:
    name: str
    path: Path
    source: YamlSource
    template: dict[str, Any]  # stack settings shared by every student
    students: list[Student]
    account_model: str = "shared"  # cloudlabs.accounts.MODELS
    role_template: str | None = None  # per-student: roleArn with {account}
    regions: tuple[str, ...] = ()  # where the cohort may be spread (default: its one region)
    schedule: Schedule | None = None  # its sessions and expiry (``schedule:``, cloudlabs.schedule): labctl expire
    budget: Budget | None = None  # the file's budget: over its profile's (cloudlabs.budget)

    @property
    def spread(self) -> bool:
        """The cohort is spread over several regions (``regions:``), each student's kept in the seat file."""
        return len(self.regions) > 1

    def role_arn(self, student: Student) -> str | None:
        if self.role_template is None or student.account is None:
            return None
        return accounts.resolve_role(self.role_template, student.account)

    def stack_name(self, student_id: str) -> str:
        return f"{self.name}-{student_id}"

    def stack_path(self, student_id: str) -> Path:
        return self.path.parent / f"Pulumi.{self.stack_name(student_id)}.yaml"


def lock_path(cohort_path: Path) -> Path:
    return cohort_path.with_name(f"{cohort_path.stem}.seats.yaml")


@dataclass
class _Collector:
    problems: list[Problem | FileProblem] = field(default_factory=list)

    def add(self, source: YamlSource, path: tuple, allowed: str, value: Any = None, *, missing: bool = False,
            reason: str | None = None) -> None:
        self.problems.append(Problem(source.where(path), dotted(path), allowed, value, missing, reason))


# --- loading and validating --------------------------------------------------------------------


def _read(path: Path, what: str) -> YamlSource:
    try:
        return load_yaml(path, what)
    except InputFileError as err:
        raise CohortError([FileProblem(str(err))]) from None


# --- who owns a stack name ------------------------------------------------------------------------


def is_cohort_file(path: Path) -> bool:
    return path.suffix == ".yaml" and not path.name.startswith("Pulumi.") and not path.name.endswith(".seats.yaml")


def cohort_names(directory: Path) -> list[str]:
    """Names of the cohorts kept in ``directory`` (their files' names: a cohort file's
    ``cohort:`` must match it)."""
    return sorted(p.stem for p in directory.glob("*.yaml") if is_cohort_file(p))


def stack_owner(stack: str, cohorts: list[str]) -> str | None:
    """The cohort a stack name belongs to: the longest cohort name it starts with, plus "-".

    ``demo-net-n01`` is student ``n01`` of ``demo-net`` even where cohort ``demo`` exists, so a
    roster id ``net-n01`` in ``demo`` (which would make the same name) is refused: every stack
    name has exactly one owner across the cohorts of a directory.
    """
    owners = [c for c in cohorts if stack.startswith(c + "-") and len(stack) > len(c) + 1]
    return max(owners, key=len) if owners else None


def load_cohort(path: Path) -> Cohort:
    """Read and validate a cohort file (without seats); CohortError lists every problem."""
    source = _read(path, "cohort file")
    out = _Collector()
    data = source.data
    if not isinstance(data, dict):
        out.add(source, (), "a mapping with " + ", ".join(REQUIRED), data)
        raise CohortError(out.problems)
    for key_path, line, first in source.duplicate_keys:
        out.problems.append(Problem(f"{path}:{line}", dotted(key_path), "each key once",
                                    _lookup(data, key_path), reason=f"duplicate key: first at line {first}"))
    for key in data:
        if key not in COHORT_KEYS:
            close = difflib.get_close_matches(str(key), COHORT_KEYS, n=1)
            out.add(source, (key,), ALLOWED_TOP, data[key], reason=f"unknown key; did you mean {close[0]}?" if close else "unknown key")
    for key in REQUIRED:
        if data.get(key) is None:
            out.add(source, (key,), _allowed_for(key), missing=True)

    name = data.get("cohort")
    if name is not None:
        if not isinstance(name, str) or not SLUG.match(name):
            out.add(source, ("cohort",), SLUG_ALLOWED, name)
        elif name != path.stem:
            out.add(source, ("cohort",), f"the file's name without .yaml ({path.stem!r})", name,
                    reason=f"the file is {path.name}")

    template: dict[str, Any] = {f"{NAMESPACE}:cohort": name}
    for key, setting in SETTING_OF.items():
        if data.get(key) is not None:
            value = data[key]
            template[setting] = value.isoformat() if isinstance(value, date) else value

    model, role_template = _read_accounts(source, out)
    if model is not None:
        template[f"{NAMESPACE}:accountModel"] = model
    if model == "shared" and data.get("keyName") is not None:
        out.add(source, ("keyName",), "no keyName with accounts.model shared: each student gets a key pair of their own "
                "(generated, its private key a secret stack output)", data["keyName"],
                reason="one key pair for the cohort: every student of the shared account would hold the same private key")
    regions = _read_regions(source, out)
    schedule = _read_schedule(source, out)
    budget = _read_budget(source, out)
    students = _read_roster(source, out)
    _check_student_accounts(source, students, model, out)
    if isinstance(name, str) and SLUG.match(name):
        # The cohort-wide values, checked by the stack-settings parser itself (placeholder student).
        probe = {**template, f"{NAMESPACE}:student": "x", f"{NAMESPACE}:seat": 1}
        if model == "per-student":  # a placeholder account: each student's own is checked with them
            probe.update(_account_config(name, "x", accounts.resolve_role(role_template or _PLACEHOLDER_ROLE, "0" * 12),
                                         "0" * 12))
        _check_settings(probe, source, out, labs_path=("labs",))
    if out.problems or not isinstance(name, str):  # a missing or bad name is one of the problems
        raise CohortError(out.problems)
    default_region = data.get("region")
    return Cohort(name, path, source, template, students, model or "shared", role_template,
                  regions or ((default_region,) if isinstance(default_region, str) else ()), schedule=schedule, budget=budget)


def _read_schedule(source: YamlSource, out: _Collector) -> Schedule | None:
    """``schedule:`` (cloudlabs.schedule), its expiry held to the top-level ``expires:`` date."""
    raw = source.data.get("schedule")
    if raw is None:
        return None
    try:
        expires: date | None = date.fromisoformat(str(source.data.get("expires")))
    except ValueError:  # missing or bad: reported by the checks of expires: itself
        expires = None
    try:
        return parse_schedule(raw, expires)
    except ScheduleError as err:
        for p in err.problems:
            out.add(source, ("schedule",) + p.path, p.allowed, p.value, missing=p.missing, reason=p.reason)
        return None


_PLACEHOLDER_ROLE = "arn:aws:iam::{account}:role/placeholder"


def _profile_default_model(source: YamlSource) -> str | None:
    """The model a cohort without ``accounts.model`` gets: its profile's (None: the profile is bad, reported
    elsewhere, and nothing that depends on the model is checked)."""
    name = source.data.get("profile", DEFAULT_PROFILE)
    try:
        return load_profile(name).account_model if isinstance(name, str) else None
    except ProfileError:
        return None


def _read_budget(source: YamlSource, out: _Collector) -> Budget | None:
    """``budget:`` over the profile's (a bad profile is reported elsewhere: then the file's alone)."""
    name = source.data.get("profile", DEFAULT_PROFILE)
    try:
        default = load_profile(name).budget if isinstance(name, str) else None
    except ProfileError:
        default = None
    budget, problems = read_budget(source, source.data.get("budget"), default)
    out.problems.extend(FileProblem(line) for line in problems)
    return budget


def _read_accounts(source: YamlSource, out: _Collector) -> tuple[str | None, str | None]:
    """``accounts:``: the model (default: the profile's) and, for per-student, the role template."""
    raw = source.data.get("accounts")
    default = _profile_default_model(source)
    if raw is None:
        return default, None
    if not isinstance(raw, dict):
        out.add(source, ("accounts",), ACCOUNTS_ALLOWED, raw)
        return default, None
    for key in raw:
        if key not in ACCOUNTS_KEYS:
            close = difflib.get_close_matches(str(key), ACCOUNTS_KEYS, n=1)
            out.add(source, ("accounts", key), "the keys " + ", ".join(ACCOUNTS_KEYS), raw[key],
                    reason=f"unknown key; did you mean {close[0]}?" if close else "unknown key")
    model = raw.get("model", default)
    try:
        model = accounts.parse_model(model)
    except ValueError:
        out.add(source, ("accounts", "model"), accounts.MODELS_ALLOWED, model)
        return default, None
    role = raw.get("roleArn")
    if model != "per-student":
        if role is not None:
            out.add(source, ("accounts", "roleArn"), "no roleArn with model " + model + " (only per-student)", role,
                    reason="the students' stacks do not live in accounts of their own")
        return model, None
    if role is None:
        out.add(source, ("accounts", "roleArn"), accounts.ROLE_ARN_ALLOWED, missing=True)
        return model, None
    try:
        return model, accounts.parse_role_template(role)
    except ValueError as err:
        out.add(source, ("accounts", "roleArn"), accounts.ROLE_ARN_ALLOWED, role, reason=err.args[0] if err.args else None)
        return model, None


def _read_regions(source: YamlSource, out: _Collector) -> tuple[str, ...]:
    raw = source.data.get("regions")
    region = source.data.get("region")
    if raw is None:
        return ()
    allowed = "a non-empty list of regions of the cohort's profile, the cohort's region among them, e.g. [us-east-1, us-west-2]"
    if not isinstance(raw, list) or not raw or not all(isinstance(r, str) for r in raw):
        out.add(source, ("regions",), allowed, raw)
        return ()
    try:
        name = source.data.get("profile", DEFAULT_PROFILE)
        known = load_profile(name).regions if isinstance(name, str) else ()
    except ProfileError:
        known = ()
    for i, r in enumerate(raw):
        if known and r not in known:
            out.add(source, ("regions", i), f"a region of the profile: {', '.join(known)}", r)
        elif r in raw[:i]:
            out.add(source, ("regions", i), "each region once", r, reason="listed twice")
    if isinstance(region, str) and region not in raw:
        out.add(source, ("regions",), allowed, raw, reason=f"the cohort's region {region} is not among them")
    return tuple(raw)


def _check_student_accounts(source: YamlSource, students: list[Student], model: str | None, out: _Collector) -> None:
    """per-student: every roster entry names its account, each a different one; other models: none does."""
    owner: dict[str, tuple[str, int]] = {}
    if model is None:
        return
    for s in students:
        where = ("roster", s.index)
        entry = source.data["roster"][s.index]
        raw = entry.get("account") if isinstance(entry, dict) else None
        if model != "per-student":
            if raw is not None:
                out.add(source, where + ("account",), f"no account with accounts.model {model} (only per-student)", raw,
                        reason="the student's stack does not live in an account of their own")
            continue
        if raw is None:
            out.add(source, where + ("account",), accounts.ACCOUNT_ALLOWED + " (accounts.model per-student: the account "
                    "the student's role is in)", missing=True)
            continue
        try:
            account = accounts.parse_account(raw)
        except ValueError as err:
            out.add(source, where + ("account",), accounts.ACCOUNT_ALLOWED, raw, reason=err.args[0] if err.args else None)
            continue
        if account in owner:
            other, line = owner[account]
            out.add(source, where + ("account",), "an account no other student has", account,
                    reason=f"also the account of {other} at line {line}")
            continue
        owner[account] = (s.id, source.line(where + ("account",)))
        students[students.index(s)] = dataclasses.replace(s, account=account)


def _account_config(cohort: str, student: str, role_arn: str, account: str) -> dict[str, Any]:
    return {f"{NAMESPACE}:account": account, f"{NAMESPACE}:roleArn": role_arn,
            accounts.ASSUME_ROLES_KEY: accounts.assume_roles_config(role_arn, f"{cohort}-{student}")}


def _lookup(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part] if isinstance(data, (dict, list)) else None
    return data


def _allowed_for(key: str) -> str:
    return {
        "cohort": SLUG_ALLOWED + ", the same as the file name",
        "region": "an AWS region the profile allows, e.g. us-east-1",
        "adminCidr": "an IPv4 network in CIDR form that may SSH in, e.g. 203.0.113.0/24",
        "expires": "a date written YYYY-MM-DD",
        "labs": "a non-empty list of labs, each a lab key or {lab, stage, options}",
        "roster": "a non-empty list of students: an id, or {id, seat, name, labs}",
    }[key]


def _read_roster(source: YamlSource, out: _Collector) -> list[Student]:
    roster = source.data.get("roster")
    if roster is None:
        return []
    if not isinstance(roster, list) or not roster:
        out.add(source, ("roster",), _allowed_for("roster"), roster)
        return []
    students: list[Student] = []
    first_line: dict[str, int] = {}
    seat_owner: dict[int, tuple[str, int]] = {}
    for i, entry in enumerate(roster):
        where = ("roster", i)
        if isinstance(entry, str):
            entry = {"id": entry}
        if not isinstance(entry, dict):
            out.add(source, where, "a student id, or a mapping with id, seat, name, labs", entry)
            continue
        for key in entry:
            if key not in STUDENT_KEYS:
                close = difflib.get_close_matches(str(key), STUDENT_KEYS, n=1)
                out.add(source, where + (key,), "the keys " + ", ".join(STUDENT_KEYS), entry[key],
                        reason=f"unknown key; did you mean {close[0]}?" if close else "unknown key")
        sid = entry.get("id")
        if sid is None:
            out.add(source, where + ("id",), SLUG_ALLOWED, missing=True)
            continue
        if not isinstance(sid, str):
            out.add(source, where + ("id",), SLUG_ALLOWED, sid, reason="not text; put it in quotes")
            continue
        if not SLUG.match(sid):
            out.add(source, where + ("id",), SLUG_ALLOWED + " (an opaque id: it is part of stack and bucket names)", sid)
            continue
        if sid in first_line:
            out.add(source, where + ("id",), "each student once", sid, reason=f"listed twice: first at line {first_line[sid]}")
            continue
        first_line[sid] = source.line(where + ("id",))
        seat = entry.get("seat")
        if seat is not None:
            if isinstance(seat, bool) or not isinstance(seat, int) or seat not in SEATS:
                out.add(source, where + ("seat",), f"a whole number from {SEATS.start} (the instructor) to {SEATS.stop - 1}", seat)
                seat = None
            elif seat in seat_owner:
                other, line = seat_owner[seat]
                out.add(source, where + ("seat",), "a seat no other student has", seat,
                        reason=f"also the seat of {other} at line {line}")
                seat = None
            else:
                seat_owner[seat] = (sid, source.line(where + ("seat",)))
        name = entry.get("name")
        if name is not None and not isinstance(name, str):
            out.add(source, where + ("name",), "text (the student's display name, kept out of stack files)", name)
        students.append(Student(sid, i, seat, name if isinstance(name, str) else None, entry.get("labs")))
    return students


_PATH_PART = re.compile(r"\[(\d+)\]|\.?([A-Za-z][\w-]*)")


def _cohort_path(setting_key: str, labs_path: tuple) -> tuple | None:
    """Map a stack-setting problem key back to where it is written in the cohort file."""
    if setting_key.startswith(f"{NAMESPACE}:labs"):
        suffix = setting_key[len(f"{NAMESPACE}:labs"):]
        parts = tuple(int(i) if i else name for i, name in _PATH_PART.findall(suffix))
        return labs_path + parts
    if setting_key == f"{NAMESPACE}:cohort":
        return ("cohort",)
    if setting_key == f"{NAMESPACE}:accountModel":
        return ("accounts", "model")
    for key, setting in SETTING_OF.items():
        if setting == setting_key:
            return (key,)
    return None


def _check_settings(config: dict[str, Any], source: YamlSource, out: _Collector, labs_path: tuple,
                    student: Student | None = None) -> None:
    """The stack-settings parser's problems, each moved to where the cohort file writes it.

    Without ``student`` (the cohort-wide values, checked with a placeholder student): every problem
    but the placeholder's. With it (a student's own stack): only what that student adds: problems
    of the labs written under ``labs_path`` (the student's own), of the names made from their id
    (``roster[i].id``), and of the cohort's id in names only the student's labs make.
    """
    try:
        parse_settings(config, str(source.path))
    except SettingsError as err:
        for problem in err.problems:
            if isinstance(problem, FileProblem):  # e.g. the profile's own file is broken: it names that file
                if student is None and str(problem) not in map(str, out.problems):
                    out.problems.append(problem)
                continue
            if problem.key == f"{NAMESPACE}:student":
                if student is None:
                    continue  # names made from the placeholder: each student's own are checked with them
                path: tuple | None = ("roster", student.index, "id")
            else:
                path = _cohort_path(problem.key, labs_path)
            if path is None or (student is not None and path[0] != "roster" and path != ("cohort",)):
                continue
            if any(p.key == dotted(path) for p in out.problems if isinstance(p, Problem)):
                continue  # already reported (e.g. a missing required key)
            out.problems.append(dataclasses.replace(
                problem,
                source=source.where(path),
                key=dotted(path),
                allowed=problem.allowed.replace(f"{NAMESPACE}:allowOpenAdminCidr", "allowOpenAdminCidr"),
            ))


# --- seats ----------------------------------------------------------------------------------------


@dataclass
class SeatLock:
    path: Path
    seats: dict[str, int]  # student id -> seat, including students who left the roster
    regions: dict[str, str] = field(default_factory=dict)  # student id -> region, for a cohort spread over regions


def load_lock(path: Path, cohort: str) -> SeatLock:
    if not path.exists():
        return SeatLock(path, {})
    source = _read(path, "seat file (written by labctl sync)")
    out = _Collector()
    data = source.data
    if not isinstance(data, dict) or not isinstance(data.get("seats"), dict):
        out.add(source, ("seats",), "a mapping of student id to seat (written by labctl sync)", missing=True)
        raise CohortError(out.problems)
    if data.get("cohort") != cohort:
        out.add(source, ("cohort",), f"the cohort {cohort!r}", data.get("cohort"))
    seats: dict[str, int] = {}
    owner: dict[int, str] = {}
    for sid, seat in data["seats"].items():
        where = ("seats", sid)
        if isinstance(seat, bool) or not isinstance(seat, int) or seat not in SEATS:
            out.add(source, where, f"a seat from {SEATS.start} to {SEATS.stop - 1}", seat)
        elif seat in owner:
            out.add(source, where, "a seat no other student has", seat, reason=f"also the seat of {owner[seat]}")
        else:
            owner[seat] = str(sid)
            seats[str(sid)] = seat
    regions = _read_lock_regions(source, seats, out)
    if out.problems:
        raise CohortError(out.problems)
    return SeatLock(path, seats, regions)


def _read_lock_regions(source: YamlSource, seats: dict[str, int], out: _Collector) -> dict[str, str]:
    """The seat file's ``regions:`` (a spread cohort's): student id -> the region their stack lives in."""
    raw = source.data.get("regions")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        out.add(source, ("regions",), "a mapping of student id to region (written by labctl sync)", raw)
        return {}
    found: dict[str, str] = {}
    for sid, region in raw.items():
        if not isinstance(region, str) or not region:
            out.add(source, ("regions", sid), "a region name (written by labctl sync)", region)
        elif str(sid) not in seats:
            out.add(source, ("regions", sid), "a student with a seat in this file", sid, reason="no seat recorded for it")
        else:
            found[str(sid)] = region
    return found


def assign_seats(cohort: Cohort, lock: SeatLock, prune: bool = False) -> dict[str, int]:
    """Seat of every student in the roster, plus (unless pruning) students who left it.

    Explicit seats win; then the seats the lock file recorded; a new student gets the lowest
    free student seat. Nobody else ever moves.
    """
    out = _Collector()
    source = cohort.source
    on_roster = {s.id for s in cohort.students}
    assigned: dict[str, int] = {}
    owner: dict[int, str] = {}
    for s in cohort.students:
        if s.seat is not None:
            assigned[s.id] = s.seat
            owner[s.seat] = s.id
    for sid, seat in sorted(lock.seats.items(), key=lambda kv: kv[1]):
        if sid in assigned or (prune and sid not in on_roster):
            continue
        if seat in owner:
            student = next(s for s in cohort.students if s.id == owner[seat])
            left = "" if sid in on_roster else ", who left the roster (prune their stack first)"
            out.add(source, ("roster", student.index, "seat"), "a seat no other student has", seat,
                    reason=f"seat {seat} is recorded for {sid}{left} in {lock.path.name}")
            continue
        assigned[sid] = seat
        owner[seat] = sid
    free = iter(seat for seat in STUDENT_SEATS if seat not in owner)
    waiting = [s for s in cohort.students if s.id not in assigned]
    free_count = sum(1 for seat in STUDENT_SEATS if seat not in owner)
    if len(waiting) > free_count:
        out.add(source, ("roster",), f"at most {free_count} students without a seat (seats {STUDENT_SEATS.start}-"
                f"{STUDENT_SEATS.stop - 1}, one /16 each, {len(owner)} already taken)", f"{len(waiting)} students",
                reason="more students than free seats")
    else:
        for s in waiting:
            seat = next(free)
            assigned[s.id] = seat
            owner[seat] = s.id
    if out.problems:
        raise CohortError(out.problems)
    return assigned


def assign_regions(cohort: Cohort, lock: SeatLock, seats: dict[str, int], current: dict[str, str]) -> dict[str, str]:
    """The region of every student with a seat, for a cohort spread over its ``regions:`` ({} otherwise).

    A student stays where their stack lives (the seat file's record, else their stack file's region,
    ``current``): moving a stack to another region replaces all of it. A new student goes to the listed
    region with the fewest students, the list's order breaking ties: an even spread keeps each region's
    peak, and so its quotas, as low as the cohort allows. Nobody else ever moves.
    """
    recorded = {sid: lock.regions.get(sid) or current.get(sid) for sid in seats}
    if not cohort.spread:
        moved = sorted(sid for sid, region in lock.regions.items() if sid in seats and region not in cohort.regions)
        if moved:  # the cohort was spread before: its students may not be moved silently
            _refuse_moves(cohort, lock, {sid: lock.regions[sid] for sid in moved})
        return {}
    out_of_list = {sid: region for sid, region in recorded.items() if region is not None and region not in cohort.regions}
    if out_of_list:
        _refuse_moves(cohort, lock, out_of_list)
    placed = {sid: region for sid, region in recorded.items() if region is not None}
    counts = {region: sum(1 for r in placed.values() if r == region) for region in cohort.regions}
    for sid in sorted(seats, key=lambda sid: seats[sid]):  # seat order: the same roster places the same way
        if sid not in placed:
            region = min(cohort.regions, key=lambda r: (counts[r], cohort.regions.index(r)))
            placed[sid] = region
            counts[region] += 1
    return placed


def _refuse_moves(cohort: Cohort, lock: SeatLock, moved: dict[str, str]) -> None:
    first = sorted(moved)[0]
    where = ("regions",) if "regions" in cohort.source.data else ("region",)
    raise CohortError([Problem(cohort.source.where(where), dotted(where), f"a list that keeps {moved[first]}, where the "
                               f"stack of {first} lives", cohort.source.data.get(where[0]),
                               reason=f"{len(moved)} student(s) would move region ({', '.join(sorted(moved)[:5])}; recorded "
                                      f"in {lock.path.name} or their stack files), which replaces their stacks: destroy them "
                                      "and `labctl sync --prune` them first, or keep the region listed")])


# --- stack files ----------------------------------------------------------------------------------


def student_config(cohort: Cohort, student: Student, seat: int, region: str | None = None) -> dict[str, Any]:
    config = {**cohort.template, f"{NAMESPACE}:student": student.id, f"{NAMESPACE}:seat": seat}
    if region is not None:  # a spread cohort: the student's region (assign_regions)
        config[REGION_KEY] = region
    role_arn = cohort.role_arn(student)
    if role_arn is not None and student.account is not None:
        config.update(_account_config(cohort.name, student.id, role_arn, student.account))
    if student.labs is not None:
        config[f"{NAMESPACE}:labs"] = student.labs
    if config.get(f"{NAMESPACE}:allowOpenAdminCidr") is False:
        del config[f"{NAMESPACE}:allowOpenAdminCidr"]  # the default; keep stack files short
    return config


def is_managed(key: str) -> bool:
    return key in (REGION_KEY, accounts.ASSUME_ROLES_KEY) or key.startswith(f"{NAMESPACE}:")


def render_stack_file(cohort: Cohort, student: Student, seat: int, existing: dict[str, Any] | None,
                      region: str | None = None) -> str:
    """The stack file's text: managed keys from the cohort, anything else (encryptionsalt, other
    providers' settings) kept from the existing file. Same input, same bytes."""
    document = {k: v for k, v in (existing or {}).items() if k != "config"}
    config = {k: v for k, v in ((existing or {}).get("config") or {}).items() if not is_managed(k)}
    config.update(student_config(cohort, student, seat, region))
    document["config"] = config
    header = (f"# Generated by `labctl sync` from {cohort.path.name}: edit that file, not this one.\n"
              f"# Student {student.id}: seat {seat}, {seat_block(seat)}.\n")
    return header + yaml.safe_dump(document, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100)


def render_lock(cohort: Cohort, seats: dict[str, int], regions: dict[str, str] | None = None) -> str:
    lines = [
        f"# Seats of cohort {cohort.name}, kept by `labctl sync`. Commit this file: it keeps seats stable.",
        "# Seat N owns 10.N.0.0/16. Students who left keep their seat until `labctl sync --prune`.",
        f"cohort: {cohort.name}",
        "seats:",
    ]
    lines += [f'  "{sid}": {seat}' for sid, seat in sorted(seats.items(), key=lambda kv: kv[1])]
    if regions:
        lines += ["# The cohort is spread over regions: each student's stack stays where it was first placed.", "regions:"]
        lines += [f'  "{sid}": {regions[sid]}' for sid, _ in sorted(seats.items(), key=lambda kv: kv[1]) if sid in regions]
    return "\n".join(lines) + "\n"


@dataclass
class FileChange:
    path: Path
    status: str  # created, updated, unchanged, removed, kept
    text: str | None = None  # new content (None when removed or kept)
    student: str | None = None
    seat: int | None = None


@dataclass
class SyncPlan:
    cohort: Cohort
    seats: dict[str, int]
    regions: dict[str, str]  # a spread cohort's student -> region ({}: every stack in the cohort's region)
    stacks: list[FileChange]
    departed: list[FileChange]  # stack files of students no longer on the roster
    lock: FileChange

    @property
    def changes(self) -> list[FileChange]:
        return [c for c in self.stacks + self.departed + [self.lock] if c.status in ("created", "updated", "removed")]


def _status(path: Path, text: str) -> str:
    if not path.exists():
        return "created"
    return "unchanged" if path.read_text() == text else "updated"


def _existing_stack_file(path: Path, cohort: str, student: str | None) -> dict[str, Any] | None:
    """The stack file's document if it exists and this cohort owns it (its settings name this
    cohort and student); CohortError if it is unreadable or belongs to someone else: sync never
    rewrites or removes a file it does not own."""
    if not path.exists() and not path.is_symlink():
        return None
    try:
        document = read_stack_document(path)
    except StackFileError as err:
        raise CohortError([FileProblem(f"{err} (sync of cohort {cohort} will not replace or remove it: fix or "
                                       "remove it by hand)")]) from None
    config = document["config"]
    owner, sid = config.get(f"{NAMESPACE}:cohort"), config.get(f"{NAMESPACE}:student")
    if owner != cohort or (student is not None and sid != student):
        raise CohortError([FileProblem(
            f"{path}: belongs to cohort {owner!r}, student {sid!r}; sync of cohort {cohort} does not write files "
            "of other cohorts (rename the student or the cohort so that stack names differ)")])
    return document


def cohort_stack_files(cohort: Cohort) -> list[Path]:
    """Stack files in the cohort's directory that belong to it: named for it (the longest cohort
    name the stack name starts with is this one) and saying so (their cloudlabs:cohort)."""
    names = cohort_names(cohort.path.parent)
    found = []
    for path in sorted(cohort.path.parent.glob(f"Pulumi.{cohort.name}-*.yaml")):
        if stack_owner(stack_name_of(path), names) != cohort.name:
            continue  # e.g. Pulumi.demo-net-n01.yaml is cohort demo-net's, not demo's
        try:
            if read_stack_document(path)["config"].get(f"{NAMESPACE}:cohort") == cohort.name:
                found.append(path)
        except StackFileError as err:  # named like ours but unreadable: say so, touch nothing
            raise CohortError([FileProblem(f"{err} (named like a stack of cohort {cohort.name}: fix or remove it)")]) from None
    return found


def _check_stack_names(cohort: Cohort, out: _Collector) -> None:
    """Refuse roster ids whose stack name belongs to another cohort of the same directory."""
    names = sorted(set(cohort_names(cohort.path.parent)) | {cohort.name})
    for student in cohort.students:
        stack = cohort.stack_name(student.id)
        owner = stack_owner(stack, names)  # never None: the cohort's own name is among them
        if owner is not None and owner != cohort.name:
            out.add(cohort.source, ("roster", student.index, "id"),
                    f"an id whose stack name is not another cohort's (not starting with {owner[len(cohort.name) + 1:]}-)",
                    student.id, reason=f"the stack {stack} would belong to cohort {owner} ({owner}.yaml)")


def plan_sync(cohort_path: Path, prune: bool = False) -> SyncPlan:
    """Everything sync would do, fully validated; nothing is written here."""
    cohort = load_cohort(cohort_path)
    lock = load_lock(lock_path(cohort_path), cohort.name)
    seats = assign_seats(cohort, lock, prune)
    names = _Collector()
    _check_stack_names(cohort, names)  # before any stack file is read: a name of another cohort's is refused as such
    if names.problems:
        raise CohortError(names.problems)
    on_roster = {s.id for s in cohort.students}
    existing = {s.id: _existing_stack_file(cohort.stack_path(s.id), cohort.name, s.id) for s in cohort.students}
    kept = [path for path in cohort_stack_files(cohort) if _student_of(cohort, path) not in on_roster]
    current = {sid: str(doc["config"].get(REGION_KEY)) for sid, doc in existing.items()
               if doc is not None and doc["config"].get(REGION_KEY)}
    if not prune:
        current.update({sid: str(doc["config"].get(REGION_KEY)) for path in kept
                        if (doc := _existing_stack_file(path, cohort.name, sid := _student_of(cohort, path))) is not None
                        and doc["config"].get(REGION_KEY)})
    regions = assign_regions(cohort, lock, seats, current)

    out = _Collector()
    for student in cohort.students:  # each student's own labs, and the names made from their id
        config = student_config(cohort, student, seats[student.id], regions.get(student.id))
        labs_path = ("labs",) if student.labs is None else ("roster", student.index, "labs")
        _check_settings(config, cohort.source, out, labs_path=labs_path, student=student)
    if out.problems:
        raise CohortError(out.problems)

    stacks = []
    for student in cohort.students:
        path = cohort.stack_path(student.id)
        text = render_stack_file(cohort, student, seats[student.id], existing[student.id], regions.get(student.id))
        stacks.append(FileChange(path, _status(path, text), text, student.id, seats[student.id]))

    departed = [FileChange(path, "removed" if prune else "kept", None, sid, lock.seats.get(sid))
                for path in kept for sid in [_student_of(cohort, path)]]
    lock_text = render_lock(cohort, seats, regions)
    return SyncPlan(cohort, seats, regions, stacks, departed,
                    FileChange(lock.path, _status(lock.path, lock_text), lock_text))


@dataclass(frozen=True)
class StudentAccount:
    student: str
    account: str
    role_arn: str
    region: str
    departed: bool  # left the roster; their stack file (and so maybe their stack) is kept


def student_accounts(cohort: Cohort) -> list[StudentAccount]:
    """per-student: every account the cohort may hold something in, with the role that reaches it and the
    student's region: the roster's, and those of students who left it but whose stack file is kept (their
    stack may still stand: a teardown must reach their account too). Read from the stack files where they
    exist (what was deployed), else from the cohort file."""
    lock = load_lock(lock_path(cohort.path), cohort.name)
    found: dict[str, StudentAccount] = {}
    for path in cohort_stack_files(cohort):
        config = read_stack_document(path)["config"]
        sid, account, role = _student_of(cohort, path), config.get(f"{NAMESPACE}:account"), config.get(f"{NAMESPACE}:roleArn")
        if isinstance(account, str) and isinstance(role, str):
            found[sid] = StudentAccount(sid, account, role, str(config.get(REGION_KEY) or cohort.regions[0]), True)
    for student in cohort.students:
        role = cohort.role_arn(student)
        if student.account is None or role is None:
            continue
        region = found[student.id].region if student.id in found else lock.regions.get(student.id, cohort.regions[0])
        found[student.id] = StudentAccount(student.id, student.account, role, region, False)
    return [found[sid] for sid in sorted(found)]


def _student_of(cohort: Cohort, path: Path) -> str:
    return path.name[len(f"Pulumi.{cohort.name}-"):-len(".yaml")]


def apply_sync(plan: SyncPlan) -> None:
    """Write what plan_sync decided (each file replaced atomically). Run it under the cohort's
    lock (``writing.exclusive(cohort file)``) together with plan_sync."""
    for change in plan.changes:
        if change.status == "removed":
            change.path.unlink()
            continue
        atomic_write(change.path, change.text or "")
