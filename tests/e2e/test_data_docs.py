"""Every night's validations as Great Expectations Data Docs under <lake>/ops/data_docs, linked from the run log,
on a lake whose run log was created before the `data_docs` column existed (the held-back night)."""

from __future__ import annotations

import html
import re
from pathlib import Path

from tests.support.cli import runs
from tests.support.lakes import OLD_RUN_ID


def page_text(path: Path) -> str:
    """The visible text of an HTML page, whitespace collapsed."""
    markup = re.sub(r"<script.*?</script>|<style.*?</style>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", markup)))


def test_every_night_writes_data_docs_and_the_run_log_links_them(held_back_night):
    """The older lake keeps working: a first night published, then the wrong dump, 8 of 9 lines malformed
    (far above the 5% the reconciliation suite allows), held back."""
    lake = held_back_night.lake
    failing, passing, old = runs(lake)
    assert (failing["status"], passing["status"], old["run_id"]) == ("validation_failed", "published", OLD_RUN_ID)
    assert old["data_docs"] is None

    docs = lake / "ops" / "data_docs"
    assert (docs / "index.html").is_file()
    index = (docs / "index.html").read_text(encoding="utf-8")
    assert passing["run_id"] in index and failing["run_id"] in index
    # Every validation is rendered, passing or not: 9 suites on the published (first: no run-over-run) night,
    # 6 (bronze and silver) on the failed one.
    assert len(list((docs / "validations").rglob("*.html"))) == 9 + 6
    engines = {suite["suite"]: suite["engine"] for suite in passing["validation"]}
    for name in ("reconciliation", "silver_interactions", "influence_scores"):  # validated through Checkpoints
        assert (lake / "ops" / "gx" / "checkpoints" / f"{name}_{engines[name]}_checkpoint.json").is_file()

    for run in (passing, failing):
        page = Path(run["data_docs"])
        assert page.is_file() and docs in page.parents and run["run_id"] in page.parts

    passed = page_text(Path(passing["data_docs"]))  # the last suite of a published night
    assert "Expectation Suite: profiles" in passed and "Status: Succeeded" in passed

    failed = page_text(Path(failing["data_docs"]))  # the run links to its failed suite's page
    assert "Expectation Suite: reconciliation" in failed and "Status: Failed" in failed
    section = failed[failed.index("quarantined_fraction Status") :]
    assert "values must be greater than or equal to 0.0 and less than or equal to 0.05" in section
