"""expectations.runner.Validator on small frames: verdicts on both engines, and the cache it leaves behind."""

from __future__ import annotations

import importlib
import pkgutil
import uuid

import great_expectations as gx
import pytest
from pyspark.sql import functions as F

import expectations
from expectations import runner
from expectations.runner import (
    AGGREGATE_EXPECTATIONS,
    DEFAULT_DRIVER_MAX_ROWS,
    ENGINES,
    Validator,
    checked_columns,
    driver_rows,
    holds_aggregates,
)
from influence.config import VALIDATION_ENGINES, ValidationConfig

# Every module of expectations/ that builds a suite: a suite added later is covered without editing this list.
PROJECT_SUITES = tuple(
    module
    for module in (importlib.import_module(f"expectations.{info.name}") for info in pkgutil.iter_modules(expectations.__path__))
    if hasattr(module, "build_suite")
)


def non_null_suite() -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name="non_null_ids")
    suite.add_expectation(gx.expectations.ExpectColumnValuesToNotBeNull(column="id"))
    return suite


def test_a_validated_frame_is_not_left_cached_and_a_callers_cache_is_kept(spark):
    """GX caches the frame it validates; a long-lived driver (a backfill) would keep every validated frame
    cached. The validator releases GX's cache, not one the caller made."""
    uncached = spark.createDataFrame([("a",), ("b",)], "id string")
    cached = spark.createDataFrame([("c",), (None,)], "id string").cache()
    validator = Validator(engine="spark")

    # GX is given only the suite's columns of a wider frame (here id, not text), and that is released too
    wide = spark.createDataFrame([("d", "a long text"), ("e", None)], "id string, text string")

    passed = validator.validate(uncached, non_null_suite())
    failed = validator.validate(cached, non_null_suite())
    narrowed = validator.validate(wide, non_null_suite())

    assert (passed.success, failed.success, narrowed.success) == (True, False, True)
    assert failed.failed == ["expect_column_values_to_not_be_null(id): 1 unexpected of 2"]

    def is_cached(frame) -> bool:  # storageLevel asks the JVM's cache manager, not the Python object's flag
        return frame.storageLevel.useMemory or frame.storageLevel.useDisk

    assert not is_cached(uncached)
    assert cached.storageLevel.useMemory
    assert not is_cached(wide) and not is_cached(wide.select("id"))
    cached.unpersist()
    probe = wide.select(F.col("`id`")).cache()  # the narrowed frame's cache would have been seen
    assert is_cached(wide.select("id"))
    probe.unpersist()


# Every expectation type the project's suites use, each on a column built to break it in a known way.
ROWS = [
    # id, network, run_date, occurred_at, score, reason, key, first_seen, last_seen, raw, accounted, size
    (
        "a",
        "snap",
        "2012-07-02",
        "2012-07-02 10:00:00",
        50,
        "bad_json: x",
        "k" * 64,
        "2012-07-01 00:00:00",
        "2012-07-02 00:00:00",
        3,
        3,
        2,
    ),
    ("b", "snap", "2012-07-02", "2012-07-02 23:00:00", None, "bad_json", "k" * 64, "2012-07-02 00:00:00", None, 4, 4, 3),
    (
        "b",
        "reddit",
        "2012-07-02",
        "2012-07-04 01:00:00",
        150,
        "nonsense",
        "k" * 63,
        "2012-07-03 00:00:00",
        "2012-07-02 00:00:00",
        5,
        4,
        1,
    ),
    ("c", "myspace", "2012-07-01", "2012-07-01 00:00:00", 0, None, "k" * 64, None, None, 2, 2, 4),
]
SCHEMA = (
    "id string, network string, run_date string, occurred_at string, score int, reason string, key string, "
    "first_seen string, last_seen string, raw long, accounted long, size long"
)


def every_kind_of_frame(spark):
    return (
        spark.createDataFrame(ROWS, SCHEMA)
        .withColumn("run_date", F.to_date("run_date"))
        .withColumn("occurred_at", F.to_timestamp("occurred_at"))
        .withColumn("first_seen", F.to_timestamp("first_seen"))
        .withColumn("last_seen", F.to_timestamp("last_seen"))
    )


