"""Classified lines -> the conformed silver tables."""

import datetime as dt

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from influence.tables import ACCOUNTS, INTERACTIONS
from transforms.lines import CONFORMED, QUARANTINED


def to_interactions(parsed: DataFrame, run_date: dt.date) -> DataFrame:
    """Conformed lines in the silver interactions schema."""
    return parsed.filter(F.col("status") == CONFORMED).select(
        *[F.col(name) for name in INTERACTIONS.columns if name != "run_date"],
        F.lit(run_date).alias("run_date"),
    )


def to_quarantine(parsed: DataFrame, run_id: str, run_date: dt.date) -> DataFrame:
    """Malformed lines with their reason, for the quarantine table."""
    return parsed.filter(F.col("status") == QUARANTINED).select(
        "source", "file", "line_number", "line", "reason",
        F.lit(run_id).alias("run_id"),
        F.lit(run_date).alias("run_date"),
    )


def filter_new_interactions(interactions: DataFrame, known_ids: DataFrame) -> DataFrame:
    """Drop interactions already stored under another run date (the same event in two nights' dumps)."""
    return interactions.join(known_ids.select("interaction_id"), on="interaction_id", how="left_anti")


def to_accounts(interactions: DataFrame) -> DataFrame:
    """Every account seen as actor or target, with the span of its events and of its run dates."""
    sides = [
        interactions.select("network", F.col(side).alias("account_id"), "occurred_at", "run_date")
        for side in ("actor", "target")
    ]
    return (
        sides[0].unionByName(sides[1])
        .groupBy("network", "account_id")
        .agg(
            F.min("occurred_at").alias("first_seen_at"),
            F.max("occurred_at").alias("last_seen_at"),
            F.min("run_date").alias("first_run_date"),
            F.max("run_date").alias("last_run_date"),
        )
        .select(*ACCOUNTS.columns)
    )
