"""The generic adapter: any table with a column mapping; bad input never loses a record."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.store import Store

MAP = "activity_id=id,account_id=user,time=created,text=msg,platform=net,urls=links"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(store: Store, sql: str) -> list[tuple]:
    con = store.connect()
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_mapping_normalises_and_quarantines_with_row_and_field(store, tmp_path):
    path = write(
        tmp_path / "posts.csv",
        "id,user,created,msg,net,links\n"
        "1,alice,2021-01-01T10:00:00Z,hello #World @Bob https://WWW.x.com/a?utm_source=t,Twitter,\n"
        "2,bob,notatime,hi,facebook,\n"
        '3,carol,1609500000,"two\nlines #Tag",x,https://a.com/1 https://b.org/2?fbclid=z\n'
        "4,,1609500000,no user,x,\n"
        "5,dan,1609500000\n"
        "1,alice,2021-01-01T10:00:00Z,same record again,x,\n",
    )
    m = ingest_file(store, path, format="generic", options={"map": MAP}).manifest
    # Record 6 repeats record 1: merged into it.
    assert (m.rows_read, m.rows_stored, m.rows_merged, m.rows_duplicate, m.rows_quarantined) == (
        6,
        2,
        1,
        0,
        3,
    )
    assert m.reconciles
    got = rows_of(
        store,
        "SELECT activity_id, platform, urls, urls_original, domains, hashtags, mentions, "
        "source_row FROM activities ORDER BY activity_id",
    )
    assert got[0] == (
        "1",
        "x",
        ["https://x.com/a"],
        ["https://WWW.x.com/a?utm_source=t"],
        ["x.com"],
        ["world"],
        ["bob"],
        1,
    )
    assert got[1][0] == "3" and sorted(got[1][2]) == ["https://a.com/1", "https://b.org/2"]
    assert got[1][5] == ["tag"] and got[1][7] == 3
    q = rows_of(store, "SELECT row, line, field, reason, raw FROM quarantine ORDER BY row")
    assert [(r[0], r[1], r[2]) for r in q] == [
        (2, None, "time"),
        (4, None, "account_id"),
        (5, 7, "msg"),
    ]
    assert "notatime" in q[0][3] and json.loads(q[0][4])["created"] == "notatime"
    assert "required field 'account_id' is empty" in q[1][3]
    assert "3 fields where the header has 6" in q[2][3] and q[2][4] == "5,dan,1609500000"


def test_later_export_appends_and_skips_what_is_there(store, tmp_path):
    a = write(
        tmp_path / "a.csv",
        "id,user,created,msg,net,links\n1,u,1609500000,x,x,\n2,u,1609500001,y,x,\n",
    )
    b = write(
        tmp_path / "b.csv",
        "id,user,created,msg,net,links\n2,u,1609500001,y,x,\n3,v,1609500002,z,x,\n",
    )
    ingest_file(store, a, format="generic", options={"map": MAP})
    m = ingest_file(store, b, format="generic", options={"map": MAP}).manifest
    assert (m.rows_read, m.rows_stored, m.rows_duplicate) == (2, 1, 1)
    assert rows_of(store, "SELECT count(*) FROM activities") == [(3,)]
    assert rows_of(store, "SELECT count(*) FROM accounts") == [(2,)]


def test_same_bytes_elsewhere_are_skipped_as_the_same_file(store, tmp_path):
    # A file seen before at its path is recognised before it is read; a copy of it at
    # another path is recognised by its hash only after staging, and skipped all the same.
    text = "id,user,created,msg,net,links\n1,u,1609500000,x,x,\n"
    first = ingest_file(
        store, write(tmp_path / "a.csv", text), format="generic", options={"map": MAP}
    )
    again = ingest_file(store, tmp_path / "a.csv", format="generic", options={"map": MAP})
    copy = ingest_file(
        store, write(tmp_path / "copy.csv", text), format="generic", options={"map": MAP}
    )
    assert not first.skipped and again.skipped and copy.skipped
    assert again.manifest == copy.manifest == first.manifest
    assert len(store.manifests()) == 1
    assert rows_of(store, "SELECT count(*) FROM activities") == [(1,)]
    # The same bytes read with other options are another batch.
    other = ingest_file(
        store, tmp_path / "copy.csv", format="generic", options={"map": MAP, "platform": "x"}
    )
    assert not other.skipped and len(store.manifests()) == 2


def test_own_schema_needs_no_mapping_and_is_recognised(store, tmp_path):
    path = write(
        tmp_path / "mine.csv",
        "platform,activity_id,account_id,time,kind,text\n"
        "telegram,7,chan1,2022-02-24 05:00:00,post,Привет мир это тест\n",
    )
    m = ingest_file(store, path).manifest
    assert m.adapter == "generic" and m.rows_stored == 1
    assert rows_of(store, "SELECT language, kind FROM activities") == [("ru", "post")]


def test_missing_mapping_fails_at_once_naming_what_is_missing(store, tmp_path):
    path = write(tmp_path / "other.csv", "a,b\n1,2\n")
    with pytest.raises(FormatMismatch, match="activity_id, account_id, time"):
        ingest_file(store, path, format="generic", options={"platform": "x"})
    assert store.manifests() == []


def test_json_lines_with_paths_and_account_fields(store, tmp_path):
    lines = [
        {
            "id": "9",
            "user": {"id": "u1", "screen_name": "Al"},
            "ts": 1609500000,
            "tags": ["A", "#b"],
        },
        "not json",
        {"id": "10", "user": {"id": "u2"}, "ts": "yesterday"},
    ]
    path = write(
        tmp_path / "x.jsonl",
        "\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n",
    )
    m = ingest_file(
        store,
        path,
        format="generic",
        options={
            "platform": "x",
            "map": "activity_id=id,account_id=user.id,time=ts,"
            "hashtags=tags,account.handle=user.screen_name",
        },
    ).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (3, 1, 2)
    assert rows_of(store, "SELECT hashtags FROM activities") == [(["a", "b"],)]
    assert rows_of(store, "SELECT handle FROM accounts") == [("Al",)]
    assert rows_of(store, "SELECT row, field FROM quarantine ORDER BY row") == [
        (2, None),
        (3, "time"),
    ]


def test_interrupted_ingest_leaves_store_unchanged(store, tmp_path, monkeypatch):
    path = write(tmp_path / "p.csv", "id,user,created,msg,net,links\n1,u,1609500000,x,x,\n")
    from unmask.ingest import pipeline

    def boom(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "_write_table", boom)
    with pytest.raises(KeyboardInterrupt):
        ingest_file(store, path, format="generic", options={"map": MAP})
    assert store.manifests() == [] and store.files("activities") == []
    assert not any((store.path / ".staging").glob("*"))
    monkeypatch.undo()
    assert (
        ingest_file(store, path, format="generic", options={"map": MAP}).manifest.rows_stored == 1
    )


# -- property tests: arbitrary input never crashes and always reconciles ----------------

field_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
times = st.one_of(
    st.integers(min_value=0, max_value=2_000_000_000).map(str),
    st.sampled_from(
        ["2021-05-01 10:00:00", "2021-05-01T10:00:00Z", "", "soon", "99999999999999999999"]
    ),
    field_text,
)
record = st.tuples(
    st.one_of(st.integers(0, 20).map(str), field_text),  # id: collisions on purpose
    st.one_of(st.sampled_from(["a", "b", ""]), field_text),
    times,
    field_text,
    st.sampled_from(["x", "facebook", "", "Twitter"]),
    st.one_of(st.just(""), st.just("https://e.com/a?utm_medium=z"), field_text),
)


def _reconciled(store: Store, m) -> None:
    assert m.reconciles
    assert rows_of(store, "SELECT count(*) FROM quarantine") == [(m.rows_quarantined,)]
    (n_acts,) = rows_of(store, "SELECT count(*) FROM activities")[0]
    assert n_acts <= m.rows_stored


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(record, max_size=25))
def test_arbitrary_rows_reconcile_exactly(tmp_path_factory, rows):
    tmp = tmp_path_factory.mktemp("h")
    buf = io.StringIO()
    # The csv module's default CRLF terminator makes it quote fields holding a bare CR;
    # with "\n" it would not, and a bare CR in an unquoted field ends a record.
    w = csv.writer(buf)
    w.writerow(["id", "user", "created", "msg", "net", "links"])
    w.writerows(rows)
    path = write(tmp / "h.csv", buf.getvalue())
    store = Store(tmp / "store", create=True)
    try:
        m = ingest_file(store, path, format="generic", options={"map": MAP}).manifest
    except FormatMismatch:
        # Only when the CSV reader cannot make out the table at all (e.g. no records).
        assert store.manifests() == []
        return
    assert m.rows_read == len(rows)
    _reconciled(store, m)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=st.binary(max_size=400))
def test_arbitrary_bytes_never_crash(tmp_path_factory, body):
    tmp = tmp_path_factory.mktemp("b")
    path = tmp / "b.csv"
    path.write_bytes(b"id,user,created,msg,net,links\n" + body)
    store = Store(tmp / "store", create=True)
    try:
        m = ingest_file(store, path, format="generic", options={"map": MAP}).manifest
    except FormatMismatch as exc:
        assert str(path) in str(exc)
        assert store.manifests() == []
        return
    _reconciled(store, m)


def test_follows_table_with_constant_platform(store, tmp_path):
    path = write(tmp_path / "f.csv", "source,target,when\na,b,2020-01-01\na,c,\nb,a,later\n")
    m = ingest_file(
        store,
        path,
        format="generic",
        options={
            "table": "follows",
            "platform": "X",
            "map": "follower_id=source,followee_id=target,time=when",
        },
    ).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (3, 2, 1)
    assert rows_of(
        store, "SELECT platform, follower_id, followee_id, time IS NULL FROM follows ORDER BY 3"
    ) == [("x", "a", "b", False), ("x", "a", "c", True)]


def test_records_keep_their_numbers_when_read_by_several_threads(store, tmp_path):
    # A record's number is its position in the stage table, and one the reader rejects
    # shifts those after it. Each record's id here is its number, so every stored row is
    # checked against its source_row. (The generated 10M-row file of benchmarks/ingest.py,
    # which DuckDB reads in several buffers, was checked the same way: no row off.)
    n, bad = 200_000, 100_001
    lines = ["platform,activity_id,account_id,time,text"]
    for i in range(1, n + 1):
        if i == bad:
            lines.append(f"x,{i},u,1609500000,one field,too many")
            continue
        lines.append(f"x,{i},u{i % 97},{1609500000 + i},post {i} with a tail of some length")
    path = write(tmp_path / "big.csv", "\n".join(lines) + "\n")
    m = ingest_file(store, path, format="generic", options={"detect_language": False}).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (n, n - 1, 1)
    assert rows_of(store, "SELECT row, line FROM quarantine") == [(bad, bad + 1)]
    wrong = rows_of(
        store,
        "SELECT count(*) FILTER (WHERE CAST(activity_id AS BIGINT) <> source_row), count(*) "
        "FROM activities",
    )
    assert wrong[0][0] == 0 and wrong[0][1] == m.rows_stored


def test_parts_are_the_same_from_run_to_run(tmp_path):
    # The stage is filled by several threads and merged by grouping, whose order follows
    # the threads; the parts are written in the order of each entity's first record.
    lines = ["platform,activity_id,account_id,time,text"]
    for i in range(1, 60_001):
        post = i if i % 10 else i // 10  # every tenth record repeats an earlier post
        lines.append(f"x,{post},u{i % 997},{1609500000 + i},post {i} #t{i % 13} https://a.com/{i}")
    path = write(tmp_path / "posts.csv", "\n".join(lines) + "\n")
    parts = []
    for run in ("a", "b"):
        store = Store(tmp_path / run, create=True)
        ingest_file(store, path, format="generic", options={"detect_language": False})
        parts.append([_part_rows(store, table) for table in ("activities", "accounts")])
    assert parts[0] == parts[1]
    activities = parts[0][0]
    assert [r[-1] for r in activities] == sorted(r[-1] for r in activities)  # source_row


def _part_rows(store: Store, table: str) -> list[tuple]:
    (part,) = store.files(table)
    con = store.connect()
    try:
        return con.execute(f"SELECT * EXCLUDE (source_file) FROM '{part}'").fetchall()
    finally:
        con.close()


def test_expanded_links_are_the_urls_and_the_short_ones_are_kept(store, tmp_path):
    """An export that gives a link both as posted (a shortener's) and expanded: ``urls`` and
    ``domains`` are the expansion's, ``urls_original`` the link as posted."""
    path = write(
        tmp_path / "posts.csv",
        "platform,activity_id,account_id,time,text,urls,urls_original\n"
        "x,1,u1,2021-01-01T00:00:00Z,read https://t.co/abc,"
        "https://www.example.org/story?utm_source=tw,https://t.co/abc\n"
        "x,2,u2,2021-01-01T00:00:00Z,read https://bit.ly/x,,https://bit.ly/x\n"
        "x,3,u3,2021-01-01T00:00:00Z,read https://news.example.net/a,,\n",
    )
    ingest_file(store, path, format="generic")
    assert rows_of(
        store, "SELECT activity_id, urls, urls_original, domains FROM activities ORDER BY 1"
    ) == [
        ("1", ["https://example.org/story"], ["https://t.co/abc"], ["example.org"]),
        ("2", ["https://bit.ly/x"], ["https://bit.ly/x"], ["bit.ly"]),
        ("3", ["https://news.example.net/a"], ["https://news.example.net/a"], ["news.example.net"]),
    ]
