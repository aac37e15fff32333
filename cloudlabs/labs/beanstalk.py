"""beanstalk (chapter 11): an Elastic Beanstalk application from a zip bundle, on one instance or
load balanced (min 2 / max 4) in the student's VPC."""

from __future__ import annotations

import hashlib
import io
import zipfile
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, Literal, Mapping

from pydantic import Field, model_validator

from .. import content
from ..addressing import VpcPlan, default_like
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import Alternates, PageContains, ProbeSpec

APP_DIR = "beanstalk/app"  # under labs/: the book's demo-project, a page and a picture
COURSEWORK_DIR = "beanstalk/coursework"  # under labs/: the coursework's PHP page that reads the database
SUBNETS = ("SN-0", "SN-16")  # two zones of the default-like VPC: the environment's (and its ALB's) subnets
# The book's names: the single-instance activity's environment (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”) and the high-availability
# activity's application and environment (book ch. 11, “Platform” › “Deployment of a single webserver application on Elastic Beanstalk”, book ch. 11, “Platform” › “Deployment of a single webserver application on Elastic Beanstalk”).
SINGLE = {"application": "Example", "environment": "Example-env"}
HIGH_AVAILABILITY = {"application": "asg-demo", "environment": "Asgdemo-env"}
COURSEWORK = {"application": "lamp-demo", "environment": "Lampdemo-env"}  # the coursework's (the book names none)
DATABASE = "MySQL-RDS"  # the coursework's database, as reachability names it
# The environment properties the coursework's page reads (the names of AWS's guide to Beanstalk
# with RDS, the book's reference [2]); the password comes from the stack's SSM parameter (an
# environment secret), never rotated: Beanstalk reads it only when an instance boots.
DB_PROPERTIES = ("RDS_HOSTNAME", "RDS_PORT", "RDS_DB_NAME", "RDS_USERNAME")
DB_SECRET_PROPERTY = "RDS_PASSWORD"
DB_NAME, DB_USER = "ebdb", "admin"


def password_parameter(application: str) -> str:
    """The SSM parameter holding the coursework database's password (under /cloudlabs/: no student id
    can make it start with the reserved aws or ssm)."""
    return f"/cloudlabs/{application}/{DB_SECRET_PROPERTY}"


COURSEWORK_TEXT = "LAMP stack on Elastic Beanstalk"
COURSEWORK_ROWS = ("This is record 1", "This is record 2", "This is record 3")
CAPACITY = {"single": (1, 1), "high-availability": (2, 4)}  # the book's min 2 / max 4 (book ch. 11, “Platform” › “Deployment of a single webserver application on Elastic Beanstalk”)
PAGE_TEXT = "demo-project on Elastic Beanstalk"
HEALTH_CHECK_PATH = "/index.php"
# The PHP platform on Amazon Linux 2023, newest at deploy time (the book picks PHP, book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”).
PHP_PLATFORM = r"^64bit Amazon Linux 2023 v\d+\.\d+\.\d+ running PHP 8\.\d+$"
# Fixed timestamp for every zip entry: the same files give the same bytes, so plans stay stable.
ZIP_EPOCH = (2020, 1, 1, 0, 0, 0)


class BeanstalkOptions(LabOptions):
    environment: Literal["single", "high-availability"] | None = Field(
        None, description="single (one instance with a public address, the book's first activity; the default) or "
                          "high-availability (an Application Load Balancer over an Auto Scaling group of min 2 / max 4, "
                          "the book's second activity; the default with coursework)")
    coursework: bool = Field(
        False, description="true or false: the chapter's coursework (book ch. 11, Conclusion), a high-availability LAMP stack: an RDS MySQL "
                           "database created first, and a PHP page that reads its endpoint, name and user from the "
                           "environment's properties and its password from an environment secret (a generated password in an SSM "
                           "SecureString parameter of the stack's own, never rotated)")

    @model_validator(mode="after")
    def _coursework_is_high_availability(self) -> "BeanstalkOptions":
        if self.coursework and self.environment == "single":
            raise ValueError("coursework: true is the book's high-availability LAMP stack (book ch. 11, Conclusion); "
                             "allowed with it: environment high-availability, or no environment")
        return self

    @property
    def kind(self) -> str:
        """The environment the lab builds: the option, or high-availability for the coursework."""
        return self.environment or ("high-availability" if self.coursework else "single")


def names(options: BeanstalkOptions) -> dict[str, str]:
    if options.coursework:
        return COURSEWORK
    return SINGLE if options.kind == "single" else HIGH_AVAILABILITY


def bundle_dir(options: BeanstalkOptions, stage: str = "solution") -> Path:
    """The bundle's folder: the book's demo-project, or with coursework at the solution the finished
    LAMP page (at the starter writing it is the student's part, "the challenging part", book ch. 11, “Platform” › “Conclusion”)."""
    return content.lab_path(COURSEWORK_DIR if options.coursework and stage != "starter" else APP_DIR)


