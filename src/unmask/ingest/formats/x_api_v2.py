"""X (Twitter) API v2 JSON, as collectors such as twarc2 write it.

Read:

* JSON lines where each line is one API response page, ``{"data": [post, ...],
  "includes": {"users": [...], "tweets": [...]}, "meta": {...}}`` (``twarc2 search``,
  ``timeline``, ``tweets`` ...; ``data`` may also be one object, or users for the user
  endpoints);
* JSON lines where each line is one post with its expansions inlined (``twarc2 flatten``:
  the post has an ``author`` object, its ``referenced_tweets`` carry the referenced posts);
* one JSON document of either shape (or a JSON array of them).

Every post, in ``data`` and in ``includes.tweets`` (the posts it retweets, quotes or answers
are real posts by others), becomes an activity; every user object an account observation,
as of ``__twarc.retrieved_at`` when twarc recorded it. A post that ``retweeted`` another is
a share of it, one ``replied_to`` a reply (the answered account from
``in_reply_to_user_id``), one ``quoted`` a quote; the parent's author comes from the
referenced post when the page includes it. ``entities`` give the hashtags, the mentioned
usernames and the links (``unwound_url``, else ``expanded_url``; the links to the post's
own media are left out); a post without ``entities`` gets them from its text. A long post's
full text is in ``note_tweet``. A post made in an X Community has its ``community_id`` as
``community``.

A record is one line (its ``_row`` and ``line`` are the line number), or one document.
A line that is not JSON is rejected with its line. A value that cannot be read (a bad
``created_at``, a post without ``id``) makes its whole line a quarantined record, kept
as it was: lines are the unit the counts reconcile on. Pages that hold nothing (``meta``
only, as a search with no results writes, or only ``errors``) are no records and are not
counted. Not read: media, polls, places, ``context_annotations``, ``public_metrics`` of
posts, ``edit_history_tweet_ids``, the API's ``errors``.

Reference: https://docs.x.com/x-api/fundamentals/data-dictionary (post and user fields),
https://docs.x.com/x-api/fundamentals/expansions, and twarc2's output
(https://twarc-project.readthedocs.io/en/latest/twarc2_en_us/).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from unmask.ingest.base import Adapter, FormatMismatch, StageContext
from unmask.ingest.formats._sqlhelp import bool_error_sql
from unmask.ingest.formats._twitter import PLATFORM, errors, language_sql, lit
from unmask.ingest.jsondepth import MAX_DEPTH, describe, loads, too_deep
from unmask.ingest.tabular import lines_by_number

EXPECTED = (
    'X API v2 JSON: response pages ({"data": [...], "includes": {...}}) or posts '
    "(twarc2 flatten), one per line, or one such JSON document"
)
_AUTHOR_ID = re.compile(r'"author_id"\s*:')
_DATA = re.compile(r'"data"\s*:')
_USERNAME = re.compile(r'"username"\s*:')
_PROBE_LINES = 50
_BATCH = 20_000

_STR = pa.string()
_LIST = pa.list_(pa.string())
TWEETS = pa.schema(
    [
        ("_row", pa.int64()),
        ("id", _STR),
        ("author_id", _STR),
        ("created_at", _STR),
        ("text", _STR),
        ("lang", _STR),
        ("kind", _STR),
        ("parent_activity_id", _STR),
        ("parent_account_id", _STR),
        ("urls", _LIST),
        ("hashtags", _LIST),
        ("mentions", _LIST),
        ("community_id", _STR),
    ]
)
USERS = pa.schema(
    [
        ("_row", pa.int64()),
        ("id", _STR),
        ("username", _STR),
        ("name", _STR),
        ("created_at", _STR),
        ("description", _STR),
        ("location", _STR),
        ("verified", _STR),
        ("url", _STR),
        ("followers", _STR),
        ("following", _STR),
        ("observed_at", _STR),
    ]
)


class XApiV2Adapter(Adapter):
    name = "x_api_v2"
    description = "X API v2 JSON (twarc2 pages or flattened posts, JSON lines or one document)"
    reference = "https://docs.x.com/x-api/fundamentals/data-dictionary"
    detect_order = 40

    def sniff(self, path: Path, head: str) -> bool:
        text = head.lstrip()
        if not text.startswith(("{", "[")):
            return False
        return bool(_AUTHOR_ID.search(text)) or bool(_DATA.search(text) and _USERNAME.search(text))

    def stage(self, ctx: StageContext) -> None:
        records = _Records(ctx)
        ctx.raw_records = lambda rows: _raw_records(ctx.path, records.document, rows)[0]
        staged = _Staging(ctx)
        for row, obj in records:
            staged.add(row, obj)
        staged.finish()
        if staged.bad:
            _reject(ctx, staged.bad, records.document)


# -- reading -----------------------------------------------------------------------------


def _open(path: Path):
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def _shape(obj: Any) -> str | None:
    """What a parsed record is: a response page, a post, a user, or nothing we read."""
    if not isinstance(obj, dict):
        return None
    if "data" in obj or "includes" in obj or "meta" in obj or "errors" in obj:
        return "page"
    if "id" in obj and ("text" in obj or "author_id" in obj or "author" in obj):
        return "post"
    if "id" in obj and "username" in obj:
        return "user"
    return None


def _describe(obj: Any) -> str:
    if isinstance(obj, dict):
        return "a JSON object with keys " + ", ".join(sorted(map(str, obj))[:12])
    return f"a JSON {type(obj).__name__}"


class _Records:
    """The records of the file, ``(row, object)``; rejects the lines that are not JSON."""

    def __init__(self, ctx: StageContext) -> None:
        self.ctx = ctx
        self.document = False
        self._doc: Any = None
        self._deep = False
        self._probe()

    def _probe(self) -> None:
        ctx = self.ctx
        first_text, first_obj, first_ok = None, None, False
        parsed: Any = None
        with _open(ctx.path) as fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj = json.loads(raw)
                except (ValueError, RecursionError):
                    obj = ValueError
                if first_text is None:
                    first_text, first_obj = raw.strip(), obj
                    first_ok = obj is not ValueError
                if isinstance(obj, dict):
                    parsed = obj
                    break
                if n >= _PROBE_LINES:
                    break
        if first_text is None:
            raise FormatMismatch(ctx.path, EXPECTED, "an empty file")
        if (not first_ok and first_text[:1] in (b"{", b"[")) or isinstance(first_obj, list):
            # Perhaps one JSON document: pretty-printed (its first line alone is no JSON), or
            # an array.
            with _open(ctx.path) as fh:
                data = fh.read()
            try:
                self._doc, self._deep = loads(data)
                self.document = True
                parsed = self._doc
            except ValueError:
                pass
        if parsed is None:
            if first_ok:
                raise FormatMismatch(ctx.path, EXPECTED, _describe(first_obj))
            shown = first_text[:120].decode("utf-8", errors="replace")
            raise FormatMismatch(ctx.path, EXPECTED, f"a first line that is not JSON: {shown!r}")
        sample = parsed[0] if isinstance(parsed, list) and parsed else parsed
        if _shape(sample) is None:
            raise FormatMismatch(ctx.path, EXPECTED, _describe(sample))

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        ctx = self.ctx
        if self.document:
            items = self._doc if isinstance(self._doc, list) else [self._doc]
            for i, obj in enumerate(items, 1):
                line = 1 if len(items) == 1 else None
                yield from self._checked(i, obj, line=line, deep=self._deep)
            return
        with _open(ctx.path) as fh:
            for n, raw in enumerate(fh, 1):
                if not raw.strip():
                    continue
                try:
                    obj, deep = loads(raw)
                except ValueError as exc:
                    ctx.rows_read += 1
                    ctx.reject(
                        n,
                        f"line {n} is not valid JSON: {exc}",
                        line=n,
                        raw=raw.decode("utf-8", errors="replace").rstrip("\r\n"),
                    )
                    continue
                yield from self._checked(n, obj, line=n, deep=deep)

    def _checked(
        self, row: int, obj: Any, *, line: int | None, deep: bool
    ) -> Iterator[tuple[int, Any]]:
        """The record, unless it is no page, post or user, or holds a value nested too deep
        for Python's parser (``jsondepth``; that value is kept as text): then it is
        quarantined."""
        ctx = self.ctx
        shape = _shape(obj)
        where = too_deep(obj) if deep else None
        if shape is None or where is not None:
            ctx.rows_read += 1
            reason = (
                f"'{where}' is nested more than {MAX_DEPTH} levels deep (kept as text)"
                if where is not None
                else f"record {row} is neither an X API v2 response page, nor a post, nor a "
                f"user: {_describe(obj)}"
            )
            ctx.reject(row, reason, line=line, raw=obj)
            return
        if shape == "page" and not obj.get("data") and not obj.get("includes"):
            return  # a page with no results (or only errors) holds no record
        ctx.rows_read += 1
        yield row, obj


# -- mapping -----------------------------------------------------------------------------


def _s(value: Any) -> str | None:
    """A scalar as text (ids may come as numbers), None for null and empty values."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text != "" else None


