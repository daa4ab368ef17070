"""Transforms shared by every connector: raw line classification and reconciliation."""

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

CONFORMED, QUARANTINED, SKIPPED = "conformed", "quarantined", "skipped"
SKIP_BLANK, SKIP_COMMENT, SKIP_DUPLICATE = "blank", "comment", "duplicate"
SKIP_REASONS = (SKIP_BLANK, SKIP_COMMENT, SKIP_DUPLICATE)


def clean_line(line: Column) -> Column:
    """The line without a UTF-8 byte-order mark, trailing CR or surrounding white space."""
    return F.regexp_replace(line, r"^[\s\x{FEFF}]+|\s+$", "")


def with_duplicates_skipped(parsed: DataFrame) -> DataFrame:
    """Mark every conformed row whose interaction_id repeats an earlier line as a skipped duplicate.

    "Earlier" is by (source, file, line_number), so which copy survives does not depend on partitioning.
    """
    earliest_first = Window.partitionBy("interaction_id").orderBy("source", "file", "line_number")
    occurrence = F.when(F.col("status") == CONFORMED, F.row_number().over(earliest_first))
    is_repeat = occurrence > 1
    return parsed.withColumns({
        "status": F.when(is_repeat, F.lit(SKIPPED)).otherwise(F.col("status")),
        "reason": F.when(is_repeat, F.lit(SKIP_DUPLICATE)).otherwise(F.col("reason")),
    })


def summarize_classification(parsed: DataFrame) -> DataFrame:
    """Per (source, file): conformed, quarantined and skipped-per-reason counts."""
    def count_where(condition: Column) -> Column:
        return F.count(F.when(condition, True))

    skipped = {
        f"skipped_{reason}": count_where((F.col("status") == SKIPPED) & (F.col("reason") == reason))
        for reason in SKIP_REASONS
    }
    return parsed.groupBy("source", "file").agg(
        count_where(F.col("status") == CONFORMED).alias("conformed"),
        count_where(F.col("status") == QUARANTINED).alias("quarantined"),
        *[column.alias(name) for name, column in skipped.items()],
    )


def reconcile(raw_counts: DataFrame, classified: DataFrame) -> DataFrame:
    """Join bronze line counts with the classification: every raw line must be accounted for once.

    raw_counts: (source, file, raw_lines), counted from bronze independently of the parser.
    """
    skipped_columns = [f"skipped_{reason}" for reason in SKIP_REASONS]
    raw, parsed = raw_counts.alias("raw"), classified.alias("parsed")
    # Full join: a classified file without raw lines must show up as unreconciled, not vanish.
    joined = raw.join(parsed, on=["source", "file"], how="full").fillna(
        0, subset=["raw_lines", "conformed", "quarantined", *skipped_columns]
    )
    accounted = F.col("conformed") + F.col("quarantined") + sum(F.col(name) for name in skipped_columns)
    return joined.select(
        "source",
        "file",
        "raw_lines",
        "conformed",
        "quarantined",
        *skipped_columns,
        accounted.alias("accounted_lines"),
        (F.col("quarantined") / F.greatest(F.col("raw_lines") - F.col("skipped_blank") - F.col("skipped_comment"), F.lit(1)))
        .alias("quarantined_fraction"),
    )
