"""The Data Docs index, offline: a plain page of every run's validation pages.

The index Great Expectations renders loads jQuery, Bootstrap and its table scripts from public CDNs, so
without network access it shows an empty frame. This one replaces it after every build (and after
housekeeping deletes old pages): static HTML, inline styles, no script and no outside resource. It lists
the runs newest first, each with its suites, their verdicts and a link to each validation page, read from
the site's folder and the stored results beside it.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from urllib.parse import quote

INDEX_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #1f2933; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.1rem; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; }
th, td { text-align: left; padding: 0.25rem 0.8rem; border-bottom: 1px solid #d9e2ec; }
.passed { color: #1b7a3a; font-weight: 600; } .failed { color: #b42318; font-weight: 600; }
.unknown { color: #7b8794; }
"""


@dataclass(frozen=True)
class ValidationPage:
    run_name: str  # the run id
    suite: str
    validated_at: str  # GX's run time folder, e.g. 20261203T051814.109654Z
    page: Path  # relative to the site folder
    success: bool | None  # None: its stored result is gone or unreadable


def validation_pages(site: Path, results: Path) -> list[ValidationPage]:
    """Every rendered validation page under `site`/validations (<suite>/<run name>/<run time>/<batch>.html),
    with the verdict of its stored result under `results` (the same path, .json)."""
    pages = []
    for page in sorted((site / "validations").glob("*/*/*/*.html")):
        relative = page.relative_to(site)
        suite, run_name, validated_at = relative.parts[1:4]
        stored = results / Path(*relative.parts[1:]).with_suffix(".json")
        pages.append(ValidationPage(run_name, suite, validated_at, relative, _verdict(stored)))
    return pages


def _verdict(stored: Path) -> bool | None:
    try:
        return bool(json.loads(stored.read_text(encoding="utf-8"))["success"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _verdict_cell(success: bool | None) -> str:
    if success is None:
        return '<td class="unknown">unknown</td>'
    return '<td class="passed">passed</td>' if success else '<td class="failed">FAILED</td>'


def _started(run_name: str) -> str:
    """A run id is <run date>_<start time>_<suffix>: runs are ordered by when they started, so a rerun or a
    backfilled older date comes first when it is the newest run."""
    parts = run_name.split("_")
    return parts[1] if len(parts) == 3 else run_name


def render_index(pages: list[ValidationPage]) -> str:
    newest_first = sorted(pages, key=lambda p: (_started(p.run_name), p.run_name, p.validated_at), reverse=True)
    sections = []
    for run_name, run_pages in groupby(newest_first, key=lambda p: p.run_name):
        rows = "".join(
            f'<tr><td><a href="{html.escape(quote(page.page.as_posix()))}">{html.escape(page.suite)}</a></td>'
            f"{_verdict_cell(page.success)}<td>{html.escape(page.validated_at)}</td></tr>"
            for page in sorted(run_pages, key=lambda p: p.validated_at)
        )
        sections.append(
            f"<h2>Run {html.escape(run_name)}</h2>"
            f"<table><tr><th>suite</th><th>verdict</th><th>validated at (UTC)</th></tr>{rows}</table>"
        )
    body = "".join(sections) or "<p>No validation has been run on this lake yet.</p>"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Data Docs: validations by run</title>'
        f"<style>{INDEX_STYLE}</style></head><body><h1>Data Docs: validations by run</h1>"
        f"<p>{len(pages)} validation pages, newest run first.</p>"
        f"{body}</body></html>\n"
    )


def write_site_index(site: Path, results: Path) -> Path:
    """Write `site`/index.html (in place of Great Expectations' own) and return its path."""
    index = site / "index.html"
    partial = index.with_suffix(".tmp")
    partial.write_text(render_index(validation_pages(site, results)), encoding="utf-8")
    partial.replace(index)
    return index
