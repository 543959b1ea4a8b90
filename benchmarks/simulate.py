"""Simulator speed and memory: activities per second and peak RSS at several sizes.

    .venv/bin/python benchmarks/simulate.py                 # medium and a ~10M-activity run
    .venv/bin/python benchmarks/simulate.py --run large:0.02 --run large:0.1
    .venv/bin/python benchmarks/simulate.py --run large:1   # the full ~100M world (≈15 min, ~8 GB disk)

Each ``--run SCENARIO:SCALE`` runs ``unmask.simulate.world.simulate`` in a fresh process
(so peak RSS is that run's alone) into a temporary folder, and prints the activities, the
seconds, activities/s and peak RSS. The world streams day by day in chunks of
``world.chunk_rows`` rows, so peak memory is set by the chunk size and the number of
accounts (about 40 bytes each), not by the number of activities: compare the peak RSS of
two sizes (the last column gives RSS growth per million activities between consecutive runs).

Measured on the 2-core development machine (seed 1):

    run            activities   seconds   act/s    peak RSS
    small:1            91,910       3.3   27,566     187 MB
    medium:1        2,186,463      20.8  105,147     348 MB
    large:0.03      3,004,973      22.1  136,156     359 MB
    large:0.1      10,082,241      53.8  187,514     426 MB
    large:1       100,607,961     660.5  152,331     657 MB   (`unmask simulate`, 5.8 GB on disk)

Ten times the activities cost +54% RSS: what grows is the per-account state (1.34M accounts
in the full world), not the activities, which stream.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time
from unmask.simulate.scenario import load_scenario
from unmask.simulate.world import simulate
name, scale, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
t = time.perf_counter()
r = simulate(out, load_scenario(name), seed=1, scale=scale)
seconds = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
e = r.manifest.entities
print(json.dumps({"activities": e["activities"], "records": r.manifest.rows_read,
                  "accounts": e["accounts"], "seconds": seconds, "peak_rss": peak}))
"""


def run_one(spec: str, workdir: Path) -> dict:
    name, _, scale = spec.partition(":")
    out = workdir / f"{name}-{scale or '1'}"
    try:
        res = subprocess.run(
            [sys.executable, "-c", CHILD, name, scale or "1", str(out)],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"run": spec} | json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--run", action="append", help="SCENARIO:SCALE (repeatable)")
    ap.add_argument(
        "--workdir", type=Path, default=None, help="where to write (default: a temp dir)"
    )
    ap.add_argument("--json", action="store_true", help="print JSON lines only")
    args = ap.parse_args()
    runs = args.run or ["medium:1", "large:0.1"]
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="unmask-simbench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    results = []
    if not args.json:
        print(
            f"{'run':<14}{'activities':>13}{'records':>13}{'accounts':>11}{'seconds':>9}{'act/s':>10}{'peak RSS':>11}{'MB/M act':>10}"
        )
    for spec in runs:
        r = run_one(spec, workdir)
        growth = ""
        if results:
            prev = results[-1]
            d_act = (r["activities"] - prev["activities"]) / 1e6
            if d_act > 0:
                growth = f"{(r['peak_rss'] - prev['peak_rss']) / 2**20 / d_act:.1f}"
        results.append(r)
        if args.json:
            print(json.dumps(r))
        else:
            print(
                f"{r['run']:<14}{r['activities']:>13,}{r['records']:>13,}{r['accounts']:>11,}"
                f"{r['seconds']:>9.1f}{r['activities'] / r['seconds']:>10,.0f}"
                f"{r['peak_rss'] / 2**20:>9.0f}MB{growth:>10}",
                flush=True,
            )
    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
