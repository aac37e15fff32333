"""Bucket access, evaluated from the policies a graph's buckets carry: would this requester get
the object (anonymous from the internet, from the admin CIDR, through the lab's VPC endpoint)?

A deliberately small model of S3's decision, for the policies the course writes: Allow and Deny
statements for the public principal on ``s3:GetObject``, with resource patterns (case matters:
``*.JPG`` is not ``*.jpg``) and the ``aws:SourceIp`` and ``aws:SourceVpce`` conditions. Block
Public Access's RestrictPublicBuckets ignores statements that are public (no such condition).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from ipaddress import IPv4Network, ip_network
from typing import Any

from cloudlabs.access import AccessExpect, CorsAllows, CorsAllowsHost, ObjectRead
from cloudlabs.catalog import LABS

from labctl import kinds
from labctl.analysis.reach import INTERNET_V4, name_of
from labctl.offline.graph import Resource, StackGraph


def _playing(role: str) -> frozenset[str]:
    """The types whose records give them ``role`` in this model (``access_role``)."""
    return frozenset(t for t, k in kinds.KINDS.items() if k.access_role == role)


BUCKETS, ENDPOINTS, HOSTS = _playing("bucket"), _playing("endpoint"), _playing("host")


def _of(graph: StackGraph, types: frozenset[str]) -> list[Resource]:
    return [r for r in graph.resources if r.type in types]


@dataclass(frozen=True)
class AccessVerdict:
    allowed: bool
    reason: str | None = None  # why not, when denied


@dataclass
class AccessResult:
    """Shaped like a path result (lab, stage, expect, verdict, passed) so grades list both."""

    stack: str
    lab: str
    stage: str
    expect: AccessExpect
    verdict: AccessVerdict

    @property
    def passed(self) -> bool:
        return self.verdict.allowed == self.expect.allowed


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _public(principal: Any) -> bool:
    return principal == "*" or (isinstance(principal, dict) and "*" in _list(principal.get("AWS")))


def _condition_holds(condition: dict[str, Any], requester: str, admin_cidr: str | None, endpoints: set[str]) -> bool:
    for operator, tests in condition.items():
        for key, values in tests.items():
            if operator == "IpAddress" and key == "aws:SourceIp":
                if requester == "endpoint":  # through a gateway endpoint the source is a private address
                    return False
                source = IPv4Network(admin_cidr if requester == "admin" and admin_cidr else str(INTERNET_V4))
                ranges = [IPv4Network(v) for v in _list(values) if ip_network(v).version == 4]
                if not any(source.subnet_of(r) for r in ranges):
                    return False
            elif operator == "StringEquals" and key == "aws:SourceVpce":
                if requester != "endpoint" or not endpoints & set(_list(values)):
                    return False
            else:
                return False  # a condition this model does not know is not assumed to hold
    return True


def can_read(bucket: Resource, key: str, requester: str, admin_cidr: str | None, endpoints: set[str]) -> AccessVerdict:
    name = bucket.inputs.get("bucket", bucket.id)
    policy = bucket.outputs.get("policy")
    if not policy:
        return AccessVerdict(False, f"bucket {name} has no bucket policy: only its owner reads it")
    block = bucket.outputs.get("publicAccessBlock") or {}
    arn = f"arn:aws:s3:::{name}/{key}"
    allowed, ignored = False, False
    for statement in _list(policy.get("Statement", [])):
        if not _public(statement.get("Principal")):
            continue
        if not any(fnmatchcase("s3:GetObject", a) for a in _list(statement.get("Action", []))):
            continue
        if not any(fnmatchcase(arn, r) for r in _list(statement.get("Resource", []))):
            continue
        condition = statement.get("Condition") or {}
        if not _condition_holds(condition, requester, admin_cidr, endpoints):
            continue
        if statement.get("Effect") == "Deny":
            return AccessVerdict(False, f"bucket {name}'s policy denies it (statement {statement.get('Sid', '?')})")
        if not condition and block.get("RestrictPublicBuckets"):
            ignored = True  # a public statement; Block Public Access ignores it
            continue
        allowed = True
    if allowed:
        return AccessVerdict(True)
    if ignored:
        return AccessVerdict(False, f"bucket {name}'s Block Public Access (RestrictPublicBuckets) ignores its public policy")
    return AccessVerdict(False, f"no statement of bucket {name}'s policy lets {requester} read {key}")


def _by_purpose(graph: StackGraph, cohort: str, student: str) -> dict[str, Resource]:
    prefix = f"{cohort}-{student}-"
    found = {}
    for bucket in _of(graph, BUCKETS):
        name = str(bucket.inputs.get("bucket", ""))
        if name.startswith(prefix):
            found[name[len(prefix):].rsplit("-", 1)[0]] = bucket  # <purpose>-<account id>
    return found


def check_access(graph: StackGraph) -> list[AccessResult]:
    """Every lab's access expectations for its stage, on the buckets the graph holds."""
    settings = graph.settings
    buckets = _by_purpose(graph, settings.get("cohort", ""), settings.get("student", ""))
    endpoints = {r.id for r in _of(graph, ENDPOINTS) if r.id}
    hosts = {name_of(i, graph.settings.get("student")): i.outputs.get("publicIp") for i in _of(graph, HOSTS)}
    results = []
    for selection in settings.get("labs", []):
        lab = LABS[selection["lab"]]
        if lab.access is None:
            continue
        options = lab.options.model_validate(selection.get("options") or {})
        for expect in lab.access(selection["stage"], options):
            results.append(AccessResult(graph.stack, lab.key, selection["stage"], expect,
                                        _verdict(expect, buckets, settings.get("adminCidr"), endpoints, settings,
                                                 hosts)))
    return results


