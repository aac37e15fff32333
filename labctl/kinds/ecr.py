"""ECR: private image repositories."""

from __future__ import annotations

import uuid
from typing import Any, Iterable

from labctl.kinds.emulation import Emulator, tags
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
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


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_repositories(scan: SweepScan) -> Iterable[Listed]:
    ecr = scan.client("ecr")
    for repo in scan.pages(ecr, "describe_repositories", "repositories"):
        tags = scan.tag_map(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
        yield scan.found("ECR repository", repo["repositoryName"], tags, hourly=None, arn=repo["repositoryArn"])


KINDS = (
    Kind("aws:ecr/repository:Repository", "ECR repository", USAGE, "storage per GB-month: the containers lab's cost note", sweep="ECR repository",
         sweep_rule=SweepRule(_find_repositories, delete_by_id("ecr", "delete_repository", "repositoryName", force=True), arn_kinds=("ecr:repository",)),
         emulator=Emulator(_create_repository, _delete_repository)),
)
