"""The synthetic world: it runs, it is a valid store, its counts reconcile, it is
deterministic, and its scenarios are checked."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from unmask.ingest.normalise import canonical_url, install_macros
from unmask.simulate.scenario import (
    ScenarioError,
    builtin_scenarios,
    load_scenario,
    parse_scenario,
)
from unmask.simulate.world import simulate
from unmask.store import Store


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("world")
    simulate(out, load_scenario("small"), seed=11)
    return out


@pytest.fixture(scope="module")
def con(world):
    c = Store(world / "store").connect()
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{world}/truth/accounts.parquet')")
    yield c
    c.close()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


def test_store_opens_and_counts_reconcile(world, con):
    store = Store(world / "store")
    [m] = store.manifests()
    assert m.adapter == "simulate"
    assert m.reconciles and m.rows_quarantined == 0 and m.rows_duplicate == 0
    assert m.rows_read == m.rows_stored == sum(m.entities.values())
    for table in ("accounts", "activities", "follows", "infrastructure"):
        assert one(con, f"SELECT count(*) FROM {table}")[0] == m.entities[table] > 0
    assert m.options["seed"] == 11
    # Every record has a unique source row.
    rows = one(
        con,
        """SELECT count(*), count(DISTINCT source_row) FROM (
             SELECT source_row FROM activities UNION ALL SELECT source_row FROM follows
             UNION ALL SELECT source_row FROM account_observations
             UNION ALL SELECT source_row FROM infrastructure)""",
    )
    assert rows[0] == rows[1] == m.rows_read


def test_keys_are_unique_and_references_resolve(con):
    assert (
        one(con, "SELECT count(*) - count(DISTINCT (platform, activity_id)) FROM activities")[0]
        == 0
    )
    assert (
        one(
            con,
            "SELECT count(*) - count(DISTINCT (platform, follower_id, followee_id)) FROM follows",
        )[0]
        == 0
    )
    assert one(con, "SELECT count(*) FROM follows WHERE follower_id = followee_id")[0] == 0
    assert (
        one(
            con,
            "SELECT count(*) FROM activities a ANTI JOIN accounts c USING (platform, account_id)",
        )[0]
        == 0
    )
    # Parents exist, on the same platform, by the account named, and came first.
    bad = one(
        con,
        """SELECT count(*) FILTER (WHERE p.activity_id IS NULL),
                  count(*) FILTER (WHERE p.account_id <> a.parent_account_id),
                  count(*) FILTER (WHERE p.time > a.time)
           FROM activities a LEFT JOIN activities p
             ON p.platform = a.platform AND p.activity_id = a.parent_activity_id
           WHERE a.parent_activity_id IS NOT NULL""",
    )
    assert bad == (0, 0, 0)
    kinds = {r[0] for r in con.execute("SELECT DISTINCT kind FROM activities").fetchall()}
    assert kinds == {"post", "share", "reply", "comment", "quote", "reaction"}
    assert (
        one(
            con,
            "SELECT count(*) FROM activities WHERE kind <> 'post' AND parent_activity_id IS NULL",
        )[0]
        == 0
    )
    platforms = {r[0] for r in con.execute("SELECT DISTINCT platform FROM accounts").fetchall()}
    assert platforms == {
        "facebook",
        "instagram",
        "x",
        "youtube",
        "tiktok",
        "reddit",
        "medium",
        "blog",
        "telegram",
    }


def test_activities_are_no_earlier_than_their_accounts(con):
    assert (
        one(
            con,
            "SELECT count(*) FROM activities a JOIN accounts c USING (platform, account_id) WHERE a.time < c.created_at",
        )[0]
        == 0
    )


def test_fields_look_like_ingested_data(con):
    """URLs are canonical, domains, hashtags and mentions are what ingest would extract
    from the text, so detectors see simulated and real data alike."""
    install_macros(con)
    rows = con.execute(
        """SELECT urls, urls_original, domains, hashtags, mentions, text,
                  list_sort(list_distinct(list_filter(list_transform(unmask_text_urls(text),
                      lambda u: unmask_url_domain(unmask_canonical_url(u))), lambda d: d IS NOT NULL))),
                  unmask_text_hashtags(text), unmask_text_mentions(text)
           FROM (SELECT * FROM activities WHERE text IS NOT NULL)
           USING SAMPLE reservoir(3000 ROWS) REPEATABLE (5)"""
    ).fetchall()
    assert len(rows) == 3000
    for (
        urls,
        originals,
        domains,
        tags,
        mentions,
        text,
        want_domains,
        want_tags,
        want_mentions,
    ) in rows:
        assert urls == [canonical_url(u) for u in originals], text
        assert domains == want_domains, text
        assert tags == want_tags, text
        assert mentions == want_mentions, text
    # Reactions and shares carry no text, and then no lists.
    assert (
        one(
            con,
            "SELECT count(*) FROM activities WHERE kind = 'reaction' AND (text IS NOT NULL OR hashtags IS NOT NULL)",
        )[0]
        == 0
    )


def test_accounts_carry_identity_fields(con):
    missing = one(
        con,
        """SELECT count(*) FILTER (WHERE created_at IS NULL), count(*) FILTER (WHERE handle IS NULL),
                  count(*) FILTER (WHERE display_name IS NULL), count(*) FILTER (WHERE followers IS NULL),
                  count(*) FILTER (WHERE following IS NULL), count(*) FILTER (WHERE kind IS NULL),
                  count(*) FILTER (WHERE profile_image_hash IS NOT NULL),
                  count(*) FILTER (WHERE description IS NOT NULL)
           FROM accounts""",
    )
    assert missing[:6] == (0, 0, 0, 0, 0, 0)
    assert missing[6] > 0 and missing[7] > 0
    # Follower and following counts are those of the follows table.
    assert (
        one(
            con,
            """SELECT count(*) FROM accounts a
               LEFT JOIN (SELECT platform, followee_id AS account_id, count(*) n FROM follows GROUP BY ALL) f
                 USING (platform, account_id)
               WHERE a.followers <> coalesce(f.n, 0)""",
        )[0]
        == 0
    )


def test_truth_describes_every_account(world, con):
    t = pq.read_table(world / "truth" / "accounts.parquet")
    assert t.column_names == ["platform", "account_id", "operation_id", "role", "group"]
    assert one(con, "SELECT count(*) FROM truth")[0] == one(con, "SELECT count(*) FROM accounts")[0]
    assert (
        one(con, "SELECT count(*) FROM accounts ANTI JOIN truth USING (platform, account_id)")[0]
        == 0
    )
    groups = {
        r[0]
        for r in con.execute(
            'SELECT DISTINCT "group" FROM truth WHERE operation_id IS NULL'
        ).fetchall()
    }
    assert groups == {
        "ordinary",
        "office_workers_utc8",
        "breaking_news",
        "activist_campaign",
        "news_bots",
        "fandom",
        "newsroom",
        "marketing_agency",
        "campaign_volunteers",
        "fan_club",
        "follower_vendor",
        "vendor_customers",
    }
    assert (
        one(
            con, 'SELECT count(*) FROM truth WHERE operation_id IS NOT NULL AND "group" IS NOT NULL'
        )[0]
        == 0
    )
    roles = {
        r[0]: r[1]
        for r in con.execute(
            "SELECT operation_id, list(DISTINCT role ORDER BY role) FROM truth WHERE operation_id IS NOT NULL GROUP BY 1"
        ).fetchall()
    }
    assert set(roles["spamouflage-1"]) == {
        "amplifier",
        "blog",
        "channel",
        "fake_follower",
        "group",
        "page",
        "poster",
    }
    assert roles["doppelganger-1"] == ["poster"]
    assert roles["careful-1"] == ["persona"]
    ops = json.loads((world / "truth" / "operations.json").read_text())["operations"]
    assert [o["id"] for o in ops] == ["spamouflage-1", "doppelganger-1", "careful-1"]
    assert [o["type"] for o in ops] == ["spamouflage", "doppelganger", "careful"]
    for o in ops:
        # Every evasion knob is in the truth (other knobs may join them).
        assert o["parameters"]["evasion"].keys() >= {
            "timing_jitter_s",
            "paraphrase_rate",
            "camouflage",
            "schedule_spread",
            "aged_accounts",
            "own_infrastructure",
            "delay_shape",
            "delay_wait_s",
            "single_shot",
        }
        n = one(con, "SELECT count(*) FROM truth WHERE operation_id = ?", [o["id"]])[0]
        assert o["accounts"] == n
    assert (world / "truth" / "scenario.toml").read_text() == load_scenario("small").source_text


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != "manifest.json" and ".lock" not in p.name
    }


def test_same_seed_same_bytes_other_seed_other_world(tmp_path):
    sc = load_scenario("small")
    simulate(tmp_path / "a", sc, seed=3, scale=0.3)
    simulate(tmp_path / "b", sc, seed=3, scale=0.3)
    simulate(tmp_path / "c", sc, seed=4, scale=0.3)
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a.keys() == b.keys() and len(a) >= 8
    assert a == b
    parquet = [k for k in a if k.endswith(".parquet")]
    assert all(a[k] != c.get(k) for k in parquet if "store.json" not in k)


def test_refuses_to_overwrite(world):
    with pytest.raises(FileExistsError):
        simulate(world, load_scenario("small"), seed=11)


def test_scale_multiplies_counts():
    sc = load_scenario("small")
    half = sc.scaled(0.5)
    assert half.population.users == sc.population.users // 2
    assert half.operations[0].assets["x"]["account"] == sc.operations[0].assets["x"]["account"] // 2
    assert half.world.days == sc.world.days
    assert half.negatives.fandom.fans == round(sc.negatives.fandom.fans * 0.5)


def test_builtin_scenarios_load():
    assert {"small", "medium", "large"} <= set(builtin_scenarios())
    for name in ("small", "medium", "large"):
        sc = load_scenario(name)
        assert sc.world.name == name
        assert {op.type for op in sc.operations} == {"spamouflage", "doppelganger", "careful"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[world]\nday = 3\n", "world.day: unknown key"),
        ("[world]\ndays = 'three'\n", "world.days: expected a whole number"),
        ("[[operations]]\nid = 'x'\ntype = 'troll'\n", "operations[0].type"),
        (
            "[[operations]]\nid = 'x'\ntype = 'careful'\n[operations.evasion]\ncamouflage = 2.0\n",
            "operations[0].evasion.camouflage: must be between 0 and 1",
        ),
        (
            "[[operations]]\nid = 'x'\ntype = 'spamouflage'\n[operations.schedule]\nshifts = [['12:00', '09:00']]\n",
            "ends before it starts",
        ),
        ("[population]\nplatforms = { myspace = 1.0 }\n", "population.platforms: 'myspace'"),
    ],
)
def test_scenario_errors_name_the_key(text, message):
    base = '[[population.regions]]\nname = "r"\nutc_offset = "+00:00"\nweight = 1.0\nlanguages = { en = 1.0 }\n'
    with pytest.raises(
        ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")
    ):
        parse_scenario(base + text)


def test_partial_evasion_keeps_type_defaults():
    base = '[[population.regions]]\nname = "r"\nutc_offset = "+00:00"\nweight = 1.0\nlanguages = { en = 1.0 }\n'
    sc = parse_scenario(
        base
        + "[[operations]]\nid = 'c'\ntype = 'careful'\n[operations.evasion]\ncamouflage = 0.2\n"
    )
    ev = sc.operations[0].evasion
    assert ev.camouflage == 0.2 and ev.paraphrase_rate == 1.0 and ev.aged_accounts == 1.0
    assert sc.operations[0].schedule.utc_offset == "-05:00"
