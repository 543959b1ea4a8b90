"""Judging clusters: which independent signals support each, and which are operations.

A cluster of the fused graph is a group of accounts that the signals tie together. It is
reported as an *operation* only when several independent families of signals support it:
coordination alone is what news bots, fandoms and activists show too (``docs/detect.md``).

A family *supports* a cluster by the share of its accounts it vouches for: accounts with an
edge of that family to another account of the same cluster, or with a score of that family
at or above the signal's threshold. A cluster's ``score`` is the sum over families of
these shares (2.6 reads "two and a half families' worth of the accounts"); it is an
operation when at least ``min_families`` families each support ``min_support`` of it, and
it has at least ``min_size`` accounts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from unmask.engine.duckdb import connect
from unmask.signals.base import Evidence

SUPPORT_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("family", pa.string(), nullable=False),
        pa.field("signal", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Judged:
    """One signal's evidence with what fusion and judgement need to know of it."""

    evidence: Evidence
    family: str
    score_threshold: float = 0.5
    defines_groups: bool = True


def member_support(nodes: pa.Table, judged: Sequence[Judged]) -> pa.Table:
    """Per cluster, family and signal: how many of the cluster's accounts the signal vouches
    for (an internal edge, or a score at or above its threshold). Also, per account, which
    signals vouch for it (``account_signals``)."""
    con = connect()
    con.register("nodes", nodes)
    parts = []
    for i, j in enumerate(judged):
        ev = j.evidence
        if ev.edges.num_rows:
            con.register(
                f"e{i}", ev.edges.select(["platform_a", "account_a", "platform_b", "account_b"])
            )
            # Each end's cluster is looked up on its own (a materialised step): left to
            # itself the planner may pair every two accounts of a big cluster first.
            parts.append(
                f"""(WITH ends AS MATERIALIZED (
                      SELECT e.p, e.a, e.q, e.b, n.cluster_id
                      FROM (SELECT platform_a AS p, account_a AS a, platform_b AS q,
                                   account_b AS b FROM e{i}
                            UNION ALL
                            SELECT platform_b, account_b, platform_a, account_a FROM e{i}) e
                      JOIN nodes n ON n.platform = e.p AND n.account_id = e.a)
                    SELECT ends.p AS platform, ends.a AS account_id, ends.cluster_id,
                           '{j.family}' AS family, '{ev.signal}' AS signal
                    FROM ends JOIN nodes m ON m.platform = ends.q AND m.account_id = ends.b
                    WHERE m.cluster_id = ends.cluster_id)"""
            )
        if ev.scores.num_rows:
            con.register(f"s{i}", ev.scores.select(["platform", "account_id", "score"]))
            parts.append(
                f"""SELECT n.platform, n.account_id, n.cluster_id,
                           '{j.family}' AS family, '{ev.signal}' AS signal
                    FROM s{i} s JOIN nodes n USING (platform, account_id)
                    WHERE s.score >= {float(j.score_threshold)}"""
            )
    if not parts:
        empty = pa.table(
            {"platform": [], "account_id": [], "cluster_id": [], "family": [], "signal": []},
            schema=pa.schema(
                [
                    (c, pa.string())
                    for c in ("platform", "account_id", "cluster_id", "family", "signal")
                ]
            ),
        )
        return empty
    return con.sql("SELECT DISTINCT * FROM (" + " UNION ALL ".join(parts) + ")").to_arrow_table()


def judge(
    nodes: pa.Table,
    vouched: pa.Table,
    *,
    min_size: int = 5,
    min_support: float = 0.2,
    min_families: int = 2,
    assessable: set[str] | None = None,
) -> pa.Table:
    """One row per cluster: size, platforms, support per family, score, and whether it is
    an operation, with the reason in words.

    ``assessable``: the families whose signals could link accounts on this data (None: all).
    Exports for researchers often have no follows, profile fields or infrastructure: then
    fewer families can agree, the number required drops to what the data allows (at least
    one), and every verdict says so.
    """
    required = min_families
    if assessable is not None:
        required = max(1, min(min_families, len(assessable)))
    limited = (
        f"; only {', '.join(sorted(assessable)) or 'no family'} could be assessed from this "
        f"data, so {required} famil{'y' if required == 1 else 'ies'} sufficed (less confidence)"
        if required < min_families
        else ""
    )
    con = connect()
    con.register("nodes", nodes)
    con.register("vouched", vouched)
    rows = con.sql(
        """WITH size AS (
              SELECT cluster_id, count(*) AS accounts,
                     list(DISTINCT platform ORDER BY platform) AS platforms
              FROM nodes GROUP BY cluster_id),
            fam AS (
              SELECT cluster_id, family, count(DISTINCT (platform, account_id)) AS vouched,
                     list(DISTINCT signal ORDER BY signal) AS signals
              FROM vouched GROUP BY cluster_id, family)
           SELECT s.cluster_id, s.accounts, s.platforms,
                  coalesce(list(struct_pack(family := f.family, accounts := f.vouched,
                                            share := f.vouched / s.accounts,
                                            signals := f.signals)
                                ORDER BY f.vouched DESC, f.family)
                           FILTER (WHERE f.family IS NOT NULL), []) AS support
           FROM size s LEFT JOIN fam f USING (cluster_id)
           GROUP BY s.cluster_id, s.accounts, s.platforms
           ORDER BY s.accounts DESC, s.cluster_id"""
    ).fetchall()
    out = []
    for cluster_id, accounts, platforms, support in rows:
        strong = [f for f in support if f["share"] >= min_support]
        score = sum(min(1.0, f["share"]) for f in support)
        is_op = accounts >= min_size and len(strong) >= required
        said = ", ".join(f"{f['family']} {100 * f['share']:.0f}%" for f in support) or "no family"
        if is_op:
            reason = (
                f"{len(strong)} independent famil{'y agrees' if len(strong) == 1 else 'ies agree'}: "
                f"{said}{limited}"
            )
        elif accounts < min_size:
            reason = f"too small ({accounts} accounts < {min_size}); {said}{limited}"
        else:
            reason = (
                f"only {len(strong)} famil{'y' if len(strong) == 1 else 'ies'} "
                f"support at least {100 * min_support:.0f}% of it ({said}); "
                f"{required} needed{limited}"
            )
        out.append(
            {
                "cluster_id": cluster_id,
                "accounts": accounts,
                "platforms": platforms,
                "families": [f["family"] for f in strong],
                "support": support,
                "score": score,
                "operation": is_op,
                "reason": reason,
            }
        )
    return pa.Table.from_pylist(out, schema=CLUSTER_SCHEMA)


CLUSTER_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
        pa.field("platforms", pa.list_(pa.string())),
        pa.field("families", pa.list_(pa.string())),
        pa.field(
            "support",
            pa.list_(
                pa.struct(
                    [
                        ("family", pa.string()),
                        ("accounts", pa.int64()),
                        ("share", pa.float64()),
                        ("signals", pa.list_(pa.string())),
                    ]
                )
            ),
        ),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("operation", pa.bool_(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)
