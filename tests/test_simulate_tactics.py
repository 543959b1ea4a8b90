"""Each planted tactic and each hard negative is present in the data it claims, so the
world cannot silently lose one. Everything is checked on the store (what a detector sees),
with the ground truth only to say whose rows to look at."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from unmask.simulate.content import CAREFUL_KEYWORDS, edit_distance
from unmask.simulate.scenario import load_scenario
from unmask.simulate.world import simulate
from unmask.store import Store

OP = "spamouflage-1"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tactics")
    simulate(out, load_scenario("small"), seed=5)
    return out


@pytest.fixture(scope="module")
def con(world):
    c = Store(world / "store").connect()
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{world}/truth/accounts.parquet')")
    c.execute(
        """CREATE VIEW acts AS SELECT a.*, t.operation_id, t.role, t."group"
           FROM activities a JOIN truth t USING (platform, account_id)"""
    )
    yield c
    c.close()


def rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


def shingles(text: str, k: int = 4) -> set[str]:
    t = re.sub(r"\s+", " ", text.lower())
    return {t[i : i + k] for i in range(max(1, len(t) - k + 1))}


def jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(1, len(a | b))


# -- Spamouflage-like -----------------------------------------------------------------


def test_spamouflage_posts_in_utc8_office_shifts_with_breaks_empty(con):
    local = "(time + INTERVAL 8 HOUR)"
    minute = f"(hour({local}) * 60 + minute({local}))"
    n, weekend, lunch, dinner, night = one(
        con,
        f"""SELECT count(*),
                   count(*) FILTER (WHERE isodow({local}) >= 6),
                   count(*) FILTER (WHERE {minute} >= 720 AND {minute} < 810),
                   count(*) FILTER (WHERE {minute} >= 1050 AND {minute} < 1110),
                   count(*) FILTER (WHERE {minute} < 540 OR {minute} >= 1290)
            FROM acts WHERE operation_id = ?""",
        [OP],
    )
    assert n > 3000
    assert (weekend, lunch, dinner, night) == (0, 0, 0, 0)
    # Every working day and every shift is used.
    days = {
        r[0]
        for r in rows(
            con, f"SELECT DISTINCT isodow({local}) FROM acts WHERE operation_id = ?", [OP]
        )
    }
    assert days == {1, 2, 3, 4, 5}
    hours = {
        r[0]
        for r in rows(con, f"SELECT DISTINCT hour({local}) FROM acts WHERE operation_id = ?", [OP])
    }
    assert {9, 10, 11, 14, 15, 16, 19, 20, 21} <= hours


def test_ordinary_utc8_office_workers_post_in_their_lunch_break(con):
    """The hard negative: same zone and working week, but the lunch break is their peak."""
    local = "(time + INTERVAL 8 HOUR)"
    minute = f"(hour({local}) * 60 + minute({local}))"
    n, lunch, weekend = one(
        con,
        f"""SELECT count(*), count(*) FILTER (WHERE {minute} >= 720 AND {minute} < 810),
                   count(*) FILTER (WHERE isodow({local}) >= 6)
            FROM acts WHERE "group" = 'office_workers_utc8' AND kind = 'post'""",
    )
    assert n > 500
    assert lunch / (n - weekend) > 0.2  # on working days, 1.5 of 24 hours hold a fifth
    assert weekend > 0


def test_spamouflage_accounts_made_in_batches_with_generated_handles_and_reused_images(con):
    accounts = rows(
        con,
        """SELECT c.handle, c.profile_image_hash, epoch(c.created_at), c.kind FROM accounts c
           JOIN truth t USING (platform, account_id)
           WHERE t.operation_id = ? AND t.role <> 'fake_follower'""",
        [OP],
    )
    handles = [h for h, _, _, kind in accounts if kind == "account"]
    name_digits = [h for h in handles if re.fullmatch(r"[A-Z][a-z]+[A-Z][a-z]+\d{8}", h)]
    random_like = [
        h
        for h in handles
        if re.fullmatch(r"[A-Za-z0-9]{8,15}", h) and re.search(r"\d", h) and h not in name_digits
    ]
    assert len(name_digits) / len(handles) > 0.5
    assert len(name_digits) + len(random_like) > 0.9 * len(handles)
    ordinary = [
        r[0]
        for r in rows(
            con,
            "SELECT handle FROM accounts JOIN truth USING (platform, account_id) WHERE \"group\" = 'ordinary'",
        )
    ]
    assert sum(bool(re.fullmatch(r"[A-Z][a-z]+[A-Z][a-z]+\d{8}", h)) for h in ordinary) == 0
    # Profile pictures: a few dozen images (some re-encoded by one bit) for hundreds of accounts.
    images = [img for _, img, _, _ in accounts]
    assert len(set(images)) < 0.5 * len(images)
    organic_images = [
        r[0]
        for r in rows(
            con,
            # A follower vendor's batch-made accounts reuse pictures too; they are not people.
            """SELECT profile_image_hash FROM accounts JOIN truth USING (platform, account_id)
               WHERE operation_id IS NULL AND profile_image_hash IS NOT NULL
                 AND "group" <> 'follower_vendor'""",
        )
    ]
    assert len(set(organic_images)) == len(organic_images)
    ints = [int(i, 16) for i in images]
    shared = [
        any(j != i and bin(ints[i] ^ ints[j]).count("1") <= 1 for j in range(len(ints)))
        for i in range(len(ints))
    ]
    assert np.mean(shared) > 0.95  # the same picture (or a re-encoded copy) elsewhere
    # Creation in batches: most accounts were made within 30 minutes of 10 others.
    created = np.sort(np.array([c for _, _, c, _ in accounts]))
    lo = np.searchsorted(created, created - 1800)
    hi = np.searchsorted(created, created + 1800)
    assert np.mean((hi - lo) >= 10) > 0.8


def test_spamouflage_followers_were_bought_in_bursts(con):
    per_follow = rows(
        con,
        """WITH f AS (
             SELECT f.*, tf.role AS follower_role
             FROM follows f
             JOIN truth te ON te.platform = f.platform AND te.account_id = f.followee_id
             JOIN truth tf ON tf.platform = f.platform AND tf.account_id = f.follower_id
             WHERE te.operation_id = ? AND te.role <> 'fake_follower')
           SELECT follower_role,
                  count(*) OVER (PARTITION BY platform, followee_id ORDER BY time
                                 RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND INTERVAL 1 HOUR FOLLOWING)
           FROM f""",
        [OP],
    )
    fake = [n for role, n in per_follow if role == "fake_follower"]
    assert len(fake) > 0.7 * len(per_follow)  # the audience is mostly bought
    assert np.mean(np.array(fake) >= 20) > 0.9  # …and it came in bursts
    # Ordinary accounts' followers trickle in.
    organic = rows(
        con,
        """WITH f AS (SELECT f.* FROM follows f
                      JOIN truth te ON te.platform = f.platform AND te.account_id = f.followee_id
                      WHERE te."group" = 'ordinary')
           SELECT count(*) OVER (PARTITION BY platform, followee_id ORDER BY time
                                 RANGE BETWEEN INTERVAL 1 HOUR PRECEDING AND INTERVAL 1 HOUR FOLLOWING)
           FROM f""",
    )
    assert np.mean(np.array([n for (n,) in organic]) >= 20) < 0.01


def test_spamouflage_texts_are_near_copies_across_accounts_and_platforms(con):
    posts = rows(
        con,
        "SELECT account_id, platform, text, language FROM acts WHERE operation_id = ? AND kind = 'post' ORDER BY time",
        [OP],
    )
    assert {lang for *_, lang in posts} == {"zh", "en", "ja"}
    sh = [shingles(t) for _, _, t, _ in posts]
    rng = np.random.default_rng(0)
    sample = rng.choice(len(posts), 150, replace=False)
    best, cross_platform = [], 0
    for i in sample:
        scores = [
            (jaccard(sh[i], sh[j]), j) for j in range(len(posts)) if posts[j][0] != posts[i][0]
        ]
        s, j = max(scores)
        best.append(s)
        cross_platform += s > 0.6 and posts[j][1] != posts[i][1]
    assert np.median(best) > 0.75  # another account posted (nearly) the same text
    assert cross_platform > 50
    # Copies differ: typos and odd headlines make many of them not byte-identical.
    assert len({t for _, _, t, _ in posts}) > 0.3 * len(posts)
    assert any(
        t.startswith(("【", "BREAKING", "Shocking", "Must see", "震惊", "拡散"))
        for _, _, t, _ in posts
    )
    # Ordinary texts are not copies of each other.
    ordinary = [
        r[0]
        for r in rows(
            con,
            "SELECT text FROM acts WHERE \"group\" = 'ordinary' AND kind = 'post' AND length(text) > 40",
        )
    ]
    ordinary = [ordinary[i] for i in rng.choice(len(ordinary), 400, replace=False)]
    osh = [shingles(t) for t in ordinary]
    obest = [max(jaccard(osh[i], osh[j]) for j in range(len(osh)) if j != i) for i in range(100)]
    assert np.quantile(obest, 0.95) < 0.5


def test_spamouflage_engagement_comes_from_its_own_accounts(con):
    inside, total = one(
        con,
        """SELECT count(*) FILTER (WHERE r.operation_id = p.operation_id), count(*)
           FROM acts r JOIN acts p ON p.platform = r.platform AND p.activity_id = r.parent_activity_id
           WHERE p.operation_id = ?""",
        [OP],
    )
    assert total > 1000
    assert inside / total > 0.9
    # …and they are assets of many kinds on many platforms.
    kinds = rows(
        con,
        "SELECT DISTINCT c.kind, c.platform FROM accounts c JOIN truth t USING (platform, account_id) WHERE t.operation_id = ?",
        [OP],
    )
    assert {k for k, _ in kinds} == {"account", "page", "group", "channel", "blog"}
    assert len({p for _, p in kinds}) == 9


# -- Doppelganger-like -----------------------------------------------------------------


def test_doppelganger_domains_are_typosquats_of_real_outlets(con, world):
    op = next(
        o
        for o in json.loads((world / "truth" / "operations.json").read_text())["operations"]
        if o["type"] == "doppelganger"
    )
    squats = op["domains"]
    used = {
        r[0]
        for r in rows(
            con, "SELECT DISTINCT unnest(domains) FROM acts WHERE operation_id = 'doppelganger-1'"
        )
    }
    assert used and used <= set(squats)
    real = {
        r[0]
        for r in rows(con, "SELECT DISTINCT unnest(domains) FROM acts WHERE operation_id IS NULL")
    }
    for squat in used:
        outlet = squats[squat]
        assert outlet in real  # the imitated outlet is one people really share
        assert squat != outlet
        name, tld = squat.split(".", 1)
        oname, otld = outlet.split(".", 1)
        assert (
            (name == oname and tld != otld)
            or edit_distance(name, oname) <= 2
            or name.startswith(oname + "-")
        )


def test_doppelganger_accounts_are_short_lived_and_share_in_waves(con):
    life = rows(
        con,
        """SELECT epoch(min(a.time)) - epoch(c.created_at), epoch(max(a.time)) - epoch(c.created_at)
           FROM acts a JOIN accounts c USING (platform, account_id)
           WHERE a.operation_id = 'doppelganger-1' GROUP BY a.platform, a.account_id, c.created_at""",
    )
    assert len(life) > 50
    first, last = np.array(life).T
    assert np.median(first) <= 49 * 3600  # made hours before they act
    assert np.all(last - first <= 3 * 86400)  # and gone within days
    waves = rows(
        con,
        """WITH s AS (SELECT unnest(urls) u, * FROM acts WHERE operation_id = 'doppelganger-1'),
                firsts AS (SELECT u, platform, account_id, min(time) t FROM s GROUP BY ALL)
           SELECT u, count(DISTINCT account_id), count(DISTINCT platform),
                  epoch(quantile_cont(t, 0.5)) - epoch(min(t))
           FROM firsts GROUP BY u""",
    )
    assert all(n >= 5 for _, n, _, _ in waves)
    assert sum(p >= 2 for _, _, p, _ in waves) >= len(waves) * 0.8  # cross-posted
    assert np.median([m for *_, m in waves]) < 3 * 3600  # half the accounts join within hours


# -- small and careful -------------------------------------------------------------------


def test_careful_personas_are_aged_paraphrase_and_talk_to_real_people(con):
    ages = [
        r[0]
        for r in rows(
            con,
            "SELECT epoch(TIMESTAMPTZ '2024-03-04') - epoch(created_at) FROM accounts JOIN truth USING (platform, account_id) WHERE operation_id = 'careful-1'",
        )
    ]
    assert len(ages) == 24 and min(ages) > 300 * 86400
    texts = [
        r[0]
        for r in rows(
            con, "SELECT text FROM acts WHERE operation_id = 'careful-1' AND kind = 'post'"
        )
    ]
    posts = [t for t in texts if any(k in t.lower() for k in CAREFUL_KEYWORDS)]
    assert len(posts) > 30
    sh = [shingles(t) for t in posts]
    best = [max(jaccard(sh[i], sh[j]) for j in range(len(sh)) if j != i) for i in range(len(sh))]
    assert np.median(best) < 0.6  # paraphrased, not copied
    real, own = one(
        con,
        """SELECT count(*) FILTER (WHERE p.operation_id IS NULL), count(*) FILTER (WHERE p.operation_id = 'careful-1')
           FROM acts r JOIN acts p ON p.platform = r.platform AND p.activity_id = r.parent_activity_id
           WHERE r.operation_id = 'careful-1'""",
    )
    assert real > 20 and real > 5 * own


# -- ordinary life -------------------------------------------------------------------


def test_ordinary_activity_is_heavy_tailed_in_many_time_zones(con):
    counts = np.array(
        [
            r[0]
            for r in rows(
                con,
                "SELECT count(*) FROM acts WHERE \"group\" = 'ordinary' GROUP BY platform, account_id",
            )
        ]
    )
    top = np.sort(counts)[::-1]
    assert top[: len(top) // 10].sum() > 0.4 * top.sum()
    followers = np.array(
        [
            r[0]
            for r in rows(
                con,
                "SELECT followers FROM accounts JOIN truth USING (platform, account_id) WHERE \"group\" = 'ordinary'",
            )
        ]
    )
    assert followers.max() > 20 * max(np.median(followers), 1)
    zones = rows(
        con,
        "SELECT count(DISTINCT location) FROM accounts JOIN truth USING (platform, account_id) WHERE \"group\" = 'ordinary'",
    )
    assert zones[0][0] > 20
    # Engagement goes to popular accounts.
    top_share = one(
        con,
        """WITH r AS (SELECT parent_account_id, count(*) n FROM activities WHERE parent_account_id IS NOT NULL GROUP BY ALL)
           SELECT sum(n) FILTER (WHERE rk <= (SELECT count(*) FROM r) / 100) / sum(n)
           FROM (SELECT n, row_number() OVER (ORDER BY n DESC) rk FROM r)""",
    )[0]
    assert top_share > 0.15
    trending = one(
        con,
        "SELECT count(DISTINCT h) FROM (SELECT unnest(hashtags) h FROM acts WHERE \"group\" = 'ordinary')",
    )[0]
    assert trending > 50


# -- hard negatives ------------------------------------------------------------------


def test_breaking_news_is_shared_by_many_unrelated_people_within_minutes(con, world):
    events = json.loads((world / "truth" / "negatives.json").read_text())["breaking_news"]["events"]
    assert len(events) == 2
    for e in events:
        n, within_10, zones, copies = one(
            con,
            """SELECT count(DISTINCT account_id),
                      count(*) FILTER (WHERE time < TIMESTAMPTZ '{t}' + INTERVAL 11 MINUTE),
                      count(DISTINCT c.location), count(*) FILTER (WHERE starts_with(a.text, ?))
               FROM acts a JOIN accounts c USING (platform, account_id)
               WHERE list_contains(a.urls, ?) AND a."group" = 'breaking_news'""".replace(
                "{t}", e["time"]
            ),
            [e["headline"], e["url"]],
        )
        assert n > 250 and within_10 > 0.4 * n and zones > 10 and copies > 50


def test_activists_post_one_hashtag_together_and_reshare_each_other(con, world):
    slots = json.loads((world / "truth" / "negatives.json").read_text())["activist_campaign"][
        "slots"
    ]
    for slot in slots:
        n = one(
            con,
            """SELECT count(DISTINCT account_id) FROM acts WHERE "group" = 'activist_campaign'
               AND list_contains(hashtags, 'savetheoder')
               AND time BETWEEN TIMESTAMPTZ '{t}' AND TIMESTAMPTZ '{t}' + INTERVAL 1 HOUR""".replace(
                "{t}", slot
            ),
        )[0]
        assert n > 100
    inside = one(
        con,
        """SELECT count(*) FROM acts r JOIN acts p ON p.platform = r.platform AND p.activity_id = r.parent_activity_id
           WHERE r."group" = 'activist_campaign' AND p."group" = 'activist_campaign' AND r.kind = 'share'""",
    )[0]
    assert inside > 50


def test_news_bots_post_the_same_headline_within_seconds_around_the_clock(con):
    pairs = one(
        con,
        """SELECT count(*) FROM acts a JOIN acts b ON a.text = b.text AND a.account_id < b.account_id
           WHERE a."group" = 'news_bots' AND b."group" = 'news_bots' AND abs(epoch(a.time) - epoch(b.time)) < 180""",
    )[0]
    assert pairs > 100
    hours = one(con, "SELECT count(DISTINCT hour(time)) FROM acts WHERE \"group\" = 'news_bots'")[0]
    assert hours == 24
    bios = [
        r[0]
        for r in rows(
            con,
            "SELECT description FROM accounts JOIN truth USING (platform, account_id) WHERE \"group\" = 'news_bots'",
        )
    ]
    assert all("Automated" in b for b in bios)


def test_fandom_floods_a_hashtag_and_reshares_itself(con, world):
    floods = json.loads((world / "truth" / "negatives.json").read_text())["fandom"]["floods"]
    for start in floods:
        n, fans = one(
            con,
            """SELECT count(*), count(DISTINCT account_id) FROM acts WHERE "group" = 'fandom'
               AND list_contains(hashtags, 'nova7_comeback')
               AND time BETWEEN TIMESTAMPTZ '{t}' AND TIMESTAMPTZ '{t}' + INTERVAL 3 HOUR""".replace(
                "{t}", start
            ),
        )
        assert n > 1000 and fans > 200
        own, shares = one(
            con,
            """SELECT count(*) FILTER (WHERE p."group" = 'fandom'), count(*)
               FROM acts r JOIN acts p ON p.platform = r.platform AND p.activity_id = r.parent_activity_id
               WHERE r."group" = 'fandom' AND r.kind = 'share'
                 AND r.time BETWEEN TIMESTAMPTZ '{t}' AND TIMESTAMPTZ '{t}' + INTERVAL 5 HOUR""".replace(
                "{t}", start
            ),
        )
        assert own > 0.5 * shares > 50
