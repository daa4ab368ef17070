"""The nightly report (stages/report.py) and the offline Data Docs index (expectations/site_index.py): what
the pages say, checked against the lake's own rows; and both opened in headless Chromium with the network
off, every chart drawn and nothing failing to load."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from pyspark.sql import functions as F

from influence import storage
from influence.storage import Lake
from influence.tables import INFLUENCE_SCORES
from stages.report import MOVERS, gather, report_path
from tests.support.browser import drawn_fraction, open_offline
from tests.support.cli import run, runs
from tests.support.lakes import copy_lake

FIRST, SECOND = dt.date(2012, 7, 1), dt.date(2012, 7, 2)


def scores_by_person(spark, lake, run_date: dt.date) -> dict[str, dict]:
    rows = storage.read(spark, INFLUENCE_SCORES, lake).filter(F.col("run_date") == F.lit(run_date)).collect()
    return {row.person_id: row.asDict(recursive=True) for row in rows}


def test_each_night_writes_its_report_and_influence_report_rebuilds_the_same_page(second_night, tmp_path):
    lake = copy_lake(second_night.lake, tmp_path / "lake")
    assert report_path(lake, FIRST).is_file()  # the first night's, copied with its lake
    written = report_path(lake, SECOND).read_bytes()
    report_path(lake, SECOND).unlink()

    code, printed = run("report", "--date", str(SECOND), "--lake", str(lake))

    assert code == 0 and printed.strip() == f"wrote {report_path(lake, SECOND)}"
    assert report_path(lake, SECOND).read_bytes() == written


def test_a_date_without_a_nightly_run_is_refused_and_nothing_is_written(first_night, tmp_path, caplog):
    lake = copy_lake(first_night.lake, tmp_path / "lake")
    code, _ = run("report", "--date", "2012-07-09", "--lake", str(lake))
    assert code == 2
    assert "has no nightly run for 2012-07-09" in caplog.text
    assert not report_path(lake, dt.date(2012, 7, 9)).exists()


def test_the_report_figures_are_the_score_history_of_the_two_dates(spark, second_night):
    tonight = scores_by_person(spark, second_night.lake, SECOND)
    before = scores_by_person(spark, second_night.lake, FIRST)

    report = gather(Lake(spark, second_night.lake), SECOND)

    assert report.scores_from == "published" and report.previous_date == FIRST
    assert report.run["run_id"] == second_night.run_id
    bands = Counter((row["score"] - 1) // 10 for row in tonight.values())
    assert [row["persons"] for row in report.distribution] == [bands.get(band, 0) for band in range(10)]
    # movers: persons scored on both dates, by change, ties by account
    changes = [
        (f"{row['network']}:{row['account_id']}", row["score"] - before[person]["score"])
        for person, row in tonight.items()
        if person in before
    ]
    ups = sorted((c for c in changes if c[1] > 0), key=lambda c: (-c[1], c[0]))[:MOVERS]
    downs = sorted((c for c in changes if c[1] < 0), key=lambda c: (c[1], c[0]))[:MOVERS]
    assert ups or downs, "the second night moves nobody: the scenario no longer tests movers"
    assert [(r["account"], r["change"]) for r in report.movers if r["direction"] == "up"] == ups
    assert [(r["account"], r["change"]) for r in report.movers if r["direction"] == "down"] == downs
    # communities: persons per community id tonight, growth against the date before
    sizes = Counter(row["community_id"] for row in tonight.values() if row["community_id"] is not None)
    earlier = Counter(row["community_id"] for row in before.values() if row["community_id"] is not None)
    expected = sorted(
        ((cid, n, n - earlier.get(cid, 0), cid not in earlier) for cid, n in sizes.items()), key=lambda c: (-c[1], c[0])
    )
    got = [(r["community_id"], r["persons"], r["growth"], r["is_new"]) for r in report.communities]
    assert got == expected[: len(got)] and len(got) == min(len(expected), 15)
    assert report.topics == []  # SNAP lines carry no text


def test_a_held_back_night_reports_its_failed_validation(held_back_night):
    page = report_path(held_back_night.lake, SECOND).read_text(encoding="utf-8")
    assert "validation_failed" in page and "FAILED" in page
    assert "No scores for this date." in page  # held back at silver: nothing was scored


def test_the_report_and_the_data_docs_index_open_offline_with_every_chart_drawn(second_night):
    opened = open_offline(report_path(second_night.lake, SECOND))

    assert opened.failed_loads == [] and opened.console_errors == []
    # what this lake has data for is drawn; the rest say why they are empty
    assert {"chart-scores", "chart-movers", "chart-communities", "chart-stages"} <= set(opened.charts)
    assert set(opened.empty_charts) == {"chart-topics", "chart-quarantine"}
    for chart, box in opened.charts.items():
        inked, colours = drawn_fraction(opened.screenshot, box)
        assert inked > 0.02 and colours >= 3, (chart, inked, colours)

    index = open_offline(second_night.lake / "ops" / "data_docs" / "index.html")
    assert index.failed_loads == [] and index.console_errors == []
    for logged in runs(second_night.lake):
        assert f"Run {logged['run_id']}" in index.text
