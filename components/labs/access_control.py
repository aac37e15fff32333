"""access-control (chapter 5): network ACLs and security groups, in the student's default-like VPC."""

from __future__ import annotations

from typing import Any, Callable, Literal

from cloudlabs.labs.access_control import CONTAINER_PORTS, AccessControlOptions
from cloudlabs.images import AMAZON_LINUX_2023, docker_containers_user_data

from cloudlabs.labs import access_control

from ..compute import InstanceArgs, WebServer, lookup_ami, zones_offering
from ..context import LabContext
from ..nacl import EPHEMERAL, LabNetworkAcl, LabNetworkAclArgs, NaclRule
from ..network import LabVpc, LabVpcArgs
from ..security import (
    ALL_TRAFFIC, ANYWHERE, HTTP, HTTPS, ICMP_ALL, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound, tcp,
)
from .base import LabArgs, LabComponent

EPHEMERAL_TCP = tcp(*EPHEMERAL, label="ephemeral TCP (1024-65535)")
ADMIN_CIDR = "admin CIDR"  # placeholder in the table below, replaced by the stack's admin CIDR

# The book's walk through SN-0's NACL, stage by stage: (direction, rule number, ports, peer).
NACL_STAGES: dict[str, tuple[tuple[Literal["inbound", "outbound"], int, Any, Any], ...]] = {
    "starter": (),  # a new NACL: everything denied in both directions
    "ssh": (
        ("inbound", 10, SSH, ADMIN_CIDR),           # SSH in...
        ("outbound", 10, EPHEMERAL_TCP, ANYWHERE),  # ...and its replies, to the client's ephemeral port
    ),
}
NACL_STAGES["solution"] = NACL_STAGES["ssh"] + (
    ("inbound", 20, EPHEMERAL_TCP, ANYWHERE),       # replies from package repositories
    ("outbound", 20, HTTPS, ANYWHERE),              # package repositories are reached over HTTPS
)


def _url(port: int, prefix: str = "") -> Callable[[str], str]:
    """The URL of a container port on a host's address (with a command in front, e.g. ``curl ``)."""
    return lambda ip: f"{prefix}http://{ip}:{port}/"


def nacl_rules(stage: str, ctx: LabContext) -> list[NaclRule]:
    return [NaclRule(number, direction, ports, ctx.admin_cidr if peer == ADMIN_CIDR else peer)
            for direction, number, ports, peer in NACL_STAGES[stage]]


def describe(rule: NaclRule) -> str:
    return f"{rule.direction} {rule.number} {rule.ports} {rule.cidr} {rule.action}"


