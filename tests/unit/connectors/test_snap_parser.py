"""transforms.connectors.snap.with_snap_fields: SNAP lines -> classified lines (transforms.connectors.records), each conformed
one carrying one interaction record.

Every expected value is worked out by hand from the line text; nothing is read back from the parser.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pyspark.sql import functions as F, types as T
from pyspark.testing import assertDataFrameEqual

from transforms.connectors.records import CLASSIFIED_COLUMNS
from transforms.connectors.snap import with_snap_fields

LINES_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("line_number", T.LongType(), False),
        T.StructField("line", T.StringType(), True),
    ]
)
# The interaction record without natural_key (the key tests below pin that one).
PARSED_INTERACTION = T.StructType(
    [
        T.StructField("network", T.StringType(), True),
        T.StructField("actor", T.StringType(), True),
        T.StructField("target", T.StringType(), True),
        T.StructField("kind", T.StringType(), True),
        T.StructField("occurred_at", T.TimestampType(), True),
        T.StructField("post_id", T.StringType(), True),
        T.StructField("target_post_id", T.StringType(), True),
        T.StructField("weight", T.DoubleType(), True),
    ]
)
PARSED_SCHEMA = T.StructType(
    [
        T.StructField("line_number", T.LongType(), False),
        T.StructField("status", T.StringType(), False),
        T.StructField("reason", T.StringType(), True),
        T.StructField("interactions", T.ArrayType(PARSED_INTERACTION), True),
    ]
)

UTC = dt.UTC
# 2012-07-01 00:00:00 UTC: 15 340 days to 2012-01-01 (42 years, 10 of them leap) + 182 days to July 1st.
JULY_1_2012 = 1341100800
WRONG_FIELD_COUNT = (
    "wrong_field_count: expected 'src dst [weight|unix_ts]', 'src dst rating unix_ts' or 'userA userB unix_ts RT|MT|RE',"
    " got {} fields"
)


def lines_frame(spark, lines, *, file="higgs-activity_time.txt", source="snap"):
    """One row per line, numbered from 1, as bronze hands them to the connector."""
    return spark.createDataFrame([(source, file, number, line) for number, line in enumerate(lines, start=1)], LINES_SCHEMA)


def parsed(spark, lines, network="higgs", third_field="auto"):
    return with_snap_fields(lines_frame(spark, lines), network, third_field).select(
        "line_number",
        "status",
        "reason",
        F.transform("interactions", lambda record: record.dropFields("natural_key")).alias("interactions"),
    )


def expected(spark, rows):
    return spark.createDataFrame(rows, PARSED_SCHEMA)


def conformed(number, actor, target, kind="edge", occurred_at=None, weight=1.0):
    """One interaction record; SNAP knows no posts, so post_id and target_post_id are null."""
    return (number, "conformed", None, [("higgs", actor, target, kind, occurred_at, None, None, weight)])


def skipped(number, reason):
    return (number, "skipped", reason, [])  # empty, never null


def quarantined(number, reason):
    return (number, "quarantined", reason, [])


def test_higgs_activity_lines_become_reshares_mentions_and_replies(spark):
    lines = [
        "1 2 1341100800 RT",
        "3 4 1341147907 MT",  # + 13 h 5 min 7 s
        "5 6 0 RE",
        "7 8 86399 RT",
        None,
    ]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                conformed(1, "1", "2", "reshare", dt.datetime(2012, 7, 1, tzinfo=UTC)),
                conformed(2, "3", "4", "mention", dt.datetime(2012, 7, 1, 13, 5, 7, tzinfo=UTC)),
                conformed(3, "5", "6", "reply", dt.datetime(1970, 1, 1, tzinfo=UTC)),
                conformed(4, "7", "8", "reshare", dt.datetime(1970, 1, 1, 23, 59, 59, tzinfo=UTC)),
                skipped(5, "blank"),
            ],
        ),
    )


def test_plain_edge_lists_default_to_weight_one_and_carry_no_time(spark):
    lines = ["10 20", "20 30 2.5", "30 10 3", "a b .5", "b c 4.", "c d 1e2", "d e +7", "e f 0.001", None]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                conformed(1, "10", "20"),
                conformed(2, "20", "30", weight=2.5),
                conformed(3, "30", "10", weight=3.0),
                conformed(4, "a", "b", weight=0.5),
                conformed(5, "b", "c", weight=4.0),
                conformed(6, "c", "d", weight=100.0),
                conformed(7, "d", "e", weight=7.0),
                conformed(8, "e", "f", weight=0.001),
                skipped(9, "blank"),
            ],
        ),
        rtol=0,
        atol=0,
    )


def test_tabs_spaces_and_mixed_runs_of_them_all_separate_fields(spark):
    lines = [
        "1\t2",
        "1  2",
        "1 \t 2\t\t3",
        "1\t2\t1341100800\tMT",
        "1 \t2  1341100800\t RE",
        "  1 2",  # leading white space is not an empty first field
        "1 2 \t ",  # nor is trailing white space an empty last field
        None,
    ]
    july_first = dt.datetime(2012, 7, 1, tzinfo=UTC)
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                conformed(1, "1", "2"),
                conformed(2, "1", "2"),
                conformed(3, "1", "2", weight=3.0),
                conformed(4, "1", "2", "mention", july_first),
                conformed(5, "1", "2", "reply", july_first),
                conformed(6, "1", "2"),
                conformed(7, "1", "2"),
                skipped(8, "blank"),
            ],
        ),
    )


def test_a_third_field_of_nine_or_more_digits_is_a_time_not_a_weight(spark):
    """SNAP's temporal networks (CollegeMsg, sx-*, wiki-talk-temporal) write `SRC DST UNIXTS`."""
    lines = [
        "1 2 1341100800",
        "3 4 100000000",  # nine digits: 1973-03-03 09:46:40 UTC (1,157 days and 35,200 s after 1970-01-01)
        "5 6 99999999",  # eight digits: a weight
        "7 8 01341100800",  # leading zero: still that second
        "9 10 134110080000",  # twelve digits (milliseconds): not a time in seconds, as for activity lines
        None,
    ]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                conformed(1, "1", "2", occurred_at=dt.datetime(2012, 7, 1, tzinfo=UTC)),
                conformed(2, "3", "4", occurred_at=dt.datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)),
                conformed(3, "5", "6", weight=99999999.0),
                conformed(4, "7", "8", occurred_at=dt.datetime(2012, 7, 1, tzinfo=UTC)),
                quarantined(5, "bad_timestamp: '134110080000' is not a unix time in seconds"),
                skipped(6, "blank"),
            ],
        ),
        rtol=0,
        atol=0,
    )


