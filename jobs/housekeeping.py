"""influence housekeeping: what the lake keeps of its past, tidied now (stages/housekeeping.py), as one logged run."""

from __future__ import annotations

from influence.config import Config
from influence.runlog import RunLog, RunRecord, new_run_id
from influence.session import build_spark
from influence.storage import Lake
from stages.housekeeping import tidy


def run_housekeeping(config: Config) -> str:
    spark = build_spark(config.with_spark(ui_enabled=False), app_name="influence-housekeeping")
    runlog = RunLog(spark, config.lake_location)
    record = RunRecord(new_run_id(None), "housekeeping", None, None, config.spark.master)
    with runlog.recording(record):
        done = record.run("housekeeping", tidy, Lake(spark, config.lake_location), config)
    message = (
        f"{done.tables_vacuumed} tables vacuumed to {config.housekeeping.keep_versions_hours} hours "
        f"({done.files_vacuumed} files deleted); {done.validation_results_deleted} validation results and "
        f"{done.data_docs_pages_deleted} Data Docs pages older than {config.housekeeping.keep_validations_days} days deleted"
    )
    runlog.finish(record, "done", 0, message)
    return f"run {record.run_id}: {message}"
