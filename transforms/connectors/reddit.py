"""Reddit dumps (Pushshift-style NDJSON) -> classified lines with accounts, posts and interactions.

One line is one submission (`RS_*` files) or one comment (`RC_*` files), a JSON object as Pushshift
archived it, or as the reddit API answers it, wrapped in its kind (`{"kind": "t1", "data": {...}}`: the data
is read as the line). A line is a submission when its `name` is `t3_...`, else when it has a string `title`; a
comment when its `name` is `t1_...`, else when it has a string `body` or `parent_id`.

Field mapping (network "reddit"; `post_id` below is the fullname: `t3_<id>` for a submission, `t1_<id>`
for a comment, so that `parent_id`, `link_id` and `crosspost_parent` name posts directly):

  author                         -> accounts.account_id, accounts.handle, posts.author, interactions.actor
  created_utc (int, float, or a numeric string; UTC seconds)
                                 -> accounts.observed_at, posts.created_at, interactions.occurred_at
  id (+ t3_/t1_ prefix), name    -> posts.post_id, interactions.post_id; `name` must agree with it
  title + "\\n\\n" + selftext     -> posts.text (submissions; an empty selftext adds nothing)
  body                           -> posts.text (comments)
  u/name, /u/name in the text    -> posts.mentions and mention interactions, as `@<name, lower case>`
                                    (reddit names are case-insensitive: the generic layer resolves them)
  parent_id (t1_/t3_; for a comment without one, its t3_ link_id)
                                 -> posts.reply_to_post_id, reply interaction target_post_id
  crosspost_parent (t3_)         -> posts.reshare_of_post_id, reshare interaction target_post_id
  score                          -> posts.like_count: reddit's net score (up minus down votes, fuzzed,
                                    may be 0 or negative) as the dump reports it; the dump has no like count
  num_comments                   -> posts.reply_count (submissions; the whole thread, not direct replies)
  num_crossposts                 -> posts.reshare_count
  retrieved_on / retrieved_utc   -> posts.observed_at (when Pushshift saw these counts); created_utc if
                                    absent or not a valid time
  "reddit|" + post_id            -> event_key

Interactions (weight 1): `reply` for every comment (actor = author, target = null: the generic layer
fills it from the author of the stored post `target_post_id`; natural key `reddit|reply|<post_id>`),
`reshare` for a crosspost (same shape, `reddit|reshare|<post_id>`), `mention` per distinct u/name in the
text (target `@name`, `reddit|mention|<post_id>|@name`). Not mapped: subreddit, subreddit_id,
author_fullname, url, permalink, edited, gilded, awards, flairs; hashtags and lang are empty/null
(reddit has neither; `#` in markdown is a heading).

Quarantine reasons:
  invalid_json: ...           the line is not JSON / not a JSON object
  unknown_event_type: ...     neither a submission nor a comment (e.g. a t2_ account or t5_ subreddit line)
  missing_field: ...          id, author or created_utc absent, null, empty or of the wrong type (author
                              not a string, id not a string or integer); a comment with neither parent_id
                              nor a t3_ link_id
  bad_value: ...              id not base-36, name disagreeing with id, parent_id not t1_/t3_,
                              crosspost_parent not t3_
  bad_timestamp: ...          created_utc present but not a number of seconds (JSON number or numeric
                              string) between 2005-01-01 and 2100-01-01 (e.g. "yesterday", true, milliseconds)
Skip reasons:
  blank                       empty line
  author_deleted              author `[deleted]` or `[removed]`: nothing in the line can be attributed to an
                              account (keeping it would make `[deleted]` the most replied-to account)
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors.json_lines import base_reason, field, handle_account_id, json_kind, missing, parsed_lines, quoted
from transforms.connectors.lines import SKIP_BLANK
from transforms.connectors.records import classified, status_of, typed_records

NETWORK = "reddit"
SKIP_AUTHOR_DELETED = "author_deleted"
SKIP_REASONS = (SKIP_BLANK, SKIP_AUTHOR_DELETED)
DELETED_AUTHORS = ("[deleted]", "[removed]")

# created_utc bounds: reddit opened in 2005; anything past 2100 is a unit error (milliseconds).
_MIN_SECONDS, _MAX_SECONDS = 1104537600, 4102444800
_NUMBER = r"^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$"
_INTEGER = r"^\s*[-+]?[0-9]{1,18}\s*$"
_BASE36_ID = r"^[0-9a-z]{1,16}$"
_FULLNAME = r"^t[13]_[0-9a-z]{1,16}$"
_SUBMISSION_FULLNAME = r"^t3_[0-9a-z]{1,16}$"
# u/name or /u/name, not inside a URL or a word (reddit.com/u/x is a link, not a mention); names are
# 3-20 letters, digits, '_' or '-'.
_MENTION = r"(?<![\p{L}\p{N}_/.\-])/?u/([A-Za-z0-9_\-]{3,20})(?![A-Za-z0-9_\-])"


def _kind(value: Column, path: str) -> Column:
    """The JSON kind (STRING, BIGINT, DECIMAL, DOUBLE, OBJECT, ...) at `path`; null when absent or null."""
    return F.nullif(json_kind(field(value, path, "variant")), F.lit("VOID"))


def _string(value: Column, path: str) -> Column:
    """The string at `path`; null when absent or not a JSON string (an object is not turned into its JSON)."""
    return F.when(_kind(value, path) == "STRING", field(value, path, "string"))


def _integer(kind: Column, text: Column, number: Column) -> Column:
    """An integer count from a field's `_read` columns: a JSON integer or an integral string; null otherwise."""
    return F.when((kind == "BIGINT") | ((kind == "STRING") & text.rlike(_INTEGER)), number)


