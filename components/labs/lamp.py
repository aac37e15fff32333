"""lamp (chapter 10): an Ubuntu web server with PHP in front of a private RDS MySQL database."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from cloudlabs import wordpress
from cloudlabs.labs.lamp import ALB, ALB_SUBNETS, COURSEWORK_SUBNET, DB_NAME, LampOptions
from cloudlabs.images import (AMAZON_LINUX_2023, LAMP_DATABASE, LAMP_USER, UBUNTU_24_04, lamp_starter_user_data,
                              lamp_user_data)

from cloudlabs.labs import lamp

from ..compute import InstanceArgs, WebServer, lookup_ami, zones_offering

# MySQL 8.4 (LTS) is in RDS standard support until 2029-07-31; 8.0's ended 2026-07-31, after which it
# is billed as Extended Support. Extended Support is turned off, so a forgotten database never
# starts billing for it (labctl/analysis/deployrules.py checks both).
MYSQL_VERSION = "8.4"
EXTENDED_SUPPORT_OFF = "open-source-rds-extended-support-disabled"
from ..loadbalancing import HEALTH_CHECK, WebLoadBalancer, WebLoadBalancerArgs
from ..network import LabVpc, LabVpcArgs
from ..security import ANYWHERE, HTTP, HTTPS, SSH, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound, tcp
from .base import LabArgs, LabComponent

MYSQL = tcp(3306, label="MySQL (3306)")


class LampLab(LabComponent[LampOptions]):
    """The web server (public SN-WEB) reaches MySQL (private SN-DB-1/SN-DB-2) on 3306 through the
    book's security-group pair: rds-ec2 on the database admits 3306 only from ec2-rds, which the
    web server carries and which lets 3306 out only to rds-ec2. The web server's own group
    admits HTTP from anywhere and SSH from the admin CIDR, and lets out only HTTP/HTTPS (package
    mirrors).

    The password is generated (alphanumeric, 20 characters) and kept as a Pulumi secret; the
    user data that hands it to the web server is therefore a secret too. It is written to
    root-owned files readable by Apache, never logged and never a plain output (the book puts it
    in a PHP file and says not to). Teardown-safe: no final snapshot, no deletion protection,
    no automated backups left behind.

    Stages follow the book's steps: `starter` is the server with Apache2 (the book's user data,
    book ch. 10, “Configuration of a webserver stack in AWS Cloud” › “Deployment of the webserver of the LAMP stack”) and the empty database; the student installs mysql-client, creates table1 and adds the
    three rows, writes the PHP page and installs PHP (book ch. 10, “Networking” › “Adding data to the database” to “Configuration of the webserver to talk to the database”). `solution` does all of that in
    its user data. In both, the student reads their own password from their stack (the outputs
    say how): they own the stack, the secret is theirs.

    `coursework` (book ch. 10, “Networking” › “Configuration of the webserver to talk to the database” to “Chapter 10 Coursework”): the web server is Amazon Linux 2023 (the book's "AWS AMI with
    HTTPD") running the book's WordPress script (``cloudlabs.wordpress``: what changes on AL2023),
    the same database and group pair, and SN-WEB-2 (a second zone: an ALB needs two). `starter`:
    WordPress unconfigured and no ALB; the student runs its setup on the server's public IP, then
    adds the target group, the ALB and the listener "once the stack is functioning". `solution`:
    wp-config.php written by the user data (a secret, like the PHP page's), an internet-facing ALB
    over SN-WEB and SN-WEB-2 (its own group: HTTP in from anywhere, out only into the VPC) whose
    target group health-checks `/wp-admin/install.php` (200 once PHP and the database answer,
    installed or not), and the web group admitting HTTP only from the ALB's group. The student runs
    WordPress's install through the ALB's URL: WordPress remembers the address it is installed at.
    The web group lets out only HTTPS there (packages, wordpress.org).
    """

    TYPE = "cloudlabs:labs:Lamp"
    LAB = lamp.LAB

    def build(self, name: str, args: LabArgs[LampOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        coursework = options.coursework
        plan = args.layout.vpc("VPC")
        if not coursework:  # SN-WEB-2 is for the coursework's ALB only
            plan = dataclasses.replace(plan, subnets=tuple(s for s in plan.subnets if s.name != COURSEWORK_SUBNET))
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=plan, context=ctx, availability_zones=zones_offering(ctx.instance_type)),
                     opts=self.child)
        rds_sg = LabSecurityGroup(f"{name}-rds-ec2", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="rds-ec2: MySQL only from instances carrying ec2-rds", group_name="rds-ec2",
            context=ctx, rules=[]), opts=self.child)
        ec2_sg = LabSecurityGroup(f"{name}-ec2-rds", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description="ec2-rds: MySQL out, only to the database group", group_name="ec2-rds",
            context=ctx, rules=[outbound(MYSQL, rds_sg.id, "MySQL to rds-ec2", name="mysql-to-rds")]), opts=self.child)
        # added after both groups exist (they refer to each other), through the group's own guard
        rds_sg.add_rule(inbound(MYSQL, ec2_sg.id, "MySQL from ec2-rds", name="mysql-from-ec2"))
        lb = None
        if coursework and ctx.stage == "solution":
            lb = WebLoadBalancer(f"{name}-lb", WebLoadBalancerArgs(
                vpc_id=vpc.vpc_id, vpc_cidr=plan.cidr, subnet_ids=[vpc.subnets[s].id for s in ALB_SUBNETS], context=ctx,
                internet_gateway=vpc.igw, lb_name=ALB,
                health_check={**HEALTH_CHECK, "path": wordpress.HEALTH_CHECK_PATH}), opts=self.child)
        if lb is None:
            web_sg = LabSecurityGroup(f"{name}-web-sg", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description="web: HTTP from anywhere, SSH from the admin CIDR, package mirrors out",
                group_name="web-SG", context=ctx,
                rules=[inbound(HTTP, ANYWHERE, "HTTP from anywhere"), inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"),
                       *([] if coursework else [outbound(HTTP, ANYWHERE, "HTTP out (package mirrors)")]),
                       outbound(HTTPS, ANYWHERE, "HTTPS out")]),
                opts=self.child)
        else:
            web_sg = LabSecurityGroup(f"{name}-web-sg", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description="web: HTTP only from the load balancer, SSH from the admin CIDR, HTTPS out",
                group_name="web-SG", context=ctx,
                rules=[inbound(HTTP, lb.security_group_id, "HTTP from the load balancer", name="http-from-alb"),
                       inbound(SSH, ctx.admin_cidr, "SSH from the admin CIDR"), outbound(HTTPS, ANYWHERE, "HTTPS out")]),
                opts=self.child)

        password = random.RandomPassword(f"{name}-db-password", length=20, special=False, opts=self.child)
        secret_password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        subnets = aws.rds.SubnetGroup(f"{name}-db-subnets", name_prefix=f"{ctx.student}-db-",
                                      subnet_ids=[vpc.subnets[s.name].id for s in plan.private_subnets],
                                      description="the database's two private subnets", tags=ctx.tags("db-subnet-group"),
                                      opts=self.child)
        database = aws.rds.Instance(
            f"{name}-db", identifier_prefix=f"{DB_NAME}-{ctx.student}-", engine="mysql", engine_version=MYSQL_VERSION,
            engine_lifecycle_support=EXTENDED_SUPPORT_OFF,
            instance_class=options.db_instance_class, allocated_storage=20, storage_type="gp2", storage_encrypted=True,
            db_name=LAMP_DATABASE, username=LAMP_USER, password=secret_password, port=3306,
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[rds_sg.id], publicly_accessible=False,
            multi_az=False, skip_final_snapshot=True, deletion_protection=False, backup_retention_period=0,
            delete_automated_backups=True, apply_immediately=True, auto_minor_version_upgrade=True,
            tags=ctx.tags(DB_NAME), opts=self.child)

        image = AMAZON_LINUX_2023 if coursework else UBUNTU_24_04
        if ctx.stage == "starter":
            user_data: pulumi.Input[str] = wordpress.starter_user_data() if coursework else lamp_starter_user_data()
        elif coursework:
            user_data = pulumi.Output.all(database.address, secret_password).apply(
                lambda v: wordpress.solution_user_data(wordpress.Database(v[0], LAMP_DATABASE, LAMP_USER, v[1])))
        else:
            user_data = pulumi.Output.all(database.address, database.port, secret_password).apply(
                lambda v: lamp_user_data(v[0], int(v[1]), v[2]))
        web = WebServer(f"{name}-web", InstanceArgs(
            subnet_id=vpc.subnets["SN-WEB"].id, security_group_ids=[web_sg.id, ec2_sg.id], context=ctx, host_name="web",
            ami=lookup_ami(image, ctx.instance_type), image=image, user_data=user_data), opts=self.child)
        outputs: dict[str, Any] = {
            "url": web.url,
            "publicIp": web.public_ip,
            "ssh": web.ssh,
            "dbEndpoint": database.endpoint,
            "dbName": LAMP_DATABASE,
            "dbUser": LAMP_USER,
            "dbPassword": secret_password,  # a Pulumi secret: `pulumi stack output lamp --show-secrets`
            "mysqlFromWeb": database.address.apply(lambda host: mysql_command(host, f"{ctx.cohort}-{ctx.student}")),
        }
        if lb is not None:
            aws.lb.TargetGroupAttachment(f"{name}-web-target", target_group_arn=lb.target_group.arn,
                                         target_id=web.instance.id, port=80, opts=self.child)
        if coursework:
            outputs["wordpress"] = self._wordpress_outputs(ctx.student, web, database, lb)
            if lb is not None:
                outputs["albUrl"] = lb.url
        return outputs

    @staticmethod
    def _wordpress_outputs(student: str, web: WebServer, database: aws.rds.Instance,
                           lb: WebLoadBalancer | None) -> dict[str, Any]:
        """Where WordPress's pages are, what its setup asks for, and (starter) what to build next."""
        found: dict[str, Any] = {"version": wordpress.WORDPRESS_VERSION, "healthCheckPath": wordpress.HEALTH_CHECK_PATH}
        setup = {"databaseName": LAMP_DATABASE, "username": LAMP_USER, "databaseHost": database.address,
                 "passwordFrom": "dbPassword: pulumi stack output lamp --show-secrets --json"}
        if lb is None:
            found["setupUrl"] = web.url
            found["setup"] = setup
            found["nextStep"] = (
                "open setupUrl and enter the database (setup), run the install; then create a target group (HTTP 80, "
                f"health check {wordpress.HEALTH_CHECK_PATH}) with the web server, an internet-facing ALB over SN-WEB "
                "and SN-WEB-2 with a listener on 80 (Name tag web-ALB: labctl grade finds it by the book's name), "
                "let the web group admit HTTP from the ALB's group only, and set WordPress's addresses (Settings > "
                "General) to the ALB's DNS name: WordPress remembers where it was installed (book ch. 10, Chapter 10 Coursework)")
        else:
            found["installUrl"] = lb.url
            found["nextStep"] = ("open installUrl (the ALB) and run WordPress's install there: wp-config.php already "
                                 "names the database, and WordPress keeps the address it is installed at")
        return found


def mysql_command(host: str, stack: str) -> str:
    """The book's mysql command (book ch. 10, “Networking” › “Adding data to the database”), with the way to read the password the student owns: the
    comment after `#` is ignored when the line is pasted into a shell."""
    return (f"mysql -h {host} -P 3306 -u {LAMP_USER} -p {LAMP_DATABASE}  # password: run "
            f"`pulumi stack output lamp --show-secrets --json --stack {stack}` on your machine and use dbPassword")
