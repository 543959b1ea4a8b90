"""coordination-network-toolkit's CSV input format.

The format, from the toolkit's README ("Supported Input Formats / CSV") and
``preprocess_csv_files``: a header line, then eight columns in this order (names do not
matter): message_id, user_id, username, repost_id, reply_id, message, timestamp (seconds),
urls (space separated). ``fixtures/toolkit_csv/messages.csv`` is a small file written to that
description; ``fixtures/toolkit_csv/coretweet_test_input.csv`` is the toolkit's own test
input (MIT licence), byte for byte (UTF-8 BOM, CRLF line ends).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.ingest.base import FormatMismatch
from unmask.ingest.registry import detect_adapter

FIX = Path(__file__).parent / "fixtures" / "toolkit_csv"
HEADER = "message_id,user_id,username,repost_id,reply_id,message,timestamp,urls\n"


def activities(store) -> dict[str, tuple]:
    con = store.connect()
    rows = con.execute(
        """SELECT activity_id, platform, account_id, kind, parent_activity_id, epoch(time),
                  urls_original, urls, text FROM activities"""
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_recognised_by_its_header():
    assert detect_adapter(FIX / "messages.csv").name == "toolkit_csv"
    # The toolkit's own test file starts with a byte-order mark.
    assert detect_adapter(FIX / "coretweet_test_input.csv").name == "toolkit_csv"


def test_messages_map_to_the_schema(store):
    m = ingest_file(store, FIX / "messages.csv", options={"detect_language": False}).manifest
    assert m.adapter == "toolkit_csv"
    # 27 records; m02 appears twice (the toolkit keeps the first: so does the merge).
    assert (m.rows_read, m.rows_stored, m.rows_merged, m.rows_quarantined) == (27, 26, 1, 0)
    assert m.reconciles
    a = activities(store)
    assert len(a) == 26
    # A post with a link: platform defaults to x; the link is kept as written.
    assert a["m01"][:5] == ("x", "u1", "post", None, 1000.0)
    assert a["m01"][5] == ["http://news.example/a"]
    # A repost is a share of repost_id; a reply a reply to reply_id.
    assert a["m10"][:4] == ("x", "u4", "share", "m01")
    assert a["m16"][:4] == ("x", "u2", "reply", "m01")
    # Fractional seconds are kept (the toolkit reads float seconds).
    assert a["m07"][4] == 2090.5
    # Two links separated by a space; by two spaces (the toolkit would add an empty link).
    assert sorted(a["m04"][5]) == ["https://news.example/b", "https://news.example/c"]
    assert sorted(a["m21"][5]) == ["http://x.example/1", "http://x.example/2"]
    assert a["m22"][5] == ["http://x.example/2"]
    # An empty urls field is no link at all - not an empty string, and links are not
    # looked for in the text (the toolkit does not look there either).
    assert a["m18"][5] == [] and a["m19"][5] == []
    assert a["m09"][5] == ["http://news.example/a"]  # the CSV's field, repost or not
    # Written links stay in urls_original; urls holds their canonical form.
    assert a["m23"][5] == ["https://news.example/d?utm_source=x"]
    assert a["m23"][6] == ["https://news.example/d"]
    # Text as written: quoted commas and newlines, Chinese.
    assert a["m05"][7] == "Line one,\nline two"
    assert a["m17"][7] == "@alice 同意"
    con = store.connect()
    handles = dict(con.execute("SELECT account_id, handle FROM accounts").fetchall())
    assert handles["u6"] == "李明" and handles["u1"] == "alice" and len(handles) == 9


def test_toolkits_own_test_input(store):
    m = ingest_file(store, FIX / "coretweet_test_input.csv").manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (15, 15, 0) and m.reconciles
    a = activities(store)
    # Small relative times are seconds (0, 59, 60, ...), never milliseconds.
    assert a["0"][:5] == ("x", "uid0", "share", "rtid0", 0.0)
    assert a["13"][4] == 300.0 and a["14"][:5] == ("x", "uid0", "share", "rtid0", 1.0)


def test_platform_option_and_any_header_names(store, tmp_path):
    path = tmp_path / "renamed.csv"
    path.write_text(
        "id,author,name,rt,re,text,time,links\n"
        "1,a,A,,,hello,1600000000,https://e.example/x\n"
        "2,b,B,1,,RT hello,1600000001.25,\n"
        "3,c,C,,,milliseconds,1600000000000,\n"
    )
    m = ingest_file(store, path, format="toolkit_csv", options={"platform": "Mastodon"}).manifest
    assert m.reconciles and (m.rows_stored, m.rows_quarantined) == (2, 1)
    a = activities(store)
    assert a["1"][:5] == ("mastodon", "a", "post", None, 1600000000.0)
    assert a["2"][:5] == ("mastodon", "b", "share", "1", 1600000001.25)
    # Seconds whatever their size (the toolkit knows no milliseconds): milliseconds read as
    # seconds land in the year 52,671, outside the plausible times.
    (reason,) = store.connect().execute("SELECT reason FROM quarantine").fetchone()
    assert "52671" in reason and "outside the plausible times, 1970-01-01 to" in reason


def test_bad_records_go_to_the_quarantine(store, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "1,a,A,,,fine,10,\n"
        "2,b,B,,,not a time,yesterday,\n"
        "3,c,C,,,too few columns,12\n"
        "4,,D,,,no author,13,\n"
        "5,e,E,,,ISO time,2021-01-06T14:03:12Z,\n"
    )
    m = ingest_file(store, path).manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (5, 2, 3) and m.reconciles
    q = store.connect().execute("SELECT row, field, reason FROM quarantine ORDER BY row").fetchall()
    assert [(r[0], r[1]) for r in q] == [(2, "timestamp"), (3, "urls"), (4, "account_id")]
    assert "as seconds" in q[0][2]
    assert sorted(activities(store)) == ["1", "5"]


def test_wrong_number_of_columns_is_not_this_format(store, tmp_path):
    path = tmp_path / "seven.csv"
    path.write_text(
        "message_id,user_id,username,repost_id,reply_id,message,timestamp\n1,a,A,,,x,1\n"
    )
    with pytest.raises(FormatMismatch, match="8 columns"):
        ingest_file(store, path, format="toolkit_csv")
