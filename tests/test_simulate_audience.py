"""Bought audiences that look real, infrastructure hygiene and the fan club: checked on
the store (what a detector sees), with the truth only to say whose rows to look at."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from unmask.simulate.scenario import (
    FanClub,
    ScenarioError,
    Vendor,
    load_scenario,
    parse_scenario,
)
from unmask.simulate.world import simulate
from unmask.store import Store

OP = "spamouflage-1"


def _small(users: int = 1500, days: int = 7):
    """The small world, smaller: one operation, no other hard negatives."""
    sc = load_scenario("small")
    sc.population.users = users
    sc.world.days = days
    sc.operations = sc.operations[:1]
    for name in ("office_workers_utc8", "breaking_news", "activist_campaign", "fandom"):
        setattr(sc.negatives, name, None)
    return sc


def _connect(out: Path):
    c = Store(out / "store").connect()
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{out}/truth/accounts.parquet')")
    c.execute(
        """CREATE VIEW acct AS SELECT a.*, t.operation_id, t.role, t."group"
           FROM accounts a JOIN truth t USING (platform, account_id)"""
    )
    c.execute(
        """CREATE VIEW fol AS
           SELECT f.*, a.operation_id AS er_op, a."group" AS er_group,
                  b.operation_id AS ee_op, b."group" AS ee_group
           FROM follows f
           JOIN truth a ON a.platform = f.platform AND a.account_id = f.follower_id
           JOIN truth b ON b.platform = f.platform AND b.account_id = f.followee_id"""
    )
    return c


@pytest.fixture(scope="module")
def vendor_world(tmp_path_factory) -> Path:
    """An operation that buys slow deliveries from a vendor, signs up residentially
    (own_infrastructure 0), and a fan club that buys from the same vendor."""
    sc = _small()
    sc.vendors = {
        "boost": Vendor(
            pool={"x": 300, "facebook": 200, "instagram": 100},
            aged_share=0.5,
            posts_per_account=[2, 6],
            customers=30,
            own_infrastructure=0.3,
        )
    }
    op = sc.operations[0]
    op.fake_followers.vendor = "boost"
    op.fake_followers.delivery = "slow"
    op.fake_followers.delivery_days = 5.0
    op.evasion.own_infrastructure = 0.0
    sc.negatives.fan_club = FanClub(members=80, idol=2, vendor="boost", boosted_share=0.25)
    sc.check()
    out = tmp_path_factory.mktemp("audience")
    simulate(out, sc, seed=2)
    return out


@pytest.fixture(scope="module")
def con(vendor_world):
    c = _connect(vendor_world)
    yield c
    c.close()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


def test_vendor_accounts_are_aged_at_the_aged_share(con):
    start = "TIMESTAMP '2024-03-04'"
    n, aged = one(
        con,
        f"""SELECT count(*), count(*) FILTER (WHERE created_at < {start} - INTERVAL 300 DAY)
            FROM acct WHERE "group" = 'follower_vendor'""",
    )
    assert n == 600
    assert 0.4 < aged / n < 0.6
    # The aged ones: their own picture, a bio, a few posts of chatter at ordinary times.
    pics, bios, shared = one(
        con,
        f"""WITH v AS (SELECT * FROM acct WHERE "group" = 'follower_vendor'
                       AND created_at < {start} - INTERVAL 300 DAY)
            SELECT count(profile_image_hash), count(description),
                   count(*) FILTER (WHERE profile_image_hash IN (
                       SELECT profile_image_hash FROM accounts GROUP BY 1 HAVING count(*) > 1))
            FROM v""",
    )
    assert pics == aged and bios == aged and shared == 0
    lo, hi, posters = one(
        con,
        f"""SELECT min(k), max(k), count(*) FROM (
              SELECT v.account_id, count(*) AS k FROM acct v JOIN activities a
                ON a.platform = v.platform AND a.account_id = v.account_id AND a.kind = 'post'
              WHERE v."group" = 'follower_vendor' AND v.created_at < {start} - INTERVAL 300 DAY
              GROUP BY 1)""",
    )
    assert posters > 0.9 * aged and lo >= 2 and hi <= 6
    # The batch-made ones: no bio, no posts.
    new_bios, new_posts = one(
        con,
        f"""SELECT count(v.description), count(a.activity_id) FROM acct v
            LEFT JOIN activities a ON a.platform = v.platform AND a.account_id = v.account_id
            WHERE v."group" = 'follower_vendor' AND v.created_at >= {start} - INTERVAL 300 DAY""",
    )
    assert (new_bios, new_posts) == (0, 0)


def test_vendor_follows_operation_and_ordinary_customers_alike(con, vendor_world):
    both, to_op, to_customers = one(
        con,
        """WITH s AS (SELECT follower_id,
                        bool_or(ee_op = ?) AS op, bool_or(ee_group = 'vendor_customers') AS cust
                      FROM fol WHERE er_group = 'follower_vendor' GROUP BY 1)
           SELECT count(*) FILTER (WHERE op AND cust), count(*) FILTER (WHERE op),
                  count(*) FILTER (WHERE cust) FROM s""",
        [OP],
    )
    assert to_op > 200 and to_customers > 100
    assert both > 0.5 * min(to_op, to_customers)
    # The operation has no pool of its own, and its fake followers are no operation's.
    assert (
        one(
            con,
            "SELECT count(*) FROM truth WHERE role = 'fake_follower' AND operation_id IS NOT NULL",
        )[0]
        == 0
    )
    truth = json.loads((vendor_world / "truth" / "vendors.json").read_text())["vendors"][0]
    assert truth["name"] == "boost" and truth["bought_by"]["operations"] == [OP]
    assert truth["bought_by"]["negatives"] == ["fan_club"] and truth["customers"] == 30
    ops = json.loads((vendor_world / "truth" / "operations.json").read_text())["operations"]
    ff = ops[0]["fake_followers"]
    assert ff["vendor"] == "boost" and ff["delivery"] == "slow"
    assert ff["followers_bought"] == truth["follows_sold"][OP] > 0


def _median_gap(con, where: str, params=None) -> float:
    """Median seconds between consecutive vendor follows of one followee."""
    return one(
        con,
        f"""SELECT median(gap) FROM (
              SELECT epoch(time) - lag(epoch(time)) OVER (PARTITION BY followee_id ORDER BY time)
                     AS gap
              FROM fol WHERE er_group = 'follower_vendor' AND {where})
            WHERE gap IS NOT NULL""",
        params,
    )[0]


def test_slow_delivery_spreads_over_days_bursts_within_minutes(con):
    slow = _median_gap(con, "ee_op = ?", [OP])
    burst = _median_gap(con, "ee_group = 'fan_club'")
    assert slow > 1800 and burst < 120
    span = one(
        con,
        """SELECT median(s) FROM (SELECT epoch(max(time)) - epoch(min(time)) AS s
           FROM fol WHERE er_group = 'follower_vendor' AND ee_op = ? GROUP BY followee_id)""",
        [OP],
    )[0]
    assert span > 2 * 86400


def _signups(con, where: str, params=None):
    return one(
        con,
        f"""WITH i AS (SELECT n.*, t.operation_id, t."group",
                         count(*) OVER (PARTITION BY ip) AS same_ip
                       FROM infrastructure n JOIN truth t USING (platform, account_id))
            SELECT count(*),
                   count(*) FILTER (WHERE ip LIKE '45.134.%'),
                   count(*) FILTER (WHERE device IN ('Android Emulator x86', 'Redmi Note 8')
                                     OR email_domain IN ('mail.tm', 'tmpmail.org')),
                   avg((same_ip > 1)::INT),
                   count(DISTINCT phone_country)
            FROM i WHERE {where}""",
        params,
    )


def test_residential_signups_look_like_ordinary_ones(con):
    n, proxy, kit, shared, phones = _signups(con, "operation_id = ?", [OP])
    assert n > 150 and proxy == 0
    # "Redmi Note 8"/"outlook.com"-like picks are ordinary too: none of the emulator kit.
    assert kit == 0
    _, _, _, shared_ord, _ = _signups(con, "\"group\" = 'ordinary'")
    assert abs(shared - shared_ord) < 0.08 and phones >= 3


def test_default_infrastructure_keeps_proxies_and_kit(tmp_path):
    sc = _small(users=800, days=3)
    simulate(tmp_path, sc, seed=2)
    c = _connect(tmp_path)
    n, proxy, kit, shared, _ = _signups(c, "operation_id = ?", [OP])
    c.close()
    assert 0.6 < proxy / n < 0.8  # today's 70% through the operation's proxies
    assert kit == n  # and every sign-up on its devices, as before
    assert shared > 0.6


def test_own_infrastructure_changes_only_signups(tmp_path):
    """The knob draws nothing: at another value only the infrastructure table differs."""
    outs = []
    for own in (0.7, 0.3):
        sc = _small(users=800, days=3)
        sc.operations[0].evasion.own_infrastructure = own
        out = tmp_path / str(own)
        simulate(out, sc, seed=2)
        outs.append(
            {p.name.split("-")[0]: p.read_bytes() for p in (out / "store").rglob("*.parquet")}
        )
    a, b = outs
    assert a.keys() == b.keys() >= {"accounts", "activities", "follows", "infrastructure"}
    assert [k for k in a if a[k] != b[k]] == ["infrastructure"]


def test_fan_club_floods_together_and_buys_followers(con, vendor_world):
    neg = json.loads((vendor_world / "truth" / "negatives.json").read_text())["fan_club"]
    assert neg["vendor"] == "boost" and len(neg["idols"]) == 2
    kinds = one(
        con,
        f"""SELECT list(kind ORDER BY kind) FROM accounts
            WHERE account_id IN ({", ".join("?" * len(neg["idols"]))})""",
        neg["idols"],
    )[0]
    assert kinds == ["account", "page"]  # a facebook page and an account on x
    assert neg["followers_bought"] > 0 and neg["boosted_members"] > 5
    # Members flood the hashtags in the same few hours.
    posts, members, hours = one(
        con,
        """SELECT count(*), count(DISTINCT a.account_id), count(DISTINCT date_trunc('hour', time))
           FROM activities a JOIN truth t ON t.platform = a.platform AND t.account_id = a.account_id
           WHERE t."group" = 'fan_club' AND list_contains(a.hashtags, 'lumi_day')""",
    )
    assert members > 60 and posts > 3 * members and hours <= 8
    # The idols and the boosted members got followers from the vendor, the others none.
    idol_bought = one(
        con,
        f"""SELECT count(DISTINCT followee_id) FROM fol
            WHERE er_group = 'follower_vendor'
              AND followee_id IN ({", ".join("?" * len(neg["idols"]))})""",
        neg["idols"],
    )[0]
    assert idol_bought == 2
    # A bought burst: 30 or more vendor follows within an hour (the vendor's camouflage
    # follows of popular accounts come one by one).
    bought = one(
        con,
        """SELECT count(DISTINCT followee_id) FROM (
             SELECT followee_id, count(*) OVER (PARTITION BY followee_id ORDER BY time
                      RANGE BETWEEN CURRENT ROW AND INTERVAL 1 HOUR FOLLOWING) AS k
             FROM fol WHERE er_group = 'follower_vendor' AND ee_group = 'fan_club')
           WHERE k >= 30""",
    )[0]
    assert bought == 2 + neg["boosted_members"]


def test_customers_are_ordinary_people_who_bought(con):
    n, bought, posters = one(
        con,
        """SELECT count(*),
                  count(*) FILTER (WHERE account_id IN (SELECT followee_id FROM fol
                                   WHERE er_group = 'follower_vendor')),
                  count(*) FILTER (WHERE account_id IN (SELECT account_id FROM activities))
           FROM acct WHERE "group" = 'vendor_customers'""",
    )
    assert n == 30 and bought == 30 and posters > 10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[vendors.v]\naged_share = 2.0\n", "vendors.v.aged_share: must be between 0 and 1"),
        ("[vendors.v]\npool = { myspace = 3 }\n", "vendors.v.pool: 'myspace'"),
        (
            "[negatives.fan_club]\nvendor = 'nobody'\n",
            "negatives.fan_club.vendor: unknown vendor 'nobody'",
        ),
        (
            "[[operations]]\nid = 's'\ntype = 'spamouflage'\n[operations.fake_followers]\n"
            "vendor = 'v'\n",
            "operations[0].fake_followers.vendor: unknown vendor 'v'",
        ),
        (
            "[[operations]]\nid = 's'\ntype = 'spamouflage'\n[operations.fake_followers]\n"
            "delivery = 'drip'\n",
            "operations[0].fake_followers.delivery: 'drip'",
        ),
        (
            "[[operations]]\nid = 'c'\ntype = 'careful'\n[operations.evasion]\n"
            "own_infrastructure = 1.5\n",
            "operations[0].evasion.own_infrastructure: must be between 0 and 1",
        ),
    ],
)
def test_scenario_errors_name_the_key(text, message):
    base = (
        '[[population.regions]]\nname = "r"\nutc_offset = "+00:00"\nweight = 1.0\n'
        "languages = { en = 1.0 }\n"
    )
    with pytest.raises(ScenarioError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_scenario(base + text)


def test_vendors_and_fan_club_from_toml_and_scaled():
    base = (
        '[[population.regions]]\nname = "r"\nutc_offset = "+00:00"\nweight = 1.0\n'
        "languages = { en = 1.0 }\n"
    )
    sc = parse_scenario(
        base
        + "[vendors.v]\npool = { x = 100 }\ncustomers = 20\n"
        + "[negatives.fan_club]\nvendor = 'v'\nmembers = 200\n"
        + "[[operations]]\nid = 's'\ntype = 'spamouflage'\n[operations.fake_followers]\n"
        + "vendor = 'v'\ndelivery = 'slow'\ndelivery_days = 4\n"
    )
    assert sc.vendors["v"].pool == {"x": 100} and sc.vendors["v"].aged_share == 0.5
    assert sc.operations[0].fake_followers.delivery_days == 4.0
    half = sc.scaled(0.5)
    assert half.vendors["v"].pool == {"x": 50} and half.vendors["v"].customers == 10
    assert half.negatives.fan_club.members == 100
