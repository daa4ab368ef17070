"""Landing: the folder `DIR/<source>/<files>`: which connector reads which file, and reading raw lines."""

from __future__ import annotations

import bz2
import gzip
import hashlib
import logging
import os
import re
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

import pyarrow as pa
from pyspark.sql import DataFrame, SparkSession, functions as F

from influence import json_documents
from influence.config import LandingConfig
from influence.errors import UsageError
from transforms.connectors.registry import CONNECTORS, JSON_SOURCES

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: Path
    relative: str  # path below the landing folder, e.g. snap/higgs.txt.gz: the file's name in the lake
    empty: bool = False  # no bytes, or a compressed file that holds none: recorded, not ingested
    # json_documents.LINES, or json_documents.DOCUMENT: a JSON source's file holding JSON documents, whose
    # records become its lines
    layout: str = json_documents.LINES

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


# What read_lines gives for every landed file.
LINES_SCHEMA = "source string, file string, line_number long, line string"
# Compressed formats Spark's text reader decompresses by their suffix, and how Python opens them to check them.
DECOMPRESSORS = {".gz": gzip.open, ".bz2": bz2.open}
# Characters Hadoop treats as a glob in a path; a landed name is matched literally, so they are escaped.
HADOOP_GLOB_CHARACTERS = re.compile(r"([\\\[\]{}*?])")

# landing.max_document_bytes when discover() is called without a configuration (tests, tools).
DEFAULT_MAX_DOCUMENT_BYTES = LandingConfig().max_document_bytes
# A compressed file counts this many times its size when a night is sized: about what gzip does to text.
COMPRESSED_TEXT_RATIO = 4


def landed_bytes(landed: list[LandedFile]) -> int:
    """About how many bytes of text the landed files hold (compressed ones counted COMPRESSED_TEXT_RATIO times)."""
    return sum(
        file.path.stat().st_size * (COMPRESSED_TEXT_RATIO if file.path.suffix.lower() in DECOMPRESSORS else 1) for file in landed
    )


def bundled_sample() -> Path:
    """The small real sample shipped with the package (first 50,000 lines of SNAP Higgs activity)."""
    return Path(str(resources.files("influence") / "sample"))


