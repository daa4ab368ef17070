"""Transforms shared by every connector: raw line classification and reconciliation."""

from pyspark.sql import Column, DataFrame, Window, functions as F

CONFORMED, QUARANTINED, SKIPPED = "conformed", "quarantined", "skipped"
SKIP_BLANK, SKIP_COMMENT, SKIP_DUPLICATE = "blank", "comment", "duplicate"
SKIP_HEADER = "header"  # a first line of column names (SNAP edge lists, identity links CSV)
# Every code a connector may put before ": <detail>" in a quarantined line's reason; the quarantine suite
# refuses any other, so a connector's new code is added here.
QUARANTINE_REASON_CODES = (
    "wrong_field_count",
    "bad_timestamp",
    "unknown_kind",
    "bad_weight",  # SNAP edge lists
    "invalid_json",
    "missing_field",
    "bad_value",
    "unknown_event_type",  # JSON connectors
    "line_too_long",  # any source: over landing.max_line_bytes, never parsed
)


# What Java's regex \s matches: space, tab, LF, vertical tab, form feed, CR.
_BLANKS = " \t\n\x0b\x0c\r"


def clean_line(line: Column) -> Column:
    """The line without a UTF-8 byte-order mark, trailing CR or surrounding white space."""
    # Trims, not a regex: every line of every night goes through this, and the regex cost a fifth of parsing.
    return F.rtrim(F.ltrim(line, F.lit(_BLANKS + "\ufeff")), F.lit(_BLANKS))


def with_duplicates_skipped(parsed: DataFrame) -> DataFrame:
    """Mark every conformed line whose event_key repeats an earlier line's as a skipped duplicate.

    "Earlier" is by (source, file, line_number), so which copy survives does not depend on partitioning.
    Lines without an event_key (an edge-list row) are never duplicates of each other.
    """
    # only conformed lines compete: a quarantined line with the same key must not hide a good one
    earliest_first = Window.partitionBy(F.when(F.col("status") == CONFORMED, F.col("event_key"))).orderBy(
        "source", "file", "line_number"
    )
    occurrence = F.when((F.col("status") == CONFORMED) & F.col("event_key").isNotNull(), F.row_number().over(earliest_first))
    is_repeat = F.coalesce(occurrence > 1, F.lit(False))
    return parsed.withColumns(
        {
            "status": F.when(is_repeat, F.lit(SKIPPED)).otherwise(F.col("status")),
            "reason": F.when(is_repeat, F.lit(SKIP_DUPLICATE)).otherwise(F.col("reason")),
        }
    )


def reason_code(reason: Column) -> Column:
    """The code of a reason: `bad_timestamp` for 'bad_timestamp: 'x' is not a unix time'."""
    return F.regexp_extract(reason, r"^([A-Za-z0-9_]+)", 1)


def summarize_classification(parsed: DataFrame) -> DataFrame:
    """Per (source, file): conformed and quarantined counts, and maps of counts per skip reason and per
    quarantine reason code."""
    per_reason = parsed.groupBy("source", "file", "status", reason_code(F.col("reason")).alias("code")).agg(
        F.count(F.lit(1)).alias("lines")
    )

    def counts_of(status: str) -> Column:
        entries = F.collect_list(F.when(F.col("status") == status, F.struct("code", "lines")))
        return F.map_from_entries(F.filter(entries, lambda entry: entry.isNotNull()))

    return per_reason.groupBy("source", "file").agg(
        F.sum(F.when(F.col("status") == CONFORMED, F.col("lines")).otherwise(F.lit(0))).alias("conformed"),
        F.sum(F.when(F.col("status") == QUARANTINED, F.col("lines")).otherwise(F.lit(0))).alias("quarantined"),
        counts_of(SKIPPED).alias("skipped"),
        counts_of(QUARANTINED).alias("quarantine_reasons"),
    )


def reconcile(raw_counts: DataFrame, classified: DataFrame) -> DataFrame:
    """Join bronze line counts with the classification: every raw line must be accounted for once.

    raw_counts: (source, file, raw_lines), counted from bronze independently of the parser.
    """
    raw, parsed = raw_counts.alias("raw"), classified.alias("parsed")
    # Full join: a classified file without raw lines must show up as unreconciled, not vanish.
    joined = raw.join(parsed, on=["source", "file"], how="full").fillna(0, subset=["raw_lines", "conformed", "quarantined"])
    no_counts = F.create_map().cast("map<string,bigint>")
    skipped = F.coalesce(F.col("skipped"), no_counts)
    skipped_total = F.aggregate(F.map_values(skipped), F.lit(0).cast("bigint"), lambda total, x: total + x)
    not_content = sum(F.coalesce(skipped[reason], F.lit(0)) for reason in (SKIP_BLANK, SKIP_COMMENT, SKIP_HEADER))
    return joined.select(
        "source",
        "file",
        "raw_lines",
        "conformed",
        "quarantined",
        skipped.alias("skipped"),
        F.coalesce(F.col("quarantine_reasons"), no_counts).alias("quarantine_reasons"),
        (F.col("conformed") + F.col("quarantined") + skipped_total).alias("accounted_lines"),
        (F.col("quarantined") / F.greatest(F.col("raw_lines") - not_content, F.lit(1))).alias("quarantined_fraction"),
    )
