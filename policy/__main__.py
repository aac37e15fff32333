"""The policy pack: a thin adapter from pulumi-policy's callbacks to labctl.analysis.guardrails' functions.

Configuration (--policy-pack-config, per policy; scripts/preview-all writes it from the stack's settings
file with ``python -m labctl.analysis.guardrails``): ``profile`` (default learner-lab) and ``region``
(used when the resource's AWS provider does not name one)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Mapping

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, when run from policy/

from pulumi_policy import (EnforcementLevel, PolicyConfigSchema, PolicyPack,  # noqa: E402
                           ResourceValidationPolicy, StackValidationPolicy)

from labctl.analysis import guardrails  # noqa: E402

LEVELS = {guardrails.MANDATORY: EnforcementLevel.MANDATORY, guardrails.ADVISORY: EnforcementLevel.ADVISORY}
SCHEMA = PolicyConfigSchema(properties=guardrails.CONFIG_PROPERTIES)


def _region(provider: Any, config: Mapping[str, Any]) -> str:
    props = getattr(provider, "props", None) or {}
    return str(props.get("region") or config.get("region") or "")


def _context(config: Mapping[str, Any], provider: Any) -> guardrails.Context:
    return guardrails.Context.of(str(config.get("profile") or "learner-lab"), _region(provider, config))


def resource_adapter(policy: guardrails.Policy):
    def validate(args: Any, report_violation: Any) -> None:
        ctx = _context(args.get_config() or {}, args.provider)
        for verdict in policy.validate(args.resource_type, args.props, ctx):  # type: ignore[misc]
            if not verdict.exception:  # a book exception the resource is marked with: allowed
                report_violation(verdict.message, None)
    return validate


def stack_adapter(policy: guardrails.Policy):
    def validate(args: Any, report_violation: Any) -> None:
        config = args.get_config() or {}
        providers = [r.provider for r in args.resources if getattr(r, "provider", None) is not None]
        ctx = _context(config, providers[0] if providers else None)
        subjects = [guardrails.Subject(r.urn, r.resource_type, r.name, r.props,
                                       {k: [d.urn for d in v] for k, v in (r.property_dependencies or {}).items()})
                    for r in args.resources]
        for verdict in policy.validate_stack(subjects, ctx):  # type: ignore[misc]
            if not verdict.exception:
                report_violation(verdict.message, verdict.urn or None)
    return validate


def policies() -> list[Any]:
    built: list[Any] = []
    for p in guardrails.POLICIES:
        if p.validate is not None:
            built.append(ResourceValidationPolicy(name=p.name, description=p.description, enforcement_level=LEVELS[p.level],
                                                  config_schema=SCHEMA, validate=resource_adapter(p)))
        else:
            built.append(StackValidationPolicy(name=p.name, description=p.description, enforcement_level=LEVELS[p.level],
                                               config_schema=SCHEMA, validate=stack_adapter(p)))
    return built


PolicyPack("cloudlabs-guardrails", policies=policies())
