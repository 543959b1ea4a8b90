"""The calibrated judgement: how likely a coordinated cluster is an inauthentic operation
rather than an open crowd.

Coordination is not inauthenticity. Fans flood a hashtag, a newsroom's staff share their
outlet's articles within minutes, volunteers made their accounts together at one event,
an agency runs many brands from one office: each shows two or more kinds of evidence, and a
count of families ("two agree") flags them all. What tells an operation from such a crowd
is what the operation cannot buy: an audience. Covert operations are engaged mostly by
each other (Spamouflage's posts drew almost all their engagement from its own accounts,
Nimmo et al. 2019–2023; the Breakout Scale, Nimmo 2020), while open crowds are answered,
shared and followed by people outside them.

So each cluster gets :data:`FEATURES`, all cheap aggregates over the store and the
signals' evidence (one scan of the activities for the engagement figures, one of the
accounts for their age):

* the support of each family (the share of the cluster's accounts it vouches for, as in
  :mod:`unmask.assess`);
* ``linked_engagement``: the share of the engagement its posts received that came from
  accounts the signals link (in this cluster or any other: an operation split into
  fragments still answers itself), missing when it received fewer than
  :data:`MIN_RECEIVED` engagements;
* ``unlinked_audience``: ``log1p`` of the distinct accounts no signal links that engaged
  with it, per member (an organic audience). Both are missing when the data does not hold
  the posts its engagements answer (:func:`engagement_measurable`);
* ``account_age``: the median of ``log10(1 + days)`` from each member's creation to its
  first activity in the data (missing when most members have no creation time);
* ``declared``: the share of members whose profile (its link or bio) names a site they
  link to, or whose handle is the site's name (a reporter's "Reporter at reuters.com",
  a brand ``@riversidepets`` linking ``riversidepets.com``): affiliation said in the open
  (missing, as is ``covert_sites``, when the data has no bios: :func:`bios_measurable`);
* ``covert_sites``: the share of members that push sites only they push
  (:mod:`unmask.signals.owned` vouches for them) and do not declare them: Doppelganger's
  spoofed outlets, a careful operation's own sites, against a brand's shop named in its
  profile. Platform hosts and link shorteners do not count (missing when no member
  has a profile link or bio);
* ``persistence``: of the days on which the cluster's members were active, the share on
  which they acted together (a co-share, a copy, a burst, a post for an own site: the
  events of the signals that make groups), a day counting when at least
  :data:`MIN_TAKING_PART` of the members active that day took part. An operation is a job, kept up day after day on
  a rota (the astroturfing agents of Keller et al. 2020 posted on office days for months);
  a crowd mobilises for an event and lives its own life the other days: the volunteers on
  their three call days, fans around a release. Counted over the members' own active days,
  not the data's, so that a store holding several collections of different spans does not
  dilute it. A day is the cluster's own, not UTC's: it begins in the middle of the
  :data:`NIGHT_HOURS` hours in which its members post least, their night. Volunteers
  called out at noon and 8 pm on the US east coast act at 17:00 and 01:00 UTC, so in UTC
  days their six call days were twelve and they "acted together" on 80 % of their days
  (the busy volunteers of ``crowds_busy``, flagged at 0.99); in their own days, 40 %
  (0.56 before ``new_audience``). Taking the lowest share over the 24 possible splits was
  tried and dropped: it also lowers an operation's share, by splitting its working day in
  two. Missing when the members' activity spans fewer than :data:`MIN_WINDOW_DAYS` days
  from first to last (in a three-day collection every group acts on "all" its days) or no
  event names the cluster's acts. The span, not the count of active days: a rota with its
  weekends off is active on ten days of a two-week collection, and counting those days
  left the small worlds' Spamouflage without the feature (held-out log loss of the fit
  0.145 → 0.129 with the span).
* ``new_audience``: ``unlinked_audience`` again, for a cluster whose accounts were new
  when they began (median ``account_age`` under :data:`NEW_ACCOUNT_AGE`, about a month);
  it does not apply to older accounts (:func:`not_applicable`). A real person's new
  account is answered by people who know them: the simulated campaign's volunteers, who
  made their accounts at a sign-up event, are engaged by 1.4-2.9 outside accounts each.
  An operation's new accounts are answered by each other (Spamouflage's: 0.1-0.35). An old
  account's audience may have come with it (the careful operation's bought accounts have
  years of history and their followers), so there it says nothing. In the simulator only
  the volunteers are new accounts with an audience, so its weight is learned from them;
  the busy volunteers of ``crowds_busy`` (left out of the fit) and probes of volunteers in
  other time zones and call patterns are its test. Before it, only ``persistence`` held
  the busy volunteers under the bar (0.55-0.56 at the evaluation seeds; 0.72-0.96 in the
  probes, where 11 to 101 of them were flagged).

* ``separate_owners``: the share of members that push owned sites (the units
  :mod:`unmask.signals.owned` finds owned, read from its events) as separate owners.
  Members are tied by the sites they push (two who push one site are tied; the ties
  chain); a tied set with at most one account on each platform is one owner's presence on
  several platforms (a shop's account on X and its page on Facebook linking the shop), and
  one with two or more accounts on one platform is a group. A marketing agency's brands
  each push their own client's shop from their own accounts (1.0); an operation's accounts
  push its sites together (Doppelganger's outlets, the careful operation's fronts,
  Spamouflage's channels: 0 in every operation cluster of the tuning worlds). 0 for a
  cluster that pushes no owned site, missing when the owned-sites signal did not run.
  Without profiles the agency (acting together every working day, engaged only by
  itself) had nothing else to tell it from an operation: the medium world's agency was
  flagged at 1.00, and 74 of the 323 authentic clusters of the tuning worlds reached
  ``likely`` with their profile features made missing. It is learned from that one
  simulated group, so it is fitted after the other features (:data:`STAGED`), on top of
  their log-odds and centred at 0: it can only clear a cluster, and moves no other
  weight. An operation that gives each persona a site of its own and never pushes
  another's would pass for separate owners.

A logistic model (:class:`Model`) turns them into a probability. It is fitted on the
simulator's worlds at the tuning seeds only (``benchmarks/fit_judgement.py``, which also
writes the provenance into the model file) and checked on worlds at other seeds
(reliability table in ``docs/evaluate.md``). A feature the data cannot give is *missing*,
not zero: the model was fitted with the same gaps made on purpose (:data:`GAPS`: exports
without sign-up records, follows, profiles or engagement), and a missing feature enters at
its training mean, so it argues neither way. Whether a missing feature could have decided
the cluster is :meth:`Model.upper`: the probability with every missing feature at the most
incriminating value seen in training. That is how :mod:`unmask.assess` tells "not
inauthentic" from "not assessed".

Tried and dropped: the size of the cluster (fandoms and operations are both large).
``declared`` can be gamed (an operation's front pages may name their own site); it is one
feature among several, and an operation that names its site in the open has given up the
cover that makes it covert.

References: D. R. Cox, "The regression analysis of binary sequences", JRSS B 1958
(logistic regression); A. Niculescu-Mizil & R. Caruana, "Predicting good probabilities with
supervised learning", ICML 2005 (reliability diagrams); B. Nimmo, "The Breakout Scale:
measuring the impact of influence operations", Brookings 2020; F. B. Keller, D. Schoch,
S. Stier & J. Yang, "Political astroturfing on Twitter: how to coordinate a disinformation
campaign", Political Communication 37(2), 2020 (the persistence of a principal's agents).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from unmask.engine.base import Engine
from unmask.engine.sql import literals

FAMILIES = ("coordination", "schedule", "audience", "identity", "infrastructure")
STORE_FEATURES = (
    "linked_engagement",
    "unlinked_audience",
    "account_age",
    "declared",
    "covert_sites",
    "persistence",
    "new_audience",
    "separate_owners",
)
# The signal whose vouching ``covert_sites`` reads (``unmask.signals.owned``).
OWNED_SIGNAL = "owned_domains"
FEATURES = (*FAMILIES, *STORE_FEATURES)
# The features that say something about whether accounts are authentic (who they are, who
# answers them, whether they hide what they push), as against how they act together
# (coordination, schedule, persistence). Without one of them no cluster is called
# inauthentic. The infrastructure family is not among them: it is measured from posted
# links alone (owned_domains) where an export has no sign-up records, and a page network
# that links its own sites every day is what a publisher's pages look like too (CooRTweet
# and CrowdTangle: 11 clusters called operations on persistence and that alone).
AUTHENTICITY = (
    "audience",
    "identity",
    "linked_engagement",
    "unlinked_audience",
    "account_age",
    "declared",
    "covert_sites",
    "new_audience",
)
# Fewer engagements than this and the echo-chamber share is too noisy to count.
MIN_RECEIVED = 10
# Below this share of engagements whose post is in the data (the real CooRTweet sets: 10 %;
# simulated worlds: 100 %), the data is one side of the conversation, and audiences are not
# measured (``engagement_measurable``).
MIN_PARENTS_IN_DATA = 0.5
# Below this share of accounts with a bio (simulated worlds: about 55 %; the real CrowdTangle
# and CooRTweet sets: none), whether accounts declare their sites is not measured.
MIN_BIOS = 0.2
# Accounts whose median ``account_age`` is below this (log10 of 1 + days: about a month)
# are new, and ``new_audience`` is their organic audience; older, it does not apply.
NEW_ACCOUNT_AGE = 1.5
# When a cluster's members' activity spans fewer days than this, first to last, how long it
# kept acting together cannot be told from how long the data lasts (``persistence``).
MIN_WINDOW_DAYS = 14
# A cluster acted together on a day (``persistence``) when at least this share of its
# members active that day took part in an act together: in a crowd of hundreds, two of them
# share something on almost any day. The 797 breaking-news sharers of the large world at
# seed 101 had two members acting together on 61 of their 62 days, a tenth of the day's
# active members on 4; operations' members take part on most of their days (Spamouflage's
# median 96-100 % of the day's active accounts, the careful operation's 40 %).
MIN_TAKING_PART = 0.1
# A cluster's days begin in the middle of the NIGHT_HOURS hours in which its members post
# least (``persistence``): a night, long enough that a few night owls do not move it.
NIGHT_HOURS = 7
# The gaps real exports have: each a set of features the data cannot give. The model is
# fitted on every cluster once whole and once with each gap.
GAPS: dict[str, tuple[str, ...]] = {
    "none": (),
    "no sign-up records": ("infrastructure",),
    "no follows": ("audience",),
    "no profiles": ("identity", "account_age", "declared", "covert_sites", "new_audience"),
    "no engagement": ("linked_engagement", "unlinked_audience", "new_audience"),
    "posts only": (
        "audience",
        "identity",
        "infrastructure",
        "account_age",
        "declared",
        "covert_sites",
        "new_audience",
    ),
}
MODEL_FILE = Path(__file__).with_name("judgement_model.json")
# Features fitted after the others, on top of their log-odds, and centred at 0: each is
# learned from one simulated group, and fitted with the rest it would reshape the other
# weights (``separate_owners``: fitted with the rest, the marketing agency it explains no
# longer held the weights of infrastructure and schedule at zero, and a probe's busy
# volunteers were flagged at 0.96-1.00).
STAGED = ("separate_owners",)
# The way each feature may argue: +1 for an operation, -1 for an open crowd.
SIGNS = dict.fromkeys(FAMILIES, 1.0) | {
    "linked_engagement": 1.0,
    "unlinked_audience": -1.0,
    "account_age": -1.0,
    "declared": -1.0,
    "covert_sites": 1.0,
    "persistence": 1.0,
    "new_audience": -1.0,
    "separate_owners": -1.0,
}

# What each feature, when it pushes the probability up or down, says in words.
WORDS = {
    "linked_engagement": ("engaged mostly by linked accounts", "engaged by others"),
    "unlinked_audience": ("little organic audience", "an organic audience"),
    "account_age": ("accounts young when they began", "accounts with years of history"),
    "declared": ("no affiliation declared", "profiles that name the sites they link"),
    "covert_sites": ("pushes sites of its own without saying so", "no covert sites"),
    "persistence": ("acted together day after day", "acted together on few days"),
    "new_audience": (
        "new accounts that few outside them answer",
        "new accounts answered by many outside them",
    ),
    "separate_owners": (
        "no account pushes a site as its own owner",
        "its accounts push sites each of their own, as separate owners (brands, shops) do",
    ),
}


def cluster_features(
    engine: Engine,
    nodes: pa.Table,
    vouched: pa.Table | None = None,
    acts: pa.Table | None = None,
    sites: pa.Table | None = None,
) -> dict[str, dict[str, float | None]]:
    """Per cluster id of ``nodes``: the features read from the store (the engagement,
    age and declared features; the families' support comes from :mod:`unmask.assess`),
    None when the data cannot give one. ``vouched``: which signals vouch for which accounts
    (``assess.member_support``), for ``covert_sites``; ``acts``: the hours in which pairs of
    accounts acted together (:func:`act_hours`), for ``persistence``; ``sites``: which
    accounts push which owned sites (:func:`site_pushers`), for ``separate_owners``
    (missing without them: the owned-sites signal did not run)."""
    groups = nodes.select(["platform", "account_id", "cluster_id"])
    out: dict[str, dict[str, float | None]] = {
        cid: dict.fromkeys(STORE_FEATURES) for cid in set(groups["cluster_id"].to_pylist())
    }
    if not out:
        return out
    measurable = engagement_measurable(engine)
    engine.register("_judge_groups", groups)
    owned = _owned_accounts(vouched)
    if owned is not None:
        engine.register("_judge_owned", owned)
    try:
        for r in engine.fetch(
            """WITH firsts AS (
                  SELECT t.platform, t.account_id, min(t.time) AS first
                  FROM activities t
                  JOIN (SELECT DISTINCT platform, account_id FROM _judge_groups) m
                    ON m.platform = t.platform AND m.account_id = t.account_id
                  GROUP BY t.platform, t.account_id),
                ages AS (
                  SELECT g.cluster_id,
                         -- greatest() skips NULLs: an unknown creation stays unknown
                         CASE WHEN a.created_at IS NOT NULL
                              THEN log10(1 + greatest(date_diff('second', a.created_at,
                                                                f.first), 0) / 86400.0)
                         END AS age
                  FROM _judge_groups g
                  JOIN firsts f ON f.platform = g.platform AND f.account_id = g.account_id
                  LEFT JOIN (SELECT platform, account_id, min(created_at) AS created_at
                             FROM accounts GROUP BY platform, account_id) a
                    ON a.platform = g.platform AND a.account_id = g.account_id)
               SELECT cluster_id, median(age) AS age, count(age) AS known, count(*) AS n
               FROM ages GROUP BY cluster_id"""
        ).to_pylist():
            if r["known"] * 2 > r["n"]:
                out[r["cluster_id"]]["account_age"] = float(r["age"])
        if measurable:
            for r in engine.fetch(_ENGAGED).to_pylist():
                f = out[r["cluster_id"]]
                if r["received"] >= MIN_RECEIVED:
                    f["linked_engagement"] = float(r["from_linked"]) / r["received"]
                f["unlinked_audience"] = math.log1p(r["unlinked"] / max(r["accounts"], 1))
        query = _DECLARED if owned is None else _DECLARED_AND_OWNED
        for r in engine.fetch(query).to_pylist() if bios_measurable(engine) else []:
            f = out[r["cluster_id"]]
            if r["profiles"]:
                f["declared"] = r["declared"] / r["n"]
            if owned is not None:
                f["covert_sites"] = r["covert"] / r["n"]
        if acts is not None:
            for cid, share in _persistence(engine, acts).items():
                out[cid]["persistence"] = share
    finally:
        engine.drop("_judge_groups")
        if owned is not None:
            engine.drop("_judge_owned")
    for f in out.values():
        if new_accounts(f) and f["unlinked_audience"] is not None:
            f["new_audience"] = f["unlinked_audience"]
    if sites is not None:
        owners = _separate_owners(groups, sites)
        for cid, f in out.items():
            f["separate_owners"] = owners.get(cid, 0.0)
    return out


def site_pushers(evidence: Iterable[Any]) -> pa.Table | None:
    """Which accounts push which owned sites: (platform, account_id, unit), from the events
    of :data:`OWNED_SIGNAL` in ``evidence`` (each names two accounts that pushed one owned
    unit); None when that signal did not run."""
    parts = [
        ev.events.select([f"platform_{x}", f"account_{x}", "target"]).rename_columns(
            ["platform", "account_id", "unit"]
        )
        for ev in evidence
        if ev.signal == OWNED_SIGNAL
        for x in ("a", "b")
    ]
    if not parts:
        return None
    return pa.concat_tables(parts).group_by(["platform", "account_id", "unit"]).aggregate([])


def _separate_owners(groups: pa.Table, sites: pa.Table) -> dict[str, float]:
    """Per cluster of ``groups`` whose members push owned sites: the share of its members
    that push them as separate owners. Members are tied by the sites they push (two who push
    one site are tied; the ties chain); a tied set with at most one account on each platform
    is one owner's presence on several platforms (a shop's account on X and its page on
    Facebook), one with two or more accounts on one platform is a group, whose members do
    not count."""
    from collections import Counter

    from unmask.signals.owned import item_components

    member = {
        (r["platform"], r["account_id"]): r["cluster_id"]
        for r in groups.select(["platform", "account_id", "cluster_id"]).to_pylist()
    }
    size = Counter(member.values())
    pushes: dict[str, list[tuple[str, str]]] = {}
    for r in sites.to_pylist():
        cid = member.get((r["platform"], r["account_id"]))
        if cid is not None:
            pushes.setdefault(cid, []).append((r["unit"], f"{r['platform']}/{r['account_id']}"))
    out = {}
    for cid, pairs in pushes.items():
        root = item_components(pairs)
        platforms: dict[str, set[str]] = {}
        group: set[str] = set()
        for account, r in root.items():
            platform = account.split("/", 1)[0]
            if platform in platforms.setdefault(r, set()):
                group.add(r)
            platforms[r].add(platform)
        out[cid] = sum(1 for r in root.values() if r not in group) / size[cid]
    return out


def new_accounts(x: Mapping[str, float | None]) -> bool:
    """Whether a cluster's accounts were new when they began (``new_audience`` applies)."""
    age = x.get("account_age")
    return age is not None and age < NEW_ACCOUNT_AGE


