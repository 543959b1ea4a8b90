"""The error every tabular adapter gives for a value it cannot read (``unreadable_error``,
``bool_error_sql``), run by DuckDB with unmask's own macros."""

from __future__ import annotations

import duckdb
import pytest

from unmask.ingest.formats._sqlhelp import bool_error_sql, unreadable_error
from unmask.ingest.normalise import install_macros


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    install_macros(c)
    return c


def _errors(con, expr: str, values: list) -> list[str | None]:
    rows = con.execute(
        f"SELECT {expr} FROM (SELECT unnest(?) AS v, generate_subscripts(?, 1) AS i) ORDER BY i",
        [values, values],
    ).fetchall()
    return [r[0] for r in rows]


def test_bool_error_names_the_field_and_quotes_the_value(con) -> None:
    got = _errors(con, bool_error_sql("v", "verified"), ["true", "no", "", "NA", None, "maybe"])
    assert got == [
        None,
        None,
        None,
        None,
        None,
        "field 'verified': cannot read 'maybe' as true or false",
    ]


def test_unreadable_error_keeps_quotes_in_field_value_and_reason(con) -> None:
    # A field, a value and a reason with quotes of their own stay text, not SQL.
    expr = unreadable_error("v", "it's", "TRY_CAST(v AS INTEGER)", "a count ('12')")
    assert _errors(con, expr, ["12", "o'clock"]) == [
        None,
        "field 'it's': cannot read 'o'clock' as a count ('12')",
    ]


def test_long_values_are_cut_to_80_characters(con) -> None:
    expr = unreadable_error("v", "n", "TRY_CAST(v AS INTEGER)", "a number")
    (msg,) = _errors(con, expr, ["x" * 200])
    assert msg == f"field 'n': cannot read '{'x' * 80}' as a number"
