"""Which connector reads which landing folder `DIR/<source>/`: a new source is one module plus one entry here.

A connector turns bronze lines (source, file, line_number, line) into classified lines carrying
canonical records (transforms/connectors/records.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors import bluesky, identity_links, mastodon, reddit, twitter_v1, twitter_v2
from transforms.connectors.snap import with_snap_fields


@dataclass(frozen=True)
class ConnectorOptions:
    """What a connector may need from the configuration (the `[snap]` section today)."""

    snap_network: str = "snap"
    snap_third_field: str = "auto"  # "auto", "weight" or "time" (transforms/connectors/snap.py)


Connector = Callable[[DataFrame, ConnectorOptions], DataFrame]
CONNECTORS: dict[str, Connector] = {
    "snap": lambda lines, options: with_snap_fields(lines, options.snap_network, options.snap_third_field),
    "twitter_v1": lambda lines, options: twitter_v1.to_classified(lines),
    "twitter_v2": lambda lines, options: twitter_v2.to_classified(lines),
    "reddit": lambda lines, options: reddit.to_classified(lines),
    "bluesky": lambda lines, options: bluesky.to_classified(lines),
    "mastodon": lambda lines, options: mastodon.to_classified(lines),
    identity_links.SOURCE: lambda lines, options: identity_links.to_classified(lines),
}

# The sources whose connectors read JSON: a file of theirs may hold JSON documents instead of JSON lines
# (stages/landing.py); identity links may also be CSV, which is read as lines.
JSON_SOURCES = frozenset(CONNECTORS) - {"snap"}


def network_of_source(source: str, options: ConnectorOptions) -> str | None:
    """The network every line of `source` belongs to; None for identity_links, whose lines name any network."""
    if source == identity_links.SOURCE:
        return None
    if source == "snap":
        return options.snap_network
    return {"twitter_v1": "twitter", "twitter_v2": "twitter"}.get(source, source)


def line_network(options: ConnectorOptions) -> Column:
    """The network of a landed line (a `source` column), null for identity links, which name any network."""
    network = F.lit(None).cast("string")
    for source in CONNECTORS:
        network = F.when(F.col("source") == source, F.lit(network_of_source(source, options))).otherwise(network)
    return network