def not_applicable(x: Mapping[str, float | None]) -> set[str]:
    """The features that do not apply to a cluster (as against the data lacking them):
    ``new_audience`` when its accounts are known to be old."""
    known = x.get("account_age") is not None
    return {"new_audience"} if known and not new_accounts(x) else set()


def act_hours(evidence: Iterable[Any]) -> pa.Table:
    """The hours (UTC, as hours since 1970) in which each pair of accounts acted together,
    from the events of ``evidence`` that name an activity (co-shares, copies, bursts, posts
    for an own site; not sign-ups or follows), one row per pair and hour."""
    import pyarrow.compute as pc

    keys = ["platform_a", "account_a", "platform_b", "account_b"]
    parts = []
    for ev in evidence:
        e = ev.events.filter(pc.is_valid(ev.events["activity_a"]))
        if e.num_rows:
            micros = pc.cast(e["time_a"], pa.int64())
            hour = pc.floor(pc.divide(pc.cast(micros, pa.float64()), 3_600e6))
            parts.append(e.select(keys).append_column("hour", pc.cast(hour, pa.int64())))
    if not parts:
        return pa.table(
            {k: pa.array([], pa.string()) for k in keys} | {"hour": pa.array([], pa.int64())}
        )
    return pa.concat_tables(parts).group_by([*keys, "hour"]).aggregate([])


