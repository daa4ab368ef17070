"""Reading landed files: plain, .gz and .bz2 give the same numbered lines, BOM, CRLF and a very long
line included, and a connector reads the long line like any other."""

from __future__ import annotations

import bz2
import gzip
import json

from stages.landing import LandedFile, read_lines
from transforms.connectors import twitter_v1

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
