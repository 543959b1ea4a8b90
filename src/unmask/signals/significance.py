"""Significance of weighted edges against a permutation null: p-values and FDR q-values.

A signal that links accounts computes its edges twice: on the data (the *observed* edges)
and on ``replicates`` shuffled copies of it (the *null* edges), shuffled so that chance is
kept and coordination is not. Each edge is then judged by its weight alone, against the
null edges' weights, as in permutation-based false-discovery control (Storey & Tibshirani,
"Statistical significance for genomewide studies", PNAS 2003, section "Estimating the FDR
with permutations"):

* ``p_value`` of an edge of weight w is the pooled permutation p-value
  ``(n_null(>= w) + 1) / (draws + 1)``: the share of null edges at least as heavy, over
  ``draws = max(replicates * m, n_null)`` draws, ``m`` the number of observed edges under
  test and ``n_null`` the number of null edges (the null edges stand in for the tests' null
  distribution, ``m`` per replicate; when a shuffle makes more edges than the data, they
  are the draws; the ``+ 1`` keeps it above zero, as the observed edge is one draw too);
* ``q_value`` is the estimated false-discovery rate of keeping every edge of weight >= w,
  ``(n_null(>= w) / replicates) / n_obs(>= w)``, capped at 1 and made monotone (the least
  such rate at any weight up to w), which is Benjamini & Hochberg's step-up procedure
  (JRSS B 1995) applied to the pooled p-values without the ``+ 1``, with the proportion of
  true nulls set to 1 (conservative).

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
                   sum(n_obs) OVER ({part.strip()}) AS m,
                   sum(n_null) OVER ({part.strip()}) AS n
            FROM g),
        f AS (
            SELECT {by}weight, ge_null, greatest({b} * m, n) AS draws,
                   least(1.0, (ge_null / {b}.0) / ge_obs) AS fdr
            FROM c WHERE n_obs > 0)
        SELECT {by}weight,
               (ge_null + 1.0) / (draws + 1.0) AS p_value,
               min(fdr) OVER ({part}ORDER BY weight {running}) AS q_value
        FROM f"""
