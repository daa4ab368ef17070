"""The `influence` command.

Exit codes: 0 published (or command done); 1 validation failed, nothing published;
2 bad arguments, config or input location; 3 any other failure; 4 lake busy: another writer holds the
lake's lease, nothing was written (docs/operations.md).

Every command that writes to the lake (nightly, backfill, publish, rollback, export, calibrate, optout, optin,
erase, access, housekeeping, report) takes the lake's writer lease after its argument checks and before Spark starts,
and holds it to its end (`with lake_lease(...)`). Readers (runs, status, validate-config, jars) never take it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from influence.config import Config, config_as_dict, config_as_toml, load_config
from influence.errors import InfluenceError, UsageError, ValidationFailed
from influence.generator import SOURCES as GENERATED_SOURCES
from influence.governance import privacy_key
from influence.lease import LakeLease
from influence.location import LakeLocation
from influence.logs import LOG_FORMATS, configure as configure_logging
from influence.session import require_environment, require_reachable_master

if TYPE_CHECKING:
    from influence.governance import Request
    from stages.landing import LandedFile

log = logging.getLogger("influence")


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text) if len(text) == 10 else _bad_date(text)
    except ValueError:
        return _bad_date(text)


def _bad_date(text: str) -> dt.date:
    raise argparse.ArgumentTypeError(f"{text!r} is not a date in the form YYYY-MM-DD")


def add_set_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set one config key, e.g. pagerank.engine=local; repeatable, wins over the file and the environment",
    )


def add_config_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", metavar="FILE", help="TOML config file (docs/configuration.md)")
    add_set_option(command)


def config_from_args(args: argparse.Namespace, master: str | None = None) -> Config:
    """The command's configuration: defaults < --config < environment < --set < --lake, --master."""
    return load_config(args.config, overrides=args.overrides, lake=args.lake, master=master)


