"""Every connector, fed arbitrary bytes, arbitrary JSON and mutated real-shaped events: no crash, and
every line accounted for exactly once (conformed, quarantined with a reason, or skipped with a reason).
"""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from pyspark.sql import functions as F

from expectations.quarantine import REASON_PATTERN
from influence.tables import INTERACTION_KINDS
from transforms.connectors.lines import (
    CONFORMED,
    QUARANTINED,
    SKIPPED,
    reconcile,
    summarize_classification,
    with_duplicates_skipped,
)
from transforms.connectors.records import CLASSIFIED_COLUMNS
from transforms.connectors.registry import CONNECTORS, ConnectorOptions
from transforms.silver.conform import to_account_profiles, to_interactions, to_posts

LINES_SCHEMA = "source string, file string, line_number long, line string"

# One well-formed event per source, the seed that mutations start from.
TEMPLATES = {
    "snap": None,  # not JSON: see snap_lines
    "identity_links": {"person_id": "p1", "network": "twitter", "account_id": "42"},
    "twitter_v1": {
        "id_str": "100",
        "created_at": "Fri Jan 22 05:00:06 +0000 2016",
        "text": "RT @b: hi #tag",
        "lang": "nl",
        "user": {"id_str": "1", "screen_name": "a", "name": "A", "description": "bio", "followers_count": 3},
        "entities": {"hashtags": [{"text": "tag"}], "user_mentions": [{"id_str": "2", "screen_name": "b"}]},
        "retweeted_status": {
            "id_str": "99",
            "created_at": "Thu Jan 21 05:00:06 +0000 2016",
            "text": "hi #tag",
            "user": {"id_str": "2", "screen_name": "b"},
            "entities": {"hashtags": [], "user_mentions": []},
        },
    },
    "twitter_v2": {
        "data": [
            {
                "id": "200",
                "author_id": "1",
                "text": "@b Bonjour #Présidentielle2022 🎉",
                "created_at": "2022-06-07T08:42:31.000Z",
                "referenced_tweets": [{"type": "replied_to", "id": "199"}],
                "public_metrics": {"retweet_count": 1, "like_count": 2},
            }
        ],
        "includes": {"users": [{"id": "1", "username": "a", "description": "d", "public_metrics": {"followers_count": 5}}]},
    },
    "reddit": {
        "id": "c1",
        "author": "alice",
        "subreddit": "science",
        "parent_id": "t3_s1",
        "link_id": "t3_s1",
        "created_utc": "1700000000",
        "score": 4,
        "body": "hello u/bob",
    },
    "bluesky": {
        "did": "did:plc:aaa",
        "time_us": 1725911162329308,
        "kind": "commit",
        "commit": {
            "operation": "create",
            "collection": "app.bsky.feed.like",
            "rkey": "3l3",
            "rev": "x",
            "record": {
                "$type": "app.bsky.feed.like",
                "createdAt": "2024-09-09T19:46:02.102Z",
                "subject": {"uri": "at://did:plc:bbb/app.bsky.feed.post/3k", "cid": "c"},
            },
        },
    },
    "mastodon": {
        "id": "https://m.example/users/alice/statuses/1/activity",
        "type": "Create",
        "actor": "https://m.example/users/alice",
        "published": "2024-01-01T10:00:00Z",
        "object": {
            "id": "https://m.example/users/alice/statuses/1",
            "type": "Note",
            "published": "2024-01-01T10:00:00Z",
            "attributedTo": "https://m.example/users/alice",
            "content": "<p>hi <a>@bob</a> #tag</p>",
            "tag": [
                {"type": "Mention", "href": "https://o.example/users/bob", "name": "@bob@o.example"},
                {"type": "Hashtag", "name": "#tag"},
            ],
        },
    },
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def paths(value, prefix=()):
    """Every path to a value inside nested dicts and lists."""
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from paths(child, (*prefix, index))


@st.composite
def mutated(draw, template):
    """The template with one sub-tree replaced by arbitrary JSON, or removed."""
    event = copy.deepcopy(template)
    path = draw(st.sampled_from(list(paths(event))[1:]))
    parent = event
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(json_values)
    return json.dumps(event, ensure_ascii=draw(st.booleans()))


def text_lines(template):
    raw = st.binary(max_size=80).map(lambda data: data.decode("utf-8", errors="replace"))
    framing = st.sampled_from(["", "\ufeff", " "]), st.sampled_from(["", "\r", " \t"])
    snap = st.builds(
        lambda a, b, c, d: f"{a} {b} {c} {d}".strip(),
        st.text(max_size=6),
        st.text(max_size=6),
        st.text(max_size=12),
        st.sampled_from(["RT", "MT", "RE", "XX", ""]),
    )
    shaped = snap if template is None else mutated(template) | st.just(json.dumps(template))
    line = st.one_of(st.none(), raw, json_values.map(json.dumps), shaped, shaped)
    framed = st.tuples(*framing, line).map(lambda t: None if t[2] is None else f"{t[0]}{t[2]}{t[1]}")
    return st.lists(framed, min_size=1, max_size=60)


def check_every_line_accounted_for(spark, source, lines):
    frame = spark.createDataFrame(
        [(source, f"{source}/f.jsonl", number, line) for number, line in enumerate(lines, start=1)], LINES_SCHEMA
    )
    classified = with_duplicates_skipped(CONNECTORS[source](frame, ConnectorOptions()))
    rows = classified.collect()
    assert tuple(classified.columns) == CLASSIFIED_COLUMNS
    assert sorted(row.line_number for row in rows) == list(range(1, len(lines) + 1))
    for row in rows:
        assert row.status in (CONFORMED, QUARANTINED, SKIPPED), row
        assert (row.reason is None) == (row.status == CONFORMED), row
        if row.status == QUARANTINED:  # a code the quarantine suite knows, or the night would fail validation
            assert re.match(REASON_PATTERN, row.reason), row
        assert row.line == lines[row.line_number - 1]
        if row.status == CONFORMED:
            for interaction in row.interactions:
                assert interaction.actor and interaction.kind in INTERACTION_KINDS and interaction.natural_key, row
                assert interaction.target is not None or interaction.target_post_id is not None, row
            assert all(post.post_id and post.network for post in row.posts), row
    [file] = reconcile(
        spark.createDataFrame([(source, f"{source}/f.jsonl", len(lines))], "source string, file string, raw_lines long"),
        summarize_classification(classified),
    ).collect()
    assert file.accounted_lines == file.raw_lines == len(lines)
    # the silver transforms accept whatever a connector conformed
    for frame_of in (lambda c: to_interactions(c, None), lambda c: to_posts(c, None), to_account_profiles):
        frame_of(classified).agg(F.count(F.lit(1))).collect()


@pytest.mark.parametrize("source", sorted(TEMPLATES))
def test_connector_survives_arbitrary_input(spark, source):
    if source not in CONNECTORS:
        pytest.fail(f"no connector registered for {source}")

    @settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(lines=text_lines(TEMPLATES[source]))
    def run(lines):
        check_every_line_accounted_for(spark, source, lines)

    run()
