"""Privacy transforms (docs/privacy.md): keyed hashes of subjects and who is suppressed (erasure matching:
transforms/erasure.py).

A subject is written 'account:<network>:<account_id>', 'handle:<network>:<handle lower case>' or
'person:<person_id>', and stored only as HMAC-SHA256(key, subject) in hex: the governance tables can
match a dump's accounts against a request without holding the identifier.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

import pandas as pd
from pyspark.sql import Column, DataFrame, functions as F, types as T

from transforms.connectors.lines import QUARANTINED, SKIPPED
from transforms.model.graph import person_of_account

PROFILE_PREFIX = "profile:"  # profile_key = HMAC(key, PROFILE_PREFIX + person_id)


def subject_hash(key: bytes, subject: str) -> str:
    """HMAC-SHA256 of one subject in hex, as the CLI records a request."""
    return hmac.new(key, subject.encode("utf-8"), hashlib.sha256).hexdigest()


def keyed_hash(subject: Column, key: bytes) -> Column:
    """HMAC-SHA256(key, subject) in hex, equal to subject_hash; null for a null subject.

    A UDF on purpose: with Spark built-ins (sha2 over the key's pads) the pads are literals of the query
    plan, which explain(), the event log and the Spark UI print, so anyone who can read those has the key.
    Here the key only travels inside the pickled function to the Python workers. Vectorized (Arrow)."""

    @F.pandas_udf(T.StringType())
    def hmac_sha256(subjects: pd.Series) -> pd.Series:
        return subjects.map(
            lambda text: None if text is None else hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()
        )

    return hmac_sha256(subject)


def account_subject(network: Column, account_id: Column) -> Column:
    return F.concat(F.lit("account:"), network, F.lit(":"), account_id)


def handle_subject(network: Column, handle: Column) -> Column:
    """Handles compare without '@' and case (an account known only by handle has the id '@<handle>')."""
    return F.concat(F.lit("handle:"), network, F.lit(":"), F.lower(F.regexp_replace(handle, "^@", "")))


def profile_key(person_id: Column, key: bytes) -> Column:
    """The published pseudonymous key of a person's profile: an erasure's feed delete names only this."""
    return keyed_hash(F.concat(F.lit(PROFILE_PREFIX), person_id), key)


def person_subject(person_id: Column) -> Column:
    return F.concat(F.lit("person:"), person_id)


def to_account_keys(accounts: DataFrame, links: DataFrame | None, key: bytes) -> DataFrame:
    """(network, account_id, handle) -> (network, account_id, person_id, subject_key): one row per key
    an account answers to: its id, its handle (also for an '@handle' id) and its person."""
    linked = accounts.select("network", "account_id", "handle")
    if links is not None:
        linked = linked.join(links.select("network", "account_id", "person_id"), on=["network", "account_id"], how="left")
    else:
        linked = linked.withColumn("person_id", F.lit(None).cast("string"))
    linked = linked.withColumn(
        "person_id", F.coalesce(F.col("person_id"), person_of_account(F.col("network"), F.col("account_id")))
    )
    handle = F.coalesce(F.col("handle"), F.when(F.col("account_id").startswith("@"), F.col("account_id")))
    subjects = F.array(
        account_subject(F.col("network"), F.col("account_id")),
        F.when(handle.isNotNull(), handle_subject(F.col("network"), handle)),
        person_subject(F.col("person_id")),
    )
    return (
        linked.select("network", "account_id", "person_id", F.explode(subjects).alias("subject"))
        .filter(F.col("subject").isNotNull())
        .select("network", "account_id", "person_id", keyed_hash(F.col("subject"), key).alias("subject_key"))
    )


def to_suppressed_accounts(account_keys: DataFrame, consent: DataFrame, states: Iterable[str]) -> DataFrame:
    """Accounts (network, account_id, person_id) whose person is suppressed in one of `states`: every
    account of a person any of whose keys is suppressed."""
    suppressing = consent.filter(F.col("state").isin(list(states))).select("subject_key")
    persons = account_keys.join(F.broadcast(suppressing), on="subject_key", how="left_semi").select("person_id").distinct()
    return account_keys.select("network", "account_id", "person_id").distinct().join(persons, on="person_id", how="left_semi")


def named_subjects(profiles: DataFrame) -> DataFrame:
    """`subject`: everyone a profiles-shaped frame names: each row's person and accounts, the persons its
    explanation names as top engagers, and the engagers its moments give as evidence."""
    none = F.array().cast("array<string>")
    parts = [
        F.array(person_subject(F.col("person_id"))),
        F.coalesce(F.transform("accounts", lambda a: account_subject(a["network"], a["account_id"])), none),
        F.coalesce(F.transform("explanation.top_engagers", lambda e: person_subject(e["person_id"])), none),
    ]
    if "moment_days" in profiles.columns:  # absent from versions published before moments in time
        evidence = F.transform("moment_days", lambda m: F.transform(m["evidence"], lambda e: person_subject(e["engager"])))
        parts.append(F.coalesce(F.flatten(evidence), none))
    return profiles.select(F.explode(F.concat(*parts)).alias("subject")).filter(F.col("subject").isNotNull()).distinct()


def suppressed_subjects_named(profiles: DataFrame, consent: DataFrame, states: Iterable[str], key: bytes) -> DataFrame:
    """The subject keys of `consent` in `states` that `profiles` names anywhere (named_subjects)."""
    suppressing = F.broadcast(consent.filter(F.col("state").isin(list(states))).select("subject_key").distinct())
    keys = named_subjects(profiles).select(keyed_hash(F.col("subject"), key).alias("subject_key"))
    return keys.join(suppressing, on="subject_key", how="left_semi").distinct()


def to_persons_in_states(rows: DataFrame, consent: DataFrame, states: Iterable[str], key: bytes) -> DataFrame:
    """`person_id` of the rows (person_id, accounts: scores or profiles) whose person, or one of whose
    accounts, holds a consent row in one of `states`."""
    subjects = rows.select(
        "person_id",
        F.explode(
            F.concat(
                F.array(person_subject(F.col("person_id"))),
                F.transform("accounts", lambda a: account_subject(a["network"], a["account_id"])),
            )
        ).alias("subject"),
    )
    holding = F.broadcast(consent.filter(F.col("state").isin(list(states))).select("subject_key").distinct())
    return (
        subjects.select("person_id", keyed_hash(F.col("subject"), key).alias("subject_key"))
        .join(holding, on="subject_key", how="left_semi")
        .select("person_id")
        .distinct()
    )


def to_published_only(scores: DataFrame, published: DataFrame) -> DataFrame:
    """The score rows (run_date, person_id, ...) of the persons in `published` (person_id), naming nobody else:
    top engagers and moment evidence of persons outside it are dropped (consent-first publishing)."""
    key = ["run_date", "person_id"]
    no_strings = F.array().cast("array<string>")
    kept = scores.join(published, on="person_id", how="left_semi")
    named = F.array_distinct(
        F.concat(
            F.coalesce(F.col("explanation.top_engagers.person_id"), no_strings),
            F.coalesce(
                F.flatten(F.transform("moment_days", lambda day: F.coalesce(day["evidence"]["engager"], no_strings))),
                no_strings,
            ),
        )
    )
    allowed = (
        kept.select(*key, F.explode(named).alias("named"))
        .join(published.select(F.col("person_id").alias("named")), on="named", how="left_semi")
        .groupBy(*key)
        .agg(F.collect_set("named").alias("_allowed"))
    )
    marked = kept.join(allowed, on=key, how="left").withColumn("_allowed", F.coalesce(F.col("_allowed"), no_strings))

    def is_allowed(person: Column) -> Column:
        return F.array_contains(F.col("_allowed"), person)

    explanation = F.col("explanation").withField(
        "top_engagers", F.filter("explanation.top_engagers", lambda engager: is_allowed(engager["person_id"]))
    )
    moment_days = F.transform(
        "moment_days", lambda day: day.withField("evidence", F.filter(day["evidence"], lambda e: is_allowed(e["engager"])))
    )
    return marked.withColumns(
        {
            "explanation": F.when(F.col("explanation").isNotNull(), explanation),
            "moment_days": moment_days,
        }
    ).select(*scores.columns)


def without_suppressed_interactions(interactions: DataFrame, suppressed: DataFrame) -> DataFrame:
    """Interactions in which no suppressed account takes part, as actor or as target."""
    accounts = F.broadcast(suppressed.select("network", "account_id"))
    as_actor = accounts.withColumnRenamed("account_id", "actor")
    as_target = accounts.withColumnRenamed("account_id", "target")
    return interactions.join(as_actor, on=["network", "actor"], how="left_anti").join(
        as_target, on=["network", "target"], how="left_anti"
    )


def without_suppressed_posts(posts: DataFrame, suppressed: DataFrame) -> DataFrame:
    authors = F.broadcast(suppressed.select("network", F.col("account_id").alias("author")))
    return posts.join(authors, on=["network", "author"], how="left_anti")


SKIP_ERASED = "erased_subject"


def _account_subject_of(network: Column, account_id: Column) -> Column:
    """An '@handle' account id is the handle's subject; any other id the account's."""
    return F.when(account_id.startswith("@"), handle_subject(network, account_id)).otherwise(account_subject(network, account_id))


# @handle in text: group 1 with its domain parts (@alice.bsky.social, @alice@host), group 2 up to the first '.' or '@'
_HANDLE_IN_TEXT = r"@(([\p{L}\p{N}_]+)(?:[.@][\p{L}\p{N}_-]+)*)"


def to_line_subjects(classified: DataFrame) -> DataFrame:
    """(source, file, line_number, subject) for every account a classified line names: profiles (id and
    handle), post authors, replied-to and mentioned accounts, interaction actors and targets, and the
    accounts and persons of identity links."""
    no_strings = F.array().cast("array<string>")

    def each(column: str, subjects) -> Column:
        return F.coalesce(F.flatten(F.transform(F.col(column), subjects)), no_strings)

    named = F.concat(
        each(
            "accounts",
            lambda a: F.array(_account_subject_of(a["network"], a["account_id"]), handle_subject(a["network"], a["handle"])),
        ),
        each(
            "posts",
            lambda p: F.concat(
                F.array(_account_subject_of(p["network"], p["author"]), _account_subject_of(p["network"], p["reply_to_account"])),
                F.transform(F.coalesce(p["mentions"], no_strings), lambda m: _account_subject_of(p["network"], m)),
                # a handle written in the text, which a dump's entities may not list: its first part
                # (@alice) and its whole dotted form (@alice.bsky.social, @alice@mastodon.social)
                F.transform(
                    F.coalesce(F.regexp_extract_all(p["text"], F.lit(_HANDLE_IN_TEXT), 1), no_strings),
                    lambda h: handle_subject(p["network"], h),
                ),
                F.transform(
                    F.coalesce(F.regexp_extract_all(p["text"], F.lit(_HANDLE_IN_TEXT), 2), no_strings),
                    lambda h: handle_subject(p["network"], h),
                ),
            ),
        ),
        each(
            "interactions",
            lambda i: F.array(_account_subject_of(i["network"], i["actor"]), _account_subject_of(i["network"], i["target"])),
        ),
        # a link names its account and its person: a landed link to an erased account must not come back
        each(
            "links",
            lambda link: F.array(_account_subject_of(link["network"], link["account_id"]), person_subject(link["person_id"])),
        ),
    )
    return (
        classified.select("source", "file", "line_number", F.explode(named).alias("subject"))
        .filter(F.col("subject").isNotNull())
        .distinct()
    )


# Tokens of a line that could not be read: words, and dotted, '@' or ':' forms (alice.bsky.social, alice@host,
# did:plc:abc)
_WORDS = r"[\p{L}\p{N}_]+"
_DOTTED = r"[\p{L}\p{N}_]+(?:[.@:][\p{L}\p{N}_-]+)+"


def to_unread_line_subjects(classified: DataFrame, line_network: Column) -> DataFrame:
    """(source, file, line_number, subject) for the lines a connector could not read (quarantined): none of
    their fields is known, so every token counts as a possible account id or handle of the line's network
    (`line_network`, null for lines of any network) and as a possible person id."""
    tokens = F.array_distinct(
        F.concat(F.regexp_extract_all("line", F.lit(_WORDS), 0), F.regexp_extract_all("line", F.lit(_DOTTED), 0))
    )
    unread = classified.filter(F.col("status") == QUARANTINED).select(
        "source", "file", "line_number", line_network.alias("_network"), F.explode(tokens).alias("_token")
    )
    network, token = F.col("_network"), F.col("_token")
    subjects = F.array(
        F.when(network.isNotNull(), account_subject(network, token)),
        F.when(network.isNotNull(), handle_subject(network, token)),
        person_subject(token),
    )
    return (
        unread.select("source", "file", "line_number", F.explode(subjects).alias("subject"))
        .filter(F.col("subject").isNotNull())
        .distinct()
    )


def with_erased_lines_skipped(classified: DataFrame, erased_keys: DataFrame, key: bytes, line_network: Column) -> DataFrame:
    """Lines naming an erased subject are skipped (reason erased_subject): nothing of them reaches silver, nor
    the quarantine (a line that could not be read is matched by its tokens)."""
    subjects = to_line_subjects(classified).unionByName(to_unread_line_subjects(classified, line_network)).distinct()
    hashed = subjects.select("source", "file", "line_number", keyed_hash(F.col("subject"), key).alias("subject_key"))
    erased_lines = (
        hashed.join(F.broadcast(erased_keys.select("subject_key")), on="subject_key", how="left_semi")
        .select("source", "file", "line_number")
        .distinct()
        .withColumn("_erased", F.lit(True))
    )
    marked = classified.join(erased_lines, on=["source", "file", "line_number"], how="left")
    is_erased = F.coalesce(F.col("_erased"), F.lit(False))
    return marked.withColumns(
        {
            "status": F.when(is_erased, F.lit(SKIPPED)).otherwise(F.col("status")),
            "reason": F.when(is_erased, F.lit(SKIP_ERASED)).otherwise(F.col("reason")),
        }
    ).drop("_erased")
