"""Permutation p-values and BH q-values (unmask.signals.significance): a hand-worked case,
a plain-Python reading of the definition on random inputs, and the invariants any FDR
estimate must keep (q in [0, 1], never rising with the weight, never lowered by more null
mass; strata judged apart)."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.significance import significance_sql
from unmask.store import Store


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    with DuckDBEngine(Store(tmp_path_factory.mktemp("sig") / "store", create=True)) as eng:
        yield eng


def _table(engine, name: str, rows: list[tuple[str, float]]) -> None:
    if rows:
        values = ", ".join(f"('{s}', CAST({w!r} AS DOUBLE))" for s, w in rows)
        engine.create_table(name, f"SELECT * FROM (VALUES {values}) v(stratum, weight)")
    else:
        engine.create_table(
            name, "SELECT CAST(NULL AS VARCHAR) AS stratum, CAST(NULL AS DOUBLE) AS weight LIMIT 0"
        )


def run(engine, observed, null, replicates=1, stratified=False) -> dict:
    """{(stratum, weight): (p, q)} for rows given as weights or (stratum, weight) pairs."""

    def rows(xs):
        return [x if isinstance(x, tuple) else ("s", float(x)) for x in xs]

    _table(engine, "_t_obs", rows(observed))
    _table(engine, "_t_null", rows(null))
    sql = significance_sql(
        "_t_obs", "_t_null", replicates, stratum="stratum" if stratified else None
    )
    out = engine.fetch(sql).to_pylist()
    return {(r.get("stratum", "s"), r["weight"]): (r["p_value"], r["q_value"]) for r in out}


def reference(observed: list[float], null: list[float], b: int) -> dict[float, tuple]:
    """The definition, read literally: p(w) = (null >= w + 1) / (b m + 1), capped at 1;
    BH(w) = p(w) m / (observed >= w), capped at 1; q(w) = the least BH(v) over observed
    v <= w."""
    m = len(observed)
    p = {w: min(1.0, (sum(x >= w for x in null) + 1) / (b * m + 1)) for w in set(observed)}
    bh = {w: min(1.0, p[w] * m / sum(x >= w for x in observed)) for w in p}
    return {w: (p[w], min(bh[v] for v in bh if v <= w)) for w in p}


def test_a_hand_worked_case(engine):
    got = run(engine, [5, 4, 3, 3, 1], [3, 1, 1, 0.5], replicates=2)
    # 5 observed edges, 2 replicates: 10 draws. Weight 5: no null edge reaches it, p = 1/11,
    # BH = 1/11 * 5 / 1; weight 4: BH = 1/11 * 5 / 2 = 5/22; weight 3: one null edge, p =
    # 2/11, BH = 2/11 * 5 / 4 = 5/22; weight 1: p = 4/11, BH = 4/11 * 5 / 5 = 4/11.
    # q is the least BH at any weight up to the edge's: 5/22 for 5 as well.
    assert got[("s", 5.0)] == pytest.approx((1 / 11, 5 / 22))
    assert got[("s", 4.0)] == pytest.approx((1 / 11, 5 / 22))
    assert got[("s", 3.0)] == pytest.approx((2 / 11, 5 / 22))
    assert got[("s", 1.0)] == pytest.approx((4 / 11, 4 / 11))


def test_twenty_edges_above_every_shuffled_edge_pass_two_do_not(engine):
    many = run(engine, [10.0] * 20 + [1.0] * 80, [1.0] * 90, replicates=1)
    assert many[("s", 10.0)][1] <= 0.05
    few = run(engine, [10.0] * 2 + [1.0] * 98, [1.0] * 90, replicates=1)
    assert few[("s", 10.0)][1] > 0.05


def test_more_null_edges_than_observed_caps_at_one(engine):
    got = run(engine, [1, 1], [2, 2, 2, 2, 2], replicates=1)
    assert got[("s", 1.0)][1] == 1.0


def test_without_a_null_the_values_are_null(engine):
    _table(engine, "_t_obs", [("s", 1.0), ("s", 2.0), ("s", 2.0)])
    out = engine.fetch(significance_sql("_t_obs", None, 0)).to_pylist()
    assert sorted(r["weight"] for r in out) == [1.0, 2.0]
    assert all(r["p_value"] is None and r["q_value"] is None for r in out)


def test_replicates_must_be_counted(engine):
    with pytest.raises(ValueError):
        significance_sql("_t_obs", "_t_null", -1)


weights = st.lists(
    st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 10.0]), min_size=1, max_size=30
)
null_weights = st.lists(st.sampled_from([0.5, 1.0, 1.5, 2.0, 3.0, 4.5, 7.0, 10.0]), max_size=60)


@settings(max_examples=60, deadline=None)
@given(observed=weights, null=null_weights, b=st.integers(1, 4))
def test_matches_the_definition(engine, observed, null, b):
    got = run(engine, observed, null, replicates=b)
    want = reference(observed, null, b)
    assert set(got) == {("s", w) for w in want}
    for w, (p, q) in want.items():
        assert got[("s", w)] == pytest.approx((p, q))


@settings(max_examples=60, deadline=None)
@given(observed=weights, null=null_weights, extra=null_weights, b=st.integers(1, 4))
def test_invariants(engine, observed, null, extra, b):
    got = run(engine, observed, null, replicates=b)
    by_weight = sorted((w, pq) for (_, w), pq in got.items())
    for _, (p, q) in by_weight:
        assert 0 < p <= 1
        assert 0 <= q <= 1
    for i in (0, 1):
        v = [pq[i] for _, pq in by_weight]
        assert all(a >= c for a, c in pairwise(v)), "must not rise with weight"
    more = run(engine, observed, null + extra, replicates=b)
    for key, (p, q) in got.items():
        assert more[key][0] >= p - 1e-12, "more null mass must never lower p"
        assert more[key][1] >= q - 1e-12, "more null mass must never lower q"


@settings(max_examples=40, deadline=None)
@given(a=weights, a_null=null_weights, b=weights, b_null=null_weights)
def test_strata_are_judged_apart(engine, a, a_null, b, b_null):
    both = run(
        engine,
        [("a", w) for w in a] + [("b", w) for w in b],
        [("a", w) for w in a_null] + [("b", w) for w in b_null],
        stratified=True,
    )
    alone = run(engine, a, a_null)
    for (_, w), pq in alone.items():
        assert both[("a", w)] == pytest.approx(pq)


def test_weight_sum_does_not_depend_on_the_order_of_the_rows() -> None:
    import duckdb

    from unmask.signals.significance import weight_sum

    con = duckdb.connect()
    con.execute("SET threads = 1")  # one thread adds the rows in the order given

    def sums(values: list[float]) -> tuple[float, float]:
        rows = ", ".join(f"(CAST({v} AS DOUBLE))" for v in values)
        return con.execute(f"SELECT sum(x), {weight_sum('x')} FROM (VALUES {rows}) t(x)").fetchone()

    forward, backward = sums([0.1, 0.2, 0.3]), sums([0.3, 0.2, 0.1])
    # A float sum is not: the same edge could weigh two ways on two runs.
    assert forward[0] != backward[0]
    assert forward[1] == backward[1] == 0.6
