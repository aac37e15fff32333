"""The documentation's lab reference, generated from the lab definitions (``cloudlabs.labs``) and
the rendered labs: the catalog with each lab's cost, the options, the outputs, the address plan
(``docs/reference/labs/index.md``); a page per lab with its stages, options, outputs, costs and
expected paths (``docs/reference/labs/<lab>.md``); and the network diagram of each lab at each
stage (``docs/diagrams/<lab>.md``).

Hand-written pages may hold generated tables too, between ``<!-- generated: NAME -->`` and
``<!-- /generated: NAME -->`` (``update``). ``./dev docs`` (``labctl.cli.sitedocs``) writes all of it;
``./dev docs --check`` and a test fail when a page and the code disagree.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Mapping

from cloudlabs.addressing import seat_block
from cloudlabs.catalog import LABS
from cloudlabs.lab import LabDefinition
from cloudlabs.pricing import load_prices
from cloudlabs.settings import parse_settings

from labctl.analysis.cost import estimate
from labctl.offline.graph import StackGraph
from labctl.offline.render import render

SESSION_HOURS = 3
EXAMPLE_SEAT = 1  # rendered for the tables; shown as 10.N
SAMPLE = "environments/Pulumi.docs-s01.yaml"  # the settings' name in messages only; nothing is read or written


def _config(lab: str, stage: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """A student stack as the lab reference's cost column assumes it: us-east-1, t3.micro, learner-lab."""
    return {"aws:region": "us-east-1", "cloudlabs:cohort": "docs", "cloudlabs:student": "s01",
            "cloudlabs:seat": EXAMPLE_SEAT, "cloudlabs:adminCidr": "203.0.113.0/24", "cloudlabs:profile": "learner-lab",
            "cloudlabs:keyName": "vockey", "cloudlabs:instanceType": "t3.micro", "cloudlabs:expires": "2099-12-31",
            "cloudlabs:labs": [{"lab": lab, "stage": stage, "options": dict(options)}]}


@lru_cache(maxsize=None)
def _rendered(lab: str, stage: str, options_json: str = "{}") -> StackGraph:
    """The example stack of a lab at a stage, rendered once per process: the catalog's costs, each lab's
    page and its diagrams all draw on the same renders (``./dev docs`` would otherwise render each three times)."""
    cfg = _config(lab, stage, json.loads(options_json))
    settings = parse_settings(cfg, SAMPLE)
    return render(settings.stack_name, cfg, settings)


def hourly_cost(lab: str, stage: str, options: Mapping[str, Any] | None = None) -> float:
    return estimate(_rendered(lab, stage, json.dumps(dict(options or {}), sort_keys=True)), load_prices()).hourly


def _money(hourly: float) -> str:
    return f"${hourly:.3f}/h, **${hourly * SESSION_HOURS:.3f} per {SESSION_HOURS}-hour session**"


def cost_text(lab: LabDefinition[Any], cost: Callable[[str, str, Mapping[str, Any] | None], float] = hourly_cost) -> str:
    """The default stage's cost, then every other stage and declared variant that costs differently."""
    default = cost(lab.key, lab.default_stage, None)
    parts = [(f"`{lab.default_stage}` " if len(lab.stages) > 1 else "") + _money(default)]
    for stage in lab.stages:
        if stage != lab.default_stage:
            other = cost(lab.key, stage, None)
            if abs(other - default) >= 0.0005:
                parts.append(f"`{stage}` ${other:.3f}/h (${other * SESSION_HOURS:.3f})")
    for label, options in lab.cost_variants.items():
        other = cost(lab.key, lab.default_stage, options)
        parts.append(f"{label} ${other:.3f}/h (${other * SESSION_HOURS:.3f})")
    text = "; ".join(parts)
    return f"{text}; {lab.cost_notes}" if lab.cost_notes else text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def book_citation(lab: LabDefinition[Any]) -> str:
    """Where the book describes a lab, as every generated page cites it (the one place to change how)."""
    return str(lab.book)


