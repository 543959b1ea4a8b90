"""Reading tabular exports (CSV, JSON lines, Parquet) into a DuckDB table, record by record.

Every field is read as text so that a bad value never stops the reader: the adapter decides
what a value means and says why when it cannot.

A CSV is read by DuckDB's reader, fast, as long as it reads the file without a complaint.
When it fails or rejects a record (broken quotes, another number of fields than the
header, invalid UTF-8, mixed line endings it cannot sniff), the file is read again by the
tolerant splitter of ``unmask.ingest.csv_records``: every record is judged on its own, the
bad ones go to the quarantine with their line and the reason, and the good ones, all of
them, are staged. The file itself decides what a record is, never a reader that gave up.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pyarrow as pa

from unmask.engine.sql import identifier, literal
from unmask.ingest.base import FormatMismatch, StageContext
from unmask.ingest.csv_records import (
    MAX_RECORD_CHARS,
    CsvRecords,
    CsvSyntaxError,
    duckdb_column_names,
)

_EXPECTED = "a CSV file with a header line"
_BATCH = 50_000


def _read_csv_sql(path: Path, delimiter: str, encoding: str | None, columns: list[str]) -> str:
    """The ``read_csv`` call: every field as text; any bad record is an error (the file is
    then read by the tolerant splitter).

    Nothing is sniffed: the dialect is fixed, and the columns are the header's as the
    splitter reads it. A sniffer guesses from odd records, and guesses can be silently
    wrong: it took the first record of a file for its header and the header for a preamble
    to skip, and a file that starts with ``#`` for comments."""
    names = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns)
    opts = [
        "header = true",
        "auto_detect = false",
        f"columns = {{{names}}}",
        "null_padding = false",
        "strict_mode = true",
        f"max_line_size = {MAX_RECORD_CHARS}",
        f"delim = {literal(delimiter)}",
        "quote = '\"'",
        "escape = '\"'",
    ]
    if encoding:
        opts.append(f"encoding = {literal(encoding)}")
    return f"read_csv({literal(path)}, {', '.join(opts)})"


class _CsvSource:
    """Where the records of one CSV file are read from: DuckDB's reader on the file, or,
    after :meth:`fall_back`, a table of the records the tolerant splitter found good (in
    file order), with the bad ones in the quarantine and in ``_rejected_rows``."""

    def __init__(
        self, ctx: StageContext, name: str, path: Path, delimiter: str | None, encoding: str | None
    ) -> None:
        self.ctx, self.name, self.path = ctx, name, path
        self.delimiter = delimiter or _header_delimiter(path)
        self.encoding = encoding
        self.columns = duckdb_column_names(self._records().close())
        self.sql = _read_csv_sql(path, self.delimiter, encoding, self.columns)
        self.tolerant = False
        self.rejected = 0

    def _records(self) -> CsvRecords:
        try:
            return CsvRecords(self.path, self.delimiter, self.encoding)
        except CsvSyntaxError as exc:
            raise FormatMismatch(self.path, _EXPECTED, str(exc)) from None
        except (OSError, EOFError, UnicodeError) as exc:
            raise FormatMismatch(self.path, _EXPECTED, f"unreadable: {exc}") from None

    def fall_back(self) -> None:
        """Read the file with the tolerant splitter."""
        con = self.ctx.con
        records = self._records()
        table = f"_csv_records_{self.name}"
        sch = pa.schema([pa.field(n, pa.string()) for n in self.columns])
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} ("
            + ", ".join(f"{identifier(n)} VARCHAR" for n in self.columns)
            + ")"
        )
        batch: list[list[str | None]] = []
        for _row, fields in records:
            batch.append(fields)
            if len(batch) >= _BATCH:
                _insert_rows(con, table, sch, batch)
        _insert_rows(con, table, sch, batch)
        for bad in records.bad:
            self.ctx.reject(
                bad.row,
                f"the CSV reader could not read this record: {bad.reason}",
                line=bad.line,
                field=bad.field,
                raw=bad.raw,
            )
        # The i-th rejected record is record r: the accepted records after it shift past it
        # (_shifted).
        con.execute("CREATE OR REPLACE TEMP TABLE _rejected_rows (r BIGINT, i BIGINT)")
        if records.bad:
            con.executemany(
                "INSERT INTO _rejected_rows VALUES (?, ?)",
                [(b.row, i + 1) for i, b in enumerate(records.bad)],
            )
        self.sql, self.tolerant, self.rejected = table, True, len(records.bad)


