"""Mastodon / ActivityPub outbox dumps -> classified lines with accounts, posts, interactions and deletes.

A line is one JSON document: either a whole collection (`outbox.json` of a Mastodon account archive:
`{"type": "OrderedCollection", "orderedItems": [activity, ...]}`; also OrderedCollectionPage, Collection,
CollectionPage, with `orderedItems` or `items`) or one activity. Account ids are actor URLs verbatim
(`https://mastodon.social/users/alice`); a handle is `<name>@<host>` read from a `/users/<name>` or
`/@<name>` actor URL (null for other URL shapes). The account that owns a status URL
`https://host/users/<name>/statuses/<id>` is `https://host/users/<name>`; for any other URL shape the
target of a reply, reshare or like stays null and `target_post_id` says which post (the generic layer
fills the target from the stored post's author).

Field mapping (network "mastodon"; `time` is a string `published` in ISO 8601 with a zone):

  Create of a Note (or Question, Article, Page: a poll or a long post is a status too) -> one post
    object.id                         -> posts.post_id, interactions.post_id
    object.attributedTo (else actor)  -> posts.author, interactions.actor, accounts.account_id (+ handle)
    object.published (else published) -> posts.created_at, interactions.occurred_at, accounts.observed_at
    object.updated (else created_at)  -> posts.observed_at
    object.content (HTML)             -> posts.text: <br> -> newline, </p><p> -> blank line, other tags
                                         dropped, &lt; &gt; &quot; &#39; &apos; &nbsp; &amp; decoded
    object.contentMap (one key)       -> posts.lang
    object.inReplyTo                  -> posts.reply_to_post_id; its owner -> posts.reply_to_account;
                                         reply interaction (target_post_id = inReplyTo)
    object.tag[type=Mention].href     -> posts.mentions, mention interactions, accounts (handle from
                                         `name` `@bob@host`, or `@bob` + the href's host)
    object.tag[type=Hashtag].name     -> posts.hashtags (without '#', distinct, in order)
    object.likes/shares/replies.totalItems -> posts.like_count / reshare_count / reply_count (when given)
  Announce (a boost)  actor -> actor; object (URL or embedded {id}) -> target_post_id, its owner -> target;
                      id without its `/activity` suffix -> interactions.post_id and a post (the boost,
                      reshare_of_post_id = object, no text), as a retweet is a status
  Like                actor -> actor; object -> target_post_id, its owner -> target; published optional
  Follow              actor -> actor; object (an actor URL) -> target; published optional
  Delete              object (URL or Tombstone {id}) -> deletes (record_type post, natural_key = that id)
  Undo of an embedded Like / Follow / Announce -> deletes (record_type interaction, the undone event's
                      natural key; for an Announce also the boost post)

Interaction natural keys: `mastodon|reply|<post>`, `mastodon|mention|<post>|<account>`,
`mastodon|reshare|<actor>|<object>`, `mastodon|like|<actor>|<object>`, `mastodon|follow|<actor>|<object>`
(one like/boost/follow per account and object, so an Undo can name it). Weight 1.
event_key: `mastodon|<activity id>` (else `mastodon|<type>|...` built from the fields above); for a
collection, `mastodon|collection|<sha-256 of its activities' keys>`.
Accounts: one record per account a line names (author/actor, mentioned accounts, the owners of
replied-to, boosted and liked statuses, followed accounts), observed at the activity's time.

Quarantine reasons (an activity; in a collection, the first bad one names the line, see below):
  invalid_json: ...        the line is not JSON / not a JSON object
  bad_value: ...           an activity that is not a JSON object; a Create whose object is not embedded;
                           a collection whose orderedItems/items is not an array
  missing_field: ...       type; actor (for Create: object.attributedTo and actor); object, object.id and a
                           time for Create; published for Announce; object for Announce, Like, Follow,
                           Delete, Undo; the undone activity's object
  unknown_event_type: ...  a type this connector does not know; a Create of another object type; an
                           Undo of something other than Like/Follow/Announce/a not-mapped type, or of
                           an activity given only by its id
  bad_timestamp: ...       a published that is not an ISO 8601 date-time with a zone
Skip reasons:
  blank                    empty line
  activity_not_mapped      a known ActivityPub activity with no canonical record: Update (an edit: the
                           post keeps its first version), Block, Accept, Reject, Add, Remove, Move, Flag,
                           ...; a Delete of the actor itself (an account deletion); an Undo of those
  no_mapped_activity       a collection with no activity, or only not-mapped ones
A collection line has one status: quarantined as soon as one of its activities is bad (the reason
names the first bad one, `orderedItems[<index>]`, and how many are bad, so the line can be fixed and
replayed whole); otherwise conformed with the records of all its mapped activities (not-mapped ones
are ignored).
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors.json_lines import base_reason, field, handle_account_id, json_kind, missing, parsed_lines, quoted
from transforms.connectors.lines import SKIP_BLANK
from transforms.connectors.records import RECORD_ARRAYS, classified, empty_records, status_of, typed_records

NETWORK = "mastodon"
SKIP_NOT_MAPPED, SKIP_NO_ACTIVITY = "activity_not_mapped", "no_mapped_activity"
SKIP_REASONS = (SKIP_BLANK, SKIP_NOT_MAPPED, SKIP_NO_ACTIVITY)

POST_TYPES = ("Note", "Question", "Article", "Page")
COLLECTION_TYPES = ("OrderedCollection", "OrderedCollectionPage", "Collection", "CollectionPage")
UNDOABLE = {"Like": "like", "Follow": "follow", "Announce": "reshare"}
NOT_MAPPED_TYPES = (
    "Update",
    "Block",
    "Accept",
    "Reject",
    "TentativeAccept",
    "TentativeReject",
    "Add",
    "Remove",
    "Move",
    "Flag",
    "Dislike",
    "Ignore",
    "Invite",
    "Join",
    "Leave",
    "Listen",
    "Offer",
    "Read",
    "View",
    "Arrive",
    "Travel",
    "EmojiReact",
)
HANDLED_TYPES = ("Create", "Announce", "Like", "Follow", "Delete", "Undo")

_ISO_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})$"
_ACTOR_URL = r"^https?://([^/?#:@]+)(:[0-9]+)?/(users/|@)([^/?#]+)/?$"
_STATUS_URL = r"^(https?://[^/?#]+/users/[^/?#]+)/statuses/[^/?#]+/?$"
_HTML_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&#39;", "'"), ("&apos;", "'"), ("&nbsp;", " "))


# ---- reading a VARIANT ------------------------------------------------------------------------------


def _kind(value: Column, path: str) -> Column:
    """STRING, BIGINT, OBJECT, ARRAY, ... at `path`; null when absent or JSON null."""
    return F.nullif(json_kind(field(value, path, "variant")), F.lit("VOID"))


def _string(value: Column, path: str) -> Column:
    """The string at `path`; null when absent or not a string (an object is not turned into its JSON)."""
    return F.when(_kind(value, path) == "STRING", field(value, path, "string"))


def _ref(value: Column, path: str) -> Column:
    """An ActivityStreams reference: a URL string, or the `id` of an embedded object."""
    return F.coalesce(_string(value, path), _string(value, path + ".id"))


def _count(value: Column, path: str) -> Column:
    return F.when(_kind(value, path) == "BIGINT", field(value, path, "bigint"))


def _time(value: Column, path: str) -> Column:
    text = _string(value, path)
    return F.when(text.rlike(_ISO_TIME), F.try_to_timestamp(text))


def _array(value: Column, path: str) -> Column:
    """The array at `path` as array<variant>; a single object counts as an array of one (JSON-LD)."""
    kind = _kind(value, path)
    return (
        F.when(kind == "ARRAY", field(value, path, "array<variant>"))
        .when(kind == "OBJECT", F.array(field(value, path, "variant")))
        .otherwise(F.array().cast("array<variant>"))
    )


# ---- URLs, text -------------------------------------------------------------------------------------


def handle_of_actor_url(url: Column) -> Column:
    """`name@host` for `https://host/users/name` or `https://host/@name`; null for other URLs."""
    name, host = F.regexp_extract(url, _ACTOR_URL, 4), F.regexp_extract(url, _ACTOR_URL, 1)
    return F.when(name != "", F.concat(name, F.lit("@"), F.lower(host)))


def owner_of_status_url(url: Column) -> Column:
    """`https://host/users/name` for `https://host/users/name/statuses/id`; null for other URLs."""
    return F.nullif(F.regexp_extract(url, _STATUS_URL, 1), F.lit(""))


def text_of_html(html: Column) -> Column:
    """Mastodon's status HTML as plain text (tags dropped, paragraphs and line breaks kept)."""
    text = F.regexp_replace(html, r"(?i)<br\s*/?>", "\n")
    text = F.regexp_replace(text, r"(?i)</p>\s*<p(\s[^>]*)?>", "\n\n")
    text = F.regexp_replace(text, r"<[^>]*>", "")
    for entity, character in _HTML_ENTITIES:
        text = F.replace(text, F.lit(entity), F.lit(character))
    return F.replace(text, F.lit("&amp;"), F.lit("&"))  # last, so "&amp;lt;" stays "&lt;"


