"""The Mastodon connector on hand-built ActivityPub lines: one run, one collect, many small assertions.

The lines follow what a Mastodon account archive's outbox.json holds (Create of Notes, Announce) plus the
other activities an ActivityPub outbox can carry. Every expected value is worked out by hand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from pyspark.sql import types as T

from transforms.connectors import mastodon
from transforms.connectors.records import CLASSIFIED_COLUMNS

UTC = dt.UTC
AS = "https://www.w3.org/ns/activitystreams"
PUBLIC = AS + "#Public"
ALICE = "https://mastodon.social/users/alice"
BOB = "https://example.social/users/bob"
CAROL = "https://other.host/users/carol"
DAVE = "https://mastodon.social/users/dave"
BOB_STATUS = BOB + "/statuses/777"
CAROL_STATUS = CAROL + "/statuses/555"

LINES_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), True),
        T.StructField("file", T.StringType(), True),
        T.StructField("line_number", T.LongType(), True),
        T.StructField("line", T.StringType(), True),
    ]
)

NOTE_HTML = (
    '<p>Hi <span class="h-card"><a href="https://example.social/@bob" class="u-url mention">@<span>bob</span></a>'
    '</span> &amp; all: 1 &lt; 2<br />see <a href="https://mastodon.social/tags/fediverse" class="mention hashtag"'
    ' rel="tag">#<span>Fediverse</span></a></p><p>Second &quot;para&quot; it&#39;s</p>'
)
CREATE = {  # as in outbox.json: a reply to carol that mentions bob, two hashtags and a custom emoji
    "id": ALICE + "/statuses/109/activity",
    "type": "Create",
    "actor": ALICE,
    "published": "2022-11-05T12:00:00Z",
    "to": [PUBLIC],
    "cc": [ALICE + "/followers"],
    "object": {
        "id": ALICE + "/statuses/109",
        "type": "Note",
        "summary": None,
        "inReplyTo": CAROL_STATUS,
        "published": "2022-11-05T12:00:00Z",
        "url": "https://mastodon.social/@alice/109",
        "attributedTo": ALICE,
        "to": [PUBLIC],
        "cc": [ALICE + "/followers", BOB],
        "sensitive": False,
        "atomUri": ALICE + "/statuses/109",
        "conversation": "tag:mastodon.social,2022-11-05:objectId=1:objectType=Conversation",
        "content": NOTE_HTML,
        "contentMap": {"en": NOTE_HTML},
        "attachment": [],
        "tag": [
            {"type": "Mention", "href": BOB, "name": "@bob@example.social"},
            {"type": "Hashtag", "href": "https://mastodon.social/tags/fediverse", "name": "#Fediverse"},
            {"type": "Hashtag", "href": "https://mastodon.social/tags/lakehouse", "name": "#lakehouse"},
            {"type": "Hashtag", "href": "https://mastodon.social/tags/fediverse", "name": "#Fediverse"},
            {"type": "Emoji", "id": "https://mastodon.social/emojis/1", "name": ":blobcat:"},
        ],
        "replies": {
            "id": ALICE + "/statuses/109/replies",
            "type": "Collection",
            "first": {"type": "CollectionPage", "items": []},
        },
    },
}
ANNOUNCE = {
    "id": ALICE + "/statuses/110/activity",
    "type": "Announce",
    "actor": ALICE,
    "published": "2022-11-05T13:30:00Z",
    "to": [PUBLIC],
    "cc": [BOB, ALICE + "/followers"],
    "object": BOB_STATUS,
}
UPDATE = {
    "id": ALICE + "/statuses/109#updates/1",
    "type": "Update",
    "actor": ALICE,
    "published": "2022-11-05T14:00:00Z",
    "object": {**CREATE["object"], "content": "<p>edited</p>"},
}
OUTBOX = {
    "@context": [AS, {"ostatus": "http://ostatus.org#", "Hashtag": "as:Hashtag"}],
    "id": "outbox.json",
    "type": "OrderedCollection",
    "totalItems": 3,
    "orderedItems": [CREATE, ANNOUNCE, UPDATE],
}
LOCAL_NOTE = {  # a single activity line: local mention, counts, edited, offset time, tag as one object
    "@context": AS,
    "id": ALICE + "/statuses/111/activity",
    "type": "Create",
    "actor": ALICE,
    "published": "2022-11-06T10:00:00+02:00",
    "object": {
        "id": ALICE + "/statuses/111",
        "type": "Note",
        "attributedTo": ALICE,
        "inReplyTo": None,
        "published": "2022-11-06T10:00:00+02:00",
        "updated": "2022-11-06T09:15:30.250Z",
        "content": '<p>Ping <a href="https://mastodon.social/@dave">@dave</a></p>',
        "contentMap": {"fr": "<p>Ping</p>"},
        "tag": {"type": "Mention", "href": DAVE, "name": "@dave"},
        "likes": {"id": ALICE + "/statuses/111/likes", "type": "Collection", "totalItems": 5},
        "shares": {"id": ALICE + "/statuses/111/shares", "type": "Collection", "totalItems": 2},
    },
}
LIKE = {"@context": AS, "id": ALICE + "#likes/42", "type": "Like", "actor": ALICE, "object": BOB_STATUS}
FOLLOW = {"@context": AS, "id": "https://mastodon.social/0b5e0d7e-1", "type": "Follow", "actor": ALICE, "object": BOB}
ODD_ANNOUNCE = {  # a status URL of another shape: no target, target_post_id only; no id: no boost post
    "type": "Announce",
    "actor": {"id": ALICE, "type": "Person"},
    "published": "2022-11-07T08:00:00Z",
    "object": {"id": "https://misskey.example/notes/9abc", "type": "Note"},
}
DELETE = {
    "id": ALICE + "/statuses/109#delete",
    "type": "Delete",
    "actor": ALICE,
    "object": {"id": ALICE + "/statuses/109", "type": "Tombstone", "atomUri": ALICE + "/statuses/109"},
}
UNDO_LIKE = {
    "id": ALICE + "#likes/42/undo",
    "type": "Undo",
    "actor": ALICE,
    "object": {"id": ALICE + "#likes/42", "type": "Like", "actor": ALICE, "object": BOB_STATUS},
}
UNDO_ANNOUNCE = {
    "id": ALICE + "/statuses/110#undo",
    "type": "Undo",
    "actor": ALICE,
    "object": {"id": ALICE + "/statuses/110/activity", "type": "Announce", "object": BOB_STATUS},
}
POLL = {  # a Question, a reply to an object URL of another shape, the Note's time taken from the activity
    "id": DAVE + "/statuses/5/activity",
    "type": "Create",
    "actor": DAVE,
    "published": "2022-11-08T00:00:00Z",
    "object": {
        "id": DAVE + "/statuses/5",
        "type": "Question",
        "inReplyTo": "https://pleroma.example/objects/abc",
        "content": "Tea or coffee?",
        "tag": {"type": "Hashtag", "name": "#poll"},
        "oneOf": [{"type": "Note", "name": "tea"}, {"type": "Note", "name": "coffee"}],
    },
}
WRONG_TYPES = {  # a Page; content and inReplyTo of the wrong type, a counter that is a string, unknown fields
    "id": ALICE + "/statuses/112/activity",
    "type": "Create",
    "actor": ALICE,
    "published": "2022-11-09T00:00:00Z",
    "object": {
        "id": ALICE + "/statuses/112",
        "type": "Page",
        "content": 42,
        "inReplyTo": 7,
        "likes": {"totalItems": "many"},
        "someNewField": {"x": [1, 2]},
    },
    "futureExtension": True,
}

ZED = "https://Host.Example:8443/@Zed"
EDGE_NOTE = {  # no activity id; mentions known by another URL shape, by name only, by nothing
    "type": "Create",
    "actor": ZED,
    "published": "2022-11-10T00:00:00Z",
    "object": {
        "id": "https://host.example:8443/notes/1",
        "type": "Note",
        "attributedTo": ZED,
        "content": "<p>a &amp;lt; b</p>\n<P>c<br>d</P>",
        "tag": [
            {"type": "Mention", "href": "https://misskey.example/users/9abcdef", "name": "@eve@Misskey.Example"},
            {"type": "Mention", "name": "@frank@example.org"},
            {"type": "Mention"},
            {"type": "Hashtag", "name": "\uff03\u5168\u89d2"},
        ],
    },
}
ODD_LIKE = {"type": "Like", "actor": ALICE, "object": "https://h.example/users/z/statuses/1/activity"}


def line(document):
    return json.dumps(document)


LINES = {
    1: line(OUTBOX),
    2: line(LOCAL_NOTE),
    3: line(LIKE),
    4: line(FOLLOW),
    5: line(ODD_ANNOUNCE),
    6: line(DELETE),
    7: line(UNDO_LIKE),
    8: line(UNDO_ANNOUNCE),
    9: line(POLL),
    10: "\ufeff" + line({**LIKE, "id": ALICE + "#likes/43", "object": CAROL_STATUS, "published": "2022-11-05T15:00:00.5Z"}),
    11: line({**FOLLOW, "id": "https://mastodon.social/0b5e0d7e-2", "object": CAROL}) + "\r\n",
    12: line(WRONG_TYPES),
    # skipped
    13: None,
    14: "",
    15: " \t\r\n",
    16: line(UPDATE),
    17: line({"id": ALICE + "#blocks/1", "type": "Block", "actor": ALICE, "object": BOB}),
    18: line({"id": ALICE + "#delete", "type": "Delete", "actor": ALICE, "object": ALICE}),
    19: line(
        {
            "id": ALICE + "#blocks/1/undo",
            "type": "Undo",
            "actor": ALICE,
            "object": {"id": ALICE + "#blocks/1", "type": "Block", "actor": ALICE, "object": BOB},
        }
    ),
    20: line({**OUTBOX, "totalItems": 0, "orderedItems": []}),
    21: line({**OUTBOX, "orderedItems": [UPDATE]}),
    22: line(
        {
            "@context": AS,
            "id": ALICE + "/outbox",
            "type": "OrderedCollection",
            "totalItems": 9,
            "first": ALICE + "/outbox?page=true",
        }
    ),
    # quarantined
    23: '{"type": "Create",',
    24: "[1, 2]",
    25: line({**LIKE, "type": "Dance"}),
    26: line({k: v for k, v in LIKE.items() if k != "type"}),
    27: line({**CREATE, "object": {**CREATE["object"], "type": "Image"}}),
    28: line({**CREATE, "object": ALICE + "/statuses/109"}),
    29: line({k: v for k, v in CREATE.items() if k != "object"}),
    30: line({**CREATE, "object": {k: v for k, v in CREATE["object"].items() if k != "id"}}),
    31: line(
        {
            **{k: v for k, v in CREATE.items() if k != "published"},
            "object": {k: v for k, v in CREATE["object"].items() if k != "published"},
        }
    ),
    32: line({**CREATE, "object": {**CREATE["object"], "published": "yesterday"}}),
    33: line({**CREATE, "object": {**CREATE["object"], "published": "2022-11-05T12:00:00"}}),
    34: line({k: v for k, v in LIKE.items() if k != "actor"}),
    35: line({k: v for k, v in LIKE.items() if k != "object"}),
    36: line({**LIKE, "published": 1667649600}),
    37: line({k: v for k, v in ANNOUNCE.items() if k != "published"}),
    38: line({**UNDO_LIKE, "object": ALICE + "#likes/42"}),
    39: line({**UNDO_LIKE, "object": {**UNDO_LIKE["object"], "type": "Dance"}}),
    40: line({**UNDO_LIKE, "object": {k: v for k, v in UNDO_LIKE["object"].items() if k != "object"}}),
    41: line({**OUTBOX, "orderedItems": [CREATE, {**LIKE, "actor": None}, UPDATE, {**LIKE, "type": "Dance"}]}),
    42: line({**OUTBOX, "orderedItems": "not a list"}),
    43: line({**OUTBOX, "orderedItems": [ANNOUNCE, 5]}),
    44: line({**CREATE, "actor": None, "object": {k: v for k, v in CREATE["object"].items() if k != "attributedTo"}}),
    # conformed edge cases
    45: line(EDGE_NOTE),
    46: line(ODD_LIKE),
    47: line({"type": "CollectionPage", "id": ALICE + "/outbox?page=2", "items": [LIKE]}),
    # more quarantines
    48: line({k: v for k, v in UNDO_LIKE.items() if k != "object"}),
    49: line({**ANNOUNCE, "published": "2022-11-05 13:30"}),
    50: line({**OUTBOX, "orderedItems": [None]}),
}


@pytest.fixture(scope="module")
def rows(spark):
    frame = spark.createDataFrame([("mastodon", "outbox.ndjson", n, text) for n, text in sorted(LINES.items())], LINES_SCHEMA)
    out = mastodon.to_classified(frame)
    assert tuple(out.columns) == CLASSIFIED_COLUMNS
    return {row.line_number: row.asDict(recursive=True) for row in out.collect()}


def utc(value):
    """A collected timestamp (naive, local time of this process) as an aware UTC datetime."""
    return None if value is None else value.astimezone(UTC)


def only(records):
    assert len(records) == 1, records
    return records[0]


def test_one_row_per_line(rows):
    assert sorted(rows) == list(range(1, 51))


@pytest.mark.parametrize("number", [*range(1, 13), 45, 46, 47])
def test_good_lines_conform(rows, number):
    assert (rows[number]["status"], rows[number]["reason"]) == ("conformed", None)


# ---- the outbox collection: Create (reply + mention), Announce, Update ignored -------------------------


def test_outbox_posts(rows):
    note, boost = rows[1]["posts"]
    assert note["network"] == "mastodon"
    assert note["post_id"] == ALICE + "/statuses/109"
    assert note["author"] == ALICE
    assert utc(note["created_at"]) == dt.datetime(2022, 11, 5, 12, tzinfo=UTC)
    assert utc(note["observed_at"]) == dt.datetime(2022, 11, 5, 12, tzinfo=UTC)
    assert note["lang"] == "en"
    assert note["text"] == 'Hi @bob & all: 1 < 2\nsee #Fediverse\n\nSecond "para" it\'s'
    assert note["hashtags"] == ["Fediverse", "lakehouse"]
    assert note["mentions"] == [BOB]
    assert note["reply_to_post_id"] == CAROL_STATUS
    assert note["reply_to_account"] == CAROL
    assert note["reshare_of_post_id"] is None and note["quote_of_post_id"] is None
    assert (note["like_count"], note["reshare_count"], note["reply_count"], note["quote_count"]) == (None,) * 4
    assert boost["post_id"] == ALICE + "/statuses/110"
    assert (boost["author"], boost["reshare_of_post_id"], boost["text"]) == (ALICE, BOB_STATUS, None)
    assert utc(boost["created_at"]) == dt.datetime(2022, 11, 5, 13, 30, tzinfo=UTC)
    assert boost["hashtags"] == [] and boost["mentions"] == []


def test_outbox_interactions(rows):
    reply, mention, reshare = rows[1]["interactions"]
    assert reply == {
        "network": "mastodon",
        "actor": ALICE,
        "target": CAROL,
        "kind": "reply",
        "occurred_at": reply["occurred_at"],
        "post_id": ALICE + "/statuses/109",
        "target_post_id": CAROL_STATUS,
        "weight": 1.0,
        "natural_key": f"mastodon|reply|{ALICE}/statuses/109",
    }
    assert utc(reply["occurred_at"]) == dt.datetime(2022, 11, 5, 12, tzinfo=UTC)
    assert (mention["kind"], mention["actor"], mention["target"]) == ("mention", ALICE, BOB)
    assert (mention["post_id"], mention["target_post_id"]) == (ALICE + "/statuses/109", None)
    assert mention["natural_key"] == f"mastodon|mention|{ALICE}/statuses/109|{BOB}"
    assert (reshare["kind"], reshare["actor"], reshare["target"]) == ("reshare", ALICE, BOB)
    assert (reshare["post_id"], reshare["target_post_id"]) == (ALICE + "/statuses/110", BOB_STATUS)
    assert reshare["natural_key"] == f"mastodon|reshare|{ALICE}|{BOB_STATUS}"
    assert utc(reshare["occurred_at"]) == dt.datetime(2022, 11, 5, 13, 30, tzinfo=UTC)


def test_outbox_accounts(rows):
    accounts = {(a["account_id"], a["handle"]) for a in rows[1]["accounts"]}
    assert accounts == {
        (ALICE, "alice@mastodon.social"),
        (CAROL, "carol@other.host"),
        (BOB, "bob@example.social"),
    }
    assert all(a["network"] == "mastodon" and a["display_name"] is None for a in rows[1]["accounts"])


def test_outbox_event_key_hashes_its_activity_ids(rows):
    keys = f"mastodon|{ALICE}/statuses/109/activity\nmastodon|{ALICE}/statuses/110/activity"
    assert rows[1]["event_key"] == "mastodon|collection|" + hashlib.sha256(keys.encode()).hexdigest()
    assert rows[1]["deletes"] == [] and rows[1]["links"] == []


# ---- single activities -----------------------------------------------------------------------------


def test_local_note(rows):
    post = only(rows[2]["posts"])
    assert post["post_id"] == ALICE + "/statuses/111"
    assert rows[2]["event_key"] == f"mastodon|{ALICE}/statuses/111/activity"
    assert utc(post["created_at"]) == dt.datetime(2022, 11, 6, 8, tzinfo=UTC)  # +02:00
    assert utc(post["observed_at"]) == dt.datetime(2022, 11, 6, 9, 15, 30, 250000, tzinfo=UTC)  # updated
    assert (post["text"], post["lang"]) == ("Ping @dave", "fr")
    assert post["mentions"] == [DAVE] and post["hashtags"] == []
    assert (post["like_count"], post["reshare_count"], post["reply_count"]) == (5, 2, None)
    assert post["reply_to_post_id"] is None and post["reply_to_account"] is None
    mention = only(rows[2]["interactions"])
    assert (mention["kind"], mention["target"]) == ("mention", DAVE)
    handles = {(a["account_id"], a["handle"]) for a in rows[2]["accounts"]}
    assert handles == {(ALICE, "alice@mastodon.social"), (DAVE, "dave@mastodon.social")}


def test_like(rows):
    like = only(rows[3]["interactions"])
    assert like == {
        "network": "mastodon",
        "actor": ALICE,
        "target": BOB,
        "kind": "like",
        "occurred_at": None,
        "post_id": None,
        "target_post_id": BOB_STATUS,
        "weight": 1.0,
        "natural_key": f"mastodon|like|{ALICE}|{BOB_STATUS}",
    }
    assert rows[3]["posts"] == [] and rows[3]["event_key"] == f"mastodon|{ALICE}#likes/42"
    assert {a["account_id"] for a in rows[3]["accounts"]} == {ALICE, BOB}


def test_follow(rows):
    follow = only(rows[4]["interactions"])
    assert (follow["kind"], follow["actor"], follow["target"]) == ("follow", ALICE, BOB)
    assert (follow["post_id"], follow["target_post_id"], follow["occurred_at"]) == (None, None, None)
    assert follow["natural_key"] == f"mastodon|follow|{ALICE}|{BOB}"
    assert {(a["account_id"], a["handle"]) for a in rows[4]["accounts"]} == {
        (ALICE, "alice@mastodon.social"),
        (BOB, "bob@example.social"),
    }


def test_announce_of_another_url_shape(rows):
    reshare = only(rows[5]["interactions"])
    assert (reshare["actor"], reshare["target"], reshare["post_id"]) == (ALICE, None, None)
    assert reshare["target_post_id"] == "https://misskey.example/notes/9abc"
    assert rows[5]["posts"] == []  # no activity id, so no boost status id
    assert rows[5]["event_key"] == f"mastodon|reshare|{ALICE}|https://misskey.example/notes/9abc"


def test_delete_of_a_note(rows):
    assert only(rows[6]["deletes"]) == {
        "network": "mastodon",
        "record_type": "post",
        "natural_key": ALICE + "/statuses/109",
    }
    assert rows[6]["posts"] == [] and rows[6]["interactions"] == [] and rows[6]["accounts"] == []


def test_undo_like_deletes_the_like(rows):
    assert only(rows[7]["deletes"]) == {
        "network": "mastodon",
        "record_type": "interaction",
        "natural_key": f"mastodon|like|{ALICE}|{BOB_STATUS}",
    }
    assert rows[7]["interactions"] == []


def test_undo_announce_deletes_the_reshare_and_the_boost(rows):
    assert rows[8]["deletes"] == [
        {"network": "mastodon", "record_type": "interaction", "natural_key": f"mastodon|reshare|{ALICE}|{BOB_STATUS}"},
        {"network": "mastodon", "record_type": "post", "natural_key": ALICE + "/statuses/110"},
    ]


def test_poll_reply_to_another_url_shape(rows):
    post = only(rows[9]["posts"])
    assert (post["post_id"], post["author"], post["text"]) == (DAVE + "/statuses/5", DAVE, "Tea or coffee?")
    assert utc(post["created_at"]) == dt.datetime(2022, 11, 8, tzinfo=UTC)  # the activity's published
    assert post["hashtags"] == ["poll"] and post["lang"] is None
    assert (post["reply_to_post_id"], post["reply_to_account"]) == ("https://pleroma.example/objects/abc", None)
    reply = only(rows[9]["interactions"])
    assert (reply["kind"], reply["target"]) == ("reply", None)
    assert reply["target_post_id"] == "https://pleroma.example/objects/abc"


def test_bom_line_with_fractional_time(rows):
    like = only(rows[10]["interactions"])
    assert (like["target"], like["target_post_id"]) == (CAROL, CAROL_STATUS)
    assert utc(like["occurred_at"]) == dt.datetime(2022, 11, 5, 15, 0, 0, 500000, tzinfo=UTC)


def test_crlf_line(rows):
    assert only(rows[11]["interactions"])["target"] == CAROL
    assert rows[11]["line"].endswith("\r\n")


def test_fields_of_the_wrong_type_are_null(rows):
    post = only(rows[12]["posts"])
    assert (post["text"], post["reply_to_post_id"], post["like_count"]) == (None, None, None)
    assert rows[12]["interactions"] == []


# ---- skips and quarantines ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number, reason",
    [
        (13, "blank"),
        (14, "blank"),
        (15, "blank"),
        (16, "activity_not_mapped"),
        (17, "activity_not_mapped"),
        (18, "activity_not_mapped"),
        (19, "activity_not_mapped"),
        (20, "no_mapped_activity"),
        (21, "no_mapped_activity"),
        (22, "no_mapped_activity"),
    ],
)
def test_skips(rows, number, reason):
    row = rows[number]
    assert (row["status"], row["reason"], row["event_key"]) == ("skipped", reason, None)
    assert row["posts"] == [] and row["interactions"] == [] and row["deletes"] == [] and row["accounts"] == []


@pytest.mark.parametrize(
    "number, reason_start",
    [
        (23, "invalid_json: the line is not valid JSON"),
        (24, "invalid_json: expected a JSON object, got array"),
        (25, "unknown_event_type: 'Dance' is not an activity"),
        (26, "missing_field: $.type "),
        (27, "unknown_event_type: Create of 'Image'"),
        (28, "bad_value: Create's object is not an embedded object"),
        (29, "missing_field: $.object "),
        (30, "missing_field: $.object.id "),
        (31, "missing_field: $.object.published "),
        (32, "bad_timestamp: 'yesterday' "),
        (33, "bad_timestamp: '2022-11-05T12:00:00' "),
        (34, "missing_field: $.actor "),
        (35, "missing_field: $.object "),
        (36, "bad_timestamp: '1667649600' "),
        (37, "missing_field: $.published "),
        (38, "unknown_event_type: Undo of an activity given only by its id"),
        (39, "unknown_event_type: Undo of 'Dance'"),
        (40, "missing_field: $.object.object "),
        (41, "missing_field: orderedItems[1] (2 of 4 activities bad): $.actor "),
        (42, "bad_value: the collection's orderedItems/items is not an array"),
        (43, "bad_value: orderedItems[1] (1 of 2 activities bad): the activity is a JSON bigint, not an object"),
        (44, "missing_field: $.object.attributedTo (or $.actor) "),
        (48, "missing_field: $.object "),
        (49, "bad_timestamp: '2022-11-05 13:30' "),
        (50, "bad_value: orderedItems[0] (1 of 1 activities bad): the activity is a JSON null, not an object"),
    ],
)
def test_quarantines(rows, number, reason_start):
    row = rows[number]
    assert row["status"] == "quarantined"
    assert row["reason"].startswith(reason_start), row["reason"]
    assert row["event_key"] is None
    assert row["posts"] == [] and row["interactions"] == [] and row["deletes"] == [] and row["accounts"] == []


def test_html_text_handles_and_mentions_by_name(rows):
    row = rows[45]
    assert row["event_key"] == "mastodon|post|https://host.example:8443/notes/1"
    post = only(row["posts"])
    assert post["text"] == "a &lt; b\n\nc\nd"  # &amp;lt; is the text "&lt;"; <P> in any case
    assert post["hashtags"] == ["\u5168\u89d2"]  # full-width '#' dropped
    assert post["mentions"] == ["https://misskey.example/users/9abcdef", "@frank@example.org"]
    assert {(a["account_id"], a["handle"]) for a in row["accounts"]} == {
        (ZED, "Zed@host.example"),
        ("https://misskey.example/users/9abcdef", "eve@misskey.example"),
        ("@frank@example.org", "frank@example.org"),
    }
    assert [i["target"] for i in row["interactions"]] == ["https://misskey.example/users/9abcdef", "@frank@example.org"]


def test_like_of_a_url_that_is_not_a_status(rows):
    like = only(rows[46]["interactions"])
    assert (like["target"], like["target_post_id"]) == (None, "https://h.example/users/z/statuses/1/activity")
    assert rows[46]["event_key"] == f"mastodon|like|{ALICE}|https://h.example/users/z/statuses/1/activity"
    assert [a["account_id"] for a in rows[46]["accounts"]] == [ALICE]


def test_collection_page_with_items(rows):
    like = only(rows[47]["interactions"])
    assert (like["kind"], like["actor"], like["target"]) == ("like", ALICE, BOB)
    keys = f"mastodon|{ALICE}#likes/42"
    assert rows[47]["event_key"] == "mastodon|collection|" + hashlib.sha256(keys.encode()).hexdigest()
