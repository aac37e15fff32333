"""The non-AWS providers: tls and random make values where Pulumi runs; docker acts on a Docker engine."""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
from typing import TYPE_CHECKING

from labctl.kinds.deploy import PushedImage
from labctl.kinds.emulation import Emulator
from labctl.kinds.fakes import generic, hex_id
from labctl.kinds.live_reads import NOT_IN_AWS
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import FREE, Kind
from labctl.kinds.replacing import ANY, Replaces

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud

# the docker provider's objects live on a Docker engine (the student's machine, or where pulumi runs)
ENGINE = "on the Docker engine, not in AWS"
DOCKER = "built or run by the docker provider on a Docker engine (the student's, or where pulumi runs); not an AWS resource"


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _random_password(aws, i, name):
    """random:RandomPassword, generated locally as the random provider does (no cloud call)."""
    rng = secrets.SystemRandom()
    pools = {"lower": string.ascii_lowercase, "upper": string.ascii_uppercase, "numeric": string.digits,
             "special": i.get("overrideSpecial") or "!@#$%&*()-_=+[]{}<>:?"}
    used = {k: v for k, v in pools.items() if i.get(k, True) is not False}
    if not used:
        raise ValueError(f"{name}: a password needs at least one character class")
    chars = [rng.choice(pool) for k, pool in used.items() for _ in range(int(i.get(f"min{k.capitalize()}", 0) or 0))]
    everything = "".join(used.values())
    chars += [rng.choice(everything) for _ in range(max(0, int(i.get("length", 16)) - len(chars)))]
    rng.shuffle(chars)
    return "none", {"secret": "".join(chars)}


