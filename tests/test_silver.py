"""transforms.silver: the accounts seen in a batch of interactions, and interactions not stored yet."""

from __future__ import annotations

import datetime as dt

from pyspark.testing import assertDataFrameEqual

from influence.tables import ACCOUNTS, INTERACTIONS
from transforms.silver import filter_new_interactions, to_accounts

UTC = dt.timezone.utc
NIGHT_1, NIGHT_2, NIGHT_3 = dt.date(2012, 7, 2), dt.date(2012, 7, 3), dt.date(2012, 7, 4)


def at(hour):
    return dt.datetime(2012, 7, 1, hour, tzinfo=UTC)


def interaction(interaction_id, actor, target, occurred_at, run_date, network="higgs", line_number=1):
    """A row in the silver interactions schema (INTERACTIONS.columns order)."""
    return (interaction_id, network, actor, target, "reshare", occurred_at, 1.0, "snap", "f.txt", line_number, run_date)


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
        ],
        INTERACTIONS.schema,
    )
    assertDataFrameEqual(
        to_accounts(interactions),
        spark.createDataFrame(
            [
                ("higgs", "a", at(2), at(9), NIGHT_1, NIGHT_3),
                ("higgs", "b", at(2), at(5), NIGHT_1, NIGHT_2),
                ("higgs", "c", at(9), at(9), NIGHT_3, NIGHT_3),
                ("higgs", "d", None, None, NIGHT_2, NIGHT_2),
                ("higgs", "e", None, None, NIGHT_1, NIGHT_1),
                ("higgs", "f", None, None, NIGHT_1, NIGHT_1),
                ("higgs", "g", at(7), at(7), NIGHT_3, NIGHT_3),
                ("other", "a", at(1), at(1), NIGHT_1, NIGHT_1),
                ("other", "b", at(1), at(1), NIGHT_1, NIGHT_1),
            ],
            ACCOUNTS.schema,
        ),
    )


def test_no_interactions_means_no_accounts(spark):
    empty = spark.createDataFrame([], INTERACTIONS.schema)
    assertDataFrameEqual(to_accounts(empty), spark.createDataFrame([], ACCOUNTS.schema))


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
