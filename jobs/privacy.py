"""influence optout | optin | erase (docs/privacy.md; `influence access` is jobs/access.py): one logged run
that records the request and carries it out (stages/governance.py)."""

from __future__ import annotations

from influence.config import Config
from influence.governance import Request
from influence.runlog import RunLog, RunRecord, new_run_id
from influence.session import build_spark
from stages.governance import apply_request


def run_request(config: Config, request: Request) -> str:
    """The CLI's optout / optin / erase: one logged run; the message holds counts, never the identifier."""
    spark = build_spark(config, app_name=f"influence-{request.action}")
    runlog = RunLog(spark, config.lake_location)
    record = RunRecord(new_run_id(None), request.action.replace("_", ""), None, None, config.spark.master)
    with runlog.recording(record):
        result = record.run(request.action, apply_request, spark, config, request)
    removed = {name: value for name, value in result.extra.items() if name.endswith(("_deleted", "_redacted")) and value}
    summary = f"{request.action} {result.outcome}" + (f"; removed {removed}" if removed else "")
    runlog.finish(record, "done", 0, summary)
    return f"run {record.run_id}: {summary}"
