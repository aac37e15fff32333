"""Chapter 4's instance-metadata questions (book ch. 4, “Chapter Summary” › “Display the information in the file dhclient--eth0.lease”), as IMDSv2 commands.

The labs require IMDSv2 (session tokens) on every instance: a page that can be tricked into
fetching a URL (SSRF) cannot then read the instance's role credentials with a plain GET. The
book's plain `curl http://169.254.169.254/latest/meta-data/...` commands are IMDSv1 and get
`401 Unauthorized`; the same questions are answered by first asking for a token (a PUT, which
such a page cannot send) and passing it as a header. The labs print these commands as outputs
instead of turning IMDSv1 back on. On Windows they are PowerShell's Invoke-RestMethod (bash's `curl`
and `$TOKEN` mean nothing there).
"""

from __future__ import annotations

ENDPOINT = "http://169.254.169.254/latest"

# The book's list, in its order (book ch. 4, “Chapter Summary” › “Display the information in the file dhclient--eth0.lease”).
BOOK_PATHS = (
    "", "instance-type", "ami-id", "system", "instance-id", "placement/availability-zone",
    "placement/availability-zone-id", "placement/security-group", "security-groups", "public-ipv4", "local-ipv4",
    "network/interfaces/macs", "mac", "hostname", "local-hostname", "public-hostname",
)

TOKEN_COMMAND = (f'TOKEN=$(curl -s -X PUT {ENDPOINT}/api/token '
                 '-H "X-aws-ec2-metadata-token-ttl-seconds: 21600")')
POWERSHELL_TOKEN_COMMAND = (f"$t = Invoke-RestMethod -Method PUT -Uri {ENDPOINT}/api/token "
                            "-Headers @{'X-aws-ec2-metadata-token-ttl-seconds'='21600'}")


def metadata_command(path: str, shell: str = "bash") -> str:
    """The IMDSv2 form of the book's `curl http://169.254.169.254/latest/meta-data/<path>`, in bash or PowerShell."""
    if shell == "powershell":
        return f"Invoke-RestMethod -Headers @{{'X-aws-ec2-metadata-token'=$t}} -Uri {ENDPOINT}/meta-data/{path}"
    return f'curl -s -H "X-aws-ec2-metadata-token: $TOKEN" {ENDPOINT}/meta-data/{path}'


def metadata_commands(shell: str = "bash") -> list[str]:
    """What a student pastes on the instance (``shell``: bash, or powershell on Windows): the token
    first, then the book's questions."""
    if shell not in ("bash", "powershell"):
        raise ValueError(f"shell {shell!r}: bash or powershell")
    token = POWERSHELL_TOKEN_COMMAND if shell == "powershell" else TOKEN_COMMAND
    return [token, *(metadata_command(p, shell) for p in BOOK_PATHS)]
