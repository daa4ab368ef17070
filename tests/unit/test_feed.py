"""transforms.feed.to_feed_changes: a Change Data Feed range netted out to one change per key, by hand."""

from __future__ import annotations

from pyspark.sql import types as T
from pyspark.testing import assertDataFrameEqual

from transforms.feed import to_feed_changes


def test_feed_changes_net_out_each_key_over_the_range(spark):
    schema = "network string, account_id string, score int, _change_type string, _commit_version long"
    change_feed = spark.createDataFrame(
        [
            ("snap", "new", 5, "insert", 1),  # insert
            ("snap", "upd", 3, "update_preimage", 1),
            ("snap", "upd", None, "update_postimage", 1),  # update, null value kept
            ("snap", "brief", 7, "insert", 1),
            ("snap", "brief", 7, "delete", 2),  # came and went: no row
            ("snap", "gone", 9, "delete", 2),  # delete: key only
            ("snap", "back", 4, "delete", 1),
            ("snap", "back", 6, "insert", 2),  # re-inserted: update
            ("snap", "grown", 1, "insert", 1),
            ("snap", "grown", 1, "update_preimage", 2),
            ("snap", "grown", 8, "update_postimage", 2),  # still an insert
            ("snap", "restored", 2, "insert", 3),
            ("snap", "restored", 3, "delete", 3),  # one commit rewrote it
            ("snap", "dropped", 1, "update_preimage", 1),
            ("snap", "dropped", 2, "update_postimage", 1),
            ("snap", "dropped", 2, "delete", 3),  # updated, then deleted
        ],
        schema,
    )
    expected = spark.createDataFrame(
        [
            ("snap", "new", 5, "insert"),
            ("snap", "upd", None, "update"),
            ("snap", "gone", None, "delete"),
            ("snap", "back", 6, "update"),
            ("snap", "grown", 8, "insert"),
            ("snap", "restored", 2, "update"),
            ("snap", "dropped", None, "delete"),
        ],
        "network string, account_id string, score int, change_type string",
    )
    actual = change_feed.transform(to_feed_changes, ["network", "account_id", "score"], ("network", "account_id"))
    assertDataFrameEqual(actual, expected)
    assert actual.schema["score"].dataType == T.IntegerType()
