"""Twitter API v1.1 stream archives (one status object per line) -> classified lines with canonical records.

A line is a status, a delete notice, another stream notice, or a page of statuses: a search API answer
({"statuses": [...], "search_metadata": ...}) or an array of statuses (a timeline answer). A status line carries up to four statuses: S (the line's own), R =
S.retweeted_status, Q = S.quoted_status and RQ = R.quoted_status (the tweet a retweeted quote tweet
quotes); each one present gives an account, a post and its interactions. A page gives those of each of its
statuses, each with its own created_at as its time; one unreadable status quarantines the page, named
`statuses[i].<path>` (`[i].<path>` in an array; as a v2 page is read whole or not at all); a page without
statuses is skipped.

Field mapping (per status X, its author U = X.user; "time" = the line's own S.created_at):
  X.user.id_str (else X.user.id)        -> accounts.account_id, posts.author, interactions.actor
  U.screen_name / name / description    -> accounts.handle / display_name / bio
  U.lang / followers_count              -> accounts.lang / followers_count
  time                                  -> accounts.observed_at, posts.observed_at (when the dump saw them)
  X.id_str (else X.id)                  -> posts.post_id, interactions.post_id
  X.created_at ('Fri Jan 22 05:00:06 +0000 2016', UTC) -> posts.created_at, interactions.occurred_at
  X.extended_tweet.full_text, else X.full_text, else X.text -> posts.text
  X.lang                                -> posts.lang
  (X.extended_tweet.entities, else X.entities).hashtags[].text -> posts.hashtags (distinct, in order)
  (same entities).user_mentions[].id_str (else .id) -> posts.mentions
      (no `entities` object at all: hashtags and @handles from the text, handles as account_id '@handle')
  X.in_reply_to_status_id_str / in_reply_to_user_id_str (else the numeric fields)
                                        -> posts.reply_to_post_id / reply_to_account
  X.retweeted_status.id_str             -> posts.reshare_of_post_id
  X.quoted_status.id_str, else X.quoted_status_id_str -> posts.quote_of_post_id
  X.favorite_count / retweet_count / reply_count / quote_count (the last two only in some archives)
                                        -> posts.like_count / reshare_count / reply_count / quote_count
Interactions of X (rules in transforms.connectors.twitter; actor = X's author, post_id = X's id, occurred_at = X.created_at):
  reshare  X has retweeted_status: target = retweeted_status.user.id_str, target_post_id = retweeted_status.id_str.
           A retweet carries nothing else: the mentions in its entities are the original tweet's and are
           emitted once, from R (actor = the original author), not from the retweeter.
  reply    in_reply_to_status_id_str or in_reply_to_user_id_str set: target = in_reply_to_user_id_str (null when
           only the status id is given), target_post_id = in_reply_to_status_id_str
  quote    quote_of_post_id set: target = quoted_status.user.id_str (null when the quoted status is not
           embedded, e.g. deleted), target_post_id = quote_of_post_id
  mention  one per distinct user_mentions id: target = that id, target_post_id null
Delete notice {"delete":{"status":{"id_str":...}}} -> deletes [{record_type: post, natural_key: the id}].

event_key: twitter|tweet|<S id> for a status, twitter|delete|<id> for a delete notice, twitter|page|<sha-256 of
the page's status ids in order> for a page.

Skip reasons: blank; empty_page; stream_notice (an object with one of the stream-control keys limit, scrub_geo,
status_withheld, user_withheld, disconnect, warning, friends, friends_str, event, for_user, control).
Quarantine reasons:
  invalid_json: ...                 not JSON, or neither a JSON object nor an array
  unknown_event_type: ...           an object that is neither a status (none of id_str, id, user, created_at,
                                    text) nor a delete or stream notice
  missing_field: <path> ...         a status without id, user id or created_at; a delete without delete.status.id_str
                                    (checked for S, then R, Q and RQ when present, paths prefixed accordingly)
  bad_value: <path> ...             an id that is not decimal digits; an embedded status that is not an object
  bad_timestamp: <path> ...         a created_at that is not 'EEE MMM dd HH:mm:ss Z yyyy'
An id of the wrong type counts as missing or bad (above); other fields of the wrong type read as null (a
string count, a non-object user or entities), except that a string field reads any scalar as its text.
Records are deduplicated within a line (a self-quote gives one account). Deliberately not mapped: accounts of
mentioned users (only ids), in_reply_to_screen_name, places, coordinates, media and urls, timestamp_ms, user
stream events (skipped with the notices), other users' deletes beyond the post id (scrub_geo, withheld).
"""

