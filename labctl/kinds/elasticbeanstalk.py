"""Elastic Beanstalk: applications, versions and environments.

moto 5.2.5 stores applications; it has no CreateApplicationVersion, DeleteApplicationVersion or
TerminateEnvironment, and its CreateEnvironment ignores the version and option settings: those two
kinds say so (``emulated``), and the emulator refuses a graph with them before creating anything."""

from __future__ import annotations

from typing import Any, Iterable

from labctl.kinds.emulation import Emulator, given_name, tags
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
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


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _eb_tags(scan: SweepScan, arn: str) -> dict[str, str]:
    try:
        return scan.tag_map(scan.client("elasticbeanstalk").list_tags_for_resource(ResourceArn=arn).get("ResourceTags"))
    except Exception as err:  # noqa: BLE001 - gone since the listing: no tags to go by
        if scan.is_gone(err):
            return {}
        raise


def _find_environments(scan: SweepScan) -> Iterable[Listed]:
    for env in scan.pages(scan.client("elasticbeanstalk"), "describe_environments", "Environments"):
        if env.get("Status") == "Terminated":
            continue
        yield scan.found("Beanstalk environment", env["EnvironmentId"], _eb_tags(scan, env["EnvironmentArn"]),
                         state=env.get("Status", ""), detail=env.get("EnvironmentName", ""), hourly=None)


def _environments_left(scan: SweepScan, items: list[Listed]) -> list[Listed]:
    eb = scan.client("elasticbeanstalk")
    live = {e["EnvironmentId"] for e in eb.describe_environments(EnvironmentIds=[i.id for i in items]).get("Environments", [])
            if e.get("Status") != "Terminated"}
    return [i for i in items if i.id in live]


def _find_applications(scan: SweepScan) -> Iterable[Listed]:
    for app in scan.client("elasticbeanstalk").describe_applications().get("Applications", []):
        yield scan.found("Beanstalk application", app["ApplicationName"], _eb_tags(scan, app["ApplicationArn"]))


KINDS = (
    Kind("aws:elasticbeanstalk/application:Application", "Beanstalk application", FREE, sweep="Beanstalk application",
         sweep_rule=SweepRule(_find_applications, delete_by_id("elasticbeanstalk", "delete_application", "ApplicationName",
                                                               TerminateEnvByForce=True),
                              arn_kinds=("elasticbeanstalk:application",)),
         emulator=Emulator(_create_application, _delete_application)),
    Kind("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application version", FREE, "its bundle is an S3 object", emulated="moto 5.2.5 has no CreateApplicationVersion or DeleteApplicationVersion", sweep_with="goes with its Beanstalk application"),
    Kind("aws:elasticbeanstalk/environment:Environment", "Beanstalk environment", "beanstalk_environment", emulated="moto 5.2.5 has no TerminateEnvironment and its CreateEnvironment ignores the version and option settings", sweep="Beanstalk environment", drift_fact="launches",
         sweep_rule=SweepRule(_find_environments, delete_by_id("elasticbeanstalk", "terminate_environment", "EnvironmentId",
                                                               TerminateResources=True),
                              _environments_left, arn_kinds=("elasticbeanstalk:environment",))),
)
