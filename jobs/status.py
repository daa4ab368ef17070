"""influence status: what a lake holds, for the operator who owns its nights.

- the last run of each date (newest dates first), with its status and exit code;
- what is published: the date of gold/profiles, its version and row count;
- what is held back: the staged candidate of a night whose gold suite failed, which
  `influence publish --force` could publish;
- who holds the writer's lease, if anyone;
- the current Delta version of every table.

Reads only, so it needs no lease and writes nothing (not even a run-log row).
"""

from __future__ import annotations

import datetime as dt
import json

from pyspark.sql import SparkSession, Window, functions as F

from expectations import influence_scores as scores_suite, run_over_run as run_over_run_suite
from influence import storage
from influence.config import Config
from influence.errors import UsageError
from influence.lease import current_holder
from influence.session import build_spark
from influence.tables import ALL_TABLES, PROFILES, RUNS, STAGED_SCORES

GOLD_SUITES = (scores_suite.NAME, run_over_run_suite.NAME)
RUN_FIELDS = ("run_date", "run_id", "command", "status", "exit_code", "started_at", "ended_at")


def last_run_per_date(spark: SparkSession, config: Config, dates: int) -> list[dict]:
    """The newest run of each of the `dates` latest run dates (runs without a date are left out)."""
    newest_first = Window.partitionBy("run_date").orderBy(F.col("started_at").desc())
    rows = (
        storage.read(spark, RUNS, config.lake_location)
        .filter(F.col("run_date").isNotNull())
        .withColumn("_newest", F.row_number().over(newest_first))
        .filter(F.col("_newest") == 1)
        .select(*RUN_FIELDS, "validation")
        .orderBy(F.col("run_date").desc())
        .limit(dates)
        .collect()  # one row per date, at most `dates`
    )
    return [row.asDict(recursive=True) for row in rows]


def published(spark: SparkSession, config: Config) -> dict | None:
    lake = config.lake_location
    if not storage.exists(spark, PROFILES, lake):
        return None
    summary = (
        storage.read(spark, PROFILES, lake).agg(F.count(F.lit(1)).alias("profiles"), F.max("as_of_date").alias("as_of")).first()
    )  # one row
    return {
        "as_of_date": summary.as_of,
        "profiles": summary.profiles,
        "version": storage.current_version(spark, PROFILES, lake),
    }


def held_back(spark: SparkSession, config: Config, runs: list[dict]) -> dict | None:
    """The staged candidate, when the newest nightly run of its date failed a gold suite (so publish --force can take it)."""
    lake = config.lake_location
    if not storage.exists(spark, STAGED_SCORES, lake):
        return None
    staged = storage.read(spark, STAGED_SCORES, lake).groupBy("run_date").count().collect()  # one date, or none
    if len(staged) != 1:
        return None
    [(run_date, rows)] = [(row.run_date, row["count"]) for row in staged]
    latest = next((run for run in runs if run["run_date"] == run_date), None)
    if latest is None or latest["command"] != "nightly" or latest["status"] != "validation_failed":
        return None
    failed = [suite["suite"] for suite in latest["validation"] or [] if not suite["success"]]
    if not any(suite in GOLD_SUITES for suite in failed):
        return None  # failed at the silver stage: staging holds an earlier run's rows
    return {"run_date": run_date, "run_id": latest["run_id"], "staged_rows": rows, "failed_suites": failed}


def table_versions(spark: SparkSession, config: Config) -> dict[str, int | None]:
    lake = config.lake_location
    return {
        table.qualified_name: storage.current_version(spark, table, lake) if storage.exists(spark, table, lake) else None
        for table in ALL_TABLES
    }


def lake_status(config: Config, dates: int = 14) -> dict:
    lake = config.lake_location
    if lake.is_local and not lake.local_root.is_dir():
        raise UsageError(f"lake {lake} does not exist or is not a folder")
    spark = build_spark(config.with_spark(ui_enabled=False), app_name="influence-status")
    runs = last_run_per_date(spark, config, dates) if storage.exists(spark, RUNS, lake) else []
    return {
        "lake": str(lake),
        "lease": current_holder(lake),
        "published": published(spark, config),
        "held_back": held_back(spark, config, runs),
        "last_runs": [{name: run[name] for name in RUN_FIELDS} for run in runs],
        "tables": table_versions(spark, config),
    }


def _text(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def format_status(status: dict) -> str:
    lines = [f"lake      {status['lake']}"]
    lease = status["lease"]
    lines.append(
        "lease     free"
        if not lease
        else f"lease     held by {lease.get('command')} {lease.get('run_id') or ''} (host {lease.get('host')}, "
        f"pid {lease.get('pid')}, since {lease.get('since')})"
    )
    shown = status["published"]
    lines.append(
        "published nothing yet"
        if not shown or shown["as_of_date"] is None
        else f"published {shown['profiles']:,} profiles as of {shown['as_of_date']} (gold/profiles version {shown['version']})"
    )
    held = status["held_back"]
    if held:
        lines.append(
            f"held back {held['run_date']}: {held['staged_rows']:,} staged rows, failed {', '.join(held['failed_suites'])} "
            f"(run {held['run_id']}); `influence publish --date {held['run_date']} --force --reason ...` publishes them"
        )
    else:
        lines.append("held back nothing")
    lines.append("")
    lines.append("last run per date")
    header = ("date", "status", "exit", "command", "run_id", "started", "ended")
    table = [header] + [
        tuple(_text(run[name]) for name in ("run_date", "status", "exit_code", "command", "run_id", "started_at", "ended_at"))
        for run in status["last_runs"]
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines += ["  " + "  ".join(value.ljust(width) for value, width in zip(row, widths)).rstrip() for row in table]
    lines.append("")
    lines.append("table versions")
    width = max(len(name) for name in status["tables"])
    lines += [f"  {name.ljust(width)}  {_text(version)}" for name, version in status["tables"].items()]
    return "\n".join(lines)


def status_json(status: dict) -> str:
    return json.dumps(status, indent=2, default=str)
