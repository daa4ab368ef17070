"""Retention: what the lake keeps of past run dates, deleted and vacuumed before the night reads anything.

- bronze raw lines and quarantined lines of run dates older than the privacy horizon
  (`[privacy] retention_days`): personal data is kept no longer than needed to rebuild the window;
- silver interactions landed before the silver horizon (`[silver] retention_days`), and posts last seen
  before it: a night reads its window and what is new, so silver need not grow with the lake's age.

Bronze and quarantine are vacuumed at once: the raw lines must leave the disk, not only the table. Silver's
expired files are no longer read by any version a night uses; housekeeping's VACUUM removes them once they
are older than its horizon (`[housekeeping] keep_versions_hours`), so readers keep time travel and a night
does not pay for two more vacuums.
Interactions are partitioned by run date, so their expiry removes whole files without rewriting any.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import Column, functions as F

from influence.config import Config
from influence.storage import Lake, vacuum_now
from influence.tables import INTERACTIONS, POSTS, QUARANTINE, RAW_LINES, Table
from stages.result import StageResult


@dataclass(frozen=True, kw_only=True)
class RetentionResult(StageResult):
    horizon_days: int  # bronze and quarantine (0: kept)
    silver_horizon_days: int  # silver interactions and posts (0: kept)


def horizon(days: int, run_date: dt.date) -> dt.date | None:
    """The oldest run date kept when `days` are kept (None: everything is kept)."""
    return run_date - dt.timedelta(days=days) if days else None


def silver_horizon(config: Config, run_date: dt.date) -> dt.date | None:
    """The oldest run date of silver a night keeps and reads for deduplication and pending replies."""
    return horizon(config.silver_retention_days, run_date)


def landed_since_condition(alias: str, oldest_kept: dt.date | None) -> str:
    """The same bound as a MERGE condition on the target, so that the MERGE skips older partitions too."""
    return "" if oldest_kept is None else f" AND {alias}.run_date >= DATE'{oldest_kept.isoformat()}'"


def _expired(table: Table, oldest_kept: dt.date) -> Column:
    if not table.expires_by:
        raise ValueError(f"{table.qualified_name} names no column to expire by (Table.expires_by)")
    return F.col(table.expires_by) < F.lit(oldest_kept)


def expire(lake: Lake, config: Config, run_date: dt.date) -> RetentionResult:
    """Delete each table's rows past its horizon, count them (`<table>_expired`), and vacuum the raw lines."""
    bronze_kept, silver_kept = horizon(config.bronze_retention_days, run_date), silver_horizon(config, run_date)
    horizons = ((RAW_LINES, bronze_kept), (QUARANTINE, bronze_kept), (INTERACTIONS, silver_kept), (POSTS, silver_kept))
    expired_counts, raw_tables_changed = {}, []
    for table, oldest_kept in horizons:
        if oldest_kept is None or not lake.exists(table):
            continue
        expired = _expired(table, oldest_kept)
        # counted before, not from the commit: a delete of whole partitions reads no row and counts none
        expired_counts[f"{table.name}_expired"] = count = lake.read(table).filter(expired).count()
        if count:
            lake.table(table).delete(expired)
            if table in (RAW_LINES, QUARANTINE):
                raw_tables_changed.append(lake.path(table))
    vacuum_now(lake.spark, *raw_tables_changed)
    return RetentionResult(
        horizon_days=config.bronze_retention_days, silver_horizon_days=config.silver_retention_days, extra=expired_counts
    )
