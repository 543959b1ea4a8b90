"""The activity store: Parquet files in the common schema under one directory.

Layout::

    STORE/
      store.json                   marks the directory as an unmask store
      batches/<file_id>/           one committed batch per ingested file (or simulation)
        manifest.json              what was ingested, from where, and the counts
        activities-00000.parquet   ... one or more parts per table
        quarantine-00000.parquet   records that could not be read, with the reason
      .staging/                    batches being written; never read
      keys.duckdb                  the key index: the keys of every committed batch's
                                   activities, follows and infrastructure, for deduplication
      paths/<digest>               a hint: the batch last ingested from this path and size

A batch is written under ``.staging`` and made visible by one atomic rename, so a crash or
Ctrl-C mid-file leaves the store as it was. The store is append-only: a later export adds a
batch and never rewrites earlier ones. Activities, follows and infrastructure records are
deduplicated on their keys when a batch is written; accounts keep one observation per batch
and are merged on read (the newest non-empty value of each field wins).

The key index and the path hints make the cost of ingesting a file flat however many
batches the store holds (before, each file read every manifest and opened every batch's
Parquet parts to find its duplicates: 0.23 s a file at first, 1.09 s after 400). Both are
caches of what the batches say: the index is brought up to date with the committed batches
under the writer lock before it is used (a batch it lacks is added, a batch it has that is
not committed is removed), and may be deleted at any time.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from unmask import schema
from unmask.engine.duckdb import connect
from unmask.engine.sql import identifier, literal, literals
from unmask.errors import InputError

STORE_FORMAT = "unmask-store"
STORE_VERSION = 1
ALL_TABLES = (*schema.TABLES, "quarantine")
# The tables deduplicated against the store on their keys (accounts keep one observation
# per batch), and the schema the key index is attached as.
KEYED_TABLES = tuple(t for t in schema.TABLES if t != "accounts")
KEY_INDEX = "keys"
# The store's views, made the same by every engine (``Store.connect`` for DuckDB,
# ``unmask.engine.spark``): each stored table under its name, the accounts' observations
# as ``account_observations``, and ``accounts`` merged from them (``derived_views``).
STORED_VIEWS: tuple[tuple[str, str], ...] = tuple(
    ("account_observations" if t == "accounts" else t, t) for t in ALL_TABLES
)
VIEWS = (*(view for view, _ in STORED_VIEWS), "accounts")


def table_schema(table: str) -> pa.Schema:
    """The schema of a stored table (``ALL_TABLES``)."""
    return schema.QUARANTINE if table == "quarantine" else schema.TABLES[table]


def derived_views() -> dict[str, str]:
    """The views made from other views, by name, as SQL in DuckDB's dialect."""
    return {"accounts": merged_accounts_sql()}


class StoreError(InputError):
    """The store directory is missing, foreign, or of an unknown version."""


class BatchExists(StoreError):
    """A batch of that id was committed, by another process, while this one was written."""

    def __init__(self, file_id: str) -> None:
        self.file_id = file_id
        super().__init__(f"batch {file_id} is already in the store")


@dataclass
class Manifest:
    """What one committed batch holds and where it came from."""

    file_id: str
    path: str
    adapter: str
    sha256: str | None = None
    size_bytes: int | None = None
    ingested_at: str | None = None
    rows_read: int = 0
    rows_stored: int = 0
    # Further records of an entity already read from the same file (a post spread over
    # several rows, one per link or image; a record repeated in the export).
    rows_merged: int = 0
    rows_duplicate: int = 0
    rows_quarantined: int = 0
    entities: dict[str, int] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None
    unmask_version: str | None = None

    @property
    def reconciles(self) -> bool:
        return self.rows_read == (
            self.rows_stored + self.rows_merged + self.rows_duplicate + self.rows_quarantined
        )

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Manifest:
        return cls(**{k: v for k, v in d.items() if k in cls.__dataclass_fields__})


