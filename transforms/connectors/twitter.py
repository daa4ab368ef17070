"""Building blocks shared by the Twitter connectors (`twitter_v1`, `twitter_v2`): typed field access,
record structs and the interactions one tweet carries.

Both connectors write network "twitter" and the same natural keys, so the same event read from a v1
archive and from a v2 page is one event:
  twitter|reshare|<retweet id>   twitter|reply|<reply id>   twitter|quote|<quoting tweet id>
  twitter|mention|<tweet id>|<mentioned account_id>
Line keys (event_key): twitter|tweet|<id>, twitter|delete|<id> (v1), twitter|page|<sha-256 of the ids> (v2).

Interactions of one tweet (decided once, for both API versions):
- a retweet carries one `reshare` (retweeter -> author of the retweeted tweet) and nothing else: the
  mentions, reply and quote written in a retweet's text are the original tweet's, and they are emitted
  from the original tweet (actor = its author, post_id = its id) when the dump embeds it;
- any other tweet carries a `reply` (when it replies to a tweet or an account), a `quote` (when it quotes a
  tweet) and one `mention` per distinct mentioned account, leading @handles of a reply included (they are
  mentions in the API's own entities). Self-interactions are emitted like any other.
"""

from __future__ import annotations

from pyspark.sql import Column, functions as F

NETWORK = "twitter"
NUMERIC_ID = r"^[0-9]{1,20}$"
_SEP = "|"


def numeric_id(raw: Column) -> Column:
    """`raw` when it is a Twitter id (decimal digits only), else null."""
    return F.when(raw.rlike(NUMERIC_ID), raw)


def id_problem(raw: Column, label: str | Column) -> Column:
    """Why an id is unusable (missing_field / bad_value), null when it is a decimal Twitter id.
    `label` names the field in the reason: a string, or a Column for per-element labels (data[3].id)."""
    label = F.lit(label) if isinstance(label, str) else label
    return F.when(
        raw.isNull(), F.concat(F.lit("missing_field: "), label, F.lit(" is absent, null or not of the expected type"))
    ).when(
        ~raw.rlike(NUMERIC_ID),
        F.concat(F.lit("bad_value: "), label, F.lit(" '"), F.substring(raw, 1, 40), F.lit("' is not a numeric id")),
    )


def not_an_object_problem(is_object: Column, as_text: Column, label: str) -> Column:
    """bad_value when a value is present (`as_text`, the value read as a string, is not null) but could not
    be read as an object (`is_object` false: its struct read is null)."""
    return F.when(~is_object & as_text.isNotNull(), F.lit(f"bad_value: {label} is present but not an object"))


def natural_key(kind: str, *parts: Column) -> Column:
    return F.concat_ws(_SEP, F.lit(NETWORK), F.lit(kind), *parts)


def interaction(
    actor: Column, target: Column, kind: str, occurred_at: Column, post_id: Column, target_post_id: Column | None, key: Column
) -> Column:
    return F.struct(
        F.lit(NETWORK).alias("network"),
        actor.alias("actor"),
        target.alias("target"),
        F.lit(kind).alias("kind"),
        occurred_at.alias("occurred_at"),
        post_id.alias("post_id"),
        (target_post_id if target_post_id is not None else F.lit(None).cast("string")).alias("target_post_id"),
        F.lit(1.0).alias("weight"),
        key.alias("natural_key"),
    )


def tweet_interactions(
    *,
    author: Column,
    post_id: Column,
    created_at: Column,
    reshare_of: Column,
    reshare_target: Column,
    reply_to_post: Column,
    reply_to_account: Column,
    quote_of: Column,
    quote_target: Column,
    mentions: Column,
) -> Column:
    """The interactions one tweet carries (see the module docstring); `mentions` is an array of account_ids."""
    reshare = interaction(author, reshare_target, "reshare", created_at, post_id, reshare_of, natural_key("reshare", post_id))
    reply = F.when(
        reply_to_post.isNotNull() | reply_to_account.isNotNull(),
        interaction(author, reply_to_account, "reply", created_at, post_id, reply_to_post, natural_key("reply", post_id)),
    )
    quote = F.when(
        quote_of.isNotNull(),
        interaction(author, quote_target, "quote", created_at, post_id, quote_of, natural_key("quote", post_id)),
    )
    mentioned = F.transform(
        F.coalesce(mentions, F.array().cast("array<string>")),
        lambda mentioned_id: interaction(
            author, mentioned_id, "mention", created_at, post_id, None, natural_key("mention", post_id, mentioned_id)
        ),
    )
    others = F.concat(F.filter(F.array(reply, quote), lambda r: r.isNotNull()), mentioned)
    return F.when(reshare_of.isNotNull(), F.array(reshare)).otherwise(others)


def post(
    *,
    post_id: Column,
    author: Column,
    created_at: Column,
    lang: Column,
    text: Column,
    hashtags: Column,
    mentions: Column,
    reply_to_post_id: Column,
    reply_to_account: Column,
    reshare_of_post_id: Column,
    quote_of_post_id: Column,
    like_count: Column,
    reshare_count: Column,
    reply_count: Column,
    quote_count: Column,
    observed_at: Column,
) -> Column:
    return F.struct(
        F.lit(NETWORK).alias("network"),
        post_id.alias("post_id"),
        author.alias("author"),
        created_at.alias("created_at"),
        lang.alias("lang"),
        text.alias("text"),
        hashtags.alias("hashtags"),
        mentions.alias("mentions"),
        reply_to_post_id.alias("reply_to_post_id"),
        reply_to_account.alias("reply_to_account"),
        reshare_of_post_id.alias("reshare_of_post_id"),
        quote_of_post_id.alias("quote_of_post_id"),
        like_count.alias("like_count"),
        reshare_count.alias("reshare_count"),
        reply_count.alias("reply_count"),
        quote_count.alias("quote_count"),
        observed_at.alias("observed_at"),
    )


def account(
    *,
    account_id: Column,
    handle: Column,
    display_name: Column,
    bio: Column,
    lang: Column,
    followers_count: Column,
    observed_at: Column,
) -> Column:
    return F.struct(
        F.lit(NETWORK).alias("network"),
        account_id.alias("account_id"),
        handle.alias("handle"),
        display_name.alias("display_name"),
        bio.alias("bio"),
        lang.alias("lang"),
        followers_count.alias("followers_count"),
        observed_at.alias("observed_at"),
    )


def distinct_non_null(values: Column) -> Column:
    """`values` without nulls or repeats, in order; empty when null."""
    return F.array_distinct(F.filter(F.coalesce(values, F.array().cast("array<string>")), lambda x: x.isNotNull()))
