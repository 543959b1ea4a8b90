"""Operator teams, delay shapes and single-shot throwaway accounts: each knob is checked on
the store (what a detector sees), with the ground truth only to say whose rows to look at.
The worlds are the small scenario with fewer people, no hard negatives and only the
operation under test, so each builds in about a second."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from unmask.simulate.scenario import Negatives, ScenarioError, load_scenario, parse_scenario
from unmask.simulate.world import simulate
from unmask.store import Store

SPAM, DOPP, CAREFUL = "spamouflage-1", "doppelganger-1", "careful-1"


def build(out: Path, op_id: str, tweak: Callable | None = None, seed: int = 1) -> Path:
    sc = load_scenario("small")
    sc.population.users = 600
    sc.negatives = Negatives()
    sc.operations = [o for o in sc.operations if o.id == op_id]
    assert sc.operations, op_id
    if tweak is not None:
        tweak(sc.operations[0])
    sc.check()
    simulate(out, sc, seed=seed)
    return out


def connect(world: Path):
    c = Store(world / "store").connect()
    c.execute(f"CREATE VIEW truth AS SELECT * FROM read_parquet('{world}/truth/accounts.parquet')")
    c.execute(
        """CREATE VIEW acts AS SELECT a.*, t.operation_id, t.role
           FROM activities a JOIN truth t USING (platform, account_id)"""
    )
    return c


def op_truth(world: Path, op_id: str) -> dict:
    ops = json.loads((world / "truth" / "operations.json").read_text())["operations"]
    return next(o for o in ops if o["id"] == op_id)


def clean_copies(o) -> None:
    """Copies that are byte-identical, each task with its own video link (one key per task),
    which one of the operation's YouTube channels posts first, at the task's start."""
    o.typo_rate = o.headline_rate = o.evasion.paraphrase_rate = 0.0
    o.link_rate = 1.0
    o.evasion.camouflage = 0.0


def task_groups(con, op_id: str) -> dict[str, list[tuple[int, str]]]:
    """Each task's copies (keyed by its video link): (epoch seconds, account) in time order."""
    out: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for url, t, acct in con.execute(
        """SELECT urls[1], epoch(time)::BIGINT, account_id FROM acts
           WHERE operation_id = ? AND kind = 'post' AND len(urls) = 1
           ORDER BY time, account_id""",
        [op_id],
    ).fetchall():
        out[url].append((t, acct))
    return out


def components(groups) -> list[set[str]]:
    """Connected components of the co-posting graph (accounts joined by a shared task)."""
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        while parent.setdefault(a, a) != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for members in groups:
        members = list(members)
        for b in members[1:]:
            parent[find(b)] = find(members[0])
        find(members[0])
    comp: dict[str, set[str]] = defaultdict(set)
    for a in parent:
        comp[find(a)].add(a)
    return list(comp.values())


# -- worlds ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(tmp_path_factory) -> Path:
    """Today's tactics (no teams, exponential delays), with clean copies."""
    return build(tmp_path_factory.mktemp("plain"), SPAM, clean_copies)


@pytest.fixture(scope="module")
def teams_world(tmp_path_factory) -> Path:
    def tweak(o):
        clean_copies(o)
        o.teams.count, o.teams.size, o.teams.turnout = 6, [10, 20], 0.6

    return build(tmp_path_factory.mktemp("teams"), SPAM, tweak)


# -- operator teams --------------------------------------------------------------------


