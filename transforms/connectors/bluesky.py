"""Bluesky Jetstream dumps (one JSON event per line) -> classified lines with canonical records.

Jetstream (github.com/bluesky-social/jetstream) re-encodes the AT Protocol firehose as JSON events:
  {"did": "did:plc:...", "time_us": 1725911162329308, "kind": "commit",
   "commit": {"rev": "...", "operation": "create", "collection": "app.bsky.feed.post", "rkey": "3l3qo2vutsw2b",
              "record": {...}, "cid": "..."}}
  {"did": ..., "time_us": ..., "kind": "identity", "identity": {"did": ..., "handle": "alice.bsky.social", "seq": 1, "time": ...}}
  {"did": ..., "time_us": ..., "kind": "account", "account": {"active": false, "did": ..., "seq": 1, "status": "takendown", "time": ...}}
A delete commit carries no record and no cid. network = "bluesky" everywhere; account ids are DIDs.

Times. time_us (microseconds since 1970, Jetstream's own clock when it saw the event) is every record's
occurred_at / observed_at: it is set by the service, while record.createdAt is written by the client
and can lie (archives imported from other networks carry years-old createdAt). createdAt is kept as
the post's created_at; when it is absent, unparseable or outside the years 1970-9999, created_at falls
back to time_us.

Mapping (record_uri = "at://" + did + "/" + commit.collection + "/" + commit.rkey):
  app.bsky.feed.post, create -> posts[1] + interactions:
    post_id = record_uri; author = did; created_at = record.createdAt (else time_us); lang = record.langs[0];
    text = record.text; hashtags = tag of every facet feature `app.bsky.richtext.facet#tag`, then
    record.tags (distinct, in order, as written); mentions = did of every facet feature
    `app.bsky.richtext.facet#mention` (distinct); reply_to_post_id = record.reply.parent.uri;
    reply_to_account = the DID in that uri; quote_of_post_id = record.embed.record.uri
    (embed `app.bsky.embed.record`) or record.embed.record.record.uri (`app.bsky.embed.recordWithMedia`)
    when it is a post uri; reshare_of_post_id and the four counts null (Jetstream has none); observed_at = time_us.
    interactions (actor = did, occurred_at = time_us, post_id = record_uri):
      reply    target = DID in reply.parent.uri, target_post_id = reply.parent.uri,  natural_key "bluesky|reply|<record_uri>"
      quote    target = DID in the quoted uri,   target_post_id = the quoted uri,   natural_key "bluesky|quote|<record_uri>"
      mention  target = the facet's did (one per distinct did), target_post_id null,
               natural_key "bluesky|mention|<record_uri>|<did>"
  app.bsky.feed.like, create    -> interaction like
  app.bsky.feed.repost, create  -> interaction reshare
      target = DID in record.subject.uri; target_post_id = record.subject.uri when it is a post uri (a like of
      a feed generator or list still counts, engaging its owner, with target_post_id null)
  app.bsky.graph.follow, create -> interaction follow: target = record.subject (a DID), target_post_id null
      (these three: actor = did, post_id null, occurred_at = time_us, natural_key "bluesky|<kind>|<record_uri>")
  app.bsky.actor.profile, create or update -> accounts[1]: account_id = did, handle null,
      display_name = record.displayName, bio = record.description, observed_at = time_us
  delete of a post -> deletes[1] (record_type "post", natural_key = record_uri); delete of a like, repost or
      follow -> deletes[1] (record_type "interaction", natural_key = what its create had: "bluesky|<kind>|<record_uri>")
  kind identity -> accounts[1]: account_id = did, handle = identity.handle, observed_at = time_us
  weight is 1.0 on every interaction. Free text (text, createdAt, tags, handle, displayName, description)
  of the wrong JSON type reads as null; identifiers are read as text and validated (did 42 is a bad_value).
Not mapped: reply.root, langs after the first, link facets, media / external embeds, a quote of a feed
generator, list or starter pack (no quote interaction), like/repost `via`, profile avatar / banner /
pinnedPost, commit.cid, identity.time, the whole account event.

event_key: "bluesky|<did>|<collection>|<rkey>|<operation>" for commits (a profile's rkey is always "self",
so its commits also append "|<commit.rev>": two profile updates in one night are two events);
"bluesky|<did>|identity|<identity.seq, else time_us>" for identity events; null on lines not conformed.

Quarantine reasons (first that applies):
  invalid_json        the line is not JSON / not a JSON object
  missing_field       $.kind, $.did, $.time_us, $.identity, $.commit, $.commit.operation, $.commit.collection,
                      $.commit.rkey, $.commit.record (create/update of a mapped collection),
                      $.commit.record.subject.uri (like, repost), $.commit.record.subject (follow),
                      $.commit.record.reply.parent.uri (a post with reply), "$.commit.record.embed (quoted record
                      uri)" (embed.record.uri, or embed.record.record.uri for recordWithMedia);
                      absent or null (identity, commit, record: or not a JSON object)
  unknown_event_type  kind not commit/identity/account; commit.operation not create/update/delete
  bad_timestamp       time_us not an integer JSON number in [10^15, year 10000) (seconds, milliseconds, text)
  bad_value           did not a DID; rkey not a record key; subject / quoted uri not an at:// uri; reply parent
                      not a post at:// uri; follow subject not a DID; a mention facet whose did is not a DID
Skip reasons (status skipped):
  blank                    empty line
  account_status           kind account (active / takendown / deactivated ...): no canonical field holds it
  identity_without_handle  identity event without a handle, or with the placeholder "handle.invalid"
  unmapped_collection      a commit on a collection we do not score (graph.block, graph.list, graph.listitem,
                           feed.generator, feed.threadgate, starter packs, non-Bluesky lexicons ...)
  unmapped_update          update of a post, like, repost or follow: the Bluesky app cannot edit them and
                           redefining an already counted record is not something silver can apply
  unmapped_delete          delete of the profile record: the canonical model has no account deletion
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors.json_lines import base_reason, field, json_kind, missing, parsed_lines, quoted
from transforms.connectors.lines import SKIP_BLANK
from transforms.connectors.records import classified, status_of, typed_records

NETWORK = "bluesky"
POST, LIKE, REPOST, FOLLOW, PROFILE = (
    "app.bsky.feed.post",
    "app.bsky.feed.like",
    "app.bsky.feed.repost",
    "app.bsky.graph.follow",
    "app.bsky.actor.profile",
)
INTERACTION_KIND = {LIKE: "like", REPOST: "reshare", FOLLOW: "follow"}
MAPPED_COLLECTIONS = (POST, *INTERACTION_KIND, PROFILE)
EVENT_KINDS = ("commit", "identity", "account")
OPERATIONS = ("create", "update", "delete")
TAG_FEATURE, MENTION_FEATURE = "app.bsky.richtext.facet#tag", "app.bsky.richtext.facet#mention"
RECORD_EMBED, RECORD_WITH_MEDIA_EMBED = "app.bsky.embed.record", "app.bsky.embed.recordWithMedia"
INVALID_HANDLE = "handle.invalid"

SKIP_ACCOUNT_STATUS = "account_status"
SKIP_NO_HANDLE = "identity_without_handle"
SKIP_UNMAPPED_COLLECTION = "unmapped_collection"
SKIP_UNMAPPED_UPDATE = "unmapped_update"
SKIP_UNMAPPED_DELETE = "unmapped_delete"
SKIP_REASONS = (
    SKIP_BLANK,
    SKIP_ACCOUNT_STATUS,
    SKIP_NO_HANDLE,
    SKIP_UNMAPPED_COLLECTION,
    SKIP_UNMAPPED_UPDATE,
    SKIP_UNMAPPED_DELETE,
)

# time_us bounds: below 10^15 (2001-09-09) the number is seconds or milliseconds; year 10000 is Spark's limit.
MIN_TIME_US, MAX_TIME_US = 10**15, 253_402_300_800_000_000
_INTEGER_KINDS = ("TINYINT", "SMALLINT", "INT", "BIGINT")
_DID = r"^did:[a-z]+:[A-Za-z0-9._:%-]+$"
_RKEY = r"^[A-Za-z0-9._:~-]{1,512}$"
_AT_URI = r"^at://(did:[a-z]+:[A-Za-z0-9._:%-]+)/([A-Za-z][A-Za-z0-9.-]*)/([A-Za-z0-9._:~-]{1,512})$"


def _kind_at(value: Column, path: str) -> Column:
    """The JSON type at `path` (OBJECT, STRING, BIGINT, VOID for a JSON null ...); null when absent."""
    return json_kind(field(value, path, "variant"))


def _text_at(value: Column, path: str) -> Column:
    """Free text at `path`; null when absent or not a JSON string (42 or an object does not become text).

    Identifiers and enums are read with the cheaper, converting `field` instead: what is not a string there
    fails the check that follows (a DID pattern, a list of kinds), with the offending value in the reason.
    """
    return F.when(_kind_at(value, path) == "STRING", field(value, path))


def _is_present(kind: Column) -> Column:
    return kind.isNotNull() & (kind != "VOID")


# The at:// uris a record names, each parsed once by with_jetstream_fields into `_<name>_uri_did` and
# `_<name>_uri_collection` (empty strings when it is not an at:// uri).
_NAMED_URIS = ("parent", "quoted", "subject")


def _uri_parts(name: str) -> list[Column]:
    uri = F.col(f"_{name}_uri")
    return [
        F.regexp_extract(uri, _AT_URI, 1).alias(f"_{name}_uri_did"),
        F.regexp_extract(uri, _AT_URI, 2).alias(f"_{name}_uri_collection"),
    ]


def _is_at_uri(name: str) -> Column:
    return F.col(f"_{name}_uri_did") != ""  # the DID group is never empty in a match


def _uri_did(name: str) -> Column:
    return F.when(_is_at_uri(name), F.col(f"_{name}_uri_did"))


def _is_post_uri(name: str) -> Column:
    return _is_at_uri(name) & (F.col(f"_{name}_uri_collection") == POST)


def _bad(path: str, value: Column, expected: str) -> Column:
    return F.concat(F.lit(f"bad_value: {path} "), quoted(value), F.lit(f" is not {expected}"))


def _interaction(actor, target, kind, occurred_at, post_id, target_post_id, natural_key) -> Column:
    """An interaction struct with every field typed, so arrays of them from different branches concatenate."""
    return F.struct(
        F.lit(NETWORK).alias("network"),
        actor.cast("string").alias("actor"),
        target.cast("string").alias("target"),
        F.lit(kind).alias("kind"),
        occurred_at.cast("timestamp").alias("occurred_at"),
        post_id.cast("string").alias("post_id"),
        target_post_id.cast("string").alias("target_post_id"),
        F.lit(1.0).alias("weight"),
        natural_key.cast("string").alias("natural_key"),
    )


def _account(handle: Column, display_name: Column, bio: Column) -> Column:
    return F.struct(
        F.lit(NETWORK).alias("network"),
        F.col("_did").alias("account_id"),
        handle.cast("string").alias("handle"),
        display_name.cast("string").alias("display_name"),
        bio.cast("string").alias("bio"),
        F.lit(None).cast("string").alias("lang"),
        F.lit(None).cast("bigint").alias("followers_count"),
        F.col("_occurred_at").alias("observed_at"),
    )


def _delete(record_type: str, natural_key: Column) -> Column:
    return F.struct(F.lit(NETWORK).alias("network"), F.lit(record_type).alias("record_type"), natural_key.alias("natural_key"))


def with_jetstream_fields(lines: DataFrame) -> DataFrame:
    """The raw lines plus every Jetstream field the connector reads, as `_`-prefixed columns."""
    value = F.col("_v")
    facets = F.coalesce(field(value, "$.commit.record.facets", "array<variant>"), F.array().cast("array<variant>"))
    features = F.flatten(
        F.transform(
            facets, lambda facet: F.coalesce(field(facet, "$.features", "array<variant>"), F.array().cast("array<variant>"))
        )
    )
    # the facets' features in a column of their own: hashtags and mentions both read them
    parsed = parsed_lines(lines).select("*", features.alias("_features"))

    def feature_values(feature_type: str, read) -> Column:
        of_type = F.filter(F.col("_features"), lambda feature: field(feature, "$['$type']") == feature_type)
        return F.transform(of_type, read)

    record_tags = F.coalesce(field(value, "$.commit.record.tags", "array<variant>"), F.array().cast("array<variant>"))
    tags = F.concat(
        feature_values(TAG_FEATURE, lambda feature: _text_at(feature, "$.tag")),
        F.transform(record_tags, lambda tag: _text_at(tag, "$")),
    )
    fields = parsed.select(
        "source",
        "file",
        "line_number",
        "line",
        "_v",
        base_reason(F.col("_clean_line"), value).alias("_base_reason"),
        field(value, "$.kind").alias("_kind"),
        field(value, "$.did").alias("_did"),
        _kind_at(value, "$.time_us").alias("_time_kind"),
        field(value, "$.time_us").alias("_time_text"),
        field(value, "$.time_us", "bigint").alias("_time_us"),
        _kind_at(value, "$.identity").alias("_identity_kind"),
        _text_at(value, "$.identity.handle").alias("_handle"),
        field(value, "$.identity.seq", "bigint").alias("_seq"),
        _kind_at(value, "$.commit").alias("_commit_kind"),
        field(value, "$.commit.operation").alias("_operation"),
        field(value, "$.commit.collection").alias("_collection"),
        field(value, "$.commit.rkey").alias("_rkey"),
        field(value, "$.commit.rev").alias("_rev"),
        _kind_at(value, "$.commit.record").alias("_record_kind"),
        _text_at(value, "$.commit.record.createdAt").alias("_created_at_text"),
        _text_at(value, "$.commit.record.text").alias("_text"),
        field(value, "$.commit.record.langs[0]").alias("_lang"),
        F.array_distinct(F.filter(tags, lambda tag: tag.isNotNull() & (tag != ""))).alias("_hashtags"),
        F.array_distinct(feature_values(MENTION_FEATURE, lambda feature: field(feature, "$.did"))).alias("_mentions"),
        _is_present(_kind_at(value, "$.commit.record.reply")).alias("_has_reply"),
        field(value, "$.commit.record.reply.parent.uri").alias("_parent_uri"),
        field(value, "$.commit.record.embed['$type']").alias("_embed_type"),
        field(value, "$.commit.record.subject.uri").alias("_subject_uri"),
        field(value, "$.commit.record.subject").alias("_subject"),
        _text_at(value, "$.commit.record.displayName").alias("_display_name"),
        _text_at(value, "$.commit.record.description").alias("_description"),
    )
    # Each select reads the columns of the one before: Spark evaluates an expression as often as a select
    # refers to it, and the embed's type and the uris are read several times each.
    embed_type = F.col("_embed_type")
    with_quoted_uri = fields.select(
        "*",
        embed_type.isin(RECORD_EMBED, RECORD_WITH_MEDIA_EMBED).alias("_has_record_embed"),
        F.when(embed_type == RECORD_EMBED, field(value, "$.commit.record.embed.record.uri"))
        .when(embed_type == RECORD_WITH_MEDIA_EMBED, field(value, "$.commit.record.embed.record.record.uri"))
        .alias("_quoted_uri"),
    )
    return with_quoted_uri.select("*", *(part for name in _NAMED_URIS for part in _uri_parts(name)))


def _reason() -> Column:
    """Why a line is not conformed (null when it is), checked in order; see the module docstring."""
    c = F.col
    kind, did, operation, collection, rkey = c("_kind"), c("_did"), c("_operation"), c("_collection"), c("_rkey")
    is_create_or_update = operation.isin("create", "update")
    is_time_integer = c("_time_kind").isin(*_INTEGER_KINDS)
    is_time_in_range = (c("_time_us") >= MIN_TIME_US) & (c("_time_us") < MAX_TIME_US)
    is_post = is_create_or_update & (collection == POST)
    is_subject_uri_collection = is_create_or_update & collection.isin(LIKE, REPOST)
    is_follow = is_create_or_update & (collection == FOLLOW)
    has_bad_mention = F.exists(c("_mentions"), lambda mention: F.coalesce(~mention.rlike(_DID), F.lit(True)))
    return (
        F.when(c("_base_reason").isNotNull(), c("_base_reason"))
        .when(kind.isNull(), missing("$.kind"))
        .when(
            ~kind.isin(*EVENT_KINDS),
            F.concat(F.lit("unknown_event_type: kind "), quoted(kind), F.lit(" is not commit, identity or account")),
        )
        .when(did.isNull(), missing("$.did"))
        .when(~did.rlike(_DID), _bad("$.did", did, "a DID"))
        .when(~_is_present(c("_time_kind")), missing("$.time_us"))
        .when(
            ~(is_time_integer & is_time_in_range),
            F.concat(
                F.lit("bad_timestamp: $.time_us "),
                quoted(c("_time_text")),
                F.lit(" is not an integer count of microseconds since 1970 (from 10^15)"),
            ),
        )
        .when(kind == "account", F.lit(SKIP_ACCOUNT_STATUS))
        .when((kind == "identity") & (~c("_identity_kind").eqNullSafe("OBJECT")), missing("$.identity"))
        .when((kind == "identity") & (c("_handle").isNull() | (c("_handle") == INVALID_HANDLE)), F.lit(SKIP_NO_HANDLE))
        .when(kind == "identity", F.lit(None))
        # kind == "commit" from here on
        .when(~c("_commit_kind").eqNullSafe("OBJECT"), missing("$.commit"))
        .when(operation.isNull(), missing("$.commit.operation"))
        .when(
            ~operation.isin(*OPERATIONS),
            F.concat(
                F.lit("unknown_event_type: commit.operation "), quoted(operation), F.lit(" is not create, update or delete")
            ),
        )
        .when(collection.isNull(), missing("$.commit.collection"))
        .when(rkey.isNull(), missing("$.commit.rkey"))
        .when(~collection.isin(*MAPPED_COLLECTIONS), F.lit(SKIP_UNMAPPED_COLLECTION))
        .when(~rkey.rlike(_RKEY), _bad("$.commit.rkey", rkey, "a record key"))
        .when((operation == "delete") & (collection == PROFILE), F.lit(SKIP_UNMAPPED_DELETE))
        .when((operation == "update") & (collection != PROFILE), F.lit(SKIP_UNMAPPED_UPDATE))
        .when(operation == "delete", F.lit(None))
        .when(~c("_record_kind").eqNullSafe("OBJECT"), missing("$.commit.record"))
        .when(is_subject_uri_collection & c("_subject_uri").isNull(), missing("$.commit.record.subject.uri"))
        .when(
            is_subject_uri_collection & ~_is_at_uri("subject"),
            _bad("$.commit.record.subject.uri", c("_subject_uri"), "an at:// uri"),
        )
        .when(is_follow & c("_subject").isNull(), missing("$.commit.record.subject"))
        .when(is_follow & ~c("_subject").rlike(_DID), _bad("$.commit.record.subject", c("_subject"), "a DID"))
        .when(is_post & c("_has_reply") & c("_parent_uri").isNull(), missing("$.commit.record.reply.parent.uri"))
        .when(
            is_post & c("_has_reply") & ~_is_post_uri("parent"),
            _bad("$.commit.record.reply.parent.uri", c("_parent_uri"), "the at:// uri of a post"),
        )
        .when(is_post & c("_has_record_embed") & c("_quoted_uri").isNull(), missing("$.commit.record.embed (quoted record uri)"))
        .when(
            is_post & c("_has_record_embed") & ~_is_at_uri("quoted"),
            _bad("$.commit.record.embed (quoted record uri)", c("_quoted_uri"), "an at:// uri"),
        )
        .when(is_post & has_bad_mention, F.lit("bad_value: $.commit.record.facets has a #mention feature whose did is not a DID"))
    )


def to_classified(lines: DataFrame) -> DataFrame:
    """Classify raw Jetstream lines (source, file, line_number, line) and read their canonical records."""
    fields = lines.transform(with_jetstream_fields)
    c = F.col
    did, operation, collection, rkey = c("_did"), c("_operation"), c("_collection"), c("_rkey")
    is_commit = c("_kind") == "commit"
    is_create = is_commit & (operation == "create")
    is_delete = is_commit & (operation == "delete")
    occurred_at = c("_occurred_at")
    record_uri = F.concat(F.lit("at://"), did, F.lit("/"), collection, F.lit("/"), rkey)
    quoted_post = F.when(_is_post_uri("quoted"), c("_quoted_uri"))
    quoted_account = F.when(_is_post_uri("quoted"), c("_quoted_uri_did"))
    claimed = F.try_to_timestamp(c("_created_at_text"))
    created_at = F.when(F.year(claimed).between(1970, 9999), claimed)  # year -1 or 0 is no creation time
    parent_uri = F.when(c("_has_reply"), c("_parent_uri"))
    parent_account = F.when(c("_has_reply"), _uri_did("parent"))

    def key(kind: str, *parts: Column) -> Column:
        return F.concat_ws("|", F.lit(NETWORK), F.lit(kind), *parts)

    post = F.struct(
        F.lit(NETWORK).alias("network"),
        record_uri.alias("post_id"),
        did.alias("author"),
        F.coalesce(created_at, occurred_at).alias("created_at"),
        c("_lang").alias("lang"),
        c("_text").alias("text"),
        c("_hashtags").alias("hashtags"),
        c("_mentions").alias("mentions"),
        parent_uri.alias("reply_to_post_id"),
        parent_account.alias("reply_to_account"),
        F.lit(None).cast("string").alias("reshare_of_post_id"),
        quoted_post.alias("quote_of_post_id"),
        *[F.lit(None).cast("bigint").alias(name) for name in ("like_count", "reshare_count", "reply_count", "quote_count")],
        occurred_at.alias("observed_at"),
    )
    # Nulls filtered here: records.typed_records turns a null struct into a struct of nulls, not a dropped entry.
    post_interactions = F.filter(
        F.concat(
            F.array(
                F.when(
                    c("_has_reply"),
                    _interaction(did, parent_account, "reply", occurred_at, record_uri, parent_uri, key("reply", record_uri)),
                ),
                F.when(
                    quoted_post.isNotNull(),
                    _interaction(did, quoted_account, "quote", occurred_at, record_uri, quoted_post, key("quote", record_uri)),
                ),
            ),
            F.transform(
                c("_mentions"),
                lambda mentioned: _interaction(
                    did, mentioned, "mention", occurred_at, record_uri, F.lit(None), key("mention", record_uri, mentioned)
                ),
            ),
        ),
        lambda interaction: interaction.isNotNull(),
    )
    subject_uri = c("_subject_uri")
    subject_account = _uri_did("subject")
    interactions = F.when(is_create & (collection == POST), post_interactions)
    for collection_name, kind in INTERACTION_KIND.items():
        target = c("_subject") if collection_name == FOLLOW else subject_account
        target_post = F.lit(None) if collection_name == FOLLOW else F.when(_is_post_uri("subject"), subject_uri)
        interactions = interactions.when(
            is_create & (collection == collection_name),
            F.array(_interaction(did, target, kind, occurred_at, F.lit(None), target_post, key(kind, record_uri))),
        )

    none = F.lit(None)
    accounts = F.when(c("_kind") == "identity", F.array(_account(c("_handle"), none, none))).when(
        is_commit & (collection == PROFILE), F.array(_account(none, c("_display_name"), c("_description")))
    )
    deletes = F.when(is_delete & (collection == POST), F.array(_delete("post", record_uri)))
    for collection_name, kind in INTERACTION_KIND.items():
        deletes = deletes.when(
            is_delete & (collection == collection_name), F.array(_delete("interaction", key(kind, record_uri)))
        )

    commit_key = F.concat_ws("|", F.lit(NETWORK), did, collection, rkey, operation, F.when(collection == PROFILE, c("_rev")))
    identity_key = F.concat_ws("|", F.lit(NETWORK), did, F.lit("identity"), F.coalesce(c("_seq"), c("_time_us")).cast("string"))
    with_reason = fields.select(
        "*",
        _reason().alias("reason"),
        F.when(c("_time_us").between(MIN_TIME_US, MAX_TIME_US - 1), F.timestamp_micros(c("_time_us"))).alias("_occurred_at"),
    )
    reason = c("reason")
    with_status = with_reason.select(
        "*",
        status_of(reason, SKIP_REASONS).alias("status"),
        F.when(reason.isNull(), F.when(is_commit, commit_key).otherwise(identity_key)).alias("event_key"),
    )
    return classified(
        with_status,
        accounts=typed_records("accounts", accounts),
        posts=typed_records("posts", F.when(is_create & (collection == POST), F.array(post))),
        interactions=typed_records("interactions", interactions),
        deletes=typed_records("deletes", deletes),
    )