def _verdict(expect: AccessExpect, buckets: dict[str, Resource], admin_cidr: str | None, endpoints: set[str],
             settings: dict[str, Any], hosts: dict[str, Any] | None = None) -> AccessVerdict:
    bucket = buckets.get(expect.purpose)
    if bucket is None:
        return AccessVerdict(False, f"no {expect.purpose} bucket of this student")
    if isinstance(expect, ObjectRead):
        return can_read(bucket, expect.key, expect.requester, admin_cidr, endpoints)
    if isinstance(expect, CorsAllowsHost):
        return _cors_host(expect, bucket, hosts or {})
    return _cors(expect, bucket, buckets, settings)


def _allows_origin(bucket: Resource, origin: str) -> bool:
    return any("GET" in rule.get("AllowedMethods", []) and any(o in ("*", origin) for o in rule.get("AllowedOrigins", []))
               for rule in bucket.outputs.get("corsRules") or [])


def _cors_host(expect: CorsAllowsHost, bucket: Resource, hosts: dict[str, Any]) -> AccessVerdict:
    """The web server's page is the origin: ``http://<its public IP>`` (the address it is browsed at)."""
    address = hosts.get(expect.host)
    if not address:
        return AccessVerdict(False, f"no running {expect.host} instance with a public IP: no origin to allow")
    origin = f"http://{address}"
    if _allows_origin(bucket, origin):
        return AccessVerdict(True)
    return AccessVerdict(False, f"bucket {bucket.inputs.get('bucket')} has no CORS rule allowing GET from {origin}")


def _cors(expect: CorsAllows, bucket: Resource, buckets: dict[str, Resource], settings: dict[str, Any]) -> AccessVerdict:
    site = buckets.get(expect.origin_of)
    if site is None:
        return AccessVerdict(False, f"no {expect.origin_of} bucket of this student")
    origin = f"http://{site.inputs.get('bucket')}.s3-website-{settings.get('region', 'us-east-1')}.amazonaws.com"
    for rule in bucket.outputs.get("corsRules") or []:
        if "GET" in rule.get("AllowedMethods", []) and any(o in ("*", origin) for o in rule.get("AllowedOrigins", [])):
            return AccessVerdict(True)
    return AccessVerdict(False, f"bucket {bucket.inputs.get('bucket')} has no CORS rule allowing GET from {origin}")
