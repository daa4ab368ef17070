"""Which connector reads which landing folder `DIR/<source>/`: a new source is one module plus one entry here.

A connector turns bronze lines (source, file, line_number, line) into classified lines carrying
canonical records (transforms/connectors/records.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pyspark.sql import DataFrame

from transforms.connectors import bluesky, identity_links, mastodon, reddit, twitter_v1, twitter_v2
from transforms.connectors.snap import with_snap_fields


@dataclass(frozen=True)
class ConnectorOptions:
    """What a connector may need from the configuration (the `[snap]` section today)."""

    snap_network: str = "snap"


Connector = Callable[[DataFrame, ConnectorOptions], DataFrame]
CONNECTORS: dict[str, Connector] = {
    "snap": lambda lines, options: with_snap_fields(lines, options.snap_network),
    "twitter_v1": lambda lines, options: twitter_v1.to_classified(lines),
    "twitter_v2": lambda lines, options: twitter_v2.to_classified(lines),
    "reddit": lambda lines, options: reddit.to_classified(lines),
    "bluesky": lambda lines, options: bluesky.to_classified(lines),
    "mastodon": lambda lines, options: mastodon.to_classified(lines),
    identity_links.SOURCE: lambda lines, options: identity_links.to_classified(lines),
}