def catalog_table(cost: Callable[[str, str, Mapping[str, Any] | None], float] = hourly_cost) -> str:
    rows = ["| lab | chapter | book | what the student gets | stages | cost per student |", "|---|---|---|---|---|---|"]
    for lab in LABS.values():
        stages = "; ".join(f"`{stage}`: {_cell(what)}" for stage, what in lab.stages.items())
        rows.append(f"| [`{lab.key}`]({lab.key}.md) | {lab.section} | {_cell(book_citation(lab))} | {_cell(lab.summary)} | "
                    f"{stages} | {_cell(cost_text(lab, cost))} |")
    return "\n".join(rows)


def _default(value: Any) -> str:
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple):
        return ", ".join(f"`{v}`" for v in value)
    return f"`{value}`"


def options_table() -> str:
    rows = ["| lab | option | default | allowed |", "|---|---|---|---|"]
    for lab in LABS.values():
        for name, info in lab.options.model_fields.items():
            rows.append(f"| `{lab.key}` | `{info.alias or name}` | {_default(info.default)} | {_cell(info.description or '')} |")
    return "\n".join(rows)


def outputs_table() -> str:
    rows = ["| lab | output | kind | when | what it is |", "|---|---|---|---|---|"]
    for lab in LABS.values():
        for output in lab.outputs:
            rows.append(f"| `{lab.key}` | `{output.name}` | {output.kind} | {output.when or 'always'} | "
                        f"{_cell(output.description)} |")
    return "\n".join(rows)


def _n(network: Any) -> str:
    return "`" + str(network).replace(f"10.{EXAMPLE_SEAT}.", "10.N.", 1) + "`"


def address_table() -> str:
    rows = ["| lab | VPCs and subnets in `10.N.0.0/16` (AZ: index into the zones that fit) |", "|---|---|"]
    block = seat_block(EXAMPLE_SEAT)
    for lab in LABS.values():
        vpcs = []
        for vpc in lab.layout(block):
            subnets = ", ".join(f"{s.name} {_n(s.cidr)} {s.tier} (AZ {s.az})" for s in vpc.subnets)
            vpcs.append(f"{vpc.name} {_n(vpc.cidr)}{' + IPv6 /56' if vpc.ipv6 else ''}: {subnets}")
        rows.append(f"| `{lab.key}` | {'; '.join(vpcs) or 'no VPC'} |")
    return "\n".join(rows)


# --- the lab reference: docs/reference/labs/, an index of tables and a page per lab -----------------------

LABS_DIR = "docs/reference/labs"


def _stage_mermaid(lab: LabDefinition[Any], stage: str) -> list[str]:
    """The stage's network as a fenced Mermaid block, as ``labctl diagram`` draws it."""
    from labctl.analysis.diagram import mermaid

    return ["```mermaid", mermaid(_rendered(lab.key, stage)).rstrip("\n"), "```"]


def _options_rows(lab: LabDefinition[Any]) -> list[str]:
    return [f"| `{info.alias or name}` | {_default(info.default)} | {_cell(info.description or '')} |"
            for name, info in lab.options.model_fields.items()]


def _paths_rows(lab: LabDefinition[Any], stage: str) -> list[str]:
    rows = []
    for expect in lab.expected_paths(stage, lab.options()):
        rows.append(f"| `{_cell(expect.label)}` | {'allowed' if expect.allowed else 'denied'} | {_cell(expect.why)} |")
    return rows


