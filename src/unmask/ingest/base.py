"""The adapter interface: one small contract that every source format follows.

An adapter turns one export file into *stage tables* inside a DuckDB connection. Stage tables
have the columns of the common schema (without provenance) plus four of their own:

``_row``    the record's number in the source file (1-based), so every stored row can be
            traced back to the export;
``_error``  why the record cannot be read (NULL when it can); the whole record then goes to
            the quarantine, none of it is stored;
``_field``  the field the error is about;
``_raw``    the record as it was (JSON), filled for records with an error (adapters that read
            into a table named ``raw`` need not: the pipeline takes it from there);
``_line``   optional: the record's line in the file, when it is not the record number.

Activities have one more, optional, column: ``_tx_urls``, the links in ``text`` as
:data:`TEXT_URLS` finds them. An adapter that stages with SQL can fill it in the same scan
(:func:`with_text_urls`) so that the pipeline does not run the pattern over the texts again;
left NULL, the pipeline finds the links itself.

The ingest pipeline (``unmask.ingest.pipeline``) does everything else the same way for every
format: canonical URLs, hashtags and mentions from text, language detection, deduplication,
quarantine, reconciliation of the counts and the atomic write into the store.

Adapters that read with DuckDB (CSV, JSON, Parquet) insert into the stage tables with SQL;
adapters that parse in Python call :meth:`StageContext.add_rows`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa

from unmask import schema
from unmask.errors import InputError

STAGE_EXTRA = [
    pa.field("_row", pa.int64()),
    pa.field("_error", pa.string()),
    pa.field("_field", pa.string()),
    pa.field("_raw", pa.string()),
    pa.field("_line", pa.int64()),
]


# The times a record may hold: from EARLIEST_TIME to LATEST_AHEAD after the ingest. A time
# outside is a misreading (a microsecond epoch read as milliseconds lands in the year 55840)
# or a placeholder (0001-01-01, 9999-12-31, infinity); stored, it would derail every signal
# that measures time over the whole store. Such records are quarantined (docs/formats.md,
# "Broken input").
EARLIEST_TIME = datetime(2000, 1, 1, tzinfo=UTC)
LATEST_AHEAD = timedelta(days=366)


def time_window(earliest: datetime = EARLIEST_TIME) -> tuple[datetime, datetime]:
    """The plausible times, as of now."""
    return earliest, datetime.now(UTC) + LATEST_AHEAD


def stage_schema(table: str) -> pa.Schema:
    base = [f for f in schema.TABLES[table] if f.name not in ("source_file", "source_row")]
    extra = [pa.field("_tx_urls", schema.STRINGS)] if table == "activities" else []
    return pa.schema(base + STAGE_EXTRA + extra)


# The links written in a text ([] when there are none, NULL without text). Only texts that
# hold "://" can have one, and most do not: the pattern runs only on those.
TEXT_URLS = (
    "CASE WHEN {text} IS NULL THEN NULL WHEN contains({text}, '://') "
    "THEN unmask_text_urls({text}) ELSE [] END"
)


def with_text_urls(select: str, columns: Iterable[str]) -> str:
    """An activities stage SELECT (with these ``columns``) with ``_tx_urls`` added, for
    records whose export gives no links of their own: only theirs come from the text."""
    columns = set(columns)
    if "text" not in columns:
        return select
    found = TEXT_URLS.format(text="_s.text")
    own = [f"_s.{c} IS NULL" for c in ("urls_original", "urls") if c in columns]
    if own:
        found = f"CASE WHEN {' AND '.join(own)} THEN {found} END"
    return f"SELECT _s.*, {found} AS _tx_urls FROM ({select}) _s"


class FormatMismatch(InputError):
    """The file is not of the format it was declared (or detected) to be."""

    def __init__(self, path: Path | str, expected: str, found: str) -> None:
        self.path, self.expected, self.found = str(path), expected, found
        super().__init__(f"{path}: expected {expected}; found {found}")


@dataclass
class StageContext:
    """What an adapter gets besides the file: its options and ways to report records."""

    con: duckdb.DuckDBPyConnection
    path: Path
    file_id: str
    options: dict[str, Any] = field(default_factory=dict)
    rows_read: int = 0
    # Records the reader itself could not parse (no fields to stage): (row, line, field,
    # reason, raw).
    rejects: list[tuple[int | None, int | None, str | None, str, str | None]] = field(
        default_factory=list
    )
    progress: Any = None
    # Set by an adapter whose every activity went through :func:`with_text_urls`.
    text_urls_staged: bool = False
    # Stage tables defined as a view of another relation (:meth:`stage_view`): table -> source.
    stage_views: dict[str, str] = field(default_factory=dict)
    # Stage tables in which no two rows share a record number (``_row``): set by readers
    # that stage one row per record (``unmask.ingest.tabular.CsvStream``), so that records
    # are counted without a DISTINCT.
    unique_rows: set[str] = field(default_factory=set)
    # Set by an adapter that stages every platform through ``unmask_platform`` already, so
    # that the pipeline need not apply it again on every read of the stage.
    platforms_canonical: bool = False
    # The earliest plausible time (:data:`EARLIEST_TIME`); a format whose times may count
    # from another origin sets its own.
    earliest_time: datetime = EARLIEST_TIME
    # The text of records by number, for records the pipeline itself quarantines (a time out
    # of the window, say) when the stage kept no ``_raw`` and there is no ``raw`` table:
    # set by adapters that can find a record in the file again.
    raw_records: Callable[[set[int]], dict[int, str]] | None = None
    _buffers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add_row(self, table: str, row: Mapping[str, Any]) -> None:
        buf = self._buffers.setdefault(table, [])
        buf.append(dict(row))
        if len(buf) >= 50_000:
            self.flush(table)

    def add_rows(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        for r in rows:
            self.add_row(table, r)

    def flush(self, table: str | None = None) -> None:
        for t in [table] if table else list(self._buffers):
            rows = self._buffers.get(t)
            if not rows:
                continue
            sch = stage_schema(t)
            batch = pa.Table.from_pylist(
                [{k: r.get(k) for k in sch.names} for r in rows], schema=sch
            )
            self.con.register("_unmask_stage_batch", batch)
            self.con.execute(f"INSERT INTO stage_{t} BY NAME SELECT * FROM _unmask_stage_batch")
            self.con.unregister("_unmask_stage_batch")
            rows.clear()

    def stage_view(self, table: str, columns: Mapping[str, str], source: str) -> None:
        """Stage ``table`` as a view of ``source`` rather than a copy, when its rows are a
        projection of another stage table (the authors of staged activities, say).
        ``columns`` maps stage columns to SQL expressions; the others are NULL."""
        cols = ", ".join(
            f"{columns[f.name]} AS {f.name}"
            if f.name in columns
            else f"CAST(NULL AS {schema.duckdb_type(f.type)}) AS {f.name}"
            for f in stage_schema(table)
        )
        self.con.execute(f"DROP TABLE stage_{table}")
        self.stage_views[table] = source
        self.con.execute(f"CREATE TEMP VIEW stage_{table} AS SELECT {cols} FROM {source}")

    def reject(
        self,
        row: int | None,
        reason: str,
        *,
        line: int | None = None,
        field: str | None = None,
        raw: Any = None,
    ) -> None:
        raw_text = raw if isinstance(raw, str) or raw is None else json.dumps(raw, default=str)
        self.rejects.append((row, line, field, reason, raw_text))

    def option(self, name: str, default: Any = None) -> Any:
        value = self.options.get(name)
        return default if value is None else value


class Adapter:
    """Base class of source formats. Subclasses set ``name`` and ``description`` and
    implement :meth:`stage`; :meth:`sniff` lets ``ingest`` recognise a file by itself."""

    name: ClassVar[str]
    description: ClassVar[str]
    # Where the format is documented, for users and for the tests that check it.
    reference: ClassVar[str] = ""

    def sniff(self, path: Path, head: str) -> bool:
        """True when the file's first bytes (decoded) say it is of this format."""
        return False

    def stage(self, ctx: StageContext) -> None:
        raise NotImplementedError


def csv_header(head: str) -> list[str]:
    """The column names on the first line of a CSV text (quotes removed)."""
    import csv
    import io

    first = head.splitlines()[0] if head else ""
    try:
        return [c.strip() for c in next(csv.reader(io.StringIO(first)))]
    except StopIteration:
        return []


def require_columns(path: Path, found: Iterable[str], required: Iterable[str], what: str) -> None:
    found_set = set(found)
    missing = [c for c in required if c not in found_set]
    if missing:
        raise FormatMismatch(
            path,
            f"{what} with columns {', '.join(required)}",
            f"columns {', '.join(sorted(found_set)) or '(none)'}; missing {', '.join(missing)}",
        )
