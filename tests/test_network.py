"""Fusing layers and clustering the fused graph (unmask.network)."""

from __future__ import annotations

import itertools

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from unmask.network import FUSED_SCHEMA, Layer, cluster, edge_evidence, fuse
from unmask.signals.base import EDGE_SCHEMA


def edges(pairs, q=None, signal="s") -> pa.Table:
    rows = []
    for i, (a, b) in enumerate(pairs):
        rows.append(
            {
                "signal": signal,
                "platform_a": "x",
                "account_a": a,
                "platform_b": "x",
                "account_b": b,
                "weight": 1.0,
                "count": 1,
                "p_value": None,
                "q_value": None if q is None else (q[i] if isinstance(q, list) else q),
                "first_time": None,
                "last_time": None,
                "reason": "",
            }
        )
    return pa.Table.from_pylist(rows, schema=EDGE_SCHEMA)


def weight_of(fused: pa.Table, a: str, b: str) -> float:
    for r in fused.to_pylist():
        if {r["account_a"], r["account_b"]} == {a, b}:
            return r["weight"]
    raise KeyError((a, b))


def test_evidence_is_capped_minus_log_q_and_cap_without_a_null():
    ev = edge_evidence(pa.array([0.1, 0.001, 1e-30, None, 1.0]), cap=3.0)
    assert ev.tolist() == pytest.approx([1.0, 3.0, 3.0, 3.0, 0.0])


def test_one_family_shouting_weighs_less_than_two_agreeing():
    shouting = [
        Layer("coaction_url", "coordination", edges([("a", "b")], q=1e-9)),
        Layer("coaction_text", "coordination", edges([("b", "a")], q=1e-9)),
        Layer("content", "coordination", edges([("a", "b")], q=1e-9)),
    ]
    agreeing = [
        Layer("coaction_url", "coordination", edges([("c", "d")], q=0.01)),
        Layer("identity", "identity", edges([("d", "c")], q=0.01)),
    ]
    fused = fuse(shouting + agreeing, cap=3.0)
    assert fused.schema == FUSED_SCHEMA
    assert weight_of(fused, "a", "b") == pytest.approx(3.0)  # one family, capped
    assert weight_of(fused, "c", "d") == pytest.approx(4.0)  # 2 + 2
    row = next(r for r in fused.to_pylist() if r["account_a"] == "c")
    assert row["families"] == 2 and row["signals"] == "coaction_url;identity"
    # one row per unordered pair, whichever way the signals wrote it
    assert fused.num_rows == 2


def test_self_pairs_and_empty_layers_add_nothing():
    fused = fuse([Layer("s", "f", edges([("a", "a")])), Layer("t", "g", edges([]))])
    assert fused.num_rows == 0
    assert cluster(fused).num_rows == 0


def clique(names):
    return list(itertools.combinations(names, 2))


def test_two_cliques_joined_by_one_edge_are_two_clusters():
    left = [f"l{i}" for i in range(8)]
    right = [f"r{i}" for i in range(8)]
    layer = Layer("s", "f", edges(clique(left) + clique(right) + [("l0", "r0")], q=0.001))
    nodes = cluster(fuse([layer]), resolution=1.0)
    by = dict(zip(nodes["account_id"].to_pylist(), nodes["cluster_id"].to_pylist(), strict=True))
    assert len({by[a] for a in left}) == 1 and len({by[a] for a in right}) == 1
    assert by["l1"] != by["r1"]
    assert set(nodes["component"].to_pylist()) == {0}


def test_components_are_clustered_apart_and_the_same_with_workers():
    layer = Layer(
        "s",
        "f",
        edges(
            clique([f"a{i}" for i in range(6)])
            + clique(["b0", "b1", "b2", "b3", "b4"])
            + [("c0", "c1")]
        ),
    )
    fused = fuse([layer])
    one = cluster(fused, seed=3)
    two = cluster(fused, seed=3, workers=2)
    assert one.equals(two)
    comps = dict(zip(one["account_id"].to_pylist(), one["component"].to_pylist(), strict=True))
    assert comps["a0"] == 0 and comps["b0"] == 1 and comps["c0"] == 2  # largest first
    assert one.filter(pa.compute.equal(one["account_id"], "c1"))["cluster_id"][0].as_py() == "c2.0"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 12), st.sampled_from(["f", "g", "h"])),
        max_size=60,
    )
)
def test_fusion_invariants(triples):
    layers = [
        Layer(fam, fam, edges([(f"n{a}", f"n{b}") for a, b, f in triples if f == fam], q=0.01))
        for fam in ("f", "g", "h")
    ]
    fused = fuse(layers, cap=3.0)
    pairs = {frozenset((f"n{a}", f"n{b}")) for a, b, _ in triples if a != b}
    assert fused.num_rows == len(pairs)
    for r in fused.to_pylist():
        assert 0 < r["weight"] <= 3.0 * r["families"] + 1e-9
        assert r["account_a"] <= r["account_b"]
    nodes = cluster(fused)
    assert nodes.num_rows == len({n for p in pairs for n in p})
