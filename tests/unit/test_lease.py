"""The lake's writer lease (influence/lease.py) and its wiring into the CLI, without Spark: one writer per lake,
refused at once with exit 4 naming the holder, heartbeats, takeover of a dead holder, and the Airflow example."""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import json
import multiprocessing
import os
import py_compile
import re
import socket
import stat
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from influence.errors import LakeBusy, UsageError
from influence.lease import (
    TAKEN_OVER_FILE,
    TIMEOUT_ENV,
    LakeLease,
    current_holder,
    holder_path,
    is_running,
    this_machine,
)
from jobs.cli import main

ROOT = Path(__file__).resolve().parents[2]
DAG_FILE = ROOT / "examples" / "airflow" / "influence_nightly.py"

# Takes the lease of the lake argv[1] as a nightly would, says so, and holds it until killed.
HOLDER_SCRIPT = """
import sys, time
from influence.lease import LakeLease
LakeLease(sys.argv[1], "nightly", run_date="2012-07-02", run_id="night-of-the-holder").acquire()
print("held", flush=True)
time.sleep(300)
"""


@pytest.fixture(autouse=True)
def default_timeout(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)


@pytest.fixture
def holder_process():
    """start(lake): a separate Python process holding the lake's lease; killed at the end of the test."""
    started: list[subprocess.Popen] = []

    def start(lake: Path) -> subprocess.Popen:
        process = subprocess.Popen([sys.executable, "-c", HOLDER_SCRIPT, str(lake)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        started.append(process)
        assert process.stdout.readline().strip() == "held"
        return process

    yield start
    for process in started:
        process.kill()
        process.wait()
        process.stdout.close()


def dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def plant_holder(lake: Path, **fields) -> None:
    """A lease file as another command would leave it: this machine, a running pid, unless fields say otherwise."""
    record = {
        "command": "nightly",
        "run_date": "2012-07-01",
        "run_id": "planted",
        **this_machine(),
        "pid": os.getpid(),
        "since": "2012-07-01T00:00:00Z",
        "timeout_seconds": 120.0,
        "token": "planted-token",
        **fields,
    }
    path = holder_path(lake)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record), encoding="utf-8")