def test_teams_post_together_task_after_task_and_never_with_another_team(teams_world):
    truth = op_truth(teams_world, SPAM)
    teams = truth["teams"]
    assert len(teams) == 6
    team_of = {a: i for i, t in enumerate(teams) for a in t["accounts"]}
    assert len(team_of) == sum(t["size"] for t in teams)  # disjoint
    assert all(t["posters"] > 0 and t["amplifiers"] > 0 for t in teams)
    con = connect(teams_world)
    groups = task_groups(con, SPAM)
    assert len(groups) > 80
    same, cross = Counter(), 0
    for copies in groups.values():
        authors = sorted({a for _, a in copies})
        assert all(a in team_of for a in authors)
        cross += len({team_of[a] for a in authors}) > 1
        for pair in combinations(authors, 2):
            same[pair] += 1
    assert cross == 0  # no task was posted by two teams
    # The same accounts act together again and again.
    assert np.median(list(same.values())) >= 4
    comps = components({a for _, a in c} for c in groups.values())
    assert len(comps) == 6
    assert all(len({team_of[a] for a in c}) == 1 for c in comps)
    # Amplifiers like, comment and share their own team's posts only.
    pairs = con.execute(
        """SELECT r.account_id, p.account_id FROM acts r
           JOIN acts p ON p.platform = r.platform AND p.activity_id = r.parent_activity_id
           WHERE r.operation_id = ? AND r.role = 'amplifier' AND p.operation_id = ?""",
        [SPAM, SPAM],
    ).fetchall()
    assert len(pairs) > 500
    assert all(team_of[a] == team_of[b] for a, b in pairs)
    con.close()


def test_a_teams_throwaways_post_only_its_tasks(tmp_path):
    def tweak(o):
        clean_copies(o)
        o.teams.count, o.teams.size, o.teams.turnout = 4, [10, 20], 0.6
        o.evasion.single_shot = 0.5

    world = build(tmp_path, SPAM, tweak)
    truth = op_truth(world, SPAM)
    teams = truth["teams"]
    assert sum(t["throwaways"] for t in teams) == truth["throwaway_accounts"] > 50
    team_of = {a: i for i, t in enumerate(teams) for a in t["accounts"]}
    assert all(t["size"] == t["posters"] + t["amplifiers"] + t["throwaways"] for t in teams)
    con = connect(world)
    groups = task_groups(con, SPAM)
    assert all(len({team_of[a] for _, a in c}) == 1 for c in groups.values())
    uses = Counter(a for c in groups.values() for _, a in c)
    throw = {a for t in teams for a in t["accounts"][t["posters"] + t["amplifiers"] :]}
    assert throw <= set(uses) and max(uses[a] for a in throw) <= 2
    con.close()


def test_without_teams_every_poster_may_copy_with_every_other(plain):
    assert "teams" not in op_truth(plain, SPAM)
    con = connect(plain)
    groups = task_groups(con, SPAM)
    comps = components({a for _, a in c} for c in groups.values())
    biggest = max(len(c) for c in comps)
    assert biggest > 0.95 * sum(len(c) for c in comps)  # one co-posting network
    con.close()


def test_careful_teams_post_the_days_message_together(tmp_path):
    def tweak(o):
        o.evasion.paraphrase_rate = 0.0
        o.link_rate = 0.0
        o.teams.count, o.teams.size, o.teams.turnout = 3, [6, 10], 0.8

    world = build(tmp_path, CAREFUL, tweak)
    teams = op_truth(world, CAREFUL)["teams"]
    team_of = {a: i for i, t in enumerate(teams) for a in t["accounts"]}
    assert len(teams) == 3 and len(team_of) == op_truth(world, CAREFUL)["accounts"]
    con = connect(world)
    texts = con.execute(
        """SELECT text, list(DISTINCT account_id), count(*) FROM acts
           WHERE operation_id = ? AND kind = 'post' GROUP BY text HAVING count(*) > 1""",
        [CAREFUL],
    ).fetchall()
    assert len(texts) >= 12  # the days' messages (chatter is never repeated)
    same = Counter()
    for _, authors, _ in texts:
        assert len({team_of[a] for a in authors}) == 1
        for pair in combinations(sorted(authors), 2):
            same[pair] += 1
    assert np.mean(list(same.values())) >= 2
    con.close()


# -- delay shapes ----------------------------------------------------------------------


