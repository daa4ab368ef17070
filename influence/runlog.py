"""The run log `ops/runs`: one row per run, written when it starts and completed when it ends."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from pyspark.sql import SparkSession, functions as F

from influence import storage
from influence.lease import last_progress, record_progress
from influence.location import LakeLike
from influence.tables import RUNS

log = logging.getLogger("influence.progress")
R = TypeVar("R")
# A test hook: the process kills itself (SIGKILL) when the named stage starts, to prove crash safety.
CRASH_AT_STAGE = "INFLUENCE_CRASH_AT_STAGE"
# What the progress file says before a run's first stage and once its row is complete.
STARTING, FINISHED = "(start)", "(finished)"


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
    lake: LakeLike | None = None  # set by RunLog.start: each stage started is noted in the lake (influence.lease)

    def run(self, name: str, stage: Callable[..., R], *args, **kwargs) -> R:
        """Run one stage: its result (a StageResult) is timed, its Spark jobs counted, and it is logged
        and kept for the run log; a stage that raises is kept with its seconds and the error's type."""
        self._started(name)
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
            if spark is not None:  # later jobs (the run log's row, the report) are not this stage's, in Spark's UI either
                spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)
                spark.sparkContext.setLocalProperty("spark.job.description", None)
        result = dataclasses.replace(result, seconds=round(time.perf_counter() - started, 3), spark_jobs=_jobs_of(spark, group))
        self._keep(name, result.seconds, result.spark_jobs, result.counts())
        return result

    @contextmanager
    def stage(self, name: str) -> Iterator[dict[str, int]]:
        """A one-stage command (access, publish, optout ...): the caller fills the yielded dict with counts."""
        counts: dict[str, int] = {}
        self._started(name)
        started = time.perf_counter()
        log.info("%s: started", name)
        try:
            yield counts
        finally:
            self._keep(name, round(time.perf_counter() - started, 3), 0, counts)

    def _started(self, name: str) -> None:
        """The stage is noted in the lake (what a crash had reached); the crash test hook fires here."""
        if self.lake is not None:
            record_progress(self.lake, self.run_id, name)
        if os.environ.get(CRASH_AT_STAGE) == name:  # as a scheduler's kill -9 or the OOM killer would
            os.kill(os.getpid(), signal.SIGKILL)

    def _keep(self, name: str, seconds: float, spark_jobs: int, counts: dict[str, int], failed: str | None = None) -> None:
        entry = {"stage": name, "seconds": seconds, "spark_jobs": spark_jobs, "counts": {k: int(v) for k, v in counts.items()}}
        self.stages.append(entry)
        summary = ", ".join(f"{key}={value:,}" for key, value in sorted(counts.items()))
        # the same figures as the run log's entry, as fields of the record (--log-format json: influence.logs)
        event = {"event": {"event": "stage", "run_id": self.run_id, "status": "failed" if failed else "done", **entry}}
        if failed:
            log.info("%s: failed after %.1fs (%s)", name, seconds, failed, extra=event)
        else:
            log.info("%s: done in %.1fs%s", name, seconds, f" ({summary})" if summary else "", extra=event)

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


def failure_message(error: BaseException) -> str:
    """What the run log keeps of an unexpected error: its type only. Its text can quote a value (a file name, an
    id, a row) and the run log is kept for long (docs/privacy.md#outside-the-lake); the log has the rest."""
    return f"{type(error).__name__} (its message and traceback are in the command's log)"


class RunLog:
    def __init__(self, spark: SparkSession, lake: LakeLike):
        self.spark, self.lake = spark, lake
        self.table = storage.ensure_table(spark, RUNS, lake)

    def _frame(self, row: dict):
        return self.spark.createDataFrame([row], RUNS.schema)

    def start(self, record: RunRecord) -> None:
        if self._may_hold_a_dead_run():
            self.mark_crashed(record.run_id)
        record.lake = self.lake
        record_progress(self.lake, record.run_id, STARTING)
        storage.append(self._frame(record.row("running", None, None, ended=False)), RUNS, self.lake)

    @contextmanager
    def recording(self, record: RunRecord) -> Iterator[RunRecord]:
        """The run's row is written when it starts; an exception completes it as `failed` (exit 3) and goes on."""
        self.start(record)
        try:
            yield record
        except BaseException as error:
            self.finish(record, "failed", 3, failure_message(error))
            raise

    def _may_hold_a_dead_run(self) -> bool:
        """A run that started and never finished its row names itself in the progress file (each run notes its
        start, its stages and its end there), so a file naming a finished run means there is none. With no file
        (a new lake, or one older than the file) the run log is read."""
        progress = last_progress(self.lake)
        return progress is None or progress.get("stage") != FINISHED

    def mark_crashed(self, current_run_id: str) -> int:
        """Rows still `running` become `crashed`, with the last stage their run started. Every command that
        writes holds the lake's lease (influence.lease), so while this one runs no other can: such a row is a
        run whose process died (killed, out of memory, machine lost) before it could finish it."""
        running = (
            self.table.toDF()
            .filter((F.col("status") == "running") & (F.col("run_id") != current_run_id))
            .select("run_id")
            .collect()  # the runs that died since the last command: a few at most
        )
        if not running:
            return 0
        progress = last_progress(self.lake) or {}
        updates = []
        for row in running:
            stage = progress.get("stage") if progress.get("run_id") == row.run_id else None
            stage = None if stage == STARTING else stage
            updates.append(
                (
                    row.run_id,
                    f"crashed during its {stage} stage" if stage else "crashed before its first stage",
                    f"the process ended without finishing the run (found by run {current_run_id})",
                )
            )
            log.warning("run %s %s; marked crashed", row.run_id, updates[-1][1])
        crashed = self.spark.createDataFrame(updates, "run_id string, reached string, why string")
        (
            self.table.alias("log")
            .merge(crashed.alias("c"), "log.run_id = c.run_id")
            .whenMatchedUpdate(
                set={"status": "'crashed'", "ended_at": "current_timestamp()", "message": "concat(c.reached, ': ', c.why)"}
            )
            .execute()
        )
        return len(updates)

    def finish(self, record: RunRecord, status: str, exit_code: int, message: str | None) -> None:
        update = self._frame(record.row(status, exit_code, message, ended=True))
        (
            self.table.alias("log")
            .merge(update.alias("run"), "log.run_id = run.run_id")
            .whenMatchedUpdateAll()
            .whenNotMatchedInsertAll()
            .execute()
        )
        record_progress(self.lake, record.run_id, FINISHED)
