"""CrowdTangle exports of Facebook and Instagram posts (CSV), in two shapes.

* **API links/posts flattening** (``ct_shares``), as written by CooRnet and PyCooRnet from
  CrowdTangle's ``/links`` endpoint: one row per (post, expanded link), columns ``id`` (the
  CrowdTangle post id), ``is_orig``, ``expanded``, ``date`` (UTC), ``account.url``,
  ``account.name``, ``account.handle``, ``account.subscriberCount``, ``account.id``,
  ``account.platform``, ``account.platformId``, ``account.verified``. Each row is a post of
  the page, group or profile ``account.*`` that shares the link ``expanded``; a post with
  several links spans several rows and becomes one activity with all its links. Wider
  flattenings that also carry the post's ``platformId``, ``message``, ``account.accountType``,
  ``account.pageDescription``, ``account.pageCreatedDate`` or
  ``account.pageAdminTopCountry`` have those read too.
* **Dashboard "historical data" download**: one row per Facebook post of a page (``Page
  Name``) or group (``Group Name``), with ``Facebook Id``, ``User Name``, ``Post Created``
  (local time with a zone abbreviation, e.g. ``2021-01-06 14:03:12 EST``), ``URL``,
  ``Message``, ``Link``, ``Final Link`` and the page's figures at posting time.

Neither shape says which member of a group wrote a group's post: the group is the post's
account, so ``community`` (where someone posted outside their own space) stays empty.

``docs/formats.md`` (section ``crowdtangle``) lists how every column maps to the schema.

References: CrowdTangle API documentation (https://github.com/CrowdTangle/API/wiki/Post,
``/Links``); CooRnet ``get_ctshares`` and ``get_urls_from_ct_histdata``
(https://github.com/fabiogiglietto/CooRnet); 4CAT's CrowdTangle importer
(https://github.com/digitalmethodsinitiative/4cat, ``datasources/upload/import_formats.py``).
"""

from __future__ import annotations

from pathlib import Path

from unmask.ingest.base import Adapter, FormatMismatch, StageContext, csv_header, require_columns
from unmask.ingest.formats._sqlhelp import (
    bool_error_sql,
    col,
    empty_error,
    first_error,
    ident,
    lit,
    unreadable_error,
)
from unmask.ingest.tabular import load_csv

API_COLUMNS = (
    "id",
    "expanded",
    "date",
    "account.url",
    "account.name",
    "account.handle",
    "account.subscriberCount",
    "account.platform",
    "account.platformId",
)
# Enough to recognise the shape: the full list is checked when staging.
API_SIGNATURE = ("id", "expanded", "date", "account.platformId")

HISTORICAL_COLUMNS = ("Facebook Id", "Post Created", "URL", "Message", "Link")
HISTORICAL_SIGNATURE = ("Facebook Id", "Post Created")

# Time-zone abbreviations that CrowdTangle's dashboard writes after local times, read as the
# fixed offset they name. North American meanings win where an abbreviation is ambiguous
# (CST is US Central, not China); IST (India, Ireland or Israel) is left out on purpose: give
# ``--option timezone=Asia/Kolkata`` (an IANA name) for such exports.
TZ_ABBREVIATIONS = {
    "UTC": "+00:00",
    "GMT": "+00:00",
    "Z": "+00:00",
    "WET": "+00:00",
    "WEST": "+01:00",
    "BST": "+01:00",
    "CET": "+01:00",
    "CEST": "+02:00",
    "EET": "+02:00",
    "EEST": "+03:00",
    "MSK": "+03:00",
    "AST": "-04:00",
    "ADT": "-03:00",
    "NST": "-03:30",
    "NDT": "-02:30",
    "EST": "-05:00",
    "EDT": "-04:00",
    "CST": "-06:00",
    "CDT": "-05:00",
    "MST": "-07:00",
    "MDT": "-06:00",
    "PST": "-08:00",
    "PDT": "-07:00",
    "AKST": "-09:00",
    "AKDT": "-08:00",
    "HST": "-10:00",
    "HDT": "-09:00",
    "SGT": "+08:00",
    "HKT": "+08:00",
    "PHT": "+08:00",
    "AWST": "+08:00",
    "JST": "+09:00",
    "KST": "+09:00",
    "ACST": "+09:30",
    "AEST": "+10:00",
    "AEDT": "+11:00",
    "NZST": "+12:00",
    "NZDT": "+13:00",
}

