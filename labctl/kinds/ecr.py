"""ECR: private image repositories."""

from __future__ import annotations

import uuid
from typing import Any

from labctl.kinds.emulation import Emulator, tags
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import USAGE, Kind


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_repository(aws, i, name):
    args: dict[str, Any] = {"repositoryName": i.get("name") or f"{name}-{uuid.uuid4().hex[:7]}"}
    if i.get("imageTagMutability"):
        args["imageTagMutability"] = i["imageTagMutability"]
    if i.get("imageScanningConfiguration"):
        args["imageScanningConfiguration"] = {"scanOnPush": bool(i["imageScanningConfiguration"].get("scanOnPush"))}
    if i.get("encryptionConfigurations"):
        args["encryptionConfiguration"] = {"encryptionType": i["encryptionConfigurations"][0].get("encryptionType", "AES256")}
    if tags(i):
        args["tags"] = tags(i)
    repo = aws("ecr").create_repository(**args)["repository"]
    return repo["repositoryName"], {"forceDelete": bool(i.get("forceDelete")), "outputs": {
        "repositoryUrl": repo["repositoryUri"], "arn": repo["repositoryArn"], "registryId": repo["registryId"]}}


def _delete_repository(aws, rid, extra):
    aws("ecr").delete_repository(repositoryName=rid, force=bool(extra.get("forceDelete")))


KINDS = (
    Kind("aws:ecr/repository:Repository", "ECR repository", USAGE, "storage per GB-month: the containers lab's cost note", sweep="ECR repository",
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_repository, _delete_repository)),
)
