"""Landed files: plain, .gz and .bz2 give the same numbered lines, BOM, CRLF and a very long line
included, and a connector reads the long line like any other; the checks made before anything is
written (empty, corrupt or truncated files, symbolic links, unknown folders), names taken literally,
lines over the cap quarantined, and real dumps saved as JSON documents read as their JSON lines are."""

from __future__ import annotations

import bz2
import dataclasses
import gzip
import io
import json
import lzma
import re
import zipfile
from pathlib import Path

import pytest

from influence import json_documents
from influence.config import load_config
from influence.errors import UsageError
from stages.landing import LandedFile, discover, read_lines
from stages.silver import classify_lines
from tests.support.shared_data import V1_SAMPLE, V2_SAMPLE, json_lines
from transforms.connectors import twitter_v1
from transforms.connectors.lines import QUARANTINE_REASON_CODES
from transforms.connectors.registry import CONNECTORS, ConnectorOptions

LONG_TEXT = "é" * 1_500_000  # a 3 MB line once encoded: far beyond any default buffer


def status(tweet_id: str, text: str) -> str:
    return json.dumps(
        {
            "id_str": tweet_id,
            "created_at": "Fri Jan 22 05:00:06 +0000 2016",
            "text": text,
            "user": {"id_str": "1", "screen_name": "a"},
            "entities": {"hashtags": [], "user_mentions": []},
        },
        ensure_ascii=False,
    )


LINES = ["\ufeff" + status("1", "first, after a byte-order mark"), status("2", LONG_TEXT), "", status("3", "crlf")]
CONTENT = ("\n".join(LINES[:3]) + "\n" + LINES[3] + "\r\n").encode("utf-8")


def test_plain_gzip_and_bzip2_files_give_the_same_numbered_lines(spark, tmp_path):
    folder = tmp_path / "twitter_v1"
    folder.mkdir()
    (folder / "tweets.jsonl").write_bytes(CONTENT)
    (folder / "tweets.jsonl.gz").write_bytes(gzip.compress(CONTENT))
    (folder / "tweets.jsonl.bz2").write_bytes(bz2.compress(CONTENT))
    for name in ("tweets.jsonl", "tweets.jsonl.gz", "tweets.jsonl.bz2"):
        landed = LandedFile("twitter_v1", folder / name, f"twitter_v1/{name}")
        frame = read_lines(spark, landed)
        rows = sorted(frame.select("line_number", "line").collect())
        # Spark's text reader drops the line break (\n or \r\n) and the file's byte-order mark
        assert [row.line_number for row in rows] == [1, 2, 3, 4], name
        assert [row.line for row in rows] == [LINES[0].removeprefix("\ufeff"), *LINES[1:]], name

        classified = {row.line_number: row for row in twitter_v1.to_classified(frame).collect()}
        assert [classified[n].status for n in (1, 2, 3, 4)] == ["conformed", "conformed", "skipped", "conformed"], name
        [long_post] = classified[2].posts
        assert (long_post.post_id, len(long_post.text)) == ("2", len(LONG_TEXT)), name


# Checks before anything is written (stages/landing.py: discover)


def landing_with(tmp_path, files: dict[str, bytes]):
    for relative, content in files.items():
        path = tmp_path / "in" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return tmp_path / "in"


def test_empty_files_are_marked_and_compressed_files_read_to_their_end(tmp_path):
    landing = landing_with(
        tmp_path,
        {
            "snap/empty.txt": b"",
            "snap/empty.txt.gz": gzip.compress(b""),
            "snap/empty.txt.bz2": bz2.compress(b""),
            "snap/day.txt.gz": gzip.compress(b"1 2 1341100800 RT\n"),
            "snap/.hidden": b"x",
            "snap/_partial": b"x",
        },
    )
    landed = {f.relative: f.empty for f in discover(landing)}
    assert landed == {"snap/day.txt.gz": False, "snap/empty.txt": True, "snap/empty.txt.bz2": True, "snap/empty.txt.gz": True}


@pytest.mark.parametrize(
    "name, content",
    [
        ("day.txt.gz", gzip.compress(b"1 2 1341100800 RT\n" * 1000)[:-30]),  # truncated: no end of stream
        ("day.txt.gz", b"\x1f\x8b\x08\x00not a deflate stream at all"),
        ("day.txt.gz", b"plain text with a .gz name\n"),
        ("day.txt.bz2", bz2.compress(b"1 2 1341100800 RT\n" * 1000)[:-10]),
        ("day.txt.bz2", b"BZh9 garbage"),
    ],
    ids=["truncated gzip", "bad deflate stream", "not gzip at all", "truncated bzip2", "bad bzip2"],
)
def test_a_corrupt_or_truncated_compressed_file_is_refused_by_name(tmp_path, name, content):
    landing = landing_with(tmp_path, {f"snap/{name}": content, "snap/good.txt": b"1 2 1341100800 RT\n"})
    with pytest.raises(UsageError, match=rf"landed file snap/{re.escape(name)} is not a readable (gz|bz2) file"):
        discover(landing)


