"""Argument types for numbers and names: checked for type, range and finiteness by argparse
itself, so a bad value is one usage line and exit 2 before anything runs."""

from __future__ import annotations

import argparse
import math
from datetime import date
from typing import Callable

from cloudlabs.settings import SLUG, SLUG_ALLOWED


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high`` (``--parallel 0``, ``--jobs 1e9`` are refused)."""
    def parse(text: str) -> int:
        try:
            value = int(text.strip(), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number; allowed: {low} to {high}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: {low} to {high}")
        return value
    parse.__name__ = "whole number"
    return parse


def hours(text: str) -> float:
    """A session length in hours: a finite number more than 0, at most a year."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours; allowed: more than 0, up to 8760") from None
    if not math.isfinite(value) or not 0 < value <= 8760:
        raise argparse.ArgumentTypeError(f"{text} is not allowed; allowed: a number of hours more than 0, up to 8760")
    return value


hours.__name__ = "hours"


def calendar_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; allowed: YYYY-MM-DD") from None


calendar_date.__name__ = "date"


def name(what: str) -> Callable[[str], str]:
    """A cohort or student name: never a path, never empty."""
    def parse(text: str) -> str:
        if not SLUG.match(text):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what} name; allowed: {SLUG_ALLOWED}")
        return text
    parse.__name__ = f"{what} name"
    return parse


PORT = whole_number(1, 65535)


def local_endpoint(text: str) -> str:
    """An emulator's URL: http://127.0.0.1:PORT (never another host: the sandbox is local)."""
    from urllib.parse import urlsplit
    parts = urlsplit(text)
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname != "127.0.0.1" or port is None or parts.path not in ("", "/"):
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: http://127.0.0.1:PORT (the sandbox's emulator)")
    return f"http://127.0.0.1:{port}"
