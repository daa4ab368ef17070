"""Run-over-run comparison of a night's candidate scores with the published ones (pure: no I/O, no actions)."""

from __future__ import annotations

from pyspark.sql import DataFrame, functions as F

# Score quantiles compared night over night: (column suffix, fraction).
SCORE_QUANTILES = (("p50", 0.5), ("p90", 0.9))


def _score_summary(scores: DataFrame, prefix: str) -> DataFrame:
    """One row: row count, mean score and exact (interpolated) score quantiles of `scores`."""
    return scores.agg(
        F.count(F.lit(1)).alias(f"{prefix}_rows"),
        F.avg("score").alias(f"{prefix}_mean_score"),
        *[
            F.percentile(F.col("score").cast("double"), fraction).alias(f"{prefix}_{name}_score")
            for name, fraction in SCORE_QUANTILES
        ],
    )


def to_run_over_run(staged: DataFrame, published: DataFrame) -> DataFrame:
    """One row comparing the staged night's scores with the published profiles (both need a `score` column).

    row_ratio = staged_rows / published_rows (null when nothing is published); the shifts are absolute
    differences in score points. Aggregates without a GROUP BY always yield one row, even for empty inputs.
    """
    both = _score_summary(published, "published").crossJoin(_score_summary(staged, "staged"))
    return both.select(
        "published_rows",
        "staged_rows",
        (F.col("staged_rows") / F.when(F.col("published_rows") > 0, F.col("published_rows"))).alias("row_ratio"),
        "published_mean_score",
        "staged_mean_score",
        F.abs(F.col("staged_mean_score") - F.col("published_mean_score")).alias("mean_score_shift"),
        *[
            F.abs(F.col(f"staged_{name}_score") - F.col(f"published_{name}_score")).alias(f"{name}_score_shift")
            for name, _ in SCORE_QUANTILES
        ],
    )
