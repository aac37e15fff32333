"""Machine images and the user-data scripts that bootstrap them, as data.

AMI ids differ per region and change with every release (the book, chapter 3), so images are
described by a query that the program runs at deploy time; nothing here hard-codes an AMI id.
Amazon Linux 2 is past end of life: the default is Amazon Linux 2023 (dnf, no
amazon-linux-extras), with Ubuntu 24.04 LTS as the other choice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class ImageSpec:
    key: str
    title: str
    owners: tuple[str, ...]
    name_pattern: str  # AMI name filter; "{arch}" is replaced by the AMI architecture
    login_user: str
    web_server: str  # the package and service the web-server user data installs
    root_volume_gib: int
    shell: str = "bash"  # what the student types commands into on the instance: bash, or powershell (Windows)


AMAZON_LINUX_2023 = ImageSpec(
    key="amazon-linux-2023",
    title="Amazon Linux 2023",
    owners=("amazon",),
    name_pattern="al2023-ami-2023.*-kernel-*-{arch}",
    login_user="ec2-user",
    web_server="httpd",
    root_volume_gib=8,
)

UBUNTU_24_04 = ImageSpec(
    key="ubuntu-24.04",
    title="Ubuntu 24.04 LTS",
    owners=("099720109477",),  # Canonical
    name_pattern="ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-{ubuntu_arch}-server-*",
    login_user="ubuntu",
    web_server="nginx",
    root_volume_gib=8,
)

# The book's Windows activity (book ch. 3, “Installation of webserver” › “Deploy a Windows Server 2019 on AWS EC2 instance”): Windows Server 2019 Base, reached over RDP as Administrator,
# with the password decrypted by the key pair's private key. x86_64 only.
WINDOWS_SERVER_2019 = ImageSpec(
    key="windows-server-2019",
    title="Windows Server 2019",
    owners=("amazon",),
    name_pattern="Windows_Server-2019-English-Full-Base-*",
    login_user="Administrator",
    web_server="iis",
    root_volume_gib=30,  # the image's own size: "it needs certain size being a Windows server"
    shell="powershell",
)

IMAGES: dict[str, ImageSpec] = {i.key: i for i in (AMAZON_LINUX_2023, UBUNTU_24_04, WINDOWS_SERVER_2019)}

_GRAVITON = re.compile(r"^[a-z]+\d+g")  # t4g, m7g, c7gn...: arm64 families


def architecture(instance_type: str) -> str:
    """The AMI architecture an instance type needs: arm64 for Graviton families, else x86_64."""
    return "arm64" if _GRAVITON.match(instance_type) else "x86_64"


def ami_name_filter(image: ImageSpec, instance_type: str) -> str:
    arch = architecture(instance_type)
    return image.name_pattern.format(arch=arch, ubuntu_arch="arm64" if arch == "arm64" else "amd64")


# The book's landing page, with its tags closed in the right order. $(hostname -f) is expanded
# by the shell on the instance, so every server names itself (ip-10-N-x-y.ec2.internal).
HELLO_PAGE = "<html><body><h1>Hello from $(hostname -f)</h1></body></html>"
# Chapter 8.1's page (book ch. 8, “Hash” › “Configuration of an AWS Elastic Load Balancer”): each server names itself, so refreshing the ALB shows it alternate.
THIS_IS_PAGE = "<html><body><h1>This is $(hostname -f)</h1></body></html>"
# Chapter 8.3's page (book ch. 8, “Creation of the elastic load balancer” › “Configuration of an Auto Scaling Group”): every server of the Auto Scaling group identical (book ch. 8, “Creation of the elastic load balancer” › “Further Investigation of the functioning of the Load Balancer”).
ASG_PAGE = "<html><head><title>TELE20483</title></head><body><h1>Auto Scaling Group</h1><p>Cloud Enabled Networks</p></body></html>"

# A private host reaches package mirrors only once its subnet routes to a NAT gateway (the
# `starter` of vpc-nat has none): keep trying, so the page appears as soon as the route does.
_INSTALL = {
    "httpd": "until dnf install -y httpd; do sleep 30; done",
    "nginx": "until apt-get update -y && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx; do sleep 30; done",
}


def web_server_user_data(image: ImageSpec, page: str = HELLO_PAGE) -> str:
    """Chapter 3's bootstrap script: install a web server, write the landing page, start it now
    and at every boot (IIS on Windows: a PowerShell block, the page naming the computer)."""
    if image.web_server == "iis":
        windows_page = page.replace("$(hostname -f)", "$env:COMPUTERNAME")
        return "\n".join([
            "<powershell>",
            "# cloudlabs: web server bootstrap (Windows Server, IIS)",
            "Install-WindowsFeature -Name Web-Server -IncludeManagementTools",
            f'Set-Content -Path C:\\inetpub\\wwwroot\\index.html -Value "{windows_page}"',
            "</powershell>",
            "",
        ])
    return "\n".join(
        [
            "#!/bin/bash",
            f"# cloudlabs: web server bootstrap ({image.title}, {image.web_server})",
            "set -euxo pipefail",
            _INSTALL[image.web_server],
            f'echo "{page}" > /var/www/html/index.html',
            f"systemctl enable {image.web_server}",
            f"systemctl restart {image.web_server}",
            "",
        ]
    )


def base64_text(script: str) -> str:
    """Launch templates take user data base64-encoded (instances take it as text)."""
    import base64
    return base64.b64encode(script.encode()).decode()


def builtin_web_server_user_data(page: str = HELLO_PAGE, port: int = 80) -> str:
    """The same landing page served by Python's built-in HTTP server (part of Amazon Linux 2023),
    so a private host needs no package download: no NAT gateway, no internet route."""
    return "\n".join(
        [
            "#!/bin/bash",
            "# cloudlabs: web server without packages (python3 -m http.server), for hosts with no way out",
            "set -euxo pipefail",
            "mkdir -p /var/www/html",
            f'echo "{page}" > /var/www/html/index.html',
            "cat > /etc/systemd/system/cloudlabs-web.service <<'UNIT'",
            "[Unit]",
            "Description=cloudlabs landing page",
            "After=network-online.target",
            "[Service]",
            f"ExecStart=/usr/bin/python3 -m http.server {port} --directory /var/www/html",
            "Restart=always",
            "[Install]",
            "WantedBy=multi-user.target",
            "UNIT",
            "systemctl daemon-reload",
            "systemctl enable --now cloudlabs-web",
            "",
        ]
    )


def docker_containers_user_data(ports: tuple[int, ...], image: str = "nginx", mongodb_port: int | None = None) -> str:
    """Chapter 5 coursework: Docker on the instance and one nginx container per host port (and,
    for the TCP analysis, the book's MongoDB container on its native port)."""
    runs = [f"docker run -d --restart unless-stopped --name web-{port} -p {port}:80 {image}" for port in ports]
    what = f"{len(ports)} {image} containers on ports {', '.join(map(str, ports))}"
    if mongodb_port is not None:
        runs.append(f"docker run -d --restart unless-stopped --name mongodb1 -p {mongodb_port}:27017 mongo")
        what += f" and MongoDB on {mongodb_port}"
    return "\n".join(
        [
            "#!/bin/bash",
            f"# cloudlabs: {what} (chapter 5 coursework)",
            "set -euxo pipefail",
            "until dnf install -y docker; do sleep 30; done",
            "systemctl enable --now docker",
            *runs,
            "",
        ]
    )


# Chapter 10: the book's table and its three records, seeded once (only into an empty table).
LAMP_RECORDS = ("This is record 1", "This is record 2", "This is record 3")
LAMP_DATABASE, LAMP_TABLE, LAMP_USER = "exampleDB", "table1", "admin"


def lamp_seed_sql() -> str:
    rows = " UNION ALL ".join(f"SELECT '{r}'" for r in LAMP_RECORDS)
    return (f"CREATE TABLE IF NOT EXISTS {LAMP_DATABASE}.{LAMP_TABLE} "
            f"(item_id INT AUTO_INCREMENT, content VARCHAR(255), PRIMARY KEY(item_id)); "
            f"INSERT INTO {LAMP_DATABASE}.{LAMP_TABLE} (content) SELECT * FROM ({rows}) AS r "
            f"WHERE NOT EXISTS (SELECT 1 FROM {LAMP_DATABASE}.{LAMP_TABLE});")


LAMP_INDEX_PHP = """<?php
require '/etc/cloudlabs/db.php';
echo "<html><body><h1>Hello from " . gethostname() . "</h1><h2>From the database</h2><ol>";
try {
  $db = new PDO("mysql:host=$host;port=$port;dbname=$database", $user, $password);
  foreach ($db->query("SELECT content FROM $table") as $row) {
    echo "<li>" . htmlspecialchars($row['content']) . "</li>";
  }
} catch (PDOException $e) {
  echo "<li>database not reachable yet: " . htmlspecialchars($e->getMessage()) . "</li>";
}
echo "</ol></body></html>";
"""


def lamp_user_data(endpoint: str, port: int, password: str) -> str:
    """Ubuntu web server for chapter 10: Apache, PHP and php-mysql; the connection settings in
    root-owned files (readable by Apache only), the book's table seeded once, and a PHP page that
    lists it. No `set -x`: the password must not reach the cloud-init log."""
    return "\n".join([
        "#!/bin/bash",
        "# cloudlabs: LAMP web server (chapter 10). The whole script is a Pulumi secret: it carries the DB password.",
        "set -euo pipefail",
        "export DEBIAN_FRONTEND=noninteractive",
        "until apt-get update -y && apt-get install -y apache2 php libapache2-mod-php php-mysql mysql-client; do sleep 30; done",
        "install -d -m 0750 -o root -g www-data /etc/cloudlabs",
        "umask 027",
        "cat > /etc/cloudlabs/db.php <<'PHP'",
        "<?php",
        f'$host = "{endpoint}"; $port = {port}; $user = "{LAMP_USER}"; $password = "{password}";',
        f'$database = "{LAMP_DATABASE}"; $table = "{LAMP_TABLE}";',
        "PHP",
        "chgrp www-data /etc/cloudlabs/db.php",
        "cat > /etc/cloudlabs/my.cnf <<'CNF'",
        "[client]",
        f"host={endpoint}",
        f"port={port}",
        f"user={LAMP_USER}",
        f"password={password}",
        "CNF",
        "chmod 0600 /etc/cloudlabs/my.cnf",
        "# the database may still be starting: wait for it, then create table1 and its three records once",
        "until mysql --defaults-extra-file=/etc/cloudlabs/my.cnf -e 'SELECT 1' >/dev/null 2>&1; do sleep 20; done",
        f'mysql --defaults-extra-file=/etc/cloudlabs/my.cnf -e "{lamp_seed_sql()}"',
        "rm -f /var/www/html/index.html",
        "cat > /var/www/html/index.php <<'PHP'",
        LAMP_INDEX_PHP.rstrip("\n"),
        "PHP",
        "systemctl enable apache2",
        "systemctl restart apache2",
        "",
    ])


def lamp_starter_user_data() -> str:
    """Chapter 10's starting point (book ch. 10, “Configuration of a webserver stack in AWS Cloud” › “Deployment of the webserver of the LAMP stack”): the book's user data, Apache2 only. The student
    installs mysql-client, creates table1 with its three records, writes header.php and index.php
    and installs PHP by hand (book ch. 10, “Networking” › “Adding data to the database” to “Configuration of the webserver to talk to the database”), so nothing here knows the database or its password."""
    return "\n".join([
        "#!/bin/bash",
        "# cloudlabs: LAMP starter (chapter 10): Apache2 only, as in the book's user data",
        "export DEBIAN_FRONTEND=noninteractive",
        "until apt-get update -y && apt-get install -y apache2; do sleep 30; done",
        "systemctl enable --now apache2",
        "",
    ])
