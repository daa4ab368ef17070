"""twitter_v2: hand-built v2 page lines (expected values worked out by hand) and the real French media sample."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from collections import Counter
from datetime import datetime

import pytest
from pyspark.sql import functions as F

from transforms.connectors import twitter_v2
from transforms.connectors.records import CLASSIFIED_COLUMNS


def metrics(like=0, retweet=0, reply=0, quote=0) -> dict:
    return {"retweet_count": retweet, "reply_count": reply, "like_count": like, "quote_count": quote}


def tweet(tweet_id: str, text: str = "x", author: str = "50", created: str = "2022-06-07T10:00:00.000Z", **fields) -> dict:
    return {"id": tweet_id, "author_id": author, "created_at": created, "text": text, "public_metrics": metrics(), **fields}


MEDIA = {
    "id": "51",
    "username": "Media",
    "name": "Le Média",
    "description": "Bio é",
    "public_metrics": {"followers_count": 1234, "following_count": 3},
    "verified": True,
}
AUTHOR = {"id": "50", "username": "auteur", "name": "Auteur", "description": "", "public_metrics": {"followers_count": 9}}

FULL_PAGE = {
    "data": [
        {
            "id": "2001",
            "author_id": "50",
            "created_at": "2022-06-07T08:42:31.000Z",
            "lang": "fr",
            "text": "Bonjour @Media et @Autre #Présidentielle2022 #été 😀 #Présidentielle2022",
            "public_metrics": metrics(like=6, retweet=5, reply=1, quote=2),
            "conversation_id": "2001",
        },
        # the author of the retweeted tweet in includes.tweets (53) wins over the RT prefix (@Media = 51)
        tweet("2002", "RT @Media: original #tag", referenced_tweets=[{"type": "retweeted", "id": "3001"}]),
        tweet("2003", "RT @Ghost_1: x", referenced_tweets=[{"type": "retweeted", "id": "3999"}]),
        tweet("2004", "RT @MEDIA: y", referenced_tweets=[{"type": "retweeted", "id": "3998"}]),
        tweet(
            "2005",
            "@someone hi",
            in_reply_to_user_id="60",
            referenced_tweets=[{"type": "replied_to", "id": "3002"}],
            entities={
                "mentions": [{"start": 0, "end": 8, "username": "someone", "id": "60"}],
                "hashtags": [{"start": 0, "end": 3, "tag": "Été"}],
            },
        ),
        tweet("2006", "merci", referenced_tweets=[{"type": "replied_to", "id": "3001"}]),
        tweet("2007", "ok", referenced_tweets=[{"type": "replied_to", "id": "3997"}]),
        tweet("2008", "vu", referenced_tweets=[{"type": "quoted", "id": "3002"}]),
        tweet("2009", "lu", referenced_tweets=[{"type": "quoted", "id": "3996"}]),
        tweet("2010", "@Media @Nobody", entities={"mentions": [{"username": "Media"}, {"username": "Nobody"}]}),
    ],
    "includes": {
        "users": [MEDIA, AUTHOR],
        "tweets": [
            tweet("3001", "original #tag @Autre", author="53", created="2022-06-06T10:00:00.000Z"),
            tweet("3002", "hello", author="61", created="2022-06-05T10:00:00.000Z"),
        ],
    },
    "meta": {"result_count": 10, "newest_id": "2010", "oldest_id": "2001"},
    "__twarc": {"retrieved_at": "2022-06-08T00:00:00+00:00", "version": "2.10.0"},
}
RETRIEVED = datetime(2022, 6, 8)
PAGE_WITHOUT_TWARC = {  # observed_at from the latest tweet; wrong types; errors and unknown fields ignored
    "data": [
        tweet(
            "2101",
            "#Un @deux",
            created="2022-06-01T00:00:00.000Z",
            entities="oops",
            public_metrics={"like_count": "lots", "retweet_count": 2},
        ),
        tweet("2102", "b", created="2022-06-02T12:00:00.000Z"),
    ],
    "includes": {"users": [AUTHOR]},
    "errors": [{"resource_id": "1", "title": "Not Found Error"}],
    "meta": {"result_count": 2},
    "unknown_extra": {"x": [1]},
}
SINGLE_FLATTENED = {  # one bare tweet, twarc2-flattened: its author and the quoted tweet's author inline
    **tweet(
        "2201",
        "solo #Solo",
        author="70",
        created="2022-06-03T00:00:00Z",
        referenced_tweets=[{"type": "quoted", "id": "3201", "author_id": "71"}],
    ),
    "author": {"id": "70", "username": "solo", "name": "Solo", "public_metrics": {"followers_count": 1}},
}


def page(*tweets, **extra) -> str:
    return json.dumps({"data": list(tweets), **extra}, ensure_ascii=False)


LINES: dict[int, str | None] = {
    1: json.dumps(FULL_PAGE, ensure_ascii=False),
    2: json.dumps(PAGE_WITHOUT_TWARC),
    3: json.dumps(SINGLE_FLATTENED),
    4: json.dumps({"data": tweet("2301", "lookup"), "includes": {"users": [AUTHOR]}}),
    5: json.dumps({"meta": {"result_count": 0}}),
    6: json.dumps({"data": [], "meta": {"result_count": 0}}),
    7: None,
    8: "",
    9: "\ufeff" + page(tweet("2401")),
    10: page(tweet("2501")) + "\r\n",
    11: '{"data": [',
    12: '[{"id": "1"}]',
    13: json.dumps({"meta": {"result_count": 5}}),
    14: json.dumps({"data": "oops"}),
    15: page(tweet("2601"), tweet("2602", created="yesterday"), "not a tweet"),
    16: page({"id": "2701", "created_at": "2022-06-07T10:00:00.000Z", "text": "no author"}),
    17: page(tweet("2801"), includes={"tweets": [tweet("x1")]}),
    18: page(tweet("2901"), includes={"users": [{"username": "noid"}]}),
    19: json.dumps({"id": "3101", "author_id": "50", "text": "no time"}),
    20: json.dumps(tweet("3102", created="2022-06-07T08:42:31")),
    21: json.dumps({"foo": 1}),
    22: json.dumps({**tweet("3103"), "author": {"username": "noid"}}),
}
ISO_HINT = "is not ISO-8601 like '2022-06-07T08:42:31.000Z'"
EXPECTED_REASONS = {
    11: "invalid_json: the line is not valid JSON",
    12: "invalid_json: expected a JSON object, got array",
    13: "missing_field: data is absent, null or not an array of tweets (nor is the line one tweet)",
    14: "missing_field: data is absent, null or not an array of tweets (nor is the line one tweet)",
    15: f"bad_timestamp: data[1].created_at 'yesterday' {ISO_HINT} (2 of 3 tweets unreadable; the whole page is quarantined)",
    16: "missing_field: data[0].author_id is absent, null or not of the expected type "
    "(1 of 1 tweets unreadable; the whole page is quarantined)",
    17: "bad_value: includes.tweets[0].id 'x1' is not a numeric id (1 of 2 tweets unreadable; the whole page is quarantined)",
    18: "missing_field: includes.users[0].id is absent, null or not of the expected type",
    19: "missing_field: created_at is absent or null",
    20: f"bad_timestamp: created_at '2022-06-07T08:42:31' {ISO_HINT}",
    21: "missing_field: data is absent, null or not an array of tweets (nor is the line one tweet)",
    22: "missing_field: author.id is absent, null or not of the expected type",
}
CONFORMED = {1, 2, 3, 4, 9, 10}


@pytest.fixture(scope="module")
def rows(spark):
    frame = spark.createDataFrame(
        [("test", "pages.jsonl", number, line) for number, line in LINES.items()],
        "source string, file string, line_number long, line string",
    )
    out = twitter_v2.to_classified(frame)
    assert tuple(out.columns) == CLASSIFIED_COLUMNS
    return {row["line_number"]: row.asDict(recursive=True) for row in out.collect()}


def posts(row) -> dict[str, dict]:
    return {p["post_id"]: p for p in row["posts"]}


def by_post(row, kind: str) -> dict[str, tuple]:
    return {
        i["post_id"]: (i["actor"], i["target"], i["target_post_id"], i["natural_key"])
        for i in row["interactions"]
        if i["kind"] == kind
    }


def test_one_row_per_line(rows):
    assert sorted(rows) == sorted(LINES)


def test_statuses_and_reasons(rows):
    assert {n for n, r in rows.items() if r["status"] == "conformed"} == CONFORMED
    assert {n: r["reason"] for n, r in rows.items() if r["status"] == "skipped"} == {
        5: "empty_page",
        6: "empty_page",
        7: "blank",
        8: "blank",
    }
    assert {n: r["reason"] for n, r in rows.items() if r["status"] == "quarantined"} == EXPECTED_REASONS
    assert all(rows[n]["reason"] is None for n in CONFORMED)


def test_event_keys(rows):
    data_ids = ",".join(t["id"] for t in FULL_PAGE["data"])
    assert rows[1]["event_key"] == "twitter|page|" + hashlib.sha256(data_ids.encode()).hexdigest()
    assert rows[3]["event_key"] == "twitter|tweet|2201"
    assert rows[4]["event_key"] == "twitter|tweet|2301"
    assert rows[9]["event_key"] == "twitter|page|" + hashlib.sha256(b"2401").hexdigest()  # BOM removed
    assert rows[10]["event_key"] == "twitter|page|" + hashlib.sha256(b"2501").hexdigest()  # CRLF removed
    assert all(rows[n]["event_key"] is None for n in set(LINES) - CONFORMED)


def test_accounts(rows):
    assert sorted(rows[1]["accounts"], key=lambda a: a["account_id"]) == [
        {
            "network": "twitter",
            "account_id": "50",
            "handle": "auteur",
            "display_name": "Auteur",
            "bio": "",
            "lang": None,
            "followers_count": 9,
            "observed_at": RETRIEVED,
        },
        {
            "network": "twitter",
            "account_id": "51",
            "handle": "Media",
            "display_name": "Le Média",
            "bio": "Bio é",
            "lang": None,
            "followers_count": 1234,
            "observed_at": RETRIEVED,
        },
    ]


def test_post_fields(rows):
    assert posts(rows[1])["2001"] == {
        "network": "twitter",
        "post_id": "2001",
        "author": "50",
        "created_at": datetime(2022, 6, 7, 8, 42, 31),
        "lang": "fr",
        "text": "Bonjour @Media et @Autre #Présidentielle2022 #été 😀 #Présidentielle2022",
        "hashtags": ["Présidentielle2022", "été"],
        "mentions": ["51", "@autre"],
        "reply_to_post_id": None,
        "reply_to_account": None,
        "reshare_of_post_id": None,
        "quote_of_post_id": None,
        "like_count": 6,
        "reshare_count": 5,
        "reply_count": 1,
        "quote_count": 2,
        "observed_at": RETRIEVED,
    }
    assert set(posts(rows[1])) == {f"20{n:02d}" for n in range(1, 11)} | {"3001", "3002"}
    included = posts(rows[1])["3001"]
    assert (included["author"], included["created_at"], included["hashtags"]) == ("53", datetime(2022, 6, 6, 10), ["tag"])


def test_references_on_posts(rows):
    p = posts(rows[1])
    assert (p["2002"]["reshare_of_post_id"], p["2005"]["reply_to_post_id"], p["2005"]["reply_to_account"]) == (
        "3001",
        "3002",
        "60",
    )
    assert (p["2006"]["reply_to_post_id"], p["2006"]["reply_to_account"]) == ("3001", "53")
    assert (p["2007"]["reply_to_post_id"], p["2007"]["reply_to_account"]) == ("3997", None)
    assert (p["2008"]["quote_of_post_id"], p["2009"]["quote_of_post_id"]) == ("3002", "3996")


def test_entities_win_over_text(rows):
    p = posts(rows[1])
    assert (p["2005"]["hashtags"], p["2005"]["mentions"]) == (["Été"], ["60"])  # 'Été' is only in entities
    assert p["2010"]["mentions"] == ["51", "@nobody"]  # entity usernames without id: resolved, else '@handle'


def test_reshares(rows):
    assert by_post(rows[1], "reshare") == {
        "2002": ("50", "53", "3001", "twitter|reshare|2002"),
        "2003": ("50", "@ghost_1", "3999", "twitter|reshare|2003"),
        "2004": ("50", "51", "3998", "twitter|reshare|2004"),
    }


def test_replies_and_quotes(rows):
    assert by_post(rows[1], "reply") == {
        "2005": ("50", "60", "3002", "twitter|reply|2005"),
        "2006": ("50", "53", "3001", "twitter|reply|2006"),
        "2007": ("50", None, "3997", "twitter|reply|2007"),
    }
    assert by_post(rows[1], "quote") == {
        "2008": ("50", "61", "3002", "twitter|quote|2008"),
        "2009": ("50", None, "3996", "twitter|quote|2009"),
    }


def test_mentions(rows):
    found = {
        (i["actor"], i["target"], i["post_id"], i["natural_key"], i["target_post_id"])
        for i in rows[1]["interactions"]
        if i["kind"] == "mention"
    }
    # retweets 2002-2004 carry no mention; 3001 (an included tweet) mentions as its own author
    assert found == {
        ("50", "51", "2001", "twitter|mention|2001|51", None),
        ("50", "@autre", "2001", "twitter|mention|2001|@autre", None),
        ("50", "60", "2005", "twitter|mention|2005|60", None),
        ("50", "51", "2010", "twitter|mention|2010|51", None),
        ("50", "@nobody", "2010", "twitter|mention|2010|@nobody", None),
        ("53", "@autre", "3001", "twitter|mention|3001|@autre", None),
    }
    times = {i["post_id"]: i["occurred_at"] for i in rows[1]["interactions"]}
    assert (times["2001"], times["3001"]) == (datetime(2022, 6, 7, 8, 42, 31), datetime(2022, 6, 6, 10))
    assert {i["weight"] for i in rows[1]["interactions"]} == {1.0}
    assert len(rows[1]["interactions"]) == 3 + 3 + 2 + 6


def test_page_without_twarc_and_wrong_types(rows):
    row = rows[2]
    latest = datetime(2022, 6, 2, 12)
    assert {p["observed_at"] for p in row["posts"]} == {a["observed_at"] for a in row["accounts"]} == {latest}
    first = posts(row)["2101"]
    assert (first["hashtags"], first["mentions"]) == (["Un"], ["@deux"])  # entities not an object: the text
    assert (first["like_count"], first["reshare_count"]) == (None, 2)


def test_single_tweet_lines(rows):
    row = rows[3]
    assert [(a["account_id"], a["handle"], a["display_name"]) for a in row["accounts"]] == [("70", "solo", "Solo")]
    assert row["posts"][0]["hashtags"] == ["Solo"]
    assert by_post(row, "quote") == {"2201": ("70", "71", "3201", "twitter|quote|2201")}
    assert [p["post_id"] for p in rows[4]["posts"]] == ["2301"]


def test_records_empty_off_conformed_lines(rows):
    for number in set(LINES) - CONFORMED:
        row = rows[number]
        assert row["posts"] == row["accounts"] == row["interactions"] == row["deletes"] == row["links"] == []


# ---- the real sample: 81 pages, 6,632 tweets of French media accounts, no entities ----------------------


@pytest.fixture(scope="module")
def sample(spark, shared_data):
    path = shared_data / "twitter-v2-fr-media" / "pages.jsonl.gz"
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        reference = {number: json.loads(line) for number, line in enumerate(handle, start=1)}
    # One gzip file is one partition: monotonically_increasing_id follows the file order.
    lines = spark.read.text(str(path)).select(
        F.lit("fr-media").alias("source"),
        F.lit(path.name).alias("file"),
        (F.monotonically_increasing_id() + 1).alias("line_number"),
        F.col("value").alias("line"),
    )
    out = {row["line_number"]: row.asDict(recursive=True) for row in twitter_v2.to_classified(lines).collect()}
    sample_posts = {p["post_id"]: p for row in out.values() for p in row["posts"]}
    return reference, out, sample_posts


def test_sample_every_page_conforms(sample):
    reference, out, _ = sample
    assert sorted(out) == sorted(reference) == list(range(1, 82))
    assert {n: r["reason"] for n, r in out.items() if r["status"] != "conformed"} == {}


def test_sample_posts_and_interactions_match_a_json_count(sample):
    reference, out, sample_posts = sample
    tweets = [t for page in reference.values() for t in page["data"]]
    assert len(tweets) == sum(len(r["posts"]) for r in out.values()) == 6632
    assert set(sample_posts) == {t["id"] for t in tweets}
    references = Counter(ref["type"] for t in tweets for ref in t.get("referenced_tweets", []))
    kinds = Counter(i["kind"] for r in out.values() for i in r["interactions"])
    assert (references["retweeted"], references["replied_to"], references["quoted"]) == (927, 475, 37)
    assert (kinds["reshare"], kinds["reply"], kinds["quote"]) == (927, 475, 37)
    retweeted = {(t["id"], ref["id"]) for t in tweets for ref in t.get("referenced_tweets", []) if ref["type"] == "retweeted"}
    reshares = {(i["post_id"], i["target_post_id"]) for r in out.values() for i in r["interactions"] if i["kind"] == "reshare"}
    assert reshares == retweeted


def test_sample_mentioned_handles_are_in_the_text(sample):
    _, _, sample_posts = sample
    for post in sample_posts.values():
        for mentioned in post["mentions"]:
            if mentioned.startswith("@"):
                assert mentioned in post["text"].lower(), (post["post_id"], mentioned)


def test_sample_hand_checked_tweets(sample):
    reference, out, sample_posts = sample
    assert sample_posts["1534092685803503623"]["hashtags"] == ["Floride", "ÉtatsUnis"]
    assert sample_posts["1531307809819729922"]["hashtags"] == ["Pécresse", "Pécressethon"]
    assert "Ingré" in sample_posts["1532017878744064001"]["hashtags"]  # written "d’#Ingré"
    # "...@Valeurs y était. Reportage\n🖋️ @Jeanbmendes": @Valeurs is the page's own user, resolved to its id
    assert sample_posts["1534080913562279936"]["mentions"] == ["112754792", "@jeanbmendes"]
    assert reference[1]["includes"]["users"][0]["username"] == "Valeurs"
    # a truncated retweet: "RT @AmauryBucco: ... #Reconquête ... #Algéri…"
    retweet = sample_posts["1533794915259498497"]
    assert (retweet["hashtags"], retweet["reshare_of_post_id"]) == (["Reconquête", "Algéri"], "1533794552884121608")
    reshares = {i["post_id"]: i for r in out.values() for i in r["interactions"] if i["kind"] == "reshare"}
    assert reshares["1533794915259498497"]["target"] == "@amaurybucco"
    assert (reshares["1532994768925499394"]["actor"], reshares["1532994768925499394"]["target"]) == ("112754792", "112754792")
    first_text = reference[1]["data"][0]["text"]
    assert re.search(r"@JulesTorres17", first_text) and sample_posts["1534093432586747904"]["mentions"] == ["@julestorres17"]
    assert {a["observed_at"] for a in out[1]["accounts"]} == {datetime(2022, 6, 7, 8, 42, 31)}
