"""Airflow DAG: the nightly influence run, one run date a day (docs/operations.md#airflow).

Copy this file into the DAGs folder and set LAKE, LANDING and INFLUENCE below. It uses BashOperator only, so
the worker needs nothing of the project but the `influence` command; Airflow is not a dependency of the project.

What the task does with each exit code of `influence nightly`:
  0  published (or added to the score history): success.
  1  validation failed, nothing published: fail at once and alert, no retry (the same data fails the same
     way). Read the night's Data Docs (`influence runs --json`); publish on purpose with
     `influence publish --date D --force --reason TEXT`, or fix the landing folder and clear the task.
  2  bad arguments, config, input location or a missing jar, nothing written: fail at once and alert, no retry.
  3  any other failure: one more try after FAILURE_DELAY_SECONDS (rerunning a date is idempotent), then fail.
  4  lake busy: another writer (a backfill, an erasure, a forced publish) holds the lake's lease and nothing
     was written: try again every BUSY_DELAY_SECONDS, up to BUSY_ATTEMPTS tries, then fail and alert (a writer
     that holds the lake that long may be stuck: `cat LAKE/_lease/holder.json` names it).

Airflow's own retries would retry every non-zero exit alike, including 1 and 2, so the task has retries=0 and the
loop of the Bash script retries 3 and 4 only. Alerting is Airflow's usual failure alert: set `email` and
`email_on_failure`, or an `on_failure_callback`, in default_args.
"""

from __future__ import annotations

import datetime as dt

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.4 or later
    from airflow import DAG
    from airflow.operators.bash import BashOperator

INFLUENCE = "influence"  # the command, e.g. /opt/influence-lakehouse/.venv/bin/influence
LAKE = "/data/influence/lakehouse"
LANDING = "/data/influence/landing"  # one landing folder per run date: LANDING/<YYYY-MM-DD>/<source>/<files>

BUSY_ATTEMPTS = 6  # exit 4: six tries ten minutes apart, an hour in all
BUSY_DELAY_SECONDS = 600
FAILURE_ATTEMPTS = 2  # exit 3: the first try and one more
FAILURE_DELAY_SECONDS = 900

# Rendered by Airflow's Jinja when the task runs: {{ ds }} is the run's logical date, YYYY-MM-DD.
NIGHTLY_SCRIPT = """
busy=0
failed=0
while true; do
    "{{ params.influence }}" nightly --date "{{ ds }}" --lake "{{ params.lake }}" --input "{{ params.landing }}/{{ ds }}"
    code=$?
    case "$code" in
        4)  # lake busy: nothing was written, try again later
            busy=$((busy + 1))
            [ "$busy" -lt {{ params.busy_attempts }} ] || exit 4
            delay={{ params.busy_delay_seconds }} ;;
        3)  # another failure: one more try
            failed=$((failed + 1))
            [ "$failed" -lt {{ params.failure_attempts }} ] || exit 3
            delay={{ params.failure_delay_seconds }} ;;
        *)  # 0 done; 1 validation failed and 2 bad arguments: a retry would end the same way
            exit "$code" ;;
    esac
    echo "influence nightly exited with $code: trying again in $delay s" >&2
    sleep "$delay"
done
"""

with DAG(
    dag_id="influence_nightly",
    schedule="@daily",
    start_date=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
    catchup=False,
    max_active_runs=1,  # one night at a time; the lease would refuse a second one anyway (exit 4)
    default_args={"retries": 0},  # add email / email_on_failure or on_failure_callback for alerts
    tags=["influence"],
) as dag:
    BashOperator(
        task_id="nightly",
        bash_command=NIGHTLY_SCRIPT,
        params={
            "influence": INFLUENCE,
            "lake": LAKE,
            "landing": LANDING,
            "busy_attempts": BUSY_ATTEMPTS,
            "busy_delay_seconds": BUSY_DELAY_SECONDS,
            "failure_attempts": FAILURE_ATTEMPTS,
            "failure_delay_seconds": FAILURE_DELAY_SECONDS,
        },
        retries=0,  # retries happen in the script, by exit code
        execution_timeout=dt.timedelta(hours=6),
    )
