"""The VPC service's own resources: security group rules as resources of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from labctl.kinds.ec2 import SECURITY_GROUPS
from labctl.kinds.guards import Guard
from labctl.kinds.emulation import on_ec2
from labctl.kinds.fakes import with_id
from labctl.kinds.templates import Template
from labctl.kinds.live_reads import NOTHING, Found, LiveRead, Narrowing, Reading, listing
from labctl.kinds.network import GROUP_RULE, Reach
from labctl.kinds import FREE, Kind
from labctl.kinds.replacing import Replaces, TF_SG_RULE
from labctl.kinds import quotas

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_sg_rule(direction: str) -> Callable:
    def create(ec2, i):
        perm: dict[str, Any] = {"IpProtocol": i["ipProtocol"]}
        if i.get("fromPort") is not None:
            perm["FromPort"] = int(i["fromPort"])
        if i.get("toPort") is not None:
            perm["ToPort"] = int(i["toPort"])
        if i.get("cidrIpv4"):
            perm["IpRanges"] = [{"CidrIp": i["cidrIpv4"], "Description": i.get("description", "")}]
        if i.get("cidrIpv6"):
            perm["Ipv6Ranges"] = [{"CidrIpv6": i["cidrIpv6"], "Description": i.get("description", "")}]
        if i.get("referencedSecurityGroupId"):
            perm["UserIdGroupPairs"] = [{"GroupId": i["referencedSecurityGroupId"]}]
        call = ec2.authorize_security_group_ingress if direction == "ingress" else ec2.authorize_security_group_egress
        result = call(GroupId=i["securityGroupId"], IpPermissions=[perm])
        rules = result.get("SecurityGroupRules") or [{}]
        return rules[0].get("SecurityGroupRuleId", f"sgr-{i['securityGroupId']}"), {"groupId": i["securityGroupId"], "direction": direction}
    return create


def _revoke_sg_rule(ec2, rid, extra):
    revoke = ec2.revoke_security_group_ingress if extra["direction"] == "ingress" else ec2.revoke_security_group_egress
    revoke(GroupId=extra["groupId"], SecurityGroupRuleIds=[rid])


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --

_RULE_ID = with_id("sgr", "ec2", "security-group-rule")


def _fake_sg_rule(cloud: FakeCloud, args: Args) -> Answered:
    rule, computed = _RULE_ID(cloud, args)
    return rule, {**computed, "securityGroupRuleId": rule}


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _sg_rule(ingress: bool) -> Template:
    peer = "SourceSecurityGroupId" if ingress else "DestinationSecurityGroupId"

    def properties(b, r):
        i = r.inputs
        return {"GroupId": b.ref(i.get("securityGroupId")), "IpProtocol": i.get("ipProtocol"), "FromPort": i.get("fromPort"),
                "ToPort": i.get("toPort"), "CidrIp": i.get("cidrIpv4"), "CidrIpv6": i.get("cidrIpv6"),
                peer: b.ref(i.get("referencedSecurityGroupId")), "Description": i.get("description")}
    return Template("AWS::EC2::SecurityGroupIngress" if ingress else "AWS::EC2::SecurityGroupEgress", properties, referenced=False)


# --- live reads: how the live reader (labctl.ops.live) finds each kind in AWS ----------------------


def _of_student_groups(reading: Reading) -> Narrowing:
    """The rules of the groups in the student's VPCs."""
    ids = [g["GroupId"] for g in reading.items(SECURITY_GROUPS)]
    if not ids:
        return NOTHING
    wanted = set(ids)
    return Narrowing(({"Filters": [{"Name": "group-id", "Values": ids}]},), lambda rule: rule.get("GroupId") in wanted)


GROUP_RULES = listing("ec2", "describe_security_group_rules", "SecurityGroupRules", _of_student_groups)


def _read_sg_rule(egress: bool) -> Callable:
    def read(rule, reading):
        if rule["IsEgress"] != egress:
            return
        inputs: dict[str, Any] = {"securityGroupId": rule["GroupId"], "ipProtocol": rule["IpProtocol"],
                                  "description": rule.get("Description", "")}
        if rule["IpProtocol"] != "-1":
            inputs["fromPort"], inputs["toPort"] = rule.get("FromPort"), rule.get("ToPort")
        if rule.get("CidrIpv4"):
            inputs["cidrIpv4"] = rule["CidrIpv4"]
        elif rule.get("CidrIpv6"):
            inputs["cidrIpv6"] = rule["CidrIpv6"]
        elif rule.get("ReferencedGroupInfo", {}).get("GroupId"):
            inputs["referencedSecurityGroupId"] = rule["ReferencedGroupInfo"]["GroupId"]
        else:
            return  # a prefix-list peer: no address range the checker can place
        yield Found(rule["SecurityGroupRuleId"], rule.get("Tags"), inputs)
    return read


# --- reach: each kind's place in the reachability model (labctl.analysis.reach builds it) ----------


def _place_sg_rule(egress: bool) -> Callable:
    def place(r, model):
        i = r.inputs
        model.add_group_rule(i["securityGroupId"], egress, i["ipProtocol"], (i.get("fromPort"), i.get("toPort")),
                             i.get("cidrIpv4") or i.get("cidrIpv6"), i.get("referencedSecurityGroupId"), i.get("description", ""), r.urn)
    return place


# Every create-only property of AWS::EC2::SecurityGroupIngress and ::SecurityGroupEgress but the group.
_INGRESS_UPDATABLE = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "SourceSecurityGroupId", "SourcePrefixListId",
                      "SourceSecurityGroupName", "SourceSecurityGroupOwnerId", "GroupName")
_EGRESS_UPDATABLE = ("IpProtocol", "FromPort", "ToPort", "CidrIp", "CidrIpv6", "DestinationSecurityGroupId", "DestinationPrefixListId")

KINDS = (
    Kind("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress rule", FREE, sweep_with="goes with its security group", drift_fact="sg-rule", within="securityGroupId",
         quota=quotas.group_rule("ingress"),
         provision_seconds=1,
         replaces=Replaces(updatable=_INGRESS_UPDATABLE, source=TF_SG_RULE),
         guard=Guard(ingress=True),
         ec2_description="description",
         fake=_fake_sg_rule,
         template=_sg_rule(ingress=True),
         live=LiveRead(GROUP_RULES, _read_sg_rule(egress=False)),
         reach=Reach(GROUP_RULE, _place_sg_rule(egress=False)),
         emulator=on_ec2(_create_sg_rule("ingress"), _revoke_sg_rule)),
    Kind("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress rule", FREE, sweep_with="goes with its security group", drift_fact="sg-rule", within="securityGroupId",
         quota=quotas.group_rule("egress"),
         provision_seconds=1,
         replaces=Replaces(updatable=_EGRESS_UPDATABLE, source=TF_SG_RULE),
         ec2_description="description",
         fake=_fake_sg_rule,
         template=_sg_rule(ingress=False),
         live=LiveRead(GROUP_RULES, _read_sg_rule(egress=True)),
         reach=Reach(GROUP_RULE, _place_sg_rule(egress=True)),
         emulator=on_ec2(_create_sg_rule("egress"), _revoke_sg_rule)),
)