def _mention_handle(name: Column, href: Column) -> Column:
    """`bob@host` from a Mention's name (`@bob@host`, or `@bob` with the href's host), else from the href."""
    full = F.regexp_extract(name, r"^@?([^@\s]+@[^@\s]+)$", 1)
    local = F.regexp_extract(name, r"^@?([^@\s]+)$", 1)
    href_host = F.regexp_extract(href, r"^https?://([^/?#:@]+)", 1)
    full_name, full_host = F.regexp_extract(full, "^([^@]+)@", 1), F.regexp_extract(full, "@(.+)$", 1)
    return (
        F.when(full != "", F.concat(full_name, F.lit("@"), F.lower(full_host)))
        .when((local != "") & (href_host != ""), F.concat(local, F.lit("@"), F.lower(href_host)))
        .otherwise(handle_of_actor_url(href))
    )


# ---- records ----------------------------------------------------------------------------------------


def _typed(name: str, **columns: Column) -> Column:
    """A struct of the canonical record type `name`; fields not given are null."""
    return F.struct(
        *[
            (columns[f.name] if f.name in columns else F.lit(None)).cast(f.dataType).alias(f.name)
            for f in RECORD_ARRAYS[name].fields
        ]
    )


def _interaction(actor, target, kind, occurred_at, post_id, target_post_id, natural_key) -> Column:
    return _typed(
        "interactions",
        network=F.lit(NETWORK),
        actor=actor,
        target=target,
        kind=F.lit(kind),
        occurred_at=occurred_at,
        post_id=post_id,
        target_post_id=target_post_id,
        weight=F.lit(1.0),
        natural_key=natural_key,
    )


