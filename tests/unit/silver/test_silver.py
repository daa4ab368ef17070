"""transforms.silver.conform: classified lines -> one silver record per key; accounts, deletes and pending targets."""

from __future__ import annotations

import datetime as dt
import hashlib

from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from influence.tables import ACCOUNTS, IDENTITY_LINKS, INTERACTIONS, POSTS
from transforms.connectors.records import RECORD_ARRAYS
from transforms.silver.conform import (
    filter_new_interactions,
    handle_directory,
    to_account_profiles,
    to_accounts,
    to_identity_links,
    to_interactions,
    to_posts,
    with_resolved_targets,
    with_unknown_deletes_skipped,
)

UTC = dt.UTC
NIGHT_1, NIGHT_2, NIGHT_3 = dt.date(2012, 7, 2), dt.date(2012, 7, 3), dt.date(2012, 7, 4)

CLASSIFIED_SCHEMA = T.StructType(
    [
        T.StructField("source", T.StringType(), False),
        T.StructField("file", T.StringType(), False),
        T.StructField("line_number", T.LongType(), False),
        T.StructField("line", T.StringType(), True),
        T.StructField("status", T.StringType(), False),
        T.StructField("reason", T.StringType(), True),
        T.StructField("event_key", T.StringType(), True),
        *[T.StructField(name, T.ArrayType(record), False) for name, record in RECORD_ARRAYS.items()],
    ]
)
PROFILE_SCHEMA = (
    "network string, account_id string, handle string, display_name string, bio string, lang string, "
    "followers_count long, profile_observed_at timestamp"
)


def at(hour):
    return dt.datetime(2012, 7, 1, hour, tzinfo=UTC)


