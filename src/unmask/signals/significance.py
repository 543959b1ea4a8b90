"""Significance of weighted edges against a permutation null: p-values and FDR q-values.

A signal that links accounts computes its edges twice: on the data (the *observed* edges)
and on ``replicates`` shuffled copies of it (the *null* edges), shuffled so that chance is
kept and coordination is not. Each edge is then judged by its weight alone, against the
null edges' weights, as in permutation-based false-discovery control (Storey & Tibshirani,
"Statistical significance for genomewide studies", PNAS 2003, section "Estimating the FDR
with permutations"):

* ``p_value`` of an edge of weight w is the pooled permutation p-value
  ``(n_null(>= w) + 1) / (replicates * m + 1)``, capped at 1: the share of null edges at
  least as heavy, ``m`` the number of observed edges under test (each shuffled copy stands
  for ``m`` draws of the null; the ``+ 1`` counts the observed edge as a draw too, so that
  p is never 0). A shuffle may make more edges than the data; then light edges can reach
  p = 1, and more null mass never lowers p;
* ``q_value`` is Benjamini & Hochberg's step-up adjustment (JRSS B 1995) of those p-values:
  ``p(w) * m / n_obs(>= w)``, capped at 1 and made monotone (the least such value at any
  weight up to w), i.e. the estimated false-discovery rate of keeping every edge of weight
  >= w, about ``(n_null(>= w) + 1) / replicates / n_obs(>= w)``
  (Storey & Tibshirani's permutation estimate with the proportion of true nulls set to 1).

  The ``+ 1`` matters: without it an edge heavier than every null edge has q = 0, however
  few edges are that heavy and however few shuffles were made, and small strata then pass
  their chance edges (a stratum's heaviest edge always beats one shuffle's few edges with
  some luck). With it, the least q-value of ``k`` edges above every null edge is about
  ``1 / (replicates * k)``: one shuffled copy can vouch for a group of twenty edges at 5 %,
  not for two; more replicates can (Phipson & Smyth, "Permutation p-values should never be
  zero", Stat. Appl. Genet. Mol. Biol. 2010).

**Strata.** When edges between some kinds of accounts are heavier by chance than others
(busy accounts with busy accounts), one FDR over all of them lets the heavy strata's chance
edges drown the light strata's real ones. With ``stratum``, observed and null edges carry a
stratum label (the same rule in the data and in the shuffles) and everything above is
computed within each stratum (a stratified FDR: Sun, Craiu, Paterson & Bull, "Stratified
false discovery control for large-scale hypothesis testing with application to genome-wide
association studies", Genetic Epidemiology 2006).

Everything is one portable SQL statement (DuckDB's dialect, transpiled for Spark): running
sums over the distinct weights in descending order, no Python over rows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from unmask.engine.base import Engine


def significance_sql(
    observed: str, null: str | None, replicates: int, *, stratum: str | None = None
) -> str:
    """A query of ``[stratum,] weight, p_value, q_value``: one row per distinct observed
    (stratum, weight).

    ``observed`` and ``null`` are tables (or parenthesised queries) with a ``weight`` column
    (and the ``stratum`` column when it is given): the observed edges under test, and the
    null edges of all ``replicates`` shuffled copies together, filtered the same way (for
    instance, both at ``count >= min_repeat``). Without a null (``replicates`` 0 or ``null``
    None) the p- and q-values are NULL. Join the result back on (stratum, weight).
    """
    by = f"{stratum}, " if stratum else ""
    if not replicates or null is None:
        return (
            f"SELECT DISTINCT {by}weight, CAST(NULL AS DOUBLE) AS p_value, "
            f"CAST(NULL AS DOUBLE) AS q_value FROM {observed}"
        )
    b = int(replicates)
    if b < 1:
        raise ValueError(f"replicates={replicates}: must be at least 1 (or 0: no null)")
    part = f"PARTITION BY {stratum} " if stratum else ""
    running = "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW"
    return f"""
        WITH w AS (
            SELECT {by}weight, 1 AS obs, 0 AS shuffled FROM {observed}
            UNION ALL SELECT {by}weight, 0 AS obs, 1 AS shuffled FROM {null}),
        g AS (SELECT {by}weight, sum(obs) AS n_obs, sum(shuffled) AS n_null
              FROM w GROUP BY {by}weight),
        c AS (
            SELECT {by}weight, n_obs,
                   sum(n_obs) OVER ({part}ORDER BY weight DESC {running}) AS ge_obs,
                   sum(n_null) OVER ({part}ORDER BY weight DESC {running}) AS ge_null,
                   sum(n_obs) OVER ({part.strip()}) AS m
            FROM g),
        p AS (
            SELECT {by}weight, ge_obs, m,
                   -- DOUBLE throughout: Spark reads 1.0 as a DECIMAL and rounds the
                   -- quotient to six places
                   least(CAST(1 AS DOUBLE), (CAST(ge_null AS DOUBLE) + 1)
                                            / (CAST({b} AS DOUBLE) * m + 1)) AS p_value
            FROM c WHERE n_obs > 0)
        SELECT {by}weight, p_value,
               min(least(CAST(1 AS DOUBLE), p_value * m / CAST(ge_obs AS DOUBLE)))
                   OVER ({part}ORDER BY weight {running}) AS q_value
        FROM p"""


def pooled_null(
    engine: Engine,
    table: str,
    replicates: int,
    replicate: Callable[[int], str],
    stats: dict[str, Any],
) -> str | None:
    """The null edges of ``replicates`` shuffled copies, pooled into ``table`` for
    :func:`significance_sql`; None without replicates.

    ``replicate(r)`` builds copy ``r``'s edges as the table ``<table>_<r>`` (dropped here once
    pooled) and returns the query of those under test, filtered as the observed ones are.
    ``stats["null_edges_per_replicate"]`` records how many edges a copy has on average."""
    if not replicates:
        return None
    parts = [replicate(r) for r in range(replicates)]
    engine.create_table(table, " UNION ALL ".join(parts))
    engine.drop(*(f"{table}_{r}" for r in range(replicates)))
    stats["null_edges_per_replicate"] = engine.count(table) / replicates
    return table


def weight_sum(expr: str) -> str:
    """The sum of an edge's per-target weights, exact and so the same whatever the order of
    the rows: in millionths, as integers. A float sum depends on the order the threads add
    in, and an edge judged against shuffled edges of equal weight (the same targets'
    rarities, added in another order) could then pass on one run and fail on the next."""
    return f"CAST(sum(CAST(round({expr} * 1000000) AS BIGINT)) AS DOUBLE) / 1000000"


def exact_sum(expr: str) -> str:
    """The sum of a float column, the same whatever the order of the rows: each value as a
    decimal of 18 places, added exactly, then back to a float (within 1e-15 of the float
    sum for the weights signals add; the values must be finite and below 1e20). A float
    sum depends on the order DuckDB's threads add in, and the evidence of two runs would
    differ in the last bits."""
    return f"CAST(sum(CAST({expr} AS DECIMAL(38, 18))) AS DOUBLE)"


def bh_qvalues(p: np.ndarray) -> np.ndarray:
    """Benjamini & Hochberg's step-up q-values (JRSS B 1995) of ``p``, in its order: for the
    signals that test their groups in Python rather than in SQL (``significance_sql``)."""
    p = np.asarray(p, dtype=np.float64)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def bh_qvalues_by(p: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """:func:`bh_qvalues` within each stratum of ``strata`` (one label per p-value): the
    stratified FDR of Sun, McLain & Wang (Genet. Epidemiol. 30, 2006), who show that it
    keeps the overall FDR at the level; a stratum rich in signal is not held back by the
    tests of another that holds none."""
    p = np.asarray(p, dtype=np.float64)
    strata = np.asarray(strata)
    out = np.ones(len(p))
    for label in np.unique(strata):
        inside = strata == label
        out[inside] = bh_qvalues(p[inside])
    return out


# -- exact tails, vectorised over many tests at once (no scipy): burst, lifecycle ------------------------------------------


def _log_factorials(n: int) -> np.ndarray:
    """log(i!) for i = 0..n."""
    return np.concatenate([[0.0], np.cumsum(np.log(np.arange(1, n + 1, dtype=np.float64)))])


def _segment_logsumexp(logs: np.ndarray, seg: np.ndarray, n: int) -> np.ndarray:
    """log(sum(exp(logs))) per segment (``seg`` the segment of each term, sorted)."""
    out = np.full(n, -np.inf)
    if not len(logs):
        return out
    top = np.full(n, -np.inf)
    np.maximum.at(top, seg, logs)
    s = np.zeros(n)
    np.add.at(s, seg, np.exp(logs - top[seg]))
    ok = s > 0
    out[ok] = top[ok] + np.log(s[ok])
    return out


def binom_sf(x: np.ndarray, k: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(X >= x) for X ~ Binomial(k, p), elementwise (exact: the sum of the upper terms)."""
    x, k, p = (np.asarray(a) for a in (x, k, p))
    x = x.astype(np.int64)
    k = k.astype(np.int64)
    out = np.ones(len(x))
    todo = x > 0
    out[todo & (p <= 0)] = 0.0
    todo &= p > 0
    todo &= p < 1  # p = 1: certain
    idx = np.flatnonzero(todo)
    if not len(idx):
        return out
    lf = _log_factorials(int(k[idx].max()))
    lens = k[idx] - x[idx] + 1
    seg = np.repeat(np.arange(len(idx)), lens)
    first = np.concatenate([[0], np.cumsum(lens)[:-1]])
    i = x[idx][seg] + (np.arange(len(seg)) - first[seg])
    kk, pp = k[idx][seg], p[idx][seg]
    logs = lf[kk] - lf[i] - lf[kk - i] + i * np.log(pp) + (kk - i) * np.log1p(-pp)
    out[idx] = np.minimum(1.0, np.exp(_segment_logsumexp(logs, seg, len(idx))))
    return out