class AccessControlLab(LabComponent[AccessControlOptions]):
    """Three parts in the default-like VPC (option `parts`), one instance each:

    - nacl: SN-0 leaves the default NACL for its own; the instance's security group admits all
      traffic from the admin CIDR so that only the NACL decides (the book opens it to everyone).
    - security-groups: an instance in SN-16 with the VPC's default group only (`starter`), then
      SG-01 (HTTP in from anywhere, ICMP out) and SG-02 (SSH from the admin CIDR, all out).
    - containers: an instance in SN-32 running three nginx containers on 8081-8083, reached
      through one security-group rule for the port range.
    """

    TYPE = "cloudlabs:labs:AccessControl"
    LAB = access_control.LAB

    def build(self, name: str, args: LabArgs[AccessControlOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        plan = args.layout.vpc("VPC")
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type)),
                     opts=self.child)
        ami = lookup_ami(AMAZON_LINUX_2023, ctx.instance_type)
        outputs: dict[str, Any] = {"vpcId": vpc.vpc_id, "vpcCidr": str(plan.cidr)}
        if "nacl" in options.parts:
            outputs["nacl"] = self._nacl_part(name, ctx, vpc, ami)
        if "security-groups" in options.parts:
            outputs["securityGroups"] = self._sg_part(name, ctx, vpc, ami)
        if "containers" in options.parts:
            outputs["containers"] = self._containers_part(name, ctx, vpc, ami)
        if "coursework" in options.parts:
            outputs["coursework"] = self._coursework_part(name, ctx, vpc, ami)
        return outputs

    def _coursework_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        """Chapter 5's assignment with security groups (L4233-4311): VM1 (tester) in SN-0, VM2 and
        VM3 in SN-80 with three nginx containers each; the administrator SSHes into all three,
        only VM1 may ping them and curl their containers. `starter`: SSH only."""
        vm1_sg = LabSecurityGroup(f"{name}-cw-vm1-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="VM1: SSH from the admin CIDR, all out", group_name="VM1-SG", context=ctx,
            rules=[inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"), outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]),
            opts=self.child)
        rules = [inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR")]
        if ctx.stage != "starter":
            low, high = CONTAINER_PORTS[0], CONTAINER_PORTS[-1]
            rules += [inbound(ICMP_ALL, vm1_sg.id, "ping from VM1 only", name="icmp-from-vm1"),
                      inbound(tcp(low, high), vm1_sg.id, f"curl the containers {low}-{high} from VM1 only",
                              name="containers-from-vm1")]
        rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"))
        web_sg = LabSecurityGroup(f"{name}-cw-web-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="VM2 and VM3: SSH from the admin CIDR, ping and containers from VM1",
            group_name="VM2-VM3-SG", context=ctx, rules=rules), opts=self.child)
        vm1 = self._server(f"{name}-cw-vm1", ctx, vpc, ami, "SN-0", "VM1", [vm1_sg.id])
        hosts = {"VM1": vm1}
        for host in ("VM2", "VM3"):
            hosts[host] = self._server(f"{name}-cw-{host.lower()}", ctx, vpc, ami, "SN-80", host, [web_sg.id],
                                       user_data=docker_containers_user_data(CONTAINER_PORTS))
        return {
            "servers": {h: {"privateIp": s.private_ip, "publicIp": s.public_ip, "ssh": s.ssh} for h, s in hosts.items()},
            "testsFromVm1": [s.private_ip.apply(_url(port, "curl ")) for h, s in hosts.items() if h != "VM1"
                             for port in CONTAINER_PORTS]
                            + [s.private_ip.apply(lambda ip: f"ping -c 3 {ip}") for h, s in hosts.items() if h != "VM1"],
        }

    def _server(self, name: str, ctx: LabContext, vpc: LabVpc, ami, subnet: str, host: str, groups,
                user_data: str | None = None) -> WebServer:
        return WebServer(name, InstanceArgs(subnet_id=vpc.subnets[subnet].id, security_group_ids=groups, ami=ami,
                                            context=ctx, host_name=host, user_data=user_data), opts=self.child)

    def _nacl_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        rules = nacl_rules(ctx.stage, ctx)
        acl = LabNetworkAcl(f"{name}-nacl", LabNetworkAclArgs(vpc_id=vpc.vpc_id, subnet_ids={"SN-0": vpc.subnets["SN-0"].id},
                                                              rules=rules, context=ctx, acl_name="NACL-SN-0"), opts=self.child)
        group = LabSecurityGroup(f"{name}-nacl-test-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="NACL test: let the NACL decide (all traffic from the admin CIDR)",
            group_name="NACL-test-SG", context=ctx,
            rules=[inbound(ALL_TRAFFIC, ctx.admin_cidr, "all traffic from the admin CIDR"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
        server = self._server(f"{name}-vm-nacl", ctx, vpc, ami, "SN-0", "VM-NACL", [group.id])
        return {"networkAclId": acl.id, "rules": [describe(r) for r in rules] or ["(none: everything is denied)"],
                "publicIp": server.public_ip, "ssh": server.ssh,
                "test": "ssh in, then: sudo dnf install -y httpd (needs outbound 443 and inbound ephemeral)"}

    def _sg_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        if ctx.stage == "starter":
            groups, names = [vpc.default_security_group_id], ["default"]
        else:
            sg01 = LabSecurityGroup(f"{name}-sg-01", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description="SG-01: HTTP in from anywhere, ICMP out", group_name="SG-01", context=ctx,
                rules=[inbound(HTTP, ANYWHERE, "HTTP from anywhere"), outbound(ICMP_ALL, ANYWHERE, "ICMP to anywhere")]),
                opts=self.child)
            sg02 = LabSecurityGroup(f"{name}-sg-02", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description="SG-02: SSH from the admin CIDR, all out", group_name="SG-02", context=ctx,
                rules=[inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"), outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]),
                opts=self.child)
            groups, names = [sg01.id, sg02.id], ["SG-01", "SG-02"]
        server = self._server(f"{name}-vm-sg", ctx, vpc, ami, "SN-16", "VM-SG", groups)
        return {"securityGroups": names, "publicIp": server.public_ip, "url": server.url, "ssh": server.ssh}

    def _containers_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        rules = [inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR")]
        if ctx.stage != "starter":
            low, high = CONTAINER_PORTS[0], CONTAINER_PORTS[-1]
            rules.append(inbound(tcp(low, high), ANYWHERE, f"HTTP to the containers {low}-{high}", name="containers"))
        rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"))
        group = LabSecurityGroup(f"{name}-docker-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="Docker host: SSH, and the container ports in one rule",
            group_name="docker-SG", context=ctx, rules=rules), opts=self.child)
        server = self._server(f"{name}-vm-docker", ctx, vpc, ami, "SN-32", "VM-DOCKER", [group.id],
                              user_data=docker_containers_user_data(CONTAINER_PORTS))
        return {"publicIp": server.public_ip, "ssh": server.ssh,
                "urls": [server.instance.public_ip.apply(_url(port)) for port in CONTAINER_PORTS]}
