"""beanstalk (chapter 11): an Elastic Beanstalk application, its version from the repo's bundle,
and (solution) a single-instance or load-balanced environment in the student's VPC."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Sequence

import pulumi
import pulumi_aws as aws
import pulumi_random as random

from cloudlabs.labs import beanstalk
from cloudlabs.labs.beanstalk import (
    CAPACITY, COURSEWORK, DATABASE, DB_NAME, DB_PROPERTIES, DB_SECRET_PROPERTY, DB_USER, HEALTH_CHECK_PATH, PHP_PLATFORM, SUBNETS,
    BeanstalkOptions, bundle_bytes, bundle_dir, bundle_files, bundle_label, load_balancer_name, names, next_step,
    password_parameter,
)

from ..compute import zones_offering
from ..context import LabContext
from ..network import LabVpc, LabVpcArgs
from ..security import ALL_TRAFFIC, ANYWHERE, HTTP, LabSecurityGroup, LabSecurityGroupArgs, inbound, outbound, tcp
from ..storage import LabBucket, LabBucketArgs, project_relative
from .base import LabArgs, LabComponent
from .lamp import EXTENDED_SUPPORT_OFF, MYSQL_VERSION  # the same MySQL as chapter 10's lab: in standard support

MYSQL = tcp(3306, label="MySQL (3306)")

# AWS's managed policies for Beanstalk's two roles (the console's defaults).
INSTANCE_POLICIES = ("arn:aws:iam::aws:policy/AWSElasticBeanstalkWebTier",)
SERVICE_POLICIES = ("arn:aws:iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth",
                    "arn:aws:iam::aws:policy/AWSElasticBeanstalkManagedUpdatesCustomerRolePolicy")
RESERVED_TAGS = ("Name",)  # Beanstalk names the environment's Name tag itself and refuses another


@dataclass
class Roles:
    service_role: pulumi.Input[str]
    instance_profile: pulumi.Input[str]
    policies: Sequence[pulumi.Resource] = ()  # the roles' policies and attachments: the environment waits for them


@dataclass
class Database:
    """The coursework's database: what the environment's properties pass to the page."""

    address: pulumi.Output[str]
    port: pulumi.Output[int]
    parameter_arn: pulumi.Output[str]  # the SecureString parameter holding the password (a Pulumi secret in the state)
    parameter_name: pulumi.Output[str]


def trust_policy(service: str, external_id: str | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    if external_id:  # AWS's documented trust policy for the Beanstalk service role
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def option(namespace: str, name: str, value: pulumi.Input[str]) -> aws.elasticbeanstalk.EnvironmentSettingArgsDict:
    return {"namespace": namespace, "name": name, "value": value}


def option_settings(options: BeanstalkOptions, ctx: LabContext, vpc_id: pulumi.Input[str], subnet_ids: pulumi.Input[str],
                    roles: Roles, instance_sg: pulumi.Input[str], alb_sg: pulumi.Input[str] | None,
                    database: Database | None = None) -> list[aws.elasticbeanstalk.EnvironmentSettingArgsDict]:
    """What the book sets in the console (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform” to “Deployment of a single webserver application on Elastic Beanstalk”), as the API's option settings: the VPC and
    subnets (the console's default VPC, here the student's), the roles, one instance type, the
    capacity; and what the console leaves at defaults the project does not: IMDSv2 only, the
    lab's own security groups instead of Beanstalk's default ones (HTTP and SSH from anywhere)."""
    low, high = CAPACITY[options.kind]
    single = options.kind == "single"
    settings = [
        option("aws:ec2:vpc", "VPCId", vpc_id),
        option("aws:ec2:vpc", "Subnets", subnet_ids),
        option("aws:ec2:vpc", "AssociatePublicIpAddress", "true"),  # public subnets, no NAT gateway (the default VPC's way)
        option("aws:autoscaling:launchconfiguration", "IamInstanceProfile", roles.instance_profile),
        option("aws:autoscaling:launchconfiguration", "InstanceType", ctx.instance_type),
        option("aws:autoscaling:launchconfiguration", "SecurityGroups", instance_sg),
        option("aws:autoscaling:launchconfiguration", "DisableDefaultEC2SecurityGroup", "true"),
        option("aws:autoscaling:launchconfiguration", "DisableIMDSv1", "true"),
        option("aws:autoscaling:launchconfiguration", "RootVolumeType", "gp3"),
        option("aws:autoscaling:launchconfiguration", "RootVolumeSize", "10"),  # gp3: Beanstalk allows 10-16384 GB
        option("aws:autoscaling:asg", "MinSize", str(low)),
        option("aws:autoscaling:asg", "MaxSize", str(high)),
        option("aws:elasticbeanstalk:environment", "ServiceRole", roles.service_role),
        option("aws:elasticbeanstalk:environment", "EnvironmentType", "SingleInstance" if single else "LoadBalanced"),
        option("aws:elasticbeanstalk:healthreporting:system", "SystemType", "enhanced"),
        option("aws:elasticbeanstalk:application", "Application Healthcheck URL", HEALTH_CHECK_PATH),
    ]
    if not single:
        if alb_sg is None:
            raise ValueError("a load-balanced environment needs the load balancer's security group")
        settings += [
            option("aws:elasticbeanstalk:environment", "LoadBalancerType", "application"),
            option("aws:ec2:vpc", "ELBSubnets", subnet_ids),
            option("aws:ec2:vpc", "ELBScheme", "public"),
            option("aws:elbv2:loadbalancer", "SecurityGroups", alb_sg),
            option("aws:elbv2:loadbalancer", "ManagedSecurityGroup", alb_sg),
            option("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath", HEALTH_CHECK_PATH),
        ]
    if database is not None:  # the console's "environment properties" window (book ch. 11, “Platform” › “Conclusion”), and the password's secret
        values: tuple[pulumi.Input[str], ...] = (database.address, database.port.apply(str), DB_NAME, DB_USER)
        settings += [option("aws:elasticbeanstalk:application:environment", key, value) for key, value in zip(DB_PROPERTIES, values)]
        settings.append(option("aws:elasticbeanstalk:application:environmentsecrets", DB_SECRET_PROPERTY, database.parameter_arn))
    return settings


class BeanstalkLab(LabComponent[BeanstalkOptions]):
    """Chapter 11: the book zips its demo project (files at the zip's root, book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Deployment of a single webserver application on Elastic Beanstalk”), picks the PHP
    platform, uploads the bundle, sets the security settings (LabRole, LabInstanceProfile) and
    creates the environment; Beanstalk then runs CloudFormation for the instances (and, highly
    available, the load balancer and the Auto Scaling group of min 2 / max 4).

    Here the bundle is built from ``labs/beanstalk/app/`` byte for byte the same on every render
    and uploaded to a private bucket of the lab's; the application version's label is its digest.
    ``starter`` stops before the environment (the outputs give the create-environment command
    with every setting; with coursework the database is up but the PHP page and the environment's
    RDS_* properties, the book's "challenging part" (book ch. 11, “Platform” › “Conclusion”), are the student's: the bundle is the
    demo-project and ``environmentProperties`` says what to set); ``solution`` creates it in the
    student's VPC with the finished page and the properties. Roles: the profile's
    pre-made ones (Learner Lab: no IAM at all), else a minimal pair of the lab's own."""

    TYPE = "cloudlabs:labs:Beanstalk"
    LAB = beanstalk.LAB

    def build(self, name: str, args: LabArgs[BeanstalkOptions]) -> dict[str, Any]:
        ctx, options = args.context, args.options
        book = names(options)
        vpc = LabVpc(f"{name}-vpc", LabVpcArgs(plan=args.layout.vpc("VPC"), context=ctx,
                                               availability_zones=zones_offering(ctx.instance_type)), opts=self.child)
        account = aws.get_caller_identity_output().account_id
        bucket = LabBucket(f"{name}-bundles", LabBucketArgs(purpose="bundles", context=ctx, account_id=account), opts=self.child)
        folder = bundle_dir(options, ctx.stage)
        data = bundle_bytes(folder)
        label = bundle_label(data)
        bundle = aws.s3.BucketObjectv2(
            f"{name}-bundle", bucket=bucket.name, key=f"{book['application']}/{label}.zip",
            content_base64=base64.b64encode(data).decode(), content_type="application/zip",
            tags=ctx.tags(f"bucket-bundles/{book['application']}/{label}.zip"), opts=self.child)
        instance_sg, alb_sg = self._groups(name, ctx, options, vpc, args.layout.vpc("VPC").cidr)
        database = self._database(name, ctx, vpc, instance_sg) if options.coursework else None
        roles = self._roles(name, ctx, bucket, database)
        application = aws.elasticbeanstalk.Application(
            f"{name}-app", name=ctx.account_name(book["application"]),
            description="chapter 11's coursework (LAMP)" if options.coursework else "chapter 11's demo-project",
            tags=ctx.tags(book["application"]), opts=self.child)
        version = aws.elasticbeanstalk.ApplicationVersion(
            f"{name}-version", application=application.name, name=label, bucket=bucket.name, key=bundle.key,
            description=f"{project_relative(folder)}, zipped with the files at the root",
            tags=ctx.tags(f"{book['application']}-{label}"),
            opts=self.child)
        platform = aws.elasticbeanstalk.get_solution_stack_output(name_regex=PHP_PLATFORM, most_recent=True).name
        subnet_ids = pulumi.Output.all(*[vpc.subnets[s].id for s in SUBNETS]).apply(lambda ids: ",".join(ids))
        # the database's properties: at the starter the student's to set (the book's "challenging part", book ch. 11, “Platform” › “Conclusion”)
        settings = option_settings(options, ctx, vpc.vpc_id, subnet_ids, roles, instance_sg.id, alb_sg.id if alb_sg else None,
                                   database if ctx.stage != "starter" else None)
        env_name = ctx.account_name(book["environment"])
        environment_type = "SingleInstance" if options.kind == "single" else "LoadBalanced"
        outputs: dict[str, Any] = {
            "application": application.name, "version": version.name, "platform": platform,
            "bundle": {"bucket": bucket.name, "key": bundle.key, "files": bundle_files(data)},
            "serviceRole": roles.service_role, "instanceProfile": roles.instance_profile, "environmentType": environment_type,
            "nextStep": next_step(ctx.stage, options),
            "environment": env_name,  # at the starter, the one the student creates (probes find its URL by it)
        }
        if database is not None:
            outputs["database"] = {
                "endpoint": pulumi.Output.concat(database.address, ":", database.port.apply(str)), "name": DB_NAME, "user": DB_USER,
                "passwordParameter": database.parameter_name,
                "readPassword": database.parameter_name.apply(
                    lambda parameter: f"aws ssm get-parameter --region {ctx.region} --name '{parameter}' --with-decryption "
                                      "--query Parameter.Value --output text"),
            }
        if ctx.stage == "starter" and database is not None:
            outputs["environmentProperties"] = {
                "RDS_HOSTNAME": database.address, "RDS_PORT": database.port.apply(str), "RDS_DB_NAME": DB_NAME,
                "RDS_USERNAME": DB_USER,
                DB_SECRET_PROPERTY: database.parameter_arn.apply(
                    lambda arn: f"an environment secret: {arn} (or the value readPassword prints)"),
            }
        if ctx.stage == "starter":
            outputs["createEnvironment"] = pulumi.Output.all(application.name, platform, version.name, settings).apply(
                lambda v: _create_command(v[0], env_name, v[1], v[2], v[3], ctx.region))
            return outputs
        # What Beanstalk needs in place before it launches anything, which no input of the environment
        # names: the public subnets' way out (the instances download the bundle and report to Beanstalk's
        # endpoints; without it the environment goes Severe), the rules its groups admit traffic with
        # (validated when DisableDefaultEC2SecurityGroup is set; the health checks need them) and the
        # roles' policies (the instances read the bundle and the database's password at boot).
        groups = [instance_sg] + ([alb_sg] if alb_sg else [])
        ready: list[pulumi.Resource] = [*vpc.internet_path(SUBNETS), *[rule for g in groups for rule in g.rules.values()],
                                        *roles.policies]
        environment = aws.elasticbeanstalk.Environment(
            f"{name}-env", name=env_name, application=application.name, solution_stack_name=platform, version=version.name,
            tier="WebServer", settings=settings, wait_for_ready_timeout="20m",
            tags={k: v for k, v in ctx.tags(book["environment"]).items() if k not in RESERVED_TAGS},
            # the platform is looked up as the newest: a later one must not update (replace) a running class's instances
            opts=pulumi.ResourceOptions.merge(self.child, pulumi.ResourceOptions(ignore_changes=["solutionStackName"],
                                                                                 depends_on=ready)))
        outputs.update({
            "environment": environment.name,  # the same name, known once the environment is made
            "url": environment.cname.apply(lambda cname: f"http://{cname}/"),
            "endpoint": environment.endpoint_url,
            "describeHealth": environment.name.apply(
                lambda env: f"aws elasticbeanstalk describe-environment-health --region {ctx.region} --environment-name {env} "
                            "--attribute-names All"),
            "findInstances": environment.name.apply(
                lambda env: f"aws ec2 describe-instances --region {ctx.region} --filters "
                            f"Name=tag:elasticbeanstalk:environment-name,Values={env} Name=instance-state-name,Values=running "
                            "--query 'Reservations[].Instances[].[InstanceId,PublicIpAddress]' --output table"),
        })
        return outputs

    def _groups(self, name: str, ctx: LabContext, options: BeanstalkOptions, vpc: LabVpc,
                vpc_cidr) -> tuple[LabSecurityGroup, LabSecurityGroup | None]:
        env = names(options)["environment"]
        if options.kind == "single":
            web = LabSecurityGroup(f"{name}-web-sg", LabSecurityGroupArgs(
                vpc_id=vpc.vpc_id, description=f"{env} instance: HTTP from anywhere, no SSH", group_name=f"{env}-SG",
                context=ctx, rules=[inbound(HTTP, ANYWHERE, "HTTP from anywhere (browse the environment)", name="http-from-anywhere"),
                                    outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
            return web, None
        alb_name = load_balancer_name(options)
        alb = LabSecurityGroup(f"{name}-alb-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description=f"{alb_name}: HTTP in from anywhere, out to the instances", group_name=f"{alb_name}-SG",
            context=ctx, rules=[inbound(HTTP, ANYWHERE, "HTTP from anywhere", name="http-from-anywhere"),
                                outbound(HTTP, vpc_cidr, "HTTP to the instances in the VPC", name="http-to-instances")]),
            opts=self.child)
        web = LabSecurityGroup(f"{name}-web-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description=f"{env} instances: HTTP only from the load balancer, no SSH", group_name=f"{env}-SG",
            context=ctx, rules=[inbound(HTTP, alb.id, "HTTP from the load balancer", name="http-from-alb"),
                                outbound(ALL_TRAFFIC, ANYWHERE, "all outbound")]), opts=self.child)
        return web, alb

    def _database(self, name: str, ctx: LabContext, vpc: LabVpc, instance_sg: LabSecurityGroup) -> Database:
        """The coursework's MySQL, created before the environment (the book: "before creating the
        Elastic Beanstalk application"), in the environment's two zones but not public: MySQL only
        from the instances' group.

        The password: the book sets it in the environment's properties window (book ch. 11, “Platform” › “Conclusion”) for the page to
        read. It is generated here (random, a Pulumi secret in the state, never an output) and kept in a
        SecureString parameter of the stack's own that the environment hands the page as RDS_PASSWORD
        (an environment secret). Not RDS's own managed secret (ManageMasterUserPassword): RDS rotates
        that every 7 days, and Beanstalk reads environment secrets only when an instance boots, so a
        week after the lab went up the running instances would hold a stale password (the page fails)
        and new ones would disagree with them; the deploy rule CL-LIFECYCLE-ROTATING-SECRET refuses that
        pairing. A parameter nothing rotates keeps the students' page working for the whole course; the
        standard tier is free (the managed secret cost $0.40 a month)."""
        group = LabSecurityGroup(f"{name}-db-sg", LabSecurityGroupArgs(
            vpc_id=vpc.vpc_id, description=f"{DATABASE}: MySQL only from the environment instances", group_name=f"{DATABASE}-SG",
            context=ctx, rules=[inbound(MYSQL, instance_sg.id, "MySQL from the environment instances", name="mysql-from-env")]),
            opts=self.child)
        subnets = aws.rds.SubnetGroup(f"{name}-db-subnets", name_prefix=f"{ctx.student}-eb-db-",
                                      subnet_ids=[vpc.subnets[s].id for s in SUBNETS],
                                      description="the environment's two subnets", tags=ctx.tags(f"{DATABASE}-subnet-group"),
                                      opts=self.child)
        generated = random.RandomPassword(f"{name}-db-password", length=32, special=False, opts=self.child)
        password: pulumi.Output[str] = pulumi.Output.secret(generated.result)
        db = aws.rds.Instance(
            f"{name}-db", identifier_prefix=f"eb-{ctx.student}-", engine="mysql", engine_version=MYSQL_VERSION,
            engine_lifecycle_support=EXTENDED_SUPPORT_OFF, instance_class="db.t3.micro", allocated_storage=20, storage_type="gp2",
            storage_encrypted=True, db_name=DB_NAME, username=DB_USER, password=password, port=3306,
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[group.id], publicly_accessible=False, multi_az=False,
            skip_final_snapshot=True, deletion_protection=False, backup_retention_period=0, delete_automated_backups=True,
            apply_immediately=True, auto_minor_version_upgrade=True, tags=ctx.tags(DATABASE), opts=self.child)
        parameter = aws.ssm.Parameter(
            f"{name}-db-password-parameter", name=password_parameter(ctx.account_name(COURSEWORK['application'])),
            type="SecureString", value=password, tier="Standard",
            description=f"{DATABASE}'s password for the environment's {DB_SECRET_PROPERTY} (not rotated)",
            tags=ctx.tags(f"{DATABASE}-password"), opts=self.child)
        return Database(db.address, db.port, parameter.arn, parameter.name)

    def _roles(self, name: str, ctx: LabContext, bucket: LabBucket, database: Database | None = None) -> Roles:
        """The profile's roles (Learner Lab: LabRole and LabInstanceProfile, no IAM created), or a
        minimal pair: the instances' role with AWSElasticBeanstalkWebTier, read access to the
        bundle's bucket (and the coursework database's secret), the service role with enhanced
        health and managed updates."""
        if not ctx.iam.create_roles:
            if not (ctx.iam.service_role and ctx.iam.instance_profile):
                raise ValueError("lab beanstalk: the profile allows no new roles (iam.createRoles: false) and names no "
                                 "iam.serviceRole and iam.instanceProfile to use instead")
            return Roles(ctx.iam.service_role, ctx.iam.instance_profile)
        instance_role = aws.iam.Role(
            f"{name}-ec2-role", name_prefix=ctx.account_name("eb-ec2-"), description="Elastic Beanstalk instances (chapter 11)",
            assume_role_policy=trust_policy("ec2.amazonaws.com"), tags=ctx.tags("eb-ec2-role"), opts=self.child)
        attachments = [aws.iam.RolePolicyAttachment(f"{name}-ec2-role-policy{i}", role=instance_role.name, policy_arn=arn,
                                                    opts=self.child) for i, arn in enumerate(INSTANCE_POLICIES)]
        secret: pulumi.Input[str] = database.parameter_arn if database is not None else ""
        policies: list[pulumi.Resource] = [aws.iam.RolePolicy(
            f"{name}-ec2-role-bundles", name="bundles-read", role=instance_role.name,
            policy=pulumi.Output.all(bucket.arn, secret).apply(lambda v: _instance_policy(v[0], v[1])), opts=self.child)]
        profile = aws.iam.InstanceProfile(f"{name}-ec2-profile", name_prefix=ctx.account_name("eb-ec2-"), role=instance_role.name,
                                          tags=ctx.tags("eb-ec2-profile"), opts=self.child)
        service_role = aws.iam.Role(
            f"{name}-service-role", name_prefix=ctx.account_name("eb-service-"), description="Elastic Beanstalk service role (chapter 11)",
            assume_role_policy=trust_policy("elasticbeanstalk.amazonaws.com", external_id="elasticbeanstalk"),
            tags=ctx.tags("eb-service-role"), opts=self.child)
        attachments += [aws.iam.RolePolicyAttachment(f"{name}-service-role-policy{i}", role=service_role.name, policy_arn=arn,
                                                     opts=self.child) for i, arn in enumerate(SERVICE_POLICIES)]
        return Roles(service_role.name, profile.name, [*attachments, *policies])


def _instance_policy(bucket_arn: str, parameter_arn: str) -> str:
    statements: list[dict[str, Any]] = [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": f"{bucket_arn}/*"}]
    if parameter_arn:  # Beanstalk reads the database's password with the instances' role (the aws/ssm key decrypts it)
        statements.append({"Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": parameter_arn})
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, sort_keys=True)


def _create_command(application: str, environment: str, platform: str, version: str, settings: list[dict[str, Any]],
                    region: str) -> str:
    """The CLI form of the book's console steps: one command with every option setting."""
    pairs = [{"Namespace": s["namespace"], "OptionName": s["name"], "Value": s["value"]} for s in settings]
    return (f"aws elasticbeanstalk create-environment --region {region} --application-name {application} "
            f"--environment-name {environment} --solution-stack-name \"{platform}\" --version-label {version} "
            f"--option-settings '{json.dumps(pairs, separators=(',', ':'))}'")