def _is_user(obj: Any) -> bool:
    return isinstance(obj, dict) and "username" in obj and "text" not in obj


def _dicts(value: Any) -> list[dict]:
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _entities(post: dict) -> dict | None:
    note = post.get("note_tweet")
    if isinstance(note, dict) and isinstance(note.get("entities"), dict):
        return note["entities"]
    ent = post.get("entities")
    return ent if isinstance(ent, dict) else None


class _Staging:
    """Collects the posts and users of every record, then stages them with SQL."""

    def __init__(self, ctx: StageContext) -> None:
        self.ctx = ctx
        self.tweets: list[dict] = []
        self.users: list[dict] = []
        self.bad: dict[int, tuple[str, str]] = {}
        # Records whose shape cannot be read: never staged, quarantined with the others.
        self.misshapen: dict[int, tuple[str, str]] = {}
        con = ctx.con
        con.execute(_create_sql("_v2_tweets", TWEETS))
        con.execute(_create_sql("_v2_users", USERS))

    def add(self, row: int, obj: dict) -> None:
        problem = _page_problem(obj)
        if problem is not None:
            self.misshapen[row] = problem
            return
        shape = _shape(obj)
        twarc = obj.get("__twarc") if isinstance(obj.get("__twarc"), dict) else {}
        observed = _s(twarc.get("retrieved_at"))
        posts: list[dict] = []
        users: list[dict] = []
        if shape == "page":
            for item in _dicts(obj.get("data")):
                (users if _is_user(item) else posts).append(item)
            includes = obj.get("includes") if isinstance(obj.get("includes"), dict) else {}
            posts += _dicts(includes.get("tweets"))
            users += _dicts(includes.get("users"))
        elif shape == "user":
            users.append(obj)
        else:
            # A flattened post: its expansions are inline.
            posts.append(obj)
            users += _dicts(obj.get("author")) + _dicts(obj.get("in_reply_to_user"))
            ent = obj.get("entities") if isinstance(obj.get("entities"), dict) else {}
            users += [m for m in _dicts(ent.get("mentions")) if "id" in m and "name" in m]
            for ref in _dicts(obj.get("referenced_tweets")):
                if "created_at" in ref or "author_id" in ref:
                    posts.append(ref)
                    users += _dicts(ref.get("author"))
        users = [u for u in users if "id" in u]
        problem = _value_problem(posts, users)
        if problem is not None or not (posts or users):
            self.misshapen[row] = problem or (
                "field 'data': no post, and no user with an id, in this record",
                "data",
            )
            return
        authors = {_s(p.get("id")): _author_id(p) for p in posts}
        for p in posts:
            self.tweets.append(_post_row(row, p, authors))
        for u in users:
            self.users.append(_user_row(row, u, observed))
        if len(self.tweets) >= _BATCH or len(self.users) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        con = self.ctx.con
        for table, rows, sch in (
            ("_v2_tweets", self.tweets, TWEETS),
            ("_v2_users", self.users, USERS),
        ):
            if rows:
                batch = pa.Table.from_pylist(rows, schema=sch)
                con.register("_v2_batch", batch)
                con.execute(f"INSERT INTO {table} SELECT * FROM _v2_batch")
                con.unregister("_v2_batch")
                rows.clear()

    def finish(self) -> None:
        self._flush()
        con = self.ctx.con
        post_error, post_field = errors(
            [
                ("id", "CASE WHEN unmask_str(id) IS NULL THEN 'field ''id'' is empty' END"),
                (
                    "author_id",
                    "CASE WHEN unmask_str(author_id) IS NULL "
                    "THEN 'field ''author_id'' is empty' END",
                ),
                (
                    "created_at",
                    "coalesce(unmask_time_error(created_at, 'created_at'), "
                    "CASE WHEN unmask_str(created_at) IS NULL "
                    "THEN 'field ''created_at'' is empty' END)",
                ),
            ]
        )
        con.execute(
            f"""INSERT INTO stage_activities BY NAME
                SELECT {lit(PLATFORM)} AS platform, unmask_str(id) AS activity_id,
                       unmask_str(author_id) AS account_id, unmask_time(created_at) AS time,
                       kind, text, {language_sql("lang")} AS language,
                       urls, hashtags, mentions, parent_activity_id, parent_account_id,
                       unmask_str(community_id) AS community, _row,
                       CASE WHEN {post_error} IS NOT NULL
                            THEN 'post ' || coalesce(unmask_str(id), '(no id)') || ': '
                                 || {post_error} END AS _error,
                       {post_field} AS _field
                FROM _v2_tweets"""
        )
        user_error, user_field = errors(
            [
                ("id", "CASE WHEN unmask_str(id) IS NULL THEN 'field ''id'' is empty' END"),
                ("created_at", "unmask_time_error(created_at, 'created_at')"),
                (
                    "public_metrics.followers_count",
                    "unmask_int_error(followers, 'public_metrics.followers_count')",
                ),
                (
                    "public_metrics.following_count",
                    "unmask_int_error(following, 'public_metrics.following_count')",
                ),
                ("verified", bool_error_sql("verified", "verified")),
            ]
        )
        con.execute(
            f"""INSERT INTO stage_accounts BY NAME
                SELECT {lit(PLATFORM)} AS platform, unmask_str(id) AS account_id,
                       'account' AS kind, unmask_str(username) AS handle,
                       unmask_str(name) AS display_name, unmask_time(created_at) AS created_at,
                       unmask_int(followers) AS followers, unmask_int(following) AS following,
                       unmask_str(description) AS description,
                       unmask_str(location) AS location, unmask_bool(verified) AS verified,
                       unmask_str(url) AS url, unmask_time(observed_at) AS observed_at, _row,
                       CASE WHEN {user_error} IS NOT NULL
                            THEN 'user ' || coalesce(unmask_str(id), '(no id)') || ': '
                                 || {user_error} END AS _error,
                       {user_field} AS _field
                FROM _v2_users"""
        )
        # A record with an error anywhere goes to the quarantine whole: it leaves the stage
        # tables and is reported with its reasons and, for lines, its line.
        self.bad = dict(self.misshapen) | {
            row: (reasons, fields)
            for row, reasons, fields in con.execute(
                """SELECT _row, string_agg(DISTINCT _error, '; '), string_agg(DISTINCT _field, ',')
                   FROM (SELECT _row, _error, _field FROM stage_activities WHERE _error IS NOT NULL
                         UNION ALL
                         SELECT _row, _error, _field FROM stage_accounts WHERE _error IS NOT NULL)
                   GROUP BY _row"""
            ).fetchall()
        }
        if self.bad:
            con.execute("CREATE OR REPLACE TEMP TABLE _v2_bad (_row BIGINT)")
            con.executemany("INSERT INTO _v2_bad VALUES (?)", [(r,) for r in self.bad])
            for table in ("stage_activities", "stage_accounts"):
                con.execute(f"DELETE FROM {table} WHERE _row IN (SELECT _row FROM _v2_bad)")