def lab_page(lab: LabDefinition[Any], cost: Callable[[str, str, Mapping[str, Any] | None], float] = hourly_cost,
             diagram: Callable[[LabDefinition[Any], str], list[str]] | None = _stage_mermaid) -> str:
    """One lab's reference page: what the book asks, each stage with its expected paths and network diagram,
    options, outputs, cost, layout."""
    parts = [f"# `{lab.key}`: {lab.title}", "",
             f"Generated by `./dev docs` from `cloudlabs/labs/` (do not edit). Chapter {lab.section} of the course book; "
             f"{book_citation(lab)}.", "", lab.summary, "",
             f"Network diagrams at every stage: [{lab.key} diagrams](../../diagrams/{lab.key}.md).", "", "## Stages", ""]
    for stage, what in lab.stages.items():
        default = " (the default)" if stage == lab.default_stage else ""
        parts += [f"### `{stage}`{default}", "", what, "", "Expected paths (`labctl check`, default options):", "",
                  "| path | expected | what the book tests |", "|---|---|---|", *_paths_rows(lab, stage), "",
                  "The network (seat 1, default options; legend on the [diagrams page](../../diagrams/" + lab.key + ".md)):", "",
                  *(diagram(lab, stage) if diagram else ["(not drawn)"]), ""]
    parts += ["## Options", ""]
    options = _options_rows(lab)
    parts += ["| option | default | allowed |", "|---|---|---|", *options] if options else ["This lab has no options."]
    parts += ["", "## Outputs", "", "| output | kind | when | what it is |", "|---|---|---|---|"]
    parts += [f"| `{o.name}` | {o.kind} | {o.when or 'always'} | {_cell(o.description)} |" for o in lab.outputs]
    parts += ["", "## Cost per student", "", cost_text(lab, cost) + ".", "", "## Address plan", ""]
    block = seat_block(EXAMPLE_SEAT)
    for vpc in lab.layout(block):
        parts.append(f"- {vpc.name} {_n(vpc.cidr)}{' + IPv6 /56' if vpc.ipv6 else ''}: "
                     + ", ".join(f"{s.name} {_n(s.cidr)} {s.tier} (AZ {s.az})" for s in vpc.subnets))
    return "\n".join(parts).rstrip("\n") + "\n"


def labs_index() -> str:
    parts = ["# Labs", "",
             "Generated by `./dev docs` from the lab modules (`cloudlabs/labs/<lab>.py`) and from rendering each lab "
             "(do not edit). `labctl labs` prints the catalog.", "",
             "Each lab is one architecture pattern of the course book. Stages: `starter` is where the book starts "
             "(broken on purpose), `solution` (the default) is the working end state. Costs are `labctl cost` estimates "
             f"per student with the pinned us-east-1 on-demand prices ([price table](../price-table.md)) and the default "
             f"`t3.micro`, for a {SESSION_HOURS}-hour session; usage charges (data processed or transferred) are not included.",
             "", "## Catalog", "", catalog_table(), "", "## Options", "",
             "Lab options go in the lab entry, e.g. `{lab: vpc-peering, stage: solution, options: {natGateway: false}}`.",
             "", options_table(), "", "## Outputs", "",
             "Each lab's stack output (`pulumi stack output <lab>`, and the `outputs` of `labctl plan --json`) has exactly "
             "the keys its definition declares: a component that returns an undeclared key, or leaves out one declared "
             "as always there, fails to render.", "", outputs_table(), "", "## Address plan", "",
             "Seat `N` (1-254; 0 is the instructor's) owns `10.N.0.0/16`; each lab carves its layout from it "
             "(`cloudlabs/addressing.py`).", "", address_table()]
    return "\n".join(parts) + "\n"


def lab_pages() -> dict[str, str]:
    """File name -> text of every page of ``docs/reference/labs``."""
    pages = {f"{lab.key}.md": lab_page(lab) for lab in LABS.values()}
    pages["index.md"] = labs_index()
    return pages


# --- the network diagrams: docs/diagrams/<lab>.md, one per lab with a diagram per stage ---------------

DIAGRAMS_DIR = "docs/diagrams"


