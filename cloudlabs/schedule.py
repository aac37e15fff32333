"""A cohort's clock: its sessions (start, end) and its expiry, read from the cohort file's ``schedule:``.

The top-level ``expires:`` date stays what it was: the date tagged on every resource
(``cloudlabs:expires``), the last day the stacks may live. ``schedule.expires`` is the moment
``labctl expire`` destroys them; it defaults to the end of that day (midnight after it, in the
schedule's timezone) and may be earlier, never later: otherwise `labctl expired` would list
stacks the clock has not destroyed yet, and the tag would promise a day the clock does not keep.
Every session ends at or before the expiry.

```yaml
expires: 2026-12-19
schedule:
  timezone: Europe/Brussels          # IANA name (default UTC); times without an offset are in it
  sessions:
    - {start: 2026-12-01 09:00, end: 2026-12-01 12:00}
    - {start: 2026-12-08 09:00, end: 2026-12-08 12:00}
  expires: 2026-12-18 18:00          # optional: default the end of the expires: day
```

Pure: no Pulumi, no AWS. ``clock_action`` is what ``labctl expire`` does at a given moment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SCHEDULE_KEYS = ("timezone", "sessions", "expires")
SESSION_KEYS = ("start", "end")
MAX_SESSIONS = 1000
INSTANT_ALLOWED = ("a date and time from 2000 to 2199 written YYYY-MM-DD HH:MM (in the schedule's timezone) or with an "
                   "offset, e.g. 2026-12-01T09:00+01:00")
SCHEDULE_ALLOWED = ("a mapping: sessions (a list of {start, end}), timezone (an IANA name, default UTC) and expires "
                    "(optional, at most the end of the expires: day)")
NOW_ALLOWED = "an ISO 8601 date and time from 2000 to 2199 with its offset, e.g. 2026-12-01T12:00Z or 2026-12-01T13:00+01:00"

Action = Literal["none", "stop", "destroy"]
YEARS = range(2000, 2200)  # far from datetime's limits: aware times compare in UTC, which must exist


@dataclass(frozen=True)
class Session:
    start: datetime  # timezone-aware
    end: datetime


@dataclass(frozen=True)
class Schedule:
    sessions: tuple[Session, ...]  # in time order, none overlapping
    expires: datetime  # timezone-aware: when the stacks are destroyed
    timezone: str = "UTC"


@dataclass(frozen=True)
class ScheduleProblem:
    """One bad value of ``schedule:``: the key path below it, what is allowed, the value, why."""

    path: tuple
    allowed: str
    value: Any = None
    reason: str | None = None
    missing: bool = False


class ScheduleError(ValueError):
    def __init__(self, problems: list[ScheduleProblem]):
        super().__init__("; ".join(f"{'.'.join(map(str, p.path))}: {p.allowed}" for p in problems))
        self.problems = problems


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    """Midnight after ``day`` in ``zone``: the moment a stack whose ``expires:`` is ``day`` has expired."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)


def parse_instant(value: Any, zone: ZoneInfo) -> datetime:
    """A YAML value as an aware datetime: a datetime (YAML's own timestamps) or ISO text; without an
    offset it is in ``zone``. A bare date is refused (a session needs its hour). ValueError if bad."""
    if isinstance(value, datetime):
        found = value
    elif isinstance(value, str) and len(value) > 10:
        found = datetime.fromisoformat(value.strip())
    else:
        raise ValueError(f"{value!r} is not a date and time")
    if found.year not in YEARS:
        raise ValueError(f"{value!r} is out of range")
    return found.replace(tzinfo=zone) if found.tzinfo is None else found


def parse_now(text: str) -> datetime:
    """``--now``: an aware moment; text without an offset is refused (a cron runs in UTC, a laptop does not)."""
    try:
        found = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--now: {text!r} is not allowed; allowed: {NOW_ALLOWED}") from None
    if found.tzinfo is None or len(text.strip()) <= 10:
        raise ValueError(f"--now: {text!r} has no time offset; allowed: {NOW_ALLOWED}")
    if found.year not in YEARS:
        raise ValueError(f"--now: {text!r} is out of range; allowed: {NOW_ALLOWED}")
    return found


