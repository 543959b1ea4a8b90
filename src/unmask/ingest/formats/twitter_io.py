"""Twitter/X information operations archives (Twitter Transparency, "Elections Integrity").

From 2018 to 2021 Twitter published the tweets and accounts of the state-backed operations it
took down, one release per operation, as ``<release>_tweets_csv_hashed.csv`` (one row per
tweet, with the author's profile repeated on every row) and ``<release>_users_csv_hashed.csv``
(one row per account). Both are read:

* tweets: ``tweetid`` becomes the activity, ``userid`` its account. A retweet
  (``is_retweet`` true) is a *share* of ``retweet_tweetid`` by ``retweet_userid``; a tweet
  with ``in_reply_to_tweetid`` (or only ``in_reply_to_userid``) is a *reply*; one with
  ``quoted_tweet_tweetid`` a *quote*; anything else a *post*. ``hashtags`` and ``urls`` are
  list-like text (``[a, b]`` or ``['a', 'b']``). ``user_mentions`` holds the *user ids* of
  the mentioned accounts, not their handles, so mentions are taken from the text like for
  every other X source (the text is not redacted in the hashed releases). Every row also
  gives an observation of its author's profile as of ``tweet_time``.
* users: one account per row, with no observation time.

In the hashed releases the accounts with fewer than 5,000 followers have ``userid``,
``user_display_name`` and ``user_screen_name`` all replaced by the same hash; such a hash
is kept as the account id and dropped as a handle or display name (it names nobody, and a
random-looking "handle" would mislead the identity signals).

Older releases lack some columns (``poll_choices``, the engagement counts, ...): only
``tweetid``, ``userid``, ``tweet_time``, ``tweet_text`` and ``is_retweet`` are required.
No release says whether a tweet was made in an X Community; a ``community_id`` column, when
a file has one, becomes ``community``.

Reference: Twitter Transparency Center, information operations datasets (hashed release),
https://transparency.twitter.com/en/reports/information-operations.html
"""

from __future__ import annotations

from pathlib import Path

from unmask.ingest.base import Adapter, StageContext, csv_header, require_columns
from unmask.ingest.formats._sqlhelp import bool_error_sql, col
from unmask.ingest.formats._twitter import PLATFORM, errors, language_sql, lit, text_list_sql
from unmask.ingest.registry import read_head
from unmask.ingest.tabular import load_csv

TWEET_COLUMNS = ("tweetid", "userid", "tweet_time", "tweet_text", "is_retweet")
USER_COLUMNS = ("userid", "user_screen_name", "account_creation_date")
ALL_TWEET_COLUMNS = (
    "tweetid",
    "userid",
    "user_display_name",
    "user_screen_name",
    "user_reported_location",
    "user_profile_description",
    "user_profile_url",
    "follower_count",
    "following_count",
    "account_creation_date",
    "account_language",
    "tweet_language",
    "tweet_text",
    "tweet_time",
    "tweet_client_name",
    "in_reply_to_userid",
    "in_reply_to_tweetid",
    "quoted_tweet_tweetid",
    "is_retweet",
    "retweet_userid",
    "retweet_tweetid",
    "latitude",
    "longitude",
    "quote_count",
    "reply_count",
    "like_count",
    "retweet_count",
    "hashtags",
    "urls",
    "user_mentions",
    "poll_choices",
    # The X Community a tweet was made in: no published release (2018-2021) has this
    # column; it is read when a file in this shape does.
    "community_id",
)