def _persistence(engine: Engine, acts: pa.Table) -> dict[str, float]:
    """Per cluster of ``_judge_groups``: of the days on which its members were active, the
    share on which at least :data:`MIN_TAKING_PART` of the members active that day acted
    together, each day beginning in the middle of the cluster's night (the
    :data:`NIGHT_HOURS` hours of the day, UTC, in which its members posted least; the
    earliest on a tie); nothing for a cluster whose activity spans too few days."""
    if not acts.num_rows:
        return {}
    engine.register("_judge_acts", acts)
    engine.register("_judge_hours", pa.table({"hod": pa.array(range(24), pa.int64())}))
    try:
        half = NIGHT_HOURS // 2
        rows = engine.fetch(
            f"""WITH member_hours AS (
                  SELECT g.cluster_id, t.platform, t.account_id,
                         CAST(floor(epoch(t.time) / 3600) AS BIGINT) AS hour, count(*) AS n
                  FROM activities t
                  JOIN _judge_groups g
                    ON g.platform = t.platform AND g.account_id = t.account_id
                  GROUP BY g.cluster_id, t.platform, t.account_id,
                           CAST(floor(epoch(t.time) / 3600) AS BIGINT)),
                active AS (
                  SELECT cluster_id, hour, sum(n) AS n FROM member_hours
                  GROUP BY cluster_id, hour),
                by_hour AS (
                  SELECT cluster_id, ((hour % 24) + 24) % 24 AS hod, sum(n) AS n
                  FROM active GROUP BY cluster_id, ((hour % 24) + 24) % 24),
                grid AS (
                  SELECT c.cluster_id, h.hod, coalesce(b.n, 0) AS n
                  FROM (SELECT DISTINCT cluster_id FROM active) c
                  CROSS JOIN _judge_hours h
                  LEFT JOIN by_hour b ON b.cluster_id = c.cluster_id AND b.hod = h.hod),
                around AS (
                  SELECT g.cluster_id, g.hod, sum(w.n) AS n
                  FROM grid g JOIN grid w
                    ON w.cluster_id = g.cluster_id
                   AND (w.hod - g.hod + 24 + {half}) % 24 <= {2 * half}
                  GROUP BY g.cluster_id, g.hod),
                quietest AS (
                  SELECT cluster_id, hod FROM (
                    SELECT cluster_id, hod,
                           row_number() OVER (PARTITION BY cluster_id ORDER BY n, hod) AS k
                    FROM around)
                  WHERE k = 1),
                member_days AS (
                  SELECT DISTINCT m.cluster_id, m.platform, m.account_id,
                         CAST(floor((m.hour - q.hod) / 24) AS BIGINT) AS day
                  FROM member_hours m JOIN quietest q ON q.cluster_id = m.cluster_id),
                pairs AS (
                  SELECT ga.cluster_id, x.platform_a, x.account_a, x.platform_b, x.account_b,
                         x.hour
                  FROM _judge_acts x
                  JOIN _judge_groups ga
                    ON ga.platform = x.platform_a AND ga.account_id = x.account_a
                  JOIN _judge_groups gb
                    ON gb.platform = x.platform_b AND gb.account_id = x.account_b
                  WHERE ga.cluster_id = gb.cluster_id),
                acting AS (
                  SELECT DISTINCT p.cluster_id, p.platform, p.account_id,
                         CAST(floor((p.hour - q.hod) / 24) AS BIGINT) AS day
                  FROM (SELECT cluster_id, platform_a AS platform, account_a AS account_id, hour
                        FROM pairs
                        UNION ALL
                        SELECT cluster_id, platform_b, account_b, hour FROM pairs) p
                  JOIN quietest q ON q.cluster_id = p.cluster_id),
                days AS (
                  SELECT d.cluster_id, d.day, count(*) AS active, count(a.account_id) AS acting
                  FROM member_days d
                  LEFT JOIN acting a
                    ON a.cluster_id = d.cluster_id AND a.platform = d.platform
                   AND a.account_id = d.account_id AND a.day = d.day
                  GROUP BY d.cluster_id, d.day)
               SELECT cluster_id, count(*) AS active, max(day) - min(day) + 1 AS span,
                      count(CASE WHEN acting >= {MIN_TAKING_PART} * active THEN 1 END)
                        AS together
               FROM days GROUP BY cluster_id
               HAVING count(CASE WHEN acting > 0 THEN 1 END) > 0"""
        ).to_pylist()
    finally:
        engine.drop("_judge_acts")
        engine.drop("_judge_hours")
    return {
        r["cluster_id"]: min(r["together"] / r["active"], 1.0)
        for r in rows
        if r["span"] >= MIN_WINDOW_DAYS
    }