def every_kind_of_suite(leaving_out: frozenset[str] = frozenset()) -> gx.ExpectationSuite:
    """One expectation of each kind, but those of the kinds `leaving_out` names."""
    e = gx.expectations
    suite = gx.ExpectationSuite(name="every_kind")
    for expectation in (
        e.ExpectTableRowCountToBeBetween(min_value={"$PARAMETER": "min_rows"}),
        e.ExpectTableRowCountToEqual(value=4),
        e.ExpectColumnValuesToNotBeNull(column="reason"),
        e.ExpectColumnValuesToBeUnique(column="id"),
        e.ExpectCompoundColumnsToBeUnique(column_list=["network", "id"]),
        e.ExpectColumnValuesToBeInSet(column="network", value_set=["snap", "reddit"]),
        e.ExpectColumnValuesToBeInSet(column="run_date", value_set={"$PARAMETER": "run_dates"}),
        e.ExpectColumnValuesToBeBetween(column="occurred_at", max_value={"$PARAMETER": "latest"}),
        e.ExpectColumnValuesToBeBetween(column="score", min_value=1, max_value=100),
        e.ExpectColumnValuesToMatchRegex(column="reason", regex=r"^(bad_json|too_long)(:|$)"),
        e.ExpectColumnValueLengthsToEqual(column="key", value=64),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="last_seen", column_B="first_seen", or_equal=True, ignore_row_if="either_value_is_missing"
        ),
        e.ExpectColumnPairValuesToBeEqual(column_A="raw", column_B="accounted"),
        e.ExpectColumnSumToBeBetween(column="size", min_value=10, max_value=10),
        e.ExpectColumnSumToBeBetween(column="raw", min_value=0, max_value=10),
    ):
        if expectation.expectation_type not in leaving_out:
            suite.add_expectation(expectation)
    return suite


PARAMETERS = {"min_rows": 1, "run_dates": ["2012-07-02"], "latest": "2012-07-03T00:00:00"}
# By hand from ROWS: the failing expectations and their unexpected counts (nulls are not counted).
EXPECTED_FAILURES = [
    "expect_column_values_to_not_be_null(reason): 1 unexpected of 4",
    "expect_column_values_to_be_unique(id): 2 unexpected of 4",
    "expect_column_values_to_be_in_set(network; value_set=['snap', 'reddit']): 1 unexpected of 4",
    "expect_column_values_to_be_in_set(run_date; value_set=['2012-07-02']): 1 unexpected of 4",
    "expect_column_values_to_be_between(occurred_at; max_value=2012-07-03 00:00:00): 1 unexpected of 4",
    "expect_column_values_to_be_between(score; min_value=1, max_value=100): 2 unexpected of 4",
    "expect_column_values_to_match_regex(reason): 1 unexpected of 4",
    "expect_column_value_lengths_to_equal(key): 1 unexpected of 4",
    "expect_column_pair_values_a_to_be_greater_than_b(last_seen = first_seen): 1 unexpected of 4",
    "expect_column_pair_values_to_be_equal(raw = accounted): 1 unexpected of 4",
    "expect_column_sum_to_be_between(raw; min_value=0, max_value=10): observed 14",
]


@pytest.mark.parametrize("engine", ["spark", "pandas"])
def test_both_engines_give_the_hand_computed_failures_of_every_expectation_kind(spark, engine):
    result = Validator(engine=engine).validate(every_kind_of_frame(spark), every_kind_of_suite(), PARAMETERS)
    assert (result.success, result.engine, result.evaluated) == (False, engine, 15)
    assert sorted(result.failed) == sorted(EXPECTED_FAILURES)  # GX orders results its own way


# By hand: on no rows only the row counts fail (1 at least, and 4, are asked for); every per-row kind passes.
EXPECTED_FAILURES_WITHOUT_ROWS = [
    "expect_table_row_count_to_be_between(; min_value=1): observed 0",
    "expect_table_row_count_to_equal(): observed 0",  # the description names no `value`
]


@pytest.mark.parametrize("engine", ["spark", "pandas"])
def test_without_rows_both_engines_agree_on_every_kind_but_the_sums(spark, engine):
    suite = every_kind_of_suite(leaving_out=AGGREGATE_EXPECTATIONS)
    assert holds_aggregates(every_kind_of_suite()) and not holds_aggregates(suite)
    result = Validator(engine=engine).validate(every_kind_of_frame(spark).limit(0), suite, PARAMETERS)
    assert (result.success, result.engine, result.evaluated) == (False, engine, 13)
    assert sorted(result.failed) == sorted(EXPECTED_FAILURES_WITHOUT_ROWS)


