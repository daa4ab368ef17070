"""Interaction weights of the influence model: kind weight x exponential decay, within a window.

weight = source_weight x kind_weight(kind) x 0.5 ** (age_days / half_life_days)

source_weight is the weight the interaction landed with (1, or a SNAP edge list's third column). age_days
is the time from the interaction (or, when the source gives no time, the end of the night it landed) to the
end of the run date, never negative. Interactions aged window_days or more are left out. Each factor can be
switched off: window_days 0 (unbounded), half_life_days 0 (no decay), kind_weights None (every kind 1).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from pyspark.sql import Column, DataFrame, functions as F

SECONDS_PER_DAY = 86_400.0


def end_of(run_date: dt.date) -> Column:
    """Midnight (session time zone, UTC) after the run date: every interaction of the date is before it."""
    return F.lit(dt.datetime.combine(run_date + dt.timedelta(days=1), dt.time()))


def age_in_days(run_date: dt.date, time: str = "occurred_at", landed: str = "run_date") -> Column:
    occurred = F.coalesce(F.col(time), F.date_add(F.col(landed), 1).cast("timestamp"))
    seconds = F.unix_timestamp(end_of(run_date)) - F.unix_timestamp(occurred)
    return F.greatest(seconds / F.lit(SECONDS_PER_DAY), F.lit(0.0))


def in_window(run_date: dt.date, window_days: int, time: str = "occurred_at", landed: str = "run_date") -> Column:
    """Landed by the run date and, unless the window is unbounded (0), less than window_days old at its end."""
    condition = F.col(landed) <= F.lit(run_date)
    if window_days > 0:
        condition = condition & (age_in_days(run_date, time, landed) < F.lit(float(window_days)))
    return condition


def kind_weight(kind_weights: Mapping[str, float] | None) -> Column:
    if kind_weights is None:
        return F.lit(1.0)
    lookup = F.create_map(*[F.lit(value) for pair in sorted(kind_weights.items()) for value in pair])
    return lookup[F.col("kind")]


def decay_factor(age_days: Column, half_life_days: float) -> Column:
    if half_life_days <= 0:
        return F.lit(1.0)
    return F.exp(age_days * F.lit(-math.log(2.0) / half_life_days))


def with_post_decay(posts: DataFrame, run_date: dt.date, window_days: int, half_life_days: float) -> DataFrame:
    """Silver posts created in the window (by created_at, else the night they first landed), with `decay`."""
    aged = posts.withColumn("age_days", age_in_days(run_date, "created_at", "first_run_date"))
    return aged.filter(in_window(run_date, window_days, "created_at", "first_run_date")).withColumn(
        "decay", decay_factor(F.col("age_days"), half_life_days)
    )


def with_model_weights(
    interactions: DataFrame,
    run_date: dt.date,
    window_days: int,
    half_life_days: float,
    kind_weights: Mapping[str, float] | None,
) -> DataFrame:
    """The interactions of the window up to the run date, `weight` replaced by the model weight and the
    landed weight kept as `source_weight`. A kind missing from kind_weights is an error, not a default."""
    age = age_in_days(run_date)
    weight = F.col("source_weight") * kind_weight(kind_weights) * decay_factor(F.col("age_days"), half_life_days)
    if kind_weights is not None:
        known = F.col("kind").isin(list(kind_weights))
        weight = F.when(known, weight).otherwise(F.raise_error(F.concat(F.lit("no kind weight for kind "), F.col("kind"))))
    return (
        interactions.withColumnRenamed("weight", "source_weight")
        .withColumn("age_days", age)
        .filter(in_window(run_date, window_days))
        .withColumn("weight", weight)
    )
