"""The lab definitions are the one source: the documentation's lab reference follows them, and a
component's outputs are held to the contract its definition declares."""

from __future__ import annotations

import dataclasses

import pytest

from cloudlabs import REPO_ROOT
from cloudlabs.catalog import LABS
from components.labs import LAB_COMPONENTS
from labctl.analysis import labdocs
from labctl.offline.render import RenderError

from .conftest import config, render_config


def test_the_lab_reference_is_generated_from_the_code():
    directory = REPO_ROOT / labdocs.LABS_DIR
    assert labdocs.diagram_problems(directory, labdocs.lab_pages()) == [], f"{directory} is out of date: run ./dev docs"


def test_the_catalog_table_has_every_lab_with_its_stages_and_a_cost():
    table = labdocs.catalog_table(cost=lambda lab, stage, options: 0.5)
    for key, lab in LABS.items():
        (row,) = [line for line in table.splitlines() if line.startswith(f"| [`{key}`]({key}.md) |")]
        assert all(f"`{stage}`" in row for stage in lab.stages)
        assert "$0.500/h, **$1.500 per 3-hour session**" in row


def test_a_page_without_a_generated_region_is_refused():
    with pytest.raises(ValueError, match="no region <!-- generated: catalog -->"):
        labdocs.update("# no tables here\n", {"catalog": lambda: "x"})
    with pytest.raises(ValueError, match="unknown generated region 'catalogue'"):
        labdocs.update_regions("<!-- generated: catalogue -->\nx\n<!-- /generated: catalogue -->\n", labdocs.TABLES)


def test_a_lab_page_has_every_stage_with_its_paths_and_cites_the_book_by_chapter_section_and_heading():
    page = labdocs.lab_page(LABS["vpc-nat"], cost=lambda lab, stage, options: 0.5)
    assert page.count("```mermaid") == len(LABS["vpc-nat"].stages)
    assert "### `starter`" in page and "### `solution` (the default)" in page
    assert "| `bastion -> web-dev:80` | denied |" in page and "| `bastion -> web-dev:80` | allowed |" in page
    assert str(LABS["vpc-nat"].book) in page
    assert 'Chapter 7 "VPC Architecture", section "Designing and deploying VPCs"' in page and "5281" not in page


def test_every_lab_has_one_component_and_components_name_their_definition():
    assert set(LAB_COMPONENTS) == set(LABS)
    for key, component in LAB_COMPONENTS.items():
        assert component.LAB is LABS[key]


@pytest.mark.parametrize("change, message", [
    (lambda outputs: outputs[1:], "outputs vpcId are not declared"),
    (lambda outputs: outputs + (dataclasses.replace(outputs[0], name="extra"),), "declared outputs extra are missing"),
])
def test_a_component_that_breaks_its_output_contract_fails_to_render(monkeypatch, change, message):
    component = LAB_COMPONENTS["vpc-nat"]
    monkeypatch.setattr(component, "LAB", dataclasses.replace(component.LAB, outputs=change(component.LAB.outputs)))
    with pytest.raises(RenderError, match=message):
        render_config(config(labs=[{"lab": "vpc-nat", "stage": "solution"}]), cache=False)


def test_declared_outputs_are_each_returned_somewhere():
    """No dead declarations: every declared output appears in the default or a declared variant."""
    for key, lab in LABS.items():
        seen: set[str] = set()
        for stage in lab.stages:
            for options in [{}, *lab.cost_variants.values()]:
                graph = render_config(config(labs=[{"lab": key, "stage": stage, "options": dict(options)}]))
                seen |= set(graph.outputs[key])
        conditional_parts = {o.name for o in lab.outputs if o.when.startswith("part ") or o.when == "count 0"}
        assert {o.name for o in lab.outputs} - conditional_parts <= seen, key
