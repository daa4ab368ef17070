"""transforms.model.topics: accent- and case-insensitive matching of the taxonomy, authority and moments, by hand."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest

from influence.model import TOPICS_FILE
from transforms.model.topics import to_moments, to_person_topics, to_post_topics, to_topic_keys

TAXONOMY_SCHEMA = "topic_id string, name string, match string, value string"
POSTS_SCHEMA = "network string, post_id string, text string, hashtags array<string>"
TAXONOMY = [
    ("elections", "Elections", "term", "élection présidentielle"),
    ("elections", "Elections", "hashtag", "Présidentielle2022"),
    ("football", "Football", "term", "Voetbal"),
    ("football", "Football", "term", "fútbol"),
]


def matched(spark, posts):
    keys = to_topic_keys(spark.createDataFrame(TAXONOMY, TAXONOMY_SCHEMA))
    found = to_post_topics(spark.createDataFrame(posts, POSTS_SCHEMA), keys).collect()
    return sorted((row.post_id, row.topic_id) for row in found)


def test_terms_match_whatever_the_case_and_accents(spark):
    posts = [
        ("twitter", "1", "L'ELECTION presidentielle approche", []),  # two words, no accents, upper case
        ("twitter", "2", "Élection, présidentielle?", []),  # punctuation between the words
        ("twitter", "3", "élection législative", []),  # only one of the two words
        ("twitter", "4", "VOETBAL vanavond", []),
        ("twitter", "5", "el futbol", []),
        ("twitter", "6", "voetballer", []),  # a longer word is not the term
    ]
    assert matched(spark, posts) == [("1", "elections"), ("2", "elections"), ("4", "football"), ("5", "football")]


def test_hashtags_match_the_post_hashtags_folded(spark):
    posts = [
        ("twitter", "1", "", ["presidentielle2022"]),
        ("twitter", "2", "", ["PRÉSIDENTIELLE2022"]),
        ("twitter", "3", "#Présidentielle2022 in the text only", None),  # hashtags come from the hashtag list
    ]
    assert matched(spark, posts) == [("1", "elections"), ("2", "elections")]


def test_person_topics_rank_by_engagement_with_authority_relative_to_the_best(spark):
    engagement = spark.createDataFrame(
        [("twitter", "p1", "alice", 3.0), ("twitter", "p2", "alice", 1.0), ("twitter", "p3", "bob", 7.0)],
        "network string, post_id string, person_id string, weighted_engagement double",
    )
    post_topics = spark.createDataFrame(
        [("twitter", "p1", "elections"), ("twitter", "p2", "football"), ("twitter", "p3", "elections")],
        "network string, post_id string, topic_id string",
    )
    names = spark.createDataFrame([("elections", "Elections"), ("football", "Football")], "topic_id string, name string")
    got = {
        row.id: [(t.topic_id, t.authority, t.posts) for t in row.topics]
        for row in to_person_topics(engagement, post_topics, names, top=5).collect()
    }
    assert got == {
        "alice": [("elections", round(100 * math.log1p(3) / math.log1p(7), 1), 1), ("football", 100.0, 1)],
        "bob": [("elections", 100.0, 1)],
    }
    only_one = {row.id: len(row.topics) for row in to_person_topics(engagement, post_topics, names, top=1).collect()}
    assert only_one == {"alice": 1, "bob": 1}


def test_moments_are_the_most_engaged_posts_first(spark):
    when = dt.datetime(2024, 3, 1)
    engagement = spark.createDataFrame(
        [("twitter", f"p{i}", "alice", when, i, float(i)) for i in range(1, 6)],
        "network string, post_id string, person_id string, created_at timestamp, engagements long, weighted_engagement double",
    )
    [row] = to_moments(engagement, top=3).collect()
    assert [m.post_id for m in row.moments] == ["p5", "p4", "p3"]


def test_packaged_taxonomy_has_150_topics_in_four_languages():
    taxonomy = json.loads(TOPICS_FILE.read_text(encoding="utf-8"))
    topics = taxonomy["topics"]
    assert len(topics) >= 150
    assert len({t["id"] for t in topics}) == len(topics)
    for topic in topics:
        for language in ("en", "fr", "es", "nl"):
            assert topic["terms"][language] and topic["hashtags"][language], (topic["id"], language)
    assert {t["parent"] for t in topics if t["parent"]} <= {t["id"] for t in topics}


@pytest.mark.parametrize(
    "text, topic",
    [
        ("Le second tour de l'élection présidentielle", "french_presidential_election_2022"),
        ("Les législatives 2022 et la NUPES", "french_legislative_elections_2022"),
    ],
)
def test_packaged_taxonomy_recognises_french_election_subjects(spark, text, topic):
    from influence.config import load_config
    from influence.model import load_taxonomy

    _, taxonomy = load_taxonomy(spark, load_config(lake="/nonexistent-lake"))
    posts = spark.createDataFrame([("twitter", "1", text, [])], POSTS_SCHEMA)
    found = {row.topic_id for row in to_post_topics(posts, to_topic_keys(taxonomy)).collect()}
    assert topic in found, found
