"""The embedded default engine: an in-process DuckDB connection set up the same way everywhere."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb


def connect(
    database: str = ":memory:",
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: Path | None = None,
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection in UTC whose memory is bounded (it spills to ``temp_directory``).

    ``UNMASK_MEMORY_LIMIT`` and ``UNMASK_THREADS`` override the defaults for a whole run.
    """
    con = duckdb.connect(database)
    con.execute("SET TimeZone = 'UTC'")
    limit = memory_limit or os.environ.get("UNMASK_MEMORY_LIMIT", "4GB")
    con.execute(f"SET memory_limit = '{limit}'")
    n = threads or int(os.environ.get("UNMASK_THREADS", "0") or 0)
    if n:
        con.execute(f"SET threads = {n}")
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{temp_directory}'")
    # Insertion order is what lets a staged row keep its source record number cheaply.
    con.execute("SET preserve_insertion_order = true")
    return con
