"""Robustness: today's default `unmask detect` on operations that adapt (issue #16).

    PYTHONPATH=src .venv/bin/python benchmarks/robustness.py --out /tmp/robustness
    ... --variations baseline,doppelganger_aged --seeds 101,102 --jobs 2
    ... --worlds small,medium          # also the medium world (its baseline only)

Each variation is a scenario file in ``benchmarks/robustness/`` that extends ``small`` and
changes one habit of the planted operations (two combine several: ``combined_quiet``,
``combined_adaptive``). For every variation and seed the world is simulated into a
temporary folder, the default detection runs on it (``unmask.detect.detect`` with a
default ``DetectConfig``, no case store) and ``unmask.evaluate`` scores it against the
truth. ``OUT/robustness.json`` holds one record per variation and seed (account
precision, recall and F1; per operation recall, purity, F1 and status; the false
positives in every authentic group of the truth; seconds), ``OUT/robustness.md`` the
tables (one row per variation, each cell the seeds' figures in order). Both are rewritten
after every run, so an interrupted grid keeps what it measured.

A variation whose scenario does not load (a knob that this checkout does not have yet) is
reported as ``error: <message>`` and the grid goes on; so is a run that fails.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

# Seeds are split so that the benchmark does not grade the detector on the worlds it was
# tuned on: tune on TUNING_SEEDS, report on EVALUATION_SEEDS.
TUNING_SEEDS = (1, 2)
# More tuning seeds of the small baseline only, for the judgement's fit: the variations
# repeat seeds 1 and 2's population (the same authentic groups 36 times over), and the
# careful operation's evidence varies from seed to seed far more than between variations.
BASELINE_TUNING_SEEDS = (3, 4, 5, 6, 7, 8)
EVALUATION_SEEDS = (101, 102)

SCENARIO_DIR = Path(__file__).resolve().parent / "robustness"
# Clusters smaller than this get no tier (``DetectConfig.min_size``); they are not scored.
MIN_SIZE = 5

# The order of the tables: the reference, one habit at a time, then the combined adversaries.
ORDER = (
    "baseline",
    "no_infrastructure",
    "clean_infrastructure",
    "doppelganger_aged",
    "spamouflage_aged",
    "doppelganger_one_article",
    "no_bought_followers",
    "followers_slow",
    "followers_vendor",
    "translation",
    "paraphrase_strong",
    "operator_teams",
    "delays_per_operator",
    "single_shot",
    "off_rota",
    "spamouflage_answered",
    "careful_120",
    "combined_quiet",
    "combined_adaptive",
    "crowds_busy",
)

# Variations measured in the grid but left out of the judgement's fit: hard negatives that
# today's features cannot tell from an operation. Fitted with crowds_busy (a campaign's
# volunteers mobilised on six days of fourteen), the model still put them at 0.99 (its
# features are an operation's: new accounts made together, a site of their own, acting
# together on most of their days) and lost the medium world's careful operation at seed
# 101 (0.97 -> 0); they are a known failure (docs/evaluate.md), not something to fit.
NOT_IN_FIT = ("crowds_busy",)

# The worlds --worlds can ask for, with the scale each is run at. Variations are written
# against ``small``; larger worlds run their baseline (the built-in scenario) and the
# variations of BEYOND_SMALL, the same export gaps over a month of data, where every
# group's persistence is measured (in the small world's two weeks, a rota with weekends off
# spans too few days): without profiles, the medium world's marketing agency was flagged at
# 1.00 before ``separate_owners``.
WORLD_SCALES = {"small": 1.0, "medium": 1.0, "large": 0.1}
BEYOND_SMALL = {"medium": ("baseline", "no_profiles", "posts_only"), "large": ("baseline",)}


def variations(scenario_dir: Path) -> dict[str, Path]:
    found = {p.stem: p for p in scenario_dir.glob("*.toml")}
    ordered = [n for n in ORDER if n in found] + sorted(set(found) - set(ORDER))
    return {n: found[n] for n in ordered}


def on_world(variation: Path, world: str, where: Path) -> Path:
    """The variation written against ``small`` (``extends = "small"``) made to extend
    ``world`` instead, as a file in ``where``."""
    text = variation.read_text()
    line = re.compile(r'^extends\s*=\s*"small"\s*$', re.M)
    if not line.search(text):
        raise SystemExit(f"{variation}: does not extend the small world")
    out = where / f"{world}-{variation.name}"
    out.write_text(line.sub(f'extends = "{world}"', text))
    return out


def labelled_clusters(d: Path) -> list[dict[str, Any]]:
    """Each cluster of the run in ``d`` with its features and its truth: ``label`` 1 when at
    least half its accounts are a planted operation's, None when at least half are fake
    accounts of no operation (``unmask.evaluate.INAUTHENTIC_GROUPS``: neither an operation
    nor an open crowd, left out of the fit and the reliability table), else 0."""
    from unmask.evaluate import INAUTHENTIC_GROUPS

    truth = pq.read_table(d / "world" / "truth" / "accounts.parquet").to_pylist()
    kind = {
        (t["platform"], t["account_id"]): "op"
        if t["operation_id"] is not None
        else ("fake" if t["group"] in INAUTHENTIC_GROUPS else "")
        for t in truth
    }
    members: dict[str, list[str]] = {}
    for n in pq.read_table(d / "run" / "nodes.parquet").to_pylist():
        members.setdefault(n["cluster_id"], []).append(
            kind.get((n["platform"], n["account_id"]), "")
        )
    rows = []
    for c in pq.read_table(d / "run" / "clusters.parquet").to_pylist():
        if c["accounts"] < MIN_SIZE:
            continue
        inside = members[c["cluster_id"]]
        ops, fake = inside.count("op"), inside.count("fake")
        rows.append(
            {
                "world": d.name,
                "cluster_id": c["cluster_id"],
                "accounts": c["accounts"],
                "operation_share": ops / len(inside),
                "label": 1 if 2 * ops >= len(inside) else (None if 2 * fake >= len(inside) else 0),
                "features": {f["feature"]: f["value"] for f in c["features"]},
                "probability": c["probability"],
                "tier": c["tier"],
            }
        )
    return rows


def run_one(
    variation: str,
    scenario: str,
    world_name: str,
    seed: int,
    scale: float,
    tmp_root: str,
    config: str | None = None,
    signals: str | None = None,
) -> dict[str, Any]:
    """Simulate, detect and evaluate one variation at one seed; never raises."""
    record: dict[str, Any] = {
        "variation": variation,
        "world": world_name,
        "seed": seed,
        "scale": scale,
        "scenario": scenario,
        "status": "ok",
    }
    tmp = Path(tempfile.mkdtemp(prefix=f"robust-{variation}-{seed}-", dir=tmp_root))
    try:
        from unmask.simulate.scenario import ScenarioError, load_scenario

        try:
            sc = load_scenario(scenario)
        except ScenarioError as exc:
            return {**record, "status": "error", "error": str(exc)}
        from unmask.detect import DetectConfig, available_signals, detect
        from unmask.evaluate import evaluate
        from unmask.simulate.world import simulate
        from unmask.store import Store

        t = time.perf_counter()
        sim = simulate(tmp / "world", sc, seed=seed, scale=scale)
        record["simulate_s"] = round(time.perf_counter() - t, 2)
        record["entities"] = dict(sim.manifest.entities)
        t = time.perf_counter()
        cfg = DetectConfig.load(Path(config)) if config else DetectConfig()
        if signals == "all":
            cfg.signals = [sig.signal_name for sig in available_signals()]
        elif signals:
            cfg.signals = [name.strip() for name in signals.split(",") if name.strip()]
        det = detect(Store(tmp / "world" / "store"), tmp / "run", cfg)
        record["detect_s"] = round(time.perf_counter() - t, 2)
        record["detected_operations"] = det.operations.num_rows
        record.update(_figures(evaluate(tmp / "world" / "truth", tmp / "run").to_dict()))
        record["clusters"] = [
            {
                k: c[k]
                for k in (
                    "cluster_id",
                    "accounts",
                    "operation_share",
                    "label",
                    "probability",
                    "tier",
                )
            }
            for c in labelled_clusters(tmp)
        ]
    except Exception as exc:  # a failed run is a row of the table, not the end of the grid
        record.update(status="error", error=f"{type(exc).__name__}: {exc}")
        record["traceback"] = traceback.format_exc()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return record


def _figures(e: dict[str, Any]) -> dict[str, Any]:
    """The figures the tables need, from an ``Evaluation.to_dict()``."""
    groups = {g["group"]: g for g in [e["ordinary"], *e["groups"]]}
    return {
        "accounts": e["accounts"],
        "operation_accounts": e["operation_accounts"],
        "flagged": e["flagged"],
        "overall": e["overall"],
        "strict": e["strict"],
        "false_positive_rate": e["false_positive_rate"],
        "reported_authentic": e.get("reported_authentic"),
        "false_positives": {
            g: {"accounts": r["accounts"], "flagged": r["flagged"], "rate": r["rate"]}
            for g, r in groups.items()
        },
        "operations": [
            {
                k: op[k]
                for k in (
                    "id",
                    "type",
                    "accounts",
                    "flagged",
                    "recall",
                    "reported",
                    "precision",
                    "f1",
                    "status",
                    "merged",
                    "merged_with",
                    "split",
                    "clusters",
                )
            }
            for op in e["operations"]
        ],
        "found": e["found"],
        "missed": e["missed"],
        "merged": e["merged"],
        "split": e["split"],
        "adjusted_rand_index": e["adjusted_rand_index"],
    }


# -- the tables --------------------------------------------------------------------------


def _num(x: float | None, digits: int = 2) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _share(op: dict[str, Any] | None, key: str) -> str:
    """``op[key]`` as a share of the operation's accounts (– when not measured)."""
    if not op or op.get(key) is None:
        return "–"
    return _num(op[key] / op["accounts"])


