"""Acting in the right account for each student (issue 29): the boto3 session of every stack, by
its account model, and what each command may and may not do for a model.

- shared and self-service: the caller's own credentials (one session per region);
- per-student: one STS ``AssumeRole`` into the student's role per stack (session name
  ``cloudlabs-<stack>``, what CloudTrail shows), cached for the run and used for that student's
  calls only. Pulumi itself assumes the same role through the stack's ``aws:assumeRoles``.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Mapping

from cloudlabs.accounts import session_name
from cloudlabs.settings import StackSettings


class AccountAccessError(ValueError):
    """The student's role could not be assumed: that student's operation fails, the others go on."""


class StudentSessions:
    """``session(stack)``: the boto3 session every call for that stack uses.

    ``base(region)``: the caller's session (labctl.cli.runners.make_session, or moto's in tests).
    ``settings``: stack name -> its settings. One AssumeRole per per-student stack per run.
    """

    def __init__(self, base: Callable[[str], Any], settings: Mapping[str, StackSettings]):
        self.base, self.settings = base, dict(settings)
        self._regions: dict[str, Any] = {}
        self._students: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.assumed: list[tuple[str, str]] = []  # (stack, role ARN), in the order they were assumed

    def caller(self, region: str) -> Any:
        with self._lock:
            if region not in self._regions:
                self._regions[region] = self.base(region)
            return self._regions[region]

    def session(self, stack: str) -> Any:
        s = self.settings[stack]
        if s.account_model != "per-student" or s.role_arn is None:
            return self.caller(s.region)
        return self.assume(stack, s.role_arn, s.region)

    def assume(self, stack: str, role_arn: str, region: str) -> Any:
        """The student's session: one AssumeRole per stack and run, then the cached one."""
        with self._lock:
            if stack in self._students:
                return self._students[stack]
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
        try:
            answer = self.caller(region).client("sts").assume_role(RoleArn=role_arn, RoleSessionName=session_name(stack))
        except (ClientError, BotoCoreError) as exc:
            raise AccountAccessError(f"{stack}: could not assume {role_arn} ({exc}); the caller needs sts:AssumeRole on it "
                                     "and the role must trust the caller's account") from None
        creds = answer["Credentials"]
        session = boto3.Session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                                aws_session_token=creds["SessionToken"], region_name=region)
        with self._lock:
            if stack not in self._students:
                self._students[stack] = session
                self.assumed.append((stack, role_arn))
            return self._students[stack]

    def client_factory(self, stack: str) -> Callable[[str], Any]:
        return lambda service: self.session(stack).client(service)


# --- self-service: what the instructor cannot do for the students --------------------------------

SELF_FLAG = "--self"


def self_service_refusal(command: str, settings: Mapping[str, Any], acting_self: bool) -> str | None:
    """Why ``command`` cannot run on these stacks (None: it can). A self-service stack lives in the
    student's own account, reached only with the student's own short-lived credentials: the
    instructor's cannot act there, and a run over several students would act in one account for all."""
    own = sorted(name for name, s in settings.items() if s.account_model == "self-service")
    if not own:
        return None
    if acting_self and len(settings) == 1:
        return None
    cohorts = ", ".join(sorted({settings[n].cohort for n in own}))
    example = own[0]
    if acting_self:
        return (f"{command}: {SELF_FLAG} acts with the caller's own credentials on exactly one stack, and {len(settings)} are "
                f"selected; allowed: one stack, e.g. labctl {command} {example} {SELF_FLAG}")
    instead = {"grade": f"each student runs labctl grade {example} {SELF_FLAG} --json report.json and hands in the report; "
                        "merge them with labctl grade <cohort> --merge REPORT...",
               "sweep": f"each student runs labctl sweep <cohort> {SELF_FLAG} --delete in their own account"}
    how = instead.get(command, f"each student runs labctl {command} <their stack> {SELF_FLAG} with their own credentials "
                               f"(e.g. labctl {command} {example} {SELF_FLAG})")
    return (f"{command}: cohort {cohorts} is self-service (accounts.model: self-service): its stacks live in each student's "
            f"own account, which only the student's own credentials reach; {how}; or --emulate to rehearse in the sandbox")
