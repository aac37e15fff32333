"""lamp (chapter 10): an Ubuntu web server with PHP in front of a private RDS MySQL database."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any, Literal, Mapping

from pydantic import Field

from ..addressing import SubnetPlan, VpcPlan, at
from ..images import LAMP_RECORDS
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..probes import PageContains, ProbeSpec

DB_NAME = "database-1"  # the book's DB identifier, and the database's name in reachability


class LampOptions(LabOptions):
    db_instance_class: Literal["db.t3.micro", "db.t4g.micro"] = Field(
        "db.t3.micro", description="db.t3.micro or db.t4g.micro (the smallest classes)")


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    return (VpcPlan("VPC", block, (
        SubnetPlan("SN-WEB", at(block, 0, 20), "public", az=0),
        SubnetPlan("SN-DB-1", at(block, 128, 20), "private", az=0),
        SubnetPlan("SN-DB-2", at(block, 144, 20), "private", az=1),
    )),)


def expected_paths(stage: str, options: LampOptions) -> list[Expect]:
    return [
        allow(INTERNET, "web", 80, "browse the PHP page"),
        allow(ADMIN, "web", 22, "ssh into the web server"),
        allow("web", DB_NAME, 3306, "the web server queries MySQL (mysql -h <endpoint> -u admin -p)"),
        deny(INTERNET, DB_NAME, 3306, "the database is not publicly accessible"),
        allow("web", INTERNET, 80, "apt downloads Apache, PHP and the MySQL client"),
    ]


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    return [PageContains("LAMP page rows", "the PHP page lists the three records from the database (L8288)",
                         out["url"], LAMP_RECORDS)]


LAB = LabDefinition(
    key="lamp",
    chapter=10,
    section="10",
    title="LAMP: a PHP web server and a MySQL database on RDS",
    seed_lines="L7902-8331",
    summary=(
        "An Ubuntu 24.04 web server with Apache, PHP and php-mysql; RDS MySQL 8.4 (`db.t3.micro`, 20 GiB gp2, "
        "encrypted, not public, port 3306, database `exampleDB`, user `admin`, a generated password kept as a Pulumi "
        "secret, no final snapshot, no deletion protection, no backups left behind) in a DB subnet group over two "
        "AZs; the book's security-group pair (`rds-ec2` admits 3306 only from `ec2-rds`); option `dbInstanceClass`; "
        "the `mysqlFromWeb` output says how the student reads their own password (`pulumi stack output lamp "
        "--show-secrets --json --stack <stack>`, key `dbPassword`)"
    ),
    stages={
        "starter": "the web server with Apache2 only and the empty database (the book's L7930 and L7937): the student "
                   "installs mysql-client and PHP, creates table1 with its three rows and writes the PHP page "
                   "(L8086-8277)",
        "solution": "user data does all of it: the page lists the three records read from the database",
    },
    options=LampOptions,
    layout=layout,
    expected_paths=expected_paths,
    probes=probes,
    outputs=(
        Output("url", "url", "the PHP page"),
        Output("publicIp", "address", "the web server's public IP"),
        Output("ssh", "command", "ssh into the web server"),
        Output("dbEndpoint", "address", "the database's host:port"),
        Output("dbName", "text", "the database (exampleDB)"),
        Output("dbUser", "text", "the database user (admin)"),
        Output("dbPassword", "secret", "the generated password (a Pulumi secret: --show-secrets)"),
        Output("mysqlFromWeb", "command", "the book's mysql command, and how to read the password"),
    ),
)
