"""Small SQL-building helpers shared by the tabular adapters (no adapter lives here)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Column names such as ``account.url`` or ``Page Name``, and string values, quoted by the
# one helper every query uses.
from unmask.engine.sql import identifier as ident
from unmask.engine.sql import literal as lit

__all__ = [
    "bool_error_sql",
    "col",
    "empty_error",
    "first_error",
    "ident",
    "lit",
    "unreadable_error",
]


def col(cols: Iterable[str], name: str, default: str = "CAST(NULL AS VARCHAR)") -> str:
    """The column ``name`` when the file has it, else ``default`` (a SQL expression)."""
    return ident(name) if name in set(cols) else default


def first_error(checks: Sequence[tuple[str | None, str]]) -> tuple[str, str]:
    """SQL for ``_error`` and ``_field`` from ``(field, error expression)`` pairs, in order.

    Each error expression is NULL when its field is fine; the first one that is not NULL
    names the record's error and its field (``None``: an error about no one field).
    """
    if not checks:
        return "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)"
    error = "coalesce(" + ", ".join(e for _, e in checks) + ")"
    whens = (
        f"WHEN ({e}) IS NOT NULL THEN {lit(f) if f is not None else 'NULL'}" for f, e in checks
    )
    field = "CASE " + " ".join(whens) + " END"
    return error, field


def empty_error(expr: str, field: str, why: str) -> str:
    """An error expression for a required field that is empty."""
    return (
        f"CASE WHEN unmask_str({expr}) IS NULL THEN {lit(f'field {field!r} is empty; ' + why)} END"
    )


def unreadable_error(expr: str, field: str, reading: str, what: str) -> str:
    """An error expression for a value that is there but cannot be read: ``expr`` is not
    empty while ``reading`` (the value as read, e.g. ``unmask_bool(x)``) is NULL. The message
    quotes the value and says it could not be read as ``what``."""
    # The value stands between the two, in quotes.
    prefix, suffix = lit(f"field '{field}': cannot read '"), lit("' as " + what)
    return (
        f"CASE WHEN unmask_str({expr}) IS NOT NULL AND {reading} IS NULL "
        f"THEN {prefix} || left(CAST({expr} AS VARCHAR), 80) || {suffix} END"
    )


def bool_error_sql(expr: str, field: str) -> str:
    """An error when a value is neither empty nor readable as true or false."""
    return unreadable_error(expr, field, f"unmask_bool({expr})", "true or false")
