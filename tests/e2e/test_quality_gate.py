"""Quality gate: run-over-run checks against the published profiles, and the night's corruptions they catch.

A good night is published, then the same lake's second night is corrupted where a scoring bug would enter
(the frame `stages.score` stages); each corruption fails validation and leaves gold/profiles untouched.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.sql import Window, functions as F, types as T

import stages.score
from expectations import run_over_run as run_over_run_suite
from expectations.runner import Validator
from influence import storage
from influence.config import load_config
from influence.errors import UsageError
from influence.governance import read_consent
from influence.storage import Lake
from influence.tables import PROFILES, STAGED_SCORES
from stages import validate
from tests.support.cli import nightly, profiles, runs
from tests.support.lakes import copy_lake
from tests.support.snap import DAY_TWO, land
from transforms.quality import to_run_over_run

# DAY_TWO: 20 -> 2, 21 -> 20 and a day-one event again: 16 published accounts + 20 and 21 = 18 staged.
REAL_TO_INFLUENCE_SCORES = stages.score.to_influence_scores
SCORES = T.StructType([T.StructField("account_id", T.StringType(), True), T.StructField("score", T.IntegerType(), True)])
DEFAULTS = {"min_row_ratio": 0.8, "max_row_ratio": 10.0, "max_mean_score_shift": 15.0, "max_quantile_shift": 20.0}


def test_run_over_run_thresholds_are_typed_config_with_range_checks(tmp_path):
    assert {k: getattr(load_config(environ={}).validation, k) for k in DEFAULTS} == DEFAULTS
    config = tmp_path / "c.toml"
    config.write_text("[validation]\nmin_row_ratio = 0.5\nmax_mean_score_shift = 5\n")
    validation = load_config(config, environ={}).validation
    assert (validation.min_row_ratio, validation.max_mean_score_shift) == (0.5, 5.0)
    config.write_text("[validation]\nmin_row_ratio = 1.5\nmax_row_ratio = 0.5\nmax_quantile_shift = -1\n")
    with pytest.raises(UsageError) as error:
        load_config(config, environ={})
    for problem in ("min_row_ratio must be in [0, 1]", "max_row_ratio must be >= 1", "max_quantile_shift must be in [0, 99]"):
        assert problem in str(error.value)


def test_run_over_run_compares_counts_means_and_quantiles(spark):
    published = spark.createDataFrame([("a", 10), ("b", 20), ("c", 30), ("d", 40)], SCORES)
    staged = spark.createDataFrame([("a", 10), ("b", 20), ("e", 60), ("f", None)], SCORES)
    [row] = to_run_over_run(staged, published).collect()
    # By hand: published mean 25, p50 = 25 (between 20 and 30), p90 at position 0.9 * 3 = 2.7: 30 + 0.7 * 10 = 37.
    # Staged: 4 rows (the null score is a row but no score), mean (10+20+60)/3 = 30, p50 = 20,
    # p90 at position 0.9 * 2 = 1.8: 20 + 0.8 * 40 = 52.
    assert (row.published_rows, row.staged_rows, row.row_ratio) == (4, 4, 1.0)
    assert (row.published_mean_score, row.staged_mean_score) == (25.0, 30.0)
    assert row.mean_score_shift == pytest.approx(5.0)
    assert row.p50_score_shift == pytest.approx(5.0)
    assert row.p90_score_shift == pytest.approx(15.0)

    nothing = to_run_over_run(staged, published.limit(0)).collect()
    assert len(nothing) == 1 and nothing[0].published_rows == 0 and nothing[0].row_ratio is None


@pytest.mark.parametrize(
    "staged_rows, failed_column",
    [
        ([("a", 10), ("b", 20), ("c", 30), ("d", 40)], None),  # identical: passes
        ([("a", 10), ("b", 20), ("c", 30)], "row_ratio"),  # 3/4 = 0.75 < 0.8
        ([("a", 26), ("b", 36), ("c", 46), ("d", 56)], "mean_score_shift"),  # mean +16 > 15; quantiles +16 <= 20
    ],
)
def test_run_over_run_suite_thresholds(spark, staged_rows, failed_column):
    published = spark.createDataFrame([("a", 10), ("b", 20), ("c", 30), ("d", 40)], SCORES)
    staged = spark.createDataFrame(staged_rows, SCORES)
    result = Validator().validate(to_run_over_run(staged, published), run_over_run_suite.build_suite(), DEFAULTS)
    if failed_column is None:
        assert result.success and result.failed == []
    else:
        assert not result.success
        assert [failure.split("(")[1].split(";")[0] for failure in result.failed] == [failed_column]


def out_of_range(scored, run_date):
    return REAL_TO_INFLUENCE_SCORES(scored, run_date).withColumn("score", F.col("score") + 100)


def half_missing(staged):
    """Every other account (by id): 9 of the 18 staged rows, i.e. 9/16 of the published accounts."""
    position = F.row_number().over(Window.orderBy("network", "account_id").rowsBetween(Window.unboundedPreceding, 0))
    return staged.withColumn("_position", position).filter(F.col("_position") % 2 == 0).drop("_position")


def duplicate_keys(staged):
    return staged.unionByName(staged)


OUT_OF_RANGE_FAILURES = [
    "influence_scores: expect_column_values_to_be_between(score; min_value=1, max_value=100)",
    "run_over_run: expect_column_values_to_be_between(mean_score_shift",
]


def one_engager_over_half(staged):
    """One person's biggest engager supplying 60% of their counted rank: the concentration rule broken."""
    return staged.withColumn(
        "top_engager_share", F.when(F.col("account_id") == "2", F.lit(0.6)).otherwise(F.col("top_engager_share"))
    )


