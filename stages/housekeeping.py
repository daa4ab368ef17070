"""Housekeeping: what the lake keeps of its past ([housekeeping] in the config, docs/operations.md).

- every table is vacuumed to keep_versions_hours: files that only older versions use, the change-feed
  files of those versions and the orphans of killed writes are deleted;
- Great Expectations validation results and Data Docs pages older than keep_validations_days are
  deleted, and the Data Docs index is rewritten without them.

A night runs it every_days days after the last time (ops/housekeeping.json records when); `influence
housekeeping` runs it now. Both hold the writer's lease, so no VACUUM ever runs beside another writer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from expectations.runner import data_docs_dir, validation_results_dir, write_offline_index
from influence import storage
from influence.config import Config
from influence.location import LakeLike, ops_folder
from influence.storage import Lake
from influence.tables import ALL_TABLES
from stages.result import StageResult

log = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class HousekeepingResult(StageResult):
    ran: bool
    tables_vacuumed: int
    files_vacuumed: int
    validation_results_deleted: int
    data_docs_pages_deleted: int


NOT_DUE = HousekeepingResult(
    ran=False, tables_vacuumed=0, files_vacuumed=0, validation_results_deleted=0, data_docs_pages_deleted=0
)


def marker_path(lake: LakeLike) -> Path:
    return ops_folder(lake) / "ops" / "housekeeping.json"


def last_run(lake: LakeLike) -> dt.datetime | None:
    marker = marker_path(lake)
    if not marker.is_file():
        return None
    return dt.datetime.fromisoformat(json.loads(marker.read_text(encoding="utf-8"))["last_run"])


def _record(lake: LakeLike, when: dt.datetime) -> None:
    marker = marker_path(lake)
    marker.parent.mkdir(parents=True, exist_ok=True)
    partial = marker.with_suffix(".tmp")
    partial.write_text(json.dumps({"last_run": when.isoformat()}) + "\n", encoding="utf-8")
    partial.replace(marker)


def delete_older_files(folder: Path, horizon_days: int, now: float) -> int:
    """Files under `folder` last written more than horizon_days ago are deleted (hidden ones are the store's
    own and stay), then emptied folders."""
    if not folder.is_dir():
        return 0
    oldest_kept = now - horizon_days * 86_400
    deleted = 0
    for path in sorted(folder.rglob("*"), reverse=True):  # children before their folders
        if path.name.startswith("."):
            continue  # the stores' own bookkeeping (.ge_store_backend_id), not a result
        if path.is_file() and not path.is_symlink() and path.stat().st_mtime < oldest_kept:
            path.unlink()
            deleted += 1
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return deleted


def tidy(lake: Lake, config: Config, now: dt.datetime | None = None) -> HousekeepingResult:
    """Housekeeping now, whatever the last run was."""
    now = now or dt.datetime.now(dt.UTC)
    settings = config.housekeeping
    present = [table.path(lake.root) for table in ALL_TABLES if lake.exists(table)]
    vacuumed = storage.vacuum(lake.spark, present, retain_hours=float(settings.keep_versions_hours))
    results = delete_older_files(validation_results_dir(lake.root), settings.keep_validations_days, now.timestamp())
    pages = delete_older_files(data_docs_dir(lake.root) / "validations", settings.keep_validations_days, now.timestamp())
    if pages:
        write_offline_index(lake.root)  # it links only pages that still exist
    _record(lake.root, now)
    log.info(
        "housekeeping: %d tables vacuumed to %d hours (%d files deleted); %d validation results and %d Data Docs pages "
        "older than %d days deleted",
        len(vacuumed),
        settings.keep_versions_hours,
        sum(vacuumed.values()),
        results,
        pages,
        settings.keep_validations_days,
    )
    return HousekeepingResult(
        ran=True,
        tables_vacuumed=len(vacuumed),
        files_vacuumed=sum(vacuumed.values()),
        validation_results_deleted=results,
        data_docs_pages_deleted=pages,
    )


def tidy_if_due(lake: Lake, config: Config, now: dt.datetime | None = None) -> HousekeepingResult:
    """Housekeeping inside a night: when every_days have passed since the last one. A lake's first night
    only starts the clock."""
    now = now or dt.datetime.now(dt.UTC)
    every = config.housekeeping.every_days
    last = last_run(lake.root)
    if every == 0:
        return NOT_DUE
    if last is None:
        _record(lake.root, now)
        return NOT_DUE
    if now - last < dt.timedelta(days=every):
        return NOT_DUE
    return tidy(lake, config, now)
