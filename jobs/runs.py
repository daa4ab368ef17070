"""influence runs: the run log, newest first, as a table or JSON."""

from __future__ import annotations

from pyspark.sql import functions as F

from influence import storage
from influence.config import Config
from influence.errors import UsageError
from influence.session import build_spark
from influence.tables import RUNS
from jobs.sql import aligned


def recent_runs(config: Config, limit: int) -> list[dict]:
    spark = build_spark(config, app_name="influence-runs")
    if not storage.exists(spark, RUNS, config.lake_location):
        raise UsageError(f"no run log at {RUNS.path(config.lake_location)}: no run has been recorded in this lake")
    rows = storage.read(spark, RUNS, config.lake_location).orderBy(F.col("started_at").desc()).limit(limit).collect()
    return [row.asDict(recursive=True) for row in rows]


def _stage_count(run: dict, stage: str, name: str) -> int | None:
    for entry in run.get("stages") or []:
        if entry["stage"] == stage:
            return entry["counts"].get(name)
    return None


def format_runs(runs: list[dict]) -> str:
    header = (
        "run_id",
        "date",
        "status",
        "exit",
        "seconds",
        "raw_lines",
        "conformed",
        "quarantined",
        "skipped",
        "reconciled",
        "profiles",
    )
    rows = []
    for run in runs:
        files = run.get("reconciliation") or []
        seconds = (run["ended_at"] - run["started_at"]).total_seconds() if run.get("ended_at") else None
        rows.append(
            (
                run["run_id"],
                str(run["run_date"] or ""),
                run["status"],
                "" if run["exit_code"] is None else str(run["exit_code"]),
                "" if seconds is None else f"{seconds:.0f}",
                str(sum(f["raw_lines"] for f in files)) if files else "",
                str(sum(f["conformed"] for f in files)) if files else "",
                str(sum(f["quarantined"] for f in files)) if files else "",
                str(sum(sum(f["skipped"].values()) for f in files)) if files else "",
                ("yes" if all(f["reconciled"] for f in files) else "NO") if files else "",
                str(_stage_count(run, "publish", "profiles") or ""),
            )
        )
    return aligned(header, rows)
