"""Scoring what a signal links against the simulated world's ground truth, for tests.

A signal's accounts (from its edges and its scores) are written as a flagged-accounts file
and scored with ``unmask evaluate``, the same way a user scores a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from unmask import schema
from unmask.evaluate import evaluate
from unmask.signals.base import Evidence
from unmask.store import Manifest, Store

# The coordination signals, for detect runs that look at the machinery alone.
SCHEMAS = {
    "accounts": schema.ACCOUNTS,
    "activities": schema.ACTIVITIES,
    "infrastructure": schema.INFRASTRUCTURE,
}


def hand_made_store(path: Path, **tables: list[dict]) -> Store:
    """A store of one batch holding the given rows (``activities=[...]``, ...), for the
    signals' hand-made tests; empty tables are left out."""
    store = Store(path, create=True)
    with store.write_batch("hand") as w:
        for name, rows in tables.items():
            if rows:
                w.write(name, pa.Table.from_pylist(rows, SCHEMAS[name]))
        w.manifest = Manifest(file_id="hand", path="hand", adapter="test")
    return store


COORDINATION = ["coaction_url", "coaction_parent", "coaction_text", "content"]


def accounts_of(ev: Evidence, *, min_score: float | None = None) -> set[tuple[str, str]]:
    """The accounts an evidence names: both ends of every edge, and the scored accounts
    (those at or above ``min_score`` when it is given)."""
    acc: set[tuple[str, str]] = set()
    for r in ev.edges.select(["platform_a", "account_a", "platform_b", "account_b"]).to_pylist():
        acc.add((r["platform_a"], r["account_a"]))
        acc.add((r["platform_b"], r["account_b"]))
    for r in ev.scores.to_pylist():
        if min_score is None or r["score"] >= min_score:
            acc.add((r["platform"], r["account_id"]))
    return acc


def score_accounts(
    world: Path, run_dir: Path, accounts: Iterable[tuple[str, str]], signal: str = "signal"
) -> dict:
    """Evaluate ``accounts`` as one run's flagged accounts; the evaluation as a dict."""
    acc = sorted(set(accounts))
    run_dir.mkdir(parents=True, exist_ok=True)
    pacsv.write_csv(
        pa.table(
            {
                "platform": pa.array([p for p, _ in acc], pa.string()),
                "account_id": pa.array([a for _, a in acc], pa.string()),
                "signals": pa.array([signal] * len(acc), pa.string()),
            }
        ),
        run_dir / "flagged.csv",
    )
    return evaluate(world / "truth", run_dir).to_dict()


def role_recall(result: dict, op: str, roles: str | Iterable[str]) -> float:
    """Share of an operation's accounts in ``roles`` that were flagged."""
    roles = {roles} if isinstance(roles, str) else set(roles)
    o = next(o for o in result["operations"] if o["id"] == op)
    rs = [r for r in o["roles"] if r["role"] in roles]
    return sum(r["flagged"] for r in rs) / sum(r["accounts"] for r in rs)


def group_rate(result: dict, group: str) -> float:
    """Share of a hard-negative group's accounts that were flagged."""
    return next(g for g in result["groups"] if g["group"] == group)["rate"]


def same_rows(table: pa.Table, cols: list[str]) -> list[tuple]:
    """A table's rows in ``cols`` as sorted tuples, to compare two engines' output."""
    return sorted(tuple(r[c] for c in cols) for r in table.to_pylist())
