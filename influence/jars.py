"""The JVM jars the session needs: resolved from Maven Central once, cached, then used offline.

Spark's own `spark.jars.packages` re-resolves on every start and, when that fails, kills the JVM
before Python sees why (JAVA_GATEWAY_EXITED). Instead we resolve each artifact once with
`spark-submit --packages` in a child process, read its Ivy report, keep the jar list in a manifest
and start every later session with plain `spark.jars`: no network after the first run.
`INFLUENCE_JARS_DIR` (or `spark.jars_dir` in the config) names a folder of pre-downloaded jars, for
air-gapped clusters: an artifact found there is taken from it, any other is resolved as above.

Both Delta Lake and GraphFrames are required: centrality runs on GraphFrames, so a session without its
jar stops the command before anything is written (exit 2), naming the coordinates and the two fixes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyspark

from influence.errors import EnvironmentProblem, MissingJar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Artifact:
    group: str
    name: str
    # Preferred version first; later ones are the same release line, used when a Maven mirror lags.
    versions: tuple[str, ...]
    purpose: str
    required: bool
    # File-name stems of the jars a folder must hold for this artifact (its own and its companions', same group
    # and version), and of jars of other artifacts it cannot run without.
    jar_stems: tuple[str, ...] = ()
    dependency_stems: tuple[str, ...] = ()
    # The flag of `influence jars --out` that exports this artifact, when the default export leaves it out.
    export_flag: str = ""

    @property
    def key(self) -> str:
        return f"{self.group}:{self.name}"

    def coordinate(self, version: str) -> str:
        return f"{self.key}:{version}"

    @property
    def stems(self) -> tuple[str, ...]:
        return self.jar_stems or (self.name,)

    def present_in(self, jars: list[Path]) -> bool:
        """Whether a folder holds the artifact's jars, named as Maven names them (delta-spark_4.1_2.13-4.4.0.jar) or
        as Ivy's cache, and so `influence jars --out`, does (io.delta_delta-spark_4.1_2.13-4.4.0.jar)."""
        names = [IVY_ORGANISATION.sub("", jar.name) for jar in jars]
        return all(any(name.startswith(f"{stem}-") for name in names) for stem in (*self.stems, *self.dependency_stems))


# Ivy's cache names a jar <organisation>_<module>-<revision>.jar: io.delta_delta-spark_4.1_2.13-4.4.0.jar.
IVY_ORGANISATION = re.compile(r"^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+_")
SPARK_MINOR = ".".join(pyspark.__version__.split(".")[:2])
DELTA = Artifact("io.delta", f"delta-spark_{SPARK_MINOR}_2.13", ("4.4.1", "4.4.0"), "Delta Lake", required=True)
# The Python side is pinned to the same release (graphframes-py==0.11.0 in pyproject.toml). The core jar
# needs the graphx one; a Maven resolution brings it along, a folder must hold both.
GRAPHFRAMES = Artifact(
    "io.graphframes",
    "graphframes-spark4_2.13",
    ("0.11.0",),
    "GraphFrames",
    required=True,
    jar_stems=("graphframes-spark4_2.13", "graphframes-graphx-spark4_2.13"),
)
ARTIFACTS = (DELTA, GRAPHFRAMES)
# An s3a:// lake needs Hadoop's S3A file system, of the Hadoop release pyspark bundles (it brings the AWS SDK).
HADOOP_VERSION = next(
    (
        jar.name.removeprefix("hadoop-client-api-").removesuffix(".jar")
        for jar in (Path(pyspark.__file__).parent / "jars").glob("hadoop-client-api-*.jar")
    ),
    "3.4.2",
)
# It needs the AWS SDK bundle; a Maven resolution brings it along, a folder must hold both.
HADOOP_AWS = Artifact(
    "org.apache.hadoop",
    "hadoop-aws",
    (HADOOP_VERSION,),
    "Hadoop S3A file system",
    required=True,
    dependency_stems=("bundle",),  # software.amazon.awssdk:bundle
    export_flag="--s3a",
)
# The jars a lake's URI scheme needs beyond Delta and GraphFrames.
SCHEME_ARTIFACTS = {"s3a": (HADOOP_AWS,)}


def cache_dir() -> Path:
    return Path(os.environ.get("INFLUENCE_CACHE_DIR", Path.home() / ".cache" / "influence-lakehouse")).expanduser()