def test_the_third_field_can_be_said_for_every_line(spark):
    """[snap] third_field: "weight" keeps nine digits a weight, "time" makes every third field a time."""
    lines = ["1 2 1341100800", "3 4 2.5", "5 6 7", None]
    assertDataFrameEqual(
        parsed(spark, lines, third_field="weight"),
        expected(
            spark,
            [
                conformed(1, "1", "2", weight=1341100800.0),
                conformed(2, "3", "4", weight=2.5),
                conformed(3, "5", "6", weight=7.0),
                skipped(4, "blank"),
            ],
        ),
        rtol=0,
        atol=0,
    )
    assertDataFrameEqual(
        parsed(spark, lines, third_field="time"),
        expected(
            spark,
            [
                conformed(1, "1", "2", occurred_at=dt.datetime(2012, 7, 1, tzinfo=UTC)),
                conformed(2, "3", "4", occurred_at=dt.datetime(1970, 1, 1, 0, 0, 2, 500000, tzinfo=UTC)),
                conformed(3, "5", "6", occurred_at=dt.datetime(1970, 1, 1, 0, 0, 7, tzinfo=UTC)),
                skipped(4, "blank"),
            ],
        ),
    )
    with pytest.raises(ValueError, match="third_field must be one of auto, weight, time, got 'both'"):
        with_snap_fields(lines_frame(spark, lines), "higgs", "both")


