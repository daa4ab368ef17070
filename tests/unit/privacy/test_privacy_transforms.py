"""transforms.privacy: keyed hashes (HMAC-SHA256 in Spark)."""

from __future__ import annotations

import hashlib
import hmac

from pyspark.sql import functions as F

from transforms.privacy import keyed_hash


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
