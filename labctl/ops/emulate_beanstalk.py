"""The emulator's Elastic Beanstalk types (chapter 11's lab; its roles are in ``emulate_iam``),
and what moto cannot do.

moto 5.2.5's Elastic Beanstalk is partial: CreateApplication, DescribeApplications,
DeleteApplication, CreateEnvironment (which keeps the name, solution stack and tags but drops
the version label and option settings and answers an empty EnvironmentId, CNAME and
EndpointURL), DescribeEnvironments, ListAvailableSolutionStacks and the tag calls. It has no
CreateApplicationVersion, DescribeApplicationVersions, DeleteApplicationVersion,
TerminateEnvironment, UpdateEnvironment or DescribeConfigurationSettings: an application version
cannot be made, and an environment neither runs its version nor can be terminated on its own.
Those two types are therefore ``UNSUPPORTED`` (with the reason), so ``up`` refuses a graph that
has them before creating anything, as for any type without a handler.
"""

from __future__ import annotations

from typing import Any, Callable

from labctl import kinds
from labctl.ops.emulate_iam import aws_tags, given_name

Create = Callable[[Any, dict, str], tuple[str, dict]]
Delete = Callable[[Any, str, dict], None]

UNSUPPORTED: dict[str, str] = {token: k.emulated for token, k in kinds.KINDS.items()
                               if k.emulated and not k.needs_engine}  # the records say why (labctl.kinds)


def _create_application(aws, i, name):
    application = given_name(i, name, 100)
    args: dict[str, Any] = {"ApplicationName": application}
    if i.get("description"):
        args["Description"] = i["description"]
    if aws_tags(i):
        args["Tags"] = aws_tags(i)
    made = aws("elasticbeanstalk").create_application(**args)["Application"]
    return application, {"outputs": {"name": application, "arn": made.get("ApplicationArn", "")}}


HANDLERS: dict[str, tuple[Create, Delete]] = {
    # as the provider deletes an application: its environments go with it
    "aws:elasticbeanstalk/application:Application": (
        _create_application, lambda aws, rid, x: aws("elasticbeanstalk").delete_application(ApplicationName=rid, TerminateEnvByForce=True)),
}
