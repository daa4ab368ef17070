"""Published profiles -> the enrichment feed: a snapshot of the contract's columns, or net changes per key."""

from collections.abc import Sequence

from pyspark.sql import DataFrame, Window, functions as F

CHANGE_TYPES = ("insert", "update", "delete")
# A resync (the change history since the consumer's version was purged by an erasure): every current profile
# is an upsert, every person erased since is a delete naming only their profile_key.
RESYNC_CHANGE_TYPES = ("upsert", "delete")
# Delta Change Data Feed metadata columns (readChangeFeed).
_CHANGE, _VERSION = "_change_type", "_commit_version"


def to_feed_snapshot(profiles: DataFrame, columns: Sequence[str]) -> DataFrame:
    """Every profile, with exactly the published columns, in contract order."""
    return profiles.select(*columns)


def to_feed_changes(
    change_feed: DataFrame, columns: Sequence[str], key: Sequence[str], kept_on_delete: Sequence[str] = ()
) -> DataFrame:
    """Delta change-feed rows -> one net change per key over the whole range, with `change_type`.

    A key's changes are taken in commit order (within one commit a delete before an insert, as when a
    RESTORE or an overwrite rewrites a file). The key existed before the range unless its first change
    is an insert, and exists after it unless its last change is a delete:
      absent -> present: insert;  present -> present: update;  present -> absent: delete (the key only,
      other columns null);  absent -> absent (inserted, then deleted within the range): no row.
    Present rows carry the values of their last change (a post-image); update pre-images are dropped.
    """
    changes = change_feed.filter(F.col(_CHANGE) != "update_preimage")
    in_commit = F.when(F.col(_CHANGE) == "delete", F.lit(0)).otherwise(F.lit(1))
    ordered = Window.partitionBy(*key).orderBy(F.col(_VERSION), in_commit)
    whole = ordered.rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)
    per_key = changes.select(
        *columns,
        F.col(_CHANGE),
        (F.first(_CHANGE).over(whole) != F.lit("insert")).alias("existed_before"),
        F.lead(F.col(_VERSION)).over(ordered).isNull().alias("is_last"),
    )
    exists_after = F.col(_CHANGE) != F.lit("delete")
    change_type = (
        F.when(F.col("existed_before") & exists_after, F.lit("update"))
        .when(exists_after, F.lit("insert"))
        .when(F.col("existed_before"), F.lit("delete"))
    )
    return (
        per_key.filter(F.col("is_last"))
        .select(
            *[
                F.col(name) if name in key or name in kept_on_delete else F.when(exists_after, F.col(name)).alias(name)
                for name in columns
            ],
            change_type.alias("change_type"),
        )
        .filter(F.col("change_type").isNotNull())
    )


def to_feed_resync(profiles: DataFrame, erased_profile_keys: DataFrame, columns: Sequence[str]) -> DataFrame:
    """Every current profile as an `upsert`, then a `delete` per erased profile_key (its other columns null).

    A key still (or again) published is not deleted: the current row wins.
    """
    upserts = profiles.select(*columns, F.lit("upsert").alias("change_type"))
    erased = (
        erased_profile_keys.select("profile_key")
        .distinct()
        .join(profiles.select("profile_key"), on="profile_key", how="left_anti")
    )
    deletes = erased.select(
        *[
            F.col(name) if name == "profile_key" else F.lit(None).cast(profiles.schema[name].dataType).alias(name)
            for name in columns
        ],
        F.lit("delete").alias("change_type"),
    )
    return upserts.unionByName(deletes)