def _insert_rows(
    con: duckdb.DuckDBPyConnection, table: str, sch: pa.Schema, rows: list[list]
) -> None:
    if not rows:
        return
    columns = zip(*rows, strict=True)
    arrays = [pa.array(c, f.type) for c, f in zip(columns, sch, strict=True)]
    con.register("_csv_batch", pa.table(arrays, schema=sch))
    con.execute(f"INSERT INTO {table} SELECT * FROM _csv_batch")
    con.unregister("_csv_batch")
    rows.clear()


def load_csv(
    ctx: StageContext,
    table: str = "raw",
    *,
    path: Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> list[str]:
    """Read a CSV file with a header into ``table`` (all VARCHAR, plus ``_row``).

    Returns the column names. Adds the records that cannot be read to ``ctx.rejects`` and
    their count, with the accepted ones, to ``ctx.rows_read``.
    """
    con = ctx.con
    source = _CsvSource(ctx, table, path or ctx.path, delimiter, encoding)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {source.sql}")
    except duckdb.Error:
        source.fall_back()
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {source.sql}")
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(f"ALTER TABLE {table} ADD COLUMN _row BIGINT")
    con.execute(f"UPDATE {table} SET _row = rowid + 1")
    if source.rejected:
        con.execute(f"UPDATE {table} SET _row = {_shifted(f'{table}._row')}")
    ctx.rows_read += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] + source.rejected
    return cols


def _shifted(n: str) -> str:
    """The record number of the ``n``-th accepted record: it shifts past the rejected
    records before it (``_rejected_rows``)."""
    return f"{n} + (SELECT count(*) FROM _rejected_rows WHERE r - i < {n})"