@contextmanager
def lake_lease(config: Config, args: argparse.Namespace, run_id: str | None = None) -> Iterator[LakeLease]:
    """The lake's writer lease for this command (influence/lease.py), to hold in a `with` from the end of the
    argument checks, before Spark starts, to the end of the command. A second writer gets LakeBusy (exit 4).
    Then the privacy key: one the lake was not keyed with, or none, stops the command (exit 2) before it
    writes anything; a new lake's key is made here, by the lease holder."""
    with LakeLease(config.lake_location, args.command, run_date=getattr(args, "date", None), run_id=run_id) as lease:
        privacy_key(config)
        yield lease


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="influence", description="Influence profiles from social-network dumps.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--log-format",
        choices=LOG_FORMATS,
        default="text",
        help="text: progress lines (default); json: one JSON object per line, one event per stage (docs/operations.md)",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    nightly = commands.add_parser("nightly", help="ingest, score, validate and publish one run date")
    nightly.add_argument("--date", type=iso_date, required=True, help="run date, YYYY-MM-DD")
    nightly.add_argument("--input", help="landing folder DIR/<source>/<files> (default: the bundled sample)")
    nightly.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(nightly)
    nightly.add_argument("--master", help="Spark master URL (default: local[*] or SPARK_MASTER)")
    nightly.set_defaults(handler=run_nightly_command)

    backfill = commands.add_parser("backfill", help="one night per date, oldest first, stopping at the first failure")
    backfill.add_argument("--from", dest="first", type=iso_date, required=True, metavar="YYYY-MM-DD", help="first run date")
    backfill.add_argument("--to", dest="last", type=iso_date, required=True, metavar="YYYY-MM-DD", help="last run date")
    backfill.add_argument(
        "--input", required=True, metavar="DIR", help="one landing folder per date: DIR/YYYY-MM-DD/<source>/<files>"
    )
    backfill.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(backfill)
    backfill.add_argument("--master", help="Spark master URL (default: local[*] or SPARK_MASTER)")
    backfill.set_defaults(handler=run_backfill_command)

    sql = commands.add_parser(
        "sql", help="run a read-only Spark SQL statement on the tables by name (influence.profiles, ...) and print it"
    )
    sql.add_argument(
        "query", metavar="QUERY", help='e.g. "SELECT display_name, score FROM influence.profiles ORDER BY score DESC"'
    )
    sql.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(sql)
    sql.add_argument("--format", dest="output", choices=("table", "csv", "json"), default="table", help="default: table")
    sql.add_argument("--limit", type=int, default=1000, metavar="N", help="print at most N rows (default 1000)")
    sql.set_defaults(handler=run_sql_command)

    report = commands.add_parser("report", help="rebuild the nightly report page of a run date, <lake>/ops/reports/<date>.html")
    report.add_argument("--date", type=iso_date, required=True, help="a run date with a nightly run in the run log, YYYY-MM-DD")
    report.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(report)
    report.set_defaults(handler=run_report_command)

    status = commands.add_parser("status", help="what the lake holds: last run per date, published, held back, lease, versions")
    status.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(status)
    status.add_argument("--json", action="store_true", help="print JSON instead of text")
    status.add_argument("--dates", type=int, default=14, metavar="N", help="how many run dates to show (default 14)")
    status.set_defaults(handler=run_status_command)

    housekeeping = commands.add_parser(
        "housekeeping", help="vacuum every table and delete old validation results now ([housekeeping] in the config)"
    )
    housekeeping.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(housekeeping)
    housekeeping.set_defaults(handler=run_housekeeping_command)

    runs = commands.add_parser("runs", help="show the run log")
    runs.add_argument("--lake", help="lake root (default: ./lakehouse)")
    add_config_options(runs)
    runs.add_argument("--json", action="store_true", help="print JSON instead of a table")
    runs.add_argument("--limit", type=int, default=20, help="most recent runs to show (default 20)")
    runs.set_defaults(handler=run_runs_command)

    publish = commands.add_parser("publish", help="publish a night held back by its gold validation, on purpose")
    publish.add_argument("--date", type=iso_date, required=True, help="the held-back run date, YYYY-MM-DD")
    publish.add_argument("--force", action="store_true", help="required: publish despite the failed validation")
    publish.add_argument("--reason", help="required: why, kept in the run log")
    publish.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(publish)
    publish.set_defaults(handler=run_publish_command)

    rollback = commands.add_parser("rollback", help="restore gold/profiles to an earlier Delta version")
    rollback.add_argument("--to-version", type=int, required=True, metavar="N", help="gold/profiles version to restore")
    rollback.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(rollback)
    rollback.set_defaults(handler=run_rollback_command)

    export = commands.add_parser("export", help="write the enrichment feed of the published date to a folder")
    export.add_argument("--date", type=iso_date, required=True, help="the published run date, YYYY-MM-DD")
    export.add_argument(
        "--since-version", type=int, metavar="N", help="only the changes after gold/profiles version N (default: a full snapshot)"
    )
    export.add_argument("--format", choices=("jsonl", "parquet"), required=True, help="gzip JSON lines or Parquet")
    export.add_argument(
        "--out", required=True, metavar="DIR", help="folder to write into (refused if it holds a finished export)"
    )
    export.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(export)
    export.set_defaults(handler=run_export_command)

    calibrate = commands.add_parser(
        "calibrate", help="write a reference distribution for the 1-100 scale from a scored run date (docs/model.md)"
    )
    calibrate.add_argument("--date", type=iso_date, required=True, help="a run date in gold/influence_scores, YYYY-MM-DD")
    calibrate.add_argument("--out", required=True, metavar="FILE", help="the reference JSON to write")
    calibrate.add_argument("--version", required=True, help="the reference_version to record in it")
    calibrate.add_argument("--description", default="", help="where the scores came from")
    calibrate.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(calibrate)
    calibrate.set_defaults(handler=run_calibrate_command)

    for action, name, help_text in (
        ("opt_out", "optout", "leave a person out of scoring and publishing from the next run on (docs/privacy.md)"),
        ("opt_in", "optin", "undo an opt-out: the person is scored again from the next run on"),
        ("erase", "erase", "remove every record of a person from the lake now, and suppress them in later dumps"),
    ):
        request = commands.add_parser(name, help=help_text)
        subject = request.add_mutually_exclusive_group(required=True)
        subject.add_argument("--account", metavar="NETWORK:ID", help="an account, e.g. twitter:12345")
        subject.add_argument("--person", metavar="ID", help="a person id of the identity links")
        request.add_argument("--reference", help="the request's ticket or case number, kept in the audit table")
        request.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
        add_config_options(request)
        request.set_defaults(handler=run_governance_command, action=action)

    access = commands.add_parser("access", help="write what the lake holds about a person to a JSON file (docs/privacy.md)")
    subject = access.add_mutually_exclusive_group(required=True)
    subject.add_argument("--account", metavar="NETWORK:ID", help="an account, e.g. twitter:12345")
    subject.add_argument("--person", metavar="ID", help="a person id of the identity links")
    access.add_argument("--out", required=True, metavar="FILE", help="the JSON file to write (replaced if it exists)")
    access.add_argument("--lake", help="lake root (default: ./lakehouse or 'lake' in the config)")
    add_config_options(access)
    access.set_defaults(handler=run_access_command)

    validate = commands.add_parser(
        "validate-config", help="check a config file (or the defaults) with the environment and --set, without Spark"
    )
    validate.add_argument("file", nargs="?", metavar="FILE", help="TOML config file (default: none, the defaults)")
    add_set_option(validate)
    validate.add_argument("--json", action="store_true", help="print the effective configuration as JSON")
    validate.set_defaults(handler=run_validate_config_command)

    jars = commands.add_parser("jars", help="download the JVM jars into a folder, for INFLUENCE_JARS_DIR")
    jars.add_argument("--out", required=True, help="folder to copy the jars into")
    jars.add_argument("--s3a", action="store_true", help="also the S3A jars an s3a:// lake needs (hadoop-aws, AWS SDK)")
    jars.set_defaults(handler=run_jars_command)

    generate = commands.add_parser(
        "generate", help="write a synthetic landing folder per day, in the real connector formats (README: Generating data)"
    )
    generate.add_argument("--persons", type=int, required=True, help="genuine persons (at least 10)")
    generate.add_argument("--interactions", type=int, required=True, help="genuine interactions, over all days and networks")
    generate.add_argument(
        "--networks", default=",".join(GENERATED_SOURCES), help=f"comma-separated sources (default {','.join(GENERATED_SOURCES)})"
    )
    generate.add_argument("--days", type=int, default=1, help="one landing folder per day: OUT/YYYY-MM-DD/<source>/")
    generate.add_argument("--start", type=iso_date, default=dt.date(2024, 3, 1), help="the first day (default 2024-03-01)")
    generate.add_argument("--seed", type=int, default=0, help="the same seed writes the same bytes")
    generate.add_argument("--malformed-fraction", type=float, default=0.002, help="one malformed line per 1/F good lines")
    generate.add_argument("--farm-size", type=int, help="fresh accounts resharing one target (default min(1000, persons/10))")
    generate.add_argument(
        "--ring-size", type=int, help="fresh accounts resharing each other (default min(50, persons/100), >= 3)"
    )
    generate.add_argument("--out", required=True, metavar="DIR", help="an empty or new folder")
    generate.set_defaults(handler=run_generate_command)
    return parser


