"""Chapter 4's instance-metadata questions (L3233-3261), as IMDSv2 commands.

The labs require IMDSv2 (session tokens) on every instance: a page that can be tricked into
fetching a URL (SSRF) cannot then read the instance's role credentials with a plain GET. The
book's plain `curl http://169.254.169.254/latest/meta-data/...` commands are IMDSv1 and get
`401 Unauthorized`; the same questions are answered by first asking for a token (a PUT, which
such a page cannot send) and passing it as a header. The labs print these commands as outputs
instead of turning IMDSv1 back on.
"""

from __future__ import annotations

ENDPOINT = "http://169.254.169.254/latest"

# The book's list, in its order (L3233-3261).
BOOK_PATHS = (
    "", "instance-type", "ami-id", "system", "instance-id", "placement/availability-zone",
    "placement/availability-zone-id", "placement/security-group", "security-groups", "public-ipv4", "local-ipv4",
    "network/interfaces/macs", "mac", "hostname", "local-hostname", "public-hostname",
)

TOKEN_COMMAND = (f'TOKEN=$(curl -s -X PUT {ENDPOINT}/api/token '
                 '-H "X-aws-ec2-metadata-token-ttl-seconds: 21600")')


def metadata_command(path: str) -> str:
    """The IMDSv2 form of the book's `curl http://169.254.169.254/latest/meta-data/<path>`."""
    return f'curl -s -H "X-aws-ec2-metadata-token: $TOKEN" {ENDPOINT}/meta-data/{path}'


def metadata_commands() -> list[str]:
    """What a student pastes on the instance: the token first, then the book's questions."""
    return [TOKEN_COMMAND, *(metadata_command(p) for p in BOOK_PATHS)]
