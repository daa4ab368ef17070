"""SNAP dumps -> conformed interactions.

Line formats, fields separated by spaces or tabs, or by commas (a line of comma-separated fields without
white space inside them, as SNAP's `.csv` edge lists are written):
- Higgs activity: `userA userB unix_ts kind`, kind RT (A retweeted B), MT (A mentioned B), RE (A replied to B)
- plain edge list: `src dst [weight]`, weight a positive number (default 1);
- temporal edge list: `src dst unix_ts` (SNAP's CollegeMsg, email-Eu-core-temporal, sx-*, wiki-talk-temporal).
  A third field of nine or more digits is a time, not a weight: a unix time of nine digits is 3 March 1973 or
  later, and no weighted edge list of SNAP's comes near a weight of 100,000,000 (`[snap] third_field` says it
  for every line instead: "weight" or "time");
- rated temporal edge list: `src dst rating unix_ts` (SNAP's soc-sign-bitcoinotc and soc-sign-bitcoinalpha:
  ratings -10 to +10), told from an activity line by its numeric fourth field.
A time may carry a fraction of a second (`1289241911.72836`). A signed or rated network's negative or zero
weight (soc-sign-epinions' `-1`, a rating of -10) is a well-formed edge that endorses nobody: it is skipped
as `non_positive_weight`, counted in the run log, and left out of the graph; a weight that is not a number is
quarantined as `bad_weight`.
`#` or `%` starts a comment line. A first line of column names (`id_1,id_2`, `FromNodeId ToNodeId`, `source
target weight`) is skipped as a header.
"""

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors.lines import SKIP_BLANK, SKIP_COMMENT, SKIP_HEADER, clean_line
from transforms.connectors.records import classified, status_of, typed_records

ACTIVITY_KINDS = {"RT": "reshare", "MT": "mention", "RE": "reply"}
EDGE_KIND = "edge"

_UNIX_SECONDS = r"^-?[0-9]{1,11}(\.[0-9]+)?$"
_TIME_NOT_WEIGHT = r"^[0-9]{9,}(\.[0-9]+)?$"
# A time's fraction of a second is kept to the microsecond, as Spark's timestamps hold it.
_SECONDS_TYPE = "decimal(18,6)"
# A rated line's fourth field is a number (a time); an activity line's is a kind (RT, MT, RE).
_NUMBER = r"^[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
# A weight written as zero ("0", "0.0", "0e3"); 1e-400 is a positive weight too small for a double, quarantined.
_ZERO = r"^[-+]?(0+\.?0*|\.0+)([eE][-+]?[0-9]+)?$"
# Comma-separated fields, none empty or holding white space ("1,2", "1, 2"); "1 2 1,5" is three
# white-space-separated fields whose weight is malformed, not a CSV line.
_CSV_LINE = r"^[^ \t,]+( *, *[^ \t,]+)+$"
# A column name as SNAP's and other edge lists' headers write them: FromNodeId, id_1, node_2, userA, SOURCE, ...
_COLUMN_NAME = (
    r"(?i)^(from|to|src|dst|source|target|node|id|user|vertex|weight|time|timestamp|ts|unixts|date|rating|sign|kind"
    r"|link[_-]?sentiment|sentiment)"
    r"[_-]?(node|subreddit)?[_-]?(id)?[_-]?([0-9]+|[ab])?$"
)
_POSITIVE_NUMBER = r"^\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?$"
_MAX_REASON_VALUE = 40
# a line's shape (with_snap_fields); null: a wrong number of fields
_PAIR, _WEIGHTED_EDGE, _TIMED_EDGE, _RATED_EDGE, _ACTIVITY = range(1, 6)
SKIP_NON_POSITIVE_WEIGHT = "non_positive_weight"  # a signed network's distrust, or a rating of zero or below


def _quoted(value: Column) -> Column:
    """A field value for a quarantine reason, cut so one huge token cannot bloat the table."""
    return F.concat(F.lit("'"), F.substring(value, 1, _MAX_REASON_VALUE), F.lit("'"))


THIRD_FIELDS = ("auto", "weight", "time")


