"""Co-action synchrony: CooRTweet's definition reproduced on its own data, and unmask's
definition on the simulated world."""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from unmask.engine.duckdb import DuckDBEngine
from unmask.ingest import ingest_file
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
    # Two edges only: one shuffled copy cannot make them significant at 5 % (the least
    # q-value of an edge alone is about 1 / (replicates + 1)); twenty can.
    sig = CoAction(on="parent", window=10, null_replicates=20)
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


def link_store(tmp_path: Path, seed: int = 0) -> tuple[Store, set[str]]:
    """Organic link sharing in bursts (popular links shared by many strangers within
    minutes of each other) and one group that pushes links of its own, each member within
    seconds of the push. Returns the store and the group's accounts."""
    rng = random.Random(seed)
    span = 3 * 86_400
    rows = []
    births = [rng.uniform(0, span) for _ in range(400)]
    weights = [1 / (i + 1) ** 1.1 for i in range(len(births))]
    accounts = [f"o{i}" for i in range(800)]
    busy = [1 / (i + 1) ** 0.8 for i in range(len(accounts))]
    links = rng.choices(range(len(births)), weights, k=20_000)
    who = rng.choices(accounts, busy, k=len(links))
    for link, account in zip(links, who, strict=True):
        rows.append(
            (account, births[link] + rng.expovariate(1 / 1800), f"https://n.example/{link}")
        )
    group = {f"g{i}" for i in range(8)}
    for push in range(12):
        t0 = rng.uniform(0, span)
        for member in sorted(group):
            if rng.random() < 0.8:
                rows.append(
                    (member, t0 + min(50, rng.expovariate(1 / 10)), f"https://g.example/{push}")
                )
    path = tmp_path / "links.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["platform", "activity_id", "account_id", "time", "kind", "urls"])
        for i, (account, t, url) in enumerate(rows):
            w.writerow(["x", f"a{i}", account, round(1_700_000_000 + t, 3), "post", url])
    store = Store(tmp_path / "store", create=True)
    ingest_file(store, path, format="generic", options={"detect_language": False})
    return store, group


def test_slot_null_finds_a_group_alone_on_its_own_links_and_not_busy_strangers(tmp_path):
    """The group is alone on its links: a shuffle within each target would rebuild it every
    time (the first version found nothing). Dealing the accounts among all the links shared
    in the same slot does not, while strangers that share popular links at the same time
    co-act as often in the shuffled copies as in the data. Here a few strangers share
    hundreds of links each, so their chance edges outweigh the group's: judged against
    shuffled edges between accounts as busy (``stratify``), the group stands out; judged
    against all edges at once, it drowns."""
    store, group = link_store(tmp_path)
    with DuckDBEngine(store) as eng:
        got = CoAction(on="url", stratify=True).run(eng)
        pooled = CoAction(on="url").run(eng)
        loose = CoAction(on="url", null_replicates=0).run(eng)

    def linked(ev) -> set[str]:
        return {r[k] for r in ev.edges.to_pylist() for k in ("account_a", "account_b")}

    assert len(linked(got) & group) >= 7
    assert len(linked(got) - group) <= 2
    assert all(r["q_value"] <= 0.05 for r in got.edges.to_pylist())
    assert len(linked(pooled) & group) <= 2
    # Without the null, chance co-shares of popular links link many strangers twice.
    assert len(linked(loose) - group) >= 20


def test_null_slot_must_be_positive(tmp_path):
    store, _ = link_store(tmp_path)
    with DuckDBEngine(store) as eng, pytest.raises(ValueError, match="null_slot"):
        CoAction(on="url", null_slot=0).run(eng)


@pytest.mark.parametrize("on", [["url,domain"], ["url", "domain"], ["domain, url"]])
def test_a_network_on_several_modalities_sums_as_coortweet_does(german_store, tmp_path, on):
    """``unmask network --on url,domain`` (or ``--on url --on domain``): CooRTweet's
    multi-modal network (its vignette: ``detect_groups`` on each kind of object, the results
    stacked, ``generate_coordinated_network``), whose weight is the number of co-acting
    pairs of actions over all the kinds: the sum of CooRTweet's own per-kind weights. Before:
    the last ``--on`` alone was used, silently."""
    from typer.testing import CliRunner

    from unmask.cli import app

    out = tmp_path / "edges.csv"
    args = ["network", "--store", str(german_store.path), "--compat", "coortweet"]
    args += [x for o in on for x in ("--on", o)]
    args += ["--window", "60", "--min-participation", "2", "--out", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    expected: dict[tuple[str, str], float] = {}
    for fixture in ("german_url_id_tw60_mp2.csv", "german_domain_id_tw60_mp2.csv"):
        for pair, weight in peer_edges(fixture).items():
            expected[pair] = expected.get(pair, 0) + weight
    with open(out, newline="") as fh:
        got = {
            tuple(sorted([r["account_a"], r["account_b"]])): float(r["weight"])
            for r in csv.DictReader(fh)
        }
    assert got == expected


def test_unmasks_definition_on_several_modalities_stacks_the_targets(german_store):
    """unmask's own definition over links and domains at once: one network over both kinds
    of target, each target named with its kind, every edge's count the distinct targets of
    both kinds behind it (one null and one false-discovery control for all)."""
    with DuckDBEngine(german_store) as eng:
        ev = CoAction(on=("url", "domain"), window=60, max_events_per_edge=10**6).run(eng)
    assert ev.signal == "coaction_url+domain" and ev.edges.num_rows > 0
    events = ev.events.to_pylist()
    assert {e["target"].split(":", 1)[0] for e in events} == {"url", "domain"}
    for edge in ev.edges.to_pylist()[:20]:
        mine = {
            e["target"]
            for e in events
            if (e["account_a"], e["account_b"]) == (edge["account_a"], edge["account_b"])
        }
        assert len(mine) == edge["count"]
        assert "the same link or domain" in edge["reason"]
