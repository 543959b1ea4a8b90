"""The embedded default engine: an in-process DuckDB connection set up the same way everywhere."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from unmask.engine.base import BatchFn, Engine, GroupFn
from unmask.engine.sql import literal

if TYPE_CHECKING:
    from unmask.store import Store


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
    con.execute(f"SET memory_limit = {literal(limit)}")
    n = threads or int(os.environ.get("UNMASK_THREADS", "0") or 0)
    if n:
        con.execute(f"SET threads = {n}")
    if temp_directory is not None:
        temp_directory.mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = {literal(temp_directory)}")
    # Insertion order is what lets a staged row keep its source record number cheaply.
    con.execute("SET preserve_insertion_order = true")
    # DuckDB's progress bar redraws one line in a terminal; in a log it is thousands of
    # lines of "12% ▕███..." (a 10M-activity detect wrote 300 of them).
    if not sys.stderr.isatty():
        con.execute("SET enable_progress_bar = false")
    return con


class DuckDBEngine(Engine):
    """The embedded default: DuckDB in this process, over the store's Parquet files."""

    name = "duckdb"

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.store = store
        self.con = store.connect(con)

    def create_table(self, name: str, query: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {query}")

    def drop(self, *names: str) -> None:
        for n in names:
            self.con.execute(f"DROP TABLE IF EXISTS {n}")

    def register(self, name: str, table: pa.Table) -> None:
        # A copy, not a view over the Arrow object: it lives as long as the engine and
        # drop() forgets it like any other table.
        self.con.register("_unmask_arrow", table)
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM _unmask_arrow")
        finally:
            self.con.unregister("_unmask_arrow")

    def map_batches(
        self,
        name: str,
        query: str,
        fn: BatchFn,
        schema: pa.Schema,
        batch_rows: int = 100_000,
    ) -> None:
        with self._parquet_table(name, schema) as writer:
            for batch in self.con.sql(query).to_arrow_reader(batch_rows):
                if batch.num_rows:
                    writer.write_batch(fn(batch))

    def map_groups(self, name: str, queries: list[str], fn: GroupFn, schema: pa.Schema) -> None:
        # Groups one after another from DuckDB, each handed to a thread as it arrives (fn is
        # compiled code that lets go of the GIL); no more groups in hand than there are
        # threads (each is held in Python, outside DuckDB's memory limit), and the results
        # written in the groups' order.
        threads = int(self.con.execute("SELECT current_setting('threads')").fetchall()[0][0])
        with self._parquet_table(name, schema) as writer, ThreadPoolExecutor(threads) as pool:
            running: deque[Future] = deque()
            for query in queries:
                while len(running) >= threads or (running and running[0].done()):
                    writer.write_table(running.popleft().result())
                running.append(pool.submit(fn, self.con.sql(query).to_arrow_table()))
            while running:
                writer.write_table(running.popleft().result())

    @contextmanager
    def _parquet_table(self, name: str, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
        """A writer whose rows become the table ``name`` when the block ends. Through a
        Parquet file: the connection cannot take rows in while it still streams a query,
        and holding them in Python would not bound the memory."""
        base = self.store.temp_dir
        base.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix="map-", dir=base))
        try:
            path = tmp / "out.parquet"
            # Read back once, right away: plain encoding, no compression (dictionaries of
            # high-cardinality columns cost more than they save here).
            with pq.ParquetWriter(
                path, schema, compression="none", use_dictionary=False, write_statistics=False
            ) as writer:
                yield writer
            self.create_table_from_parquet(name, path)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def fetch(self, query: str) -> pa.Table:
        return self.con.sql(query).to_arrow_table()

    def write_parquet(self, query: str, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.con.execute(f"COPY ({query}) TO {literal(path)} (FORMAT parquet, COMPRESSION zstd)")

    def close(self) -> None:
        self.con.close()
