"""The privacy key (influence/governance.py privacy_key, transforms/privacy.py keyed_hash): out of every
query plan, created atomically and privately for a new lake only, and the one key a lake accepts."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import stat

import pytest
from pyspark.sql import functions as F

from influence.config import load_config
from influence.errors import UsageError
from influence.governance import KEY_ENVIRONMENT, fingerprint_path, key_fingerprint, privacy_key
from transforms.privacy import keyed_hash, profile_key

KEY = bytes(range(7, 47))  # 40 bytes, no two alike, so that any slice of it is recognisable


def encodings_of(key: bytes) -> list[str]:
    """The key as hex (either case), base64, Latin-1 text, Python and Java byte literals, and the HMAC pads
    of the old built-in implementation: none may appear in a plan."""
    pads = [bytes(b ^ pad for b in key.ljust(64, b"\0")) for pad in (0x36, 0x5C)]
    forms = [key.hex(), key.hex().upper(), base64.b64encode(key).decode(), key.decode("latin-1"), repr(key)]
    forms += [", ".join(str(b if b < 128 else b - 256) for b in key[:8])]  # Java's byte[] toString
    forms += [pad.hex() for pad in pads] + [pad.hex().upper() for pad in pads]
    return forms


def test_keyed_hashes_are_hmac_and_no_plan_holds_the_key(spark):
    subjects = ["account:twitter:12", "handle:twitter:alice", "person:é-ü", "", None]
    frame = spark.createDataFrame([(s,) for s in subjects], "s string").select(
        keyed_hash(F.col("s"), KEY).alias("h"), profile_key(F.col("s"), KEY).alias("p")
    )
    rows = frame.collect()
    assert [row.h for row in rows] == [
        None if s is None else hmac.new(KEY, s.encode(), hashlib.sha256).hexdigest() for s in subjects
    ]
    assert rows[0].p == hmac.new(KEY, b"profile:account:twitter:12", hashlib.sha256).hexdigest()
    plans = [frame._jdf.queryExecution().toString()]
    plans += [frame._jdf.queryExecution().explainString(mode) for mode in _explain_modes(spark)]
    for plan in plans:
        for form in encodings_of(KEY):
            assert form not in plan, (form, plan[:2000])
    # the check can fail: the old built-in implementation put the pads in the plan
    assert any(form in _builtin_plan(spark) for form in encodings_of(KEY))


def _explain_modes(spark):
    modes = spark._jvm.org.apache.spark.sql.execution.ExplainMode
    return [modes.fromString(name) for name in ("simple", "extended", "codegen", "cost", "formatted")]


def _builtin_plan(spark) -> str:
    block = KEY.ljust(64, b"\0")
    inner_pad = bytes(b ^ 0x36 for b in block)
    frame = spark.range(1).select(F.sha2(F.concat(F.lit(inner_pad), F.encode(F.lit("x"), "UTF-8")), 256))
    return frame._jdf.queryExecution().toString()


@pytest.fixture
def no_key_variable(monkeypatch):
    monkeypatch.delenv(KEY_ENVIRONMENT, raising=False)


def test_a_new_lake_gets_a_private_key_written_whole_and_records_its_fingerprint(tmp_path, no_key_variable):
    lake = tmp_path / "lake"
    config = load_config(lake=str(lake))
    key = privacy_key(config)
    key_file = lake / "governance" / "_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert bytes.fromhex(key_file.read_text().strip()) == key and len(key) == 32
    assert key_fingerprint(key) in fingerprint_path(lake).read_text()
    assert key.hex() not in fingerprint_path(lake).read_text()
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["_key", "_key_fingerprint"]  # no temporary left
    assert privacy_key(config) == key  # and the same key next time


def test_a_crash_while_creating_the_key_leaves_no_key(tmp_path, no_key_variable, monkeypatch):
    lake = tmp_path / "lake"

    def killed(*args):
        raise KeyboardInterrupt  # as if the process stopped between writing and naming the key

    monkeypatch.setattr(os, "link", killed)
    with pytest.raises(KeyboardInterrupt):
        privacy_key(load_config(lake=str(lake)))
    assert not (lake / "governance" / "_key").exists()
    assert list((lake / "governance").iterdir()) == []


def test_another_key_or_no_key_or_a_readable_key_is_refused(tmp_path, no_key_variable, monkeypatch):
    lake = tmp_path / "lake"
    config = load_config(lake=str(lake))
    key = privacy_key(config)
    expected = key_fingerprint(key)[:16]

    monkeypatch.setenv(KEY_ENVIRONMENT, "ab" * 32)
    with pytest.raises(UsageError, match=f"is not the key lake .* was keyed with \\(fingerprint {expected}\\)"):
        privacy_key(config)
    monkeypatch.setenv(KEY_ENVIRONMENT, key.hex())
    assert privacy_key(config) == key  # the same key from the variable is fine
    monkeypatch.delenv(KEY_ENVIRONMENT)

    key_file = lake / "governance" / "_key"
    key_file.chmod(0o644)
    with pytest.raises(UsageError, match="can be read by others \\(mode 644\\); run `chmod 600"):
        privacy_key(config)
    key_file.unlink()
    with pytest.raises(UsageError, match=f"no privacy key: lake .* was keyed with the key of fingerprint {expected}"):
        privacy_key(config)
    assert not key_file.exists()  # no new key was made

    elsewhere = tmp_path / "keys" / "other.key"
    with pytest.raises(UsageError, match="is not the key lake"):
        elsewhere.parent.mkdir()
        elsewhere.write_text("cd" * 32)
        elsewhere.chmod(0o600)
        privacy_key(load_config(lake=str(lake), overrides=[f"privacy.key_file={elsewhere}"]))


def test_a_lake_with_tables_but_no_key_is_refused_and_a_relative_key_file_is_a_config_error(tmp_path, no_key_variable):
    lake = tmp_path / "lake"
    (lake / "ops" / "runs" / "_delta_log").mkdir(parents=True)  # a run log holds no keyed hash: a key is made
    assert privacy_key(load_config(lake=str(lake)))
    (lake / "governance" / "_key").unlink()
    fingerprint_path(lake).unlink()
    (lake / "governance" / "consent" / "_delta_log").mkdir(parents=True)  # written before fingerprints
    with pytest.raises(UsageError, match="holds data keyed with an earlier key"):
        privacy_key(load_config(lake=str(lake)))
    with pytest.raises(UsageError, match="privacy.key_file must be an absolute path"):
        load_config(lake=str(lake), overrides=["privacy.key_file=keys/privacy.key"])


def test_a_linked_accounts_own_person_id_resolves_to_the_person_it_links_to(spark, tmp_path, no_key_variable):
    from influence import storage
    from influence.governance import parse_account, parse_person, resolve
    from influence.tables import IDENTITY_LINKS

    lake = tmp_path / "lake"
    links = [("twitter", "123", "p-17"), ("reddit", "alice", "p-17"), ("twitter", "999", "p-18")]
    day = dt.date(2024, 3, 1)
    rows = [
        (network, account, person, "identity_links", "links.csv", n, day) for n, (network, account, person) in enumerate(links)
    ]
    storage.append(spark.createDataFrame(rows, IDENTITY_LINKS.schema), IDENTITY_LINKS, lake)
    config = load_config(lake=str(lake))
    by_person = resolve(spark, config, parse_person("twitter:123"))
    assert (by_person.person_id, by_person.accounts) == ("p-17", (("reddit", "alice"), ("twitter", "123")))
    assert resolve(spark, config, parse_account("twitter:123")) == by_person
    assert resolve(spark, config, parse_person("p-17")).accounts == by_person.accounts
    unlinked = resolve(spark, config, parse_person("twitter:5"))
    assert (unlinked.person_id, unlinked.accounts) == ("twitter:5", (("twitter", "5"),))
