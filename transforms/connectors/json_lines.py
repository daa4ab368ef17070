"""Building blocks for connectors of JSON-lines dumps: parsing without failing the job, and text entities.

Lines are parsed into Spark's VARIANT (`try_parse_json`): invalid JSON gives null instead of an error,
and `try_variant_get` gives null for a field that is absent or of the wrong type, so a bad record can
only ever quarantine its own line. Unknown extra fields are ignored (and kept verbatim in bronze).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors.lines import SKIP_BLANK, clean_line

MAX_REASON_VALUE = 40

# Hashtags and mentions in free text, Unicode-aware: letters with accents (also decomposed, \p{M}),
# digits and underscores; a hashtag needs at least one letter (#2022 is not a tag). The look-behind
# keeps e-mail addresses (name@host) and URL fragments (page#anchor) out.
_HASHTAG = r"(?<![\p{L}\p{M}\p{N}_&/#])[#＃]([\p{L}\p{M}\p{N}_]*[\p{L}\p{M}][\p{L}\p{M}\p{N}_]*)"
_MENTION = r"(?<![\p{L}\p{M}\p{N}_@./])[@＠]([A-Za-z0-9_]{1,30})"


def parsed_lines(lines: DataFrame) -> DataFrame:
    """Raw lines (source, file, line_number, line) with `_clean_line`, the line cleaned once (BOM, CR and
    surrounding blanks removed) for parsing and for the reasons, and `_v`, that text as a VARIANT (null
    when it is not JSON). Spark keeps `_clean_line` a column of its own, since two expressions read it."""
    cleaned = lines.select("source", "file", "line_number", "line", clean_line(F.col("line")).alias("_clean_line"))
    return cleaned.select("*", F.try_parse_json(F.col("_clean_line")).alias("_v"))


def json_kind(value: Column) -> Column:
    """OBJECT, ARRAY, STRING, BIGINT, ... for a parsed value; null when it did not parse."""
    return F.regexp_extract(F.schema_of_variant(value), r"^([A-Z]+)", 1)


def field(value: Column, path: str, spark_type: str = "string") -> Column:
    """The value at a JSONPath (`$.user.id_str`) as `spark_type`; null when absent or not convertible."""
    return F.try_variant_get(value, path, spark_type)


def quoted(value: Column) -> Column:
    """A value for a quarantine reason, cut so one huge token cannot bloat the quarantine table."""
    return F.concat(F.lit("'"), F.substring(value, 1, MAX_REASON_VALUE), F.lit("'"))


def base_reason(text: Column, value: Column) -> Column:
    """The reason shared by every JSON connector, checked before its own: blank line or not a JSON object.
    `text` and `value` are `parsed_lines`' `_clean_line` and `_v`."""
    # Parsed text that starts with '{' is an object; the kind is named only for the rare line that is not one
    # (schema_of_variant walks the whole value, which cost a tenth of parsing on every line).
    return (
        F.when(text.isNull() | (text == ""), F.lit(SKIP_BLANK))
        .when(value.isNull(), F.lit("invalid_json: the line is not valid JSON"))
        .when(~text.startswith("{"), F.concat(F.lit("invalid_json: expected a JSON object, got "), F.lower(json_kind(value))))
    )


def missing(path: str) -> Column:
    return F.lit(f"missing_field: {path} is absent, null or not of the expected type")


def hashtags_in_text(text: Column) -> Column:
    """Hashtags written in `text`, without '#', distinct, in order of appearance (accents and case kept)."""
    return F.array_distinct(F.coalesce(F.regexp_extract_all(text, F.lit(_HASHTAG), 1), F.array().cast("array<string>")))


def mentions_in_text(text: Column) -> Column:
    """@handles written in `text`, without '@', lower case, distinct, in order of appearance."""
    found = F.coalesce(F.regexp_extract_all(text, F.lit(_MENTION), 1), F.array().cast("array<string>"))
    return F.array_distinct(F.transform(found, F.lower))


def handle_account_id(handle: Column) -> Column:
    """The account_id of an account known only by its handle: '@' + the handle in lower case."""
    return F.concat(F.lit("@"), F.lower(handle))
