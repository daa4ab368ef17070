"""Silver: the night's bronze lines through their connectors -> interactions, posts, accounts, identity
links and quarantine, merged by key; deletes applied and pending reply targets resolved.

Everything is checked by the silver suites (reconciliation, interactions, posts, quarantine, accounts)
before the first silver table is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from pyspark.sql import DataFrame, functions as F

from expectations import (
    accounts as accounts_suite,
    posts as posts_suite,
    quarantine as quarantine_suite,
    reconciliation as reconciliation_suite,
    silver_interactions as interactions_suite,
)
from expectations.runner import Validator
from influence.config import Config
from influence.governance import ConsentSnapshot, privacy_key
from influence.storage import Lake, vacuum_now
from influence.tables import ACCOUNTS, ERASED, IDENTITY_LINKS, INTERACTIONS, POSTS, QUARANTINE, RAW_LINES
from stages.bronze import date_predicate
from stages.checks import require_passed
from stages.result import StageResult
from stages.retention import landed_since_condition, silver_horizon
from transforms.connectors.lines import QUARANTINED, reconcile, summarize_classification, with_duplicates_skipped
from transforms.connectors.records import with_long_lines_quarantined
from transforms.connectors.registry import CONNECTORS, line_network
from transforms.pii import with_scrubbed_profile_text
from transforms.privacy import SKIP_ERASED, with_erased_lines_skipped
from transforms.silver.conform import (
    carries_deletes,
    filter_new_interactions,
    handle_directory,
    interaction_ids,
    landed_since,
    post_keys,
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
# One row per landed file for the reconciliation suite (a night of empty files has none).
RECONCILED_SCHEMA = "source string, file string, raw_lines long, accounted_lines long, quarantined_fraction double"


@dataclass(frozen=True, kw_only=True)
class SilverResult(StageResult):
    raw_lines: int
    conformed: int
    quarantined: int
    skipped: int
    new_interactions: int
    already_stored: int
    pending_targets: int
    pending_resolved: int
    interactions_deleted: int
    erased_lines_removed: int
    shuffle_partitions: int  # the night's, sized to what landed (influence.session.shuffles_sized)
    reconciliation: tuple[dict, ...]  # one entry per landed file (the run log's `reconciliation`)


def classify_lines(bronze_lines: DataFrame, config: Config) -> DataFrame:
    """Every bronze line of the night through its source's connector, duplicates marked. A line over
    landing.max_line_bytes is quarantined as line_too_long without being parsed."""
    sources = [row.source for row in bronze_lines.select("source").distinct().collect()]  # a few names
    unknown = sorted(set(sources) - set(CONNECTORS))
    if unknown:
        raise ValueError(f"bronze holds lines of source(s) with no connector: {unknown}")
    options = config.connector_options
    cap = config.landing.max_line_bytes
    fits = F.octet_length("line") <= F.lit(cap)
    parts = [CONNECTORS[source](bronze_lines.filter((F.col("source") == source) & fits), options) for source in sorted(sources)]
    classified = with_long_lines_quarantined(bronze_lines.filter(~fits), cap)
    for part in parts:
        classified = classified.unionByName(part)
    # Once parsed, a raw line is needed only when quarantined (the quarantine stores it, and erasure reads the
    # tokens of unread lines); bronze keeps every line. Dropping the others keeps the night's shuffles and
    # checkpoints to the records.
    kept_line = F.when(F.col("status") == QUARANTINED, F.col("line"))
    return with_duplicates_skipped(classified.withColumn("line", kept_line))


def deleted_records(
    classified: DataFrame, stored_interactions: DataFrame, night_interactions: DataFrame
) -> tuple[DataFrame, DataFrame]:
    """What the night's deletes remove: (network, post_id) of posts, and the interaction_id of interactions,
    named by a delete or carried by a deleted post (stored or the night's)."""
    deletes = to_deletes(classified.filter(carries_deletes()))
    deleted_posts = (
        deletes.filter(F.col("removes_post_id").isNotNull())
        .select("network", F.col("removes_post_id").alias("post_id"))
        .distinct()
    )
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
    return deleted_posts, deleted_interactions


def merge_accounts(lake: Lake, accounts_update: DataFrame) -> None:
    """Profile fields from the newest observation; seen-at and run-date spans widened."""
    is_newer_profile = (
        "u.profile_observed_at IS NOT NULL AND (a.profile_observed_at IS NULL OR u.profile_observed_at >= a.profile_observed_at)"
    )
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
        lake.table(ACCOUNTS)
        .alias("a")
        .merge(accounts_update.alias("u"), "a.network = u.network AND a.account_id = u.account_id")
        .whenMatchedUpdate(set=widen)
        .whenNotMatchedInsertAll()
        .execute()
    )


