"""Bronze: every landed file's lines, verbatim, appended once per (run date, file); a changed file replaces
its lines. The night's lines are checked by the bronze suite before anything reads them."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, functions as F

from expectations import bronze as bronze_suite
from expectations.runner import Validator
from influence import json_documents
from influence.storage import Lake
from influence.tables import RAW_LINES
from stages.checks import require_passed
from stages.landing import LandedFile, read_lines
from stages.result import StageResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class BronzeResult(StageResult):
    files_landed: int
    files_ingested: int
    files_replaced: int
    files_unchanged: int
    files_empty: int  # recorded here and in the log, not ingested
    files_json_documents: int  # of the ingested and replaced, those read as JSON documents (stages/landing.py)
    night_lines: DataFrame  # the run date's bronze lines


def sql_string(value: str) -> str:
    """A SQL string literal for a predicate (file names may contain quotes or backslashes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def date_predicate(run_date: dt.date) -> str:
    return f"run_date = DATE'{run_date.isoformat()}'"


def ingest(lake: Lake, landed: list[LandedFile], run_id: str, run_date: dt.date, validator: Validator) -> BronzeResult:
    """Append each file's lines once per run date; a file whose content changed replaces its lines."""
    spark = lake.spark
    stored = {
        (row.source, row.file): row.file_sha256
        for row in lake.read(RAW_LINES)
        .filter(F.col("run_date") == F.lit(run_date))
        .select("source", "file", "file_sha256")
        .distinct()
        .collect()  # one row per file already ingested for the date: metadata, tiny
    }
    ingested = replaced = unchanged = empty = documents = 0
    for landed_file in landed:
        digest = landed_file.sha256()
        previous = stored.get((landed_file.source, landed_file.relative))
        if landed_file.empty:
            empty += 1
            if previous is None:  # an emptied file that held lines for the date still replaces them below
                log.info("bronze: %s is empty; nothing to ingest", landed_file.relative)
                continue
        if previous == digest:
            unchanged += 1
            log.info("bronze: %s already ingested for %s, unchanged", landed_file.relative, run_date)
            continue
        lines = read_lines(spark, landed_file).select(
            "*",
            F.lit(digest).alias("file_sha256"),
            F.lit(run_id).alias("run_id"),
            F.lit(run_date).alias("run_date"),
            F.current_timestamp().alias("ingested_at"),
        )
        if previous is None:
            lake.append(lines, RAW_LINES)
            ingested += 1
        else:
            condition = (
                f"{date_predicate(run_date)} AND source = {sql_string(landed_file.source)} "
                f"AND file = {sql_string(landed_file.relative)}"
            )
            lake.replace_where(lines, RAW_LINES, condition)
            replaced += 1
            log.warning(
                "bronze: %s changed since it was ingested for %s; its lines were replaced", landed_file.relative, run_date
            )
        documents += landed_file.layout == json_documents.DOCUMENT
        log.info("bronze: ingested %s", landed_file.relative)
    night_lines = lake.read(RAW_LINES).filter(F.col("run_date") == F.lit(run_date))
    require_passed([validator.validate(night_lines, bronze_suite.build_suite())], "bronze")
    return BronzeResult(
        files_landed=len(landed),
        files_ingested=ingested,
        files_replaced=replaced,
        files_unchanged=unchanged,
        files_empty=empty,
        files_json_documents=documents,
        night_lines=night_lines,
    )
