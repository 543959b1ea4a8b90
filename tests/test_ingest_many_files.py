"""Ingesting one file more costs the same however many batches the store holds (issue #19):
the file is checked against the store's key index, never against every batch's Parquet
parts or every manifest. ``benchmarks/ingest_many_files.py`` measures the cost per file."""

from __future__ import annotations

from pathlib import Path

from unmask.ingest import ingest_file
from unmask.store import Store

HEADER = "object_id,account_id,content_id,timestamp_share\n"


def _shares(path: Path, rows: list[tuple[str, str, str, int]]) -> Path:
    path.write_text(HEADER + "".join(f"{o},{a},{c},{t}\n" for o, a, c, t in rows))
    return path


def _files(tmp_path: Path) -> list[Path]:
    return [
        _shares(
            tmp_path / "a.csv", [("o1", "a1", "c1", 1623880000), ("o2", "a1", "c2", 1623880060)]
        ),
        _shares(tmp_path / "b.csv", [("o1", "b1", "c3", 1623880010)]),
        # c1 again (the same retweet in a second export) and one new record
        _shares(
            tmp_path / "c.csv", [("o1", "a1", "c1", 1623880000), ("o3", "c9", "c4", 1623880100)]
        ),
    ]


def test_a_file_is_checked_against_the_key_index_not_the_batches(tmp_path):
    """The earlier batches' parts are made unreadable after they are committed: the next
    file still finds its duplicate among them, from the index. Before, every file opened
    every batch's parts (and read every manifest): 0.23 s a file at first, 1.09 s after 400
    files, and this ingest failed on the first damaged part."""
    store = Store(tmp_path / "store", create=True)
    a, b, c = _files(tmp_path)
    for path in (a, b):
        assert (
            ingest_file(store, path, format="coortweet").manifest.rows_stored
            == path.read_text().count("\n") - 1
        )
    for part in store.batches_dir.glob("*/*.parquet"):
        part.write_bytes(b"not parquet")
    m = ingest_file(store, c, format="coortweet").manifest
    assert (m.rows_read, m.rows_stored, m.rows_duplicate) == (2, 1, 1)
    assert m.reconciles


def test_the_index_follows_the_batches_it_caches(tmp_path):
    """A removed batch leaves the index at the next ingest (its records are new again), and
    a lost index is rebuilt from the batches (their records are still duplicates)."""
    store = Store(tmp_path / "store", create=True)
    a, b, c = _files(tmp_path)
    first = ingest_file(store, a, format="coortweet").manifest
    ingest_file(store, b, format="coortweet")
    store.remove_batch(first.file_id)
    m = ingest_file(store, c, format="coortweet").manifest
    assert (m.rows_stored, m.rows_duplicate) == (2, 0)
    (store.path / "keys.duckdb").unlink()
    again = ingest_file(store, a, format="coortweet").manifest
    assert (again.rows_read, again.rows_stored, again.rows_duplicate) == (2, 1, 1)
    con = store.connect()
    assert con.execute(
        "SELECT count(*), count(DISTINCT activity_id) FROM activities"
    ).fetchone() == (4, 4)
