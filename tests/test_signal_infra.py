"""Shared infrastructure: a hand-made store (a home IP shared by two, a carrier NAT address
shared by many, gmail.com shared by everyone, a proxy used in the same week and years
apart); no table is a note; the small simulated world (recall by planted role, false
positives per hard-negative group, from the truth); the same evidence on Spark."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.parquet as pq
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
from unmask.signals.infra import VALUES_SCHEMA, SharedInfrastructure
from unmask.store import Store

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _rec(aid: str, days: float, ip: str, device="iPhone 14", email="gmail.com", phone="US"):
    return {
        "platform": "x",
        "account_id": aid,
        "time": T0 + timedelta(days=float(days)),
        "ip": ip,
        "device": device,
        "email_domain": email,
        "phone_country": phone,
        "source_file": "hand",
        "source_row": 0,
    }


def hand_records() -> list[dict]:
    rows = []
    # 200 ordinary people on their own home IPs, on gmail.com, in the US, on 4 phone models.
    for i in range(200):
        rows.append(_rec(f"o{i}", -i, f"20.0.{i // 250}.{i % 250}", device=f"phone{i % 4}"))
    # Two accounts on one home IP in the same week: a household, or one operator.
    rows += [_rec("h1", 0, "20.9.9.9"), _rec("h2", 2, "20.9.9.9")]
    # Six people behind one carrier NAT address, over two years: not linked (above the cap
    # of 5 in this test; in the same window they would be).
    rows += [_rec(f"n{i}", -120 * i, "100.64.1.1") for i in range(6)]
    # A proxy: four accounts within a week (throw-away mail, a foreign number, an emulator),
    # and one more two years later.
    rows += [
        _rec(f"p{i}", i, "45.134.7.1", device="Android Emulator x86", email="mail.tm", phone="BD")
        for i in range(4)
    ]
    rows.append(
        _rec("late", 700, "45.134.7.1", device="Android Emulator x86", email="mail.tm", phone="BD")
    )
    return rows


def _store(path: Path, records: list[dict]) -> Store:
    return hand_made_store(path, infrastructure=records)


@pytest.fixture(scope="module")
def hand_store(tmp_path_factory) -> Store:
    return _store(tmp_path_factory.mktemp("infra") / "store", hand_records())


def _pairs(ev) -> set[frozenset]:
    return {frozenset((r["account_a"], r["account_b"])) for r in ev.edges.to_pylist()}


def test_signal_interface():
    s = SharedInfrastructure()
    assert isinstance(s, Signal) and s.name == "infra" and s.family == "infrastructure"
    assert "Fellegi" in s.reference
    with pytest.raises(ValueError):
        SharedInfrastructure(link_fields=("shoe_size",)).run(None)


def test_rare_shared_values_link_and_common_ones_do_not(hand_store):
    ev = SharedInfrastructure(max_accounts=5, max_share=1.0).run(DuckDBEngine(hand_store))
    assert ev.edges.schema == EDGE_SCHEMA and ev.events.schema == EVENT_SCHEMA
    assert ev.tables["values"].schema == VALUES_SCHEMA
    proxy = {f"p{i}" for i in range(4)}
    want = {frozenset((a, b)) for a in proxy for b in proxy if a < b}
    # The NAT address (6 accounts > 5), gmail.com, US, phone models link nothing; the late
    # proxy account is two years off the others' week; the household (a cohort of two,
    # below min_cohort = 3) is not a farm.
    assert _pairs(ev) == want
    two = SharedInfrastructure(max_accounts=5, max_share=1.0, min_cohort=2)
    assert _pairs(two.run(DuckDBEngine(hand_store))) == want | {frozenset(("h1", "h2"))}
    values = {(r["field"], r["value"]): r for r in ev.tables["values"].to_pylist()}
    assert not values[("ip", "100.64.1.1")]["links"]
    assert not values[("email_domain", "gmail.com")]["links"]
    assert values[("ip", "45.134.7.1")]["links"] and values[("ip", "45.134.7.1")]["accounts"] == 5
    # Weight: the rarest shared value of each field, in bits, summed.
    n = ev.stats["accounts"]
    p01 = next(r for r in ev.edges.to_pylist() if {r["account_a"], r["account_b"]} == {"p0", "p1"})

    assert p01["weight"] == pytest.approx(
        math.log2(n / 5) + math.log2(n / 5) + math.log2(n / 5) + math.log2(n / 5)
    )
    assert p01["reason"] == (
        "shared device Android Emulator x86, email_domain mail.tm, ip 45.134.7.1, phone_country BD"
    )
    # The events: what, how many share it, and when each used it.
    ev01 = [r for r in ev.events.to_pylist() if {r["account_a"], r["account_b"]} == {"p0", "p1"}]
    assert {r["target"].split(" (")[0] for r in ev01} == {
        "ip 45.134.7.1",
        "device Android Emulator x86",
        "email_domain mail.tm",
        "phone_country BD",
    }
    assert all(r["lag_seconds"] == 86400.0 for r in ev01)
    h = next(
        r
        for r in two.run(DuckDBEngine(hand_store)).events.to_pylist()
        if r["target"].startswith("ip 20.9.9.9")
    )
    assert h["target"] == f"ip 20.9.9.9 (2 accounts, {round(math.log2(n / 2), 1)} bits)"
    # Without the window the late account joins; with a larger cap the NAT links.
    assert frozenset(("p3", "late")) in _pairs(
        SharedInfrastructure(max_accounts=5, max_share=1.0, window_days=None).run(
            DuckDBEngine(hand_store)
        )
    )
    wide = SharedInfrastructure(max_accounts=10, max_share=1.0, window_days=None, min_bits=0)
    assert frozenset(("n0", "n1")) in _pairs(wide.run(DuckDBEngine(hand_store)))


def test_neighbours_cap_the_pairs_of_one_value(hand_store):
    ev = SharedInfrastructure(max_accounts=5, max_share=1.0, neighbours=1).run(
        DuckDBEngine(hand_store)
    )
    proxy_pairs = [p for p in _pairs(ev) if p <= {f"p{i}" for i in range(4)}]
    assert len(proxy_pairs) == 3  # a chain in time order, not all 6 pairs


def test_no_infrastructure_table_is_a_note(tmp_path):
    ev = SharedInfrastructure().run(DuckDBEngine(_store(tmp_path / "empty", [])))
    assert ev.edges.num_rows == 0 and ev.events.num_rows == 0
    assert ev.notes and "nothing to link" in ev.notes[0]


# -- the small simulated world -----------------------------------------------------------


def test_small_world_recall_by_role_and_false_positives(small_world, tmp_path):
    ops = {
        o["id"]: o
        for o in json.loads((small_world / "truth" / "operations.json").read_text())["operations"]
    }
    truth = pq.read_table(small_world / "truth" / "accounts.parquet")
    ev = SharedInfrastructure().run(DuckDBEngine(Store(small_world / "store")))
    res = score_accounts(small_world, tmp_path, accounts_of(ev), "infra")
    spam = next(i for i, o in ops.items() if o["type"] == "spamouflage")
    dopp = next(i for i, o in ops.items() if o["type"] == "doppelganger")
    # 70 % of the operations' sign-ups go through their proxies (the rest look like
    # anybody's). Measured (seed 1): Doppelganger 0.63 (its waves sign up within days),
    # Spamouflage 0.43 (in this small world its ~38 sign-ups per proxy are spread over eight
    # months: many fall in no cohort of three within a week; 0.69 on the medium world).
    assert role_recall(res, dopp, "poster") >= 0.55
    roles = sorted({r for r in truth.column("role").to_pylist()})
    spam_roles = [r for r in roles if r in ("poster", "amplifier", "fake_follower")]
    assert role_recall(res, spam, spam_roles) >= 0.35
    # The IPs behind the edges are shared networks named in the truth: the planted proxies,
    # the follower vendor's proxies, and the campaign volunteers' event Wi-Fi (authentic:
    # they signed up together at an event, which this signal alone cannot tell apart).
    negatives = json.loads((small_world / "truth" / "negatives.json").read_text())
    vendors = json.loads((small_world / "truth" / "vendors.json").read_text())["vendors"]
    proxies = tuple(f"ip {o['infrastructure']['proxy_prefix']}." for o in ops.values())
    shared = proxies + tuple(f"ip {v['infrastructure']['proxy_prefix']}." for v in vendors)
    wifi = f"ip {negatives['campaign_volunteers']['event_wifi_ip']} "
    ips = [r["target"] for r in ev.events.to_pylist() if r["target"].startswith("ip ")]
    assert sum(t.startswith(proxies) for t in ips) / len(ips) >= 0.8
    assert sum(t.startswith((*shared, wifi)) for t in ips) / len(ips) >= 0.95
    # Measured: none here; 0.3 % of ordinary accounts and at most 0.7 % of a hard-negative
    # group on the 10M world (carrier NAT neighbours: three who signed up in the same week
    # and share their region's phone country and e-mail provider).
    for g in ("office_workers_utc8", "breaking_news", "activist_campaign", "news_bots", "fandom"):
        assert group_rate(res, g) <= 0.01, g
    assert res["ordinary"]["rate"] <= 0.005
    # Measured (seed 1): 36 of the 80 volunteers (event Wi-Fi), 12 of the vendor's 600
    # accounts; the newsroom's and the agency's office blocks link no one (a few addresses
    # each, used over years): the judgement, not this signal, must leave those groups alone.
    assert 0.2 <= group_rate(res, "campaign_volunteers") <= 0.7
    assert group_rate(res, "newsroom") <= 0.1


# -- Spark -----------------------------------------------------------------------------------


def test_same_evidence_on_spark(hand_store):
    pytest.importorskip("pyspark")
    from unmask.engine.spark import SparkEngine

    params = {"max_accounts": 5, "max_share": 1.0}
    want = SharedInfrastructure(**params).run(DuckDBEngine(hand_store))
    spark = SparkEngine(hand_store)
    try:
        got = SharedInfrastructure(**params).run(spark)
    finally:
        spark.close()
    cols = ["account_a", "account_b", "target", "time_a", "time_b", "lag_seconds"]
    assert same_rows(got.events, cols) == same_rows(want.events, cols)
    ecols = ["account_a", "account_b", "count", "reason"]
    assert same_rows(got.edges, ecols) == same_rows(want.edges, ecols)
    assert sorted(round(w, 9) for w in got.edges["weight"].to_pylist()) == sorted(
        round(w, 9) for w in want.edges["weight"].to_pylist()
    )