from __future__ import annotations

import operator
from functools import reduce

from pyspark.sql import Column, DataFrame, functions as F

from transforms.connectors import twitter as tw
from transforms.connectors.json_lines import (
    base_reason,
    field,
    handle_account_id,
    hashtags_in_text,
    mentions_in_text,
    parsed_lines,
    quoted,
)
from transforms.connectors.lines import SKIP_BLANK
from transforms.connectors.records import classified, status_of, typed_records

SKIP_STREAM_NOTICE = "stream_notice"
SKIP_EMPTY_PAGE = "empty_page"  # a search page without statuses: the API's answer "no tweets"
STREAM_NOTICE_KEYS = (
    "limit",
    "scrub_geo",
    "status_withheld",
    "user_withheld",
    "disconnect",
    "warning",
    "friends",
    "friends_str",
    "event",
    "for_user",
    "control",
)

# 'Fri Jan 22 05:00:06 +0000 2016': Spark refuses to parse the day-of-week pattern, so the weekday is only
# checked by the regex (not against the date) and the rest is parsed.
_V1_TIME = r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2} [0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4} [0-9]{4})$"
_V1_TIME_EXAMPLE = "Fri Jan 22 05:00:06 +0000 2016"

# What is read from one status, in one variant -> struct conversion (much cheaper than one lookup per field).
# A field of the wrong type reads as null; a string field reads any scalar as its text.
_ENTITIES = "struct<hashtags:array<struct<text:string>>,user_mentions:array<struct<id_str:string,id:string>>>"
_STATUS = (
    "struct<id_str:string,id:string,created_at:string,text:string,full_text:string,lang:string,"
    "user:struct<id_str:string,id:string,screen_name:string,name:string,description:string,lang:string,"
    "followers_count:bigint>,"
    f"entities:{_ENTITIES},extended_tweet:struct<full_text:string,entities:{_ENTITIES}>,"
    "in_reply_to_status_id_str:string,in_reply_to_status_id:string,"
    "in_reply_to_user_id_str:string,in_reply_to_user_id:string,"
    "retweeted_status:struct<id_str:string,id:string,user:struct<id_str:string,id:string>>,"
    "quoted_status:struct<id_str:string,id:string,user:struct<id_str:string,id:string>>,"
    "quoted_status_id_str:string,quoted_status_id:string,"
    "favorite_count:bigint,retweet_count:bigint,reply_count:bigint,quote_count:bigint>"
)
# The line's own object: the status fields that tell a status, plus delete and stream-notice keys.
_LINE = (
    "struct<id_str:string,id:string,created_at:string,text:string,user:string,"
    "delete:string," + ",".join(f"{key}:string" for key in STREAM_NOTICE_KEYS) + ">"
)

# The statuses one line can carry, in this order: path from the line's object, label prefix in reasons.
_STATUSES = (
    ("$", ""),
    ("$.retweeted_status", "retweeted_status."),
    ("$.quoted_status", "quoted_status."),
    ("$.retweeted_status.quoted_status", "retweeted_status.quoted_status."),
)


def v1_time(text: Column) -> Column:
    """A v1 created_at string as a UTC timestamp; null when it is not in the v1 format."""
    rest = F.nullif(F.regexp_extract(text, _V1_TIME, 2), F.lit(""))
    return F.try_to_timestamp(rest, F.lit("MMM dd HH:mm:ss Z yyyy"))


