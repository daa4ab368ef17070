"""Retention: raw lines (bronze, quarantine) of run dates before the horizon are deleted and vacuumed now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pyspark.sql import functions as F

from influence.config import Config
from influence.storage import Lake, vacuum_now
from influence.tables import QUARANTINE, RAW_LINES
from stages.result import StageResult


@dataclass(frozen=True, kw_only=True)
class RetentionResult(StageResult):
    horizon_days: int


def expire_raw_lines(lake: Lake, config: Config, run_date: dt.date) -> RetentionResult:
    days = config.bronze_retention_days
    if not days:
        return RetentionResult(horizon_days=0)
    oldest_kept = run_date - dt.timedelta(days=days)
    expired_counts, changed = {}, []
    for table in (RAW_LINES, QUARANTINE):
        if not lake.exists(table):
            continue
        expired = lake.read(table).filter(F.col("run_date") < F.lit(oldest_kept))
        if expired.isEmpty():
            expired_counts[f"{table.name}_expired"] = 0
            continue
        lake.table(table).delete(F.col("run_date") < F.lit(oldest_kept))
        expired_counts[f"{table.name}_expired"] = lake.last_commit_metrics(table).get("numDeletedRows", 0)
        changed.append(lake.path(table))
    vacuum_now(lake.spark, *changed)
    return RetentionResult(horizon_days=days, extra=expired_counts)
