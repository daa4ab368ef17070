"""Run a GX 1.x suite on a Spark DataFrame through a Checkpoint and summarise the outcome for the run log.

With a lake, the GX context's stores live under <lake>/ops/gx and every validation result (passing or
failing) is rendered into the Data Docs site <lake>/ops/data_docs (start at index.html, an index of our
own that needs no network: expectations/site_index.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.request import url2pathname

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

import great_expectations as gx  # noqa: E402  (after the analytics switch)
import pandas as pd  # noqa: E402
from great_expectations.core.run_identifier import RunIdentifier  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from pyspark.sql import DataFrame, functions as F, types as T  # noqa: E402

from expectations.site_index import write_site_index  # noqa: E402
from influence.location import LakeLike, LakeLocation, ops_folder

logging.getLogger("great_expectations").setLevel(logging.WARNING)
log = logging.getLogger(__name__)

DATA_DOCS_SITE = "lake"
# The index page lists the newest validation results only (seven per night: about 140 nights);
# older pages stay in the site. Building the index reads every result it lists.
DATA_DOCS_INDEX_LIMIT = 1000
# Where GX computes a suite's metrics: "spark" on the executors, "pandas" in the driver on the checked
# columns fetched once, "auto" pandas up to DEFAULT_DRIVER_MAX_ROWS rows. `[validation]` in the config
# chooses (influence/config.py names the same engines; a unit test keeps the two lists equal).
ENGINES = ("auto", "spark", "pandas")
DEFAULT_DRIVER_MAX_ROWS = 500_000


def gx_dir(lake: LakeLike) -> Path:
    return ops_folder(lake) / "ops" / "gx"


def data_docs_dir(lake: LakeLike) -> Path:
    return ops_folder(lake) / "ops" / "data_docs"


def validation_results_dir(lake: LakeLike) -> Path:
    """Where the context stores each validation result (JSON), mirrored by the Data Docs pages."""
    return gx_dir(lake) / "uncommitted" / "validations"


def write_offline_index(lake: LakeLike) -> Path:
    """The Data Docs index of our own, which needs no network (expectations/site_index.py)."""
    return write_site_index(data_docs_dir(lake), validation_results_dir(lake))


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    success: bool
    evaluated: int
    failed: list[str] = field(default_factory=list)
    page: str | None = None  # this validation's Data Docs page (a file path), when the context has a site
    seconds: float = 0.0
    engine: str = "spark"  # where GX computed the metrics: "spark" or "pandas"

    def as_row(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "success": self.success,
            "evaluated": self.evaluated,
            "failed": list(self.failed),
            "seconds": self.seconds,
            "engine": self.engine,
        }


# Counts and the expectation, never the unexpected values themselves: those are identifiers (a duplicated
# person id, an account that should not be there), and results, Data Docs, logs and the run log outlive an
# erasure (docs/privacy.md#outside-the-lake).
COUNTS_ONLY = {"result_format": "SUMMARY", "partial_unexpected_count": 0, "include_unexpected_rows": False}


def _number_text(value: Any) -> str:
    """A float to 12 significant digits, a whole one as an integer: the engines sum in different orders
    (1.9999999999999998 against 2.0) and types (Spark sums a long column to 14.0, pandas to 14)."""
    if not isinstance(value, float):
        return str(value)
    value = float(f"{value:.12g}")
    return str(int(value)) if value.is_integer() else str(value)


def _describe_failure(result) -> str:
    config = result.expectation_config
    arguments = {k: v for k, v in config.kwargs.items() if k not in ("batch_id",)}
    target = arguments.pop("column", None) or arguments.pop("column_list", None) or ""
    if "column_A" in arguments:
        target = f"{arguments.pop('column_A')} = {arguments.pop('column_B')}"
    outcome = dict(result.result or {})
    if outcome.get("unexpected_count") is not None:
        observed = f"{outcome['unexpected_count']} unexpected of {outcome.get('element_count')}"
    elif "observed_value" in outcome:
        observed = f"observed {_number_text(outcome['observed_value'])}"
    else:
        observed = (
            "failed"
            if not result.exception_info.get("raised_exception")
            else f"error: {result.exception_info.get('exception_message')}"
        )
    bounds = ", ".join(f"{k}={_number_text(v)}" for k, v in arguments.items() if k in ("min_value", "max_value", "value_set"))
    return f"{config.type}({target}{'; ' + bounds if bounds else ''}): {observed}"


def _use_data_docs_site(context, folder: Path) -> None:
    """Make `folder` the context's only Data Docs site (rewritten if the lake moved)."""
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(folder)},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "validation_results_limit": DATA_DOCS_INDEX_LIMIT,
        },
    }
    sites = context.list_data_docs_sites()
    if sites != {DATA_DOCS_SITE: site}:
        for name in list(sites):
            context.delete_data_docs_site(name)
        context.add_data_docs_site(DATA_DOCS_SITE, site)