def _seconds(kind: Column, text: Column, number: Column) -> Column:
    """UTC seconds from a field's `_read` columns (a JSON number or a numeric string) as a double; null when
    not a valid time."""
    is_number = kind.isin("BIGINT", "DECIMAL", "DOUBLE", "FLOAT")
    is_numeric_string = (kind == "STRING") & text.rlike(_NUMBER)
    return F.when((is_number | is_numeric_string) & (number >= _MIN_SECONDS) & (number < _MAX_SECONDS), number)


def _read(value: Column, key: str, number_type: str) -> list[Column]:
    """`_<key>_kind`, `_<key>_text` and `_<key>_number`: what `_integer` and `_seconds` read of a number field."""
    path = f"$.{key}"
    return [
        _kind(value, path).alias(f"_{key}_kind"),
        field(value, path, "string").alias(f"_{key}_text"),
        field(value, path, number_type).alias(f"_{key}_number"),
    ]


def _record(**columns: Column) -> Column:
    return F.struct(*[column.alias(name) for name, column in columns.items()])


def _reason(value: Column, text: Column) -> Column:
    """Null for a good line, else the skip or quarantine reason (checks in order, first one wins)."""
    c = F.col
    bad_id = c("_bare_id").isNull() | ~c("_bare_id").rlike(_BASE36_ID)
    return (
        base_reason(text, value)
        .when(
            c("_prefix").isNull(),
            F.lit("unknown_event_type: neither a submission (title or a t3_ name) nor a comment (body, parent_id or a t1_ name)"),
        )
        .when(c("_id_text").isNull() | (c("_id_text") == ""), missing("$.id"))
        .when(c("_author").isNull() | (F.trim(c("_author")) == ""), missing("$.author"))
        .when(c("_author").isin(*DELETED_AUTHORS), F.lit(SKIP_AUTHOR_DELETED))
        .when(c("_created_kind").isNull(), missing("$.created_utc"))
        .when(bad_id, F.concat(F.lit("bad_value: id "), quoted(c("_id_text")), F.lit(" is not a base-36 reddit id")))
        .when(
            c("_name").isNotNull() & (c("_name") != c("_post_id")),
            F.concat(F.lit("bad_value: name "), quoted(c("_name")), F.lit(" does not match id "), quoted(c("_id_text"))),
        )
        .when(
            c("_created").isNull(),
            F.concat(
                F.lit("bad_timestamp: created_utc "),
                quoted(c("_created_text")),
                F.lit(" is not UTC seconds between 2005 and 2100"),
            ),
        )
        .when(
            c("_is_comment") & c("_parent_raw").isNotNull() & ~c("_parent_raw").rlike(_FULLNAME),
            F.concat(F.lit("bad_value: parent_id "), quoted(c("_parent_raw")), F.lit(" is not a t1_ or t3_ fullname")),
        )
        .when(c("_is_comment") & c("_parent").isNull(), missing("$.parent_id (and no t3_ link_id)"))
        .when(
            ~c("_is_comment") & c("_crosspost_parent").isNotNull() & ~c("_crosspost_parent").rlike(_SUBMISSION_FULLNAME),
            F.concat(F.lit("bad_value: crosspost_parent "), quoted(c("_crosspost_parent")), F.lit(" is not a t3_ fullname")),
        )
    )


