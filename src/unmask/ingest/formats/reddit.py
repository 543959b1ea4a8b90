"""Reddit comments and submissions in Pushshift's newline-delimited JSON (one object a line).

The monthly Pushshift dumps (``RC_YYYY-MM`` comments, ``RS_YYYY-MM`` submissions,
decompressed from ``.zst``; a gzipped file is read as it is) and the many per-subreddit
extracts made from them share this shape; a file may mix both kinds. A record with ``body`` is a comment, one with ``title`` a submission.

* submissions are ``post`` activities (``share`` when they are crossposts, with the
  crossposted submission as parent); text = ``title`` + blank line + ``selftext``; ``urls``
  = ``[url]`` for link posts (plus links in the text);
* comments are ``comment`` activities whose parent is ``parent_id`` (``t1_`` a comment,
  ``t3_`` the submission);
* ids are Reddit's *fullnames* (``t3_<id>`` for submissions, ``t1_<id>`` for comments), the
  form ``parent_id`` and ``link_id`` use, so that a comment and a submission that happen to
  share a base-36 id never merge;
* the account is the ``author`` (Reddit usernames are unique and never change); authors
  ``[deleted]`` keep their activities, each under its own placeholder account
  ``[deleted]:<fullname>`` and without an account record: one shared ``[deleted]`` id would
  make every deleted author look like one hyperactive, perfectly coordinated account;
* bodies ``[deleted]`` / ``[removed]`` are not text (thousands of them would otherwise be
  "identical content").
* ``community`` is the ``subreddit``, lower-cased and without ``r/`` (Reddit treats
  names case-insensitively), except for a post on the author's own profile
  (``u_<author>``): that is the author's own space.

``docs/formats.md`` (section ``reddit``) lists every field. Reference: Baumgartner,
Zannettou, Keegan, Squire & Blackburn (2020), "The Pushshift Reddit Dataset", ICWSM 14,
https://arxiv.org/abs/2001.08435 (tables of submission and comment fields).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from unmask.ingest.base import Adapter, FormatMismatch, StageContext
from unmask.ingest.formats._sqlhelp import first_error
from unmask.ingest.registry import read_head
from unmask.ingest.tabular import lines_by_number, load_json_lines

COMMENT_KEYS = ("body", "parent_id")
SUBMISSION_KEYS = ("title",)
COMMON_KEYS = ("id", "subreddit", "created_utc")
# The fields that hold one value (an id, a name, a time): read as text, a JSON object or
# array there would be stored as its JSON.
VALUE_KEYS = (
    "id",
    "author",
    "subreddit",
    "created_utc",
    "author_created_utc",
    "parent_id",
    "link_id",
    "crosspost_parent",
)
_LOOSE = re.compile(r'"subreddit"\s*:.*"created_utc"\s*:|"created_utc"\s*:.*"subreddit"\s*:')


def _is_reddit(obj: object) -> bool:
    if not isinstance(obj, dict):
        return False
    keys = set(obj)
    return set(COMMON_KEYS) <= keys and ("body" in keys or "title" in keys)


def _first_objects(head: str, limit: int = 20) -> list[object]:
    """The JSON values on the first complete lines of ``head`` (unparseable lines skipped)."""
    out: list[object] = []
    lines = head.splitlines()
    if head and not head.endswith("\n") and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut by the head's size
    for line in lines:
        if not line.strip():
            continue
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
        if len(out) >= limit:
            break
    return out


class RedditAdapter(Adapter):
    name = "reddit"
    description = "Reddit comments and submissions as Pushshift newline-delimited JSON"
    reference = "https://arxiv.org/abs/2001.08435"
    detect_order = 40

    def sniff(self, path: Path, head: str) -> bool:
        if not head.lstrip().startswith("{"):
            return False
        objects = _first_objects(head)
        if objects:
            return any(_is_reddit(o) for o in objects)
        # A first line longer than the head: look for the keys themselves.
        return bool(_LOOSE.search(head)) and ('"body"' in head or '"title"' in head)

    def stage(self, ctx: StageContext) -> None:
        self._check(ctx.path)
        load_json_lines(ctx)
        # A record's number is its line (the JSON of records without an error is let go).
        ctx.raw_records = lambda rows: lines_by_number(ctx.path, rows)
        con = ctx.con
        con.execute(_MACROS)
        checks = [
            (None, "CASE WHEN NOT is_object THEN 'this line is JSON but not an object' END"),
            *(
                (
                    key,
                    f"CASE WHEN shapes[{i}] IN ('OBJECT', 'ARRAY') THEN 'field ''{key}'' is a "
                    f"JSON ' || lower(shapes[{i}]) || ', not a value' END",
                )
                for i, key in enumerate(VALUE_KEYS, 1)
            ),
            (
                "body",
                "CASE WHEN prefix IS NULL THEN 'neither a comment (no field ''body'') nor a "
                "submission (no field ''title'')' END",
            ),
            ("id", "CASE WHEN base_id IS NULL THEN 'field ''id'' is empty' END"),
            (
                "author",
                "CASE WHEN author IS NULL THEN 'field ''author'' is missing; every record needs "
                "its author (deleted authors are written [deleted] and are kept)' END",
            ),
            (
                "created_utc",
                "coalesce(unmask_time_error(created_utc, 'created_utc'), CASE WHEN created_utc "
                "IS NULL THEN 'field ''created_utc'' is empty; every record needs its time' END)",
            ),
            ("author_created_utc", "unmask_time_error(author_created_utc, 'author_created_utc')"),
        ]
        error, field = first_error(checks)
        # One pass over the records; the JSON itself is kept only for those with an error.
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE reddit AS
                SELECT * EXCLUDE (_json, keys, is_object, shapes),
                       prefix || '_' || base_id AS activity_id,
                       author IN ('[deleted]', '[removed]') AS deleted,
                       {error} AS _error, {field} AS _field,
                       CASE WHEN {error} IS NOT NULL THEN CAST(_json AS VARCHAR) END AS _raw
                FROM ({_FIELDS})"""
        )
        # Every record with an error carries its line in _raw: the copy the pipeline would
        # take it from is not needed any more (it is as large as the file).
        con.execute("DROP TABLE raw")
        text = """CASE WHEN prefix = 't1' THEN reddit_text(body)
                       ELSE nullif(concat_ws(chr(10) || chr(10), reddit_text(title),
                                             reddit_text(selftext)), '') END"""
        con.execute(
            f"""INSERT INTO stage_activities BY NAME
                WITH r AS (SELECT *, {text} AS text FROM reddit),
                     authors AS (SELECT activity_id, any_value(author) AS author FROM reddit
                                 WHERE _error IS NULL AND NOT deleted GROUP BY activity_id)
                SELECT 'reddit' AS platform, r.activity_id,
                       CASE WHEN r.deleted THEN '[deleted]:' || r.activity_id
                            ELSE r.author END AS account_id,
                       unmask_time(r.created_utc) AS time,
                       CASE WHEN r.prefix = 't1' THEN 'comment'
                            WHEN r.crosspost_parent IS NOT NULL THEN 'share'
                            ELSE 'post' END AS kind,
                       r.text,
                       CASE WHEN r.prefix = 't3' AND NOT coalesce(r.is_self, false)
                                 AND r.url IS NOT NULL
                            THEN list_distinct(list_concat([r.url],
                                                           coalesce(unmask_text_urls(r.text), [])))
                       END AS urls,
                       CASE WHEN r.text IS NOT NULL THEN reddit_mentions(r.text) END AS mentions,
                       CASE WHEN r.prefix = 't1' THEN r.parent_id
                            ELSE r.crosspost_parent END AS parent_activity_id,
                       coalesce(p.author, CASE WHEN r.prefix = 't3'
                                                    AND r.crosspost_author NOT IN ('[deleted]', '[removed]')
                                               THEN r.crosspost_author END) AS parent_account_id,
                       -- a post on the author's own profile (u_<name>) is in their own space
                       CASE WHEN r.subreddit <> ('u_' || lower(coalesce(r.author, '')))
                            THEN r.subreddit END AS community,
                       r._row, r._error, r._field, r._raw
                FROM r LEFT JOIN authors p
                  ON p.activity_id = CASE WHEN r.prefix = 't1' THEN r.parent_id
                                          ELSE r.crosspost_parent END
                ORDER BY r._row"""
        )
        con.execute(
            """INSERT INTO stage_accounts BY NAME
               SELECT 'reddit' AS platform, author AS account_id, 'account' AS kind,
                      author AS handle, 'https://www.reddit.com/user/' || author AS url,
                      unmask_time(author_created_utc) AS created_at,
                      _row, _error, _field, _raw
               FROM reddit WHERE author IS NOT NULL AND NOT deleted"""
        )

    def _check(self, path: Path) -> None:
        head = read_head(path)
        objects = _first_objects(head)
        if any(_is_reddit(o) for o in objects):
            return
        if not objects and self.sniff(path, head):
            return
        expected = (
            "Pushshift Reddit NDJSON: one JSON object a line with "
            + ", ".join(COMMON_KEYS)
            + " and body (comments) or title (submissions)"
        )
        first = next((o for o in objects if isinstance(o, dict)), None)
        if first is not None:
            found = "objects with keys " + ", ".join(sorted(first)[:30])
        elif objects:
            found = f"JSON {type(objects[0]).__name__} values, not objects"
        else:
            start = head.lstrip()[:80].replace("\n", " ")
            found = f"no JSON object on its first lines (it starts {start!r})"
        raise FormatMismatch(path, expected, found)


