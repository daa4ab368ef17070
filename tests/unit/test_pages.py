"""The offline pages without Spark: the Data Docs index of our own, the SVG charts, and a full nightly report
made by hand, opened in headless Chromium with the network off."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from expectations.site_index import write_site_index
from influence.charts import bar_chart, column_chart
from stages.report import NightlyReport, render
from tests.support.browser import drawn_fraction, open_offline


def stored_validation(site, results, suite: str, run: str, at: str, success: bool | None) -> None:
    page = site / "validations" / suite / run / at / f"spark-{suite}.html"
    page.parent.mkdir(parents=True)
    page.write_text("<html>page</html>")
    if success is not None:
        stored = results / suite / run / at / f"spark-{suite}.json"
        stored.parent.mkdir(parents=True)
        stored.write_text(json.dumps({"success": success, "results": []}))


def test_the_index_lists_every_run_newest_first_with_verdicts_and_working_links(tmp_path):
    site, results = tmp_path / "data_docs", tmp_path / "validations"
    stored_validation(site, results, "bronze_lines", "2024-03-01_20240301T010000Z_aaaaaa", "20240301T010100.1Z", True)
    stored_validation(site, results, "profiles", "2024-03-02_20240302T010000Z_bbbbbb", "20240302T010500.1Z", False)
    stored_validation(site, results, "bronze_lines", "2024-03-02_20240302T010000Z_bbbbbb", "20240302T010100.1Z", None)

    page = write_site_index(site, results).read_text()

    assert page.index("2024-03-02_20240302T010000Z_bbbbbb") < page.index("2024-03-01_20240301T010000Z_aaaaaa")
    rows = re.findall(r'<a href="([^"]+)">(\w+)</a></td><td class="(\w+)"', page)
    assert [(suite, verdict) for _, suite, verdict in rows] == [
        ("bronze_lines", "unknown"),  # its stored result is gone
        ("profiles", "failed"),
        ("bronze_lines", "passed"),
    ]
    assert all((site / link).is_file() for link, _, _ in rows)
    assert "http" not in page and "<script" not in page  # nothing to fetch


def test_an_empty_site_says_so(tmp_path):
    assert "No validation has been run" in write_site_index(tmp_path, tmp_path / "none").read_text()


def test_bars_scale_to_the_largest_value_and_falls_go_left_of_zero():
    svg = bar_chart("c", "t", ["a", "b", "c"], [10, -5, 5])
    widths = [float(w) for w in re.findall(r'<rect x="[^"]+" y="[^"]+" width="([^"]+)"', svg)]
    xs = [float(x) for x in re.findall(r'<rect x="([^"]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1], abs=0.2) and widths[1] == widths[2]
    assert xs[1] + widths[1] == pytest.approx(xs[0], abs=0.1) and xs[0] == xs[2]  # the fall ends at the zero line
    assert "#b42318" in svg and "#1b7a3a" in svg


def test_a_chart_with_nothing_to_show_says_why_instead_of_drawing():
    assert '<figure class="chart empty" id="c">' in bar_chart("c", "t", [], [], empty="No rows.")
    assert "No rows." in column_chart("c", "t", ["1-10"], [0], empty="No rows.")
    assert "<svg" in column_chart("c", "t", ["1-10", "11-20"], [0, 3])


def test_every_chart_of_a_full_report_is_drawn(tmp_path):
    """A report with something in every section (made by hand, no lake): all six charts are pictures."""
    started = dt.datetime(2024, 3, 2, 1, 0, tzinfo=dt.UTC)
    run_row = {
        "run_id": "2024-03-02_20240302T010000Z_abcdef",
        "status": "published",
        "exit_code": 0,
        "message": "published 3 profiles",
        "started_at": started,
        "ended_at": started + dt.timedelta(seconds=42),
        "data_docs": None,
        "stages": [{"stage": "bronze", "seconds": 3.5}, {"stage": "silver", "seconds": 9.0}],
        "validation": [{"suite": "profiles", "success": False, "evaluated": 12, "failed": ["score out of range"]}],
        "reconciliation": [
            {"source": "twitter_v2", "file": "a.jsonl", "raw_lines": 10, "conformed": 8, "quarantined": 2, "reconciled": True,
             "quarantine_reasons": {"bad_json": 1, "missing_id": 1}},
        ],
    }  # fmt: skip
    mover = {"top_engagers": "x:1 40%", "by_kind": "retweet 100%", "engagers": 3, "previous_engagers": 1, "rank": 1}
    report = NightlyReport(
        dt.date(2024, 3, 2),
        run_row,
        "published",
        dt.date(2024, 3, 1),
        [{"bin_low": 1 + 10 * b, "bin_high": 10 + 10 * b, "persons": b % 4} for b in range(10)],
        [
            {**mover, "account": "x:2", "direction": "up", "score": 60, "previous_score": 40, "change": 20},
            {**mover, "account": "x:3", "direction": "down", "score": 10, "previous_score": 30, "change": -20},
        ],
        [{"topic_id": "t1", "name": "climate", "persons": 5, "previous_persons": 0, "growth": 5, "is_new": True}],
        [{"community_id": "c1", "name": "x:2", "persons": 7, "previous_persons": 4, "growth": 3, "is_new": False}],
    )
    page = tmp_path / "ops" / "reports" / "2024-03-02.html"
    page.parent.mkdir(parents=True)
    page.write_text(render(report), encoding="utf-8")

    opened = open_offline(page)

    assert opened.failed_loads == [] and opened.console_errors == [] and opened.empty_charts == []
    expected = {"chart-scores", "chart-movers", "chart-topics", "chart-communities", "chart-stages", "chart-quarantine"}
    assert set(opened.charts) == expected
    for chart, box in opened.charts.items():
        inked, colours = drawn_fraction(opened.screenshot, box)
        assert inked > 0.02 and colours >= 3, (chart, inked, colours)
    assert "climate (new)" in opened.text and "x:3" in opened.text and "20 -> 40" not in opened.text
    assert "40 -> 60 (+20)" in opened.text and "30 -> 10 (-20)" in opened.text
