"""influence nightly: landing -> bronze -> silver -> gold, validated before anything is published.

Stages (each timed and counted in ops/runs):
  bronze   raw lines of every landed file, appended once per (date, file); a changed file replaces its lines
  silver   lines classified by their connector: interactions and accounts, quarantine with reasons
  graph    interactions up to the run date -> weighted edges (self-loops dropped, pairs aggregated)
  pagerank weighted PageRank (networkx semantics)
  scores   score 1-100, percentile, engagement -> staging
  validate the staged scores (influence_scores) and, run over run, against the published profiles
  publish  score history for the date, then profiles in one MERGE (only if no newer date is published)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from expectations import accounts as accounts_suite
from expectations import bronze as bronze_suite
from expectations import influence_scores as scores_suite
from expectations import quarantine as quarantine_suite
from expectations import reconciliation as reconciliation_suite
from expectations import run_over_run as run_over_run_suite
from expectations import silver_interactions as interactions_suite
from expectations.runner import SuiteResult, Validator
from influence import storage
from influence.config import Config
from influence.errors import ValidationFailed
from influence.landing import CONNECTORS, LandedFile, read_lines
from influence.pagerank import weighted_pagerank
from influence.runlog import RunRecord
from influence.tables import ACCOUNTS, INFLUENCE_SCORES, INTERACTIONS, PROFILES, QUARANTINE, RAW_LINES, STAGED_SCORES
from transforms.graph import to_edges, to_vertices
from transforms.lines import SKIP_REASONS, reconcile, summarize_classification, with_duplicates_skipped
from transforms.quality import to_run_over_run
from transforms.scoring import to_influence_scores, to_profiles, with_engagement, with_percentile, with_score
from transforms.silver import filter_new_interactions, to_accounts, to_interactions, to_quarantine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NightlyOutcome:
    profiles_published: bool
    profile_count: int
    profiles_version: int | None
    message: str


def sql_string(value: str) -> str:
    """A SQL string literal for a predicate (file names may contain quotes or backslashes)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def date_predicate(run_date: dt.date) -> str:
    return f"run_date = DATE'{run_date.isoformat()}'"


def ingest_bronze(
    spark: SparkSession, lake: Path, landed: list[LandedFile], run_id: str, run_date: dt.date, counts: dict
) -> None:
    """Append each file's lines once per run date; a file whose content changed replaces its lines."""
    storage.ensure_table(spark, RAW_LINES, lake)
    stored = {
        (row.source, row.file): row.file_sha256
        for row in storage.read(spark, RAW_LINES, lake)
        .filter(F.col("run_date") == F.lit(run_date))
        .select("source", "file", "file_sha256")
        .distinct()
        .collect()  # one row per file already ingested for the date: metadata, tiny
    }
    counts.update(files_landed=len(landed), files_ingested=0, files_replaced=0, files_unchanged=0)
    for landed_file in landed:
        digest = landed_file.sha256()
        previous = stored.get((landed_file.source, landed_file.relative))
        if previous == digest:
            counts["files_unchanged"] += 1
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
            storage.append(lines, RAW_LINES, lake)
            counts["files_ingested"] += 1
        else:
            condition = (
                f"{date_predicate(run_date)} AND source = {sql_string(landed_file.source)} "
                f"AND file = {sql_string(landed_file.relative)}"
            )
            storage.replace_where(lines, RAW_LINES, lake, condition)
            counts["files_replaced"] += 1
            log.warning("bronze: %s changed since it was ingested for %s; its lines were replaced", landed_file.relative, run_date)
        log.info("bronze: ingested %s", landed_file.relative)


def classify_lines(bronze_lines: DataFrame, config: Config) -> DataFrame:
    """Every bronze line of the night through its source's connector, duplicates marked."""
    sources = [row.source for row in bronze_lines.select("source").distinct().collect()]  # a few names
    unknown = sorted(set(sources) - set(CONNECTORS))
    if unknown:
        raise ValueError(f"bronze holds lines of source(s) with no connector: {unknown}")
    parts = [CONNECTORS[source](bronze_lines.filter(F.col("source") == source), config) for source in sorted(sources)]
    classified = parts[0]
    for part in parts[1:]:
        classified = classified.unionByName(part)
    return with_duplicates_skipped(classified)


def merge_accounts(spark: SparkSession, lake: Path, new_interactions: DataFrame) -> None:
    accounts = storage.ensure_table(spark, ACCOUNTS, lake)
    widen = {
        "first_seen_at": "least(a.first_seen_at, u.first_seen_at)",
        "last_seen_at": "greatest(a.last_seen_at, u.last_seen_at)",
        "first_run_date": "least(a.first_run_date, u.first_run_date)",
        "last_run_date": "greatest(a.last_run_date, u.last_run_date)",
    }
    (
        accounts.alias("a")
        .merge(to_accounts(new_interactions).alias("u"), "a.network = u.network AND a.account_id = u.account_id")
        .whenMatchedUpdate(set=widen)
        .whenNotMatchedInsertAll()
        .execute()
    )


