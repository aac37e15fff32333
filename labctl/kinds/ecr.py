"""ECR: private image repositories."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import TYPE_CHECKING, Any, Iterable

from labctl.kinds.deploy import TagMutability
from labctl.kinds.emulation import Emulator, tags
from labctl.kinds.fakes import ACCOUNT_ID
from labctl.kinds.templates import Template, tag_list
from labctl.kinds.sweeping import Listed, SweepRule, SweepScan, delete_by_id
from labctl.kinds.live_reads import NOT_CHECKED_LIVE
from labctl.kinds.network import NOT_IN_NETWORK
from labctl.kinds import USAGE, Kind, Lookup
from labctl.kinds.replacing import BRIDGE_AUTONAME, Replaces

if TYPE_CHECKING:
    from labctl.kinds.fakes import Answered, Args, FakeCloud


# --- the emulator: how moto makes and deletes each kind (labctl.ops.emulate runs them) -------------


def _create_repository(aws, i, name):
    args: dict[str, Any] = {"repositoryName": i.get("name") or f"{name}-{uuid.uuid4().hex[:7]}"}
    if i.get("imageTagMutability"):
        args["imageTagMutability"] = i["imageTagMutability"]
    if i.get("imageTagMutabilityExclusionFilters"):
        args["imageTagMutabilityExclusionFilters"] = _exclusions(i, "filterType", "filter")
    if i.get("imageScanningConfiguration"):
        args["imageScanningConfiguration"] = {"scanOnPush": bool(i["imageScanningConfiguration"].get("scanOnPush"))}
    if i.get("encryptionConfigurations"):
        args["encryptionConfiguration"] = {"encryptionType": i["encryptionConfigurations"][0].get("encryptionType", "AES256")}
    if tags(i):
        args["tags"] = tags(i)
    repo = aws("ecr").create_repository(**args)["repository"]
    return repo["repositoryName"], {"forceDelete": bool(i.get("forceDelete")), "outputs": {
        "repositoryUrl": repo["repositoryUri"], "arn": repo["repositoryArn"], "registryId": repo["registryId"]}}


def _exclusions(i: dict, kind: str, value: str) -> list[dict[str, Any]]:
    """The tags exempt from the repository's mutability setting, by the API's or CloudFormation's names."""
    return [{kind: f.get("filterType"), value: f.get("filter")} for f in i.get("imageTagMutabilityExclusionFilters") or []]


def _delete_repository(aws, rid, extra):
    aws("ecr").delete_repository(repositoryName=rid, force=bool(extra.get("forceDelete")))


# --- the fake cloud: what the offline renderer answers for each kind (labctl.offline.fakeaws asks) --


def _fake_repository(cloud: FakeCloud, args: Args) -> Answered:
    name = args.inputs.get("name") or args.name
    return name, {"name": name, "registryId": ACCOUNT_ID, "arn": cloud.arn("ecr", f"repository/{name}"),
                  "repositoryUrl": f"{ACCOUNT_ID}.dkr.ecr.{cloud.region}.amazonaws.com/{name}"}


def _fake_token(cloud: FakeCloud, query: dict[str, Any]) -> dict[str, Any]:
    """ECR's registry credentials: user AWS and a token-shaped password (the program marks it secret)."""
    registry = query.get("registryId") or ACCOUNT_ID
    password = base64.b64encode(hashlib.sha256(f"{cloud.stack}/ecr/{registry}".encode()).digest() * 4).decode()
    return {"id": cloud.region, "registryId": registry, "userName": "AWS", "password": password,
            "authorizationToken": base64.b64encode(f"AWS:{password}".encode()).decode(),
            "proxyEndpoint": f"https://{registry}.dkr.ecr.{cloud.region}.amazonaws.com", "expiresAt": "2026-12-19T12:00:00Z"}


LOOKUPS = (
    Lookup("aws:ecr/getAuthorizationToken:getAuthorizationToken", _fake_token),
)


# --- the CloudFormation template: the resource that makes the same call (labctl.analysis.cfn) -----


def _repository_properties(b, r):
    i = r.inputs
    scan = i.get("imageScanningConfiguration") or {}
    encryption = (i.get("encryptionConfigurations") or [{}])[0]
    return {
        "RepositoryName": r.outputs.get("name") or i.get("name"), "ImageTagMutability": i.get("imageTagMutability"),
        "ImageTagMutabilityExclusionFilters": _exclusions(i, "ImageTagMutabilityExclusionFilterType",
                                                          "ImageTagMutabilityExclusionFilterValue") or None,
        "ImageScanningConfiguration": {"ScanOnPush": scan.get("scanOnPush")} if scan else None,
        "EncryptionConfiguration": {"EncryptionType": encryption.get("encryptionType"), "KmsKey": encryption.get("kmsKey")}
        if encryption else None,
        "EmptyOnDelete": i.get("forceDelete"), "Tags": tag_list(i.get("tags"))}


# --- the sweep: how it lists, deletes and waits for each kind (labctl.ops.sweep runs them) ------------


def _find_repositories(scan: SweepScan) -> Iterable[Listed]:
    ecr = scan.client("ecr")
    for repo in scan.pages(ecr, "describe_repositories", "repositories"):
        tags = scan.tag_map(ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"]).get("tags"))
        yield scan.found("ECR repository", repo["repositoryName"], tags, hourly=None, arn=repo["repositoryArn"])


KINDS = (
    Kind("aws:ecr/repository:Repository", "ECR repository", USAGE, "storage per GB-month: the containers lab's cost note", sweep="ECR repository",
         provision_seconds=2,
         replaces=Replaces(autoname="name", source=BRIDGE_AUTONAME),
         tag_mutability=TagMutability("imageTagMutability", "imageTagMutabilityExclusionFilters", "repositoryUrl"),
         fake=_fake_repository,
         template=Template("AWS::ECR::Repository", _repository_properties),
         sweep_rule=SweepRule(_find_repositories, delete_by_id("ecr", "delete_repository", "repositoryName", force=True), arn_kinds=("ecr:repository",)),
         live_reason=NOT_CHECKED_LIVE,
         reach_reason=NOT_IN_NETWORK,
         emulator=Emulator(_create_repository, _delete_repository)),
)
