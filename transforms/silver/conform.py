"""Classified lines (transforms.connectors.records) -> the conformed silver tables: one record per key.

Every connector fills the same record arrays; this module is the only one that turns them into
interactions, posts, accounts, identity links and deletes, so a new source needs no change here.
"""

import datetime as dt

from pyspark.sql import Column, DataFrame, Window, functions as F

from influence.tables import ACCOUNTS, IDENTITY_LINKS, INTERACTIONS, POSTS
from transforms.connectors.lines import CONFORMED, QUARANTINED, SKIPPED
from transforms.connectors.records import ACCOUNT_RECORD, POST_RECORD

SKIP_UNKNOWN_DELETE = "delete_of_unknown_record"
_PROFILE_FIELDS = ("handle", "display_name", "bio", "lang", "followers_count")


def explode_records(classified: DataFrame, name: str) -> DataFrame:
    """The `name` records (accounts, posts, ...) of conformed lines, one row each, with the line they came from."""
    return classified.filter(F.col("status") == CONFORMED).select("source", "file", "line_number", F.inline(F.col(name)))


def _first_per_key(records: DataFrame, key: list[str], newest_first: Column | None = None) -> DataFrame:
    """One row per key: the newest by `newest_first` when given, then the earliest line."""
    order = [*([newest_first] if newest_first is not None else []), F.col("source"), F.col("file"), F.col("line_number")]
    window = Window.partitionBy(*key).orderBy(*order)
    return records.withColumn("_rank", F.row_number().over(window)).filter(F.col("_rank") == 1).drop("_rank")


def _interaction_records(classified: DataFrame) -> DataFrame:
    """The interaction records of conformed lines with their interaction_id (sha256 of the natural key)."""
    return (
        explode_records(classified, "interactions")
        .filter(
            F.col("natural_key").isNotNull()
        )  # connectors always key their events (tests/unit/connectors/test_connectors_fuzz.py)
        .withColumn("interaction_id", F.sha2(F.col("natural_key"), 256))
    )


def _post_records(classified: DataFrame) -> DataFrame:
    return explode_records(classified, "posts").filter(F.col("post_id").isNotNull())


def interaction_ids(classified: DataFrame) -> DataFrame:
    """interaction_id of every interaction record of the conformed lines, repeats kept: the ids to_interactions
    keeps, for a lookup that needs no choice of one row per id."""
    return _interaction_records(classified).select("interaction_id")


def post_keys(classified: DataFrame) -> DataFrame:
    """(network, post_id) of every post record of the conformed lines, repeats kept: the keys to_posts keeps."""
    return _post_records(classified).select("network", "post_id")


def to_interactions(classified: DataFrame, run_date: dt.date | None) -> DataFrame:
    """One row per distinct interaction (interaction_id = sha256 of its natural key), in the silver schema."""
    return _first_per_key(_interaction_records(classified), ["interaction_id"]).select(
        *[F.col(name) for name in INTERACTIONS.columns if name != "run_date"],
        F.lit(run_date).cast("date").alias("run_date"),
    )


def to_posts(classified: DataFrame, run_date: dt.date) -> DataFrame:
    """One row per (network, post_id): the newest observation of the night."""
    newest = _first_per_key(_post_records(classified), ["network", "post_id"], F.col("observed_at").desc_nulls_last())
    return newest.select(
        *[F.col(f.name) for f in POST_RECORD.fields],
        "source",
        "file",
        "line_number",
        F.lit(run_date).alias("first_run_date"),
        F.lit(run_date).alias("last_run_date"),
    ).select(*POSTS.columns)


def to_account_profiles(classified: DataFrame) -> DataFrame:
    """Each account's profile from the night's account records, field by field: the value of the newest
    record that has one (one record may give the display name, another only the handle). Newest is by
    observed_at; untimed records come last, and among equals the earliest line wins."""
    records = explode_records(classified, "accounts").filter(F.col("account_id").isNotNull())
    newest_first = Window.partitionBy("network", "account_id").orderBy(
        F.col("observed_at").desc_nulls_last(), "source", "file", "line_number"
    )
    ranked = records.withColumn("_rank", F.row_number().over(newest_first))
    return ranked.groupBy("network", "account_id").agg(
        # min_by ignores rows whose ordering is null, i.e. records without this field
        *[F.min_by(F.col(name), F.when(F.col(name).isNotNull(), F.col("_rank"))).alias(name) for name in _PROFILE_FIELDS],
        F.max("observed_at").alias("profile_observed_at"),
    )


