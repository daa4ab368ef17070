"""The consent snapshot a night reads once (influence/governance.py read_consent): the table's rows and, in
the driver, the states they hold, which the stages use to skip reads when no state they act on is held."""

from __future__ import annotations

import datetime as dt

from influence import storage
from influence.config import load_config
from influence.governance import read_consent
from influence.tables import CONSENT, ERASED, OPTED_IN, SUPPRESSING_STATES

SINCE = dt.datetime(2022, 6, 6, tzinfo=dt.UTC)


def consent_row(subject_key: str, state: str) -> dict:
    return {"subject_key": subject_key, "subject_kind": "person", "state": state, "since": SINCE, "request_id": "r1"}


def test_a_lake_without_a_consent_table_holds_no_state(spark, tmp_path):
    snapshot = read_consent(spark, load_config(lake=str(tmp_path / "lake"), environ={}))
    assert snapshot.states == frozenset()
    assert snapshot.frame.isEmpty()
    assert not snapshot.holds_any(SUPPRESSING_STATES)
    assert not (tmp_path / "lake").exists()  # reading creates nothing


def test_the_snapshot_knows_the_states_held_and_keeps_the_rows_read(spark, tmp_path):
    config = load_config(lake=str(tmp_path / "lake"), environ={})
    rows = [consent_row("a", OPTED_IN), consent_row("b", OPTED_IN), consent_row("c", ERASED)]
    storage.append(spark.createDataFrame(rows, CONSENT.schema), CONSENT, config.lake_location)
    snapshot = read_consent(spark, config)
    assert snapshot.states == {OPTED_IN, ERASED}
    assert snapshot.holds_any(SUPPRESSING_STATES) and snapshot.holds_any([ERASED])
    assert not snapshot.holds_any(["opted_out", "minor"])

    # rows written after the snapshot do not change what the night already read
    storage.append(spark.createDataFrame([consent_row("d", "minor")], CONSENT.schema), CONSENT, config.lake_location)
    assert sorted((row.subject_key, row.state) for row in snapshot.frame.collect()) == [
        ("a", OPTED_IN),
        ("b", OPTED_IN),
        ("c", ERASED),
    ]
