"""Engines that run unmask's queries: DuckDB (embedded default); Spark comes later."""
