"""One writer per lake: the lease every writing command holds while it runs (docs/operations.md#the-lease).

The lease is the file `<lake>/_lease/holder.json` (for an object-store lake, in its local ops folder: an object
store has no lock and no atomic create-if-absent, influence/location.py). It names its holder (command, run
date, run id, host, pid, since when, in UTC) and carries a random token; the file's modification time is the holder's heartbeat, which a
daemon thread refreshes every timeout/8 seconds. A command that finds a live holder stops at once with LakeBusy
(exit 4), naming it. A holder counts as gone, and the next writer takes its lease over, when
  - its heartbeat is older than its timeout (INFLUENCE_LEASE_TIMEOUT_SECONDS, 120 s by default), or
  - it ran on this machine (same host name and pid namespace) and its pid is no longer running, or the machine
    has restarted since: then at once, so a killed run does not block the next one for the timeout.

Atomicity, on a local filesystem (or NFS): the holder file is written complete under a temporary name and
published with os.link, which fails when holder.json exists, so a reader never sees half a file. Every change
of holder.json (take, take over, release) happens under an exclusive flock on `<lake>/_lease/lock`, held for a
few milliseconds and dropped by the kernel if its owner dies: two commands can never both judge one stale lease
and both take it over. A stale lease is renamed to `_lease/taken-over.json` (kept for the operator) before the
new one is linked; release removes holder.json only while it still carries our token.

Readers (`influence runs`, `status`, `validate-config`, `jars`, delta-rs, notebooks) never need the lease.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import math
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from influence.errors import LakeBusy, UsageError
from influence.location import LakeLike, LakeLocation, ops_folder

log = logging.getLogger(__name__)

LEASE_DIR = "_lease"
HOLDER_FILE = "holder.json"
TAKEN_OVER_FILE = "taken-over.json"
PROGRESS_FILE = "progress.json"
LOCK_FILE = "lock"
TIMEOUT_ENV = "INFLUENCE_LEASE_TIMEOUT_SECONDS"
DEFAULT_TIMEOUT_SECONDS = 120.0
HEARTBEATS_PER_TIMEOUT = 8  # a holder may miss several beats (a long GC pause, a busy disk) before it counts as gone
LOCK_WAIT_SECONDS = 10.0  # the lock is held for milliseconds: waiting longer means a stuck filesystem


def holder_path(lake: LakeLike) -> Path:
    return ops_folder(lake) / LEASE_DIR / HOLDER_FILE


def progress_path(lake: LakeLike) -> Path:
    """The stage the lease holder's run last started (influence.runlog): what a crashed run had reached."""
    return ops_folder(lake) / LEASE_DIR / PROGRESS_FILE


def record_progress(lake: LakeLike, run_id: str, stage: str) -> None:
    """Written whole under a temporary name, then renamed: a reader never sees half of it."""
    path = progress_path(lake)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{PROGRESS_FILE}.{os.getpid()}.tmp")
    partial.write_text(json.dumps({"run_id": run_id, "stage": stage, "at": _utc_iso(time.time())}) + "\n", encoding="utf-8")
    partial.replace(path)


