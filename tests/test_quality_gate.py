"""Quality gate: run-over-run checks against the published profiles, and the night's corruptions they catch.

A good night is published, then the same lake's second night is corrupted where a scoring bug would enter
(the frame `jobs.score` stages); each corruption fails validation and leaves gold/profiles untouched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import Window
from pyspark.sql import functions as F, types as T

import jobs.score
from expectations import run_over_run as run_over_run_suite
from expectations.runner import Validator
from influence import storage
from influence.config import load_config
from influence.errors import UsageError
from influence.tables import PROFILES
from tests.test_nightly import DAY_ONE, JULY_1, land, nightly, profiles, runs
from transforms.quality import to_run_over_run

# Day two: 20 -> 2, 21 -> 20 and a day-one event again: 16 published accounts + 20 and 21 = 18 staged.
DAY_TWO = [f"20 2 {JULY_1 + 86400} RT", f"21 20 {JULY_1 + 86401} MT", DAY_ONE[1]]
REAL_TO_INFLUENCE_SCORES = jobs.score.to_influence_scores
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


def half_missing(scored, run_date):
    """Every other account (by id): 9 of the 18 staged rows, i.e. 9/16 of the published accounts."""
    position = F.row_number().over(Window.orderBy("network", "account_id").rowsBetween(Window.unboundedPreceding, 0))
    staged = REAL_TO_INFLUENCE_SCORES(scored, run_date)
    return staged.withColumn("_position", position).filter(F.col("_position") % 2 == 0).drop("_position")


def duplicate_keys(scored, run_date):
    staged = REAL_TO_INFLUENCE_SCORES(scored, run_date)
    return staged.unionByName(staged)


# corruption -> failures the run log's message must name
CORRUPTIONS = [
    (out_of_range, ["influence_scores: expect_column_values_to_be_between(score; min_value=1.0, max_value=100.0)", "run_over_run: expect_column_values_to_be_between(mean_score_shift"]),
    (half_missing, ["run_over_run: expect_column_values_to_be_between(row_ratio", "expect_column_sum_to_be_between(pagerank"]),
    (duplicate_keys, ["expect_compound_columns_to_be_unique(['run_date', 'network', 'account_id']"]),
]


def test_corrupted_nights_are_caught_and_readers_keep_the_published_version(spark, tmp_path, capsys, monkeypatch):
    lake = tmp_path / "lake"
    assert nightly("2012-07-01", land(tmp_path / "d1", "day1.txt", DAY_ONE), lake) == 0
    first = runs(lake, capsys)[0]
    assert "run_over_run" not in [suite["suite"] for suite in first["validation"]]
    assert "run-over-run checks skipped: no published profiles to compare with (first publish)" in first["message"]
    published_version = storage.current_version(spark, PROFILES, lake)
    published = profiles(spark, lake)
    assert len(published) == 16

    day_two = land(tmp_path / "d2", "day2.txt", DAY_TWO)
    for corrupt, named in CORRUPTIONS:
        monkeypatch.setattr(jobs.score, "to_influence_scores", corrupt)
        assert nightly("2012-07-02", day_two, lake) == 1, corrupt.__name__
        monkeypatch.undo()

        run = runs(lake, capsys)[0]
        assert (run["status"], run["exit_code"]) == ("validation_failed", 1), corrupt.__name__
        assert "validation failed at the gold stage" in run["message"]
        for text in named:
            assert text in run["message"], (corrupt.__name__, text, run["message"])
        assert storage.current_version(spark, PROFILES, lake) == published_version
        assert profiles(spark, lake) == published
        page = Path(run["data_docs"])
        assert page.is_file() and (lake / "ops" / "data_docs") in page.parents
        assert "Failed" in page.read_text(encoding="utf-8"), corrupt.__name__

    # The same night, uncorrupted, passes every suite (run over run included) and is published.
    assert nightly("2012-07-02", day_two, lake) == 0
    good = runs(lake, capsys)[0]
    assert good["status"] == "published"
    assert {suite["suite"]: suite["success"] for suite in good["validation"]} == {
        "bronze_lines": True, "reconciliation": True, "silver_interactions": True, "quarantine": True,
        "posts": True, "accounts": True, "run_over_run": True, "influence_scores": True,
        "profiles": True,
    }
    assert "skipped" not in good["message"]
    assert storage.current_version(spark, PROFILES, lake) == published_version + 1
    assert len(profiles(spark, lake)) == 18
