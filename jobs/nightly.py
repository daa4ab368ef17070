"""influence nightly: landing -> bronze -> silver -> gold, validated before anything is published.

Stages (each timed and counted in ops/runs):
  governance  privacy requests landed in DIR/governance (opt-out, opt-in, erase, minor), applied first
  bronze   raw lines of every landed file, appended once per (date, file); a changed file replaces its lines
  retention   bronze and quarantined raw lines older than the retention horizon deleted and vacuumed
  silver   lines classified by their connector: interactions and accounts, quarantine with reasons
  graph    the window's interactions, model-weighted (kind x decay) -> person edges (self-loops dropped)
  trust    TrustRank from persons with an audience -> each person's vote (anti-gaming)
  pagerank weighted PageRank (networkx semantics, votes applied)
  scores   calibrated score 1-100 (smoothed), sub-scores, explanation, topics, moments -> staging
  validate the staged scores (influence_scores), the profiles they would publish (nobody suppressed) and, run over run, against the published profiles
  publish  score history for the date, then profiles in one MERGE (only if no newer date is published)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from expectations import accounts as accounts_suite
from expectations import bronze as bronze_suite
from expectations import influence_scores as scores_suite
from expectations import posts as posts_suite
from expectations import profiles as profiles_suite
from expectations import quarantine as quarantine_suite
from expectations import reconciliation as reconciliation_suite
from expectations import run_over_run as run_over_run_suite
from expectations import silver_interactions as interactions_suite
from expectations.runner import SuiteResult, Validator
from influence import governance, storage
from influence.config import Config
from influence.errors import ValidationFailed
from influence.governance import Request, privacy_key
from influence.landing import CONNECTORS, LandedFile, read_lines
from influence.model import config_hash
from jobs.privacy import apply_request
from jobs.score import score_night
from influence.runlog import RunRecord
from influence.tables import (
    ACCOUNTS,
    CONSENT,
    IDENTITY_LINKS,
    INFLUENCE_SCORES,
    INTERACTIONS,
    POSTS,
    PROFILES,
    QUARANTINE,
    RAW_LINES,
    STAGED_SCORES,
    SUPPRESSING_STATES,
)
from transforms.lines import CONFORMED, reconcile, summarize_classification, with_duplicates_skipped
from transforms.pii import with_scrubbed_profile_text
from transforms.privacy import (
    SKIP_ERASED,
    to_account_keys,
    to_suppressed_accounts,
    with_erased_lines_skipped,
    without_suppressed_interactions,
    without_suppressed_posts,
)
from transforms.quality import to_run_over_run
from transforms.scoring import to_profiles
from transforms.silver import (
    filter_new_interactions,
    handle_directory,
    to_account_profiles,
    to_accounts,
    to_deletes,
    to_identity_links,
    to_interactions,
    to_posts,
    to_quarantine,
    with_resolved_targets,
    with_unknown_deletes_skipped,
)

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


def merge_accounts(spark: SparkSession, lake: Path, accounts_update: DataFrame) -> None:
    """Profile fields from the newest observation; seen-at and run-date spans widened."""
    accounts = storage.ensure_table(spark, ACCOUNTS, lake)
    is_newer_profile = "u.profile_observed_at IS NOT NULL AND (a.profile_observed_at IS NULL OR u.profile_observed_at >= a.profile_observed_at)"
    profile = {
        name: f"CASE WHEN {is_newer_profile} THEN coalesce(u.{name}, a.{name}) ELSE a.{name} END"
        for name in ("handle", "display_name", "bio", "lang", "followers_count")
    }
    widen = {
        **profile,
        "profile_observed_at": f"CASE WHEN {is_newer_profile} THEN u.profile_observed_at ELSE a.profile_observed_at END",
        "first_seen_at": "least(a.first_seen_at, u.first_seen_at)",
        "last_seen_at": "greatest(a.last_seen_at, u.last_seen_at)",
        "first_run_date": "least(a.first_run_date, u.first_run_date)",
        "last_run_date": "greatest(a.last_run_date, u.last_run_date)",
    }
    (
        accounts.alias("a")
        .merge(accounts_update.alias("u"), "a.network = u.network AND a.account_id = u.account_id")
        .whenMatchedUpdate(set=widen)
        .whenNotMatchedInsertAll()
        .execute()
    )


def merge_posts(spark: SparkSession, lake: Path, posts_update: DataFrame, deleted: DataFrame) -> None:
    """Posts by key: a newer observation refreshes text and counts; deleted posts are removed."""
    posts = storage.ensure_table(spark, POSTS, lake)
    is_newer = "u.observed_at IS NULL OR p.observed_at IS NULL OR u.observed_at >= p.observed_at"
    refreshed = {
        name: f"CASE WHEN {is_newer} THEN coalesce(u.{name}, p.{name}) ELSE coalesce(p.{name}, u.{name}) END"
        for name in POSTS.columns
        if name not in (*POSTS.key, "source", "file", "line_number", "first_run_date", "last_run_date")
    }
    refreshed["first_run_date"] = "least(p.first_run_date, u.first_run_date)"
    refreshed["last_run_date"] = "greatest(p.last_run_date, u.last_run_date)"
    update = posts_update.join(deleted, on=["network", "post_id"], how="left_anti")
    if update.take(1):  # at most one row; a SNAP night has no posts, and no MERGE then
        (
            posts.alias("p")
            .merge(update.alias("u"), "p.network = u.network AND p.post_id = u.post_id")
            .whenMatchedUpdate(set=refreshed)
            .whenNotMatchedInsertAll()
            .execute()
        )
    if deleted.take(1):  # at most one row
        posts.alias("p").merge(
            deleted.alias("d"), "p.network = d.network AND p.post_id = d.post_id"
        ).whenMatchedDelete().execute()


def merge_identity_links(spark: SparkSession, lake: Path, links: DataFrame) -> None:
    table = storage.ensure_table(spark, IDENTITY_LINKS, lake)
    (
        table.alias("l")
        .merge(links.alias("u"), "l.network = u.network AND l.account_id = u.account_id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )


def remove_deleted_interactions(spark: SparkSession, lake: Path, deleted: DataFrame) -> int:
    """Remove stored interactions a delete event named (by id, or carried by a deleted post)."""
    if not deleted.take(1):  # at most one row
        return 0
    storage.ensure_table(spark, INTERACTIONS, lake).alias("i").merge(
        deleted.alias("d"), "i.interaction_id = d.interaction_id"
    ).whenMatchedDelete().execute()
    return storage.last_commit_metrics(spark, INTERACTIONS, lake).get("numTargetRowsDeleted", 0)


def resolve_pending_targets(spark: SparkSession, lake: Path, handles: DataFrame) -> int:
    """Stored interactions whose target was unknown (a reply to an unseen post) or known only by its
    handle get it now if the lake has learnt it since; returns how many were resolved."""
    interactions = storage.ensure_table(spark, INTERACTIONS, lake)
    stored = storage.read(spark, INTERACTIONS, lake)
    pending = stored.filter(
        F.col("target").isNull() | F.col("target").startswith("@") | F.col("actor").startswith("@")
    )
    posts = storage.read(spark, POSTS, lake)
    resolved = with_resolved_targets(pending, posts, handles).alias("r").join(
        pending.select("interaction_id", F.col("actor").alias("_old_actor"), F.col("target").alias("_old_target")),
        on="interaction_id", how="inner",
    ).filter(~F.col("actor").eqNullSafe(F.col("_old_actor")) | ~F.col("target").eqNullSafe(F.col("_old_target")))
    if not resolved.take(1):  # at most one row
        return 0
    (
        interactions.alias("i")
        .merge(resolved.alias("r"), "i.interaction_id = r.interaction_id")
        .whenMatchedUpdate(set={"actor": "r.actor", "target": "r.target"})
        .execute()
    )
    return storage.last_commit_metrics(spark, INTERACTIONS, lake).get("numTargetRowsUpdated", 0)


def check(results: list[SuiteResult], record: RunRecord, stage: str) -> None:
    record.validation.extend(result.as_row() for result in results)
    failures = [f"{result.suite}: {failure}" for result in results for failure in result.failed]
    if failures:
        raise ValidationFailed(f"validation failed at the {stage} stage; nothing was published", failures)


def build_silver(
    spark: SparkSession, config: Config, run_date: dt.date, record: RunRecord, validator: Validator, counts: dict
) -> None:
    lake = config.lake_path
    for table in (INTERACTIONS, QUARANTINE, POSTS, ACCOUNTS, IDENTITY_LINKS):
        storage.ensure_table(spark, table, lake)
    bronze_lines = storage.read(spark, RAW_LINES, lake).filter(F.col("run_date") == F.lit(run_date))
    # Local checkpoints, not persist(): they cut the (large) connector plans out of every later query,
    # and a cached plan that reads a table is not recomputed each time that table is written.
    connected = classify_lines(bronze_lines, config)
    erased = governance.consent_table(spark, config).filter(F.col("state") == "erased")
    if erased.take(1):  # at most one row: later dumps naming an erased person are suppressed at ingest
        connected = with_erased_lines_skipped(connected, erased, privacy_key(config))
    connected = connected.localCheckpoint()

    stored_interactions = storage.read(spark, INTERACTIONS, lake)
    stored_posts = storage.read(spark, POSTS, lake)
    night_interactions = to_interactions(connected, run_date)
    night_posts = to_posts(connected, run_date)
    classified = with_unknown_deletes_skipped(
        connected,
        stored_interactions.select("interaction_id").unionByName(night_interactions.select("interaction_id")),
        stored_posts.select("network", "post_id").unionByName(night_posts.select("network", "post_id")),
    ).localCheckpoint()

    raw_counts = bronze_lines.groupBy("source", "file").agg(F.count(F.lit(1)).alias("raw_lines"))
    files = reconcile(raw_counts, summarize_classification(classified)).orderBy("source", "file").collect()  # one row per file
    record.reconciliation = [
        {
            "source": row.source,
            "file": row.file,
            "raw_lines": row.raw_lines,
            "conformed": row.conformed,
            "quarantined": row.quarantined,
            "skipped": dict(row.skipped),
            "quarantine_reasons": dict(row.quarantine_reasons),
            "reconciled": row.raw_lines == row.accounted_lines,
        }
        for row in files
    ]
    for name in ("raw_lines", "conformed", "quarantined"):
        counts[name] = sum(row[name] for row in files)
    counts["skipped"] = sum(sum(row.skipped.values()) for row in files)
    for row in files:
        for reason, lines in row.skipped.items():
            counts[f"skipped_{reason}"] = counts.get(f"skipped_{reason}", 0) + lines

    quarantine = to_quarantine(classified, record.run_id, run_date)
    storage.replace_where(quarantine, QUARANTINE, lake, date_predicate(run_date))

    deletes = to_deletes(classified.filter(F.col("status") == CONFORMED))
    deleted_posts = deletes.filter(F.col("removes_post_id").isNotNull()).select(
        "network", F.col("removes_post_id").alias("post_id")
    ).distinct()
    carried_by_deleted_posts = (
        stored_interactions.select("interaction_id", "network", "post_id")
        .unionByName(night_interactions.select("interaction_id", "network", "post_id"))
        .join(deleted_posts, on=["network", "post_id"], how="left_semi")
        .select("interaction_id")
    )
    deleted_interactions = (
        deletes.filter(F.col("removes_interaction_id").isNotNull())
        .select(F.col("removes_interaction_id").alias("interaction_id"))
        .unionByName(carried_by_deleted_posts)
        .distinct()
        .localCheckpoint()
    )

    posts = stored_posts.select("network", "post_id", "author").unionByName(night_posts.select("network", "post_id", "author"))
    # bios and display names are scrubbed of e-mails, phones and token links before they are stored
    profiles = to_account_profiles(classified).transform(with_scrubbed_profile_text)
    stored_accounts = storage.read(spark, ACCOUNTS, lake).select("network", "account_id", "handle", "profile_observed_at")
    handles = handle_directory(stored_accounts.unionByName(profiles.select(*stored_accounts.columns)))
    earlier_nights = stored_interactions.filter(F.col("run_date") != F.lit(run_date))
    new_interactions = (
        filter_new_interactions(night_interactions, earlier_nights.select("interaction_id").unionByName(deleted_interactions))
        .transform(with_resolved_targets, posts, handles)
        .localCheckpoint()
    )
    counts["new_interactions"] = new_interactions.count()
    counts["already_stored"] = night_interactions.count() - counts["new_interactions"]
    counts["pending_targets"] = new_interactions.filter(F.col("target").isNull()).count()
    night_posts = night_posts.localCheckpoint()
    accounts_update = to_accounts(new_interactions, profiles, run_date).localCheckpoint()

    latest_plausible = dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time()) + dt.timedelta(
        hours=config.validation.future_tolerance_hours
    )
    check(
        [
            validator.validate(
                spark.createDataFrame(
                    [{k: v for k, v in row.asDict().items() if k in ("source", "file", "raw_lines", "accounted_lines", "quarantined_fraction")} for row in files]
                ),
                reconciliation_suite.build_suite(),
                {"max_quarantine_fraction": config.validation.max_quarantine_fraction},
            ),
            validator.validate(
                new_interactions,
                interactions_suite.build_suite(),
                {"latest_plausible_time": latest_plausible.isoformat()},
            ),
            validator.validate(night_posts, posts_suite.build_suite(), {"latest_plausible_time": latest_plausible.isoformat()}),
            validator.validate(quarantine, quarantine_suite.build_suite()),
            validator.validate(accounts_update, accounts_suite.build_suite()),
        ],
        record,
        "silver",
    )
    storage.replace_where(new_interactions, INTERACTIONS, lake, date_predicate(run_date))
    counts["interactions_deleted"] = remove_deleted_interactions(spark, lake, deleted_interactions)
    merge_posts(spark, lake, night_posts, deleted_posts)
    merge_accounts(spark, lake, accounts_update)
    links = to_identity_links(classified, run_date)
    if links.take(1):  # at most one row
        merge_identity_links(spark, lake, links)
    counts["pending_resolved"] = resolve_pending_targets(spark, lake, handles)
    counts["erased_lines_removed"] = remove_erased_lines(spark, lake, classified, run_date)


def remove_erased_lines(spark: SparkSession, lake: Path, classified: DataFrame, run_date: dt.date) -> int:
    """Raw lines naming an erased person leave bronze too, and the files that held them are vacuumed."""
    erased_lines = classified.filter(F.col("reason") == SKIP_ERASED).select(
        F.lit(run_date).alias("run_date"), "source", "file", "line_number"
    )
    if not erased_lines.take(1):  # at most one row
        return 0
    storage.ensure_table(spark, RAW_LINES, lake).alias("b").merge(
        erased_lines.alias("e"), " AND ".join(f"b.{k} = e.{k}" for k in RAW_LINES.key)
    ).whenMatchedDelete().execute()
    removed = storage.last_commit_metrics(spark, RAW_LINES, lake).get("numTargetRowsDeleted", 0)
    governance.vacuum_everything(spark, RAW_LINES.path(lake))
    return removed


def apply_retention(spark: SparkSession, config: Config, run_date: dt.date, counts: dict) -> None:
    """Raw lines (bronze, quarantine) of run dates before the horizon are deleted, then vacuumed now."""
    days = config.bronze_retention_days
    if not days:
        counts["horizon_days"] = 0
        return
    oldest_kept = run_date - dt.timedelta(days=days)
    counts["horizon_days"] = days
    for table in (RAW_LINES, QUARANTINE):
        if not storage.exists(spark, table, config.lake_path):
            continue
        expired = storage.read(spark, table, config.lake_path).filter(F.col("run_date") < F.lit(oldest_kept))
        if not expired.take(1):  # at most one row
            counts[f"{table.name}_expired"] = 0
            continue
        storage.ensure_table(spark, table, config.lake_path).delete(F.col("run_date") < F.lit(oldest_kept))
        counts[f"{table.name}_expired"] = storage.last_commit_metrics(spark, table, config.lake_path).get("numDeletedRows", 0)
        governance.vacuum_everything(spark, table.path(config.lake_path))


def score_graph(spark: SparkSession, config: Config, run_date: dt.date, record: RunRecord) -> None:
    """Graph of the window's interactions, TrustRank, PageRank, scores, explanations, topics -> staging."""
    lake = config.lake_path
    history = storage.read(spark, INFLUENCE_SCORES, lake) if storage.exists(spark, INFLUENCE_SCORES, lake) else None
    interactions, posts = storage.read(spark, INTERACTIONS, lake), storage.read(spark, POSTS, lake)
    links = storage.read(spark, IDENTITY_LINKS, lake)
    with record.stage("consent") as counts:
        consent = governance.consent_table(spark, config)
        counts["suppressed_accounts"] = 0
        if consent.take(1):  # at most one row
            # Opted out, erased or minor: not a vertex, not an engager, not an author of moments or topics.
            account_keys = to_account_keys(storage.read(spark, ACCOUNTS, lake), links, privacy_key(config))
            suppressed = to_suppressed_accounts(account_keys, consent, SUPPRESSING_STATES).localCheckpoint()
            counts["suppressed_accounts"] = suppressed.count()
            interactions = without_suppressed_interactions(interactions, suppressed)
            posts = without_suppressed_posts(posts, suppressed)
    scored = score_night(
        spark, config, run_date,
        interactions=interactions,
        links=links,
        posts=posts,
        history=history,
        stage=record.stage,
    )
    with record.stage("scores") as counts:
        storage.ensure_table(spark, STAGED_SCORES, lake)
        storage.overwrite(scored.scores, STAGED_SCORES, lake)
        counts["staged"] = storage.last_commit_metrics(spark, STAGED_SCORES, lake).get("numOutputRows", 0)
    scored.release()


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
    # People suppressed since the last publish (opt-out, erasure, minor) leave on purpose: compare without them.
    expected = profiles_suite.with_suppression_flag(
        published, governance.consent_table(spark, config), privacy_key(config)
    ).filter(~F.col("suppressed"))
    comparison = to_run_over_run(staged, expected)
    return [validator.validate(comparison, run_over_run_suite.build_suite(), parameters)], None


