"""CSV files with broken records: every record is counted as a record of the file itself,
a broken one is quarantined alone (its line, a reason, its whole text), and what follows
it is read and stored. DuckDB's reader gives up on such files; the tolerant splitter
(``unmask.ingest.csv_records``) reads them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.csv_records import MAX_RECORD_CHARS, CsvRecords
from unmask.store import Store

HEADER = b"platform,activity_id,account_id,time,text"


def record(i: int, text: str = "") -> bytes:
    return f"x,{i},u{i % 50},2021-01-01T00:00:00Z,{text or f'post {i}'}".encode()


def ingest(tmp_path: Path, data: bytes, name: str = "f.csv"):
    path = tmp_path / name
    path.write_bytes(data)
    store = Store(tmp_path / "store", create=True)
    m = ingest_file(store, path, options={"detect_language": False}).manifest
    con = store.connect()
    try:
        q = con.execute("SELECT row, line, field, reason, raw FROM quarantine ORDER BY row")
        quarantine = q.fetchall()
        ids = [r[0] for r in con.execute("SELECT activity_id FROM activities").fetchall()]
    finally:
        con.close()
    return m, quarantine, sorted(ids, key=int)


def test_an_unclosed_quote_breaks_only_its_own_line(tmp_path):
    # Records after the sniffed sample, one of which opens a quote it never closes: the
    # 30,000 records after it used to become one quarantined record, cut at 10,000
    # characters, while the counts "reconciled".
    n, bad = 60_001, 30_000
    lines = [HEADER] + [record(i, '"broken quote' if i == bad else "") for i in range(1, n + 1)]
    m, q, ids = ingest(tmp_path, b"\n".join(lines) + b"\n")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (n, n - 1, 1)
    assert m.reconciles
    ((row, line, field, reason, raw),) = q
    assert (row, line, field) == (bad, bad + 1, "text")
    assert "not closed before the end of the file" in reason and "only this line" in reason
    assert raw == record(bad, '"broken quote').decode()
    assert ids == [str(i) for i in range(1, n + 1) if i != bad]


def test_an_unclosed_quote_in_the_sniffed_sample(tmp_path):
    lines = [HEADER, record(1), record(2, '"never closed'), record(3), record(4)]
    m, q, ids = ingest(tmp_path, b"\n".join(lines) + b"\n")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (4, 3, 1)
    assert [(r[0], r[1], r[2]) for r in q] == [(2, 3, "text")]
    assert ids == ["1", "3", "4"]


def test_text_after_a_closing_quote_over_several_lines(tmp_path):
    # The quote opened on line 3 "closes" on line 5, where text follows it: only line 3 is
    # broken; lines 4 and 5 are records of their own (and line 5 is broken itself).
    lines = [HEADER, record(1), record(2, '"opens'), record(3), record(4, '"x"y'), record(5)]
    m, q, ids = ingest(tmp_path, b"\n".join(lines) + b"\n")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (5, 3, 2)
    assert [(r[0], r[1], r[2]) for r in q] == [(2, 3, "text"), (4, 5, "text")]
    assert "closing quote on line 5" in q[0][3] and "only this line" in q[0][3]
    assert "text after its closing quote (" in q[1][3]
    assert ids == ["1", "3", "5"]


def test_mixed_line_endings_and_a_lone_carriage_return(tmp_path):
    rows = [record(i) for i in range(1, 9)]
    data = (
        HEADER
        + b"\r\n"
        + b"\r\n".join(rows[:4])
        + b"\r\n"
        + b"\n".join(rows[4:7])
        + b"\n"
        + record(8, "one\rtwo")
        + b"\n"
    )
    m, _q, ids = ingest(tmp_path, data)
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (8, 8, 0)
    assert ids == [str(i) for i in range(1, 9)]
    store = Store(tmp_path / "store")
    con = store.connect()
    texts = dict(con.execute("SELECT activity_id, text FROM activities").fetchall())
    con.close()
    assert texts["8"] == "one\rtwo" and texts["4"] == "post 4"  # no CR left from CRLF


def test_a_field_over_the_limit_in_the_sniffed_sample(tmp_path):
    huge = "a" * (MAX_RECORD_CHARS + 10)
    lines = [HEADER, record(1), record(2, huge), record(3)]
    m, q, ids = ingest(tmp_path, b"\n".join(lines) + b"\n")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (3, 2, 1)
    ((row, line, field, reason, raw),) = q
    assert (row, line, field) == (2, 3, "text") and "more than" in reason
    assert raw == record(2, huge).decode()  # kept whole
    assert ids == ["1", "3"]


def test_wrong_field_counts_and_invalid_utf8(tmp_path):
    lines = [HEADER, record(1), b"x,2,u2", b"x,3,u3,2021-01-01T00:00:00Z,caf\xe9"]
    lines.append(b'x,4,u4,2021-01-01T00:00:00Z,"two\nlines",extra')
    lines.append(record(5))
    m, q, ids = ingest(tmp_path, b"\n".join(lines) + b"\n")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (5, 2, 3)
    got = {r[0]: r for r in q}
    assert got[2][1] == 3 and "3 fields where the header has 5" in got[2][3]
    assert got[3][2] == "text" and "not valid" in got[3][3] and got[3][4].endswith("caf\\xe9")
    # A record whose quotes hold is one record, over both its lines.
    assert got[4][1] == 5 and got[4][4] == 'x,4,u4,2021-01-01T00:00:00Z,"two\nlines",extra'
    assert ids == ["1", "5"]


def test_an_unreadable_header_is_a_clear_format_mismatch(tmp_path):
    path = tmp_path / "h.csv"
    path.write_bytes(b'platform,"activity_id\nx,1\n')
    with pytest.raises(FormatMismatch) as err:
        ingest_file(Store(tmp_path / "s", create=True), path, format="generic")
    message = str(err.value)
    assert "header" in message and "not closed" in message
    assert "Possible fixes" not in message and len(message.splitlines()) == 1


def test_load_csv_adapters_fall_back_too(tmp_path):
    # coortweet reads with load_csv rather than CsvStream.
    lines = [b"object_id,account_id,content_id,timestamp_share"]
    lines += [f"o{i},a{i},c{i},1609500000".encode() for i in range(1, 6)]
    lines[2] = b'o2,"a2,c2,1609500000'
    path = tmp_path / "shares.csv"
    path.write_bytes(b"\r\n".join(lines[:3]) + b"\n" + b"\n".join(lines[3:]) + b"\n")
    store = Store(tmp_path / "store", create=True)
    m = ingest_file(store, path, format="coortweet").manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (5, 4, 1)
    con = store.connect()
    assert con.execute("SELECT row, line FROM quarantine").fetchall() == [(2, 3)]
    got = con.execute("SELECT activity_id, source_row FROM activities ORDER BY 2").fetchall()
    assert got == [("c1", 1), ("c3", 3), ("c4", 4), ("c5", 5)]


def test_a_later_scan_that_fails_runs_every_scan_again(tmp_path):
    # toolkit_csv stages activities and accounts in two scans; only the second reads the
    # username, whose bytes are not UTF-8: DuckDB's reader fails there, after the first
    # scan, and both are staged again from the splitter's records.
    path = tmp_path / "messages.csv"
    path.write_bytes(
        b"message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"
        b"1,a,A,,,hi,1609500000,\n2,b,B\xff,,,hi,1609500000,\n3,c,C,,,hi,1609500000,\n"
    )
    store = Store(tmp_path / "store", create=True)
    m = ingest_file(store, path, format="toolkit_csv").manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (3, 2, 1) and m.reconciles
    con = store.connect()
    assert con.execute("SELECT row, line, field FROM quarantine").fetchall() == [(2, 3, "username")]
    assert con.execute("SELECT account_id, handle FROM accounts ORDER BY 1").fetchall() == [
        ("a", "A"),
        ("c", "C"),
    ]
    rows = con.execute("SELECT activity_id, source_row FROM activities ORDER BY 2").fetchall()
    assert rows == [("1", 1), ("3", 3)]


# -- the splitter against DuckDB on files both read ------------------------------------

_CELL = st.text(alphabet=st.sampled_from(list('ab ,"\n\r\t;é')), max_size=8)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(_CELL, min_size=3, max_size=3), max_size=8))
@example(rows=[["\r", "", ""]])  # a lone CR, once written unquoted
def test_splitter_reads_what_duckdb_reads(tmp_path_factory, rows):
    """On every well-formed file DuckDB reads without complaint, the splitter gives the same
    records, so that the fallback never changes what a good record means."""
    import csv
    import io

    import duckdb

    from unmask.ingest.tabular import _read_csv_sql

    buf = io.StringIO()
    # CRLF as the line end makes the writer quote every field with a CR or LF, as RFC 4180
    # asks (with "\n" alone it leaves a lone CR unquoted, which DuckDB reads as a line
    # break and the splitter, by design, as data).
    w = csv.writer(buf, lineterminator="\r\n")
    abc = ["a", "b", "c"]
    w.writerow(abc)
    w.writerows(rows)
    path = tmp_path_factory.mktemp("s") / "s.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        theirs = duckdb.connect().execute(f"SELECT * FROM {_read_csv_sql(path, ',', None, abc)}")
        theirs = [list(r) for r in theirs.fetchall()]
    except duckdb.Error:
        return
    records = CsvRecords(path, ",")
    ours = [fields for _, fields in records]
    assert records.bad == []
    assert ours == theirs
