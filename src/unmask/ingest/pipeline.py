"""Ingest one export file into the store: the steps that are the same for every format.

1. hash the file; a file already in the store is skipped (ingest is idempotent);
2. the adapter stages the records (``unmask.ingest.base``);
3. records with an error, and those the reader could not parse, go to the quarantine;
4. the rest are normalised (canonical URLs and their domains; hashtags, mentions and URLs
   from the text where the export has no field for them; language where it is missing),
   merged on their keys within the file and against the store;
5. the counts are reconciled (read = stored + merged + duplicate + quarantined) and the batch is
   committed by one atomic rename.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

import unmask
from unmask import schema
from unmask.engine.duckdb import connect
from unmask.engine.sql import literal
from unmask.errors import UnmaskError
from unmask.ingest.base import TEXT_URLS, StageContext, stage_schema, time_window
from unmask.ingest.language import register_language_udf
from unmask.ingest.normalise import install_macros
from unmask.ingest.registry import detect_adapter, get_adapter
from unmask.store import KEY_INDEX, BatchExists, Manifest, Store

ProgressFn = Callable[[str], None]


class ReconciliationError(UnmaskError):
    """The counts of a file do not add up: a bug, never a data problem; nothing is written."""


@dataclass
class IngestResult:
    manifest: Manifest
    skipped: bool = False

    @property
    def path(self) -> str:
        return self.manifest.path


def file_sha256(path: Path, chunk: int = 1 << 22) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


class _Hashing:
    """The sha256 of a file, computed in a thread of its own (``result`` waits for it)."""

    def __init__(self, path: Path) -> None:
        self._value: str | None = None
        self._error: BaseException | None = None
        # A daemon: a file that fails to stage does not keep the process waiting for it.
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            self._value = file_sha256(path)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def result(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _file_id(sha: str, options: dict[str, Any]) -> str:
    # The same bytes read with other options are another batch.
    # A list (--map given several times) keys as its comma-joined text did before.
    opt_key = ",".join(
        f"{k}={','.join(v) if isinstance(v, list) else v}"
        for k, v in sorted(options.items())
        if v is not None
    )
    return sha[:32] if not opt_key else hashlib.sha256(f"{sha}|{opt_key}".encode()).hexdigest()[:32]


def ingest_file(
    store: Store,
    path: str | Path,
    *,
    format: str | None = None,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
) -> IngestResult:
    """Ingest one file; returns its manifest (with ``skipped`` when it was already there)."""
    path = Path(path)
    say = progress or (lambda _msg: None)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    started = time.perf_counter()
    options = dict(options or {})
    adapter = get_adapter(format) if format else detect_adapter(path)
    say("hashing")
    sha = _Hashing(path)
    # A file seen before at this path and size is most likely that file again: its hash is
    # awaited first, so that it is skipped at once. Any other file is hashed while DuckDB
    # stages it (both release the GIL); if it turns out to be in the store after all, the
    # staging is thrown away.
    resolved = str(path.resolve())
    size = path.stat().st_size
    if store.path_hint(resolved, size) is not None:
        old = store.manifest(_file_id(sha.result(), options))
        if old is not None:
            return IngestResult(old, skipped=True)

    con = connect(temp_directory=store.temp_dir)
    try:
        install_macros(con)
        register_language_udf(con)
        for table in schema.TABLES:
            con.execute(f"CREATE TEMP TABLE stage_{table} ({_columns_sql(stage_schema(table))})")
        ctx = StageContext(con=con, path=path, file_id="", options=options, progress=say)
        say(f"reading ({adapter.name})")
        adapter.stage(ctx)
        ctx.flush()
        file_id = ctx.file_id = _file_id(sha.result(), options)
        old = store.manifest(file_id)
        if old is not None:
            return IngestResult(old, skipped=True)
        manifest = Manifest(
            file_id=file_id,
            path=resolved,
            adapter=adapter.name,
            sha256=sha.result(),
            size_bytes=size,
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            options=options,
            unmask_version=unmask.__version__,
        )
        try:
            return IngestResult(_commit(store, con, ctx, manifest, started=started, say=say))
        except BatchExists:
            # The same file, ingested by another process at the same time, was committed
            # while this one staged it: the store has it once, as it should.
            return IngestResult(store.manifest(file_id), skipped=True)
    finally:
        con.close()


def _commit(
    store: Store,
    con: duckdb.DuckDBPyConnection,
    ctx: StageContext,
    manifest: Manifest,
    *,
    started: float,
    say: ProgressFn,
) -> Manifest:
    """Write the staged file as a batch, under the store's writer lock, and return its
    manifest; raises :class:`BatchExists` when the batch appeared meanwhile."""
    # The store's key index on the same connection: deduplication joins it (reading the
    # batches' own parts instead cost every file time in proportion to the batches).
    with store.write_batch(manifest.file_id) as batch, store.key_index(con):
        say("writing")
        counts = _finalise(
            con,
            ctx,
            batch,
            detect_language=ctx.options.get("detect_language", True) is not False,
        )
        batch.close()
        store.index_batch(con, manifest.file_id, batch.directory)
        manifest.rows_read = ctx.rows_read
        good = counts.pop("rows_good")
        manifest.rows_stored = counts.pop("rows_stored")
        manifest.rows_merged = counts.pop("rows_merged")
        manifest.rows_duplicate = counts.pop("rows_duplicate")
        manifest.rows_quarantined = counts.pop("rows_quarantined")
        manifest.entities = counts
        manifest.seconds = round(time.perf_counter() - started, 3)
        # Every record the adapter read is either good or quarantined, never neither.
        if ctx.rows_read != good + manifest.rows_quarantined or not manifest.reconciles:
            raise ReconciliationError(
                f"{ctx.path}: read {ctx.rows_read} records but {good} are good and "
                f"{manifest.rows_quarantined} quarantined"
            )
        batch.manifest = manifest
    return manifest


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """A temporary table or view of that name (an adapter's ``raw``) exists."""
    return bool(
        con.execute(
            """SELECT count(*) FROM (
                   SELECT table_name AS name FROM duckdb_tables() WHERE temporary
                   UNION ALL SELECT view_name FROM duckdb_views() WHERE temporary)
               WHERE name = ?""",
            [name],
        ).fetchone()[0]
    )


def _columns_sql(sch) -> str:
    return ", ".join(f"{f.name} {schema.duckdb_type(f.type)}" for f in sch)


def _finalise(
    con: duckdb.DuckDBPyConnection,
    ctx: StageContext,
    batch,
    *,
    detect_language: bool,
) -> dict[str, int]:
    # Reader rejects and records with an error anywhere are quarantined as a whole.
    con.execute(
        "CREATE TEMP TABLE _bad (_row BIGINT, line BIGINT, field VARCHAR, reason VARCHAR, raw VARCHAR)"
    )
    if ctx.rejects:
        con.executemany("INSERT INTO _bad VALUES (?, ?, ?, ?, ?)", ctx.rejects)
    for table in schema.TABLES:
        con.execute(
            f"""INSERT INTO _bad SELECT _row, _line, _field, _error, _raw
                FROM stage_{table} WHERE _error IS NOT NULL"""
        )
    # Required keys: a record without them cannot be stored anywhere.
    for table, required in schema.REQUIRED.items():
        missing = " OR ".join(f"{c} IS NULL OR CAST({c} AS VARCHAR) = ''" for c in required)
        which = " ".join(
            f"WHEN {c} IS NULL OR CAST({c} AS VARCHAR) = '' THEN '{c}'" for c in required
        )
        con.execute(
            f"""INSERT INTO _bad SELECT _row, _line, CASE {which} END,
                   'required field ''' || CASE {which} END || ''' is empty', _raw
                FROM stage_{table} WHERE _error IS NULL AND ({missing})
                  AND _row NOT IN (SELECT _row FROM _bad WHERE _row IS NOT NULL)"""
        )
    _implausible(con, ctx)
    con.execute(
        """CREATE TEMP TABLE _bad_rows AS
           SELECT _row, min(line) AS line, string_agg(DISTINCT field, ',') AS field,
                  string_agg(DISTINCT reason, '; ') AS reason, any_value(raw) AS raw
           FROM _bad GROUP BY _row"""
    )
    quarantined = con.execute("SELECT count(*) FROM _bad_rows").fetchone()[0]
    if quarantined and _has_table(con, "raw"):
        # Adapters that read into a ``raw`` table keep the original record there.
        con.execute(
            """UPDATE _bad_rows SET raw = (SELECT CAST(to_json(r) AS VARCHAR) FROM raw r
                                          WHERE r._row = _bad_rows._row)
               WHERE raw IS NULL AND _row IS NOT NULL"""
        )
    if quarantined and ctx.raw_records is not None:
        missing = {
            r[0]
            for r in con.execute(
                "SELECT _row FROM _bad_rows WHERE raw IS NULL AND _row IS NOT NULL"
            ).fetchall()
        }
        found = ctx.raw_records(missing) if missing else {}
        if found:
            con.executemany(
                "UPDATE _bad_rows SET raw = ? WHERE _row = ?",
                [(text, row) for row, text in found.items()],
            )
    if quarantined:
        con.execute(
            f"""COPY (SELECT ? AS source_file, ? AS path, _row AS row, line, field, reason, raw
                      FROM _bad_rows ORDER BY _row NULLS LAST)
                TO {literal(batch.part_path("quarantine"))} (FORMAT parquet, COMPRESSION zstd)""",
            [ctx.file_id, str(ctx.path)],
        )

    # Which records became what: the first record of a new entity is stored; further
    # records of it in this file are merged into it (long exports give one row per URL or
    # image of a post; exact repeats); records whose entities were all in the store already
    # are duplicates.
    con.execute(
        """CREATE TEMP TABLE _first_rows (_row BIGINT);
           CREATE TEMP TABLE _touch_new (_row BIGINT);
           CREATE TEMP TABLE _touch_old (_row BIGINT);"""
    )
    counts: dict[str, int] = {}
    staged: list[str] = []
    for table in schema.TABLES:
        n_stage = con.execute(f"SELECT count(*) FROM stage_{table}").fetchone()[0]
        counts[table] = (
            _write_table(con, ctx, batch, table, detect_language, bool(quarantined))
            if n_stage
            else 0
        )
        # A stage view of another stage table has the same records: left out of the union.
        if n_stage and ctx.stage_views.get(table, "").removeprefix("stage_") not in schema.TABLES:
            staged.append(table)
    if len(staged) == 1 and staged[0] in ctx.unique_rows:
        # All records in one table, one row each: they, and the rows stored from them, are
        # counted without a DISTINCT over every record number.
        good = con.execute(
            f"SELECT count(*) FROM stage_{staged[0]} {_NOT_BAD if quarantined else ''}"
        ).fetchone()[0]
        stored = con.execute("SELECT count(*) FROM _first_rows").fetchone()[0]
    else:
        rows = " UNION ALL ".join(f"SELECT _row FROM stage_{t}" for t in staged) or (
            "SELECT NULL::BIGINT AS _row WHERE false"
        )
        good = con.execute(
            f"""SELECT count(*) FROM (SELECT DISTINCT _row FROM ({rows})
                                      {_NOT_BAD if quarantined else ""})"""
        ).fetchone()[0]
        stored = con.execute("SELECT count(DISTINCT _row) FROM _first_rows").fetchone()[0]
    # Nothing in the store already (a first file, say): no duplicates to count.
    duplicate = (
        con.execute(
            """SELECT count(*) FROM (SELECT DISTINCT _row FROM _touch_old
                                     EXCEPT SELECT _row FROM _touch_new
                                     EXCEPT SELECT _row FROM _first_rows)"""
        ).fetchone()[0]
        if con.execute("SELECT count(*) FROM _touch_old").fetchone()[0]
        else 0
    )
    counts["rows_good"] = good
    counts["rows_stored"] = stored
    counts["rows_duplicate"] = duplicate
    counts["rows_merged"] = good - stored - duplicate
    counts["rows_quarantined"] = quarantined
    counts["quarantine"] = quarantined
    return counts


# A control character (C0, DEL) in an id.
_CONTROL = r"'[\x00-\x1f\x7f]'"


def _implausible(con: duckdb.DuckDBPyConnection, ctx: StageContext) -> None:
    """Into ``_bad``: records with a time outside the plausible window
    (:func:`unmask.ingest.base.time_window`) or a control character in an id
    (:data:`unmask.schema.IDS`). One scan of each stage table finds them (few, if any)."""
    lo, hi = time_window(ctx.earliest_time)
    window = f"{lo:%Y-%m-%d} to {hi:%Y-%m-%d}"
    for table, sch in schema.TABLES.items():
        if ctx.stage_views.get(table, "").removeprefix("stage_") in schema.TABLES:
            continue  # a view of another stage table: its values are checked there
        times = [f.name for f in sch if pa.types.is_timestamp(f.type)]
        ids = schema.IDS[table]
        checks = [
            (
                name,
                f"{name} IS NOT NULL AND NOT ({name} BETWEEN $lo AND $hi)",
                f"'field ''{name}'': ' || CAST({name} AS VARCHAR) || ' is outside the "
                f"plausible times, {window} (a misread or placeholder time)'",
            )
            for name in times
        ] + [
            (
                name,
                f"regexp_matches({name}, {_CONTROL})",
                f"'field ''{name}'' holds the control character U+' || "
                f"printf('%04X', unicode(regexp_extract({name}, {_CONTROL}))) || ', which no id has'",
            )
            for name in ids
        ]
        problems = ", ".join(
            f"{{'field': '{name}', 'reason': CASE WHEN {cond} THEN {reason} END}}"
            for name, cond, reason in checks
        )
        # The ids are searched as one string: a third of the time of one search each.
        found = [f"({c})" for _, c, _ in checks[: len(times)]]
        found.append(f"regexp_matches(concat({', '.join(ids)}), {_CONTROL})")
        con.execute(
            f"""INSERT INTO _bad SELECT _row, _line, field, reason, _raw
                FROM (SELECT _row, _line, _raw, unnest([{problems}], recursive := true)
                      FROM stage_{table} WHERE {" OR ".join(found)})
                WHERE reason IS NOT NULL""",
            {"lo": lo, "hi": hi},
        )


_NOT_BAD = "WHERE _row NOT IN (SELECT _row FROM _bad_rows WHERE _row IS NOT NULL)"


def _write_table(con, ctx, batch, table, detect_language, any_bad) -> int:
    keys = schema.KEYS[table]
    key_sql = ", ".join(keys)
    sch = schema.TABLES[table]
    platform = (
        "*" if ctx.platforms_canonical else "* REPLACE (unmask_platform(platform) AS platform)"
    )
    good = f"(SELECT {platform} FROM stage_{table} {_NOT_BAD if any_bad else ''})"
    fields = [f for f in sch if f.name not in keys and f.name != "source_file"]
    repeats = table == "accounts" or _repeats(con, good, key_sql)
    # Links found in the text while staging (activities only; see unmask.ingest.base).
    extra = ["_tx_urls"] if table == "activities" else []
    if repeats:
        # Fields that no record of this file has are not aggregated (most exports fill few).
        scalar = [f for f in fields if f.name != "source_row"]
        present = con.execute(
            f"SELECT {', '.join(f'count({f.name}) > 0' for f in scalar)} FROM stage_{table}"
        ).fetchone()
        empty = {f.name for f, p in zip(scalar, present, strict=True) if not p}
        aggs = ", ".join(
            [
                f"CAST(NULL AS {schema.duckdb_type(f.type)}) AS {f.name}"
                if f.name in empty
                else _merge_agg(table, f, observed="observed_at" not in empty)
                for f in fields
            ]
            # The merged text is the first record's that has one; so are its links.
            + [f"arg_min({c}, _row) FILTER (WHERE text IS NOT NULL) AS {c}" for c in extra]
        )
        # In the order of each entity's first record: a grouping's own order depends on
        # how the threads shared the stage, and a part should not vary from run to run.
        merged = f"SELECT {key_sql}, {aggs} FROM {good} GROUP BY {key_sql} ORDER BY source_row"
    else:
        # Every key once: nothing to merge, which is the common case and much cheaper.
        cols = ", ".join(
            ["_row AS source_row" if f.name == "source_row" else f.name for f in fields] + extra
        )
        merged = f"SELECT {key_sql}, {cols} FROM {good}"
    if table == "activities":
        # When the adapter found every text's links while staging, the texts need not be
        # read again for them.
        source_urls = _STAGED_URLS if ctx.text_urls_staged else _SOURCE_URLS
        merged = f"SELECT *, {source_urls} AS _src_urls FROM ({merged})"
    existing = (
        0
        if table == "accounts"
        else con.execute(f"SELECT count(*) FROM {KEY_INDEX}.{table}").fetchone()[0]
    )
    # Nothing to merge or to remove: read the stage through a view rather than copy it.
    # Accounts are merged as they are written (only the final write reads them).
    merged_kind = "TABLE" if (repeats and table != "accounts") or existing else "VIEW"
    con.execute(f"CREATE TEMP {merged_kind} _merged AS {merged}")
    try:
        return _write_merged(con, ctx, batch, table, key_sql, good, existing, detect_language)
    finally:
        con.execute(f"DROP {merged_kind} _merged")


def _repeats(con: duckdb.DuckDBPyConnection, good: str, key_sql: str) -> bool:
    """Whether some key comes more than once. Distinct 64-bit hashes of the keys are far
    cheaper to count than the keys; only when two hashes are equal (a repeat, or rarely a
    collision) are the keys themselves compared."""
    n, hashes = con.execute(
        f"SELECT count(*), count(DISTINCT hash({key_sql})) FROM {good}"
    ).fetchone()
    if n == hashes:
        return False
    return con.execute(f"SELECT count(*) > count(DISTINCT ({key_sql})) FROM {good}").fetchone()[0]


def _write_merged(con, ctx, batch, table, key_sql, good, existing, detect_language) -> int:
    """Count the records of ``_merged``, drop what the store has, and write the part."""
    sch = schema.TABLES[table]

    if table == "accounts":
        # Every file adds its own observation of an account. A record that only describes
        # an account (an author list, a user object) is stored by that; one that also
        # carries an activity, follow or record is counted by those.
        others = [
            t
            for t in ("activities", "follows", "infrastructure")
            if con.execute(f"SELECT count(*) FROM stage_{t}").fetchone()[0]
        ]
        other_rows = " UNION ALL ".join(f"SELECT _row FROM stage_{t}" for t in others)
        # Authors staged as a view of another stage table all have a record there.
        if ctx.stage_views.get("accounts") not in {f"stage_{t}" for t in others}:
            con.execute(
                f"""INSERT INTO _first_rows SELECT DISTINCT s._row FROM {good} s
                    {f"ANTI JOIN ({other_rows}) o ON o._row = s._row" if others else ""}"""
            )
    else:
        if existing:
            # Entities already in the store are not written again.
            con.execute(
                f"""CREATE OR REPLACE TEMP TABLE _old_keys AS SELECT DISTINCT {key_sql}
                    FROM {good} SEMI JOIN (SELECT {key_sql} FROM {KEY_INDEX}.{table})
                    USING ({key_sql})"""
            )
            con.execute(
                f"""INSERT INTO _touch_old SELECT _row FROM {good} SEMI JOIN _old_keys USING ({key_sql});
                    DELETE FROM _merged WHERE ({key_sql}) IN (SELECT ({key_sql}) FROM _old_keys);
                    INSERT INTO _touch_new SELECT _row FROM {good} SEMI JOIN _merged USING ({key_sql});"""
            )
        con.execute("INSERT INTO _first_rows SELECT source_row FROM _merged")
    if table == "activities":
        _canonical_url_lists(con)
    select = _final_select(table, sch, detect_language)
    part = batch.part_path(table)
    # COPY says how many rows it wrote: no separate count of what may be a view.
    n = con.execute(
        f"COPY ({select}) TO {literal(part)} (FORMAT parquet, COMPRESSION zstd)", [ctx.file_id]
    ).fetchone()[0]
    if n == 0:
        part.unlink(missing_ok=True)
    return n


_MARKS = {
    "hashtags": "contains(m.text, '#') OR contains(m.text, '＃')",
    "mentions": "contains(m.text, '@')",
}

# The links of a post as the export gave them, or as found in its text. ``urls`` first: an
# export that gives both has the expanded links there and the short ones as posted in
# ``urls_original`` (kept as they are).
_STAGED_URLS = "coalesce(urls, urls_original, _tx_urls)"
_SOURCE_URLS = f"coalesce(urls, urls_original, _tx_urls, {TEXT_URLS.format(text='text')})"


def _merge_agg(table: str, f, *, observed: bool = True) -> str:
    """How one field of several records of the same entity (in one file) is merged."""
    if f.name == "source_row":
        return "min(_row) AS source_row"
    if pa.types.is_list(f.type):
        # The union of the lists, in order of first appearance (list_distinct does not
        # keep the order). The lambda binds the flattened list once.
        return (
            f"CASE WHEN count({f.name}) = 0 THEN NULL ELSE list_transform([flatten("
            f"list({f.name} ORDER BY _row) FILTER (WHERE {f.name} IS NOT NULL))], lambda l: "
            f"list_filter(l, lambda x, i: x IS NOT NULL AND list_position(l, x) = i))[1] "
            f"END AS {f.name}"
        )
    if table == "accounts":
        # The newest non-empty observation within this file; without observation times,
        # the last record (the same order, and a much cheaper key than a struct).
        newest = "(coalesce(observed_at, TIMESTAMPTZ '1970-01-01'), _row)" if observed else "_row"
        return f"arg_max({f.name}, {newest}) FILTER (WHERE {f.name} IS NOT NULL) AS {f.name}"
    # The first record's value, unless it is empty.
    return f"arg_min({f.name}, _row) FILTER (WHERE {f.name} IS NOT NULL) AS {f.name}"


def _canonical_url_lists(con: duckdb.DuckDBPyConnection) -> None:
    """Canonical URLs and their domains, into ``_url_map`` and ``_url_lists``.

    Each distinct URL is canonicalised once (shared links repeat a great deal). A post with
    one link, the common case, is joined to the map directly; lists of several links are
    put back together in their original order in ``_url_lists``.
    """
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _url_map AS
               SELECT u, c, unmask_url_domain(c) AS d
               FROM (SELECT u, unmask_canonical_url(u) AS c
                     FROM (SELECT DISTINCT unnest(_src_urls) AS u FROM _merged));
           CREATE OR REPLACE TEMP TABLE _url_lists AS
               SELECT e.platform, e.activity_id, list(m.c ORDER BY e.i) AS urls,
                      list_sort(list_distinct(list(m.d) FILTER (WHERE m.d IS NOT NULL))) AS domains
               FROM (SELECT platform, activity_id, unnest(_src_urls) AS u,
                            generate_subscripts(_src_urls, 1) AS i
                     FROM _merged WHERE len(_src_urls) > 1) e
               JOIN _url_map m USING (u)
               GROUP BY e.platform, e.activity_id;"""
    )


def _final_select(table: str, sch, detect_language: bool) -> str:
    activities = table == "activities"
    cols = []
    for f in sch:
        name = f.name
        if name == "source_file":
            expr = "CAST(? AS VARCHAR)"
        elif activities and name == "urls_original":
            expr = "coalesce(m.urls_original, m._src_urls)"
        elif activities and name == "urls":
            expr = "CASE len(m._src_urls) WHEN 0 THEN [] WHEN 1 THEN [u1.c] ELSE l.urls END"
        elif activities and name == "domains":
            expr = (
                "coalesce(unmask_clean_tags(m.domains), CASE len(m._src_urls) WHEN 0 THEN [] "
                "WHEN 1 THEN CASE WHEN u1.d IS NULL THEN [] ELSE [u1.d] END ELSE l.domains END)"
            )
        elif activities and name in ("hashtags", "mentions"):
            expr = (
                f"coalesce(unmask_clean_tags(m.{name}), "
                # The regular expressions run only on texts that can hold a tag or handle.
                f"CASE WHEN m.text IS NULL THEN NULL WHEN {_MARKS[name]} "
                f"THEN unmask_text_{name}(m.text) ELSE [] END)"
            )
        elif activities and name == "language" and detect_language:
            expr = (
                "coalesce(lower(m.language), "
                "CASE WHEN m.text IS NOT NULL THEN unmask_language(m.text) END)"
            )
        elif name == "language":
            expr = "lower(m.language)"
        else:
            expr = f"m.{name}"
        cols.append(f"CAST({expr} AS {schema.duckdb_type(f.type)}) AS {name}")
    source = (
        "_merged m LEFT JOIN _url_map u1 ON len(m._src_urls) = 1 AND u1.u = m._src_urls[1] "
        "LEFT JOIN _url_lists l ON len(m._src_urls) > 1 AND l.platform = m.platform "
        "AND l.activity_id = m.activity_id"
        if activities
        else "_merged m"
    )
    return f"SELECT {', '.join(cols)} FROM {source}"
