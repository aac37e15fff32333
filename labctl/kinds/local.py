"""The non-AWS providers: tls and random make values where Pulumi runs; docker acts on a Docker engine."""

from __future__ import annotations

from labctl.kinds import FREE, Kind

# the docker provider's objects live on a Docker engine (the student's machine, or where pulumi runs)
ENGINE = "on the Docker engine, not in AWS"
DOCKER = "built or run by the docker provider on a Docker engine (the student's, or where pulumi runs); not an AWS resource"

KINDS = (
    Kind("tls:index/privateKey:PrivateKey", "private key", FREE, "made where Pulumi runs", sweep_with="nothing in the cloud", no_template="generated locally by the TLS provider; not an AWS resource"),
    Kind("random:index/randomPassword:RandomPassword", "random password", FREE, "made where Pulumi runs", sweep_with="nothing in the cloud", no_template="generated locally by the random provider; not an AWS resource"),
    Kind("docker:index/image:Image", "Docker image", FREE, ENGINE, emulated="builds and pushes images", needs_engine=True, sweep_with="on the Docker engine (its pushed copy is in an ECR repository)", no_template=DOCKER),
    Kind("docker:index/remoteImage:RemoteImage", "pulled image", FREE, ENGINE, emulated="pulls images", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER),
    Kind("docker:index/container:Container", "container", FREE, ENGINE, emulated="runs containers", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER),
    Kind("docker:index/volume:Volume", "Docker volume", FREE, ENGINE, emulated="creates volumes", needs_engine=True, sweep_with="on the Docker engine", no_template=DOCKER),
    Kind("pulumi:providers:docker", "Docker provider", FREE, ENGINE, emulated="connects to the engine", needs_engine=True, sweep_with="nothing in the cloud", no_template="the docker provider's configuration (which engine); not a resource in any cloud"),
)
