"""The reddit connector on hand-built Pushshift lines: one run, one collect, many small assertions.

Every expected value is worked out by hand from the line text (times: `date -u -d @<seconds>`).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pyspark.sql import types as T

from transforms.connectors import reddit
from transforms.connectors.records import CLASSIFIED_COLUMNS

UTC = dt.UTC
LINES_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), True),
        T.StructField("file", T.StringType(), True),
        T.StructField("line_number", T.LongType(), True),
        T.StructField("line", T.StringType(), True),
    ]
)

SUBMISSION = {  # 2019-style RS line: int times, name given, retrieved_on later than created_utc
    "all_awardings": [],
    "author": "spez",
    "author_fullname": "t2_1w72",
    "created_utc": 1546300800,
    "domain": "self.announcements",
    "id": "abc123",
    "is_self": True,
    "name": "t3_abc123",
    "num_comments": 42,
    "num_crossposts": 3,
    "permalink": "/r/announcements/comments/abc123/hello/",
    "retrieved_on": 1546400000,
    "score": 1234,
    "selftext": "Thanks u/kn0thing and /u/Some_User! Not reddit.com/u/notamention nor xu/nope",
    "subreddit": "announcements",
    "subreddit_id": "t5_2r0ij",
    "title": "Hello reddit",
    "url": "https://www.reddit.com/r/announcements/comments/abc123/hello/",
}
OLD_COMMENT = {  # 2005-style RC line: created_utc as a string, no name
    "author": "kn0thing",
    "author_flair_css_class": None,
    "author_flair_text": None,
    "body": "Welcome, u/spez! #notatag",
    "controversiality": 0,
    "created_utc": "1134365188",
    "distinguished": None,
    "edited": False,
    "gilded": 0,
    "id": "c13",
    "link_id": "t3_17863",
    "parent_id": "t3_17863",
    "retrieved_on": 1473738411,
    "score": 3,
    "subreddit": "reddit.com",
    "subreddit_id": "t5_6",
    "ups": 3,
}
REPLY_TO_COMMENT = {  # float-like string time, t1_ parent, markdown-escaped name, negative score, extra field
    "author": "Some_User",
    "body": "cc u/foo\\_bar, u/Spez and u/spez",
    "created_utc": "1546300801.0",
    "id": "ed0",
    "name": "t1_ed0",
    "link_id": "t3_abc123",
    "parent_id": "t1_c13",
    "score": -5,
    "retrieved_utc": 1546387200,
    "some_new_field": {"x": 1},
    "subreddit": "announcements",
}
LINK_ONLY_COMMENT = {  # float time, no parent_id (link_id stands in), body removed by a moderator
    "author": "AutoModerator",
    "body": "[removed]",
    "created_utc": 1546300802.5,
    "id": "ed1",
    "link_id": "t3_abc123",
    "score": 1,
}
CROSSPOST = {
    "author": "crossposter",
    "created_utc": 1546300900,
    "id": "xp1",
    "title": "x-post",
    "selftext": "",
    "crosspost_parent": "t3_abc123",
    "num_comments": 0,
    "num_crossposts": 0,
    "score": 1,
}
WRONG_TYPES = {  # a JSON number id, counts of the wrong type
    "author": "early",
    "created_utc": 1136074600,
    "id": 87,
    "title": "Early post",
    "score": "lots",
    "num_comments": {"a": 1},
    "num_crossposts": 2.5,
}
GOOD = {
    1: SUBMISSION,
    2: OLD_COMMENT,
    3: REPLY_TO_COMMENT,
    4: LINK_ONLY_COMMENT,
    5: CROSSPOST,
    6: WRONG_TYPES,
}
RAW = {
    7: "\ufeff" + json.dumps({**OLD_COMMENT, "id": "c14", "body": "bom"}),
    8: json.dumps({**OLD_COMMENT, "id": "c15", "body": "crlf"}) + "\r\n",
    9: "  " + json.dumps({**OLD_COMMENT, "id": "c16", "body": "padded"}) + "\t ",
    # skipped
    10: None,
    11: "",
    12: "   \r\n",
    13: json.dumps({**OLD_COMMENT, "author": "[deleted]", "body": "[deleted]"}),
    14: json.dumps({**SUBMISSION, "author": "[removed]"}),
    # quarantined
    15: "{not json",
    16: "[1, 2]",
    17: json.dumps({"author": "x", "id": "zz", "created_utc": 1546300800}),
    18: json.dumps({"name": "t2_abc", "id": "abc", "author": "x", "created_utc": 1546300800}),
    19: json.dumps({k: v for k, v in OLD_COMMENT.items() if k != "id"}),
    20: json.dumps({**OLD_COMMENT, "author": None}),
    21: json.dumps({**OLD_COMMENT, "author": ""}),
    22: json.dumps({k: v for k, v in OLD_COMMENT.items() if k != "created_utc"}),
    23: json.dumps({**OLD_COMMENT, "created_utc": None}),
    24: json.dumps({**OLD_COMMENT, "created_utc": "yesterday"}),
    25: json.dumps({**OLD_COMMENT, "created_utc": 1546300800000}),
    26: json.dumps({**OLD_COMMENT, "created_utc": True}),
    27: json.dumps({**OLD_COMMENT, "id": "ABC!"}),
    28: json.dumps({**SUBMISSION, "name": "t3_xyz"}),
    29: json.dumps({**OLD_COMMENT, "parent_id": "t5_6"}),
    30: json.dumps({k: v for k, v in OLD_COMMENT.items() if k not in ("parent_id", "link_id")}),
    31: json.dumps({**CROSSPOST, "crosspost_parent": "t1_c13"}),
    32: json.dumps({**OLD_COMMENT, "created_utc": "0"}),
    33: json.dumps({**OLD_COMMENT, "author": ["x"]}),
    34: json.dumps({**OLD_COMMENT, "id": "t1_c17", "body": "prefixed id"}),
    # the reddit API's things: {"kind": ..., "data": ...}
    35: json.dumps({"kind": "t3", "data": {**SUBMISSION, "id": "abc124", "name": "t3_abc124"}}),
    36: json.dumps({"kind": "t1", "data": {**REPLY_TO_COMMENT, "id": "ed2", "name": "t1_ed2"}}),
    37: json.dumps({"kind": "t2", "data": {"name": "spez", "id": "1w72"}}),  # an account: not a post
    38: json.dumps({"kind": "t1", "data": {**REPLY_TO_COMMENT, "id": "ed3", "name": "t1_ed3", "created_utc": None}}),
    39: json.dumps({"kind": "Listing", "data": {"after": None, "children": [{"kind": "t3", "data": SUBMISSION}]}}),
}


@pytest.fixture(scope="module")
def rows(spark):
    lines = {**{n: json.dumps(d) for n, d in GOOD.items()}, **RAW}
    frame = spark.createDataFrame([("reddit", "RC_test.ndjson", n, line) for n, line in sorted(lines.items())], LINES_SCHEMA)
    out = reddit.to_classified(frame)
    assert tuple(out.columns) == CLASSIFIED_COLUMNS
    return {row.line_number: row.asDict(recursive=True) for row in out.collect()}


def utc(value):
    """A collected timestamp (naive, local time of this process) as an aware UTC datetime."""
    return None if value is None else value.astimezone(UTC)


def only(records):
    assert len(records) == 1, records
    return records[0]


def test_one_row_per_line(rows):
    assert sorted(rows) == list(range(1, 40))


@pytest.mark.parametrize("number", [1, 2, 3, 4, 5, 6, 7, 8, 9, 34])
def test_good_lines_conform(rows, number):
    assert (rows[number]["status"], rows[number]["reason"]) == ("conformed", None)


def test_submission_post(rows):
    post = only(rows[1]["posts"])
    assert post["network"] == "reddit"
    assert post["post_id"] == "t3_abc123"
    assert post["author"] == "spez"
    assert utc(post["created_at"]) == dt.datetime(2019, 1, 1, tzinfo=UTC)
    assert post["text"] == ("Hello reddit\n\nThanks u/kn0thing and /u/Some_User! Not reddit.com/u/notamention nor xu/nope")
    assert post["hashtags"] == []
    assert post["mentions"] == ["@kn0thing", "@some_user"]
    assert post["reply_to_post_id"] is None
    assert post["reshare_of_post_id"] is None
    assert (post["like_count"], post["reply_count"], post["reshare_count"]) == (1234, 42, 3)
    assert post["quote_count"] is None and post["lang"] is None and post["reply_to_account"] is None
    assert utc(post["observed_at"]) == dt.datetime(2019, 1, 2, 3, 33, 20, tzinfo=UTC)  # retrieved_on


def test_submission_account_and_key(rows):
    account = only(rows[1]["accounts"])
    assert account == {
        "network": "reddit",
        "account_id": "spez",
        "handle": "spez",
        "display_name": None,
        "bio": None,
        "lang": None,
        "followers_count": None,
        "observed_at": account["observed_at"],
    }
    assert utc(account["observed_at"]) == dt.datetime(2019, 1, 1, tzinfo=UTC)
    assert rows[1]["event_key"] == "reddit|t3_abc123"


def test_submission_mentions_only(rows):
    interactions = rows[1]["interactions"]
    assert [(i["kind"], i["actor"], i["target"]) for i in interactions] == [
        ("mention", "spez", "@kn0thing"),
        ("mention", "spez", "@some_user"),
    ]
    first = interactions[0]
    assert first["post_id"] == "t3_abc123" and first["target_post_id"] is None
    assert first["natural_key"] == "reddit|mention|t3_abc123|@kn0thing"
    assert first["weight"] == 1.0 and first["network"] == "reddit"
    assert utc(first["occurred_at"]) == dt.datetime(2019, 1, 1, tzinfo=UTC)


def test_old_comment_string_time_and_reply(rows):
    row = rows[2]
    post = only(row["posts"])
    assert post["post_id"] == "t1_c13" and row["event_key"] == "reddit|t1_c13"
    assert utc(post["created_at"]) == dt.datetime(2005, 12, 12, 5, 26, 28, tzinfo=UTC)
    assert utc(post["observed_at"]) == dt.datetime(2016, 9, 13, 3, 46, 51, tzinfo=UTC)
    assert post["text"] == "Welcome, u/spez! #notatag"
    assert post["hashtags"] == []
    assert post["reply_to_post_id"] == "t3_17863"
    assert (post["like_count"], post["reply_count"], post["reshare_count"]) == (3, None, None)
    reply, mention = row["interactions"]
    assert reply == {
        "network": "reddit",
        "actor": "kn0thing",
        "target": None,
        "kind": "reply",
        "occurred_at": reply["occurred_at"],
        "post_id": "t1_c13",
        "target_post_id": "t3_17863",
        "weight": 1.0,
        "natural_key": "reddit|reply|t1_c13",
    }
    assert utc(reply["occurred_at"]) == dt.datetime(2005, 12, 12, 5, 26, 28, tzinfo=UTC)
    assert (mention["kind"], mention["actor"], mention["target"]) == ("mention", "kn0thing", "@spez")
    assert mention["natural_key"] == "reddit|mention|t1_c13|@spez"


def test_reply_to_comment(rows):
    post = only(rows[3]["posts"])
    assert post["post_id"] == "t1_ed0"
    assert post["reply_to_post_id"] == "t1_c13"
    assert utc(post["created_at"]) == dt.datetime(2019, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert utc(post["observed_at"]) == dt.datetime(2019, 1, 2, tzinfo=UTC)  # retrieved_utc
    assert post["like_count"] == -5  # the net score, as reported
    assert post["mentions"] == ["@foo_bar", "@spez"]  # unescaped, case-folded, distinct
    assert post["text"] == "cc u/foo\\_bar, u/Spez and u/spez"
    kinds = [(i["kind"], i["target"], i["target_post_id"]) for i in rows[3]["interactions"]]
    assert kinds == [("reply", None, "t1_c13"), ("mention", "@foo_bar", None), ("mention", "@spez", None)]
    assert only(rows[3]["accounts"])["account_id"] == "Some_User"  # verbatim case


def test_comment_without_parent_replies_to_its_link(rows):
    post = only(rows[4]["posts"])
    assert post["post_id"] == "t1_ed1" and post["reply_to_post_id"] == "t3_abc123"
    assert post["text"] == "[removed]"
    assert utc(post["created_at"]) == dt.datetime(2019, 1, 1, 0, 0, 2, 500000, tzinfo=UTC)
    assert utc(post["observed_at"]) == utc(post["created_at"])  # no retrieved time
    assert only(rows[4]["interactions"])["target_post_id"] == "t3_abc123"


def test_crosspost_is_a_reshare(rows):
    post = only(rows[5]["posts"])
    assert post["post_id"] == "t3_xp1" and post["text"] == "x-post"
    assert post["reshare_of_post_id"] == "t3_abc123" and post["reply_to_post_id"] is None
    reshare = only(rows[5]["interactions"])
    assert (reshare["kind"], reshare["actor"], reshare["target"]) == ("reshare", "crossposter", None)
    assert (reshare["post_id"], reshare["target_post_id"]) == ("t3_xp1", "t3_abc123")
    assert reshare["natural_key"] == "reddit|reshare|t3_xp1"


def test_number_id_and_counts_of_the_wrong_type(rows):
    post = only(rows[6]["posts"])
    assert post["post_id"] == "t3_87"
    assert (post["like_count"], post["reply_count"], post["reshare_count"]) == (None, None, None)
    assert utc(post["created_at"]) == dt.datetime(2006, 1, 1, 0, 16, 40, tzinfo=UTC)
    assert rows[6]["interactions"] == []


@pytest.mark.parametrize("number, post_id, text", [(7, "t1_c14", "bom"), (8, "t1_c15", "crlf"), (9, "t1_c16", "padded")])
def test_bom_crlf_and_padding(rows, number, post_id, text):
    post = only(rows[number]["posts"])
    assert (post["post_id"], post["text"]) == (post_id, text)


@pytest.mark.parametrize(
    "number, reason",
    [(10, "blank"), (11, "blank"), (12, "blank"), (13, "author_deleted"), (14, "author_deleted")],
)
def test_skips(rows, number, reason):
    row = rows[number]
    assert (row["status"], row["reason"], row["event_key"]) == ("skipped", reason, None)
    assert row["posts"] == [] and row["accounts"] == [] and row["interactions"] == []


QUARANTINED = [
    (15, "invalid_json: the line is not valid JSON"),
    (16, "invalid_json: expected a JSON object, got array"),
    (17, "unknown_event_type: "),
    (18, "unknown_event_type: "),
    (19, "missing_field: $.id "),
    (20, "missing_field: $.author "),
    (21, "missing_field: $.author "),
    (22, "missing_field: $.created_utc "),
    (23, "missing_field: $.created_utc "),
    (24, "bad_timestamp: created_utc 'yesterday' "),
    (25, "bad_timestamp: created_utc '1546300800000' "),
    (26, "bad_timestamp: created_utc 'true' "),
    (27, "bad_value: id 'ABC!' "),
    (28, "bad_value: name 't3_xyz' does not match id 'abc123'"),
    (29, "bad_value: parent_id 't5_6' "),
    (30, "missing_field: $.parent_id "),
    (31, "bad_value: crosspost_parent 't1_c13' "),
    (32, "bad_timestamp: created_utc '0' "),
    (33, "missing_field: $.author "),
]


@pytest.mark.parametrize("number, reason_start", QUARANTINED)
def test_quarantines(rows, number, reason_start):
    row = rows[number]
    assert row["status"] == "quarantined"
    assert row["reason"].startswith(reason_start), row["reason"]
    assert row["event_key"] is None
    assert row["posts"] == [] and row["accounts"] == [] and row["interactions"] == []


def test_lines_are_kept_verbatim(rows):
    assert rows[8]["line"].endswith("\r\n") and rows[10]["line"] is None
    assert (rows[1]["source"], rows[1]["file"]) == ("reddit", "RC_test.ndjson")


def renamed(records, old_id, new_id):
    """The records with every string naming the post `old_id` naming `new_id` (post ids, natural keys)."""
    return [
        {key: value.replace(old_id, new_id) if isinstance(value, str) else value for key, value in r.items()} for r in records
    ]


@pytest.mark.parametrize("wrapped, plain, plain_id, wrapped_id", [(35, 1, "t3_abc123", "t3_abc124"), (36, 3, "t1_ed0", "t1_ed2")])
def test_an_api_thing_reads_as_its_data(rows, wrapped, plain, plain_id, wrapped_id):
    """The same submission and comment as lines 1 and 3 but for their ids, wrapped as the reddit API sends them."""
    assert (rows[wrapped]["status"], rows[wrapped]["reason"]) == ("conformed", None)
    assert rows[wrapped]["event_key"] == f"reddit|{wrapped_id}"
    assert wrapped_id in {post["post_id"] for post in rows[wrapped]["posts"]}
    for kind in ("accounts", "posts", "interactions"):
        assert rows[wrapped][kind] == renamed(rows[plain][kind], plain_id, wrapped_id), kind


def test_an_api_thing_of_another_kind_a_listing_or_bad_data_is_quarantined(rows):
    assert rows[37]["reason"].startswith("unknown_event_type: ")
    assert rows[39]["reason"].startswith("unknown_event_type: ")  # a page of things is not read (docs/connectors/reddit.md)
    assert rows[38]["reason"] == "missing_field: $.created_utc is absent, null or not of the expected type"


def test_an_id_already_prefixed_is_not_prefixed_twice(rows):
    assert only(rows[34]["posts"])["post_id"] == "t1_c17"
    assert rows[34]["event_key"] == "reddit|t1_c17"