def _key(*parts: Column | str) -> Column:
    return F.concat_ws("|", F.lit(NETWORK), *[F.lit(p) if isinstance(p, str) else p for p in parts])


def _reason_with(code: str, detail: Column | str) -> Column:
    return F.concat(F.lit(f"{code}: "), detail if isinstance(detail, Column) else F.lit(detail))


# ---- one activity, in stages ------------------------------------------------------------------------
# A lambda cannot name an intermediate value, so every reuse of an expression copies it into the plan.
# Each stage below therefore returns a struct the next stage reads by field: the plan stays small.


def _read_activity(x: Column, index: Column) -> Column:
    """Stage 1: the raw fields of one activity (a VARIANT)."""
    note_has_time = _kind(x, "$.object.published").isNotNull()
    return F.struct(
        index.alias("index"),
        json_kind(x).alias("kind"),
        _string(x, "$.type").alias("type"),
        _string(x, "$.id").alias("id"),
        _ref(x, "$.actor").alias("actor"),
        _kind(x, "$.object").alias("object_kind"),
        _ref(x, "$.object").alias("object"),
        _kind(x, "$.published").isNotNull().alias("has_published"),
        field(x, "$.published", "string").alias("published_text"),
        _time(x, "$.published").alias("published"),
        # Create: the embedded Note (its time falls back on the activity's)
        _string(x, "$.object.type").alias("object_type"),
        _string(x, "$.object.id").alias("object_id"),
        _ref(x, "$.object.attributedTo").alias("attributed_to"),
        (note_has_time | _kind(x, "$.published").isNotNull()).alias("has_created"),
        F.when(note_has_time, field(x, "$.object.published", "string"))
        .otherwise(field(x, "$.published", "string"))
        .alias("created_text"),
        F.when(note_has_time, _time(x, "$.object.published")).otherwise(_time(x, "$.published")).alias("created"),
        _time(x, "$.object.updated").alias("updated"),
        _ref(x, "$.object.inReplyTo").alias("in_reply_to"),
        _string(x, "$.object.content").alias("content"),
        F.json_object_keys(F.to_json(field(x, "$.object.contentMap", "variant"))).alias("languages"),
        _array(x, "$.object.tag").alias("tags"),
        _count(x, "$.object.likes.totalItems").alias("likes"),
        _count(x, "$.object.shares.totalItems").alias("shares"),
        _count(x, "$.object.replies.totalItems").alias("replies"),
        # Undo: the embedded activity it takes back
        _ref(x, "$.object.actor").alias("undone_actor"),
        _ref(x, "$.object.object").alias("undone_object"),
    )