def run_nightly_command(args: argparse.Namespace) -> int:
    # Everything that can be wrong with the arguments is checked before Spark starts or anything is written.
    from stages.landing import bundled_sample

    config = config_from_args(args, master=args.master)
    input_dir = Path(args.input).expanduser().resolve() if args.input else bundled_sample()
    night = checked_night(config, args.date, input_dir)
    _require_lake(config.lake_location, new_is_fine=True)
    require_reachable_master(config.spark.master)
    require_environment(config)

    from influence.runlog import new_run_id

    run_id = new_run_id(args.date)
    with lake_lease(config, args, run_id):  # creates <lake>/_lease/ on a first night
        from influence.session import build_spark

        spark = build_spark(config, app_name=f"influence-nightly-{args.date}")
        return logged_night(spark, config, night, run_id)


@dataclass(frozen=True)
class CheckedNight:
    """A night whose landing folder passed every check made before anything is written."""

    run_date: dt.date
    input_dir: Path
    landed: list[LandedFile]
    requests: list[Request]


def checked_night(config: Config, run_date: dt.date, input_dir: Path) -> CheckedNight:
    from influence.governance import read_landed_requests
    from stages.landing import discover

    landed = discover(input_dir, config.landing.ignore_unknown_sources, config.landing.max_document_bytes)
    return CheckedNight(run_date, input_dir, landed, read_landed_requests(input_dir))


