"""The lab catalog, derived from the lab modules (``cloudlabs.labs``): every lab a stack can
select, in course order, and the address plan of a stack's labs."""

from __future__ import annotations

from typing import Any, Iterable

from .addressing import AddressPlanError, LabLayout, check_no_overlap, seat_block
from .lab import DEFAULT_STAGE, LabDefinition, LabOptions, NoOptions
from .labs import discover


def _first_line(lab: LabDefinition[Any]) -> int:
    return lab.book.lines[0] if lab.book.lines else 0


def _catalog() -> dict[str, LabDefinition[Any]]:
    labs: dict[str, LabDefinition[Any]] = {}
    for lab in sorted(discover(), key=lambda lab: (lab.chapter, _first_line(lab))):  # the book's order
        if lab.key in labs:
            raise ValueError(f"two lab modules define the lab {lab.key!r}")
        labs[lab.key] = lab
    return labs


LABS: dict[str, LabDefinition[Any]] = _catalog()


def lab_layout(lab: str, seat: int) -> LabLayout:
    """The networks of one lab for one seat."""
    try:
        build = LABS[lab].layout
    except KeyError:
        raise AddressPlanError(f"no address layout for lab {lab!r}; known: {', '.join(LABS)}") from None
    return LabLayout(lab, seat, build(seat_block(seat)))


def stack_layout(labs: Iterable[str], seat: int) -> tuple[LabLayout, ...]:
    """The layouts of every lab of one stack, refusing labs whose VPCs would overlap."""
    layouts = tuple(lab_layout(lab, seat) for lab in labs)
    check_no_overlap(layouts)
    return layouts


__all__ = ["DEFAULT_STAGE", "LABS", "LabDefinition", "LabOptions", "NoOptions", "lab_layout", "stack_layout"]