def _mention(tag: Column) -> Column:
    name, href = _string(tag, "$.name"), _string(tag, "$.href")
    by_name = F.when(name.isNotNull(), handle_account_id(F.regexp_replace(name, "^@", "")))
    return F.struct(F.coalesce(href, by_name).alias("id"), _mention_handle(name, href).alias("handle"))


def _derive(a: Column) -> Column:
    """Stage 2: what the activity's records and checks need, computed once."""
    type_ = a["type"]
    undone_kind = F.create_map(*[F.lit(s) for pair in UNDOABLE.items() for s in pair])[a["object_type"]]
    engagement_kind = (
        F.when(type_ == "Announce", F.lit("reshare")).when(type_ == "Like", F.lit("like")).otherwise(F.lit("follow"))
    )
    mentioned = F.filter(
        F.transform(F.filter(a["tags"], lambda t: _string(t, "$.type") == "Mention"), _mention),
        lambda m: m["id"].isNotNull(),
    )
    hashtags = F.filter(
        F.transform(
            F.filter(a["tags"], lambda t: _string(t, "$.type") == "Hashtag"),
            lambda t: F.regexp_replace(_string(t, "$.name"), "^[#＃]", ""),
        ),
        lambda h: h.isNotNull() & (h != ""),
    )
    return F.struct(
        a.alias("a"),
        F.coalesce(a["attributed_to"], a["actor"]).alias("author"),
        owner_of_status_url(a["in_reply_to"]).alias("reply_owner"),
        F.when(type_ == "Follow", a["object"]).otherwise(owner_of_status_url(a["object"])).alias("object_owner"),
        F.regexp_replace(a["id"], "/activity$", "").alias("boost_id"),
        F.regexp_replace(a["object_id"], "/activity$", "").alias("undone_boost"),
        engagement_kind.alias("engagement_kind"),
        undone_kind.alias("undone_kind"),
        _key(undone_kind, F.coalesce(a["undone_actor"], a["actor"]), a["undone_object"]).alias("undone_key"),
        mentioned.alias("mentioned"),
        F.array_distinct(F.transform(mentioned, lambda m: m["id"])).alias("mention_ids"),
        F.array_distinct(hashtags).alias("hashtags"),
        F.when(F.size(a["languages"]) == 1, F.get(a["languages"], 0)).alias("lang"),
        text_of_html(a["content"]).alias("text"),
    )


def _bad_time(text: Column) -> Column:
    return _reason_with("bad_timestamp", F.concat(quoted(text), F.lit(" is not an ISO 8601 date-time with a zone")))