def logged_night(spark, config: Config, night: CheckedNight, run_id: str) -> int:
    """One night, logged in the run log: its exit code (0 published or added to the history, 1 held back)."""
    from influence.runlog import RunLog, RunRecord, failure_message
    from jobs.nightly import run_nightly
    from stages.validate import run_validator

    lake = config.lake_location
    log.info("nightly %s: %d file(s) from %s -> lake %s", night.run_date, len(night.landed), night.input_dir, lake)
    runlog = RunLog(spark, lake)
    record = RunRecord(run_id, "nightly", night.run_date, str(night.input_dir), config.spark.master)
    validator = run_validator(config, record.run_id)
    runlog.start(record)
    try:
        outcome = run_nightly(spark, config, night.run_date, night.landed, record, validator, night.requests)
    except ValidationFailed as failure:
        record.validation, record.data_docs = validator.rows(), validator.run_page()
        runlog.finish(record, "validation_failed", 1, f"{failure}: " + "; ".join(failure.failures))
        log.error("%s (run %s). Failed expectations:", failure, record.run_id)
        for line in failure.failures:
            log.error("  - %s", line)
        log.error("Data Docs: %s", validator.run_page())
        written_report(spark, lake, night.run_date)
        return 1
    except BaseException as error:
        record.validation, record.data_docs = validator.rows(), validator.run_page()
        runlog.finish(record, "failed", 3, failure_message(error))
        raise
    status = "published" if outcome.profiles_published else "history_only"
    record.validation, record.data_docs = validator.rows(), validator.run_page()
    runlog.finish(record, status, 0, outcome.message)
    written_report(spark, lake, night.run_date)
    print(f"run {record.run_id}: {outcome.message}; lake {lake}")
    return 0


def written_report(spark, lake: LakeLocation, run_date: dt.date) -> None:
    """The night's report page (stages/report.py), written once its run log row is final. The night's outcome
    stands if it cannot be written: the page is a view of the lake, and `influence report --date` rebuilds it."""
    from influence.storage import Lake
    from stages.report import write_report

    try:
        log.info("report: %s", write_report(Lake(spark, lake), run_date))
    except Exception as error:  # any failure here leaves the published data as it is
        log.warning(
            "report for %s not written (influence report --date %s builds it): %s: %s",
            run_date,
            run_date,
            type(error).__name__,
            error,
        )


def run_backfill_command(args: argparse.Namespace) -> int:
    """Every date's landing folder is checked before the first night runs; one lease covers them all
    (docs/operations.md#backfill says what a backfilled date does to the history and to smoothing)."""
    if args.last < args.first:
        raise UsageError(f"--to {args.last} is before --from {args.first}")
    config = config_from_args(args, master=args.master)
    root = Path(args.input).expanduser().resolve()
    days = (args.last - args.first).days + 1
    dates = [args.first + dt.timedelta(days=offset) for offset in range(days)]
    missing = [str(date) for date in dates if not (root / date.isoformat()).is_dir()]
    if missing:
        raise UsageError(
            f"backfill input {root} has no landing folder for {', '.join(missing)}: expected DIR/YYYY-MM-DD/<source>/<files>"
        )
    nights = [checked_night(config, date, root / date.isoformat()) for date in dates]
    _require_lake(config.lake_location, new_is_fine=True)
    require_reachable_master(config.spark.master)
    require_environment(config)

    from influence.runlog import new_run_id
    from influence.session import build_spark

    with lake_lease(config, args):
        spark = build_spark(config, app_name=f"influence-backfill-{args.first}-{args.last}")
        for number, night in enumerate(nights, start=1):
            log.info("backfill: night %d of %d (%s)", number, len(nights), night.run_date)
            code = logged_night(spark, config, night, new_run_id(night.run_date))
            if code != 0:
                log.error(
                    "backfill stopped at %s (exit %d); %d later date(s) not run", night.run_date, code, len(nights) - number
                )
                return code
    print(f"backfill {args.first} to {args.last}: {len(nights)} nights run; lake {config.lake_location}")
    return 0


def run_status_command(args: argparse.Namespace) -> int:
    from jobs.status import format_status, lake_status, status_json

    if args.dates < 1:
        raise UsageError(f"--dates must be >= 1, got {args.dates}")
    status = lake_status(config_from_args(args), args.dates)
    print(status_json(status) if args.json else format_status(status))
    return 0


