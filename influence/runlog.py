"""The run log `ops/runs`: one row per run, written when it starts and completed when it ends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pyspark.sql import SparkSession

from influence import storage
from influence.tables import RUNS

log = logging.getLogger("influence.progress")
R = TypeVar("R")


def _jobs_of(spark: SparkSession | None, group: str) -> int:
    """How many Spark jobs ran under the stage's job group (the status tracker keeps the recent ones)."""
    return len(spark.sparkContext.statusTracker().getJobIdsForGroup(group)) if spark is not None else 0


def new_run_id(run_date: dt.date | None) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{run_date.isoformat() if run_date else 'run'}_{stamp}_{uuid.uuid4().hex[:6]}"


@dataclass
class RunRecord:
    run_id: str
    command: str
    run_date: dt.date | None
    input: str | None
    master: str | None
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    stages: list[dict] = field(default_factory=list)
    reconciliation: list[dict] = field(default_factory=list)
    validation: list[dict] = field(default_factory=list)
    data_docs: str | None = None  # the run's Data Docs page, once validation has run

    def run(self, name: str, stage: Callable[..., R], *args, **kwargs) -> R:
        """Run one stage: its result (a StageResult) is timed, its Spark jobs counted, and it is logged
        and kept for the run log; a stage that raises is kept with its seconds and the error's type."""
        spark = SparkSession.getActiveSession()
        group = f"{self.run_id}/{name}"
        if spark is not None:
            spark.sparkContext.setJobGroup(group, name)
        started = time.perf_counter()
        log.info("%s: started", name)
        try:
            result = stage(*args, **kwargs)
        except BaseException as error:
            self._keep(name, round(time.perf_counter() - started, 3), _jobs_of(spark, group), {}, failed=type(error).__name__)
            raise
        finally:
            if spark is not None:
                spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
        result = dataclasses.replace(result, seconds=round(time.perf_counter() - started, 3), spark_jobs=_jobs_of(spark, group))
        self._keep(name, result.seconds, result.spark_jobs, result.counts())
        return result

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, int]]:
        """A one-stage command (access, publish, optout ...): the caller fills the yielded dict with counts."""
        counts: dict[str, int] = {}
        started = time.perf_counter()
        log.info("%s: started", name)
        try:
            yield counts
        finally:
            self._keep(name, round(time.perf_counter() - started, 3), 0, counts)

    def _keep(self, name: str, seconds: float, spark_jobs: int, counts: dict[str, int], failed: str | None = None) -> None:
        entry = {"stage": name, "seconds": seconds, "spark_jobs": spark_jobs, "counts": {k: int(v) for k, v in counts.items()}}
        self.stages.append(entry)
        summary = ", ".join(f"{key}={value:,}" for key, value in sorted(counts.items()))
        if failed:
            log.info("%s: failed after %.1fs (%s)", name, seconds, failed)
        else:
            log.info("%s: done in %.1fs%s", name, seconds, f" ({summary})" if summary else "")

    def row(self, status: str, exit_code: int | None, message: str | None, ended: bool) -> dict:
        return {
            "run_id": self.run_id,
            "command": self.command,
            "run_date": self.run_date,
            "status": status,
            "exit_code": exit_code,
            "started_at": self.started_at,
            "ended_at": dt.datetime.now(dt.UTC) if ended else None,
            "input": self.input,
            "master": self.master,
            "stages": self.stages,
            "reconciliation": self.reconciliation,
            "validation": self.validation,
            "message": message,
            "data_docs": self.data_docs,
        }


class RunLog:
    def __init__(self, spark: SparkSession, lake: Path):
        self.spark, self.lake = spark, lake
        self.table = storage.ensure_table(spark, RUNS, lake)

    def _frame(self, row: dict):
        return self.spark.createDataFrame([row], RUNS.schema)

    def start(self, record: RunRecord) -> None:
        storage.append(self._frame(record.row("running", None, None, ended=False)), RUNS, self.lake)

    def finish(self, record: RunRecord, status: str, exit_code: int, message: str | None) -> None:
        update = self._frame(record.row(status, exit_code, message, ended=True))
        (
            self.table.alias("log")
            .merge(update.alias("run"), "log.run_id = run.run_id")
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )
