"""object-storage (chapter 9): buckets and their policies, static websites with CORS, a gateway endpoint."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from ..addressing import SubnetPlan, VpcPlan, at, default_like
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..access import AccessExpect, CorsAllows, ObjectRead
from ..probes import ProbeSpec, StatusIs

StoragePart = Literal["private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint"]
STORAGE_PARTS: tuple[StoragePart, ...] = ("private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint")


class ObjectStorageOptions(LabOptions):
    parts: tuple[StoragePart, ...] = Field(
        STORAGE_PARTS, min_length=1, strict=False,
        description="a non-empty list of parts, each once: " + ", ".join(STORAGE_PARTS) + " (cors needs website)",
    )

    @field_validator("parts")
    @classmethod
    def _consistent(cls, parts: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(parts)) != len(parts):
            raise ValueError("a part is listed twice")
        if "cors" in parts and "website" not in parts:
            raise ValueError("cors needs website (website 1 is the allowed origin)")
        return parts


def layout(block: IPv4Network) -> tuple[VpcPlan, ...]:
    """Default-like, plus a private SN-96 for the host that reaches S3 through a gateway endpoint."""
    private = SubnetPlan("SN-96", at(block, 96, 20), "private", az=0)
    return (VpcPlan("VPC", block, tuple(default_like(block)) + (private,)),)


def expected_paths(stage: str, options: ObjectStorageOptions) -> list[Expect]:
    if "endpoint" not in options.parts:
        return []  # buckets only: S3 access is not a network path the checker evaluates
    return [
        allow(ADMIN, "bastion", 22, "ssh into the bastion"),
        allow("bastion", "vpce-host", 22, "ssh from the bastion to the private host"),
        deny("vpce-host", INTERNET, 443, "the private host has no way to the internet: S3 only via the endpoint"),
    ]


def access(stage: str, options: ObjectStorageOptions) -> list[AccessExpect]:
    """Chapter 9's tests on the buckets' policies: in the starter every bucket is private (the
    book's "Access Denied") except, with cors, the two websites; the solution opens each as the
    book does."""
    done = stage == "solution"
    parts = set(options.parts)
    found: list[AccessExpect] = []
    if "private" in parts:
        found.append(ObjectRead("private", "Capture.PNG", "anyone", False, "the private bucket answers Access Denied"))
    if "public-read" in parts:
        found.append(ObjectRead("public", "Capture.PNG", "anyone", done, "the public-read policy lets anyone read"))
    if "jpg-only" in parts:
        found += [ObjectRead("jpg", SUFFIX_KEYS[0], "anyone", done, "*.JPG objects are public (L7420)"),
                  ObjectRead("jpg", SUFFIX_KEYS[1], "anyone", False, "PNG objects stay private (L7420)")]
    if "png-from-admin" in parts:
        found += [ObjectRead("png", SUFFIX_KEYS[1], "admin", done, "PNG objects are readable from the admin CIDR"),
                  ObjectRead("png", SUFFIX_KEYS[1], "anyone", False, "and from nowhere else")]
    if "website" in parts:
        found.append(ObjectRead("site1", "index.html", "anyone", done or "cors" in parts, "the static website loads"))
    if "cors" in parts:
        found.append(CorsAllows("site2", "site1", done, "website 2's CORS rule allows website 1's origin"))
    if "endpoint" in parts:
        found += [ObjectRead("vpce", "endpoint-test.txt", "endpoint", done, "the private host reads through the endpoint"),
                  ObjectRead("vpce", "endpoint-test.txt", "anyone", False, "nobody else reads the endpoint's bucket")]
    return found


# The objects of the suffix buckets the access checks read (a JPG that must load, a PNG that must not).
SUFFIX_KEYS = ("top_folder/folder1/number1.JPG", "top_folder/folder1/orangebucket.PNG")


def probes(out: Mapping[str, Any]) -> list[ProbeSpec]:
    found: list[ProbeSpec] = []
    if "private" in out:
        found.append(StatusIs("private object refused", "Access Denied on the private bucket (chapter 9)",
                              out["private"]["object"], 403))
    if "publicRead" in out:
        found.append(StatusIs("public object readable", "the public-read bucket serves its object",
                              out["publicRead"]["object"], 200))
    if "jpgOnly" in out:
        found += [StatusIs(f"JPG readable ({u.rsplit('/', 1)[-1]})", "*.JPG objects are public (L7420)", u, 200)
                  for u in out["jpgOnly"]["readable"]]
        found += [StatusIs(f"PNG refused ({u.rsplit('/', 1)[-1]})", "PNG objects stay private (L7420)", u, 403)
                  for u in out["jpgOnly"]["denied"]]
    if "website" in out:
        found.append(StatusIs("website", "the static website answers (chapter 9)", out["website"]["url"], 200))
    return found


LAB = LabDefinition(
    key="object-storage",
    chapter=9,
    section="9",
    title="Object storage: buckets, policies, static websites, CORS, a gateway endpoint",
    seed_lines="L7132-7819",
    summary=(
        "Buckets named `<cohort>-<student>-<purpose>-<account>` (force-destroyed, encrypted, unversioned): a private "
        "bucket (access denied), a public-read bucket, a `*.JPG`-only bucket (the case matters), a "
        "PNG-only-from-the-admin-CIDR bucket, a static website (index.html, error.html, an image from "
        "`labs/object-storage/`), a second website that allows the first by CORS (site 1's page fetches site 2), "
        "and an S3 gateway endpoint with a private host (no internet) that reads a bucket through it; option `parts`"
    ),
    stages={
        "starter": "every bucket private (the book's 'Access Denied') except, with cors, the two working websites "
                   "whose cross-origin fetch fails (no CORS rule yet; so with cors the website's own private starter "
                   "is not offered: use parts [website] for it), the endpoint bucket without its policy",
        "solution": "the policies, the websites readable, website 2 allows website 1 by CORS, the endpoint bucket "
                    "readable through the endpoint",
    },
    options=ObjectStorageOptions,
    layout=layout,
    expected_paths=expected_paths,
    probes=probes,
    access=access,
    cost_notes="storage and requests are fractions of a cent",
    outputs=(
        Output("private", "mapping", "the private bucket, its object's URL and the expected AccessDenied", "part private"),
        Output("publicRead", "mapping", "the public-read bucket and its object's URL", "part public-read"),
        Output("jpgOnly", "mapping", "the bucket, the JPG URLs that must load and the PNG URLs that must not",
               "part jpg-only"),
        Output("pngFromAdmin", "mapping", "the bucket and the PNG URLs readable from the admin CIDR only",
               "part png-from-admin"),
        Output("website", "mapping", "website 1's bucket and URL", "part website"),
        Output("cors", "mapping", "website 2, its URL, the allowed origins (and in starter, the error to expect)",
               "part cors"),
        Output("endpoint", "mapping", "the bucket, the endpoint id, ssh commands and the test to run on the host",
               "part endpoint"),
    ),
)