def next_step(stage: str, options: BeanstalkOptions) -> str:
    """Where the student is in the chapter and what the book does next."""
    book = names(options)
    if stage != "starter":
        return (f"done: {book['environment']} runs the bundle at the url output; the book then terminates an instance "
                "(findInstances) and watches Elastic Beanstalk replace it (book ch. 11, Platform)")
    if options.coursework:
        return (f"the database {DATABASE} is up (the book creates it first, book ch. 11, Conclusion) and the application {book['application']} "
                "has the demo-project as its version; the challenging part is yours (book ch. 11, Conclusion): write the PHP page that "
                f"queries the database with {', '.join((*DB_PROPERTIES, DB_SECRET_PROPERTY))}, zip it with the files at "
                f"the root (book ch. 11, Deployment of a single webserver application on Elastic Beanstalk), create {book['environment']} with createEnvironment plus the properties of "
                "environmentProperties (the console's environment properties window), then deploy your page as a new "
                "version; its URL must list the rows your page read")
    create = ("create the environment Example-env on the PHP platform with LabRole and LabInstanceProfile (book ch. 11, Deployment of a single webserver application on Elastic Beanstalk to Platform)"
              if options.kind == "single" else
              "create the environment Asgdemo-env with an application load balancer and min 2 / max 4 instances (book ch. 11, Deployment of a single webserver application on Elastic Beanstalk)")
    return (f"the application {book['application']} and its version (the demo-project zip, files at its root, book ch. 11, Deployment of a single webserver application on Elastic Beanstalk) are "
            f"uploaded; the book now goes on to {create}: run createEnvironment, which puts it in the lab's VPC (an "
            "environment the console leaves in the default VPC is not graded), then browse its URL (book ch. 11, Platform)")


def load_balancer_name(options: BeanstalkOptions) -> str:
    return f"{names(options)['environment']}-ALB"


def bundle_bytes(folder: Path | None = None) -> bytes:
    """The source bundle: every file of ``folder`` at the root of a zip (the book's warning at
    book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Deployment of a single webserver application on Elastic Beanstalk”: a folder inside the zip would land under /var/www/html and the page would not be
    found). Entries sorted, with one fixed timestamp and mode, so the bytes depend only on the
    files' names and contents."""
    files = content.tree(folder or content.lab_path(APP_DIR))  # regular files of labs/ only: the bundle is served on the web
    if not files:
        raise content.LabContentError(f"{content.shown(folder or content.lab_path(APP_DIR))}: no files to bundle")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, data)
    return out.getvalue()


def bundle_files(data: bytes) -> list[str]:
    """The names inside a bundle, as Beanstalk will unpack them into /var/www/html."""
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def bundle_label(data: bytes) -> str:
    """The application version's label: the bundle's digest, so a changed page is a new version."""
    return "v-" + hashlib.sha256(data).hexdigest()[:12]


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    """The default VPC's shape the console uses, cut to the two zones the environment spans."""
    return (VpcPlan("VPC", block, tuple(s for s in default_like(block) if s.name in SUBNETS)),)


def expected_paths(stage: str, options: BeanstalkOptions) -> list[Expect]:
    if stage == "starter":
        return [deny(INTERNET, f"subnet:{SUBNETS[0]}", 80,
                     "nothing answers yet: the student creates the environment (the book's 'Create environment')")]
    env = names(options)["environment"]
    # No path on SSH: the book's console route lets Beanstalk make its default group, which "allow[s]
    # HTTP and SSH access to the instance" (book ch. 11, “Introduction to Cloud Platform as a Service (PaaS)” › “Platform”), and the book never asks to close it; the lab's own
    # groups open no SSH (tested with the lab), but a student's environment is not graded on it.
    paths = [allow(env, INTERNET, 443, "the instances download the bundle from S3 and report to Elastic Beanstalk")]
    if options.coursework:
        paths += [allow(env, DATABASE, 3306, "the PHP page queries the database's endpoint (the coursework's challenge)"),
                  deny(INTERNET, DATABASE, 3306, "the database is not public"),
                  deny(ADMIN, DATABASE, 3306, "not even from the admin CIDR: only the environment's instances")]
    if options.kind == "single":
        return [allow(INTERNET, env, 80, "browse the environment's URL (book ch. 11, Platform)"), *paths]
    alb = load_balancer_name(options)
    return [allow(INTERNET, alb, 80, "browse the environment's URL: the load balancer answers (book ch. 11, Deployment of a single webserver application on Elastic Beanstalk)"),
            allow(alb, env, 80, "the load balancer forwards to the instances and health-checks them"),
            deny(INTERNET, env, 80, "the instances answer HTTP only through the load balancer"), *paths]


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    if not out.get("url"):
        return []
    if out.get("database"):
        found: list[ProbeSpec] = [PageContains("LAMP page", "the page shows the rows it read from the database (coursework)",
                                               out["url"], (COURSEWORK_TEXT, *COURSEWORK_ROWS))]
    else:
        found = [PageContains("environment page", "browse the environment's DNS name (book ch. 11, Platform)", out["url"], (PAGE_TEXT,))]
    if out.get("environmentType") == "LoadBalanced":
        found.append(Alternates("instances alternate", "two instances behind the load balancer (book ch. 11, Deployment of a single webserver application on Elastic Beanstalk)", out["url"]))
    return found


