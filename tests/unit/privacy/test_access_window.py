"""jobs.access's window: the interactions an access file lists are the ones the model scores.

Both the access filter (is_in_window) and the model (with_model_weights) are checked against the window
rule of docs/model.md, written out in plain Python (tests/support/reference.py), and against the hand-made
list of which rows are in: neither side is compared with the other.
"""

from __future__ import annotations

import datetime as dt

from jobs.access import is_in_window, window_section
from tests.support.reference import is_in_model_window
from transforms.model.weights import with_model_weights

END = dt.date(2022, 6, 6)
# Around both edges, with and without an event time.
ROWS = [
    ("a", dt.datetime(2022, 3, 9, 0, 0, 0), dt.date(2022, 6, 6)),
    ("b", dt.datetime(2022, 3, 9, 0, 0, 1), dt.date(2022, 6, 6)),
    ("c", dt.datetime(2022, 6, 6, 23, 59), dt.date(2022, 6, 6)),
    ("d", dt.datetime(2022, 6, 1), dt.date(2022, 6, 7)),
    ("e", None, dt.date(2022, 3, 8)),
    ("f", None, dt.date(2022, 3, 9)),
    ("g", dt.datetime(2022, 6, 9), dt.date(2022, 6, 6)),
]
# By hand, for the 90-day window ending 2022-06-06: exactly 90 days old (a; e, timed at the end of its night)
# is out, landed after the end (d) is out, from the future (g) is age 0 and in; unbounded (0) only drops d.
BY_HAND = {90: {"b", "c", "f", "g"}, 0: {"a", "b", "c", "e", "f", "g"}}


def test_the_window_section_names_the_models_dates():
    assert window_section(END, 90, "gold/profiles") == {
        "start_date": "2022-03-09",
        "end_date": "2022-06-06",
        "days": 90,
        "end_from": "gold/profiles",
    }
    assert window_section(END, 0, "silver/interactions")["start_date"] is None


def test_the_access_filter_and_the_model_each_keep_the_rows_the_documented_rule_keeps(spark):
    frame = spark.createDataFrame(
        [(i, t, d, "reshare", 1.0) for i, t, d in ROWS],
        "interaction_id string, occurred_at timestamp, run_date date, kind string, weight double",
    )
    for days, by_hand in BY_HAND.items():
        wanted = {i for i, occurred_at, run_date in ROWS if is_in_model_window(END, days, occurred_at, run_date)}
        assert wanted == by_hand, days  # the plain-Python rule agrees with the hand-made list
        access = {row.interaction_id for row in frame.filter(is_in_window(END, days, "occurred_at", "run_date")).collect()}
        assert access == wanted, ("jobs.access.is_in_window", days)
        model = {row.interaction_id for row in with_model_weights(frame, END, days, 30.0, None).collect()}
        assert model == wanted, ("transforms.model.weights.with_model_weights", days)
    # No published date (an empty lake): nothing is in the window.
    assert frame.filter(is_in_window(None, 90, "occurred_at", "run_date")).count() == 0
