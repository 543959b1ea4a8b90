"""One run of a signal over an engine: the tables it makes are dropped when it ends.

On engines whose tables keep the lineage of the query that made them (Spark), each table is
written to Parquet and read back, so that a chain of thirty steps (some in a loop, some
joining a table with itself) does not make later queries' plans grow without bound. On
DuckDB, temporary tables are used as they are.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pyarrow as pa

from unmask.engine.base import BatchFn, Engine, GroupFn


class RunSession(Engine):
    """The engine as one run of a signal uses it (``with RunSession(engine) as s: ...``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.name = engine.name
        self.capabilities = engine.capabilities
        self.store = getattr(engine, "store", None)
        self.tables: list[str] = []
        self.spill: Path | None = None
        if engine.capabilities.plans_grow:
            base = self.store.temp_dir if self.store is not None else Path(tempfile.gettempdir())
            base.mkdir(parents=True, exist_ok=True)
            self.spill = Path(tempfile.mkdtemp(prefix="run-", dir=base))
        self._n = 0

    def _made(self, name: str) -> None:
        if name not in self.tables:
            self.tables.append(name)

    def create_table(self, name: str, query: str) -> None:
        self._made(name)
        if self.spill is None:
            self.engine.create_table(name, query)
            return
        self._n += 1
        path = self.spill / f"t{self._n:03d}{name}.parquet"  # no leading "_": Spark skips those
        self.engine.write_parquet(query, path)
        self.engine.create_table_from_parquet(name, path)

    def shared(self, name: str, query: str) -> None:
        # The engine's, not the session's: it outlives this run.
        self.engine.shared(name, query)

    def register(self, name: str, table: pa.Table) -> None:
        self._made(name)
        self.engine.register(name, table)

    def map_batches(self, name: str, query: str, fn: BatchFn, schema: pa.Schema) -> None:
        self._made(name)
        self.engine.map_batches(name, query, fn, schema)

    def map_groups(self, name: str, queries: list[str], fn: GroupFn, schema: pa.Schema) -> None:
        self._made(name)
        self.engine.map_groups(name, queries, fn, schema)

    def drop(self, *names: str) -> None:
        self.engine.drop(*names)

    def fetch(self, query: str) -> pa.Table:
        return self.engine.fetch(query)

    def write_parquet(self, query: str, path: Path) -> None:
        self.engine.write_parquet(query, path)

    def close(self) -> None:
        self.engine.drop(*self.tables)
        if self.spill is not None:
            shutil.rmtree(self.spill, ignore_errors=True)
