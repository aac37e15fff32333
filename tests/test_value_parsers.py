"""The value parsers behind the options that leave the project (an imported SSH public key, a
Docker engine address): real keys and addresses accepted, each malformed one refused with its
reason, and a password never repeated in an error."""

from __future__ import annotations

import base64
import struct

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from cloudlabs.dockerhost import mask_password, parse_docker_host
from cloudlabs.settings import SettingsError, parse_settings
from cloudlabs.sshkeys import parse_public_key

from .conftest import SOURCE, config


def openssh(public_key) -> str:
    return public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    found = {f"rsa{bits}": openssh(rsa.generate_private_key(65537, bits).public_key()) for bits in (1024, 2048, 3072, 4096)}
    found["ed25519"] = openssh(ed25519.Ed25519PrivateKey.generate().public_key())
    found["ecdsa"] = openssh(ec.generate_private_key(ec.SECP256R1()).public_key())
    return found


def ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def blob_of(line: str) -> bytes:
    return base64.b64decode(line.split()[1])


def line_of(kind: str, blob: bytes, comment: str = "") -> str:
    return f"{kind} {base64.b64encode(blob).decode()}" + (f" {comment}" if comment else "")


# --- SSH public keys -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, bits", [("rsa1024", 1024), ("rsa2048", 2048), ("rsa4096", 4096), ("ed25519", 256)])
def test_keys_ec2_imports_are_accepted_with_their_size(keys, name, bits):
    parsed = parse_public_key(keys[name] + " student@laptop-1")
    assert (parsed.bits, parsed.comment) == (bits, "student@laptop-1")
    assert parsed.line == keys[name] + " student@laptop-1"
    assert parse_public_key(keys[name] + "\n").comment == ""  # as a .pub file ends


@pytest.mark.parametrize("make, reason", [
    (lambda k: "ssh-rsa " + base64.b64encode(b"AAAAAA" * 8).decode(), "does not start with the key type ssh-rsa"),
    (lambda k: "ssh-rsa QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB", "does not start with the key type ssh-rsa"),
    (lambda k: "ssh-ed25519 " + k["rsa2048"].split()[1], "the line says ssh-ed25519 but its key data holds a ssh-rsa key"),
    (lambda k: "ssh-rsa " + k["ed25519"].split()[1], "the line says ssh-rsa but its key data holds a ssh-ed25519 key"),
    (lambda k: k["rsa3072"], "a 3072-bit RSA key; EC2 imports RSA keys of 1024, 2048 or 4096 bits"),
    (lambda k: k["ecdsa"], "a ecdsa-sha2-nistp256 key: EC2 imports RSA (ssh-rsa) and ED25519 (ssh-ed25519) keys only"),
    (lambda k: line_of("ssh-rsa", ssh_string(b"ssh-rsa") + ssh_string(b"\x01\x00\x01")),
     "the ssh-rsa key data is incomplete"),  # e without n
    (lambda k: line_of("ssh-rsa", blob_of(k["rsa2048"]) + b"\x00"), "has bytes too many"),
    (lambda k: line_of("ssh-ed25519", ssh_string(b"ssh-ed25519") + ssh_string(b"\x01" * 31)),
     "the ssh-ed25519 key data is incomplete"),
    (lambda k: k["ed25519"] + " me\r", "not one line of printable ASCII"),
    (lambda k: k["ed25519"] + " me\r\n", "not one line of printable ASCII"),
    (lambda k: " " + k["ed25519"], "spaces before or after the key"),
    (lambda k: k["ed25519"] + " me\nssh-rsa AAAA", "not one line of printable ASCII"),
    (lambda k: k["ed25519"] + " $(reboot)", "the comment has characters other than letters, digits, spaces and"),
    (lambda k: k["ed25519"] + " a;b`c`", "the comment has characters other than"),
    (lambda k: k["ed25519"].replace(" ", "\t"), "not one line of printable ASCII"),
    (lambda k: k["ed25519"].replace(" ", "  "), "more than one space after ssh-ed25519"),
    (lambda k: "ssh-rsa not-base64!", "the key data is not base64"),
    (lambda k: "ssh-rsa", "no key data after ssh-rsa"),
    (lambda k: "-----BEGIN RSA PRIVATE KEY-----", "a PEM block"),
    (lambda k: "ssh-dss AAAAB3NzaC1kc3M=", "a ssh-dss key: EC2 imports RSA"),
    (lambda k: "rsa AAAA", "starts with 'rsa', not with the key type"),
    (lambda k: "", "empty"),
])
def test_each_malformed_key_is_refused_with_its_reason(keys, make, reason):
    with pytest.raises(ValueError) as err:
        parse_public_key(make(keys))
    assert reason in str(err.value)


