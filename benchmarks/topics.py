"""The report's narratives: topics by meaning against the narrative each post was written for.

    PYTHONPATH=src .venv/bin/python benchmarks/topics.py --work /tmp/topics
    ... --seeds 1,2                 # the tuning seeds (the defaults are the evaluation seeds)
    ... --variations baseline,translation

For each variation and seed the world is simulated and detected once into ``WORK`` (kept,
and reused by the next call). The simulated Spamouflage tags each post with hashtags of its
narrative (three narratives: praise of China, attacks on the US, attacks on critics); the
topics (``unmask.export.topics``) never see hashtags. Per world, over the reported groups
whose accounts are mostly Spamouflage's:

* **topics**, and **purity**: of the posts placed in a topic and tagged with one narrative,
  the share that is its topic's majority narrative;
* **narratives**: how many of the three are the majority of some topic;
* **several languages**: the share of the topics' posts in topics of two languages or more;
* **8 rows cover**: the share of the group's posts that say something (not chatter) that
  the report's eight rows hold, as topics and, before, as the eight largest copied-content
  families;
* **seconds** for the narratives of every reported group of the run (encoder loaded).

Needs ``unmask[semantic]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from robustness import EVALUATION_SEEDS, SCENARIO_DIR, variations

VARIATIONS = "baseline,translation,paraphrase_strong,operator_teams,combined_adaptive"
ROWS = 8


def world(work: Path, variation: str, seed: int) -> Path:
    """The variation's world at ``seed``, simulated and detected once."""
    from unmask.detect import DetectConfig, detect
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate
    from unmask.store import Store

    d = work / f"{variation}-{seed}"
    if not (d / "run" / "run.json").exists():
        simulate(d / "world", load_scenario(str(variations(SCENARIO_DIR)[variation])), seed=seed)
        detect(Store(d / "world" / "store"), d / "run", DetectConfig())
    return d


def narrative_of(text: str, tags: dict[str, str]) -> str | None:
    found = {tags[w.lower()] for w in text.split() if w.lower() in tags}
    return found.pop() if len(found) == 1 else None


def measure(d: Path) -> dict[str, Any]:
    from unmask import rundir
    from unmask.export import topics
    from unmask.signals import semantic
    from unmask.signals.base import Reporting
    from unmask.simulate import content
    from unmask.store import Store

    tags = {t.lower(): k for k, ts in content.NARRATIVE_TAGS.items() for t in ts}
    run_dir = d / "run"
    ops = rundir.read_figures(run_dir)
    nodes = rundir.read_table(run_dir, rundir.NODES).to_pylist()
    cluster_of = {(n["platform"], n["account_id"]): n["cluster_id"] for n in nodes}
    truth = pq.read_table(d / "world" / "truth" / "accounts.parquet").to_pylist()
    op_of = {(r["platform"], r["account_id"]): r["operation_id"] for r in truth}
    ctx = Reporting(run_dir, Store(d / "world" / "store"), ops, cluster_of, 3, 6)
    encoder = semantic.get_encoder("static")
    t = time.perf_counter()
    told = topics.narratives(ctx)
    seconds = time.perf_counter() - t

    members: dict[str, Counter] = defaultdict(Counter)
    for key, c in cluster_of.items():
        members[c][(op_of.get(key) or "").startswith("spamouflage")] += 1
    spam = [op for op in ops if members[op["cluster_id"]][True] > members[op["cluster_id"]][False]]
    rows = topics.posts(ctx, [op["cluster_id"] for op in spam]).to_pylist()
    by_cluster: dict[str, list] = defaultdict(list)
    for r in rows:
        by_cluster[r["cluster_id"]].append(r)
    per_topic: list[Counter] = []
    multi = placed = with_text = covered = covered_families = 0
    n_topics = 0
    for op in spam:
        rs = by_cluster.get(op["cluster_id"], [])
        if not rs:
            continue
        x, pieces = encoder.encode([r["clean"] for r in rs])
        posts = np.array([r["posts"] for r in rs])
        label = topics.assign(x, pieces, posts, [r["accounts"] for r in rs])
        size = Counter()
        langs: dict[int, set] = defaultdict(set)
        counts: dict[int, Counter] = defaultdict(Counter)
        for r, lab in zip(rs, label, strict=True):
            if lab < 0:
                continue
            size[int(lab)] += r["posts"]
            langs[int(lab)].add(r["language"])
            nar = narrative_of(r["text"], tags)
            if nar:
                counts[int(lab)][nar] += r["posts"]
        n_topics += len(size)
        per_topic += [c for c in counts.values() if c]
        placed += sum(size.values())
        multi += sum(n for t, n in size.items() if len(langs[t] - {"und"}) >= 2)
        said = int(posts[label != topics.CHATTER].sum())
        with_text += said
        covered += sum(n for _, n in size.most_common(ROWS))
        families = sorted((f["posts"] for f in op.get("narratives") or []), reverse=True)
        covered_families += min(sum(families[:ROWS]), said)
    labelled = sum(sum(c.values()) for c in per_topic)
    return {
        "world": d.name,
        "groups": len(spam),
        "topics": n_topics,
        "purity": sum(c.most_common(1)[0][1] for c in per_topic) / labelled if labelled else None,
        "narratives": len({c.most_common(1)[0][0] for c in per_topic}),
        "several_languages": multi / placed if placed else None,
        "rows_cover_topics": covered / with_text if with_text else None,
        "rows_cover_families": covered_families / with_text if with_text else None,
        "seconds": round(seconds, 2),
        "reported_groups": len(ops),
        "methods": sorted({v["method"] for v in told.values()}),
    }


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{100 * x:.0f}%"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--work", type=Path, required=True, help="where the worlds are kept")
    ap.add_argument("--seeds", default=",".join(map(str, EVALUATION_SEEDS)))
    ap.add_argument("--variations", default=VARIATIONS)
    args = ap.parse_args()
    records = []
    print(
        "| world | groups | topics | purity | narratives | several languages "
        f"| {ROWS} rows cover: topics | families | seconds |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        flush=True,
    )
    for variation in args.variations.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            r = measure(world(args.work, variation.strip(), seed))
            records.append(r)
            purity = "—" if r["purity"] is None else f"{r['purity']:.3f}"
            print(
                f"| {r['world']} | {r['groups']} | {r['topics']} | {purity} | {r['narratives']} of 3 "
                f"| {_pct(r['several_languages'])} | {_pct(r['rows_cover_topics'])} "
                f"| {_pct(r['rows_cover_families'])} | {r['seconds']} |",
                flush=True,
            )
    (args.work / "topics.json").write_text(json.dumps(records, indent=2) + "\n")


if __name__ == "__main__":
    main()
