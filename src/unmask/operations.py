"""The figures of each operation, computed from the store: what a takedown report gives.

For every cluster judged an operation (``unmask.assess``), :func:`describe` returns a
JSON-able dict:

* ``assets``: accounts by platform and kind, of them how many are bought followers
  attached by their follows (``attached``, :mod:`unmask.attach`), followers in total
  (``None`` when the data gives no follower count for any of them; ``followers_known``: how
  many have one), and how many accounts each signal vouches for;
* ``activity``: actions by kind, active period, and the daily timeline per platform;
* ``pushed``: the domains, URLs and hashtags the operation pushes (by how many of its
  accounts, and how much of everyone's use of them is the operation's: a domain that only
  the operation links is likely its own); an item used once is not pushed, and a link
  shortener's domain is marked (``shortener``): it is not a site the operation sends
  people to;
* ``audience``: languages and communities it posts in and into; its main languages are
  those of at least ``MAIN_LANGUAGE_SHARE`` of its posts with a known language, and posts
  without one ("und" and the like, ``NO_LANGUAGE``) are counted apart, never named;
* ``narratives``: the copied-content families its accounts post (representative text,
  variants, platforms, languages), when the content signal ran;
* ``reach``: engagement its posts received from outside the operation, how many outside
  accounts engaged, and the most-followed of them (``None``, with the platforms in
  ``not_in_data_on``, where the data has no engagement whose engaged account is known: that
  is not a zero); with it, the **Breakout Scale**
  category (Nimmo 2020, "The Breakout Scale: measuring the impact of influence
  operations", Brookings) estimated from the data and what it was based on;
* ``killchain``: the Online Operations Kill Chain procedures (Meta) observed, each with
  the evidence behind it;
* ``confidence``: the cluster's probability of being an operation (``unmask.judgement``),
  its families' support and score, and the reason in words.

:func:`takedown` lists the assets to act on, per platform, with the signals and evidence
counts behind each.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from unmask import attach
from unmask.assess import tier_words
from unmask.engine.base import Engine
from unmask.ingest.normalise import SHORTENERS, is_shortener
from unmask.signals.audience import ENGAGEMENT_KINDS, echo_chambers
from unmask.signals.base import Describing, Evidence
from unmask.signals.registry import signal_classes

MEMBERS = "_op_members"
# Followers from which an outside account that shares an operation's post counts as an
# influencer for the Breakout Scale's category 5 (a documented default, not a fact).
INFLUENCER_FOLLOWERS = 100_000
MIN_COMMUNITY_SHARE = 0.1
# A language is one of an operation's main languages when at least this share of its posts
# with a known language are in it (the same bar as a community for the Breakout Scale): a
# language of 0.1 % of the posts is not what the operation posts in.
MAIN_LANGUAGE_SHARE = MIN_COMMUNITY_SHARE
# Codes that name no language: undetermined, no linguistic content, several or other
# languages (ISO 639-2), and Twitter's own for posts of only mentions, cashtags, hashtags,
# media or very short text.
NO_LANGUAGE = ("und", "zxx", "mul", "mis", "qam", "qct", "qht", "qme", "qst")
DIRECTED_SHARE = 0.2
OWN_DOMAIN_SHARE = 0.8
OWN_DOMAIN_ACCOUNTS = 2
# An item (domain, URL, hashtag) the operation used only once is not one it pushes.
MIN_PUSHED_USES = 2

# Kill-chain procedure ids (Meta's Online Operations Kill Chain) for the platforms on
# which assets were acquired; the signals name the procedures their evidence shows
# (``Signal.kill_chain``).
_ACQUIRING = {
    "facebook": "0.9.1 Acquiring Facebook assets",
    "instagram": "0.9.2 Acquiring Instagram accounts",
    "threads": "0.9.3 Acquiring Threads accounts",
    "x": "0.9.4 Acquiring X / Twitter accounts",
    "youtube": "0.9.5 Acquiring YouTube channels",
    "tiktok": "0.9.6 Acquiring TikTok accounts",
    "telegram": "0.9.7 Acquiring Telegram channels",
    "reddit": "0.9.8 Acquiring accounts on online forums",
}
DIRECTING = "7.5.2 Directing audience to website"
OWN_DOMAINS = "0.6.2 Acquiring domains to support influence operations"
ACQUIRING_OTHER = "0.9.12 Acquiring other social media assets"
# The order in which an operation's kill chain lists procedures, by number prefix: the
# assets, how they amplified, the content, where they sent people, how they were run, and
# the audience bought (the order of the figures before the signals named their own). A
# procedure that none of these begins comes after them, by number.
KILL_CHAIN_ORDER = ("0.9", "6.2", "5.2", "9.2", "0.6", "7.5", "3.1", "3.3", "1.1", "7.2")


def describe(
    engine: Engine,
    members: pa.Table,
    clusters: pa.Table,
    evidence: list[Evidence],
    vouched: pa.Table,
    *,
    top: int = 10,
) -> list[dict[str, Any]]:
    """The figures of every reported cluster in ``clusters`` (those with a tier: the
    operations, and the coordinated groups whose authenticity the data could not show; see
    the module docstring). ``members``: every cluster's accounts with how each belongs
    (``attach.members``), or the run's nodes (all linked)."""
    ops = clusters.filter(pc.is_valid(clusters["tier"]))
    if ops.num_rows == 0:
        return []
    op_ids = set(ops["cluster_id"].to_pylist())
    members = attach.members(members)
    members = members.filter(pc.is_in(members["cluster_id"], pa.array(sorted(op_ids))))
    engine.register(MEMBERS, members.select(["platform", "account_id", "cluster_id", "basis"]))
    try:
        out = {c["cluster_id"]: _skeleton(c) for c in ops.to_pylist()}
        _assets(engine, out, vouched)
        _activity(engine, out)
        _pushed(engine, out, top)
        _audience(engine, out, top)
        _reach(engine, members, out, top)
        # Each signal adds the figures that its evidence gives (``Signal.describe_operations``).
        by_signal = {ev.signal: ev for ev in evidence}
        ctx = Describing(engine, members.select(["platform", "account_id", "cluster_id"]), out, top)
        for cls in signal_classes():
            cls.describe_operations(ctx, by_signal.get(cls.name))
        for op in out.values():
            op["breakout"] = breakout(op)
            op["killchain"] = killchain(op)
    finally:
        engine.drop(MEMBERS)
    return sorted(
        out.values(),
        key=lambda o: (not o["operation"], -o["confidence"]["probability"], o["cluster_id"]),
    )


