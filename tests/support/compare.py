"""Two lakes built from the same input, compared row by row: a night on a cluster or on an object store
publishes what the same night published locally."""

from __future__ import annotations

import math

from influence import storage
from influence.location import LakeLike

# Sums of floating-point numbers taken in another order (other partitions, other tasks) may differ in their
# last bits; every other value must be equal.
RELATIVE_TOLERANCE = 1e-12


def same(ours, theirs) -> bool:
    if isinstance(ours, float) and isinstance(theirs, float):
        return math.isclose(ours, theirs, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-15)
    if isinstance(ours, dict) and isinstance(theirs, dict):
        return ours.keys() == theirs.keys() and all(same(ours[k], theirs[k]) for k in ours)
    if isinstance(ours, list | tuple) and isinstance(theirs, list | tuple):
        return len(ours) == len(theirs) and all(same(a, b) for a, b in zip(ours, theirs))
    return ours == theirs


def rows(spark, table, lake: LakeLike) -> dict:
    """A published table's rows by its key (which must be unique)."""
    found = storage.read(spark, table, lake).collect()
    by_key = {tuple(row[c] for c in table.key): row.asDict(recursive=True) for row in found}
    assert len(by_key) == len(found), f"{table.name}: duplicate keys"
    return by_key


def differences(cluster: dict, local: dict) -> list[str]:
    found = [f"only on the cluster: {k}" for k in cluster.keys() - local.keys()]
    found += [f"only in local mode: {k}" for k in local.keys() - cluster.keys()]
    for key in cluster.keys() & local.keys():
        found += [
            f"{key}.{column}: {value!r} != {local[key][column]!r}"
            for column, value in cluster[key].items()
            if not same(value, local[key][column])
        ]
    return found