def decompressed_bytes(path: Path, relative: str) -> int:
    """How many bytes the compressed file holds, read to its end: a corrupt or truncated file is refused
    before anything is written (Spark would fail the night half-way, or read a truncated file's start)."""
    total = 0
    try:
        with DECOMPRESSORS[path.suffix.lower()](path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                total += len(block)
    except (OSError, EOFError, zlib.error, ValueError) as error:
        raise UsageError(
            f"landed file {relative} is not a readable {path.suffix.lower().lstrip('.')} file ({error}); "
            "replace it with a complete copy and rerun the night. Nothing was written."
        ) from None
    return total


# How compressed files begin. Landing decompresses a file by its suffix (Spark reads .gz and .bz2 alike), so
# a file that begins like one of these without that suffix would be read as text, byte by byte, and its
# lines quarantined as garbage: it is refused instead, naming what it is.
READABLE_COMPRESSIONS = {b"\x1f\x8b": ("gzip-compressed", ".gz"), b"BZh": ("bzip2-compressed", ".bz2")}
UNREADABLE_COMPRESSIONS = {
    b"PK\x03\x04": "a zip archive",
    b"PK\x05\x06": "a zip archive",
    b"\xfd7zXZ\x00": "xz-compressed",
    b"(\xb5/\xfd": "zstd-compressed",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"\x04\x22\x4d\x18": "lz4-compressed",
}


def compression_problem(start: bytes, path: Path, relative: str) -> str | None:
    """Why a file that begins with `start` cannot be read as its name says, or None."""
    for magic, (what, suffix) in READABLE_COMPRESSIONS.items():
        # "BZh" then the block size digit: plain text may well begin with "BZh" alone
        if start.startswith(magic) and (magic != b"BZh" or start[3:4].isdigit()):
            return (
                f"landed file {relative} is {what} but its name does not end in {suffix}, so it would be read as "
                f"text; rename it to {path.name}{suffix}. Nothing was written."
            )
    for magic, what in UNREADABLE_COMPRESSIONS.items():
        if start.startswith(magic):
            return (
                f"landed file {relative} is {what}, which landing does not read; unpack it into its source folder, "
                "or compress its files with gzip (.gz) or bzip2 (.bz2) instead. Nothing was written."
            )
    return None


def text_bytes(path: Path, relative: str) -> int:
    """How many bytes of text the file holds (a compressed one read to its end); a file that cannot be read,
    or is compressed in a way its name does not say, is refused before anything is written."""
    if path.suffix.lower() in DECOMPRESSORS:
        return decompressed_bytes(path, relative)
    try:
        with path.open("rb") as handle:
            start = handle.read(8)
    except OSError as error:
        raise UsageError(
            f"landed file {relative} cannot be read ({error.strerror or error}); fix its permissions and rerun the night. "
            "Nothing was written."
        ) from None
    problem = compression_problem(start, path, relative)
    if problem:
        raise UsageError(problem)
    return path.stat().st_size


def text_stream(path: Path) -> TextIO:
    """The file's text (decompressed by its suffix), UTF-8 with an optional byte-order mark; bytes that are
    not UTF-8 read as U+FFFD."""
    opener = DECOMPRESSORS.get(path.suffix.lower())
    if opener is None:
        return path.open("r", encoding="utf-8-sig", errors="replace", newline="")
    return opener(path, "rt", encoding="utf-8-sig", errors="replace", newline="")


def file_layout(path: Path, relative: str, size: int, max_document_bytes: int) -> str:
    """How a JSON source's file of `size` bytes of text (text_bytes) is read: as lines, or as JSON documents
    (influence/json_documents.py).

    A file that begins like a document is read through once here: one over `max_document_bytes` is refused
    before anything is written (its records are held in memory while they are ingested), and one that is not
    a sequence of JSON values is read as lines, each of them then classified (most often quarantined) on its own."""
    with text_stream(path) as stream:
        if json_documents.layout_of(stream.read(json_documents.PEEK_CHARACTERS)) != json_documents.DOCUMENT:
            return json_documents.LINES
    if size > max_document_bytes:
        raise UsageError(
            f"landed file {relative} is a JSON document of {size:,} bytes, over landing.max_document_bytes "
            f"({max_document_bytes:,}); split it into JSON lines (for an array: jq -c '.[]') or raise the limit. "
            "Nothing was written."
        )
    try:
        with text_stream(path) as stream:
            count = sum(1 for _ in json_documents.records(stream))
    except json_documents.DocumentError as error:
        log.warning("landing: %s begins like a JSON document but is not one (%s); it is read as lines", relative, error)
        return json_documents.LINES
    log.info("landing: %s is a JSON document of %s record(s), each read as one line", relative, f"{count:,}")
    return json_documents.DOCUMENT


def _source_files(input_dir: Path, folder: Path) -> list[Path]:
    """The folder's files, depth first in name order; symbolic links are never followed (a link can point
    anywhere on the machine), and hidden or underscore names are skipped."""
    files = []
    for root, folders, names in os.walk(folder, followlinks=False):
        here = Path(root)
        linked = [name for name in folders if (here / name).is_symlink()]
        folders[:] = sorted(name for name in folders if name not in linked and not name.startswith((".", "_")))
        for name in sorted(names):
            path = here / name
            if path.is_symlink():
                log.warning("landing: %s is a symbolic link; links are not followed", path.relative_to(input_dir).as_posix())
            elif not name.startswith((".", "_")) and path.is_file():
                files.append(path)
        for name in linked:
            log.warning("landing: %s is a symbolic link; links are not followed", (here / name).relative_to(input_dir).as_posix())
    return files


def discover(
    input_dir: Path, ignore_unknown_sources: bool = False, max_document_bytes: int = DEFAULT_MAX_DOCUMENT_BYTES
) -> list[LandedFile]:
    """Every file under DIR/<source>/ for a known source, each checked before anything is written:
    compressed files are read to their end, empty files are marked, a JSON source's files are told apart
    as lines or documents. Stops with a clear error (exit 2) when there is nothing to ingest, a folder names
    no connector, a compressed file is corrupt, or a document is over `max_document_bytes`."""
    if not input_dir.exists():
        raise UsageError(f"input folder {input_dir} does not exist")
    if not input_dir.is_dir():
        raise UsageError(
            f"input {input_dir} is not a folder; expected DIR/<source>/<files> with a source in {sorted(CONNECTORS)}"
        )
    entries = sorted(p for p in input_dir.iterdir() if not p.name.startswith((".", "_")))
    for link in (p for p in entries if p.is_symlink()):
        log.warning("landing: %s is a symbolic link; links are not followed", link.name)
    folders = [p for p in entries if p.is_dir() and not p.is_symlink()]
    # DIR/governance holds privacy requests (influence.governance), not data
    unknown = [p.name for p in folders if p.name not in CONNECTORS and p.name != "governance"]
    if unknown and not ignore_unknown_sources:
        raise UsageError(
            f"landing folder(s) {', '.join(unknown)} in {input_dir} name no connector (known: {', '.join(sorted(CONNECTORS))}); "
            "move them out, or set landing.ignore_unknown_sources = true to skip them. Nothing was written."
        )
    if unknown:
        log.warning("landing: ignoring folder(s) with no connector: %s", ", ".join(unknown))
    landed = []
    for folder in (f for f in folders if f.name in CONNECTORS):
        for path in _source_files(input_dir, folder):
            relative = path.relative_to(input_dir).as_posix()
            if ":" in relative:  # Hadoop reads "a:b" in a path as a URI scheme, whatever the escaping
                raise UsageError(
                    f"landed file {relative} has a ':' in its path, which Spark's file readers cannot open; "
                    "rename it (the name is kept in the lake as it is landed). Nothing was written."
                )
            size = text_bytes(path, relative)
            layout = json_documents.LINES
            if folder.name in JSON_SOURCES and size > 0:
                layout = file_layout(path, relative, size, max_document_bytes)
            landed.append(LandedFile(folder.name, path, relative, empty=size == 0, layout=layout))
    if not landed:
        found = ", ".join(p.name for p in folders) or "no sub-folders"
        raise UsageError(
            f"input folder {input_dir} holds no files to ingest: expected DIR/<source>/<files> "
            f"with a source in {sorted(CONNECTORS)}, found {found}"
        )
    return landed


def literal_path(path: Path) -> str:
    """The path as Spark's readers take it, matched literally: Hadoop would expand []{}*? as a glob."""
    return HADOOP_GLOB_CHARACTERS.sub(r"\\\1", str(path))


def read_lines(spark: SparkSession, landed: LandedFile) -> DataFrame:
    """The file's lines with their 1-based line numbers (.gz and .bz2 are decompressed by Spark); for a
    JSON document, its records in order, numbered from 1, each as one line.

    Numbers come from each line's position inside its Spark partition plus the line count of the
    partitions before it (splits of one file keep file order), so no row goes through Python.
    """
    if landed.layout == json_documents.DOCUMENT:
        return document_lines(spark, landed)
    raw = spark.read.text(literal_path(landed.path)).select(
        F.col("value").alias("line"),
        F.spark_partition_id().alias("partition"),
        # monotonically_increasing_id = partition index << 33 | position inside the partition
        (F.monotonically_increasing_id().bitwiseAND((1 << 33) - 1)).alias("position"),
    )
    sizes = sorted((row.partition, row["count"]) for row in raw.groupBy("partition").count().collect())
    offsets, total = [], 0
    for partition, size in sizes:
        offsets.append((partition, total))
        total += size
    offset_frame = spark.createDataFrame(offsets or [(0, 0)], "partition int, offset long")
    return raw.join(F.broadcast(offset_frame), on="partition", how="inner").select(
        F.lit(landed.source).alias("source"),
        F.lit(landed.relative).alias("file"),
        (F.col("offset") + F.col("position") + 1).alias("line_number"),
        "line",
    )


def document_lines(spark: SparkSession, landed: LandedFile) -> DataFrame:
    """A JSON document's records as lines (source, file, line_number, line), split in the driver and sent
    to Spark through Arrow."""
    with text_stream(landed.path) as stream:
        lines = pa.array(list(json_documents.records(stream)), type=pa.string())
    table = pa.table(
        {
            "source": pa.array([landed.source] * len(lines), type=pa.string()),
            "file": pa.array([landed.relative] * len(lines), type=pa.string()),
            "line_number": pa.array(range(1, len(lines) + 1), type=pa.int64()),
            "line": lines,
        }
    )
    return spark.createDataFrame(table, LINES_SCHEMA)
