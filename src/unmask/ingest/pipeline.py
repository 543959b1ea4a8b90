"""Ingest one export file into the store: the steps that are the same for every format.

1. hash the file; a file already in the store is skipped (ingest is idempotent);
2. the adapter stages the records (``unmask.ingest.base``);
3. records with an error, and those the reader could not parse, go to the quarantine;
4. the rest are normalised (canonical URLs and their domains; hashtags, mentions and URLs
   from the text where the export has no field for them; language where it is missing),
   merged on their keys within the file and against the store;
5. the counts are reconciled (read = stored + duplicate + quarantined) and the batch is
   committed by one atomic rename.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

import unmask
from unmask import schema
from unmask.engine.duckdb import connect
from unmask.ingest.base import StageContext, stage_schema
from unmask.ingest.language import register_language_udf
from unmask.ingest.normalise import install_macros
from unmask.ingest.registry import detect_adapter, get_adapter
from unmask.store import Manifest, Store

ProgressFn = Callable[[str], None]


class ReconciliationError(Exception):
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
    say("hashing")
    sha = file_sha256(path)
    options = dict(options or {})
    adapter = get_adapter(format) if format else detect_adapter(path)
    # The same bytes read with other options are another batch.
    opt_key = ",".join(f"{k}={options[k]}" for k in sorted(options) if options[k] is not None)
    file_id = (
        sha[:32] if not opt_key else hashlib.sha256(f"{sha}|{opt_key}".encode()).hexdigest()[:32]
    )
    if store.has_batch(file_id):
        old = next(m for m in store.manifests() if m.file_id == file_id)
        return IngestResult(old, skipped=True)

    con = connect(temp_directory=store.temp_dir)
    try:
        install_macros(con)
        register_language_udf(con)
        for table in schema.TABLES:
            con.execute(f"CREATE TEMP TABLE stage_{table} ({_columns_sql(stage_schema(table))})")
        ctx = StageContext(con=con, path=path, file_id=file_id, options=options, progress=say)
        say(f"reading ({adapter.name})")
        adapter.stage(ctx)
        ctx.flush()
        manifest = Manifest(
            file_id=file_id,
            path=str(path.resolve()),
            adapter=adapter.name,
            sha256=sha,
            size_bytes=path.stat().st_size,
            ingested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            options=options,
            unmask_version=unmask.__version__,
        )
        with store.write_batch(file_id) as batch:
            say("writing")
            store_con = store.connect(con)
            counts = _finalise(
                con,
                store_con,
                ctx,
                batch,
                detect_language=options.get("detect_language", True) is not False,
            )
            manifest.rows_read = ctx.rows_read
            manifest.rows_stored = counts.pop("rows_stored")
            manifest.rows_duplicate = counts.pop("rows_duplicate")
            manifest.rows_quarantined = counts.pop("rows_quarantined")
            manifest.entities = counts
            manifest.seconds = round(time.perf_counter() - started, 3)
            if not manifest.reconciles:
                raise ReconciliationError(
                    f"{path}: read {manifest.rows_read} records but stored "
                    f"{manifest.rows_stored} + duplicate {manifest.rows_duplicate} + "
                    f"quarantined {manifest.rows_quarantined}"
                )
            batch.manifest = manifest
        return IngestResult(manifest)
    finally:
        con.close()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND temporary", [name]
        ).fetchone()[0]
    )


def _columns_sql(sch) -> str:
    return ", ".join(f"{f.name} {schema.duckdb_type(f.type)}" for f in sch)


def _finalise(
    con: duckdb.DuckDBPyConnection,
    store_con: duckdb.DuckDBPyConnection,
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
            f"""INSERT INTO _bad SELECT _row, NULL, _field, _error, _raw
                FROM stage_{table} WHERE _error IS NOT NULL"""
        )
    # Required keys: a record without them cannot be stored anywhere.
    for table, required in schema.REQUIRED.items():
        missing = " OR ".join(f"{c} IS NULL OR CAST({c} AS VARCHAR) = ''" for c in required)
        which = " ".join(
            f"WHEN {c} IS NULL OR CAST({c} AS VARCHAR) = '' THEN '{c}'" for c in required
        )
        con.execute(
            f"""INSERT INTO _bad SELECT _row, NULL, CASE {which} END,
                   'required field ''' || CASE {which} END || ''' is empty', _raw
                FROM stage_{table} WHERE _error IS NULL AND ({missing})"""
        )
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
    if quarantined:
        con.execute(
            f"""COPY (SELECT ? AS source_file, ? AS path, _row AS row, line, field, reason, raw
                      FROM _bad_rows ORDER BY _row NULLS LAST)
                TO '{batch.part_path("quarantine")}' (FORMAT parquet, COMPRESSION zstd)""",
            [ctx.file_id, str(ctx.path)],
        )

    counts: dict[str, int] = {}
    con.execute("CREATE TEMP TABLE _new_rows (_row BIGINT)")
    for table in schema.TABLES:
        n_stage = con.execute(f"SELECT count(*) FROM stage_{table}").fetchone()[0]
        if n_stage == 0:
            counts[table] = 0
            continue
        counts[table] = _write_table(con, store_con, ctx, batch, table, detect_language)
    good = con.execute(
        """SELECT count(*) FROM (
               SELECT DISTINCT _row FROM (
                   SELECT _row FROM stage_activities UNION ALL SELECT _row FROM stage_accounts
                   UNION ALL SELECT _row FROM stage_follows
                   UNION ALL SELECT _row FROM stage_infrastructure)
               WHERE _row NOT IN (SELECT _row FROM _bad_rows WHERE _row IS NOT NULL))"""
    ).fetchone()[0]
    stored = con.execute("SELECT count(DISTINCT _row) FROM _new_rows").fetchone()[0]
    counts["rows_stored"] = stored
    counts["rows_duplicate"] = good - stored
    counts["rows_quarantined"] = quarantined
    counts["quarantine"] = quarantined
    return counts


def _write_table(con, store_con, ctx, batch, table, detect_language) -> int:
    keys = schema.KEYS[table]
    key_sql = ", ".join(keys)
    sch = schema.TABLES[table]
    good = (
        f"(SELECT * REPLACE (unmask_platform(platform) AS platform) FROM stage_{table} "
        "WHERE _row NOT IN (SELECT _row FROM _bad_rows WHERE _row IS NOT NULL))"
    )
    # Merge records of the same entity within the file: the first record's scalar fields,
    # the union of list fields (long exports give one row per URL or hashtag of a post).
    aggs = []
    for f in sch:
        if f.name in keys or f.name == "source_file":
            continue
        if f.name == "source_row":
            aggs.append("min(_row) AS source_row")
        elif pa_is_list(f.type):
            aggs.append(
                f"CASE WHEN count({f.name}) = 0 THEN NULL ELSE "
                f"list_distinct(flatten(list({f.name} ORDER BY _row) FILTER (WHERE {f.name} IS NOT NULL))) END AS {f.name}"
            )
        elif table == "accounts":
            # Account fields: the newest non-empty observation within this file.
            aggs.append(
                f"arg_max({f.name}, (coalesce(observed_at, TIMESTAMPTZ '1970-01-01'), _row)) "
                f"FILTER (WHERE {f.name} IS NOT NULL) AS {f.name}"
            )
        else:
            aggs.append(f"arg_min({f.name}, _row) FILTER (WHERE {f.name} IS NOT NULL) AS {f.name}")
    merged = f"SELECT {key_sql}, {', '.join(aggs)} FROM {good} GROUP BY {key_sql}"
    con.execute(f"CREATE OR REPLACE TEMP TABLE _merged AS {merged}")

    if table != "accounts":
        # Entities already in the store are not written again.
        existing = store_con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if existing:
            con.execute(
                f"""DELETE FROM _merged WHERE ({key_sql}) IN (
                        SELECT ({key_sql}) FROM {table})"""
            )
        # Records that gave a new entity (or a new observation of an account) are stored.
        con.execute(
            f"""INSERT INTO _new_rows SELECT DISTINCT s._row FROM {good} s
                SEMI JOIN _merged m USING ({key_sql})"""
        )
    else:
        # A record that only describes an account (an author list, a user object) is stored
        # when it gives an observation; a record that also carries an activity is counted
        # by its activity.
        con.execute(
            """INSERT INTO _new_rows SELECT DISTINCT s._row FROM stage_accounts s
               WHERE s._row NOT IN (SELECT _row FROM _bad_rows WHERE _row IS NOT NULL)
                 AND s._row NOT IN (SELECT _row FROM stage_activities)
                 AND s._row NOT IN (SELECT _row FROM stage_follows)
                 AND s._row NOT IN (SELECT _row FROM stage_infrastructure)"""
        )
    n = con.execute("SELECT count(*) FROM _merged").fetchone()[0]
    if n == 0:
        return 0
    select = _final_select(table, sch, detect_language)
    con.execute(
        f"COPY ({select}) TO '{batch.part_path(table)}' (FORMAT parquet, COMPRESSION zstd)",
        [ctx.file_id],
    )
    return n


def pa_is_list(t) -> bool:
    import pyarrow as pa

    return pa.types.is_list(t)


def _final_select(table: str, sch, detect_language: bool) -> str:
    cols = []
    for f in sch:
        name = f.name
        if name == "source_file":
            expr = "CAST(? AS VARCHAR)"
        elif name == "platform":
            expr = "platform"
        elif table == "activities" and name == "urls_original":
            expr = "coalesce(urls_original, urls, CASE WHEN text IS NOT NULL THEN unmask_text_urls(text) END)"
        elif table == "activities" and name == "urls":
            expr = (
                "list_transform(coalesce(urls_original, urls, CASE WHEN text IS NOT NULL "
                "THEN unmask_text_urls(text) END), lambda u: unmask_canonical_url(u))"
            )
        elif table == "activities" and name == "domains":
            expr = (
                "coalesce(unmask_clean_tags(domains), list_sort(list_distinct(list_filter("
                "list_transform(coalesce(urls_original, urls, CASE WHEN text IS NOT NULL THEN "
                "unmask_text_urls(text) END), lambda u: unmask_url_domain(unmask_canonical_url(u))),"
                " lambda d: d IS NOT NULL))))"
            )
        elif table == "activities" and name == "hashtags":
            expr = "coalesce(unmask_clean_tags(hashtags), CASE WHEN text IS NOT NULL THEN unmask_text_hashtags(text) END)"
        elif table == "activities" and name == "mentions":
            expr = "coalesce(unmask_clean_tags(mentions), CASE WHEN text IS NOT NULL THEN unmask_text_mentions(text) END)"
        elif name == "language" and table == "activities" and detect_language:
            expr = "coalesce(lower(language), CASE WHEN text IS NOT NULL THEN unmask_language(text) END)"
        elif name == "language":
            expr = "lower(language)"
        else:
            expr = name
        cols.append(f"CAST({expr} AS {schema.duckdb_type(f.type)}) AS {name}")
    return f"SELECT {', '.join(cols)} FROM _merged ORDER BY source_row"