# Where a post or user holds an id or a time: a JSON object or array there is none.
_POST_VALUES = ("id", "author_id", "created_at", "in_reply_to_user_id")
_USER_VALUES = ("id", "created_at")


def _page_problem(obj: dict) -> tuple[str, str] | None:
    """Why a response page's parts are not posts and users (the reason, the field)."""
    if _shape(obj) != "page":
        return None
    data, includes = obj.get("data"), obj.get("includes")
    parts = [("data", data if isinstance(data, list) else [data] if data is not None else [])]
    if data is not None and not isinstance(data, dict | list):
        return f"field 'data' is {describe(data)}, not posts or users", "data"
    if includes is not None and not isinstance(includes, dict):
        return f"field 'includes' is {describe(includes)}, not an object", "includes"
    for key in ("tweets", "users"):
        part = (includes or {}).get(key)
        if part is not None and not isinstance(part, list):
            return f"field 'includes.{key}' is {describe(part)}, not a list", f"includes.{key}"
        parts.append((f"includes.{key}", part or []))
    for name, items in parts:
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                return f"field '{name}': item {i + 1} is {describe(item)}, not an object", name
    return None


def _value_problem(posts: list[dict], users: list[dict]) -> tuple[str, str] | None:
    """An id or time that is a JSON object, array or boolean (the reason, the field)."""
    checks = [(p, _POST_VALUES, "post") for p in posts] + [(u, _USER_VALUES, "user") for u in users]
    checks += [
        (r, ("id",), "referenced post") for p in posts for r in _dicts(p.get("referenced_tweets"))
    ]
    for item, fields, what in checks:
        for name in fields:
            value = item.get(name)
            if isinstance(value, dict | list | bool):
                which = _s(item.get("id")) or "(no id)"
                return f"{what} {which}: field '{name}' is {describe(value)}, not text", name
    return None


