"""expectations.runner.Validator on small frames: verdicts, and the cache it leaves behind."""

from __future__ import annotations

import great_expectations as gx

from expectations.runner import Validator


def non_null_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name="non_null_ids")
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
    return suite


def test_a_validated_frame_is_not_left_cached_and_a_callers_cache_is_kept(spark):
    """GX caches the frame it validates; a long-lived driver (a backfill) would keep every validated frame
    cached. The validator releases GX's cache, not one the caller made."""
    uncached = spark.createDataFrame([("a",), ("b",)], "id string")
    cached = spark.createDataFrame([("c",), (None,)], "id string").cache()
    validator = Validator()

    passed = validator.validate(uncached, non_null_suite())
    failed = validator.validate(cached, non_null_suite())

    assert (passed.success, failed.success) == (True, False)
    assert failed.failed == ["expect_column_values_to_not_be_null(id): 1 unexpected of 2"]
    # storageLevel asks the JVM's cache manager, not the Python object's flag
    assert not (uncached.storageLevel.useMemory or uncached.storageLevel.useDisk)
    assert cached.storageLevel.useMemory
    cached.unpersist()
