"""What a lab is, as data: the contract every lab module in ``cloudlabs.labs`` fills in.

A lab is one Pulumi-free module (this contract: stages, options, address layout, expected
paths, live probes, outputs, cost notes, the book's references) plus one component in
``components.labs`` that builds it. Everything else (the catalog, the address plan, ``labctl
check``, ``probe``, the documentation's lab reference) is derived from these definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any, Callable, Generic, Literal, Mapping, TypeVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from .access import AccessExpect
from .book import BookRef
from .paths import Expect
from .probes import ProbeSpec

if TYPE_CHECKING:
    from .addressing import VpcPlan

DEFAULT_STAGE = "solution"


@dataclass(frozen=True)
class StackFacts:
    """The stack settings outside a lab that its options may depend on (LabOptions.conflicts)."""

    key_name: str | None  # cloudlabs:keyName: the existing key pair instances start with
    instance_type: str  # cloudlabs:instanceType


class LabOptions(BaseModel):
    """Base of every lab's options: camelCase keys in YAML, unknown keys refused."""

    # strict: `count: "3"` or `coursework: yes` is refused, not converted (a YAML list still makes a tuple)
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True,
                              strict=True, allow_inf_nan=False)

    def conflicts(self, stack: StackFacts) -> dict[str, str]:
        """Options each valid alone that the stack's other settings contradict: option (its field
        name) -> why. Refused by the settings parser, naming the option; none by default."""
        return {}


class NoOptions(LabOptions):
    pass


OptionsT = TypeVar("OptionsT", bound=LabOptions)

OutputKind = Literal["text", "address", "url", "command", "id", "mapping", "list", "secret"]


@dataclass(frozen=True)
class Output:
    """One key of the lab's stack output (``pulumi stack output <lab>``): what the student needs next."""

    name: str  # the key, camelCase
    kind: OutputKind
    description: str
    when: str = ""  # empty: always there; else the condition, e.g. "solution", "option coursework"


@dataclass(frozen=True)
class LabDefinition(Generic[OptionsT]):
    key: str  # as stacks select it: `labs: [{lab: vpc-nat}]`
    chapter: int
    section: str  # the book's section(s), e.g. "7.1-7.2", for the catalog
    title: str
    book: BookRef  # where the book describes it, by chapter, section and heading (cloudlabs.book)
    summary: str  # what the student gets (the catalog's prose)
    stages: dict[str, str]  # stage -> what the student gets at that stage, in the order the book walks them
    options: type[OptionsT]
    layout: Callable[[IPv4Network], tuple["VpcPlan", ...]]  # the lab's networks, carved from the seat's /16
    expected_paths: Callable[[str, OptionsT], list[Expect]]  # "success looks like" per stage (labctl check)
    outputs: tuple[Output, ...]
    probes: Callable[[Mapping[str, Any]], list[ProbeSpec]] | None = None  # live tests from the stack outputs
    access: Callable[[str, OptionsT], list[AccessExpect]] | None = None  # bucket access per stage (labctl grade)
    probed_from_inside: bool = False  # success is seen only through a bastion: no probe from outside
    # Option sets whose cost the catalog also shows, e.g. {"with `natGateway: false`": {"natGateway": False}}.
    cost_variants: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    cost_notes: str = ""  # what the hourly price rules do not see (usage charges), for the catalog
    # Folders under labs/ whose files the lab ships (pages, pictures, build contexts, bundles):
    # checked as a whole when the lab is built, see cloudlabs.content.
    content: tuple[str, ...] = ()

    @property
    def seed_lines(self) -> str:
        """The book's lines as text ("book ch. 7, “Designing and deploying VPCs” › “Creation of a Virtual Private Cloud (VPC)” to “Configuring external access for the private subnet via NAT gateway”"): only a hint, checked against the book by
        tests/test_book.py; str(book) is the reference a reader can follow in any copy."""
        return self.book.line_range

    @property
    def default_stage(self) -> str:
        return DEFAULT_STAGE if DEFAULT_STAGE in self.stages else next(iter(self.stages))

    @property
    def last_stage(self) -> str:
        """Where the book's steps end (the stages are in the book's order)."""
        return list(self.stages)[-1]

    def output(self, name: str) -> Output:
        for output in self.outputs:
            if output.name == name:
                return output
        raise KeyError(f"{self.key} declares no output {name!r}; declared: {', '.join(o.name for o in self.outputs)}")

    def check_outputs(self, names: set[str] | list[str]) -> None:
        """The component returned only declared outputs (and every unconditional one)."""
        declared = {o.name for o in self.outputs}
        undeclared = sorted(set(names) - declared)
        if undeclared:
            raise ValueError(f"lab {self.key}: outputs {', '.join(undeclared)} are not declared in cloudlabs/labs "
                             f"(LabDefinition.outputs)")
        missing = sorted(o.name for o in self.outputs if not o.when and o.name not in names)
        if missing:
            raise ValueError(f"lab {self.key}: declared outputs {', '.join(missing)} are missing")
