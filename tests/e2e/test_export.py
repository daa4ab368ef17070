"""`influence export` of the two-nights lake (read only, shared): net changes from the Change Data Feed, a Parquet
snapshot, the manifest, and the refusals."""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from influence import storage
from influence.tables import PROFILES
from jobs.cli import main
from tests.support.lakes import ADDED, KEPT, NIGHT_TWO, NIGHT_TWO_ACCOUNTS, REMOVED, RUN_DATE
from tests.support.reference import expected_pagerank


def profile_key(lake: Path, person_id: str) -> str:
    """HMAC-SHA256 under the lake's privacy key, computed here with hmac, not with the lake's code."""
    key = bytes.fromhex((lake / "governance" / "_key").read_text().strip())
    return hmac.new(key, f"profile:{person_id}".encode(), hashlib.sha256).hexdigest()


CONTRACT_COLUMNS = [
    "network",
    "account_id",
    "pagerank",
    "score",
    "percentile",
    "engagers",
    "interactions_received",
    "as_of_date",
    "person_id",
    "accounts",
    # added by the influence model (contract schema_version 1 allows added columns)
    "relative_rank",
    "raw_score",
    "reach_score",
    "amplification_score",
    "network_score",
    "amplification",
    "engager_rank",
    "explanation",
    "topics",
    "moments",
    "model_version",
    "config_hash",
    "profile_key",  # added for erasures' feed deletes (docs/privacy.md)
    "community_id",  # added with communities (docs/model.md)
    "community_size",
    "community_share",
    "effective_engagers",
    "top_engager_share",
    "moment_days",  # added with moments in time (docs/model.md#moments)
]


def export(lake: Path, out: Path, *extra: str, date: str = RUN_DATE) -> int:
    return main(["export", "--date", date, "--out", str(out), "--lake", str(lake), *extra])


def verified_files(out: Path, manifest: dict, suffix: str) -> list[Path]:
    """The manifest lists exactly the data files, with their real size and sha256; _SUCCESS is there and empty."""
    assert sorted(path.name for path in out.iterdir()) == ["_SUCCESS", "data", "manifest.json"]
    assert (out / "_SUCCESS").stat().st_size == 0
    files = sorted((out / "data").iterdir())
    assert [entry["path"] for entry in manifest["files"]] == [f"data/{path.name}" for path in files]
    for entry, path in zip(manifest["files"], files):
        assert path.name.endswith(suffix)
        assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert entry["bytes"] == path.stat().st_size
    return files


def published_rows(spark, lake: Path) -> dict[str, tuple]:
    return {
        row.account_id: (
            row.network,
            row.account_id,
            row.pagerank,
            row.score,
            row.percentile,
            row.engagers,
            row.interactions_received,
            row.as_of_date.isoformat(),
            row.person_id,
            [(a.network, a.account_id) for a in row.accounts],
        )
        for row in storage.read(spark, PROFILES, lake).collect()
    }


def test_incremental_export_carries_inserts_updates_and_the_deleted_keys(spark, two_nights, tmp_path):
    out = tmp_path / "feed"
    assert export(two_nights.lake, out, "--since-version", str(two_nights.night_one_version), "--format", "jsonl") == 0

    manifest = json.loads((out / "manifest.json").read_text())
    lines = [
        json.loads(line)
        for path in verified_files(out, manifest, ".jsonl.gz")
        for line in gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    ]
    by_type: dict[str, dict[str, dict]] = {}
    for line in lines:
        by_type.setdefault(line["change_type"], {})[line["account_id"]] = line
    assert len(lines) == 17  # one line per profile: 1 insert + 14 updates + 2 deletes
    assert {change: set(rows) for change, rows in by_type.items()} == {"insert": ADDED, "update": KEPT, "delete": REMOVED}
    assert manifest["rows_by_change_type"] == {"insert": 1, "update": 14, "delete": 2}
    assert manifest["rows"] == 17
    assert {key: manifest[key] for key in ("table", "as_of_date", "run_id", "kind", "format", "schema_version")} == {
        "table": "gold/profiles",
        "as_of_date": RUN_DATE,
        "run_id": two_nights.night_two_run_id,
        "kind": "changes",
        "format": "jsonl",
        "schema_version": 1,
    }
    assert manifest["version_range"] == {
        "starting_version": two_nights.night_one_version + 1,
        "ending_version": two_nights.night_two_version,
    }
    assert manifest["columns"] == [*CONTRACT_COLUMNS, "change_type"]

    # Deletes carry the keys only (person_id, network + account_id, profile_key); inserts and updates every
    # published field, as the table now holds it.
    for gone in ("15", "16"):
        assert by_type["delete"][gone] == {
            "network": "snap",
            "account_id": gone,
            "person_id": f"snap:{gone}",
            "profile_key": profile_key(two_nights.lake, f"snap:{gone}"),
            "change_type": "delete",
        }
    current = published_rows(spark, two_nights.lake)
    for change in ("insert", "update"):
        for account, line in by_type[change].items():
            accounts = [(a["network"], a["account_id"]) for a in line["accounts"]]
            assert (*[line[name] for name in CONTRACT_COLUMNS[:9]], accounts) == current[account]
    # By hand: 20 engages 2 and nobody engages 20; 2 is now engaged by 1, 3, 4, 5, 6, 11, 12, 14 and 20 (1 twice).
    new = by_type["insert"]["20"]
    assert (new["engagers"], new["interactions_received"], new["as_of_date"]) == (0, 0, RUN_DATE)
    assert new["pagerank"] == pytest.approx(expected_pagerank(NIGHT_TWO)["snap:20"], abs=1e-5)
    assert (by_type["update"]["2"]["engagers"], by_type["update"]["2"]["interactions_received"]) == (9, 10)
    expected = expected_pagerank(NIGHT_TWO)
    assert max(expected, key=expected.get) == "snap:2"
    assert by_type["update"]["2"]["score"] == max(row[3] for row in current.values())


