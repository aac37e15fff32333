"""Deployable in every variant (issue 26): the validation matrix, derived from the code
(labctl/analysis/matrix.py). Every cell renders and is deploy-ready by AWS's schemas and the
project's deploy rules; each emulator shape goes up and down on moto where the emulator can; every
cell the options model or the settings refuse is refused with clear lines, never skipped in silence;
and a new option value joins the matrix by itself."""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

import pytest
import yaml
from moto import mock_aws
from pydantic import Field

from cloudlabs.catalog import LABS
from cloudlabs.profiles import load_profile
from cloudlabs.lab import LabOptions
from cloudlabs.profiles import profile_names
from cloudlabs.settings import SettingsError
from labctl.analysis import cfn, matrix
from labctl.analysis.validation import Validator
from labctl.ops import emulate

from .test_emulator import CachedSession

MATRIX = matrix.derive()


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


@pytest.mark.parametrize("lab", list(LABS))
def test_every_cell_is_deploy_ready_and_each_emulator_shape_goes_up_and_down(lab, validator, tmp_path):
    cells = [c for c in MATRIX.cells if c.lab == lab]
    rendered = [(cell, matrix.render_cell(cell)) for cell in cells]
    not_ready = [f"{cell.id}\n    " + "\n    ".join(f.line() for f in result.findings)
                 for cell, graph in rendered if (result := validator.validate(graph)).findings]
    assert not_ready == [], "\n".join(not_ready)

    emulated = 0
    with mock_aws():
        aws = CachedSession()
        for cell, graph in matrix.distinct_emulator_shapes(rendered).values():
            if emulate.needs_docker_engine(graph) or emulate.unsupported_types(graph):
                continue  # refused whole before anything is made (tests/test_emulator.py checks how)
            state = emulate.up(graph, aws, tmp_path)
            assert len(state.resources) == len(graph.custom_resources), cell.id
            assert emulate.destroy(graph.stack, aws, tmp_path) == len(state.resources), cell.id
            emulated += 1
    can = not any(emulate.needs_docker_engine(g) or emulate.unsupported_types(g) for _, g in rendered)
    assert emulated or not can


def test_every_type_a_cell_renders_has_a_translation_or_a_reason_never_both():
    """A type without either is a CL-TRANSLATE finding in the cell that renders it (above)."""
    assert not set(cfn.TRANSLATIONS) & set(cfn.NOT_VALIDATED)


# --- refused cells: refused clearly, never skipped ------------------------------------------------


LINE = re.compile(r"^matrix: cloudlabs:labs\[0\]\.options(\.\w+)?: .+ is not allowed( \(.+\))?; allowed: .+$")


def test_every_refused_cell_is_refused_by_the_settings_parser_with_one_clear_line_per_problem():
    assert MATRIX.refused
    for cell, why in MATRIX.refused:
        with pytest.raises(SettingsError) as refused:
            cell.settings()
        lines = str(refused.value).splitlines()
        assert lines and all(LINE.match(line) for line in lines), (cell.id, lines)
        if why.startswith("settings: "):
            assert why == f"settings: {refused.value}"
        else:  # the options model's own words are what the settings parser shows
            assert all(reason in str(refused.value) for reason in why.removeprefix("options model: ").split("; ")), why


def test_key_existing_without_a_key_pair_is_refused_in_every_profile_and_the_cli_exits_2(tmp_path, capsys):
    """Refused where the stack has no key pair at all; in a shared account (accountModel shared) each student
    has a generated key pair of their own, which key: existing uses, so the matrix may not meet it refused there."""
    from labctl.cli.main import main

    from .conftest import config
    existing = [c for c, why in MATRIX.refused if c.lab == "ssh-access" and c.options.options == {"key": "existing"}]
    assert all(not c.setting.key and load_profile(c.setting.profile).account_model != "shared" for c in existing)
    for profile in profile_names():
        if load_profile(profile).account_model == "shared":
            continue
        path = tmp_path / "Pulumi.test-s01.yaml"
        path.write_text(yaml.safe_dump({"config": config(profile=profile, keyName=None,
                                                         labs=[{"lab": "ssh-access", "options": {"key": "existing"}}])}))
        assert main(["validate", str(path)]) == 2
        err = capsys.readouterr().err
        assert "cloudlabs:labs[0].options.key: \"existing\" is not allowed (key: existing uses the stack's keyName" in err
        assert "Traceback" not in err


