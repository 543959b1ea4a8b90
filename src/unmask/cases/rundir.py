"""Per operation of a run and signal, a summary of the evidence that stays in the run's
Parquet files (the run itself is read through ``unmask.rundir``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from unmask import rundir
from unmask.engine.duckdb import connect
from unmask.engine.sql import literal
from unmask.rundir import Operation, utc

# Activity ids kept per case, run and signal as pointers into the run's evidence rows.
EXAMPLES = 20


def evidence_summary(
    run_dir: Path, meta: dict[str, Any], ops: Sequence[Operation]
) -> dict[str, list[dict[str, Any]]]:
    """Per operation and signal: accounts vouched for, edges and events inside the
    operation, distinct activities, period and a few activity ids; the rows stay in the
    run's Parquet files, which the summary names."""
    if not ops:
        return {}
    con = connect()
    con.register(
        "members",
        pa.Table.from_pylist(
            [
                {
                    "cluster_id": op.cluster_id,
                    "platform": a.platform,
                    "account_id": a.account_id,
                    "signals": ";".join(a.signals or []),
                }
                for op in ops
                for a in op.assets
            ],
            schema=pa.schema(
                [
                    ("cluster_id", pa.string()),
                    ("platform", pa.string()),
                    ("account_id", pa.string()),
                    ("signals", pa.string()),
                ]
            ),
        ),
    )
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    root = rundir.evidence_dir(run_dir)
    signals = meta.get("signals") or {}
    names = sorted(
        set(signals) | ({p.name for p in root.iterdir() if p.is_dir()} if root.exists() else set())
    )
    for sig in names:
        folder = rundir.evidence_dir(run_dir, sig)
        if not folder.exists():
            continue
        edges_file, events_file, scores_file = (
            rundir.evidence_file(run_dir, sig, t)
            for t in (rundir.EDGES, rundir.EVENTS, rundir.SCORES)
        )
        files = sorted(str(p.relative_to(run_dir)) for p in folder.glob("*.parquet"))
        vouched = dict(
            con.execute(
                "SELECT cluster_id, count(*) FROM members WHERE list_contains(string_split(signals, ';'), ?) GROUP BY cluster_id",
                [sig],
            ).fetchall()
        )
        per: dict[str, dict[str, Any]] = defaultdict(dict)
        if edges_file.exists():
            for cid, n in con.execute(
                f"""SELECT a.cluster_id, count(*) FROM read_parquet({literal(edges_file)}) e
                    JOIN members a ON a.platform = e.platform_a AND a.account_id = e.account_a
                    JOIN members b ON b.platform = e.platform_b AND b.account_id = e.account_b
                    WHERE a.cluster_id = b.cluster_id GROUP BY 1"""
            ).fetchall():
                per[cid]["edges"] = n
        if events_file.exists():
            for cid, n, acts, t0, t1, examples in con.execute(
                f"""WITH ev AS (
                      SELECT a.cluster_id, e.activity_a, e.activity_b, e.time_a, e.time_b
                      FROM read_parquet({literal(events_file)}) e
                      JOIN members a ON a.platform = e.platform_a AND a.account_id = e.account_a
                      JOIN members b ON b.platform = e.platform_b AND b.account_id = e.account_b
                      WHERE a.cluster_id = b.cluster_id),
                    acts AS (
                      SELECT cluster_id, activity_a AS activity, time_a AS time FROM ev WHERE activity_a IS NOT NULL
                      UNION SELECT cluster_id, activity_b, time_b FROM ev WHERE activity_b IS NOT NULL)
                    SELECT x.cluster_id, x.events, y.activities, y.first, y.last, y.examples
                    FROM (SELECT cluster_id, count(*) AS events FROM ev GROUP BY 1) x
                    LEFT JOIN (SELECT cluster_id, count(*) AS activities, min(time) AS first, max(time) AS last,
                                      list(activity ORDER BY time, activity)[1:{EXAMPLES}] AS examples
                               FROM acts GROUP BY 1) y USING (cluster_id)"""
            ).fetchall():
                per[cid].update(
                    events=n,
                    activities=acts or 0,
                    first_time=t0,
                    last_time=t1,
                    example_activities=examples or [],
                )
        if scores_file.exists():
            for cid, n in con.execute(
                f"""SELECT m.cluster_id, count(*) FROM read_parquet({literal(scores_file)}) s
                    JOIN members m ON m.platform = s.platform AND m.account_id = s.account_id GROUP BY 1"""
            ).fetchall():
                per[cid]["scored"] = n
        for cid in set(per) | set(vouched):
            p = per.get(cid, {})
            out[cid].append(
                {
                    "signal": sig,
                    "family": (signals.get(sig) or {}).get("family"),
                    "accounts": vouched.get(cid, 0),
                    "edges": p.get("edges", 0),
                    "events": p.get("events", 0),
                    "activities": p.get("activities", 0),
                    "scored": p.get("scored", 0),
                    "first_time": utc(p.get("first_time")),
                    "last_time": utc(p.get("last_time")),
                    "files": files,
                    "example_activities": p.get("example_activities", []),
                }
            )
    con.close()
    return out