class CsvStream:
    """A CSV file read as it is scanned, never loaded: the view ``name`` has the file's
    columns (all text) and ``_row``, the record number.

    The adapter stages from the view with :meth:`insert` (each scan reads the file again;
    a table staged from another stage table reads nothing), then calls :meth:`finish`,
    which fixes the record numbers of the staged rows after records that could not be read.
    Compared with :func:`load_csv` this saves writing the whole file into a table first,
    which for a large file means spilling it to disk.

    Each stage table gets one scan, which must keep every accepted record in the file's
    order (no WHERE, join or unnest): a record's number is its position in the table.
    DuckDB keeps a scan's order when it inserts (``preserve_insertion_order``; "Order
    Preservation" in its documentation), so the n-th row a scan adds is the n-th record the
    reader accepted, and the stage table is a view that numbers its rows by ``rowid``.
    Numbering in the scan (``row_number() OVER ()``) would run the whole scan on one thread;
    writing the numbers afterwards (``UPDATE``) would hold them in memory as an update.

    When DuckDB's reader fails on the file, every scan so far is thrown away and run again
    on the records of the tolerant splitter (:class:`_CsvSource`).
    """

    def __init__(
        self,
        ctx: StageContext,
        name: str = "raw",
        *,
        path: Path | None = None,
        delimiter: str | None = None,
        encoding: str | None = None,
    ) -> None:
        self.ctx, self.name = ctx, name
        con = ctx.con
        if not con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]:
            raise ValueError("CsvStream numbers records by insertion order: turn it on")
        self.source = _CsvSource(ctx, name, path or ctx.path, delimiter, encoding)
        self.columns = self.source.columns
        self._view()
        # Every scan, to be run again if the file has to be read by the tolerant splitter.
        self._inserts: list[tuple[str, str, bool]] = []
        self._stage_columns: dict[str, list[tuple[str, str]]] = {}
        self._accepted = 0

    def _view(self) -> None:
        # The stage tables number the records (see the class docstring); the view's own
        # numbers are only needed to look a quarantined record up (:meth:`finish`).
        self.ctx.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.name} AS "
            f"SELECT *, CAST(NULL AS BIGINT) AS _row FROM {self.source.sql}"
        )

    def insert(self, table: str, select: str, *, count: bool = False) -> None:
        """Stage ``select`` (which reads the view) into ``stage_<table>``.

        ``count``: this scan is the one whose rows are the file's accepted records.
        """
        if any(t == table for t, _, _ in self._inserts):
            raise ValueError(
                f"stage_{table} is already staged from {self.source.path}: one scan each"
            )
        self._inserts.append((table, select, count))
        if not self._stage(table, select, count):
            self._fall_back()

    def _stage(self, table: str, select: str, count: bool) -> bool:
        """Run one scan; False when DuckDB's reader failed on the file."""
        con = self.ctx.con
        rows = f"_csv_stage_{table}"
        try:
            con.execute(f"CREATE TEMP TABLE {rows} AS SELECT * EXCLUDE (_row) FROM ({select})")
        except duckdb.Error:
            # The file, or the statement? Read by the splitter, the file cannot fail again:
            # a statement that does is raised from there.
            if self.source.tolerant:
                raise
            return False
        self.ctx.unique_rows.add(table)
        # Only the columns the scan fills take room (a large file's stage spills to disk);
        # the view gives the others, NULL, and every column the stage table's type.
        filled = {r[0] for r in con.execute(f"DESCRIBE {rows}").fetchall()}
        if table not in self._stage_columns:
            self._stage_columns[table] = [
                (r[0], r[1]) for r in con.execute(f"DESCRIBE stage_{table}").fetchall()
            ]
        columns = self._stage_columns[table]
        unknown = filled - {name for name, _ in columns}
        if unknown:
            raise ValueError(f"stage_{table} has no column {', '.join(sorted(unknown))}")
        cols = ", ".join(
            f"CAST({identifier(name) if name in filled else 'NULL'} AS {type_}) AS {identifier(name)}"
            for name, type_ in columns
            if name != "_row"
        )
        con.execute(f"DROP TABLE stage_{table}")
        con.execute(
            f"CREATE TEMP VIEW stage_{table} AS SELECT {cols}, rowid + 1 AS _row FROM {rows}"
        )
        if count:
            self._accepted = con.execute(f"SELECT count(*) FROM {rows}").fetchone()[0]
        return True

    def _fall_back(self) -> None:
        """Throw the scans away and run them again on the tolerant splitter's records."""
        con = self.ctx.con
        for table, _, _ in self._inserts:
            if con.execute(
                "SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name = ?",
                [f"stage_{table}"],
            ).fetchone()[0]:
                con.execute(f"DROP VIEW stage_{table}")
                con.execute(f"DROP TABLE _csv_stage_{table}")
                columns = ", ".join(f"{identifier(n)} {t}" for n, t in self._stage_columns[table])
                con.execute(f"CREATE TEMP TABLE stage_{table} ({columns})")
        self.source.fall_back()
        self._view()
        for table, select, count in self._inserts:
            self._stage(table, select, count)

    def finish(self) -> None:
        con = self.ctx.con
        n_rejects = self.source.rejected
        if n_rejects:
            # Records after a rejected one shift past it: numbered once, into a table, not
            # on every read of the view.
            for table, _, _ in self._inserts:
                numbered = f"_csv_numbered_{table}"
                con.execute(
                    f"""CREATE TEMP TABLE {numbered} AS SELECT * REPLACE
                        ({_shifted(f"stage_{table}._row")} AS _row) FROM stage_{table}"""
                )
                con.execute(f"DROP VIEW stage_{table}")
                con.execute(f"DROP TABLE _csv_stage_{table}")
                con.execute(f"CREATE TEMP VIEW stage_{table} AS SELECT * FROM {numbered}")
        # The view numbered too: the pipeline looks quarantined records up in it by number
        # (rarely, so the window over the file is paid only then).
        shifted = _shifted("_n") if n_rejects else "_n"
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {self.name} AS
                SELECT * EXCLUDE (_n), {shifted} AS _row
                FROM (SELECT *, row_number() OVER () AS _n FROM {self.source.sql})"""
        )
        self.ctx.rows_read += self._accepted + n_rejects


def _header_delimiter(path: Path) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            first = fh.readline(1 << 20).decode("utf-8", errors="replace")
    except (OSError, EOFError):
        return ","
    counts = {d: first.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def lines_by_number(path: Path, rows: set[int]) -> dict[int, str]:
    """The text of the lines of these numbers (1-based) in a possibly gzipped file, for
    records quarantined after their text was let go."""
    opener = gzip.open if path.suffix == ".gz" else open
    out: dict[int, str] = {}
    last = max(rows, default=0)
    with opener(path, "rb") as fh:
        for n, text in enumerate(fh, 1):
            if n in rows:
                out[n] = text.decode("utf-8", errors="backslashreplace").rstrip("\r\n")
            if n >= last:
                break
    return out


# The longest JSON line read; a longer one is quarantined.
MAX_JSON_LINE = 128 * 1024 * 1024


def load_json_lines(ctx: StageContext, table: str = "raw", *, path: Path | None = None) -> None:
    """Read newline-delimited JSON into ``table`` with one ``_json`` column per record.

    A line that is not valid JSON is a rejected record, not a failed file; so is one that
    is not valid UTF-8, or longer than :data:`MAX_JSON_LINE` (DuckDB's reader refuses the
    whole file for either: it is then read line by line in Python).
    """
    con = ctx.con
    path = path or ctx.path
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT line AS _text, row_number() OVER () AS _row
                FROM read_csv({literal(path)}, columns = {{'line': 'VARCHAR'}}, header = false,
                              delim = '\\0', quote = '', escape = '', auto_detect = false,
                              max_line_size = {MAX_JSON_LINE})"""
        )
    except duckdb.Error:
        _json_lines_in_python(ctx, table, path)
    con.execute(f"DELETE FROM {table} WHERE _text IS NULL OR trim(_text) = ''")
    bad = con.execute(
        f"SELECT _row, _text FROM {table} WHERE NOT coalesce(json_valid(_text), false)"
    ).fetchall()
    for row, text in bad:
        ctx.reject(row, "this line is not valid JSON", line=row, raw=text)
    con.execute(f"DELETE FROM {table} WHERE NOT coalesce(json_valid(_text), false)")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT _text::JSON AS _json, _row FROM {table}"
    )
    ctx.rows_read += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] + len(bad)


