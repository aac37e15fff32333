"""The non-AWS providers: tls and random make values where Pulumi runs; docker acts on a Docker engine."""

from __future__ import annotations

import secrets
import string

from labctl.kinds.emulation import Emulator
from labctl.kinds.live_reads import NOT_IN_AWS
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import FREE, Kind

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


KINDS = (
    Kind("tls:index/privateKey:PrivateKey", "private key", FREE, "made where Pulumi runs", sweep_with="nothing in the cloud", no_template="generated locally by the TLS provider; not an AWS resource",
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_private_key, _delete_private_key), generated_locally=True),
    Kind("random:index/randomPassword:RandomPassword", "random password", FREE, "made where Pulumi runs", sweep_with="nothing in the cloud", no_template="generated locally by the random provider; not an AWS resource",
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_random_password, _delete_random_password), generated_locally=True),
    Kind("docker:index/image:Image", "Docker image", FREE, ENGINE, emulated="builds and pushes images", needs_engine=True, sweep_with="on the Docker engine (its pushed copy is in an ECR repository)", no_template=DOCKER,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
    ),
    Kind("docker:index/remoteImage:RemoteImage", "pulled image", FREE, ENGINE, emulated="pulls images", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
    ),
    Kind("docker:index/container:Container", "container", FREE, ENGINE, emulated="runs containers", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
    ),
    Kind("docker:index/volume:Volume", "Docker volume", FREE, ENGINE, emulated="creates volumes", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER,
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
    ),
    Kind("pulumi:providers:docker", "Docker provider", FREE, ENGINE, emulated="connects to the engine", needs_engine=True, sweep_with="nothing in the cloud", no_template="the docker provider's configuration (which engine); not a resource in any cloud",
         live_reason=NOT_IN_AWS,
         reach_reason=NOT_IN_NETWORK,
    ),
)
