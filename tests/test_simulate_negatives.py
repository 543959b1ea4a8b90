"""Hard negatives with several kinds of evidence at once (a newsroom, a marketing agency,
a campaign's volunteers): each behaves as described, checked on the store a detector sees
(the ground truth only says whose rows to look at)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from unmask.simulate.content import CAMPAIGN_TOOLKIT
from unmask.simulate.scenario import ScenarioError, load_scenario, parse_scenario
from unmask.simulate.world import simulate
from unmask.store import Store

# `small` has the three groups; the test makes the volunteers' sign-up event fall inside the
# world (day 1), so that the guard against activity before an account exists is exercised.
SECTIONS = """
[negatives.newsroom]
staff = 40
region = "uk"
office_network_share = 0.7
share_rate = 0.35
median_delay_minutes = 8.0

[negatives.marketing_agency]
clients = 8
region = "us_east"
posts_per_client_day = 1.5
cross_promote_rate = 0.3

[negatives.campaign_volunteers]
volunteers = 80
region = "us_east"
event_day = 1
event_time = "19:00"
signup_minutes = 45.0
event_wifi_share = 0.6
days = [3, 7, 10]
local_times = ["12:00", "20:00"]
window_minutes = 30.0
"""


WITHOUT = """
[negatives]
newsroom = false
marketing_agency = false
campaign_volunteers = false
"""


def _scenario(extra: str = SECTIONS):
    sc = parse_scenario('extends = "small"\n' + extra, "negatives-test")
    sc.operations = []  # not needed here; keeps the world fast
    return sc


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("negatives")
    simulate(out, _scenario(), seed=2)
    return out


@pytest.fixture(scope="module")
def con(world):
    c = Store(world / "store").connect()
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{world}/truth/accounts.parquet')")
    c.execute(
        """CREATE VIEW acts AS SELECT a.*, t."group"
           FROM activities a JOIN truth t USING (platform, account_id)"""
    )
    c.execute(
        """CREATE VIEW accs AS SELECT a.*, t."group"
           FROM accounts a JOIN truth t USING (platform, account_id)"""
    )
    c.execute(
        """CREATE VIEW infra AS SELECT i.*, t."group"
           FROM infrastructure i JOIN truth t USING (platform, account_id)"""
    )
    yield c
    c.close()


@pytest.fixture(scope="module")
def truth(world) -> dict:
    return json.loads((world / "truth" / "negatives.json").read_text())


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()


def rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def test_groups_are_disjoint_and_recorded(con, truth):
    counts = dict(
        rows(con, 'SELECT "group", count(*) FROM truth WHERE "group" IS NOT NULL GROUP BY 1')
    )
    assert counts["newsroom"] == truth["newsroom"]["accounts"] == 40
    assert counts["marketing_agency"] == truth["marketing_agency"]["accounts"] == 8 * 4
    assert counts["campaign_volunteers"] == truth["campaign_volunteers"]["accounts"] == 80
    # The older groups keep their members (carving is disjoint).
    for g in ("office_workers_utc8", "breaking_news", "activist_campaign", "fandom"):
        assert counts[g] > 0


# -- newsroom ----------------------------------------------------------------------------


def test_newsroom_shares_its_outlets_articles_within_minutes(con, truth):
    outlet = truth["newsroom"]["outlet"]
    assert outlet == "reuters.com"  # the first English outlet, for a UK newsroom
    bios = [r[0] for r in rows(con, "SELECT description FROM accs WHERE \"group\" = 'newsroom'")]
    assert all(outlet in b for b in bios)
    # The same article by several journalists, within minutes of each other.
    spread = rows(
        con,
        """SELECT u, count(DISTINCT account_id), epoch(max(time)) - epoch(min(time))
           FROM (SELECT unnest(urls) u, account_id, time FROM acts
                 WHERE "group" = 'newsroom' AND kind = 'post' AND list_contains(domains, ?))
           GROUP BY u HAVING count(DISTINCT account_id) >= 3""",
        [outlet],
    )
    assert len(spread) >= 20
    fast = [s for _, _, s in spread if s <= 60 * 60]
    assert len(fast) / len(spread) > 0.6
    # Often with the outlet's headline: the same words before the link, across people.
    copies = one(
        con,
        """SELECT count(*) FROM (
             SELECT regexp_replace(text, ' https?://\\S+$', '') head, count(DISTINCT account_id) n
             FROM acts WHERE "group" = 'newsroom' AND list_contains(domains, ?)
             GROUP BY 1 HAVING n >= 2)""",
        [outlet],
    )[0]
    assert copies >= 10
    assert truth["newsroom"]["articles_shared"] > 200


def test_newsroom_works_office_hours_from_the_office_network(con, truth):
    outlet = truth["newsroom"]["outlet"]
    # UK: local time is UTC. Their outlet's links come on working days, in office hours.
    weekend, off_hours, n = one(
        con,
        """SELECT count(*) FILTER (WHERE isodow(time) >= 6),
                  count(*) FILTER (WHERE hour(time) * 60 + minute(time) NOT BETWEEN 480 AND 1170),
                  count(*)
           FROM acts WHERE "group" = 'newsroom' AND kind = 'post' AND list_contains(domains, ?)""",
        [outlet],
    )
    assert n > 200 and weekend == 0
    assert off_hours / n < 0.05  # only shares of an article from the last minutes of a shift
    # All their posts lean to weekday office hours, far more than other people of the region.
    share = """SELECT avg(CASE WHEN isodow(time) <= 5 AND hour(time) BETWEEN 9 AND 17
                               THEN 1.0 ELSE 0.0 END)
               FROM acts a JOIN accs USING (platform, account_id)
               WHERE a."group" = ? AND a.kind = 'post' AND accs.location IN
                     ('London', 'Manchester', 'Leeds', 'GB')"""
    staff = one(
        con,
        """SELECT avg(CASE WHEN isodow(time) <= 5 AND hour(time) BETWEEN 9 AND 17
                           THEN 1.0 ELSE 0.0 END)
           FROM acts WHERE "group" = 'newsroom' AND kind = 'post'""",
    )[0]
    ordinary = one(con, share, ["ordinary"])[0]
    assert staff > 0.6 and staff > ordinary + 0.25
    # Most signed up from one office block, on a few egress addresses, on ordinary devices.
    block = truth["newsroom"]["office_block"].removesuffix("0/24")
    office, ips, devices = one(
        con,
        """SELECT count(*), count(DISTINCT ip), count(DISTINCT device) FROM infra
           WHERE "group" = 'newsroom' AND starts_with(ip, ?)""",
        [block],
    )
    assert office == truth["newsroom"]["office_accounts"]
    assert 20 <= office < 40 and ips <= 8 and devices >= 4
    assert one(con, "SELECT count(*) FROM infra WHERE starts_with(ip, ?)", [block])[0] == office
    # Colleagues follow each other (about half of those on their platform).
    pairs, follows = one(
        con,
        """WITH s AS (SELECT platform, account_id FROM truth WHERE "group" = 'newsroom')
           SELECT (SELECT sum(n * (n - 1)) FROM (SELECT count(*) n FROM s GROUP BY platform)),
                  (SELECT count(*) FROM follows f
                   SEMI JOIN s a ON a.platform = f.platform AND a.account_id = f.follower_id
                   SEMI JOIN s b ON b.platform = f.platform AND b.account_id = f.followee_id)""",
    )
    assert 0.35 < follows / pairs < 0.7


# -- marketing agency --------------------------------------------------------------------


def test_agency_posts_templates_on_quarter_hours_of_working_days(con, truth):
    clients = [c["name"] for c in truth["marketing_agency"]["clients"]]
    names = {
        r[0]
        for r in rows(con, "SELECT display_name FROM accs WHERE \"group\" = 'marketing_agency'")
    }
    assert names == set(clients)
    old = one(
        con,
        """SELECT count(*) FROM accs WHERE "group" = 'marketing_agency'
           AND created_at > TIMESTAMP '2024-03-04' - INTERVAL 365 DAY""",
    )[0]
    assert old == 0  # aged brand accounts
    # A scheduling tool: quarter hours (within seconds), working days, office hours (UTC-5).
    local = "(time - INTERVAL 5 HOUR)"
    n, off_grid, weekend, outside = one(
        con,
        f"""SELECT count(*),
                   count(*) FILTER (WHERE minute(time) % 15 <> 0 OR second(time) >= 20),
                   count(*) FILTER (WHERE isodow({local}) >= 6),
                   count(*) FILTER (WHERE hour({local}) < 8 OR hour({local}) >= 19)
            FROM acts WHERE "group" = 'marketing_agency'""",
    )
    assert n > 300 and (off_grid, weekend, outside) == (0, 0, 0)
    # Templates with the client's name swapped in: the same text for many clients.
    texts = rows(
        con,
        """SELECT display_name, text FROM acts a JOIN accs USING (platform, account_id)
           WHERE a."group" = 'marketing_agency' AND a.kind = 'post'""",
    )
    by_template: dict[str, set[str]] = {}
    for name, text in texts:
        norm = text.replace(name, "{client}")
        norm = re.sub(r"https?://\S+|#\S+|\d+", "", norm).strip()
        by_template.setdefault(norm, set()).add(name)
    shared = [t for t, who in by_template.items() if len(who) >= 5]
    assert len(shared) >= 4
    assert sum(len(w) for w in by_template.values()) / len(by_template) >= 4
    # They share each other's posts, also on the tool's quarter hours.
    promos = one(
        con,
        """SELECT count(*), count(*) FILTER (WHERE minute(s.time) % 15 <> 0)
           FROM acts s JOIN truth t ON t.platform = s.platform AND t.account_id = s.parent_account_id
           WHERE s."group" = 'marketing_agency' AND s.kind = 'share'
             AND t."group" = 'marketing_agency' AND s.account_id <> s.parent_account_id""",
    )
    assert promos[0] >= 20 and promos[1] == 0
    assert promos[0] == truth["marketing_agency"]["cross_promotions"]


def test_agency_accounts_signed_up_in_one_office_on_few_devices(con, truth):
    blocks, ips, devices, emails = one(
        con,
        """SELECT count(DISTINCT regexp_replace(ip, '\\.\\d+$', '')), count(DISTINCT ip),
                  count(DISTINCT device), count(DISTINCT email_domain)
           FROM infra WHERE "group" = 'marketing_agency'""",
    )
    assert blocks == 1 and ips <= 4 and devices <= 3
    assert emails <= 8 + 1  # the clients' own domains and the agency's
    block = truth["marketing_agency"]["office_block"].removesuffix("0/24")
    assert (
        one(
            con,
            'SELECT count(*) FROM infra WHERE starts_with(ip, ?) AND "group" <> ?',
            [block, "marketing_agency"],
        )[0]
        == 0
    )
    # Real followers: people follow the brands.
    assert one(con, "SELECT min(followers) FROM accs WHERE \"group\" = 'marketing_agency'")[0] >= 20


# -- campaign volunteers -----------------------------------------------------------------


def test_volunteers_signed_up_together_at_the_event(con, truth):
    start, end, n = one(
        con,
        """SELECT min(created_at), max(created_at), count(*) FROM accs
           WHERE "group" = 'campaign_volunteers'""",
    )
    assert n == 80
    assert (end - start).total_seconds() <= 45 * 60
    # Day 1, 19:00 in UTC-5: 2024-03-06 00:00 UTC.
    assert start.isoformat().startswith("2024-03-06T00:")
    wifi = truth["campaign_volunteers"]["event_wifi_ip"]
    shared = one(
        con,
        "SELECT count(*) FILTER (WHERE \"group\" = 'campaign_volunteers'), count(*) FROM infra WHERE ip = ?",
        [wifi],
    )
    assert shared[0] == shared[1] == truth["campaign_volunteers"]["event_wifi_accounts"]
    assert shared[0] >= 30
    # Nothing of theirs comes before their account: no activity, no follows either way.
    early = one(
        con,
        """SELECT count(*) FROM acts a JOIN accs c USING (platform, account_id)
           WHERE a."group" = 'campaign_volunteers' AND a.time < c.created_at""",
    )[0]
    assert early == 0
    early_follows = one(
        con,
        """SELECT count(*) FROM follows f JOIN accs c
             ON c.platform = f.platform AND c.account_id IN (f.follower_id, f.followee_id)
           WHERE c."group" = 'campaign_volunteers' AND f.time < c.created_at""",
    )[0]
    assert early_follows == 0
    # They follow each other, mostly within hours of the event.
    within, n_follows = one(
        con,
        """WITH v AS (SELECT platform, account_id, created_at FROM accs
                      WHERE "group" = 'campaign_volunteers')
           SELECT count(*) FILTER (WHERE f.time < b.created_at + INTERVAL 6 HOUR), count(*)
           FROM follows f
           JOIN v a ON a.platform = f.platform AND a.account_id = f.follower_id
           JOIN v b ON b.platform = f.platform AND b.account_id = f.followee_id""",
    )
    # The rest are ordinary follows between them (in small at seed 2: 147 of 184 within six
    # hours since the fan club and the vendor's customers were carved first; 0.8 before).
    assert n_follows >= 100 and within / n_follows > 0.75
    # They live on after the event: ordinary posts too.
    assert (
        one(
            con,
            "SELECT count(*) FROM acts WHERE \"group\" = 'campaign_volunteers' AND NOT list_contains(hashtags, 'whitfield4senate')",
        )[0]
        > 50
    )


def test_volunteers_post_the_toolkit_at_the_announced_times(con, truth):
    slots = truth["campaign_volunteers"]["slots"]
    assert len(slots) == 6  # days 3, 7, 10 at 12:00 and 20:00
    posts = rows(
        con,
        """SELECT time, text FROM acts WHERE "group" = 'campaign_volunteers' AND kind = 'post'
           AND list_contains(hashtags, 'whitfield4senate')""",
    )
    assert len(posts) >= 0.6 * 80 * len(slots)
    from datetime import datetime

    starts = [datetime.fromisoformat(s) for s in slots]
    for t, _ in posts:
        assert any(0 <= (t - s).total_seconds() <= 30 * 60 for s in starts), t
    # The campaign's few toolkit texts (some with a word of one's own before), by many.
    kit = [x.format(tag="#Whitfield4Senate") for xs in CAMPAIGN_TOOLKIT.values() for x in xs]
    used = {next(k for k in kit if x.endswith(k)) for _, x in posts}
    assert len(used) >= 5
    reshares = one(
        con,
        """SELECT count(*) FROM acts s JOIN truth t
             ON t.platform = s.platform AND t.account_id = s.parent_account_id
           WHERE s."group" = 'campaign_volunteers' AND s.kind = 'share'
             AND t."group" = 'campaign_volunteers'""",
    )[0]
    assert reshares >= 50


# -- scenario keys -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[negatives.newsroom]\noutlet = "nowhere.example"', "negatives.newsroom.outlet"),
        ('[negatives.newsroom]\nregion = "mars"', "negatives.newsroom.region"),
        ('[negatives.newsroom]\nhours = ["18:00", "09:00"]', "negatives.newsroom.hours"),
        ("[negatives.newsroom]\nshare_rate = 2.0", "negatives.newsroom.share_rate"),
        ('[negatives.marketing_agency]\nregion = "mars"', "negatives.marketing_agency.region"),
        (
            "[negatives.marketing_agency]\ncross_promote_rate = -1.0",
            "negatives.marketing_agency.cross_promote_rate",
        ),
        (
            "[negatives.campaign_volunteers]\nevent_day = 14",
            "negatives.campaign_volunteers.event_day",
        ),
        (
            '[negatives.campaign_volunteers]\nlocal_times = ["25:00"]',
            "negatives.campaign_volunteers.local_times",
        ),
        (
            "[negatives.campaign_volunteers]\nevent_wifi_share = 1.5",
            "negatives.campaign_volunteers.event_wifi_share",
        ),
    ],
)
def test_new_sections_are_checked(extra, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        _scenario("\n" + extra + "\n")


def test_new_sections_can_be_left_out():
    sc = _scenario(WITHOUT)
    assert sc.negatives.newsroom is None
    assert sc.negatives.marketing_agency is None
    assert sc.negatives.campaign_volunteers is None
    small = load_scenario("small")  # the built-in worlds have them
    assert small.negatives.newsroom and small.negatives.marketing_agency
    assert small.negatives.campaign_volunteers


def test_shared_networks_touch_only_their_groups(world, con, tmp_path):
    """The office blocks and the event's Wi-Fi are written over the group's own sign-ups:
    everyone else's records are those of the same world without the three sections."""
    simulate(tmp_path / "plain", _scenario(WITHOUT), seed=2)
    c = Store(tmp_path / "plain" / "store").connect()
    cols = "platform, account_id, time, ip, device, email_domain, phone_country"
    # A follower vendor's accounts are numbered after everyone else's, so the agency's new
    # accounts renumber them (ids and hashed sign-ups): they are compared by count only.
    truth = tmp_path / "plain" / "truth" / "accounts.parquet"
    plain = set(
        c.execute(
            f"""SELECT {cols} FROM infrastructure JOIN read_parquet('{truth}') t
                USING (platform, account_id) WHERE t."group" <> 'follower_vendor'"""
        ).fetchall()
    )
    vendor = c.execute(
        f"""SELECT count(*) FROM read_parquet('{truth}') WHERE "group" = 'follower_vendor'"""
    ).fetchone()[0]
    c.close()
    others = set(
        rows(
            con,
            f"""SELECT {cols} FROM infra WHERE "group" NOT IN
                ('newsroom', 'marketing_agency', 'campaign_volunteers', 'follower_vendor')""",
        )
    )
    assert vendor == one(con, """SELECT count(*) FROM infra WHERE "group" = 'follower_vendor'""")[0]
    assert others and others <= plain
    assert len(plain - others) == 40 + 80  # the journalists and the volunteers, as people