def test_comma_separated_edge_lists_with_a_header_line(spark):
    """SNAP's .csv edge lists (musae, deezer, twitch: `id_1,id_2`; soc-sign-bitcoin: no header); a header
    is only ever the first line."""
    lines = [
        "id_1,id_2",
        "1,2",
        "3, 4",
        "5 ,6,2.5",
        "7,8,1341100800",
        "9,10,1341100800,RE",
        "id_1,id_2",  # not the first line: an edge between two accounts so named
        "1,,2",  # an empty field: not a CSV line, and one white-space field
        "1 2 1,5",  # white space inside: fields separated by white space, the weight malformed
        "% a KONECT comment",
        None,
    ]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                skipped(1, "header"),
                conformed(2, "1", "2"),
                conformed(3, "3", "4"),
                conformed(4, "5", "6", weight=2.5),
                conformed(5, "7", "8", occurred_at=dt.datetime(2012, 7, 1, tzinfo=UTC)),
                conformed(6, "9", "10", "reply", dt.datetime(2012, 7, 1, tzinfo=UTC)),
                conformed(7, "id_1", "id_2"),
                quarantined(8, WRONG_FIELD_COUNT.format(1)),
                quarantined(9, "bad_weight: '1,5' is not a positive finite number"),
                skipped(10, "comment"),
                skipped(11, "blank"),
            ],
        ),
    )


@pytest.mark.parametrize(
    "header",
    [
        "FromNodeId\tToNodeId",
        "source target weight",
        "SRC,DST,UNIXTS",
        "userA userB",
        "node_1,node_2",
        "from,to",
        "SOURCE, TARGET, RATING, TIME",
        "SOURCE_SUBREDDIT\tTARGET_SUBREDDIT\tLINK_SENTIMENT",  # soc-redditHyperlinks cut to its columns 1, 2 and 5
    ],
)
def test_a_first_line_of_column_names_is_a_header(spark, header):
    rows = parsed(spark, [header, "1 2"]).collect()
    assert [(row.line_number, row.status, row.reason) for row in rows] == [(1, "skipped", "header"), (2, "conformed", None)]


def test_signed_and_rated_networks_keep_their_endorsements_and_skip_the_rest(spark):
    """soc-sign-epinions and soc-sign-Slashdot write `FromNodeId ToNodeId Sign` (1 or -1); soc-sign-bitcoinotc
    and -alpha `SOURCE,TARGET,RATING,TIME` (-10 to +10, OTC's times with a fraction of a second). A distrust
    or a zero rating is a well-formed edge that endorses nobody: skipped, not quarantined."""
    lines = [
        "0\t1\t-1",
        "0\t2\t1",
        "3 4 0",
        "3 4 -0.0",
        "6,2,4,1289241911.72836",  # 1,289,241,911 s = 14,921 days + 67,511 s: 2010-11-08 18:45:11
        "6,5,-10,1289241942.69136",
        "7188,1,10,1407470400",  # 16,290 days + 14,400 s: 2014-08-08 04:00
        "1 2 +3 1407470400",
        "1 2 1289241911.72836",  # a temporal edge list's time with a fraction
        None,
    ]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                skipped(1, "non_positive_weight"),
                conformed(2, "0", "2"),
                skipped(3, "non_positive_weight"),
                skipped(4, "non_positive_weight"),
                conformed(5, "6", "2", occurred_at=dt.datetime(2010, 11, 8, 18, 45, 11, 728360, tzinfo=UTC), weight=4.0),
                skipped(6, "non_positive_weight"),
                conformed(7, "7188", "1", occurred_at=dt.datetime(2014, 8, 8, 4, tzinfo=UTC), weight=10.0),
                conformed(8, "1", "2", occurred_at=dt.datetime(2014, 8, 8, 4, tzinfo=UTC), weight=3.0),
                conformed(9, "1", "2", occurred_at=dt.datetime(2010, 11, 8, 18, 45, 11, 728360, tzinfo=UTC)),
                skipped(10, "blank"),
            ],
        ),
        rtol=0,
        atol=0,
    )


def test_a_first_line_of_ids_is_an_edge_not_a_header(spark):
    rows = parsed(spark, ["alice bob", "1 2"]).orderBy("line_number").collect()
    assert [(row.line_number, row.status) for row in rows] == [(1, "conformed"), (2, "conformed")]


