"""transforms.connectors.bluesky.to_classified: Jetstream event lines -> classified lines with canonical records.

The lines are hand-built in the real Jetstream format (kind commit / identity / account); every expected
value is worked out by hand from the line text, nothing is read back from the connector. The connector
runs once over one frame of all lines; rows are collected once (timestamps as UTC text) and checked
by many small tests.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pyspark.sql import functions as F, types as T

from transforms.connectors.bluesky import to_classified

LINES_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("line_number", T.LongType(), False),
        T.StructField("line", T.StringType(), True),
    ]
)

ALICE = "did:plc:alicexq7m4kxv3ntb6rwye5s"
BOB = "did:plc:bobzz4ulgmhyqe3t6xrkdn2w"
CAROL = "did:web:carol.example.com"
DAVE = "did:plc:davexr2w5yq7lmnk4tbsh6zo"

# time_us 1725911162329308: 1725911162 s = 19975 days + 71162 s; 19975 days = 2024-01-01 (day 19723:
# 54 years, 13 of them leap) + 252 days (Jan..Aug of a leap year = 244) -> 2024-09-09; 71162 s = 19:46:02.
BASE_US = 1725911162329308
BASE = dt.datetime(2024, 9, 9, 19, 46, 2, 329308, tzinfo=dt.UTC)


def us(seconds_later: int) -> int:
    return BASE_US + seconds_later * 1_000_000


def at(seconds_later: int) -> str:
    """The UTC text (as collected) of BASE + seconds_later."""
    return (BASE + dt.timedelta(seconds=seconds_later)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def uri(did: str, collection: str, rkey: str) -> str:
    return f"at://{did}/{collection}/{rkey}"


POST, LIKE, REPOST, FOLLOW, PROFILE = (
    "app.bsky.feed.post",
    "app.bsky.feed.like",
    "app.bsky.feed.repost",
    "app.bsky.graph.follow",
    "app.bsky.actor.profile",
)
BOB_POST = uri(BOB, POST, "3l3qnzbrz2c2a")
CAROL_POST = uri(CAROL, POST, "3l3qmk7bq5s2x")
DAVE_FEED = uri(DAVE, "app.bsky.feed.generator", "whats-hot")


def commit(did, seconds, operation, collection, rkey, record=None, **top):
    body = {"rev": f"3l3qo2vv{seconds:05d}", "operation": operation, "collection": collection, "rkey": rkey}
    if record is not None:
        body["record"] = record
        body["cid"] = "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a"
    return json.dumps({"did": did, "time_us": us(seconds), "kind": "commit", "commit": body, **top})


def post_record(text, created_at="2024-09-09T19:46:01.102Z", **extra):
    return {"$type": POST, "createdAt": created_at, "langs": ["en"], "text": text, **extra}


def tag(name):
    return {
        "index": {"byteStart": 0, "byteEnd": len(name) + 1},
        "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": name}],
    }


def mention(did):
    return {"index": {"byteStart": 0, "byteEnd": 4}, "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}


def strong_ref(target):
    return {"cid": "bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm", "uri": target}


def subject_record(collection, subject):
    return {"$type": collection, "createdAt": "2024-09-09T19:46:00.000Z", "subject": subject}


def missing(path):
    return f"missing_field: {path} is absent, null or not of the expected type"


BAD_TS = "bad_timestamp: $.time_us '{}' is not an integer count of microseconds since 1970 (from 10^15)"

# Named lines, in order; the line number is the position (from 1).
LINES: dict[str, str | None] = {
    # ---- conformed ------------------------------------------------------------------------------
    "post_full": json.dumps(
        {
            "did": ALICE,
            "time_us": us(0),
            "kind": "commit",
            "unknown_extra": {"x": 1},
            "commit": {
                "rev": "3l3qo2vv7xk2b",
                "operation": "create",
                "collection": POST,
                "rkey": "3l3qo2vutsw2b",
                "cid": "bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a",
                "record": {
                    "$type": POST,
                    "createdAt": "2024-09-09T19:46:02.102Z",
                    "langs": ["fr", "en"],
                    "text": "Lisez ça #Café #données @bob.bsky.social @carol.example.com https://example.com",
                    "facets": [
                        tag("Café"),
                        {
                            "index": {"byteStart": 60, "byteEnd": 79},
                            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.com"}],
                        },
                        mention(BOB),
                        tag("données"),
                        mention(CAROL),
                        tag("Café"),
                        mention(BOB),
                    ],
                    "tags": ["extra", "données"],
                    "reply": {"root": strong_ref(CAROL_POST), "parent": strong_ref(BOB_POST)},
                    "embed": {
                        "$type": "app.bsky.embed.recordWithMedia",
                        "media": {"$type": "app.bsky.embed.images", "images": [{"alt": "", "image": {"$type": "blob"}}]},
                        "record": {"$type": "app.bsky.embed.record", "record": strong_ref(CAROL_POST)},
                    },
                },
            },
        }
    ),
    "post_quote_bad_created_at": commit(
        BOB,
        1,
        "create",
        POST,
        "3l3qo3aaaaa2b",
        post_record("", created_at="yesterday-ish", embed={"$type": "app.bsky.embed.record", "record": strong_ref(BOB_POST)}),
    ),
    "post_quotes_feed_offset_created_at": commit(
        CAROL,
        2,
        "create",
        POST,
        "3l3qo3bbbbb2b",
        post_record(
            "try this feed",
            created_at="2024-09-09T21:00:00.5+02:00",
            embed={"$type": "app.bsky.embed.record", "record": strong_ref(DAVE_FEED)},
        ),
    ),
    "post_wrong_types": commit(
        DAVE,
        3,
        "create",
        POST,
        "3l3qo3ccccc2b",
        {
            "$type": POST,
            "langs": "en",
            "text": 42,
            "facets": "none",
            "tags": [7, "ok"],
            "embed": {"$type": "app.bsky.embed.images", "images": []},
        },
    ),
    "self_reply": commit(
        ALICE,
        4,
        "create",
        POST,
        "3l3qo3ddddd2b",
        post_record(
            "and another thing",
            reply={
                "root": strong_ref(uri(ALICE, POST, "3l3qo2vutsw2b")),
                "parent": strong_ref(uri(ALICE, POST, "3l3qo2vutsw2b")),
            },
        ),
    ),
    "like_post": commit(ALICE, 5, "create", LIKE, "3l3qo4aaaaa2b", subject_record(LIKE, strong_ref(BOB_POST))),
    "like_feed": commit(BOB, 6, "create", LIKE, "3l3qo4bbbbb2b", subject_record(LIKE, strong_ref(DAVE_FEED))),
    "repost": commit(CAROL, 7, "create", REPOST, "3l3qo4ccccc2b", subject_record(REPOST, strong_ref(BOB_POST))),
    "follow": commit(DAVE, 8, "create", FOLLOW, "3l3qo4ddddd2b", subject_record(FOLLOW, ALICE)),
    "profile_update": commit(
        ALICE,
        9,
        "update",
        PROFILE,
        "self",
        {
            "$type": PROFILE,
            "displayName": "Alice ✨",
            "description": "Données & cafés.\nParis",
            "avatar": {"$type": "blob", "mimeType": "image/jpeg", "size": 1000},
        },
    ),
    "profile_create_empty": commit(BOB, 10, "create", PROFILE, "self", {"$type": PROFILE}),
    "identity": json.dumps(
        {
            "did": BOB,
            "time_us": us(11),
            "kind": "identity",
            "identity": {"did": BOB, "handle": "bob.bsky.social", "seq": 1409752997, "time": "2024-09-09T19:46:13.001Z"},
        }
    ),
    "identity_no_seq": json.dumps(
        {"did": CAROL, "time_us": us(12), "kind": "identity", "identity": {"did": CAROL, "handle": "carol.example.com"}}
    ),
    "delete_post": commit(ALICE, 13, "delete", POST, "3l3qo2vutsw2b"),
    "delete_like": commit(ALICE, 14, "delete", LIKE, "3l3qo4aaaaa2b"),
    "delete_repost": commit(CAROL, 15, "delete", REPOST, "3l3qo4ccccc2b"),
    "delete_follow": commit(DAVE, 16, "delete", FOLLOW, "3l3qo4ddddd2b"),
    "bom_like": "\ufeff" + commit(DAVE, 17, "create", LIKE, "3l3qo5aaaaa2b", subject_record(LIKE, strong_ref(CAROL_POST))),
    "crlf_follow": "  " + commit(ALICE, 18, "create", FOLLOW, "3l3qo5bbbbb2b", subject_record(FOLLOW, CAROL)) + " \r\n",
    "like_post_again": commit(ALICE, 5, "create", LIKE, "3l3qo4aaaaa2b", subject_record(LIKE, strong_ref(BOB_POST))),
    # ---- skipped --------------------------------------------------------------------------------
    "none": None,
    "blank": "  \t ",
    "crlf_only": "\r\n",
    "account": json.dumps(
        {
            "did": DAVE,
            "time_us": us(20),
            "kind": "account",
            "account": {
                "active": False,
                "did": DAVE,
                "seq": 1409753001,
                "status": "takendown",
                "time": "2024-09-09T19:46:22.000Z",
            },
        }
    ),
    "identity_no_handle": json.dumps({"did": DAVE, "time_us": us(21), "kind": "identity", "identity": {"did": DAVE, "seq": 5}}),
    "identity_invalid_handle": json.dumps(
        {"did": DAVE, "time_us": us(22), "kind": "identity", "identity": {"did": DAVE, "handle": "handle.invalid", "seq": 6}}
    ),
    "block": commit(ALICE, 23, "create", "app.bsky.graph.block", "3l3qo6aaaaa2b", subject_record("app.bsky.graph.block", BOB)),
    "listitem_delete": commit(ALICE, 24, "delete", "app.bsky.graph.listitem", "3l3qo6bbbbb2b"),
    "other_lexicon": commit(ALICE, 25, "create", "fyi.unravel.frontpage.post", "3l3qo6ccccc2b", {"title": "x"}),
    "post_update": commit(ALICE, 26, "update", POST, "3l3qo2vutsw2b", post_record("edited")),
    "like_update": commit(ALICE, 27, "update", LIKE, "3l3qo4aaaaa2b", subject_record(LIKE, strong_ref(BOB_POST))),
    "profile_delete": commit(ALICE, 28, "delete", PROFILE, "self"),
    # ---- quarantined ----------------------------------------------------------------------------
    "not_json": '{"did": "did:plc:x", "time_us": 17259',
    "json_array": "[1, 2]",
    "no_kind": json.dumps({"did": ALICE, "time_us": us(30)}),
    "kind_number": json.dumps({"did": ALICE, "time_us": us(30), "kind": 3}),
    "kind_unknown": json.dumps({"did": ALICE, "time_us": us(30), "kind": "sync"}),
    "kind_huge": json.dumps({"did": ALICE, "time_us": us(30), "kind": "k" * 100_000}),
    "no_did": json.dumps({"time_us": us(31), "kind": "identity", "identity": {"handle": "x.bsky.social"}}),
    "did_number": json.dumps({"did": 12345, "time_us": us(31), "kind": "account", "account": {"active": True}}),
    "did_not_a_did": json.dumps({"did": "alice.bsky.social", "time_us": us(31), "kind": "account", "account": {}}),
    "no_time": json.dumps({"did": ALICE, "kind": "account", "account": {}}),
    "time_null": json.dumps({"did": ALICE, "time_us": None, "kind": "account", "account": {}}),
    "time_text": json.dumps({"did": ALICE, "time_us": "1725911162329308", "kind": "account", "account": {}}),
    "time_millis": json.dumps({"did": ALICE, "time_us": 1725911162329, "kind": "account", "account": {}}),
    "time_float": '{"did": "' + ALICE + '", "time_us": 1.5e15, "kind": "account", "account": {}}',
    "time_too_big": json.dumps({"did": ALICE, "time_us": 10**18, "kind": "account", "account": {}}),
    "identity_no_object": json.dumps({"did": ALICE, "time_us": us(32), "kind": "identity"}),
    "no_commit": json.dumps({"did": ALICE, "time_us": us(33), "kind": "commit"}),
    "commit_string": json.dumps({"did": ALICE, "time_us": us(33), "kind": "commit", "commit": "create"}),
    "no_operation": json.dumps(
        {"did": ALICE, "time_us": us(33), "kind": "commit", "commit": {"rev": "r", "collection": POST, "rkey": "3l3qo7aaaaa2b"}}
    ),
    "operation_unknown": commit(ALICE, 33, "upsert", POST, "3l3qo7aaaaa2b", post_record("x")),
    "no_collection": json.dumps(
        {
            "did": ALICE,
            "time_us": us(33),
            "kind": "commit",
            "commit": {"rev": "r", "operation": "delete", "rkey": "3l3qo7aaaaa2b"},
        }
    ),
    "no_rkey": json.dumps(
        {"did": ALICE, "time_us": us(33), "kind": "commit", "commit": {"rev": "r", "operation": "delete", "collection": LIKE}}
    ),
    "rkey_with_slash": commit(ALICE, 33, "delete", LIKE, "3l3qo/7aaaaa"),
    "create_no_record": commit(ALICE, 34, "create", LIKE, "3l3qo7bbbbb2b"),
    "like_no_subject_uri": commit(ALICE, 34, "create", LIKE, "3l3qo7ccccc2b", subject_record(LIKE, {"cid": "bafy"})),
    "like_https_subject": commit(
        ALICE,
        34,
        "create",
        LIKE,
        "3l3qo7ddddd2b",
        subject_record(LIKE, strong_ref("https://bsky.app/profile/bob.bsky.social/post/3l3qnzbrz2c2a")),
    ),
    "repost_handle_subject": commit(
        ALICE,
        34,
        "create",
        REPOST,
        "3l3qo7eeeee2b",
        subject_record(REPOST, strong_ref("at://bob.bsky.social/app.bsky.feed.post/3l3qnzbrz2c2a")),
    ),
    "follow_no_subject": commit(ALICE, 35, "create", FOLLOW, "3l3qo8aaaaa2b", {"$type": FOLLOW, "createdAt": "x"}),
    "follow_handle_subject": commit(ALICE, 35, "create", FOLLOW, "3l3qo8bbbbb2b", subject_record(FOLLOW, "bob.bsky.social")),
    "follow_object_subject": commit(ALICE, 35, "create", FOLLOW, "3l3qo8ccccc2b", subject_record(FOLLOW, {"did": BOB})),
    "reply_no_parent": commit(
        ALICE, 36, "create", POST, "3l3qo9aaaaa2b", post_record("re", reply={"root": strong_ref(BOB_POST)})
    ),
    "reply_parent_is_like": commit(
        ALICE,
        36,
        "create",
        POST,
        "3l3qo9bbbbb2b",
        post_record("re", reply={"root": strong_ref(BOB_POST), "parent": strong_ref(uri(BOB, LIKE, "3l3qnzbrz2c2a"))}),
    ),
    "quote_no_uri": commit(
        ALICE,
        36,
        "create",
        POST,
        "3l3qo9ccccc2b",
        post_record("q", embed={"$type": "app.bsky.embed.record", "record": {"cid": "bafy"}}),
    ),
    "quote_https": commit(
        ALICE,
        36,
        "create",
        POST,
        "3l3qo9ddddd2b",
        post_record(
            "q",
            embed={
                "$type": "app.bsky.embed.recordWithMedia",
                "media": {},
                "record": {"record": strong_ref("https://example.com/post/1")},
            },
        ),
    ),
    "mention_not_did": commit(
        ALICE, 36, "create", POST, "3l3qo9eeeee2b", post_record("hi @bob", facets=[mention(BOB), mention("@bob.bsky.social")])
    ),
}
NUMBER = {name: number for number, name in enumerate(LINES, start=1)}


@pytest.fixture(scope="module")
def rows(spark):
    """line name -> the classified row as a dict (record arrays as lists of dicts, timestamps as UTC text)."""
    lines = spark.createDataFrame(
        [("jetstream", "2024-09-09.jsonl", number, line) for number, line in enumerate(LINES.values(), start=1)],
        LINES_SCHEMA,
    )
    out = to_classified(lines)
    as_json = F.to_json(
        F.struct(*out.columns),
        {"ignoreNullFields": "false", "timestampFormat": "yyyy-MM-dd'T'HH:mm:ss.SSSSSSXXX"},
    )
    collected = out.select("line_number", as_json.alias("js")).collect()
    by_number = {row.line_number: json.loads(row.js) for row in collected}
    return {name: by_number[number] for name, number in NUMBER.items()} | {"_rows": len(collected), "_count": len(by_number)}


def only(records):
    assert len(records) == 1, records
    return records[0]


# ---- one row per line, verbatim ----------------------------------------------------------------


def test_every_line_gives_exactly_one_row_with_its_line_verbatim(rows):
    assert rows["_rows"] == len(LINES) and rows["_count"] == len(LINES)
    for name, line in LINES.items():
        assert rows[name]["line"] == line, name
        assert rows[name]["source"] == "jetstream" and rows[name]["file"] == "2024-09-09.jsonl"


def test_statuses(rows):
    names = list(LINES)
    conformed = names[: names.index("like_post_again") + 1]
    skipped = names[names.index("none") : names.index("profile_delete") + 1]
    quarantined = names[names.index("not_json") :]
    assert [n for n in names if rows[n]["status"] == "conformed"] == conformed
    assert [n for n in names if rows[n]["status"] == "skipped"] == skipped
    assert [n for n in names if rows[n]["status"] == "quarantined"] == quarantined
    for name in conformed:
        assert rows[name]["reason"] is None, name


def test_lines_not_conformed_carry_no_records_and_no_event_key(rows):
    for name in LINES:
        row = rows[name]
        assert row["links"] == []
        if row["status"] != "conformed":
            assert (row["accounts"], row["posts"], row["interactions"], row["deletes"]) == ([], [], [], []), name
            assert row["event_key"] is None, name


# ---- posts ---------------------------------------------------------------------------------------


def test_full_post_record(rows):
    post = only(rows["post_full"]["posts"])
    assert post == {
        "network": "bluesky",
        "post_id": f"at://{ALICE}/app.bsky.feed.post/3l3qo2vutsw2b",
        "author": ALICE,
        "created_at": "2024-09-09T19:46:02.102000Z",
        "lang": "fr",
        "text": "Lisez ça #Café #données @bob.bsky.social @carol.example.com https://example.com",
        "hashtags": ["Café", "données", "extra"],
        "mentions": [BOB, CAROL],
        "reply_to_post_id": BOB_POST,
        "reply_to_account": BOB,
        "reshare_of_post_id": None,
        "quote_of_post_id": CAROL_POST,
        "like_count": None,
        "reshare_count": None,
        "reply_count": None,
        "quote_count": None,
        "observed_at": "2024-09-09T19:46:02.329308Z",
    }
    assert rows["post_full"]["accounts"] == [] and rows["post_full"]["deletes"] == []


def test_full_post_interactions_reply_quote_and_one_mention_per_distinct_did(rows):
    post_id = f"at://{ALICE}/app.bsky.feed.post/3l3qo2vutsw2b"
    common = {"network": "bluesky", "actor": ALICE, "occurred_at": at(0), "post_id": post_id, "weight": 1.0}
    assert rows["post_full"]["interactions"] == [
        {**common, "target": BOB, "kind": "reply", "target_post_id": BOB_POST, "natural_key": f"bluesky|reply|{post_id}"},
        {**common, "target": CAROL, "kind": "quote", "target_post_id": CAROL_POST, "natural_key": f"bluesky|quote|{post_id}"},
        {**common, "target": BOB, "kind": "mention", "target_post_id": None, "natural_key": f"bluesky|mention|{post_id}|{BOB}"},
        {
            **common,
            "target": CAROL,
            "kind": "mention",
            "target_post_id": None,
            "natural_key": f"bluesky|mention|{post_id}|{CAROL}",
        },
    ]


def test_unparseable_created_at_falls_back_to_time_us_and_record_embed_is_a_quote(rows):
    row = rows["post_quote_bad_created_at"]
    post = only(row["posts"])
    post_id = f"at://{BOB}/app.bsky.feed.post/3l3qo3aaaaa2b"
    assert (post["created_at"], post["observed_at"], post["text"], post["lang"]) == (at(1), at(1), "", "en")
    assert (post["hashtags"], post["mentions"], post["reply_to_post_id"], post["reply_to_account"]) == ([], [], None, None)
    assert post["quote_of_post_id"] == BOB_POST
    assert row["interactions"] == [
        {
            "network": "bluesky",
            "actor": BOB,
            "target": BOB,
            "kind": "quote",
            "occurred_at": at(1),
            "post_id": post_id,
            "target_post_id": BOB_POST,
            "weight": 1.0,
            "natural_key": f"bluesky|quote|{post_id}",
        }
    ]


def test_created_at_with_offset_is_utc_and_a_quoted_feed_generator_is_no_quote(rows):
    row = rows["post_quotes_feed_offset_created_at"]
    post = only(row["posts"])
    assert post["created_at"] == "2024-09-09T19:00:00.500000Z"
    assert post["observed_at"] == at(2)
    assert post["quote_of_post_id"] is None
    assert row["interactions"] == []


def test_free_text_fields_of_the_wrong_type_are_null(rows):
    row = rows["post_wrong_types"]
    post = only(row["posts"])
    # no createdAt -> time_us; langs a string -> no lang; text a number -> null; facets a string -> nothing;
    # tags [7, "ok"] -> only the string; an images embed is no quote.
    assert (post["created_at"], post["lang"], post["text"]) == (at(3), None, None)
    assert (post["hashtags"], post["mentions"], post["quote_of_post_id"]) == (["ok"], [], None)
    assert row["interactions"] == []


def test_self_reply_is_still_emitted(rows):
    own = f"at://{ALICE}/app.bsky.feed.post/3l3qo2vutsw2b"
    reply = only(rows["self_reply"]["interactions"])
    assert (reply["actor"], reply["target"], reply["kind"], reply["target_post_id"]) == (ALICE, ALICE, "reply", own)
    post = only(rows["self_reply"]["posts"])
    assert (post["reply_to_post_id"], post["reply_to_account"]) == (own, ALICE)


# ---- likes, reposts, follows ---------------------------------------------------------------------


def test_like_of_a_post(rows):
    row = rows["like_post"]
    assert only(row["interactions"]) == {
        "network": "bluesky",
        "actor": ALICE,
        "target": BOB,
        "kind": "like",
        "occurred_at": at(5),
        "post_id": None,
        "target_post_id": BOB_POST,
        "weight": 1.0,
        "natural_key": f"bluesky|like|at://{ALICE}/app.bsky.feed.like/3l3qo4aaaaa2b",
    }
    assert (row["posts"], row["accounts"], row["deletes"]) == ([], [], [])


def test_like_of_a_feed_generator_targets_its_owner_without_a_post(rows):
    like = only(rows["like_feed"]["interactions"])
    assert (like["actor"], like["target"], like["kind"], like["target_post_id"]) == (BOB, DAVE, "like", None)


def test_repost_is_a_reshare(rows):
    assert only(rows["repost"]["interactions"]) == {
        "network": "bluesky",
        "actor": CAROL,
        "target": BOB,
        "kind": "reshare",
        "occurred_at": at(7),
        "post_id": None,
        "target_post_id": BOB_POST,
        "weight": 1.0,
        "natural_key": f"bluesky|reshare|at://{CAROL}/app.bsky.feed.repost/3l3qo4ccccc2b",
    }


def test_follow(rows):
    assert only(rows["follow"]["interactions"]) == {
        "network": "bluesky",
        "actor": DAVE,
        "target": ALICE,
        "kind": "follow",
        "occurred_at": at(8),
        "post_id": None,
        "target_post_id": None,
        "weight": 1.0,
        "natural_key": f"bluesky|follow|at://{DAVE}/app.bsky.graph.follow/3l3qo4ddddd2b",
    }


def test_bom_and_crlf_and_surrounding_blanks_do_not_matter(rows):
    like = only(rows["bom_like"]["interactions"])
    assert (like["actor"], like["target"], like["target_post_id"], like["occurred_at"]) == (DAVE, CAROL, CAROL_POST, at(17))
    follow = only(rows["crlf_follow"]["interactions"])
    assert (follow["actor"], follow["target"], follow["kind"], follow["occurred_at"]) == (ALICE, CAROL, "follow", at(18))


# ---- accounts ------------------------------------------------------------------------------------


def test_profile_update_is_an_account_without_handle(rows):
    assert only(rows["profile_update"]["accounts"]) == {
        "network": "bluesky",
        "account_id": ALICE,
        "handle": None,
        "display_name": "Alice ✨",
        "bio": "Données & cafés.\nParis",
        "lang": None,
        "followers_count": None,
        "observed_at": at(9),
    }
    assert rows["profile_update"]["interactions"] == []


def test_empty_profile_create_is_an_account_with_nulls(rows):
    account = only(rows["profile_create_empty"]["accounts"])
    assert (account["account_id"], account["handle"], account["display_name"], account["bio"]) == (BOB, None, None, None)
    assert account["observed_at"] == at(10)


def test_identity_gives_the_handle(rows):
    assert only(rows["identity"]["accounts"]) == {
        "network": "bluesky",
        "account_id": BOB,
        "handle": "bob.bsky.social",
        "display_name": None,
        "bio": None,
        "lang": None,
        "followers_count": None,
        "observed_at": at(11),
    }
    assert only(rows["identity_no_seq"]["accounts"])["handle"] == "carol.example.com"


# ---- deletes -------------------------------------------------------------------------------------


def test_post_delete_names_the_post_uri(rows):
    row = rows["delete_post"]
    assert row["deletes"] == [
        {"network": "bluesky", "record_type": "post", "natural_key": f"at://{ALICE}/app.bsky.feed.post/3l3qo2vutsw2b"}
    ]
    assert (row["posts"], row["interactions"], row["accounts"]) == ([], [], [])


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("delete_like", f"bluesky|like|at://{ALICE}/app.bsky.feed.like/3l3qo4aaaaa2b"),
        ("delete_repost", f"bluesky|reshare|at://{CAROL}/app.bsky.feed.repost/3l3qo4ccccc2b"),
        ("delete_follow", f"bluesky|follow|at://{DAVE}/app.bsky.graph.follow/3l3qo4ddddd2b"),
    ],
)
def test_interaction_delete_names_the_natural_key_of_its_create(rows, name, key):
    assert rows[name]["deletes"] == [{"network": "bluesky", "record_type": "interaction", "natural_key": key}]
    create = {"delete_like": "like_post", "delete_repost": "repost", "delete_follow": "follow"}[name]
    assert only(rows[create]["interactions"])["natural_key"] == key


# ---- event keys ----------------------------------------------------------------------------------


def test_event_keys(rows):
    assert rows["post_full"]["event_key"] == f"bluesky|{ALICE}|app.bsky.feed.post|3l3qo2vutsw2b|create"
    assert rows["delete_post"]["event_key"] == f"bluesky|{ALICE}|app.bsky.feed.post|3l3qo2vutsw2b|delete"
    assert rows["like_post"]["event_key"] == f"bluesky|{ALICE}|app.bsky.feed.like|3l3qo4aaaaa2b|create"
    assert rows["crlf_follow"]["event_key"] == f"bluesky|{ALICE}|app.bsky.graph.follow|3l3qo5bbbbb2b|create"
    # a profile's rkey is always "self": its commits are told apart by the commit rev
    assert rows["profile_update"]["event_key"] == f"bluesky|{ALICE}|app.bsky.actor.profile|self|update|3l3qo2vv00009"
    assert rows["identity"]["event_key"] == f"bluesky|{BOB}|identity|1409752997"
    assert rows["identity_no_seq"]["event_key"] == f"bluesky|{CAROL}|identity|{us(12)}"


def test_the_same_event_twice_has_the_same_key_and_a_delete_does_not(rows):
    assert rows["like_post_again"]["event_key"] == rows["like_post"]["event_key"]
    assert rows["like_post_again"]["interactions"] == rows["like_post"]["interactions"]
    assert rows["delete_like"]["event_key"] != rows["like_post"]["event_key"]


# ---- skip and quarantine reasons -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("none", "blank"),
        ("blank", "blank"),
        ("crlf_only", "blank"),
        ("account", "account_status"),
        ("identity_no_handle", "identity_without_handle"),
        ("identity_invalid_handle", "identity_without_handle"),
        ("block", "unmapped_collection"),
        ("listitem_delete", "unmapped_collection"),
        ("other_lexicon", "unmapped_collection"),
        ("post_update", "unmapped_update"),
        ("like_update", "unmapped_update"),
        ("profile_delete", "unmapped_delete"),
    ],
)
def test_skip_reasons(rows, name, reason):
    assert (rows[name]["status"], rows[name]["reason"]) == ("skipped", reason)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("not_json", "invalid_json: the line is not valid JSON"),
        ("json_array", "invalid_json: expected a JSON object, got array"),
        ("no_kind", missing("$.kind")),
        ("kind_number", "unknown_event_type: kind '3' is not commit, identity or account"),
        ("kind_unknown", "unknown_event_type: kind 'sync' is not commit, identity or account"),
        ("kind_huge", "unknown_event_type: kind '" + "k" * 40 + "' is not commit, identity or account"),
        ("no_did", missing("$.did")),
        ("did_number", "bad_value: $.did '12345' is not a DID"),
        ("did_not_a_did", "bad_value: $.did 'alice.bsky.social' is not a DID"),
        ("no_time", missing("$.time_us")),
        ("time_null", missing("$.time_us")),
        ("time_text", BAD_TS.format("1725911162329308")),
        ("time_millis", BAD_TS.format("1725911162329")),
        ("time_float", BAD_TS.format("1.5E15")),
        ("time_too_big", BAD_TS.format("1000000000000000000")),
        ("identity_no_object", missing("$.identity")),
        ("no_commit", missing("$.commit")),
        ("commit_string", missing("$.commit")),
        ("no_operation", missing("$.commit.operation")),
        ("operation_unknown", "unknown_event_type: commit.operation 'upsert' is not create, update or delete"),
        ("no_collection", missing("$.commit.collection")),
        ("no_rkey", missing("$.commit.rkey")),
        ("rkey_with_slash", "bad_value: $.commit.rkey '3l3qo/7aaaaa' is not a record key"),
        ("create_no_record", missing("$.commit.record")),
        ("like_no_subject_uri", missing("$.commit.record.subject.uri")),
        (
            "like_https_subject",
            "bad_value: $.commit.record.subject.uri 'https://bsky.app/profile/bob.bsky.social' is not an at:// uri",
        ),
        (
            "repost_handle_subject",
            "bad_value: $.commit.record.subject.uri 'at://bob.bsky.social/app.bsky.feed.post/' is not an at:// uri",
        ),
        ("follow_no_subject", missing("$.commit.record.subject")),
        ("follow_handle_subject", "bad_value: $.commit.record.subject 'bob.bsky.social' is not a DID"),
        ("follow_object_subject", f'bad_value: $.commit.record.subject \'{{"did":"{BOB}\' is not a DID'),
        ("reply_no_parent", missing("$.commit.record.reply.parent.uri")),
        ("reply_parent_is_like", f"bad_value: $.commit.record.reply.parent.uri 'at://{BOB}/ap' is not the at:// uri of a post"),
        ("quote_no_uri", missing("$.commit.record.embed (quoted record uri)")),
        ("quote_https", "bad_value: $.commit.record.embed (quoted record uri) 'https://example.com/post/1' is not an at:// uri"),
        ("mention_not_did", "bad_value: $.commit.record.facets has a #mention feature whose did is not a DID"),
    ],
)
def test_quarantine_reasons(rows, name, reason):
    assert (rows[name]["status"], rows[name]["reason"]) == ("quarantined", reason)
