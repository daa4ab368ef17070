"""transforms.connectors.lines: duplicate marking, the per-file classification summary and reconciliation."""

from __future__ import annotations

from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from transforms.connectors.lines import reconcile, summarize_classification, with_duplicates_skipped
from transforms.connectors.snap import with_snap_fields

COUNTS = T.MapType(T.StringType(), T.LongType())
# The columns of a classified line these transforms read; the record arrays play no part in them.
CLASSIFIED_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("line_number", T.LongType(), False),
        T.StructField("line", T.StringType(), True),
        T.StructField("status", T.StringType(), False),
        T.StructField("reason", T.StringType(), True),
        T.StructField("event_key", T.StringType(), True),
    ]
)
SUMMARY_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("conformed", T.LongType(), False),
        T.StructField("quarantined", T.LongType(), False),
        T.StructField("skipped", COUNTS, False),  # lines per skip reason
        T.StructField("quarantine_reasons", COUNTS, False),  # lines per reason code
    ]
)
RAW_COUNTS_SCHEMA = "source string, file string, raw_lines long"
RECONCILED_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("raw_lines", T.LongType(), False),
        T.StructField("conformed", T.LongType(), False),
        T.StructField("quarantined", T.LongType(), False),
        T.StructField("skipped", COUNTS, False),
        T.StructField("quarantine_reasons", COUNTS, False),
        T.StructField("accounted_lines", T.LongType(), False),
        T.StructField("quarantined_fraction", T.DoubleType(), False),
    ]
)

BAD = "wrong_field_count: expected 'src dst [weight]' or 'userA userB unix_ts RT|MT|RE', got 1 fields"
BAD_TIME = "bad_timestamp: 'x' is not a unix time in seconds"
BAD_KIND = "unknown_kind: 'LIKE' is not RT, MT or RE"


def classified(spark, rows):
    return spark.createDataFrame(rows, CLASSIFIED_SCHEMA)


# with_duplicates_skipped


def test_only_the_earliest_line_of_a_repeated_event_stays_conformed(spark):
    rows = [
        ("snap", "b.txt", 1, "1 2 5 RT", "conformed", None, "x"),
        ("snap", "a.txt", 10, "1 2 5 RT", "conformed", None, "x"),
        ("snap", "a.txt", 9, "1 2 5 RT", "conformed", None, "x"),  # 9 < 10 as numbers, not as text
        ("snap", "a.txt", 2, "3 4 5 RT", "conformed", None, "y"),  # unique
        ("snap", "a.txt", 3, "bad", "quarantined", BAD, None),
        ("snap", "a.txt", 4, "worse", "quarantined", BAD, None),
        ("snap", "a.txt", 5, None, "skipped", "blank", None),
        ("snap", "a.txt", 6, "#", "skipped", "comment", None),
    ]
    assertDataFrameEqual(
        with_duplicates_skipped(classified(spark, rows)),
        classified(
            spark,
            [
                ("snap", "b.txt", 1, "1 2 5 RT", "skipped", "duplicate", "x"),
                ("snap", "a.txt", 10, "1 2 5 RT", "skipped", "duplicate", "x"),
                ("snap", "a.txt", 9, "1 2 5 RT", "conformed", None, "x"),
                ("snap", "a.txt", 2, "3 4 5 RT", "conformed", None, "y"),
                ("snap", "a.txt", 3, "bad", "quarantined", BAD, None),
                ("snap", "a.txt", 4, "worse", "quarantined", BAD, None),
                ("snap", "a.txt", 5, None, "skipped", "blank", None),
                ("snap", "a.txt", 6, "#", "skipped", "comment", None),
            ],
        ),
    )


def test_lines_without_an_event_key_are_never_duplicates(spark):
    rows = [
        ("snap", "edges.txt", 1, "1 2", "conformed", None, None),  # an edge list repeats pairs: each one counts
        ("snap", "edges.txt", 2, "1 2", "conformed", None, None),
        ("snap", "edges.txt", 3, "1 2", "conformed", None, None),
        ("snap", "edges.txt", 4, "1 2 5 RT", "conformed", None, "k"),
        ("snap", "edges.txt", 5, "1 2 5 RT", "conformed", None, "k"),  # a keyed repeat still is one
        ("snap", "edges.txt", 6, None, "skipped", "blank", None),
    ]
    assertDataFrameEqual(
        with_duplicates_skipped(classified(spark, rows)),
        classified(spark, [*rows[:4], ("snap", "edges.txt", 5, "1 2 5 RT", "skipped", "duplicate", "k"), rows[5]]),
    )


