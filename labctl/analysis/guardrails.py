"""The course's guardrails as policies: plain functions the CrossGuard pack (``policy/__main__.py``) and
``labctl validate``/``plan`` (``violations``: every rendered graph) run alike.

The rules are the ones the project already holds, gathered: the guardrail profile's regions, instance
types, IAM and account limits (``profiles/*.yaml``; the sums are deploy rule CL-LIMIT-ACCOUNT's own
check), and the secure defaults of the components (SSH/RDP only from the admin range, IMDSv2, encrypted
volumes and databases, no public database, Block Public Access, the course's tags). A lab that departs from
a default for the book's lesson marks the resource with the exception (``cloudlabs.exposure.EXCEPTIONS``);
the policy accepts exactly that exception there, and says so.

A policy reads a resource as Pulumi passes it to a pack in a preview: its type token and its inputs
(camelCase), with the per-type facts from the kinds' records (``guard``, ``capacity``, ``untagged``).
Nothing here imports ``pulumi_policy``: its ``PolicyPack`` starts a server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from ipaddress import ip_network
from typing import Any, Callable, Mapping, Sequence

from cloudlabs import exposure
from cloudlabs.profiles import IamRules, Profile, ProfileError, load_profile, profile_names
from cloudlabs.tags import COHORT_TAG, EXPIRES_TAG, LAB_TAG, STUDENT_TAG
from labctl import kinds
from labctl.analysis import deployrules
from labctl.analysis.findings import Finding
from labctl.kinds import guards
from labctl.offline.graph import Resource, StackGraph

MANDATORY, ADVISORY = "mandatory", "advisory"
REQUIRED_TAGS = (STUDENT_TAG, COHORT_TAG, LAB_TAG, EXPIRES_TAG)


@dataclass(frozen=True)
class Context:
    """What a policy knows besides the resource: the stack's profile and region (offline: the graph's
    settings; in the pack: its config and the AWS provider's region)."""

    profile: Profile | None = None
    region: str = ""

    @classmethod
    def of(cls, profile: str | None, region: str | None = None) -> "Context":
        try:
            return cls(load_profile(profile) if profile else None, region or "")
        except ProfileError:
            return cls(None, region or "")


@dataclass(frozen=True)
class Verdict:
    """A policy's word on one resource: a violation, or (``exception`` set) a departure the book's lesson
    takes, allowed because the resource carries its mark."""

    message: str
    exception: str = ""
    urn: str = ""  # for stack policies: the resource it is about ("" for the stack)


@dataclass(frozen=True)
class Subject:
    """A resource as a stack policy sees it (a rendered resource, or a pack's PolicyResource)."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)


ResourceCheck = Callable[[str, Mapping[str, Any], Context], list[Verdict]]
StackCheck = Callable[[Sequence[Subject], Context], list[Verdict]]


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    level: str  # mandatory | advisory
    validate: ResourceCheck | None = None  # (resource type, props, context): per resource...
    validate_stack: StackCheck | None = None  # ...or over the whole stack (a sum, a link between resources)
    offline_by: str = ""  # the deploy rule that already reports the same findings offline (validate skips the policy)


# --- reading props ---------------------------------------------------------------------------------


def _values(props: Any, path: str) -> list[tuple[str, Any]]:
    """The values at a dotted path ("a[].b": b of every item of a), with where; a missing one is None."""
    found: list[tuple[str, Any]] = [("", props)]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part[:-2] if many else part
        nxt: list[tuple[str, Any]] = []
        for where, node in found:
            value = node.get(key) if isinstance(node, Mapping) else None
            here = f"{where}.{key}" if where else key
            if many:
                nxt += [(f"{here}[{i}]", item) for i, item in enumerate(value or [])]
            else:
                nxt.append((here, value))
        found = nxt
    return found


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def _tags(props: Mapping[str, Any]) -> dict[str, Any]:
    tags = props.get("tags") or {}
    if isinstance(tags, list):  # Auto Scaling groups: [{key, value, propagateAtLaunch}]
        return {str(t.get("key")): t.get("value") for t in tags if isinstance(t, Mapping)}
    return dict(tags) if isinstance(tags, Mapping) else {}


def _exception(props: Mapping[str, Any], name: str) -> str:
    """The exception's text when the resource carries its mark, else ""."""
    return exposure.EXCEPTIONS[name] if _tags(props).get(exposure.EXCEPTION_TAG) == name else ""


def _guard(resource_type: str) -> guards.Guard | None:
    record = kinds.kind(resource_type)
    return record.guard if record else None


