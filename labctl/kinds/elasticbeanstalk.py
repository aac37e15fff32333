"""Elastic Beanstalk: applications, versions and environments.

moto 5.2.5 stores applications; it has no CreateApplicationVersion, DeleteApplicationVersion or
TerminateEnvironment, and its CreateEnvironment ignores the version and option settings: those two
kinds say so (``emulated``), and the emulator refuses a graph with them before creating anything."""

from __future__ import annotations

from typing import Any

from labctl.kinds.emulation import Emulator, given_name, tags
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, AS_LAUNCHED
from labctl.kinds import FREE, Kind
from labctl.kinds.network import BEANSTALK_PUBLIC, HOST, LOAD_BALANCER_PUBLIC, NOT_IN_NETWORK, Reach


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


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_environment(r, model):
    """An environment, from its option settings: its instances (named as the environment) in the first
    of its subnets with the groups it lists, and when load balanced its load balancer ("<environment>-ALB").
    Only the groups the settings name are modelled: the labs turn Beanstalk's default instance group off
    (DisableDefaultEC2SecurityGroup)."""
    settings = {(s.get("namespace"), s.get("name")): str(s.get("value") or "") for s in r.inputs.get("settings") or []}

    def listed(namespace: str, name: str) -> list[str]:
        return [v.strip() for v in settings.get((namespace, name), "").split(",") if v.strip()]

    subnets = [s for s in listed("aws:ec2:vpc", "Subnets") if model.has_subnet(s)]
    if not subnets:
        return
    name = model.book_name(r.inputs.get("name") or r.name, (r.inputs.get("tags") or {}).get("cloudlabs:student"))
    single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    public = single or settings.get(("aws:ec2:vpc", "AssociatePublicIpAddress"), "").lower() == "true"
    model.place_host(name, "Beanstalk instance", subnets[0], 13, BEANSTALK_PUBLIC if public else None,
                     listed("aws:autoscaling:launchconfiguration", "SecurityGroups"))
    if single:
        return
    elb_subnets = [s for s in listed("aws:ec2:vpc", "ELBSubnets") if model.has_subnet(s)] or subnets
    internal = settings.get(("aws:ec2:vpc", "ELBScheme")) == "internal"
    model.place_host(f"{name}-ALB", "load balancer", elb_subnets[0], 6, None if internal else LOAD_BALANCER_PUBLIC,
                     listed("aws:elbv2:loadbalancer", "SecurityGroups"))


KINDS = (
    Kind("aws:elasticbeanstalk/application:Application", "Beanstalk application", FREE, sweep="Beanstalk application",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_application, _delete_application)),
    Kind("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application version", FREE, "its bundle is an S3 object", emulated="moto 5.2.5 has no CreateApplicationVersion or DeleteApplicationVersion", sweep_with="goes with its Beanstalk application",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
    ),
    Kind("aws:elasticbeanstalk/environment:Environment", "Beanstalk environment", "beanstalk_environment", emulated="moto 5.2.5 has no TerminateEnvironment and its CreateEnvironment ignores the version and option settings", sweep="Beanstalk environment", drift_fact="launches",
         live_reason=AS_LAUNCHED,
         reach=Reach(HOST, _place_environment),
    ),
)
