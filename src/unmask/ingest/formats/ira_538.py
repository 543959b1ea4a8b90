"""FiveThirtyEight's Internet Research Agency tweets (Linvill & Warren, Clemson University).

Three shapes are read:

* the original ``IRAhandle_tweets_N.csv`` of github.com/fivethirtyeight/russian-troll-tweets:
  one row per tweet with ``external_author_id``, ``author``, ``content``, ``region``,
  ``language``, ``publish_date`` (``10/1/2017 19:58``), ``harvested_date``, ``following``,
  ``followers``, ``updates``, ``post_type`` (blank, ``RETWEET``, ``QUOTE_TWEET``),
  ``account_type``, ``retweet``, ``account_category``, ``new_june_2018`` and, in the later
  files, ``alt_external_id``, ``tweet_id``, ``article_url``, ``tco1_step1`` ...
  ``tco3_step1`` (the targets of the tweet's t.co links);
* the by-author reshaping (github.com/bet4a/russian-troll-tweets-by-author): one file of
  tweets per author (``author_id``, ``content``, ``region``, ``language``,
  ``publish_date`` as ``2015-05-13 00:51:00``, ``harvested_date``, ``following``,
  ``followers``, ``updates``, ``post_type`` blank/``R``/``Q``, ``retweet``);
* its ``authors.csv`` (``author_id``, ``author``, ``external_author_id``, ``account_type``,
  ``account_category``, ...): account records only.

Accounts are keyed by the lower-cased handle (``author``, or ``author_id`` in the by-author
files, which equals the handle except for a handful of authors whose handle was seen with
two user ids; there it is the handle followed by the id). The numeric
``external_author_id`` is not the key: in the original files it is often rounded by a
spreadsheet (``906000000000000000``), so two accounts could share it.

Activities are keyed by ``tweet_id`` where the file has it. The by-author files (and
original rows without ``tweet_id``) have no tweet id: the id is then made from what the
record holds, ``ira538:`` followed by the first 24 hex digits of the SHA-256 of
``account id|publish time (YYYY-MM-DD HH:MM, UTC)|content``, so the same tweet ingested
twice is the same activity. Rows that repeat a tweet (same author, minute and text) are one
activity; the data set has such repeats.

``post_type`` RETWEET/R is a share, QUOTE_TWEET/Q a quote, a blank one with ``retweet`` 1
a share, anything else a post; the data set does not say which tweet was shared. Languages
are English names (``Russian``, ``Farsi (Persian)``) and become ISO 639-1 codes; ``LANGUAGE
UNDEFINED`` and names not in the table are left empty (the pipeline then detects the
language). ``region`` is taken as the account's location (``Unknown`` is none); times are
taken as UTC.

Reference: https://github.com/fivethirtyeight/russian-troll-tweets (README: column
definitions); Linvill & Warren, "Troll Factories" (2020).
"""

from __future__ import annotations

from pathlib import Path

from unmask.ingest.base import Adapter, FormatMismatch, StageContext, csv_header, require_columns
from unmask.ingest.formats._sqlhelp import bool_error_sql, col
from unmask.ingest.formats._twitter import PLATFORM, errors, lit
from unmask.ingest.registry import read_head
from unmask.ingest.tabular import load_csv

ORIGINAL_COLUMNS = ("external_author_id", "author", "content", "publish_date")
BY_AUTHOR_COLUMNS = ("author_id", "content", "publish_date", "harvested_date")
AUTHORS_COLUMNS = ("author_id", "author", "external_author_id", "account_category")
OPTIONAL_COLUMNS = (
    "region",
    "language",
    "harvested_date",
    "following",
    "followers",
    "post_type",
    "retweet",
    "tweet_id",
    "tco1_step1",
    "tco2_step1",
    "tco3_step1",
)

