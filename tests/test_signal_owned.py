"""Owned infrastructure in the content: a hand-made store (an operation's own site and a
look-alike of an outlet, readers of outlets, niche blogs that a few readers link once each,
an outlet carried by two feed bots, a group behind a link shortener); the units a link is
reduced to; the small simulated world and its robustness variations (recall by planted role,
false positives per hard-negative group); the same evidence on Spark."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from worldscore import (
    accounts_of,
    group_rate,
    hand_made_store,
    role_recall,
    same_rows,
    score_accounts,
)

from unmask import schema
from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, SCORE_SCHEMA, Signal
from unmask.signals.owned import UNITS_SCHEMA, OwnedDomains, binomial_sf, unit_sql
from unmask.store import Manifest, Store

T0 = datetime(2024, 3, 1, tzinfo=UTC)
OUTLETS = [f"outlet{i}.com" for i in range(12)]


def _act(aid: str, n: int, url: str, minutes: float, platform: str = "x") -> dict:
    return {
        "platform": platform,
        "activity_id": f"{aid}-{n}",
        "account_id": aid,
        "time": T0 + timedelta(minutes=float(minutes)),
        "kind": "post",
        "text": "look",
        "urls": [url],
        "urls_original": [url],
        "source_file": "hand",
        "source_row": 0,
    }


def hand_rows() -> list[dict]:
    rows: list[dict] = []
    # 300 readers, 10 links each to outlets (every outlet linked by ~250 of them).
    for i in range(300):
        for j in range(10):
            rows.append(_act(f"r{i}", j, f"https://{OUTLETS[(i + j) % 12]}/a{j}", i * 7 + j))
    # Niche blogs: each linked once by five readers (the null: small audience, small diet).
    for b in range(8):
        for k in range(5):
            rows.append(_act(f"r{b * 5 + k}", 100 + b, f"https://niche{b}.net/p", 5000 + b))
    # An outlet carried by its two feed bots (60 links each) and linked once by 12 readers.
    for bot in ("bot1", "bot2"):
        rows += [_act(bot, j, f"https://feedoutlet.com/a{j}", j) for j in range(60)]
    rows += [_act(f"r{200 + k}", 200, "https://feedoutlet.com/a1", 9000 + k) for k in range(12)]
    # The operation: 8 accounts, 5 links each to its own site, 3 to a look-alike of
    # outlet3.com, 1 to an outlet.
    for i in range(8):
        a = f"op{i}"
        rows += [_act(a, j, f"https://truth-daily-news.com/s{j}", 100 * j + i) for j in range(5)]
        rows += [
            _act(a, 10 + j, f"https://www.outlet3.ltd/x{j}", 700 + 100 * j + i) for j in range(3)
        ]
        rows.append(_act(a, 20, f"https://{OUTLETS[i]}/a0", 2000 + i))
    # A group behind a shortener: its site is unknown, nothing to own.
    for i in range(6):
        rows += [_act(f"sh{i}", j, f"https://bit.ly/xyz{j}", 10 * j + i) for j in range(4)]
    return rows


def _store(path: Path, rows: list[dict]) -> Store:
    return hand_made_store(path, activities=rows)


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory) -> Store:
    return _store(tmp_path_factory.mktemp("owned") / "store", hand_rows())


def _accounts(ev) -> set[str]:
    return {r[k] for r in ev.edges.to_pylist() for k in ("account_a", "account_b")}


def test_signal_interface():
    s = OwnedDomains()
    assert isinstance(s, Signal) and s.name == "owned_domains" and s.family == "infrastructure"
    assert "Doppelganger" in s.reference
    with pytest.raises(ValueError):
        OwnedDomains(min_accounts=1).run(None)


def test_units_of_links(store):
    rows = [
        _act("a", i, u, i)
        for i, u in enumerate(
            [
                "https://www.news.example.co.uk/a?x=1",
                "https://blog.example.com/b",
                "https://someone.blogspot.com/post",
                "https://youtube.com/watch?v=abc",
                "https://youtube.com/@mychannel/videos",
                "https://t.me/mychan/123",
                "https://x.com/someone/status/1",
                "https://t.co/xyz",
            ]
        )
    ]
    with store.write_batch("u") as w:
        w.write("activities", pa.Table.from_pylist(rows, schema.ACTIVITIES))
        w.manifest = Manifest(file_id="u", path="u", adapter="test")
    got = DuckDBEngine(store).fetch(f"SELECT url, kind, unit FROM ({unit_sql()}) ORDER BY url")
    units = {r["url"]: (r["kind"], r["unit"]) for r in got.to_pylist()}
    assert units["https://www.news.example.co.uk/a?x=1"] == ("site", "example.co.uk")
    assert units["https://blog.example.com/b"] == ("site", "example.com")
    assert units["https://someone.blogspot.com/post"] == ("site", "someone.blogspot.com")
    assert units["https://youtube.com/watch?v=abc"] == (
        "platform",
        "https://youtube.com/watch?v=abc",
    )
    assert units["https://youtube.com/@mychannel/videos"] == ("platform", "youtube.com/@mychannel")
    assert units["https://t.me/mychan/123"] == ("platform", "t.me/mychan")
    assert units["https://x.com/someone/status/1"] == ("platform", "x.com/someone")
    assert units["https://t.co/xyz"][0] == "shortener"


def test_binomial_tail():
    assert binomial_sf(0, 10, 0.1) == 1.0
    assert binomial_sf(10, 10, 0.5) == pytest.approx(0.5**10)
    assert binomial_sf(9, 10, 0.5) == pytest.approx(11 / 1024)


def test_own_sites_are_owned_and_readers_are_not(hand_store):
    ev = OwnedDomains().run(DuckDBEngine(hand_store))
    assert ev.edges.schema == EDGE_SCHEMA and ev.events.schema == EVENT_SCHEMA
    assert ev.scores.schema == SCORE_SCHEMA and ev.tables["units"].schema == UNITS_SCHEMA
    units = {r["unit"]: r for r in ev.tables["units"].to_pylist()}
    owned = {u for u, r in units.items() if r["owned"]}
    assert owned == {"truth-daily-news.com", "outlet3.ltd"}
    assert units["outlet3.ltd"]["typosquat_of"] == "outlet3.com"
    assert units["truth-daily-news.com"]["typosquat_of"] is None
    # Niche blogs (five readers, one link each among eleven: casual readers) are not
    # candidates; nor is the feed bots' outlet (its readers are casual, and once its two bots
    # are left out, its diet is the outlets').
    assert "niche0.net" not in units and not units.get("feedoutlet.com", {}).get("owned")
    loose = OwnedDomains(max_casual=1.0).run(DuckDBEngine(hand_store))
    lu = {r["unit"]: r for r in loose.tables["units"].to_pylist()}
    assert not lu["niche0.net"]["owned"] and not lu["feedoutlet.com"]["owned"]
    # Outlets are crowds, not candidates; the shortener is no unit at all (a note).
    assert "outlet0.com" not in units and "bit.ly" not in units
    assert ev.stats["shortened_links"] == 24 and "shorteners" in ev.notes[0]
    assert _accounts(ev) == {f"op{i}" for i in range(8)}
    # Every edge: both units, the look-alike doubled; events name the first activities.
    e = next(r for r in ev.edges.to_pylist() if {r["account_a"], r["account_b"]} == {"op0", "op1"})
    assert e["count"] == 2 and "look-alike of outlet3.com" in e["reason"]
    w = {u: min(64.0, units[u]["bits"]) for u in owned}
    assert e["weight"] == pytest.approx(w["truth-daily-news.com"] + 2 * w["outlet3.ltd"])
    evs = [r for r in ev.events.to_pylist() if {r["account_a"], r["account_b"]} == {"op0", "op1"}]
    assert {r["target"] for r in evs} == {"truth-daily-news.com", "outlet3.ltd"}
    site = next(r for r in evs if r["target"] == "truth-daily-news.com")
    assert {site["activity_a"], site["activity_b"]} == {"op0-0", "op1-0"}
    # Scores: 8 of each operator's 9 links go to owned sites.
    scores = {r["account_id"]: r["score"] for r in ev.scores.to_pylist()}
    assert set(scores) == {f"op{i}" for i in range(8)}
    assert scores["op0"] == pytest.approx(8 / 9)


def test_every_day_two_accounts_linked_their_site_is_an_event(tmp_path):
    """A group that pushes its own site day after day acts together on each of those days:
    an event per day both linked it (their first links that day), not only their first
    links ever, so that the judgement's persistence can count the days."""
    rows = hand_rows()
    for i in range(6):
        rows += [
            _act(f"dd{i}", 50 + d, f"https://daily-own-site.org/p{d}", d * 1440 + 60 + i)
            for d in range(5)
        ]
    ev = OwnedDomains().run(DuckDBEngine(_store(tmp_path / "store", rows)))
    evs = [
        r
        for r in ev.events.to_pylist()
        if {r["account_a"], r["account_b"]} == {"dd0", "dd1"}
        and r["target"] == "daily-own-site.org"
    ]
    assert len({r["time_a"].date() for r in evs}) == 5
    assert all(r["time_a"].date() == r["time_b"].date() for r in evs)
    edge = next(
        r for r in ev.edges.to_pylist() if {r["account_a"], r["account_b"]} == {"dd0", "dd1"}
    )
    assert edge["count"] == 1  # one unit: the edge counts sites, not days


