"""gold/profiles is readable without Spark or a JVM: delta-rs (`deltalake`) reads the table and its change feed."""

from __future__ import annotations

import pyarrow as pa
from deltalake import DeltaTable

from influence import storage
from influence.tables import PROFILES
from tests.support.lakes import ADDED, KEPT, NIGHT_ONE_ACCOUNTS, NIGHT_TWO_ACCOUNTS, REMOVED


def test_deltalake_reads_the_current_profiles_and_the_change_feed(spark, two_nights):
    nights = two_nights
    table = DeltaTable(PROFILES.path(nights.lake))

    assert table.version() == nights.night_two_version
    assert table.metadata().configuration["influence.schema_version"] == "1"
    rows = table.to_pyarrow_table().to_pylist()
    via_spark = sorted((row.network, row.account_id, row.score) for row in storage.read(spark, PROFILES, nights.lake).collect())
    assert sorted((row["network"], row["account_id"], row["score"]) for row in rows) == via_spark
    assert {row["account_id"] for row in rows} == NIGHT_TWO_ACCOUNTS
    assert {str(row["as_of_date"]) for row in rows} == {"2012-07-01"}

    def changes(starting: int, ending: int) -> dict[str, set[str]]:
        feed = pa.table(table.load_cdf(starting_version=starting, ending_version=ending)).to_pylist()
        by_type: dict[str, set[str]] = {}
        for row in feed:
            by_type.setdefault(row["_change_type"], set()).add(row["account_id"])
        return by_type

    assert changes(0, nights.night_one_version) == {"insert": NIGHT_ONE_ACCOUNTS}
    assert changes(nights.night_one_version + 1, nights.night_two_version) == {
        "insert": ADDED,
        "delete": REMOVED,
        "update_preimage": KEPT,
        "update_postimage": KEPT,
    }
