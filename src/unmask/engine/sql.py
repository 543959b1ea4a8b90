"""Values in SQL text: the one place where a path, an option or a name becomes SQL.

unmask writes its queries as text (DuckDB's dialect, transpiled for Spark), and some of
what goes into them comes from outside: the store and run folder paths, file paths, column
names of an export, ``--map`` and ``--option`` values. Each such value enters a query
through :func:`literal` (a string) or :func:`identifier` (a name), never by pasting it
between quotes: a path such as ``x'; COPY ... TO '/tmp/x`` is then a path, not a
statement. DuckDB's parameters (``?``) are used instead where a statement takes them;
``SET``, ``COPY ... TO`` and view definitions do not.

DuckDB's standard string literal has a single escape, the doubled quote (a backslash is an
ordinary character), and the same holds for double-quoted identifiers. sqlglot reads both
as DuckDB does when it transpiles a query for Spark. ``tests/test_sql_quoting.py`` checks
that arbitrary text goes through DuckDB unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Iterable


def literal(value: str | os.PathLike[str] | None) -> str:
    """``value`` as a SQL string literal (``NULL`` for None); paths as their text."""
    if value is None:
        return "NULL"
    return "'" + os.fspath(value).replace("'", "''") + "'"


def literals(values: Iterable[str | os.PathLike[str]]) -> str:
    """Comma-separated literals, for ``IN (...)`` and ``[...]`` lists."""
    return ", ".join(literal(v) for v in values)


def identifier(name: str) -> str:
    """``name`` as a quoted SQL identifier (a column called ``Page Name`` or ``a"b``)."""
    return '"' + name.replace('"', '""') + '"'