def test_neighbours_cap_the_pairs_of_one_unit(hand_store):
    ev = OwnedDomains(neighbours=1, typosquats=False).run(DuckDBEngine(hand_store))
    per_unit = {}
    for r in ev.events.to_pylist():
        per_unit[r["target"]] = per_unit.get(r["target"], 0) + 1
    assert per_unit == {"truth-daily-news.com": 7, "outlet3.ltd": 7}  # chains, not 28 pairs


def test_no_links_is_a_note(tmp_path):
    ev = OwnedDomains().run(DuckDBEngine(_store(tmp_path / "empty", [])))
    assert not ev.assessable and ev.edges.num_rows == 0


def test_a_crowd_of_readers_links_nothing(tmp_path):
    # The null: 900 quiet readers with three links each, drawn from 12 outlets and 40 niche
    # sites (a niche site gets 3-15 readers by chance, each of whom spends a third of their
    # links on it: no casual readers to give it away). Its audience spends on it what the
    # outlets' audiences spend on theirs: nothing is owned.
    import random

    rnd = random.Random(7)
    sites = OUTLETS * 6 + [f"niche{i}.net" for i in range(40)]
    rows = [
        _act(f"q{i}", j, f"https://{rnd.choice(sites)}/p{j}", i + j)
        for i in range(900)
        for j in range(3)
    ]
    ev = OwnedDomains().run(DuckDBEngine(_store(tmp_path / "crowd", rows)))
    units = ev.tables["units"].to_pylist()
    assert ev.stats["candidates"] >= 20 and ev.stats["crowd_units"] == 12
    assert not any(r["owned"] for r in units) and ev.edges.num_rows == 0
    # The same readers with an operation of five among them, each of whose three links go
    # to its own site: owned, and nothing else.
    rows += [_act(f"op{i}", j, f"https://ours.org/{j}", j) for i in range(5) for j in range(3)]
    ev = OwnedDomains().run(DuckDBEngine(_store(tmp_path / "crowd_op", rows)))
    assert {r["unit"] for r in ev.tables["units"].to_pylist() if r["owned"]} == {"ours.org"}


