"""Identity traits and shared infrastructure on a simulated world: recall per planted role,
false-positive rate per hard-negative group, seconds and peak RSS.

    .venv/bin/python benchmarks/identity_infra.py /work/worlds/medium
    .venv/bin/python benchmarks/identity_infra.py /work/worlds/large-0.1 --cost-only
    .venv/bin/unmask simulate --out /tmp/small --scenario small --seed 1 && \\
        .venv/bin/python benchmarks/identity_infra.py /tmp/small

Each signal runs in a fresh process (so that peak RSS is its own) on DuckDB with the
default settings (``UNMASK_MEMORY_LIMIT``, ``UNMASK_THREADS``). Accounts are scored with
``unmask evaluate`` against ``WORLD/truth``: for identity, the accounts scored 0.5 or more
and, apart, the accounts at either end of an edge; for infra, the ends of its edges.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _child(world: Path, name: str, out: Path, cost_only: bool) -> None:
    sys.path.insert(0, str(ROOT / "tests"))
    from worldscore import accounts_of, score_accounts

    from unmask.engine.duckdb import DuckDBEngine
    from unmask.signals.base import Evidence
    from unmask.signals.identity import IdentityTraits
    from unmask.signals.infra import SharedInfrastructure
    from unmask.store import Store

    sig = {"identity": IdentityTraits, "infra": SharedInfrastructure}[name]()
    engine = DuckDBEngine(Store(world / "store"))
    t = time.perf_counter()
    ev = sig.run(engine)
    seconds = time.perf_counter() - t
    result = {
        "signal": name,
        "seconds": round(seconds, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "stats": ev.stats,
        "notes": ev.notes,
    }
    if not cost_only:
        views = {"edges": accounts_of(Evidence(name, {}, edges=ev.edges))}
        if name == "identity":
            views["scores"] = accounts_of(Evidence(name, {}, scores=ev.scores), min_score=0.5)
        for view, accounts in views.items():
            with tempfile.TemporaryDirectory() as tmp:
                r = score_accounts(world, Path(tmp), accounts, name)
            result[view] = {
                "overall": r["overall"],
                "roles": {
                    o["id"]: {x["role"]: [x["flagged"], x["accounts"]] for x in o["roles"]}
                    for o in r["operations"]
                },
                "groups": {g["group"]: g["rate"] for g in r["groups"]},
                "ordinary": r["ordinary"]["rate"],
            }
    out.write_text(json.dumps(result, default=str))


def _print(r: dict) -> None:
    print(f"\n== {r['signal']}: {r['seconds']} s, peak RSS {r['peak_rss_mb']} MB")
    print("   stats:", r["stats"], *r["notes"])
    for view in ("scores", "edges"):
        if view not in r:
            continue
        o = r[view]["overall"]
        print(
            f"   {view}: precision {o['precision']:.3f}, recall {o['recall']:.3f} "
            f"(tp {o['tp']}, fp {o['fp']}, fn {o['fn']}); ordinary {r[view]['ordinary']:.4f}"
        )
        for op, roles in r[view]["roles"].items():
            parts = ", ".join(f"{k} {f}/{n} ({f / n:.2f})" for k, (f, n) in roles.items())
            print(f"     {op}: {parts}")
        print("     groups:", ", ".join(f"{g} {v:.4f}" for g, v in r[view]["groups"].items()))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("world", type=Path)
    ap.add_argument("--signals", default="identity,infra")
    ap.add_argument("--cost-only", action="store_true")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _child(a.world, a.child, a.out, a.cost_only)
        return
    for name in a.signals.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "r.json"
            cmd = [sys.executable, __file__, str(a.world), "--child", name, "--out", str(out)]
            subprocess.run(cmd + (["--cost-only"] if a.cost_only else []), check=True)
            _print(json.loads(out.read_text()))


if __name__ == "__main__":
    main()
