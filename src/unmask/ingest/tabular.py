"""Reading tabular exports (CSV, JSON lines, Parquet) into a DuckDB table, record by record.

Every field is read as text so that a bad value never stops the reader: the adapter decides
what a value means and says why when it cannot. Records the CSV parser itself cannot split
(too few or too many columns, broken quotes, invalid UTF-8) are collected with their line
and the parser's reason, and go to the quarantine.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb

from unmask.engine.sql import identifier, literal
from unmask.ingest.base import FormatMismatch, StageContext


def _read_csv_sql(path: Path, table: str, delimiter: str | None, encoding: str | None) -> str:
    """The ``read_csv`` call: every field as text, rejected records kept in a table."""
    opts = [
        "header = true",
        "all_varchar = true",
        "store_rejects = true",
        f"rejects_table = '{table}_rejects'",
        f"rejects_scan = '{table}_rejects_scan'",
        "null_padding = false",
        "strict_mode = true",
        "max_line_size = 16777216",
    ]
    # The dialect is fixed from the header line, not sniffed from the records: a sniffer
    # that guesses from odd records can split a whole file the wrong way.
    delimiter = delimiter or _header_delimiter(path)
    opts += [f"delim = {literal(delimiter)}", "quote = '\"'", "escape = '\"'"]
    if encoding:
        opts.append(f"encoding = {literal(encoding)}")
    return f"read_csv({literal(path)}, {', '.join(opts)})"


def load_csv(
    ctx: StageContext,
    table: str = "raw",
    *,
    path: Path | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> list[str]:
    """Read a CSV file with a header into ``table`` (all VARCHAR, plus ``_row``).

    Returns the column names. Adds the records the parser rejected to ``ctx.rejects`` and
    their count, with the accepted ones, to ``ctx.rows_read``.
    """
    con = ctx.con
    path = path or ctx.path
    source = _read_csv_sql(path, table, delimiter, encoding)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM {source}")
    except duckdb.Error as exc:
        # Only a file that is not CSV at all gets here; bad records are rejected one by one.
        raise FormatMismatch(path, "a CSV file with a header line", f"unreadable: {exc}") from exc
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(f"ALTER TABLE {table} ADD COLUMN _row BIGINT")
    con.execute(f"UPDATE {table} SET _row = rowid + 1")
    n_rejects = _take_rejects(ctx, table, path)
    if n_rejects:
        con.execute(f"UPDATE {table} SET _row = {_shifted(f'{table}._row')}")
    ctx.rows_read += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] + n_rejects
    return cols


def _take_rejects(ctx: StageContext, table: str, path: Path) -> int:
    """Quarantine the records the CSV reader rejected; returns how many there were.

    When there are any, ``_rejected_rows`` lists them for :func:`_shifted`.
    """
    con = ctx.con
    # Grouped by line: the reader reports a record once per error, and once per scan.
    rejects = con.execute(
        f"""SELECT line, min(line_byte_position) - 1,
                   arg_min(column_name, column_idx),
                   arg_min(error_type || ': ' || error_message, column_idx),
                   any_value(csv_line)
            FROM {table}_rejects GROUP BY line ORDER BY line"""
    ).fetchall()
    if not rejects:
        return 0
    # The reader numbers records, not physical lines (the header is 1), so a rejected
    # record's number is its "line" - 1.
    rejected_rows = [int(r[0]) - 1 for r in rejects]
    con.execute("CREATE OR REPLACE TEMP TABLE _rejected_rows (r BIGINT, i BIGINT)")
    con.executemany(
        "INSERT INTO _rejected_rows VALUES (?, ?)",
        [(r, i + 1) for i, r in enumerate(rejected_rows)],
    )
    lines = physical_lines(path, [int(r[1]) for r in rejects])
    for (_, _pos, col, reason, raw), row, line in zip(rejects, rejected_rows, lines, strict=True):
        ctx.reject(
            row,
            f"the CSV reader could not read this record: {reason}",
            line=line,
            field=col or None,
            raw=raw,
        )
    return len(rejects)


def _shifted(n: str) -> str:
    """The record number of the ``n``-th accepted record: it shifts past the rejected
    records before it (``_rejected_rows``)."""
    return f"{n} + (SELECT count(*) FROM _rejected_rows WHERE r - i < {n})"


class CsvStream:
    """A CSV file read as it is scanned, never loaded: the view ``name`` has the file's
    columns (all text) and ``_row``, the record number.

    The adapter stages from the view with :meth:`insert` (each scan reads the file again;
    a table staged from another stage table reads nothing), then calls :meth:`finish`,
    which quarantines the records the reader rejected and fixes the record numbers of the
    staged rows after them. Compared with :func:`load_csv` this saves writing the whole
    file into a table first, which for a large file means spilling it to disk.

    Each stage table gets one scan, which must keep every accepted record in the file's
    order (no WHERE, join or unnest): a record's number is its position in the table.
    DuckDB keeps a scan's order when it inserts (``preserve_insertion_order``; "Order
    Preservation" in its documentation), so the n-th row a scan adds is the n-th record the
    reader accepted, and the stage table is a view that numbers its rows by ``rowid``.
    Numbering in the scan (``row_number() OVER ()``) would run the whole scan on one thread;
    writing the numbers afterwards (``UPDATE``) would hold them in memory as an update.
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
        self.ctx, self.name, self.path = ctx, name, path or ctx.path
        self.source = _read_csv_sql(self.path, name, delimiter, encoding)
        con = ctx.con
        if not con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]:
            raise ValueError("CsvStream numbers records by insertion order: turn it on")
        try:
            self.columns = [
                r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {self.source}").fetchall()
            ]
        except duckdb.Error as exc:
            raise FormatMismatch(
                self.path, "a CSV file with a header line", f"unreadable: {exc}"
            ) from exc
        # The stage tables number the records (see the class docstring); the view's own
        # numbers are only needed to look a quarantined record up (:meth:`finish`).
        con.execute(
            f"CREATE OR REPLACE TEMP VIEW {name} AS "
            f"SELECT *, CAST(NULL AS BIGINT) AS _row FROM {self.source}"
        )
        self._staged: list[str] = []
        self._accepted = 0

    def insert(self, table: str, select: str, *, count: bool = False) -> None:
        """Stage ``select`` (which reads the view) into ``stage_<table>``.

        ``count``: this scan is the one whose rows are the file's accepted records.
        """
        con = self.ctx.con
        if table in self._staged:
            raise ValueError(f"stage_{table} is already staged from {self.path}: one scan each")
        rows = f"_csv_stage_{table}"
        try:
            con.execute(f"CREATE TEMP TABLE {rows} AS SELECT * EXCLUDE (_row) FROM ({select})")
        except duckdb.Error as exc:
            # A file that is not CSV at all fails here; anything else is a bug to show.
            try:
                con.execute(f"SELECT count(*) FROM {self.source}").fetchone()
            except duckdb.Error as read_exc:
                raise FormatMismatch(
                    self.path, "a CSV file with a header line", f"unreadable: {read_exc}"
                ) from read_exc
            raise exc
        self._staged.append(table)
        self.ctx.unique_rows.add(table)
        # Only the columns the scan fills take room (a large file's stage spills to disk);
        # the view gives the others, NULL, and every column the stage table's type.
        filled = {r[0] for r in con.execute(f"DESCRIBE {rows}").fetchall()}
        columns = [r[:2] for r in con.execute(f"DESCRIBE stage_{table}").fetchall()]
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

    def finish(self) -> None:
        con = self.ctx.con
        n_rejects = _take_rejects(self.ctx, self.name, self.path)
        if n_rejects:
            # Records after a rejected one shift past it: numbered once, into a table, not
            # on every read of the view.
            for table in self._staged:
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
                FROM (SELECT *, row_number() OVER () AS _n FROM {self.source})"""
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


def physical_lines(path: Path, byte_positions: list[int]) -> list[int]:
    """The 1-based line numbers of byte offsets of a (possibly gzipped) text file."""
    opener = gzip.open if path.suffix == ".gz" else open
    order = sorted(range(len(byte_positions)), key=lambda i: byte_positions[i])
    out = [0] * len(byte_positions)
    line, offset, k = 1, 0, 0
    with opener(path, "rb") as fh:
        while k < len(order):
            block = fh.read(1 << 20)
            while k < len(order) and (not block or byte_positions[order[k]] < offset + len(block)):
                pos = byte_positions[order[k]]
                out[order[k]] = line + block.count(b"\n", 0, max(0, pos - offset))
                k += 1
            if not block:
                break
            line += block.count(b"\n")
            offset += len(block)
    return out


def load_json_lines(ctx: StageContext, table: str = "raw", *, path: Path | None = None) -> None:
    """Read newline-delimited JSON into ``table`` with one ``_json`` column per record.

    A line that is not valid JSON is a rejected record, not a failed file.
    """
    con = ctx.con
    path = path or ctx.path
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table} AS
            SELECT line AS _text, row_number() OVER () AS _row
            FROM read_csv({literal(path)}, columns = {{'line': 'VARCHAR'}}, header = false,
                          delim = '\\0', quote = '', escape = '', auto_detect = false,
                          max_line_size = 134217728)"""
    )
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