def _with_reason(d: Column) -> Column:
    """Stage 3: the activity's quarantine reason (null when good or deliberately not mapped)."""
    a = d["a"]
    type_, kind = a["type"], a["kind"]
    is_create, is_undo = type_ == "Create", type_ == "Undo"
    is_embedded = F.coalesce(a["object_kind"] == "OBJECT", F.lit(False))
    reason = (
        F.when(
            F.coalesce(kind != "OBJECT", F.lit(True)),
            _reason_with(
                "bad_value",
                F.concat(
                    F.lit("the activity is a JSON "),
                    F.lower(F.coalesce(F.nullif(kind, F.lit("VOID")), F.lit("null"))),
                    F.lit(", not an object"),
                ),
            ),
        )
        .when(type_.isNull(), missing("$.type"))
        .when(
            ~type_.isin(*HANDLED_TYPES, *NOT_MAPPED_TYPES),
            _reason_with("unknown_event_type", F.concat(quoted(type_), F.lit(" is not an activity this connector reads"))),
        )
        .when(type_.isin(*NOT_MAPPED_TYPES), F.lit(None))
        .when(is_create & a["object_kind"].isNull(), missing("$.object"))
        .when(is_create & ~is_embedded, _reason_with("bad_value", "Create's object is not an embedded object"))
        .when(
            is_create & ~F.coalesce(a["object_type"].isin(*POST_TYPES), F.lit(False)),
            _reason_with(
                "unknown_event_type",
                F.concat(F.lit("Create of "), F.coalesce(quoted(a["object_type"]), F.lit("an untyped object"))),
            ),
        )
        .when(is_create & a["object_id"].isNull(), missing("$.object.id"))
        .when(is_create & d["author"].isNull(), missing("$.object.attributedTo (or $.actor)"))
        .when(is_create & ~a["has_created"], missing("$.object.published (or $.published)"))
        .when(is_create & a["created"].isNull(), _bad_time(a["created_text"]))
        .when(~is_create & a["actor"].isNull(), missing("$.actor"))
        .when(is_undo & a["object_kind"].isNull(), missing("$.object"))
        .when(is_undo & ~is_embedded, _reason_with("unknown_event_type", "Undo of an activity given only by its id"))
        .when(is_undo & a["object_type"].isin(*NOT_MAPPED_TYPES), F.lit(None))
        .when(
            is_undo & d["undone_kind"].isNull(),
            _reason_with(
                "unknown_event_type",
                F.concat(F.lit("Undo of "), F.coalesce(quoted(a["object_type"]), F.lit("an untyped activity"))),
            ),
        )
        .when(is_undo & a["undone_object"].isNull(), missing("$.object.object"))
        .when(~is_create & ~is_undo & a["object"].isNull(), missing("$.object"))
        .when((type_ == "Announce") & ~a["has_published"], missing("$.published"))
        .when(~is_create & a["has_published"] & a["published"].isNull(), _bad_time(a["published_text"]))
    )
    return F.struct(d.alias("d"), reason.alias("reason"))


