"""Chapter 10's coursework (book ch. 10, “Networking” › “Configuration of the webserver to talk to the database” to “Chapter 10 Coursework”): WordPress on the web server, as user-data scripts.

The book's script is for Amazon Linux 2 and WordPress 5.1.1; what changes on Amazon Linux 2023:
- `php-mysql` does not exist there: the MySQL driver is `php-mysqlnd` (AWS's own AL2023 WordPress
  tutorial installs it), and PHP runs under `php-fpm`, started explicitly;
- `wget` is not on the image (AWS's tutorial installs it): `curl` is, so the download uses it;
- WordPress 5.1.1 does not run on PHP 8 (it supports PHP up to 7.3): a current release is pinned
  instead, downloaded over HTTPS from wordpress.org.
The rest is the book's: the files in /var/www/html, `wp-content` 755 and owned by apache, httpd
started now and at boot.
"""

from __future__ import annotations

from dataclasses import dataclass

WORDPRESS_VERSION = "6.8.3"
WORDPRESS_URL = f"https://wordpress.org/wordpress-{WORDPRESS_VERSION}.tar.gz"
# The book: `yum install httpd php php-mysql -y`, on Amazon Linux 2023.
# mariadb105: Amazon Linux 2023's MySQL client (it has none by default), for the book's `mysql` command
# from the web server (the mysqlFromWeb output, book ch. 10, “Networking” › “Adding data to the database”).
PACKAGES = ("httpd", "php", "php-fpm", "php-mysqlnd", "mariadb105")
# What every WordPress page holds (the install page's title, the site's generator tag): the probe's text.
PAGE_TEXT = "WordPress"
# The target group's health check: 200 once PHP runs and the database answers, whether or not the
# student has run the install yet ("/" redirects until then; a database error is a 500).
HEALTH_CHECK_PATH = "/wp-admin/install.php"


@dataclass(frozen=True)
class Database:
    host: str  # the RDS endpoint's address
    name: str
    user: str
    password: str


def _book_steps() -> list[str]:
    return [
        f"until dnf install -y {' '.join(PACKAGES)}; do sleep 30; done",
        f"until curl -fsSL -o /tmp/wordpress.tar.gz {WORDPRESS_URL}; do sleep 30; done",
        "tar -xzf /tmp/wordpress.tar.gz -C /tmp",
        "cp -r /tmp/wordpress/* /var/www/html/",
        "rm -rf /tmp/wordpress /tmp/wordpress.tar.gz",
        "cd /var/www/html",
        "chmod -R 755 wp-content",
        "chown -R apache:apache wp-content",
    ]


def _start() -> list[str]:
    return ["systemctl enable --now php-fpm", "systemctl enable httpd", "systemctl restart httpd", ""]


def starter_user_data() -> str:
    """The book's script (book ch. 10, “Cloud Databases” › “Chapter 10 Coursework”), adapted to Amazon Linux 2023: WordPress unconfigured, so its
    setup page asks the student for the database (name, user, password, the RDS endpoint)."""
    return "\n".join([
        "#!/bin/bash",
        f"# cloudlabs: chapter 10 coursework, the book's WordPress script (Amazon Linux 2023, WordPress {WORDPRESS_VERSION})",
        "set -euxo pipefail",
        *_book_steps(),
        *_start(),
    ])


def solution_user_data(db: Database) -> str:
    """The book's script plus what the setup page writes: wp-config.php with the database (root and
    apache may read it) and fresh keys and salts, drawn on the instance. The script holds the
    password, so it is a Pulumi secret; no `set -x`, so the password stays out of the cloud-init log."""
    return "\n".join([
        "#!/bin/bash",
        f"# cloudlabs: chapter 10 coursework, WordPress {WORDPRESS_VERSION} configured for RDS. A Pulumi secret: it carries "
        "the DB password.",
        "set -euo pipefail",
        *_book_steps(),
        "cp wp-config-sample.php wp-config.php",
        f"sed -i \"s/'database_name_here'/'{db.name}'/; s/'username_here'/'{db.user}'/; "
        f"s/'password_here'/'{db.password}'/; s/'localhost'/'{db.host}'/\" wp-config.php",
        "while grep -q 'put your unique phrase here' wp-config.php; do",
        "  salt=$(head -c 48 /dev/urandom | base64 -w0 | tr -d '/+=')",
        "  sed -i \"0,/put your unique phrase here/s//$salt/\" wp-config.php",
        "done",
        "chown root:apache wp-config.php",
        "chmod 0640 wp-config.php",
        *_start(),
    ])