def _owned_accounts(vouched: pa.Table | None) -> pa.Table | None:
    if vouched is None:
        return None
    import pyarrow.compute as pc

    mine = vouched.filter(pc.equal(vouched["signal"], OWNED_SIGNAL))
    return mine.select(["platform", "account_id"]).cast(
        pa.schema([("platform", pa.string()), ("account_id", pa.string())])
    )


def _declared_sql(owned: bool = False) -> str:
    from unmask.signals.owned import PLATFORM_HOSTS, SHORTENERS

    everyones = literals((*PLATFORM_HOSTS, *SHORTENERS))
    covert_col = covert_join = ""
    if owned:
        covert_col = (
            ",\n              count(CASE WHEN o.account_id IS NOT NULL AND s.account_id IS NULL"
            " THEN 1 END) AS covert"
        )
        covert_join = (
            "\n       LEFT JOIN (SELECT DISTINCT platform, account_id FROM _judge_owned) o"
            "\n         ON o.platform = g.platform AND o.account_id = g.account_id"
        )
    return f"""WITH members AS (
          SELECT DISTINCT platform, account_id FROM _judge_groups),
        profiles AS (
          SELECT a.platform, a.account_id,
                 lower(coalesce(max(a.url), '') || ' ' || coalesce(max(a.description), ''))
                   AS profile,
                 lower(replace(replace(replace(coalesce(max(a.handle), ''), '_', ''), '.', ''),
                               '-', '')) AS handle
          FROM accounts a JOIN members m
            ON m.platform = a.platform AND m.account_id = a.account_id
          GROUP BY a.platform, a.account_id),
        linked AS (
          SELECT DISTINCT platform, account_id, lower(domain) AS domain
          FROM (SELECT t.platform, t.account_id, unnest(t.domains) AS domain
                FROM activities t JOIN members m
                  ON m.platform = t.platform AND m.account_id = t.account_id)
          WHERE lower(domain) NOT IN ({everyones})),
        said AS (
          SELECT DISTINCT p.platform, p.account_id
          FROM profiles p JOIN linked l
            ON l.platform = p.platform AND l.account_id = p.account_id
          WHERE strpos(p.profile, l.domain) > 0
             OR (length(split_part(l.domain, '.', 1)) >= 5
                 AND strpos(p.handle, split_part(l.domain, '.', 1)) > 0))
       SELECT g.cluster_id, count(*) AS n,
              count(CASE WHEN length(trim(p.profile)) > 0 OR length(p.handle) > 0 THEN 1 END)
                AS profiles,
              count(s.account_id) AS declared{covert_col}
       FROM _judge_groups g
       LEFT JOIN profiles p ON p.platform = g.platform AND p.account_id = g.account_id
       LEFT JOIN said s ON s.platform = g.platform AND s.account_id = g.account_id{covert_join}
       GROUP BY g.cluster_id"""


