"""Twitter API v2 response pages (one page per line, the layout twarc2 writes) -> classified lines.

A line is a page `{"data": [tweet, ...], "includes": {"users": [...], "tweets": [...]}, "meta": {...}}`.
Also accepted: a lookup response whose `data` is one tweet object, and a line holding one bare tweet object
(no `data` key, an `id`; a twarc2-flattened tweet's `author` object is then its account).

Every tweet of `data` and of `includes.tweets` (the referenced tweets) gives a post and its interactions.
Field mapping (per tweet T; "seen" = `__twarc.retrieved_at` when the line has it, else the latest
created_at among the line's `data` tweets):
  T.id                                  -> posts.post_id, interactions.post_id
  T.author_id                           -> posts.author, interactions.actor
  T.created_at (ISO-8601 '2022-06-07T08:42:31.000Z', UTC) -> posts.created_at, interactions.occurred_at
  T.text / T.lang                       -> posts.text / posts.lang
  T.public_metrics.like_count / retweet_count / reply_count / quote_count
                                        -> posts.like_count / reshare_count / reply_count / quote_count
  T.entities.hashtags[].tag             -> posts.hashtags (distinct, in order)
  T.entities.mentions[].id, else the username resolved -> posts.mentions
      no `entities` object: hashtags_in_text(T.text), mentions_in_text(T.text) (Unicode-aware)
      a username resolves to the id of the includes.users entry with that username (case-insensitive),
      else to the handle account_id '@<username lower case>' (the generic layer resolves it later)
  T.referenced_tweets[type=replied_to].id -> posts.reply_to_post_id
  T.in_reply_to_user_id, else the author of the replied tweet -> posts.reply_to_account
  T.referenced_tweets[type=retweeted].id  -> posts.reshare_of_post_id
  T.referenced_tweets[type=quoted].id     -> posts.quote_of_post_id
  seen                                  -> posts.observed_at, accounts.observed_at
  includes.users[].id / username / name / description / public_metrics.followers_count
                                        -> accounts.account_id / handle / display_name / bio / followers_count
                                           (accounts.lang: null, v2 users have none)
"The author of" a tweet id: the author_id of the tweet with that id among data and includes.tweets, or the
author_id written in the referenced_tweets entry itself (twarc2 flattened tweets).
Interactions of T (rules in transforms.connectors.twitter: a retweet carries only its reshare):
  reshare  target = author of the retweeted tweet, else the `RT @handle:` prefix of the text (resolved through
           includes.users, else '@handle'); target_post_id = the retweeted id
  reply    target = reply_to_account (null when unknown: the generic layer fills it from the stored post
           target_post_id); target_post_id = the replied-to id
  quote    target = author of the quoted tweet (null when unknown); target_post_id = the quoted id
  mention  one per distinct posts.mentions entry (handles included)

event_key: twitter|page|<sha-256 of the data ids in order> for a page, twitter|tweet|<id> for one tweet.

A page is read whole or not at all: one unreadable tweet (in data or includes.tweets) or user quarantines
the whole line with the first problem and the count of bad tweets, so nothing is dropped silently and the
page can be replayed once fixed. (A line has one status; conforming it without the bad tweet would lose
that tweet with no trace.)
Skip reasons: blank; empty_page (`data` is an empty array, or absent with meta.result_count 0: the API's
answer "no tweets").
Quarantine reasons:
  invalid_json: ...                          not JSON, or not a JSON object
  missing_field: data ...                    no `data` array/object and not a single tweet object
  missing_field: data[i].id / author_id / created_at (includes.tweets[i]..., includes.users[i].id, or
                 author.id for a single flattened tweet)
  bad_value: data[i] is not a tweet object; an id that is not decimal digits
  bad_timestamp: data[i].created_at ...      not ISO-8601 with a zone
Fields of the wrong type elsewhere read as null (a non-object `entities` makes the text the source of
hashtags and mentions; a non-array includes.users gives no accounts). Deliberately not mapped: `errors`,
`meta` (except result_count), conversation_id, edit history, attachments, urls, annotations, context
annotations, geo, users' location/verified/other metrics, the profile of the replied-to user.
"""

from __future__ import annotations

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

SKIP_EMPTY_PAGE = "empty_page"
MISSING_DATA = "missing_field: data is absent, null or not an array of tweets (nor is the line one tweet)"

_ISO_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})$"
_RETWEET_PREFIX = r"^RT @([A-Za-z0-9_]{1,30}):"

