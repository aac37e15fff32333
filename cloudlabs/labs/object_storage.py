"""object-storage (chapter 9): buckets and their policies, static websites with CORS, a gateway endpoint,
and the chapter's coursework (an EC2 web server with content from S3, book ch. 9, “Cloud Elastic Object Storage” › “Chapter 9 Coursework”)."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Any, Literal, Mapping

from pydantic import Field, field_validator

from ..addressing import SubnetPlan, VpcPlan, at, default_like
from ..book import BookRef
from ..lab import LabDefinition, LabOptions, Output
from ..paths import ADMIN, INTERNET, Expect, allow, deny
from ..access import AccessExpect, CorsAllows, CorsAllowsHost, ObjectRead
from ..probes import PageContains, ProbeSpec, StatusIs

StoragePart = Literal["private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint", "coursework"]
# The default: the chapter's activities. The coursework (an instance more) is chosen by listing it.
STORAGE_PARTS: tuple[StoragePart, ...] = ("private", "public-read", "jpg-only", "png-from-admin", "website", "cors", "endpoint")
ALL_PARTS: tuple[StoragePart, ...] = (*STORAGE_PARTS, "coursework")


class ObjectStorageOptions(LabOptions):
    parts: tuple[StoragePart, ...] = Field(
        STORAGE_PARTS, min_length=1, strict=False,
        description="a non-empty list of parts, each once: " + ", ".join(ALL_PARTS) + " (cors needs website; "
                    "coursework: chapter 9's EC2 web server with content from S3 buckets and S3 websites, book ch. 9, Chapter 9 Coursework)",
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
    """Buckets alone are no network path the checker evaluates (their access is `access`)."""
    paths: list[Expect] = []
    if "endpoint" in options.parts:
        paths += [
            allow(ADMIN, "bastion", 22, "ssh into the bastion"),
            allow("bastion", "vpce-host", 22, "ssh from the bastion to the private host"),
            deny("vpce-host", INTERNET, 443, "the private host has no way to the internet: S3 only via the endpoint"),
        ]
    if "coursework" in options.parts:
        paths += [
            allow(INTERNET, COURSEWORK_HOST, 80, "browse the EC2 web server: its home page with the buttons (book ch. 9, Chapter 9 Coursework)"),
            allow(ADMIN, COURSEWORK_HOST, 22, "ssh into the web server from the admin CIDR"),
            deny(INTERNET, COURSEWORK_HOST, 22, "SSH from anywhere else is refused"),
            allow(COURSEWORK_HOST, INTERNET, 443, "the user data downloads the web server package"),
        ]
    return paths


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
        found += [ObjectRead("jpg", SUFFIX_KEYS[0], "anyone", done, "*.JPG objects are public (book ch. 9, Set a Bucket Policy to selectively allow public access to certain objects)"),
                  ObjectRead("jpg", SUFFIX_KEYS[1], "anyone", False, "PNG objects stay private (book ch. 9, Set a Bucket Policy to selectively allow public access to certain objects)")]
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
    if "coursework" in parts:
        found += coursework_access(done)
    return found


# --- the coursework (book ch. 9, “Cloud Elastic Object Storage” › “Chapter 9 Coursework”) -----------------------------------------------------------------
# One part builds the fullest of the book's four topologies, because they nest: (a) one object
# bucket behind a button of the EC2 page is (b) with one bucket less, and (c) the EC2 page loading
# the 1st S3 website is (d) without the 2nd website. One web server, two object buckets (not
# websites) and two website buckets exercise all four diagrams with the book's tests, in one stack
# the instructor grades once; separate values would only rebuild the same server.

COURSEWORK_HOST = "web"
# bucket purpose -> the object the page shows (the object buckets keep a second object that stays private)
COURSEWORK_OBJECTS = {"cw-obj1": "MapleLeaf.jpg", "cw-obj2": "MapleLeafBlue.jpg"}
COURSEWORK_PRIVATE_KEY = "Capture.PNG"
COURSEWORK_SITES = ("cw-site1", "cw-site2")
COURSEWORK_PAGE_TEXT = "Chapter 9 coursework: a web server on EC2"


def coursework_access(done: bool) -> list[AccessExpect]:
    """Who reads what once the topologies are built (in the starter every bucket is private and
    no CORS rule exists: the buttons and the fetches fail)."""
    found: list[AccessExpect] = []
    for n, (purpose, key) in enumerate(COURSEWORK_OBJECTS.items(), start=1):
        found += [ObjectRead(purpose, key, "anyone", done, f"the page's button {n} loads {key} from bucket {n} "
                                                            f"({'a' if n == 1 else 'b'}, book ch. 9, Chapter 9 Coursework)"),
                  ObjectRead(purpose, COURSEWORK_PRIVATE_KEY, "anyone", False,
                             f"only that object is readable: the rest of bucket {n} stays private")]
    found += [ObjectRead("cw-site1", "index.html", "anyone", done, "the 1st S3 website is reachable directly (c)"),
              CorsAllowsHost("cw-site1", COURSEWORK_HOST, done, "the 1st website's CORS rule allows the EC2 page (c, d)"),
              ObjectRead("cw-site2", "index.html", "anyone", done, "the 2nd S3 website answers (d)"),
              CorsAllows("cw-site2", "cw-site1", done, "the 2nd website's CORS rule allows the 1st website (d)")]
    return found


def coursework_user_data(page: str) -> str:
    """Amazon Linux 2023 with httpd serving the coursework's home page (a quoted here-document:
    the page's JavaScript reaches the file as written)."""
    return "\n".join([
        "#!/bin/bash",
        "# cloudlabs: chapter 9 coursework web server (Amazon Linux 2023, httpd)",
        "set -euxo pipefail",
        "until dnf install -y httpd; do sleep 30; done",
        "cat > /var/www/html/index.html <<'HTML'",
        page.rstrip("\n"),
        "HTML",
        "systemctl enable httpd",
        "systemctl restart httpd",
        "",
    ])


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
        found += [StatusIs(f"JPG readable ({u.rsplit('/', 1)[-1]})", "*.JPG objects are public (book ch. 9, Set a Bucket Policy to selectively allow public access to certain objects)", u, 200)
                  for u in out["jpgOnly"]["readable"]]
        found += [StatusIs(f"PNG refused ({u.rsplit('/', 1)[-1]})", "PNG objects stay private (book ch. 9, Set a Bucket Policy to selectively allow public access to certain objects)", u, 403)
                  for u in out["jpgOnly"]["denied"]]
    if "website" in out:
        found.append(StatusIs("website", "the static website answers (chapter 9)", out["website"]["url"], 200))
    if "coursework" in out:
        cw = out["coursework"]
        found.append(PageContains("coursework page", "the EC2 home page with the buttons (book ch. 9, Chapter 9 Coursework)", cw["url"],
                                  (COURSEWORK_PAGE_TEXT, "Object from bucket 1", "Object from bucket 2")))
        found += [StatusIs(f"coursework object {n} readable", f"button {n}'s object loads from its bucket (book ch. 9, Chapter 9 Coursework)", u, 200)
                  for n, u in enumerate(cw["objectUrls"], start=1)]
        found += [StatusIs(f"coursework bucket {n} otherwise private", "only the page's object is public", u, 403)
                  for n, u in enumerate(cw["privateObjectUrls"], start=1)]
        found += [StatusIs(f"coursework website {n}", "the S3 website answers directly from the internet (c, d)", u, 200)
                  for n, u in enumerate((cw["site1Url"], cw["site2Url"]), start=1)]
    return found


