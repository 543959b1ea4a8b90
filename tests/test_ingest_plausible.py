"""Values ingest must not store: times outside the plausible window (they crashed ``detect``
for the whole store) and control characters in ids (cut in the run's tables, so that the
accounts behind them were never flagged). Both are checked once, in the pipeline, for every
format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unmask.detect import detect
from unmask.ingest import ingest_file
from unmask.ingest.base import EARLIEST_TIME, time_window
from unmask.store import Store

HEADER = "platform,activity_id,account_id,time,text"


def quarantine(store: Store) -> list[tuple]:
    con = store.connect()
    try:
        return con.execute("SELECT row, field, reason FROM quarantine ORDER BY row").fetchall()
    finally:
        con.close()


def csv_store(tmp_path: Path, rows: list[str]) -> tuple[Store, object]:
    path = tmp_path / "posts.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    store = Store(tmp_path / "store", create=True)
    return store, ingest_file(store, path, options={"detect_language": False}).manifest


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("inf", "infinity"),
        ("-inf", "-infinity"),
        ("1700000000000000", "55840-11-08"),  # microseconds read as milliseconds
        ("0001-01-01", "0001-01-01"),
        ("9999-12-31T00:00:00Z", "9999-12-31"),
        ("1999-12-31T23:59:59Z", "1999-12-31"),
        ("2021-01-01T00:00:00+25:00", "+25:00"),
    ],
)
def test_implausible_times_are_quarantined_with_the_reason(tmp_path, value, shown):
    store, m = csv_store(tmp_path, ["x,1,a,2021-01-01T00:00:00Z,fine", f"x,2,b,{value},odd"])
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (2, 1, 1) and m.reconciles
    ((row, field, reason),) = quarantine(store)
    assert (row, field) == (2, "time") and shown in reason
    assert "plausible times, 2000-01-01 to" in reason or "offset is beyond ±14:00" in reason


def test_the_window_is_a_year_ahead_and_applies_to_every_time_field(tmp_path):
    lo, hi = time_window()
    assert lo == EARLIEST_TIME and (hi - lo).days > 365 * 26
    path = tmp_path / "accounts.jsonl"
    users = [
        {"id": "1", "username": "a", "created_at": "2010-01-01T00:00:00Z"},
        {"id": "2", "username": "b", "created_at": "1970-01-01T00:00:00Z"},
    ]
    path.write_text(json.dumps({"data": users}) + "\n")
    store = Store(tmp_path / "store", create=True)
    m = ingest_file(store, path, format="x_api_v2").manifest
    assert m.rows_quarantined == 1 and m.reconciles  # the page, as one record
    ((_, field, reason),) = quarantine(store)
    assert field == "created_at" and "1970-01-01" in reason


def test_telegram_and_reddit_times_are_held_to_the_window(tmp_path):
    chat = {
        "name": "c",
        "type": "public_channel",
        "id": 5,
        "messages": [
            {"id": 1, "type": "message", "date": "2021-01-01T00:00:00", "text": "ok"},
            {"id": 2, "type": "message", "date": "1990-01-01T00:00:00", "text": "old"},
            {"id": 3, "type": "message", "date": "2021-01-01T00:00:00+23:00", "text": "z"},
        ],
    }
    (tmp_path / "result.json").write_text(json.dumps(chat))
    store = Store(tmp_path / "tg", create=True)
    m = ingest_file(store, tmp_path / "result.json", format="telegram").manifest
    assert (m.rows_stored, m.rows_quarantined) == (1, 2)
    # Message 2's time is also its author's observation time: both fields are named.
    assert [(r[0], r[1]) for r in quarantine(store)] == [(2, "observed_at,time"), (3, "date")]

    post = {"id": "a", "author": "u", "subreddit": "s", "title": "t"}
    lines = [post | {"created_utc": 1609964400}, post | {"id": "b", "created_utc": 1e15}]
    (tmp_path / "rs.ndjson").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    store = Store(tmp_path / "rd", create=True)
    m = ingest_file(store, tmp_path / "rs.ndjson", format="reddit").manifest
    assert (m.rows_stored, m.rows_quarantined) == (1, 1)
    assert [(r[0], r[1]) for r in quarantine(store)] == [(2, "time")]


def test_detect_runs_on_a_store_that_was_given_an_infinite_time(tmp_path):
    rows = [
        f"x,{i},u{i % 8},2021-01-0{1 + i % 5}T10:00:{i % 60:02d}Z,same https://a.example/{i % 3}"
        for i in range(40)
    ]
    store, m = csv_store(tmp_path, [*rows, "x,99,u1,inf,hello"])
    assert (m.rows_stored, m.rows_quarantined) == (40, 1)
    detect(store, tmp_path / "run")  # crashed in the schedule signal's span
    assert (tmp_path / "run" / "run.json").exists()


@pytest.mark.parametrize(
    ("row", "field", "char"),
    [
        ("x,1,a\x00b,2021-01-01,t", "account_id", "U+0000"),
        ("x,1\x7f,a,2021-01-01,t", "activity_id", "U+007F"),
        ("x\x1b,1,a,2021-01-01,t", "platform", "U+001B"),
        ('x,1,"a\nb",2021-01-01,t', "account_id", "U+000A"),
    ],
)
def test_control_characters_in_ids_are_quarantined(tmp_path, row, field, char):
    store, m = csv_store(tmp_path, ["x,0,ok,2021-01-01,fine", row])
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (2, 1, 1) and m.reconciles
    ((got_row, got_field, reason),) = quarantine(store)
    assert (got_row, got_field) == (2, field) and char in reason
    con = store.connect()
    assert con.execute("SELECT account_id FROM accounts").fetchall() == [("ok",)]
    con.close()


def test_a_nul_in_an_author_id_from_json_is_quarantined(tmp_path):
    posts = [
        {"id": str(i), "author_id": f"u{i}", "created_at": "2023-03-01T10:00:00.000Z", "text": "t"}
        for i in range(3)
    ]
    posts[1]["author_id"] = "u\u00001"
    posts[2]["in_reply_to_user_id"] = "x"  # not an id the mapping reads: stored as it is
    path = tmp_path / "flat.jsonl"
    path.write_text("\n".join(json.dumps(p) for p in posts) + "\n")
    store = Store(tmp_path / "store", create=True)
    m = ingest_file(store, path, format="x_api_v2").manifest
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (3, 2, 1)
    ((row, field, reason),) = quarantine(store)
    assert (row, field) == (2, "account_id") and "U+0000" in reason
