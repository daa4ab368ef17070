"""twitter_v1: hand-built v1.1 archive lines (expected values worked out by hand) and the real TwiNL sample."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime

import pytest
from pyspark.sql import functions as F

from transforms.connectors import twitter_v1
from transforms.connectors.records import CLASSIFIED_COLUMNS

T0 = "Fri Jan 22 05:00:06 +0000 2016"
T0_UTC = datetime(2016, 1, 22, 5, 0, 6)
NO_ENTITIES = {"hashtags": [], "user_mentions": []}


def minimal(**fields) -> dict:
    """A small valid status; a field given as None is removed."""
    status = {"created_at": T0, "id_str": "1011", "text": "x", "user": {"id_str": "30"}, "entities": NO_ENTITIES}
    status.update(fields)
    return {key: value for key, value in status.items() if value is not None}


FULL = {
    "created_at": T0,
    "id": 1001,
    "id_str": "1001",
    "text": "@anna @bert Één #Één #dup #dup",
    "lang": "nl",
    "user": {
        "id": 11,
        "id_str": "11",
        "screen_name": "Carla",
        "name": "Carla C.",
        "description": "Bio ❤",
        "lang": "nl",
        "followers_count": 42,
    },
    "entities": {
        "hashtags": [{"text": "Één", "indices": [16, 20]}, {"text": "dup"}, {"text": "dup"}],
        "user_mentions": [{"id_str": "21", "screen_name": "anna"}, {"id_str": "22", "screen_name": "bert"}],
        "urls": [],
    },
    "in_reply_to_status_id_str": "999",
    "in_reply_to_user_id_str": "21",
    "favorite_count": 3,
    "retweet_count": 4,
    "reply_count": 5,
    "quote_count": 6,
    "twinl_extra": {"anything": [1, 2]},  # unknown extra field: ignored
}
RETWEET = {
    "created_at": "Fri Jan 22 05:10:00 +0000 2016",
    "id_str": "1002",
    "text": "RT @orig: hallo @bert #tag",
    "lang": "nl",
    "user": {"id_str": "12", "screen_name": "Retweeter", "followers_count": 7},
    "entities": {"hashtags": [{"text": "tag"}], "user_mentions": [{"id_str": "13"}, {"id_str": "22"}]},
    "retweeted_status": {
        "created_at": "Thu Jan 21 23:59:59 +0000 2016",
        "id_str": "901",
        "text": "hallo @bert #tag",
        "lang": "nl",
        "user": {"id_str": "13", "screen_name": "orig", "name": "Original", "followers_count": 1000},
        "entities": {"hashtags": [{"text": "tag"}], "user_mentions": [{"id_str": "22"}]},
        "favorite_count": 10,
        "retweet_count": 2,
    },
    "favorite_count": 0,
    "retweet_count": 2,
}
QUOTE_EXTENDED = {
    "created_at": "Sat Jan 23 10:00:00 +0000 2016",
    "id_str": "1003",
    "text": "Kort…",
    "truncated": True,
    "lang": "en",
    "user": {"id_str": "14", "screen_name": "quoter"},
    "entities": NO_ENTITIES,
    "extended_tweet": {
        "full_text": "Kort maar lang #Lang https://t.co/x",
        "entities": {"hashtags": [{"text": "Lang"}], "user_mentions": []},
    },
    "is_quote_status": True,
    "quoted_status_id_str": "902",
    "quoted_status": {
        "created_at": "Fri Jan 22 08:00:00 +0000 2016",
        "id_str": "902",
        "text": "quoted text",
        "user": {"id_str": "15", "screen_name": "quoted"},
        "entities": NO_ENTITIES,
    },
}
RETWEET_OF_QUOTE = {
    "created_at": "Sat Jan 23 11:00:00 +0000 2016",
    "id_str": "1004",
    "text": "RT @quoter2: look",
    "user": {"id_str": "16"},
    "entities": {"hashtags": [], "user_mentions": [{"id_str": "17"}]},
    "retweeted_status": {
        "created_at": "Sat Jan 23 09:00:00 +0000 2016",
        "id_str": "903",
        "text": "look",
        "user": {"id_str": "17", "screen_name": "quoter2"},
        "entities": NO_ENTITIES,
        "quoted_status_id_str": "904",
        "quoted_status": {
            "created_at": "Fri Jan 01 00:00:00 +0000 2016",
            "id_str": "904",
            "text": "old",
            "user": {"id_str": "18"},
            "entities": NO_ENTITIES,
        },
    },
}
NUMERIC_NO_ENTITIES = {  # numeric ids only, no entities (text is the source), counts of the wrong type
    "created_at": "Sun Jan 24 12:00:00 +0000 2016",
    "id": 1005,
    "text": "Hé @Someone, #Présidentielle2022 😀 #2022 mail a@b.nl",
    "user": {"id": 19, "screen_name": "num", "followers_count": "many"},
    "favorite_count": "many",
    "retweet_count": 1,
}
REPLY_UNKNOWN_TARGETS = {  # reply without user id, quote id without embedded status, self-mention
    "created_at": "Sun Jan 24 13:00:00 +0000 2016",
    "id_str": "1006",
    "text": "@me zelf",
    "user": {"id_str": "20"},
    "entities": {"hashtags": [], "user_mentions": [{"id_str": "20"}]},
    "in_reply_to_status_id_str": "905",
    "in_reply_to_user_id_str": None,
    "quoted_status_id_str": "906",
    "quoted_status": None,
}

LINES: dict[int, str | None] = {
    1: json.dumps(FULL, ensure_ascii=False),
    2: json.dumps(RETWEET),
    3: json.dumps(QUOTE_EXTENDED, ensure_ascii=False),
    4: json.dumps(RETWEET_OF_QUOTE),
    5: json.dumps(NUMERIC_NO_ENTITIES, ensure_ascii=False),
    6: json.dumps(REPLY_UNKNOWN_TARGETS),
    7: json.dumps(
        {
            "delete": {
                "status": {"id": 1001, "id_str": "1001", "user_id": 11, "user_id_str": "11"},
                "timestamp_ms": "1453439000000",
            }
        }
    ),
    8: json.dumps({"limit": {"track": 12, "timestamp_ms": "1453439000000"}}),
    9: None,
    10: "   \t ",
    11: "\ufeff" + json.dumps(minimal(id_str="1011")),
    12: json.dumps(minimal(id_str="1012")) + "\r\n",
    13: '{"id_str": "1013", "text": "unterminated',
    14: '[{"id_str": "1014"}]',
    15: json.dumps({"foo": 1, "bar": {}}),
    16: json.dumps(minimal(id_str=None)),
    17: json.dumps(minimal(id_str="abc")),
    18: json.dumps(minimal(user="bob")),  # wrong type: user is a string
    19: json.dumps(minimal(created_at=None)),
    20: json.dumps(minimal(created_at="2016-01-22 05:00:06")),
    21: json.dumps(minimal(created_at="Fri Jan 32 05:00:06 +0000 2016")),
    22: json.dumps(minimal(retweeted_status={"created_at": T0, "id_str": "1", "text": "y"})),
    23: json.dumps(minimal(retweeted_status="oops")),
    24: json.dumps({"delete": {"direct_message": {"id": 5}}}),
    25: json.dumps(minimal(retweeted_status=minimal(id_str="2", quoted_status=minimal(id_str="3", created_at="yesterday")))),
    26: json.dumps(minimal(quoted_status=[1])),
    # search API pages: {"statuses": [...], "search_metadata": {...}}
    27: json.dumps(
        {
            "statuses": [
                minimal(id_str="2001", user={"id_str": "40", "screen_name": "first"}),
                minimal(id_str="2002", created_at="Sat Jan 23 10:00:00 +0000 2016", retweeted_status=minimal(id_str="2003")),
            ],
            "search_metadata": {"count": 2, "query": "x", "next_results": "?max_id=2000"},
        }
    ),
    28: json.dumps({"statuses": [], "search_metadata": {"count": 15, "query": "nothing"}}),
    29: json.dumps({"statuses": [minimal(id_str="2004"), minimal(id_str="2005", created_at="yesterday")]}),
    30: json.dumps({"statuses": [minimal(id_str="2006"), 7]}),
    31: json.dumps({"statuses": [minimal(retweeted_status="oops")]}),
    32: json.dumps({"statuses": "none"}),
    # an array of statuses (a timeline answer kept as one line)
    33: json.dumps([minimal(id_str="2007"), minimal(id_str="2008", user={"id_str": "41"})]),
    34: "[]",
    35: "[1, 2]",
    36: '"just a string"',
}
PAGE_SECOND_TIME = datetime(2016, 1, 23, 10, 0, 0)

EXPECTED_REASONS = {
    13: "invalid_json: the line is not valid JSON",
    14: "missing_field: [0].user.id_str is absent, null or not of the expected type",  # an array is a page
    15: "unknown_event_type: neither a status, a search page, a delete nor a stream notice; keys 'foo,bar'",
    16: "missing_field: id_str is absent, null or not of the expected type",
    17: "bad_value: id_str 'abc' is not a numeric id",
    18: "missing_field: user.id_str is absent, null or not of the expected type",
    19: "missing_field: created_at is absent or null",
    20: "bad_timestamp: created_at '2016-01-22 05:00:06' is not a v1 time like 'Fri Jan 22 05:00:06 +0000 2016'",
    21: "bad_timestamp: created_at 'Fri Jan 32 05:00:06 +0000 2016' is not a v1 time like 'Fri Jan 22 05:00:06 +0000 2016'",
    22: "missing_field: retweeted_status.user.id_str is absent, null or not of the expected type",
    23: "bad_value: retweeted_status is present but not an object",
    24: "missing_field: delete.status.id_str is absent, null or not of the expected type",
    25: "bad_timestamp: retweeted_status.quoted_status.created_at 'yesterday' is not a v1 time like "
    "'Fri Jan 22 05:00:06 +0000 2016'",
    26: "bad_value: quoted_status is present but not an object",
    29: "bad_timestamp: statuses[1].created_at 'yesterday' is not a v1 time like 'Fri Jan 22 05:00:06 +0000 2016'",
    30: "bad_value: statuses[1] is present but not an object",
    31: "bad_value: statuses[0].retweeted_status is present but not an object",
    32: "unknown_event_type: neither a status, a search page, a delete nor a stream notice; keys 'statuses'",
    35: "bad_value: [0] is present but not an object",
    36: "invalid_json: expected a JSON object, got string",
}


@pytest.fixture(scope="module")
def rows(spark):
    frame = spark.createDataFrame(
        [("test", "hand.jsonl", number, line) for number, line in LINES.items()],
        "source string, file string, line_number long, line string",
    )
    out = twitter_v1.to_classified(frame)
    assert tuple(out.columns) == CLASSIFIED_COLUMNS
    return {row["line_number"]: row.asDict(recursive=True) for row in out.collect()}


def interactions(row) -> set[tuple]:
    return {
        (i["kind"], i["actor"], i["target"], i["post_id"], i["target_post_id"], i["natural_key"]) for i in row["interactions"]
    }


def posts(row) -> dict[str, dict]:
    return {p["post_id"]: p for p in row["posts"]}


def accounts(row) -> dict[str, dict]:
    return {a["account_id"]: a for a in row["accounts"]}


def test_one_row_per_line(rows):
    assert sorted(rows) == sorted(LINES)


def test_statuses_and_reasons(rows):
    assert {n for n, r in rows.items() if r["status"] == "conformed"} == {1, 2, 3, 4, 5, 6, 7, 11, 12, 27, 33}
    assert {n: r["reason"] for n, r in rows.items() if r["status"] == "skipped"} == {
        8: "stream_notice",
        9: "blank",
        10: "blank",
        28: "empty_page",
        34: "empty_page",
    }
    assert {n: r["reason"] for n, r in rows.items() if r["status"] == "quarantined"} == EXPECTED_REASONS
    for number in (1, 2, 3, 4, 5, 6, 7, 11, 12):
        assert rows[number]["reason"] is None


def test_event_keys(rows):
    assert rows[1]["event_key"] == "twitter|tweet|1001"
    assert rows[5]["event_key"] == "twitter|tweet|1005"
    assert rows[7]["event_key"] == "twitter|delete|1001"
    assert rows[11]["event_key"] == "twitter|tweet|1011"  # BOM removed
    assert rows[12]["event_key"] == "twitter|tweet|1012"  # CRLF removed
    # a search page: sha-256 of its statuses' ids in order (not of the statuses embedded in them)
    assert rows[27]["event_key"] == "twitter|page|" + hashlib.sha256(b"2001,2002").hexdigest()
    assert rows[33]["event_key"] == "twitter|page|" + hashlib.sha256(b"2007,2008").hexdigest()
    assert all(rows[n]["event_key"] is None for n in (8, 9, 10, 28, 34, *EXPECTED_REASONS))


def test_a_search_page_gives_the_records_of_each_of_its_statuses(rows):
    row = rows[27]
    assert set(posts(row)) == {"2001", "2002", "2003"}
    # each status was seen when it was written; an embedded one when the status carrying it was
    assert {p["post_id"]: p["observed_at"] for p in row["posts"]} == {
        "2001": T0_UTC,
        "2002": PAGE_SECOND_TIME,
        "2003": PAGE_SECOND_TIME,
    }
    assert {(a["account_id"], a["handle"], a["observed_at"]) for a in row["accounts"]} == {
        ("40", "first", T0_UTC),
        ("30", None, PAGE_SECOND_TIME),
    }
    assert interactions(row) == {("reshare", "30", "30", "2002", "2003", "twitter|reshare|2002")}


def test_an_array_of_statuses_gives_the_records_of_each(rows):
    assert {(p["post_id"], p["author"]) for p in rows[33]["posts"]} == {("2007", "30"), ("2008", "41")}
    assert {a["account_id"] for a in rows[33]["accounts"]} == {"30", "41"}


def test_account_fields(rows):
    assert rows[1]["accounts"] == [
        {
            "network": "twitter",
            "account_id": "11",
            "handle": "Carla",
            "display_name": "Carla C.",
            "bio": "Bio ❤",
            "lang": "nl",
            "followers_count": 42,
            "observed_at": T0_UTC,
        }
    ]


def test_post_fields(rows):
    assert rows[1]["posts"] == [
        {
            "network": "twitter",
            "post_id": "1001",
            "author": "11",
            "created_at": T0_UTC,
            "lang": "nl",
            "text": "@anna @bert Één #Één #dup #dup",
            "hashtags": ["Één", "dup"],
            "mentions": ["21", "22"],
            "reply_to_post_id": "999",
            "reply_to_account": "21",
            "reshare_of_post_id": None,
            "quote_of_post_id": None,
            "like_count": 3,
            "reshare_count": 4,
            "reply_count": 5,
            "quote_count": 6,
            "observed_at": T0_UTC,
        }
    ]


def test_reply_and_mentions(rows):
    assert interactions(rows[1]) == {
        ("reply", "11", "21", "1001", "999", "twitter|reply|1001"),
        ("mention", "11", "21", "1001", None, "twitter|mention|1001|21"),
        ("mention", "11", "22", "1001", None, "twitter|mention|1001|22"),
    }
    assert {(i["occurred_at"], i["weight"], i["network"]) for i in rows[1]["interactions"]} == {(T0_UTC, 1.0, "twitter")}


def test_retweet(rows):
    row = rows[2]
    retweet_time = datetime(2016, 1, 22, 5, 10, 0)
    assert set(accounts(row)) == {"12", "13"}
    assert accounts(row)["13"]["display_name"] == "Original"
    assert accounts(row)["13"]["followers_count"] == 1000
    assert {a["observed_at"] for a in row["accounts"]} == {retweet_time}
    retweet, original = posts(row)["1002"], posts(row)["901"]
    assert (retweet["reshare_of_post_id"], retweet["mentions"], retweet["hashtags"]) == ("901", ["13", "22"], ["tag"])
    assert (original["author"], original["created_at"], original["mentions"]) == ("13", datetime(2016, 1, 21, 23, 59, 59), ["22"])
    assert (original["like_count"], original["reshare_count"], original["observed_at"]) == (10, 2, retweet_time)
    # The retweeter reshares; the mention of 22 is the original author's, not the retweeter's.
    assert interactions(row) == {
        ("reshare", "12", "13", "1002", "901", "twitter|reshare|1002"),
        ("mention", "13", "22", "901", None, "twitter|mention|901|22"),
    }
    occurred = {i["kind"]: i["occurred_at"] for i in row["interactions"]}
    assert occurred == {"reshare": retweet_time, "mention": datetime(2016, 1, 21, 23, 59, 59)}


def test_quote_with_extended_text(rows):
    row = rows[3]
    quote = posts(row)["1003"]
    assert (quote["text"], quote["hashtags"], quote["quote_of_post_id"]) == (
        "Kort maar lang #Lang https://t.co/x",
        ["Lang"],
        "902",
    )
    assert quote["lang"] == "en"
    assert posts(row)["902"]["author"] == "15"
    assert set(accounts(row)) == {"14", "15"}
    assert interactions(row) == {("quote", "14", "15", "1003", "902", "twitter|quote|1003")}


def test_retweet_of_a_quote(rows):
    row = rows[4]
    assert set(posts(row)) == {"1004", "903", "904"}
    assert set(accounts(row)) == {"16", "17", "18"}
    assert posts(row)["903"]["quote_of_post_id"] == "904"
    assert interactions(row) == {
        ("reshare", "16", "17", "1004", "903", "twitter|reshare|1004"),
        ("quote", "17", "18", "903", "904", "twitter|quote|903"),
    }


def test_numeric_ids_text_entities_and_wrong_types(rows):
    row = rows[5]
    post = row["posts"][0]
    assert (post["post_id"], post["author"], post["lang"]) == ("1005", "19", None)
    assert post["created_at"] == datetime(2016, 1, 24, 12, 0, 0)
    assert post["hashtags"] == ["Présidentielle2022"]  # '#2022' has no letter; 'a@b.nl' is no mention
    assert post["mentions"] == ["@someone"]
    assert (post["like_count"], post["reshare_count"]) == (None, 1)  # "many" is not a count
    assert row["accounts"][0]["followers_count"] is None
    assert row["accounts"][0]["handle"] == "num"
    assert interactions(row) == {("mention", "19", "@someone", "1005", None, "twitter|mention|1005|@someone")}


def test_unknown_targets_and_self_mention(rows):
    row = rows[6]
    post = row["posts"][0]
    assert (post["reply_to_post_id"], post["reply_to_account"], post["quote_of_post_id"]) == ("905", None, "906")
    assert set(accounts(row)) == {"20"}  # quoted_status: null is no status
    assert interactions(row) == {
        ("reply", "20", None, "1006", "905", "twitter|reply|1006"),
        ("quote", "20", None, "1006", "906", "twitter|quote|1006"),
        ("mention", "20", "20", "1006", None, "twitter|mention|1006|20"),
    }


def test_delete_notice(rows):
    row = rows[7]
    assert row["deletes"] == [{"network": "twitter", "record_type": "post", "natural_key": "1001"}]
    assert (row["posts"], row["accounts"], row["interactions"]) == ([], [], [])


def test_records_empty_off_conformed_lines(rows):
    for number in (8, 9, 10, 28, 34, *EXPECTED_REASONS):
        row = rows[number]
        assert row["posts"] == row["accounts"] == row["interactions"] == row["deletes"] == row["links"] == []


# ---- the real TwiNL sample: 1,000 v1.1 statuses --------------------------------------------------------


def statuses_of(status: dict) -> list[dict]:
    """S, S.retweeted_status, S.quoted_status, S.retweeted_status.quoted_status (reference, plain Python)."""
    found = [status]
    retweeted = status.get("retweeted_status")
    for embedded in (retweeted, status.get("quoted_status"), (retweeted or {}).get("quoted_status")):
        if embedded:
            found.append(embedded)
    return found


@pytest.fixture(scope="module")
def sample(spark, shared_data):
    path = shared_data / "twitter-v1-nl-sample" / "tweets.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reference = {number: json.loads(line) for number, line in enumerate(handle, start=1)}
    # One gzip file is one partition: monotonically_increasing_id follows the file order.
    lines = spark.read.text(str(path)).select(
        F.lit("twinl").alias("source"),
        F.lit(path.name).alias("file"),
        (F.monotonically_increasing_id() + 1).alias("line_number"),
        F.col("value").alias("line"),
    )
    out = {row["line_number"]: row.asDict(recursive=True) for row in twitter_v1.to_classified(lines).collect()}
    return reference, out


def test_sample_every_line_conforms(sample):
    reference, out = sample
    assert sorted(out) == sorted(reference) == list(range(1, 1001))
    assert {n: r["reason"] for n, r in out.items() if r["status"] != "conformed"} == {}


def test_sample_posts_per_line(sample):
    reference, out = sample
    for number, status in reference.items():
        assert set(posts(out[number])) == {s["id_str"] for s in statuses_of(status)}, number
        assert out[number]["event_key"] == f"twitter|tweet|{status['id_str']}"
    assert sum(len(r["posts"]) for r in out.values()) == sum(len(statuses_of(s)) for s in reference.values())


def test_sample_reshares_and_mentions(sample):
    reference, out = sample
    expected_reshares, expected_mentions = set(), set()
    for status in reference.values():
        retweeted = status.get("retweeted_status")
        if retweeted:
            expected_reshares.add((status["user"]["id_str"], retweeted["user"]["id_str"], status["id_str"], retweeted["id_str"]))
        for s in statuses_of(status):
            if "retweeted_status" not in s:  # a retweet's mentions are emitted from the original tweet
                for mention in s["entities"]["user_mentions"]:
                    expected_mentions.add((s["user"]["id_str"], mention["id_str"], s["id_str"]))
    found = [i for r in out.values() for i in r["interactions"]]
    assert len(expected_reshares) == 103
    reshares = {(i["actor"], i["target"], i["post_id"], i["target_post_id"]) for i in found if i["kind"] == "reshare"}
    assert reshares == expected_reshares
    assert {(i["actor"], i["target"], i["post_id"]) for i in found if i["kind"] == "mention"} == expected_mentions


def test_the_sample_as_pages_gives_the_same_records(spark, sample):
    """The 1,000 statuses regrouped by 100 (the API's largest `count`), a page a line, alternately as search
    API pages and as arrays (timeline answers), read as the same posts, accounts and interactions as one
    status a line."""
    reference, out = sample
    statuses = [reference[number] for number in sorted(reference)]
    pages = [
        json.dumps({"statuses": statuses[start : start + 100], "search_metadata": {"count": 100}}, ensure_ascii=False)
        for start in range(0, len(statuses), 200)
    ] + [json.dumps(statuses[start : start + 100], ensure_ascii=False) for start in range(100, len(statuses), 200)]
    frame = spark.createDataFrame(
        [("twinl", "search.jsonl", number, page) for number, page in enumerate(pages, start=1)],
        "source string, file string, line_number long, line string",
    )
    paged = {row["line_number"]: row.asDict(recursive=True) for row in twitter_v1.to_classified(frame).collect()}
    assert {n: (r["status"], r["reason"]) for n, r in paged.items()} == {n: ("conformed", None) for n in range(1, 11)}

    def distinct(rows, kind):
        return {json.dumps(record, default=str, sort_keys=True) for row in rows for record in row[kind]}

    for kind in ("posts", "accounts", "interactions"):
        assert distinct(paged.values(), kind) == distinct(out.values(), kind), kind
    assert {p["post_id"] for row in paged.values() for p in row["posts"]} == {
        s["id_str"] for status in statuses for s in statuses_of(status)
    }


def test_sample_hand_checked_lines(sample):
    reference, out = sample
    # line 2: a reply with two mentions, read by eye from the file
    assert reference[2]["in_reply_to_status_id_str"] == "690391583678689280"
    post = posts(out[2])["690398512266252288"]
    assert (post["author"], post["mentions"], post["created_at"]) == ("2426799112", ["126053067", "1266796039"], T0_UTC)
    assert (post["reply_to_post_id"], post["reply_to_account"]) == ("690391583678689280", "126053067")
    # line 619: a retweet of @andreonstage1, whose three mentions stay with the original tweet
    row = out[619]
    assert posts(row)["690399310312267776"]["hashtags"] == ["GrootOntbyt", "OnsVraUVirReën"]
    original = posts(row)["690389215755046914"]
    assert (original["author"], original["like_count"], original["reshare_count"]) == ("90581718", 10, 6)
    assert original["created_at"] == datetime(2016, 1, 22, 4, 23, 10)
    assert accounts(row)["90581718"]["handle"] == "andreonstage1"
    assert interactions(row) == {
        ("reshare", "85559544", "90581718", "690399310312267776", "690389215755046914", "twitter|reshare|690399310312267776"),
        *{
            ("mention", "90581718", m, "690389215755046914", None, f"twitter|mention|690389215755046914|{m}")
            for m in ("631977866", "169489267", "38167738")
        },
    }
    # line 902: accented hashtag
    assert out[902]["posts"][0]["hashtags"] == ["Marée", "Dunkerque"]
