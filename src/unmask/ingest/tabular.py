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

from unmask.ingest.base import FormatMismatch, StageContext


def _sql_str(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


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
    opts += [f"delim = {_sql_str(delimiter)}", "quote = '\"'", "escape = '\"'"]
    if encoding:
        opts.append(f"encoding = {_sql_str(encoding)}")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS "
            f"SELECT * FROM read_csv({_sql_str(path)}, {', '.join(opts)})"
        )
    except duckdb.Error as exc:
        # Only a file that is not CSV at all gets here; bad records are rejected one by one.
        raise FormatMismatch(path, "a CSV file with a header line", f"unreadable: {exc}") from exc
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
    con.execute(f"ALTER TABLE {table} ADD COLUMN _row BIGINT")
    con.execute(f"UPDATE {table} SET _row = rowid + 1")
    rejects = con.execute(
        f"""SELECT line, min(line_byte_position) - 1,
                   arg_min(column_name, column_idx),
                   arg_min(error_type || ': ' || error_message, column_idx),
                   any_value(csv_line)
            FROM {table}_rejects GROUP BY line ORDER BY line"""
    ).fetchall()
    if rejects:
        # The reader numbers records, not physical lines (the header is 1), so a rejected
        # record's number is its "line" - 1. Accepted records shift past the rejected ones
        # before them.
        rejected_rows = [int(r[0]) - 1 for r in rejects]
        con.execute("CREATE OR REPLACE TEMP TABLE _rejected_rows (r BIGINT, i BIGINT)")
        con.executemany(
            "INSERT INTO _rejected_rows VALUES (?, ?)",
            [(r, i + 1) for i, r in enumerate(rejected_rows)],
        )
        con.execute(
            f"""UPDATE {table} SET _row = _row + (
                    SELECT count(*) FROM _rejected_rows WHERE r - i < {table}._row)"""
        )
        lines = physical_lines(path, [int(r[1]) for r in rejects])
        for (_, _pos, col, reason, raw), row, line in zip(
            rejects, rejected_rows, lines, strict=True
        ):
            ctx.reject(
                row,
                f"the CSV reader could not read this record: {reason}",
                line=line,
                field=col or None,
                raw=raw,
            )
    ctx.rows_read += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0] + len(rejects)
    return cols


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
            FROM read_csv({_sql_str(path)}, columns = {{'line': 'VARCHAR'}}, header = false,
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
        f"row_number() OVER () AS _row FROM read_parquet({_sql_str(path)})"
    )
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "_row"]
    ctx.rows_read += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return cols
