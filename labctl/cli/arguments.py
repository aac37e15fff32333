"""Argument types for numbers and names: checked for type, range and finiteness by argparse
itself, so a bad value is one usage line and exit 2 before anything runs."""

from __future__ import annotations

import argparse
import functools
import math
import re
from datetime import date, datetime, timezone
from typing import Callable

from cloudlabs.schedule import parse_now
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


def moment(text: str) -> datetime:
    """``--now``/``--until`` of every command (spend, budget, report, expire): an ISO 8601 time with its
    offset (``2026-12-04T16:00Z``). One rule for all, and no guessing: a cron runs in UTC, a laptop does not,
    and budget and expire act on what the time says. Held in UTC, as every output that shows it says."""
    try:
        return parse_now(text).astimezone(timezone.utc)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc).removeprefix("--now: ")) from None


moment.__name__ = "time"


def name(what: str) -> Callable[[str], str]:
    """A cohort or student name: never a path, never empty."""
    def parse(text: str) -> str:
        if not SLUG.match(text):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {what} name; allowed: {SLUG_ALLOWED}")
        return text
    parse.__name__ = f"{what} name"
    return parse


PORT = whole_number(1, 65535)


LOCAL_URL = re.compile(r"http://127\.0\.0\.1:(\d{1,5})/?")
LOCAL_URL_ALLOWED = "http://127.0.0.1:PORT, PORT 1 to 65535 (the sandbox's emulator; no user, path, query or fragment)"


def local_endpoint(text: str) -> str:
    """An emulator's URL: http://127.0.0.1:PORT and nothing else (never another host: the sandbox
    is local; never port 0, a user, a path or a query, which the emulator would not answer)."""
    match = LOCAL_URL.fullmatch(text)
    if match is None or not 1 <= int(match.group(1)) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: {LOCAL_URL_ALLOWED}")
    return f"http://127.0.0.1:{int(match.group(1))}"


local_endpoint.__name__ = "endpoint URL"

PARTITION = "aws"


@functools.lru_cache(maxsize=None)
def aws_regions(partition: str = PARTITION) -> tuple[str, ...]:
    """The regions of an AWS partition as botocore knows them (its data file partitions.json, the
    list boto3 and the AWS CLI of this machine use): never a hand-kept copy. Pseudo-regions such as
    ``aws-global`` do not match the partition's region pattern and are left out."""
    from botocore.loaders import create_loader
    for entry in create_loader().load_data("partitions")["partitions"]:
        if entry["id"] == partition:
            pattern = re.compile(entry["regionRegex"])
            return tuple(sorted(r for r in entry["regions"] if pattern.match(r)))
    return ()


def region_allowed(partition: str = PARTITION) -> str:
    return f"a region of the {partition} partition (botocore's partitions.json), e.g. us-east-1, eu-west-1"


def aws_region(text: str) -> str:
    """``--region``: a region of the aws partition, checked on every path (with or without
    --emulate) before anything runs."""
    if text not in aws_regions():
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: {region_allowed()}")
    return text


aws_region.__name__ = "region"

BACKEND = re.compile(r"(file://\S+|(s3|gs|azblob)://[a-z0-9][a-z0-9._-]*([/?]\S*)?|postgres(ql)?://\S+|https://[A-Za-z0-9.-]+(:\d{1,5})?(/\S*)?)")
BACKEND_ALLOWED = ("a Pulumi state backend URL: file://PATH, s3://BUCKET[/PREFIX], gs://BUCKET, azblob://CONTAINER, "
                   "postgres://..., or https://HOST (Pulumi Cloud)")


def backend(text: str) -> str:
    """``--backend``: a URL ``pulumi login`` accepts, so a typo (``s3:/bucket``, an empty value that
    would fall back to the default) is refused here, not once per student by the Pulumi CLI."""
    if BACKEND.fullmatch(text) is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not allowed; allowed: {BACKEND_ALLOWED}")
    return text


backend.__name__ = "backend URL"
