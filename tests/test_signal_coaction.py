"""Co-action synchrony: CooRTweet's definition reproduced on its own data, and unmask's
definition on the simulated world."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from unmask.engine.duckdb import DuckDBEngine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Signal
from unmask.signals.coaction import CoAction
from unmask.store import Store

PEER = Path(__file__).parent / "peers" / "coortweet"


@pytest.fixture
def russian(russian_store) -> Store:
    return russian_store


def peer_edges(name: str) -> dict[tuple[str, str], float]:
    with open(PEER / name) as fh:
        return {(r["account_a"], r["account_b"]): float(r["weight"]) for r in csv.DictReader(fh)}


def our_edges(edges) -> dict[tuple[str, str], float]:
    out = {}
    for r in edges.to_pylist():
        a, b = sorted([r["account_a"], r["account_b"]])
        out[(a, b)] = r["weight"]
    return out


@pytest.mark.parametrize(
    ("remove_loops", "fixture"),
    [(True, "russian_tw10_mp5_loops_removed.csv"), (False, "russian_tw10_mp5_loops_kept.csv")],
)
def test_coortweet_definition_gives_coortweets_edges(russian, remove_loops, fixture):
    with DuckDBEngine(russian) as eng:
        ev = CoAction(
            on="parent",
            window=10,
            compat="coortweet",
            min_participation=5,
            remove_loops=remove_loops,
        ).run(eng)
    expected = peer_edges(fixture)
    assert our_edges(ev.edges) == expected
    # CooRTweet's own test: the account that shares its own posts is a loop only when kept.
    loops = {a for (a, b) in expected if a == b}
    assert ("9fa51ef17278c01d13d313741eddfc0b" in loops) is (not remove_loops)


def test_interface_follows_the_one_shape(russian):
    sig = CoAction(on="parent", window=10)
    assert isinstance(sig, Signal)
    assert sig.get_params()["window"] == 10
    assert sig.set_params(min_repeat=3).min_repeat == 3
    with pytest.raises(ValueError, match="unknown parameters"):
        sig.set_params(windw=5)
    with DuckDBEngine(russian) as eng:
        ev = sig.set_params(min_repeat=2).run(eng)
    assert ev.edges.schema == EDGE_SCHEMA and ev.events.schema == EVENT_SCHEMA
    # Every edge is explained by the action pairs behind it, and they are real rows.
    assert ev.edges.num_rows >= 1
    con = russian.connect()
    for edge in ev.edges.to_pylist():
        pairs = [
            e
            for e in ev.events.to_pylist()
            if (e["account_a"], e["account_b"]) == (edge["account_a"], edge["account_b"])
        ]
        assert len({p["target"] for p in pairs}) == edge["count"]
        for p in pairs:
            assert abs(p["lag_seconds"]) <= 10
            rows = con.execute(
                "SELECT account_id, 'x:' || parent_activity_id FROM activities WHERE activity_id IN (?, ?)",
                [p["activity_a"], p["activity_b"]],
            ).fetchall()
            assert sorted(rows) == sorted(
                [(p["account_a"], p["target"]), (p["account_b"], p["target"])]
            )
        assert "within" in edge["reason"] and f"on {edge['count']} occasions" in edge["reason"]
        assert 0 <= edge["q_value"] <= 0.05


def test_missing_target_kind_is_a_note_not_a_failure(russian):
    with DuckDBEngine(russian) as eng:
        ev = CoAction(on="media").run(eng)
    assert ev.edges.num_rows == 0 and ev.notes == [
        "nothing to compare: no activity has a target of kind 'media'"
    ]


@pytest.mark.parametrize(
    ("on", "fixture"),
    [
        ("url", "german_url_id_tw60_mp2.csv"),
        ("hashtag", "german_hashtag_id_tw60_mp2.csv"),
        ("domain", "german_domain_id_tw60_mp2.csv"),
        ("media", "german_phash_id_tw60_mp2.csv"),
    ],
)
def test_coortweet_definition_across_facebook_and_x(german_store, on, fixture):
    """The paper's settings (60 s, at least 2) on each kind of object, both platforms mixed."""
    with DuckDBEngine(german_store) as eng:
        ev = CoAction(on=on, window=60, compat="coortweet", min_participation=2).run(eng)
    assert our_edges(ev.edges) == peer_edges(fixture)
    platforms = set(ev.edges["platform_a"].to_pylist()) | set(ev.edges["platform_b"].to_pylist())
    assert platforms == {"facebook", "x"}