def with_snap_fields(lines: DataFrame, network: str, third_field: str = "auto") -> DataFrame:
    """Classify raw SNAP lines and parse the conformed ones.

    In: source, file, line_number, line. Out: the classified lines of transforms.connectors.records, each
    conformed line carrying one interaction (accounts are known only by id, so no account records).
    third_field ([snap] third_field): what a three-field line's third field is; "auto" tells a time (nine or
    more digits) from a weight line by line, "weight" and "time" say it for every line.
    """
    if third_field not in THIRD_FIELDS:
        raise ValueError(f"third_field must be one of {', '.join(THIRD_FIELDS)}, got {third_field!r}")
    text = clean_line(F.col("line"))
    split = lines.select(
        "source",
        "file",
        "line_number",
        "line",
        text.alias("_text"),
        # contains() first: the regex runs only on the lines with a comma
        F.when(text.contains(",") & text.rlike(_CSV_LINE), F.split(text, r" *, *"))
        .otherwise(F.split(text, r"[ \t]+"))
        .alias("_fields"),
    )
    fields = F.col("_fields")
    field_count = F.size(fields)
    actor, target, third, fourth = (F.get(fields, i) for i in range(4))
    reads_as_time = {"auto": third.rlike(_TIME_NOT_WEIGHT), "weight": F.lit(False), "time": F.lit(True)}[third_field]
    # The line's shape, worked out once in a projection of its own: the reasons and fields below ask for it a
    # dozen times a line.
    shape = (
        F.when(field_count == 2, F.lit(_PAIR))
        .when(field_count == 3, F.when(reads_as_time, F.lit(_TIMED_EDGE)).otherwise(F.lit(_WEIGHTED_EDGE)))
        # isin first: an activity line's kind is not tried as a number
        .when(
            field_count == 4,
            F.when(~fourth.isin(*ACTIVITY_KINDS) & fourth.rlike(_NUMBER), F.lit(_RATED_EDGE)).otherwise(F.lit(_ACTIVITY)),
        )
    )
    split = split.withColumn("_shape", shape)
    line_shape = F.col("_shape")
    is_rated, is_activity = line_shape == _RATED_EDGE, line_shape == _ACTIVITY
    time_text = F.when(line_shape.isin(_ACTIVITY, _TIMED_EDGE), third).when(is_rated, fourth)
    weight_text = F.when(line_shape.isin(_WEIGHTED_EDGE, _RATED_EDGE), third)
    is_header = (F.col("line_number") == 1) & F.forall(fields, lambda name: name.rlike(_COLUMN_NAME))
    # try_cast: under ANSI mode a plain cast of a bad token would fail the job instead of the line.
    weight_value = weight_text.try_cast("double")
    is_positive_finite = weight_text.rlike(_POSITIVE_NUMBER) & (weight_value > 0) & (weight_value < float("inf"))
    is_non_positive = weight_text.rlike(_NUMBER) & (weight_text.startswith("-") | weight_text.rlike(_ZERO))
    reason = (
        F.when(F.col("line").isNull() | (F.col("_text") == ""), F.lit(SKIP_BLANK))
        .when(F.col("_text").startswith("#") | F.col("_text").startswith("%"), F.lit(SKIP_COMMENT))
        .when(is_header, F.lit(SKIP_HEADER))
        .when(
            line_shape.isNull(),
            F.concat(
                F.lit(
                    "wrong_field_count: expected 'src dst [weight|unix_ts]', 'src dst rating unix_ts' or"
                    " 'userA userB unix_ts RT|MT|RE', got "
                ),
                field_count.cast("string"),
                F.lit(" fields"),
            ),
        )
        # a rated line's time must look like one (nine digits or more): `a b 3 1` is not a rating of 1970
        .when(
            time_text.isNotNull() & ~(time_text.rlike(_UNIX_SECONDS) & (~is_rated | fourth.rlike(_TIME_NOT_WEIGHT))),
            F.concat(F.lit("bad_timestamp: "), _quoted(time_text), F.lit(" is not a unix time in seconds")),
        )
        .when(
            is_activity & ~fourth.isin(*ACTIVITY_KINDS),
            F.concat(F.lit("unknown_kind: "), _quoted(fourth), F.lit(" is not RT, MT or RE")),
        )
        .when(
            weight_text.isNotNull() & ~F.coalesce(is_positive_finite, F.lit(False)),
            # looked at only when the weight is not a positive number: the regexes then run on few lines
            F.when(is_non_positive, F.lit(SKIP_NON_POSITIVE_WEIGHT)).otherwise(
                F.concat(F.lit("bad_weight: "), _quoted(weight_text), F.lit(" is not a positive finite number"))
            ),
        )
    )
    kind_of_code = F.create_map(*[F.lit(x) for pair in ACTIVITY_KINDS.items() for x in pair])
    parsed = split.select(
        "source",
        "file",
        "line_number",
        "line",
        reason.alias("reason"),
        actor.alias("_actor"),
        target.alias("_target"),
        F.when(is_activity, kind_of_code[fourth]).otherwise(F.lit(EDGE_KIND)).alias("_kind"),
        # whole seconds stay a long (keyed as before fractions were read); only a fraction is read as a decimal
        F.when(~time_text.contains("."), time_text.try_cast("long")).alias("_unix_seconds"),
        F.when(time_text.contains("."), time_text.try_cast(_SECONDS_TYPE)).alias("_fractional_seconds"),
        # weight_value is null but on weighted and rated lines: every other line weighs 1
        F.coalesce(weight_value, F.lit(1.0)).alias("_weight"),
    )

    reason = F.col("reason")
    is_conformed = reason.isNull()
    # Events with a time (activity, temporal edges) are identified by what happened; edge-list rows without
    # one by where they were written, so repeated pairs in one list add up while the same list landed twice
    # counts once.
    whole, fractional = F.col("_unix_seconds"), F.col("_fractional_seconds")
    # a fraction of zero (`1407470400.0`) is the whole second: keyed as `1407470400`, one event in both layouts
    seconds_text = F.coalesce(
        whole.cast("string"),
        F.when(fractional == F.floor(fractional), F.floor(fractional).cast("string")).otherwise(fractional.cast("string")),
    )
    event_key = F.when(
        seconds_text.isNotNull(), F.concat_ws("\u0001", F.lit(network), "_actor", "_target", "_kind", seconds_text)
    )
    natural_key = F.coalesce(
        event_key, F.concat_ws("\u0001", F.lit(network), "source", "file", F.col("line_number").cast("string"))
    )
    interaction = F.struct(
        F.lit(network).alias("network"),
        F.col("_actor").alias("actor"),
        F.col("_target").alias("target"),
        F.col("_kind").alias("kind"),
        F.coalesce(F.timestamp_seconds(whole), F.timestamp_seconds(fractional)).alias("occurred_at"),
        F.col("_weight").alias("weight"),
        natural_key.alias("natural_key"),
    )
    with_status = parsed.select(
        "*",
        status_of(reason, (SKIP_BLANK, SKIP_COMMENT, SKIP_HEADER, SKIP_NON_POSITIVE_WEIGHT)).alias("status"),
        F.when(is_conformed, event_key).alias("event_key"),
        F.array(interaction).alias("_interactions"),
    )
    return classified(with_status, interactions=typed_records("interactions", F.col("_interactions")))
