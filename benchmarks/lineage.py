"""How long lineage takes on a big store: adding a run's operations to a catalogue and
linking clusters to the catalogue's known operations.

The "run" is made from the simulated world's truth (one cluster per planted operation and
per hard-negative group), so that it measures lineage alone, not detect. The catalogue
holds every Meta indicator file and the world's own operations (``week-a/<cluster>``);
every cluster is then linked against it, on the same store.

    .venv/bin/python benchmarks/lineage.py /work/worlds/large-0.1 --out /tmp/lineage-bench

Prints seconds, peak memory of this process (DuckDB runs in it) and the links found.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import time
from pathlib import Path

import duckdb

from unmask import lineage
from unmask.catalogue import Catalogue, import_meta
from unmask.engine.duckdb import DuckDBEngine
from unmask.store import Store

META = Path(__file__).resolve().parents[2] / "shared" / "data" / "meta-threat-research"


def truth_run(world: Path, run: Path) -> None:
    """nodes.parquet and clusters.parquet of a run whose clusters are the truth's groups."""
    run.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    con.execute(
        f"""CREATE TABLE nodes AS
            SELECT platform, account_id, coalesce(operation_id, "group") AS cluster_id,
                   0::BIGINT AS component, 0::BIGINT AS degree, 0.0::DOUBLE AS strength
            FROM '{world / "truth" / "accounts.parquet"}'
            WHERE coalesce(operation_id, "group", 'ordinary') <> 'ordinary'"""
    )
    con.execute(f"COPY nodes TO '{run / 'nodes.parquet'}' (FORMAT parquet)")
    con.execute(
        f"""COPY (SELECT cluster_id, count(*)::BIGINT AS accounts,
                         list(DISTINCT platform ORDER BY platform) AS platforms,
                         []::VARCHAR[] AS families, 1.0 AS score, true AS operation,
                         'from the truth' AS reason
                  FROM nodes GROUP BY cluster_id)
            TO '{run / "clusters.parquet"}' (FORMAT parquet)"""
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("world", type=Path)
    ap.add_argument("--out", type=Path, default=Path("/tmp/lineage-bench"))
    args = ap.parse_args()
    shutil.rmtree(args.out, ignore_errors=True)
    run = args.out / "run"
    truth_run(args.world, run)
    store = Store(args.world / "store")
    cat = Catalogue(args.out / "catalogue", create=True)
    t0 = time.perf_counter()
    import_meta(cat, [META])
    seconds = {"import_meta": time.perf_counter() - t0}
    with DuckDBEngine(store) as eng:
        t0 = time.perf_counter()
        ops = lineage.operations_from_run(eng, run, "week-a")
        seconds["operations_from_run"] = time.perf_counter() - t0
        cat.add(ops)
        t0 = time.perf_counter()
        links = lineage.link_operations(eng, run, cat)
        seconds["link_operations"] = time.perf_counter() - t0
        activities = eng.count("activities")
    linked = links.filter(links["linked"]).to_pylist()
    report = {
        "world": str(args.world),
        "activities": activities,
        "clusters": len(ops),
        "catalogue_operations": cat.operations().num_rows,
        "catalogue_assets": cat.assets().num_rows,
        "seconds": {k: round(v, 2) for k, v in seconds.items()},
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
        "linked": [(r["cluster_id"], r["known_operation"], round(r["score"], 2)) for r in linked],
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