def test_the_surviving_copy_does_not_depend_on_partitioning_or_order(spark):
    rows = [("snap", f"part-{n % 3}.txt", n, "1 2 5 RT", "conformed", None, "x") for n in range(12)]
    rows.append(("snap", "part-0.txt", 99, None, "skipped", "blank", None))
    # part-0.txt sorts first among the files and its smallest line number is 0: that copy survives.
    want = classified(spark, [row if row[2] in (0, 99) else (*row[:4], "skipped", "duplicate", row[6]) for row in rows])
    for partitions in (1, 3, 5):
        shuffled = classified(spark, list(reversed(rows))).repartition(partitions)
        assertDataFrameEqual(with_duplicates_skipped(shuffled), want)


def test_marking_duplicates_twice_changes_nothing_more(spark):
    rows = [
        ("snap", "a.txt", 1, "1 2 5 RT", "conformed", None, "x"),
        ("snap", "b.txt", 1, "1 2 5 RT", "conformed", None, "x"),
        ("snap", "a.txt", 2, None, "skipped", "blank", None),
    ]
    once = with_duplicates_skipped(classified(spark, rows))
    assertDataFrameEqual(with_duplicates_skipped(once), once)


# summarize_classification


def test_the_summary_counts_each_status_and_reason_per_file(spark):
    rows = [
        ("snap", "a.txt", 1, "1 2", "conformed", None, None),
        ("snap", "a.txt", 2, "1 3", "conformed", None, None),
        ("snap", "a.txt", 3, "bad", "quarantined", BAD, None),
        ("snap", "a.txt", 4, None, "skipped", "blank", None),
        ("snap", "a.txt", 5, "", "skipped", "blank", None),
        ("snap", "a.txt", 6, "#", "skipped", "comment", None),
        ("snap", "a.txt", 7, "1 2 5 RT", "skipped", "duplicate", "i3"),
        ("snap", "b.txt", 1, None, "skipped", "blank", None),  # a file with nothing but a blank line
        ("other", "a.txt", 1, "1 2", "conformed", None, None),  # same file name, another source
        # reason codes: the text before the first ':', whatever the detail after it
        ("snap", "c.txt", 1, "1 2 x RT", "quarantined", BAD_TIME, None),
        ("snap", "c.txt", 2, "1 2 y RT", "quarantined", "bad_timestamp: 'y' is not a unix time in seconds", None),
        ("snap", "c.txt", 3, "1 2 5 LIKE", "quarantined", BAD_KIND, None),
        ("snap", "c.txt", 4, "{}", "skipped", "delete_of_unknown_record", None),  # any skip reason gets its entry
    ]
    assertDataFrameEqual(
        summarize_classification(classified(spark, rows)),
        spark.createDataFrame(
            [
                ("snap", "a.txt", 2, 1, {"blank": 2, "comment": 1, "duplicate": 1}, {"wrong_field_count": 1}),
                ("snap", "b.txt", 0, 0, {"blank": 1}, {}),  # reasons with no line are absent, not zero
                ("other", "a.txt", 1, 0, {}, {}),
                ("snap", "c.txt", 0, 3, {"delete_of_unknown_record": 1}, {"bad_timestamp": 2, "unknown_kind": 1}),
            ],
            SUMMARY_SCHEMA,
        ),
    )


# reconcile