def _records(r: Column) -> Column:
    """Stage 4: struct(index, reason, skip, key, accounts, posts, interactions, deletes) of one activity."""
    d, reason = r["d"], r["reason"]
    a = d["a"]
    type_ = a["type"]
    is_create, is_undo = type_ == "Create", type_ == "Undo"
    is_engagement = type_.isin("Announce", "Like", "Follow")
    author, actor, obj = d["author"], a["actor"], a["object"]
    post_id, created = a["object_id"], a["created"]
    skip = F.when(
        reason.isNull()
        & (
            type_.isin(*NOT_MAPPED_TYPES)
            | ((type_ == "Delete") & (obj == actor))
            | (is_undo & a["object_type"].isin(*NOT_MAPPED_TYPES))
        ),
        F.lit(SKIP_NOT_MAPPED),
    )
    fallback_key = (
        F.when(is_create, _key("post", post_id))
        .when(is_engagement, _key(d["engagement_kind"], actor, obj))
        .when(type_ == "Delete", _key("delete", obj))
        .when(is_undo, _key("undo", d["undone_key"]))
    )
    key = F.coalesce(F.when(a["id"].isNotNull(), _key(a["id"])), fallback_key)

    post = _typed(
        "posts",
        network=F.lit(NETWORK),
        post_id=post_id,
        author=author,
        created_at=created,
        lang=d["lang"],
        text=d["text"],
        hashtags=d["hashtags"],
        mentions=d["mention_ids"],
        reply_to_post_id=a["in_reply_to"],
        reply_to_account=d["reply_owner"],
        like_count=a["likes"],
        reshare_count=a["shares"],
        reply_count=a["replies"],
        observed_at=F.coalesce(a["updated"], created),
    )
    boost = _typed(
        "posts",
        network=F.lit(NETWORK),
        post_id=d["boost_id"],
        author=actor,
        created_at=a["published"],
        hashtags=F.array(),
        mentions=F.array(),
        reshare_of_post_id=obj,
        observed_at=a["published"],
    )
    reply = F.when(
        a["in_reply_to"].isNotNull(),
        F.array(_interaction(author, d["reply_owner"], "reply", created, post_id, a["in_reply_to"], _key("reply", post_id))),
    ).otherwise(empty_records("interactions"))
    mentions = F.transform(
        d["mention_ids"],
        lambda m: _interaction(author, m, "mention", created, post_id, F.lit(None), _key("mention", post_id, m)),
    )
    engagement = _typed(
        "interactions",
        network=F.lit(NETWORK),
        actor=actor,
        target=d["object_owner"],
        kind=d["engagement_kind"],
        occurred_at=a["published"],
        post_id=F.when(type_ == "Announce", d["boost_id"]),
        target_post_id=F.when(type_ != "Follow", obj),
        weight=F.lit(1.0),
        natural_key=_key(d["engagement_kind"], actor, obj),
    )

    def deleted(record_type: str, natural_key: Column) -> Column:
        return _typed("deletes", network=F.lit(NETWORK), record_type=F.lit(record_type), natural_key=natural_key)

    undo_deletes = F.concat(
        F.array(deleted("interaction", d["undone_key"])),
        F.when(
            (a["object_type"] == "Announce") & d["undone_boost"].isNotNull(),
            F.array(deleted("post", d["undone_boost"])),
        ).otherwise(empty_records("deletes")),
    )

    def pairs(*accounts: Column) -> Column:
        return F.array(*[F.struct(i.alias("id"), handle_of_actor_url(i).alias("handle")) for i in accounts])

    named = (
        F.when(is_create, F.concat(pairs(author, d["reply_owner"]), d["mentioned"]))
        .when(is_engagement, pairs(actor, d["object_owner"]))
        .otherwise(F.array().cast("array<struct<id:string,handle:string>>"))
    )
    seen_at = F.when(is_create, created).otherwise(a["published"])
    accounts = F.transform(
        F.filter(named, lambda n: n["id"].isNotNull()),
        lambda n: _typed("accounts", network=F.lit(NETWORK), account_id=n["id"], handle=n["handle"], observed_at=seen_at),
    )
    posts = (
        F.when(is_create, F.array(post))
        .when((type_ == "Announce") & d["boost_id"].isNotNull(), F.array(boost))
        .otherwise(empty_records("posts"))
    )
    interactions = (
        F.when(is_create, F.concat(reply, mentions))
        .when(is_engagement, F.array(engagement))
        .otherwise(empty_records("interactions"))
    )
    deletes = (
        F.when(type_ == "Delete", F.array(deleted("post", obj))).when(is_undo, undo_deletes).otherwise(empty_records("deletes"))
    )
    return F.struct(
        a["index"].alias("index"),
        reason.alias("reason"),
        skip.alias("skip"),
        key.alias("key"),
        accounts.alias("accounts"),
        posts.alias("posts"),
        interactions.alias("interactions"),
        deletes.alias("deletes"),
    )


# ---- one line ---------------------------------------------------------------------------------------