_DECLARED = _declared_sql()
_DECLARED_AND_OWNED = _declared_sql(owned=True)


def _engaged_sql() -> str:
    from unmask.signals.audience import engaged_sql

    return f"""WITH linked AS (
          SELECT DISTINCT platform, account_id FROM _judge_groups),
        posts AS (
          SELECT t.platform, t.activity_id, t.account_id
          FROM activities t JOIN linked l
            ON l.platform = t.platform AND l.account_id = t.account_id),
        owner AS ({engaged_sql("posts")}),
        r AS (
          SELECT g.cluster_id, o.platform, o.actor,
                 CASE WHEN l.account_id IS NULL THEN 0 ELSE 1 END AS from_linked
          FROM owner o
          JOIN _judge_groups g ON g.platform = o.platform AND g.account_id = o.owner
          LEFT JOIN linked l ON l.platform = o.platform AND l.account_id = o.actor
          WHERE o.actor <> o.owner),
        sizes AS (SELECT cluster_id, count(*) AS accounts FROM _judge_groups GROUP BY cluster_id)
       SELECT s.cluster_id, s.accounts, count(r.actor) AS received,
              coalesce(sum(r.from_linked), 0) AS from_linked,
              count(DISTINCT CASE WHEN r.from_linked = 0 THEN r.platform || '/' || r.actor END)
                AS unlinked
       FROM sizes s LEFT JOIN r ON r.cluster_id = s.cluster_id
       GROUP BY s.cluster_id, s.accounts"""