def test_reconcile_accounts_for_every_raw_line_and_computes_the_quarantined_fraction(spark):
    raw_counts = spark.createDataFrame(
        [
            ("snap", "a.txt", 10),
            ("snap", "b.txt", 3),  # never classified: zeros and empty maps, not nulls
            ("snap", "c.txt", 2),  # only blank lines: the denominator floors at 1
            ("snap", "d.txt", 4),
            ("snap", "e.txt", 5),  # one line lost by the parser
            ("other", "a.txt", 8),
            ("snap", "f.txt", 5),  # a skip reason other than blank or comment is content: it stays in the denominator
            ("snap", "g.csv", 4),  # a header line is not content either
        ],
        RAW_COUNTS_SCHEMA,
    )
    summary = spark.createDataFrame(
        [
            ("snap", "a.txt", 5, 2, {"blank": 1, "comment": 1, "duplicate": 1}, {"bad_weight": 2}),
            ("snap", "c.txt", 0, 0, {"blank": 2}, {}),
            ("snap", "d.txt", 0, 2, {"blank": 1, "comment": 1}, {"bad_timestamp": 1, "unknown_kind": 1}),
            ("snap", "e.txt", 4, 0, {}, {}),
            ("other", "a.txt", 2, 6, {}, {"wrong_field_count": 6}),
            ("snap", "f.txt", 1, 1, {"blank": 1, "delete_of_unknown_record": 2}, {"invalid_json": 1}),
            ("snap", "g.csv", 2, 1, {"header": 1}, {"bad_weight": 1}),
        ],
        SUMMARY_SCHEMA,
    )
    assertDataFrameEqual(
        reconcile(raw_counts, summary),
        spark.createDataFrame(
            [
                # accounted = conformed + quarantined + every skipped count;
                # fraction = quarantined / max(raw - blank - comment - header, 1)
                ("snap", "a.txt", 10, 5, 2, {"blank": 1, "comment": 1, "duplicate": 1}, {"bad_weight": 2}, 10, 2 / 8),
                ("snap", "b.txt", 3, 0, 0, {}, {}, 0, 0.0),
                ("snap", "c.txt", 2, 0, 0, {"blank": 2}, {}, 2, 0.0),
                ("snap", "d.txt", 4, 0, 2, {"blank": 1, "comment": 1}, {"bad_timestamp": 1, "unknown_kind": 1}, 4, 1.0),
                ("snap", "e.txt", 5, 4, 0, {}, {}, 4, 0.0),
                ("other", "a.txt", 8, 2, 6, {}, {"wrong_field_count": 6}, 8, 0.75),
                ("snap", "f.txt", 5, 1, 1, {"blank": 1, "delete_of_unknown_record": 2}, {"invalid_json": 1}, 5, 1 / 4),
                ("snap", "g.csv", 4, 2, 1, {"header": 1}, {"bad_weight": 1}, 4, 1 / 3),
            ],
            RECONCILED_SCHEMA,
        ),
        rtol=0,
        atol=0,
    )


def test_an_empty_file_reconciles_without_dividing_by_zero(spark):
    raw_counts = spark.createDataFrame([("snap", "empty.txt", 0)], RAW_COUNTS_SCHEMA)
    summary = spark.createDataFrame([], SUMMARY_SCHEMA)
    assertDataFrameEqual(
        reconcile(raw_counts, summary),
        spark.createDataFrame([("snap", "empty.txt", 0, 0, 0, {}, {}, 0, 0.0)], RECONCILED_SCHEMA),
    )


def test_parsed_lines_reconcile_with_their_raw_count(spark):
    files = {
        "day1.txt": ["1 2 1341100800 RT", "1 2 1341100800 RT", "", "# c", "bad", "3 4 1341100801 MT", None],
        "day2.txt": ["1 2 1341100800 RT", "1 2 zero RT", "\r"],
        "edges.txt": ["1 2", "1 2", "1 2 heavy", "1 2 -1"],  # no event key: a repeated pair is not a duplicate
    }
    lines = spark.createDataFrame(
        [("snap", file, n, line) for file, text in files.items() for n, line in enumerate(text, start=1)],
        "source string, file string, line_number long, line string",
    )
    raw_counts = spark.createDataFrame([("snap", file, len(text)) for file, text in files.items()], RAW_COUNTS_SCHEMA)
    parsed = with_duplicates_skipped(with_snap_fields(lines, "higgs"))
    assertDataFrameEqual(
        reconcile(raw_counts, summarize_classification(parsed)),
        spark.createDataFrame(
            [
                # day1: the RT at line 1 survives, line 2 repeats it; blank "" and None; one comment; "bad".
                ("snap", "day1.txt", 7, 2, 1, {"blank": 2, "comment": 1, "duplicate": 1}, {"wrong_field_count": 1}, 7, 1 / 4),
                # day2: its first line repeats day1.txt line 1, which sorts earlier; "zero" is a bad time.
                ("snap", "day2.txt", 3, 0, 1, {"blank": 1, "duplicate": 1}, {"bad_timestamp": 1}, 3, 1 / 2),
                # edges: both "1 2" lines conformed; "heavy" is a bad weight; a distrust (-1) is skipped, yet is
                # content: it stays in the quarantined fraction's denominator.
                ("snap", "edges.txt", 4, 2, 1, {"non_positive_weight": 1}, {"bad_weight": 1}, 4, 1 / 4),
            ],
            RECONCILED_SCHEMA,
        ),
    )