class TwitterIOAdapter(Adapter):
    name = "twitter_io"
    description = (
        "Twitter/X information operations archive (Transparency Center hashed release): "
        "the tweets CSV (tweetid, userid, tweet_time, ...) or the users CSV"
    )
    reference = "https://transparency.twitter.com/en/reports/information-operations.html"
    detect_order = 30

    def sniff(self, path: Path, head: str) -> bool:
        cols = set(csv_header(head))
        return set(TWEET_COLUMNS[:4]) <= cols or (
            set(USER_COLUMNS) <= cols and "tweetid" not in cols
        )

    def stage(self, ctx: StageContext) -> None:
        cols = set(csv_header(read_head(ctx.path)))
        # The header decides the shape; the columns the reader found are what SQL names (a
        # header with a control character in a name reads differently in the two).
        if "tweetid" not in cols and set(USER_COLUMNS) <= cols:
            read = set(load_csv(ctx))
            require_columns(
                ctx.path, read, USER_COLUMNS, "a Twitter information operations users CSV"
            )
            self._stage_accounts(ctx, read, observed_at=None)
            return
        require_columns(
            ctx.path, cols, TWEET_COLUMNS, "a Twitter information operations tweets CSV"
        )
        read = set(load_csv(ctx))
        require_columns(
            ctx.path, read, TWEET_COLUMNS, "a Twitter information operations tweets CSV"
        )
        self._stage_tweets(ctx, read)
        self._stage_accounts(ctx, read, observed_at="unmask_time(tweet_time)")

    def _stage_tweets(self, ctx: StageContext, cols: set[str]) -> None:
        c = {name: col(cols, name) for name in ALL_TWEET_COLUMNS}
        is_retweet = (
            f"coalesce(unmask_bool({c['is_retweet']}), "
            f"unmask_str({c['retweet_tweetid']}) IS NOT NULL)"
        )
        replied = (
            f"(unmask_str({c['in_reply_to_tweetid']}) IS NOT NULL "
            f"OR unmask_str({c['in_reply_to_userid']}) IS NOT NULL)"
        )
        quoted = f"unmask_str({c['quoted_tweet_tweetid']}) IS NOT NULL"
        error, field = errors(
            [
                ("tweet_time", "unmask_time_error(tweet_time, 'tweet_time')"),
                ("is_retweet", bool_error_sql(c["is_retweet"], "is_retweet")),
            ]
        )
        ctx.con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT {lit(PLATFORM)} AS platform,
                       unmask_str(tweetid) AS activity_id,
                       unmask_str(userid) AS account_id,
                       unmask_time(tweet_time) AS time,
                       CASE WHEN {is_retweet} THEN 'share' WHEN {replied} THEN 'reply'
                            WHEN {quoted} THEN 'quote' ELSE 'post' END AS kind,
                       tweet_text AS text,
                       {language_sql(c["tweet_language"])} AS language,
                       {text_list_sql(c["urls"])} AS urls,
                       {text_list_sql(c["hashtags"])} AS hashtags,
                       CASE WHEN {is_retweet} THEN unmask_str({c["retweet_tweetid"]})
                            WHEN {replied} THEN unmask_str({c["in_reply_to_tweetid"]})
                            WHEN {quoted} THEN unmask_str({c["quoted_tweet_tweetid"]})
                       END AS parent_activity_id,
                       CASE WHEN {is_retweet} THEN unmask_str({c["retweet_userid"]})
                            WHEN {replied} THEN unmask_str({c["in_reply_to_userid"]})
                       END AS parent_account_id,
                       unmask_str({c["community_id"]}) AS community,
                       _row, {error} AS _error, {field} AS _field
                FROM raw"""
        )

    def _stage_accounts(self, ctx: StageContext, cols: set[str], observed_at: str | None) -> None:
        c = {name: col(cols, name) for name in ALL_TWEET_COLUMNS}

        def named(column: str) -> str:
            # A hashed account's name fields repeat its hashed id: they name nobody.
            return (
                f"CASE WHEN unmask_str({column}) = unmask_str(userid) THEN NULL "
                f"ELSE unmask_str({column}) END"
            )

        error, field = errors(
            [
                ("follower_count", f"unmask_int_error({c['follower_count']}, 'follower_count')"),
                (
                    "following_count",
                    f"unmask_int_error({c['following_count']}, 'following_count')",
                ),
                (
                    "account_creation_date",
                    f"unmask_time_error({c['account_creation_date']}, 'account_creation_date')",
                ),
            ]
        )
        ctx.con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT {lit(PLATFORM)} AS platform,
                       unmask_str(userid) AS account_id,
                       'account' AS kind,
                       {named(c["user_screen_name"])} AS handle,
                       {named(c["user_display_name"])} AS display_name,
                       unmask_time({c["account_creation_date"]}) AS created_at,
                       unmask_int({c["follower_count"]}) AS followers,
                       unmask_int({c["following_count"]}) AS following,
                       unmask_str({c["user_profile_description"]}) AS description,
                       {language_sql(c["account_language"], keep_region=True)} AS language,
                       unmask_str({c["user_reported_location"]}) AS location,
                       {named(c["user_profile_url"])} AS url,
                       {observed_at or "CAST(NULL AS TIMESTAMPTZ)"} AS observed_at,
                       _row, {error} AS _error, {field} AS _field
                FROM raw"""
        )
