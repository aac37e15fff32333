"""What the project knows about each resource type, one record per Pulumi type token.

A ``Kind`` holds every fact about its type that the project's layers need, or says why a fact does
not apply; the layers iterate over ``KINDS`` instead of keeping a table each. One module per
service (``ec2``, ``vpc``, ``elbv2``, ``autoscaling``, ``rds``, ``s3``, ``iam``, ``ecr``, ``ecs``,
``elasticbeanstalk``, ``ssm``) and the non-AWS providers (``local``: tls, random, docker); facts
shared by several kinds live once in ``shared``.

Facets held here (each tested complete for every type a lab renders, ``tests/test_kinds.py``):
- ``label``: how tables and messages name the kind;
- ``price``: the cost estimator's rule (``labctl.analysis.cost.Estimator``: a method name), or
  ``FREE`` (no hourly charge of its own) or ``USAGE`` (billed by use: negligible in a lab, said why);
- ``drift``: whether drift compares the kind's presence by name; ``drift_fact``: the fact it is
  compared as (a route, a rule); ``aws_made``: what AWS makes beside it on its own, which drift ignores;
- ``emulator``: how moto makes and deletes it (``labctl.kinds.emulation``), or ``emulated``: why it
  cannot (moto lacks the calls; a Docker engine is needed: ``needs_engine``);
- ``sweep``: the sweep's kind that finds and deletes it, or ``sweep_with``: why it needs none (it
  goes with its parent, or lives outside AWS);
- ``no_template``: why the deploy-readiness layer has no CloudFormation type to check it against
  (listed as not validated, never passed silently); empty for a kind ``labctl.analysis.cfn`` translates;
- ``live``: how the live reader (``labctl.ops.live``) finds the kind in AWS and reads it back as the
  graph's resource (``labctl.kinds.live_reads``), or ``live_reason``: why it is not read;
- ``reach``: the kind's role in the reachability model (``labctl.analysis.reach``) and how it is placed
  there (``labctl.kinds.network``), or ``reach_reason``: why it has none.
Facets still in their consumer's own table (moving here one by one; the allowlist in
``tests/test_kinds.py`` names the modules that may still name type tokens): the fake cloud's
answers, the CloudFormation translation, the sweep's own listing and delete calls.

This package imports nothing of the project but ``cloudlabs``: every layer above may read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labctl.kinds.emulation import Emulator
    from labctl.kinds.live_reads import LiveRead
    from labctl.kinds.network import Reach


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
    sweep: str = ""  # the sweep's kind that finds and deletes it (labctl.ops.sweep_kinds), or:
    sweep_with: str = ""  # why it needs none: what it goes with, or where it lives instead
    emulator: "Emulator | None" = None  # how moto makes and deletes it (labctl.kinds.emulation)
    generated_locally: bool = False  # made by the emulator itself, no cloud call (a password, a key)
    no_template: str = ""  # why deploy-readiness has no CloudFormation type to check it against (else it has one)
    live: "LiveRead | None" = None  # how the live reader finds it in AWS and reads it as a resource (labctl.kinds.live_reads), or:
    live_reason: str = ""  # why it is not read live
    reach: "Reach | None" = None  # its role in the reachability model and how it is placed there (labctl.kinds.network), or:
    reach_reason: str = ""  # why it has no role in the network model

    @property
    def service(self) -> str:
        return self.token.split(":", 1)[0] if self.token.startswith("pulumi:") else self.token.split(":")[1].split("/")[0]


def _collect() -> dict[str, Kind]:
    from labctl.kinds import autoscaling, ec2, ecr, ecs, elasticbeanstalk, elbv2, iam, local, rds, s3, ssm, vpc
    found: dict[str, Kind] = {}
    for module in (ec2, vpc, elbv2, autoscaling, rds, s3, iam, ecr, ecs, elasticbeanstalk, ssm, local):
        for kind in module.KINDS:
            if kind.token in found:
                raise ValueError(f"{kind.token}: two records ({module.__name__} and another)")
            found[kind.token] = kind
    return found


KINDS: dict[str, Kind] = _collect()


def kind(token: str) -> Kind | None:
    return KINDS.get(token)


def label(token: str) -> str:
    """The kind's label; a type without a record is named by its token."""
    found = KINDS.get(token)
    return found.label if found else token


def with_price(rule: str) -> frozenset[str]:
    return frozenset(t for t, k in KINDS.items() if k.price == rule)
