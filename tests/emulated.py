"""A demo stack edited to one lab entry and brought up on in-process moto, read by `labctl grade`
and `drift` through the CLI's seam: the setup of the tests that do a student's steps by hand."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import boto3
import yaml
from moto import mock_aws

from labctl.cli import runners
from labctl.offline.render import ENVIRONMENTS, render_file
from labctl.ops import emulate


@contextmanager
def emulated_stack(monkeypatch, tmp_path: Path, stack: str, lab: dict[str, Any]) -> Iterator[tuple[Any, Path]]:
    """(boto3 session, environments folder) with ``stack``'s labs replaced by ``lab`` and it up."""
    env = tmp_path / "environments"
    shutil.copytree(ENVIRONMENTS, env)
    path = env / f"Pulumi.{stack}.yaml"
    doc = yaml.safe_load(path.read_text())
    doc["config"]["cloudlabs:labs"] = [lab]
    path.write_text(yaml.safe_dump(doc))
    with mock_aws():
        session = boto3.Session(region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t")
        monkeypatch.setattr(runners, "make_live_client", lambda region, command, endpoint_url=None: session.client)
        emulate.up(render_file(path), session, tmp_path / "state")
        yield session, env


def counting_calls(client: Callable[[str], Any], calls: list[str]) -> Callable[[str], Any]:
    """A boto3 client factory whose clients add each API call's name to ``calls`` as it is made."""
    def counted(service: str) -> Any:
        made = client(service)
        made.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
        return made
    return counted
