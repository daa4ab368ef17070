"""The published contract of gold/profiles: the contract file and the registry honour it; the checker bites.
(tests/e2e/test_published_contract.py checks a real published table.)"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from pyspark.sql import types as T

from influence.contract import load_contract, require, violations
from influence.errors import ValidationFailed
from influence.tables import PROFILES

# What schema_version 1 promised, written out by hand: the contract file may only add to it.
V1_COLUMNS = {
    "network": ("string", False),
    "account_id": ("string", False),
    "pagerank": ("double", False),
    "score": ("int", False),
    "percentile": ("double", False),
    "engagers": ("bigint", False),
    "interactions_received": ("bigint", False),
    "as_of_date": ("date", False),
}


def test_contract_file_keeps_what_version_1_promised():
    contract = load_contract()
    assert (contract.table, contract.schema_version, contract.key) == ("gold/profiles", 1, ("network", "account_id"))
    listed = {column.name: (column.type, column.nullable) for column in contract.columns}
    assert {name: listed.get(name) for name in V1_COLUMNS} == V1_COLUMNS
    assert len(listed) == len(contract.columns)  # no column listed twice
    assert all(len(column.description.split()) >= 5 for column in contract.columns)


def test_registry_schema_honours_the_contract():
    contract = load_contract()
    assert violations(contract, PROFILES.schema) == []
    # rows are persons (merged by person_id); the contract's key, the primary account, stays unique
    assert PROFILES.key == ("person_id",)
    assert contract.key == ("network", "account_id")
    assert PROFILES.properties["influence.schema_version"] == "1"
    assert PROFILES.properties["delta.enableChangeDataFeed"] == "true"


def test_checker_refuses_a_removed_and_a_retyped_column():
    contract = load_contract()
    candidate = T.StructType(
        [
            T.StructField(f.name, T.IntegerType(), f.nullable) if f.name == "engagers" else f
            for f in PROFILES.schema.fields
            if f.name != "score"
        ]
    )
    expected = ["column score (int) was removed", "column engagers is int, the contract says bigint"]
    assert violations(contract, candidate) == expected
    with pytest.raises(ValidationFailed) as refused:
        require(contract, candidate, "candidate profiles")
    assert refused.value.exit_code == 1
    assert refused.value.failures == expected
    assert "candidate profiles breaks the gold/profiles contract (schema_version 1)" in str(refused.value)


def test_checker_allows_added_columns_but_not_a_nullable_promised_column():
    contract = load_contract()
    added = T.StructType([*PROFILES.schema.fields, T.StructField("topic", T.StringType(), True)])
    assert violations(contract, added) == []
    require(contract, added, "profiles with a new column")  # does not raise
    loosened = T.StructType(
        [T.StructField(f.name, f.dataType, f.name == "pagerank" or f.nullable) for f in PROFILES.schema.fields]
    )
    assert violations(contract, loosened) == ["column pagerank is nullable, the contract promises a value in every row"]


@given(
    removed=st.sets(st.sampled_from(sorted(V1_COLUMNS))),
    retyped=st.sets(st.sampled_from(sorted(V1_COLUMNS))),
)
def test_checker_names_exactly_the_removed_and_retyped_columns(removed, retyped):
    retyped = retyped - removed
    swap = {
        "string": T.LongType(),
        "double": T.FloatType(),
        "int": T.LongType(),
        "bigint": T.IntegerType(),
        "date": T.TimestampType(),
    }
    schema = T.StructType(
        [
            T.StructField(f.name, swap[V1_COLUMNS[f.name][0]] if f.name in retyped else f.dataType, f.nullable)
            for f in PROFILES.schema.fields
            if f.name not in removed
        ]
    )
    named = [problem.split()[1] for problem in violations(load_contract(), schema)]
    assert sorted(named) == sorted(removed | retyped)
