"""The AWS catalog of the lake: the Glue databases and which crawlers a run starts.

Crawlers and databases are named `<prefix>_<layer>` as Terraform creates them (infra/terraform). Only
silver, gold and ref are crawled: their files leave the partition column out, so Glue sees `season`
once. Bronze keeps the API's own `season` field next to its `season=` folder (Athena would refuse the
table), and it is the mirror of the API, not what analysts query.

The checks that run in Athena over these databases are in `hoops.checks.in_athena`.
"""

from __future__ import annotations

from hoops import settings
from hoops.lake import Lake, S3Lake

CRAWLED_LAYERS = ("silver", "gold", "ref")


class CatalogError(RuntimeError):
    """The Glue/Athena configuration cannot work; the message says what to set."""


def database(layer: str) -> str:
    return f"{settings.glue_database_prefix()}_{layer}"


def check_configuration(lake: Lake) -> None:
    """Glue crawls S3 only: fail before any call when the catalog and the lake disagree."""
    kind = settings.catalog_kind()
    if kind not in ("duckdb", "glue"):
        raise CatalogError(f"HOOPS_CATALOG must be 'duckdb' or 'glue', got {kind!r}")
    if kind == "glue" and not isinstance(lake, S3Lake):
        raise CatalogError(
            "HOOPS_CATALOG=glue needs the lake on S3 (HOOPS_LAKE_URI=s3://bucket): Glue crawls S3 only"
        )


def crawlers(layers: tuple[str, ...] = CRAWLED_LAYERS) -> list[str]:
    """The crawlers to start after a run wrote these layers; none with the local catalog."""
    if settings.catalog_kind() != "glue":
        return []
    return [database(layer) for layer in layers if layer in CRAWLED_LAYERS]
