"""Run a GX 1.x suite on a Spark DataFrame and summarise the outcome for the run log."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402  (after the analytics switch)
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from pyspark.sql import DataFrame  # noqa: E402

logging.getLogger("great_expectations").setLevel(logging.WARNING)


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)

    def as_row(self) -> dict[str, Any]:
        return {"suite": self.suite, "success": self.success, "evaluated": self.evaluated, "failed": list(self.failed)}


def _describe_failure(result) -> str:
    config = result.expectation_config
    arguments = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    target = arguments.pop("column", None) or arguments.pop("column_list", None) or ""
    if "column_A" in arguments:
        target = f"{arguments.pop('column_A')} = {arguments.pop('column_B')}"
    outcome = dict(result.result or {})
    if outcome.get("unexpected_count") is not None:
        observed = f"{outcome['unexpected_count']} unexpected of {outcome.get('element_count')}"
        examples = outcome.get("partial_unexpected_list") or []
        if examples:
            observed += f", e.g. {examples[:3]}"
    elif "observed_value" in outcome:
        observed = f"observed {outcome['observed_value']}"
    else:
        observed = "failed" if not result.exception_info.get("raised_exception") else f"error: {result.exception_info.get('exception_message')}"
    bounds = ", ".join(f"{k}={v}" for k, v in arguments.items() if k in ("min_value", "max_value", "value_set"))
    return f"{config.type}({target}{'; ' + bounds if bounds else ''}): {observed}"


class Validator:
    """One ephemeral GX context per job; each dataset gets a Spark dataframe asset."""

    def __init__(self) -> None:
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_spark(name="spark")

    def validate(self, df: DataFrame, suite: gx.ExpectationSuite, parameters: dict[str, Any] | None = None) -> SuiteResult:
        asset = self.source.add_dataframe_asset(name=suite.name)
        batch = asset.add_batch_definition_whole_dataframe(f"{suite.name}_whole")
        suite = self.context.suites.add_or_update(suite)
        definition = self.context.validation_definitions.add_or_update(
            gx.ValidationDefinition(data=batch, suite=suite, name=f"{suite.name}_validation")
        )
        outcome = definition.run(batch_parameters={"dataframe": df}, expectation_parameters=parameters or {})
        failed = [_describe_failure(result) for result in outcome.results if not result.success]
        self.source.delete_asset(suite.name)
        return SuiteResult(suite.name, bool(outcome.success), len(outcome.results), failed)