# The post's own id in a Facebook post URL: /posts/<id>, /permalink/<id>, /videos/<id>,
# /photos/<album>/<id>, /reel/<id>, ?story_fbid=<id>, ?fbid=<id>.
_POST_ID_RE = (
    r"(?:/posts/|/permalink/|/videos/(?:[^/?#]+/)?|/reel/|/photos/(?:[^/?#]+/)?"
    r"|[?&]story_fbid=|[?&]fbid=)([0-9A-Za-z]+)"
)
_RESHARE_TEXT = "This is a re-share of a post"


class CrowdTangleAdapter(Adapter):
    name = "crowdtangle"
    description = (
        "CrowdTangle CSV: the API links/posts flattening of CooRnet (id, expanded, date, "
        "account.*), or the dashboard historical-data download (Page Name, Facebook Id, "
        "Post Created, ...)"
    )
    reference = "https://github.com/CrowdTangle/API/wiki/Post"
    detect_order = 30

    def sniff(self, path: Path, head: str) -> bool:
        cols = set(csv_header(head))
        return set(API_SIGNATURE) <= cols or set(HISTORICAL_SIGNATURE) <= cols

    def stage(self, ctx: StageContext) -> None:
        cols = load_csv(ctx)
        found = set(cols)
        if set(API_SIGNATURE) <= found:
            require_columns(ctx.path, cols, API_COLUMNS, "a CrowdTangle links/posts table")
            self._stage_api(ctx, cols)
        elif set(HISTORICAL_SIGNATURE) <= found:
            require_columns(
                ctx.path, cols, HISTORICAL_COLUMNS, "a CrowdTangle historical-data download"
            )
            if "Page Name" not in found and "Group Name" not in found:
                raise FormatMismatch(
                    ctx.path,
                    "a CrowdTangle historical-data download with a 'Page Name' or 'Group Name' column",
                    "columns " + ", ".join(cols),
                )
            self._stage_historical(ctx, cols)
        else:
            raise FormatMismatch(
                ctx.path,
                "a CrowdTangle table with columns "
                + ", ".join(API_COLUMNS)
                + " (API links/posts), or "
                + ", ".join(HISTORICAL_COLUMNS)
                + " and Page Name or Group Name (historical-data download)",
                "columns " + ", ".join(cols),
            )

    # -- API links/posts flattening --------------------------------------------------------

    def _stage_api(self, ctx: StageContext, cols: list[str]) -> None:
        c = {name: ident(name) for name in cols}
        platform = f"lower(unmask_str({c['account.platform']}))"
        account_type = f"lower(unmask_str({col(cols, 'account.accountType')}))"
        kind = f"""CASE
            WHEN {account_type} LIKE '%group%' THEN 'group'
            WHEN {account_type} LIKE '%page%' THEN 'page'
            WHEN {account_type} IS NOT NULL THEN 'account'
            WHEN {c["account.url"]} LIKE '%/groups/%' THEN 'group'
            WHEN {platform} = 'instagram' THEN 'account'
            ELSE 'page' END"""
        subscribers = c["account.subscriberCount"]
        verified = col(cols, "account.verified")
        created = col(cols, "account.pageCreatedDate")
        checks = [
            ("id", empty_error(c["id"], "id", "every row needs the CrowdTangle post id")),
            (
                "date",
                f"coalesce(unmask_time_error({c['date']}, 'date'), "
                + empty_error(c["date"], "date", "every post needs its time")
                + ")",
            ),
            (
                "account.platformId",
                empty_error(
                    c["account.platformId"],
                    "account.platformId",
                    "every post needs the platform's id of its account",
                ),
            ),
            (
                "account.platform",
                empty_error(
                    c["account.platform"], "account.platform", "every post needs its platform"
                ),
            ),
            (
                "account.subscriberCount",
                f"unmask_int_error({subscribers}, 'account.subscriberCount')",
            ),
            ("account.verified", bool_error_sql(verified, "account.verified")),
            ("account.pageCreatedDate", f"unmask_time_error({created}, 'account.pageCreatedDate')"),
        ]
        error, field = first_error(checks)
        # The post's own platform id when the flattening kept it; else CrowdTangle's id,
        # prefixed so that it can never be mistaken for (or collide with) a platform id.
        activity_id = (
            f"coalesce(unmask_str({col(cols, 'platformId')}), "
            f"'crowdtangle:' || unmask_str({c['id']}))"
        )
        message = col(cols, "message")
        ctx.con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT {platform} AS platform, {activity_id} AS activity_id,
                       unmask_str({c["account.platformId"]}) AS account_id,
                       unmask_time({c["date"]}) AS time, 'post' AS kind,
                       unmask_str({message}) AS text,
                       CASE WHEN unmask_str({message}) IS NULL
                                 AND unmask_str({c["expanded"]}) IS NOT NULL
                            THEN [trim({c["expanded"]})]
                            WHEN unmask_str({message}) IS NOT NULL
                            THEN list_distinct(list_concat(
                                     list_filter([unmask_str({c["expanded"]})], lambda x: x IS NOT NULL),
                                     unmask_text_urls({message})))
                       END AS urls,
                       _row, {error} AS _error, {field} AS _field
                FROM raw"""
        )
        ctx.con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT {platform} AS platform,
                       unmask_str({c["account.platformId"]}) AS account_id,
                       {kind} AS kind,
                       unmask_str({c["account.handle"]}) AS handle,
                       unmask_str({c["account.name"]}) AS display_name,
                       unmask_int({subscribers}) AS followers,
                       unmask_bool({verified}) AS verified,
                       unmask_str({c["account.url"]}) AS url,
                       unmask_str({col(cols, "account.pageDescription")}) AS description,
                       unmask_str({col(cols, "account.pageAdminTopCountry")}) AS location,
                       unmask_time({created}) AS created_at,
                       _row, {error} AS _error, {field} AS _field
                FROM raw"""
        )

    # -- dashboard historical-data download ------------------------------------------------

    def _stage_historical(self, ctx: StageContext, cols: list[str]) -> None:
        con = ctx.con
        _install_time_macro(con, ctx.option("timezone"))
        c = {name: ident(name) for name in cols}
        is_group = "Group Name" in cols
        name_col = c["Group Name"] if is_group else c["Page Name"]
        account_id = f"unmask_str({c['Facebook Id']})"
        created_col = c["Post Created"]
        post_time = f"unmask_ct_time({created_col})"
        link = f"coalesce(unmask_str({col(cols, 'Final Link')}), unmask_str({c['Link']}))"
        url = f"unmask_str({c['URL']})"
        post_key = f"nullif(regexp_extract({url}, '{_POST_ID_RE}', 1), '')"
        activity_id = f"""CASE
            WHEN {post_key} IS NOT NULL THEN {account_id} || '_' || {post_key}
            ELSE 'hash:' || left(md5(concat_ws('|', {account_id}, trim({created_col}), {link},
                                                unmask_str({c["Message"]}))), 16) END"""
        link_text = col(cols, "Link Text")
        is_reshare = f"coalesce(trim({link_text}) = {lit(_RESHARE_TEXT)}, false)"
        parent = (
            f"nullif(regexp_replace(regexp_extract(unmask_str({c['Link']}), "
            f"'facebook\\.com/([0-9]+)/posts/([0-9A-Za-z]+)', 0), "
            f"'.*facebook\\.com/([0-9]+)/posts/([0-9A-Za-z]+)', '\\1_\\2'), '')"
        )
        likes = col(cols, "Likes at Posting")
        followers = col(cols, "Followers at Posting")
        page_created = col(cols, "Page Created")
        group_url = "'https://www.facebook.com/groups/'"
        page_url = "'https://www.facebook.com/'"
        kind = (
            "'group'"
            if is_group
            else f"CASE WHEN {url} LIKE '%facebook.com/groups/%' THEN 'group' ELSE 'page' END"
        )
        checks = [
            (
                "Facebook Id",
                empty_error(
                    c["Facebook Id"], "Facebook Id", "every post needs the id of its page or group"
                ),
            ),
            (
                "Post Created",
                f"coalesce({_ct_time_error(created_col, 'Post Created')}, "
                + empty_error(created_col, "Post Created", "every post needs its time")
                + ")",
            ),
            ("Likes at Posting", f"unmask_int_error({_count(likes)}, 'Likes at Posting')"),
            (
                "Followers at Posting",
                f"unmask_int_error({_count(followers)}, 'Followers at Posting')",
            ),
            ("Page Created", _ct_time_error(page_created, "Page Created")),
        ]
        error, field = first_error(checks)
        message = f"unmask_str({c['Message']})"
        con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT 'facebook' AS platform, {activity_id} AS activity_id,
                       {account_id} AS account_id, {post_time} AS time,
                       CASE WHEN {is_reshare} THEN 'share' ELSE 'post' END AS kind,
                       {message} AS text,
                       list_distinct(list_concat(
                           list_filter([{link}], lambda x: x IS NOT NULL),
                           coalesce(unmask_text_urls({message}), []))) AS urls,
                       CASE WHEN {is_reshare} THEN {parent} END AS parent_activity_id,
                       _row, {error} AS _error, {field} AS _field
                FROM raw"""
        )
        con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT 'facebook' AS platform, {account_id} AS account_id, {kind} AS kind,
                       unmask_str({col(cols, "User Name")}) AS handle,
                       unmask_str({name_col}) AS display_name,
                       coalesce(unmask_int({_count(followers)}), unmask_int({_count(likes)}))
                           AS followers,
                       unmask_str({col(cols, "Page Description")}) AS description,
                       unmask_str({col(cols, "Page Admin Top Country")}) AS location,
                       unmask_ct_time({page_created}) AS created_at,
                       CASE WHEN {kind} = 'group' THEN {group_url} || {account_id}
                            ELSE {page_url} || coalesce(unmask_str({col(cols, "User Name")}),
                                                        {account_id}) END AS url,
                       {post_time} AS observed_at,
                       _row, {error} AS _error, {field} AS _field
                FROM raw"""
        )


