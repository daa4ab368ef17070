"""Byte scans for what an erasure must leave behind: nothing of the person in a lake's files or an export."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq


def files_naming(lake: Path, needles: tuple[str, ...]) -> list[str]:
    """Every file under the lake whose raw bytes, or (Parquet) decoded values, contain a needle (any case)."""
    wanted = [needle.lower().encode() for needle in needles]
    hits = []
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):
        raw = path.read_bytes().lower()
        found = any(needle in raw for needle in wanted)
        if not found and path.suffix == ".parquet":
            decoded = json.dumps(pq.read_table(path).to_pylist(), default=str).lower().encode()
            found = any(needle in decoded for needle in wanted)
        if found:
            hits.append(str(path.relative_to(lake)))
    return hits


def exported_lines(export: Path) -> list[dict]:
    """The rows of a JSON-lines export (`influence export --format jsonl`)."""
    return [
        json.loads(line)
        for part in sorted((export / "data").glob("*.jsonl.gz"))
        for line in gzip.decompress(part.read_bytes()).decode().splitlines()
    ]


def export_names_any(export: Path, needles: tuple[str, ...]) -> bool:
    """Any file of an export (gzip parts decompressed) holds a needle (any case)."""
    for path in (p for p in export.rglob("*") if p.is_file()):
        data = (gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()).lower()
        if any(needle.lower().encode() in data for needle in needles):
            return True
    return False