# corruption of the staged candidates -> failures the gate must name
STAGED_CORRUPTIONS = [
    (half_missing, ["run_over_run: expect_column_values_to_be_between(row_ratio", "expect_column_sum_to_be_between(pagerank"]),
    (duplicate_keys, ["expect_compound_columns_to_be_unique(['run_date', 'network', 'account_id']"]),
    (
        one_engager_over_half,
        ["influence_scores: expect_column_values_to_be_between(top_engager_share; min_value=0, max_value=0.5"],
    ),
]


def test_corrupted_nights_are_caught_and_readers_keep_the_published_version(spark, first_night, tmp_path, monkeypatch):
    """One corruption goes through a whole night (exit code, run log, Data Docs, gold untouched); the others
    are checked on the same night's staged candidates by the gate's own suites (stages.validate), which is
    all a whole night would add for them."""
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    first = runs(lake)[0]
    assert "run_over_run" not in [suite["suite"] for suite in first["validation"]]
    assert "run-over-run checks skipped: no published profiles to compare with (first publish)" in first["message"]
    published_version = storage.current_version(spark, PROFILES, lake)
    published = profiles(spark, lake)
    assert len(published) == 16

    day_two = land(tmp_path / "d2", "day2.txt", DAY_TWO)
    monkeypatch.setattr(stages.score, "to_influence_scores", out_of_range)
    assert nightly("2012-07-02", day_two, lake) == 1
    monkeypatch.undo()
    run = runs(lake)[0]
    assert (run["status"], run["exit_code"]) == ("validation_failed", 1)
    assert "validation failed at the gold stage" in run["message"]
    for text in OUT_OF_RANGE_FAILURES:
        assert text in run["message"], (text, run["message"])
    assert storage.current_version(spark, PROFILES, lake) == published_version
    assert profiles(spark, lake) == published
    page = Path(run["data_docs"])
    assert page.is_file() and (lake / "ops" / "data_docs") in page.parents
    assert "Failed" in page.read_text(encoding="utf-8")

    # The staged candidates of that night, with the corruption undone, are the night's true candidates.
    config = load_config(lake=str(lake), environ={})
    staged_lake = Lake(spark, lake)
    consent = read_consent(spark, config)
    true_staged = staged_lake.read(STAGED_SCORES).withColumn("score", F.col("score") - 100).cache()
    assert true_staged.count() == 18
    assert true_staged.filter((F.col("score") < 1) | (F.col("score") > 100)).isEmpty()
    run_date = dt.date(2012, 7, 2)
    for corrupt, named in STAGED_CORRUPTIONS:
        candidates = corrupt(true_staged)
        failures_by_engine = {}
        for engine in ("spark", "pandas"):  # GX's two engines reach the same failures
            validator = Validator(engine=engine)
            compared, skipped = validate.compare_with_published(staged_lake, config, consent, run_date, candidates, validator)
            assert skipped is None
            results = [*compared, *validate.gold_suites(config, consent, run_date, candidates, candidates, validator)]
            assert {result.engine for result in results} == {engine}
            failures_by_engine[engine] = sorted(f"{result.suite}: {failure}" for result in results for failure in result.failed)
        failures = failures_by_engine["pandas"]
        assert failures == failures_by_engine["spark"], corrupt.__name__
        for text in named:
            assert any(text in failure for failure in failures), (corrupt.__name__, text, failures)
    uncorrupted = Validator()
    compared, _ = validate.compare_with_published(staged_lake, config, consent, run_date, true_staged, uncorrupted)
    assert all(
        result.success
        for result in [*compared, *validate.gold_suites(config, consent, run_date, true_staged, true_staged, uncorrupted)]
    )
    assert storage.current_version(spark, PROFILES, lake) == published_version

    # The same night, uncorrupted, passes every suite (run over run included) and is published.
    assert nightly("2012-07-02", day_two, lake) == 0
    good = runs(lake)[0]
    assert good["status"] == "published"
    assert {suite["suite"]: suite["success"] for suite in good["validation"]} == {
        "bronze_lines": True,
        "reconciliation": True,
        "silver_interactions": True,
        "quarantine": True,
        "posts": True,
        "accounts": True,
        "run_over_run": True,
        "communities": True,
        "influence_scores": True,
        "profiles": True,
    }
    assert "skipped" not in good["message"]
    assert storage.current_version(spark, PROFILES, lake) == published_version + 1
    assert len(profiles(spark, lake)) == 18
