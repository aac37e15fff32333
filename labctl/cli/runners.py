"""Where commands that act on a cloud get their runners and AWS sessions: the one seam tests
replace (with tests/fakerunner.py or moto), so the commands themselves run unchanged."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from cloudlabs import REPO_ROOT

# logs, the fleet journal and the sandbox's store; CLOUDLABS_STATE_DIR moves them (tests, CI)
STATE_DIR = Path(os.environ.get("CLOUDLABS_STATE_DIR") or REPO_ROOT / ".cloudlabs")


def make_pulumi_runner(args: argparse.Namespace, owners: dict[str, tuple[str, str]]) -> Any:
    from labctl.ops.automation import AutomationRunner, backend_url, check_setup
    backend = backend_url(getattr(args, "backend", None))
    check_setup(backend)
    regions = {s.region for s in getattr(args, "selected_settings", {}).values()} or {"us-east-1"}
    for region in sorted(regions):  # the AWS provider needs credentials for every operation
        make_session(region, args.command)
    return AutomationRunner(backend)


def make_pulumi_outputs(command: str) -> Any:
    """The deployed stacks' outputs through the Pulumi CLI (probe without --outputs); ValueError
    (bad input, one line) when the CLI or the backend's passphrase is missing."""
    from labctl.ops.automation import backend_url, check_setup
    from labctl.ops.probe import PulumiOutputs
    backend = backend_url()
    try:
        check_setup(backend, instead="pass --outputs FILE (a JSON file {stack: outputs}, e.g. from `pulumi stack output "
                                     "--json` per stack)")
    except ValueError as exc:
        raise ValueError(f"{command}: {exc}") from None
    return PulumiOutputs(backend)


def make_power_runner(args: argparse.Namespace, owners: dict[str, tuple[str, str]]) -> Any:
    """stop/start with each stack's session: its region's (every region's checked now: missing credentials are
    bad input before anything is sent), a per-student stack's through its student's role."""
    from labctl.ops.awsops import PowerRunner
    selected = getattr(args, "selected_settings", {})
    regions = sorted({s.region for s in selected.values()}) or ["us-east-1"]
    made = {region: make_session(region, args.command) for region in regions}
    return PowerRunner(made[regions[0]], owners, student_sessions(lambda region: made.get(region) or make_session(region),
                                                                   selected))


def student_sessions(base: Any, selected: dict[Path, Any]) -> Any:
    """Each selected stack's session (per-student: its role, assumed once per run): labctl.ops.accounts."""
    from labctl.ops.accounts import StudentSessions
    return StudentSessions(base, {s.stack_name: s for s in selected.values()})


def make_session(region: str, command: str = "this command") -> Any:
    """A boto3 session for a command that calls AWS; ValueError (bad input, one line) when the
    region is not an AWS region or no credentials are configured."""
    import boto3

    from labctl.cli.arguments import aws_regions, region_allowed
    if region not in aws_regions():  # --region is checked by the parser; this is for regions read from files
        raise ValueError(f"{command}: region {region!r} is not allowed; allowed: {region_allowed()}")
    session = boto3.Session(region_name=region)
    if session.get_credentials() is None:
        raise ValueError(f"{command} calls AWS and no AWS credentials were found (environment variables, "
                         "~/.aws/credentials, AWS_PROFILE or an instance role); for a Learner Lab, paste the "
                         "session's credentials into ~/.aws/credentials")
    return session


def make_quota_client(region: str, command: str) -> Any:
    """A Service Quotas client for the account's applied quota values (ValueError without credentials)."""
    return make_session(region, command).client("service-quotas")


def make_live_client(region: str, command: str, endpoint_url: str | None = None) -> Any:
    """``client(service)`` for read-only calls: the sandbox's emulator when ``endpoint_url`` is
    given (any credentials do; only 127.0.0.1 is accepted), else AWS with the configured ones."""
    import boto3
    if endpoint_url is None:
        session = make_session(region, command)
        return lambda service: session.client(service)
    answers(endpoint_url)
    session = boto3.Session(region_name=region, aws_access_key_id="sandbox", aws_secret_access_key="sandbox")
    return lambda service: session.client(service, endpoint_url=endpoint_url)


def answers(endpoint_url: str) -> None:
    """Something listens at the emulator's address (http://127.0.0.1:PORT), else ValueError: one
    line before anything is read, not one "could not read" per student."""
    import socket
    port = int(endpoint_url.rsplit(":", 1)[1].rstrip("/"))
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return
    except OSError:
        raise ValueError(f"--endpoint-url: nothing answers at {endpoint_url}; allowed: the address of a running emulator "
                         f"(labctl sandbox serve --port {port}), or --emulate") from None
