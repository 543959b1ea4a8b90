"""JSON records of the wrong shape are quarantined one by one, never a traceback that
refuses the file, and never stored as their JSON text or as 1970: a string where X API v2
has its posts, a Telegram message that is a number, text entities whose text is no text,
values nested 200,000 deep, objects where an id or a time is expected."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unmask.ingest import ingest_file
from unmask.store import Store

POST = {"id": "1", "author_id": "2", "created_at": "2023-03-01T10:00:00.000Z", "text": "hi"}
DEEP = "[" * 200_000 + "]" * 200_000
MSG = {
    "id": 2,
    "type": "message",
    "date": "2021-01-06T21:20:20",
    "date_unixtime": "1609964420",
    "from": "H",
    "from_id": "channel5",
    "text": "ok",
    "text_entities": [{"type": "plain", "text": "ok"}],
}


def ingest(tmp_path: Path, name: str, text: str, fmt: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    store = Store(tmp_path / "store", create=True)
    m = ingest_file(store, path, format=fmt, options={"detect_language": False}).manifest
    con = store.connect()
    try:
        q = con.execute("SELECT row, field, reason, raw FROM quarantine ORDER BY row").fetchall()
        stored = con.execute("SELECT activity_id, account_id, time FROM activities").fetchall()
    finally:
        con.close()
    return m, q, stored


def lines(*records) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


@pytest.mark.parametrize(
    ("bad", "field", "says"),
    [
        ({"data": "string"}, "data", "'data' is a JSON string"),
        ({"data": [POST | {"id": "5"}, 7]}, "data", "item 2 is a JSON number"),
        ({"data": [POST | {"id": "5"}], "includes": "x"}, "includes", "a JSON string"),
        ({"data": [POST | {"id": {"a": 1}}]}, "id", "'id' is a JSON object"),
        ({"data": [POST | {"id": "5", "created_at": {"t": 1}}]}, "created_at", "JSON object"),
        ({"data": [POST | {"id": "5", "author_id": ["2"]}]}, "author_id", "JSON array"),
        ({"includes": {"users": [{"username": "nobody"}]}}, "data", "no post"),
        (DEEP, None, "nested more than 256 levels"),
    ],
)
def test_x_api_v2_pages_of_the_wrong_shape(tmp_path, bad, field, says):
    m, q, stored = ingest(tmp_path, "pages.jsonl", lines({"data": [POST]}, bad), "x_api_v2")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (2, 1, 1) and m.reconciles
    ((row, got_field, reason, raw),) = q
    assert (row, got_field) == (2, field) and says in reason
    if isinstance(bad, str):
        assert raw.count("[") == raw.count("]") == 200_000
    else:
        assert json.loads(raw) == bad
    assert [s[0] for s in stored] == ["1"]


def test_x_api_v2_a_number_where_a_time_is_is_not_1970(tmp_path):
    bad = {"data": [POST | {"id": "5", "created_at": 0}]}
    m, q, stored = ingest(tmp_path, "pages.jsonl", lines({"data": [POST]}, bad), "x_api_v2")
    assert m.rows_quarantined == 1 and [s[0] for s in stored] == ["1"]
    assert "1970-01-01" in q[0][2] and q[0][3] == json.dumps(bad)  # its text, found again


def test_x_api_v2_document_nested_too_deep(tmp_path):
    doc = "[" + json.dumps(POST) + ",\n" + DEEP + "]"
    m, q, _stored = ingest(tmp_path, "doc.json", doc, "x_api_v2")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (2, 1, 1)
    assert q[0][0] == 2 and "nested more than" in q[0][2]
    # Kept whole: the levels below 256 as text in a marker.
    assert "__unmask_too_deep__" in q[0][3]
    assert q[0][3].count("[") == q[0][3].count("]") == 200_000


def chat(*messages) -> str:
    return json.dumps({"name": "c", "type": "public_channel", "id": 5, "messages": list(messages)})


@pytest.mark.parametrize(
    ("bad", "field", "says"),
    [
        (3, None, "a JSON number"),
        ("s", None, "a JSON string"),
        (None, None, "a JSON null"),
        ([1], None, "a JSON array"),
        (MSG | {"text_entities": [{"type": "plain", "text": 5}]}, "text_entities", "number"),
        (MSG | {"text_entities": [{"type": "link", "text": {"a": 1}}]}, "text_entities", "object"),
        (MSG | {"text_entities": [{"type": "text_link", "text": "a", "href": [1]}]}, None, "href"),
        (MSG | {"text_entities": None, "text": ["a", 1]}, "text", "part 2 is a JSON number"),
        (MSG | {"from_id": {"a": 1}}, "from_id", "not a user, channel or chat id"),
        (MSG | {"date_unixtime": {"a": 1}}, "date_unixtime", "cannot read"),
    ],
)
def test_telegram_messages_of_the_wrong_shape(tmp_path, bad, field, says):
    m, q, stored = ingest(tmp_path, "result.json", chat(MSG | {"id": 1}, bad), "telegram")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (2, 1, 1) and m.reconciles
    ((row, got_field, reason, raw),) = q
    assert row == 2 and says in reason and json.loads(raw) == bad
    assert got_field == field or (field is None and got_field == "text_entities")
    assert [s[0] for s in stored] == ["channel5/1"]


def test_telegram_message_nested_too_deep(tmp_path):
    text = chat(MSG | {"id": 1}, MSG).replace('"messages": [', '"messages": [' + DEEP + ", ")
    m, q, stored = ingest(tmp_path, "result.json", text, "telegram")
    assert (m.rows_read, m.rows_stored, m.rows_quarantined) == (3, 2, 1)
    assert q[0][0] == 1 and "__unmask_too_deep__" in q[0][3]
    assert q[0][3].count("[") == q[0][3].count("]") == 200_000
    assert sorted(s[0] for s in stored) == ["channel5/1", "channel5/2"]


REDDIT = {"id": "a", "author": "u", "subreddit": "s", "title": "t", "created_utc": 1609964400}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (REDDIT | {"id": "b", "author": {"name": "u"}}, "author"),
        (REDDIT | {"id": ["b"]}, "id"),
        (REDDIT | {"id": "b", "created_utc": {"t": 1}}, "created_utc"),
        (DEEP, None),
    ],
)
def test_reddit_objects_where_a_value_is_expected(tmp_path, bad, field):
    m, q, stored = ingest(tmp_path, "rs.ndjson", lines(REDDIT, bad), "reddit")
    assert (m.rows_stored, m.rows_quarantined) == (1, 1) and m.reconciles
    assert (q[0][0], q[0][1]) == (2, field)
    assert stored[0][:2] == ("t3_a", "u")


GENERIC = {"platform": "x", "activity_id": "1", "account_id": "a", "time": "2021-01-01"}


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (GENERIC | {"activity_id": {"a": 1}}, "activity_id"),
        (GENERIC | {"activity_id": "2", "account_id": ["a"]}, "account_id"),
        (GENERIC | {"activity_id": "2", "time": {"t": 1}}, "time"),
        (DEEP, None),
        ("17", None),
    ],
)
def test_generic_json_lines_objects_where_a_value_is_expected(tmp_path, bad, field):
    m, q, stored = ingest(tmp_path, "posts.jsonl", lines(GENERIC, bad), "generic")
    assert (m.rows_stored, m.rows_quarantined) == (1, 1) and m.reconciles
    assert (q[0][0], q[0][1]) == (2, field)
    assert [s[0] for s in stored] == ["1"]
