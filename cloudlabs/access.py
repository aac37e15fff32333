"""Expected access to a lab's buckets, as data: who may read which object once the student is
done (and, in a starter, who may not yet). Evaluated on the policies AWS reports (labctl grade)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Requester = Literal["anyone", "admin", "endpoint"]  # the internet, the admin CIDR, the lab's VPC endpoint


@dataclass(frozen=True)
class ObjectRead:
    purpose: str  # the bucket's purpose in its name: <cohort>-<student>-<purpose>-<account>
    key: str
    requester: Requester
    allowed: bool
    why: str  # the book's test

    @property
    def label(self) -> str:
        return f"{self.requester} reads {self.purpose}/{self.key}"


@dataclass(frozen=True)
class CorsAllows:
    purpose: str  # the bucket whose CORS rules are read (website 2)
    origin_of: str  # the bucket whose website origin must be allowed (website 1)
    allowed: bool
    why: str

    @property
    def label(self) -> str:
        return f"{self.purpose} allows {self.origin_of}'s origin (CORS)"


@dataclass(frozen=True)
class CorsAllowsHost:
    """A website bucket's CORS rules allow the page of a web server on an instance: the origin
    ``http://<its public IP>`` (chapter 9's coursework: an EC2 page loads an S3 website)."""

    purpose: str  # the bucket whose CORS rules are read
    host: str  # the instance, by its book name, whose page is the origin
    allowed: bool
    why: str

    @property
    def label(self) -> str:
        return f"{self.purpose} allows {self.host}'s origin (CORS)"


AccessExpect = ObjectRead | CorsAllows | CorsAllowsHost