def age_heartbeat(lake: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(holder_path(lake), (then, then))


def taken_over(lake: Path) -> dict:
    return json.loads((holder_path(lake).parent / TAKEN_OVER_FILE).read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------------- the lease


def test_acquire_names_the_holder_and_release_frees_the_lake(tmp_path):
    lake = tmp_path / "new-lake"  # a first night: the lake folder does not exist yet
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with LakeLease(lake, "nightly", run_date=dt.date(2012, 7, 3), run_id="run-1"):
        holder = current_holder(lake)
        assert holder_path(lake).is_file()
        assert {key: holder[key] for key in ("command", "run_date", "run_id", "host", "pid", "gone")} == {
            "command": "nightly",
            "run_date": "2012-07-03",
            "run_id": "run-1",
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "gone": None,
        }
        since = dt.datetime.strptime(holder["since"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        assert before <= since <= before + dt.timedelta(seconds=5)
        assert "token" not in holder
    assert current_holder(lake) is None
    assert not holder_path(lake).exists()
    assert LakeLease(lake, "publish").acquire().is_held()  # free again


def test_a_second_writer_is_refused_naming_the_holder(tmp_path):
    first = LakeLease(tmp_path, "nightly", run_date="2012-07-03", run_id="run-1").acquire()
    since = current_holder(tmp_path)["since"]
    with pytest.raises(LakeBusy) as refused:
        LakeLease(tmp_path, "erase").acquire()
    message = str(refused.value)
    assert refused.value.exit_code == 4
    for part in ("nightly 2012-07-03 (run run-1)", f"host {socket.gethostname()}", f"pid {os.getpid()}", f"since {since}"):
        assert part in message
    assert "Retry when it has finished" in message
    assert current_holder(tmp_path)["run_id"] == "run-1", "the refused command changed the lease"
    first.release()
    assert LakeLease(tmp_path, "erase").acquire().is_held()


def test_the_heartbeat_keeps_the_lease(tmp_path):
    with LakeLease(tmp_path, "nightly", timeout_seconds=1.0, heartbeat_seconds=0.1):
        taken_at = holder_path(tmp_path).stat().st_mtime
        time.sleep(2.5)  # well past the timeout: only the heartbeat keeps the lease alive
        assert holder_path(tmp_path).stat().st_mtime > taken_at + 2.0
        with pytest.raises(LakeBusy):
            LakeLease(tmp_path, "erase", timeout_seconds=1.0).acquire()


def test_an_expired_heartbeat_is_taken_over(tmp_path):
    LakeLease(tmp_path, "nightly", run_id="stalled", heartbeat_seconds=3600).acquire()  # 120 s timeout, no beat
    age_heartbeat(tmp_path, 100)
    with pytest.raises(LakeBusy):
        LakeLease(tmp_path, "publish").acquire()
    age_heartbeat(tmp_path, 121)
    with LakeLease(tmp_path, "publish"):
        assert current_holder(tmp_path)["command"] == "publish"
        assert taken_over(tmp_path)["run_id"] == "stalled"


def test_release_does_not_remove_someone_elses_lease(tmp_path):
    stalled = LakeLease(tmp_path, "nightly", run_id="stalled", heartbeat_seconds=3600).acquire()
    age_heartbeat(tmp_path, 121)
    newer = LakeLease(tmp_path, "publish", run_id="newer").acquire()
    assert not stalled.is_held()
    stalled.release()
    assert current_holder(tmp_path)["run_id"] == "newer"
    assert newer.is_held()
    newer.release()
    assert current_holder(tmp_path) is None


def test_the_heartbeat_notices_a_lost_lease(tmp_path, caplog):
    holder = LakeLease(tmp_path, "nightly", heartbeat_seconds=0.05).acquire()
    holder_path(tmp_path).unlink()  # an operator removed it by hand, and another writer came
    LakeLease(tmp_path, "erase", run_id="other").acquire()
    deadline = time.monotonic() + 5
    while not holder.lost and time.monotonic() < deadline:
        time.sleep(0.05)
    assert holder.lost
    assert "was taken over" in caplog.text
    holder.release()
    assert current_holder(tmp_path)["run_id"] == "other"


def test_a_killed_holder_on_this_host_is_taken_over_at_once(tmp_path, holder_process):
    process = holder_process(tmp_path)
    with pytest.raises(LakeBusy, match=f"pid {process.pid},"):
        LakeLease(tmp_path, "nightly").acquire()
    process.kill()
    process.wait()
    started = time.monotonic()
    with LakeLease(tmp_path, "nightly", run_id="next"):  # 120 s timeout: only the dead pid lets it in
        assert time.monotonic() - started < 5
        assert current_holder(tmp_path)["run_id"] == "next"
    assert taken_over(tmp_path)["pid"] == process.pid


def test_a_killed_process_not_yet_reaped_counts_as_gone():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert is_running(process.pid)
        process.kill()
        deadline = time.monotonic() + 5
        while is_running(process.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not is_running(process.pid)
        assert process.poll() is not None  # only now reaped
    finally:
        process.kill()
        process.wait()
    assert is_running(os.getpid())


@pytest.mark.parametrize(
    "elsewhere",
    [{"host": "another-host"}, {"pid_namespace": "pid:[1]"}],
    ids=["another host", "another container on this host"],
)
def test_a_dead_pid_elsewhere_waits_for_the_heartbeat(tmp_path, elsewhere):
    plant_holder(tmp_path, pid=dead_pid(), **elsewhere)  # the pid means nothing here
    with pytest.raises(LakeBusy, match="planted"):
        LakeLease(tmp_path, "nightly").acquire()
    age_heartbeat(tmp_path, 121)
    with LakeLease(tmp_path, "nightly"):
        assert taken_over(tmp_path)["run_id"] == "planted"


def test_a_lease_from_before_a_restart_is_taken_over_at_once(tmp_path):
    if this_machine()["boot_id"] is None:
        pytest.skip("no boot id on this system")
    plant_holder(tmp_path, boot_id="an-earlier-boot")  # its pid may well belong to another process now
    with LakeLease(tmp_path, "nightly"):
        assert taken_over(tmp_path)["boot_id"] == "an-earlier-boot"


def test_the_holder_states_its_own_timeout(tmp_path):
    plant_holder(tmp_path, host="another-host", timeout_seconds=3600.0)
    age_heartbeat(tmp_path, 600)
    with pytest.raises(LakeBusy, match="after 3600 s without a heartbeat"):
        LakeLease(tmp_path, "nightly", timeout_seconds=1).acquire()


def test_two_lakes_are_independent(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    with LakeLease(one, "nightly", run_id="in-one"), LakeLease(two, "nightly", run_id="in-two"):
        assert (current_holder(one)["run_id"], current_holder(two)["run_id"]) == ("in-one", "in-two")
        with pytest.raises(LakeBusy, match="in-one"):
            LakeLease(one, "erase").acquire()


def test_the_timeout_comes_from_the_environment(monkeypatch, tmp_path):
    assert LakeLease(tmp_path, "nightly").timeout_seconds == 120
    monkeypatch.setenv(TIMEOUT_ENV, "5")
    lease = LakeLease(tmp_path, "nightly")
    assert (lease.timeout_seconds, lease.heartbeat_seconds) == (5, 0.625)
    assert LakeLease(tmp_path, "nightly", timeout_seconds=7).timeout_seconds == 7
    for bad in ("five", "0", "-1", "nan", "inf"):
        monkeypatch.setenv(TIMEOUT_ENV, bad)
        with pytest.raises(UsageError, match=TIMEOUT_ENV):
            LakeLease(tmp_path, "nightly")


def contend(lake: str, ready, done, results) -> None:
    """One of the racing processes: take the lease at the same moment as the others, hold it until told."""
    ready.wait()
    try:
        lease = LakeLease(lake, "race", run_id=f"racer-{os.getpid()}").acquire()
    except LakeBusy:
        results.put(("refused", os.getpid()))
        return
    results.put(("won", os.getpid()))
    done.wait(60)
    lease.release()


@pytest.mark.parametrize("lake_state", ["free", "held by a dead process"])
def test_of_racing_processes_exactly_one_takes_the_lease(tmp_path, lake_state):
    if lake_state != "free":
        plant_holder(tmp_path, pid=dead_pid())
    racers = 6
    context = multiprocessing.get_context("spawn")
    ready, done, results = context.Barrier(racers), context.Event(), context.Queue()
    processes = [context.Process(target=contend, args=(str(tmp_path), ready, done, results)) for _ in range(racers)]
    for process in processes:
        process.start()
    try:
        outcomes = [results.get(timeout=60) for _ in range(racers)]
        winners = [pid for outcome, pid in outcomes if outcome == "won"]
        assert len(winners) == 1, outcomes
        assert current_holder(tmp_path)["pid"] == winners[0]
        if lake_state != "free":
            assert taken_over(tmp_path)["run_id"] == "planted", "a winner's lease was taken over by another racer"
    finally:
        done.set()
        for process in processes:
            process.join(30)
            if process.is_alive():
                process.kill()


# ---------------------------------------------------------------------------------------------- the CLI


def refuse_spark(*args, **kwargs):
    raise AssertionError("Spark started although another writer holds the lake")


@pytest.fixture
def no_spark(monkeypatch):
    """Spark must not start: every path to build_spark the writing commands take fails the command (exit 3)."""
    # every module imported before any is patched: one imported meanwhile would keep refuse_spark for good
    modules = [
        importlib.import_module(name)
        for name in ("influence.session", "jobs.export", "jobs.access", "jobs.privacy", "jobs.publish")
    ]
    for module in modules:
        monkeypatch.setattr(module, "build_spark", refuse_spark)


WRITERS = {
    "nightly": ["nightly", "--date", "2012-07-03"],  # the bundled sample, no --input
    "erase": ["erase", "--account", "snap:1"],
    "optout": ["optout", "--account", "snap:1"],
    "optin": ["optin", "--person", "p-1"],
    "publish": ["publish", "--date", "2012-07-03", "--force", "--reason", "checked by hand"],
    "rollback": ["rollback", "--to-version", "1"],
    "export": ["export", "--date", "2012-07-03", "--format", "jsonl", "--out", "{tmp}/export"],
    "calibrate": ["calibrate", "--date", "2012-07-03", "--out", "{tmp}/reference.json", "--version", "v9"],
    "access": ["access", "--person", "p-1", "--out", "{tmp}/access.json"],
}


@pytest.mark.parametrize("command", WRITERS)
def test_a_writing_command_is_refused_with_exit_4_before_spark(tmp_path, caplog, holder_process, no_spark, command):
    lake = tmp_path / "lake"
    lake.mkdir()  # publish, erase and the others require an existing lake
    holder = holder_process(lake)
    argv = [part.replace("{tmp}", str(tmp_path)) for part in WRITERS[command]] + ["--lake", str(lake)]
    started = time.monotonic()
    code = main(argv)
    assert (code, time.monotonic() - started < 5) == (4, True), caplog.text
    assert f"pid {holder.pid}," in caplog.text and "night-of-the-holder" in caplog.text
    assert "is busy" in caplog.text
    assert sorted(path.name for path in lake.iterdir()) == ["_lease"], "something was written to the lake"
    assert sorted(path.name for path in (lake / "_lease").iterdir()) == ["holder.json", "lock"]
    assert current_holder(lake)["pid"] == holder.pid
    assert sorted(path.name for path in tmp_path.iterdir()) == ["lake"], "an output was written"


# `influence ARGV` in a fresh interpreter, with a build_spark that exits 99 instead of starting Spark.
CLI_SCRIPT = """
import sys
import influence.session

def refuse_spark(*args, **kwargs):
    sys.exit(99)

influence.session.build_spark = refuse_spark
from jobs.cli import main
code = main(sys.argv[1:])
print("great_expectations imported:", "great_expectations" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


@pytest.mark.parametrize("command", ["nightly", "erase", "publish"])
def test_a_refusal_in_a_fresh_process_takes_well_under_5_seconds(tmp_path, holder_process, command):
    # In a fresh interpreter the imports count too (Great Expectations alone takes seconds): none may come first.
    lake = tmp_path / "lake"
    lake.mkdir()
    holder = holder_process(lake)
    argv = [*WRITERS[command], "--lake", str(lake)]
    started = time.monotonic()
    finished = subprocess.run([sys.executable, "-c", CLI_SCRIPT, *argv], capture_output=True, text=True, cwd=ROOT, timeout=60)
    seconds = time.monotonic() - started
    assert finished.returncode == 4, finished.stderr
    assert f"pid {holder.pid}," in finished.stderr
    assert seconds < 5, f"refused after {seconds:.1f} s"
    assert "great_expectations imported: False" in finished.stderr, "a slow import came before the lease"


def test_readers_need_no_lease(tmp_path, holder_process, capsys):
    holder_process(tmp_path)
    assert main(["validate-config"]) == 0
    assert "defaults: ok" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------- Airflow


def test_the_airflow_example_compiles_and_runs_the_nightly(tmp_path):
    py_compile.compile(str(DAG_FILE), cfile=str(tmp_path / "dag.pyc"), doraise=True)
    assert "influence nightly" in DAG_FILE.read_text(encoding="utf-8")


def load_dag(monkeypatch) -> list[dict]:
    """Import the example against a stand-in for Airflow; returns the BashOperators' arguments."""
    operators: list[dict] = []

    class DAG:
        def __init__(self, **kwargs):
            self.kwargs = kwargs

        def __enter__(self):
            return self

        def __exit__(self, *exc_info):
            return None

    airflow = types.ModuleType("airflow")
    airflow.DAG = DAG
    bash = types.ModuleType("airflow.operators.bash")
    bash.BashOperator = lambda **kwargs: operators.append(kwargs)
    monkeypatch.setitem(sys.modules, "airflow", airflow)
    monkeypatch.setitem(sys.modules, "airflow.operators", types.ModuleType("airflow.operators"))
    monkeypatch.setitem(sys.modules, "airflow.operators.bash", bash)
    spec = importlib.util.spec_from_file_location("influence_nightly_dag", DAG_FILE)
    spec.loader.exec_module(importlib.util.module_from_spec(spec))
    return operators


def render(template: str, ds: str, params: dict) -> str:
    """The two kinds of Jinja expression the script uses: {{ ds }} and {{ params.NAME }}."""

    def value(match: re.Match) -> str:
        name = match[1]
        return ds if name == "ds" else str(params[name.removeprefix("params.")])

    rendered = re.sub(r"\{\{\s*([\w.]+)\s*\}\}", value, template)
    assert "{{" not in rendered and "{%" not in rendered
    return rendered


@pytest.mark.parametrize(
    "exits, code, tries",
    [
        ([0], 0, 1),
        ([1], 1, 1),  # validation failed: no retry
        ([2], 2, 1),  # bad arguments: no retry
        ([4, 4, 0], 0, 3),  # lake busy: tried again
        ([4] * 6, 4, 6),  # ... up to BUSY_ATTEMPTS tries
        ([3, 0], 0, 2),  # another failure: one more try
        ([3, 3], 3, 2),
        ([4, 3, 1], 1, 3),
    ],
)
def test_the_airflow_task_retries_by_exit_code(tmp_path, monkeypatch, exits, code, tries):
    (task,) = load_dag(monkeypatch)
    assert task["retries"] == 0, "Airflow's retries would retry exit 1 and 2 too"
    fake = tmp_path / "influence"
    fake.write_text('#!/bin/bash\necho "$*" >> "$CALLS"\nexit "$(sed -n "$(wc -l < "$CALLS")p" "$EXITS")"\n')
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    (tmp_path / "exits").write_text("".join(f"{exit_}\n" for exit_ in exits))
    params = {**task["params"], "influence": str(fake), "busy_delay_seconds": 0, "failure_delay_seconds": 0}
    script = render(task["bash_command"], "2012-07-03", params)
    environment = {**os.environ, "CALLS": str(tmp_path / "calls"), "EXITS": str(tmp_path / "exits")}
    finished = subprocess.run(["bash", "-c", script], env=environment, capture_output=True, text=True, timeout=30)
    calls = (tmp_path / "calls").read_text().splitlines()
    assert (finished.returncode, len(calls)) == (code, tries), finished.stderr
    lake, landing = task["params"]["lake"], task["params"]["landing"]
    assert calls[0] == f"nightly --date 2012-07-03 --lake {lake} --input {landing}/2012-07-03"
