"""The figures of each operation (unmask.operations), checked against the rows: every
figure is recomputed here by a plain query over the store, or by hand."""

from __future__ import annotations

import csv
import json
from collections import Counter

import duckdb
import pytest

from unmask import operations
from unmask.signals.registry import signal_classes
from unmask.store import Store


@pytest.fixture(scope="module")
def run(small_run, small_world):
    result, _ = small_run
    ops = json.loads((result.run_dir / "operations.json").read_text())
    con = Store(small_world / "store").connect()
    con.execute(f"CREATE TEMP TABLE members AS SELECT * FROM '{result.run_dir / 'nodes.parquet'}'")
    return result, ops, con


def test_every_operation_is_described_and_listed_for_takedown(run):
    result, described, _ = run
    # operations.json describes every reported cluster; the operations are those to take down
    ops = [o for o in described if o["operation"]]
    assert {o["cluster_id"] for o in ops} == set(result.operations["cluster_id"].to_pylist())
    assert {o["cluster_id"] for o in described} == set(result.reported["cluster_id"].to_pylist())
    with open(result.run_dir / "takedown.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    per_op = Counter(r["operation"] for r in rows)
    for o in ops:
        assert per_op[o["cluster_id"]] == o["assets"]["accounts"]
        by_platform = Counter(r["platform"] for r in rows if r["operation"] == o["cluster_id"])
        assert {p: sum(k.values()) for p, k in o["assets"]["by_platform"].items()} == by_platform
    assert all(r["signals"] for r in rows)


def test_activity_and_period_equal_a_plain_count(run):
    _, ops, con = run
    for o in ops[:3]:
        n, first, last = con.execute(
            """SELECT count(*), min(t.time), max(t.time) FROM activities t
               JOIN members m USING (platform, account_id) WHERE m.cluster_id = ?""",
            [o["cluster_id"]],
        ).fetchone()
        assert o["activity"]["actions"] == n
        # a group that posted nothing (a vendor's stock only follows) has no period
        assert o["activity"]["first"] == (first.isoformat() if n else None)
        assert o["activity"]["last"] == (last.isoformat() if n else None)
        assert sum(d["actions"] for d in o["activity"]["timeline"]) == n


def test_pushed_domains_and_their_share_equal_a_plain_count(run):
    _, ops, con = run
    o = next(o for o in ops if o["pushed"].get("domains"))
    top = o["pushed"]["domains"][0]
    ours, accounts = con.execute(
        """SELECT count(*), count(DISTINCT (t.platform, t.account_id))
           FROM activities t JOIN members m USING (platform, account_id),
                unnest(t.domains) AS d(domain)
           WHERE m.cluster_id = ? AND lower(d.domain) = ?""",
        [o["cluster_id"], top["value"]],
    ).fetchone()
    everyone = con.execute(
        "SELECT count(*) FROM activities t, unnest(t.domains) AS d(domain) WHERE lower(d.domain) = ?",
        [top["value"]],
    ).fetchone()[0]
    assert (top["uses"], top["accounts"]) == (ours, accounts)
    assert top["share_of_all_uses"] == pytest.approx(ours / everyone, abs=1e-4)


def test_engagement_inside_and_outside_equal_a_plain_count(run):
    """Comments, shares and reactions received on the operation's posts, from its own
    accounts and from others (an account answering itself left out); the engaged account
    is the export's parent account, else the parent post's author."""
    _, ops, con = run
    for o in ops[:3]:
        inside, outside = con.execute(
            """WITH e AS (
                 SELECT t.platform, t.account_id AS actor,
                        coalesce(t.parent_account_id, p.account_id) AS owner
                 FROM activities t
                 LEFT JOIN activities p ON p.platform = t.platform
                                       AND p.activity_id = t.parent_activity_id
                 WHERE t.parent_activity_id IS NOT NULL
                   AND t.kind IN ('reply', 'comment', 'share', 'quote', 'reaction'))
               SELECT count(*) FILTER (WHERE a.account_id IS NOT NULL),
                      count(*) FILTER (WHERE a.account_id IS NULL)
               FROM e
               JOIN members m ON m.platform = e.platform AND m.account_id = e.owner
               LEFT JOIN members a ON a.platform = e.platform AND a.account_id = e.actor
                                  AND a.cluster_id = m.cluster_id
               WHERE m.cluster_id = ? AND e.actor <> e.owner""",
            [o["cluster_id"]],
        ).fetchone()
        r = o["reach"]
        assert (r["engagement_inside"], r["engagement_outside"]) == (inside, outside)
        assert sum(v["inside"] + v["outside"] for v in r["by_kind"].values()) == inside + outside


def test_narratives_are_the_content_families_of_the_operations_accounts(run):
    result, ops, _ = run
    fams = duckdb.sql(
        f"SELECT family_id, accounts FROM '{result.run_dir / 'evidence/content/families.parquet'}'"
    ).fetchall()
    accounts = dict(fams)
    members = duckdb.sql(
        f"SELECT cluster_id, platform || '/' || account_id FROM '{result.run_dir / 'nodes.parquet'}'"
    ).fetchall()
    for o in ops:
        mine = {a for c, a in members if c == o["cluster_id"]}
        for n in o["narratives"]:
            assert n["accounts_inside"] == len(mine & set(accounts[n["family_id"]]))


def test_every_killchain_procedure_is_one_of_metas(shared_data):
    with open(shared_data / "meta-threat-research" / "Online_Operations_Killchain-TTPs.csv") as f:
        procedures = {" ".join(r["Procedure"].split()) for r in csv.DictReader(f)}
    ours = [
        *operations._ACQUIRING.values(),
        operations.DIRECTING,
        operations.OWN_DOMAINS,
        operations.ACQUIRING_OTHER,
        # and those the signals' evidence shows
        *(p for cls in signal_classes() for p in cls.kill_chain),
    ]
    assert len(ours) >= 25
    assert [p for p in ours if p not in procedures] == []


def op(platforms, languages, communities=None, outside=()):
    return {
        "assets": {"by_platform": {p: {"account": 1} for p in platforms}},
        "audience": {"languages": languages, "communities": communities or {}},
        "reach": {"top_outside": list(outside)},
    }


@pytest.mark.parametrize(
    ("case", "category"),
    [
        (op(["x"], {"en": 100, "zh": 5}), 1),  # 5% is not a community
        (op(["x"], {"en": 60, "zh": 40}), 2),
        (op(["x", "facebook"], {"en": 100, "und": 900}), 2),  # 'und' is no community
        (op(["x", "facebook"], {"en": 50, "zh": 50}), 3),
        (op(["x"], {"en": 1}, {"r/politics": 10, "r/news": 10}), 2),
        (
            op(
                ["x"],
                {"en": 1},
                outside=[
                    {"platform": "x", "account_id": "1", "handle": "big", "followers": 2_000_000}
                ],
            ),
            5,
        ),
    ],
)
def test_breakout_category_from_the_data(case, category):
    b = operations.breakout(case)
    assert b["category"] == category
    assert any("cannot be seen" in line for line in b["basis"])


def test_hour_of_week_adds_up_to_the_actions(run):
    _, ops, con = run
    o = ops[0]
    grid = o["activity"]["hour_of_week"]
    assert len(grid) == 7 and all(len(day) == 24 for day in grid)
    assert sum(map(sum, grid)) == o["activity"]["actions"]
    monday_nine = con.execute(
        """SELECT count(*) FROM activities t JOIN members m USING (platform, account_id)
           WHERE m.cluster_id = ? AND dayofweek(t.time) = 1 AND hour(t.time) = 9""",
        [o["cluster_id"]],
    ).fetchone()[0]
    assert grid[0][9] == monday_nine


def test_the_kill_chain_lists_what_the_signals_show_in_its_order():
    """The procedures from the operation's figures and from each signal's hook
    (``Signal.kill_chain_entries``) come in ``KILL_CHAIN_ORDER``, as they always did."""
    op = {
        "assets": {
            "by_platform": {"x": {"account": 3}, "facebook": {"page": 1}},
            "by_signal": {"schedule": 3, "infra": 2, "identity": 4, "followers": 1},
            "by_signal_platform": {"coaction_parent": {"x": 3}, "followers": {"facebook": 1}},
        },
        "narratives": [
            {"family_id": "f1", "variants": 2, "platforms": ["x", "facebook", "reddit"]}
        ],
        "pushed": {
            "domains": [
                {"value": "ours.example", "accounts": 3, "uses": 9, "share_of_all_uses": 1.0}
            ]
        },
        "schedule": {"shift_pattern": True, "description": "Mon–Fri 09:00–17:00"},
    }
    numbers = [k["procedure"].split(" ")[0] for k in operations.killchain(op)]
    assert numbers == [
        "0.9.1",
        "0.9.4",
        "6.2.4",
        "5.2.2",
        "9.2.3",
        "0.6.2",
        "7.5.2",
        "3.1.1",
        "3.3.1",
        "1.1.1",
        "7.2.2",
    ]
    # A procedure no built-in names (a plugin's) comes after them, by number.
    assert operations._listed("4.1.1 x") > operations._listed("7.2.2 x")
    assert operations._listed("2.1.1 x") < operations._listed("4.1.1 x")
