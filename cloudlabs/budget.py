"""A course's budget: what each student may spend in all, and the thresholds (in percent of it) at
which ``labctl budget`` warns, stops the student's instances, or destroys their stack.

A profile gives the default (``profiles/*.yaml``: a Learner Lab student has about $100 in all); a
cohort file's ``budget:`` overrides any of its keys. Spend is ``labctl spend``'s estimate so far.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic.alias_generators import to_camel

from .reading import YamlSource, model_problems

ACTIONS = ("warn", "stop", "destroy")  # mildest first
Action = Literal["warn", "stop", "destroy"]

_PERCENT = "a percentage of perStudent, more than 0 and at most 100"
ALLOWED = {
    "budget": "a mapping of perStudent (USD) and the thresholds warn, stop, destroy (percent of perStudent, each more "
              "than the one before)",
    "perStudent": "an amount in USD more than 0: what each student may spend in all",
    "warn": _PERCENT, "stop": _PERCENT, "destroy": _PERCENT,
}


class Budget(BaseModel):
    # strict: `perStudent: "100"` is refused, never converted
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True,
                              strict=True, allow_inf_nan=False)

    per_student: float = Field(gt=0)
    warn: float | None = Field(default=None, gt=0, le=100)
    stop: float | None = Field(default=None, gt=0, le=100)
    destroy: float | None = Field(default=None, gt=0, le=100)

    @model_validator(mode="after")
    def _rising(self) -> "Budget":
        given = [(name, value) for name, value in self.thresholds()]
        for (low, a), (high, b) in zip(given, given[1:]):
            if b <= a:
                raise ValueError(f"{high} ({b:g}%) must be more than {low} ({a:g}%)")
        return self

    def thresholds(self) -> list[tuple[str, float]]:
        """(action, percent) of the thresholds given, mildest first."""
        return [(name, value) for name in ACTIONS if (value := getattr(self, name)) is not None]

    def crossed(self, spent: float) -> tuple[Action, float] | None:
        """The strongest threshold ``spent`` has reached: (action, its amount in USD), or None."""
        reached = [(name, self.per_student * pct / 100) for name, pct in self.thresholds()
                   if spent >= self.per_student * pct / 100]
        return reached[-1] if reached else None  # type: ignore[return-value]


def read_budget(source: YamlSource, raw: Any, default: Budget | None, base: tuple = ("budget",)) -> tuple[Budget | None, list[str]]:
    """A cohort file's ``budget:`` over the profile's ``default``: (the budget, or None with neither;
    the problems, one line each, at the cohort file's lines)."""
    if raw is None:
        return default, []
    if not isinstance(raw, dict):
        return None, [f"{source.where(base)}: budget: {raw!r} is not allowed; allowed: {ALLOWED['budget']}"]
    merged = {**(default.model_dump(by_alias=True, exclude_none=True) if default else {}), **raw}
    try:
        return Budget.model_validate(merged), []
    except ValidationError as err:
        return None, model_problems(source, err, base=base, allowed=ALLOWED)