def to_identity_links(classified: DataFrame, run_date: dt.date) -> DataFrame:
    """One link per account: the last line of the night wins."""
    records = explode_records(classified, "links")
    latest = Window.partitionBy("network", "account_id").orderBy(
        F.col("source").desc(), F.col("file").desc(), F.col("line_number").desc()
    )
    return (
        records.withColumn("_rank", F.row_number().over(latest))
        .filter(F.col("_rank") == 1)
        .select(*[name for name in IDENTITY_LINKS.columns if name != "run_date"], F.lit(run_date).alias("run_date"))
    )


def to_deletes(classified: DataFrame) -> DataFrame:
    """Delete requests of the night: (network, record_type, natural_key) and the key they remove.

    `removes_interaction_id` is the id of the interaction deleted; `removes_post_id` the post deleted.
    """
    records = explode_records(classified, "deletes")
    is_interaction = F.col("record_type") == "interaction"
    return records.select(
        "source",
        "file",
        "line_number",
        "network",
        "record_type",
        "natural_key",
        F.when(is_interaction, F.sha2(F.col("natural_key"), 256)).alias("removes_interaction_id"),
        F.when(~is_interaction, F.col("natural_key")).alias("removes_post_id"),
    )


def carries_deletes() -> Column:
    """A conformed line with at least one delete record."""
    return F.coalesce((F.col("status") == CONFORMED) & (F.size("deletes") > 0), F.lit(False))


def with_unknown_deletes_skipped(classified: DataFrame, known_interactions: DataFrame, known_posts: DataFrame) -> DataFrame:
    """A conformed line whose every delete names a record the lake never saw is skipped
    (delete_of_unknown_record): nothing to remove, and nothing lost either.

    known_interactions: interaction_id; known_posts: network, post_id (stored ones and the night's; repeats and
    nulls allowed). Only the lines that carry deletes (a few a night) are looked up and joined back; the others
    pass through untouched, so the night's lines are never shuffled for it.
    """
    with_deletes = classified.filter(carries_deletes())
    deletes = to_deletes(with_deletes)
    found_interaction = deletes.join(
        known_interactions.select(F.col("interaction_id").alias("removes_interaction_id")),
        on="removes_interaction_id",
        how="left_semi",
    )
    found_post = deletes.join(
        known_posts.select("network", F.col("post_id").alias("removes_post_id")),
        on=["network", "removes_post_id"],
        how="left_semi",
    )
    lines_with_a_known_target = (
        found_interaction.unionByName(found_post)
        .select("source", "file", "line_number", F.lit(True).alias("_deletes_known"))
        .distinct()
    )
    is_unknown = F.col("_deletes_known").isNull() & (
        F.size("interactions") + F.size("posts") + F.size("accounts") + F.size("links") == 0
    )
    marked = (
        with_deletes.join(lines_with_a_known_target, on=["source", "file", "line_number"], how="left")
        .withColumns(
            {
                "status": F.when(is_unknown, F.lit(SKIPPED)).otherwise(F.col("status")),
                "reason": F.when(is_unknown, F.lit(SKIP_UNKNOWN_DELETE)).otherwise(F.col("reason")),
            }
        )
        .select(*classified.columns)
    )
    return classified.filter(~carries_deletes()).unionByName(marked)


def handle_directory(accounts: DataFrame) -> DataFrame:
    """(network, handle_key '@<handle lower case>', account_id): the newest account holding each handle."""
    holders = accounts.filter(F.col("handle").isNotNull() & ~F.col("account_id").startswith("@")).select(
        "network",
        F.concat(F.lit("@"), F.lower(F.regexp_replace(F.col("handle"), "^@+", ""))).alias("handle_key"),
        "account_id",
        "profile_observed_at",
    )
    newest = Window.partitionBy("network", "handle_key").orderBy(F.col("profile_observed_at").desc_nulls_last(), "account_id")
    return (
        holders.withColumn("_rank", F.row_number().over(newest)).filter(F.col("_rank") == 1).drop("_rank", "profile_observed_at")
    )


