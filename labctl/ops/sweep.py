"""The sweep: after a teardown, prove that nothing of a cohort is left in a region, and delete what is.

What belongs to the cohort is decided per resource, on the client, from the resource's own tags
(equality, never presence: another cohort's resources carry a ``cloudlabs:cohort`` tag too):
- tagged ``cloudlabs:cohort = <cohort>``: the cohort's, the student's by ``cloudlabs:student``;
- tagged with another cohort: never the cohort's, whatever else is true of it;
- untagged inside one of the cohort's VPCs (what a student made by hand with the console, the
  CLI or boto3: an instance, a subnet, a NAT gateway), and what such a thing holds (the NAT
  gateway's Elastic IP): the VPC owner's, "added by hand";
- untagged and remembered: what an earlier sweep found by hand is kept in a ledger, so it is still
  found once its VPC is gone (an Elastic IP whose NAT gateway went);
- with ``whole_account`` (an account given to one cohort, e.g. a Learner Lab): everything else in
  the account but AWS's own defaults. Refused when the account holds anything tagged with another
  cohort: ``ForeignResources`` names them, and nothing is deleted.
Server-side filters are never used to decide (a listing is the region's whole listing).

Every kind with a sweep rule (``labctl.kinds.sweeping``) is scanned; a kind that cannot be read is
reported, so "nothing left" is only ever said when every kind was scanned. Deletion goes in the
rules' order (``SWEEP_ORDER``),
waits where AWS deletes asynchronously (instances, NAT gateways, databases, load balancers, Auto
Scaling groups, ECS services, Beanstalk environments), counts a resource already gone as deleted,
and scans again after each pass, since deleting one thing frees another (a terminated instance's
network interface).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from cloudlabs.pricing import PriceTable
from cloudlabs.reading import InputFileError, load_json
from cloudlabs.writing import PRIVATE_FILE, atomic_write, lock_file, private_dir
from cloudlabs.tags import COHORT_TAG, EXPIRES_TAG, STUDENT_TAG

from labctl.ops.awserrors import is_gone
from labctl.ops.awslist import tag_map
from labctl import kinds
from labctl.kinds.sweeping import SweepRule
from labctl.ops.sweep_kinds import COVERED_ARN_KINDS, RULE_NAMES, RULES, Found, Scan

WAIT_LIMIT = 45 * 60  # seconds an asynchronous delete may take (an RDS instance: up to 15 minutes)


@dataclass
class Leftover:
    student: str
    kind: str
    id: str
    state: str = ""
    detail: str = ""  # instance type, DB class, "added by hand", ...
    hourly: float | None = 0.0  # None: costs money but no price is known
    expires: str = ""
    arn: str = ""
    found: Found | None = field(default=None, repr=False, compare=False)


class ForeignResources(ValueError):
    """``whole_account`` in an account that holds another cohort's resources: nothing is deleted."""


class Ledger:
    """What sweeps of one cohort found by hand, so it is found again once nothing else points to it.
    One JSON file per cohort and region, replaced atomically under a lock."""

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, str]:
        """(kind|id) -> student."""
        if not self.path.exists():
            return {}
        try:
            data = load_json(self.path, "sweep ledger (written by labctl sweep)")
        except InputFileError:
            return {}  # a damaged ledger forgets; the scan of the VPCs still finds what is in them
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def write(self, entries: dict[str, str]) -> None:
        private_dir(self.path.parent)  # in the sandbox store, or beside it under .cloudlabs/
        with lock_file(self.path.with_name(self.path.name + ".lock")):
            atomic_write(self.path, json.dumps(entries, indent=1, sort_keys=True) + "\n", mode=PRIVATE_FILE)


def _key(kind: str, rid: str) -> str:
    return f"{kind}|{rid}"