_STRING_FIELDS = ("name", "title", "selftext", "body", "parent_id", "link_id", "crosspost_parent", "author")
_SECONDS_FIELDS = ("created_utc", "retrieved_on", "retrieved_utc")
_COUNT_FIELDS = ("score", "num_comments", "num_crossposts")


def with_reddit_fields(lines: DataFrame) -> DataFrame:
    """The raw lines with the fields the classification needs (underscored helper columns).

    Each JSON field is read in one select and derived from in the next ones: Spark evaluates an expression as
    often as a select refers to it, and a field's kind (`schema_of_variant`) was read up to twelve times a line.
    """
    c, value = F.col, F.col("_v")
    # The reddit API wraps each thing as {"kind": "t1" | "t3", "data": {...}}; its data is the record Pushshift
    # archives. The kind is read first, so an unwrapped line pays one key lookup.
    parsed = parsed_lines(lines)
    thing = F.when(field(value, "$.kind").isin("t1", "t3"), field(value, "$.data", "variant"))
    read = parsed.select(*[name for name in parsed.columns if name != "_v"], F.coalesce(thing, value).alias("_v")).select(
        "*",
        *(_string(value, f"$.{key}").alias(f"_{key}") for key in _STRING_FIELDS),
        _kind(value, "$.id").alias("_id_kind"),
        field(value, "$.id", "string").alias("_id_raw"),
        *(column for key in _SECONDS_FIELDS for column in _read(value, key, "double")),
        *(column for key in _COUNT_FIELDS for column in _read(value, key, "bigint")),
    )

    def seconds(key: str) -> Column:
        return _seconds(c(f"_{key}_kind"), c(f"_{key}_text"), c(f"_{key}_number"))

    id_text = F.when(c("_id_kind").isin("STRING", "BIGINT"), c("_id_raw"))
    derived = read.select(
        "*",
        id_text.alias("_id_text"),
        F.regexp_extract(c("_name"), r"^(t[0-9])_", 1).alias("_name_prefix"),
        F.regexp_extract(id_text, r"^(t[13])_", 1).alias("_id_prefix"),
        c("_parent_id").alias("_parent_raw"),
        c("_created_utc_kind").alias("_created_kind"),
        c("_created_utc_text").alias("_created_text"),
        seconds("created_utc").alias("_created_seconds"),
        F.coalesce(seconds("retrieved_on"), seconds("retrieved_utc")).alias("_retrieved_seconds"),
        *(_integer(c(f"_{key}_kind"), c(f"_{key}_text"), c(f"_{key}_number")).alias(f"_{key}") for key in _COUNT_FIELDS),
    )
    name_prefix, id_prefix = c("_name_prefix"), c("_id_prefix")
    prefix = (
        F.when(name_prefix != "", F.when(name_prefix.isin("t1", "t3"), name_prefix))
        .when(id_prefix != "", id_prefix)
        .when(c("_title").isNotNull(), F.lit("t3"))
        .when(c("_body").isNotNull() | c("_parent_raw").isNotNull(), F.lit("t1"))
    )
    return derived.select("*", prefix.alias("_prefix"))


