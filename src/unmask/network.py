"""Fusing the signals' layers into one graph, and finding dense groups in it.

Every signal that links accounts gives a *layer*: its edges, each with a q-value (the
estimated false-discovery rate at that edge's strength) where the signal has a null model.
The layers become one weighted graph by this rule (``docs/detect.md`` says why):

1. an edge's *evidence* in its layer is ``min(cap, -log10 q)`` (q floored at 1e-12), or
   ``cap`` when the signal has no null model and vouches for its edges by its own
   threshold;
2. the layers of one *family* of signals (co-actions and copied content are both
   "coordination": they see the same acts) add up, but a family gives at most ``cap``;
3. the families add up.

So two independent families that agree on a pair weigh up to twice what one family does
however loudly it shouts: a million co-shares between two news feeds stay one family's
word, while a pair that co-posts, shares a profile picture and works the same shifts is
linked three times over.

Clustering is Leiden (Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing
well-connected communities", Sci. Rep. 9:5233) on each connected component of the fused
graph on its own, so that the work splits by component (``workers`` processes), and a
component too small to split (``<= min_split`` accounts) is one cluster as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.engine.duckdb import connect

NODE_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("component", pa.int64(), nullable=False),
        pa.field("degree", pa.int64(), nullable=False),
        pa.field("strength", pa.float64(), nullable=False),
    ]
)

FUSED_SCHEMA = pa.schema(
    [
        pa.field("platform_a", pa.string(), nullable=False),
        pa.field("account_a", pa.string(), nullable=False),
        pa.field("platform_b", pa.string(), nullable=False),
        pa.field("account_b", pa.string(), nullable=False),
        pa.field("weight", pa.float64(), nullable=False),
        pa.field("families", pa.int64(), nullable=False),
        pa.field("signals", pa.string(), nullable=False),
    ]
)

Q_FLOOR = 1e-12


@dataclass(frozen=True)
class Layer:
    """One signal's edges, and the family of signals it belongs to."""

    signal: str
    family: str
    edges: pa.Table


def edge_evidence(q_values: pa.ChunkedArray | pa.Array, cap: float) -> np.ndarray:
    """Each edge's evidence in its layer: ``min(cap, -log10 q)``, ``cap`` where q is null."""
    q = pc.fill_null(pc.cast(q_values, pa.float64()), -1.0).to_numpy(zero_copy_only=False)
    ev = np.full(len(q), float(cap))
    has_q = q >= 0
    ev[has_q] = np.minimum(cap, -np.log10(np.maximum(q[has_q], Q_FLOOR)))
    return ev


def fuse(layers: Iterable[Layer], *, cap: float = 3.0) -> pa.Table:
    """The layers as one undirected weighted graph (``FUSED_SCHEMA``), one row per pair."""
    parts = []
    for layer in layers:
        e = layer.edges
        if e.num_rows:
            parts.append(
                e.select(["platform_a", "account_a", "platform_b", "account_b"])
                .append_column("family", pa.array([layer.family] * e.num_rows, pa.string()))
                .append_column("signal", pa.array([layer.signal] * e.num_rows, pa.string()))
                .append_column("evidence", pa.array(edge_evidence(e["q_value"], cap)))
            )
    if not parts:
        return FUSED_SCHEMA.empty_table()
    con = connect()
    con.register("layers", pa.concat_tables(parts))
    fused = con.sql(
        f"""WITH e AS (
              -- one orientation per pair, whatever order the signal wrote it in
              SELECT CASE WHEN (platform_a, account_a) <= (platform_b, account_b)
                          THEN platform_a ELSE platform_b END AS pa_,
                     CASE WHEN (platform_a, account_a) <= (platform_b, account_b)
                          THEN account_a ELSE account_b END AS aa_,
                     CASE WHEN (platform_a, account_a) <= (platform_b, account_b)
                          THEN platform_b ELSE platform_a END AS pb_,
                     CASE WHEN (platform_a, account_a) <= (platform_b, account_b)
                          THEN account_b ELSE account_a END AS ab_,
                     family, signal, evidence
              FROM layers
              WHERE (platform_a, account_a) <> (platform_b, account_b)),
            f AS (
              SELECT pa_, aa_, pb_, ab_, family, least({float(cap)}, sum(evidence)) AS capped,
                     list(DISTINCT signal) AS signals
              FROM e GROUP BY ALL)
           SELECT pa_ AS platform_a, aa_ AS account_a, pb_ AS platform_b, ab_ AS account_b,
                  sum(capped) AS weight, count(*) AS families,
                  array_to_string(list_sort(list_distinct(flatten(list(signals)))), ';')
                      AS signals
           FROM f GROUP BY ALL
           ORDER BY weight DESC, platform_a, account_a, platform_b, account_b"""
    ).to_arrow_table()
    return fused.cast(FUSED_SCHEMA)


