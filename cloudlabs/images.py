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

IMAGES: dict[str, ImageSpec] = {i.key: i for i in (AMAZON_LINUX_2023, UBUNTU_24_04)}

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

# A private host reaches package mirrors only once its subnet routes to a NAT gateway (the
# `starter` of vpc-nat has none): keep trying, so the page appears as soon as the route does.
_INSTALL = {
    "httpd": "until dnf install -y httpd; do sleep 30; done",
    "nginx": "until apt-get update -y && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx; do sleep 30; done",
}


def web_server_user_data(image: ImageSpec, page: str = HELLO_PAGE) -> str:
    """Chapter 3's bootstrap script: install a web server, write the landing page, start it now
    and at every boot."""
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


def docker_containers_user_data(ports: tuple[int, ...], image: str = "nginx") -> str:
    """Chapter 5 coursework: Docker on the instance and one nginx container per host port."""
    runs = [f"docker run -d --restart unless-stopped --name web-{port} -p {port}:80 {image}" for port in ports]
    return "\n".join(
        [
            "#!/bin/bash",
            f"# cloudlabs: {len(ports)} {image} containers on ports {', '.join(map(str, ports))} (chapter 5 coursework)",
            "set -euxo pipefail",
            "until dnf install -y docker; do sleep 30; done",
            "systemctl enable --now docker",
            *runs,
            "",
        ]
    )
