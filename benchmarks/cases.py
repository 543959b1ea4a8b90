"""How long recording a run takes when the case store is big.

A detect run of the small simulated world (coordination signals, ``likely=0.0``) is
recorded into an empty case store; then the store is filled with ``--cases`` unrelated
cases of ``--assets-per-case`` assets each, and a copy of the same run (its ``run.json``
marked, so that it is a new run) is recorded again: every operation is matched to its case
through the database's join, among all the others.

    .venv/bin/python benchmarks/cases.py --out /tmp/cases-bench
    .venv/bin/python benchmarks/cases.py --out /tmp/cases-bench --url postgresql+psycopg://u@h/db

Prints seconds per step and the store's size in rows.

``--matching`` measures the matching instead: the world's first days, the whole world and
the rest are detected and recorded in that order (as tests/test_cases.py does), and it
prints how many of the runs' operations the overlap coefficient and Jaccard would match to
an operation of the whole world, and the cases after each recording.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from unmask.cases import MATCH_THRESHOLD, CaseStore, case_assets, cases, runs

CHUNK = 50_000
ROOT = Path(__file__).resolve().parents[1]


def make_run(out: Path) -> Path:
    from unmask.detect import DetectConfig, detect
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate
    from unmask.store import Store

    world = out / "world"
    simulate(world, load_scenario("small"), seed=1)
    signals = ["coaction_url", "coaction_parent", "coaction_text", "content"]
    run = out / "run"
    detect(Store(world / "store"), run, DetectConfig(signals=signals, likely=0.0))
    return run


def fill(cs: CaseStore, n_cases: int, per_case: int) -> None:
    """``n_cases`` cases whose assets no run of the world has."""
    now = datetime.now(UTC)
    with cs.engine.begin() as con:
        con.execute(runs.insert().values(run_id="background", path="-", recorded_at=now))
        first = con.execute(sa.select(sa.func.coalesce(sa.func.max(cases.c.id), 0))).scalar() + 1
        for start in range(0, n_cases, CHUNK):
            ids = range(first + start, first + min(n_cases, start + CHUNK))
            con.execute(
                cases.insert(),
                [
                    {
                        "id": i,
                        "title": f"background {i}",
                        "status": "open",
                        "created_at": now,
                        "updated_at": now,
                        "first_run": "background",
                        "last_run": "background",
                        "asset_count": per_case,
                    }
                    for i in ids
                ],
            )
            con.execute(
                case_assets.insert(),
                [
                    {"case_id": i, "platform": "x", "account_id": f"bg{i}-{k}", "runs_seen": 1}
                    for i in ids
                    for k in range(per_case)
                ],
            )


def matching(out: Path) -> dict[str, object]:
    sys.path.insert(0, str(ROOT / "tests"))
    from test_cases import CUT, _detect, _window, operations

    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate
    from unmask.store import Store

    shutil.rmtree(out, ignore_errors=True)
    simulate(out / "world", load_scenario("small"), seed=1)
    src = Store(out / "world" / "store")
    made = {
        "early": _detect(_window(src, out / "early-store", None, CUT), out / "early"),
        "full": _detect(src, out / "full"),
        "late": _detect(_window(src, out / "late-store", CUT, None), out / "late"),
    }
    ops = {k: operations(v) for k, v in made.items()}
    report: dict[str, object] = {"operations": {k: len(v) for k, v in ops.items()}}
    measures = {
        "overlap": lambda a, b: len(a & b) / min(len(a), len(b)),
        "jaccard": lambda a, b: len(a & b) / len(a | b),
    }
    for part in ("early", "late"):
        report[f"{part}_matching_a_full_operation"] = {
            name: sum(
                max(f(a, b) for b in ops["full"].values()) >= MATCH_THRESHOLD
                for a in ops[part].values()
            )
            for name, f in measures.items()
        }
    with CaseStore(f"sqlite:///{out / 'cases.sqlite'}") as cs:
        for part in ("early", "full", "late"):
            rec = cs.record_run(made[part])
            report[f"after_{part}"] = {
                "new": len(rec.new_cases),
                "updated": len(rec.updated_cases),
                "merged": len(rec.merged),
                "live_cases": sum(c["status"] != "merged" for c in cs.list_cases()),
            }
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("/tmp/cases-bench"))
    ap.add_argument("--url", help="case store URL (default: SQLite in --out)")
    ap.add_argument("--run", type=Path, help="a detect run (default: made in --out)")
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--assets-per-case", type=int, default=20)
    ap.add_argument("--matching", action="store_true", help="measure matching (above)")
    args = ap.parse_args()
    if args.matching:
        print(json.dumps(matching(args.out), indent=2))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {}
    t = time.perf_counter()
    run = args.run or make_run(args.out)
    report["make_run_seconds"] = round(time.perf_counter() - t, 2)
    url = args.url or f"sqlite:///{args.out / 'cases.sqlite'}"
    if not args.url:
        for p in args.out.glob("cases.sqlite*"):
            p.unlink()
    with CaseStore(url) as cs:
        t = time.perf_counter()
        rec = cs.record_run(run)
        report["record_into_empty_seconds"] = round(time.perf_counter() - t, 3)
        report["operations"] = len(rec.clusters)
        t = time.perf_counter()
        fill(cs, args.cases, args.assets_per_case)
        report["fill_seconds"] = round(time.perf_counter() - t, 2)
        again = args.out / "run-again"
        shutil.rmtree(again, ignore_errors=True)
        shutil.copytree(run, again)
        meta = json.loads((again / "run.json").read_text())
        meta["copied_for_benchmark"] = True
        (again / "run.json").write_text(json.dumps(meta))
        t = time.perf_counter()
        rec2 = cs.record_run(again)
        report["record_into_big_seconds"] = round(time.perf_counter() - t, 3)
        report["matched"] = sum(1 for v in rec2.clusters.values() if v[1] == "updated")
        report["new"] = len(rec2.new_cases)
        with cs.engine.connect() as con:
            report["store_cases"] = con.execute(
                sa.select(sa.func.count()).select_from(cases)
            ).scalar()
            report["store_assets"] = con.execute(
                sa.select(sa.func.count()).select_from(case_assets)
            ).scalar()
    report["url"] = sa.engine.make_url(url).render_as_string(hide_password=True)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
