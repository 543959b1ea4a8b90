"""CooRTweet-shaped tables (Righetti & Balluff's R package, its bundled data sets).

Two shapes are read:

* the co-share shape of ``russian_coord_tweets``: ``object_id`` (the shared post),
  ``account_id``, ``content_id`` (the share itself), ``timestamp_share`` (unix seconds);
  each record is a share whose parent is ``object_id``; the platform is X unless
  ``--option platform=...`` says otherwise;
* the multi-modal shape of ``german_elections``: ``account_id`` prefixed ``fb_`` or ``tw_``
  (the platform), ``post_id``, and one object per row in ``url_id``, ``hashtag_id``,
  ``domain_id``, ``phash_id``; a post with several objects spans several rows and becomes
  one activity. The anonymised ids are kept as opaque tokens (``coortweet:url:123``) so
  that co-action on them works as on real URLs.

Reference: CooRTweet documentation, ``prep_data`` and the data set help pages
(https://github.com/nicolarighetti/CooRTweet).
"""

from __future__ import annotations

from pathlib import Path

from unmask.engine.sql import literal
from unmask.ingest.base import Adapter, FormatMismatch, StageContext, csv_header
from unmask.ingest.tabular import load_csv

SHARE_COLUMNS = ("object_id", "account_id", "content_id", "timestamp_share")
MULTIMODAL_COLUMNS = (
    "account_id",
    "post_id",
    "url_id",
    "hashtag_id",
    "domain_id",
    "phash_id",
    "timestamp",
)


class CooRTweetAdapter(Adapter):
    name = "coortweet"
    description = "CooRTweet tables: object_id/account_id/content_id/timestamp_share, or the multi-modal german_elections shape"
    reference = "https://github.com/nicolarighetti/CooRTweet"
    detect_order = 20

    def sniff(self, path: Path, head: str) -> bool:
        cols = set(csv_header(head))
        return set(SHARE_COLUMNS) <= cols or set(MULTIMODAL_COLUMNS) <= cols

    def stage(self, ctx: StageContext) -> None:
        cols = load_csv(ctx)
        if set(SHARE_COLUMNS) <= set(cols):
            self._stage_shares(ctx, cols)
        elif set(MULTIMODAL_COLUMNS) <= set(cols):
            self._stage_multimodal(ctx, cols)
        else:
            raise FormatMismatch(
                ctx.path,
                "a CooRTweet table with columns "
                + ", ".join(SHARE_COLUMNS)
                + " or "
                + ", ".join(MULTIMODAL_COLUMNS),
                "columns " + ", ".join(cols),
            )

    def _stage_shares(self, ctx: StageContext, cols: list[str]) -> None:
        platform = literal(ctx.option("platform", "x"))
        error = "unmask_time_error(timestamp_share, 'timestamp_share')"
        ctx.con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT {platform} AS platform, unmask_str(content_id) AS activity_id,
                       unmask_str(account_id) AS account_id, unmask_time(timestamp_share) AS time,
                       'share' AS kind, unmask_str(object_id) AS parent_activity_id,
                       _row, {error} AS _error,
                       CASE WHEN {error} IS NOT NULL THEN 'timestamp_share' END AS _field
                FROM raw"""
        )
        ctx.con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT {platform} AS platform, unmask_str(account_id) AS account_id,
                       'account' AS kind, _row FROM raw"""
        )

    def _stage_multimodal(self, ctx: StageContext, cols: list[str]) -> None:
        platform = (
            "CASE WHEN starts_with(account_id, 'fb_') THEN 'facebook' "
            "WHEN starts_with(account_id, 'tw_') THEN 'x' END"
        )
        error = f"""coalesce(unmask_time_error(timestamp, 'timestamp'),
            CASE WHEN unmask_str(account_id) IS NOT NULL AND {platform} IS NULL
                 THEN 'field ''account_id'': ''' || account_id
                      || ''' has neither the fb_ nor the tw_ prefix that names the platform' END)"""

        def token(col: str, kind: str) -> str:
            return (
                f"CASE WHEN unmask_str({col}) IS NOT NULL "
                f"THEN ['coortweet:{kind}:' || trim({col})] ELSE [] END"
            )

        # A record without post_id still is a post: its id is made from what it holds, so
        # that the same record ingested twice is still the same activity.
        activity_id = (
            "coalesce(unmask_str(post_id), 'row:' || left(md5(concat_ws('|', account_id, "
            "timestamp, url_id, hashtag_id, domain_id, phash_id)), 16))"
        )
        ctx.con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT {platform} AS platform, {activity_id} AS activity_id,
                       unmask_str(account_id) AS account_id, unmask_time(timestamp) AS time,
                       'post' AS kind,
                       {token("url_id", "url")} AS urls,
                       {token("domain_id", "domain")} AS domains,
                       CASE WHEN unmask_str(hashtag_id) IS NOT NULL THEN [trim(hashtag_id)]
                            ELSE [] END AS hashtags,
                       CASE WHEN unmask_str(phash_id) IS NOT NULL THEN [trim(phash_id)]
                            ELSE [] END AS media_hashes,
                       [] AS mentions,
                       _row, {error} AS _error,
                       CASE WHEN {error} IS NOT NULL THEN
                            CASE WHEN unmask_time_error(timestamp, 'timestamp') IS NOT NULL
                                 THEN 'timestamp' ELSE 'account_id' END END AS _field
                FROM raw"""
        )
        ctx.con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT {platform} AS platform, unmask_str(account_id) AS account_id,
                       'account' AS kind, _row FROM raw"""
        )
