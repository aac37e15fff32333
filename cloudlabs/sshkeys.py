"""OpenSSH public keys as EC2 imports them: parsed, not pattern-matched.

A line that only looks like a key (``ssh-rsa QUFBQUFB...``, an ``ssh-ed25519`` prefix on an RSA
key's data) passes a pattern and is refused later by AWS (``InvalidKeyPair.Format``), in class.
Here the key data is decoded and read as the wire format says (RFC 4253 section 6.6: the key type
as the first SSH string, then the type's own fields), by ``cryptography``'s OpenSSH parser, so an
incomplete key, trailing bytes or a wrong length are refused with the reason, before anything runs.

What EC2 imports (ImportKeyPair, https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_ImportKeyPair.html:
"the public key from an RSA or ED25519 key pair"; the key pair guide's requirements,
https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/create-key-pairs.html#how-to-generate-your-own-key-and-import-it-to-aws:
supported types RSA and ED25519, RSA lengths 1024, 2048 and 4096 bits, ED25519 a 32-byte key).
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.hazmat.primitives.serialization import load_ssh_public_key

RSA, ED25519 = "ssh-rsa", "ssh-ed25519"
KEY_TYPES = (RSA, ED25519)  # what EC2 imports
RSA_BITS = (1024, 2048, 4096)  # the RSA lengths EC2 imports
ED25519_BYTES = 32
# Types OpenSSH writes that EC2 does not import: named in the refusal rather than "not a key".
OTHER_TYPES = ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "ssh-dss",
               "sk-ecdsa-sha2-nistp256@openssh.com", "sk-ssh-ed25519@openssh.com")
# The comment: printable ASCII without shell metacharacters, so the line is safe wherever it is
# written (an authorized_keys line, a command, user data): letters, digits, space and @ . _ + : , = / -
COMMENT = re.compile(r"[A-Za-z0-9@._+:,=/ -]*")
COMMENT_ALLOWED = "letters, digits, spaces and @ . _ + : , = / -"
ALLOWED = ("an OpenSSH public key on one line as ssh-keygen writes it: ssh-rsa (1024, 2048 or 4096 bits) or "
           f"ssh-ed25519, one space, its base64 key data, and optionally a space and a comment ({COMMENT_ALLOWED})")


@dataclass(frozen=True)
class PublicKey:
    type: str  # ssh-rsa or ssh-ed25519
    bits: int  # the RSA modulus's size; 256 for ED25519
    data: str  # the base64 key data
    comment: str

    @property
    def line(self) -> str:
        return f"{self.type} {self.data}" + (f" {self.comment}" if self.comment else "")


def parse_public_key(text: str) -> PublicKey:
    """The key a line holds, or ValueError saying what is wrong with it (never the whole line)."""
    line = text.removesuffix("\n")  # as a .pub file (or a YAML block) ends; nothing else is trimmed
    if not line.strip():
        raise ValueError("empty")
    if line != line.strip(" "):
        raise ValueError("spaces before or after the key")
    if line.startswith("-----BEGIN"):
        raise ValueError("a PEM block (a private key, or a public key in PEM form), not an OpenSSH public key line")
    if not line.isascii() or not all(c.isprintable() for c in line):
        raise ValueError("not one line of printable ASCII (a line break, tab, control or non-ASCII character)")
    kind, _, rest = line.partition(" ")
    if rest.startswith(" "):
        raise ValueError(f"more than one space after {kind[:40]}: one space between the type and the key data")
    data, _, comment = rest.partition(" ")
    if kind not in KEY_TYPES:
        if kind in OTHER_TYPES:
            raise ValueError(f"a {kind} key: EC2 imports RSA (ssh-rsa) and ED25519 (ssh-ed25519) keys only")
        raise ValueError(f"starts with {kind[:40]!r}, not with the key type ssh-rsa or ssh-ed25519")
    blob = _decode(data, kind)
    inner = _first_string(blob)
    if inner != kind.encode():
        shown = inner.decode("ascii", "replace") if inner is not None and inner.isascii() and len(inner) <= 40 else None
        raise ValueError(f"the line says {kind} but its key data holds a {shown} key" if shown else
                         f"the key data does not start with the key type {kind} (RFC 4253 section 6.6)")
    bits = _structure(kind, data)
    if kind == RSA and bits not in RSA_BITS:
        raise ValueError(f"a {bits}-bit RSA key; EC2 imports RSA keys of {', '.join(map(str, RSA_BITS[:-1]))} or {RSA_BITS[-1]} bits")
    if not COMMENT.fullmatch(comment):
        bad = sorted({c for c in comment if not COMMENT.fullmatch(c)})
        raise ValueError(f"the comment has characters other than {COMMENT_ALLOWED}: {' '.join(bad)}")
    return PublicKey(kind, bits, data, comment)


def _decode(data: str, kind: str) -> bytes:
    if not data:
        raise ValueError(f"no key data after {kind}")
    try:
        blob = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("the key data is not base64") from None
    if base64.b64encode(blob).decode() != data:
        raise ValueError("the key data is not base64 as ssh-keygen writes it (padding or trailing bits)")
    return blob


def _first_string(blob: bytes) -> bytes | None:
    """The first SSH string of the wire format (a 4-byte big-endian length, then that many bytes)."""
    if len(blob) < 4:
        return None
    (length,) = struct.unpack(">I", blob[:4])
    return blob[4:4 + length] if length <= len(blob) - 4 else None


def _structure(kind: str, data: str) -> int:
    """The key's size once its fields are read in full (cryptography refuses a missing field, a
    wrong length and trailing bytes)."""
    try:
        key = load_ssh_public_key(f"{kind} {data}".encode())
    except (ValueError, UnsupportedAlgorithm):
        need = "the exponent e and the modulus n" if kind == RSA else f"one {ED25519_BYTES}-byte key"
        raise ValueError(f"the {kind} key data is incomplete or has bytes too many ({kind} holds {need})") from None
    if isinstance(key, rsa.RSAPublicKey):
        return key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return ED25519_BYTES * 8
    raise ValueError(f"the key data is not a {kind} key")  # unreachable: the type was checked above