def how_to_fix(artifact: Artifact) -> str:
    version = artifact.versions[0]
    coordinates = " and ".join(f"{artifact.group}:{stem}:{version}" for stem in artifact.stems)
    return (
        f"either let this machine reach Maven Central once (the jars are then cached under {cache_dir()} "
        f"and later runs work offline), or put {coordinates} and their dependencies in a folder "
        f"(for example with 'influence jars --out DIR{' ' + artifact.export_flag if artifact.export_flag else ''}' "
        f"on a connected machine) and point INFLUENCE_JARS_DIR "
        f"or spark.jars_dir in the config at it"
    )


def java_major(java_home: str | None = None) -> tuple[int | None, str]:
    """Major version of the Java Spark will start, and where it was found."""
    java_home = java_home if java_home is not None else os.environ.get("JAVA_HOME", "")
    java = Path(java_home) / "bin" / "java" if java_home else shutil.which("java")
    where = f"JAVA_HOME={java_home}" if java_home else f"PATH ({java})"
    if not java or not Path(java).exists():
        return None, where
    try:
        out = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60).stderr
    except (OSError, subprocess.TimeoutExpired):
        return None, where
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None, where
    major = int(match.group(1))
    return (int(match.group(2)) if major == 1 else major), where


def require_supported_java() -> None:
    major, where = java_major()
    if major in (17, 21):
        return
    found = "no runnable java" if major is None else f"Java {major}"
    raise EnvironmentProblem(
        f"Spark {SPARK_MINOR} needs Java 17 or 21, but {where} gives {found}; "
        "install a JDK 17 and set JAVA_HOME to it (make run / make test pick one automatically)."
    )


def _unresolved(report: str) -> dict[str, str]:
    """Map 'group:name:version' -> reason for every dependency Ivy could not resolve."""
    found = {}
    for group, name, version, reason in re.findall(r"::\s+([\w.\-]+)#([\w.\-]+);([\w.\-]+): (.+)", report):
        found[f"{group}:{name}:{version}"] = reason.strip()
    return found


def _unreachable(report: str) -> bool:
    return bool(re.search(r"(Host \S*maven\S* not found|Connection (refused|timed out)|UnknownHost)", report))


def _resolve_with_ivy(artifact: Artifact, version: str, ivy_dir: Path) -> tuple[list[Path] | None, str]:
    """Resolve one coordinate with spark-submit's Ivy; returns (jars, "") or (None, reason)."""
    spark_home = Path(pyspark.__file__).parent
    with tempfile.TemporaryDirectory() as tmp:
        noop = Path(tmp) / "noop.py"
        noop.write_text("pass\n")
        env = {**os.environ, "SPARK_HOME": str(spark_home), "PYSPARK_PYTHON": sys.executable}
        command = [
            str(spark_home / "bin" / "spark-submit"),
            "--packages",
            artifact.coordinate(version),
            "--conf",
            f"spark.jars.ivy={ivy_dir}",
            str(noop),
        ]
        try:
            done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900)
        except subprocess.TimeoutExpired:
            return None, "the download did not finish within 15 minutes"
    report = done.stdout + done.stderr
    if done.returncode == 0:
        return sorted((ivy_dir / "jars").glob("*.jar")), ""
    missing = _unresolved(report)
    if _unreachable(report):
        return None, "Maven Central is not reachable from this machine"
    if missing:
        return None, "; ".join(f"{coord} {reason}" for coord, reason in missing.items()) + " in the Maven repository"
    tail = " ".join(report.strip().splitlines()[-3:])
    return None, f"spark-submit failed ({tail[:300]})"