def to_classified(lines: DataFrame) -> DataFrame:
    """Classify raw reddit lines (source, file, line_number, line) and read their records."""
    c = F.col
    fields = with_reddit_fields(lines)
    is_comment = c("_prefix") == "t1"
    bare_id = F.regexp_replace(c("_id_text"), r"^t[13]_", "")
    post_id = F.concat(c("_prefix"), F.lit("_"), bare_id)
    parent = F.when(
        is_comment,
        F.when(c("_parent_raw").rlike(_FULLNAME), c("_parent_raw")).when(
            c("_parent_raw").isNull() & c("_link_id").rlike(_SUBMISSION_FULLNAME), c("_link_id")
        ),
    )
    derived = fields.select(
        "*",
        is_comment.alias("_is_comment"),
        bare_id.alias("_bare_id"),
        post_id.alias("_post_id"),
        parent.alias("_parent"),
        F.when(c("_created_seconds").isNotNull(), F.timestamp_seconds(c("_created_seconds"))).alias("_created"),
    )
    reason = _reason(c("_v"), c("_clean_line"))

    submission_text = F.concat_ws("\n\n", c("_title"), F.when(c("_selftext") != "", c("_selftext")))
    text = F.when(c("_is_comment"), c("_body")).otherwise(F.nullif(submission_text, F.lit("")))
    # Markdown escapes underscores (u/some\_name): unescape before looking for names.
    names = F.regexp_extract_all(F.regexp_replace(c("_text"), r"\\_", "_"), F.lit(_MENTION), 1)
    mentions = F.array_distinct(F.transform(F.coalesce(names, F.array().cast("array<string>")), handle_account_id))
    crosspost = F.when(~c("_is_comment"), c("_crosspost_parent"))
    observed = F.coalesce(
        F.when(c("_retrieved_seconds").isNotNull(), F.timestamp_seconds(c("_retrieved_seconds"))), c("_created")
    )

    def interaction(kind: str, target: Column, target_post_id: Column, key: Column) -> Column:
        return _record(
            network=F.lit(NETWORK),
            actor=c("_author"),
            target=target,
            kind=F.lit(kind),
            occurred_at=c("_created"),
            post_id=c("_post_id"),
            target_post_id=target_post_id,
            weight=F.lit(1.0),
            natural_key=key,
        )

    no_account = F.lit(None).cast("string")
    reply = F.when(
        c("_is_comment"),
        interaction("reply", no_account, c("_parent"), F.concat(F.lit(f"{NETWORK}|reply|"), c("_post_id"))),
    )
    reshare = F.when(
        crosspost.isNotNull(),
        interaction("reshare", no_account, crosspost, F.concat(F.lit(f"{NETWORK}|reshare|"), c("_post_id"))),
    )
    mention_records = F.transform(
        c("_mentions"),
        lambda m: interaction(
            "mention", m, F.lit(None).cast("string"), F.concat_ws("|", F.lit(f"{NETWORK}|mention"), c("_post_id"), m)
        ),
    )
    post = _record(
        network=F.lit(NETWORK),
        post_id=c("_post_id"),
        author=c("_author"),
        created_at=c("_created"),
        text=c("_text"),
        hashtags=F.array().cast("array<string>"),
        mentions=c("_mentions"),
        reply_to_post_id=c("_parent"),
        reshare_of_post_id=crosspost,
        like_count=c("_score"),
        reshare_count=F.when(~c("_is_comment"), c("_num_crossposts")),
        reply_count=F.when(~c("_is_comment"), c("_num_comments")),
        observed_at=observed,
    )
    account = _record(network=F.lit(NETWORK), account_id=c("_author"), handle=c("_author"), observed_at=c("_created"))
    # the text in a select of its own: the mentions read it
    with_text = derived.select("*", reason.alias("reason"), text.alias("_text"))
    with_reason = with_text.select("*", mentions.alias("_mentions"))
    out = with_reason.select(
        "source",
        "file",
        "line_number",
        "line",
        "reason",
        status_of(c("reason"), SKIP_REASONS).alias("status"),
        F.when(c("reason").isNull(), F.concat(F.lit(f"{NETWORK}|"), c("_post_id"))).alias("event_key"),
        F.array(account).alias("_accounts"),
        F.array(post).alias("_posts"),
        F.concat(F.filter(F.array(reply, reshare), lambda r: r.isNotNull()), mention_records).alias("_interactions"),
    )
    return classified(
        out,
        accounts=typed_records("accounts", c("_accounts")),
        posts=typed_records("posts", c("_posts")),
        interactions=typed_records("interactions", c("_interactions")),
    )
