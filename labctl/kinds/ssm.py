"""Systems Manager: parameters (the beanstalk coursework keeps its database's password in a
SecureString parameter that the environment hands the page as an environment secret)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from labctl.kinds.emulation import Emulator, given_name, tags
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds import FREE, Kind
from labctl.kinds.replacing import BRIDGE_AUTONAME, Replaces

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


def parameter_arn_path(name: str) -> str:
    """The ARN's resource part: ``parameter`` then the name (a hierarchy's name brings its own slash)."""
    return f"parameter{name}" if name.startswith("/") else f"parameter/{name}"


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_parameter(aws, i, name):
    ssm = aws("ssm")
    parameter = given_name(i, name, 1011)
    args: dict[str, Any] = {"Name": parameter, "Value": i["value"], "Type": i.get("type", "String"),
                            "Tier": i.get("tier") or "Standard"}
    if i.get("description"):
        args["Description"] = i["description"]
    if tags(i):
        args["Tags"] = tags(i)
    version = ssm.put_parameter(**args)["Version"]
    arn = ssm.get_parameter(Name=parameter)["Parameter"]["ARN"]
    return parameter, {"outputs": {"name": parameter, "arn": arn, "version": version}}


def _delete_parameter(aws, rid, x):
    aws("ssm").delete_parameter(Name=rid)


# --- the fake cloud: what the offline renderer answers (labctl.offline.fakeaws asks) ----------------


def _fake_parameter(cloud: FakeCloud, args: Args) -> Answered:
    """As PutParameter answers: the name is the id, the ARN ends with it; version 1."""
    name = args.inputs.get("name") or args.name
    return name, {"name": name, "arn": cloud.arn("ssm", parameter_arn_path(name)), "version": 1,
                  "tier": args.inputs.get("tier") or "Standard"}


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_parameters(scan: SweepScan) -> Iterable[Listed]:
    ssm = scan.client("ssm")
    for parameter in scan.pages(ssm, "describe_parameters", "Parameters"):
        name = parameter["Name"]
        found = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name).get("TagList", [])
        yield scan.found("SSM parameter", name, scan.tag_map(found), detail=parameter.get("Type", ""))


KINDS = (
    Kind("aws:ssm/parameter:Parameter", "SSM parameter", FREE, "standard parameters are free (SecureString with the aws/ssm key too)", sweep="SSM parameter",
         provision_seconds=1,
         replaces=Replaces(inputs=("name",), autoname="name", source=BRIDGE_AUTONAME),
         fake=_fake_parameter,
         no_template="CloudFormation cannot create a SecureString parameter (AWS::SSM::Parameter's Type allows String and "
                     "StringList only), the kind the labs make",
         sweep_rule=SweepRule(_find_parameters, delete_by_id("ssm", "delete_parameter", "Name"), arn_kinds=("ssm:parameter",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_parameter, _delete_parameter)),
)
