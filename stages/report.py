"""The nightly report: one self-contained HTML page per run date, <lake>/ops/reports/<date>.html.

Written at the end of every night that gets as far as its run log row (published, history only, or held
back by validation), and rebuilt by `influence report --date D`. It reads what the lake holds for the
date's latest nightly run, so both give the same page:
- the score distribution of the date (the published history, or the staged candidates of a held-back night);
- the biggest movers up and down since the run date before it, with their explanations;
- the largest topics and communities, new ones marked, with their growth;
- the run's stage timings, validation verdicts and quarantine reasons.
Charts are inline SVG (influence/charts.py): the page fetches nothing, so it opens offline. It names the
movers' accounts, so an erasure redacts reports as it does Data Docs (stages/governance.py).
"""

from __future__ import annotations

import datetime as dt
import html
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pyspark.sql import DataFrame, functions as F

from influence.charts import bar_chart, column_chart, table
from influence.errors import UsageError
from influence.location import LakeLike, ops_folder
from influence.storage import Lake
from influence.tables import INFLUENCE_SCORES, RUNS, STAGED_SCORES
from transforms.report import community_growth, movers, score_distribution, topic_growth

MOVERS = 10  # per direction
TOP_GROUPS = 15  # topics and communities shown


def reports_dir(lake: LakeLike) -> Path:
    return ops_folder(lake) / "ops" / "reports"


def report_path(lake: LakeLike, run_date: dt.date) -> Path:
    return reports_dir(lake) / f"{run_date.isoformat()}.html"


@dataclass(frozen=True)
class NightlyReport:
    """What the page shows, as plain values (a few dozen rows at most)."""

    run_date: dt.date
    run: dict[str, Any]  # the date's latest nightly row of the run log
    scores_from: str  # where the scores come from: "published", "staged, not published", ... or "none"
    previous_date: dt.date | None
    distribution: list[dict[str, Any]]
    movers: list[dict[str, Any]]
    topics: list[dict[str, Any]]
    communities: list[dict[str, Any]]


def _rows(df: DataFrame) -> list[dict[str, Any]]:
    return [row.asDict(recursive=True) for row in df.collect()]  # small by construction: bins, top N


def latest_nightly_run(lake: Lake, run_date: dt.date) -> dict[str, Any]:
    runs = lake.read_if_exists(RUNS)
    found = (
        []
        if runs is None
        else runs.filter((F.col("command") == "nightly") & (F.col("run_date") == F.lit(run_date)))
        .orderBy(F.col("started_at").desc())
        .limit(1)
        .collect()
    )
    if not found:
        raise UsageError(f"the run log of {lake.root} has no nightly run for {run_date}: no report to build")
    return found[0].asDict(recursive=True)


def gather(lake: Lake, run_date: dt.date) -> NightlyReport:
    run = latest_nightly_run(lake, run_date)
    history = lake.read_if_exists(INFLUENCE_SCORES)
    tonight, scores_from = None, "none"
    if run["status"] == "validation_failed" and lake.exists(STAGED_SCORES):
        # held back: what it would have published (empty when it failed before staging)
        tonight, scores_from = lake.read(STAGED_SCORES).filter(F.col("run_date") == F.lit(run_date)), "staged, not published"
    elif history is not None:
        tonight = history.filter(F.col("run_date") == F.lit(run_date))
        scores_from = {
            "published": "published",
            "history_only": "added to the score history; a newer date is published",
        }.get(run["status"], f"the score history; this run ended {run['status']}")
    previous_date, before = lake.latest_partition_before(INFLUENCE_SCORES, run_date)
    if tonight is None:
        return NightlyReport(run_date, run, scores_from, previous_date, [], [], [], [])
    before = before if before is not None else tonight.limit(0)
    # four small aggregates of tonight's rows, three of them against the night before's
    tonight, before = tonight.cache(), before.cache()
    try:
        return NightlyReport(
            run_date,
            run,
            scores_from,
            previous_date,
            _rows(score_distribution(tonight)),
            _rows(movers(tonight, before, MOVERS)) if previous_date is not None else [],
            _rows(topic_growth(tonight, before, TOP_GROUPS)),
            _rows(community_growth(tonight, before, TOP_GROUPS)),
        )
    finally:
        tonight.unpersist()
        before.unpersist()


PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1f2933; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #d9e2ec; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; font-size: 0.9rem; }
th, td { text-align: left; padding: 0.2rem 0.7rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
figure.chart { margin: 0.5rem 0 1rem; } figcaption { font-weight: 600; margin-bottom: 0.3rem; }
.status { font-weight: 600; } .passed { color: #1b7a3a; } .failed { color: #b42318; }
"""


def _change(row: dict[str, Any]) -> str:
    return f"{row['previous_score']} -> {row['score']} ({row['change']:+d})"


def _growth_label(row: dict[str, Any]) -> str:
    return f"{row['name']} (new)" if row["is_new"] else f"{row['name']} ({row['growth']:+d})"


def _run_page_link(data_docs: str | None) -> str:
    """The run log keeps the page's absolute path; the link goes through the report's own lake, so a copied
    or moved lake's report opens its own pages."""
    marker = "/ops/data_docs/"
    if not data_docs or marker not in data_docs:
        return ""
    page = "../data_docs/" + quote(data_docs.split(marker, 1)[1])
    return f' · <a href="{html.escape(page)}">this run&#39;s validation page</a>'


def render(report: NightlyReport) -> str:
    run = report.run
    date = report.run_date.isoformat()
    docs_index = "../data_docs/index.html"  # reports sit in <lake>/ops/reports
    run_page = _run_page_link(run.get("data_docs"))
    seconds = (run["ended_at"] - run["started_at"]).total_seconds() if run.get("ended_at") else None
    persons = sum(row["persons"] for row in report.distribution)
    versus = f"since {report.previous_date}" if report.previous_date else "(no earlier run date in the history)"

    ups = [row for row in report.movers if row["direction"] == "up"]
    downs = [row for row in report.movers if row["direction"] == "down"]
    mover_rows = ups + sorted(downs, key=lambda row: row["rank"], reverse=True)
    stages = run.get("stages") or []
    validations = run.get("validation") or []
    reasons: Counter[str] = Counter()
    for entry in run.get("reconciliation") or []:
        reasons.update(entry.get("quarantine_reasons") or {})

    sections = [
        f"<h1>Nightly report {html.escape(date)}</h1>",
        "<p>"
        f'Run <code>{html.escape(run["run_id"])}</code>: <span class="status">{html.escape(run["status"])}</span> '
        f"(exit {run['exit_code']}){f', {seconds:.0f} s' if seconds is not None else ''}. {html.escape(run.get('message') or '')}"
        "</p>",
        f'<p><a href="{html.escape(docs_index)}">Data Docs</a>{run_page}</p>',
        "<h2>Scores</h2>",
        f"<p>{persons} persons scored ({html.escape(report.scores_from)}).</p>",
        column_chart(
            "chart-scores",
            "Persons per score band",
            [f"{row['bin_low']}-{row['bin_high']}" for row in report.distribution],
            [row["persons"] for row in report.distribution],
            empty="No scores for this date.",
        ),
        f"<h2>Biggest movers {html.escape(versus)}</h2>",
        bar_chart(
            "chart-movers",
            "Score change",
            [row["account"] for row in mover_rows],
            [row["change"] for row in mover_rows],
            empty="No person's score changed between the two dates."
            if report.previous_date
            else "No earlier date to compare with.",
        ),
        table(
            ["account", "score", "engagers", "top engagers (share of rank)", "by kind"],
            [
                (
                    row["account"],
                    _change(row),
                    f"{row['previous_engagers']} -> {row['engagers']}",
                    row["top_engagers"],
                    row["by_kind"],
                )
                for row in mover_rows
            ],
            empty="No movers.",
        ),
        "<h2>Topics</h2>",
        bar_chart(
            "chart-topics",
            "Persons per topic (growth since the date before)",
            [_growth_label(row) for row in report.topics],
            [row["persons"] for row in report.topics],
            empty="No topics: the night's posts carry no hashtags or topic words.",
        ),
        "<h2>Communities</h2>",
        bar_chart(
            "chart-communities",
            "Persons per community, by its highest-scored member (growth since the date before)",
            [_growth_label(row) for row in report.communities],
            [row["persons"] for row in report.communities],
            empty="No communities (communities are off, or nobody was scored).",
        ),
        "<h2>Stage timings</h2>",
        bar_chart(
            "chart-stages",
            "Seconds per stage",
            [entry["stage"] for entry in stages],
            [round(entry["seconds"] or 0.0, 1) for entry in stages],
            empty="The run logged no stage.",
        ),
        "<h2>Validation and quarantine</h2>",
        table(
            ["suite", "verdict", "expectations", "failed"],
            [
                (entry["suite"], "passed" if entry["success"] else "FAILED", entry["evaluated"], "; ".join(entry["failed"] or []))
                for entry in validations
            ],
            empty="No validation ran.",
        ),
        bar_chart(
            "chart-quarantine",
            "Quarantined lines per reason",
            list(reasons),
            list(reasons.values()),
            empty="No line was quarantined.",
        ),
        table(
            ["source", "file", "raw lines", "conformed", "quarantined", "reconciled"],
            [
                (e["source"], e["file"], e["raw_lines"], e["conformed"], e["quarantined"], "yes" if e["reconciled"] else "NO")
                for e in run.get("reconciliation") or []
            ],
            empty="No file was read.",
        ),
    ]
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Nightly report {html.escape(date)}</title>'
        f"<style>{PAGE_STYLE}</style></head><body>{''.join(sections)}</body></html>\n"
    )


def write_report(lake: Lake, run_date: dt.date) -> Path:
    """Build the date's page from the lake and write it (replacing an earlier one in one rename)."""
    page = render(gather(lake, run_date))
    path = report_path(lake.root, run_date)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path
