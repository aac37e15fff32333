"""The renderer's SDK replacements (issue 17): on for the pinned SDK, active only inside a render."""

from __future__ import annotations

import gc

from pulumi.runtime import resource as sdk_resource

from labctl.offline import render, sdkpatch

from .conftest import config, render_config


def test_every_replacement_matches_the_pinned_sdk():
    """A new pulumi version whose functions changed renders unpatched (slower): this says so."""
    assert sdkpatch.install() == {"_get_stack_trace": True, "wait_for_rpcs": True, "_sync_await": True, "debug": True}


def test_outside_a_render_the_sdk_behaves_as_installed():
    sdkpatch.install()
    assert not sdkpatch.RENDERING.get()
    # Stack traces are still captured for any other Pulumi code in the process.
    assert sdk_resource._get_stack_trace() is not None
    assert sdk_resource._get_stack_trace.__wrapped__ is not None  # type: ignore[attr-defined]


def test_a_render_leaves_the_collector_as_it_found_it():
    assert gc.isenabled()
    render_config(config(), cache=False)
    assert gc.isenabled()
    gc.disable()
    try:
        render_config(config(), cache=False)
        assert not gc.isenabled()  # turned off by someone else: not the renderer's to turn on
    finally:
        gc.enable()


def test_a_program_that_fails_inside_an_output_still_fails_the_render(tmp_path):
    """The linear wait for outputs re-raises an output's error as the SDK's wait does, and the
    outputs it left pending do not leak into the next render (which then waited forever)."""
    program = tmp_path / "__main__.py"
    program.write_text(
        "import pulumi\n"
        "def boom(_):\n"
        "    raise ValueError('bad apply')\n"
        "pulumi.export('x', pulumi.Output.from_input(1).apply(boom))\n"
    )
    try:
        render.run_program("test-s01", config(), program=program)
    except render.ProgramError as err:
        assert "bad apply" in str(err)
    else:
        raise AssertionError("the failing apply did not fail the render")
    assert gc.isenabled()
    assert render_config(config(), cache=False).resources  # the next render in this process completes
