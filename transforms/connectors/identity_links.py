"""identity_links landing source -> which person each account belongs to.

Files under `DIR/identity_links/` hold one link per line, as JSON lines or as CSV:
  {"person_id": "p-42", "network": "twitter", "account_id": "112754792"}
  person_id,network,account_id          <- optional CSV header (skipped: header)
  p-42,bluesky,did:plc:abc123

Quarantine reasons: invalid_json (a line starting with '{' that is not a JSON object),
missing_field (a field absent or empty, or a CSV line without exactly 3 fields), bad_value (a network
this lake does not know). Skips: blank, header. A later line (or night) for the same account wins.
"""

from __future__ import annotations

from pyspark.sql import DataFrame, functions as F

from influence.tables import NETWORKS
from transforms.connectors.json_lines import field, json_kind, parsed_lines, quoted
from transforms.connectors.lines import SKIP_BLANK, SKIP_HEADER
from transforms.connectors.records import classified, status_of, typed_records

SOURCE = "identity_links"
_FIELDS = ("person_id", "network", "account_id")


def to_classified(lines: DataFrame) -> DataFrame:
    text, value = F.col("_clean_line"), F.col("_v")
    is_json = text.startswith("{")
    # a lambda, not F.trim itself: transform would pass the index as trim's second argument (characters to strip)
    csv_fields = F.transform(F.split(text, ","), lambda csv_field: F.trim(csv_field))
    framed = parsed_lines(lines).select(
        "source",
        "file",
        "line_number",
        "line",
        "_clean_line",
        is_json.alias("_is_json"),
        F.when(is_json, json_kind(value)).alias("_json_kind"),
        F.size(csv_fields).alias("_csv_count"),
        *[
            F.nullif(F.trim(F.when(is_json, field(value, f"$.{name}")).otherwise(F.get(csv_fields, i))), F.lit("")).alias(name)
            for i, name in enumerate(_FIELDS)
        ],
    )
    missing = [F.when(F.col(name).isNull(), F.lit(name)) for name in _FIELDS]
    reason = (
        F.when(F.col("line").isNull() | (F.col("_clean_line") == ""), F.lit(SKIP_BLANK))
        .when(F.lower(F.col("_clean_line")).rlike(r"^person_id\s*,"), F.lit(SKIP_HEADER))
        .when(
            F.col("_is_json") & F.coalesce(F.col("_json_kind") != "OBJECT", F.lit(True)),
            F.lit("invalid_json: expected a JSON object"),
        )
        .when(
            ~F.col("_is_json") & (F.col("_csv_count") != 3),
            F.concat(
                F.lit("missing_field: expected 3 CSV fields person_id,network,account_id, got "),
                F.col("_csv_count").cast("string"),
            ),
        )
        .when(
            F.concat_ws(",", *missing) != "",
            F.concat(F.lit("missing_field: "), F.concat_ws(", ", *missing), F.lit(" absent or empty")),
        )
        .when(
            ~F.col("network").isin(*NETWORKS),
            F.concat(F.lit("bad_value: network "), quoted(F.col("network")), F.lit(f" is not one of {', '.join(NETWORKS)}")),
        )
    )
    link = F.struct(*[F.col(name).alias(name) for name in _FIELDS])
    return classified(
        framed.select(
            "*",
            reason.alias("reason"),
            status_of(reason, (SKIP_BLANK, SKIP_HEADER)).alias("status"),
            F.concat_ws("|", F.lit(SOURCE), "network", "account_id", "person_id").alias("event_key"),
        ),
        links=typed_records("links", F.array(link)),
    )