def _f1(scores: dict[str, Any] | None) -> str:
    """F1, 0 where nothing of it was flagged (precision is then undefined, recall 0)."""
    if scores is None:
        return "–"
    f1 = scores["f1"]
    return _num(0.0 if f1 is None and scores["recall"] == 0 else f1)


def _per_seed(recs: list[dict[str, Any]], get: Any) -> str:
    return " / ".join(get(r) for r in recs)


def _label(r: dict[str, Any]) -> str:
    return r["variation"] if r["world"] == "small" else f"{r['world']}: {r['variation']}"


def _status(op: dict[str, Any]) -> str:
    s = op["status"]
    if op["merged"]:
        s += "+merged"
    if op["split"]:
        s += "+split"
    return s


def markdown(records: list[dict[str, Any]], seeds: list[int]) -> str:
    rows: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        rows.setdefault(_label(r), []).append(r)
    for recs in rows.values():
        recs.sort(key=lambda r: r["seed"])
    seed_note = " / ".join(str(s) for s in seeds)
    # Overall recall hides a small operation missed whole; each operation's recall shows it.
    op_ids = list(
        dict.fromkeys(op["id"] for r in records if r["status"] == "ok" for op in r["operations"])
    )
    columns = [
        "precision",
        "recall",
        "F1",
        *(f"{i} recall" for i in op_ids),
        "found · merged · split",
        "false positives",
        "simulate s",
        "detect s",
    ]
    out = [
        f"Each cell: seed {seed_note}. Accounts: precision, recall, F1 of flagged accounts "
        "(F1 is 0 where nothing was flagged; precision is then –), and each operation's "
        "recall. Operations: found · merged · split, of the world's operations. False "
        "positives: authentic accounts flagged, ordinary and hard negatives together.",
        "",
        "| variation | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for label, recs in rows.items():
        bad = [r for r in recs if r["status"] != "ok"]
        if bad:
            # The list of known keys is long and in the JSON; the key that failed is enough.
            msg = bad[0]["error"].splitlines()[0].split(" (known: ")[0].replace("|", "\\|")
            out.append(f"| {label} | error: {msg} |" + " |" * (len(columns) - 1))
            continue

        def op_recall(r: dict[str, Any], op_id: str) -> str:
            op = next((o for o in r["operations"] if o["id"] == op_id), None)
            return _num(op["recall"]) if op else "–"

        cells = [
            label,
            _per_seed(recs, lambda r: _num(r["overall"]["precision"])),
            _per_seed(recs, lambda r: _num(r["overall"]["recall"])),
            _per_seed(recs, lambda r: _f1(r["overall"])),
            *(_per_seed(recs, lambda r, i=i: op_recall(r, i)) for i in op_ids),
            _per_seed(recs, lambda r: f"{r['found']}·{r['merged']}·{r['split']}"),
            _per_seed(recs, lambda r: str(r["overall"]["fp"])),
            _per_seed(recs, lambda r: f"{r['simulate_s']:.1f}"),
            _per_seed(recs, lambda r: f"{r['detect_s']:.1f}"),
        ]
        out.append("| " + " | ".join(cells) + " |")

    out += [
        "",
        "Per operation: recall (its accounts flagged), reported (its share in any reported "
        "cluster: flagged, or in a group reported as coordinated whose authenticity the data "
        "could not show), purity (its share of the clusters that cover it; – when none does), "
        "F1 of recall and purity, and status.",
        "",
        "| variation | operation | recall | reported | purity | F1 | status |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, recs in rows.items():
        if any(r["status"] != "ok" for r in recs):
            continue
        ids = list(dict.fromkeys(op["id"] for r in recs for op in r["operations"]))
        for op_id in ids:
            ops = [next((o for o in r["operations"] if o["id"] == op_id), None) for r in recs]
            out.append(
                "| "
                + " | ".join(
                    [
                        label,
                        op_id,
                        " / ".join(_num(o and o["recall"]) for o in ops),
                        " / ".join(_share(o, "reported") for o in ops),
                        " / ".join(_num(o and o["precision"]) for o in ops),
                        " / ".join(_f1(o) for o in ops),
                        " / ".join(_status(o) if o else "–" for o in ops),
                    ]
                )
                + " |"
            )

    ok = [r for r in records if r["status"] == "ok"]
    groups = ["ordinary", *sorted({g for r in ok for g in r["false_positives"]} - {"ordinary"})]
    out += [
        "",
        "False positives per authentic group: accounts flagged (of the group's accounts, "
        "first seed). `follower_vendor` is a vendor's stock of fake accounts, flagged "
        "rightly but no operation's: counted apart from the precision above "
        "(``unmask.evaluate.INAUTHENTIC_GROUPS``).",
        "",
        "| variation | " + " | ".join(groups) + " |",
        "|---|" + "---|" * len(groups),
    ]
    for label, recs in rows.items():
        if any(r["status"] != "ok" for r in recs):
            continue
        cells = []
        for g in groups:
            fps = [r["false_positives"].get(g) for r in recs]
            size = next((f["accounts"] for f in fps if f), None)
            flagged = " / ".join(str(f["flagged"]) if f else "–" for f in fps)
            cells.append(f"{flagged} (of {size:,})" if size is not None else flagged)
        out.append(f"| {label} | " + " | ".join(cells) + " |")

    from unmask.judgement import reliability

    scored = [c for r in ok for c in r.get("clusters", []) if c["label"] is not None]
    if scored:
        out += [
            "",
            "Calibration of the judgement (``unmask.judgement``): every cluster of at least "
            f"{MIN_SIZE} accounts in these runs, by its probability of being an operation; "
            "observed: the share that were (at least half their accounts planted; clusters "
            "of a vendor's fake accounts, neither, are left out).",
            "",
            "| probability | clusters | mean predicted | observed |",
            "|---|---|---|---|",
        ]
        for b in reliability([c["probability"] for c in scored], [c["label"] for c in scored]):
            out.append(
                f"| {b['from']:.1f}–{b['to']:.1f} | {b['clusters']} | {b['predicted']:.2f} "
                f"| {b['observed']:.2f} |"
            )
    return "\n".join(out) + "\n"


# -- the grid ----------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--seeds",
        default=",".join(map(str, EVALUATION_SEEDS)),
        help="comma-separated seeds (default: the evaluation seeds %(default)s)",
    )
    ap.add_argument("--variations", default="all", help="comma-separated names, or all")
    ap.add_argument("--scenario-dir", type=Path, default=SCENARIO_DIR)
    ap.add_argument("--out", type=Path, required=True, help="folder for the JSON and tables")
    ap.add_argument(
        "--worlds",
        "--base-world",
        default="small",
        help="comma-separated: small (every variation), medium, large (at --scale 0.1; "
        "their baseline only)",
    )
    ap.add_argument(
        "--config", default=None, help="a detect settings file (docs/detect.md); default: none"
    )
    ap.add_argument(
        "--signals",
        default=None,
        help="comma-separated signals to run, or all (the default and the optional ones); "
        "default: detect's defaults",
    )
    ap.add_argument("--jobs", type=int, default=1, help="runs at the same time")
    ap.add_argument("--tmp", default=None, help="where the worlds are made (default: $TMPDIR)")
    args = ap.parse_args()

    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    available = variations(args.scenario_dir)
    if args.variations == "all":
        chosen = list(available)
    else:
        chosen = [v.strip() for v in args.variations.split(",") if v.strip()]
        unknown = [v for v in chosen if v not in available]
        if unknown:
            ap.error(
                f"unknown variation(s) {', '.join(unknown)}; in {args.scenario_dir}: "
                f"{', '.join(available)}"
            )
    worlds = [w.strip() for w in args.worlds.split(",") if w.strip()]
    for w in worlds:
        if w not in WORLD_SCALES:
            ap.error(f"unknown world {w!r}; known: {', '.join(WORLD_SCALES)}")

    args.out.mkdir(parents=True, exist_ok=True)
    tmp_root = tempfile.mkdtemp(prefix="unmask-robustness-", dir=args.tmp)
    runs: list[tuple[str, str, str, int, float]] = []
    for w in worlds:
        for v in chosen:
            if w == "small":
                scenario = str(available[v])
            elif v == "baseline":
                scenario = w
            elif v in BEYOND_SMALL.get(w, ()):
                scenario = str(on_world(available[v], w, Path(tmp_root)))
            else:
                continue
            runs += [(v, scenario, w, s, WORLD_SCALES[w]) for s in seeds]
    meta = {
        "command": " ".join(sys.argv),
        "seeds": seeds,
        "tuning_seeds": list(TUNING_SEEDS),
        "evaluation_seeds": list(EVALUATION_SEEDS),
        "worlds": worlds,
        "variations": chosen,
        "jobs": args.jobs,
        "config": args.config,
        "signals": args.signals,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    records: list[dict[str, Any]] = []
    started = time.perf_counter()

    def done(rec: dict[str, Any]) -> None:
        records.append(rec)
        n = len(records)
        head = f"[{n}/{len(runs)}] {_label(rec)} seed {rec['seed']}"
        if rec["status"] == "ok":
            o = rec["overall"]
            print(
                f"{head}: simulate {rec['simulate_s']:.1f} s, detect {rec['detect_s']:.1f} s, "
                f"precision {_num(o['precision'])}, recall {_num(o['recall'])}, "
                f"F1 {_num(o['f1'])}, found {rec['found']}, missed {rec['missed']}",
                file=sys.stderr,
                flush=True,
            )
        else:
            print(f"{head}: error: {rec['error']}", file=sys.stderr, flush=True)
        order = {(v, sc, w, s): i for i, (v, sc, w, s, _) in enumerate(runs)}
        records.sort(
            key=lambda r: order.get((r["variation"], r["scenario"], r["world"], r["seed"]), 0)
        )
        meta["seconds"] = round(time.perf_counter() - started, 1)
        (args.out / "robustness.json").write_text(
            json.dumps({"meta": meta, "records": records}, indent=2) + "\n", encoding="utf-8"
        )
        (args.out / "robustness.md").write_text(markdown(records, seeds), encoding="utf-8")

    try:
        if args.jobs <= 1:
            for run in runs:
                done(run_one(*run, tmp_root, args.config, args.signals))
        else:
            # spawn: each run starts clean (no DuckDB state copied from a parent).
            with ProcessPoolExecutor(args.jobs, mp_context=get_context("spawn")) as pool:
                futures = [
                    pool.submit(run_one, *run, tmp_root, args.config, args.signals) for run in runs
                ]
                for fut in as_completed(futures):
                    done(fut.result())
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    print(
        f"{len(runs)} runs in {time.perf_counter() - started:.0f} s; "
        f"{args.out / 'robustness.md'}, {args.out / 'robustness.json'}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