def merge_posts(lake: Lake, posts_update: DataFrame, deleted: DataFrame) -> None:
    """Posts by key: a newer observation refreshes text and counts; deleted posts are removed."""
    is_newer = "u.observed_at IS NULL OR p.observed_at IS NULL OR u.observed_at >= p.observed_at"
    refreshed = {
        name: f"CASE WHEN {is_newer} THEN coalesce(u.{name}, p.{name}) ELSE coalesce(p.{name}, u.{name}) END"
        for name in POSTS.columns
        if name not in (*POSTS.key, "source", "file", "line_number", "first_run_date", "last_run_date")
    }
    refreshed["first_run_date"] = "least(p.first_run_date, u.first_run_date)"
    refreshed["last_run_date"] = "greatest(p.last_run_date, u.last_run_date)"
    update = posts_update.join(deleted, on=["network", "post_id"], how="left_anti")
    if not update.isEmpty():  # a SNAP night has no posts, and no MERGE then
        (
            lake.table(POSTS)
            .alias("p")
            .merge(update.alias("u"), "p.network = u.network AND p.post_id = u.post_id")
            .whenMatchedUpdate(set=refreshed)
            .whenNotMatchedInsertAll()
            .execute()
        )
    if not deleted.isEmpty():
        lake.table(POSTS).alias("p").merge(
            deleted.alias("d"), "p.network = d.network AND p.post_id = d.post_id"
        ).whenMatchedDelete().execute()


def merge_identity_links(lake: Lake, links: DataFrame) -> None:
    (
        lake.table(IDENTITY_LINKS)
        .alias("l")
        .merge(links.alias("u"), "l.network = u.network AND l.account_id = u.account_id")
        .whenMatchedUpdateAll()
        .whenNotMatchedInsertAll()
        .execute()
    )


def remove_deleted_interactions(lake: Lake, deleted: DataFrame, oldest_kept: dt.date | None) -> int:
    """Remove stored interactions a delete event named (by id, or carried by a deleted post)."""
    if deleted.isEmpty():
        return 0
    lake.table(INTERACTIONS).alias("i").merge(
        deleted.alias("d"), "i.interaction_id = d.interaction_id" + landed_since_condition("i", oldest_kept)
    ).whenMatchedDelete().execute()
    return lake.last_commit_metrics(INTERACTIONS).get("numTargetRowsDeleted", 0)


def resolve_pending_targets(lake: Lake, handles: DataFrame, oldest_kept: dt.date | None) -> int:
    """Stored interactions (of run dates from oldest_kept on) whose target was unknown (a reply to an unseen
    post) or known only by its handle get it now if the lake has learnt it since; returns how many were resolved."""
    stored = landed_since(lake.read(INTERACTIONS), oldest_kept)
    pending = stored.filter(F.col("target").isNull() | F.col("target").startswith("@") | F.col("actor").startswith("@"))
    resolved = (
        with_resolved_targets(pending, lake.read(POSTS), handles)
        .alias("r")
        .join(
            pending.select("interaction_id", F.col("actor").alias("_old_actor"), F.col("target").alias("_old_target")),
            on="interaction_id",
            how="inner",
        )
        .filter(~F.col("actor").eqNullSafe(F.col("_old_actor")) | ~F.col("target").eqNullSafe(F.col("_old_target")))
    )
    if resolved.isEmpty():
        return 0
    (
        lake.table(INTERACTIONS)
        .alias("i")
        .merge(resolved.alias("r"), "i.interaction_id = r.interaction_id" + landed_since_condition("i", oldest_kept))
        .whenMatchedUpdate(set={"actor": "r.actor", "target": "r.target"})
        .execute()
    )
    return lake.last_commit_metrics(INTERACTIONS).get("numTargetRowsUpdated", 0)


