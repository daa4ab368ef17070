"""The published contract of gold/profiles, on a real published table: the two-nights lake (read only)."""

from __future__ import annotations

from delta.tables import DeltaTable

from influence import storage
from influence.contract import load_contract, violations
from influence.tables import PROFILES


def test_published_table_honours_the_contract(spark, two_nights):
    lake = two_nights.lake
    published = storage.read(spark, PROFILES, lake)
    assert violations(load_contract(), published.schema) == []
    properties = DeltaTable.forPath(spark, PROFILES.path(lake)).detail().first().properties
    assert properties["influence.schema_version"] == "1"
