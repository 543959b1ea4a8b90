"""The copied-content signal alone on a store: this code against another checkout's, back to back.

    .venv/bin/python benchmarks/content.py --store /work/worlds/medium/store
    git worktree add /tmp/old e03f5f3
    .venv/bin/python benchmarks/content.py --store STORE --against /tmp/old/src

Each run is a fresh process (``CopiedContent().run`` with its defaults on the DuckDB engine)
that prints wall and CPU seconds (CPU seconds move much less than wall seconds when other
jobs share the machine), peak RSS and what it found (near-duplicate pairs, families, kept
edges). With ``--against``, the other code runs first, then this one, on the same store; the
ratio of their CPU seconds is the figure that travels. Numba compiles the kernels on a run
after an install or a change (about 5 s, then cached): ``--warm`` runs each code once first.

Measured 2026-11-25 (load average 4-5 from other jobs; e03f5f3 against the compiled kernels):
see docs/signals.md, "Speed" of copied content: 1.7-1.9x fewer CPU seconds on the 1M-row
toolkit CSV, the medium world and the 10M world.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import unmask
from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.content import CopiedContent
from unmask.store import Store
assert Path(unmask.__file__).resolve().is_relative_to(Path(sys.argv[1]).resolve()), unmask.__file__
eng = DuckDBEngine(Store(sys.argv[2]))
t, c = time.perf_counter(), time.process_time()
ev = CopiedContent().run(eng)
print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                  "near_duplicate_pairs": ev.stats.get("near_duplicate_pairs"),
                  "families": ev.stats.get("families"), "edges": ev.edges.num_rows}))
"""

HERE = Path(__file__).resolve().parents[1] / "src"


def run(src: Path, store: Path) -> dict:
    # From outside the repository, so that the code on sys.path is the one imported.
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(src), str(store)],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--against", type=Path, help="another checkout's src/ to compare with")
    ap.add_argument("--warm", action="store_true", help="run each code once before measuring")
    args = ap.parse_args()
    codes = ([("against", args.against)] if args.against else []) + [("this", HERE)]
    if args.warm:
        for _, src in codes:
            run(src, args.store)
    results = {name: run(src, args.store) for name, src in codes}
    for name, r in results.items():
        print(
            f"{name:8} wall {r['wall']:7.1f} s  CPU {r['cpu']:7.1f} s  peak {r['peak_rss_mb']:,} MB  "
            f"near-duplicate pairs {r['near_duplicate_pairs']:,}  families {r['families']:,}  "
            f"edges {r['edges']:,}"
        )
    if args.against:
        print(f"CPU ratio against/this: {results['against']['cpu'] / results['this']['cpu']:.2f}x")


if __name__ == "__main__":
    main()
