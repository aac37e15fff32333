"""Rules AWS enforces (or bills for) that no resource schema can express: the order resources
are created in, what a later ``pulumi up`` would replace, and what keeps costing money. Each rule
is data plus a check over the rendered graph, and cites the AWS documentation it comes from. The
facts a rule needs about each kind (what waits for an internet gateway, which image is looked up as
the newest) are in the kinds' records (``labctl.kinds``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Callable, Iterator

from cloudlabs import content
from cloudlabs.profiles import INSTANCE_SIZES, Profile, ProfileError, load_profile, profile_path
from labctl import kinds
from labctl.kinds.quotas import vcpus  # AWS's instance type data: the one source of vCPUs (the quotas count them too)
from labctl.kinds.capacity import Capacity
from labctl.kinds.shared import EC2_DESCRIPTION, EC2_DESCRIPTION_ALLOWED
from labctl.analysis.findings import Finding
from labctl.offline.graph import Resource, StackGraph


@dataclass(frozen=True)
class DeployRule:
    id: str
    kind: str  # ordering | lifecycle | cost | value
    summary: str
    source: str  # the AWS documentation it comes from
    check_fn: Callable[..., Iterator[Finding]]  # (rule, graph), or (rule, graph, session_end) with at_session_end
    at_session_end: bool = False  # also judges the stack as the book's steps leave it (its labs' last stage)

    def check(self, graph: StackGraph, session_end: StackGraph | None = None) -> list[Finding]:
        """``session_end``: the same stack rendered at its labs' last stage (``labctl.analysis.session_cost``),
        for the rules that judge what the student adds during the session too."""
        if self.at_session_end:
            return list(self.check_fn(self, graph, session_end))
        return list(self.check_fn(self, graph))

    def finding(self, graph: StackGraph, r: Resource, prop: str, value: Any, message: str) -> Finding:
        return Finding(graph.stack, r.name, r.type, prop, value, self.id, f"{message} ({self.source})")


# --- ordering -------------------------------------------------------------------------------------


def _closure(graph: StackGraph, r: Resource) -> set[str]:
    """Every URN ``r`` waits for: its dependencies, theirs, and so on."""
    seen: set[str] = set()
    todo = list(r.dependencies) + [u for urns in r.property_dependencies.values() for u in urns]
    while todo:
        urn = todo.pop()
        if urn in seen:
            continue
        seen.add(urn)
        try:
            other = graph[urn]
        except KeyError:
            continue
        todo.extend(other.dependencies)
        todo.extend(u for urns in other.property_dependencies.values() for u in urns)
    return seen


def _vpc_of_subnets(graph: StackGraph, subnet_ids: list[Any]) -> set[str]:
    vpcs = set()
    for sid in subnet_ids:
        try:
            vpcs.add(str(graph.by_id(str(sid)).inputs.get("vpcId")))
        except KeyError:
            continue
    return vpcs


def _stating(fact: str) -> dict[str, Any]:
    """The kinds whose record states ``fact`` (a field of ``labctl.kinds.Kind``), with its value."""
    return {token: getattr(kind, fact) for token, kind in kinds.KINDS.items() if getattr(kind, fact)}


def _of_kinds(graph: StackGraph, stating: dict[str, Any]) -> list[tuple[Resource, Any]]:
    """The graph's resources of those kinds, in the graph's order, with the fact's value."""
    return [(r, stating[r.type]) for r in graph.resources if r.type in stating]


NEEDS_GATEWAY, GATEWAY_OF = _stating("needs_gateway"), _stating("gateway_of")
INTERNET_ROUTES, TABLE_ASSOCIATIONS = _stating("internet_route"), _stating("table_association")
ROTATING_SECRETS, BOOT_SECRETS = _stating("rotating_secret"), _stating("boot_secrets")
NEWEST_IMAGE, EXTENDED_SUPPORT = _stating("newest_image"), _stating("extended_support")
EC2_DESCRIBED, OPTION_SETTINGS = _stating("ec2_description"), _stating("option_settings")


def _needs_gateway(graph: StackGraph) -> Iterator[tuple[Resource, Any, list[Any]]]:
    for r, needs in _of_kinds(graph, NEEDS_GATEWAY):
        if needs.when(r.inputs):
            named = r.inputs.get(needs.subnets)
            if needs.through:  # an address association's instance: the subnet is the instance's
                try:
                    named = graph.by_id(str(named)).inputs.get(needs.through)
                except KeyError:
                    continue
            yield r, needs, needs.pick(named) if needs.pick else _ids(named)