# Read in one variant -> struct conversion; a field of the wrong type reads as null, a string field reads
# any scalar as its text, an array element that is not an object reads as a null element.
_TWEET = (
    "struct<id:string,author_id:string,created_at:string,text:string,lang:string,in_reply_to_user_id:string,"
    "public_metrics:struct<like_count:bigint,retweet_count:bigint,reply_count:bigint,quote_count:bigint>,"
    "referenced_tweets:array<struct<type:string,id:string,author_id:string>>,"
    "entities:struct<hashtags:array<struct<tag:string>>,mentions:array<struct<username:string,id:string>>>>"
)
_USER = "struct<id:string,username:string,name:string,description:string,public_metrics:struct<followers_count:bigint>>"
_LINE = (
    f"struct<data:array<{_TWEET}>,id:string,"
    f"includes:struct<users:array<{_USER}>,tweets:array<{_TWEET}>>,"
    f"meta:struct<result_count:bigint>,__twarc:struct<retrieved_at:string>,author:{_USER}>"
)


def iso_time(text: Column) -> Column:
    """An ISO-8601 time with a zone ('2022-06-07T08:42:31.000Z') as a UTC timestamp; null otherwise."""
    return F.when(text.rlike(_ISO_TIME), F.try_to_timestamp(text))


def _empty(element_type: str) -> Column:
    return F.array().cast(f"array<{element_type}>")


def _tweet_problem(tweet: Column, label: Column) -> Column:
    """Why one tweet cannot be read (label: 'data[3].'), null when it can."""
    return F.when(
        tweet.isNull(), F.concat(F.lit("bad_value: "), F.regexp_replace(label, r"\.$", ""), F.lit(" is not a tweet object"))
    ).otherwise(
        F.coalesce(
            tw.id_problem(tweet["id"], F.concat(label, F.lit("id"))),
            tw.id_problem(tweet["author_id"], F.concat(label, F.lit("author_id"))),
            F.when(
                tweet["created_at"].isNull(), F.concat(F.lit("missing_field: "), label, F.lit("created_at is absent or null"))
            ),
            F.when(
                iso_time(tweet["created_at"]).isNull(),
                F.concat(
                    F.lit("bad_timestamp: "),
                    label,
                    F.lit("created_at "),
                    quoted(tweet["created_at"]),
                    F.lit(" is not ISO-8601 like '2022-06-07T08:42:31.000Z'"),
                ),
            ),
        )
    )


def _user_problem(user: Column, label: Column) -> Column:
    return F.when(user.isNull(), F.concat(F.lit("bad_value: "), label, F.lit(" is not a user object"))).otherwise(
        tw.id_problem(user["id"], F.concat(label, F.lit(".id")))
    )


def _problems(tweets: Column, prefix: Column | str) -> Column:
    """The problems of an array of tweets, labelled prefix[i]. (nulls for good tweets)."""
    prefix = F.lit(prefix) if isinstance(prefix, str) else prefix
    return F.transform(
        tweets,
        lambda t, i: _tweet_problem(t, F.concat(prefix, F.lit("["), i.cast("string"), F.lit("]."))),
    )


def _first_ref(refs: Column, kind: str) -> Column:
    return tw.numeric_id(F.get(F.filter(refs, lambda r: r["type"] == kind), 0)["id"])


