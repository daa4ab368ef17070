"""What a night keeps and reads of past run dates (stages/retention.py): each table expired past its own
horizon and counted, and the reads of silver and of the score history bounded so that older files are
never opened. The lakes are built row by row; every expected count is read off the rows below."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pyspark.sql import types as T

from influence.config import load_config
from influence.errors import UsageError
from influence.governance import read_consent
from influence.storage import Lake
from influence.tables import INFLUENCE_SCORES, INTERACTIONS, POSTS, QUARANTINE, RAW_LINES, Table
from stages import retention, score

RUN_DATE = dt.date(2012, 7, 10)


def day(number: int) -> dt.date:
    return dt.date(2012, 7, number)


def filler(field: T.StructField, run_date: dt.date):
    """A value for a column the test does not care about (null where allowed)."""
    if field.nullable:
        return None
    if isinstance(field.dataType, T.StructType):
        return tuple(filler(inner, run_date) for inner in field.dataType.fields)
    return {
        T.StringType: "x",
        T.IntegerType: 0,
        T.LongType: 0,
        T.DoubleType: 0.0,
        T.BooleanType: False,
        T.DateType: run_date,
        T.TimestampType: dt.datetime.combine(run_date, dt.time(12)),
        T.ArrayType: [],
        T.MapType: {},
    }[type(field.dataType)]


def add_rows(lake: Lake, table: Table, *rows: dict) -> None:
    """Append rows of `table` given by their interesting columns; `run_date` (or `last_run_date`) is required."""
    filled = []
    for row in rows:
        run_date = row.get("run_date") or row["last_run_date"]
        filled.append(tuple(row.get(f.name, filler(f, run_date)) for f in table.schema.fields))
    lake.append(lake.spark.createDataFrame(filled, table.schema), table)


def data_files(lake: Lake, table: Table, run_date: dt.date) -> list[Path]:
    return list(Path(lake.path(table), f"run_date={run_date.isoformat()}").glob("*.parquet"))


def config_for(lake: Path, *settings: str):
    return load_config(lake=str(lake), overrides=settings, environ={})


@pytest.fixture
def lake(spark, tmp_path) -> Lake:
    lake = Lake(spark, tmp_path / "lake")
    add_rows(
        lake,
        INTERACTIONS,
        *({"interaction_id": f"i{n}", "run_date": day(n)} for n in (1, 4, 5, 10)),
        {"interaction_id": "i4b", "run_date": day(4)},
        # landed on the 7th, occurred 2.5 days before the 10th's end: inside a 3-day window
        {"interaction_id": "i7", "run_date": day(7), "occurred_at": dt.datetime(2012, 7, 8, 12)},
    )
    add_rows(
        lake,
        POSTS,
        {"post_id": "p1", "first_run_date": day(1), "last_run_date": day(3)},  # not seen since the 3rd: expires
        {"post_id": "p2", "first_run_date": day(1), "last_run_date": day(9)},  # first seen long ago, seen again: kept
        {"post_id": "p3", "first_run_date": day(5), "last_run_date": day(5)},
    )
    add_rows(lake, RAW_LINES, *({"line_number": n, "run_date": day(n)} for n in (5, 6, 10)))
    add_rows(lake, QUARANTINE, {"line_number": 1, "reason": "bad_json", "run_date": day(1)})
    return lake


def test_each_table_expires_past_its_own_horizon_counted_and_vacuumed(spark, lake):
    # silver keeps 5 days (from the 5th), bronze and quarantine 4 (from the 6th); window 3 days + 1 of tolerance
    config = config_for(lake.root, "model.window_days=3", "silver.retention_days=5", "privacy.retention_days=4")
    result = retention.expire(lake, config, RUN_DATE)

    assert (result.horizon_days, result.silver_horizon_days) == (4, 5)
    assert result.counts() == {
        "horizon_days": 4,
        "silver_horizon_days": 5,
        "interactions_expired": 3,  # i1, i4, i4b
        "posts_expired": 1,  # p1
        "raw_lines_expired": 1,  # the 5th's line
        "quarantine_expired": 1,
    }
    ids = {row.interaction_id for row in lake.read(INTERACTIONS).collect()}
    assert ids == {"i5", "i7", "i10"}
    assert {row.post_id for row in lake.read(POSTS).collect()} == {"p2", "p3"}
    assert {row.line_number for row in lake.read(RAW_LINES).collect()} == {6, 10}
    assert lake.read(QUARANTINE).count() == 0
    # raw lines are vacuumed at once: the expired partition's files are gone from disk, the kept ones are there;
    # silver's expired files wait for housekeeping's VACUUM
    assert data_files(lake, RAW_LINES, day(5)) == []
    assert data_files(lake, RAW_LINES, day(6)) != []
    assert data_files(lake, INTERACTIONS, day(1)) != []

    # nothing left to expire: counted as 0, and no commit
    version = lake.current_version(INTERACTIONS)
    again = retention.expire(lake, config, RUN_DATE)
    assert {name: n for name, n in again.counts().items() if name.endswith("_expired")} == {
        "interactions_expired": 0,
        "posts_expired": 0,
        "raw_lines_expired": 0,
        "quarantine_expired": 0,
    }
    assert lake.current_version(INTERACTIONS) == version


def test_default_horizons_are_the_window_plus_30_days_and_an_unbounded_window_keeps_everything(lake):
    defaults = config_for(lake.root, "model.window_days=3")
    assert (defaults.silver_retention_days, defaults.bronze_retention_days) == (33, 33)
    assert retention.expire(lake, defaults, RUN_DATE).counts()["interactions_expired"] == 0  # nothing older than 33 days

    # a future tolerance of 40 days: the window's interactions can have landed 43 days back, so that is kept
    tolerant = config_for(lake.root, "model.window_days=3", "validation.future_tolerance_hours=960")
    assert (tolerant.window_landing_days, tolerant.silver_retention_days) == (43, 43)

    unbounded = config_for(lake.root, "model.window_days=0")
    result = retention.expire(lake, unbounded, day(30) + dt.timedelta(days=400))
    assert result.counts() == {"horizon_days": 0, "silver_horizon_days": 0}
    assert lake.read(INTERACTIONS).count() == 6


def test_a_night_never_opens_silver_files_older_than_its_window_can_have_landed(spark, lake):
    # window 3 days, future tolerance 24 h: an interaction of the window landed on the 7th at the earliest
    config = config_for(lake.root, "model.window_days=3")
    assert config.window_landing_days == 4
    for old in (day(1), day(4), day(5)):  # files the night must not open: removed behind Delta's back
        for file in data_files(lake, INTERACTIONS, old):
            file.unlink()
    inputs = score.read_consented(lake, config, read_consent(spark, config), RUN_DATE)
    assert sorted(row.interaction_id for row in inputs.interactions.collect()) == ["i10", "i7"]

    # without the bound the same read opens them, and fails: the check above can fail
    with pytest.raises(Exception, match="(?i)file.*(not exist|not found)"):
        lake.read(INTERACTIONS).collect()


def test_smoothing_and_the_warm_start_read_the_previous_night_only(spark, lake):
    add_rows(
        lake,
        INFLUENCE_SCORES,
        *(
            {"person_id": person, "score": score_value, "run_date": date}
            for person, score_value, date in (("a", 10, day(1)), ("b", 20, day(8)), ("c", 30, day(8)), ("d", 40, day(12)))
        ),
    )
    previous = score.previous_night(lake, RUN_DATE)
    assert sorted((row.person_id, row.score, row.run_date) for row in previous.collect()) == [
        ("b", 20, day(8)),
        ("c", 30, day(8)),
    ]
    assert score.previous_night(lake, day(1)) is None  # no earlier night
    for older in (day(1), day(12)):  # neither an older nor a later night is opened
        for file in data_files(lake, INFLUENCE_SCORES, older):
            file.unlink()
    assert len(score.previous_night(lake, RUN_DATE).collect()) == 2


def test_silver_retention_needs_a_bounded_window(tmp_path):
    with pytest.raises(UsageError, match=r"silver.retention_days \(5\) needs a bounded model.window_days"):
        config_for(tmp_path, "model.window_days=0", "silver.retention_days=5")
    assert config_for(tmp_path, "model.window_days=3", "silver.retention_days=4").silver_retention_days == 4


def test_each_table_retention_expires_names_a_date_column_of_its_own():
    for table in (RAW_LINES, QUARANTINE, INTERACTIONS, POSTS):
        assert isinstance(table.schema[table.expires_by].dataType, T.DateType), table.qualified_name
    with pytest.raises(ValueError, match="names no column to expire by"):
        retention._expired(INFLUENCE_SCORES, dt.date(2024, 3, 1))
