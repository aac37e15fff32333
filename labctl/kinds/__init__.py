"""What the project knows about each resource type, one record per Pulumi type token.

A ``Kind`` holds every fact about its type that the project's layers need, or says why a fact does
not apply; the layers iterate over ``KINDS`` instead of keeping a table each. One module per
service (``ec2``, ``vpc``, ``elbv2``, ``autoscaling``, ``rds``, ``s3``, ``iam``, ``ecr``, ``ecs``,
``elasticbeanstalk``, ``ssm``, ``cloudwatch``) and the non-AWS providers (``local``: tls, random,
docker); facts shared by several kinds live once in ``shared`` (the tag keys, in ``cloudlabs.tags``). The provider functions a lab looks up
(invokes, not resources) have a ``Lookup`` record each in their service's module (``index``: the
provider's own).

Facets held here (each tested complete for every type a lab renders, ``tests/test_kinds.py``):
- ``label``: how tables and messages name the kind;
- ``price``: the cost estimator's rule (``labctl.analysis.cost.Estimator``: a method name), or
  ``FREE`` (no hourly charge of its own) or ``USAGE`` (billed by use: negligible in a lab, said why);
- ``drift``: whether drift compares the kind's presence by name; ``drift_fact``: the fact it is
  compared as (a route, a rule); ``aws_made``: what AWS makes beside it on its own, which drift ignores;
- ``emulator``: how moto makes and deletes it (``labctl.kinds.emulation``), or ``emulated``: why it
  cannot (moto lacks the calls; a Docker engine is needed: ``needs_engine``);
- ``sweep``: the sweep's label for the kind that finds and deletes it, and ``sweep_rule``: how
  (``labctl.kinds.sweeping``; the deletes go in its ``SWEEP_ORDER``), or ``sweep_with``: why it
  needs none (it goes with its parent, or lives outside AWS);
- ``template``: the CloudFormation resource it is and how its inputs become its Properties
  (``labctl.kinds.templates``; ``labctl.analysis.cfn`` builds the template and checks it against AWS's
  schemas), or ``no_template``: why there is none (listed as not validated, never passed silently);
- the deploy rules' facts (``labctl.analysis.deployrules``): ``needs_gateway`` (``labctl.kinds.deploy``),
  ``gateway_of``, ``internet_route`` and ``table_association`` (what a resource that needs the gateway's
  route waits for), ``newest_image``, ``extended_support``, ``rotating_secret`` (an output holding a
  secret AWS rotates on its own), ``boot_secrets`` (settings read once at an instance's boot),
  ``tag_mutability`` and ``pushes_image`` (an immutable tag pushed again);
- ``fake``: what the offline renderer's fake cloud answers when a lab registers it (ids, ARNs,
  addresses: ``labctl.kinds.fakes``); the lookups (invokes) it answers are ``Lookup`` records, ``LOOKUPS``;
- ``live``: how the live reader (``labctl.ops.live``) finds the kind in AWS and reads it back as the
  graph's resource (``labctl.kinds.live_reads``), or ``live_reason``: why it is not read;
- ``reach``: the kind's role in the reachability model (``labctl.analysis.reach``) and how it is placed
  there (``labctl.kinds.network``), or ``reach_reason``: why it has none;
- ``fields``: one map of its inputs to the API's names (``labctl.kinds.shared.FieldMap``), where the
  emulator's call, the CloudFormation template and the live read rename the same fields;
- ``ec2_description``: the input EC2 checks as a rule's description: the deploy rules hold it to EC2's
  characters (AWS's schemas check a group's own description, not its rules');
  ``option_settings``: the input holding Beanstalk's option settings, held to their documented ranges;
- ``service_bucket``: a bucket the service makes for itself in the account and keeps (untagged, its
  deletion denied): the sweep never deletes it and says at teardown how to remove it;
- ``access_role``: what the bucket access model reads it as (a bucket, the endpoint a request comes
  through, a host browsing from its public IP); ``shows_deployed``: grading takes its presence as the
  labs deployed; ``address_space``: the input holding the stack's address block (the plan shows it);
- ``capacity``: what it takes of the account's limits a profile states (instances at most at once and
  their types, EBS volumes, a database's class and storage, a role: ``labctl.kinds.capacity``); the
  deploy rule CL-LIMIT-ACCOUNT sums them per stack;
- ``replaces``: how a change replaces it where its CloudFormation schema's create-only properties do not
  say all (the provider's replace-on-change arguments, properties it updates in place, the name Pulumi
  generates) and what a replacement loses (``labctl.kinds.replacing``; the review reads it);
- ``quota``: what one resource takes of AWS's default quotas (``labctl.kinds.quotas``: a VPC, an Elastic IP, a
  NAT gateway in its zone, its instances' vCPUs); ``labctl.analysis.quotas`` sums them per account and region;
- ``diagram``: what it is in the network diagram (``labctl.kinds.drawing``: a VPC, a subnet, a gateway, a
  host...); a kind without one is not drawn.
- ``provision_seconds``: the typical seconds ``pulumi up`` spends creating it, waits for AWS included
  (a NAT gateway's ~2 minutes, a database's ~10); ``labctl.analysis.duration`` adds them along the
  graph's longest dependency chain for a stack's expected up time (plan, shard). ``provision_note``
  says why one is 0 (nothing is created in a cloud).
No module outside this package names a type token to decide what to do (``tests/test_kinds.py``
counts them: none).

This package imports nothing of the project but ``cloudlabs``: every layer above may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    from labctl.kinds.shared import FieldMap
    from labctl.kinds.emulation import Emulator
    from labctl.kinds.fakes import Answer, LookupAnswer
    from labctl.kinds.deploy import InternetRoute, NeedsGateway, PushedImage, TableAssociation, TagMutability
    from labctl.kinds.templates import Template
    from labctl.kinds.sweeping import SweepRule
    from labctl.kinds.live_reads import LiveRead
    from labctl.kinds.network import Reach
    from labctl.kinds.capacity import CapacityOf
    from labctl.kinds.replacing import Replaces
    from labctl.kinds.guards import Guard
    from labctl.kinds.quotas import QuotaUse


FREE = "free"
USAGE = "usage"


@dataclass(frozen=True)
class Kind:
    token: str  # the Pulumi type token, e.g. aws:ec2/vpc:Vpc
    label: str  # in tables and messages: "VPC", "NAT gateway"
    price: str  # FREE, USAGE, or the estimator's rule (a method of labctl.analysis.cost.Estimator)
    price_note: str = ""  # why FREE or USAGE, where it is not obvious
    drift: bool = False  # drift compares its presence (by type and name)
    drift_fact: str = ""  # drift compares it as a fact: "route", "sg-rule", "nacl-entry" (labctl.analysis.drift.FACTS)
    within: str = ""  # for a fact: the input naming what it belongs to (a rule's group), skipped where AWS made that
    aws_made: tuple[str, ...] = ()  # outputs naming what AWS makes beside it (a VPC's default group): drift ignores them
    emulated: str | None = None  # None: the emulator makes and deletes it; else why it cannot
    needs_engine: bool = False  # the reason is a Docker engine the emulator does not have
    sweep: str = ""  # the sweep's label for the kind (its reports and ledger name it so; its rule is sweep_rule), or:
    sweep_with: str = ""  # why it needs none: what it goes with, or where it lives instead
    emulator: "Emulator | None" = None  # how moto makes and deletes it (labctl.kinds.emulation)
    generated_locally: bool = False  # made by the emulator itself, no cloud call (a password, a key)
    no_template: str = ""  # why deploy-readiness has no CloudFormation type to check it against (else it has one)
    fake: "Answer | None" = None  # what the renderer's fake cloud answers for it (labctl.kinds.fakes: generic, or its own)
    template: "Template | None" = None  # the CloudFormation resource it is and its Properties (labctl.kinds.templates)
    needs_gateway: "NeedsGateway | None" = None  # AWS creates it only once its subnets' VPC has an internet gateway
    gateway_of: str = ""  # an internet gateway: the input naming the VPC it connects (what needs_gateway waits for)
    newest_image: tuple[str, ...] = ()  # (input, property): an image (AMI, platform) looked up as the newest; a newer one replaces it
    extended_support: bool = False  # RDS bills Extended Support for its engine version once standard support ends
    sweep_rule: "SweepRule | None" = None  # how the sweep lists, deletes and waits for it (labctl.kinds.sweeping), with `sweep`
    access_role: str = ""  # in the bucket access model (labctl.analysis.access): "bucket", "endpoint" (aws:SourceVpce), "host" (public IP)
    shows_deployed: bool = False  # grading takes its presence in a live graph as the student's labs deployed
    address_space: str = ""  # the input holding the stack's address block, in the plan's "VPC CIDRs" column
    live: "LiveRead | None" = None  # how the live reader finds it in AWS and reads it as a resource (labctl.kinds.live_reads), or:
    live_reason: str = ""  # why it is not read live
    reach: "Reach | None" = None  # its role in the reachability model and how it is placed there (labctl.kinds.network), or:
    reach_reason: str = ""  # why it has no role in the network model
    fields: "FieldMap | None" = None  # its inputs by the API's names, shared by the emulator, the template and the live read
    option_settings: str = ""  # the input holding Beanstalk's option settings (checked against AWS's documented ranges)
    ec2_description: str = ""  # the input EC2 restricts to its description characters (labctl.kinds.shared.EC2_DESCRIPTION)
    service_bucket: str = ""  # the bucket the service keeps for itself per region and account ({region}, {account}): never the cohort's, named at teardown
    capacity: "CapacityOf | None" = None  # what it takes of an account's limits (labctl.kinds.capacity): instances, volumes, a database, a role
    rotating_secret: "Callable[[dict[str, Any], dict[str, Any]], list[str]] | None" = None  # (inputs, outputs) -> ARNs of secrets AWS rotates on its own
    boot_secrets: "Callable[[dict[str, Any]], dict[str, str]] | None" = None  # inputs -> {name: ARN} of secrets read only when an instance boots
    internet_route: "InternetRoute | None" = None  # a route: how the deploy rules tell the default route to an internet gateway
    table_association: "TableAssociation | None" = None  # a subnet's route table association (what a needs_gateway route waits for)
    tag_mutability: "TagMutability | None" = None  # a registry repository whose tags may be immutable (labctl.kinds.deploy)
    pushes_image: "PushedImage | None" = None  # an image pushed as <repository>:<tag> from a build context (labctl.kinds.deploy)
    replaces: "Replaces | None" = None  # how a change replaces it beside its CloudFormation schema, what that loses (labctl.kinds.replacing)
    diagram: str = ""  # its role in the network diagram (labctl.kinds.drawing.ROLES; labctl.analysis.diagram), or not drawn
    guard: "Guard | None" = None  # where its secure defaults are written, for the guardrails (labctl.kinds.guards)
    untagged: str = ""  # why it carries no tags (AWS takes none for it): the guardrails require the course's tags of the rest
    quota: "QuotaUse | None" = None  # what one resource takes of AWS's quotas (labctl.kinds.quotas): a VPC, vCPUs, a NAT gateway in a zone
    provision_seconds: float = 0.0  # typical seconds `pulumi up` spends creating it (waits included): the expected up time
    provision_note: str = ""  # why provision_seconds is 0 (nothing is created in a cloud), or where the number comes from

    @property
    def service(self) -> str:
        return self.token.split(":", 1)[0] if self.token.startswith("pulumi:") else self.token.split(":")[1].split("/")[0]


@dataclass(frozen=True)
class Lookup:
    """A provider function (an invoke, e.g. aws:ec2/getAmi:getAmi) a lab calls: not a resource."""

    token: str  # the function token
    fake: "LookupAnswer"  # what the renderer's fake cloud answers (labctl.kinds.fakes)


def _gather(modules: tuple[Any, ...], table: str) -> dict[str, Any]:
    """Each module's records in ``table`` (``KINDS``, ``LOOKUPS``) by token; a token recorded twice is an error."""
    found: dict[str, Any] = {}
    for module in modules:
        for record in getattr(module, table):
            if record.token in found:
                raise ValueError(f"{record.token}: two records ({module.__name__} and another)")
            found[record.token] = record
    return found


def _collect() -> dict[str, Kind]:
    from labctl.kinds import autoscaling, cloudwatch, ec2, ecr, ecs, elasticbeanstalk, elbv2, iam, local, rds, s3, ssm, vpc
    return _gather((ec2, vpc, elbv2, autoscaling, rds, s3, iam, ecr, ecs, elasticbeanstalk, ssm, cloudwatch, local), "KINDS")


KINDS: dict[str, Kind] = _collect()


def kind(token: str) -> Kind | None:
    return KINDS.get(token)


def label(token: str) -> str:
    """The kind's label; a type without a record is named by its token."""
    found = KINDS.get(token)
    return found.label if found else token


def with_price(rule: str) -> frozenset[str]:
    return frozenset(t for t, k in KINDS.items() if k.price == rule)


def _collect_lookups() -> dict[str, Lookup]:
    from labctl.kinds import ec2, ecr, elasticbeanstalk, iam, index
    return _gather((index, ec2, ecr, iam, elasticbeanstalk), "LOOKUPS")


LOOKUPS: dict[str, Lookup] = _collect_lookups()