def _skeleton(c: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster_id": c["cluster_id"],
        "tier": c["tier"],
        "tier_words": tier_words(c["tier"]),
        "operation": c["operation"],
        "confidence": {
            "probability": c["probability"],
            "score": c["score"],
            "families": c["families"],
            "support": c["support"],
            "reason": c["reason"],
            "unassessed": c["unassessed"],
        },
    }


def _rows(engine: Engine, query: str) -> list[dict[str, Any]]:
    return engine.fetch(query).to_pylist()


def _assets(engine: Engine, out: dict, vouched: pa.Table) -> None:
    for op in out.values():
        op["assets"] = {
            "accounts": 0,
            # of them, bought followers attached by their follows (``unmask.attach``)
            "attached": 0,
            "by_platform": {},
            "followers": None,
            "followers_known": 0,
            "by_signal": {},
            "by_signal_platform": {},
        }
    for r in _rows(
        engine,
        f"""SELECT m.cluster_id, m.platform, coalesce(a.kind, 'account') AS kind,
                   count(*) AS n, count(*) FILTER (WHERE m.basis = '{attach.BOUGHT_FOLLOWER}')
                   AS attached, CAST(sum(a.followers) AS BIGINT) AS followers,
                   count(a.followers) AS followers_known
            FROM {MEMBERS} m LEFT JOIN accounts a
              ON a.platform = m.platform AND a.account_id = m.account_id
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    ):
        a = out[r["cluster_id"]]["assets"]
        a["accounts"] += r["n"]
        a["attached"] += r["attached"]
        # Accounts without a count are unknown, not 0: the total is of those that have one.
        if r["followers_known"]:
            a["followers"] = (a["followers"] or 0) + r["followers"]
            a["followers_known"] += r["followers_known"]
        a["by_platform"].setdefault(r["platform"], {})[r["kind"]] = r["n"]
    counts: dict[tuple[str, str], set] = defaultdict(set)
    for r in vouched.to_pylist():
        if r["cluster_id"] in out:
            counts[(r["cluster_id"], r["signal"])].add((r["platform"], r["account_id"]))
    for (cid, signal), accs in sorted(counts.items()):
        a = out[cid]["assets"]
        a["by_signal"][signal] = len(accs)
        per_platform: dict[str, int] = defaultdict(int)
        for platform, _ in accs:
            per_platform[platform] += 1
        a["by_signal_platform"][signal] = dict(sorted(per_platform.items()))


def _activity(engine: Engine, out: dict) -> None:
    for op in out.values():
        op["activity"] = {
            "actions": 0,
            "by_kind": {},
            "first": None,
            "last": None,
            "timeline": [],
            # actions by UTC day of week (Monday first) and hour: the rhythm behind a
            # schedule, drawn as a heatmap in the report
            "hour_of_week": [[0] * 24 for _ in range(7)],
        }
    for r in _rows(
        engine,
        f"""SELECT m.cluster_id, t.kind, count(*) AS n, min(t.time) AS first, max(t.time) AS last
            FROM {MEMBERS} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            GROUP BY 1, 2 ORDER BY 1, 2""",
    ):
        a = out[r["cluster_id"]]["activity"]
        a["actions"] += r["n"]
        a["by_kind"][r["kind"]] = r["n"]
        first, last = r["first"].isoformat(), r["last"].isoformat()
        a["first"] = first if a["first"] is None else min(a["first"], first)
        a["last"] = last if a["last"] is None else max(a["last"], last)
    for r in _rows(
        engine,
        f"""SELECT m.cluster_id, CAST(date_trunc('day', t.time) AS DATE) AS day, t.platform,
                   count(*) AS n
            FROM {MEMBERS} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3""",
    ):
        out[r["cluster_id"]]["activity"]["timeline"].append(
            {"day": r["day"].isoformat(), "platform": r["platform"], "actions": r["n"]}
        )
    for r in _rows(
        engine,
        # From the epoch rather than isodow()/hour(): the day-of-week functions number days
        # differently on each engine, and 1970-01-01 was a Thursday everywhere.
        f"""SELECT m.cluster_id, CAST((floor(epoch(t.time) / 86400) + 3) % 7 AS INTEGER) AS dow,
                   CAST(floor(epoch(t.time) / 3600) % 24 AS INTEGER) AS hour, count(*) AS n
            FROM {MEMBERS} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            GROUP BY 1, 2, 3""",
    ):
        out[r["cluster_id"]]["activity"]["hour_of_week"][r["dow"]][r["hour"]] = r["n"]


def _pushed(engine: Engine, out: dict, top: int) -> None:
    """Domains, URLs and hashtags by how many of the operation's accounts push them, and the
    operation's share of everyone's posts with them (1.0: only the operation uses it). An
    item used fewer than ``MIN_PUSHED_USES`` times is left out; domains rank link
    shorteners after the sites."""
    for op in out.values():
        op["pushed"] = {}
    shorteners = ", ".join(f"'{d}'" for d in SHORTENERS)
    for field, column in (("domains", "domains"), ("urls", "urls"), ("hashtags", "hashtags")):
        first = f"(o.item IN ({shorteners})), " if field == "domains" else ""
        rows = _rows(
            engine,
            f"""WITH items AS (
                  SELECT t.platform, t.account_id, lower(x.item) AS item
                  FROM activities t, unnest(t.{column}) AS x(item)),
                everyone AS (
                  SELECT item, count(*) AS uses FROM items GROUP BY item),
                ours AS (
                  SELECT m.cluster_id, i.item, count(*) AS uses,
                         count(DISTINCT (i.platform, i.account_id)) AS accounts
                  FROM items i JOIN {MEMBERS} m
                    ON m.platform = i.platform AND m.account_id = i.account_id
                  GROUP BY 1, 2
                  HAVING count(*) >= {MIN_PUSHED_USES}),
                ranked AS (
                  SELECT o.*, e.uses AS all_uses,
                         row_number() OVER (PARTITION BY o.cluster_id
                                            ORDER BY {first}o.accounts DESC, o.uses DESC,
                                                     o.item) AS k
                  FROM ours o JOIN everyone e USING (item))
               SELECT cluster_id, item, accounts, uses, all_uses FROM ranked
               WHERE k <= {int(top)} ORDER BY cluster_id, k""",
        )
        for r in rows:
            item = {
                "value": r["item"],
                "accounts": r["accounts"],
                "uses": r["uses"],
                "share_of_all_uses": round(r["uses"] / r["all_uses"], 4),
            }
            if field == "domains":
                item["shortener"] = is_shortener(r["item"])
            out[r["cluster_id"]]["pushed"].setdefault(field, []).append(item)


def sites(op: dict[str, Any]) -> list[dict[str, Any]]:
    """The pushed domains that are sites: link shorteners left out (their links hide the
    site; runs written before shorteners were marked are marked here)."""
    return [d for d in op.get("pushed", {}).get("domains", []) if not is_shortener(d["value"])]


def shorteners(op: dict[str, Any]) -> list[str]:
    """The link shorteners among the pushed domains."""
    return [d["value"] for d in op.get("pushed", {}).get("domains", []) if is_shortener(d["value"])]


def _audience(engine: Engine, out: dict, top: int) -> None:
    for op in out.values():
        op["audience"] = {"languages": {}, "languages_unknown": 0, "communities": {}}
    no_language = ", ".join(f"'{c}'" for c in NO_LANGUAGE)
    known = f"CASE WHEN lower(t.language) NOT IN ({no_language}) THEN t.language END"
    for r in _rows(
        engine,
        f"""SELECT m.cluster_id, count({known}) AS known, count(*) - count({known}) AS unknown
            FROM {MEMBERS} m JOIN activities t
              ON t.platform = m.platform AND t.account_id = m.account_id
            GROUP BY 1""",
    ):
        audience = out[r["cluster_id"]]["audience"]
        audience["languages_known"], audience["languages_unknown"] = r["known"], r["unknown"]
    for field, column in (("languages", known), ("communities", "t.community")):
        for r in _rows(
            engine,
            f"""SELECT cluster_id, v, n FROM (
                  SELECT m.cluster_id, {column} AS v, count(*) AS n,
                         row_number() OVER (PARTITION BY m.cluster_id ORDER BY count(*) DESC,
                                            {column}) AS k
                  FROM {MEMBERS} m JOIN activities t
                    ON t.platform = m.platform AND t.account_id = m.account_id
                  WHERE {column} IS NOT NULL
                  GROUP BY 1, 2)
                WHERE k <= {int(top)} ORDER BY cluster_id, k""",
        ):
            out[r["cluster_id"]]["audience"][field][r["v"]] = r["n"]
    for op in out.values():
        op["audience"]["main_languages"] = main_languages(op["audience"])


def main_languages(audience: dict[str, Any]) -> list[dict[str, Any]]:
    """The languages of at least ``MAIN_LANGUAGE_SHARE`` of the posts with a known language,
    most posts first (each with its posts and share)."""
    counts = {k: v for k, v in audience["languages"].items() if k and k.lower() not in NO_LANGUAGE}
    known = audience.get("languages_known", sum(counts.values()))
    return [
        {"language": k, "posts": v, "share": round(v / known, 4)}
        for k, v in sorted(counts.items(), key=lambda x: (-x[1], x[0]))
        if v >= MAIN_LANGUAGE_SHARE * known
    ]


def _reach(engine: Engine, members: pa.Table, out: dict, top: int) -> None:
    """Engagement with the operation's posts (comments, shares, reactions) from inside and
    from outside it (the echo chamber, ``unmask.signals.audience.echo_chambers``), and the
    most-followed outside accounts that engaged."""
    echo = echo_chambers(engine, members.select(["platform", "account_id", "cluster_id"]))
    measurable = _engagement_platforms(engine)
    for r in echo.to_pylist():
        out[r["cluster_id"]]["reach"] = {
            "engagement_inside": r["inside"],
            "engagement_outside": r["outside"],
            "inside_share": r["inside_share"],
            "by_kind": {
                k: {"inside": r[f"{k}_inside"], "outside": r[f"{k}_outside"]}
                for k in ("comments", "shares", "reactions")
            },
            "inside_accounts": r["inside_accounts"],
            "outside_accounts": r["outside_accounts"],
            "top_outside": [],
        }
    for op in out.values():
        _mark_unmeasured(op, measurable)
    for r in _rows(
        engine,
        f"""WITH engaged AS (
              SELECT mp.cluster_id, t.platform, t.account_id
              FROM activities t
              JOIN {MEMBERS} mp
                ON mp.platform = t.platform AND mp.account_id = t.parent_account_id
              LEFT JOIN {MEMBERS} mi
                ON mi.platform = t.platform AND mi.account_id = t.account_id
               AND mi.cluster_id = mp.cluster_id
              WHERE t.account_id <> t.parent_account_id AND mi.account_id IS NULL),
            outside AS (
              SELECT e.cluster_id, e.platform, e.account_id, count(*) AS n,
                     max(coalesce(a.followers, 0)) AS followers, any_value(a.handle) AS handle,
                     bool_or(coalesce(a.verified, false)) AS verified
              FROM engaged e LEFT JOIN accounts a
                ON a.platform = e.platform AND a.account_id = e.account_id
              GROUP BY 1, 2, 3),
            ranked AS (
              SELECT *, row_number() OVER (PARTITION BY cluster_id
                                           ORDER BY followers DESC, n DESC, account_id) AS k
              FROM outside)
           SELECT * FROM ranked WHERE k <= {int(top)} ORDER BY cluster_id, k""",
    ):
        out[r["cluster_id"]]["reach"]["top_outside"].append(
            {
                "platform": r["platform"],
                "account_id": r["account_id"],
                "handle": r["handle"],
                "followers": int(r["followers"]),
                "verified": bool(r["verified"]),
                "engagements": int(r["n"]),
            }
        )


def _engagement_platforms(engine: Engine) -> set[str]:
    """The platforms on which the data has engagement an operation could receive: replies,
    comments, shares, quotes or reactions whose engaged account is known (the export's
    parent account, or the parent post in the store)."""
    kinds = ", ".join(f"'{k}'" for k in ENGAGEMENT_KINDS)
    return {
        r["platform"]
        for r in _rows(
            engine,
            f"""SELECT DISTINCT e.platform FROM activities e
                LEFT JOIN activities p
                  ON p.platform = e.platform AND p.activity_id = e.parent_activity_id
                WHERE e.kind IN ({kinds}) AND e.parent_activity_id IS NOT NULL
                  AND coalesce(e.parent_account_id, p.account_id) IS NOT NULL""",
        )
    }


def _mark_unmeasured(op: dict[str, Any], measurable: set[str]) -> None:
    """Engagement on the operation's platforms where the data has none to measure is
    unknown, not 0: its figures become None and those platforms are named."""
    reach = op["reach"]
    platforms = sorted(op["assets"]["by_platform"])
    reach["not_in_data_on"] = [p for p in platforms if p not in measurable]
    if any(p in measurable for p in platforms):
        return
    for key in (
        "engagement_inside",
        "engagement_outside",
        "inside_share",
        "inside_accounts",
        "outside_accounts",
    ):
        reach[key] = None
    reach["by_kind"] = {k: {"inside": None, "outside": None} for k in reach["by_kind"]}


def engagement_measured(op: dict[str, Any]) -> bool:
    """Whether the data could show engagement with the operation's posts (runs written
    before this was recorded always showed figures)."""
    reach = op["reach"]
    return "engagement_outside" not in reach or reach["engagement_outside"] is not None


def breakout(op: dict[str, Any]) -> dict[str, Any]:
    """The Breakout Scale category (Nimmo 2020) as far as the data shows it.

    1: one platform, one community; 2: several platforms *or* several communities; 3:
    several platforms *and* communities; 5: amplified by an outside account with at least
    ``INFLUENCER_FOLLOWERS`` followers. Category 4 (breakout into mainstream
    media) and 6 (a policy response) are not visible in social-media data and are never
    claimed; the basis says so.
    """
    platforms = sorted(op["assets"]["by_platform"])
    # A community counts when it holds a real part of the operation's activity; without
    # community labels in the data, languages stand in for them (and the basis says so).
    if op["audience"]["communities"]:
        counts = op["audience"]["communities"]
        total = sum(counts.values())
        communities = sorted(k for k, v in counts.items() if v >= MIN_COMMUNITY_SHARE * total)
        named = (
            f"{len(communities)} communities with at least {100 * MIN_COMMUNITY_SHARE:.0f}% "
            f"of its activity: {', '.join(communities[:8])}"
        )
    else:
        communities = sorted(x["language"] for x in main_languages(op["audience"]))
        named = (
            f"{len(communities)} languages with at least {100 * MAIN_LANGUAGE_SHARE:.0f}% of "
            f"its posts in a known language: {', '.join(communities[:8])}"
            if communities
            else "no community or language known in this data"
        )
    several_p, several_c = len(platforms) > 1, len(communities) > 1
    category = 3 if several_p and several_c else 2 if several_p or several_c else 1
    basis = [f"{len(platforms)} platform(s): {', '.join(platforms)}", named]
    # Followers, not the verified mark: platforms have sold the mark to anyone.
    influencers = [o for o in op["reach"]["top_outside"] if o["followers"] >= INFLUENCER_FOLLOWERS]
    if influencers:
        category = 5
        who = ", ".join(
            f"{o['platform']}/{o['handle'] or o['account_id']} ({o['followers']:,})"
            for o in influencers[:3]
        )
        basis.append(
            f"engaged by {len(influencers)} outside account(s) with large followings: {who}"
        )
    if not engagement_measured(op):
        basis.append(
            "category 5 (amplification by outside accounts) cannot be seen: engagement is not "
            "in this data"
        )
    basis.append(
        "categories 4 (mainstream media) and 6 (policy response) cannot be seen in this data"
    )
    return {"category": category, "basis": basis}


def own_domains(op: dict[str, Any]) -> list[dict[str, Any]]:
    """The pushed domains that are the operation's own: nearly all of everyone's links to
    them are the operation's, from more than one of its accounts (a link shortener is
    nobody's own: in a store that is mostly one operation, nearly all t.co links are its)."""
    return [
        d
        for d in sites(op)
        if d["share_of_all_uses"] >= OWN_DOMAIN_SHARE and d["accounts"] >= OWN_DOMAIN_ACCOUNTS
    ]