def test_the_engine_test_covers_every_expectation_kind_the_suites_use(spark):
    assert PROJECT_SUITES, "no suite found in expectations/: the coverage check below would pass on nothing"
    Validator()  # a GX context for the suites to be built in
    used = {expectation.expectation_type for module in PROJECT_SUITES for expectation in module.build_suite().expectations}
    covered = {expectation.expectation_type for expectation in every_kind_of_suite().expectations}
    assert used <= covered, used - covered


def test_auto_validates_small_frames_in_the_driver_and_the_rest_on_spark(spark):
    frame = spark.createDataFrame([("a",), ("b",), ("c",)], "id string")
    empty = spark.createDataFrame([], "id string")
    assert Validator(driver_max_rows=3).validate(frame, non_null_suite()).engine == "pandas"
    assert Validator(driver_max_rows=2).validate(frame, non_null_suite()).engine == "spark"
    assert Validator(driver_max_rows=0).validate(frame, non_null_suite()).engine == "spark"
    assert Validator(engine="pandas", driver_max_rows=2).validate(frame, non_null_suite()).engine == "pandas"
    # an empty frame too, unless its suite checks a sum: over no rows Spark's is null and pandas' 0
    assert Validator().validate(empty, non_null_suite()).engine == "pandas"
    assert Validator().validate(every_kind_of_frame(spark).limit(0), every_kind_of_suite(), PARAMETERS).engine == "spark"
    assert Validator(engine="spark").validate(frame, non_null_suite()).engine == "spark"


def fetched_with_its_jobs(spark, frame, max_rows: int) -> tuple[list[str] | None, int]:
    """driver_rows' ids (sorted; None: too many rows for the driver) and the Spark jobs it ran."""
    context, group = spark.sparkContext, f"driver-rows-{uuid.uuid4()}"
    context.setJobGroup(group, "driver_rows")
    try:
        fetched = driver_rows(frame, ["id"], max_rows)
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    jobs = len(context.statusTracker().getJobIdsForGroup(group))
    return (None if fetched is None else sorted(fetched["id"])), jobs


def test_a_small_frame_is_fetched_in_one_query_and_a_larger_one_is_counted_first(spark, monkeypatch):
    """Up to FETCHED_WHOLE rows (here 4) one query fetches the frame; past it the rows are counted, and fetched
    only when there are at most max_rows of them. Jobs are counted per call (a job group of its own)."""
    monkeypatch.setattr(runner, "FETCHED_WHOLE", 4)
    ids = [f"{n:02d}" for n in range(9)]
    frame = spark.createDataFrame([(i,) for i in ids], "id string").coalesce(1)
    assert fetched_with_its_jobs(spark, frame.limit(4), 100) == (ids[:4], 1)
    assert fetched_with_its_jobs(spark, frame.limit(0), 100) == ([], 1)
    assert fetched_with_its_jobs(spark, frame, 9) == (ids, 3)  # first rows, count, whole frame
    assert fetched_with_its_jobs(spark, frame, 8) == (None, 2)  # first rows, count
    assert fetched_with_its_jobs(spark, frame, 4) == (None, 1)  # more than the first rows: no count needed
    assert fetched_with_its_jobs(spark, frame, 3)[0] is None


def test_the_config_and_the_validator_name_the_same_engines_and_defaults():
    # expectations/ may not import the config (tests/unit/test_layers.py), so each keeps its own list
    assert ENGINES == VALIDATION_ENGINES
    assert (ValidationConfig.engine, ValidationConfig.driver_max_rows) == ("auto", DEFAULT_DRIVER_MAX_ROWS)


def test_an_unknown_engine_is_refused_before_any_context_is_made():
    with pytest.raises(ValueError, match="validation engine must be one of auto, spark, pandas, got 'gpu'"):
        Validator(engine="gpu")


def test_only_the_columns_the_suite_names_are_fetched(spark):
    frame = every_kind_of_frame(spark).withColumn("unchecked", F.array(F.lit(1)))
    assert checked_columns(frame, non_null_suite()) == ["id"]
    assert checked_columns(frame, every_kind_of_suite()) == [c for c in frame.columns if c != "unchecked"]
    row_count_only = gx.ExpectationSuite(name="rows")
    row_count_only.add_expectation(gx.expectations.ExpectTableRowCountToEqual(value=4))
    assert checked_columns(frame, row_count_only) == ["id"]  # one column carries the row count