def _private_key(aws, i, name):
    """tls:PrivateKey, generated locally as the TLS provider does (no cloud call); its public key
    replaces the renderer's placeholder wherever the graph uses it (the key pair)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
    key = (ed25519.Ed25519PrivateKey.generate() if i.get("algorithm") == "ED25519"
           else rsa.generate_private_key(public_exponent=65537, key_size=int(i.get("rsaBits") or 2048)))
    public = key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption()).decode()
    return "none", {"secret": private, "outputs": {"publicKeyOpenssh": public + "\n"}}


def _delete_private_key(aws, rid, x):
    None


def _delete_random_password(aws, rid, x):
    None


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_password(cloud: FakeCloud, args: Args) -> Answered:
    """A password-shaped string from the logical name; the program marks it secret."""
    length = int(args.inputs.get("length", 16))
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    seed = hashlib.sha256(f"{cloud.stack}/{args.name}/password".encode()).digest() * 4
    result = "".join(alphabet[b % len(alphabet)] for b in seed[:length])
    return "none", {"result": result, "bcryptHash": "$2a$10$" + hex_id(result, 53)}


def _fake_private_key(cloud: FakeCloud, args: Args) -> Answered:
    """Key material shaped like the TLS provider's (OpenSSH wire format, base64), from the
    logical name: stable across plans, never a usable key."""
    kind = "ssh-ed25519" if args.inputs.get("algorithm") == "ED25519" else "ssh-rsa"
    size = 32 if kind == "ssh-ed25519" else 512
    seed = b"".join(hashlib.sha256(f"{cloud.stack}/{args.name}/{i}".encode()).digest() for i in range(size // 32 + 1))
    blob = len(kind).to_bytes(4, "big") + kind.encode() + size.to_bytes(4, "big") + seed[:size]
    public = f"{kind} {base64.b64encode(blob).decode()}\n"
    body = base64.b64encode(seed[::-1]).decode()
    private = f"-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n-----END OPENSSH PRIVATE KEY-----\n"
    pem = "RSA PRIVATE KEY" if kind == "ssh-rsa" else "PRIVATE KEY"  # the provider's PKCS#1 for RSA, PKCS#8 otherwise
    fingerprint = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    return hex_id(cloud.stack + args.name, 40), {"publicKeyOpenssh": public, "privateKeyOpenssh": private,
                                                 "privateKeyPem": f"-----BEGIN {pem}-----\n{body}\n-----END {pem}-----\n",
                                                 "publicKeyFingerprintSha256": fingerprint}


def _fake_image(cloud: FakeCloud, args: Args) -> Answered:
    """What a build would report: the name given and a digest from the logical name and the name
    (the tag carries the build context's digest). Nothing is built: no Docker engine here."""
    name = str(args.inputs.get("imageName", args.name))
    digest = "sha256:" + hashlib.sha256(f"{cloud.stack}/{args.name}/{name}".encode()).hexdigest()
    repository = name.rsplit(":", 1)[0]
    build = args.inputs.get("build") or {}
    registry = args.inputs.get("registry") or {}
    return f"{name}@{digest}", {"imageName": name, "repoDigest": f"{repository}@{digest}",
                                "baseImageName": name, "context": build.get("context", ""),
                                "dockerfile": build.get("dockerfile", ""), "platform": build.get("platform"),
                                "registryServer": registry.get("server", "")}


def _fake_remote_image(cloud: FakeCloud, args: Args) -> Answered:
    name = str(args.inputs.get("name", args.name))
    digest = "sha256:" + hashlib.sha256(f"remote/{name}".encode()).hexdigest()
    return f"{digest}{name}", {"imageId": digest, "repoDigest": f"{name.split(':')[0]}@{digest}"}


def _fake_container(cloud: FakeCloud, args: Args) -> Answered:
    container_id = hashlib.sha256(f"{cloud.stack}/{args.name}".encode()).hexdigest()
    return container_id, {"name": args.inputs.get("name") or args.name, "hostname": container_id[:12],
                          "exitCode": None, "networkDatas": [{"networkName": "bridge", "gateway": "172.17.0.1"}]}


def _fake_volume(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs.get("name") or args.name
    return name, {"name": name, "driver": "local", "mountpoint": f"/var/lib/docker/volumes/{name}/_data"}


KINDS = (
    Kind("tls:index/privateKey:PrivateKey", "private key", FREE, "made where Pulumi runs", sweep_with="nothing in the cloud", no_template="generated locally by the TLS provider; not an AWS resource",
         provision_seconds=0, provision_note="generated in the Pulumi process: no cloud call",
         replaces=Replaces(inputs=(ANY,), source="pulumi-tls: the algorithm and its size or curve force a new key"),
         fake=_fake_private_key,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_private_key, _delete_private_key), generated_locally=True),
    Kind("random:index/randomPassword:RandomPassword", "random password", FREE, "made where Pulumi runs", sweep_with="nothing in the cloud", no_template="generated locally by the random provider; not an AWS resource",
         provision_seconds=0, provision_note="generated in the Pulumi process: no cloud call",
         replaces=Replaces(inputs=(ANY,), source="pulumi-random: every argument of a random value forces a new one (its keepers too)"),
         fake=_fake_password,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_random_password, _delete_random_password), generated_locally=True),
    Kind("docker:index/image:Image", "Docker image", FREE, ENGINE, emulated="builds and pushes images", needs_engine=True, sweep_with="on the Docker engine (its pushed copy is in an ECR repository)", no_template=DOCKER,
         provision_seconds=90,  # a build and a push to ECR on the engine's machine
         replaces=Replaces(source="pulumi-docker builds and pushes the image again in place: a new digest, the same resource"),
         pushes_image=PushedImage("imageName", "build", "context", "skipPush"),
         fake=_fake_image,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK),
    Kind("docker:index/remoteImage:RemoteImage", "pulled image", FREE, ENGINE, emulated="pulls images", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER,
         provision_seconds=20,  # a pull
         replaces=Replaces(inputs=(ANY,), source="the Docker provider pulls another image as a new resource"),
         fake=_fake_remote_image,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK),
    Kind("docker:index/container:Container", "container", FREE, ENGINE, emulated="runs containers", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER,
         provision_seconds=5,
         replaces=Replaces(inputs=(ANY,), source="the Docker provider recreates a container for any change of its settings (a container cannot be reconfigured)"),
         fake=_fake_container,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK),
    Kind("docker:index/volume:Volume", "Docker volume", FREE, ENGINE, emulated="creates volumes", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER,
         provision_seconds=1,
         replaces=Replaces(inputs=(ANY,), source="the Docker provider has no update for a volume"),
         fake=_fake_volume,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK),
    Kind("pulumi:providers:docker", "Docker provider", FREE, ENGINE, emulated="connects to the engine", needs_engine=True, sweep_with="nothing in the cloud", no_template="the docker provider's configuration (which engine); not a resource in any cloud",
         provision_seconds=0, provision_note="the docker provider's configuration: nothing is created",
         replaces=Replaces(source="a provider's settings change in place (its resources stay)"),
         fake=generic,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK),
)