def _status_fields(s: Column) -> Column:
    """The fields the connector uses from one status struct (read with _STATUS), named and derived."""
    entities = F.coalesce(s["extended_tweet"]["entities"], s["entities"])
    text = F.coalesce(s["extended_tweet"]["full_text"], s["full_text"], s["text"])
    entity_hashtags = F.transform(entities["hashtags"], lambda h: h["text"])
    entity_mentions = F.transform(entities["user_mentions"], lambda m: tw.numeric_id(F.coalesce(m["id_str"], m["id"])))
    user = s["user"]
    return F.struct(
        s.isNotNull().alias("is_present"),
        F.coalesce(s["id_str"], s["id"]).alias("id"),
        F.coalesce(user["id_str"], user["id"]).alias("user_id"),
        user["screen_name"].alias("handle"),
        user["name"].alias("display_name"),
        user["description"].alias("bio"),
        user["lang"].alias("user_lang"),
        user["followers_count"].alias("followers_count"),
        s["created_at"].alias("created_raw"),
        v1_time(s["created_at"]).alias("created_at"),
        text.alias("text"),
        s["lang"].alias("lang"),
        F.when(entities.isNotNull(), tw.distinct_non_null(entity_hashtags)).otherwise(hashtags_in_text(text)).alias("hashtags"),
        F.when(entities.isNotNull(), tw.distinct_non_null(entity_mentions))
        .otherwise(F.transform(mentions_in_text(text), handle_account_id))
        .alias("mentions"),
        tw.numeric_id(F.coalesce(s["in_reply_to_status_id_str"], s["in_reply_to_status_id"])).alias("reply_to_post"),
        tw.numeric_id(F.coalesce(s["in_reply_to_user_id_str"], s["in_reply_to_user_id"])).alias("reply_to_account"),
        tw.numeric_id(F.coalesce(s["retweeted_status"]["id_str"], s["retweeted_status"]["id"])).alias("reshare_of"),
        tw.numeric_id(F.coalesce(s["retweeted_status"]["user"]["id_str"], s["retweeted_status"]["user"]["id"])).alias(
            "reshare_target"
        ),
        tw.numeric_id(
            F.coalesce(s["quoted_status"]["id_str"], s["quoted_status"]["id"], s["quoted_status_id_str"], s["quoted_status_id"])
        ).alias("quote_of"),
        tw.numeric_id(F.coalesce(s["quoted_status"]["user"]["id_str"], s["quoted_status"]["user"]["id"])).alias("quote_target"),
        s["favorite_count"].alias("like_count"),
        s["retweet_count"].alias("reshare_count"),
        s["reply_count"].alias("reply_count"),
        s["quote_count"].alias("quote_count"),
    )


def _status_problem(status: Column, label: Column) -> Column:
    """Why a (present) status cannot be read, its fields named after `label` ('retweeted_status.'); null when it can."""

    def named(text: str) -> Column:
        return F.concat(label, F.lit(text))

    return F.coalesce(
        tw.id_problem(status["id"], named("id_str")),
        tw.id_problem(status["user_id"], named("user.id_str")),
        F.when(status["created_raw"].isNull(), F.concat(F.lit("missing_field: "), named("created_at is absent or null"))),
        F.when(
            status["created_at"].isNull(),
            F.concat(
                F.lit("bad_timestamp: "),
                named("created_at "),
                quoted(status["created_raw"]),
                F.lit(f" is not a v1 time like '{_V1_TIME_EXAMPLE}'"),
            ),
        ),
    )


def _delete_id(value: Column) -> Column:
    return F.coalesce(field(value, "$.delete.status.id_str", "string"), field(value, "$.delete.status.id", "string"))


def _is_status(line: Column) -> Column:
    return reduce(operator.or_, [line[key].isNotNull() for key in ("id_str", "id", "created_at", "text", "user")])


def _page_statuses(page: Column) -> Column:
    """S, R, Q, RQ of every status of a search page (array<variant>), four by four, as _status_fields."""
    # each status read once and handed to _status_fields as a lambda variable (it reads its argument many times)
    return F.flatten(
        F.transform(page, lambda v: F.transform(F.array(*[field(v, path, _STATUS) for path, _ in _STATUSES]), _status_fields))
    )


def _page_labels(page: Column, prefix: Column) -> Column:
    """The labels of _page_statuses in reasons: 'statuses[2].retweeted_status.' on a search page (prefix
    'statuses'), '[2].retweeted_status.' on an array."""

    def labels(_: Column, i: Column) -> Column:
        return F.array(*[F.concat(prefix, F.lit("["), i.cast("string"), F.lit(f"].{label}")) for _, label in _STATUSES])

    return F.flatten(F.transform(page, labels))