def test_snapshot_export_in_parquet_holds_every_published_profile(spark, two_nights, tmp_path):
    out = tmp_path / "snapshot"
    assert export(two_nights.lake, out, "--format", "parquet") == 0

    manifest = json.loads((out / "manifest.json").read_text())
    files = verified_files(out, manifest, ".parquet")
    tables = [pq.read_table(path) for path in files]
    assert all(table.column_names == CONTRACT_COLUMNS for table in tables)
    rows = [row for table in tables for row in table.to_pylist()]
    assert len(rows) == manifest["rows"] == 15
    snapshot = {
        row["account_id"]: (
            *[row[name] for name in CONTRACT_COLUMNS[:7]],
            row["as_of_date"].isoformat(),
            row["person_id"],
            [(a["network"], a["account_id"]) for a in row["accounts"]],
        )
        for row in rows
    }
    assert set(snapshot) == NIGHT_TWO_ACCOUNTS
    assert snapshot == published_rows(spark, two_nights.lake)
    assert (manifest["kind"], manifest["format"], manifest["run_id"]) == ("snapshot", "parquet", two_nights.night_two_run_id)
    assert manifest["rows_by_change_type"] is None
    assert manifest["version_range"] == {"starting_version": None, "ending_version": two_nights.night_two_version}


def test_no_new_version_exports_no_changes_and_replaces_an_unfinished_export(two_nights, tmp_path):
    out = tmp_path / "feed"
    (out / "data").mkdir(parents=True)
    (out / "data" / "part-00007.jsonl.gz").write_bytes(b"half-written")  # an export that died before _SUCCESS
    (out / "_tmp-export-dead").mkdir()
    assert export(two_nights.lake, out, "--since-version", str(two_nights.night_two_version), "--format", "jsonl") == 0

    manifest = json.loads((out / "manifest.json").read_text())
    files = verified_files(out, manifest, ".jsonl.gz")
    assert sum(len(gzip.decompress(path.read_bytes()).splitlines()) for path in files) == 0
    assert (manifest["rows"], manifest["rows_by_change_type"]) == (0, {"insert": 0, "update": 0, "delete": 0})
    assert manifest["version_range"] == {
        "starting_version": two_nights.night_two_version + 1,
        "ending_version": two_nights.night_two_version,
    }


def test_export_of_a_date_that_is_not_published_exits_2_and_writes_nothing(two_nights, tmp_path, caplog):
    out = tmp_path / "feed"
    assert export(two_nights.lake, out, "--format", "jsonl", date="2012-07-02") == 2
    assert "published as of 2012-07-01, not 2012-07-02" in caplog.text
    assert not out.exists()
    assert export(two_nights.lake, out, "--since-version", str(two_nights.night_two_version + 1), "--format", "jsonl") == 2
    assert f"past the current version {two_nights.night_two_version}" in caplog.text
    assert not out.exists()


def test_export_refuses_a_folder_with_a_finished_or_foreign_export(two_nights, tmp_path, caplog, capsys):
    finished = tmp_path / "finished"
    (finished / "data").mkdir(parents=True)
    (finished / "data" / "part-00000.jsonl.gz").write_bytes(b"yesterday's feed")
    (finished / "_SUCCESS").touch()
    before = {path: path.read_bytes() for path in finished.rglob("*") if path.is_file()}
    assert export(two_nights.lake, finished, "--format", "jsonl") == 2
    assert "already holds a finished export" in caplog.text
    assert {path: path.read_bytes() for path in finished.rglob("*") if path.is_file()} == before

    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    assert export(two_nights.lake, foreign, "--format", "parquet") == 2
    assert "holds notes.txt" in caplog.text
    assert sorted(path.name for path in foreign.iterdir()) == ["notes.txt"]

    assert export(two_nights.lake, tmp_path / "x", "--format", "csv") == 2  # argparse
    assert "invalid choice: 'csv'" in capsys.readouterr().err
    assert export(two_nights.lake, tmp_path / "x", "--format", "jsonl", "--since-version", "-1") == 2
    assert "--since-version must be a table version" in caplog.text
    assert not (tmp_path / "x").exists()