LAB = LabDefinition(
    key="object-storage",
    chapter=9,
    section="9",
    title="Object storage: buckets, policies, static websites, CORS, a gateway endpoint",
    book=BookRef(9, "Cloud Elastic Object Storage", section="The S3 Bucket",
                 heading="Creating an S3 bucket",
                 through="Chapter 9 Coursework",
                 quote="Create a new bucket in the Amazon S3 service and explore its options and features.",
                 lines=(7132, 7819)),
    summary=(
        "Buckets named `<cohort>-<student>-<purpose>-<account>` (force-destroyed, encrypted, unversioned): a private "
        "bucket (access denied), a public-read bucket, a `*.JPG`-only bucket (the case matters), a "
        "PNG-only-from-the-admin-CIDR bucket, a static website (index.html, error.html, an image from "
        "`labs/object-storage/`), a second website that allows the first by CORS (site 1's page fetches site 2), "
        "and an S3 gateway endpoint with a private host (no internet) that reads a bucket through it; option `parts`; "
        "part `coursework` (not in the default): the chapter's four coursework topologies at once (book ch. 9, Chapter 9 Coursework), an "
        "Amazon Linux web server in SN-0 whose page has a button per object bucket (two buckets that are not websites, "
        "each with one object readable by anyone through a policy naming that key only) and loads the 1st S3 website "
        "(CORS allows the web server's origin), whose page loads the 2nd (CORS allows the 1st)"
    ),
    stages={
        "starter": "every bucket private (the book's 'Access Denied') except, with cors, the two working websites "
                   "whose cross-origin fetch fails (no CORS rule yet; so with cors the website's own private starter "
                   "is not offered: use parts [website] for it), the endpoint bucket without its policy; coursework: the "
                   "web server and its page, the four buckets private and no CORS rule (the buttons and fetches fail)",
        "solution": "the policies, the websites readable, website 2 allows website 1 by CORS, the endpoint bucket "
                    "readable through the endpoint; coursework: one object per bucket readable, both websites public, "
                    "website 1 allows the web server's origin and website 2 allows website 1's",
    },
    options=ObjectStorageOptions,
    layout=layout,
    expected_paths=expected_paths,
    probes=probes,
    access=access,
    cost_variants={"with the `coursework` part too": {"parts": list(ALL_PARTS)}},
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
        Output("coursework", "mapping", "the web server's page URL, public IP and ssh command; the buckets, the object "
                                        "URLs (and the ones that stay private), both website URLs, the allowed CORS "
                                        "origins (in starter, what to build)", "part coursework"),
    ),
    content=("object-storage",),
)
