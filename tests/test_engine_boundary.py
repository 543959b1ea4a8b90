"""The engine boundary (#18): the store's views are defined once, DuckDB is opened only
through ``unmask.engine.duckdb.connect`` (one set of settings), and code that must differ
on an engine asks its capabilities, not its name. The same views on Spark are checked in
``test_engines_spark.py``."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pyarrow as pa
import pytest

from unmask import store as store_module
from unmask.engine.base import Capabilities
from unmask.engine.duckdb import DuckDBEngine, connect
from unmask.engine.session import RunSession

SRC = Path(__file__).resolve().parents[1] / "src" / "unmask"


def _modules():
    for path in sorted(SRC.rglob("*.py")):
        yield path.relative_to(SRC).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_no_module_outside_the_engine_opens_duckdb_itself():
    """Every connection has the same settings (UTC, bounded memory, the thread count the
    run asked for): outside ``engine/`` nobody calls ``duckdb.connect``."""
    found = []
    for rel, tree in _modules():
        if rel.startswith("engine/"):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "duckdb"
            ) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "duckdb"
                and any(a.name == "connect" for a in node.names)
            ):
                found.append(f"{rel}:{node.lineno}")
    assert found == []


def test_the_one_connection_is_in_utc():
    con = connect()
    assert con.execute("SELECT current_setting('TimeZone')").fetchone()[0] == "UTC"
    con.close()


def test_no_module_asks_an_engine_its_name():
    """Behaviour follows ``engine.capabilities``; the name only picks the engine to open
    (``unmask.engine.open_engine``)."""
    found = []
    for rel, tree in _modules():
        if rel == "engine/__init__.py":
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Compare)
                and isinstance(node.left, ast.Attribute)
                and node.left.attr == "name"
                and any(
                    isinstance(c, ast.Constant) and c.value in ("duckdb", "spark")
                    for c in node.comparators
                )
            ):
                found.append(f"{rel}:{node.lineno}")
    assert found == []


def test_the_store_views_are_defined_once(store):
    """The DuckDB connection has exactly the views the store defines for every engine."""
    con = store.connect()
    rows = con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
    views = {r[0] for r in rows}
    con.close()
    assert views == set(store_module.VIEWS)
    assert "accounts" in views and "account_observations" in views


def test_a_session_cuts_plans_on_an_engine_whose_plans_grow(store):
    """The capability, not the engine's name, decides: a DuckDB engine that says its plans
    grow gets its tables written to Parquet and read back, with the same rows."""
    with DuckDBEngine(store) as eng:
        assert eng.capabilities == Capabilities()
        with RunSession(eng) as plain:
            plain.create_table("t", "SELECT range AS x FROM range(5)")
            expected = plain.fetch("SELECT * FROM t ORDER BY x")
            assert plain.spill is None
        eng.capabilities = dataclasses.replace(eng.capabilities, plans_grow=True)
        with RunSession(eng) as cut:
            cut.create_table("t", "SELECT range AS x FROM range(5)")
            assert cut.spill is not None and list(cut.spill.glob("*.parquet"))
            assert cut.fetch("SELECT * FROM t ORDER BY x").equals(expected)
    assert isinstance(expected, pa.Table)


def test_no_progress_bar_when_the_output_is_not_a_terminal():
    """Under pytest stderr is captured, as in a log or CI: DuckDB must not draw its bar."""
    from unmask.engine.duckdb import connect

    con = connect()
    assert con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0] is False


def test_a_shared_table_is_made_once_and_outlives_the_sessions(store):
    """Co-action's and burst's normalised texts are made once a run: a second session's
    request finds the first's table, the sessions' own tables go with them, and
    ``drop_shared`` (detect calls it after its signals) takes the shared one."""
    from unmask.signals.coaction import TEXTS, shared_texts

    with DuckDBEngine(store) as eng:
        with RunSession(eng) as first:
            assert shared_texts(first) == TEXTS
            first.create_table("own", "SELECT 1 AS x")
            n = first.count(TEXTS)
        # A marker row shows that the second request did not make the table anew.
        eng.con.execute(f"INSERT INTO {TEXTS} (target) VALUES ('marker')")
        with RunSession(eng) as second:
            shared_texts(second)
            assert second.count(TEXTS) == n + 1
        tables = {r[0] for r in eng.con.execute("SHOW TABLES").fetchall()}
        assert TEXTS in tables and "own" not in tables
        with pytest.raises(ValueError, match="another query"):
            eng.shared(TEXTS, "SELECT 2 AS y")
        eng.drop_shared()
        assert TEXTS not in {r[0] for r in eng.con.execute("SHOW TABLES").fetchall()}
        shared_texts(eng)  # made again after the drop
        assert eng.count(TEXTS) == n
