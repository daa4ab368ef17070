"""The gate between stages: suite results that must all pass before the night goes on."""

from __future__ import annotations

from expectations.runner import SuiteResult
from influence.errors import ValidationFailed


def require_passed(results: list[SuiteResult], stage: str) -> list[SuiteResult]:
    """The results, when every suite passed; else ValidationFailed naming each failed expectation."""
    failures = [f"{result.suite}: {failure}" for result in results for failure in result.failed]
    if failures:
        raise ValidationFailed(f"validation failed at the {stage} stage; nothing was published", failures)
    return results