def sha256(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def line(line_number, *, file="a.json", status="conformed", reason=None, text="{}", **records):
    """A classified line of source 'feed'; record arrays not given are empty."""
    unknown = set(records) - set(RECORD_ARRAYS)
    assert not unknown, unknown
    return ("feed", file, line_number, text, status, reason, None, *[list(records.get(name, [])) for name in RECORD_ARRAYS])


def blank(line_number, file="a.json"):
    return line(line_number, file=file, status="skipped", reason="blank", text=None)


def classified(spark, rows):
    return spark.createDataFrame(rows, CLASSIFIED_SCHEMA)


# Records, field order as in transforms.connectors.records.


def interaction_record(key, actor, target, kind="reshare", occurred_at=None, post_id=None, target_post_id=None, network="tw"):
    return (network, actor, target, kind, occurred_at, post_id, target_post_id, 1.0, key)


def post_record(post_id, author, observed_at, *, likes=None, text=None, network="tw"):
    return (
        network,
        post_id,
        author,
        at(0),
        "en",
        text,
        ["higgs"],
        ["b"],
        None,
        None,
        None,
        None,
        likes,
        0,
        None,
        None,
        observed_at,
    )


def account_record(account_id, handle, observed_at, *, bio=None, followers=None, network="tw"):
    return (network, account_id, handle, handle and handle.title(), bio, "en", followers, observed_at)


def delete_record(record_type, key, network="tw"):
    return (network, record_type, key)


def interaction(
    interaction_id,
    actor,
    target,
    occurred_at,
    run_date,
    network="higgs",
    line_number=1,
    *,
    kind="reshare",
    post_id=None,
    target_post_id=None,
    source="snap",
    file="f.txt",
):
    """A row in the silver interactions schema (INTERACTIONS.columns order)."""
    return (
        interaction_id,
        network,
        actor,
        target,
        kind,
        occurred_at,
        1.0,
        post_id,
        target_post_id,
        source,
        file,
        line_number,
        run_date,
    )


# to_interactions


def test_interactions_keep_one_row_per_natural_key_the_earliest_line_with_a_sha256_id(spark):
    higgs_key = "higgs\u00011\u00012\u0001reshare\u00011341100800"  # a SNAP activity key
    repeated = interaction_record(higgs_key, "1", "2", occurred_at=at(1), post_id="p10", target_post_id="p1")
    lines = classified(
        spark,
        [
            line(1, file="b.json", interactions=[repeated]),
            line(10, interactions=[repeated]),
            line(9, interactions=[repeated]),  # the earliest: 9 < 10 as numbers, and a.json < b.json
            line(
                2,
                interactions=[  # one line, two records (a page of posts): two interactions of that line
                    interaction_record("k2", "c", "d", kind="mention"),
                    interaction_record("k3", "c", None, kind="reply", target_post_id="p404"),  # pending: target unknown
                ],
            ),
            line(3, status="quarantined", reason="missing_field: id", interactions=[interaction_record("k4", "e", "f")]),
            line(4, status="skipped", reason="duplicate", interactions=[interaction_record("k5", "e", "f")]),
            line(5, accounts=[account_record("g", "gee", at(2))]),  # conformed, no interaction
            blank(6),
        ],
    )
    assertDataFrameEqual(
        to_interactions(lines, NIGHT_1),
        spark.createDataFrame(
            [
                # sha256 hex digests computed by hashlib, not by Spark
                interaction(
                    sha256(higgs_key),
                    "1",
                    "2",
                    at(1),
                    NIGHT_1,
                    "tw",
                    9,
                    post_id="p10",
                    target_post_id="p1",
                    source="feed",
                    file="a.json",
                ),
                interaction(sha256("k2"), "c", "d", None, NIGHT_1, "tw", 2, kind="mention", source="feed", file="a.json"),
                interaction(
                    sha256("k3"),
                    "c",
                    None,
                    None,
                    NIGHT_1,
                    "tw",
                    2,
                    kind="reply",
                    target_post_id="p404",
                    source="feed",
                    file="a.json",
                ),
            ],
            INTERACTIONS.schema,
        ),
    )


# to_posts


def test_posts_keep_the_newest_observation_per_network_and_post_id(spark):
    lines = classified(
        spark,
        [
            line(1, posts=[post_record("p1", "alice", at(1), likes=1, text="v1")]),
            line(
                2,
                posts=[
                    post_record("p1", "alice", at(3), likes=5, text="v3"),  # the newest p1
                    post_record("p2", "bob", at(2), likes=2, text="first"),
                ],
            ),
            line(3, posts=[post_record("p1", "alice", None, likes=9, text="when?")]),  # no time: never the newest
            line(1, file="b.json", posts=[post_record("p2", "bob", at(2), likes=3, text="second")]),  # a tie: earliest line wins
            line(4, posts=[post_record("p1", "carol", at(2), likes=4, network="bsky")]),  # same id, another network
            line(5, posts=[post_record(None, "x", at(9))]),  # no id: no post
            line(6, status="quarantined", reason="bad_timestamp: 'x'", posts=[post_record("p1", "alice", at(9), likes=99)]),
            blank(7),
        ],
    )

    def post(network, post_id, author, observed_at, likes, text, line_number, file="a.json"):
        return (
            network,
            post_id,
            author,
            at(0),
            "en",
            text,
            ["higgs"],
            ["b"],
            None,
            None,
            None,
            None,
            likes,
            0,
            None,
            None,
            observed_at,
            "feed",
            file,
            line_number,
            NIGHT_2,
            NIGHT_2,
        )

    assertDataFrameEqual(
        to_posts(lines, NIGHT_2),
        spark.createDataFrame(
            [
                post("tw", "p1", "alice", at(3), 5, "v3", 2),
                post("tw", "p2", "bob", at(2), 2, "first", 2),
                post("bsky", "p1", "carol", at(2), 4, None, 4),
            ],
            POSTS.schema,
        ),
    )


# to_account_profiles


def test_account_profiles_keep_the_newest_value_of_each_field_per_account(spark):
    lines = classified(
        spark,
        [
            line(1, accounts=[account_record("1", "alice", at(1), bio="old", followers=10)]),
            line(
                2,
                accounts=[
                    account_record("1", "alice_2", at(3), bio="new", followers=12),  # the newest of account 1
                    account_record("2", "bob", None),
                ],
            ),
            line(3, accounts=[account_record("1", "nobody", None, bio="when?")]),  # no time: never the newest
            # both untimed: the earliest line wins each field it has; the bio only the later line has is kept
            line(4, accounts=[account_record("2", "bob_old", None, bio="later line")]),
            line(5, accounts=[account_record("1", "carol", at(2), network="bsky")]),  # same id, another network
            line(6, accounts=[account_record(None, "ghost", at(9))]),  # no id: no profile
            line(7, status="quarantined", reason="invalid_json: x", accounts=[account_record("1", "evil", at(9))]),
            blank(8),
        ],
    )
    assertDataFrameEqual(
        to_account_profiles(lines),
        spark.createDataFrame(
            [
                ("tw", "1", "alice_2", "Alice_2", "new", "en", 12, at(3)),
                ("tw", "2", "bob", "Bob", "later line", "en", None, None),
                ("bsky", "1", "carol", "Carol", None, "en", None, at(2)),
            ],
            PROFILE_SCHEMA,
        ),
    )


# to_identity_links


def test_identity_links_keep_the_last_line_of_the_night_per_account(spark):
    lines = classified(
        spark,
        [
            line(1, file="a.csv", links=[("alice", "tw", "1")]),
            line(2, file="a.csv", links=[("alicia", "tw", "1")]),  # a later line of the same file wins
            line(10, file="a.csv", links=[("bobby", "tw", "2")]),
            line(1, file="b.csv", links=[("bob", "tw", "2")]),  # b.csv sorts after a.csv: it wins
            line(3, file="a.csv", status="quarantined", reason="missing_field: person_id", links=[("mallory", "tw", "1")]),
            blank(4, file="a.csv"),
        ],
    )
    assertDataFrameEqual(
        to_identity_links(lines, NIGHT_1),
        spark.createDataFrame(
            [("tw", "1", "alicia", "feed", "a.csv", 2, NIGHT_1), ("tw", "2", "bob", "feed", "b.csv", 1, NIGHT_1)],
            IDENTITY_LINKS.schema,
        ),
    )


# with_unknown_deletes_skipped


def test_deletes_naming_nothing_known_are_skipped_and_the_others_stay_conformed(spark):
    def lines(unknown_status):
        """The night's lines; unknown_status: (status, reason) of the lines whose deletes name nothing known."""
        status, reason = unknown_status
        return classified(
            spark,
            [
                line(1, deletes=[delete_record("interaction", "k-known")]),
                line(2, status=status, reason=reason, deletes=[delete_record("interaction", "k-unknown")]),
                line(3, deletes=[delete_record("post", "p-known")]),
                line(4, status=status, reason=reason, deletes=[delete_record("post", "p-known", network="bsky")]),
                line(5, deletes=[delete_record("interaction", "k-unknown"), delete_record("post", "p-known")]),  # one is enough
                line(6, deletes=[delete_record("post", "p-unknown")], interactions=[interaction_record("k6", "a", "b")]),
                line(7, status=status, reason=reason, deletes=[delete_record("post", None)]),
                line(8, status="quarantined", reason="invalid_json: x", deletes=[delete_record("post", "p-unknown")]),
                line(9, interactions=[interaction_record("k9", "a", "b")]),
                blank(10),
            ],
        )

    known_interactions = spark.createDataFrame([(sha256("k-known"),), (sha256("k-known"),), (None,)], "interaction_id string")
    known_posts = spark.createDataFrame([("tw", "p-known"), ("tw", None), (None, "p-unknown")], "network string, post_id string")
    assertDataFrameEqual(
        with_unknown_deletes_skipped(lines(("conformed", None)), known_interactions, known_posts),
        lines(("skipped", "delete_of_unknown_record")),
    )


# handle_directory and with_resolved_targets


def test_pending_and_handle_only_targets_are_resolved_from_posts_and_the_newest_handle_holder(spark):
    accounts = spark.createDataFrame(
        [
            ("tw", "100", "alice", at(1)),
            ("tw", "200", "Alice", at(3)),  # the newest holder of @alice (handles compare in lower case)
            ("tw", "150", "alice", None),  # no time: never the newest
            ("tw", "300", "@Bob", None),  # a leading @ is not part of the handle
            ("tw", "@carol", "carol", at(5)),  # an account known only by its handle holds nothing
            ("tw", "400", None, at(2)),
            ("bsky", "900", "alice", at(0)),  # the same handle on another network
            ("tw", "501", "dave", at(2)),
            ("tw", "500", "dave", at(2)),  # a tie: the smaller account_id
        ],
        "network string, account_id string, handle string, profile_observed_at timestamp",
    )
    handles = handle_directory(accounts)
    assertDataFrameEqual(
        handles,
        spark.createDataFrame(
            [("tw", "@alice", "200"), ("tw", "@bob", "300"), ("bsky", "@alice", "900"), ("tw", "@dave", "500")],
            "network string, handle_key string, account_id string",
        ),
    )

    posts = spark.createDataFrame(
        [("tw", "p1", "B"), ("bsky", "p1", "Z"), ("tw", "p2", None)], "network string, post_id string, author string"
    )

    def rows(resolved):
        """(actor, target) before and after resolution of each interaction."""
        cases = [
            ("i1", "tw", ("a", None), ("a", "B"), "p1"),  # a reply to a known post: its author
            ("i2", "tw", ("a", None), ("a", None), "p404"),  # an unknown post: still pending
            ("i3", "tw", ("a", "@alice"), ("a", "200"), None),
            ("i4", "tw", ("@bob", "c"), ("300", "c"), None),  # the actor side too
            ("i5", "tw", ("a", "@carol"), ("a", "@carol"), None),  # no holder: unchanged
            ("i6", "tw", ("a", "X"), ("a", "X"), "p1"),  # a known target is kept
            ("i7", "bsky", ("a", "@alice"), ("a", "900"), None),
            ("i8", "tw", ("a", None), ("a", None), None),
            ("i9", "tw", ("a", None), ("a", None), "p2"),  # a post whose author is unknown
            ("i10", "bsky", ("a", None), ("a", "Z"), "p1"),
            ("i11", "tw", ("a", "@dave"), ("a", "500"), None),
        ]
        return spark.createDataFrame(
            [
                interaction(i, *(after if resolved else before), at(1), NIGHT_1, network, n, kind="reply", target_post_id=post)
                for n, (i, network, before, after, post) in enumerate(cases, start=1)
            ],
            INTERACTIONS.schema,
        )

    assertDataFrameEqual(with_resolved_targets(rows(False), posts, handles), rows(True))


# to_accounts


def test_accounts_span_their_events_as_actor_and_as_target(spark):
    interactions = spark.createDataFrame(
        [
            interaction("i1", "a", "b", at(5), NIGHT_2),
            interaction("i2", "c", "a", at(9), NIGHT_3),  # a's latest event is as a target
            interaction("i3", "b", "a", at(2), NIGHT_1),  # a's earliest event is as a target too
            interaction("i4", "a", "d", None, NIGHT_2),  # no time: ignored by the min and max of a
            interaction("i5", "e", "f", None, NIGHT_1),  # accounts with no timed event at all
            interaction("i6", "g", "g", at(7), NIGHT_3),  # a self-loop is one account, not two
            interaction("i7", "a", "b", at(1), NIGHT_1, network="other"),  # the same ids on another network
            interaction("i8", "h", None, at(3), NIGHT_2, kind="reply", target_post_id="p9"),  # pending: no null account
        ],
        INTERACTIONS.schema,
    )
    no_profile = (None,) * 6
    assertDataFrameEqual(
        to_accounts(interactions),
        spark.createDataFrame(
            [
                ("higgs", "a", *no_profile, at(2), at(9), NIGHT_1, NIGHT_3),
                ("higgs", "b", *no_profile, at(2), at(5), NIGHT_1, NIGHT_2),
                ("higgs", "c", *no_profile, at(9), at(9), NIGHT_3, NIGHT_3),
                ("higgs", "d", *no_profile, None, None, NIGHT_2, NIGHT_2),
                ("higgs", "e", *no_profile, None, None, NIGHT_1, NIGHT_1),
                ("higgs", "f", *no_profile, None, None, NIGHT_1, NIGHT_1),
                ("higgs", "g", *no_profile, at(7), at(7), NIGHT_3, NIGHT_3),
                ("higgs", "h", *no_profile, at(3), at(3), NIGHT_2, NIGHT_2),
                ("other", "a", *no_profile, at(1), at(1), NIGHT_1, NIGHT_1),
                ("other", "b", *no_profile, at(1), at(1), NIGHT_1, NIGHT_1),
            ],
            ACCOUNTS.schema,
        ),
    )


def test_accounts_carry_the_night_profiles_and_include_accounts_seen_only_in_a_profile(spark):
    interactions = spark.createDataFrame(
        [interaction("i1", "a", "b", at(5), NIGHT_2), interaction("i2", "a", None, at(6), NIGHT_2)],
        INTERACTIONS.schema,
    )
    profiles = spark.createDataFrame(
        [
            ("higgs", "a", "alice", "Alice", "bio", "en", 7, at(4)),
            ("higgs", "z", "zed", None, None, None, None, at(8)),  # described, never in an interaction
            ("other", "b", "bee", None, None, None, 1, None),  # b of another network: another account
        ],
        PROFILE_SCHEMA,
    )
    assertDataFrameEqual(
        to_accounts(interactions, profiles, NIGHT_3),
        spark.createDataFrame(
            [
                # event times and run dates from the interactions; the profile alongside
                ("higgs", "a", "alice", "Alice", "bio", "en", 7, at(4), at(5), at(6), NIGHT_2, NIGHT_2),
                ("higgs", "b", None, None, None, None, None, None, at(5), at(5), NIGHT_2, NIGHT_2),
                # profile only: seen when the profile was observed, on the run date given
                ("higgs", "z", "zed", None, None, None, None, at(8), at(8), at(8), NIGHT_3, NIGHT_3),
                ("other", "b", "bee", None, None, None, 1, None, None, None, NIGHT_3, NIGHT_3),
            ],
            ACCOUNTS.schema,
        ),
    )


def test_no_interactions_means_no_accounts(spark):
    empty = spark.createDataFrame([], INTERACTIONS.schema)
    assertDataFrameEqual(to_accounts(empty), spark.createDataFrame([], ACCOUNTS.schema))


# filter_new_interactions


def test_interactions_stored_on_another_night_are_dropped(spark):
    tonight = spark.createDataFrame(
        [
            interaction("i1", "a", "b", at(1), NIGHT_2, line_number=1),
            interaction("i2", "a", "c", at(2), NIGHT_2, line_number=2),
            interaction("i3", "b", "c", None, NIGHT_2, line_number=3),
        ],
        INTERACTIONS.schema,
    )
    known = spark.createDataFrame(
        [("i2", "x"), ("i2", "y"), ("i9", "z"), (None, "w")],  # repeated and unknown ids, and a null id
        "interaction_id string, anything string",
    )
    assertDataFrameEqual(
        filter_new_interactions(tonight, known),
        spark.createDataFrame(
            [
                interaction("i1", "a", "b", at(1), NIGHT_2, line_number=1),
                interaction("i3", "b", "c", None, NIGHT_2, line_number=3),
            ],
            INTERACTIONS.schema,
        ),
    )


def test_with_nothing_stored_every_interaction_is_new(spark):
    tonight = spark.createDataFrame(
        [interaction("i1", "a", "b", at(1), NIGHT_1), interaction("i2", "a", "b", None, NIGHT_1, line_number=2)],
        INTERACTIONS.schema,
    )
    nothing = spark.createDataFrame([], INTERACTIONS.schema)
    assertDataFrameEqual(filter_new_interactions(tonight, nothing), tonight)
