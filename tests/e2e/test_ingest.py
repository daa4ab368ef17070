"""End to end through the connectors: real dumps reconcile, repeated dumps add nothing, and a person
linked across two networks gets one profile whose score counts both."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import networkx as nx
from pyspark.sql import functions as F

from influence import storage
from influence.tables import ACCOUNTS, INTERACTIONS, POSTS, PROFILES
from tests.support.cli import nightly, runs
from tests.support.shared_data import V1_SAMPLE, V2_SAMPLE, line_count, politics_in_top_topics, post_ids, topic_roots
from tests.support.twitter import status


def table_counts(spark, lake: Path) -> dict[str, tuple[int, int]]:
    """rows and distinct keys of each silver table."""
    counts = {}
    for table in (INTERACTIONS, POSTS, ACCOUNTS):
        frame = storage.read(spark, table, lake)
        row = frame.agg(F.count(F.lit(1)), F.count_distinct(*table.key)).first()
        counts[table.name] = (row[0], row[1])
    return counts


def assert_media_topics(spark, lake: Path, shared_data: Path) -> None:
    """Topics on the French media sample name recognisable subjects; the expected ones were checked by
    hand against the accounts' tweets (a sports daily, a Montreal daily, a news explainer, a TV channel).
    Which accounts have a politics topic among their top 5 is worked out from the dump (PoliticsVerdict)."""
    handles = storage.read(spark, ACCOUNTS, lake).filter(F.col("network") == "twitter").select("account_id", "handle")
    profiles = storage.read(spark, PROFILES, lake).join(handles, on="account_id", how="inner")
    topics = {
        row.handle: [t.topic_id for t in row.topics]
        for row in profiles.filter(F.size("topics") > 0).select("handle", "topics").collect()  # ~30 rows
    }
    assert "french_presidential_election_2022" in topics["HugoDecrypte"]
    assert "french_football" in topics["lequipe"]
    assert "montreal" in topics["journalmetro"]
    assert "french_legislative_elections_2022" in topics["LCI"]
    roots = topic_roots()
    political = {handle for handle, ids in topics.items() if any(roots[i] == "politics" for i in ids)}
    verdict = politics_in_top_topics(shared_data, dt.date(2022, 6, 30))
    assert len(verdict.certain) == 20 and len(verdict.undecided) <= 2, verdict  # the rule decides all but 2 of 28
    assert verdict.certain <= political, sorted(verdict.certain - political)
    assert not verdict.excluded & political, sorted(verdict.excluded & political)
    # the tightest bound the dump gives: the two undecided accounts' topics depend on PageRank or a near tie
    assert len(verdict.certain) <= len(political) <= len(verdict.certain | verdict.undecided), sorted(political)


def test_real_twitter_dumps_reconcile_and_a_repeated_dump_adds_nothing(spark, shared_data, tmp_path):
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    for source, sample in (("twitter_v1", V1_SAMPLE), ("twitter_v2", V2_SAMPLE)):
        (landing / source).mkdir(parents=True)
        shutil.copy(shared_data / sample, landing / source / sample.name)

    assert nightly("2022-06-30", landing, lake) == 0
    [run] = runs(lake)
    files = {file["source"]: file for file in run["reconciliation"]}
    # the line counts come from the dumps themselves, not from the pipeline
    for source, sample in (("twitter_v1", V1_SAMPLE), ("twitter_v2", V2_SAMPLE)):
        raw = line_count(shared_data / sample)
        file = files[source]
        assert file["raw_lines"] == raw, source
        assert file["reconciled"] is True, source
        explained = file["conformed"] + file["quarantined"] + sum(file["skipped"].values())
        assert explained == raw, (source, file)
        assert file["quarantined"] == sum(file["quarantine_reasons"].values()), (source, file)
    assert files["twitter_v2"]["conformed"] == 81  # every page of the real v2 dump
    first = table_counts(spark, lake)
    assert all(rows == keys > 0 for rows, keys in first.values()), first
    # Every tweet the dumps hold is a post: the 6,632 of the v2 pages and the 1,105 distinct statuses of the
    # v1 lines (1,000 lines, and the retweeted and quoted originals they embed), 7,737 ids counted with json.
    assert len(post_ids(shared_data)) == 7_737
    assert first["posts"][0] == len(post_ids(shared_data))
    assert_media_topics(spark, lake, shared_data)

    # The same dumps again, under other names, on the next night: every event is already stored.
    again = tmp_path / "again"
    for source, sample in (("twitter_v1", V1_SAMPLE), ("twitter_v2", V2_SAMPLE)):
        (again / source).mkdir(parents=True)
        shutil.copy(shared_data / sample, again / source / f"copy-{sample.name}")
    assert nightly("2022-07-01", again, lake) == 0
    second = runs(lake)[0]
    counts = {stage["stage"]: stage["counts"] for stage in second["stages"]}
    assert counts["silver"]["new_interactions"] == 0
    assert counts["silver"]["already_stored"] > 0
    assert table_counts(spark, lake) == first


def test_a_person_linked_across_two_networks_gets_one_profile_scored_on_both(spark, tmp_path):
    alice_tweet = json.loads(status("500", ("10", "alice"), "hello"))
    tweets = [
        json.dumps(alice_tweet),
        *[status(f"50{i}", (f"{i}", f"fan{i}"), "RT @alice: hello", retweet_of=alice_tweet) for i in (1, 2, 3)],
        status("510", ("10", "alice"), "RT @fan1: thanks", retweet_of=json.loads(status("509", ("1", "fan1"), "thanks"))),
    ]
    created = 1654509600  # 2022-06-06T10:00:00Z
    reddit = [
        {
            "id": "s1",
            "name": "t3_s1",
            "author": "alice_r",
            "subreddit": "science",
            "created_utc": created,
            "title": "Ask me anything",
            "selftext": "",
            "score": 10,
            "num_comments": 2,
        },
        {
            "id": "c1",
            "author": "bob_r",
            "subreddit": "science",
            "parent_id": "t3_s1",
            "link_id": "t3_s1",
            "created_utc": str(created + 60),
            "body": "great",
            "score": 1,
        },
        {
            "id": "c2",
            "author": "carol_r",
            "subreddit": "science",
            "parent_id": "t3_s1",
            "link_id": "t3_s1",
            "created_utc": created + 120,
            "body": "thanks",
            "score": 1,
        },
        {
            "id": "c3",
            "author": "bob_r",
            "subreddit": "science",
            "parent_id": "t1_c2",
            "link_id": "t3_s1",
            "created_utc": created + 180,
            "body": "agreed",
            "score": 1,
        },
    ]
    landing, lake = tmp_path / "landing", tmp_path / "lake"
    for source, name, lines in (
        ("twitter_v1", "tweets.jsonl", tweets),
        ("reddit", "rs.ndjson", [json.dumps(line) for line in reddit]),
        ("identity_links", "links.csv", ["person_id,network,account_id", "alice,twitter,10", "alice,reddit,alice_r"]),
    ):
        (landing / source).mkdir(parents=True)
        (landing / source / name).write_text("\n".join(lines) + "\n", encoding="utf-8")

    # The plain model (no decay, kind weights or trust; networkx's stopping rule): the point here is the
    # linking, checked by hand.
    plain = tmp_path / "plain.toml"
    plain.write_text(
        "[pagerank]\nmax_error = 0\n[model]\nwindow_days = 0\nhalf_life_days = 0\nuse_kind_weights = false\n"
        "[model.trust]\nenabled = false\n"
    )
    assert nightly("2022-06-30", landing, lake, "--config", str(plain)) == 0
    published = {row.person_id: row for row in storage.read(spark, PROFILES, lake).collect()}

    # By hand: fan1..3 retweet alice (twitter:10); alice retweets fan1; bob_r and carol_r reply to
    # alice_r's submission; bob_r replies to carol_r. Alice is one vertex for her two accounts.
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(
        [
            ("twitter:1", "alice", 1.0),
            ("twitter:2", "alice", 1.0),
            ("twitter:3", "alice", 1.0),
            ("alice", "twitter:1", 1.0),
            ("reddit:bob_r", "alice", 1.0),
            ("reddit:carol_r", "alice", 1.0),
            ("reddit:bob_r", "reddit:carol_r", 1.0),
        ]
    )
    expected = nx.pagerank(graph, alpha=0.85, weight="weight")
    assert set(published) == set(expected)
    assert sum(abs(published[person].pagerank - rank) for person, rank in expected.items()) < 1e-6
    alice = published["alice"]
    assert (alice.engagers, alice.interactions_received) == (5, 5)
    assert alice.pagerank == max(row.pagerank for row in published.values())
    assert alice.score == max(row.score for row in published.values())
    # primary account first: twitter:10 was engaged with 3 times, reddit:alice_r twice
    assert [(a.network, a.account_id) for a in alice.accounts] == [("twitter", "10"), ("reddit", "alice_r")]
    assert (alice.network, alice.account_id) == ("twitter", "10")
    [run] = runs(lake)
    assert {file["source"]: file["conformed"] for file in run["reconciliation"]} == {
        "twitter_v1": 5,
        "reddit": 4,
        "identity_links": 2,
    }
