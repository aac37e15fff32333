"""lamp (chapter 10): an Ubuntu web server with PHP in front of a private RDS MySQL database; the
chapter's coursework: WordPress on RDS behind an Application Load Balancer (book ch. 10, “Networking” › “Configuration of the webserver to talk to the database” to “Chapter 10 Coursework”)."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any, Literal, Mapping

from pydantic import Field

from ..addressing import SubnetPlan, VpcPlan, at
from ..images import LAMP_RECORDS
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import PageContains, ProbeSpec
from ..wordpress import PAGE_TEXT as WORDPRESS_TEXT

DB_NAME = "database-1"  # the book's DB identifier, and the database's name in reachability
ALB = "web-ALB"  # the coursework's load balancer, by its Name tag
# The coursework's second public subnet: an ALB needs two zones. Left out unless the option is on.
COURSEWORK_SUBNET = "SN-WEB-2"
ALB_SUBNETS = ("SN-WEB", COURSEWORK_SUBNET)


class LampOptions(LabOptions):
    db_instance_class: Literal["db.t3.micro", "db.t4g.micro"] = Field(
        "db.t3.micro", description="db.t3.micro or db.t4g.micro (the smallest classes)")
    coursework: bool = Field(False, description="true or false: chapter 10's coursework (book ch. 10, Configuration of the webserver to talk to the database to Chapter 10 Coursework): WordPress on an "
                                                "Amazon Linux 2023 web server, MySQL on RDS, and (solution) an "
                                                "Application Load Balancer in front")


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    return (VpcPlan("VPC", block, (
        SubnetPlan("SN-WEB", at(block, 0, 20), "public", az=0),
        SubnetPlan(COURSEWORK_SUBNET, at(block, 16, 20), "public", az=1),
        SubnetPlan("SN-DB-1", at(block, 128, 20), "private", az=0),
        SubnetPlan("SN-DB-2", at(block, 144, 20), "private", az=1),
    )),)


def expected_paths(stage: str, options: LampOptions) -> list[Expect]:
    if options.coursework:
        return coursework_paths(stage)
    return [
        allow(INTERNET, "web", 80, "browse the PHP page"),
        allow(ADMIN, "web", 22, "ssh into the web server"),
        allow("web", DB_NAME, 3306, "the web server queries MySQL (mysql -h <endpoint> -u admin -p)"),
        deny(INTERNET, DB_NAME, 3306, "the database is not publicly accessible"),
        allow("web", INTERNET, 80, "apt downloads Apache, PHP and the MySQL client"),
    ]


def coursework_paths(stage: str) -> list[Expect]:
    """WordPress first answers on the server itself (the student runs its setup there); in the
    solution the ALB is in front and the server takes HTTP only from it."""
    front = ([allow(INTERNET, "web", 80, "open http://<public IP>/: WordPress's setup asks for the database (book ch. 10, Chapter 10 Coursework)")]
             if stage != "solution" else [
                 allow(INTERNET, ALB, 80, "browse the load balancer's DNS name: WordPress answers through it"),
                 allow(ALB, "web", 80, "the load balancer forwards to the web server (and health-checks it)"),
                 deny(INTERNET, "web", 80, "with the load balancer in front, the server answers HTTP only through it"),
             ])
    return front + [
        allow(ADMIN, "web", 22, "ssh into the web server"),
        allow("web", DB_NAME, 3306, "WordPress connects to MySQL on RDS (the setup page's database host)"),
        deny(INTERNET, DB_NAME, 3306, "the database is not publicly accessible"),
        allow("web", INTERNET, 443, "the user data downloads httpd, PHP and WordPress over HTTPS"),
    ]


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    if "wordpress" in out:  # the coursework: WordPress through the ALB once it is there, else on the server
        if out.get("albUrl"):
            return [PageContains("WordPress through the ALB", "the load balancer serves WordPress (book ch. 10, Chapter 10 Coursework)",
                                 out["albUrl"], (WORDPRESS_TEXT,))]
        return [PageContains("WordPress page", "the web server answers with WordPress (book ch. 10, Chapter 10 Coursework)", out["url"],
                             (WORDPRESS_TEXT,))]
    return [PageContains("LAMP page rows", "the PHP page lists the three records from the database (book ch. 10, Configuration of the webserver to talk to the database)",
                         out["url"], LAMP_RECORDS)]


LAB = LabDefinition(
    key="lamp",
    chapter=10,
    section="10",
    title="LAMP: a PHP web server and a MySQL database on RDS",
    book=BookRef(10, "Cloud Databases", section="Configuration of a webserver stack in AWS Cloud",
                 heading="Deployment of the webserver of the LAMP stack",
                 through="Chapter 10 Coursework",
                 quote="The first step in the LAMP stack configuration is to deploy an EC2 instance on Linux Ubuntu server.",
                 lines=(7902, 8331)),
    summary=(
        "An Ubuntu 24.04 web server with Apache, PHP and php-mysql; RDS MySQL 8.4 (`db.t3.micro`, 20 GiB gp2, "
        "encrypted, not public, port 3306, database `exampleDB`, user `admin`, a generated password kept as a Pulumi "
        "secret, no final snapshot, no deletion protection, no backups left behind) in a DB subnet group over two "
        "AZs; the book's security-group pair (`rds-ec2` admits 3306 only from `ec2-rds`); option `dbInstanceClass`; "
        "the `mysqlFromWeb` output says how the student reads their own password (`pulumi stack output lamp "
        "--show-secrets --json --stack <stack>`, key `dbPassword`); option `coursework`: the chapter's WordPress "
        "coursework instead of the PHP page, on Amazon Linux 2023 (the book's script with `php-mysqlnd` for "
        "`php-mysql`, WordPress 6.8.3 for 5.1.1), with SN-WEB-2 in a second zone for an Application Load Balancer "
        "whose target group health-checks `/wp-admin/install.php`"
    ),
    stages={
        "starter": "the web server with Apache2 only and the empty database (the book's ch. 10, Deployment of the webserver of the LAMP stack and book ch. 10, Deployment of the MySQL database of the LAMP stack): the student "
                   "installs mysql-client and PHP, creates table1 with its three rows and writes the PHP page "
                   "(book ch. 10, Adding data to the database to Configuration of the webserver to talk to the database); with coursework: the book's WordPress script, unconfigured, and no ALB: the "
                   "student runs WordPress's setup (database exampleDB, user admin, their password, the RDS host), "
                   "then adds the target group, the ALB and its listener (book ch. 10, Chapter 10 Coursework)",
        "solution": "user data does all of it: the page lists the three records read from the database; with "
                    "coursework: WordPress configured for the database (wp-config.php) behind an ALB over SN-WEB and "
                    "SN-WEB-2, the server taking HTTP only from the ALB: the student runs WordPress's install "
                    "through the ALB's URL",
    },
    options=LampOptions,
    layout=layout,
    expected_paths=expected_paths,
    probes=probes,
    cost_variants={"with `coursework` (WordPress behind an ALB)": {"coursework": True}},
    outputs=(
        Output("url", "url", "the web server's page (the PHP page; with coursework, WordPress, reachable directly "
                             "only in starter)"),
        Output("publicIp", "address", "the web server's public IP"),
        Output("ssh", "command", "ssh into the web server"),
        Output("dbEndpoint", "address", "the database's host:port"),
        Output("dbName", "text", "the database (exampleDB)"),
        Output("dbUser", "text", "the database user (admin)"),
        Output("dbPassword", "secret", "the generated password (a Pulumi secret: --show-secrets)"),
        Output("mysqlFromWeb", "command", "the book's mysql command, and how to read the password"),
        Output("wordpress", "mapping", "WordPress's version, where to run its setup or install, what to enter and "
                                       "what to build next", "option coursework"),
        Output("albUrl", "url", "the load balancer's URL (WordPress through the ALB)", "option coursework, solution"),
    ),
)