def _tweet_fields(t: Column, authors: Column, users: Column) -> Column:
    """What the connector uses from one tweet, with references resolved against the line's tweets and users."""

    def author_of(post_id: Column) -> Column:
        # Guarded: most tweets reference nothing, and the lookup scans every tweet of the line.
        return F.when(post_id.isNotNull(), F.get(F.filter(authors, lambda a: a["id"] == post_id), 0)["author"])

    def account_of(handle: Column) -> Column:
        resolved = F.when(
            handle.isNotNull(), F.get(F.filter(users, lambda u: F.lower(u["username"]) == F.lower(handle)), 0)["id"]
        )
        return F.coalesce(tw.numeric_id(resolved), handle_account_id(handle))

    refs = F.coalesce(t["referenced_tweets"], _empty("struct<type:string,id:string,author_id:string>"))
    text, entities = t["text"], t["entities"]
    retweet_of, reply_to, quote_of = (_first_ref(refs, kind) for kind in ("retweeted", "replied_to", "quoted"))
    rt_handle = F.nullif(F.regexp_extract(F.coalesce(text, F.lit("")), _RETWEET_PREFIX, 1), F.lit(""))
    entity_mentions = F.transform(entities["mentions"], lambda m: F.coalesce(tw.numeric_id(m["id"]), account_of(m["username"])))
    metrics = t["public_metrics"]
    return F.struct(
        t["id"].alias("id"),
        t["author_id"].alias("author"),
        iso_time(t["created_at"]).alias("created_at"),
        text.alias("text"),
        t["lang"].alias("lang"),
        F.when(entities.isNotNull(), tw.distinct_non_null(F.transform(entities["hashtags"], lambda h: h["tag"])))
        .otherwise(hashtags_in_text(text))
        .alias("hashtags"),
        F.when(entities.isNotNull(), tw.distinct_non_null(entity_mentions))
        .otherwise(tw.distinct_non_null(F.transform(mentions_in_text(text), account_of)))
        .alias("mentions"),
        reply_to.alias("reply_to_post"),
        F.coalesce(tw.numeric_id(t["in_reply_to_user_id"]), author_of(reply_to)).alias("reply_to_account"),
        retweet_of.alias("reshare_of"),
        F.coalesce(author_of(retweet_of), account_of(rt_handle)).alias("reshare_target"),
        quote_of.alias("quote_of"),
        author_of(quote_of).alias("quote_target"),
        metrics["like_count"].alias("like_count"),
        metrics["retweet_count"].alias("reshare_count"),
        metrics["reply_count"].alias("reply_count"),
        metrics["quote_count"].alias("quote_count"),
    )