def last_progress(lake: LakeLike) -> dict | None:
    try:
        return json.loads(progress_path(lake).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def timeout_from_environment() -> float:
    """INFLUENCE_LEASE_TIMEOUT_SECONDS, or 120 s; anything but a positive number is a usage error (exit 2)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{TIMEOUT_ENV} must be a positive number of seconds, got {text!r}")
    return seconds


def _utc_iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read_text(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def this_machine() -> dict[str, str | None]:
    """What decides whether a pid can be checked from here: the host name, and on Linux the boot and the pid
    namespace (containers sharing the host's name have pid namespaces of their own)."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = None
    return {
        "host": socket.gethostname(),
        "boot_id": _read_text("/proc/sys/kernel/random/boot_id"),
        "pid_namespace": namespace,
    }


def is_running(pid: int) -> bool:
    """Whether a process of this machine is running (a zombie, killed but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    stat = _read_text(f"/proc/{pid}/stat")  # "pid (name) state ...": the name may hold spaces and parentheses
    return not (stat and stat.rpartition(")")[2].split()[:1] == ["Z"])


def _read_holder(path: Path) -> tuple[dict, os.stat_result] | None:
    """The lease file's fields and stat, or None when there is none. A file that is not a JSON object (edited by
    hand) reads as a holder without fields: it can only expire."""
    try:
        with open(path, encoding="utf-8") as file:
            stat = os.fstat(file.fileno())
            text = file.read()
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        holder = json.loads(text)
    except ValueError:
        holder = {}
    return (holder if isinstance(holder, dict) else {}), stat


def _timeout_of(holder: dict, default: float) -> float:
    """The holder states how long it may stay silent; a file without a valid timeout gets ours."""
    seconds = holder.get("timeout_seconds")
    valid = isinstance(seconds, int | float) and not isinstance(seconds, bool) and math.isfinite(seconds) and seconds > 0
    return float(seconds) if valid else default


def gone_reason(holder: dict, heartbeat_age: float, timeout: float, machine: dict[str, str | None]) -> str | None:
    """Why the holder counts as gone, so its lease may be taken over; None while it may still be running."""
    if heartbeat_age > timeout:
        return f"no heartbeat for {heartbeat_age:.0f} s (timeout {timeout:g} s)"
    if holder.get("host") != machine["host"] or holder.get("pid_namespace") != machine["pid_namespace"]:
        return None  # another machine or container: only the heartbeat tells
    if holder.get("boot_id") and machine["boot_id"] and holder["boot_id"] != machine["boot_id"]:
        return "this machine has restarted since it took the lease"
    pid = holder.get("pid")
    if isinstance(pid, int) and not isinstance(pid, bool) and not is_running(pid):
        return f"pid {pid} is no longer running on this host"
    return None


def describe(holder: dict) -> str:
    """`nightly 2012-07-03 (run 2012-07-03_...) on host h, pid 123, since 2026-...Z`."""
    what = " ".join(str(part) for part in (holder.get("command"), holder.get("run_date")) if part) or "an unknown command"
    if holder.get("run_id"):
        what += f" (run {holder['run_id']})"
    return f"{what} on host {holder.get('host', '?')}, pid {holder.get('pid', '?')}, since {holder.get('since', '?')}"


def current_holder(lake: LakeLike) -> dict | None:
    """Who holds the lake's writer lease, for `influence status` and operators; None when the lake is free.

    The lease file's fields (command, run_date, run_id, host, pid, since, timeout_seconds, heartbeat_seconds),
    and `heartbeat` (UTC ISO time), `heartbeat_age_seconds` and `gone`: why the holder counts as gone and the next
    writer will take its lease over, or None. Reads one file; takes no lock and writes nothing."""
    found = _read_holder(holder_path(lake))
    if found is None:
        return None
    holder, stat = found
    age = max(time.time() - stat.st_mtime, 0.0)
    timeout = _timeout_of(holder, DEFAULT_TIMEOUT_SECONDS)
    shown = {key: value for key, value in holder.items() if key != "token"}
    return {
        **shown,
        "heartbeat": _utc_iso(stat.st_mtime),
        "heartbeat_age_seconds": round(age, 1),
        "gone": gone_reason(holder, age, timeout, this_machine()),
    }


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Exclusive flock on `_lease/lock` for the few milliseconds a change of holder.json takes."""
    fd = os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LakeBusy(
                        f"lake {folder.parent} is busy: {folder / LOCK_FILE} stayed locked for {LOCK_WAIT_SECONDS:g} s "
                        "(another command is taking or releasing the lease, or the filesystem is stuck); retry later"
                    ) from None
                time.sleep(0.01)
        yield
    finally:
        os.close(fd)  # closing drops the lock


class LakeLease:
    """The writer lease of one lake: `with LakeLease(lake, "nightly", run_date=d, run_id=r): ...`.

    Held from `acquire` (or entering the `with`) to `release`; a backfill can hold one across many nights.
    Raises LakeBusy (exit 4) naming the holder when a live command has it. The lake folder is created when
    missing (a first nightly). `timeout_seconds` defaults to INFLUENCE_LEASE_TIMEOUT_SECONDS or 120 s,
    `heartbeat_seconds` to an eighth of it."""

    def __init__(
        self,
        lake: LakeLike,
        command: str,
        *,
        run_date: dt.date | str | None = None,
        run_id: str | None = None,
        timeout_seconds: float | None = None,
        heartbeat_seconds: float | None = None,
    ):
        self.lake = LakeLocation.of(lake)
        self.path = holder_path(self.lake)
        self.command = command
        self.run_date = run_date.isoformat() if isinstance(run_date, dt.date) else run_date
        self.run_id = run_id
        self.timeout_seconds = float(timeout_seconds) if timeout_seconds is not None else timeout_from_environment()
        self.heartbeat_seconds = heartbeat_seconds or self.timeout_seconds / HEARTBEATS_PER_TIMEOUT
        self.token = uuid.uuid4().hex
        self.lost = False  # set by the heartbeat when another command has taken the lease over
        self._fd: int | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def _record(self) -> dict:
        return {
            "command": self.command,
            "run_date": self.run_date,
            "run_id": self.run_id,
            **this_machine(),
            "pid": os.getpid(),
            "since": _utc_iso(time.time()),
            "timeout_seconds": self.timeout_seconds,
            "heartbeat_seconds": self.heartbeat_seconds,
            "token": self.token,
        }

    def acquire(self) -> LakeLease:
        if self._fd is not None:
            raise RuntimeError(f"the lease of {self.lake} is already held by this object")
        folder = self.path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot create the lease folder {folder} of lake {self.lake}: {error}") from error
        record = self._record()
        temporary = folder / f".holder-{self.token}.tmp"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            data = memoryview((json.dumps(record, indent=2) + "\n").encode("utf-8"))
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
            with _locked(folder):
                self._link(temporary)
        except BaseException:
            os.close(fd)
            raise
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        self._fd = fd
        self._stop.clear()
        self._heartbeat = threading.Thread(target=self._beat, name=f"lease-heartbeat {self.lake}", daemon=True)
        self._heartbeat.start()
        log.info("lake %s: lease taken by %s", self.lake, describe(record))
        return self

    def _link(self, temporary: Path) -> None:
        """Publish our holder file as holder.json, taking over a gone holder's lease; under the lock."""
        for _ in range(3):  # a stale lease is moved aside once; more rounds only if someone ignores the lock
            try:
                os.link(temporary, self.path)
                return
            except FileExistsError:
                pass
            found = _read_holder(self.path)
            if found is None:
                continue
            holder, stat = found
            age = time.time() - stat.st_mtime
            reason = gone_reason(holder, age, _timeout_of(holder, self.timeout_seconds), this_machine())
            if reason is None:
                raise LakeBusy(self._busy_message(holder, age))
            os.replace(self.path, self.path.with_name(TAKEN_OVER_FILE))
            log.warning("lake %s: took over the lease of %s: %s", self.lake, describe(holder), reason)
        raise LakeBusy(f"lake {self.lake} is busy: its lease changed hands while it was being taken; retry later")

    def _busy_message(self, holder: dict, age: float) -> str:
        timeout = _timeout_of(holder, self.timeout_seconds)
        return (
            f"lake {self.lake} is busy: {describe(holder)} holds its writer lease (last heartbeat {max(age, 0):.0f} s ago). "
            f"Retry when it has finished (exit 4: nothing was written). A holder that died is taken over by the next "
            f"command: at once when its pid is gone from this host, otherwise after {timeout:g} s without a heartbeat. "
            f"Remove {self.path} by hand only if you are sure that writer is not running (docs/operations.md)."
        )

    def is_held(self) -> bool:
        """Whether holder.json is still ours (False once another command has taken it over)."""
        found = _read_holder(self.path) if self._fd is not None else None
        return found is not None and found[0].get("token") == self.token

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                os.utime(self._fd)  # our file, even when it has been moved aside: never someone else's lease
            except OSError as error:
                log.warning("lake %s: the lease heartbeat failed: %s", self.lake, error)
            if not self.lost and not self.is_held():
                # logged before the flag is set: whoever sees `lost` finds the reason in the log already
                log.error(
                    "lake %s: the lease of %s was taken over (its heartbeat stalled for more than %g s); "
                    "another writer may be running",
                    self.lake,
                    self.command,
                    self.timeout_seconds,
                )
                self.lost = True

    def release(self) -> None:
        """Stop the heartbeat and remove holder.json if it is still ours; a no-op when not held."""
        if self._fd is None:
            return
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        try:
            with _locked(self.path.parent):
                if self.is_held():
                    os.unlink(self.path)
                    log.info("lake %s: lease released by %s", self.lake, self.command)
                else:
                    log.warning("lake %s: the lease was no longer ours at release; left as it is", self.lake)
        except FileNotFoundError:
            pass  # the lake itself is gone: nothing to release
        finally:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> LakeLease:
        return self.acquire()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None) -> None:
        self.release()