def test_videos_belong_to_their_uploader(tmp_path):
    # A channel uploads three videos; six accounts each push all three (and two outlets);
    # the readers link outlets, and a popular ordinary video of another channel.
    rows = [r for r in hand_rows() if r["account_id"].startswith("r")]
    vids = [f"https://youtube.com/watch?v=op{j}" for j in range(3)]
    rows += [_act("chan", j, v, j, platform="youtube") for j, v in enumerate(vids)]
    for i in range(6):
        rows += [_act(f"amp{i}", j, v, 10 + j * 10 + i) for j, v in enumerate(vids)]
        rows += [_act(f"amp{i}", 9 + j, f"https://{OUTLETS[j]}/a", 99) for j in range(2)]
    rows.append(_act("pop", 0, "https://youtube.com/watch?v=cat", 0, platform="youtube"))
    rows += [_act(f"r{i}", 300, "https://youtube.com/watch?v=cat", 50 + i) for i in range(12)]
    ev = OwnedDomains().run(DuckDBEngine(_store(tmp_path / "yt", rows)))
    units = {r["unit"]: r for r in ev.tables["units"].to_pylist()}
    assert units["youtube.com/uploads-of/chan"]["owned"]
    assert units["youtube.com/uploads-of/chan"]["links"] == 21
    # Its viewers are casual readers (one link among eleven): not even a candidate.
    assert "youtube.com/uploads-of/pop" not in units
    assert _accounts(ev) == {"chan"} | {f"amp{i}" for i in range(6)}