def _read_manifest(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def resolve(artifact: Artifact, refresh: bool = False) -> list[Path]:
    """Jars of `artifact` and its dependencies, from the cache or resolved now (first use).

    A required artifact that cannot be resolved raises MissingJar with one clear sentence;
    an optional one returns [] and is remembered as unavailable until `refresh`.
    """
    manifest_path = cache_dir() / "jars.json"
    cached = None if refresh else _cached_jars(artifact, _read_manifest(manifest_path))
    if cached is not None:
        return cached
    # Processes starting at once on a new machine (the test workers, parallel jobs) share one Ivy folder:
    # one resolves while the others wait, then finds the manifest written.
    with _resolution_lock():
        manifest = _read_manifest(manifest_path)
        cached = None if refresh else _cached_jars(artifact, manifest)
        if cached is not None:
            return cached
        return _resolve_now(artifact, manifest, manifest_path)


def _cached_jars(artifact: Artifact, manifest: dict) -> list[Path] | None:
    """The artifact's jars as the manifest records them, [] for an optional artifact known to be unavailable,
    or None when it must be resolved."""
    entry = manifest.get(artifact.key, {})
    if entry.get("version"):
        jars = [Path(p) for p in entry.get("jars", [])]
        if jars and all(p.is_file() for p in jars):
            return jars
    if not artifact.required and entry.get("unavailable"):
        return []
    return None


@contextlib.contextmanager
def _resolution_lock():
    cache_dir().mkdir(parents=True, exist_ok=True)
    with (cache_dir() / "resolve.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or when the process dies holding it
        yield


def _resolve_now(artifact: Artifact, manifest: dict, manifest_path: Path) -> list[Path]:
    require_supported_java()
    reasons = []
    for version in artifact.versions:
        log.info("resolving %s from Maven Central (first use; cached afterwards)", artifact.coordinate(version))
        ivy_dir = cache_dir() / "ivy" / f"{artifact.key.replace(':', '_')}_{version}"
        jars, reason = _resolve_with_ivy(artifact, version, ivy_dir)
        if jars:
            if version != artifact.versions[0]:
                log.warning(
                    "%s is not in the Maven repository; using %s of the same release line",
                    artifact.coordinate(artifact.versions[0]),
                    version,
                )
            manifest[artifact.key] = {"version": version, "jars": [str(p) for p in jars]}
            _write_manifest(manifest_path, manifest)
            return jars
        reasons.append(f"{artifact.coordinate(version)}: {reason}")
        if "not reachable" in reason:
            break

    detail = "; ".join(reasons)
    if artifact.required:
        raise MissingJar(
            f"The {artifact.purpose} jar {artifact.coordinate(artifact.versions[0])} could not be downloaded "
            f"({detail}): {how_to_fix(artifact)}."
        )
    log.warning(
        "optional %s jar not available (%s); continuing without it. To add it later: %s.",
        artifact.purpose,
        detail,
        how_to_fix(artifact),
    )
    manifest[artifact.key] = {
        "unavailable": detail,
        "checked_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    _write_manifest(manifest_path, manifest)
    return []


def _write_manifest(path: Path, manifest: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(path)


def jars_from_dir(folder: Path) -> list[Path]:
    """The jars of a pre-downloaded folder (INFLUENCE_JARS_DIR or spark.jars_dir)."""
    if not folder.is_dir():
        raise MissingJar(
            f"The jars folder {folder} (INFLUENCE_JARS_DIR or spark.jars_dir) does not exist: "
            f"create it with 'influence jars --out {folder}' on a connected machine, or unset it to download from Maven Central."
        )
    return sorted(folder.glob("*.jar"))


def session_jars(jars_dir: str = "", extra: tuple[Artifact, ...] = ()) -> list[Path]:
    """Every jar the Spark session starts with: each artifact (ARTIFACTS, then `extra`) from the jars folder when
    it holds it, else from the cache or Maven Central (resolve)."""
    folder_jars = jars_from_dir(Path(jars_dir).expanduser().resolve()) if jars_dir else []
    jars: list[Path] = list(folder_jars)
    for artifact in (*ARTIFACTS, *extra):
        if folder_jars and artifact.present_in(folder_jars):
            continue
        if folder_jars and not artifact.required:
            log.warning("the jars folder %s has no %s jar; continuing without it", jars_dir, artifact.purpose)
            continue
        if jars_dir:
            log.info("the jars folder %s has no %s jar; resolving it", jars_dir, artifact.purpose)
        jars.extend(resolve(artifact))
    return list(dict.fromkeys(jars))


def export_jars(out: Path, extra: tuple[Artifact, ...] = ()) -> list[Path]:
    """Copy the resolved jars (and those of `extra`, e.g. HADOOP_AWS) into `out`, for use as INFLUENCE_JARS_DIR on
    an air-gapped machine."""
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for jar in session_jars(extra=extra):
        target = out / jar.name
        shutil.copy2(jar, target)
        copied.append(target)
    return copied
