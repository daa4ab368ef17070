"""A Spark standalone cluster on this machine, started from the installed pyspark: one master and N workers.

For trying `--master spark://...` without a cluster at hand, and for the test that compares a cluster
night with a local one (docs/operations.md#a-standalone-cluster). A real cluster starts the same master
and workers on its own hosts.

    python -m influence.cluster [--workers 2] -- influence nightly --date 2012-07-03 --lake ./lakehouse

starts the cluster, runs the command with SPARK_MASTER set to its address, and stops the cluster, whatever
the command's outcome; its exit code is the command's. Without a command it runs until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyspark

from influence.errors import EnvironmentProblem
from influence.jars import require_supported_java

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class StandaloneCluster:
    master: str  # spark://HOST:PORT, for --master or SPARK_MASTER
    status_url: str  # the master's JSON status page (workers, applications)
    folder: Path  # the daemons' logs and the workers' scratch folders

    def status(self) -> dict:
        with urllib.request.urlopen(self.status_url, timeout=5) as response:
            return json.load(response)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _daemon(command: list[str], log: Path) -> subprocess.Popen:
    spark_home = Path(pyspark.__file__).parent
    # A taken port stops the daemon (and the start fails, naming its log) instead of Spark quietly binding
    # the next one, where nobody would look for it.
    options = f"{os.environ.get('SPARK_DAEMON_JAVA_OPTS', '')} -Dspark.port.maxRetries=0".strip()
    env = {**os.environ, "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": HOST, "SPARK_DAEMON_JAVA_OPTS": options}
    with log.open("ab") as output:
        # a process group of its own: stopping the cluster stops the JVM and the executors it started
        return subprocess.Popen(
            [str(spark_home / "bin" / "spark-class"), *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def _stop(process: subprocess.Popen) -> None:
    # the whole group, even when its first process has exited: a worker's executors may outlive it
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_TIMEOUT_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _wait_for_workers(cluster: StandaloneCluster, workers: int, daemons: list[tuple[subprocess.Popen, Path]]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    alive = 0
    while time.monotonic() < deadline:
        for process, log in daemons:
            if process.poll() is not None:
                raise EnvironmentProblem(
                    f"a Spark standalone daemon exited with code {process.returncode} while starting; see {log}"
                )
        with contextlib.suppress(OSError, ValueError):
            alive = cluster.status().get("aliveworkers", 0)
            if alive >= workers:
                return
        time.sleep(0.5)
    raise EnvironmentProblem(
        f"the standalone cluster had {alive} of {workers} workers after {START_TIMEOUT_SECONDS:.0f} s; "
        f"see the logs in {cluster.folder}"
    )


@contextlib.contextmanager
def standalone_cluster(
    folder: Path | None = None, workers: int = 2, cores_per_worker: int = 1, memory_per_worker: str = "2g"
) -> Iterator[StandaloneCluster]:
    """A master and `workers` workers on 127.0.0.1, on free ports, registered and ready when this yields;
    stopped on leaving, also after an error. folder: where logs and scratch go; when None, a new temporary
    folder, removed after a clean exit and kept (for its logs) after an error."""
    if workers < 1 or cores_per_worker < 1:
        raise ValueError("a standalone cluster needs at least one worker with at least one core")
    require_supported_java()
    temporary = folder is None
    folder = Path(tempfile.mkdtemp(prefix="influence-cluster-")) if folder is None else Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    ui_port = next(candidate for candidate in iter(free_port, None) if candidate != port)
    cluster = StandaloneCluster(f"spark://{HOST}:{port}", f"http://{HOST}:{ui_port}/json/", folder)
    daemons: list[tuple[subprocess.Popen, Path]] = []
    try:
        log = folder / "master.log"
        master = ["org.apache.spark.deploy.master.Master", "--host", HOST, "--port", str(port), "--webui-port", str(ui_port)]
        daemons.append((_daemon(master, log), log))
        for number in range(workers):
            log = folder / f"worker-{number}.log"
            worker = [
                "org.apache.spark.deploy.worker.Worker",
                *("--host", HOST, "--webui-port", "0"),
                *("--cores", str(cores_per_worker), "--memory", memory_per_worker),
                *("--work-dir", str(folder / f"worker-{number}")),
                cluster.master,
            ]
            daemons.append((_daemon(worker, log), log))
        _wait_for_workers(cluster, workers, daemons)
        yield cluster
    finally:
        for process, _ in reversed(daemons):  # workers first, then the master
            _stop(process)
    if temporary:
        shutil.rmtree(folder, ignore_errors=True)


def _exit_on_signal(signum: int, _frame) -> None:
    raise SystemExit(128 + signum)  # unwinds through standalone_cluster, which stops the daemons


def run_command(command: Sequence[str], master: str) -> int:
    """The command's exit code. A SIGTERM or SIGHUP to us is passed on to it, and Ctrl-C (which the terminal
    sends to it too) waits for it to stop its own way: a night records why it stopped before it exits."""
    child = subprocess.Popen(list(command), env={**os.environ, "SPARK_MASTER": master})
    forwarded = (signal.SIGTERM, signal.SIGHUP)
    previous = {signum: signal.signal(signum, lambda signum, _frame: child.send_signal(signum)) for signum in forwarded}
    try:
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:
                continue
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m influence.cluster",
        description="Start a Spark standalone master and workers on this machine, run COMMAND against them "
        "(SPARK_MASTER set), then stop them.",
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cores", type=int, default=1, help="cores per worker")
    parser.add_argument("--memory", default="2g", help="memory per worker")
    parser.add_argument("--folder", type=Path, help="logs and scratch (default: a new temporary folder)")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- COMMAND ARGS... (none: run until interrupted)")
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    try:
        with standalone_cluster(args.folder, args.workers, args.cores, args.memory) as cluster:
            print(f"standalone cluster {cluster.master} ({args.workers} workers; logs in {cluster.folder})", flush=True)
            if not command:
                with contextlib.suppress(KeyboardInterrupt):
                    signal.pause()
                return 0
            try:
                return run_command(command, cluster.master)
            except OSError as error:  # not found, not executable
                print(f"error: cannot run {command[0]!r}: {error.strerror or error}", file=sys.stderr)
                return 2
    except EnvironmentProblem as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