def test_wait_burst_copies_wait_then_come_in_a_tight_burst(tmp_path, plain):
    def tweak(o):
        clean_copies(o)
        o.evasion.delay_shape, o.evasion.delay_wait_s = "wait_burst", 3600.0

    world = build(tmp_path, SPAM, tweak)
    con = connect(world)
    gaps, spans = [], []
    for copies in task_groups(con, SPAM).values():
        if len(copies) >= 3:
            t = [x for x, _ in copies]
            gaps.append(t[1] - t[0])
            spans.append(t[-1] - t[1])
    assert len(gaps) > 80
    # The channel posts the video at the task's start; every copy waits at least the wait.
    assert min(gaps) >= 3600
    # …then they all come within a burst of a tenth of timing_jitter_s (600 s).
    assert np.quantile(spans, 0.9) < 600
    # Amplification waits too.
    waits = [
        r[0]
        for r in con.execute(
            """SELECT epoch(r.time) - epoch(p.time) FROM acts r
               JOIN acts p ON p.platform = r.platform AND p.activity_id = r.parent_activity_id
               WHERE r.operation_id = ? AND p.operation_id = ?""",
            [SPAM, SPAM],
        ).fetchall()
    ]
    assert len(waits) > 500 and min(waits) >= 3600
    con.close()
    # Exponential delays (today): copies follow the start at once and spread out.
    con = connect(plain)
    pg, ps = [], []
    for copies in task_groups(con, SPAM).values():
        if len(copies) >= 3:
            t = [x for x, _ in copies]
            pg.append(t[1] - t[0])
            ps.append(t[-1] - t[1])
    assert np.median(pg) < 600 and np.median(ps) > 3 * np.median(spans)
    con.close()


def _habits(world: Path) -> tuple[float, float]:
    """Per account (≥ 5 copies): the median log-delay of its copies after the task's first
    post. Returns (spread of those medians across accounts, median spread within one)."""
    con = connect(world)
    delays: dict[str, list[float]] = defaultdict(list)
    for copies in task_groups(con, SPAM).values():
        t0 = copies[0][0]
        for t, a in copies[1:]:
            delays[a].append(np.log(max(t - t0, 1)))
    con.close()
    per = [np.array(v) for v in delays.values() if len(v) >= 5]
    assert len(per) > 30
    across = float(np.std([np.median(v) for v in per]))
    within = float(np.median([np.std(v) for v in per]))
    return across, within


def test_per_operator_delays_are_habits_of_each_account(tmp_path, plain):
    def tweak(o):
        clean_copies(o)
        o.evasion.delay_shape = "per_operator"

    across, within = _habits(build(tmp_path, SPAM, tweak))
    assert across > 2 * within  # accounts differ, each keeps its own pace
    across0, within0 = _habits(plain)
    assert across0 < within0  # exponential: every delay drawn anew


# -- single-shot throwaway accounts ----------------------------------------------------


def test_single_shot_spamouflage_posts_come_from_throwaways_used_once_or_twice(tmp_path):
    def tweak(o):
        o.evasion.single_shot = 1.0

    world = build(tmp_path, SPAM, tweak)
    n = op_truth(world, SPAM)["throwaway_accounts"]
    con = connect(world)
    start = con.execute("SELECT min(time) FROM acts WHERE operation_id = ?", [SPAM]).fetchone()[0]
    # Every poster account with posts acted at most twice, all of it posting.
    per = con.execute(
        """SELECT a.account_id, count(*), count(*) FILTER (WHERE a.kind = 'post')
           FROM acts a JOIN accounts c USING (platform, account_id)
           WHERE a.operation_id = ? AND a.role = 'poster' AND c.kind = 'account'
           GROUP BY 1 HAVING count(*) FILTER (WHERE a.kind = 'post') > 0""",
        [SPAM],
    ).fetchall()
    assert len(per) == n > 100
    assert all(k <= 2 and posts == k for _, k, posts in per)
    assert Counter(k for _, k, _ in per).keys() == {1, 2}
    # The throwaways were made within a day of their first post; every one of them acts.
    fresh = con.execute(
        """SELECT count(DISTINCT c.account_id), count(DISTINCT a.account_id) FROM accounts c
           JOIN truth t USING (platform, account_id)
           LEFT JOIN activities a USING (platform, account_id)
           WHERE t.operation_id = ? AND t.role = 'poster' AND c.kind = 'account'
             AND c.created_at >= ? - INTERVAL 1 DAY""",
        [SPAM, start],
    ).fetchone()
    assert fresh == (n, n)
    lag = con.execute(
        """SELECT min(epoch(f) - epoch(c)), max(epoch(f) - epoch(c)) FROM (
             SELECT c.created_at AS c, min(a.time) AS f FROM acts a
             JOIN accounts c USING (platform, account_id)
             WHERE a.operation_id = ? AND a.role = 'poster' AND c.kind = 'account'
             GROUP BY a.account_id, c.created_at HAVING bool_and(a.kind = 'post'))""",
        [SPAM],
    ).fetchone()
    assert lag[0] >= 3600 and lag[1] < 3 * 86_400
    no_picture = con.execute(
        """SELECT count(*) FILTER (WHERE c.profile_image_hash IS NULL), count(*)
           FROM accounts c JOIN truth t USING (platform, account_id)
           WHERE t.operation_id = ? AND t.role = 'poster' AND c.kind = 'account'
             AND c.created_at >= ? - INTERVAL 1 DAY""",
        [SPAM, start],
    ).fetchone()
    assert no_picture[0] == no_picture[1] == n
    con.close()


