"""influence publish / rollback: an operator overrides the quality gate on purpose, or undoes a publish.

publish   --date D --force --reason TEXT: publish the staged candidate of a night whose gold suite
          failed (staged, not published), through stages.publish. Nights that failed at the
          silver stage staged nothing of their own and are refused.
rollback  --to-version N: gold/profiles back to Delta version N in one commit (RESTORE).

Both record a run-log row; every refusal (exit 2) happens before anything is written.
"""

from __future__ import annotations

import datetime as dt
import logging

from pyspark.sql import DataFrame, SparkSession, functions as F

from expectations import influence_scores as scores_suite, run_over_run as run_over_run_suite
from influence import storage
from influence.config import Config
from influence.errors import UsageError
from influence.governance import consent_table, privacy_key, read_consent
from influence.runlog import RunLog, RunRecord, new_run_id
from influence.session import build_spark
from influence.storage import Lake
from influence.tables import PROFILES, RUNS, STAGED_SCORES, SUPPRESSING_STATES
from stages.publish import publish
from transforms.model.scoring import to_profiles
from transforms.privacy import suppressed_subjects_named

log = logging.getLogger(__name__)


def refuse_suppressed(consent: DataFrame, config: Config, profiles: DataFrame, what: str) -> None:
    """A forced publish or a rollback never brings back someone suppressed since (opted out, erased, a minor):
    when `profiles` name one anywhere (a row, an account, a top engager, a moment's evidence) it is refused
    (exit 2), before anything is written. The message counts them and never names them."""
    named = suppressed_subjects_named(profiles, consent, SUPPRESSING_STATES, privacy_key(config)).count()
    if named:
        raise UsageError(
            f"{what} names {named} subject(s) suppressed since (opted out, erased or minor): publishing it would "
            "publish them again. Run the night again (`influence nightly --date D`), which scores without them. "
            "Nothing was written."
        )


def held_back_run(spark: SparkSession, config: Config, run_date: dt.date) -> dict:
    """The latest nightly run of `run_date`, if it staged its candidate and failed the gold suite; else UsageError."""
    lake = config.lake_location
    if not storage.exists(spark, STAGED_SCORES, lake):
        raise UsageError(f"nothing is staged in {STAGED_SCORES.path(lake)}: no night can be published from lake {lake}")
    staged_dates = sorted(
        row.run_date for row in storage.read(spark, STAGED_SCORES, lake).select("run_date").distinct().collect()
    )  # the staging table holds one night: one date, or none
    if run_date not in staged_dates:
        holds = f"the candidate of {', '.join(map(str, staged_dates))}" if staged_dates else "no rows"
        raise UsageError(
            f"{STAGED_SCORES.qualified_name} holds {holds}, not {run_date}: only the last scored night can be "
            f"published; run `influence nightly --date {run_date}` again to stage it"
        )
    latest = (
        storage.read(spark, RUNS, lake)
        .filter((F.col("command") == "nightly") & (F.col("run_date") == F.lit(run_date)))
        .orderBy(F.col("started_at").desc())
        .limit(1)
        .collect()  # one row
    )
    if not latest:
        raise UsageError(f"the run log has no nightly run for {run_date}: nothing was held back")
    run = latest[0].asDict(recursive=True)
    gold_failed = any(
        suite["suite"] in (scores_suite.NAME, run_over_run_suite.NAME) and not suite["success"]
        for suite in run["validation"] or []
    )
    if run["status"] == "validation_failed" and not gold_failed:
        raise UsageError(
            f"the latest nightly run for {run_date} ({run['run_id']}) failed validation at the silver stage, so it "
            "staged nothing and the staged rows are an earlier run's; fix the input and rerun the night"
        )
    if run["status"] != "validation_failed":
        raise UsageError(
            f"the latest nightly run for {run_date} ({run['run_id']}) ended with status {run['status']!r}; "
            "only a night held back by the gold suite can be force-published"
        )
    return run


def force_publish(config: Config, run_date: dt.date, reason: str) -> str:
    """Publish the held-back night `run_date`; the run log keeps the reason and the run overridden."""
    lake = config.lake_location
    spark = build_spark(config, app_name=f"influence-publish-{run_date}")
    held = held_back_run(spark, config, run_date)
    staged = storage.read(spark, STAGED_SCORES, lake).filter(F.col("run_date") == F.lit(run_date))
    consent = read_consent(spark, config)  # read once: the check below and the publish use the same rows
    refuse_suppressed(
        consent.frame, config, to_profiles(staged, privacy_key(config)), f"the night of {run_date} staged by run {held['run_id']}"
    )
    runlog = RunLog(spark, lake)
    record = RunRecord(new_run_id(run_date), "publish", run_date, None, config.spark.master)
    with runlog.recording(record):
        outcome = record.run("publish", publish, Lake(spark, lake), config, consent, run_date)
        status = "published_forced" if outcome.profiles_published else "history_only_forced"
        message = f"{outcome.message}; forced past the failed validation of run {held['run_id']}; reason: {reason}"
        runlog.finish(record, status, 0, message)
    log.warning("publish %s forced by the operator: %s", run_date, reason)
    return f"run {record.run_id}: {message}"


def rollback(config: Config, version: int) -> str:
    """gold/profiles restored to `version` in one Delta commit; the score history is left as it is."""
    lake = config.lake_location
    spark = build_spark(config, app_name=f"influence-rollback-{version}")
    if not storage.exists(spark, PROFILES, lake):
        raise UsageError(f"no {PROFILES.qualified_name} table in lake {lake}: nothing to roll back")
    oldest, newest = storage.version_range(spark, PROFILES, lake)
    if not oldest <= version <= newest:
        raise UsageError(f"{PROFILES.qualified_name} has no version {version}: its history holds versions {oldest} to {newest}")
    if version != newest:
        refuse_suppressed(
            consent_table(spark, config),
            config,
            storage.read(spark, PROFILES, lake, version=version),
            f"version {version} of {PROFILES.qualified_name}",
        )
    runlog = RunLog(spark, lake)
    record = RunRecord(new_run_id(None), "rollback", None, None, config.spark.master)
    with runlog.recording(record):
        with record.stage("rollback") as counts:
            if version == newest:
                restored = f"{PROFILES.qualified_name} is already at version {version}; nothing changed"
            else:
                storage.restore(spark, PROFILES, lake, version)
                metrics = storage.last_commit_metrics(spark, PROFILES, lake)
                counts.update(files_restored=metrics.get("numRestoredFiles", 0), files_removed=metrics.get("numRemovedFiles", 0))
                restored = (
                    f"{PROFILES.qualified_name} restored to version {version} "
                    f"(now version {storage.current_version(spark, PROFILES, lake)}, was {newest})"
                )
            profiles = storage.read(spark, PROFILES, lake)
            summary = profiles.agg(F.count(F.lit(1)).alias("rows"), F.max("as_of_date").alias("as_of")).first()
            counts["profiles"] = summary.rows
        message = f"{restored}: {summary.rows} profiles as of {summary.as_of}"
        runlog.finish(record, "rolled_back", 0, message)
    return f"run {record.run_id}: {message}"
