"""Engines that run unmask's queries: DuckDB (embedded, the default) and Spark (`unmask[spark]`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from unmask.errors import InputError, missing_extra

if TYPE_CHECKING:
    from unmask.engine.base import Engine
    from unmask.store import Store

ENGINES = ("duckdb", "spark")


def open_engine(name: str, store: Store) -> Engine:
    """The engine called ``name`` over ``store``."""
    if name == "duckdb":
        from unmask.engine.duckdb import DuckDBEngine

        return DuckDBEngine(store)
    if name == "spark":
        with missing_extra("the spark engine", "spark"):
            from unmask.engine.spark import SparkEngine

            return SparkEngine(store)
    raise InputError(f"unknown engine {name!r}; expected one of {', '.join(ENGINES)}")