LAB = LabDefinition(
    key="beanstalk",
    chapter=11,
    section="11",
    title="Platform as a Service: a PHP application on Elastic Beanstalk",
    book=BookRef(11, "Cloud Platform as a Service", section="Introduction to Cloud Platform as a Service (PaaS)",
                 heading="Deployment of a single webserver application on Elastic Beanstalk",
                 through="Conclusion",
                 quote="a simple web project consisting of the HTML index file and a picture",
                 lines=(8386, 8574)),
    summary=(
        "The book's demo-project (a PHP page and a picture, `labs/beanstalk/app/`) zipped with the files at the root "
        "of the bundle (the book's warning, book ch. 11, Deployment of a single webserver application on Elastic Beanstalk) and uploaded to a private bucket as an application version; the PHP "
        "platform on Amazon Linux 2023 looked up at deploy time; an environment in the student's VPC (two public "
        "subnets in two zones), option `environment`: `single` (one instance with a public address, the book's "
        "Example-env) or `high-availability` (an Application Load Balancer over an Auto Scaling group of min 2 / max 4, "
        "the book's asg-demo). IMDSv2 only, security groups of the lab's own instead of Beanstalk's default ones "
        "(HTTP from anywhere, or only from the load balancer; no SSH). Under the `learner-lab` profile the service "
        "role and instance profile are Learner Lab's LabRole and LabInstanceProfile (no IAM created); elsewhere the "
        "lab creates minimal ones with AWS's managed policies. Coursework (book ch. 11, Conclusion): the high-availability environment in "
        "front of an RDS MySQL database created first (not public, MySQL only from the instances), its endpoint, name "
        "and user passed as environment properties and its password, generated (a Pulumi secret) and kept in an SSM "
        "SecureString parameter nothing rotates, as an environment secret (not RDS's managed secret: RDS rotates it every "
        "7 days, and Beanstalk reads environment secrets only when an instance boots); the PHP page (`labs/beanstalk/coursework/`) creates and reads table1"
    ),
    stages={
        "starter": "the application, its version (the bundle in the bucket), the VPC, security groups and roles; the "
                   "outputs give the create-environment command with the book's settings (book ch. 11, Deployment of a single webserver application on Elastic Beanstalk to Platform); with coursework "
                   "also the database (the book creates it first, book ch. 11, Conclusion) and the demo-project as the version: the PHP "
                   "page that reads the database and the environment's RDS_* properties are the student's (book ch. 11, Conclusion)",
        "solution": "the environment runs the bundle: its URL shows the demo-project page (book ch. 11, Platform)",
    },
    options=BeanstalkOptions,
    layout=layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_variants={"with `environment: high-availability`": {"environment": "high-availability"},
                   "with `coursework: true`": {"coursework": True}},
    cost_notes=("Elastic Beanstalk itself is free; the environment's instances (and for high-availability the load "
                "balancer) are priced from its settings at the minimum size; scaled out to 4 instances, two more; "
                "the bundle's bucket, CloudWatch alarms and logs cost cents; the coursework's password parameter is "
                "free (standard tier)"),
    outputs=(
        Output("application", "text", "the Elastic Beanstalk application's name"),
        Output("version", "text", "the application version (label from the bundle's digest)"),
        Output("bundle", "mapping", "the bundle's bucket, key and files (at the zip's root)"),
        Output("platform", "text", "the PHP solution stack found at deploy time"),
        Output("serviceRole", "text", "the role Elastic Beanstalk acts with (LabRole in a Learner Lab)"),
        Output("instanceProfile", "text", "the instances' profile (LabInstanceProfile in a Learner Lab)"),
        Output("environmentType", "text", "SingleInstance or LoadBalanced"),
        Output("database", "mapping", "the database's endpoint, name, user, the password's SSM parameter and the "
                                      "command that reads the password", "option coursework"),
        Output("createEnvironment", "command", "aws elasticbeanstalk create-environment with the lab's settings (with "
                                               "coursework, the database's properties are the student's to add)", "starter"),
        Output("environmentProperties", "mapping", "the properties the student's page reads and where each value comes "
                                                   "from (the database's endpoint, name, user, the password's parameter)",
               "starter, option coursework"),
        Output("nextStep", "text", "where the student is in the chapter and what the book does next"),
        Output("environment", "text", "the environment's name (at the starter, the one createEnvironment creates: "
                                      "`labctl probe --find-environments` finds its URL by it)"),
        Output("url", "url", "the environment's page (its CNAME)", "solution"),
        Output("endpoint", "text", "the instance's Elastic IP (single) or the load balancer's DNS name", "solution"),
        Output("describeHealth", "command", "aws elasticbeanstalk describe-environment-health for the environment",
               "solution"),
        Output("findInstances", "command", "list the environment's EC2 instances (the book terminates one, book ch. 11, Platform)",
               "solution"),
    ),
    content=("beanstalk",),
)
