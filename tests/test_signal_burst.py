"""Single-shot bursts: a hand-made store (a wave of short-lived accounts on a typosquat
article, breaking news shared by a crowd of ordinary people, a popular video whose chance
clusters and whose hour of throwaways); the tails and q-values; the small world and its
robustness variations (one article a wave, single-shot throwaways); the same on Spark."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
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
from unmask.signals.burst import BURSTS_SCHEMA, SingleShotBurst
from unmask.signals.significance import bh_qvalues, bh_qvalues_by, binom_sf, poisson_sf
from unmask.store import Store

T0 = datetime(2024, 3, 1, tzinfo=UTC)
ROBUSTNESS = Path(__file__).resolve().parents[1] / "benchmarks" / "robustness"
GROUPS = (
    "breaking_news",
    "newsroom",
    "activist_campaign",
    "fandom",
    "fan_club",
    "campaign_volunteers",
    "news_bots",
    "office_workers_utc8",
    "marketing_agency",
    "follower_vendor",
    "vendor_customers",
)


def _act(
    n: int, aid: str, seconds: float, text: str, url: str | None = None, tags: tuple = ()
) -> dict:
    domain = url.split("/")[2] if url else None
    return {
        "platform": "x",
        "activity_id": f"a{n}",
        "account_id": aid,
        "time": T0 + timedelta(seconds=float(seconds)),
        "kind": "post",
        "text": text,
        "language": "en",
        "urls": [url] if url else [],
        "urls_original": [url] if url else [],
        "domains": [domain] if domain else [],
        "hashtags": list(tags),
        "mentions": [],
        "media_hashes": [],
        "parent_activity_id": None,
        "parent_account_id": None,
        "community": None,
        "source_file": "hand",
        "source_row": n,
    }


DAY = 86400
VIDEO = "https://video.com/watch?v=cats"
WAVE = [f"w{i}" for i in range(8)]
THROW = [f"t{i}" for i in range(20)]
# Throwaways that post one message each, translated and reworded: no text in common.
TRANSLATED = {
    "z0": "Why does America keep 247 bases abroad? Ask yourself.",
    "z1": "美国在247个国家有军营。醒醒吧。",
    "z2": "247 Staaten mit US-Stützpunkten. Denkt mal nach.",
    "z3": "Des bases américaines dans 247 pays. Réfléchissez.",
    "z4": "Это гегемония: базы США в 247 странах.",
    "z5": "Bases de EE. UU. en 247 países. Piénsalo.",
}
# ... and five that share neither a hashtag nor a link: only the figure, written each
# language's way.
FIGURED = {
    "f0": "Debt passed 1,309 billion dollars. Who pays? Ordinary people.",
    "f1": "Schulden über 1.309 Milliarden. Die Bürger zahlen.",
    "f2": "La dette dépasse 1\u202f309 milliards. Réveillez-vous.",
    "f3": "债务突破1309亿美元，受害的是普通人。",
    "f4": "Долг превысил 1309 миллиардов, платят простые люди.",
}


def hand_rows() -> list[dict]:
    rng = random.Random(5)
    rows: list[dict] = []

    def add(aid, s, text, url=None):
        rows.append(_act(len(rows), aid, s, text, url))

    # 1,000 ordinary people over 20 days: a post of their own every other day, and each
    # shares the popular video once at a random time (3.5 an hour; chance clusters of 4+).
    for i in range(1000):
        for d in range(0, 20, 2):
            add(f"o{i}", d * DAY + rng.uniform(0, DAY), f"my own thoughts number {i} {d} today")
        add(f"o{i}", rng.uniform(0, 20 * DAY), "look at this lovely video of cats", VIDEO)
    # Breaking news: 60 of them share one article of a popular outlet within 15 minutes.
    for i in range(60):
        add(f"o{i}", 12 * DAY + rng.uniform(0, 900), None, "https://news.com/quake-live")
    # A wave: 8 fresh accounts share a typosquat's article within 20 minutes (the same
    # teaser), once more later that day, then nothing.
    for i, a in enumerate(WAVE):
        t = 10 * DAY + 3600 + rng.uniform(0, 1200)
        teaser = "Shocking: the minister lied about the gas deal"
        add(a, t, teaser, "https://news-com.xyz/minister-gas")
        add(a, t + 3600 * (1 + i % 5), teaser, "https://news-com.xyz/minister-gas")
    # Throwaways on the popular video: twenty accounts that live for ten minutes, each with
    # words of its own, amid the ordinary people who share the video anyway.
    for i, a in enumerate(THROW):
        add(a, 15 * DAY + rng.uniform(0, 600), f"wow {i} you have to see this", VIDEO)
    # ... and six in five languages within a quarter of an hour, meeting on hashtags only.
    for a, text in TRANSLATED.items():
        rows.append(_act(len(rows), a, 8 * DAY + rng.uniform(0, 900), text, tags=("usa", "美国")))
    for a, text in FIGURED.items():
        rows.append(_act(len(rows), a, 17 * DAY + rng.uniform(0, 1200), text))
    # Sixty of the ordinary people post this year's figure within ten minutes (a crowd of
    # people who post on other days too).
    for i in range(100, 160):
        rows.append(_act(len(rows), f"o{i}", 18 * DAY + rng.uniform(0, 600), f"happy 2024 {i}!"))
    # A fan flood: 80 of the ordinary people on their band's hashtag within ten minutes
    # (a crowd, but of people who post on other days too).
    for i in range(80):
        rows.append(
            _act(
                len(rows), f"o{i}", 5 * DAY + rng.uniform(0, 600), f"so proud {i}", tags=("nova7",)
            )
        )
    return rows


def _store(path: Path, rows: list[dict]) -> Store:
    return hand_made_store(path, activities=rows)


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory) -> Store:
    return _store(tmp_path_factory.mktemp("burst") / "store", hand_rows())


@pytest.fixture(scope="module")
def hand_ev(hand_store):
    return SingleShotBurst().run(DuckDBEngine(hand_store))


def _linked(ev) -> set[str]:
    return {r["account_a"] for r in ev.edges.to_pylist()} | {
        r["account_b"] for r in ev.edges.to_pylist()
    }


# -- the tails --------------------------------------------------------------------------------


def test_tails_and_qvalues_are_exact():
    from math import comb, exp, factorial

    k, x, p = np.array([10, 5, 3, 40]), np.array([3, 0, 3, 12]), np.array([0.2, 0.5, 0.01, 0.1])
    want = [
        sum(comb(kk, i) * pp**i * (1 - pp) ** (kk - i) for i in range(xx, kk + 1))
        for kk, xx, pp in zip(k, x, p, strict=True)
    ]
    assert binom_sf(x, k, p) == pytest.approx(want, rel=1e-9)
    assert binom_sf(np.array([2]), np.array([2]), np.array([1.0]))[0] == 1.0
    kk, mu = np.array([1, 4, 10, 3, 30]), np.array([0.5, 2.0, 0.01, 7.0, 29.0])
    want = [
        1 - sum(exp(-m) * m**i / factorial(i) for i in range(n))
        for n, m in zip(kk, mu, strict=True)
    ]
    assert poisson_sf(kk, mu) == pytest.approx(want, rel=1e-7, abs=1e-15)
    # Benjamini-Hochberg: p * m / rank, monotone from the top.
    assert bh_qvalues(np.array([0.01, 0.04, 0.03, 0.5])) == pytest.approx(
        [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5]
    )


def test_the_fdr_is_held_per_stratum():
    """Sun, McLain & Wang's stratified FDR: Benjamini-Hochberg within each stratum. A few
    strong tests of one kind are not drowned by many null tests of another."""
    signal = np.array([0.004, 0.01, 0.02])
    null = np.linspace(0.05, 1.0, 97)
    p = np.concatenate([signal, null])
    kind = np.array(["figure"] * 3 + ["hashtag"] * 97)
    q = bh_qvalues_by(p, kind)
    assert q[:3] == pytest.approx(bh_qvalues(signal)) and (q[:3] <= 0.05).all()
    assert q[3:] == pytest.approx(bh_qvalues(null))
    assert (bh_qvalues(p)[:3] > 0.05).any()  # pooled, the third figure is lost


def test_bursts_are_tested_per_target_kind(hand_ev):
    bursts = hand_ev.tables["bursts"].to_pylist()
    for kind in {r["target"].split(":")[0] for r in bursts}:
        mine = [r for r in bursts if r["target"].split(":")[0] == kind]
        want = bh_qvalues(np.array([r["p_value"] for r in mine]))
        assert [r["q_value"] for r in mine] == pytest.approx(want), kind


# -- the hand-made store ----------------------------------------------------------------------


def test_signal_interface():
    s = SingleShotBurst()
    assert isinstance(s, Signal) and s.name == "burst" and s.family == "coordination"
    assert "CopyCatch" in s.reference and s.defines_groups
    assert s.set_params(window_s=600).window_s == 600
    with pytest.raises(ValueError):
        SingleShotBurst(on=("parent",)).run(None)
    with pytest.raises(ValueError):
        SingleShotBurst(min_accounts=1).run(None)


def test_the_wave_is_linked_and_crowds_are_not(hand_ev):
    ev = hand_ev
    assert ev.edges.schema == EDGE_SCHEMA and ev.events.schema == EVENT_SCHEMA
    assert ev.tables["bursts"].schema == BURSTS_SCHEMA
    # The wave, and the throwaways on the popular video; none of the 1,000 ordinary
    # people (the breaking news crowd, the video's chance clusters, the video's sharers in
    # the throwaways' hour).
    assert _linked(ev) == set(WAVE) | set(THROW) | set(TRANSLATED) | set(FIGURED)
    bursts = ev.tables["bursts"].to_pylist()
    quake = next(r for r in bursts if r["target"] == "url:https://news.com/quake-live")
    assert quake["accounts"] == 60 and quake["transient"] == 0 and not quake["significant"]
    assert quake["p_rate"] < 1e-10 and quake["p_who"] == 1.0  # a burst, of ordinary people
    # The video's chance clusters (two arrivals an hour; up to eight in one): many bursts,
    # none more than its popularity explains.
    video = [r for r in bursts if r["target"] == f"url:{VIDEO}"]
    chance = [r for r in video if r["transient"] == 0]
    assert len(chance) >= 30 and max(r["accounts"] for r in chance) >= 7
    assert min(r["p_rate"] for r in chance) >= 0.5 and not any(r["significant"] for r in chance)
    # The throwaways' hour: more than the video's popularity explains, and transient; but
    # the video brings two ordinary sharers an hour anyway, and those are not linked.
    thrown = [r for r in video if r["transient"] == 20]
    assert len(thrown) == 1 and thrown[0]["significant"]
    assert thrown[0]["expected"] >= 1 and thrown[0]["accounts"] > 20
    # The translated throwaways meet on their hashtags; the fans' flood is not a finding.
    tags = {r["target"]: r for r in bursts if r["target"].startswith("hashtag:")}
    assert tags["hashtag:usa"]["significant"] and tags["hashtag:美国"]["significant"]
    assert tags["hashtag:nova7"]["accounts"] == 80 and not tags["hashtag:nova7"]["significant"]
    # The figure's throwaways meet on "1309", however each language writes it; the crowd
    # that writes this year's number is people who post on other days too.
    figures = {r["target"]: r for r in bursts if r["target"].startswith("figure:")}
    assert figures["figure:1309"]["accounts"] == 5 and figures["figure:1309"]["significant"]
    assert figures["figure:2024"]["accounts"] == 60 and figures["figure:2024"]["p_who"] == 1.0
    assert not figures["figure:2024"]["significant"]
    # The wave is a burst on its URL, its domain and its teaser.
    wave = {r["target"] for r in bursts if r["significant"] and r["accounts"] == 8}
    assert wave == {
        "url:https://news-com.xyz/minister-gas",
        "domain:news-com.xyz",
        "text:shocking: the minister lied about the gas deal",
    }
    # Edges: each member to its next five in arrival order, in three bursts.
    w01 = [r for r in ev.edges.to_pylist() if {r["account_a"], r["account_b"]} <= set(WAVE)]
    assert 7 <= len(w01) <= 8 * 7 / 2
    e = w01[0]
    assert e["count"] == 3 and e["q_value"] <= 0.01 and e["weight"] > 0
    assert "burst(s) of short-lived accounts" in e["reason"]
    evs = [
        r
        for r in ev.events.to_pylist()
        if (r["account_a"], r["account_b"]) == (e["account_a"], e["account_b"])
    ]
    assert {r["target"].split(":")[0] for r in evs} == {"url", "domain", "text"}
    ids = {r["activity_a"] for r in evs} | {r["activity_b"] for r in evs}
    assert all(i.startswith("a") for i in ids)
    assert all(abs(r["lag_seconds"]) <= 3600 for r in evs)


def test_a_crowds_lurkers_are_not_an_operation(tmp_path):
    """Big news brings out people who post once: 20 of them among 400 regulars sharing the
    article within the hour are more than the day's share of one-time posters (2 %), and
    the binomial sees it; but a crowd's lurkers are a sliver of it, not an operation's
    throwaways (at least 17.6 % of any operation burst at the tuning seeds)."""
    rng = random.Random(7)
    rows: list[dict] = []
    for i in range(1000):
        for d in range(0, 20, 2):
            rows.append(_act(len(rows), f"o{i}", d * DAY + rng.uniform(0, DAY), f"mine {i} {d}"))
    quake = "https://news.com/quake-live"
    for i in range(400):
        rows.append(_act(len(rows), f"o{i}", 12 * DAY + rng.uniform(0, 3000), None, quake))
    lurkers = [f"l{i}" for i in range(20)]
    for a in lurkers:
        rows.append(_act(len(rows), a, 12 * DAY + rng.uniform(0, 3000), None, quake))
    store = _store(tmp_path / "store", rows)
    ev = SingleShotBurst(on=("url",)).run(DuckDBEngine(store))
    burst = max(ev.tables["bursts"].to_pylist(), key=lambda r: r["accounts"])
    assert burst["transient"] == 20 and burst["accounts"] >= 400
    assert burst["p_who"] < 0.01 and burst["q_value"] <= 0.05  # the binomial alone would call it
    assert not burst["significant"] and ev.edges.num_rows == 0
    unguarded = SingleShotBurst(on=("url",), min_transient_share=0).run(DuckDBEngine(store))
    assert _linked(unguarded) == set(lurkers)


def test_neighbours_cap_the_pairs_of_a_burst(hand_store):
    ev = SingleShotBurst(neighbours=1, on=("url",)).run(DuckDBEngine(hand_store))
    wave = [r for r in ev.edges.to_pylist() if {r["account_a"], r["account_b"]} <= set(WAVE)]
    assert len(wave) == 7  # a chain in arrival order, not all 28 pairs


def test_data_shorter_than_a_life_judges_nothing(tmp_path):
    # One day of data: everybody is transient, p0 = 1, no burst can pass.
    rows = [r for r in hand_rows() if r["time"] < T0 + timedelta(days=1)]
    for i, a in enumerate(WAVE):
        rows.append(
            _act(10**6 + i, a, 3600 + 60 * i, "the same teaser text again", "https://z.xyz/a")
        )
    ev = SingleShotBurst().run(DuckDBEngine(_store(tmp_path / "store", rows)))
    assert ev.stats["bursts"] >= 1 and ev.stats["significant_bursts"] == 0
    assert ev.edges.num_rows == 0


def test_nothing_to_compare_is_a_note(tmp_path):
    rows = [_act(0, "o1", 0, None), _act(1, "o2", 5, None)]
    ev = SingleShotBurst().run(DuckDBEngine(_store(tmp_path / "store", rows)))
    assert ev.edges.num_rows == 0 and ev.notes


# -- the small simulated world and its variations ---------------------------------------------


def _throwaways(world: Path, flagged: set, op_type: str) -> tuple[int, int]:
    """(flagged, all) of an operation's accounts that act at most twice (its throwaways)."""
    ops = json.loads((world / "truth" / "operations.json").read_text())["operations"]
    op = next(o["id"] for o in ops if o["type"] == op_type)
    rows = duckdb.sql(
        f"""SELECT a.platform, a.account_id FROM '{world}/store/batches/*/activities*.parquet' a
            JOIN '{world}/truth/accounts.parquet' t USING (platform, account_id)
            WHERE t.operation_id = '{op}' GROUP BY ALL HAVING count(*) <= 2"""
    ).fetchall()
    return sum((p, a) in flagged for p, a in rows), len(rows)