def zipped(name: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


SNAP_DAY = b"1 2 1341100800 RT\n" * 100


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("day.zip", zipped("day.txt", SNAP_DAY), "is a zip archive, which landing does not read"),
        ("day.txt", zipped("day.txt", SNAP_DAY), "is a zip archive, which landing does not read"),
        ("day.txt.xz", lzma.compress(SNAP_DAY), "is xz-compressed, which landing does not read"),
        ("day.txt.zst", b"(\xb5/\xfd" + bytes(range(40)), "is zstd-compressed, which landing does not read"),
        ("day.txt", gzip.compress(SNAP_DAY), r"is gzip-compressed but its name does not end in .gz, .*rename it to day.txt.gz"),
        ("day", bz2.compress(SNAP_DAY), r"is bzip2-compressed but its name does not end in .bz2, .*rename it to day.bz2"),
    ],
    ids=["zip", "zip named .txt", "xz", "zstd", "gzip named .txt", "bzip2 without a suffix"],
)
def test_a_file_compressed_otherwise_than_its_name_says_is_refused_by_name(tmp_path, name, content, message):
    landing = landing_with(tmp_path, {f"snap/{name}": content, "snap/good.txt": SNAP_DAY})
    with pytest.raises(UsageError, match=rf"landed file snap/{re.escape(name)} {message}.* Nothing was written"):
        discover(landing)


def test_text_that_only_begins_like_a_compression_mark_is_text(tmp_path):
    landing = landing_with(tmp_path, {"snap/bz.txt": b"BZh 1 2\n", "snap/pk.txt": b"PK 1 2\n"})
    assert [(file.relative, file.empty) for file in discover(landing)] == [("snap/bz.txt", False), ("snap/pk.txt", False)]


def test_an_unreadable_file_is_refused_by_name(tmp_path, monkeypatch):
    landing = landing_with(tmp_path, {"snap/day.txt": b"1 2 1341100800 RT\n", "snap/locked.txt": b"3 4 1341100800 RT\n"})
    real_open = Path.open

    def open_refusing_locked(path, *args, **kwargs):
        if path.name == "locked.txt":  # as an unprivileged scheduler account would be refused (tests may run as root)
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_refusing_locked)
    with pytest.raises(UsageError, match=r"landed file snap/locked.txt cannot be read \(Permission denied\)"):
        discover(landing)


def test_symbolic_links_are_not_followed(tmp_path, caplog):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("1 2 1341100800 RT\n")
    landing = landing_with(tmp_path, {"snap/day.txt": b"1 2 1341100800 RT\n"})
    (landing / "snap" / "linked.txt").symlink_to(outside / "secret.txt")
    (landing / "snap" / "linked_folder").symlink_to(outside, target_is_directory=True)
    (landing / "twitter_v1").symlink_to(outside, target_is_directory=True)
    assert [f.relative for f in discover(landing)] == ["snap/day.txt"]
    for name in ("snap/linked.txt", "snap/linked_folder", "twitter_v1"):
        assert f"{name} is a symbolic link; links are not followed" in caplog.text


def test_a_folder_without_a_connector_stops_the_night_unless_ignored(tmp_path, caplog):
    landing = landing_with(tmp_path, {"snap/day.txt": b"1 2 1341100800 RT\n", "tweets/x.jsonl": b"{}\n"})
    with pytest.raises(UsageError, match=r"landing folder\(s\) tweets in .* name no connector .*ignore_unknown_sources"):
        discover(landing)
    assert [f.relative for f in discover(landing, ignore_unknown_sources=True)] == ["snap/day.txt"]
    assert "ignoring folder(s) with no connector: tweets" in caplog.text


def test_file_names_reach_spark_literally_not_as_globs(spark, tmp_path):
    # unescaped, "day[1]{a,b}*?.txt" would be a pattern matching day1a.txt (and "\\" an escape)
    names = {"snap/day[1]{a,b}*?.txt": b"1 2 1341100800 RT\n", "snap/day1a.txt": b"3 4 1341100800 RT\n5 6 1341100800 RT\n"}
    names["snap/back\\slash day.txt"] = b"7 8 1341100800 RT\n"
    landing = landing_with(tmp_path, names)
    landed = discover(landing)
    assert sorted(f.relative for f in landed) == sorted(names)
    for landed_file in landed:
        lines = [row.line for row in read_lines(spark, landed_file).collect()]
        assert lines == names[landed_file.relative].decode().splitlines(), landed_file.relative


def test_a_name_hadoop_cannot_open_is_refused_by_name(tmp_path):
    landing = landing_with(tmp_path, {"snap/at 10:30.txt": b"7 8 1341100800 RT\n"})
    with pytest.raises(UsageError, match=r"landed file snap/at 10:30.txt has a ':' in its path"):
        discover(landing)