def _options(resource_type: str, props: Mapping[str, Any]) -> dict[tuple[str, str], Any]:
    record = kinds.kind(resource_type)
    return {(str(s.get("namespace")), str(s.get("name"))): s.get("value")
            for s in (props.get(record.option_settings) if record and record.option_settings else None) or []
            if isinstance(s, Mapping)}


class _Alone:
    """The graph a resource-level policy has: the resource alone (a launch template by id is not there)."""

    def by_id(self, resource_id: str) -> Any:
        raise KeyError(resource_id)


@dataclass
class _Props:
    inputs: dict[str, Any]


def _capacity(resource_type: str, props: Mapping[str, Any]) -> Any:
    record = kinds.kind(resource_type)
    return record.capacity(_Props(dict(props)), _Alone()) if record and record.capacity else None


# --- the policies ----------------------------------------------------------------------------------


def _admin_open_to_world(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    guard = _guard(resource_type)
    if guard is None or not guard.ingress:
        return []
    protocol = str(props.get("ipProtocol", ""))
    low, high = props.get("fromPort"), props.get("toPort")
    admin = protocol == "-1" or (protocol in ("tcp", "6") and isinstance(low, int) and isinstance(high, int)
                                  and any(low <= p <= high for p in exposure.ADMIN_PORTS))
    out: list[Verdict] = []
    for key in ("cidrIpv4", "cidrIpv6"):
        try:
            network = ip_network(str(props[key]), strict=False) if props.get(key) else None
        except ValueError:
            continue  # not known yet in a preview, or AWS's schemas' finding
        if not admin or network is None or not exposure.is_wide_open(network):
            continue
        what = "all traffic" if protocol == "-1" else f"port {low}" if low == high else f"ports {low}-{high}"
        message = f"{key} {network} opens {what} (SSH/RDP) to {exposure.describe(network)}"
        allowed = _exception(props, exposure.OPEN_ADMIN_CIDR)
        out.append(Verdict(message + (f"; allowed: {exposure.OPEN_ADMIN_CIDR}: {allowed}" if allowed else
                                      f"; only the admin CIDR may reach SSH and RDP ({exposure.WIDE_OPEN_TEXT})"),
                           exposure.OPEN_ADMIN_CIDR if allowed else ""))
    return out


def _imdsv2(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    guard = _guard(resource_type)
    if guard is None:
        return []
    if guard.imds:
        tokens = (props.get(guard.imds) or {}).get("httpTokens")
        return [] if tokens == "required" else [Verdict(f"{guard.imds}.httpTokens is {tokens!r}: IMDSv2 must be required "
                                                        "(httpTokens: required)")]
    if guard.beanstalk_options:
        value = _options(resource_type, props).get(guards.BEANSTALK_IMDS)
        return [] if _true(value) else [Verdict(f"option {' '.join(guards.BEANSTALK_IMDS)} is {value!r}: IMDSv1 must be "
                                                "disabled (true)")]
    return []


def _encrypted(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    guard = _guard(resource_type)
    if guard is None:
        return []
    return [Verdict(f"{where} is {value!r}: storage must be encrypted (true)")
            for path in guard.encrypted for where, value in _values(props, path) if not _true(value)]


def _database_not_public(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    guard = _guard(resource_type)
    if guard is None or not guard.not_public or not _true(props.get(guard.not_public)):
        return []
    return [Verdict(f"{guard.not_public} is true: databases are reached from the lab's hosts, never from the internet")]


def _bucket_public_access(resources: Sequence[Subject], ctx: Context) -> list[Verdict]:
    by_urn = {s.urn: s for s in resources}
    out: list[Verdict] = []
    for s in resources:
        guard = _guard(s.type)
        if guard is None or not guard.blocks_public:
            continue
        off = [flag for flag in guard.blocks_public if not _true(s.props.get(flag))]
        if not off:
            continue
        buckets = [by_urn[u] for u in s.property_dependencies.get(guard.blocks_for, ()) if u in by_urn]
        allowed = next((text for b in buckets if (text := _exception(b.props, exposure.PUBLIC_BUCKET))), "")
        message = f"{', '.join(off)} false: Block Public Access is lifted"
        out.append(Verdict(message + (f"; allowed: {exposure.PUBLIC_BUCKET}: {allowed}" if allowed else
                                      f"; only a bucket marked {exposure.EXCEPTION_TAG}: {exposure.PUBLIC_BUCKET} "
                                      "(a lab about public access) may lift it"),
                           exposure.PUBLIC_BUCKET if allowed else "", s.urn))
    return out


def _tagged(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    record = kinds.kind(resource_type)
    if record is None or record.untagged or not resource_type.startswith("aws:"):
        return []  # a type without a record is the kinds' test's finding; other providers' resources take no AWS tags
    missing = [k for k in REQUIRED_TAGS if not _tags(props).get(k)]
    return [Verdict(f"tags lack {', '.join(missing)}: the sweep, expiry and grading find a student's resources by them")] \
        if missing else []


def _allowed_region(resources: Sequence[Subject], ctx: Context) -> list[Verdict]:
    p = ctx.profile
    if p is None or not ctx.region or ctx.region in p.regions:
        return []
    return [Verdict(f"region {ctx.region} is not one the profile {p.name} allows ({', '.join(p.regions)})")]


def _instance_types(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    p = ctx.profile
    if p is None:
        return []
    guard = _guard(resource_type)
    c = _capacity(resource_type, props)
    types = list(c.launches.instance_types) if c is not None and c.launches is not None else []
    if guard is not None and guard.instance_type and props.get(guard.instance_type):
        types.append(str(props[guard.instance_type]))
    out = [Verdict(f"instance type {t} is not one the profile {p.name} allows ({', '.join(p.instance_types)})")
           for t in dict.fromkeys(types) if t not in p.instance_types]
    if c is not None and c.database is not None and p.limits is not None \
            and c.database.instance_class not in p.limits.rds_instance_classes:
        out.append(Verdict(f"database class {c.database.instance_class} is not one the profile {p.name} allows "
                           f"({', '.join(p.limits.rds_instance_classes)})"))
    return out


def _iam(resource_type: str, props: Mapping[str, Any], ctx: Context) -> list[Verdict]:
    p = ctx.profile
    if p is None or p.iam.create_roles:
        return []
    c = _capacity(resource_type, props)
    if c is not None and c.role:
        return [Verdict(f"the account cannot create IAM roles (profile {p.name}: iam.createRoles false): use "
                        f"{p.iam.service_role or 'its own role'}")]
    guard = _guard(resource_type)
    named: list[tuple[str, Any, str | None]] = []
    if guard is not None and guard.instance_profile:
        named += [(where, value, p.iam.instance_profile) for where, value in _values(props, guard.instance_profile)
                  if value is not None]
    if guard is not None and guard.beanstalk_options:
        options = _options(resource_type, props)
        named += [(" ".join(key), options[key], wanted) for key, wanted in (
            (guards.BEANSTALK_INSTANCE_PROFILE, p.iam.instance_profile), (guards.BEANSTALK_SERVICE_ROLE, p.iam.service_role))
            if key in options]
    return [Verdict(f"{where} is {value!r}: the account has only {wanted} (profile {p.name})")
            for where, value, wanted in named if wanted and str(value) != wanted]


def _account_limits(resources: Sequence[Subject], ctx: Context) -> list[Verdict]:
    """Deploy rule CL-LIMIT-ACCOUNT's own check over the stack (roles are cloudlabs-iam's)."""
    p = ctx.profile
    if p is None or p.limits is None:
        return []
    graph = StackGraph("", "", {}, {}, [Resource(s.urn, s.type, s.name, None, True, None, dict(s.props))
                                         for s in resources])
    without_roles = p.model_copy(update={"iam": IamRules(create_roles=True)})
    return [Verdict(f"{f.property}: {json.dumps(f.value, default=str)}: {f.message}", urn=_urn_of(resources, f.resource))
            for f in deployrules._limit_findings(_LIMIT_RULE, graph, without_roles)]


_LIMIT_RULE = next(r for r in deployrules.DEPLOY_RULES if r.id == "CL-LIMIT-ACCOUNT")


def _urn_of(resources: Sequence[Subject], name: str) -> str:
    return next((s.urn for s in resources if s.name == name), "")


POLICIES: tuple[Policy, ...] = (
    Policy("cloudlabs-ssh-not-open-to-world", "SSH, RDP (and all traffic) come in only from the admin CIDR, not a wide "
           "internet range, unless the stack's settings open them on purpose (exception open-admin-cidr)", MANDATORY,
           validate=_admin_open_to_world),
    Policy("cloudlabs-imdsv2-required", "instances, launch templates and Beanstalk environments require IMDSv2", MANDATORY,
           validate=_imdsv2),
    Policy("cloudlabs-storage-encrypted", "EBS volumes (roots, extras, launch templates') and databases are encrypted",
           MANDATORY, validate=_encrypted),
    Policy("cloudlabs-database-not-public", "no database is publicly accessible", MANDATORY, validate=_database_not_public),
    Policy("cloudlabs-bucket-public-access-blocked", "Block Public Access stays on, except on a bucket a lab about public "
           "access marks (exception public-bucket)", MANDATORY, validate_stack=_bucket_public_access),
    Policy("cloudlabs-allowed-region", "the stack runs in a region its profile allows", MANDATORY,
           validate_stack=_allowed_region),
    Policy("cloudlabs-allowed-instance-types", "instances, launch templates, Beanstalk's option settings and databases use "
           "the instance types and classes the profile allows", MANDATORY, validate=_instance_types),
    Policy("cloudlabs-iam", "where the profile allows no roles (iam.createRoles: false): no IAM role of the stack's own, "
           "and only the account's instance profile and service role", MANDATORY, validate=_iam),
    Policy("cloudlabs-account-limits", "the stack fits the account's limits its profile states (instances at once, vCPUs, "
           "sizes, volumes, database storage): deploy rule CL-LIMIT-ACCOUNT's check", MANDATORY,
           validate_stack=_account_limits, offline_by=_LIMIT_RULE.id),
    Policy("cloudlabs-course-tags", f"AWS resources that take tags carry {', '.join(REQUIRED_TAGS)}", ADVISORY,
           validate=_tagged),
)


def evaluate(policy: Policy, subjects: Sequence[Subject], ctx: Context) -> list[tuple[Subject | None, Verdict]]:
    """A policy's verdicts over a stack's resources: (resource, verdict); the resource None for the stack."""
    by_urn = {s.urn: s for s in subjects}
    if policy.validate is not None:
        return [(s, v) for s in subjects for v in policy.validate(s.type, s.props, ctx)]
    assert policy.validate_stack is not None
    return [(by_urn.get(v.urn), v) for v in policy.validate_stack(subjects, ctx)]


# --- the offline adapter ---------------------------------------------------------------------------


@dataclass
class StackPolicies:
    stack: str
    violations: list[Finding] = field(default_factory=list)  # error: mandatory, warning: advisory
    exceptions: list[Finding] = field(default_factory=list)  # departures allowed by a book exception's mark


def check_graph(graph: StackGraph) -> StackPolicies:
    """Every policy over one rendered graph: its violations (as findings, rule = the policy's name) and the
    book exceptions it allowed. This is the function that gives the policy violations per stack."""
    ctx = Context.of(graph.settings.get("profile"), graph.settings.get("region"))
    subjects = [Subject(r.urn, r.type, r.name, r.inputs, r.property_dependencies) for r in graph.custom_resources]
    result = StackPolicies(graph.stack)
    for policy in POLICIES:
        if policy.offline_by:  # its findings are that deploy rule's, which validate runs (with the session's end)
            continue
        for subject, verdict in evaluate(policy, subjects, ctx):
            finding = Finding(graph.stack, subject.name if subject else "(stack)", subject.type if subject else "", "",
                              None, policy.name, verdict.message, "error" if policy.level == MANDATORY else "warning")
            (result.exceptions if verdict.exception else result.violations).append(
                replace(finding, level="info") if verdict.exception else finding)
    return result


def violations(graph: StackGraph) -> list[Finding]:
    return check_graph(graph).violations


# --- the pack's configuration ----------------------------------------------------------------------

CONFIG_PROPERTIES: dict[str, dict[str, Any]] = {
    "profile": {"type": "string", "enum": profile_names(), "default": "learner-lab",
                "description": "the stack's guardrail profile (cloudlabs:profile)"},
    "region": {"type": "string", "description": "the stack's region (aws:region) when the AWS provider does not say"},
}


def pack_config(stack_config: Mapping[str, Any]) -> dict[str, Any]:
    """The pack's --policy-pack-config for one stack, from its settings file's config (scripts/preview-all)."""
    values = {"profile": str(stack_config.get("cloudlabs:profile") or "learner-lab"),
              "region": str(stack_config.get("aws:region") or "")}
    return {p.name: dict(values) for p in POLICIES}


def policy_table() -> list[tuple[str, str, str]]:
    """(name, level, what it checks) for the documentation (docs/explanation/layers-of-truth.md)."""
    return [(p.name, p.level, p.description) for p in POLICIES]


def _main(argv: Sequence[str]) -> int:
    import sys

    import yaml
    if len(argv) != 1:
        print("usage: python -m labctl.analysis.guardrails environments/Pulumi.<stack>.yaml", file=sys.stderr)
        return 2
    try:
        with open(argv[0], encoding="utf-8") as f:
            data = yaml.safe_load(f) or {}
    except (OSError, yaml.YAMLError) as err:
        print(f"{argv[0]}: {err}", file=sys.stderr)
        return 2
    print(json.dumps(pack_config((data.get("config") or {}) if isinstance(data, dict) else {}), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    import sys
    raise SystemExit(_main(sys.argv[1:]))