def poisson_sf(k: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """P(X >= k) for X ~ Poisson(mu), elementwise."""
    k, mu = np.asarray(k).astype(np.int64), np.asarray(mu, dtype=np.float64)
    out = np.ones(len(k))
    for upper in (True, False):
        # mu < k: the upper terms k .. k + 60 + 3 sqrt(k) (the rest is negligible);
        # otherwise 1 - the lower terms 0 .. k - 1 (then p is large anyway).
        sel = (k > 0) & ((mu < k) if upper else (mu >= k)) & (mu > 0)
        idx = np.flatnonzero(sel)
        if not len(idx):
            continue
        kk, m = k[idx], mu[idx]
        lo = kk if upper else np.zeros_like(kk)
        lens = (60 + 3 * np.sqrt(kk)).astype(np.int64) if upper else kk
        seg = np.repeat(np.arange(len(idx)), lens)
        first = np.concatenate([[0], np.cumsum(lens)[:-1]])
        i = lo[seg] + (np.arange(len(seg)) - first[seg])
        lf = _log_factorials(int(i.max()) if len(i) else 1)
        logs = -m[seg] + i * np.log(m[seg]) - lf[i]
        s = np.exp(_segment_logsumexp(logs, seg, len(idx)))
        out[idx] = np.clip(s if upper else 1.0 - s, 0.0, 1.0)
    out[(k > 0) & (mu <= 0)] = 0.0
    return out
