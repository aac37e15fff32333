"""Elastic Beanstalk: applications, versions and environments.

moto 5.2.5 stores applications; it has no CreateApplicationVersion, DeleteApplicationVersion or
TerminateEnvironment, and its CreateEnvironment ignores the version and option settings: those two
kinds say so (``emulated``), and the emulator refuses a graph with them before creating anything."""

from __future__ import annotations

from typing import Any

from labctl.kinds.emulation import Emulator, given_name, tags
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, AS_LAUNCHED
from labctl.kinds import FREE, Kind


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_application(aws, i, name):
    application = given_name(i, name, 100)
    args: dict[str, Any] = {"ApplicationName": application}
    if i.get("description"):
        args["Description"] = i["description"]
    if tags(i):
        args["Tags"] = tags(i)
    made = aws("elasticbeanstalk").create_application(**args)["Application"]
    return application, {"outputs": {"name": application, "arn": made.get("ApplicationArn", "")}}


def _delete_application(aws, rid, x):
    aws("elasticbeanstalk").delete_application(ApplicationName=rid, TerminateEnvByForce=True)


KINDS = (
    Kind("aws:elasticbeanstalk/application:Application", "Beanstalk application", FREE, sweep="Beanstalk application",
         live_reason=NOT_CHECKED_LIVE,
         emulator=Emulator(_create_application, _delete_application)),
    Kind("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application version", FREE, "its bundle is an S3 object", emulated="moto 5.2.5 has no CreateApplicationVersion or DeleteApplicationVersion", sweep_with="goes with its Beanstalk application",
         live_reason=NOT_CHECKED_LIVE,
    ),
    Kind("aws:elasticbeanstalk/environment:Environment", "Beanstalk environment", "beanstalk_environment", emulated="moto 5.2.5 has no TerminateEnvironment and its CreateEnvironment ignores the version and option settings", sweep="Beanstalk environment", drift_fact="launches",
         live_reason=AS_LAUNCHED,
    ),
)
