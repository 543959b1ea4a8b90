"""Hostile paths and column names through every command (issue #18, "Security").

Store, run and export folders whose names hold an apostrophe, a double quote, a semicolon
and a payload that would write a file if it were pasted into SQL; an export whose column
names do the same, mapped with ``--map``. Every command must work on them (or refuse with
a plain error), and the payload must never run: no ``PWNED*`` file appears anywhere.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from clirun import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.engine.sql import identifier, literal

# Each payload closes the quote it is pasted into and, in that place, makes valid SQL that
# writes a file into the working directory: one for a plain string ('...'), one for a
# string inside a call (read_parquet('...')).
PAYLOADS = {
    "string": "s'; COPY (SELECT 42 AS pwned) TO 'PWNED-string.csv'; SELECT '",
    "call": "c'); COPY (SELECT 42 AS pwned) TO 'PWNED-call.csv'; SELECT ('",
}
# A folder name with a double quote and a semicolon (the apostrophes are the payloads'),
# and a file name with all three.
FOLDER = 'a "b"; c?d%41'
ODD = 'it\'s "odd"; x'
# A column name that breaks a string, an identifier and the comma-separated --map list.
COLUMN = "it's \"the\" text; a, b'); COPY (SELECT 42) TO 'PWNED-column'; SELECT ('"


def pwned(*roots: Path) -> list[Path]:
    return [p for root in roots for p in root.rglob("PWNED*")]


@pytest.fixture
def cwd(tmp_path, monkeypatch) -> Path:
    """A clean working directory: where a payload's relative COPY would land."""
    d = tmp_path / "cwd"
    d.mkdir()
    monkeypatch.chdir(d)
    return d


def _export_files(folder: Path) -> tuple[Path, Path]:
    """A CSV and a JSON lines export with hostile column names (and one unreadable time)."""
    folder.mkdir(parents=True)
    csv_path = folder / f"{ODD}.csv"
    quoted = '"' + COLUMN.replace('"', '""') + '"'
    csv_path.write_text(
        f"id,user,when,{quoted}\n"
        "1,u1,2024-03-01T10:00:00Z,first\n"
        "2,u2,2024-03-01T10:00:05Z,second\n"
        "3,u3,not a time,third\n",
        encoding="utf-8",
    )
    jsonl_path = folder / f"{ODD}.jsonl"
    jsonl_path.write_text(
        "\n".join(
            json.dumps(
                {"id": f"j{i}", "by": f"j{i}", "when": "2024-03-02", "user": {COLUMN: f"v{i}"}}
            )
            for i in range(3)
        )
        + "\n",
        encoding="utf-8",
    )
    return csv_path, jsonl_path


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_ingest_and_info_on_a_hostile_store_and_mapping(payload, tmp_path, cwd):
    root = tmp_path / FOLDER / PAYLOADS[payload]
    csv_path, jsonl_path = _export_files(root / "exports")
    store = root / "store"
    generic = ["--format", "generic", "--option", "platform=telegram", "--store", store]
    invoke(
        "ingest", csv_path, *generic,
        "--map", "activity_id=id,account_id=user", "--map", f"time=when,text={COLUMN}",
    )  # fmt: skip
    invoke(
        "ingest", jsonl_path, *generic,
        "--map", "activity_id=id", "--map", "account_id=by", "--map", "time=when",
        "--map", f"text=user.{COLUMN}",
    )  # fmt: skip
    info = json.loads(invoke("info", "--store", store, "--json"))
    assert info["totals"]["activities"] == 5
    assert info["totals"]["quarantine"] == 1
    assert all(f["reconciles"] for f in info["files"])
    invoke("info", "--store", store)
    from unmask.store import Store

    # The column with a comma in its name was mapped whole (the commas that start another
    # FIELD= separate pairs); the JSON key with quotes was found.
    con = Store(store).connect()
    texts = {r[0] for r in con.execute("SELECT text FROM activities").fetchall()}
    con.close()
    assert texts == {"first", "second", "v0", "v1", "v2"}
    assert pwned(tmp_path) == []


def test_every_command_on_hostile_folders(tmp_path, cwd):
    """simulate, info, network, detect (recording the case), report, export, evaluate,
    cases, and the catalogue, with every folder under two payloads."""
    root = tmp_path / FOLDER / PAYLOADS["string"] / PAYLOADS["call"] / ODD
    world, run = root / "world", root / "run"
    store = world / "store"
    invoke("simulate", "--out", world, "--scenario", "small", "--seed", 1, "--scale", 0.3)
    invoke("info", "--store", store)
    invoke(
        "network", "--store", store, "--on", "url", "--out", root / "edges.csv",
        "--events", root / "events.parquet",
    )  # fmt: skip
    invoke("detect", "--store", store, "--out", run)
    assert (run / "flagged.csv").stat().st_size > 100
    invoke("report", "--run", run, "--out", root / "report")
    assert (root / "report" / "report.md").read_text(encoding="utf-8").count("## ") > 0
    invoke("export", "--run", run, "--out", root / "export")
    invoke("evaluate", "--truth", world / "truth", "--run", run)
    cases = json.loads(invoke("cases", "list", "--store", store, "--json"))
    assert cases
    # The case store is where it belongs, not at a path cut at the "?" of a URL.
    assert (world / "store" / "cases.sqlite").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["cwd", FOLDER])
    catalogue = root / "catalogue"
    invoke("catalogue", "add-run", run, "--name", "past", "--catalogue", catalogue)
    invoke("catalogue", "link", run, "--catalogue", catalogue)
    assert pwned(tmp_path) == []


@settings(deadline=None)
@given(st.text())
def test_a_literal_is_the_text_itself(text):
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal(text)}").fetchone()[0] == text


@settings(deadline=None)
@given(st.text(min_size=1).filter(lambda s: "\x00" not in s))
def test_an_identifier_is_the_name_itself(name):
    con = duckdb.connect()
    cur = con.execute(f"SELECT 1 AS {identifier(name)}")
    assert cur.description[0][0] == name


def test_values_are_quoted_in_one_place():
    """Every string and name that enters SQL goes through unmask.engine.sql: no module
    doubles quotes by itself (a second helper is where the next miss would hide)."""
    src = Path(__file__).resolve().parents[1] / "src" / "unmask"
    doubling = ('replace("\'", "\'\'")', "replace('\"', '\"\"')")
    found = [
        str(p.relative_to(src))
        for p in sorted(src.rglob("*.py"))
        if p != src / "engine" / "sql.py" and any(d in p.read_text() for d in doubling)
    ]
    assert found == []