def test_a_line_over_the_cap_is_quarantined_as_line_too_long_and_not_parsed(spark):
    config = load_config(lake="/nonexistent-lake", environ={})
    config = config.replace(landing=dataclasses.replace(config.landing, max_line_bytes=1024))
    long_line = "9 8 1341100800 RT " + "x" * 2000
    bronze = spark.createDataFrame(
        [("snap", "snap/day.txt", 1, "1 2 1341100800 RT"), ("snap", "snap/day.txt", 2, long_line)],
        "source string, file string, line_number long, line string",
    )
    rows = {row.line_number: row for row in classify_lines(bronze, config).collect()}
    assert (rows[1].status, len(rows[1].interactions)) == ("conformed", 1)
    assert rows[2].status == "quarantined" and len(rows[2].interactions) == 0
    assert rows[2].reason == f"line_too_long: {len(long_line)} bytes, over the cap of 1024"
    assert rows[2].reason.split(":")[0] in QUARANTINE_REASON_CODES


# JSON documents (influence/json_documents.py): the same records, whatever the layout


def records_read(spark, landed_file) -> list:
    """What the connector made of a file: each line's status and records, in line order, the line itself aside."""
    frame = CONNECTORS[landed_file.source](read_lines(spark, landed_file), ConnectorOptions())
    kept = ("line_number", "status", "reason", "posts", "interactions", "accounts")
    return [tuple(row) for row in frame.select(*kept).orderBy("line_number").collect()]


@pytest.mark.parametrize(
    ("source", "sample"),
    [("twitter_v1", V1_SAMPLE), ("twitter_v2", V2_SAMPLE)],
)
def test_a_real_dump_saved_as_json_documents_gives_the_records_of_its_json_lines(spark, shared_data, tmp_path, source, sample):
    """The first 120 statuses of the v1.1 sample (or 30 v2 pages) landed as JSON lines, as an indented JSON array
    (gzipped), and as indented objects one after another: the same lines, records and quarantine, in order."""
    values = json_lines(shared_data / sample)[: 120 if source == "twitter_v1" else 30]
    values.insert(3, {"id_str": "not a number"})  # a record the connector quarantines, in every layout
    landing = landing_with(
        tmp_path,
        {
            f"{source}/lines.jsonl": "\n".join(json.dumps(value, ensure_ascii=False) for value in values).encode(),
            f"{source}/array.json.gz": gzip.compress(json.dumps(values, indent=2, ensure_ascii=False).encode()),
            f"{source}/objects.json": "\n".join(json.dumps(value, indent="\t") for value in values).encode(),
        },
    )
    landed = {f.relative.split("/")[1]: f for f in discover(landing)}
    assert {name: f.layout for name, f in landed.items()} == {
        "lines.jsonl": json_documents.LINES,
        "array.json.gz": json_documents.DOCUMENT,
        "objects.json": json_documents.DOCUMENT,
    }
    expected = records_read(spark, landed["lines.jsonl"])
    assert len(expected) == len(values) and expected[3][1] == "quarantined"
    assert sum(row[1] == "conformed" for row in expected) == len(values) - 1
    for name in ("array.json.gz", "objects.json"):
        assert records_read(spark, landed[name]) == expected, name


def test_a_file_that_only_begins_like_a_document_is_read_as_lines(tmp_path, caplog):
    broken = b'{"id_str": "1", "text": \n{"id_str": "2"}\n'  # a JSON-lines file whose first record is cut
    truncated = json.dumps([{"id_str": "1"}, {"id_str": "2"}], indent=2).removesuffix("]").encode()  # an export cut short
    landing = landing_with(tmp_path, {"twitter_v1/broken.jsonl": broken, "twitter_v1/truncated.json": truncated})
    assert {f.relative: f.layout for f in discover(landing)} == {
        "twitter_v1/broken.jsonl": json_documents.LINES,
        "twitter_v1/truncated.json": json_documents.LINES,
    }
    assert "twitter_v1/broken.jsonl begins like a JSON document but is not one (not JSON" in caplog.text
    assert "twitter_v1/truncated.json begins like a JSON document but is not one (the array is not closed" in caplog.text


def test_a_document_over_the_limit_is_refused_before_anything_is_written(tmp_path):
    document = json.dumps([{"id_str": str(n)} for n in range(100)], indent=2).encode()
    landing = landing_with(tmp_path, {"twitter_v1/big.json": document, "snap/day.txt": b"1 2 1341100800 RT\n"})
    with pytest.raises(
        UsageError, match=r"twitter_v1/big.json is a JSON document of [0-9,]+ bytes, over landing.max_document_bytes \(1,000\)"
    ):
        discover(landing, max_document_bytes=1_000)
    assert {f.relative: f.layout for f in discover(landing, max_document_bytes=len(document))}[
        "twitter_v1/big.json"
    ] == json_documents.DOCUMENT