def test_crlf_endings_and_a_byte_order_mark_are_not_part_of_any_field(spark):
    lines = [
        "1 2\r",
        "1 2 1341100800 RT\r",
        "\ufeff1 2",
        "\ufeff1 2 1341100800 RE\r",
        "1 2 2.5\r\n",
        "\ufeff# header after a BOM",
        "\ufeff",
        "\r",
        None,
    ]
    july_first = dt.datetime(2012, 7, 1, tzinfo=UTC)
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                conformed(1, "1", "2"),
                conformed(2, "1", "2", "reshare", july_first),
                conformed(3, "1", "2"),
                conformed(4, "1", "2", "reply", july_first),
                conformed(5, "1", "2", weight=2.5),
                skipped(6, "comment"),
                skipped(7, "blank"),
                skipped(8, "blank"),
                skipped(9, "blank"),
            ],
        ),
    )


def test_blank_whitespace_only_and_comment_lines_are_skipped(spark):
    lines = [None, "", " ", "\t\t", " \t \r", "# FromNodeId\tToNodeId", "#", "   # indented comment", "#1 2 3 4 5"]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                skipped(1, "blank"),
                skipped(2, "blank"),
                skipped(3, "blank"),
                skipped(4, "blank"),
                skipped(5, "blank"),
                skipped(6, "comment"),
                skipped(7, "comment"),
                skipped(8, "comment"),
                skipped(9, "comment"),
            ],
        ),
    )


# One frame for all of them: a Spark job per case would cost a second each.
QUARANTINE_CASES = [
    ("lonely", WRONG_FIELD_COUNT.format(1)),
    ("1 2 3 4 5", WRONG_FIELD_COUNT.format(5)),
    ("1,,2", WRONG_FIELD_COUNT.format(1)),  # commas separate only non-empty fields
    ("1,2,3,4,5", WRONG_FIELD_COUNT.format(5)),
    ("1 2 yesterday RT", "bad_timestamp: 'yesterday' is not a unix time in seconds"),
    ("1 2 134110080000 RT", "bad_timestamp: '134110080000' is not a unix time in seconds"),  # 12 digits: ms
    ("1 2 yesterday LIKE", "bad_timestamp: 'yesterday' is not a unix time in seconds"),  # time checked first
    ("1 2 1341100800 LIKE", "unknown_kind: 'LIKE' is not RT, MT or RE"),
    ("1 2 1341100800 rt", "unknown_kind: 'rt' is not RT, MT or RE"),
    ("1 2 1341100800 " + "K" * 50, "unknown_kind: '" + "K" * 40 + "' is not RT, MT or RE"),  # value cut to 40
    ("1 2 heavy", "bad_weight: 'heavy' is not a positive finite number"),
    ("1 2 NaN", "bad_weight: 'NaN' is not a positive finite number"),
    ("1 2 1,5", "bad_weight: '1,5' is not a positive finite number"),
    ("1 2 1e-400", "bad_weight: '1e-400' is not a positive finite number"),  # underflows to 0.0
    ("1 2 1341100800.5.5 RT", "bad_timestamp: '1341100800.5.5' is not a unix time in seconds"),
    ("1 2 3 1", "bad_timestamp: '1' is not a unix time in seconds"),  # a rated line's time has nine digits or more
    ("1 2 3 134110080000", "bad_timestamp: '134110080000' is not a unix time in seconds"),
    ("1,2,x,1341100800", "bad_weight: 'x' is not a positive finite number"),  # a numeric fourth field: a rated line
    ("1 2 -heavy 1341100800", "bad_weight: '-heavy' is not a positive finite number"),
]


def test_malformed_lines_are_quarantined_with_a_specific_reason(spark):
    lines = [line for line, _ in QUARANTINE_CASES] + [None]
    assertDataFrameEqual(
        parsed(spark, lines),
        expected(
            spark,
            [
                *[quarantined(number, reason) for number, (_, reason) in enumerate(QUARANTINE_CASES, start=1)],
                skipped(len(lines), "blank"),
            ],
        ),
    )


def test_a_weight_that_overflows_to_infinity_is_quarantined(spark):
    assertDataFrameEqual(
        parsed(spark, ["1 2 1e400", None]),
        expected(spark, [quarantined(1, "bad_weight: '1e400' is not a positive finite number"), skipped(2, "blank")]),
    )


