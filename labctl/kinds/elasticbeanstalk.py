"""Elastic Beanstalk: applications, versions and environments.

moto 5.2.5 stores applications; it has no CreateApplicationVersion, DeleteApplicationVersion or
TerminateEnvironment, and its CreateEnvironment ignores the version and option settings: those two
kinds say so (``emulated``), and the emulator refuses a graph with them before creating anything."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Iterable

from cloudlabs.tags import STUDENT_TAG

from labctl.kinds.emulation import Emulator, given_name, tags
from labctl.kinds.guards import Guard
from labctl.kinds.fakes import digest, hex_id
from labctl.kinds.templates import Template, renamed, tag_list
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds.live_reads import NOT_CHECKED_LIVE, Found, Listing, LiveRead, everything
from labctl.kinds import drawing
from labctl.kinds.network import BEANSTALK_PUBLIC, HOST, LOAD_BALANCER_PUBLIC, NOT_IN_NETWORK, Reach
from labctl.kinds import capacity
from labctl.kinds.deploy import NeedsGateway
from labctl.kinds import FREE, Kind, Lookup
from labctl.kinds.replacing import BRIDGE_AUTONAME, Replaces
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


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


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --

# Solution stacks, newest first, as Elastic Beanstalk names them (a few of each kind).
SOLUTION_STACKS = (
    "64bit Amazon Linux 2023 v4.7.2 running PHP 8.4",
    "64bit Amazon Linux 2023 v4.7.2 running PHP 8.3",
    "64bit Amazon Linux 2023 v6.6.2 running Node.js 22",
    "64bit Amazon Linux 2023 v4.5.2 running Python 3.13",
    "64bit Amazon Linux 2 v3.9.2 running PHP 8.1",
)


def platform_of(stack: str) -> str:
    """A platform ARN's name part from a solution stack name: "PHP 8.4 running on 64bit Amazon Linux 2023/4.7.2"."""
    match = re.match(r"^(64bit Amazon Linux [\d.]+) v([\d.]+) running (.+)$", stack)
    return f"{match.group(3)} running on {match.group(1)}/{match.group(2)}" if match else stack