def with_resolved_targets(interactions: DataFrame, posts: DataFrame, handles: DataFrame) -> DataFrame:
    """Fill what connectors could not know from one line:
    - a null target whose target_post_id is a known post: the post's author;
    - an '@handle' actor or target whose account the lake knows (see handle_directory): its account_id.
    posts: network, post_id, author. handles: handle_directory(...).

    Only the rows with something to fill are joined (a few of a night's, as most connectors know both ends);
    the others pass through untouched, so a night's interactions are not shuffled three times for them.
    """
    unresolved = F.coalesce(
        F.col("target").isNull() | F.col("actor").startswith("@") | F.col("target").startswith("@"), F.lit(False)
    )
    # stored and night posts together may name a post twice: one author per post, so no row multiplies
    authors = (
        posts.filter(F.col("author").isNotNull())
        .groupBy("network", F.col("post_id").alias("target_post_id"))
        .agg(F.max("author").alias("_author"))
    )
    resolved = (
        interactions.filter(unresolved)
        .join(authors, on=["network", "target_post_id"], how="left")
        .withColumn("target", F.coalesce(F.col("target"), F.col("_author")))
    )
    for side in ("actor", "target"):
        lookup = handles.select("network", F.col("handle_key").alias(side), F.col("account_id").alias(f"_{side}_id"))
        resolved = resolved.join(lookup, on=["network", side], how="left").withColumn(
            side, F.coalesce(F.col(f"_{side}_id"), F.col(side))
        )
    return interactions.filter(~unresolved).unionByName(resolved.select(*interactions.columns))


def filter_new_interactions(interactions: DataFrame, known_ids: DataFrame) -> DataFrame:
    """Drop interactions already stored under another run date (the same event in two nights' dumps)."""
    return interactions.join(known_ids.select("interaction_id"), on="interaction_id", how="left_anti")


def to_accounts(interactions: DataFrame, profiles: DataFrame | None = None, run_date: dt.date | None = None) -> DataFrame:
    """Every account seen as actor or target, with the span of its events and of its run dates, and
    its newest profile when the night's dumps described it (accounts with a profile but no interaction
    included: they get `run_date`).
    """
    sides = [
        interactions.filter(F.col(side).isNotNull()).select("network", F.col(side).alias("account_id"), "occurred_at", "run_date")
        for side in ("actor", "target")
    ]
    seen = (
        sides[0]
        .unionByName(sides[1])
        .groupBy("network", "account_id")
        .agg(
            F.min("occurred_at").alias("first_seen_at"),
            F.max("occurred_at").alias("last_seen_at"),
            F.min("run_date").alias("first_run_date"),
            F.max("run_date").alias("last_run_date"),
        )
    )
    if profiles is None:
        profiles = seen.select(
            "network",
            "account_id",
            *[F.lit(None).cast(ACCOUNT_RECORD[name].dataType).alias(name) for name in _PROFILE_FIELDS],
            F.lit(None).cast("timestamp").alias("profile_observed_at"),
        ).limit(0)
    described = profiles.withColumn("_run_date", F.lit(run_date).cast("date"))
    joined = seen.join(described, on=["network", "account_id"], how="full")
    return joined.select(
        "network",
        "account_id",
        *_PROFILE_FIELDS,
        "profile_observed_at",
        F.coalesce("first_seen_at", "profile_observed_at").alias("first_seen_at"),
        F.coalesce("last_seen_at", "profile_observed_at").alias("last_seen_at"),
        F.coalesce("first_run_date", "_run_date").alias("first_run_date"),
        F.coalesce("last_run_date", "_run_date").alias("last_run_date"),
    ).select(*ACCOUNTS.columns)


def to_quarantine(parsed: DataFrame, run_id: str, run_date: dt.date) -> DataFrame:
    """Malformed lines with their reason, for the quarantine table."""
    return parsed.filter(F.col("status") == QUARANTINED).select(
        "source",
        "file",
        "line_number",
        "line",
        "reason",
        F.lit(run_id).alias("run_id"),
        F.lit(run_date).alias("run_date"),
    )


def landed_since(frame: DataFrame, oldest_kept: dt.date | None) -> DataFrame:
    """The rows of run dates from oldest_kept on (None: all). On a table partitioned by run_date, a partition
    filter: older files are not read."""
    return frame if oldest_kept is None else frame.filter(F.col("run_date") >= F.lit(oldest_kept))