@pytest.fixture
def interpreted_projections(spark):
    """Whole-stage codegen off for one test, as Spark does by itself for a stage whose code grows too large."""
    previous = spark.conf.get("spark.sql.codegen.wholeStage")
    spark.conf.set("spark.sql.codegen.wholeStage", "false")
    yield
    spark.conf.set("spark.sql.codegen.wholeStage", previous)


def test_a_non_numeric_weight_is_quarantined_without_whole_stage_codegen(spark, interpreted_projections):
    assertDataFrameEqual(
        parsed(spark, ["1 2 heavy", "1 2 2.5", None]),
        expected(
            spark,
            [
                quarantined(1, "bad_weight: 'heavy' is not a positive finite number"),
                conformed(2, "1", "2", weight=2.5),
                skipped(3, "blank"),
            ],
        ),
    )


def test_every_output_row_keeps_where_it_came_from_and_carries_only_its_interaction(spark):
    lines = lines_frame(spark, ["1 2", "#", None, "bad"], file="edges/a.txt", source="snap")
    result = with_snap_fields(lines, "higgs")
    assert tuple(result.columns) == CLASSIFIED_COLUMNS  # analysis only, no job
    other_records = F.size("accounts") + F.size("posts") + F.size("deletes") + F.size("links")
    assertDataFrameEqual(
        result.select(
            "source",
            "file",
            "line_number",
            "line",
            "event_key",
            F.col("interactions.network").alias("networks"),
            other_records.alias("other_records"),
        ),
        spark.createDataFrame(
            [
                ("snap", "edges/a.txt", 1, "1 2", None, ["higgs"], 0),  # an edge-list line has no event key
                ("snap", "edges/a.txt", 2, "#", None, [], 0),
                ("snap", "edges/a.txt", 3, None, None, [], 0),
                ("snap", "edges/a.txt", 4, "bad", None, [], 0),
            ],
            "source string, file string, line_number long, line string, event_key string, "
            "networks array<string>, other_records int",
        ),
    )


# Keys. The natural key, hashed into interaction_id by silver, must not change from one night or one
# release to the next: these are written out by hand ("\u0001" separates the parts).


def activity_key(network, actor, target, kind, seconds):
    return "\u0001".join([network, actor, target, kind, str(seconds)])


def edge_key(network, source, file, line_number):
    return "\u0001".join([network, source, file, str(line_number)])


def keys(spark, rows, network="higgs"):
    """(event_key, natural_key of its interaction) of each (source, file, line_number, line) row, keyed by
    (file, line_number); (None, None) for a line without an interaction."""
    result = with_snap_fields(spark.createDataFrame(rows, LINES_SCHEMA), network).select(
        "file", "line_number", "event_key", F.col("interactions.natural_key").alias("natural_keys")
    )
    found = {}
    for row in result.collect():
        assert len(row.natural_keys) <= 1, row
        found[(row.file, row.line_number)] = (row.event_key, row.natural_keys[0] if row.natural_keys else None)
    return found


def test_the_same_activity_event_has_one_key_in_every_file(spark):
    found = keys(
        spark,
        [
            ("snap", "day1.txt", 1, "1 2 1341100800 RT"),
            ("snap", "day2.txt", 7, "1\t2\t1341100800\tRT\r"),
            ("snap", "day1.txt", 2, "1 2 1341100800 MT"),  # another kind
            ("snap", "day1.txt", 3, "1 2 1341100801 RT"),  # another second
            ("snap", "day1.txt", 4, "2 1 1341100800 RT"),  # the other direction
            ("snap", "day1.txt", 5, None),
            ("snap", "day1.txt", 6, "1 2 1341100800 XX"),  # quarantined: no key either
        ],
    )
    reshare = activity_key("higgs", "1", "2", "reshare", JULY_1_2012)
    # an activity line's event key is its interaction's natural key
    assert found[("day1.txt", 1)] == found[("day2.txt", 7)] == (reshare, reshare)
    assert found[("day1.txt", 2)] == (activity_key("higgs", "1", "2", "mention", JULY_1_2012),) * 2
    assert found[("day1.txt", 3)] == (activity_key("higgs", "1", "2", "reshare", JULY_1_2012 + 1),) * 2
    assert found[("day1.txt", 4)] == (activity_key("higgs", "2", "1", "reshare", JULY_1_2012),) * 2
    assert found[("day1.txt", 5)] == found[("day1.txt", 6)] == (None, None)