def _fake_application(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs["name"]
    return name, {"name": name, "arn": cloud.arn("elasticbeanstalk", f"application/{name}")}


def _fake_version(cloud: FakeCloud, args: Args) -> Answered:
    label, application = args.inputs["name"], args.inputs["application"]
    return label, {"name": label, "arn": cloud.arn("elasticbeanstalk", f"applicationversion/{application}/{label}")}


def _fake_environment(cloud: FakeCloud, args: Args) -> Answered:
    """As Beanstalk answers: an e- id, a CNAME under the region's elasticbeanstalk.com with the
    eba- infix (the book's Example-env.eba-hvmgnwpx...), and the endpoint: a single instance's
    Elastic IP, or the load balancer's DNS name."""
    name, application = args.inputs["name"], args.inputs["application"]
    env_id = "e-" + hex_id(f"{cloud.stack}/{args.name}", 10)
    settings = {(s.get("namespace"), s.get("name")): s.get("value") for s in args.inputs.get("settings") or []}
    single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    tag = hex_id(f"{cloud.stack}/{args.name}/awseb", 13).upper()
    endpoint = (cloud.elastic_ip(args) if single
                else f"awseb-AWSEB-{tag}-{digest(cloud.stack, args.name) % 10**10}.{cloud.region}.elb.amazonaws.com")
    return env_id, {
        "name": name, "arn": cloud.arn("elasticbeanstalk", f"environment/{application}/{name}"),
        "cname": f"{name.lower()}.eba-{hex_id(cloud.stack + args.name, 8)}.{cloud.region}.elasticbeanstalk.com",
        "endpointUrl": endpoint, "tier": args.inputs.get("tier", "WebServer"),
        "platformArn": f"arn:aws:elasticbeanstalk:{cloud.region}::platform/{platform_of(args.inputs.get('solutionStackName', ''))}",
        "allSettings": args.inputs.get("settings") or [],
        "autoscalingGroups": [f"awseb-{env_id}-stack-AWSEBAutoScalingGroup-{tag}"],
        "instances": [], "launchConfigurations": [], "queues": [], "triggers": [],
        "loadBalancers": [] if single else [endpoint.split(".")[0][:32]],
    }


def _fake_solution_stack(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    """The newest stack whose name matches, from names as ListAvailableSolutionStacks gives them."""
    pattern = re.compile(query.get("nameRegex") or ".*")
    for name in SOLUTION_STACKS:
        if pattern.search(name):
            return {"id": cloud.region, "name": name, "nameRegex": query.get("nameRegex"), "mostRecent": query.get("mostRecent")}
    raise ValueError(f"no solution stack matches {pattern.pattern!r} (known: {', '.join(SOLUTION_STACKS)})")


LOOKUPS = (
    Lookup("aws:elasticbeanstalk/getSolutionStack:getSolutionStack", _fake_solution_stack),
)


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


_VPC = "aws:ec2:vpc"


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
    name = model.book_name(r.inputs.get("name") or r.name, (r.inputs.get("tags") or {}).get(STUDENT_TAG))
    single = settings.get(("aws:elasticbeanstalk:environment", "EnvironmentType")) == "SingleInstance"
    if not subnets:
        _outside_the_labs_vpc(model, r.inputs.get("name") or name, name, settings, single)
        return
    public = single or settings.get(("aws:ec2:vpc", "AssociatePublicIpAddress"), "").lower() == "true"
    model.place_host(name, "Beanstalk instance", subnets[0], 13, BEANSTALK_PUBLIC if public else None,
                     listed("aws:autoscaling:launchconfiguration", "SecurityGroups"))
    if single:
        return
    elb_subnets = [s for s in listed("aws:ec2:vpc", "ELBSubnets") if model.has_subnet(s)] or subnets
    internal = settings.get(("aws:ec2:vpc", "ELBScheme")) == "internal"
    model.place_host(f"{name}-ALB", "load balancer", elb_subnets[0], 6, None if internal else LOAD_BALANCER_PUBLIC,
                     listed("aws:elbv2:loadbalancer", "SecurityGroups"))


def _outside_the_labs_vpc(model, environment: str, name: str, settings: dict[tuple[Any, Any], str], single: bool) -> None:
    """An environment read live outside the student's VPCs (the book's console route never picks a
    VPC, so Beanstalk uses the account's default one): its paths fail saying where it runs, not
    only that its instances are missing. An environment in the student's VPC is read as its
    instances and load balancer (they are placed as such); one whose VPC is unknown, not at all."""
    if (_VPC, "VPCId") not in settings or model.has_vpc(settings[(_VPC, "VPCId")]):
        return
    vpc = settings[(_VPC, "VPCId")]
    where = f"VPC {vpc}" if vpc else "the account's default VPC (no VPC picked, the console's default)"
    why = (f"Beanstalk environment {environment} runs in {where}, outside the lab's VPC, which is what is graded: "
           "create it in the lab's VPC and subnets (settings aws:ec2:vpc VPCId and Subnets, as the starter's "
           "createEnvironment command gives them)")
    model.place_elsewhere(name, why)
    if not single:
        model.place_elsewhere(f"{name}-ALB", why)


# --- live reads: the student's environments, by the application the lab made for them ---------------

# An environment carries no tags of the student's when the console or the CLI made it: it is the
# student's when its application is (the lab makes it with the student's tags).
APPLICATIONS = Listing("elasticbeanstalk", "describe_applications", "Applications", everything)
_READ_SETTINGS = ((_VPC, "VPCId"), ("aws:elasticbeanstalk:environment", "EnvironmentType"))


def _environment_settings(eb: Any, application: str, environment: str) -> list[dict[str, str]] | None:
    """Where the environment runs (its VPCId, "" when none was picked: the account's default VPC) and its
    type, from its configuration; None when Beanstalk cannot give it (an environment still launching)."""
    from botocore.exceptions import ClientError
    try:
        answer = eb.describe_configuration_settings(ApplicationName=application, EnvironmentName=environment)
    except ClientError:
        return None
    found = {(o.get("Namespace"), o.get("OptionName")): o.get("Value") or ""
             for c in answer.get("ConfigurationSettings", [])[:1] for o in c.get("OptionSettings", [])}
    return [{"namespace": ns, "name": name, "value": found.get((ns, name), "")} for ns, name in _READ_SETTINGS]


def _read_environments(application: dict[str, Any], reading: Any) -> Iterable[Found]:
    eb = reading.client("elasticbeanstalk")
    from botocore.exceptions import ClientError
    try:
        listed = eb.list_tags_for_resource(ResourceArn=application["ApplicationArn"]).get("ResourceTags")
    except ClientError as err:  # gone since the listing (moto 5.2.5 keeps no application's tags: the same answer)
        if err.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return
        raise
    if not reading.owns(listed):
        return
    tags = reading.tag_map(listed)
    owner = {k: v for k, v in tags.items() if k.startswith("cloudlabs:")}
    for env in eb.describe_environments(ApplicationName=application["ApplicationName"]).get("Environments", []):
        if env.get("Status") in ("Terminating", "Terminated"):
            continue
        inputs: dict[str, Any] = {"name": env["EnvironmentName"], "application": application["ApplicationName"]}
        settings = _environment_settings(eb, application["ApplicationName"], env["EnvironmentName"])
        if settings is not None:
            inputs["settings"] = settings
        yield Found(env["EnvironmentId"], owner, inputs, {"cname": env.get("CNAME"), "endpointUrl": env.get("EndpointURL")})


def environment_url(eb: Any, application: str, environment: str) -> str | None:
    """The page of an environment the student created (the console or createEnvironment): its CNAME as
    Elastic Beanstalk answers DescribeEnvironments, or None while there is none (not created yet,
    terminated)."""
    for env in eb.describe_environments(ApplicationName=application, EnvironmentNames=[environment]).get("Environments", []):
        if env.get("Status") not in ("Terminating", "Terminated") and env.get("CNAME"):
            return f"http://{env['CNAME']}/"
    return None


# --- deploy facts: what the deploy rules read (labctl.analysis.deployrules) -------------------------

_ENVIRONMENT = "aws:elasticbeanstalk:environment"
ENVIRONMENT_SECRETS = "aws:elasticbeanstalk:application:environmentsecrets"


def _settings(value: Any) -> dict[tuple[Any, Any], str]:
    return {(s.get("namespace"), s.get("name")): str(s.get("value") or "") for s in value or [] if isinstance(s, dict)}


def _listed(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def public_subnets(value: Any) -> list[str]:
    """The subnets in which Beanstalk puts something public, from the environment's option settings:
    the instances' (``Subnets``) when they get a public address (AssociatePublicIpAddress, or a single
    instance: Beanstalk gives it an Elastic IP), and the load balancer's (``ELBSubnets``, else the
    instances') unless its ELBScheme is internal."""
    settings = _settings(value)
    single = settings.get((_ENVIRONMENT, "EnvironmentType")) == "SingleInstance"
    instances = _listed(settings.get((_VPC, "Subnets"), ""))
    found = list(instances) if single or settings.get((_VPC, "AssociatePublicIpAddress"), "").lower() == "true" else []
    if not single and settings.get((_VPC, "ELBScheme"), "public") != "internal":
        found += _listed(settings.get((_VPC, "ELBSubnets"), "")) or instances
    return list(dict.fromkeys(found))


_PUBLIC_ENVIRONMENT = NeedsGateway(
    "settings", when=lambda i: bool(public_subnets(i.get("settings"))), pick=public_subnets,
    route="its instances download the bundle and report to Elastic Beanstalk through it while the environment is "
          "created: without it they never turn healthy and the environment fails to launch "
          "(https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/vpc.html)")


def _boot_secrets(inputs: dict[str, Any]) -> dict[str, str]:
    """The environment secrets (name: the secret's or parameter's ARN): Beanstalk reads them when an
    instance boots, and a rotated value only reaches the instances after a manual refresh."""
    return {name: value for (namespace, name), value in _settings(inputs.get("settings")).items()
            if namespace == ENVIRONMENT_SECRETS}


KINDS = (
    Kind("aws:elasticbeanstalk/application:Application", "Beanstalk application", FREE, sweep="Beanstalk application",
         provision_seconds=2,
         replaces=Replaces(autoname="name", source=BRIDGE_AUTONAME),
         fake=_fake_application,
         template=_APPLICATION,
         sweep_rule=SweepRule(_find_applications, delete_by_id("elasticbeanstalk", "delete_application", "ApplicationName",
                                                               TerminateEnvByForce=True),
                              arn_kinds=("elasticbeanstalk:application",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_application, _delete_application)),
    Kind("aws:elasticbeanstalk/applicationVersion:ApplicationVersion", "application version", FREE, "its bundle is an S3 object", emulated="moto 5.2.5 has no CreateApplicationVersion or DeleteApplicationVersion", sweep_with="goes with its Beanstalk application",
         provision_seconds=3,
         replaces=Replaces(inputs=("name",), source="aws_elastic_beanstalk_application_version: a version is immutable; its label forces a new one"),
         fake=_fake_version,
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         template=Template("AWS::ElasticBeanstalk::ApplicationVersion", _version_properties)),
    Kind("aws:elasticbeanstalk/environment:Environment", "Beanstalk environment", "beanstalk_environment", emulated="moto 5.2.5 has no TerminateEnvironment and its CreateEnvironment ignores the version and option settings", sweep="Beanstalk environment", drift_fact="launches",
         quota=quotas.beanstalk_environment,
         provision_seconds=420,  # launching -> Ready, 5-8 min (https://docs.aws.amazon.com/elasticbeanstalk/latest/dg/using-features.environments.html)
         replaces=Replaces(autoname="name", source=BRIDGE_AUTONAME),
         diagram=drawing.BEANSTALK,
         guard=Guard(beanstalk_options=True),
         capacity=capacity.beanstalk_environment,
         needs_gateway=_PUBLIC_ENVIRONMENT,
         boot_secrets=_boot_secrets,
         service_bucket="elasticbeanstalk-{region}-{account}",
         newest_image=("solutionStackName", "SolutionStackName"),
         option_settings="settings",
         fake=_fake_environment,
         live=LiveRead(APPLICATIONS, _read_environments),
         reach=Reach(HOST, _place_environment),
         template=Template("AWS::ElasticBeanstalk::Environment", _environment_properties),
         sweep_rule=SweepRule(_find_environments, delete_by_id("elasticbeanstalk", "terminate_environment", "EnvironmentId",
                                                               TerminateResources=True),
                              _environments_left, arn_kinds=("elasticbeanstalk:environment",))),
)