def to_classified(lines: DataFrame) -> DataFrame:
    """Classify raw Mastodon lines (source, file, line_number, line) and read their records."""
    c = F.col
    value = parsed_lines(lines)
    v = c("_v")
    is_object = F.coalesce(json_kind(v) == "OBJECT", F.lit(False))
    is_collection = is_object & F.coalesce(_string(v, "$.type").isin(*COLLECTION_TYPES), F.lit(False))
    items = (
        F.when(~c("_is_collection"), F.array(v))
        .when(_kind(v, "$.orderedItems") == "ARRAY", field(v, "$.orderedItems", "array<variant>"))
        .when(_kind(v, "$.items") == "ARRAY", field(v, "$.items", "array<variant>"))
        .otherwise(F.array().cast("array<variant>"))
    )
    shaped = value.select(
        "*",
        is_object.alias("_is_object"),
        is_collection.alias("_is_collection"),
        F.coalesce(_kind(v, "$.orderedItems"), _kind(v, "$.items")).alias("_items_kind"),
    )
    # One stage per select: each stage's struct is read by field in the next (see "one activity").
    read = shaped.select("*", F.when(c("_is_object"), F.transform(items, _read_activity)).alias("_read"))
    derived = read.select("*", F.transform(c("_read"), _derive).alias("_derived"))
    checked = derived.select("*", F.transform(c("_derived"), _with_reason).alias("_checked"))
    activities = checked.select(
        "source",
        "file",
        "line_number",
        "line",
        "_clean_line",
        "_v",
        "_is_collection",
        "_items_kind",
        F.transform(c("_checked"), _records).alias("_activities"),
    )
    grouped = activities.select(
        "*",
        F.size(c("_activities")).alias("_count"),
        F.filter(c("_activities"), lambda a: a["reason"].isNotNull()).alias("_bad"),
        F.filter(c("_activities"), lambda a: a["reason"].isNull() & a["skip"].isNull()).alias("_mapped"),
    )
    first_bad = F.get(c("_bad"), 0)
    bad_code = F.regexp_extract(first_bad["reason"], r"^([a-z_]+): ", 1)
    bad_detail = F.regexp_extract(first_bad["reason"], r"(?s)^[a-z_]+: (.*)$", 1)
    collection_reason = F.concat(
        bad_code,
        F.lit(": orderedItems["),
        first_bad["index"].cast("string"),
        F.lit("] ("),
        F.size(c("_bad")).cast("string"),
        F.lit(" of "),
        c("_count").cast("string"),
        F.lit(" activities bad): "),
        bad_detail,
    )
    is_collection, has_bad, has_mapped = c("_is_collection"), F.size(c("_bad")) > 0, F.size(c("_mapped")) > 0
    line_reason = (
        base_reason(c("_clean_line"), c("_v"))
        .when(
            is_collection & c("_items_kind").isNotNull() & (c("_items_kind") != "ARRAY"),
            _reason_with("bad_value", "the collection's orderedItems/items is not an array"),
        )
        .when(has_bad & is_collection, collection_reason)
        .when(has_bad, first_bad["reason"])
        .when(is_collection & ~has_mapped, F.lit(SKIP_NO_ACTIVITY))
        .when(~has_mapped, F.get(c("_activities"), 0)["skip"])
    )
    activity_keys = F.array_join(F.transform(c("_mapped"), lambda a: a["key"]), "\n")
    event_key = F.when(is_collection, _key("collection", F.sha2(activity_keys, 256))).otherwise(F.get(c("_mapped"), 0)["key"])

    def gathered(name: str) -> Column:
        return typed_records(name, F.flatten(F.transform(c("_mapped"), lambda a: a[name])))

    with_reason = grouped.select("*", line_reason.alias("reason"))
    out = with_reason.select(
        "source",
        "file",
        "line_number",
        "line",
        "reason",
        status_of(c("reason"), SKIP_REASONS).alias("status"),
        F.when(c("reason").isNull(), event_key).alias("event_key"),
        gathered("accounts").alias("_accounts"),
        gathered("posts").alias("_posts"),
        gathered("interactions").alias("_interactions"),
        gathered("deletes").alias("_deletes"),
    )
    return classified(out, accounts=c("_accounts"), posts=c("_posts"), interactions=c("_interactions"), deletes=c("_deletes"))
