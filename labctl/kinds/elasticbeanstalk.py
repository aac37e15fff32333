"""Elastic Beanstalk: applications, versions and environments.

moto 5.2.5 stores applications; it has no CreateApplicationVersion, DeleteApplicationVersion or
TerminateEnvironment, and its CreateEnvironment ignores the version and option settings: those two
kinds say so (``emulated``), and the emulator refuses a graph with them before creating anything."""

from __future__ import annotations

from typing import Any

from labctl.kinds.emulation import Emulator, given_name, tags
from labctl.kinds.templates import Template, renamed, tag_list
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


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _version_properties(b, r):
    """CloudFormation makes the version label itself; the rest is CreateApplicationVersion's."""
    i = r.inputs
    return {"ApplicationName": b.ref(i.get("application")), "Description": i.get("description"),
            "SourceBundle": {"S3Bucket": b.ref(i.get("bucket")), "S3Key": i.get("key")}}


def _environment_properties(b, r):
    i = r.inputs
    return {
        "ApplicationName": b.ref(i.get("application")), "EnvironmentName": i.get("name"), "Description": i.get("description"),
        "SolutionStackName": i.get("solutionStackName"), "PlatformArn": i.get("platformArn"), "CNAMEPrefix": i.get("cnamePrefix"),
        "VersionLabel": b.ref(i.get("version")), "Tier": {"Name": i["tier"], "Type": "Standard"} if i.get("tier") else None,
        "OptionSettings": [{"Namespace": s.get("namespace"), "OptionName": s.get("name"), "ResourceName": s.get("resource"),
                            "Value": b.ref(s.get("value"))} for s in i.get("settings") or []],
        "Tags": tag_list(i.get("tags"))}


# CloudFormation's application and version take no tags (the API does: Pulumi sends them)
_APPLICATION = renamed("AWS::ElasticBeanstalk::Application", {"name": "ApplicationName", "description": "Description"},
                       tags=False, own=("name",))


KINDS = (
    Kind("aws:elasticbeanstalk/application:Application", "Beanstalk application", FREE, sweep="Beanstalk application",
         template=_APPLICATION,
         emulator=Emulator(_create_application, _delete_application)),
    Kind("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application version", FREE, "its bundle is an S3 object", emulated="moto 5.2.5 has no CreateApplicationVersion or DeleteApplicationVersion", sweep_with="goes with its Beanstalk application",
         template=Template("AWS::ElasticBeanstalk::ApplicationVersion", _version_properties)),
    Kind("aws:elasticbeanstalk/environment:Environment", "Beanstalk environment", "beanstalk_environment", emulated="moto 5.2.5 has no TerminateEnvironment and its CreateEnvironment ignores the version and option settings", sweep="Beanstalk environment", drift_fact="launches",
         template=Template("AWS::ElasticBeanstalk::Environment", _environment_properties)),
)
