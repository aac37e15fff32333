"""The VPC service's own resources: security group rules as resources of their own."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from labctl.kinds.emulation import on_ec2
from labctl.kinds.fakes import with_id
from labctl.kinds.templates import Template
from labctl.kinds import FREE, Kind

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


KINDS = (
    Kind("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "ingress rule", FREE, sweep_with="goes with its security group", drift_fact="sg-rule", within="securityGroupId",
         fake=_fake_sg_rule,
         template=_sg_rule(ingress=True),
         emulator=on_ec2(_create_sg_rule("ingress"), _revoke_sg_rule)),
    Kind("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "egress rule", FREE, sweep_with="goes with its security group", drift_fact="sg-rule", within="securityGroupId",
         fake=_fake_sg_rule,
         template=_sg_rule(ingress=False),
         emulator=on_ec2(_create_sg_rule("egress"), _revoke_sg_rule)),
)