ANY_NUMBER_OF_ROWS = 2**31 - 2  # engine "pandas": the frame's size is not checked (a Spark limit is an int)
# A frame of up to this many rows is fetched for the driver in one query, without counting it first (driver_rows).
FETCHED_WHOLE = 10_000
# Expectations over the table's column set need every column; any other reads only the columns it names.
WHOLE_TABLE_EXPECTATIONS = ("expect_table_column", "expect_table_columns")


def checked_columns(df: DataFrame, suite: gx.ExpectationSuite) -> list[str]:
    """The columns of `df` the suite's expectations name, in the frame's order (at least one)."""
    named: set[str] = set()
    for expectation in suite.expectations:
        configuration = expectation.configuration
        if configuration.type.startswith(WHOLE_TABLE_EXPECTATIONS):
            return list(df.columns)
        kwargs = configuration.kwargs
        named.update(kwargs[key] for key in ("column", "column_A", "column_B") if isinstance(kwargs.get(key), str))
        named.update(kwargs.get("column_list") or ())
    return [column for column in df.columns if column in named] or df.columns[:1]


# Expectations on an aggregate of a column. On no rows Spark's sum is null (a failed check) and pandas' is 0,
# so a suite holding one validates an empty frame on Spark. Every other kind the suites use gives both engines
# the same verdicts on no rows (tests/unit/test_validator.py).
AGGREGATE_EXPECTATIONS = frozenset({"expect_column_sum_to_be_between"})


def holds_aggregates(suite: gx.ExpectationSuite) -> bool:
    return any(expectation.expectation_type in AGGREGATE_EXPECTATIONS for expectation in suite.expectations)


def driver_rows(df: DataFrame, columns: list[str], max_rows: int) -> pd.DataFrame | None:
    """The frame's `columns` as pandas, or None when it has more than `max_rows` rows.

    Up to FETCHED_WHOLE rows (most of a night's frames) this is one query: the first FETCHED_WHOLE + 1 rows are
    fetched, and fewer than that are the whole frame. A larger frame is counted (up to max_rows + 1) and fetched
    only when it fits: fetching max_rows + 1 rows to find out, then dropping them, took gigabytes of the
    driver's memory for a frame of a million profiles.
    Dates travel as ISO strings: Spark compares a date column with the suites' ISO-string parameters by
    casting, and pandas would compare date objects with strings as never equal."""
    fields = {field.name: field for field in df.schema.fields}
    selected = [
        F.col(f"`{name}`").cast("string").alias(name) if isinstance(fields[name].dataType, T.DateType) else F.col(f"`{name}`")
        for name in columns
    ]
    rows = df.select(*selected)
    if max_rows >= ANY_NUMBER_OF_ROWS:
        return rows.toPandas()
    fetched_whole = min(max_rows, FETCHED_WHOLE)
    first_rows = rows.limit(fetched_whole + 1).toPandas()
    if len(first_rows) <= fetched_whole:
        return first_rows
    if max_rows == fetched_whole or rows.limit(max_rows + 1).count() > max_rows:
        return None
    return rows.toPandas()


def _project_without_config_variables(context):
    """The lake's GX project with no config-variables file: GX re-reads and parses that file (a template of
    comments: the project uses no variables) on every store access, about 5 ms each, hundreds of times a night."""
    if not context.variables.config_variables_file_path:
        return context
    context.variables.config_variables_file_path = None
    context.variables.save()
    return gx.get_context(mode="file", context_root_dir=context.root_directory)