def test_the_same_activity_event_has_one_key_however_its_time_is_written(spark):
    found = keys(
        spark,
        [
            ("snap", "day1.txt", 1, "1 2 123 RT"),
            ("snap", "day2.txt", 1, "1 2 0123 RT"),
            ("snap", "day2.txt", 2, None),
        ],
    )
    assert found[("day1.txt", 1)] == found[("day2.txt", 1)] == (activity_key("higgs", "1", "2", "reshare", 123),) * 2


def test_edge_list_lines_are_keyed_on_where_they_were_written_and_have_no_event_key(spark):
    found = keys(
        spark,
        [
            ("snap", "edges.txt", 1, "1 2"),
            ("snap", "edges.txt", 2, "1 2"),  # the same pair again: another interaction
            ("snap", "other.txt", 1, "1 2"),  # the same pair in another file: another interaction
            ("snap", "edges.txt", 3, "bad"),
        ],
    )
    assert found[("edges.txt", 1)] == (None, edge_key("higgs", "snap", "edges.txt", 1))
    assert found[("edges.txt", 2)] == (None, edge_key("higgs", "snap", "edges.txt", 2))
    assert found[("other.txt", 1)] == (None, edge_key("higgs", "snap", "other.txt", 1))
    assert found[("edges.txt", 3)] == (None, None)


def test_edge_list_keys_name_the_source(spark):
    result = with_snap_fields(spark.createDataFrame([("edges", "edges.txt", 1, "1 2")], LINES_SCHEMA), "higgs")
    assert [row.key for row in result.select(F.col("interactions")[0]["natural_key"].alias("key")).collect()] == [
        edge_key("higgs", "edges", "edges.txt", 1)
    ]


def test_the_same_edge_list_landed_twice_keeps_its_keys(spark):
    first = keys(spark, [("snap", "edges.txt", 1, "1 2"), ("snap", "edges.txt", 2, None)])
    again = keys(spark, [("snap", "edges.txt", 1, "1 2 1"), ("snap", "edges.txt", 2, "")])
    assert (
        first
        == again
        == {
            ("edges.txt", 1): (None, edge_key("higgs", "snap", "edges.txt", 1)),
            ("edges.txt", 2): (None, None),
        }
    )


def test_a_temporal_edge_is_keyed_on_what_happened_like_an_activity_event(spark):
    found = keys(
        spark,
        [
            ("snap", "day1.txt", 1, "1 2 1341100800"),
            ("snap", "day2.txt", 4, "1,2,1341100800"),  # the same message in another file and layout
            ("snap", "day2.txt", 5, "1 2 1341100801"),
        ],
    )
    message = activity_key("higgs", "1", "2", "edge", JULY_1_2012)
    assert found[("day1.txt", 1)] == found[("day2.txt", 4)] == (message, message)
    assert found[("day2.txt", 5)] == (activity_key("higgs", "1", "2", "edge", JULY_1_2012 + 1),) * 2


def test_a_rating_is_keyed_on_what_happened_to_the_microsecond(spark):
    found = keys(
        spark,
        [
            ("snap", "otc.csv", 1, "6,2,4,1289241911.72836"),
            ("snap", "otc2.csv", 9, "6 2 4 1289241911.728360"),  # the same rating in another file and layout
            ("snap", "otc.csv", 2, "6,2,4,1289241911.72837"),  # ten microseconds later
            ("snap", "alpha.csv", 1, "7188,1,10,1407470400"),  # whole seconds: keyed as before fractions were read
            ("snap", "alpha2.csv", 3, "7188 1 10 1407470400.000"),  # the same second with a fraction of zero
            ("snap", "alpha2.csv", 4, "7188 1 10 1407470400.5"),
        ],
    )
    rating = activity_key("higgs", "6", "2", "edge", "1289241911.728360")
    assert found[("otc.csv", 1)] == found[("otc2.csv", 9)] == (rating, rating)
    assert found[("otc.csv", 2)] == (activity_key("higgs", "6", "2", "edge", "1289241911.728370"),) * 2
    whole = activity_key("higgs", "7188", "1", "edge", 1407470400)
    assert found[("alpha.csv", 1)] == found[("alpha2.csv", 3)] == (whole, whole)
    assert found[("alpha2.csv", 4)] == (activity_key("higgs", "7188", "1", "edge", "1407470400.500000"),) * 2