_MACROS = r"""
CREATE OR REPLACE MACRO reddit_text(s) AS (
    CASE WHEN s IS NULL OR trim(s) IN ('', '[deleted]', '[removed]') THEN NULL
         ELSE replace(replace(replace(s, '&lt;', '<'), '&gt;', '>'), '&amp;', '&') END);
CREATE OR REPLACE MACRO reddit_mentions(t) AS
    list_sort(list_distinct(list_transform(
        regexp_extract_all(t, '(?:^|[^A-Za-z0-9_/])/?u/([A-Za-z0-9_-]{3,20})', 1),
        lambda x: lower(x))));
"""

# One row per record with the fields the mapping uses (all text; NULL when absent).
_FIELDS = (
    r"""
    SELECT *,
        CASE WHEN list_contains(keys, 'body') THEN 't1'
             WHEN list_contains(keys, 'title') THEN 't3' END AS prefix,
        regexp_replace(unmask_str(_json->>'id'), '^t[13]_', '') AS base_id,
        unmask_str(_json->>'author') AS author,
        -- Reddit treats subreddit names case-insensitively: r/WorldNews is r/worldnews
        lower(regexp_replace(unmask_str(_json->>'subreddit'), '^/?r/', '', 'i')) AS subreddit,
        unmask_str(_json->>'created_utc') AS created_utc,
        unmask_str(_json->>'author_created_utc') AS author_created_utc,
        _json->>'body' AS body,
        _json->>'title' AS title,
        _json->>'selftext' AS selftext,
        -- crossposts and self posts link to reddit with a relative URL
        regexp_replace(replace(unmask_str(_json->>'url'), '&amp;', '&'),
                       '^/', 'https://www.reddit.com/') AS url,
        coalesce(unmask_bool(_json->>'is_self'),
                 starts_with(lower(_json->>'domain'), 'self.')) AS is_self,
        unmask_str(coalesce(_json->>'parent_id', _json->>'link_id')) AS parent_id,
        unmask_str(_json->>'crosspost_parent') AS crosspost_parent,
        unmask_str(_json->'crosspost_parent_list'->0->>'author') AS crosspost_author
    FROM (SELECT _row, _json,
                 json_type(_json) = 'OBJECT' AS is_object,
                 -- the JSON types of VALUE_KEYS, from one parse of the record
                 list_transform(json_extract(_json, {paths}), lambda v: json_type(v)) AS shapes,
                 CASE WHEN json_type(_json) = 'OBJECT' THEN json_keys(_json) ELSE [] END AS keys
          FROM raw)"""
).replace("{paths}", "[" + ", ".join(f"'$.{k}'" for k in VALUE_KEYS) + "]")