class Validator:
    """One GX context per job; each dataset gets a dataframe asset and is validated by a Checkpoint.

    lake: the context is a file context under <lake>/ops/gx (suites, validation definitions, checkpoints,
    validation results) whose Checkpoints update the Data Docs site <lake>/ops/data_docs; without a lake
    it is ephemeral and writes nothing. run_name (the run id) groups a run's validations in Data Docs.
    engine and driver_max_rows: where GX computes the metrics (`[validation] engine`, influence/config.py).
    """

    def __init__(
        self,
        lake: LakeLike | None = None,
        run_name: str | None = None,
        engine: str = "auto",
        driver_max_rows: int = DEFAULT_DRIVER_MAX_ROWS,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"validation engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        self.engine = engine
        self.driver_max_rows = driver_max_rows
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.run_name = run_name
        self.results: list[SuiteResult] = []
        self._keys: list = []  # validation results not yet rendered into Data Docs
        self._result_keys: list = []  # the stored result of each entry of self.results
        self.lake = LakeLocation.of(lake) if lake is not None else None
        if lake is None:
            self.context = gx.get_context(mode="ephemeral")
            self.sites: list[str] = []
        else:
            self.context = _project_without_config_variables(gx.get_context(mode="file", context_root_dir=str(gx_dir(lake))))
            _use_data_docs_site(self.context, data_docs_dir(lake))
            self.sites = [DATA_DOCS_SITE]
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.sources = {
            "spark": self.context.data_sources.add_or_update_spark(name="spark"),
            "pandas": self.context.data_sources.add_or_update_pandas(name="pandas"),
        }

    def validate(self, df: DataFrame, suite: gx.ExpectationSuite, parameters: dict[str, Any] | None = None) -> SuiteResult:
        suite = self.context.suites.add_or_update(suite)
        started = time.perf_counter()
        in_driver = None
        columns = checked_columns(df, suite)
        if self.engine == "pandas" or (self.engine == "auto" and self.driver_max_rows > 0):
            max_rows = self.driver_max_rows if self.engine == "auto" else ANY_NUMBER_OF_ROWS
            in_driver = driver_rows(df, columns, max_rows)
            if in_driver is not None and in_driver.empty and holds_aggregates(suite):
                in_driver = None
        engine = "spark" if in_driver is None else "pandas"
        source = self.sources[engine]
        for stale in self.sources.values():
            if any(asset.name == suite.name for asset in stale.assets):  # left behind by a killed run
                stale.delete_asset(suite.name)
        asset = source.add_dataframe_asset(name=suite.name)
        batch = asset.add_batch_definition_whole_dataframe(f"{suite.name}_whole")
        definition = self.context.validation_definitions.add_or_update(
            # one definition (and Checkpoint) per engine: a stored one names its source's asset, which
            # exists only while that engine validates
            gx.ValidationDefinition(data=batch, suite=suite, name=f"{suite.name}_{engine}_validation")
        )
        # On Spark, GX caches the frame it validates: only the suite's columns are given to it (a night's bronze
        # lines are checked by their keys, not their text, which is most of their bytes). GX never releases the
        # cache: in a long-lived driver (a backfill, a notebook) every validated frame would stay cached, so it is
        # released here unless the caller cached that frame.
        checked = df if columns == df.columns else df.select(*[F.col(f"`{name}`") for name in columns])
        cached_by_caller = checked.is_cached
        frame = checked if in_driver is None else in_driver
        try:
            # A passing suite needs only its verdicts: BOOLEAN_ONLY skips the jobs that fetch unexpected values.
            # A failing one is validated again for its counts (COUNTS_ONLY), and only that result is kept.
            # No Data Docs action: the site is built once per run (build_docs).
            key, outcome = self._run_checkpoint(definition, frame, parameters, "BOOLEAN_ONLY")
            if not outcome.success:
                self.context.validation_results_store.remove_key(key)
                key, outcome = self._run_checkpoint(definition, frame, parameters, COUNTS_ONLY)
        finally:
            if not cached_by_caller:
                checked.unpersist()
        failed = [_describe_failure(result) for result in outcome.results if not result.success]
        source.delete_asset(suite.name)
        seconds = round(time.perf_counter() - started, 3)
        result = SuiteResult(suite.name, bool(outcome.success), len(outcome.results), failed, None, seconds, engine)
        self.results.append(result)
        self._keys.append(key)
        self._result_keys.append(key)
        log.info("validation %s: %s in %.1fs (%s)", suite.name, "passed" if result.success else "FAILED", seconds, engine)
        return result

    def _run_checkpoint(
        self, definition, df: DataFrame | pd.DataFrame, parameters: dict[str, Any] | None, result_format: str | dict
    ):
        checkpoint = self.context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=definition.name.removesuffix("_validation") + "_checkpoint",
                validation_definitions=[definition],
                actions=[],
                result_format=result_format,
            )
        )
        run_id = RunIdentifier(run_name=self.run_name, run_time=dt.datetime.now(dt.UTC))
        checkpoint_result = checkpoint.run(
            batch_parameters={"dataframe": df}, expectation_parameters=parameters or {}, run_id=run_id
        )
        [(key, outcome)] = checkpoint_result.run_results.items()  # one validation definition per checkpoint
        return key, outcome

    def build_docs(self) -> None:
        """Render this run's validation pages and the site index, once (the run's last step)."""
        if self.sites and self._keys:
            self.context.build_data_docs(site_names=self.sites, resource_identifiers=list(self._keys))
            self._keys.clear()
            write_offline_index(self.lake)  # in place of the index just built, which loads its scripts from CDNs
            # a page's address is known once it is rendered
            self.results = [
                dataclasses.replace(result, page=self._page(key)) for result, key in zip(self.results, self._result_keys)
            ]

    def _page(self, key) -> str | None:
        if not self.sites:
            return None
        urls = self.context.get_docs_sites_urls(resource_identifier=key, site_names=self.sites)
        return url2pathname(urlparse(urls[0]["site_url"]).path) if urls and urls[0].get("site_url") else None

    def rows(self) -> list[dict[str, Any]]:
        """Every validation of the run so far, as the run log's `validation` entries."""
        return [result.as_row() for result in self.results]

    def run_page(self) -> str | None:
        """The Data Docs page a run links to: its first failed validation, else its last one (built first)."""
        self.build_docs()
        pages = [r.page for r in self.results if not r.success] or [r.page for r in self.results[-1:]]
        return pages[0] if pages else None