def check(results: list[SuiteResult], record: RunRecord, stage: str) -> None:
    record.validation.extend(result.as_row() for result in results)
    failures = [f"{result.suite}: {failure}" for result in results for failure in result.failed]
    if failures:
        raise ValidationFailed(f"validation failed at the {stage} stage; nothing was published", failures)


def build_silver(
    spark: SparkSession, config: Config, run_date: dt.date, record: RunRecord, validator: Validator, counts: dict
) -> None:
    lake = config.lake_path
    for table in (INTERACTIONS, QUARANTINE):
        storage.ensure_table(spark, table, lake)
    bronze_lines = storage.read(spark, RAW_LINES, lake).filter(F.col("run_date") == F.lit(run_date))
    classified = classify_lines(bronze_lines, config).persist(StorageLevel.MEMORY_AND_DISK)

    raw_counts = bronze_lines.groupBy("source", "file").agg(F.count(F.lit(1)).alias("raw_lines"))
    files = reconcile(raw_counts, summarize_classification(classified)).orderBy("source", "file").collect()  # one row per file
    record.reconciliation = [
        {
            "source": row.source,
            "file": row.file,
            "raw_lines": row.raw_lines,
            "conformed": row.conformed,
            "quarantined": row.quarantined,
            "skipped": {reason: row[f"skipped_{reason}"] for reason in SKIP_REASONS},
            "reconciled": row.raw_lines == row.accounted_lines,
        }
        for row in files
    ]
    for name in ("raw_lines", "conformed", "quarantined", *[f"skipped_{r}" for r in SKIP_REASONS]):
        counts[name] = sum(row[name] for row in files)

    quarantine = to_quarantine(classified, record.run_id, run_date)
    storage.replace_where(quarantine, QUARANTINE, lake, date_predicate(run_date))

    earlier_nights = storage.read(spark, INTERACTIONS, lake).filter(F.col("run_date") != F.lit(run_date))
    new_interactions = filter_new_interactions(to_interactions(classified, run_date), earlier_nights).persist(
        StorageLevel.MEMORY_AND_DISK
    )
    counts["new_interactions"] = new_interactions.count()
    counts["already_stored"] = counts["conformed"] - counts["new_interactions"]

    latest_plausible = dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time()) + dt.timedelta(
        hours=config.validation.future_tolerance_hours
    )
    check(
        [
            validator.validate(
                spark.createDataFrame([row.asDict() for row in files]),
                reconciliation_suite.build_suite(),
                {"max_quarantine_fraction": config.validation.max_quarantine_fraction},
            ),
            validator.validate(
                new_interactions,
                interactions_suite.build_suite(),
                {"latest_plausible_time": latest_plausible.isoformat()},
            ),
            validator.validate(quarantine, quarantine_suite.build_suite()),
            validator.validate(to_accounts(new_interactions), accounts_suite.build_suite()),
        ],
        record,
        "silver",
    )
    storage.replace_where(new_interactions, INTERACTIONS, lake, date_predicate(run_date))
    merge_accounts(spark, lake, new_interactions)
    classified.unpersist()
    new_interactions.unpersist()


def score_graph(spark: SparkSession, config: Config, run_date: dt.date, record: RunRecord) -> None:
    """Graph, PageRank and scores of every interaction up to the run date -> staging."""
    lake = config.lake_path
    interactions = storage.read(spark, INTERACTIONS, lake).filter(F.col("run_date") <= F.lit(run_date))
    with record.stage("graph") as counts:
        vertices = to_vertices(interactions).persist(StorageLevel.MEMORY_AND_DISK)
        edges = to_edges(interactions).persist(StorageLevel.MEMORY_AND_DISK)
        counts["vertices"] = vertices.count()
        counts["edges"] = edges.count()
    with record.stage("pagerank") as counts:
        settings = config.pagerank
        result = weighted_pagerank(vertices, edges, settings.damping, settings.tolerance, settings.max_iterations)
        counts.update(iterations=result.iterations, converged=int(result.converged))
        log.info("pagerank: %d iterations, L1 change %.2e, converged=%s", result.iterations, result.l1_change, result.converged)
    with record.stage("scores") as counts:
        ranked = result.ranks.join(vertices, on="id", how="inner")
        scored = ranked.transform(with_engagement, edges).transform(with_score).transform(with_percentile)
        storage.ensure_table(spark, STAGED_SCORES, lake)
        storage.overwrite(to_influence_scores(scored, run_date), STAGED_SCORES, lake)
        counts["staged"] = storage.last_commit_metrics(spark, STAGED_SCORES, lake).get("numOutputRows", 0)
    vertices.unpersist()
    edges.unpersist()