def _diagram_page(lab: LabDefinition[Any]) -> str:
    from labctl.analysis.diagram import LEGEND

    parts = [f"# `{lab.key}`: {lab.title}", "",
             f"Generated by `./dev docs` (do not edit): the network of a student stack with this lab at each stage, "
             f"as `labctl diagram` draws it (seat {EXAMPLE_SEAT}, default options, profile learner-lab, "
             f"admin CIDR 203.0.113.0/24), with the book's expected paths. Chapter {lab.section}.", "", LEGEND]
    for stage, what in lab.stages.items():
        parts += ["", f"## `{stage}`", "", what, "", *_stage_mermaid(lab, stage)]
    return "\n".join(parts) + "\n"


def diagram_pages() -> dict[str, str]:
    """File name -> text of every page of ``docs/diagrams``: one per lab, and the folder's index."""
    pages = {f"{lab.key}.md": _diagram_page(lab) for lab in LABS.values()}
    index = ["# Network diagrams", "", "Generated by `./dev docs` (do not edit): one page per lab, a Mermaid diagram per "
             "stage (`labctl diagram STACK` draws any stack the same way).", ""]
    index += [f"- [`{lab.key}`]({lab.key}.md): {lab.title}" for lab in LABS.values()]
    pages["README.md"] = "\n".join(index) + "\n"
    return pages


def diagram_problems(directory: Path, wanted: Mapping[str, str]) -> list[str]:
    """How ``directory`` differs from the pages ``wanted``: missing, stale or not generated (one line each).
    (Any directory of generated pages: the diagrams, the lab reference.)"""
    problems = []
    for name, text in sorted(wanted.items()):
        path = directory / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text() != text:
            problems.append(f"{path}: out of date")
    if directory.is_dir():
        problems += [f"{path}: not generated by ./dev docs (remove it)" for path in sorted(directory.glob("*.md"))
                     if path.name not in wanted]
    return problems


def guardrails_table() -> str:
    from labctl.analysis.guardrails import policy_table
    rows = ["| policy | level | what it checks |", "|---|---|---|"]
    rows += [f"| `{name}` | {level} | {text} |" for name, level, text in policy_table()]
    return "\n".join(rows)


def accounts_table() -> str:
    from cloudlabs.accounts import policy_table
    return policy_table()


def suppressions_table() -> str:
    from labctl.analysis.validation import suppression_table
    rows = ["| rule | where | when | reason |", "|---|---|---|---|"]
    return "\n".join(rows + ["| " + " | ".join(row) + " |" for row in suppression_table()])


def deploy_rules_table() -> str:
    from labctl.analysis.deployrules import DEPLOY_RULES
    rows = ["| rule | kind | what it checks | source |", "|---|---|---|---|"]
    return "\n".join(rows + [f"| {rule.id} | {rule.kind} | {rule.summary} | {rule.source} |" for rule in DEPLOY_RULES])


TABLES: dict[str, Callable[[], str]] = {
    "catalog": catalog_table, "options": options_table, "outputs": outputs_table, "addresses": address_table,
    "guardrails": guardrails_table, "accounts": accounts_table, "suppressions": suppressions_table,
    "deploy-rules": deploy_rules_table,
}


def region(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- generated: {name} -->\n)(.*?)(\n<!-- /generated: {name} -->)", re.S)


def update(readme: str, tables: Mapping[str, Callable[[], str]] = TABLES) -> str:
    """The page with every generated region rewritten; a missing region is an error."""
    for name, make in tables.items():
        pattern = region(name)
        if not pattern.search(readme):
            raise ValueError(f"the page has no region <!-- generated: {name} --> ... <!-- /generated: {name} -->")
        text = make()
        readme = pattern.sub(lambda m: m.group(1) + text + m.group(3), readme)
    return readme


REGION_NAME = re.compile(r"<!-- generated: ([a-z-]+) -->")


def update_regions(page: str, tables: Mapping[str, Callable[[], str]]) -> str:
    """The page with the generated regions it holds rewritten (an unknown region's name is an error)."""
    names = REGION_NAME.findall(page)
    unknown = [name for name in names if name not in tables]
    if unknown:
        raise ValueError(f"unknown generated region {unknown[0]!r}; known: {', '.join(tables)}")
    return update(page, {name: tables[name] for name in names})