# -- the simulated worlds --------------------------------------------------------------------


def _score(world: Path, tmp_path: Path):
    ev = OwnedDomains().run(DuckDBEngine(Store(world / "store")))
    return ev, score_accounts(world, tmp_path, accounts_of(ev), "owned_domains")


SPAM_ROLES = ["poster", "channel", "page", "group", "blog"]
CLEAN = [
    "office_workers_utc8",
    "breaking_news",
    "activist_campaign",
    "news_bots",
    "fandom",
    "newsroom",
    "fan_club",
    "follower_vendor",
    "vendor_customers",
]


def test_small_world_recall_and_false_positives(small_world, tmp_path):
    ev, res = _score(small_world, tmp_path)
    # Measured (seed 1): Doppelganger 150/150 (all eight squats owned, each named as the
    # look-alike of its outlet), careful 18/24 (both sites; the six others never linked
    # them), Spamouflage posters 117/131, 14/14 channels, 8/9 blogs, 5/6 pages (one unit:
    # its channels' uploads), amplifiers 0 (they like and comment, no links); seed 2:
    # 150/150, 20/24, 118/122 posters.
    assert role_recall(res, "doppelganger-1", "poster") >= 0.95
    assert role_recall(res, "careful-1", "persona") >= 0.6
    assert role_recall(res, "spamouflage-1", SPAM_ROLES) >= 0.8
    units = {r["unit"]: r for r in ev.tables["units"].to_pylist() if r["owned"]}
    assert {"civic-ledger-news.com", "heartland-daily-report.com"} <= set(units)
    assert units["spigel.de"]["typosquat_of"] == "spiegel.de"
    assert units["lemodne.fr"]["typosquat_of"] == "lemonde.fr"
    # Owned by open organisations: the agency's brand sites and the campaign's site.
    assert group_rate(res, "marketing_agency") >= 0.9
    assert group_rate(res, "campaign_volunteers") >= 0.6
    for g in CLEAN:
        assert group_rate(res, g) == 0.0, g
    assert res["ordinary"]["rate"] == 0.0


@pytest.mark.slow
@pytest.mark.parametrize(
    "variation", ["no_infrastructure", "doppelganger_one_article", "careful_120"]
)
def test_robustness_variations(variation, tmp_path):
    from unmask.simulate.scenario import load_scenario
    from unmask.simulate.world import simulate

    root = Path(__file__).resolve().parents[1]
    world = tmp_path / "world"
    simulate(world, load_scenario(str(root / "benchmarks" / "robustness" / f"{variation}.toml")), 1)
    _, res = _score(world, tmp_path / "run")
    # Measured (seed 1): as small (no_infrastructure changes nothing posts show; one article
    # a wave still goes to the squats: 17 units owned instead of 19); careful_120: 92 of 120
    # personas (every persona that ever linked its sites).
    assert role_recall(res, "doppelganger-1", "poster") >= 0.95
    assert role_recall(res, "careful-1", "persona") >= 0.6
    assert role_recall(res, "spamouflage-1", SPAM_ROLES) >= 0.8
    assert group_rate(res, "marketing_agency") >= 0.9
    for g in CLEAN:
        assert group_rate(res, g) == 0.0, g


# -- Spark -----------------------------------------------------------------------------------


def test_same_evidence_on_spark(hand_store):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    want = OwnedDomains().run(DuckDBEngine(hand_store))
    spark = SparkEngine(hand_store)
    try:
        got = OwnedDomains().run(spark)
    finally:
        spark.close()
    cols = ["account_a", "account_b", "target", "activity_a", "activity_b", "lag_seconds"]
    assert same_rows(got.events, cols) == same_rows(want.events, cols)
    ecols = ["account_a", "account_b", "count", "reason"]
    assert same_rows(got.edges, ecols) == same_rows(want.edges, ecols)
    ucols = ["unit", "accounts", "links", "group_links", "typosquat_of", "owned"]
    assert same_rows(got.tables["units"], ucols) == same_rows(want.tables["units"], ucols)
    assert sorted(round(w, 9) for w in got.edges["weight"].to_pylist()) == sorted(
        round(w, 9) for w in want.edges["weight"].to_pylist()
    )