def test_single_shot_doppelganger_accounts_post_once_or_twice_then_fall_silent(tmp_path):
    def tweak(o):
        o.evasion.single_shot = 0.5

    world = build(tmp_path, DOPP, tweak)
    truth = op_truth(world, DOPP)
    n = truth["throwaway_accounts"]
    assert n == sum(w["throwaway_accounts"] for w in truth["waves"])
    total = truth["accounts"]
    assert 0.3 * total < n < 0.7 * total
    con = connect(world)
    per = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE kind = 'reaction'),
                  epoch(max(time)) - epoch(min(time))
           FROM acts WHERE operation_id = ? GROUP BY account_id""",
        [DOPP],
    ).fetchall()
    assert len(per) == total  # every account acts
    short = [r for r in per if r[0] <= 2 and r[1] == 0 and r[2] <= 3600]
    assert n <= len(short) <= 1.1 * n + 3
    con.close()


def test_default_knobs_leave_the_truth_without_teams_or_throwaways(plain):
    truth = op_truth(plain, SPAM)
    assert "teams" not in truth and "throwaway_accounts" not in truth
    ev = truth["parameters"]["evasion"]
    assert (ev["delay_shape"], ev["single_shot"]) == ("exponential", 0.0)


# -- scenario errors -------------------------------------------------------------------

BASE = """
[world]
days = 3
[[population.regions]]
name = "r"
utc_offset = "+00:00"
weight = 1.0
languages = { en = 1.0 }
[[operations]]
id = "op"
type = "%s"
%s
"""


@pytest.mark.parametrize(
    ("kind", "body", "key"),
    [
        ("spamouflage", '[operations.evasion]\ndelay_shape = "steady"', "evasion.delay_shape"),
        ("spamouflage", "[operations.evasion]\nsingle_shot = 1.5", "evasion.single_shot"),
        ("spamouflage", "[operations.evasion]\ndelay_wait_s = -1.0", "evasion.delay_wait_s"),
        ("spamouflage", "[operations.teams]\ncount = -1", "teams.count"),
        ("careful", "[operations.teams]\nsize = [9, 3]", "teams.size"),
        ("careful", "[operations.teams]\nturnout = 2.0", "teams.turnout"),
        ("careful", "[operations.evasion]\nsingle_shot = 0.2", "evasion.single_shot"),
        ("doppelganger", "[operations.teams]\ncount = 3", "teams"),
    ],
)
def test_bad_knobs_name_the_key(kind, body, key):
    with pytest.raises(ScenarioError, match=rf"operations\[0\]\.{key}"):
        parse_scenario(BASE % (kind, body))


def test_team_keys_left_out_keep_their_defaults():
    sc = parse_scenario(BASE % ("spamouflage", "[operations.teams]\ncount = 4"))
    teams = sc.operations[0].teams
    assert (teams.count, teams.size, teams.turnout) == (4, [5, 15], 0.8)
