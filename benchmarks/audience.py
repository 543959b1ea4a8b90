"""Audience signals on a simulated world: bought followers (precision/recall per operation
role and hard-negative group, the bought share of the operations' assets and of popular
ordinary accounts), the echo chamber of every operation and group, seconds and peak RSS.

    .venv/bin/python benchmarks/audience.py --world /work/worlds/medium
    .venv/bin/python benchmarks/audience.py --world /work/worlds/large-0.1
    .venv/bin/python benchmarks/audience.py --scenario small --seed 1   # builds it first
    .venv/bin/python benchmarks/audience.py --scenario small --disguise pictures  # or aged

``--disguise`` rewrites a copy of the world's accounts table before the run: every fake
follower gets a picture and a bio (``pictures``), and is also made four years old (``aged``)
- evasions the simulator has no knob for.

Each part runs in this process; peak RSS is the process's (``ru_maxrss``), so run one world
per process. Figures measured with it are in ``docs/signals.md``.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from unmask.engine.duckdb import DuckDBEngine
from unmask.evaluate import evaluate
from unmask.signals.audience import BoughtFollowers, bought_share, echo_chambers
from unmask.store import Store


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def disguise(world: Path, truth: pa.Table, *, aged: bool) -> Path:
    """A copy of ``world`` whose fake followers have pictures and bios (and are old)."""
    out = Path(tempfile.mkdtemp(prefix="audience-disguised-")) / "world"
    shutil.copytree(world, out)
    fakes = pc.equal(truth["role"], "fake_follower")
    ids = pa.array(truth.filter(fakes)["account_id"].to_pylist(), pa.string())
    for f in (out / "store").rglob("accounts-*.parquet"):
        t = pq.read_table(f)
        is_f = pc.is_in(t["account_id"], value_set=ids)

        def put(t: pa.Table, col: str, value, is_f=is_f) -> pa.Table:
            i = t.schema.get_field_index(col)
            return t.set_column(
                i, col, pc.if_else(is_f, value, t[col]).cast(t.schema.field(col).type)
            )

        t = put(t, "profile_image_hash", pc.binary_join_element_wise("pic-", t["account_id"], ""))
        t = put(t, "description", pa.scalar("love life and travel"))
        if aged:
            t = put(t, "created_at", pc.subtract(t["observed_at"], pa.scalar(timedelta(days=1500))))
        pq.write_table(t, f)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--world", type=Path)
    ap.add_argument("--scenario", default="small")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--disguise", choices=("pictures", "aged"))
    args = ap.parse_args()
    world = args.world
    if world is None:
        from unmask.simulate.scenario import load_scenario
        from unmask.simulate.world import simulate

        world = Path(tempfile.mkdtemp(prefix="audience-")) / "world"
        simulate(world, load_scenario(args.scenario), seed=args.seed)
    truth = pq.read_table(world / "truth" / "accounts.parquet")
    if args.disguise:
        world = disguise(world, truth, aged=args.disguise == "aged")
    with DuckDBEngine(Store(world / "store")) as eng:
        t0 = time.perf_counter()
        ev = BoughtFollowers().run(eng)
        seconds = time.perf_counter() - t0
        rss = peak_mb()
        print(f"BoughtFollowers: {seconds:.1f} s, peak RSS {rss} MB (process so far)")
        print("  steps:", json.dumps(ev.stats["seconds"]))
        for k in ("follows", "bursts", "candidate_follows", "followers_judged", "followers_bought"):
            print(f"  {k}: {ev.stats[k]:,}")
        print(
            f"  edges: {ev.edges.num_rows:,} (bought follows {ev.stats['bought_follows']:,}, "
            f"shared pool {ev.stats['shared_pool_edges']:,}), events {ev.events.num_rows:,}"
        )
        for b in ev.stats["blocks"]:
            print(
                f"  block {b['block']} {b['platform']}: {b['followers']} followers x "
                f"{b['followed']} followed, density {b['density']:.2f} (null {b['null_density']:.2f})"
            )

        # Precision/recall of the followers it flags.
        flagged = [
            (r["platform"], r["account_id"])
            for r in ev.scores.to_pylist()
            if r["score"] >= BoughtFollowers.score_threshold
        ]
        run = Path(tempfile.mkdtemp(prefix="audience-run-"))
        import pyarrow.csv as pacsv

        pacsv.write_csv(
            pa.table(
                {
                    "platform": [p for p, _ in flagged],
                    "account_id": [a for _, a in flagged],
                    "signals": ["followers"] * len(flagged),
                }
            ),
            run / "flagged.csv",
        )
        res = evaluate(world / "truth", run).to_dict()
        o = res["overall"]
        prec = "-" if o["precision"] is None else f"{o['precision']:.3f}"
        print(f"flagged followers: {len(flagged):,}; precision {prec}")
        for op in res["operations"]:
            for r in op["roles"]:
                print(f"  {op['id']:16s} {r['role']:14s} {r['flagged']:6,}/{r['accounts']:<6,}")
        print(f"  ordinary: {res['ordinary']['flagged']}/{res['ordinary']['accounts']}")
        for g in res["groups"]:
            print(f"  {g['group']:20s} {g['flagged']}/{g['accounts']} ({g['rate']:.3f})")

        # Bought share: the operations' accounts that bought, against popular ordinary ones.
        aud = ev.tables["audiences"]
        lab = {
            (p, a): (o or "-", r)
            for p, a, o, r in zip(
                *(truth[c].to_pylist() for c in ("platform", "account_id", "operation_id", "role")),
                strict=True,
            )
        }
        rows = [x for x in aud.to_pylist() if x["bought_in_bursts"] > 0 or x["block"] is not None]
        ops = [x for x in rows if lab.get((x["platform"], x["account_id"]), ("-",))[0] != "-"]
        shares = sorted(x["bought_share"] for x in rows)
        print(
            f"accounts with bought follows: {len(rows)}, of the operations: {len(ops)}"
            + (
                f"; bought share min {shares[0]:.2f}, median {shares[len(shares) // 2]:.2f}"
                if shares
                else ""
            )
        )
        ordinary = truth.filter(pc.equal(truth["group"], "ordinary"))
        keys = {
            (p, a)
            for p, a in zip(
                ordinary["platform"].to_pylist(), ordinary["account_id"].to_pylist(), strict=True
            )
        }
        top = eng.fetch(
            "SELECT platform, account_id FROM accounts ORDER BY followers DESC, account_id LIMIT 500"
        )
        top = [
            (p, a)
            for p, a in zip(top["platform"].to_pylist(), top["account_id"].to_pylist(), strict=True)
            if (p, a) in keys
        ][:50]
        shares = bought_share(
            eng,
            pa.table(
                {
                    "platform": [p for p, _ in top],
                    "account_id": [a for _, a in top],
                    "cluster_id": [f"{p}/{a}" for p, a in top],
                }
            ),
            ev,
        )["bought_share"].to_pylist()
        print(
            f"50 most-followed ordinary accounts: bought share max {max(shares):.3f}, "
            f"median {sorted(shares)[25]:.3f}"
        )

        # Echo chambers: every operation's accounts (fake followers aside) and every group.
        cluster = [
            (o if r != "fake_follower" else None) if o else g
            for o, r, g in zip(
                *(truth[c].to_pylist() for c in ("operation_id", "role", "group")), strict=True
            )
        ]
        groups = truth.append_column("cluster_id", pa.array(cluster, pa.string())).filter(
            pc.is_valid(pa.array(cluster, pa.string()))
        )
        t1 = time.perf_counter()
        echo = echo_chambers(eng, groups)
        print(
            f"echo chambers of {echo.num_rows} groups in one pass: {time.perf_counter() - t1:.1f} s"
        )
        for r in echo.to_pylist():
            share = r["inside_share"]
            print(
                f"  {r['cluster_id']:20s} received {r['received']:8,}  inside "
                f"{'-' if share is None else f'{share:.2f}'}  outside accounts {r['outside_accounts']:,}"
            )
    print(f"peak RSS {peak_mb()} MB")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
