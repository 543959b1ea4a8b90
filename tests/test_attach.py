"""Bought followers attached to the operation they serve (``unmask.attach``)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from unmask import attach
from unmask.engine.duckdb import DuckDBEngine


def world() -> tuple[pa.Table, pa.Table]:
    """Two operations (op1: a1..a4, op2: b1..b4), a fan club (fan: c1..c4) and the bought
    follows of seven followers."""
    nodes = pa.table(
        {
            "platform": ["x"] * 12,
            "account_id": [f"{p}{i}" for p in "abc" for i in range(1, 5)],
            "cluster_id": ["op1"] * 4 + ["op2"] * 4 + ["fan"] * 4,
            "degree": [3] * 12,
        }
    )
    follows = {
        "f_op1": ["a1", "a2", "a3", "elsewhere"],  # 3 of 4 of op1's: attached to op1
        "f_two": ["a1", "a2"],  # all op1's, but only two of its accounts
        "f_thin": ["a1", "a2", "a3", "p1", "p2", "p3", "p4"],  # 3 of 7: under the share
        "a4": ["a1", "a2", "a3"],  # a member already
        "f_both": ["a1", "a2", "a3", "b1", "b2", "b3", "b4"],  # 4 of 7 of op2's
        "f_fan": ["c1", "c2", "c3", "c4"],  # the fan club is not an operation
        "f_tie": ["a1", "a2", "a3", "b1", "b2", "b3"],  # a tie: the smaller id
    }
    rows = [(f, e) for f, es in follows.items() for e in es]
    bought = pa.table(
        {
            "platform": ["x"] * len(rows),
            "follower_id": [f for f, _ in rows],
            "followee_id": [e for _, e in rows],
        }
    )
    return nodes, bought


def attached_on(engine) -> dict[str, tuple[str, int, int]]:
    nodes, bought = world()
    t = attach.bought_followers(engine, nodes, ["op1", "op2"], bought)
    assert t.schema == attach.ATTACHED_SCHEMA
    return {
        r["account_id"]: (r["cluster_id"], r["of_operation"], r["bought_follows"])
        for r in t.to_pylist()
    }


def test_a_follower_is_attached_to_the_operation_most_of_its_bought_follows_serve(russian_store):
    with DuckDBEngine(russian_store) as eng:
        got = attached_on(eng)
    assert got == {
        "f_op1": ("op1", 3, 4),
        "f_both": ("op2", 4, 7),
        "f_tie": ("op1", 3, 6),
    }


def test_the_reason_names_the_follows_behind_it(russian_store):
    nodes, bought = world()
    with DuckDBEngine(russian_store) as eng:
        t = attach.bought_followers(eng, nodes, ["op1"], bought)
    reasons = {r["account_id"]: r["reason"] for r in t.to_pylist()}
    assert reasons["f_op1"] == (
        "looks bought, and 3 of its 4 bought follows (75%) are of this operation's accounts"
    )
    # With op2 not an operation, the follower split between them is op1's (3 of 7 < 0.5).
    assert "f_both" not in reasons


@pytest.mark.parametrize("bought", [None, pa.table({"platform": [], "follower_id": []})])
def test_nothing_is_attached_without_bought_follows(russian_store, bought):
    nodes, _ = world()
    with DuckDBEngine(russian_store) as eng:
        t = attach.bought_followers(eng, nodes, ["op1"], bought)
    assert t.num_rows == 0 and t.schema == attach.ATTACHED_SCHEMA


def test_members_are_the_linked_accounts_then_the_attached_ones(russian_store):
    nodes, bought = world()
    with DuckDBEngine(russian_store) as eng:
        t = attach.bought_followers(eng, nodes, ["op1", "op2"], bought)
    m = attach.members(nodes, t).to_pylist()
    assert len(m) == nodes.num_rows + t.num_rows
    assert {r["basis"] for r in m[: nodes.num_rows]} == {attach.LINKED}
    assert [(r["account_id"], r["basis"], r["degree"]) for r in m[nodes.num_rows :]] == [
        ("f_op1", attach.BOUGHT_FOLLOWER, 0),
        ("f_tie", attach.BOUGHT_FOLLOWER, 0),
        ("f_both", attach.BOUGHT_FOLLOWER, 0),
    ]


def test_without_profiles_an_operations_follower_pool_is_attached_to_it(tmp_path):
    """The ``no_profiles`` variation at a tuning seed: no signal puts most of Spamouflage's
    follow-only pool in a cluster (nothing but follows is known of it), and attaching it
    by its bought follows finds nearly all of it, and no authentic account."""
    import duckdb

    from unmask.detect import DetectConfig, detect
    from unmask.evaluate import evaluate
    from unmask.simulate.scenario import parse_scenario
    from unmask.simulate.world import simulate
    from unmask.store import Store

    world = tmp_path / "world"
    simulate(world, parse_scenario('extends = "small"\n[world]\nprofiles = false\n'), seed=3)
    run = tmp_path / "run"
    detect(Store(world / "store"), run, DetectConfig())
    got = duckdb.sql(
        f"""SELECT t.operation_id, t."group", count(*) AS n, count(f.account_id) AS flagged,
                   count(a.account_id) AS attached
            FROM '{world / "truth" / "accounts.parquet"}' t
            LEFT JOIN '{run / "flagged.parquet"}' f USING (platform, account_id)
            LEFT JOIN '{run / "attached.parquet"}' a USING (platform, account_id)
            WHERE t.role = 'fake_follower' GROUP BY ALL"""
    ).fetchall()
    pool = {(op, grp): (n, flagged, att) for op, grp, n, flagged, att in got}
    n, flagged, att = pool[("spamouflage-1", None)]
    assert flagged >= 0.9 * n and att >= 0.5 * n
    attached_roles = duckdb.sql(
        f"""SELECT DISTINCT t.role FROM '{run / "attached.parquet"}' a
            JOIN '{world / "truth" / "accounts.parquet"}' t USING (platform, account_id)"""
    ).fetchall()
    assert attached_roles == [("fake_follower",)]
    assert evaluate(world / "truth", run).overall.fp == 0
