"""How the command line logs: human-readable progress lines (the default), or one JSON object per line
(`--log-format json`) for a scheduler or a log pipeline. A stage's end is one event carrying the same
figures as the run log's `stages` entry: {"event": "stage", "run_id", "stage", "status", "seconds",
"spark_jobs", "counts"}."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_installed: logging.Handler | None = None  # the handler configure() put on the root logger


class StandardError(logging.StreamHandler):
    """A handler writing to whatever sys.stderr is when a record comes (tests and notebooks replace it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, and a stage event's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **getattr(record, "event", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure(log_format: str = "text", verbose: bool = False) -> None:
    """Log to standard error in `log_format`; a second call replaces the first one's handler."""
    global _installed
    root = logging.getLogger()
    if _installed is not None:
        root.removeHandler(_installed)
    handler = StandardError()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT, datefmt="%H:%M:%S"))
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    _installed = handler
    for noisy in ("py4j", "great_expectations"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