def _json_lines_in_python(ctx: StageContext, table: str, path: Path) -> None:
    """The lines of ``path`` into ``table`` (``_text``, ``_row``: its line), those that are
    not UTF-8 or too long into the quarantine."""
    con = ctx.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} (_text VARCHAR, _row BIGINT)")
    sch = pa.schema([pa.field("_text", pa.string()), pa.field("_row", pa.int64())])
    opener = gzip.open if path.suffix == ".gz" else open
    batch: list[list] = []
    with opener(path, "rb") as fh:
        for n, raw in enumerate(fh, 1):
            line = raw.rstrip(b"\r\n")
            try:
                if len(line) > MAX_JSON_LINE:
                    raise ValueError(f"longer than {MAX_JSON_LINE:,} bytes")
                batch.append([line.decode("utf-8"), n])
            except (UnicodeDecodeError, ValueError) as exc:
                ctx.rows_read += 1
                shown = line.decode("utf-8", errors="backslashreplace")
                ctx.reject(n, f"line {n} cannot be read: {exc}", line=n, raw=shown)
            if len(batch) >= _BATCH:
                _insert_rows(con, table, sch, batch)
    _insert_rows(con, table, sch, batch)


def load_parquet(ctx: StageContext, table: str = "raw", *, path: Path | None = None) -> list[str]:
    con = ctx.con
    path = path or ctx.path
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT *, "
        f"row_number() OVER () AS _row FROM read_parquet({literal(path)})"
    )
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "_row"]
    ctx.rows_read += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return cols