def run_housekeeping_command(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    _require_lake(config.lake_location)
    with lake_lease(config, args):  # never beside another writer: VACUUM deletes files a writer may still need
        from jobs.housekeeping import run_housekeeping

        print(run_housekeeping(config))
    return 0


def run_runs_command(args: argparse.Namespace) -> int:
    from jobs.runs import format_runs, recent_runs

    config = config_from_args(args).with_spark(ui_enabled=False)
    runs = recent_runs(config, args.limit)
    if args.json:
        print(json.dumps(runs, indent=2, default=str))
    else:
        print(format_runs(runs))
    return 0


def run_sql_command(args: argparse.Namespace) -> int:
    from jobs.sql import formatted, run_query

    if args.limit < 1:
        raise UsageError(f"--limit must be >= 1, got {args.limit}")
    config = config_from_args(args)
    _require_lake(config.lake_location)
    result = run_query(config, args.query, args.limit)
    print(formatted(result, args.output))
    if result.truncated:
        log.warning("only the first %d rows are printed; --limit N prints more", args.limit)
    return 0


def run_report_command(args: argparse.Namespace) -> int:
    config = config_from_args(args).with_spark(ui_enabled=False)
    _require_lake(config.lake_location)
    with lake_lease(config, args):  # the page is written into the lake, and reads a history no erasure is changing
        from influence.session import build_spark
        from influence.storage import Lake
        from stages.report import write_report

        spark = build_spark(config, app_name=f"influence-report-{args.date}")
        print(f"wrote {write_report(Lake(spark, config.lake_location), args.date)}")
    return 0


def _require_lake(lake: LakeLocation, new_is_fine: bool = False) -> None:
    """A local lake must be a folder; a night (new_is_fine) may create it, other commands need it to exist. An
    object store is not asked before Spark starts: the command finds its tables, or says which is missing."""
    if not lake.is_local:
        return
    folder = lake.local_root
    if new_is_fine and not folder.exists():
        return
    if not folder.is_dir():
        raise UsageError(f"lake {lake} {'exists and is not a folder' if folder.exists() else 'does not exist'}")


def run_publish_command(args: argparse.Namespace) -> int:
    # Refusals come before Spark starts; the checks of what is staged come before anything is written.
    if not args.force:
        raise UsageError(
            f"publishing {args.date} overrides its failed validation: add --force and --reason TEXT to do it on purpose"
        )
    if not (args.reason or "").strip():
        raise UsageError("--reason must say why the night is published despite its failed validation (it goes into the run log)")
    config = config_from_args(args)
    _require_lake(config.lake_location)
    with lake_lease(config, args):
        from jobs.publish import force_publish  # imports Great Expectations: seconds a refusal need not wait

        print(force_publish(config, args.date, args.reason.strip()))
    return 0


def run_rollback_command(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    _require_lake(config.lake_location)
    with lake_lease(config, args):
        from jobs.publish import rollback

        print(rollback(config, args.to_version))
    return 0


def run_export_command(args: argparse.Namespace) -> int:
    # Refusals that need no Spark (finished or foreign --out, no lake) come before it starts; see jobs/export.py.
    # Nothing is written to the lake, but the lease keeps an erasure from purging the history being exported.
    from jobs.export import ExportRequest, check_request, export

    config = config_from_args(args)
    request = ExportRequest(args.date, Path(args.out).expanduser().resolve(), args.format, args.since_version)
    check_request(request, config.lake_location)
    with lake_lease(config, args):
        print(export(config, request))
    return 0


def run_calibrate_command(args: argparse.Namespace) -> int:
    config = config_from_args(args).with_spark(ui_enabled=False)
    _require_lake(config.lake_location)
    with lake_lease(config, args):  # reads the scores while no night or erasure changes them
        return _calibrate(args, config)


def _calibrate(args: argparse.Namespace, config: Config) -> int:
    from pyspark.sql import functions as F

    from influence import storage
    from influence.model import build_reference
    from influence.session import build_spark
    from influence.tables import INFLUENCE_SCORES

    spark = build_spark(config, app_name="influence-calibrate")
    if not storage.exists(spark, INFLUENCE_SCORES, config.lake_location):
        raise UsageError(f"no {INFLUENCE_SCORES.qualified_name} in lake {config.lake_location}: run nightly first")
    scores = storage.read(spark, INFLUENCE_SCORES, config.lake_location).filter(F.col("run_date") == F.lit(args.date))
    if not scores.take(1):
        raise UsageError(f"gold/influence_scores holds no scores for {args.date}")
    description = args.description or f"influence_scores of {args.date} in {config.lake_location}"
    reference = build_reference(scores, args.version, description)
    Path(args.out).expanduser().write_text(json.dumps(reference, indent=2) + "\n", encoding="utf-8")
    print(f"wrote reference {args.version} from {reference['persons']} persons to {args.out}")
    return 0


def run_governance_command(args: argparse.Namespace) -> int:
    from influence.governance import cli_request, parse_account, parse_person

    subject = parse_account(args.account) if args.account else parse_person(args.person)
    config = config_from_args(args).with_spark(ui_enabled=False)
    _require_lake(config.lake_location)
    with lake_lease(config, args):  # the holder names the command only, never the subject
        from jobs.privacy import run_request  # imports Great Expectations: seconds a refusal need not wait

        print(run_request(config, cli_request(subject, args.action, args.reference)))
    return 0


def run_access_command(args: argparse.Namespace) -> int:
    # Refusals (bad subject, --out a folder, no lake) come before Spark starts; see jobs/access.py.
    from influence.governance import parse_account, parse_person

    subject = parse_account(args.account) if args.account else parse_person(args.person)
    config = config_from_args(args).with_spark(ui_enabled=False)
    _require_lake(config.lake_location)
    from jobs.access import check_out, run_access

    out = check_out(args.out)
    with lake_lease(config, args):  # the run log is written; the holder never names the subject
        print(run_access(config, subject, out))
    return 0


def run_validate_config_command(args: argparse.Namespace) -> int:
    # Only reads the file and the environment: no Spark, no lake. A problem raises UsageError (exit 2).
    config = load_config(args.file, overrides=args.overrides)
    if args.json:
        print(json.dumps(config_as_dict(config), indent=2))
    else:
        print(f"{args.file or 'defaults'}: ok")
        print(config_as_toml(config), end="")
    return 0


def run_generate_command(args: argparse.Namespace) -> int:
    # Pure Python (no Spark, no lake): every problem with the arguments is found before a line is written.
    import time

    from influence.generator import GeneratorSpec, generate

    spec = GeneratorSpec(
        persons=args.persons,
        interactions=args.interactions,
        sources=tuple(name.strip() for name in args.networks.split(",") if name.strip()),
        days=args.days,
        seed=args.seed,
        start=args.start,
        malformed_fraction=args.malformed_fraction,
        farm_size=args.farm_size,
        ring_size=args.ring_size,
    )
    problems = spec.problems()
    out = Path(args.out).expanduser()
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        problems.append(f"--out {out} must be a new or empty folder")
    if problems:
        raise UsageError("; ".join(problems))
    started = time.perf_counter()
    manifest = generate(spec, out)
    lines = sum(tally["lines"] for day in manifest["days"].values() for tally in day.values())
    print(
        f"wrote {lines:,} lines ({args.interactions:,} interactions, {manifest['farm']['accounts']} farm and "
        f"{len(manifest['ring']['accounts'])} ring accounts) for {args.days} day(s) to {out} in "
        f"{time.perf_counter() - started:.1f}s; manifest {out / 'generated.json'}"
    )
    return 0


def run_jars_command(args: argparse.Namespace) -> int:
    from influence.jars import HADOOP_AWS, export_jars

    copied = export_jars(Path(args.out).expanduser().resolve(), (HADOOP_AWS,) if args.s3a else ())
    print(f"copied {len(copied)} jar(s) to {args.out}; use it with INFLUENCE_JARS_DIR={args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse: 2 for bad arguments, 0 for --help
        return int(exit_.code or 0)
    configure_logging(args.log_format, args.verbose)
    try:
        return args.handler(args)
    except InfluenceError as error:
        log.error("%s", error)
        return error.exit_code
    except Exception:
        log.exception("influence %s failed", args.command)
        return 3


if __name__ == "__main__":
    sys.exit(main())