_ENGAGED = _engaged_sql()


def bios_measurable(engine: Engine) -> bool:
    """Whether the data gives accounts' bios: at least :data:`MIN_BIOS` of its accounts have
    one. Exports for researchers often have none (CrowdTangle's, CooRTweet's); there a page
    that pushes its own site cannot be told from one that hides it, and ``declared`` and
    ``covert_sites`` are missing, not zero."""
    row = engine.fetch(
        "SELECT count(*) AS n, count(description) AS bios FROM accounts"
    ).to_pylist()[0]
    return bool(row["n"]) and row["bios"] >= MIN_BIOS * row["n"]


def engagement_measurable(engine: Engine) -> bool:
    """Whether the data can show who engaged with its posts: at least
    :data:`MIN_PARENTS_IN_DATA` of its engagements (replies, shares, ...) answer posts that
    are themselves in the data. A collection of one side's reshares (CooRTweet's sets, a
    keyword search) holds engagements whose posts it never collected: there, a cluster's
    missing outside audience says nothing about the cluster."""
    row = engine.fetch(
        """WITH e AS (
              SELECT platform, parent_activity_id FROM activities
              WHERE parent_activity_id IS NOT NULL)
           SELECT count(*) AS n, count(p.activity_id) AS found
           FROM e LEFT JOIN (SELECT DISTINCT platform, activity_id FROM activities) p
             ON p.platform = e.platform AND p.activity_id = e.parent_activity_id"""
    ).to_pylist()[0]
    return bool(row["n"]) and row["found"] >= MIN_PARENTS_IN_DATA * row["n"]


@dataclass(frozen=True)
class Model:
    """A logistic model over :data:`FEATURES`: ``p = 1 / (1 + exp(-(b + Σ w·(x − mean))))``
    with a missing ``x`` at its mean. ``low``/``high``: the range seen in training, for
    :meth:`upper`. ``provenance``: how it was fitted (worlds, seeds, figures)."""

    intercept: float
    weights: dict[str, float]
    means: dict[str, float]
    low: dict[str, float]
    high: dict[str, float]
    provenance: dict[str, Any] = field(default_factory=dict)

    def terms(self, x: Mapping[str, float | None]) -> dict[str, float]:
        """Each feature's push on the log-odds (0 for a missing one)."""
        return {
            f: (0.0 if x.get(f) is None else self.weights[f] * (float(x[f]) - self.means[f]))
            for f in self.weights
        }

    def probability(self, x: Mapping[str, float | None]) -> float:
        return _sigmoid(self.intercept + sum(self.terms(x).values()))

    def least(self, feature: str) -> float:
        """The least incriminating value of ``feature`` seen in training."""
        return self.low[feature] if self.weights[feature] >= 0 else self.high[feature]

    def upper(self, x: Mapping[str, float | None]) -> float:
        """The probability if every missing feature had the most incriminating value seen
        in training: what the evidence the data lacks could have made of it. A feature
        that does not apply (:func:`not_applicable`) is not evidence the data lacks."""
        skip = not_applicable(x)
        worst = {
            f: (
                v
                if v is not None or f in skip
                else (self.high[f] if self.weights[f] > 0 else self.low[f])
            )
            for f in self.weights
            for v in [x.get(f)]
        }
        return self.probability(worst)

    def explain(self, x: Mapping[str, float | None], top: int = 3) -> tuple[list[str], list[str]]:
        """The features that argue for and against the cluster being an operation, in
        words, strongest first."""
        terms = sorted(self.terms(x).items(), key=lambda kv: -abs(kv[1]))
        pro, con = [], []
        for f, t in terms:
            if abs(t) < 0.25:
                continue
            words = _words(f, x[f], t > 0)
            (pro if t > 0 else con).append(words)
        return pro[:top], con[:top]

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(self.weights),
            "intercept": self.intercept,
            "weights": self.weights,
            "means": self.means,
            "low": self.low,
            "high": self.high,
            "provenance": self.provenance,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Model:
        feats = list(raw["features"])
        if set(feats) != set(FEATURES):
            raise ValueError(f"judgement model features {feats} are not {list(FEATURES)}")
        return cls(
            float(raw["intercept"]),
            {f: float(raw["weights"][f]) for f in feats},
            {f: float(raw["means"][f]) for f in feats},
            {f: float(raw["low"][f]) for f in feats},
            {f: float(raw["high"][f]) for f in feats},
            dict(raw.get("provenance", {})),
        )