def killchain(op: dict[str, Any]) -> list[dict[str, str]]:
    """The kill-chain procedures the evidence shows, each with that evidence in words: the
    operation's assets and the sites it pushes, and what each signal's evidence shows
    (``Signal.kill_chain_entries``), listed in ``KILL_CHAIN_ORDER``."""
    found: dict[str, list[str]] = {}

    def add(procedure: str, evidence: str) -> None:
        found.setdefault(procedure, []).append(evidence)

    for platform, kinds in sorted(op["assets"]["by_platform"].items()):
        n = sum(kinds.values())
        add(_ACQUIRING.get(platform, ACQUIRING_OTHER), f"{n} {platform} asset(s) in the operation")
    for cls in signal_classes():
        for procedure, evidence in cls.kill_chain_entries(op):
            add(procedure, evidence)
    domains = sites(op)
    own = own_domains(op)
    if own:
        add(
            OWN_DOMAINS,
            f"{len(own)} domain(s) linked almost only by the operation: "
            + ", ".join(d["value"] for d in own[:5]),
        )
    if domains:
        d = domains[0]
        add(
            DIRECTING, f"links to {d['value']} from {d['accounts']} account(s), {d['uses']} time(s)"
        )
    return [
        {"procedure": p, "evidence": "; ".join(e)}
        for p, e in sorted(found.items(), key=lambda item: _listed(item[0]))
    ]


