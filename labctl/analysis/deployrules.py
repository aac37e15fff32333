"""Rules AWS enforces (or bills for) that no resource schema can express: the order resources
are created in, what a later ``pulumi up`` would replace, and what keeps costing money. Each rule
is data plus a check over the rendered graph, and cites the AWS documentation it comes from. The
facts a rule needs about each kind (what waits for an internet gateway, which image is looked up as
the newest) are in the kinds' records (``labctl.kinds``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterator

from cloudlabs import content
from labctl import kinds
from labctl.kinds.shared import EC2_DESCRIPTION, EC2_DESCRIPTION_ALLOWED
from labctl.analysis.findings import Finding
from labctl.offline.graph import Resource, StackGraph


@dataclass(frozen=True)
class DeployRule:
    id: str
    kind: str  # ordering | lifecycle | cost | value
    summary: str
    source: str  # the AWS documentation it comes from
    check_fn: Callable[["DeployRule", StackGraph], Iterator[Finding]]

    def check(self, graph: StackGraph) -> list[Finding]:
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
NEWEST_IMAGE, EXTENDED_SUPPORT = _stating("newest_image"), _stating("extended_support")
EC2_DESCRIBED, OPTION_SETTINGS = _stating("ec2_description"), _stating("option_settings")


def _needs_gateway(graph: StackGraph) -> Iterator[tuple[Resource, str, list[Any]]]:
    for r, needs in _of_kinds(graph, NEEDS_GATEWAY):
        if needs.when(r.inputs):
            named = r.inputs.get(needs.subnets)
            if needs.through:  # an address association's instance: the subnet is the instance's
                try:
                    named = graph.by_id(str(named)).inputs.get(needs.through)
                except KeyError:
                    continue
            yield r, needs.subnets, _ids(named)


def _ids(value: Any) -> list[Any]:
    """An input naming subnets: a list (a load balancer's) or one id (a NAT gateway's)."""
    if isinstance(value, list):
        return list(value)
    return [] if value is None else [value]


def _check_gateway_order(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    gateways = {str(g.inputs.get(vpc)): g for g, vpc in _of_kinds(graph, GATEWAY_OF)}
    for r, prop, subnets in _needs_gateway(graph):
        for vpc in _vpc_of_subnets(graph, subnets):
            gateway = gateways.get(vpc)
            if gateway is None:
                yield rule.finding(graph, r, prop, subnets, f"its VPC {vpc} has no internet gateway")
            elif gateway.urn not in _closure(graph, r):
                yield rule.finding(graph, r, prop, subnets,
                                   f"is created without waiting for the internet gateway {gateway.name}: AWS refuses it "
                                   "while no gateway is attached to the VPC; add depends_on=[the gateway]")


# --- lifecycle ------------------------------------------------------------------------------------


def _check_ami_replacement(rule: DeployRule, graph: StackGraph) -> Iterator[Finding]:
    for r, (image, prop) in _of_kinds(graph, NEWEST_IMAGE):
        if image in r.inputs and image not in r.ignore_changes:
            yield rule.finding(graph, r, prop, r.inputs[image],
                               f"the {prop} is looked up as the most recent: when a newer one is published, the next "
                               f"`pulumi up` replaces the student's instances (and their work); ignore changes to {image}")


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
    DeployRule("CL-ORDER-IGW", "ordering", "internet-facing load balancers, public NAT gateways and Elastic IP associations wait "
               "for the VPC's internet gateway", "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-working-with.html, "
               "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/application-load-balancers.html, "
               "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_AssociateAddress.html",
               _check_gateway_order),
    DeployRule("CL-LIFECYCLE-AMI", "lifecycle", "instances keep their image (an AMI, a Beanstalk platform) when a newer one "
               "is published", "https://www.pulumi.com/registry/packages/aws/api-docs/ec2/instance/ (ami: replacement on change), "
               "https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.platform.upgrade.html",
               _check_ami_replacement),
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
    DeployRule("CL-VALUE-ECR-IMMUTABLE-TAG", "value", "an image pushed to an immutable tag of the stack's repository carries "
               "a digest of its build context", "https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-tag-mutability.html",
               _check_immutable_tags),
)