def test_keys_differ_between_networks(spark):
    rows = [("snap", "f.txt", 1, "1 2 1341100800 RT"), ("snap", "f.txt", 2, "1 2"), ("snap", "f.txt", 3, None)]
    found = keys(spark, rows, "twitter")
    twitter_reshare = activity_key("twitter", "1", "2", "reshare", JULY_1_2012)
    assert found == {
        ("f.txt", 1): (twitter_reshare, twitter_reshare),
        ("f.txt", 2): (None, edge_key("twitter", "snap", "f.txt", 2)),
        ("f.txt", 3): (None, None),
    }


# Property test: arbitrary text, and text built from SNAP-like tokens so that every branch is reached.
SPECIAL_CHARACTERS = [" ", "\t", "\r", "\n", "\ufeff", "\x00", "\x0b", "\x0c", "\x1f", "\x85", "\xa0", "\u2028", "#"]
ANY_TEXT = st.text(st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL_CHARACTERS)), max_size=40)
TOKEN = st.one_of(
    st.sampled_from(
        ["RT", "MT", "RE", "XX", "1341100800", "1289241911.72836", "-5", "2.5", "0", "-1", ".5", "1e3", "#", "id_1", "source"]
    ),
    st.text(st.sampled_from(list("0123456789.+-eE#abRTM\ufeff")), min_size=1, max_size=8),
)
SNAP_LIKE = st.builds(
    lambda prefix, tokens, separator, suffix: prefix + separator.join(tokens) + suffix,
    st.sampled_from(["", "\ufeff", " ", "\t", "#"]),
    st.lists(TOKEN, min_size=0, max_size=5),
    st.sampled_from([" ", "\t", " \t", "\t\t", "   ", ",", " , "]),
    st.sampled_from(["", "\r", " ", "\t", "\r\n", " \r"]),
)
LINE = st.one_of(st.none(), ANY_TEXT, SNAP_LIKE)
REASON_PREFIXES = ("wrong_field_count: ", "bad_timestamp: ", "unknown_kind: ", "bad_weight: ")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(LINE, min_size=1, max_size=40))
def test_any_text_gets_exactly_one_consistent_classification(spark, lines):
    rows = sorted(with_snap_fields(lines_frame(spark, lines), "higgs").collect(), key=lambda row: row.line_number)

    assert [row.line_number for row in rows] == list(range(1, len(lines) + 1))
    assert [row.line for row in rows] == lines
    for row in rows:
        assert row.status in {"conformed", "quarantined", "skipped"}
        assert (row.reason is None) == (row.status == "conformed")
        assert (row.accounts, row.posts, row.deletes, row.links) == ([], [], [], []), row
        if row.status == "conformed":
            assert len(row.interactions) == 1, row
            record = row.interactions[0]
            assert record.network == "higgs"
            assert record.actor and record.target, row
            assert not re.search(r"[ \t]", record.actor + record.target), row
            assert record.kind in {"reshare", "mention", "reply", "edge"}
            assert record.weight is not None and record.weight > 0
            assert record.occurred_at is not None or record.kind == "edge"
            assert (record.post_id, record.target_post_id) == (None, None)
            assert record.natural_key
            # lines with a time are keyed by the event (and deduplicated on it); edge-list lines without one are not
            assert row.event_key == (None if record.occurred_at is None else record.natural_key), row
        else:
            assert (row.interactions, row.event_key) == ([], None), row
        if row.status == "skipped":
            assert row.reason in {"blank", "comment", "header", "non_positive_weight"}
            assert row.reason != "header" or row.line_number == 1, row
        if row.status == "quarantined":
            assert row.reason.startswith(REASON_PREFIXES), row.reason