# The language names of the data set (Twitter's guesses, spelled out) and ISO 639-1 codes.
LANGUAGES = {
    "albanian": "sq",
    "amharic": "am",
    "arabic": "ar",
    "armenian": "hy",
    "azerbaijani": "az",
    "basque": "eu",
    "belarusian": "be",
    "bengali": "bn",
    "bosnian": "bs",
    "bulgarian": "bg",
    "burmese": "my",
    "catalan": "ca",
    "chinese": "zh",
    "simplified chinese": "zh",
    "traditional chinese": "zh",
    "croatian": "hr",
    "czech": "cs",
    "danish": "da",
    "dutch": "nl",
    "english": "en",
    "estonian": "et",
    "farsi": "fa",
    "farsi (persian)": "fa",
    "persian": "fa",
    "finnish": "fi",
    "french": "fr",
    "georgian": "ka",
    "german": "de",
    "greek": "el",
    "gujarati": "gu",
    "haitian": "ht",
    "haitian creole": "ht",
    "hebrew": "he",
    "hindi": "hi",
    "hungarian": "hu",
    "icelandic": "is",
    "indonesian": "id",
    "irish": "ga",
    "italian": "it",
    "japanese": "ja",
    "kannada": "kn",
    "kazakh": "kk",
    "khmer": "km",
    "korean": "ko",
    "kurdish": "ku",
    "lao": "lo",
    "latin": "la",
    "latvian": "lv",
    "lithuanian": "lt",
    "macedonian": "mk",
    "malay": "ms",
    "malayalam": "ml",
    "marathi": "mr",
    "mongolian": "mn",
    "nepali": "ne",
    "norwegian": "no",
    "pashto": "ps",
    "pushto": "ps",
    "polish": "pl",
    "portuguese": "pt",
    "punjabi": "pa",
    "romanian": "ro",
    "russian": "ru",
    "serbian": "sr",
    "sindhi": "sd",
    "sinhala": "si",
    "slovak": "sk",
    "slovenian": "sl",
    "somali": "so",
    "spanish": "es",
    "swahili": "sw",
    "swedish": "sv",
    "tagalog": "tl",
    "tamil": "ta",
    "telugu": "te",
    "thai": "th",
    "tibetan": "bo",
    "turkish": "tr",
    "ukrainian": "uk",
    "urdu": "ur",
    "uyghur": "ug",
    "uzbek": "uz",
    "vietnamese": "vi",
    "welsh": "cy",
}

POST_TYPES = {"": None, "RETWEET": "share", "R": "share", "QUOTE_TWEET": "quote", "Q": "quote"}


def language_sql(expr: str) -> str:
    """A language name of the data set as an ISO 639-1 code (NULL when unknown)."""
    key = f"lower(trim({expr}))"
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in LANGUAGES.items())
    # A value that already is a two-letter code is kept.
    return (
        f"CASE {key} {whens} "
        f"ELSE CASE WHEN regexp_full_match({key}, '[a-z]{{2}}') THEN {key} END END"
    )