def _run(world: Path, tmp_path: Path):
    ev = SingleShotBurst().run(DuckDBEngine(Store(world / "store")))
    flagged = accounts_of(ev)
    return ev, flagged, score_accounts(world, tmp_path, flagged, "burst")


def _op(world: Path, op_type: str) -> str:
    ops = json.loads((world / "truth" / "operations.json").read_text())["operations"]
    return next(o["id"] for o in ops if o["type"] == op_type)


def _no_authentic_group(res: dict) -> None:
    for g in GROUPS:
        assert group_rate(res, g) <= 0.01, g
    assert res["ordinary"]["rate"] <= 0.002


def test_small_world(small_world, tmp_path):
    ev, _, res = _run(small_world, tmp_path)
    # Measured (seed 1): Doppelganger's wave accounts 124/150 (0.83); Spamouflage none
    # (its aged posters live for weeks); no authentic account at all.
    assert role_recall(res, _op(small_world, "doppelganger"), "poster") >= 0.75
    assert role_recall(res, _op(small_world, "spamouflage"), "poster") <= 0.05
    _no_authentic_group(res)
    # The bursts behind the edges are on the operation's typosquats.
    dom = json.loads((small_world / "truth" / "operations.json").read_text())["operations"]
    squats = set(next(o for o in dom if o["type"] == "doppelganger")["domains"])
    sig = ev.tables["bursts"].filter(ev.tables["bursts"]["significant"]).to_pylist()
    doms = [r["target"][len("domain:") :] for r in sig if r["target"].startswith("domain:")]
    assert doms and set(doms) <= squats


