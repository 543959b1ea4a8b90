"""Fit the judgement model (``unmask.judgement``) on the simulator's worlds at the tuning seeds.

    PYTHONPATH=src .venv/bin/python benchmarks/fit_judgement.py --work /tmp/fit
    ... --out src/unmask/judgement_model.json      # replace the shipped model
    ... --worlds small,medium                       # also the medium world's baseline

For every robustness variation (``benchmarks/robustness/*.toml``) and tuning seed
(``robustness.TUNING_SEEDS``; the evaluation seeds are refused), and for the small baseline
at more tuning seeds (``robustness.BASELINE_TUNING_SEEDS``, ``--baseline-seeds``: the
variations repeat seeds 1 and 2's population, and the careful operation's evidence varies
more between seeds than between variations), the world is simulated into
``WORK/<world>-<variation>-<seed>/world`` and the default detect runs into ``.../run``; both
are kept, so a second call (another ``--l2``, a new feature or clustering rule) reuses the
worlds and the signals' evidence (``detect(..., reuse_evidence=True)``) and redoes the
rest. Each cluster of at least ``min_size`` accounts is a row: its features (``clusters.parquet``) and its truth, an
operation when at least half its accounts belong to a planted operation. The model is
fitted with every gap of ``unmask.judgement.GAPS`` (the same clusters with the features an
export might lack made missing), written with its provenance, and its in-sample
reliability table printed. The ridge penalty is chosen by cross-validation, each tuning
seed's worlds held out in turn (``judgement.choose_l2``; ``--l2 X`` fixes it): with
``l2 = 1`` fixed, every cluster from 0.4 to 0.8 at the evaluation seeds was an operation,
an underconfident model that left small operations and the careful one under ``likely``. The held-out check is ``benchmarks/robustness.py`` at the
evaluation seeds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from robustness import (
    BASELINE_TUNING_SEEDS,
    EVALUATION_SEEDS,
    MIN_SIZE,
    NOT_IN_FIT,
    SCENARIO_DIR,
    TUNING_SEEDS,
    WORLD_SCALES,
    labelled_clusters,
    variations,
)


def make(world: str, variation: str, scenario: str, seed: int, scale: float, work: Path) -> Path:
    """Simulate and detect one world into ``work`` (the world and the signals' evidence are
    reused when already there)."""
    from unmask.detect import DetectConfig, detect
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate
    from unmask.store import Store

    d = work / f"{world}-{variation}-{seed}"
    if not (d / "world" / "truth" / "accounts.parquet").exists():
        simulate(d / "world", load_scenario(scenario), seed=seed, scale=scale)
    # The signals' evidence is read back when the run is there already (same data, same
    # parameters): a refit after a change to clustering or the features costs seconds.
    detect(
        Store(d / "world" / "store"),
        d / "run",
        DetectConfig(min_size=MIN_SIZE),
        reuse_evidence=True,
    )
    return d


def main() -> None:
    from unmask import judgement

    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--work", type=Path, required=True, help="where worlds and runs are kept")
    ap.add_argument("--out", type=Path, default=None, help="the model file to write")
    ap.add_argument("--seeds", default=",".join(map(str, TUNING_SEEDS)))
    ap.add_argument(
        "--baseline-seeds",
        default=",".join(map(str, BASELINE_TUNING_SEEDS)),
        help="more seeds of the small baseline alone (comma-separated; empty: none)",
    )
    ap.add_argument("--worlds", default="small", help="comma-separated: small, medium, large")
    ap.add_argument(
        "--l2",
        default="cv",
        help="ridge penalty on the weights, or cv (default): chosen by leaving out one "
        "seed at a time (judgement.choose_l2)",
    )
    args = ap.parse_args()
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    extra = [int(s) for s in args.baseline_seeds.split(",") if s.strip() and int(s) not in seeds]
    if set(seeds + extra) & set(EVALUATION_SEEDS):
        used = sorted(set(seeds + extra) & set(EVALUATION_SEEDS))
        ap.error(f"seeds {used} are for evaluation only")
    worlds = [w.strip() for w in args.worlds.split(",") if w.strip()]
    runs = []
    for w in worlds:
        for v, path in variations(SCENARIO_DIR).items():
            if v in NOT_IN_FIT:
                continue
            if w == "small" or v == "baseline":
                runs += [
                    (w, v, str(path) if w == "small" else w, s, WORLD_SCALES[w]) for s in seeds
                ]
            if w == "small" and v == "baseline":
                runs += [(w, v, str(path), s, WORLD_SCALES[w]) for s in extra]
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, run in enumerate(runs, 1):
        t = time.perf_counter()
        d = make(*run, args.work)
        rows += [r for r in labelled_clusters(d) if r["label"] is not None]
        print(
            f"[{i}/{len(runs)}] {d.name}: {time.perf_counter() - t:.1f} s, {len(rows)} clusters",
            file=sys.stderr,
            flush=True,
        )
    labels = [r["label"] for r in rows]
    cv_table = None
    if args.l2 == "cv":
        l2, cv_table = judgement.choose_l2(
            [r["features"] for r in rows], labels, [r["world"].rsplit("-", 1)[1] for r in rows]
        )
        for r in cv_table:
            print(
                f"l2 {r['l2']:g}: held-out log loss {r['loss']:.4f} ± {r['se']:.4f}"
                + ("  <- chosen" if r["l2"] == l2 else ""),
                file=sys.stderr,
            )
    else:
        l2 = float(args.l2)
    model = judgement.fit(
        [r["features"] for r in rows],
        labels,
        l2=l2,
        provenance={
            "fitted": time.strftime("%Y-%m-%d"),
            "command": " ".join(sys.argv),
            "worlds": worlds,
            "variations": sorted({r[1] for r in runs}),
            "seeds": seeds,
            "baseline_seeds": extra,
            "clusters": len(rows),
            "operations": sum(labels),
            "l2": l2,
            "l2_cross_validation": cv_table,
            "gaps": judgement.GAPS,
        },
    )
    probs = [model.probability(r["features"]) for r in rows]
    table = judgement.reliability(probs, labels)
    model.provenance["in_sample_reliability"] = table
    print(json.dumps(model.to_json(), indent=2))
    print(f"{len(rows)} clusters in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for b in table:
        print(
            f"p {b['from']:.1f}-{b['to']:.1f}: {b['clusters']:4d} clusters, "
            f"predicted {b['predicted']:.2f}, observed {b['observed']:.2f}",
            file=sys.stderr,
        )
    (args.work / "clusters.jsonl").write_text(
        "".join(
            json.dumps({**r, "probability": p}) + "\n" for r, p in zip(rows, probs, strict=True)
        ),
        encoding="utf-8",
    )
    if args.out:
        args.out.write_text(json.dumps(model.to_json(), indent=2) + "\n", encoding="utf-8")
        print(f"-> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