def _author_id(post: dict) -> str | None:
    author = _dicts(post.get("author"))
    return _s(post.get("author_id")) or (_s(author[0].get("id")) if author else None)


def _post_row(row: int, p: dict, authors: dict[str | None, str | None]) -> dict:
    refs = {}
    for ref in _dicts(p.get("referenced_tweets")):
        refs.setdefault(_s(ref.get("type")), ref)
    author_id = _author_id(p)
    reply_to = _s(p.get("in_reply_to_user_id"))
    kind, parent, parent_author = "post", None, None
    for ref_type, ref_kind in (
        ("retweeted", "share"),
        ("replied_to", "reply"),
        ("quoted", "quote"),
    ):
        ref = refs.get(ref_type)
        if ref is not None:
            kind, parent = ref_kind, _s(ref.get("id"))
            parent_author = authors.get(parent) or _s(ref.get("author_id"))
            if ref_type == "replied_to":
                parent_author = reply_to or parent_author
            break
    else:
        if reply_to:
            kind, parent_author = "reply", reply_to
    note = p.get("note_tweet") if isinstance(p.get("note_tweet"), dict) else {}
    ent = _entities(p)
    urls = hashtags = mentions = None
    if ent is not None:
        urls = [
            _s(u.get("unwound_url")) or _s(u.get("expanded_url")) or _s(u.get("url"))
            for u in _dicts(ent.get("urls"))
            if "media_key" not in u
        ]
        urls = [u for u in urls if u]
        hashtags = [t for t in (_s(h.get("tag")) for h in _dicts(ent.get("hashtags"))) if t]
        mentions = [m for m in (_s(x.get("username")) for x in _dicts(ent.get("mentions"))) if m]
    return {
        "_row": row,
        "id": _s(p.get("id")),
        "author_id": author_id,
        "created_at": _s(p.get("created_at")),
        "text": _s(note.get("text")) or _s(p.get("text")),
        "lang": _s(p.get("lang")),
        "kind": kind,
        "parent_activity_id": parent,
        "parent_account_id": parent_author,
        "urls": urls,
        "hashtags": hashtags,
        "mentions": mentions,
        # The X Community the post was made in (``tweet.fields=community_id``).
        "community_id": _s(p.get("community_id")),
    }