class IRA538Adapter(Adapter):
    name = "ira_538"
    description = (
        "FiveThirtyEight's IRA tweets CSV (external_author_id, author, content, publish_date, "
        "...), its by-author tweet files (author_id, content, ...) and authors.csv"
    )
    reference = "https://github.com/fivethirtyeight/russian-troll-tweets"
    detect_order = 30

    def sniff(self, path: Path, head: str) -> bool:
        cols = set(csv_header(head))
        return any(
            set(shape) <= cols for shape in (ORIGINAL_COLUMNS, BY_AUTHOR_COLUMNS, AUTHORS_COLUMNS)
        )

    def stage(self, ctx: StageContext) -> None:
        cols = set(csv_header(read_head(ctx.path)))
        # The header decides the shape; the columns the reader found are what SQL names (a
        # header with a control character in a name reads differently in the two).
        if set(ORIGINAL_COLUMNS) <= cols:
            read = set(load_csv(ctx))
            require_columns(ctx.path, read, ORIGINAL_COLUMNS, "FiveThirtyEight's IRA tweets")
            self._stage_tweets(ctx, read, author="author", handle="unmask_str(author)")
        elif set(BY_AUTHOR_COLUMNS) <= cols:
            read = set(load_csv(ctx))
            require_columns(ctx.path, read, BY_AUTHOR_COLUMNS, "by-author IRA tweets")
            # author_id is the handle, or the handle and a user id run together.
            handle = (
                "CASE WHEN regexp_full_match(trim(author_id), '[A-Za-z0-9_]{1,15}') "
                "THEN trim(author_id) END"
            )
            self._stage_tweets(ctx, read, author="author_id", handle=handle)
        elif set(AUTHORS_COLUMNS) <= cols and "content" not in cols:
            load_csv(ctx)
            ctx.con.execute(
                f"""INSERT INTO stage_accounts BY NAME
                    SELECT {lit(PLATFORM)} AS platform, lower(unmask_str(author_id)) AS account_id,
                           'account' AS kind, unmask_str(author) AS handle, _row
                    FROM raw"""
            )
        else:
            shapes = " or ".join(
                "(" + ", ".join(s) + ")"
                for s in (ORIGINAL_COLUMNS, BY_AUTHOR_COLUMNS, AUTHORS_COLUMNS)
            )
            raise FormatMismatch(
                ctx.path,
                f"FiveThirtyEight's IRA tweets, by-author tweets or authors CSV with columns {shapes}",
                "columns " + (", ".join(sorted(cols)) or "(none)"),
            )

    def _stage_tweets(self, ctx: StageContext, cols: set[str], *, author: str, handle: str) -> None:
        c = {name: col(cols, name) for name in OPTIONAL_COLUMNS}
        account_id = f"lower(unmask_str({author}))"
        time = "unmask_time(publish_date)"
        post_type = f"upper(coalesce(trim({c['post_type']}), ''))"
        kind = (
            f"CASE WHEN {post_type} IN ('RETWEET', 'R') THEN 'share' "
            f"WHEN {post_type} IN ('QUOTE_TWEET', 'Q') THEN 'quote' "
            f"WHEN unmask_bool({c['retweet']}) THEN 'share' ELSE 'post' END"
        )
        made_id = (
            "'ira538:' || left(sha256(concat_ws('|', "
            f"{account_id}, strftime({time}, '%Y-%m-%d %H:%M'), coalesce(content, ''))), 24)"
        )
        tco = [c[f"tco{i}_step1"] for i in (1, 2, 3)]
        urls = (
            "nullif(list_filter([" + ", ".join(f"unmask_str({t})" for t in tco) + "], "
            "lambda u: u IS NOT NULL), [])"
            if "tco1_step1" in cols
            else "CAST(NULL AS VARCHAR[])"
        )
        known = ", ".join(lit(k) for k in POST_TYPES)
        activity_error, activity_field = errors(
            [
                ("publish_date", "unmask_time_error(publish_date, 'publish_date')"),
                (
                    "post_type",
                    f"CASE WHEN {post_type} NOT IN ({known}) THEN 'field ''post_type'': '''"
                    f" || trim({c['post_type']}) || ''' is none of RETWEET, QUOTE_TWEET, R, Q "
                    "or blank' END",
                ),
                ("retweet", bool_error_sql(c["retweet"], "retweet")),
            ]
        )
        ctx.con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT {lit(PLATFORM)} AS platform,
                       coalesce(unmask_str({c["tweet_id"]}),
                                CASE WHEN {time} IS NOT NULL AND {account_id} IS NOT NULL
                                     THEN {made_id} END) AS activity_id,
                       {account_id} AS account_id,
                       {time} AS time,
                       {kind} AS kind,
                       content AS text,
                       {language_sql(c["language"])} AS language,
                       {urls} AS urls,
                       _row, {activity_error} AS _error, {activity_field} AS _field
                FROM raw"""
        )
        account_error, account_field = errors(
            [
                ("followers", f"unmask_int_error({c['followers']}, 'followers')"),
                ("following", f"unmask_int_error({c['following']}, 'following')"),
                (
                    "harvested_date",
                    f"unmask_time_error({c['harvested_date']}, 'harvested_date')",
                ),
            ]
        )
        ctx.con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT {lit(PLATFORM)} AS platform,
                       {account_id} AS account_id,
                       'account' AS kind,
                       {handle} AS handle,
                       unmask_int({c["followers"]}) AS followers,
                       unmask_int({c["following"]}) AS following,
                       CASE WHEN lower(unmask_str({c["region"]})) <> 'unknown'
                            THEN unmask_str({c["region"]}) END AS location,
                       coalesce(unmask_time({c["harvested_date"]}), {time}) AS observed_at,
                       _row, {account_error} AS _error, {account_field} AS _field
                FROM raw"""
        )