def _page_not_objects(page: Column, statuses: Column, prefix: Column) -> Column:
    """bad_value for each status of a page, or status embedded in one, that is present but not an object."""

    def problems(v: Column, i: Column) -> Column:
        return F.array(
            *[
                F.when(
                    ~F.get(statuses, i * len(_STATUSES) + j)["is_present"] & field(v, path, "string").isNotNull(),
                    F.concat(
                        F.lit("bad_value: "),
                        prefix,
                        F.lit("["),
                        i.cast("string"),
                        F.lit(f"]{'.' if label else ''}{label[:-1]}"),
                        F.lit(" is present but not an object"),
                    ),
                )
                for j, (path, label) in enumerate(_STATUSES)
            ]
        )

    return F.filter(F.flatten(F.transform(page, problems)), lambda p: p.isNotNull())


def _field_problems(statuses: Column, labels: Column) -> Column:
    return F.filter(
        F.transform(statuses, lambda s, i: F.when(s["is_present"], _status_problem(s, F.get(labels, i)))),
        lambda p: p.isNotNull(),
    )


def _reason(value: Column, text: Column, line: Column, statuses: Column, page: Column, page_statuses: Column) -> Column:
    """The first problem, checked in order: blank/JSON, delete notice, stream notice, empty page, unknown
    object, then the statuses S, R, Q, RQ (of each status of a page in turn; a field problem first, then a
    status that is not an object); null when the line conforms."""
    is_notice = reduce(operator.or_, [line[key].isNotNull() for key in STREAM_NOTICE_KEYS])
    field_problems = _field_problems(statuses, F.array(*[F.lit(label) for _, label in _STATUSES]))
    prefix = F.when(text.startswith("["), F.lit("")).otherwise(F.lit("statuses"))
    page_problems = F.get(_field_problems(page_statuses, _page_labels(page, prefix)), 0)
    # Read as text only when the struct read failed, so a good embedded status is never serialised.
    not_objects = [
        tw.not_an_object_problem(F.get(statuses, i)["is_present"], field(value, path, "string"), label[:-1])
        for i, (path, label) in enumerate(_STATUSES)
        if i > 0
    ]
    base = base_reason(text, value)
    return (
        F.when(base.isNotNull() & page.isNull(), base)
        .when(line["delete"].isNotNull(), tw.id_problem(_delete_id(value), "delete.status.id_str"))
        .when(is_notice, F.lit(SKIP_STREAM_NOTICE))
        .when(page.isNotNull() & (F.size(page) == 0), F.lit(SKIP_EMPTY_PAGE))
        .when(
            ~_is_status(line) & page.isNull(),
            F.concat(
                F.lit("unknown_event_type: neither a status, a search page, a delete nor a stream notice; keys "),
                quoted(F.array_join(F.json_object_keys(text), ",")),
            ),
        )
        .when(page.isNotNull(), F.coalesce(page_problems, F.get(_page_not_objects(page, page_statuses, prefix), 0)))
        .otherwise(F.coalesce(F.get(field_problems, 0), *not_objects))
    )


def _records_of(status: Column, observed_at: Column) -> tuple[Column, Column, Column]:
    """(account, post, interactions) of one status."""
    author = status["user_id"]
    account = tw.account(
        account_id=author,
        handle=status["handle"],
        display_name=status["display_name"],
        bio=status["bio"],
        lang=status["user_lang"],
        followers_count=status["followers_count"],
        observed_at=observed_at,
    )
    post = tw.post(
        post_id=status["id"],
        author=author,
        created_at=status["created_at"],
        lang=status["lang"],
        text=status["text"],
        hashtags=status["hashtags"],
        mentions=status["mentions"],
        reply_to_post_id=status["reply_to_post"],
        reply_to_account=status["reply_to_account"],
        reshare_of_post_id=status["reshare_of"],
        quote_of_post_id=status["quote_of"],
        like_count=status["like_count"],
        reshare_count=status["reshare_count"],
        reply_count=status["reply_count"],
        quote_count=status["quote_count"],
        observed_at=observed_at,
    )
    interactions = tw.tweet_interactions(
        author=author,
        post_id=status["id"],
        created_at=status["created_at"],
        reshare_of=status["reshare_of"],
        reshare_target=status["reshare_target"],
        reply_to_post=status["reply_to_post"],
        reply_to_account=status["reply_to_account"],
        quote_of=status["quote_of"],
        quote_target=status["quote_target"],
        mentions=status["mentions"],
    )
    return account, post, interactions