def remove_erased_lines(lake: Lake, classified: DataFrame, run_date: dt.date) -> int:
    """Raw lines naming an erased person leave bronze too, and the files that held them are vacuumed."""
    erased_lines = classified.filter(F.col("reason") == SKIP_ERASED).select(
        F.lit(run_date).alias("run_date"), "source", "file", "line_number"
    )
    if erased_lines.isEmpty():
        return 0
    lake.table(RAW_LINES).alias("b").merge(
        erased_lines.alias("e"), " AND ".join(f"b.{k} = e.{k}" for k in RAW_LINES.key)
    ).whenMatchedDelete().execute()
    removed = lake.last_commit_metrics(RAW_LINES).get("numTargetRowsDeleted", 0)
    vacuum_now(lake.spark, lake.path(RAW_LINES))
    return removed


def reconciliation_entries(files: list) -> tuple[dict, ...]:
    return tuple(
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
    )


def build(
    lake: Lake,
    config: Config,
    consent: ConsentSnapshot,
    run_date: dt.date,
    run_id: str,
    bronze_lines: DataFrame,
    validator: Validator,
    shuffle_partitions: int,
) -> SilverResult:
    """`shuffle_partitions`: the night's (influence.session.shuffles_sized), reported in the stage's counts."""
    spark = lake.spark
    # Local checkpoints, not persist(): they cut the (large) connector plans out of every later query,
    # and a cached plan that reads a table is not recomputed each time that table is written.
    connected = classify_lines(bronze_lines, config)
    lake_holds_erasures = consent.holds_any([ERASED])
    if lake_holds_erasures:  # later dumps naming an erased person are suppressed at ingest
        erased = consent.frame.filter(F.col("state") == ERASED)
        options = config.connector_options
        connected = with_erased_lines_skipped(connected, erased, privacy_key(config), line_network(options))
    connected = connected.localCheckpoint()

    # deduplication, deletes and pending replies look back to the silver horizon only: older rows are expired
    oldest_kept = silver_horizon(config, run_date)
    stored_interactions = landed_since(lake.read(INTERACTIONS), oldest_kept)
    stored_posts = lake.read(POSTS)
    # one row per interaction id, a window over all of the night's: computed once for the new ones, the count and deletes
    night_interactions = to_interactions(connected, run_date).localCheckpoint()
    night_posts = to_posts(connected, run_date)
    # Most nights carry no delete request, and then nothing is looked up for one: at 10M interactions the
    # lookups cost minutes even when they found nothing.
    night_has_deletes = not connected.filter(carries_deletes()).isEmpty()
    classified = connected
    if night_has_deletes:
        classified = with_unknown_deletes_skipped(
            connected,
            stored_interactions.select("interaction_id").unionByName(interaction_ids(connected)),
            stored_posts.select("network", "post_id").unionByName(post_keys(connected)),
        ).localCheckpoint()

    raw_counts = bronze_lines.groupBy("source", "file").agg(F.count(F.lit(1)).alias("raw_lines"))
    files = reconcile(raw_counts, summarize_classification(classified)).orderBy("source", "file").collect()  # one row per file
    skipped_by_reason: dict[str, int] = {}
    for row in files:
        for reason, lines in row.skipped.items():
            skipped_by_reason[f"skipped_{reason}"] = skipped_by_reason.get(f"skipped_{reason}", 0) + lines

    quarantine = to_quarantine(classified, run_id, run_date)
    # malformed lines are kept with their reason even when a silver suite then fails the night
    lake.replace_where(quarantine, QUARANTINE, date_predicate(run_date))
    if night_has_deletes:
        deleted_posts, deleted_interactions = deleted_records(classified, stored_interactions, night_interactions)
    else:
        deleted_posts = spark.createDataFrame([], "network string, post_id string")
        deleted_interactions = spark.createDataFrame([], "interaction_id string")

    posts = stored_posts.select("network", "post_id", "author").unionByName(night_posts.select("network", "post_id", "author"))
    # bios and display names are scrubbed of e-mails, phones and token links before they are stored
    profiles = to_account_profiles(classified).transform(with_scrubbed_profile_text)
    stored_accounts = lake.read(ACCOUNTS).select("network", "account_id", "handle", "profile_observed_at")
    handles = handle_directory(stored_accounts.unionByName(profiles.select(*stored_accounts.columns)))
    earlier_nights = stored_interactions.filter(F.col("run_date") != F.lit(run_date))
    new_interactions = (
        filter_new_interactions(night_interactions, earlier_nights.select("interaction_id").unionByName(deleted_interactions))
        .transform(with_resolved_targets, posts, handles)
        .localCheckpoint()
    )
    new_count, pending_count = new_interactions.agg(F.count(F.lit(1)), F.count_if(F.col("target").isNull())).first()  # one row
    night_count = night_interactions.count()
    night_posts = night_posts.localCheckpoint()
    accounts_update = to_accounts(new_interactions, profiles, run_date).localCheckpoint()

    latest_plausible = (
        dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time())
        + dt.timedelta(hours=config.validation.future_tolerance_hours)
    ).isoformat()
    reconciled = [
        {k: v for k, v in row.asDict().items() if k in ("source", "file", "raw_lines", "accounted_lines", "quarantined_fraction")}
        for row in files
    ]
    # Lines naming an erased person leave bronze whatever the checks say: a night held back must not keep them.
    # Only a lake that holds an erasure skips lines as erased (above), so only then is there anything to find.
    erased_lines_removed = remove_erased_lines(lake, classified, run_date) if lake_holds_erasures else 0
    require_passed(
        [
            validator.validate(
                spark.createDataFrame(reconciled, RECONCILED_SCHEMA),
                reconciliation_suite.build_suite(),
                {"max_quarantine_fraction": config.validation.max_quarantine_fraction},
            ),
            validator.validate(new_interactions, interactions_suite.build_suite(), {"latest_plausible_time": latest_plausible}),
            validator.validate(night_posts, posts_suite.build_suite(), {"latest_plausible_time": latest_plausible}),
            validator.validate(quarantine, quarantine_suite.build_suite()),
            validator.validate(accounts_update, accounts_suite.build_suite()),
        ],
        "silver",
    )
    lake.replace_where(new_interactions, INTERACTIONS, date_predicate(run_date))
    interactions_deleted = remove_deleted_interactions(lake, deleted_interactions, oldest_kept)
    merge_posts(lake, night_posts, deleted_posts)
    merge_accounts(lake, accounts_update)
    links = to_identity_links(classified, run_date)
    if not links.isEmpty():
        merge_identity_links(lake, links)
    result = SilverResult(
        raw_lines=sum(row.raw_lines for row in files),
        conformed=sum(row.conformed for row in files),
        quarantined=sum(row.quarantined for row in files),
        skipped=sum(sum(row.skipped.values()) for row in files),
        new_interactions=new_count,
        already_stored=night_count - new_count,
        pending_targets=pending_count,
        pending_resolved=resolve_pending_targets(lake, handles, oldest_kept),
        interactions_deleted=interactions_deleted,
        erased_lines_removed=erased_lines_removed,
        shuffle_partitions=shuffle_partitions,
        reconciliation=reconciliation_entries(files),
        extra=skipped_by_reason,
    )
    log.info(
        "silver: %d lines = %d conformed + %d quarantined + %d skipped; %d new interactions",
        result.raw_lines,
        result.conformed,
        result.quarantined,
        result.skipped,
        result.new_interactions,
    )
    return result