def parse_schedule(raw: Any, expires_day: date | None) -> Schedule:
    """The cohort file's ``schedule:`` (``expires_day``: its ``expires:`` date, if valid); ScheduleError
    lists every problem."""
    problems: list[ScheduleProblem] = []
    if not isinstance(raw, dict):
        raise ScheduleError([ScheduleProblem((), SCHEDULE_ALLOWED, raw)])
    for key in raw:
        if key not in SCHEDULE_KEYS:
            problems.append(ScheduleProblem((key,), "the keys " + ", ".join(SCHEDULE_KEYS), raw[key], "unknown key"))
    zone = _zone(raw.get("timezone", "UTC"), problems)
    if expires_day is not None and expires_day.year not in YEARS:
        problems.append(ScheduleProblem((), f"a schedule only for a cohort whose expires: date is from {YEARS.start} to "
                                        f"{YEARS.stop - 1}", reason=f"expires: is {expires_day.isoformat()}", value=raw))
        expires_day = None
    sessions = _sessions(raw.get("sessions"), zone, problems)
    latest = end_of_day(expires_day, zone) if expires_day is not None else None
    expires = latest
    if raw.get("expires") is not None:
        try:
            expires = parse_instant(raw["expires"], zone)
        except ValueError:
            problems.append(ScheduleProblem(("expires",), INSTANT_ALLOWED, raw["expires"]))
            expires = latest
        else:
            if latest is not None and expires > latest:
                problems.append(ScheduleProblem(("expires",), f"at most {latest.isoformat()} (the end of the expires: day, "
                                                "the date tagged on every resource)", raw["expires"],
                                                "later than the expiry date tagged on the stacks"))
    if expires is not None:
        for i, s in enumerate(sessions):
            if s.end > expires:
                problems.append(ScheduleProblem(("sessions", i, "end"), f"at most the expiry {expires.isoformat()}",
                                                raw["sessions"][i]["end"], "the session would outlive its stacks"))
    if problems:
        raise ScheduleError(problems)
    if expires is None:  # the top-level expires: is missing or bad: reported by the cohort's own checks
        raise ScheduleError([])
    return Schedule(tuple(sessions), expires, str(zone))


def _zone(name: Any, problems: list[ScheduleProblem]) -> ZoneInfo:
    allowed = "an IANA timezone name, e.g. UTC, Europe/Brussels, America/New_York"
    if not isinstance(name, str) or not name or name.startswith(("/", ".")) or ".." in name:
        problems.append(ScheduleProblem(("timezone",), allowed, name))
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(ScheduleProblem(("timezone",), allowed, name, "unknown timezone"))
        return ZoneInfo("UTC")


def _sessions(raw: Any, zone: ZoneInfo, problems: list[ScheduleProblem]) -> list[Session]:
    allowed = f"a non-empty list of at most {MAX_SESSIONS} sessions, each {{start, end}}"
    if raw is None:
        problems.append(ScheduleProblem(("sessions",), allowed, missing=True))
        return []
    if not isinstance(raw, list) or not raw or len(raw) > MAX_SESSIONS:
        problems.append(ScheduleProblem(("sessions",), allowed, raw))
        return []
    found: list[Session] = []
    for i, entry in enumerate(raw):
        if not isinstance(entry, dict):
            problems.append(ScheduleProblem(("sessions", i), "a mapping {start, end}", entry))
            continue
        for key in entry:
            if key not in SESSION_KEYS:
                problems.append(ScheduleProblem(("sessions", i, key), "the keys start, end", entry[key], "unknown key"))
        times = {}
        for key in SESSION_KEYS:
            if entry.get(key) is None:
                problems.append(ScheduleProblem(("sessions", i, key), INSTANT_ALLOWED, missing=True))
                continue
            try:
                times[key] = parse_instant(entry[key], zone)
            except ValueError:
                problems.append(ScheduleProblem(("sessions", i, key), INSTANT_ALLOWED, entry[key]))
        if len(times) < 2:
            continue
        if times["end"] <= times["start"]:
            problems.append(ScheduleProblem(("sessions", i, "end"), "a time after the session's start", entry["end"],
                                            "the session ends before it starts"))
            continue
        if found and times["start"] < found[-1].end:
            problems.append(ScheduleProblem(("sessions", i, "start"), "a time at or after the previous session's end "
                                            f"({found[-1].end.isoformat()}): sessions in time order, none overlapping",
                                            entry["start"]))
            continue
        found.append(Session(times["start"], times["end"]))
    return found


# --- what the clock says at a moment --------------------------------------------------------------


def session_at(schedule: Schedule, now: datetime) -> Session | None:
    """The session in progress at ``now`` (start included, end excluded), if any."""
    return next((s for s in schedule.sessions if s.start <= now < s.end), None)


def last_session_end(schedule: Schedule, now: datetime) -> Session | None:
    """The latest session that has ended at ``now``."""
    ended = [s for s in schedule.sessions if s.end <= now]
    return ended[-1] if ended else None


def next_session_end(schedule: Schedule, now: datetime) -> datetime | None:
    """When the session in progress ends, else the next session's end; None after the last one."""
    return next((s.end for s in schedule.sessions if s.end > now), None)


def next_session(schedule: Schedule, now: datetime) -> Session | None:
    """The session in progress, else the next to start."""
    return next((s for s in schedule.sessions if s.end > now), None)


def clock_action(schedule: Schedule, now: datetime) -> tuple[Action, str]:
    """What the clock does at ``now`` and why: destroy at or after the expiry; stop at or after a
    session's end while no session is in progress; else nothing."""
    if now >= schedule.expires:
        return "destroy", f"the cohort expired at {_show(schedule.expires)}"
    current = session_at(schedule, now)
    if current is not None:
        return "none", f"a session is in progress until {_show(current.end)}"
    ended = last_session_end(schedule, now)
    upcoming = next_session(schedule, now)
    later = f"; next session {_show(upcoming.start)}" if upcoming else f"; expires {_show(schedule.expires)}"
    if ended is not None:
        return "stop", f"the session of {_show(ended.start)} ended at {_show(ended.end)}{later}"
    return "none", f"no session has ended yet{later}"


def _show(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="minutes")


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
