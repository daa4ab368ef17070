"""The identity_links connector on hand-written lines: every field kept verbatim, whatever its characters."""

from __future__ import annotations

from transforms.connectors.identity_links import to_classified

LINES = [
    "person_id,network,account_id",
    "p-28,snap,29",  # the third field ends in 2's neighbour: nothing may be trimmed off it
    " p-3 , twitter , 1000000012 ",
    '{"person_id": "p-1", "network": "bluesky", "account_id": "did:plc:000000000000000000000002"}',
    "p-4,reddit,user2,extra",
    "p-5,myspace,42",
]


def test_links_are_read_verbatim_and_bad_lines_named(spark):
    lines = spark.createDataFrame(
        [("identity_links", "links.csv", number, line) for number, line in enumerate(LINES, start=1)],
        "source string, file string, line_number long, line string",
    )
    rows = {row.line_number: row for row in to_classified(lines).collect()}  # six lines
    assert [(row.status, row.reason) for row in (rows[1], rows[2], rows[3], rows[4])] == [
        ("skipped", "header"),
        ("conformed", None),
        ("conformed", None),
        ("conformed", None),
    ]
    assert [tuple(link) for n in (2, 3, 4) for link in rows[n].links] == [
        ("p-28", "snap", "29"),
        ("p-3", "twitter", "1000000012"),
        ("p-1", "bluesky", "did:plc:000000000000000000000002"),
    ]
    assert rows[5].reason == "missing_field: expected 3 CSV fields person_id,network,account_id, got 4"
    assert rows[6].reason.startswith("bad_value: network 'myspace' is not one of")
