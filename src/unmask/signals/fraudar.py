"""FRAUDAR's greedy peeling: the densest block of a bipartite graph, camouflage-resistant.

Hooi, Song, Beutel, Shah, Shin & Faloutsos, "FRAUDAR: Bounding Graph Fraud in the Face of
Camouflage", KDD 2016. The suspiciousness of a set S of rows (followers) and columns
(followed accounts) is g(S) = f(S) / |S|, where f(S) sums the weights of the edges inside S.
Each edge is weighted by its column's degree, c_ij = 1 / log(d_j + c): an edge to a popular
account weighs little, so fraudsters who also follow popular accounts (camouflage) do not
make those accounts' honest followers look dense, and cannot dilute their own block by
adding such edges (the paper's Theorem 2). Greedy peeling removes, one at a time, the node
whose removal lowers f least, and keeps the densest S seen: a 2-approximation of the
densest block (Theorem 1). Edges are removed and the peeling repeated for further blocks.

Pure numpy plus a heap; the signal calls it on the candidates' subgraph only.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Block:
    """One dense block: row and column indexes, and its density g = f / |S|."""

    rows: np.ndarray
    cols: np.ndarray
    density: float
    weight: float


def column_weights(col_degree: np.ndarray, c: float = 5.0) -> np.ndarray:
    """FRAUDAR's column weighting 1 / log(d + c)."""
    return 1.0 / np.log(np.asarray(col_degree, dtype=np.float64) + c)


def densest_block(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, n_cols: int
) -> Block:
    """The block of the greedy peeling's densest step (edges given as index arrays)."""
    n = n_rows + n_cols
    u = np.asarray(rows, dtype=np.int64)
    v = np.asarray(cols, dtype=np.int64) + n_rows
    w = np.asarray(weights, dtype=np.float64)
    if len(u) == 0:
        return Block(np.empty(0, np.int64), np.empty(0, np.int64), 0.0, 0.0)
    # Adjacency in CSR form over both sides.
    ends = np.concatenate([u, v])
    other = np.concatenate([v, u])
    ew = np.concatenate([w, w])
    order = np.argsort(ends, kind="stable")
    nbr, nbw = other[order], ew[order]
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(ends, minlength=n), out=start[1:])
    deg = np.bincount(ends, weights=ew, minlength=n).astype(np.float64)
    present = np.zeros(n, dtype=bool)
    present[np.unique(ends)] = True
    alive = present.copy()
    size = int(present.sum())
    total = float(w.sum())
    best, best_step = total / size, 0
    heap = [(deg[i], i) for i in np.flatnonzero(present).tolist()]
    heapq.heapify(heap)
    removed: list[int] = []
    deg_l = deg.tolist()
    while heap and size > 1:
        d, i = heapq.heappop(heap)
        if not alive[i] or d != deg_l[i]:
            continue  # a stale entry: the node's degree changed since it was pushed
        alive[i] = False
        removed.append(i)
        total -= d
        size -= 1
        for k in range(start[i], start[i + 1]):
            j = int(nbr[k])
            if alive[j]:
                deg_l[j] -= float(nbw[k])
                heapq.heappush(heap, (deg_l[j], j))
        g = total / size
        if g > best:
            best, best_step = g, len(removed)
    keep = present.copy()
    keep[np.array(removed[:best_step], dtype=np.int64)] = False
    idx = np.flatnonzero(keep)
    in_block = np.zeros(n, dtype=bool)
    in_block[idx] = True
    inside = in_block[u] & in_block[v]
    return Block(
        rows=idx[idx < n_rows],
        cols=idx[idx >= n_rows] - n_rows,
        density=best,
        weight=float(w[inside].sum()),
    )


def dense_blocks(
    rows: np.ndarray,
    cols: np.ndarray,
    weights: np.ndarray,
    n_rows: int,
    n_cols: int,
    *,
    max_blocks: int = 3,
) -> list[Block]:
    """Up to ``max_blocks`` blocks, each found after the edges of the earlier ones are gone
    (the paper's way of finding several)."""
    u = np.asarray(rows, dtype=np.int64)
    v = np.asarray(cols, dtype=np.int64)
    w = np.asarray(weights, dtype=np.float64)
    out: list[Block] = []
    for _ in range(max_blocks):
        if len(u) == 0:
            break
        b = densest_block(u, v, w, n_rows, n_cols)
        if len(b.rows) == 0 or len(b.cols) == 0:
            break
        out.append(b)
        in_r = np.zeros(n_rows, dtype=bool)
        in_r[b.rows] = True
        in_c = np.zeros(n_cols, dtype=bool)
        in_c[b.cols] = True
        rest = ~(in_r[u] & in_c[v])
        u, v, w = u[rest], v[rest], w[rest]
    return out