def _listed(procedure: str) -> tuple[int, list[int]]:
    """A procedure's place in ``KILL_CHAIN_ORDER`` (then its number)."""
    number = procedure.split(" ", 1)[0]
    place = next(
        (i for i, prefix in enumerate(KILL_CHAIN_ORDER) if f"{number}.".startswith(f"{prefix}.")),
        len(KILL_CHAIN_ORDER),
    )
    digits = [int(x) for x in number.split(".") if x.isdigit()]
    return place, digits if place == len(KILL_CHAIN_ORDER) else []


def takedown(engine: Engine, members: pa.Table, clusters: pa.Table, vouched: pa.Table) -> pa.Table:
    """The assets to act on: every account of every operation, with its kind, handle, URL,
    how it belongs (``basis``: linked, or attached as a bought follower; ``members`` is
    ``attach.members``) and the signals that vouch for it (``followers`` for an attached
    follower, whose bought follows are the evidence); or the run's nodes (all linked)."""
    ops = clusters.filter(clusters["operation"]).select(["cluster_id", "probability"])
    engine.register("_td_ops", ops)
    engine.register(
        "_td_nodes",
        attach.members(members).select(["platform", "account_id", "cluster_id", "degree", "basis"]),
    )
    engine.register("_td_vouched", vouched)
    try:
        return engine.fetch(
            f"""WITH t AS (
                    SELECT n.cluster_id AS operation, n.platform, n.account_id,
                           coalesce(a.kind, 'account') AS kind, a.handle, a.url,
                           o.probability AS operation_probability,
                           n.degree AS linked_accounts, n.basis,
                           coalesce(string_agg(DISTINCT v.signal, ';' ORDER BY v.signal), '')
                           AS vouching
                    FROM _td_nodes n JOIN _td_ops o USING (cluster_id)
                    LEFT JOIN accounts a
                      ON a.platform = n.platform AND a.account_id = n.account_id
                    LEFT JOIN _td_vouched v
                      ON v.platform = n.platform AND v.account_id = n.account_id
                     AND v.cluster_id = n.cluster_id
                    GROUP BY ALL)
                SELECT operation, platform, account_id, kind, handle, url,
                       operation_probability, linked_accounts, basis,
                       CASE WHEN basis = '{attach.BOUGHT_FOLLOWER}' THEN 'followers'
                            ELSE vouching END AS signals
                FROM t
                ORDER BY operation_probability DESC, operation, platform,
                         basis <> '{attach.LINKED}', kind, account_id"""
        )
    finally:
        engine.drop("_td_ops", "_td_nodes", "_td_vouched")