def compare_with_published(
    spark: SparkSession, config: Config, run_date: dt.date, staged: DataFrame, validator: Validator
) -> tuple[list[SuiteResult], str | None]:
    """The run-over-run suite on the staged scores against gold/profiles, or no suite and the reason it was skipped."""
    lake = config.lake_path
    published = storage.read(spark, PROFILES, lake) if storage.exists(spark, PROFILES, lake) else None
    latest = (
        published.agg(F.count(F.lit(1)).alias("rows"), F.max("as_of_date").alias("as_of_date")).first()  # one row
        if published is not None
        else None
    )
    if latest is None or latest.rows == 0:
        return [], "no published profiles to compare with (first publish)"
    if latest.as_of_date > run_date:
        return [], f"backfill: profiles are published as of the newer date {latest.as_of_date}"
    settings = config.validation
    parameters = {
        "min_row_ratio": settings.min_row_ratio,
        "max_row_ratio": settings.max_row_ratio,
        "max_mean_score_shift": settings.max_mean_score_shift,
        "max_quantile_shift": settings.max_quantile_shift,
    }
    comparison = to_run_over_run(staged, published)
    return [validator.validate(comparison, run_over_run_suite.build_suite(), parameters)], None


def publish(spark: SparkSession, lake: Path, run_date: dt.date, counts: dict) -> NightlyOutcome:
    """Score history for the date, then the profiles table in one MERGE (inserts, changes, removals)."""
    staged = storage.read(spark, STAGED_SCORES, lake).filter(F.col("run_date") == F.lit(run_date))
    storage.ensure_table(spark, INFLUENCE_SCORES, lake)
    storage.replace_where(staged, INFLUENCE_SCORES, lake, date_predicate(run_date))

    profiles = storage.ensure_table(spark, PROFILES, lake)
    published_date = storage.read(spark, PROFILES, lake).agg(F.max("as_of_date")).first()[0]
    if published_date is not None and published_date > run_date:
        message = f"profiles keep the newer date {published_date}; scores for {run_date} were added to the history"
        log.warning("publish: %s", message)
        return NightlyOutcome(False, 0, None, message)

    candidate = to_profiles(staged)
    value_columns = [name for name in PROFILES.columns if name not in PROFILES.key]
    unchanged = " AND ".join(f"p.{name} <=> c.{name}" for name in value_columns)
    (
        profiles.alias("p")
        .merge(candidate.alias("c"), " AND ".join(f"p.{k} = c.{k}" for k in PROFILES.key))
        .whenMatchedUpdateAll(condition=f"NOT ({unchanged})")
        .whenNotMatchedInsertAll()
        .whenNotMatchedBySourceDelete()
        .execute()
    )
    metrics = storage.last_commit_metrics(spark, PROFILES, lake)
    counts.update(
        profiles_inserted=metrics.get("numTargetRowsInserted", 0),
        profiles_updated=metrics.get("numTargetRowsUpdated", 0),
        profiles_deleted=metrics.get("numTargetRowsDeleted", 0),
    )
    version = storage.current_version(spark, PROFILES, lake)
    total = storage.read(spark, PROFILES, lake).count()
    counts["profiles"] = total
    return NightlyOutcome(True, total, version, f"published {total} profiles as of {run_date} (profiles version {version})")


def run_nightly(
    spark: SparkSession,
    config: Config,
    run_date: dt.date,
    landed: list[LandedFile],
    record: RunRecord,
    validator: Validator | None = None,
) -> NightlyOutcome:
    """`validator` (default: one writing Data Docs under the lake) keeps the night's results and pages."""
    lake = config.lake_path
    validator = validator if validator is not None else Validator(lake, run_name=record.run_id)
    with record.stage("bronze") as counts:
        ingest_bronze(spark, lake, landed, record.run_id, run_date, counts)
        night_lines = storage.read(spark, RAW_LINES, lake).filter(F.col("run_date") == F.lit(run_date))
        check([validator.validate(night_lines, bronze_suite.build_suite())], record, "bronze")
    with record.stage("silver") as counts:
        build_silver(spark, config, run_date, record, validator, counts)
        log.info(
            "silver: %d lines = %d conformed + %d quarantined + %d skipped; %d new interactions",
            counts["raw_lines"], counts["conformed"], counts["quarantined"],
            sum(counts[f"skipped_{r}"] for r in SKIP_REASONS), counts["new_interactions"],
        )
    score_graph(spark, config, run_date, record)
    with record.stage("validate") as counts:
        staged = storage.read(spark, STAGED_SCORES, lake)
        # run over run first: when every suite passes, the run's Data Docs page is the gold suite's (the last)
        compared, skipped = compare_with_published(spark, config, run_date, staged, validator)
        if skipped:
            counts["run_over_run_skipped"] = 1
            log.info("validate: run-over-run checks skipped: %s", skipped)
        check(
            [*compared, validator.validate(staged, scores_suite.build_suite(), {"run_dates": [run_date.isoformat()]})],
            record,
            "gold",
        )
        counts["suites_passed"] = len(record.validation)
    with record.stage("publish") as counts:
        outcome = publish(spark, lake, run_date, counts)
    if skipped:
        outcome = dataclasses.replace(outcome, message=f"{outcome.message}; run-over-run checks skipped: {skipped}")
    return outcome