def to_classified(lines: DataFrame) -> DataFrame:
    """Classify raw v1.1 archive lines (source, file, line_number, line) and read their records."""
    parsed = parsed_lines(lines)
    value = F.col("_v")
    # S, R, Q, RQ as one array (absent ones null), read by one lambda: one expression tree, not four.
    statuses = F.array(*[field(value, path, _STATUS) for path, _ in _STATUSES])
    # A page of statuses: a search API answer ({"statuses": [...], "search_metadata": ...}, an object that is
    # no status), or an array of statuses (a timeline or lookup answer kept as one line). Told apart by key
    # lookups on the parsed line, in the same select as the statuses: a select of its own copied every row
    # once more, which cost status lines (nearly all lines) more than the lookups.
    search_page = field(value, "$.statuses", "array<variant>")
    is_no_status = reduce(operator.and_, [field(value, f"$.{key}", "variant").isNull() for key in ("id_str", "id", "user")])
    page = F.when(F.col("_clean_line").startswith("["), field(value, "$", "array<variant>")).when(
        search_page.isNotNull() & is_no_status, search_page
    )
    with_page = parsed.select(
        "*",
        field(value, "$", _LINE).alias("_line"),
        F.transform(statuses, _status_fields).alias("_statuses"),
        page.alias("_page"),
        F.when(page.isNotNull(), _page_statuses(page)).alias("_page_statuses"),
    )
    line, page = F.col("_line"), F.col("_page")
    with_reason = with_page.select(
        "*",
        _reason(value, F.col("_clean_line"), line, F.col("_statuses"), page, F.col("_page_statuses")).alias("reason"),
    )

    is_delete = F.col("_line")["delete"].isNotNull()
    is_page = page.isNotNull()
    delete_id = _delete_id(value)
    own = F.get(F.col("_statuses"), 0)
    page_statuses = F.col("_page_statuses")
    page_key = F.sha2(
        F.concat_ws(",", F.transform(F.filter(page_statuses, lambda s, k: k % len(_STATUSES) == 0), lambda s: s["id"])), 256
    )

    def records_of(s: Column, observed_at: Column) -> Column:
        return F.struct(
            *[column.alias(name) for name, column in zip(("account", "post", "interactions"), _records_of(s, observed_at))]
        )

    # When the dump saw a status: the created_at of the line's own status, or on a search page of the status
    # at the top of its group (S of S, R, Q, RQ).
    line_records = F.transform(
        F.filter(F.col("_statuses"), lambda s: s["is_present"]), lambda s: records_of(s, own["created_at"])
    )
    page_records = F.filter(
        F.transform(
            page_statuses,
            lambda s, k: F.when(s["is_present"], records_of(s, F.get(page_statuses, k - k % len(_STATUSES))["created_at"])),
        ),
        lambda r: r.isNotNull(),
    )
    records = F.when(is_page, page_records).otherwise(line_records)
    delete = F.struct(F.lit(tw.NETWORK).alias("network"), F.lit("post").alias("record_type"), delete_id.alias("natural_key"))
    reason = F.col("reason")
    out = with_reason.select(
        "source",
        "file",
        "line_number",
        "line",
        "reason",
        status_of(reason, (SKIP_BLANK, SKIP_STREAM_NOTICE, SKIP_EMPTY_PAGE)).alias("status"),
        F.when(
            reason.isNull(),
            F.when(is_delete, F.concat(F.lit(f"{tw.NETWORK}|delete|"), delete_id))
            .when(is_page, F.concat(F.lit(f"{tw.NETWORK}|page|"), page_key))
            .otherwise(F.concat(F.lit(f"{tw.NETWORK}|tweet|"), own["id"])),
        ).alias("event_key"),
        F.when(reason.isNull() & ~is_delete, records).alias("_records"),
        F.when(is_delete, F.array(delete)).alias("_deletes"),
    )
    records = F.col("_records")
    return classified(
        out,
        accounts=typed_records("accounts", F.array_distinct(F.transform(records, lambda r: r["account"]))),
        posts=typed_records("posts", F.array_distinct(F.transform(records, lambda r: r["post"]))),
        interactions=typed_records(
            "interactions", F.array_distinct(F.flatten(F.transform(records, lambda r: r["interactions"])))
        ),
        deletes=typed_records("deletes", F.col("_deletes")),
    )