def _ids(value: Any) -> list[Any]:
    """An input naming subnets: a list (a load balancer's) or one id (a NAT gateway's)."""
    if isinstance(value, list):
        return list(value)
    return [] if value is None else [value]


def _default_routes(graph: StackGraph, subnet: Any, gateway: Resource) -> Iterator[tuple[Resource, Resource]]:
    """The subnet's way to the gateway as the graph shows it: each association of the subnet with a
    route table, and that table's default route (0.0.0.0/0) to the gateway."""
    routes = [(r, fact) for r, fact in _of_kinds(graph, INTERNET_ROUTES)
              if r.inputs.get(fact.destination) == "0.0.0.0/0" and str(r.inputs.get(fact.gateway)) == str(gateway.id)]
    for association, fact in _of_kinds(graph, TABLE_ASSOCIATIONS):
        if str(association.inputs.get(fact.subnet)) != str(subnet):
            continue
        for route, route_fact in routes:
            if str(route.inputs.get(route_fact.table)) == str(association.inputs.get(fact.table)):
                yield route, association


def _check_gateway_order(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    gateways = {str(g.inputs.get(vpc)): g for g, vpc in _of_kinds(graph, GATEWAY_OF)}
    for r, needs, subnets in _needs_gateway(graph):
        prop, waits = needs.subnets, _closure(graph, r)
        for vpc in _vpc_of_subnets(graph, subnets):
            gateway = gateways.get(vpc)
            if gateway is None:
                yield rule.finding(graph, r, prop, subnets, f"its VPC {vpc} has no internet gateway")
            elif gateway.urn not in waits:
                yield rule.finding(graph, r, prop, subnets,
                                   f"is created without waiting for the internet gateway {gateway.name}: AWS refuses it "
                                   "while no gateway is attached to the VPC; add depends_on=[the gateway]")
        if not needs.route:
            continue
        for subnet in subnets:
            try:
                gateway = gateways[str(graph.by_id(str(subnet)).inputs.get("vpcId"))]
            except KeyError:
                continue
            missing = sorted({x.name for route in _default_routes(graph, subnet, gateway) for x in route if x.urn not in waits})
            if missing:
                yield rule.finding(graph, r, prop, subnet,
                                   f"is created without waiting for the default route to the internet gateway "
                                   f"{gateway.name} in subnet {subnet}'s route table: {needs.route}; add "
                                   f"depends_on=[{', '.join(missing)}]")


# --- lifecycle ------------------------------------------------------------------------------------


def _check_ami_replacement(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    for r, (image, prop) in _of_kinds(graph, NEWEST_IMAGE):
        if image in r.inputs and image not in r.ignore_changes:
            yield rule.finding(graph, r, prop, r.inputs[image],
                               f"the {prop} is looked up as the most recent: when a newer one is published, the next "
                               f"`pulumi up` replaces the student's instances (and their work); ignore changes to {image}")


def _check_boot_secrets(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    rotating = {arn: r for r, secrets_of in _of_kinds(graph, ROTATING_SECRETS) for arn in secrets_of(r.inputs, r.outputs)}
    for r, secrets_of in _of_kinds(graph, BOOT_SECRETS):
        for name, arn in secrets_of(r.inputs).items():
            owner = rotating.get(arn)
            if owner is not None:
                yield rule.finding(graph, r, f"environment secret {name}", arn,
                                   f"is the secret {owner.name} keeps and rotates on its own (every 7 days by default), "
                                   "but it is read only when an instance boots: after a rotation the running instances hold "
                                   "a stale value (the page fails) and new ones disagree with them; hand it a secret nothing "
                                   "rotates (a generated password kept in a parameter or secret of the stack's own)")


# --- cost traps -----------------------------------------------------------------------------------

# End of RDS standard support per engine and major version; after it, a running instance is billed
# as RDS Extended Support, or cannot be created when Extended Support is turned off.
END_OF_STANDARD_SUPPORT = {
    ("mysql", "5.7"): date(2024, 2, 29),
    ("mysql", "8.0"): date(2026, 7, 31),
    ("mysql", "8.4"): date(2029, 7, 31),
    ("postgres", "11"): date(2024, 2, 29),
    ("postgres", "12"): date(2025, 2, 28),
    ("postgres", "13"): date(2026, 2, 28),
}
EXTENDED_SUPPORT_OFF = "open-source-rds-extended-support-disabled"


def _major(engine: str, version: str) -> str:
    parts = version.split(".")
    return ".".join(parts[:2]) if engine == "mysql" else parts[0]


def _check_rds_support(rule: DeployRule, graph: StackGraph, today: date | None = None) -> Iterator[Finding]:
    today = today or date.today()
    for r, _ in _of_kinds(graph, EXTENDED_SUPPORT):
        engine, version = str(r.inputs.get("engine", "")), str(r.inputs.get("engineVersion", ""))
        end = END_OF_STANDARD_SUPPORT.get((engine, _major(engine, version)))
        if end is not None and end <= today:
            yield rule.finding(graph, r, "EngineVersion", version,
                               f"{engine} {_major(engine, version)} left RDS standard support on {end.isoformat()}: it is "
                               "billed as Extended Support (per vCPU-hour, on top of the instance), or refused when that is "
                               "off; use a version in standard support")
        if r.inputs.get("engineLifecycleSupport") != EXTENDED_SUPPORT_OFF:
            yield rule.finding(graph, r, "EngineLifecycleSupport", r.inputs.get("engineLifecycleSupport"),
                               f"Extended Support is on unless turned off: set engine_lifecycle_support="
                               f"\"{EXTENDED_SUPPORT_OFF}\" so a forgotten lab database never starts billing for it")


# --- values AWS refuses that the schemas let through --------------------------------------------------


def _check_ec2_descriptions(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    for r, key in _of_kinds(graph, EC2_DESCRIBED):
        text = r.inputs.get(key)
        if isinstance(text, str) and not EC2_DESCRIPTION.fullmatch(text):
            bad = sorted({c for c in text if not EC2_DESCRIPTION.fullmatch(c)})
            yield rule.finding(graph, r, "Description", text,
                               f"EC2 refuses this description ({', '.join(repr(c) for c in bad) or 'too long'}): "
                               f"allowed are {EC2_DESCRIPTION_ALLOWED}")


# Beanstalk's option settings AWS checks when the environment is created or updated (the general
# options reference); the CloudFormation schema types them all as strings.
BEANSTALK_ROOT_VOLUME_GB = {"standard": (8, 1024), "gp2": (10, 16384), "gp3": (10, 16384), "io1": (10, 16384)}
_LAUNCH = "aws:autoscaling:launchconfiguration"


def _check_beanstalk_options(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    for r, key in _of_kinds(graph, OPTION_SETTINGS):
        settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in r.inputs.get(key) or []}
        size = settings.get((_LAUNCH, "RootVolumeSize"))
        kind = str(settings.get((_LAUNCH, "RootVolumeType")) or "gp3")
        if size is None or kind not in BEANSTALK_ROOT_VOLUME_GB:
            continue
        low, high = BEANSTALK_ROOT_VOLUME_GB[kind]
        if not str(size).isdigit() or not low <= int(size) <= high:
            yield rule.finding(graph, r, f"OptionSettings {_LAUNCH} RootVolumeSize", size,
                               f"Beanstalk refuses a {kind} root volume of {size} GB: {low} to {high} GB")


# --- the account's limits (a profile's ``limits``) --------------------------------------------------------

CAPACITY = _stating("capacity")
TOTALS = ("running instances", "vCPUs")  # the findings about the stack's sum, not one resource's value


def _size(instance_type: str) -> str:
    return instance_type.split(".")[-1]


def _profile(graph: StackGraph) -> Profile | None:
    """The stack's guardrail profile (None for a graph that names none)."""
    name = graph.settings.get("profile")
    try:
        return load_profile(str(name)) if name else None
    except ProfileError:  # the settings were parsed with this profile: only an old graph names another
        return None


def judges_session_end(graph: StackGraph) -> bool:
    """Whether the stack's profile has anything to hold the session's additions to (limits, no roles)."""
    profile = _profile(graph)
    return profile is not None and (profile.limits is not None or not profile.iam.create_roles)


def _used(graph: StackGraph) -> list[tuple[Resource, Capacity]]:
    return [(r, capacity(r, graph)) for r, capacity in _of_kinds(graph, CAPACITY)]


def _limit_findings(rule: DeployRule, graph: StackGraph, profile: Profile) -> Iterator[Finding]:
    file = profile_path(profile.name).name
    used = _used(graph)
    if not profile.iam.create_roles:
        for r, c in used:
            if c.role:
                yield rule.finding(graph, r, "", r.name,
                                   f"the account cannot create IAM roles (profile {profile.name}, {file} iam.createRoles: "
                                   f"false): use {profile.iam.service_role or 'its own role'}")
    limits = profile.limits
    if limits is None:
        return
    where = f"profile {profile.name}, {file} limits"
    launched = [(r, c.launches) for r, c in used if c.launches is not None and c.launches.count > 0]
    biggest = INSTANCE_SIZES.index(limits.largest_instance_size)
    cores: list[tuple[Resource, int, str]] = []  # (resource, vCPUs at its maximum, how)
    for r, launch in launched:
        # a type AWS does not have is the schemas' finding (cfn-lint E3628), not counted here
        known = [(t, cpus) for t in launch.instance_types if (cpus := vcpus(t)) is not None]
        for itype, _ in known:
            if _size(itype) not in INSTANCE_SIZES or INSTANCE_SIZES.index(_size(itype)) > biggest:
                yield rule.finding(graph, r, "instance type", itype,
                                   f"{itype} is larger than the account allows: sizes up to {limits.largest_instance_size} "
                                   f"({where}.largestInstanceSize)")
        counted = [cpus for _, cpus in known]
        if counted:
            cores.append((r, launch.count * max(counted), f"{launch.count} x {max(counted)}"))
    total = sum(launch.count for _, launch in launched)
    if total > limits.running_instances:
        top = max(launched, key=lambda item: item[1].count)
        parts = ", ".join(f"{r.name} {launch.count} ({launch.prop})" for r, launch in launched)
        yield rule.finding(graph, top[0], "running instances", total,
                           f"{total} EC2 instances at once ({parts}); the account runs at most {limits.running_instances} "
                           f"({where}.runningInstances)")
    cpu_total = sum(n for _, n, _ in cores)
    if cpu_total > limits.vcpus:
        top_cpu = max(cores, key=lambda item: item[1])
        parts = ", ".join(f"{r.name} {how}" for r, _, how in cores)
        yield rule.finding(graph, top_cpu[0], "vCPUs", cpu_total,
                           f"{cpu_total} vCPUs at once ({parts}); the account allows at most {limits.vcpus} ({where}.vcpus)")
    for r, c in used:
        for v in c.volumes:
            if v.gib > limits.ebs_volume_gb:
                yield rule.finding(graph, r, v.prop, v.gib, f"a {v.gib} GB EBS volume; the account's volumes are at most "
                                                             f"{limits.ebs_volume_gb} GB ({where}.ebsVolumeGb)")
        if c.database is not None:
            if c.database.instance_class not in limits.rds_instance_classes:
                yield rule.finding(graph, r, "instanceClass", c.database.instance_class,
                                   f"the account's databases are {', '.join(limits.rds_instance_classes)} "
                                   f"({where}.rdsInstanceClasses)")
            if c.database.storage_gib > limits.rds_storage_gb:
                yield rule.finding(graph, r, c.database.storage_prop, c.database.storage_gib,
                                   f"{c.database.storage_gib} GB of database storage; the account allows at most "
                                   f"{limits.rds_storage_gb} GB ({where}.rdsStorageGb)")


def _check_account_limits(rule: DeployRule, graph: StackGraph, session_end: StackGraph | None = None) -> Iterator[Finding]:
    """The stack as deployed, then as the book's steps leave it during the session: what only the
    session adds (an instance a later stage has, a larger total) is reported once, saying so."""
    profile = _profile(graph)
    if profile is None:
        return
    now = list(_limit_findings(rule, graph, profile))
    yield from now
    if session_end is None:
        return
    seen = {f.property if f.property in TOTALS else (f.resource, f.property, json.dumps(f.value)) for f in now}
    for f in _limit_findings(rule, session_end, profile):
        if (f.property if f.property in TOTALS else (f.resource, f.property, json.dumps(f.value))) not in seen:
            yield replace(f, stack=graph.stack, message="during the session, once the book's steps are done (the labs' "
                                                       f"last stage): {f.message}")
TAG_MUTABILITY, PUSHES_IMAGE = _stating("tag_mutability"), _stating("pushes_image")
_HEX = re.compile(r"[0-9a-f]{7,}")


def _from_the_context(tag: str, context: str) -> bool:
    """The tag carries a digest of the build context (its files with their modes, as Docker sends them;
    seven hex digits or more): a changed context is a new tag. A context that cannot be read is no source."""
    try:
        whole = content.digest(content.project_path(context), modes=True)
    except (OSError, ValueError):
        return False
    return any(whole.startswith(run) for run in _HEX.findall(tag))


def _check_immutable_tags(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    repositories = [(str(r.outputs.get(fact.url)), r, fact) for r, fact in _of_kinds(graph, TAG_MUTABILITY)
                    if r.outputs.get(fact.url)]
    for image, pushed in _of_kinds(graph, PUSHES_IMAGE):
        name = image.inputs.get(pushed.name)
        if image.inputs.get(pushed.skip_push) is True or not isinstance(name, str):
            continue
        for url, repository, fact in repositories:
            if not name.startswith(f"{url}:"):
                continue
            tag = name[len(url) + 1:]
            context = str((image.inputs.get(pushed.context) or {}).get(pushed.context_key, ""))
            if fact.immutable(repository.inputs, tag) and not _from_the_context(tag, context):
                yield rule.finding(graph, image, pushed.name, name,
                                   f"the tag {tag!r} is immutable in the repository {repository.name} and does not follow "
                                   f"the build context {context!r}: the first `pulumi up` after any change to the context "
                                   f"fails (\"tag {tag} already exists\"); put a digest of the context in the tag, or "
                                   "exclude the tag from immutability")


DEPLOY_RULES: tuple[DeployRule, ...] = (
    DeployRule("CL-ORDER-IGW", "ordering", "what needs the internet gateway waits for it: internet-facing load balancers, public "
               "NAT gateways, Elastic IP associations, and what services create for you (a Beanstalk environment's public "
               "instances and load balancer), which also wait for the default route to it in their subnets' route tables",
               "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html, "
               "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html, "
               "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html, "
               "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/vpc.html",
               _check_gateway_order),
    DeployRule("CL-LIFECYCLE-AMI", "lifecycle", "instances keep their image (an AMI, a Beanstalk platform) when a newer one "
               "is published", "https://www.pulumi.com/registry/packages/aws/api-docs/ec2/instance/ (ami: replacement on change), "
               "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.platform.upgrade.html",
               _check_ami_replacement),
    DeployRule("CL-LIFECYCLE-ROTATING-SECRET", "lifecycle", "secrets read only when an instance boots (Beanstalk's environment "
               "secrets) are not ones AWS rotates on its own (RDS's managed master user secret)",
               "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-secrets-manager.html, "
               "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/AWSHowTo.secrets.env-vars.html",
               _check_boot_secrets),
    DeployRule("CL-COST-RDS-SUPPORT", "cost", "databases run a version in standard support, with Extended Support off",
               "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/extended-support.html",
               _check_rds_support),
    DeployRule("CL-VALUE-EC2-DESCRIPTION", "value", "security group rule descriptions use only the characters EC2 accepts",
               "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html",
               _check_ec2_descriptions),
    DeployRule("CL-VALUE-BEANSTALK-OPTIONS", "value", "Beanstalk option settings within the ranges AWS documents",
               "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/command-options-general.html"
               "#command-options-general-autoscalinglaunchconfiguration",
               _check_beanstalk_options),
    DeployRule("CL-LIMIT-ACCOUNT", "limit", "stacks fit the account's limits their profile states (instances at once, vCPUs, "
               "instance sizes, EBS volume and database sizes, database classes, IAM roles), counting Auto Scaling and "
               "Beanstalk at their maximum and what the book's steps add during the session",
               "the AWS Academy Learner Lab student guide, Learner Lab - Foundational Services: service restrictions",
               _check_account_limits, at_session_end=True),
    DeployRule("CL-VALUE-ECR-IMMUTABLE-TAG", "value", "an image pushed to an immutable tag of the stack's repository carries "
               "a digest of its build context", "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
               _check_immutable_tags),
)
