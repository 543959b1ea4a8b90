"""Life-cycle synchrony: a hand-made store (a wave that starts and stops together, aged
accounts that wake up together after a long silence, ordinary people at random); the null
(ordinary people alone link nothing); the Poisson tail and BH; the small simulated world
and its single-shot variation (recall by planted role, false positives per hard-negative
group); the same evidence on Spark."""

from __future__ import annotations

import json
import math
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from worldscore import (
    accounts_of,
    group_rate,
    hand_made_store,
    role_recall,
    same_rows,
    score_accounts,
)

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Signal
from unmask.signals.lifecycle import LifecycleSynchrony
from unmask.signals.significance import bh_qvalues, poisson_sf
from unmask.store import Store

T0 = datetime(2024, 1, 1, tzinfo=UTC)
DAYS = 80


def _act(aid: str, days: float, i: int) -> dict:
    return {
        "platform": "x",
        "activity_id": f"{aid}-{i}",
        "account_id": aid,
        "time": T0 + timedelta(days=float(days)),
        "kind": "post",
        "text": "hello",
        "source_file": "hand",
        "source_row": 0,
    }


def ordinary(rng: random.Random, n: int = 400) -> list[dict]:
    """People who act at random times over the data, 1 to 40 times each."""
    rows = []
    for a in range(n):
        for i in range(rng.randint(1, 40)):
            rows.append(_act(f"o{a}", rng.uniform(0, DAYS), i))
    return rows


def planted(rng: random.Random) -> list[dict]:
    rows = []
    # A wave: 12 fresh accounts first act on day 30 within 20 minutes, act a few times and
    # fall silent within two days.
    for a in range(12):
        start = 30 + rng.uniform(0, 20) / 1440
        rows.append(_act(f"w{a}", start, 0))
        for i in range(1, 4):
            rows.append(_act(f"w{a}", start + rng.uniform(0, 2), i))
    # Aged accounts: one post each in the first days, 40 days of silence, then they wake up
    # together on day 50 within 10 minutes and stop within a day.
    for a in range(8):
        rows.append(_act(f"z{a}", rng.uniform(1.5, 5), 0))
        wake = 50 + rng.uniform(0, 10) / 1440
        rows.append(_act(f"z{a}", wake, 1))
        rows.append(_act(f"z{a}", wake + rng.uniform(0, 1), 2))
    return rows


def _store(path: Path, rows: list[dict]) -> Store:
    return hand_made_store(path, activities=rows)


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory) -> Store:
    rng = random.Random(7)
    return _store(tmp_path_factory.mktemp("lc") / "store", ordinary(rng) + planted(rng))


def test_signal_interface():
    s = LifecycleSynchrony()
    assert isinstance(s, Signal) and s.name == "lifecycle" and s.family == "identity"
    assert s.set_params(window_s=600.0).window_s == 600.0
    with pytest.raises(ValueError):
        s.set_params(nope=1)
    with pytest.raises(ValueError):
        LifecycleSynchrony(background_s=10.0).run(None)  # checked before the engine is used


def test_poisson_tail_and_bh():
    # P(X >= k) against values worked out by hand (the pmf summed).
    lam = np.array([0.5, 2.0, 2.0, 10.0, 1.0])
    k = np.array([3, 1, 2, 25, 0])
    want = []
    for kk, ll in zip(k, lam, strict=True):
        head = math.fsum(math.exp(-ll) * ll**j / math.factorial(j) for j in range(int(kk)))
        want.append(1 - head)
    assert np.allclose(poisson_sf(k, lam), want, rtol=1e-6, atol=1e-12)
    assert poisson_sf(np.array([80]), np.array([8.7]))[0] < 1e-40
    q = bh_qvalues(np.array([0.01, 0.04, 0.03, 0.5]))
    assert np.allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_wave_and_wake_up_link_and_nothing_else(hand_store):
    ev = LifecycleSynchrony().run(DuckDBEngine(hand_store))
    assert ev.edges.schema == EDGE_SCHEMA and ev.events.schema == EVENT_SCHEMA
    acc = {a for r in ev.edges.to_pylist() for a in (r["account_a"], r["account_b"])}
    assert {f"w{i}" for i in range(12)} <= acc
    assert {f"z{i}" for i in range(8)} <= acc
    # An ordinary person who happens to start inside the wave's hour and to live briefly
    # is in the cohort by chance: one such (o51) here; the bound says it stays rare.
    assert len({a for a in acc if a.startswith("o")}) <= 1, "ordinary people linked"
    # The aged accounts' first activity is censored (day 1.5-5 is after the margin, but
    # they are alone then); what links them is the wake-up, and the events say so.
    zev = [r for r in ev.events.to_pylist() if r["account_a"].startswith("z")]
    assert zev and all(r["target"].startswith(("woke up", "last activity")) for r in zev), zev[:3]
    woke = [r for r in zev if r["target"].startswith("woke up")]
    assert all(r["activity_a"].endswith("-1") and r["lag_seconds"] <= 600 for r in woke)
    # Every edge has its start and stop events, and a reason.
    assert ev.events.num_rows == 2 * ev.edges.num_rows
    assert all(r["reason"] and r["q_value"] <= 0.01 for r in ev.edges.to_pylist())
    cohorts = ev.tables["cohorts"].to_pylist()
    assert any(c["edge"] == "start" and c["accounts"] >= 12 for c in cohorts)
    assert any("name changes not measured" in n for n in ev.notes)
    assert ev.stats["woke"] >= 8


