"""The engine interface: what a signal may ask of the engine that runs it.

Signals are written once, as SQL in DuckDB's dialect over the store's views (``accounts``,
``activities``, ``follows``, ``infrastructure``). The DuckDB engine runs that SQL as it is;
the Spark engine transpiles it with sqlglot (see ``docs/engines.md`` for why SQL + sqlglot
and not a dataframe library). A signal therefore never loops over rows in Python: it asks
the engine to build tables and reads back only small results (counts, thresholds, the
final edges).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from unmask.engine.sql import literal

# What a compiled step hands :meth:`Engine.map_batches` (one record batch at a time) and
# :meth:`Engine.map_groups` (whole groups of rows); each engine runs it its own way.
BatchFn = Callable[[pa.RecordBatch], pa.RecordBatch]
GroupFn = Callable[[pa.Table], pa.Table]


@dataclass(frozen=True)
class Capabilities:
    """What sets an engine apart, for the code that must work differently on one: it asks
    for the capability, never for the engine's name (a third engine then says what it can
    do, and nothing else changes)."""

    # Tables keep the plan of the query that made them (Spark's lineage): a chain of
    # steps must be cut by writing each table to Parquet and reading it back
    # (``unmask.engine.session.RunSession``), or later plans grow without bound.
    plans_grow: bool = False


class Engine(ABC):
    """Runs unmask's SQL (DuckDB dialect) over one activity store, whose views
    (``unmask.store.VIEWS``) every engine makes the same."""

    name: str  # what the user picks it by (``unmask.engine.ENGINES``), for messages
    capabilities: Capabilities = Capabilities()

    @abstractmethod
    def create_table(self, name: str, query: str) -> None:
        """Materialise ``query`` as a table (or cached view) called ``name``."""

    def create_table_from_parquet(self, name: str, path: Path) -> None:
        """Materialise the Parquet file ``path`` as ``name`` (a file this process wrote)."""
        self.create_table(name, f"SELECT * FROM read_parquet({literal(path)})")

    @abstractmethod
    def drop(self, *names: str) -> None:
        """Forget tables made with :meth:`create_table`."""

    def register(self, name: str, table: pa.Table) -> None:
        """Make a small Arrow table (a cluster's accounts, say) queryable as ``name``."""
        raise NotImplementedError(f"{type(self).__name__} cannot register Arrow tables")

    def map_batches(self, name: str, query: str, fn: BatchFn, schema: pa.Schema) -> None:
        """Materialise as ``name`` what ``fn`` makes of the Arrow record batches of ``query``.

        ``fn`` must treat each batch on its own (it may run where the data is, in several
        processes) and return a batch of ``schema``. For work that SQL does badly, such as
        a compiled loop over the characters of each text; never for what SQL can say."""
        raise NotImplementedError(f"{type(self).__name__} cannot map record batches")

    def map_groups(self, name: str, queries: list[str], fn: GroupFn, schema: pa.Schema) -> None:
        """Materialise as ``name`` what ``fn`` makes of whole groups of rows: each query of
        ``queries`` (all with the same columns) is one group.

        Each call of ``fn`` gets every row of one group, and perhaps of other groups too (an
        engine may hand several groups to one worker), in no particular order; ``fn`` must
        therefore give on several groups together what it gives on each, and one group's
        rows must fit in a worker's memory. For a compiled step that needs to see a group
        at once (all the bucket keys of one band, say) and that SQL does badly."""
        raise NotImplementedError(f"{type(self).__name__} cannot map groups of rows")

    def shared(self, name: str, query: str) -> None:
        """Materialise ``query`` as ``name`` unless this engine has made it already: a
        table that several signals of one run read (co-action's and burst's normalised
        texts), made once. It lives until :meth:`drop_shared` (``detect`` calls it once
        its signals have run) or the engine closes; a signal's session never drops it."""
        made: dict[str, str] = self.__dict__.setdefault("_shared", {})
        if made.get(name) == query:
            return
        if name in made:
            raise ValueError(f"shared table {name!r} was made by another query")
        self.create_table(name, query)
        made[name] = query

    def drop_shared(self) -> None:
        """Drop the tables made with :meth:`shared`."""
        made: dict[str, str] = self.__dict__.setdefault("_shared", {})
        self.drop(*made)
        made.clear()

    @abstractmethod
    def fetch(self, query: str) -> pa.Table:
        """Run ``query`` and return its (small) result as Arrow."""

    @abstractmethod
    def write_parquet(self, query: str, path: Path) -> None:
        """Write the result of ``query`` to one Parquet file."""

    def scalar(self, query: str):
        table = self.fetch(query)
        return table.column(0)[0].as_py() if table.num_rows else None

    def count(self, table: str) -> int:
        return int(self.scalar(f"SELECT count(*) FROM {table}"))

    def close(self) -> None:  # noqa: B027 - engines without resources need nothing
        pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