# --- what the matrix covers -------------------------------------------------------------------------


def test_the_covering_design_meets_every_option_value_with_every_profile_and_key_at_every_stage():
    for lab, spec in LABS.items():
        model = spec.options
        defaults = {f.alias or n: f.default for n, f in model.model_fields.items()}
        cells = [c for c in MATRIX.cells if c.lab == lab]
        accepted = {s.label for s in matrix._sets(lab) if s.refused is None}
        assert {c.options.label for c in cells} == accepted, lab  # every accepted option set at least once
        for stage in spec.stages:
            here = [c for c in cells if c.stage == stage]
            assert {c.setting.profile for c in here} == set(profile_names()) and {c.setting.key for c in here} == {True, False}
            for alias, values in matrix.option_values(model).items():
                listed = isinstance(defaults[alias], tuple)  # a list of parts: each part counts

                def holds(options, part, alias=alias, listed=listed) -> bool:
                    value = options.options.get(alias, list(defaults[alias]) if listed else defaults[alias])
                    return part in value if listed else value == part
                for part in {p for v in values for p in (v if listed else [v])}:
                    holding = [c for c in here if holds(c.options, part)]
                    refused_with = {(c.setting.profile, c.setting.key) for c, _ in MATRIX.refused
                                    if c.lab == lab and c.stage == stage and holds(c.options, part)}
                    assert holding or refused_with, (lab, stage, alias, part)  # never skipped in silence
                    assert {c.setting.profile for c in holding} | {p for p, _ in refused_with} == set(profile_names())
                    assert {c.setting.key for c in holding} | {k for _, k in refused_with} == {True, False}
    ids = MATRIX.cells[0].ids
    assert (len(ids.cohort), len(ids.student), len(ids.key_name)) == (20, 20, 255)  # the longest the settings accept
    assert all(c.ids == ids for c in MATRIX.cells)


def test_the_catalogs_priced_variants_and_the_hand_written_variants_fall_out():
    label = lambda options: matrix.OptionSet({k: v for k, v in options.items()}).label  # noqa: E731
    for lab, spec in LABS.items():
        for options in spec.cost_variants.values():
            assert any(c.lab == lab and c.options.label == label(options) for c in MATRIX.cells), (lab, options)
    # the cells tests/test_validation.py listed by hand before the matrix
    # (the full matrix has every set of matrix._sets at every stage, under every setting)
    for lab, stage, options in HAND_WRITTEN:
        written = {k: v for k, v in options.items() if v != LABS[lab].options.model_fields[
            next(n for n, f in LABS[lab].options.model_fields.items() if (f.alias or n) == k)].default}
        assert label(written) in {s.label for s in matrix._sets(lab)}, (lab, stage, options)