def test_neighbours_bound_the_pairs(hand_store):
    ev = LifecycleSynchrony(neighbours=2).run(DuckDBEngine(hand_store))
    wave = [r for r in ev.edges.to_pylist() if r["account_a"].startswith("w")]
    assert 0 < len(wave) <= 2 * 12


def test_the_null_ordinary_people_link_nothing(tmp_path):
    # Five crowds of ordinary people at random: no burst of starts or stops beyond chance.
    for seed in range(5):
        store = _store(tmp_path / f"s{seed}", ordinary(random.Random(seed), 600))
        ev = LifecycleSynchrony().run(DuckDBEngine(store))
        assert ev.edges.num_rows == 0, (seed, ev.tables["cohorts"].to_pylist())


def test_no_activities_cannot_assess(tmp_path):
    store = Store(tmp_path / "empty", create=True)
    ev = LifecycleSynchrony().run(DuckDBEngine(store))
    assert not ev.assessable and ev.edges.num_rows == 0


def test_a_collection_of_single_days_is_not_read_as_lives(tmp_path):
    """A keyword or link collection (the real CrowdTangle export): most accounts are seen on
    the one day they posted what it matched. Their "starts" are the collection's, so the
    signal says so instead of linking the wave."""
    rng = random.Random(3)
    rows = [_act(f"k{a}", rng.uniform(0, DAYS), 0) for a in range(600)]
    rows += planted(rng)
    ev = LifecycleSynchrony().run(DuckDBEngine(_store(tmp_path / "s", rows)))
    assert not ev.assessable and ev.edges.num_rows == 0
    assert any("seen on 3 days or more" in n for n in ev.notes)
    assert ev.stats["observed_share"] < 0.5


# -- the small simulated world -----------------------------------------------------------


def _ops(world: Path) -> dict:
    return {
        o["type"]: o["id"]
        for o in json.loads((world / "truth" / "operations.json").read_text())["operations"]
    }


def test_small_world_recall_and_false_positives(small_world, tmp_path):
    ev = LifecycleSynchrony().run(DuckDBEngine(Store(small_world / "store")))
    res = score_accounts(small_world, tmp_path, accounts_of(ev), "lifecycle")
    ops = _ops(small_world)
    # Measured (seed 1): Doppelganger 115/150 (0.77): the first of its six waves is before
    # the margin (censored); 72/150 without the stream of short lives, where the two waves
    # of day 2 drown in the start rate of the data's first days.
    assert role_recall(res, ops["doppelganger"], "poster") >= 0.65
    off = LifecycleSynchrony(short_lives=False).run(DuckDBEngine(Store(small_world / "store")))
    res_off = score_accounts(small_world, tmp_path / "off", accounts_of(off), "lifecycle")
    assert role_recall(res_off, ops["doppelganger"], "poster") <= 0.6
    # Spamouflage's accounts live the whole two weeks: nothing to see (measured 0).
    assert role_recall(res, ops["spamouflage"], "poster") <= 0.05
    # Breaking news: people whose only posts are about the two news events start (and
    # stop) together by an outside cause (measured 0.118). The others measured 0 except
    # office_workers_utc8 (0.007) and ordinary people (0.006).
    assert group_rate(res, "breaking_news") <= 0.2
    for g in (
        "office_workers_utc8",
        "activist_campaign",
        "news_bots",
        "fandom",
        "newsroom",
        "marketing_agency",
        "campaign_volunteers",
        "fan_club",
        "follower_vendor",
        "vendor_customers",
    ):
        assert group_rate(res, g) <= 0.02, g
    assert res["ordinary"]["rate"] <= 0.01


def test_single_shot_throwaways(tmp_path_factory, tmp_path):
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate

    root = Path(__file__).resolve().parents[1]
    world = tmp_path_factory.mktemp("lc-single-shot")
    simulate(world, load_scenario(str(root / "benchmarks/robustness/single_shot.toml")), seed=1)
    ev = LifecycleSynchrony().run(DuckDBEngine(Store(world / "store")))
    res = score_accounts(world, tmp_path, accounts_of(ev), "lifecycle")
    ops = _ops(world)
    # Measured (seed 1): Spamouflage posters 263/763 (its 632 throwaways act in one or two
    # tasks and vanish; the 131 others live the whole data and are not linked),
    # Doppelganger 83/150; ordinary 0.0096, vendor_customers 1 of 30.
    assert role_recall(res, ops["spamouflage"], "poster") >= 0.28
    assert role_recall(res, ops["doppelganger"], "poster") >= 0.4
    assert group_rate(res, "breaking_news") <= 0.2
    assert res["ordinary"]["rate"] <= 0.02


# -- Spark -----------------------------------------------------------------------------------


def test_same_evidence_on_spark(hand_store):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    want = LifecycleSynchrony().run(DuckDBEngine(hand_store))
    spark = SparkEngine(hand_store)
    try:
        got = LifecycleSynchrony().run(spark)
    finally:
        spark.close()
    cols = ["account_a", "account_b", "target", "activity_a", "activity_b", "lag_seconds"]
    assert same_rows(got.events, cols) == same_rows(want.events, cols)
    ecols = ["account_a", "account_b", "weight", "reason"]
    assert same_rows(got.edges, ecols) == same_rows(want.edges, ecols)
    assert got.tables["cohorts"].num_rows == want.tables["cohorts"].num_rows
