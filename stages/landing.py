"""Landing: the folder `DIR/<source>/<files>`: which connector reads which file, and reading raw lines."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession, functions as F

from influence.errors import UsageError
from transforms.connectors.registry import CONNECTORS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandedFile:
    source: str
    path: Path
    relative: str  # path below the landing folder, e.g. snap/higgs.txt.gz: the file's name in the lake

    def sha256(self) -> str:
        digest = hashlib.sha256()
        with self.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()


def bundled_sample() -> Path:
    """The small real sample shipped with the package (first 50,000 lines of SNAP Higgs activity)."""
    return Path(str(resources.files("influence") / "sample"))


def discover(input_dir: Path) -> list[LandedFile]:
    """Every file under DIR/<source>/ for a known source; stops with a clear error when there is none."""
    if not input_dir.exists():
        raise UsageError(f"input folder {input_dir} does not exist")
    if not input_dir.is_dir():
        raise UsageError(
            f"input {input_dir} is not a folder; expected DIR/<source>/<files> with a source in {sorted(CONNECTORS)}"
        )
    folders = sorted(p for p in input_dir.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    # DIR/governance holds privacy requests (influence.governance), not data
    unknown = [p.name for p in folders if p.name not in CONNECTORS and p.name != "governance"]
    if unknown:
        log.warning(
            "ignoring landing folder(s) with no connector: %s (known: %s)", ", ".join(unknown), ", ".join(sorted(CONNECTORS))
        )
    landed = [
        LandedFile(folder.name, path, path.relative_to(input_dir).as_posix())
        for folder in folders
        if folder.name in CONNECTORS
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith((".", "_"))
    ]
    if not landed:
        found = ", ".join(p.name for p in folders) or "no sub-folders"
        raise UsageError(
            f"input folder {input_dir} holds no files to ingest: expected DIR/<source>/<files> "
            f"with a source in {sorted(CONNECTORS)}, found {found}"
        )
    return landed


def read_lines(spark: SparkSession, landed: LandedFile) -> DataFrame:
    """The file's lines with their 1-based line numbers (.gz and .bz2 are decompressed by Spark).

    Numbers come from each line's position inside its Spark partition plus the line count of the
    partitions before it (splits of one file keep file order), so no row goes through Python.
    """
    raw = spark.read.text(str(landed.path)).select(
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