def _words(feature: str, value: Any, pro: bool) -> str:
    if feature in FAMILIES:
        share = f"{100 * float(value):.0f}%"
        return f"{feature} vouches for {share}" if pro else f"{feature} vouches for only {share}"
    up, down = WORDS[feature]
    if feature == "linked_engagement":
        return f"{up if pro else down} ({100 * float(value):.0f}% from linked accounts)"
    if feature in ("unlinked_audience", "new_audience"):
        per = math.expm1(float(value))
        return f"{up if pro else down} ({per:.1f} unlinked accounts engaged per account)"
    if feature in ("declared", "covert_sites", "separate_owners"):
        return f"{up if pro else down} ({100 * float(value):.0f}% of the accounts)"
    if feature == "persistence":
        return f"{up if pro else down} ({100 * float(value):.0f}% of its active days)"
    days = 10 ** float(value) - 1
    return f"{up if pro else down} (median {days:,.0f} days)"


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def load_model(path: Path | None = None) -> Model:
    """The fitted model shipped with unmask (or the one at ``path``)."""
    p = path or MODEL_FILE
    try:
        return Model.from_json(json.loads(p.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{p}: cannot read the judgement model: {exc}") from exc


def fit(
    rows: Sequence[Mapping[str, float | None]],
    labels: Sequence[int],
    weights: Sequence[float] | None = None,
    *,
    l2: float = 1.0,
    gaps: Mapping[str, Iterable[str]] = GAPS,
    provenance: Mapping[str, Any] | None = None,
) -> Model:
    """Fit the logistic model by Newton's method (ridge ``l2`` on the weights, not the
    intercept) on clusters ``rows`` labelled 1 (an operation) or 0, each row repeated once
    per gap in ``gaps`` with those features made missing."""
    feats = list(FEATURES)
    w_in = list(weights) if weights is not None else [1.0] * len(rows)
    full = np.array([[np.nan if r.get(f) is None else float(r[f]) for f in feats] for r in rows])
    if len(full) == 0 or len(set(labels)) < 2:
        raise ValueError("fitting needs clusters of both kinds")
    seen = (~np.isnan(full)).sum(axis=0)
    means = np.where(seen > 0, np.nansum(full, axis=0) / np.maximum(seen, 1), 0.0)
    staged = np.array([f in STAGED for f in feats])
    # A staged feature is centred at 0: a cluster without its evidence is not pushed at all.
    means = np.where(staged, 0.0, means)
    low = np.nanmin(np.where(np.isnan(full), np.inf, full), axis=0)
    high = np.nanmax(np.where(np.isnan(full), -np.inf, full), axis=0)
    xs, ys, ws = [], [], []
    for missing in gaps.values():
        cols = [feats.index(f) for f in missing]
        x = full.copy()
        x[:, cols] = np.nan
        xs.append(x)
        ys.append(np.asarray(labels, dtype=float))
        ws.append(np.asarray(w_in, dtype=float))
    x = np.vstack(xs)
    y = np.concatenate(ys)
    sw = np.concatenate(ws)
    z = np.where(np.isnan(x), 0.0, x - means)
    design = np.hstack([np.ones((len(z), 1)), z])
    sign = np.array([0.0] + [SIGNS[f] for f in feats])
    later = np.concatenate([[False], staged])
    beta = _signed_fit(design, y, sw, l2, sign, ~later, intercept=True)
    if later.any():
        # The staged features are fitted on top of the rest's log-odds (forward stagewise):
        # what they explain does not move the other weights.
        beta += _signed_fit(design, y, sw, l2, sign, later, offset=design @ beta)
    return Model(
        float(beta[0]),
        {f: float(b) for f, b in zip(feats, beta[1:], strict=True)},
        {f: float(m) for f, m in zip(feats, means, strict=True)},
        {f: float(v) if np.isfinite(v) else 0.0 for f, v in zip(feats, low, strict=True)},
        {f: float(v) if np.isfinite(v) else 0.0 for f, v in zip(feats, high, strict=True)},
        dict(provenance or {}),
    )


def _signed_fit(
    design: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray,
    l2: float,
    sign: np.ndarray,
    columns: np.ndarray,
    *,
    intercept: bool = False,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """The weights of ``columns`` (zero elsewhere), each held to its sign."""
    # Evidence may only argue its own way (SIGNS): more support from a family never makes
    # a cluster less likely an operation, an audience never more. A weight that the fit
    # would give the wrong sign is held at zero and the rest refitted (an active set,
    # as in Lawson & Hanson's non-negative least squares, 1974).
    free = columns.copy()
    while True:
        beta = np.zeros(design.shape[1])
        if free.any():
            beta[free] = _newton(design[:, free], y, sw, l2, intercept=intercept, offset=offset)
        signed = np.where(free, sign * beta, 0.0)
        if signed.min() >= 0:
            return beta
        free[int(np.argmin(signed))] = False  # one at a time: dropping it may right others


# The ridge penalties ``choose_l2`` tries, strongest first.
L2_GRID = (10.0, 3.0, 1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001)


def choose_l2(
    rows: Sequence[Mapping[str, float | None]],
    labels: Sequence[int],
    folds: Sequence[Any],
    *,
    grid: Sequence[float] = L2_GRID,
    gaps: Mapping[str, Iterable[str]] = GAPS,
    rule: str = "least",
) -> tuple[float, list[dict[str, float]]]:
    """The ridge penalty by cross-validation over ``folds`` (one label per row, such as the
    world's seed: each fold is held out in turn and predicted by a model fitted on the
    others), scored by the held-out log loss over every gap of ``gaps``, as the model is
    used. ``rule="least"`` (the default) takes the penalty of least held-out loss: the tiers
    read the probability as a probability, and log loss is a proper score of exactly that.
    ``rule="one_se"`` takes the strongest penalty whose loss is within one standard error of
    the least (Hastie, Tibshirani & Friedman 2009, *The Elements of Statistical Learning*,
    7.10: the simplest model the data cannot tell from the best); it was the rule until
    the tuning worlds gained an export without profiles, when it chose 0.3 over the least
    loss's 0.03, and out-of-fold predictions at 0.3 were underconfident (clusters predicted
    0.56 on average were operations 9 times in 10; 17 operations under 0.7 against 6 at
    0.03, and no authentic cluster above 0.7 at either). The held-out rows are not
    independent (each cluster counts once per gap, and the variations of one seed share
    most of their groups), so the standard error is too small.
    Returns the penalty and, per penalty tried, its mean loss and standard error."""
    if len(set(folds)) < 2:
        raise ValueError("cross-validation needs rows from at least two folds")
    if rule not in ("least", "one_se"):
        raise ValueError(f"rule={rule!r}: 'least' or 'one_se'")
    table = []
    for l2 in grid:
        losses = []
        for fold in sorted(set(folds)):
            train = [i for i, f in enumerate(folds) if f != fold]
            held = [i for i, f in enumerate(folds) if f == fold]
            model = fit([rows[i] for i in train], [labels[i] for i in train], l2=l2, gaps=gaps)
            for missing in gaps.values():
                for i in held:
                    x = {**rows[i], **dict.fromkeys(missing)}
                    p = min(max(model.probability(x), 1e-12), 1 - 1e-12)
                    losses.append(-math.log(p if labels[i] else 1 - p))
        loss = np.asarray(losses)
        table.append(
            {"l2": l2, "loss": float(loss.mean()), "se": float(loss.std() / math.sqrt(len(loss)))}
        )
    best = min(table, key=lambda r: r["loss"])
    if rule == "least":
        return best["l2"], table
    chosen = max(
        (r["l2"] for r in table if r["loss"] <= best["loss"] + best["se"]), default=best["l2"]
    )
    return chosen, table


def _newton(
    design: np.ndarray,
    y: np.ndarray,
    sw: np.ndarray,
    l2: float,
    *,
    intercept: bool,
    offset: np.ndarray | None = None,
) -> np.ndarray:
    """Weighted ridge logistic regression by Newton's method (column 0 the intercept,
    not penalised, when ``intercept``), on top of a fixed ``offset`` of log-odds."""
    beta = np.zeros(design.shape[1])
    ridge = np.full(design.shape[1], l2)
    if intercept:
        ridge[0] = 0.0
    base = np.zeros(len(design)) if offset is None else offset
    for _ in range(100):
        p = 1.0 / (1.0 + np.exp(-(base + design @ beta)))
        grad = design.T @ (sw * (p - y)) + ridge * beta
        hess = (design * (sw * p * (1 - p))[:, None]).T @ design + np.diag(ridge)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return beta


def reliability(
    probabilities: Sequence[float], labels: Sequence[int], bins: int = 5
) -> list[dict[str, float]]:
    """The reliability table (Niculescu-Mizil & Caruana 2005): per probability bin, how
    many clusters, their mean predicted probability and the share that were operations."""
    out = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, p in enumerate(probabilities) if lo <= p < hi or (b == bins - 1 and p == 1)]
        if not idx:
            continue
        out.append(
            {
                "from": lo,
                "to": hi,
                "clusters": len(idx),
                "predicted": sum(probabilities[i] for i in idx) / len(idx),
                "observed": sum(labels[i] for i in idx) / len(idx),
            }
        )
    return out
