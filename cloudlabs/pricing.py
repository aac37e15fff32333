"""The pinned price table (pricing/aws-on-demand.yaml): its model, and reading it with every
problem reported at its file and line. Shared by cost estimates and the sweep's leftovers."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from cloudlabs import REPO_ROOT
from cloudlabs.reading import InputFileError, load_mapping, validate_model

PRICES_FILE = REPO_ROOT / "pricing" / "aws-on-demand.yaml"


class _Model(BaseModel):
    # strict: a price written "0.0104" (text) or .nan is refused, never read as a number
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True,
                              strict=True, allow_inf_nan=False)


class RegionPrices(_Model):
    ec2_instance_hour: dict[str, float]
    ec2_windows_instance_hour: dict[str, float] = {}  # Windows Server, license included
    ebs_gb_month: dict[str, float]
    public_ipv4_hour: float
    nat_gateway_hour: float
    load_balancer_hour: dict[str, float]
    rds_instance_hour: dict[str, float]
    rds_storage_gb_month: dict[str, float]
    fargate_vcpu_hour: float
    fargate_gb_hour: float


class PriceTable(_Model):
    as_of: str
    currency: str
    source: str
    hours_per_month: float
    regions: dict[str, RegionPrices]


class PricingError(ValueError):
    pass


_PRICE = "a price in USD: a number, 0 or more"
_PRICES = "a mapping of name to price in USD (numbers, 0 or more)"
ALLOWED = {
    "asOf": "the date of the prices, as text", "currency": "USD", "source": "where the prices come from, as text",
    "hoursPerMonth": "a number (AWS uses 730)", "regions": "a mapping of AWS region to its prices",
    "ec2InstanceHour": _PRICES, "ec2WindowsInstanceHour": _PRICES, "ebsGbMonth": _PRICES, "loadBalancerHour": _PRICES, "rdsInstanceHour": _PRICES,
    "rdsStorageGbMonth": _PRICES, "publicIpv4Hour": _PRICE, "natGatewayHour": _PRICE, "fargateVcpuHour": _PRICE,
    "fargateGbHour": _PRICE,
}


def load_prices(path: Path | None = None) -> PriceTable:
    """The price table (default: PRICES_FILE); PricingError, every problem with its file and
    line, if it is broken."""
    return _load_prices(path or PRICES_FILE)


@lru_cache(maxsize=None)
def _load_prices(path: Path) -> PriceTable:
    try:
        table: PriceTable = validate_model(load_mapping(path, "price table"), PriceTable, ALLOWED)
    except InputFileError as err:
        raise PricingError(str(err)) from None
    negative = [f"{region}.{key}" for region, prices in table.regions.items()
                for key, value in prices.model_dump(by_alias=True).items()
                for v in (value.values() if isinstance(value, dict) else [value]) if v < 0]
    if negative:
        raise PricingError(f"{path}: regions.{negative[0]}: a negative price is not allowed; allowed: 0 or more")
    return table