def _leiden(args: tuple[int, np.ndarray, np.ndarray, np.ndarray, float, int]) -> np.ndarray:
    """Leiden on one component (local node ids); its membership per node."""
    import igraph as ig
    import leidenalg

    n, src, dst, weight, resolution, seed = args
    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=False)
    g.es["weight"] = weight.tolist()
    part = leidenalg.find_partition(
        g,
        leidenalg.RBConfigurationVertexPartition,
        weights="weight",
        resolution_parameter=resolution,
        n_iterations=-1,
        seed=seed,
    )
    return np.asarray(part.membership, dtype=np.int64)


def cluster(
    fused: pa.Table,
    *,
    resolution: float = 1.0,
    min_split: int = 3,
    seed: int = 0,
    workers: int = 1,
) -> pa.Table:
    """Every account of the fused graph with its cluster (``NODE_SCHEMA``).

    Cluster ids are ``c<component>.<k>``: stable for the same graph and seed, and they say
    which component a cluster came from.
    """
    import igraph as ig

    if fused.num_rows == 0:
        return NODE_SCHEMA.empty_table()
    a = pc.binary_join_element_wise(fused["platform_a"], fused["account_a"], "\x1f")
    b = pc.binary_join_element_wise(fused["platform_b"], fused["account_b"], "\x1f")
    names, codes = np.unique(
        np.concatenate([a.to_numpy(zero_copy_only=False), b.to_numpy(zero_copy_only=False)]),
        return_inverse=True,
    )
    m = fused.num_rows
    src, dst = codes[:m], codes[m:]
    weight = fused["weight"].to_numpy()
    g = ig.Graph(n=len(names), edges=np.column_stack([src, dst]).tolist(), directed=False)
    comp = np.asarray(g.connected_components().membership, dtype=np.int64)
    # Components numbered by size, largest first, so ids read in order of importance.
    sizes = np.bincount(comp)
    order = np.argsort(-sizes, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    comp = rank[comp]
    sizes = sizes[order]

    local = np.zeros(len(names), dtype=np.int64)
    jobs = []
    for c in np.flatnonzero(sizes > min_split):
        nodes = np.flatnonzero(comp == c)
        local[nodes] = np.arange(len(nodes))
        mask = comp[src] == c
        jobs.append(
            (
                int(c),
                (len(nodes), local[src[mask]], local[dst[mask]], weight[mask], resolution, seed),
            )
        )
    membership = np.zeros(len(names), dtype=np.int64)
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(_leiden, [j for _, j in jobs]))
    else:
        results = [_leiden(j) for _, j in jobs]
    for (c, _), parts in zip(jobs, results, strict=True):
        membership[comp == c] = parts

    degree = np.bincount(codes, minlength=len(names))
    strength = np.bincount(codes, weights=np.concatenate([weight, weight]), minlength=len(names))
    split = np.char.partition(names.astype(str), "\x1f")
    return pa.table(
        {
            "platform": pa.array(split[:, 0], pa.string()),
            "account_id": pa.array(split[:, 2], pa.string()),
            "cluster_id": pa.array(
                [f"c{c}.{k}" for c, k in zip(comp.tolist(), membership.tolist(), strict=True)],
                pa.string(),
            ),
            "component": pa.array(comp, pa.int64()),
            "degree": pa.array(degree, pa.int64()),
            "strength": pa.array(strength, pa.float64()),
        },
        schema=NODE_SCHEMA,
    ).sort_by(
        [("component", "ascending"), ("cluster_id", "ascending"), ("account_id", "ascending")]
    )