def to_classified(lines: DataFrame) -> DataFrame:
    """Classify raw v2 page lines (source, file, line_number, line) and read their records."""
    parsed = parsed_lines(lines)
    value = F.col("_v")
    read = parsed.select(
        "source",
        "file",
        "line_number",
        "line",
        "_clean_line",
        "_v",
        field(value, "$", _LINE).alias("_line"),
        field(value, "$.data", _TWEET).alias("_data_object"),
    )
    line, data_object = F.col("_line"), F.col("_data_object")
    is_page = line["data"].isNotNull()
    # Only when `data` is neither an array nor an object is it read as text, to tell "absent" from "wrong type".
    has_data = F.when(is_page | data_object.isNotNull(), F.lit(True)).otherwise(
        F.coalesce(field(value, "$.data", "string").isNotNull(), F.lit(False))
    )
    is_single = ~has_data & line["id"].isNotNull()
    tweets = (
        F.when(is_page, line["data"])
        .when(data_object.isNotNull(), F.array(data_object))
        .when(is_single, F.array(field(value, "$", _TWEET)))
    )
    users = F.coalesce(line["includes"]["users"], F.when(line["author"].isNotNull(), F.array(line["author"])), _empty(_USER))
    staged = read.select(
        "source",
        "file",
        "line_number",
        "line",
        "_clean_line",
        "_v",
        is_page.alias("_is_page"),
        has_data.alias("_has_data"),
        line["meta"]["result_count"].alias("_result_count"),
        iso_time(line["__twarc"]["retrieved_at"]).alias("_retrieved_at"),
        tweets.alias("_data"),
        F.coalesce(line["includes"]["tweets"], _empty(_TWEET)).alias("_included"),
        users.alias("_users"),
        line["includes"]["users"].isNotNull().alias("_users_from_includes"),
    )

    data, included = F.col("_data"), F.col("_included")
    tweet_problems = F.concat(
        F.when(F.col("_is_page"), _problems(data, "data"))
        .when(F.col("_has_data"), F.transform(data, lambda t: _tweet_problem(t, F.lit("data."))))
        .otherwise(F.transform(data, lambda t: _tweet_problem(t, F.lit("")))),
        _problems(included, "includes.tweets"),
    )
    bad = F.filter(tweet_problems, lambda p: p.isNotNull())

    def user_label(i: Column) -> Column:
        return F.when(F.col("_users_from_includes"), F.concat(F.lit("includes.users["), i.cast("string"), F.lit("]"))).otherwise(
            F.lit("author")
        )

    user_problems = F.filter(F.transform(F.col("_users"), lambda u, i: _user_problem(u, user_label(i))), lambda p: p.isNotNull())
    is_empty = (F.col("_is_page") & (F.size(data) == 0)) | (~F.col("_has_data") & data.isNull() & (F.col("_result_count") == 0))
    base = base_reason(F.col("_clean_line"), value)
    reason = (
        F.when(base.isNotNull(), base)
        .when(is_empty, F.lit(SKIP_EMPTY_PAGE))
        .when(data.isNull(), F.lit(MISSING_DATA))
        .when(
            F.size(bad) > 0,
            F.concat(
                F.get(bad, 0),
                F.when(
                    F.col("_is_page"),
                    F.concat(
                        F.lit(" ("),
                        F.size(bad).cast("string"),
                        F.lit(" of "),
                        F.size(tweet_problems).cast("string"),
                        F.lit(" tweets unreadable; the whole page is quarantined)"),
                    ),
                ).otherwise(F.lit("")),
            ),
        )
        .when(F.size(user_problems) > 0, F.get(user_problems, 0))
    )

    all_tweets = F.concat(data, included)
    authors = F.filter(
        F.concat(
            F.transform(all_tweets, lambda t: F.struct(t["id"].alias("id"), t["author_id"].alias("author"))),
            F.flatten(
                F.transform(
                    all_tweets,
                    lambda t: F.transform(
                        F.coalesce(t["referenced_tweets"], _empty("struct<type:string,id:string,author_id:string>")),
                        lambda r: F.struct(r["id"].alias("id"), tw.numeric_id(r["author_id"]).alias("author")),
                    ),
                )
            ),
        ),
        lambda a: a["author"].isNotNull(),
    )
    # The author lookup is a column of its own: inside the lambda below it would be rebuilt for every tweet.
    with_authors = staged.select("*", reason.alias("reason"), F.when(reason.isNull(), authors).alias("_authors"))
    with_reason = with_authors.select(
        "*",
        F.when(
            F.col("reason").isNull(),
            F.transform(all_tweets, lambda t: _tweet_fields(t, F.col("_authors"), F.col("_users"))),
        ).alias("_tweets"),
        F.coalesce(F.col("_retrieved_at"), F.array_max(F.transform(data, lambda t: iso_time(t["created_at"])))).alias(
            "_observed_at"
        ),
    )

    observed_at = F.col("_observed_at")
    posts = F.transform(
        F.col("_tweets"),
        lambda t: tw.post(
            post_id=t["id"],
            author=t["author"],
            created_at=t["created_at"],
            lang=t["lang"],
            text=t["text"],
            hashtags=t["hashtags"],
            mentions=t["mentions"],
            reply_to_post_id=t["reply_to_post"],
            reply_to_account=t["reply_to_account"],
            reshare_of_post_id=t["reshare_of"],
            quote_of_post_id=t["quote_of"],
            like_count=t["like_count"],
            reshare_count=t["reshare_count"],
            reply_count=t["reply_count"],
            quote_count=t["quote_count"],
            observed_at=observed_at,
        ),
    )
    interactions = F.flatten(
        F.transform(
            F.col("_tweets"),
            lambda t: tw.tweet_interactions(
                author=t["author"],
                post_id=t["id"],
                created_at=t["created_at"],
                reshare_of=t["reshare_of"],
                reshare_target=t["reshare_target"],
                reply_to_post=t["reply_to_post"],
                reply_to_account=t["reply_to_account"],
                quote_of=t["quote_of"],
                quote_target=t["quote_target"],
                mentions=t["mentions"],
            ),
        )
    )
    accounts = F.transform(
        F.col("_users"),
        lambda u: tw.account(
            account_id=u["id"],
            handle=u["username"],
            display_name=u["name"],
            bio=u["description"],
            lang=F.lit(None).cast("string"),
            followers_count=u["public_metrics"]["followers_count"],
            observed_at=observed_at,
        ),
    )
    page_key = F.sha2(F.concat_ws(",", F.transform(data, lambda t: t["id"])), 256)
    out = with_reason.select(
        "source",
        "file",
        "line_number",
        "line",
        "reason",
        status_of(F.col("reason"), (SKIP_BLANK, SKIP_EMPTY_PAGE)).alias("status"),
        F.when(
            F.col("reason").isNull(),
            F.when(F.col("_is_page"), F.concat(F.lit(f"{tw.NETWORK}|page|"), page_key)).otherwise(
                F.concat(F.lit(f"{tw.NETWORK}|tweet|"), F.get(data, 0)["id"])
            ),
        ).alias("event_key"),
        F.array_distinct(accounts).alias("_accounts"),
        F.array_distinct(posts).alias("_posts"),
        F.array_distinct(interactions).alias("_interactions"),
    )
    return classified(
        out,
        accounts=typed_records("accounts", F.col("_accounts")),
        posts=typed_records("posts", F.col("_posts")),
        interactions=typed_records("interactions", F.col("_interactions")),
    )