@pytest.fixture(scope="module")
def variation(tmp_path_factory):
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate

    made: dict[tuple[str, int], Path] = {}

    def get(name: str, seed: int = 1) -> Path:
        if (name, seed) not in made:
            out = tmp_path_factory.mktemp(f"{name}-{seed}")
            simulate(out, load_scenario(ROBUSTNESS / f"{name}.toml"), seed=seed)
            made[(name, seed)] = out
        return made[(name, seed)]

    return get


def test_one_article_a_wave(variation, tmp_path):
    world = variation("doppelganger_one_article")
    _, _, res = _run(world, tmp_path)
    # Measured: 129/150 (0.86) at seed 1, 121/150 at seed 2; co-action needs two articles.
    assert role_recall(res, _op(world, "doppelganger"), "poster") >= 0.75
    _no_authentic_group(res)


def test_single_shot_throwaways(variation, tmp_path):
    world = variation("single_shot")
    _, flagged, res = _run(world, tmp_path)
    # Measured (seed 1): Doppelganger 132/150 (throwaways 78/89), Spamouflage posters
    # 607/763 (throwaways 509/649: the rest posted a copy with typos or a prefix, no
    # longer the same text, and no link or image to meet on); no authentic account.
    assert role_recall(res, _op(world, "doppelganger"), "poster") >= 0.8
    assert role_recall(res, _op(world, "spamouflage"), "poster") >= 0.7
    hit, n = _throwaways(world, flagged, "spamouflage")
    assert n >= 500 and hit / n >= 0.7
    hit, n = _throwaways(world, flagged, "doppelganger")
    assert n >= 60 and hit / n >= 0.75
    _no_authentic_group(res)


# -- Spark ------------------------------------------------------------------------------------


def test_same_evidence_on_spark(hand_store, hand_ev):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    spark = SparkEngine(hand_store)
    try:
        got = SingleShotBurst().run(spark)
    finally:
        spark.close()
    want = hand_ev
    bcols = ["target", "start", "accounts", "transient", "target_accounts", "significant"]
    assert same_rows(got.tables["bursts"], bcols) == same_rows(want.tables["bursts"], bcols)
    for c in ("p_transient_day", "p_value", "q_value"):
        assert sorted(got.tables["bursts"][c].to_pylist()) == pytest.approx(
            sorted(want.tables["bursts"][c].to_pylist()), rel=1e-9
        )
    cols = ["account_a", "account_b", "target", "activity_a", "activity_b", "lag_seconds"]
    assert same_rows(got.events, cols) == same_rows(want.events, cols)
    ecols = ["account_a", "account_b", "count", "reason"]
    assert same_rows(got.edges, ecols) == same_rows(want.edges, ecols)