HAND_WRITTEN = [
    ("ec2-webserver", "solution", {"count": 6, "os": "alternate"}), ("access-control", "solution", {"parts": ["containers"]}),
    ("dual-stack", "solution", {"coursework": True}), ("dual-stack", "solution", {"coursework": True, "natGateway": False}),
    ("vpc-peering", "solution", {"natGateway": False}), ("lamp", "solution", {"dbInstanceClass": "db.t4g.micro"}),
    ("object-storage", "solution", {"parts": ["website", "cors"]}), ("ec2-webserver", "solution", {"count": 0}),
    ("access-control", "starter", {"parts": ["coursework"]}), ("access-control", "solution", {"parts": ["coursework"]}),
    ("ec2-webserver", "solution", {"os": "windows-server-2019"}), ("ssh-access", "solution", {"key": "existing"}),
    ("ssh-access", "solution", {"algorithm": "ED25519"}), ("access-control", "starter", {"parts": ["coursework-nacl"]}),
    ("access-control", "solution", {"parts": ["security-groups", "containers", "coursework-nacl"]}),
    ("access-control", "solution", {"parts": ["tcp-analysis"]}), ("containers", "solution", {"coursework": True}),
    ("containers", "solution", {"variant": "local"}), ("object-storage", "starter", {"parts": ["coursework"]}),
    ("object-storage", "solution", {"parts": ["coursework"]}), ("lamp", "starter", {"coursework": True}),
    ("lamp", "solution", {"coursework": True}), ("beanstalk", "solution", {"environment": "high-availability"}),
    ("beanstalk", "solution", {"coursework": True}), ("access-control", "solution", {"parts": ["coursework-nacl"]}),
    ("peering-topologies", "solution", {"topology": "provider"}),
]


def test_option_values_are_read_from_the_models_annotations():
    assert matrix.option_values(LABS["ec2-webserver"].options) == {
        "count": [0, 2, 6], "os": ["amazon-linux-2023", "ubuntu-24.04", "alternate", "windows-server-2019"]}
    assert matrix.option_values(LABS["beanstalk"].options)["environment"] == [None, "single", "high-availability"]
    parts = matrix.option_values(LABS["access-control"].options)["parts"]
    assert ["tcp-analysis"] in parts and ["nacl", "security-groups", "containers", "coursework"] in parts
    assert ["security-groups", "containers", "coursework-nacl"] in parts  # the most the model takes beside it
    ssh = matrix.option_values(LABS["ssh-access"].options)["publicKey"]
    assert ssh[0] is None and ssh[1].startswith("ssh-ed25519 ")  # None and the field's own example
    (cors,) = [s for s in matrix.option_sets(LABS["object-storage"].options) if s.options == {"parts": ["cors"]}]
    assert cors.refused == "cors needs website (website 1 is the allowed origin)"


# --- a new option value joins by itself ---------------------------------------------------------------


def _extended(monkeypatch, model: type[LabOptions]) -> None:
    monkeypatch.setitem(LABS, "peering-topologies", dataclasses.replace(LABS["peering-topologies"], options=model))


def test_a_new_literal_value_joins_the_matrix_without_editing_a_list(monkeypatch):
    before = matrix.derive(["peering-topologies"])

    class Star(LabOptions):
        topology: Literal["full-mesh", "provider", "star"] = Field("full-mesh", description="test")
    _extended(monkeypatch, Star)
    after = matrix.derive(["peering-topologies"])
    star = [c for c in after.cells + [c for c, _ in after.refused] if c.options.options.get("topology") == "star"]
    assert {c.stage for c in star} == set(LABS["peering-topologies"].stages)
    assert {(c.stage, c.setting.profile) for c in star} == {(s, p) for s in LABS["peering-topologies"].stages
                                                           for p in profile_names()}
    assert {c.setting.key for c in star} == {True, False}
    assert after.product == before.product * 3 // 2 and len(after.cells) > len(before.cells)


def test_an_option_the_matrix_cannot_choose_values_for_is_an_error_naming_it(monkeypatch):
    class Free(LabOptions):
        topology: str = Field("full-mesh", description="test")
    _extended(monkeypatch, Free)
    with pytest.raises(matrix.MatrixError, match=r"Free\.topology: .*gives no examples"):
        matrix.derive(["peering-topologies"])

    class Unbounded(LabOptions):
        count: int = Field(2, ge=0, description="test")
    _extended(monkeypatch, Unbounded)
    with pytest.raises(matrix.MatrixError, match=r"Unbounded\.count: an int without both bounds"):
        matrix.derive(["peering-topologies"])


def test_cell_ids_are_unique_and_readable():
    ids = [c.id for c in MATRIX.cells]
    assert len(ids) == len(set(ids))
    assert "ssh-access-solution-{\"algorithm\":\"ED25519\"}-" in " ".join(ids)