def test_key_data_base64_must_be_as_ssh_keygen_writes_it(keys):
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    data = keys["rsa1024"].split()[1]  # 151 bytes: two padding characters, four unused bits before them
    assert data.endswith("==")
    last = data.rstrip("=")[-1]
    odd = data.rstrip("=")[:-1] + alphabet[alphabet.index(last) ^ 1] + "=="  # decodes to the same bytes
    assert base64.b64decode(odd) == base64.b64decode(data)
    with pytest.raises(ValueError, match="not base64 as ssh-keygen writes it"):
        parse_public_key("ssh-rsa " + odd)
    with pytest.raises(ValueError, match="the key data is not base64"):
        parse_public_key("ssh-rsa " + data.rstrip("="))  # padding left out


def test_the_ssh_access_option_refuses_a_bad_key_naming_publicKey():
    fake = "ssh-ed25519 " + base64.b64encode(ssh_string(b"ssh-rsa") + b"x" * 40).decode()
    with pytest.raises(SettingsError) as err:
        parse_settings(config(labs=[{"lab": "ssh-access", "options": {"key": "imported", "publicKey": fake}}]), SOURCE)
    (line,) = str(err.value).splitlines()
    assert "cloudlabs:labs[0].options.publicKey:" in line and "the line says ssh-ed25519 but its key data holds" in line


def test_ssh_access_contradictions_are_refused_where_they_are_written():
    no_key = config(keyName=None, labs=[{"lab": "ssh-access", "options": {"key": "existing"}}])
    with pytest.raises(SettingsError, match=r"options.key: \"existing\" is not allowed \(key: existing uses the stack's "
                                            r"keyName"):
        parse_settings(no_key, SOURCE)
    parse_settings(config(labs=[{"lab": "ssh-access", "options": {"key": "existing"}}]), SOURCE)  # keyName vockey
    with pytest.raises(SettingsError, match=r"options.algorithm: \"ED25519\" is not allowed \(algorithm is only read with "
                                            r"key: created or generated"):
        parse_settings(config(labs=[{"lab": "ssh-access", "options": {"key": "existing", "algorithm": "ED25519"}}]), SOURCE)


def test_a_key_file_without_a_key_pair_is_refused():
    with pytest.raises(SettingsError, match=r"cloudlabs:keyFile: \"labsuser.pem\" is not allowed \(keyFile names the "
                                            r"private key of keyName's key pair, and no keyName is set"):
        parse_settings(config(keyName=None, keyFile="labsuser.pem"), SOURCE)
    parse_settings(config(keyFile="labsuser.pem"), SOURCE)


# --- Docker engine addresses ------------------------------------------------------------------------------

@pytest.mark.parametrize("address, scheme, host, port, user, path", [
    ("unix:///var/run/docker.sock", "unix", None, None, None, "/var/run/docker.sock"),
    ("unix:///home/me/.docker/run/docker.sock", "unix", None, None, None, "/home/me/.docker/run/docker.sock"),
    ("tcp://localhost:2375", "tcp", "localhost", 2375, None, None),
    ("tcp://192.0.2.10", "tcp", "192.0.2.10", None, None, None),
    ("tcp://[::1]:2376", "tcp", "::1", 2376, None, None),
    ("tcp://docker.example.org:2376/", "tcp", "docker.example.org", 2376, None, None),
    ("ssh://ubuntu@192.0.2.10", "ssh", "192.0.2.10", None, "ubuntu", None),
    ("ssh://me@host.example.org:2222", "ssh", "host.example.org", 2222, "me", None),
    ("npipe:////./pipe/docker_engine", "npipe", None, None, None, "//./pipe/docker_engine"),
])
def test_docker_addresses_as_docker_documents_them_are_accepted(address, scheme, host, port, user, path):
    parsed = parse_docker_host(address)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.user, parsed.path) == (scheme, host, port, user, path)