def _arn_id(arn: str) -> tuple[str, str]:
    """(service:resource-type, id) from an ARN (``type/id`` or ``type:id``, whichever comes first)."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5]
    if service == "s3":
        return "s3:bucket", resource
    cuts = [i for i in (resource.find("/"), resource.find(":")) if i >= 0]
    if not cuts:
        return f"{service}:{resource}", resource
    kind, rest = resource[:min(cuts)], resource[min(cuts) + 1:]
    return f"{service}:{kind}", rest if service in ("elasticloadbalancing", "logs") else rest.split("/")[-1]


class Sweeper:
    """Everything of one cohort in one region (see the module's rules of ownership)."""

    def __init__(self, session: Any, cohort: str, prices: PriceTable | None = None, region: str | None = None,
                 whole_account: bool = False, ledger: Ledger | None = None, sleep: Callable[[float], None] = time.sleep,
                 rules: dict[str, SweepRule] = RULES):
        self.s, self.cohort, self.whole_account, self.ledger, self.rules = session, cohort, whole_account, ledger, rules
        self.region = region or session.region_name
        self.prices = prices.regions.get(self.region) if prices else None
        self.per_month = prices.hours_per_month if prices else 730
        self.sleep = sleep
        self.unscanned: dict[str, str] = {}  # kind -> why it could not be read
        self.deleted: list[Leftover] = []  # what delete() removed (or found already gone)
        self.ledger_problem: str | None = None
        self.foreign: list[tuple[Found, str]] = []  # (resource, its cohort) in the cohort's way or in its account
        self.service_buckets: list[tuple[str, str]] = []  # (bucket, the kind's label): a service's own, left in the account

    # --- finding ----------------------------------------------------------------------------------

    def _scan(self) -> Scan:
        return Scan(self.s, self.region, self.prices, self.per_month, self.sleep)

    def _list(self, scan: Scan) -> dict[str, list[Found]]:
        listed: dict[str, list[Found]] = {}
        self.unscanned = {}
        for name, rule in self.rules.items():
            try:
                listed[name] = list(rule.find(scan))
            except Exception as err:  # noqa: BLE001 - reported: the verdict is never "nothing left" then
                self.unscanned[name] = str(err).splitlines()[0] if str(err) else type(err).__name__
        return listed

    def find(self) -> list[Leftover]:
        scan = self._scan()
        listed = self._list(scan)
        self.service_buckets = self._service_buckets(scan, listed)
        remembered = self.ledger.read() if self.ledger else {}
        vpc_owner = {f.id: f.tags.get(STUDENT_TAG, "?") for f in listed.get("VPC", []) if self._ours(f.tags) and not f.default}
        found: dict[tuple[str, str], Leftover] = {}
        self.foreign = []
        held: list[tuple[tuple[str, str], str]] = []
        for items in listed.values():
            for item in items:
                left = self._classify(item, vpc_owner, remembered)
                if left is not None:
                    found[(item.kind, item.id)] = left
                    held.extend((h, left.student) for h in item.holds)
        by_key = {(f.kind, f.id): f for items in listed.values() for f in items}
        for key, student in held:  # a NAT gateway's Elastic IP goes with the gateway
            holding = by_key.get(key)
            if holding is not None and key not in found and not holding.tags.get(COHORT_TAG):
                found[key] = self._leftover(holding, student, "added by hand")
        self._tagged_elsewhere(found)
        if self.whole_account and self.foreign:
            raise ForeignResources(self._foreign_text())
        if self.ledger is not None:
            self._remember(found, remembered)
        order = {name: i for i, name in enumerate(RULE_NAMES)}
        return sorted(found.values(), key=lambda x: (x.student, order.get(x.kind, len(order)), x.id))

    def _service_buckets(self, scan: Scan, listed: dict[str, list[Found]]) -> list[tuple[str, str]]:
        """The buckets services keep for themselves in this account and region (Beanstalk's): untagged,
        so never the cohort's, and left by every teardown; named so the instructor can remove them."""
        names = {f.id for f in listed.get("bucket", [])}
        kept = []
        for kind in kinds.KINDS.values():
            if kind.service_bucket and "bucket" in listed:
                bucket = kind.service_bucket.format(region=self.region, account=scan.account_id)
                if bucket in names:
                    kept.append((bucket, kind.label))
        return kept

    def _ours(self, tags: dict[str, str]) -> bool:
        return tags.get(COHORT_TAG) == self.cohort

    def _classify(self, item: Found, vpc_owner: dict[str, str], remembered: dict[str, str]) -> Leftover | None:
        cohort = item.tags.get(COHORT_TAG)
        if cohort == self.cohort:
            return None if item.default else self._leftover(item, item.tags.get(STUDENT_TAG, "?"), "")
        in_our_vpc = [vpc_owner[v] for v in item.vpcs if v in vpc_owner]
        if cohort:  # another cohort's: never touched; noted where it sits in ours, or in an account given to ours
            if in_our_vpc or self.whole_account:
                self.foreign.append((item, cohort))
            return None
        if item.default:
            return None  # AWS's own part of a VPC goes with the VPC
        if in_our_vpc:
            return self._leftover(item, in_our_vpc[0], "added by hand")
        if _key(item.kind, item.id) in remembered:
            return self._leftover(item, remembered[_key(item.kind, item.id)], "added by hand, remembered from an earlier sweep")
        if self.whole_account:
            return self._leftover(item, "account", "added by hand")
        return None

    def _leftover(self, item: Found, student: str, how: str) -> Leftover:
        detail = f"{how}: {item.detail}" if how and item.detail else (how or item.detail)
        return Leftover(student, item.kind, item.id, item.state, detail, item.hourly, item.tags.get(EXPIRES_TAG, ""),
                        item.arn, item)

    def _tagged_elsewhere(self, found: dict[tuple[str, str], Leftover]) -> None:
        """What the kinds above do not cover but the tagging API lists with the cohort's tag (each
        mapping's own tags checked again here: the API's filter narrows, it does not decide)."""
        try:
            tagging = self._scan().client("resourcegroupstaggingapi")
            for page in tagging.get_paginator("get_resources").paginate(TagFilters=[{"Key": COHORT_TAG, "Values": [self.cohort]}]):
                for mapping in page["ResourceTagMappingList"]:
                    tags = tag_map(mapping.get("Tags"))
                    kind, rid = _arn_id(mapping["ResourceARN"])
                    if self._ours(tags) and kind not in COVERED_ARN_KINDS:
                        found.setdefault((kind, rid), Leftover(tags.get(STUDENT_TAG, "?"), kind, rid, arn=mapping["ResourceARN"],
                                                               hourly=None, expires=tags.get(EXPIRES_TAG, "")))
        except Exception as err:  # noqa: BLE001 - reported like any kind that cannot be read
            self.unscanned["tagged resources of other kinds (Resource Groups Tagging API)"] = str(err).splitlines()[0]

    def _foreign_text(self) -> str:
        cohorts = sorted({c for _, c in self.foreign})
        sample = ", ".join(f"{f.kind} {f.id} ({c})" for f, c in self.foreign[:5])
        more = f" and {len(self.foreign) - 5} more" if len(self.foreign) > 5 else ""
        return (f"--whole-account: this account also holds {len(self.foreign)} resource(s) of cohort(s) "
                f"{', '.join(cohorts)}: {sample}{more}; nothing was deleted. --whole-account is for an account given to "
                f"one cohort: sweep {self.cohort} without it")

    def _remember(self, found: dict[tuple[str, str], Leftover], before: dict[str, str]) -> None:
        entries = {_key(x.kind, x.id): x.student for x in found.values() if x.detail.startswith("added by hand")
                   and x.student != "account"}
        if entries != before:
            assert self.ledger is not None
            try:
                self.ledger.write(entries)
            except OSError as err:  # the scan's verdict stands; only the memory of it is lost
                self.ledger_problem = f"could not write the sweep's ledger {self.ledger.path}: {err.strerror}"

    # --- deleting ---------------------------------------------------------------------------------

    def delete(self, leftovers: list[Leftover], wait: bool = True, log: Callable[[str], None] = print,
               passes: int = 3) -> list[tuple[Leftover, str]]:
        """Delete in the kinds' order, then scan again (deleting one thing frees another), up to
        ``passes`` times; returns what could not be deleted, with why."""
        failures: list[tuple[Leftover, str]] = []
        todo = leftovers
        for _ in range(passes):
            failures = self._delete_pass(todo, wait, log)
            again = self.find()
            if not again or not (set(_ids(todo)) - set(_ids(again))):  # done, or no progress
                todo = again
                break
            todo = again
        failed = {(x.kind, x.id) for x, _ in failures}
        return failures + [(x, "still there after deletion") for x in todo if (x.kind, x.id) not in failed]

    def _delete_pass(self, leftovers: list[Leftover], wait: bool, log: Callable[[str], None]) -> list[tuple[Leftover, str]]:
        scan = self._scan()
        failures: list[tuple[Leftover, str]] = []
        for kind_name in list(self.rules) + sorted({x.kind for x in leftovers} - set(self.rules)):
            items = [x for x in leftovers if x.kind == kind_name]
            if not items:
                continue
            rule = self.rules.get(kind_name)
            if rule is None:
                failures += [(x, "no deletion rule for this kind: delete it by hand") for x in items]
                continue
            deleted = self._delete_kind(scan, rule, items, failures, log)
            if wait and deleted and rule.remaining:
                failures += self._wait(scan, rule, deleted)
        return failures

    def _delete_kind(self, scan: Scan, rule: SweepRule, items: list[Leftover], failures: list[tuple[Leftover, str]],
                     log: Callable[[str], None]) -> list[Leftover]:
        found = [x.found for x in items if x.found is not None]
        if rule.prepare:
            rule.prepare(scan, found)
        deleted = []
        for item in items:
            assert item.found is not None
            try:
                rule.delete(scan, item.found)
                log(f"deleted {item.kind} {item.id} ({item.student})")
                deleted.append(item)
            except Exception as err:  # noqa: BLE001 - report and go on with the rest
                if is_gone(err):
                    log(f"already gone: {item.kind} {item.id} ({item.student})")
                    self.deleted.append(item)
                else:
                    failures.append((item, str(err).splitlines()[0]))
        self.deleted.extend(deleted)
        return deleted

    def _wait(self, scan: Scan, rule: SweepRule, deleted: list[Leftover]) -> list[tuple[Leftover, str]]:
        """Until AWS has finished deleting them (what comes next depends on it), with backoff."""
        assert rule.remaining is not None
        pending = {x.id: x for x in deleted}
        waited, delay = 0.0, 2.0
        while pending:
            try:
                left = rule.remaining(scan, [x.found for x in pending.values() if x.found is not None])
            except Exception as err:  # noqa: BLE001 - a listing that fails: the next pass's scan tells
                return [(x, f"could not tell whether it is gone: {str(err).splitlines()[0]}") for x in pending.values()]
            pending = {f.id: pending[f.id] for f in left}
            if not pending:
                break
            if waited >= WAIT_LIMIT:
                return [(x, f"still deleting after {waited / 60:.0f} min") for x in pending.values()]
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, 30.0)
        return []


def _ids(items: list[Leftover]) -> list[tuple[str, str]]:
    return [(x.kind, x.id) for x in items]