def _user_row(row: int, u: dict, observed: str | None) -> dict:
    metrics = u.get("public_metrics") if isinstance(u.get("public_metrics"), dict) else {}
    return {
        "_row": row,
        "id": _s(u.get("id")),
        "username": _s(u.get("username")),
        "name": _s(u.get("name")),
        "created_at": _s(u.get("created_at")),
        "description": _s(u.get("description")),
        "location": _s(u.get("location")),
        "verified": _s(u.get("verified")),
        "url": _s(u.get("url")),
        "followers": _s(metrics.get("followers_count")),
        "following": _s(metrics.get("following_count")),
        "observed_at": observed,
    }


def _create_sql(table: str, sch: pa.Schema) -> str:
    cols = ", ".join(
        f"{f.name} {'VARCHAR[]' if pa.types.is_list(f.type) else 'BIGINT' if f.name == '_row' else 'VARCHAR'}"
        for f in sch
    )
    return f"CREATE OR REPLACE TEMP TABLE {table} ({cols})"


def _reject(ctx: StageContext, bad: dict[int, tuple[str, str]], document: bool) -> None:
    """Quarantine the records with an error, kept as they were written."""
    raw, lines = _raw_records(ctx.path, document, set(bad))
    for row in sorted(bad):
        reasons, fields = bad[row]
        ctx.reject(row, reasons, line=lines.get(row), field=fields, raw=raw.get(row))


def _raw_records(
    path: Path, document: bool, rows: set[int]
) -> tuple[dict[int, str], dict[int, int | None]]:
    """The text and line of records by number: lines, or the items of one document."""
    raw: dict[int, str] = {}
    lines: dict[int, int | None] = {}
    if document:
        with _open(path) as fh:
            doc, _deep = loads(fh.read())
        items = doc if isinstance(doc, list) else [doc]
        for i in rows:
            raw[i] = json.dumps(items[i - 1], ensure_ascii=False)
            lines[i] = None if isinstance(doc, list) else 1
    else:
        raw = lines_by_number(path, rows)
        lines = {n: n for n in raw}
    return raw, lines