@pytest.mark.parametrize("address, reason", [
    ("tcp://[::1", "not a URL (Invalid IPv6 URL)"),
    ("ssh://-oProxyCommand=id", "the host starts with - (ssh would read it as an option)"),
    ("ssh://-oProxyCommand=id@host", "the ssh user is not a user name"),
    ("tcp://localhost:99999", "the port is not a whole number from 1 to 65535"),
    ("tcp://localhost:0", "the port is not a whole number from 1 to 65535"),
    ("tcp://localhost:http", "the port is not a whole number from 1 to 65535"),
    ("tcp://localhost:", "a colon without a port"),
    ("unix://../../etc/passwd", "unix:// takes a path, not a host"),
    ("unix:///var/run/../../etc/passwd", "the socket path has . or .. segments"),
    ("unix:///tmp/a;b", "the socket path has characters other than"),
    ("tcp://admin:s3cret@host:2376", "a password in the address"),
    ("ssh://me:s3cret@host", "a password in the address"),
    ("tcp://me@host", "tcp:// takes no user name"),
    ("tcp://host/v1.40", "tcp:// takes no path"),
    ("tcp://host?tls=1", "a query or fragment"),
    ("ssh://host#x", "a query or fragment"),
    ("tcp://999.0.0.1", "not an IPv4 address"),
    ("tcp://under_score", "the host is not a DNS name"),
    ("tcp://[zz::1]", "not a URL"),
    ("tcp://[fe80::1%25eth0]", "the host has a %"),
    ("ssh://", "ssh:// needs a host"),
    ("npipe://./pipe/docker_engine", "npipe:// takes a path, not a host"),
    ("npipe:////./pipe/a b", "not printable ASCII without spaces"),
    ("localhost:2375", "is not unix://, tcp://, ssh:// or npipe:// and an address"),
    ("fd://3", "is not unix://, tcp://, ssh:// or npipe://"),
    ("http://localhost:2375", "is not unix://, tcp://, ssh:// or npipe://"),
])
def test_each_bad_docker_address_is_refused_with_its_reason(address, reason):
    with pytest.raises(ValueError) as err:
        parse_docker_host(address)
    assert reason in str(err.value)
    assert "s3cret" not in str(err.value)


def test_a_password_is_masked_in_any_url_and_never_repeated_in_an_error():
    assert mask_password("tcp://admin:s3cret@host:2376") == "tcp://admin:***@host:2376"
    assert mask_password('{"a": "ssh://u:p@h", "b": "x"}') == '{"a": "ssh://u:***@h", "b": "x"}'
    assert mask_password("unix:///var/run/docker.sock") == "unix:///var/run/docker.sock"
    options = {"variant": "local", "dockerHost": "tcp://admin:s3cret@host:2376"}
    with pytest.raises(SettingsError) as err:
        parse_settings(config(labs=[{"lab": "containers", "options": options}]), SOURCE)
    (line,) = str(err.value).splitlines()
    assert "options.dockerHost: \"tcp://admin:***@host:2376\" is not allowed (a password in the address" in line
    assert "s3cret" not in line
    # a rule across options shows the whole options mapping: masked before it is cut short
    long = {**options, "coursework": True, "dockerHost": "tcp://admin:" + "s3cret" * 20 + "@host"}
    with pytest.raises(SettingsError) as err:
        parse_settings(config(labs=[{"lab": "containers", "options": long}]), SOURCE)
    assert "s3cret" not in str(err.value)
