"""The evidence a run writes is byte-stable: the same store and parameters give the same
Parquet files, whatever the number of DuckDB's threads (which decides the order a float sum
adds in and the order rows come out of a join)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from unmask.engine.duckdb import DuckDBEngine, connect
from unmask.signals.registry import default_signals
from unmask.store import Store


def _digests(store: Store, out: Path, threads: int) -> dict[str, str]:
    with DuckDBEngine(store, connect(threads=threads)) as engine:
        for signal in default_signals():
            signal.run(engine).write(out)
    return {
        str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(out.rglob("*.parquet"))
    }


def test_every_default_signal_writes_the_same_bytes_on_one_thread_and_on_eight(
    small_world: Path, tmp_path: Path
) -> None:
    store = Store(small_world / "store")
    one = _digests(store, tmp_path / "one", threads=1)
    eight = _digests(store, tmp_path / "eight", threads=8)
    assert one.keys() == eight.keys()
    assert [name for name in one if one[name] != eight[name]] == []
