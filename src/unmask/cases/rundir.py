"""Reading a detect run directory: its operations with their assets and figures, and per
operation and signal a summary of the evidence that stays in the run's Parquet files."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from unmask.cases.tables import CaseStoreError
from unmask.engine.sql import literal
from unmask.operations import read_takedown

# Activity ids kept per case, run and signal as pointers into the run's evidence rows.
EXAMPLES = 20


def utc(value: Any) -> datetime | None:
    """A timestamp as an aware UTC datetime (SQLite hands them back naive)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


@dataclass
class Operation:
    """One operation of a run: its cluster, judgement, assets and figures."""

    cluster_id: str
    score: float
    tier: str | None  # ``unmask.assess.TIERS``; None in runs made before tiers
    families: list[str]
    reason: str
    platforms: list[str]
    assets: list[dict[str, Any]]
    figures: dict[str, Any]

    @property
    def activity(self) -> tuple[datetime | None, datetime | None]:
        act = self.figures.get("activity") or {}
        return utc(act.get("first")), utc(act.get("last"))

    def title(self) -> str:
        pushed = self.figures.get("pushed") or {}
        what = next(
            (
                pushed[k][0]["value"]
                for k in ("domains", "hashtags", "urls")
                if pushed.get(k) and pushed[k][0].get("value")
            ),
            None,
        )
        if what is None:
            narr = self.figures.get("narratives") or []
            what = (narr[0].get("representative") or "")[:60] if narr else None
        # No counts in the title: it is refreshed by every run that sees the case.
        return " · ".join([", ".join(self.platforms), *([what] if what else [])])


def read_operations(run_dir: Path) -> list[Operation]:
    for name in ("clusters.parquet", "nodes.parquet"):
        if not (run_dir / name).exists():
            raise CaseStoreError(f"{run_dir} is not a complete detect run (no {name})")
    clusters = pq.read_table(run_dir / "clusters.parquet")
    ops_rows = [r for r in clusters.to_pylist() if r["operation"]]
    nodes = pq.read_table(
        run_dir / "nodes.parquet", columns=["platform", "account_id", "cluster_id"]
    )
    details: dict[tuple[str, str], dict[str, Any]] = {}
    if (run_dir / "takedown.parquet").exists() or (run_dir / "takedown.csv").exists():
        for r in read_takedown(run_dir):
            details[(r["platform"], r["account_id"])] = r
    figures: dict[str, dict[str, Any]] = {}
    if (run_dir / "operations.json").exists():
        for entry in json.loads((run_dir / "operations.json").read_text(encoding="utf-8")):
            figures[entry["cluster_id"]] = entry
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    wanted = {r["cluster_id"] for r in ops_rows}
    for r in nodes.to_pylist():
        if r["cluster_id"] in wanted:
            d = details.get((r["platform"], r["account_id"]), {})
            members[r["cluster_id"]].append(
                {
                    "platform": r["platform"],
                    "account_id": r["account_id"],
                    "kind": d.get("kind") or "account",
                    "handle": d.get("handle"),
                    "url": d.get("url"),
                    "signals": d.get("signals"),
                }
            )
    return [
        Operation(
            cluster_id=r["cluster_id"],
            score=float(r["score"]),
            tier=r.get("tier"),
            families=list(r["families"] or []),
            reason=r["reason"],
            platforms=list(r["platforms"] or []),
            assets=members[r["cluster_id"]],
            figures=figures.get(r["cluster_id"], {}),
        )
        for r in ops_rows
    ]


def evidence_summary(
    run_dir: Path, meta: dict[str, Any], ops: Sequence[Operation]
) -> dict[str, list[dict[str, Any]]]:
    """Per operation and signal: accounts vouched for, edges and events inside the
    operation, distinct activities, period and a few activity ids; the rows stay in the
    run's Parquet files, which the summary names."""
    if not ops:
        return {}
    con = duckdb.connect()
    con.register(
        "members",
        pa.Table.from_pylist(
            [
                {
                    "cluster_id": op.cluster_id,
                    "platform": a["platform"],
                    "account_id": a["account_id"],
                    "signals": a["signals"] or "",
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
    root = run_dir / "evidence"
    signals = meta.get("signals") or {}
    names = sorted(
        set(signals) | ({p.name for p in root.iterdir() if p.is_dir()} if root.exists() else set())
    )
    for sig in names:
        folder = root / sig
        if not folder.exists():
            continue
        files = sorted(str(p.relative_to(run_dir)) for p in folder.glob("*.parquet"))
        vouched = dict(
            con.execute(
                "SELECT cluster_id, count(*) FROM members WHERE list_contains(string_split(signals, ';'), ?) GROUP BY cluster_id",
                [sig],
            ).fetchall()
        )
        per: dict[str, dict[str, Any]] = defaultdict(dict)
        if (folder / "edges.parquet").exists():
            for cid, n in con.execute(
                f"""SELECT a.cluster_id, count(*) FROM read_parquet({literal(folder / "edges.parquet")}) e
                    JOIN members a ON a.platform = e.platform_a AND a.account_id = e.account_a
                    JOIN members b ON b.platform = e.platform_b AND b.account_id = e.account_b
                    WHERE a.cluster_id = b.cluster_id GROUP BY 1"""
            ).fetchall():
                per[cid]["edges"] = n
        if (folder / "events.parquet").exists():
            for cid, n, acts, t0, t1, examples in con.execute(
                f"""WITH ev AS (
                      SELECT a.cluster_id, e.activity_a, e.activity_b, e.time_a, e.time_b
                      FROM read_parquet({literal(folder / "events.parquet")}) e
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
        if (folder / "scores.parquet").exists():
            for cid, n in con.execute(
                f"""SELECT m.cluster_id, count(*) FROM read_parquet({literal(folder / "scores.parquet")}) s
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