class Store:
    """An activity store directory. ``Store(path, create=True)`` makes a new one."""

    def __init__(self, path: str | Path, *, create: bool = False) -> None:
        self.path = Path(path)
        marker = self.path / "store.json"
        if not marker.exists():
            if not create:
                raise StoreError(
                    f"{self.path} is not an unmask store (no store.json); "
                    "ingest into it first, e.g. `unmask ingest FILE --store "
                    f"{self.path}`"
                )
            if self.path.exists() and any(self.path.iterdir()):
                raise StoreError(f"{self.path} exists, is not empty and is not an unmask store")
            (self.path / "batches").mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps({"format": STORE_FORMAT, "version": STORE_VERSION}))
        meta = json.loads(marker.read_text())
        if meta.get("format") != STORE_FORMAT or meta.get("version") != STORE_VERSION:
            raise StoreError(f"{marker}: unknown store format {meta!r}")
        self.batches_dir = self.path / "batches"
        self.staging_dir = self.path / ".staging"
        self.temp_dir = self.path / ".tmp"

    # -- reading -------------------------------------------------------------------------

    def batch_ids(self) -> list[str]:
        if not self.batches_dir.exists():
            return []
        return sorted(p.name for p in self.batches_dir.iterdir() if (p / "manifest.json").exists())

    def fingerprint(self) -> str:
        """A digest of the committed batches' ids. The store is append-only and a batch is
        never rewritten, so the same batches are the same data: a run records this to tell
        later whether its store is still the one it read."""
        return hashlib.sha256("\n".join(self.batch_ids()).encode()).hexdigest()

    def has_batch(self, file_id: str) -> bool:
        return (self.batches_dir / file_id / "manifest.json").exists()

    def manifest(self, file_id: str) -> Manifest | None:
        """One batch's manifest (None when the store has no such batch)."""
        path = self.batches_dir / file_id / "manifest.json"
        if not path.exists():
            return None
        return Manifest.from_dict(json.loads(path.read_text()))

    def path_hint(self, path: str, size: int) -> str | None:
        """The batch last ingested from this path at this size, if any: a hint (the file
        may have changed since), read without going through every manifest."""
        hint = self._hint_path(path, size)
        return hint.read_text().strip() if hint.exists() else None

    def _hint_path(self, path: str, size: int) -> Path:
        digest = hashlib.sha256(f"{path}\0{size}".encode()).hexdigest()[:32]
        return self.path / "paths" / digest

    def manifests(self) -> list[Manifest]:
        out = [
            Manifest.from_dict(json.loads((self.batches_dir / b / "manifest.json").read_text()))
            for b in self.batch_ids()
        ]
        return sorted(out, key=lambda m: (m.ingested_at or "", m.file_id))

    def files(self, table: str) -> list[Path]:
        """The Parquet parts of one table, over all committed batches."""
        if table not in ALL_TABLES:
            raise KeyError(table)
        return [
            part
            for b in self.batch_ids()
            for part in sorted((self.batches_dir / b).glob(f"{table}-*.parquet"))
        ]

    def connect(self, con: duckdb.DuckDBPyConnection | None = None) -> duckdb.DuckDBPyConnection:
        """A DuckDB connection with one view per table: ``accounts`` (merged), ``activities``,
        ``follows``, ``infrastructure``, ``quarantine``, plus ``account_observations``."""
        con = con or connect(temp_directory=self.temp_dir)
        for view, table in STORED_VIEWS:
            con.execute(f"CREATE OR REPLACE VIEW {view} AS {self.scan_sql(table)}")
        for view, query in derived_views().items():
            con.execute(f"CREATE OR REPLACE VIEW {view} AS {query}")
        return con

    def scan_sql(self, table: str, sch: pa.Schema | None = None) -> str:
        sch = sch or table_schema(table)
        files = self.files(table)
        if not files:
            return schema.empty_select(sch)
        cols = ", ".join(f.name for f in sch)
        return f"SELECT {cols} FROM read_parquet([{literals(files)}], union_by_name = true)"

    # -- writing -------------------------------------------------------------------------

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive lock for writers; readers never block."""
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextlib.contextmanager
    def write_batch(self, file_id: str) -> Iterator[BatchWriter]:
        """Write one batch; it becomes visible only when the block exits without error."""
        with self.lock():
            if self.has_batch(file_id):
                raise BatchExists(file_id)
            self._clean_staging()
            staging = self.staging_dir / f"{file_id}.{os.getpid()}"
            staging.mkdir(parents=True)
            writer = BatchWriter(staging)
            try:
                yield writer
                writer.close()
                if writer.manifest is None:
                    raise StoreError("a batch must be given a manifest before it is committed")
                (staging / "manifest.json").write_text(
                    json.dumps(writer.manifest.to_dict(), indent=2, default=str)
                )
                _fsync_dir(staging)
                os.rename(staging, self.batches_dir / file_id)
                _fsync_dir(self.batches_dir)
                self._write_hint(writer.manifest)
            finally:
                writer.close()
                shutil.rmtree(staging, ignore_errors=True)

    def _write_hint(self, manifest: Manifest) -> None:
        if manifest.size_bytes is None:
            return
        hint = self._hint_path(manifest.path, manifest.size_bytes)
        hint.parent.mkdir(exist_ok=True)
        hint.write_text(manifest.file_id)

    @contextlib.contextmanager
    def key_index(self, con: duckdb.DuckDBPyConnection) -> Iterator[None]:
        """The key index attached to ``con`` as schema ``keys`` (``keys.activities``, …), up
        to date with the committed batches, for the length of the block. Use it under the
        writer lock (``write_batch``): one process at a time may write the index.

        The block works on a copy of the index, which replaces it when the block ends
        without error: a writer that fails leaves the index as it was. (The copy also keeps
        DuckDB away from the store's own path, where a '?' is read as the start of options.)
        """
        path = self.path / "keys.duckdb"
        with tempfile.TemporaryDirectory(prefix="unmask-keys-") as tmp:
            work = Path(tmp) / "keys.duckdb"
            if path.exists():
                shutil.copyfile(path, work)
            try:
                self._sync_keys(con, work)
            except duckdb.Error:
                # A damaged index is rebuilt from the batches: it holds nothing else.
                with contextlib.suppress(duckdb.Error):
                    con.execute(f"DETACH {KEY_INDEX}")
                work.unlink(missing_ok=True)
                self._sync_keys(con, work)
            try:
                yield
                con.execute(f"CHECKPOINT {KEY_INDEX}")
            finally:
                con.execute(f"DETACH {KEY_INDEX}")
            # The temporary folder may be on another file system: copied beside the index
            # first, so that the index is replaced by one rename.
            staged = path.with_name("keys.duckdb.new")
            shutil.copyfile(work, staged)
            os.replace(staged, path)

    def _sync_keys(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        con.execute(f"ATTACH {literal(path)} AS {KEY_INDEX}")
        for table in KEYED_TABLES:
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {KEY_INDEX}.{table} "
                f"({_key_columns_sql(table)}, batch VARCHAR)"
            )
        con.execute(f"CREATE TABLE IF NOT EXISTS {KEY_INDEX}.batches (file_id VARCHAR)")
        indexed = {r[0] for r in con.execute(f"SELECT file_id FROM {KEY_INDEX}.batches").fetchall()}
        present = set(self.batch_ids())
        # A batch indexed but not committed: a writer died between indexing and renaming,
        # or the batch was removed.
        for file_id in sorted(indexed - present):
            self.unindex_batch(con, file_id)
        for file_id in sorted(present - indexed):
            self.index_batch(con, file_id, self.batches_dir / file_id)

    def index_batch(self, con: duckdb.DuckDBPyConnection, file_id: str, directory: Path) -> None:
        """Add the keys of the parts in ``directory`` to the attached index, as batch
        ``file_id``. The batch is listed first, so that a writer that dies before the batch
        is committed leaves it to be removed by the next one."""
        con.execute(f"INSERT INTO {KEY_INDEX}.batches VALUES (?)", [file_id])
        for table in KEYED_TABLES:
            parts = sorted(directory.glob(f"{table}-*.parquet"))
            if parts:
                self.index_keys(
                    con, table, file_id, f"read_parquet([{literals(parts)}], union_by_name = true)"
                )

    @staticmethod
    def index_keys(con: duckdb.DuckDBPyConnection, table: str, file_id: str, source: str) -> None:
        """Add the keys of the rows of ``source`` (a table or a query) as batch ``file_id``."""
        keys = ", ".join(identifier(k) for k in schema.KEYS[table])
        con.execute(f"INSERT INTO {KEY_INDEX}.{table} SELECT {keys}, ? FROM {source}", [file_id])

    @staticmethod
    def unindex_batch(con: duckdb.DuckDBPyConnection, file_id: str) -> None:
        for table in KEYED_TABLES:
            con.execute(f"DELETE FROM {KEY_INDEX}.{table} WHERE batch = ?", [file_id])
        con.execute(f"DELETE FROM {KEY_INDEX}.batches WHERE file_id = ?", [file_id])

    def _clean_staging(self) -> None:
        # Called under the writer lock: whatever is left in staging is from a dead writer.
        if self.staging_dir.exists():
            shutil.rmtree(self.staging_dir, ignore_errors=True)

    def remove_batch(self, file_id: str) -> None:
        with self.lock():
            shutil.rmtree(self.batches_dir / file_id)


class BatchWriter:
    """Writes the Parquet parts of one batch into its staging directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.manifest: Manifest | None = None
        self._parts: dict[str, int] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def part_path(self, table: str) -> Path:
        """A fresh part file name for ``table`` (for writers such as DuckDB's COPY)."""
        n = self._parts.get(table, 0)
        self._parts[table] = n + 1
        return self.directory / f"{table}-{n:05d}.parquet"

    def write(self, table: str, data: pa.RecordBatch | pa.Table) -> None:
        """Append Arrow rows of the table's schema, streaming into one part file."""
        sch = table_schema(table)
        if table not in self._writers:
            self._writers[table] = pq.ParquetWriter(self.part_path(table), sch, compression="zstd")
        tbl = data if isinstance(data, pa.Table) else pa.Table.from_batches([data])
        self._writers[table].write_table(tbl.select(sch.names).cast(sch))

    def close(self) -> None:
        for w in self._writers.values():
            w.close()
        self._writers.clear()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _key_columns_sql(table: str) -> str:
    types = {f.name: f.type for f in schema.TABLES[table]}
    return ", ".join(f"{identifier(k)} {schema.duckdb_type(types[k])}" for k in schema.KEYS[table])


def merged_accounts_sql() -> str:
    fields = [f.name for f in schema.ACCOUNTS if f.name not in ("platform", "account_id")]
    # Newest observation wins field by field; an export that lacks a field does not erase
    # what an earlier one said.
    order = "coalesce(observed_at, TIMESTAMPTZ '1970-01-01'), source_file, source_row"
    aggs = ",\n  ".join(
        f"arg_max({f}, ({order})) FILTER (WHERE {f} IS NOT NULL) AS {f}"
        if f not in ("kind", "source_file", "source_row")
        else f"arg_max({f}, ({order})) AS {f}"
        for f in fields
    )
    return (
        f"SELECT platform, account_id,\n  {aggs}\n"
        "FROM account_observations GROUP BY platform, account_id"
    )


def summarise(store: Store) -> dict[str, Any]:
    """What is in a store: counts per platform and kind, time span, files and quarantine."""
    con = store.connect()
    try:

        def rows(sql: str) -> list[tuple]:
            return con.execute(sql).fetchall()

        per_platform: dict[str, dict[str, Any]] = {}
        for platform, n in rows("SELECT platform, count(*) FROM accounts GROUP BY 1"):
            per_platform.setdefault(platform, {})["accounts"] = n
        for platform, kind, n in rows(
            "SELECT platform, kind, count(*) FROM accounts GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            per_platform[platform].setdefault("account_kinds", {})[kind] = n
        for platform, n, first, last in rows(
            "SELECT platform, count(*), min(time), max(time) FROM activities GROUP BY 1"
        ):
            entry = per_platform.setdefault(platform, {})
            entry.update(activities=n, first=_iso(first), last=_iso(last))
        for platform, kind, n in rows(
            "SELECT platform, kind, count(*) FROM activities GROUP BY 1, 2 ORDER BY 1, 2"
        ):
            per_platform[platform].setdefault("activity_kinds", {})[kind] = n
        for table in ("follows", "infrastructure"):
            for platform, n in rows(f"SELECT platform, count(*) FROM {table} GROUP BY 1"):
                per_platform.setdefault(platform, {})[table] = n
        totals = {
            t: rows(f"SELECT count(*) FROM {t}")[0][0]
            for t in ("accounts", "activities", "follows", "infrastructure", "quarantine")
        }
        first, last = rows("SELECT min(time), max(time) FROM activities")[0]
        quarantine_reasons = [
            {"file": p, "field": f, "reason": r, "rows": n}
            for p, f, r, n in rows(
                """SELECT path, field, regexp_replace(reason, '''[^'']*'' as', '''…'' as'), count(*)
                   FROM quarantine GROUP BY ALL ORDER BY 4 DESC LIMIT 20"""
            )
        ]
    finally:
        con.close()
    manifests = store.manifests()
    return {
        "store": str(store.path),
        "totals": totals,
        "first": _iso(first),
        "last": _iso(last),
        "platforms": dict(sorted(per_platform.items())),
        "files": [m.to_dict() | {"reconciles": m.reconciles} for m in manifests],
        "quarantine_reasons": quarantine_reasons,
    }


def _iso(t: Any) -> str | None:
    return t.isoformat() if t is not None else None


def run_store(run: dict[str, Any], path: str | Path | None = None) -> Store:
    """The store a detect run read (``run`` is its run.json), or the one at ``path`` when
    it has moved. A StoreError names the path when it is not there, and when its batches
    are not those the run read (the run.json's ``store_fingerprint``)."""
    where = path or run.get("store")
    if not where:
        raise StoreError("the run does not say which store it read (no store in run.json)")
    try:
        store = Store(where)
    except StoreError as exc:
        raise StoreError(f"the run's store is not at {where}: {exc}") from exc
    expected = run.get("store_fingerprint")
    if expected is not None and store.fingerprint() != expected:
        raise StoreError(
            f"the store {where} has changed since the run (batches added or removed): "
            "it is not the data the run was made from"
        )
    return store