def _count(expr: str) -> str:
    """A count as the dashboard writes it (``12,345``) made readable by ``unmask_int``."""
    return f"replace(replace(CAST({expr} AS VARCHAR), ',', ''), ' ', '')"


def _ct_time_error(expr: str, field: str) -> str:
    return unreadable_error(
        expr,
        field,
        f"unmask_ct_time({expr})",
        "a time (expected YYYY-MM-DD HH:MM:SS followed by a known time-zone abbreviation "
        "such as EST, a UTC offset such as -0500, or a zone name; give "
        "--option timezone=<IANA name> for other abbreviations)",
    )


def _install_time_macro(con, timezone: str | None) -> None:
    """``unmask_ct_time(s)``: a CrowdTangle dashboard time, with its zone, as TIMESTAMPTZ.

    A known abbreviation after the time is read as its fixed offset; a UTC offset or an IANA
    zone name as written; a time without a zone, or with an abbreviation not in
    ``TZ_ABBREVIATIONS``, in ``timezone`` (an IANA name, from ``--option timezone=...``).
    Without that option a time without a zone is UTC and an unknown abbreviation is an error.
    """
    abbreviations = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in TZ_ABBREVIATIONS.items())
    if timezone:
        con.execute("SELECT timezone(?, TIMESTAMP '2000-01-01')", [timezone])  # checks the name
        in_zone = f"timezone({lit(timezone)}, TRY_CAST(b AS TIMESTAMP))"
        unknown = in_zone
    else:
        in_zone = "TRY_CAST(b AS TIMESTAMPTZ)"
        unknown = "CAST(NULL AS TIMESTAMPTZ)"
    con.execute(
        f"""CREATE OR REPLACE MACRO unmask_ct__abbr(a) AS (CASE upper(a) {abbreviations} END);
        CREATE OR REPLACE MACRO unmask_ct__zoned(b, a) AS (
            CASE WHEN unmask_ct__abbr(a) IS NOT NULL
                 THEN TRY_CAST(b || unmask_ct__abbr(a) AS TIMESTAMPTZ)
                 ELSE {unknown} END);
        CREATE OR REPLACE MACRO unmask_ct__naive(b) AS (
            CASE WHEN b IS NOT NULL THEN {in_zone} END);
        CREATE OR REPLACE MACRO unmask_ct__parse(s) AS (
            CASE
                WHEN s IS NULL THEN NULL
                -- a time-zone abbreviation after the time
                WHEN regexp_full_match(s, '.*[0-9]\\s+[A-Za-z]{{1,5}}')
                    THEN unmask_ct__zoned(regexp_extract(s, '^(.*[0-9])\\s+([A-Za-z]{{1,5}})$', 1),
                                          regexp_extract(s, '^(.*[0-9])\\s+([A-Za-z]{{1,5}})$', 2))
                -- a UTC offset after the time, with or without a space
                WHEN regexp_full_match(s, '.*[0-9]:[0-9]{{2}}(:[0-9]{{2}}(\\.[0-9]+)?)?\\s*[+-][0-9]{{2}}(:?[0-9]{{2}})?')
                    THEN CASE WHEN NOT unmask__bad_offset(s) THEN
                        TRY_CAST(regexp_replace(s, '\\s+([+-][0-9]{{2}}(:?[0-9]{{2}})?)$', '\\1')
                                 AS TIMESTAMPTZ) END
                -- no zone
                WHEN regexp_full_match(s, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}([ T][0-9:.]+)?')
                    THEN unmask_ct__naive(s)
                -- an IANA zone name after the time, or another way of writing a time
                ELSE coalesce(TRY_CAST(s AS TIMESTAMPTZ), unmask_time(s))
            END);
        CREATE OR REPLACE MACRO unmask_ct_time(x) AS unmask_ct__parse(unmask_str(x));
        """
    )
