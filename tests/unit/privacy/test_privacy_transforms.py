"""transforms.privacy: keyed hashes (HMAC-SHA256 in Spark) and whole-token redaction inside nested values."""

from __future__ import annotations

import hashlib
import hmac

from pyspark.sql import functions as F

from transforms.privacy import keyed_hash, python_pattern, redacted, token_pattern


def test_keyed_hash_in_spark_is_hmac_sha256(spark):
    key = bytes(range(40))
    subjects = ["account:twitter:12", "handle:twitter:alice", "person:é-ü", ""]
    got = [
        row.h
        for row in spark.createDataFrame([(s,) for s in subjects], "s string")
        .select(keyed_hash(F.col("s"), key).alias("h"))
        .collect()
    ]
    assert got == [hmac.new(key, s.encode(), hashlib.sha256).hexdigest() for s in subjects]


def test_identifiers_are_redacted_as_whole_tokens_in_nested_values(spark):
    pattern = token_pattern(["12", "alice"])
    assert python_pattern(pattern).sub("[erased]", "12 123 @Alice alice_b x12") == "[erased] 123 @[erased] alice_b x12"
    row = spark.createDataFrame(
        [("12 and 123", ["Alice", "bob"], {"12": 1.0}, ("alice", 0.5))],
        "s string, a array<string>, m map<string,double>, t struct<p:string,share:double>",
    )
    [out] = row.select(*[redacted(F.col(f.name), f.dataType, pattern).alias(f.name) for f in row.schema.fields]).collect()
    assert (out.s, out.a, out.m, out.t.p, out.t.share) == (
        "[erased] and 123",
        ["[erased]", "bob"],
        {"[erased]": 1.0},
        "[erased]",
        0.5,
    )
