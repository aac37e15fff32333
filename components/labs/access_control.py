"""access-control (chapter 5): network ACLs and security groups, in the student's default-like VPC."""

from __future__ import annotations

from typing import Any, Callable, Literal

from cloudlabs.labs.access_control import CONTAINER_PORTS, MONGODB_PORT, TCP_ANALYSIS_PORTS, AccessControlOptions
from cloudlabs.images import AMAZON_LINUX_2023, docker_containers_user_data

from cloudlabs.labs import access_control

from ..compute import InstanceArgs, WebServer, lookup_ami, zones_offering
from ..context import LabContext
from ..nacl import EPHEMERAL, LabNetworkAcl, LabNetworkAclArgs, NaclRule
from ..network import LabVpc, LabVpcArgs
from ..security import (
    ALL_TRAFFIC, ANYWHERE, HTTP, HTTPS, ICMP_ALL, SSH, LabSecurityGroup, LabSecurityGroupArgs, Ports, inbound, outbound, tcp,
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


# Chapter 5's NACL assignment (book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework”): SN-0 holds VM1 (the tester), SN-80 holds VM2 and VM3 with
# their containers. Peers: the admin CIDR, or the other subnet by its book name.
# (subnet, direction, rule number, ports, peer: a CIDR, "VPC", a subnet's book name or ADMIN_CIDR, action)
CourseworkRule = tuple[str, Literal["inbound", "outbound"], int, Ports, Any, Literal["allow", "deny"]]
COURSEWORK_BOOT: tuple[CourseworkRule, ...] = (
    # SN-80's hosts install Docker and pull nginx at boot, in every stage: HTTPS out and the replies
    # in on ephemeral ports (from anywhere: NACLs are stateless and cannot tell a reply from a new
    # connection). Before that rule, one denying TCP from the rest of the VPC, so that inside
    # the VPC only what the rules above it allow (VM1's curl, rule 100) reaches SN-80.
    ("SN-80", "inbound", 150, tcp(0, 65535, label="all TCP"), "VPC", "deny"),
    ("SN-80", "inbound", 200, EPHEMERAL_TCP, ANYWHERE, "allow"),
    ("SN-80", "outbound", 200, HTTPS, ANYWHERE, "allow"),
)
COURSEWORK_SSH: tuple[CourseworkRule, ...] = tuple((subnet, *rule) for subnet in ("SN-0", "SN-80") for rule in (
    ("inbound", 10, SSH, ADMIN_CIDR, "allow"),            # the administrator's SSH in...
    ("outbound", 10, EPHEMERAL_TCP, ADMIN_CIDR, "allow"),  # ...and its replies
))
CONTAINERS_TCP = tcp(CONTAINER_PORTS[0], CONTAINER_PORTS[-1], label=f"containers {CONTAINER_PORTS[0]}-{CONTAINER_PORTS[-1]}")
COURSEWORK_TESTS: tuple[CourseworkRule, ...] = (
    ("SN-0", "outbound", 100, CONTAINERS_TCP, "SN-80", "allow"),   # VM1 curls the containers...
    ("SN-80", "inbound", 100, CONTAINERS_TCP, "SN-0", "allow"),
    ("SN-80", "outbound", 100, EPHEMERAL_TCP, "SN-0", "allow"),    # ...and the pages come back
    ("SN-0", "inbound", 100, EPHEMERAL_TCP, "SN-80", "allow"),
    ("SN-0", "outbound", 110, ICMP_ALL, "SN-80", "allow"),         # VM1 pings: the echo request...
    ("SN-80", "inbound", 110, ICMP_ALL, "SN-0", "allow"),
    ("SN-80", "outbound", 110, ICMP_ALL, "SN-0", "allow"),         # ...and the echo reply
    ("SN-0", "inbound", 110, ICMP_ALL, "SN-80", "allow"),
)
COURSEWORK_NACL_STAGES = {"starter": COURSEWORK_BOOT, "ssh": COURSEWORK_BOOT + COURSEWORK_SSH,
                          "solution": COURSEWORK_BOOT + COURSEWORK_SSH + COURSEWORK_TESTS}


def _url(port: int, prefix: str = "") -> Callable[[str], str]:
    """The URL of a container port on a host's address (with a command in front, e.g. ``curl ``)."""
    return lambda ip: f"{prefix}http://{ip}:{port}/"


def nacl_rules(stage: str, ctx: LabContext) -> list[NaclRule]:
    return [NaclRule(number, direction, ports, ctx.admin_cidr if peer == ADMIN_CIDR else peer)
            for direction, number, ports, peer in NACL_STAGES[stage]]


def describe(rule: NaclRule) -> str:
    return f"{rule.direction} {rule.number} {rule.ports} {rule.cidr} {rule.action}"


def _servers(hosts: dict[str, WebServer]) -> dict[str, Any]:
    return {h: {"privateIp": s.private_ip, "publicIp": s.public_ip, "ssh": s.ssh} for h, s in hosts.items()}


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
        if "coursework-nacl" in options.parts:
            outputs["courseworkNacl"] = self._coursework_nacl_part(name, ctx, vpc, ami)
        if "tcp-analysis" in options.parts:
            outputs["tcpAnalysis"] = self._tcp_analysis_part(name, ctx, vpc, ami)
        return outputs

    def _coursework_nacl_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        """Chapter 5's assignment with NACLs (book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework”): VM1 in SN-0, VM2 and VM3 in SN-80 with
        three nginx containers each, behind a temporary group that lets everything in from the
        admin CIDR and the VPC (the book's allows all traffic from anywhere; the world stays out),
        so that SN-0's and SN-80's NACLs decide. `starter`: the NACLs hold only what SN-80's hosts
        need to boot; `ssh` adds the administrator's SSH; `solution` VM1's ping and curl."""
        cidrs: dict[str, Any] = {subnet: vpc.plan.subnet(subnet).cidr for subnet in ("SN-0", "SN-80")}
        rules: dict[str, list[NaclRule]] = {subnet: [] for subnet in cidrs}
        cidrs.update({"VPC": vpc.plan.cidr, ADMIN_CIDR: ctx.admin_cidr})
        for subnet, direction, number, ports, peer, action in COURSEWORK_NACL_STAGES[ctx.stage]:
            rules[subnet].append(NaclRule(number, direction, ports, cidrs[peer] if isinstance(peer, str) else peer, action))
        for subnet, subnet_rules in rules.items():
            subnet_rules.sort(key=lambda r: (r.direction, r.number))
            LabNetworkAcl(f"{name}-cw-nacl-{subnet.lower()}", LabNetworkAclArgs(
                vpc_id=vpc.vpc_id, subnet_ids={subnet: vpc.subnets[subnet].id}, rules=subnet_rules, context=ctx,
                acl_name=f"NACL-{subnet}"), opts=self.child)
        temporary = LabSecurityGroup(f"{name}-cw-temp-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="temporary: all traffic from the admin CIDR and the VPC, so the NACLs decide",
            group_name="temporary-SG", context=ctx,
            rules=[inbound(ALL_TRAFFIC, ctx.admin_cidr, "all traffic from the admin CIDR"),
                   inbound(ALL_TRAFFIC, vpc.plan.cidr, "all traffic from inside the VPC", name="all-from-vpc"),
                   outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
        hosts = self._assignment_hosts(f"{name}-cwn", ctx, vpc, ami, {"VM1": [temporary.id], "VM2": [temporary.id],
                                                                      "VM3": [temporary.id]},
                                       {vm: docker_containers_user_data(CONTAINER_PORTS) for vm in ("VM2", "VM3")})
        return {
            "servers": _servers(hosts),
            "networkAcls": {f"NACL-{subnet}": [describe(r) for r in subnet_rules] for subnet, subnet_rules in rules.items()},
            "testsFromVm1": [s.private_ip.apply(_url(port, "curl ")) for h, s in hosts.items() if h != "VM1"
                             for port in CONTAINER_PORTS]
                            + [s.private_ip.apply(lambda ip: f"ping -c 3 {ip}") for h, s in hosts.items() if h != "VM1"],
        }

    def _tcp_analysis_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        """Chapter 5's security groups and TCP analysis (book ch. 5, “Chapter 5 Coursework” › “Submit”): VM1 plain; VM2 runs nginx on
        8081/8082 and MongoDB on 27017, VM3 nginx on 8083/8084 and MongoDB; the table's rules, one
        group per VM. MongoDB's port is open to the admin CIDR and VM1 only, as the table says:
        the lesson browses it over HTTP and captures the TCP conversation. `starter`: SSH only."""
        started = ctx.stage != "starter"
        vm1_rules = [inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR")]
        if started:
            vm1_rules.append(inbound(ICMP_ALL, ctx.admin_cidr, "ping and traceroute from the admin CIDR", name="icmp-admin"))
        vm1_rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"))
        vm1_sg = LabSecurityGroup(f"{name}-tcp-vm1-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="VM1: SSH, ping and traceroute from the admin CIDR", group_name="VM1-SG",
            context=ctx, rules=vm1_rules), opts=self.child)
        groups: dict[str, list] = {"VM1": [vm1_sg.id]}
        for vm, (low, high) in TCP_ANALYSIS_PORTS.items():
            rules = [inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR")]
            if started:
                nginx = tcp(low, high, label=f"nginx containers {low}-{high}")
                mongodb = tcp(MONGODB_PORT, label=f"MongoDB ({MONGODB_PORT})")
                rules += [inbound(nginx, ctx.admin_cidr, "the nginx containers from the admin CIDR", name="nginx-admin"),
                          inbound(nginx, vm1_sg.id, "the nginx containers from VM1", name="nginx-vm1"),
                          inbound(mongodb, ctx.admin_cidr, "MongoDB from the admin CIDR", name="mongodb-admin"),
                          inbound(mongodb, vm1_sg.id, "MongoDB from VM1", name="mongodb-vm1"),
                          inbound(ICMP_ALL, vm1_sg.id, "ping from VM1", name="icmp-vm1")]
            rules.append(outbound(ALL_TRAFFIC, ANYWHERE, "all outbound"))
            group = LabSecurityGroup(f"{name}-tcp-{vm.lower()}-sg", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description=f"{vm}: SSH, and its containers from the admin CIDR and VM1",
                group_name=f"{vm}-SG", context=ctx, rules=rules), opts=self.child)
            groups[vm] = [group.id]
        hosts = self._assignment_hosts(f"{name}-tcp", ctx, vpc, ami, groups, {
            vm: docker_containers_user_data(ports, mongodb_port=MONGODB_PORT) for vm, ports in TCP_ANALYSIS_PORTS.items()})
        return {
            "servers": _servers(hosts),
            "urls": {vm: {str(port): hosts[vm].instance.public_ip.apply(_url(port)) for port in (*ports, MONGODB_PORT)}
                     for vm, ports in TCP_ANALYSIS_PORTS.items()},
            "testsFromVm1": [hosts[vm].private_ip.apply(_url(port, "curl ")) for vm, ports in TCP_ANALYSIS_PORTS.items()
                             for port in (*ports, MONGODB_PORT)]
                            + [hosts[vm].private_ip.apply(lambda ip: f"ping -c 3 {ip}") for vm in TCP_ANALYSIS_PORTS],
            "wiresharkFilter": hosts["VM2"].instance.public_ip.apply(lambda ip: f"ip.addr=={ip}"),
        }

    def _assignment_hosts(self, prefix: str, ctx: LabContext, vpc: LabVpc, ami, groups: dict[str, list],
                          user_data: dict[str, str]) -> dict[str, WebServer]:
        """VM1 (a plain instance, no user data: it only tests) in SN-0; VM2 and VM3 in SN-80."""
        return {vm: self._server(f"{prefix}-{vm.lower()}", ctx, vpc, ami, "SN-0" if vm == "VM1" else "SN-80", vm,
                                 groups[vm], user_data=user_data.get(vm, ""))
                for vm in ("VM1", "VM2", "VM3")}

    def _coursework_part(self, name: str, ctx: LabContext, vpc: LabVpc, ami) -> dict[str, Any]:
        """Chapter 5's assignment with security groups (book ch. 5, “Cloud Access Control” › “Chapter 5 Coursework” to “Submit”): VM1 (tester) in SN-0, VM2 and
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