def publish(spark: SparkSession, config: Config, run_date: dt.date, counts: dict) -> NightlyOutcome:
    """Score history for the date, then the profiles table in one MERGE (inserts, changes, removals)."""
    lake = config.lake_path
    staged = storage.read(spark, STAGED_SCORES, lake).filter(F.col("run_date") == F.lit(run_date))
    storage.ensure_table(spark, INFLUENCE_SCORES, lake)
    storage.replace_where(staged, INFLUENCE_SCORES, lake, date_predicate(run_date))

    profiles = storage.ensure_table(spark, PROFILES, lake)
    published_date = storage.read(spark, PROFILES, lake).agg(F.max("as_of_date")).first()[0]
    if published_date is not None and published_date > run_date:
        message = f"profiles keep the newer date {published_date}; scores for {run_date} were added to the history"
        log.warning("publish: %s", message)
        return NightlyOutcome(False, 0, None, message)

    candidate = to_profiles(staged, privacy_key(config))
    value_columns = [name for name in PROFILES.columns if name not in PROFILES.key]
    # maps are not comparable in SQL; their JSON is (entries are kept sorted, see with_explanation)
    comparable = {f.name for f in PROFILES.schema.fields if "map<" not in f.dataType.simpleString()}
    unchanged = " AND ".join(
        f"p.{name} <=> c.{name}" if name in comparable else f"to_json(p.{name}) <=> to_json(c.{name})"
        for name in value_columns
    )
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
    requests: list[Request] | tuple[Request, ...] = (),
) -> NightlyOutcome:
    """`validator` (default: one writing Data Docs under the lake) keeps the night's results and pages;
    `requests`: the governance requests landed with the night (influence.governance), applied first."""
    lake = config.lake_path
    validator = validator if validator is not None else Validator(lake, run_name=record.run_id)
    with record.stage("governance") as counts:
        for request in requests:
            apply_request(spark, config, request, counts)
    with record.stage("bronze") as counts:
        ingest_bronze(spark, lake, landed, record.run_id, run_date, counts)
        night_lines = storage.read(spark, RAW_LINES, lake).filter(F.col("run_date") == F.lit(run_date))
        check([validator.validate(night_lines, bronze_suite.build_suite())], record, "bronze")
    with record.stage("retention") as counts:
        apply_retention(spark, config, run_date, counts)
    with record.stage("silver") as counts:
        build_silver(spark, config, run_date, record, validator, counts)
        log.info(
            "silver: %d lines = %d conformed + %d quarantined + %d skipped; %d new interactions",
            counts["raw_lines"], counts["conformed"], counts["quarantined"],
            counts["skipped"], counts["new_interactions"],
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
            [
                *compared,
                validator.validate(
                    scores_suite.with_checked_columns(staged),
                    scores_suite.build_suite(),
                    {
                        "run_dates": [run_date.isoformat()],
                        "model_versions": [config.model.version],
                        "config_hashes": [config_hash(config)],
                    },
                ),
                validator.validate(
                    profiles_suite.with_suppression_flag(
                        to_profiles(staged, privacy_key(config)), storage.read(spark, CONSENT, lake) if storage.exists(spark, CONSENT, lake)
                        else spark.createDataFrame([], CONSENT.schema), privacy_key(config),
                    ),
                    profiles_suite.build_suite(),
                    {"as_of_dates": [run_date.isoformat()]},
                ),
            ],
            record,
            "gold",
        )
        counts["suites_passed"] = len(record.validation)
    with record.stage("publish") as counts:
        outcome = publish(spark, config, run_date, counts)
    if skipped:
        outcome = dataclasses.replace(outcome, message=f"{outcome.message}; run-over-run checks skipped: {skipped}")
    return outcome

