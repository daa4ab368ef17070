"""What every connector produces: one classified row per raw line, carrying the canonical records it read.

A connector is a pure transform `(lines, config) -> classified`:
  in:  source, file, line_number, line                       (bronze, one row per raw line)
  out: source, file, line_number, line, status, reason, event_key,
       accounts, posts, interactions, deletes, links          (exactly one row per input line)

- status: conformed | quarantined | skipped (transforms.connectors.lines). reason: null when conformed; for a
  quarantined line `<code>: <detail>` (invalid_json, missing_field, bad_timestamp, unknown_event_type, ...);
  for a skipped line the skip reason (blank, comment, duplicate, ...), counted per reason in the run log.
- event_key: the line's natural key (a tweet id, a Jetstream commit...). Lines repeating an earlier
  line's key in the same night are skipped as duplicates; null when a line has no natural key.
- accounts / posts / interactions / deletes / links: arrays of the structs below. A line may carry many
  records (a v2 page holds a hundred tweets) and the same record may appear on several lines (a
  retweeted status inside every retweet): silver keeps one per key. Arrays are empty, never null, on
  conformed lines; their content is ignored on other lines.

Identifiers are strings verbatim from the dump. An account known only by its handle (a mention in text
whose id the dump does not give) gets the account_id `@<handle, lower case>`.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, functions as F, types as T

from influence.tables import INTERACTION_KINDS  # noqa: F401  (the kinds an interaction record may carry)
from transforms.connectors.lines import CONFORMED, QUARANTINED, SKIPPED


def _struct(*fields: tuple[str, T.DataType]) -> T.StructType:
    return T.StructType([T.StructField(name, dtype, True) for name, dtype in fields])


ACCOUNT_RECORD = _struct(
    ("network", T.StringType()),
    ("account_id", T.StringType()),
    ("handle", T.StringType()),  # screen name / username / acct, without a leading @
    ("display_name", T.StringType()),
    ("bio", T.StringType()),
    ("lang", T.StringType()),
    ("followers_count", T.LongType()),  # null when the dump does not say
    ("observed_at", T.TimestampType()),  # when the dump saw this state of the profile (the post's time)
)

POST_RECORD = _struct(
    ("network", T.StringType()),
    ("post_id", T.StringType()),
    ("author", T.StringType()),  # account_id
    ("created_at", T.TimestampType()),
    ("lang", T.StringType()),
    ("text", T.StringType()),
    ("hashtags", T.ArrayType(T.StringType())),  # as written, without '#', distinct, in order of appearance
    ("mentions", T.ArrayType(T.StringType())),  # account_ids of the accounts mentioned
    ("reply_to_post_id", T.StringType()),
    ("reply_to_account", T.StringType()),
    ("reshare_of_post_id", T.StringType()),
    ("quote_of_post_id", T.StringType()),
    ("like_count", T.LongType()),  # engagement counts as the dump reports them; null when unknown
    ("reshare_count", T.LongType()),
    ("reply_count", T.LongType()),
    ("quote_count", T.LongType()),
    ("observed_at", T.TimestampType()),
)

INTERACTION_RECORD = _struct(
    ("network", T.StringType()),
    ("actor", T.StringType()),  # who engaged (account_id)
    ("target", T.StringType()),  # who was engaged with (account_id): A retweets B -> actor A, target B
    ("kind", T.StringType()),  # one of INTERACTION_KINDS
    ("occurred_at", T.TimestampType()),
    ("post_id", T.StringType()),  # the actor's post that carries the interaction (the retweet, the reply); null for likes/follows
    (
        "target_post_id",
        T.StringType(),
    ),  # the target's post engaged with (retweeted, replied to, liked); null for mentions/follows
    ("weight", T.DoubleType()),  # 1 for events; an edge list's weight column
    ("natural_key", T.StringType()),  # what identifies the event across files and nights (hashed into interaction_id)
)

DELETE_RECORD = _struct(
    ("network", T.StringType()),
    ("record_type", T.StringType()),  # interaction | post
    ("natural_key", T.StringType()),  # an interaction's natural_key, or a post_id
)

LINK_RECORD = _struct(
    ("person_id", T.StringType()),
    ("network", T.StringType()),
    ("account_id", T.StringType()),
)

RECORD_ARRAYS = {
    "accounts": ACCOUNT_RECORD,
    "posts": POST_RECORD,
    "interactions": INTERACTION_RECORD,
    "deletes": DELETE_RECORD,
    "links": LINK_RECORD,
}
CLASSIFIED_COLUMNS = ("source", "file", "line_number", "line", "status", "reason", "event_key", *RECORD_ARRAYS)


def empty_records(name: str) -> Column:
    """An empty, typed array of the named records (for a connector that has none of them)."""
    return F.array().cast(T.ArrayType(RECORD_ARRAYS[name]))


def typed_records(name: str, records: Column) -> Column:
    """`records`, an array of structs named after the record's fields (any order, missing fields
    allowed, extra fields ignored), with null elements dropped; `classified` casts it to the record type."""
    if name not in RECORD_ARRAYS:
        raise ValueError(f"unknown record array {name!r}; expected one of {list(RECORD_ARRAYS)}")
    return F.filter(records, lambda record: record.isNotNull())


def _canonical_array(frame: DataFrame, name: str, records: Column) -> Column:
    """`records` cast to an array of the canonical record: fields it lacks become typed nulls."""
    record_type = RECORD_ARRAYS[name]
    given = frame.select(records.alias("_records")).schema["_records"].dataType  # analysis only, no job
    present = (
        set(given.elementType.fieldNames())
        if isinstance(given, T.ArrayType) and isinstance(given.elementType, T.StructType)
        else set()
    )
    if not present and not isinstance(given, (T.ArrayType, T.NullType)):
        raise TypeError(f"{name} must be an array of structs, got {given.simpleString()}")

    def canonical(record: Column) -> Column:
        return F.struct(
            *[(record[f.name] if f.name in present else F.lit(None)).cast(f.dataType).alias(f.name) for f in record_type.fields]
        )

    if not present:
        return empty_records(name)
    return F.transform(records, canonical)


def status_of(reason: Column, skip_reasons: tuple[str, ...]) -> Column:
    """conformed when there is no reason, skipped for one of `skip_reasons`, quarantined otherwise."""
    return (
        F.when(reason.isNull(), F.lit(CONFORMED)).when(reason.isin(*skip_reasons), F.lit(SKIPPED)).otherwise(F.lit(QUARANTINED))
    )


def classified(frame: DataFrame, **records: Column) -> DataFrame:
    """The connector's output in the canonical column order; record arrays not given are empty.

    `frame` must hold source, file, line_number, line, status, reason and event_key; each keyword is a
    record array (accounts=..., posts=...) as a Column over `frame` (see `typed_records`), cast here to
    the canonical record type: fields a connector does not know are null.
    """
    unknown = set(records) - set(RECORD_ARRAYS)
    if unknown:
        raise ValueError(f"unknown record arrays {sorted(unknown)}; expected some of {list(RECORD_ARRAYS)}")
    arrays = [
        (F.when(F.col("status") == CONFORMED, _canonical_array(frame, name, records[name])) if name in records else F.lit(None))
        .cast(T.ArrayType(RECORD_ARRAYS[name]))
        .alias(name)
        for name in RECORD_ARRAYS
    ]
    out = frame.select("source", "file", "line_number", "line", "status", "reason", F.col("event_key").cast("string"), *arrays)
    return out.select(
        *CLASSIFIED_COLUMNS[:7],
        *[F.coalesce(F.col(name), empty_records(name)).alias(name) for name in RECORD_ARRAYS],
    )


def with_long_lines_quarantined(lines: DataFrame, max_line_bytes: int) -> DataFrame:
    """Bronze lines (source, file, line_number, line) too long to parse, as classified lines quarantined
    with reason line_too_long and no records."""
    return classified(
        lines.select(
            "source",
            "file",
            "line_number",
            "line",
            F.lit(QUARANTINED).alias("status"),
            F.format_string("line_too_long: %d bytes, over the cap of %d", F.octet_length("line"), F.lit(max_line_bytes)).alias(
                "reason"
            ),
            F.lit(None).cast("string").alias("event_key"),
        )
    )
