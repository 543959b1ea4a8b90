"""Audience signals: bought followers, and the echo chamber of any group of accounts.

**Bought followers** (:class:`BoughtFollowers`, signal ``followers``). Operations buy
followers from spam operators, who deliver them from a pool of throw-away accounts in
bursts: dozens of accounts follow one customer within minutes, and the same pool serves the
operation's other pages. A follower looks bought when it shows both

* *synchronised behaviour*: it followed accounts inside **bursts** (a run of follows of one
  account, no two more than ``burst_gap`` seconds apart, of at least ``min_burst`` follows
  and at least ``burst_ratio`` times what that account's own rate of follows predicts) -
  the lockstep of CatchSync (Jiang et al., KDD 2014) and CopyCatch (Beutel et al., WWW
  2013) seen in follow times; or, whether or not times are known, it belongs to a **dense
  block** of the follower-followed graph found by FRAUDAR (Hooi et al., KDD 2016;
  ``unmask.signals.fraudar``) among the candidates, denser than the same graph with its
  edges shuffled gives; and
* the *marks of a spam-pool account*: new, no picture, no bio, no posts, follows far more
  accounts than follow it.

Its score is ``marks * behaviour``: a fan who follows a new account in a flood with
thousands of others is synchronised but has an ordinary profile; an ordinary account
without a picture or bio is not synchronised. Counting bursts and blocks, not the share of
an account's follows that are odd, keeps the score where fake followers also follow popular
accounts to look real (camouflage; FRAUDAR's column weighting does the same for blocks).

Each follower that looks bought is linked to the accounts it followed in a burst or in its
block (*bought follow*), and followed accounts that share at least ``min_shared`` such
followers are linked to each other (*shared pool*). These edges vouch for the accounts of a
cluster but do not make clusters (``defines_groups`` False): a vendor sells the same
accounts to an operation, a fan club and ordinary customers, and clustering on them fused
all three (the ``followers_vendor`` variation: Spamouflage, 152 fans and 119 of the
vendor's accounts in one cluster, judged an open crowd). An operation's own spam pool is
still found, by what made it: creation batches (identity) and its sign-up kit
(infrastructure); and after the judgement, each follower whose bought follows go mostly to
one operation is attached to it (:mod:`unmask.attach`). Pairs of fake followers are not
linked to each other. Per followed account, ``tables["audiences"]`` gives its followers,
the share that look bought and the bursts behind it; ``tables["bursts"]`` lists the
bursts; ``tables["bought"]`` lists the bought follows, follower to followed account (what
attaching reads).

**Echo chamber** (:func:`echo_chamber`, :func:`echo_chambers`) and **bought share**
(:func:`bought_share`) are plain functions that later steps call on any group of
accounts (a cluster): the engagement the group receives from inside versus outside, by
kind, and how many distinct outside accounts engaged at all; the group's followers and the
share of them that look bought.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.engine.base import Engine
from unmask.engine.session import RunSession
from unmask.engine.sql import literals
from unmask.signals.base import (
    EDGE_SCHEMA,
    EVENT_SCHEMA,
    SCORE_SCHEMA,
    Describing,
    Evidence,
    Signal,
)
from unmask.signals.fraudar import column_weights, dense_blocks

DAY = 86_400
MARKS = ("new", "no_picture", "no_bio", "no_posts", "follows_many")

FOLLOWER_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("marks", pa.float64()),
        pa.field("behaviour", pa.float64(), nullable=False),
        pa.field("burst_accounts", pa.int64(), nullable=False),
        pa.field("pool_share", pa.float64()),
        pa.field("block", pa.int64()),
        pa.field("age_days", pa.float64()),
        pa.field("new", pa.int64()),
        pa.field("no_picture", pa.int64()),
        pa.field("no_bio", pa.int64()),
        pa.field("no_posts", pa.int64()),
        pa.field("follows_many", pa.int64()),
        pa.field("following", pa.int64()),
        pa.field("followers", pa.int64()),
        pa.field("first_burst_time", pa.timestamp("us", tz="UTC")),
        pa.field("last_burst_time", pa.timestamp("us", tz="UTC")),
    ]
)

AUDIENCE_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("followers", pa.int64(), nullable=False),
        pa.field("followers_declared", pa.int64()),
        pa.field("bought", pa.int64(), nullable=False),
        pa.field("bought_share", pa.float64(), nullable=False),
        pa.field("bought_in_bursts", pa.int64(), nullable=False),
        pa.field("bursts", pa.int64(), nullable=False),
        pa.field("burst_follows", pa.int64(), nullable=False),
        pa.field("largest_burst", pa.int64(), nullable=False),
        pa.field("first_burst_time", pa.timestamp("us", tz="UTC")),
        pa.field("last_burst_time", pa.timestamp("us", tz="UTC")),
        pa.field("block", pa.int64()),
        pa.field("reason", pa.string()),
    ]
)

# One bought follow: a follower that looks bought, and an account it followed in one of that
# account's bursts (``burst_id``) or inside their common block (``block``).
BOUGHT_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("follower_id", pa.string(), nullable=False),
        pa.field("followee_id", pa.string(), nullable=False),
        pa.field("time", pa.timestamp("us", tz="UTC")),
        pa.field("burst_id", pa.string()),
        pa.field("block", pa.int64()),
    ]
)

BURST_SCHEMA = pa.schema(
    [
        pa.field("burst_id", pa.string(), nullable=False),
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("follows", pa.int64(), nullable=False),
        pa.field("bought", pa.int64(), nullable=False),
        # followers of this burst that were also in other accounts' bursts
        pa.field("in_other_bursts", pa.int64(), nullable=False),
        pa.field("start", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("end", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("expected", pa.float64(), nullable=False),
    ]
)


def _q(name: str) -> str:
    """``platform/account_id`` as one key column (also the edges' orientation order)."""
    return f"platform || '/' || {name}"


# Meta's kill-chain procedure for bought followers, per platform (Meta names three).
FOLLOWERS = {
    "facebook": "7.2.2 Acquiring Page followers",
    "instagram": "7.2.4 Acquiring Instagram followers",
    "x": "7.2.5 Acquiring Twitter followers",
}


class BoughtFollowers(Signal):
    name = "followers"
    label = "bought followers: follower bursts from the same pool"
    order = 50
    # DISARM's T0150.006 "Purchased Asset" is for owning an asset, not for inflating its
    # audience: no technique.
    kill_chain = tuple(FOLLOWERS.values())
    empty_tables: ClassVar[dict[str, pa.Schema]] = {
        "followers": FOLLOWER_SCHEMA,
        "audiences": AUDIENCE_SCHEMA,
        "bursts": BURST_SCHEMA,
        "bought": BOUGHT_SCHEMA,
    }
    kind = "scores"
    family = "audience"
    defines_groups = False
    score_threshold = 0.5
    reference = (
        "Jiang, Cui, Beutel, Faloutsos & Yang 2014 (CatchSync: catching synchronized behavior "
        "in large directed graphs, KDD); Hooi, Song, Beutel, Shah, Shin & Faloutsos 2016 "
        "(FRAUDAR: bounding graph fraud in the face of camouflage, KDD); Beutel et al. 2013 "
        "(CopyCatch, WWW)"
    )

    def __init__(
        self,
        burst_gap: float = 600,
        min_burst: int = 10,
        burst_ratio: float = 20.0,
        new_days: float = 365,
        follows_many: int = 10,
        follow_ratio: float = 5.0,
        candidate_marks: float = 0.5,
        max_blocks: int = 4,
        column_c: float = 5.0,
        null_replicates: int = 2,
        threshold: float = 0.5,
        min_shared: int = 5,
        neighbours: int = 20,
        pool_neighbours: int = 10,
        max_events_per_edge: int = 10,
        seed: int = 0,
    ) -> None:
        self.burst_gap = burst_gap
        self.min_burst = min_burst
        self.burst_ratio = burst_ratio
        self.new_days = new_days
        self.follows_many = follows_many
        self.follow_ratio = follow_ratio
        self.candidate_marks = candidate_marks
        self.max_blocks = max_blocks
        self.column_c = column_c
        self.null_replicates = null_replicates
        self.threshold = threshold
        self.min_shared = min_shared
        self.neighbours = neighbours
        self.pool_neighbours = pool_neighbours
        self.max_events_per_edge = max_events_per_edge
        self.seed = seed

    # -- how the evidence is used ----------------------------------------------------------

    @classmethod
    def describe_operations(cls, ctx: Describing, evidence: Evidence | None) -> None:
        """``audience_followers``: the followers of each operation's assets and the share
        that look bought, when the signal ran and could judge."""
        if evidence is None or not evidence.assessable:
            return
        for r in bought_share(ctx.engine, ctx.members, evidence).to_pylist():
            ctx.figures[r["cluster_id"]]["audience_followers"] = {
                "followers": r["followers"],
                "followers_inside": r["followers_inside"],
                "followers_declared": r["followers_declared"],
                "bought": r["bought"],
                "bought_share": r["bought_share"],
            }

    @classmethod
    def kill_chain_entries(cls, op: dict[str, Any]) -> list[tuple[str, str]]:
        per_platform = op["assets"]["by_signal_platform"].get(cls.name, {})
        return [
            (FOLLOWERS[platform], f"{n} {platform} account(s) with bought-looking followers")
            for platform, n in per_platform.items()
            if platform in FOLLOWERS
        ]

    # -- the run -------------------------------------------------------------------------

    def _check(self) -> None:
        if self.min_burst < 2:
            raise ValueError(f"min_burst={self.min_burst}: a burst has at least 2 follows")
        if not 0 < self.threshold <= 1:
            raise ValueError(f"threshold={self.threshold}: expected a score in (0, 1]")

    def run(self, engine: Engine) -> Evidence:
        self._check()
        ev = Evidence(signal=self.signal_name, params=self.get_params())
        n = engine.count("follows")
        ev.stats["follows"] = n
        if n == 0:
            ev.cannot_assess("nothing to judge: the store has no follows")
            ev.tables = {
                "followers": FOLLOWER_SCHEMA.empty_table(),
                "audiences": AUDIENCE_SCHEMA.empty_table(),
                "bursts": BURST_SCHEMA.empty_table(),
            }
            return ev
        scratch = RunSession(engine)
        try:
            self._run(engine, scratch, ev)
        finally:
            scratch.close()
        return ev

    def _run(self, engine: Engine, s: RunSession, ev: Evidence) -> None:
        s.create_table(
            "_au_f",
            "SELECT platform, follower_id, followee_id, time, "
            "CAST(floor(epoch(time)) AS BIGINT) AS t FROM follows",
        )
        timed = int(engine.scalar("SELECT count(*) FROM _au_f WHERE t IS NOT NULL"))
        ev.stats["follows_with_time"] = timed
        on_the_hour = int(
            engine.scalar("SELECT count(*) FROM _au_f WHERE t IS NOT NULL AND t % 3600 = 0")
        )
        if timed and on_the_hour >= 0.5 * timed:
            # Times given to the hour or the day (an export's dates) would make every
            # account's follows of one day a "burst": they are used as evidence, not timed.
            ev.notes.append(
                f"{on_the_hour:,} of {timed:,} follow times fall on the hour: they are dates, "
                "not times, and are not used to find bursts"
            )
            s.create_table(
                "_au_f",
                "SELECT platform, follower_id, followee_id, time, CAST(NULL AS BIGINT) AS t "
                "FROM follows",
            )
            timed = 0
        if timed == 0:
            ev.notes.append(
                "the follows have no times: no bursts; followers are judged by dense blocks "
                "(FRAUDAR) and their marks only"
            )
        seconds: dict[str, float] = {}
        for step in (self._bursts, self._marks, self._blocks, self._scores, self._edges):
            t0 = time.perf_counter()
            step(s, ev)
            seconds[step.__name__.strip("_")] = round(time.perf_counter() - t0, 2)
        t0 = time.perf_counter()
        self._audiences(s, ev)
        seconds["audiences"] = round(time.perf_counter() - t0, 2)
        ev.stats["seconds"] = seconds

    # -- bursts (CatchSync's synchronicity, in time) --------------------------------------

    def _bursts(self, s: RunSession, ev: Evidence) -> None:
        gap = float(self.burst_gap)
        # Sessions of a followed account's follows: a gap over burst_gap starts a new one.
        s.create_table(
            "_au_sess",
            f"""WITH o AS (
                    SELECT *, t - lag(t) OVER (PARTITION BY platform, followee_id
                                               ORDER BY t, follower_id) AS gap
                    FROM _au_f WHERE t IS NOT NULL)
                SELECT platform, follower_id, followee_id, time, t,
                       sum(CASE WHEN gap IS NULL OR gap > {gap} THEN 1 ELSE 0 END)
                         OVER (PARTITION BY platform, followee_id ORDER BY t, follower_id
                               ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS sid
                FROM o""",
        )
        # A burst outpaces the account's own rate of follows (the other follows over the
        # time it has had followers, at least a day) by burst_ratio: a celebrity's steady
        # stream of follows is one long session, not a burst.
        s.create_table(
            "_au_bursts",
            f"""WITH sess AS (
                    SELECT platform, followee_id, sid, count(*) AS n, min(t) AS t0,
                           max(t) AS t1, min(time) AS start_time, max(time) AS end_time
                    FROM _au_sess GROUP BY platform, followee_id, sid),
                tot AS (
                    SELECT platform, followee_id, count(*) AS total, min(t) AS first_t,
                           max(t) AS last_t
                    FROM _au_sess GROUP BY platform, followee_id),
                r AS (
                    SELECT s.*, CAST(tot.total - s.n + 1 AS DOUBLE)
                             / greatest(tot.last_t - tot.first_t, {DAY})
                             * (s.t1 - s.t0 + {gap}) AS expected
                    FROM sess s JOIN tot ON s.platform = tot.platform
                                        AND s.followee_id = tot.followee_id)
                SELECT platform || '/' || followee_id || '#' || CAST(sid AS VARCHAR) AS burst_id,
                       platform, followee_id, sid, n, t0, t1, start_time, end_time, expected
                FROM r
                WHERE n >= {int(self.min_burst)} AND n >= {float(self.burst_ratio)} * expected""",
        )
        s.create_table(
            "_au_bf",
            """SELECT x.platform, x.follower_id, x.followee_id, x.time, x.t, b.burst_id,
                      b.t0 AS burst_t0
               FROM _au_sess x JOIN _au_bursts b
                 ON x.platform = b.platform AND x.followee_id = b.followee_id AND x.sid = b.sid""",
        )
        ev.stats["bursts"] = int(s.engine.count("_au_bursts"))
        ev.stats["burst_follows"] = int(s.engine.count("_au_bf"))

    # -- marks of a spam-pool account -----------------------------------------------------

    def _marks(self, s: RunSession, ev: Evidence) -> None:
        engine = s.engine
        # A mark the store cannot tell (no account has a creation time, a picture hash or a
        # bio; there are no activities) is left out rather than set for everyone.
        has = engine.fetch(
            "SELECT count(created_at) AS created, count(profile_image_hash) AS picture, "
            "count(description) AS bio FROM accounts"
        ).to_pylist()[0]
        posts = int(engine.scalar("SELECT count(*) FROM (SELECT 1 FROM activities LIMIT 1)"))
        known = {
            "new": has["created"] > 0,
            "no_picture": has["picture"] > 0,
            "no_bio": has["bio"] > 0,
            "no_posts": posts > 0,
            "follows_many": True,
        }
        ev.stats["marks_used"] = [m for m in MARKS if known[m]]
        for m in MARKS:
            if not known[m]:
                ev.notes.append(f"the store cannot tell the mark '{m}': it is not used")
        # Age is measured at the account's observation, else at the store's last follow.
        now = engine.scalar("SELECT CAST(floor(epoch(max(time))) AS BIGINT) FROM _au_f")
        now_sql = str(int(now)) if now is not None else "NULL"

        def mark(name: str, expr: str) -> str:
            return f"CASE WHEN {expr} THEN 1 ELSE 0 END" if known[name] else "CAST(NULL AS INT)"

        posters = (
            "SELECT DISTINCT platform, account_id FROM activities"
            if known["no_posts"]
            else "SELECT CAST(NULL AS VARCHAR) AS platform, CAST(NULL AS VARCHAR) AS account_id WHERE false"
        )
        s.create_table(
            "_au_deg",
            """SELECT platform, account_id, CAST(sum(out_d) AS BIGINT) AS out_d,
                      CAST(sum(in_d) AS BIGINT) AS in_d FROM (
                   SELECT platform, follower_id AS account_id, count(*) AS out_d, 0 AS in_d
                   FROM _au_f GROUP BY platform, follower_id
                   UNION ALL
                   SELECT platform, followee_id AS account_id, 0 AS out_d, count(*) AS in_d
                   FROM _au_f GROUP BY platform, followee_id)
               GROUP BY platform, account_id""",
        )
        s.create_table(
            "_au_marks",
            f"""WITH fo AS (SELECT platform, account_id, out_d, in_d FROM _au_deg WHERE out_d > 0),
                j AS (
                    SELECT fo.platform, fo.account_id,
                           coalesce(a.following, fo.out_d) AS following,
                           coalesce(a.followers, fo.in_d) AS followers,
                           (coalesce(CAST(floor(epoch(a.observed_at)) AS BIGINT), {now_sql})
                            - CAST(floor(epoch(a.created_at)) AS BIGINT)) / {float(DAY)} AS age_days,
                           a.profile_image_hash, a.description,
                           p.account_id AS poster
                    FROM fo
                    LEFT JOIN accounts a ON a.platform = fo.platform AND a.account_id = fo.account_id
                    LEFT JOIN ({posters}) p ON p.platform = fo.platform AND p.account_id = fo.account_id),
                m AS (
                    SELECT platform, account_id, following, followers, age_days,
                           CASE WHEN age_days IS NULL THEN CAST(NULL AS INT)
                                ELSE {mark("new", f"age_days < {float(self.new_days)}")} END AS new,
                           {mark("no_picture", "profile_image_hash IS NULL OR profile_image_hash = ''")} AS no_picture,
                           {mark("no_bio", "description IS NULL OR trim(description) = ''")} AS no_bio,
                           {mark("no_posts", "poster IS NULL")} AS no_posts,
                           {mark("follows_many", f"following >= {int(self.follows_many)} AND following >= {float(self.follow_ratio)} * (coalesce(followers, 0) + 1)")} AS follows_many
                    FROM j)
                SELECT *,
                       CAST(coalesce(new, 0) + coalesce(no_picture, 0) + coalesce(no_bio, 0)
                            + coalesce(no_posts, 0) + coalesce(follows_many, 0) AS DOUBLE)
                       / nullif((CASE WHEN new IS NULL THEN 0 ELSE 1 END)
                                + (CASE WHEN no_picture IS NULL THEN 0 ELSE 1 END)
                                + (CASE WHEN no_bio IS NULL THEN 0 ELSE 1 END)
                                + (CASE WHEN no_posts IS NULL THEN 0 ELSE 1 END)
                                + (CASE WHEN follows_many IS NULL THEN 0 ELSE 1 END), 0) AS marks
                FROM m""",
        )
        s.create_table(
            "_au_sync0",
            """SELECT platform, follower_id AS account_id,
                      count(DISTINCT followee_id) AS burst_accounts,
                      min(time) AS first_burst_time, max(time) AS last_burst_time
               FROM _au_bf GROUP BY platform, follower_id""",
        )
        # CatchSync's point: a pool's followers move together again and again. A burst
        # whose followers were also in other accounts' bursts is a pool's delivery; a fan
        # flood on one new account is not. Each burst a follower joined is evidence
        # e = (1 + share of the burst's followers also in other accounts' bursts) / 2,
        # combined as independent evidence, 1 - prod(1 - e).
        s.create_table(
            "_au_overlap",
            """SELECT x.burst_id, count(*) AS n,
                      sum(CASE WHEN y.burst_accounts >= 2 THEN 1 ELSE 0 END) AS in_other_bursts
               FROM _au_bf x JOIN _au_sync0 y
                 ON y.platform = x.platform AND y.account_id = x.follower_id
               GROUP BY x.burst_id""",
        )
        s.create_table(
            "_au_sync",
            """SELECT y.platform, y.account_id, y.burst_accounts, y.first_burst_time,
                      y.last_burst_time,
                      max(CAST(o.in_other_bursts AS DOUBLE) / o.n) AS pool_share,
                      round(1 - exp(sum(ln(greatest(
                          0.5 * (1 - CAST(o.in_other_bursts AS DOUBLE) / o.n), 1e-12)))), 6)
                        AS burst_behaviour
               FROM _au_sync0 y
               JOIN (SELECT DISTINCT platform, follower_id, burst_id FROM _au_bf) x
                 ON x.platform = y.platform AND x.follower_id = y.account_id
               JOIN _au_overlap o ON o.burst_id = x.burst_id
               GROUP BY y.platform, y.account_id, y.burst_accounts, y.first_burst_time,
                        y.last_burst_time""",
        )

    # -- dense blocks (FRAUDAR) -----------------------------------------------------------

    def _blocks(self, s: RunSession, ev: Evidence) -> None:
        engine = s.engine
        # Candidates: followers that look like pool accounts (a follower with fewer marks
        # cannot reach the threshold, whatever its behaviour: the score is their product).
        # The block is sought among their follows only (all of them, camouflage included),
        # so that a real export's millions of follows never reach Python.
        cm = float(self.candidate_marks)
        edges = engine.fetch(
            f"""WITH c AS (
                    SELECT platform, account_id FROM _au_marks WHERE marks >= {cm})
                SELECT f.platform, f.follower_id, f.followee_id, d.in_d
                FROM _au_f f
                JOIN c ON c.platform = f.platform AND c.account_id = f.follower_id
                JOIN _au_deg d ON d.platform = f.platform AND d.account_id = f.followee_id"""
        )
        ev.stats["candidate_follows"] = edges.num_rows
        rows_out: dict[str, list] = {"platform": [], "account_id": [], "block": [], "side": []}
        blocks_info = []
        if edges.num_rows:
            rng = np.random.default_rng(self.seed)
            plat = np.asarray(edges["platform"].to_pylist(), dtype=object)
            fol = np.asarray(edges["follower_id"].to_pylist(), dtype=object)
            fee = np.asarray(edges["followee_id"].to_pylist(), dtype=object)
            w_all = column_weights(edges["in_d"].to_numpy(), self.column_c)
            indeg = self._in_degrees(engine)
            block_no = 0
            # Follows never cross platforms: each platform's graph is peeled on its own,
            # in a fixed order so that block numbers are the same on every engine.
            for p in sorted(set(plat.tolist())):
                sel = plat == p
                ru, ri = np.unique(fol[sel].astype(str), return_inverse=True)
                cu, ci = np.unique(fee[sel].astype(str), return_inverse=True)
                w = w_all[sel]
                null = self._null_density(ri, len(ru), indeg.get(p), rng)
                for b in dense_blocks(ri, ci, w, len(ru), len(cu), max_blocks=self.max_blocks):
                    if b.density <= null or len(b.rows) < 2:
                        break
                    block_no += 1
                    blocks_info.append(
                        {
                            "block": block_no,
                            "platform": p,
                            "followers": len(b.rows),
                            "followed": len(b.cols),
                            "density": b.density,
                            "null_density": null,
                        }
                    )
                    for side, ids in (("follower", ru[b.rows]), ("followed", cu[b.cols])):
                        rows_out["platform"] += [p] * len(ids)
                        rows_out["account_id"] += ids.tolist()
                        rows_out["block"] += [block_no] * len(ids)
                        rows_out["side"] += [side] * len(ids)
        ev.stats["blocks"] = blocks_info
        s.register(
            "_au_block",
            pa.table(
                {
                    "platform": pa.array(rows_out["platform"], pa.string()),
                    "account_id": pa.array(rows_out["account_id"], pa.string()),
                    "block": pa.array(rows_out["block"], pa.int64()),
                    "side": pa.array(rows_out["side"], pa.string()),
                }
            ),
        )

    def _in_degrees(self, engine: Engine) -> dict[str, np.ndarray]:
        """Per platform, the in-degrees of every followed account."""
        t = engine.fetch(
            "SELECT platform, in_d FROM _au_deg WHERE in_d > 0 ORDER BY platform, in_d"
        )
        plat = np.asarray(t["platform"].to_pylist(), dtype=object)
        d = t["in_d"].to_numpy()
        return {p: d[plat == p] for p in set(plat.tolist())}

    def _null_density(self, ri, n_rows: int, indeg: np.ndarray | None, rng) -> float:
        """The densest block's density when the candidates keep their number of follows
        but choose whom they follow as anyone on the platform would, in proportion to
        followers (Chung-Lu): what chance overlap among these candidates reaches. (A
        shuffle within the candidates' own follows would keep the block: a pool is most
        of that subgraph.)"""
        if indeg is None or len(indeg) == 0:
            return 0.0
        best = 0.0
        p = indeg / indeg.sum()
        for _ in range(max(0, int(self.null_replicates))):
            cols = rng.choice(len(indeg), size=len(ri), p=p)
            w = column_weights(indeg[cols], self.column_c)
            blocks = dense_blocks(ri, cols, w, n_rows, len(indeg), max_blocks=1)
            if blocks:
                best = max(best, blocks[0].density)
        return best

    # -- scores ---------------------------------------------------------------------------

    def _scores(self, s: RunSession, ev: Evidence) -> None:
        engine = s.engine
        s.create_table(
            "_au_score",
            """WITH b AS (SELECT platform, account_id, min(block) AS block FROM _au_block
                          WHERE side = 'follower' GROUP BY platform, account_id),
                j AS (
                    SELECT m.*, coalesce(y.burst_accounts, 0) AS burst_accounts,
                           coalesce(y.burst_behaviour, 0.0) AS burst_behaviour, y.pool_share,
                           y.first_burst_time, y.last_burst_time, b.block
                    FROM _au_marks m
                    LEFT JOIN _au_sync y ON y.platform = m.platform AND y.account_id = m.account_id
                    LEFT JOIN b ON b.platform = m.platform AND b.account_id = m.account_id
                    WHERE y.account_id IS NOT NULL OR b.account_id IS NOT NULL),
                h AS (
                    SELECT *, greatest(burst_behaviour,
                                       CASE WHEN block IS NULL THEN 0.0 ELSE 1.0 END) AS behaviour
                    FROM j)
               SELECT *, coalesce(marks, 0.0) * behaviour AS score FROM h""",
        )
        t = engine.fetch(
            f"SELECT {', '.join(FOLLOWER_SCHEMA.names)} FROM _au_score "
            "ORDER BY score DESC, platform, account_id"
        )
        followers = t.cast(FOLLOWER_SCHEMA)
        ev.tables["followers"] = followers
        reasons = [_follower_reason(r) for r in followers.to_pylist()]
        ev.scores = pa.table(
            {
                "signal": pa.array([self.signal_name] * followers.num_rows, pa.string()),
                "platform": followers["platform"],
                "account_id": followers["account_id"],
                "score": followers["score"],
                "reason": pa.array(reasons, pa.string()),
            }
        ).cast(SCORE_SCHEMA)
        ev.stats["followers_judged"] = followers.num_rows
        ev.stats["followers_bought"] = int(
            sum(1 for x in followers["score"].to_pylist() if x >= self.threshold)
        )

    # -- edges ----------------------------------------------------------------------------

    def _edges(self, s: RunSession, ev: Evidence) -> None:
        engine = s.engine
        thr = float(self.threshold)
        # A bought follow: a follower that looks bought, following an account in one of
        # that account's bursts or inside their common block.
        s.create_table(
            "_au_bought",
            f"""WITH fb AS (
                    SELECT platform, account_id FROM _au_score WHERE score >= {thr}),
                share AS (
                    SELECT f.platform, f.followee_id
                    FROM _au_f f LEFT JOIN fb
                      ON fb.platform = f.platform AND fb.account_id = f.follower_id
                    GROUP BY f.platform, f.followee_id
                    HAVING count(fb.account_id) >= 0.5 * count(*)),
                inb AS (
                    -- Without times, a follow inside a block is bought when most of the
                    -- followed account's followers look bought: the popular accounts the
                    -- pool also follows (camouflage) can fall inside its block.
                    SELECT f.platform, f.follower_id, f.followee_id, f.time
                    FROM _au_f f
                    JOIN _au_block x ON x.platform = f.platform AND x.account_id = f.follower_id
                                    AND x.side = 'follower'
                    JOIN _au_block y ON y.platform = f.platform AND y.account_id = f.followee_id
                                    AND y.side = 'followed' AND y.block = x.block
                    JOIN share sh ON sh.platform = f.platform AND sh.followee_id = f.followee_id
                    WHERE f.t IS NULL),
                u AS (
                    SELECT platform, follower_id, followee_id, time, burst_id, burst_t0 FROM _au_bf
                    UNION ALL
                    SELECT platform, follower_id, followee_id, time,
                           CAST(NULL AS VARCHAR) AS burst_id, CAST(NULL AS BIGINT) AS burst_t0
                    FROM inb)
                SELECT u.platform, u.follower_id, u.followee_id, min(u.time) AS time,
                       max(u.burst_id) AS burst_id, max(u.burst_t0) AS burst_t0
                FROM u JOIN fb ON fb.platform = u.platform AND fb.account_id = u.follower_id
                GROUP BY u.platform, u.follower_id, u.followee_id""",
        )
        bought = engine.fetch(
            """SELECT b.platform, b.follower_id, b.followee_id, b.time, b.burst_id,
                      CAST(floor(epoch(b.time)) AS BIGINT) - b.burst_t0 AS lag,
                      k.score, x.n AS burst_size,
                      CAST(ceil((x.t1 - x.t0 + 1) / 60.0) AS BIGINT) AS burst_minutes,
                      bl.block
               FROM _au_bought b
               JOIN _au_score k ON k.platform = b.platform AND k.account_id = b.follower_id
               LEFT JOIN _au_bursts x ON x.burst_id = b.burst_id
               LEFT JOIN _au_block bl ON bl.platform = b.platform
                    AND bl.account_id = b.followee_id AND bl.side = 'followed'
               ORDER BY b.platform, b.followee_id, b.follower_id"""
        )
        ev.stats["bought_follows"] = bought.num_rows
        ev.tables["bought"] = bought.select(BOUGHT_SCHEMA.names).cast(BOUGHT_SCHEMA)
        follow_edges, follow_events = _bought_follow_edges(self.signal_name, bought)
        # Shared pool: followed accounts with min_shared bought followers in common. Each
        # follower's bought follows are taken in time order and paired with the next
        # `neighbours` only, so that a vendor account following thousands of customers
        # cannot make a quadratic number of pairs; each followed account keeps its
        # `pool_neighbours` strongest partners (every buyer from one pool shares followers
        # with every other: the clique says no more than its strongest links do).
        k = int(self.neighbours)
        s.create_table(
            "_au_pairs",
            f"""WITH o AS (
                    SELECT platform, follower_id, followee_id, time,
                           row_number() OVER (PARTITION BY platform, follower_id
                                              ORDER BY time, followee_id) AS rn
                    FROM _au_bought),
                b AS (SELECT *, CAST(floor((rn - 1) / {k}) AS BIGINT) AS blk FROM o),
                y2 AS (SELECT *, blk AS jk FROM b UNION ALL SELECT *, blk - 1 AS jk FROM b),
                p AS (
                    SELECT x.platform, x.follower_id, x.followee_id AS fx, y.followee_id AS fy,
                           x.time AS tx, y.time AS ty
                    FROM b x JOIN y2 y ON x.platform = y.platform
                                      AND x.follower_id = y.follower_id AND x.blk = y.jk
                    WHERE y.rn > x.rn AND y.rn - x.rn <= {k})
                SELECT platform, follower_id,
                       CASE WHEN fx < fy THEN fx ELSE fy END AS account_a,
                       CASE WHEN fx < fy THEN fy ELSE fx END AS account_b,
                       CASE WHEN fx < fy THEN tx ELSE ty END AS time_a,
                       CASE WHEN fx < fy THEN ty ELSE tx END AS time_b
                FROM p""",
        )
        s.create_table(
            "_au_pool",
            f"""WITH e AS (
                    SELECT platform, account_a, account_b, count(*) AS shared,
                           min(least(time_a, time_b)) AS first_time,
                           max(greatest(time_a, time_b)) AS last_time
                    FROM _au_pairs GROUP BY platform, account_a, account_b
                    HAVING count(*) >= {int(self.min_shared)}),
                both_ends AS (
                    SELECT platform, account_a AS node, account_a, account_b, shared FROM e
                    UNION ALL
                    SELECT platform, account_b AS node, account_a, account_b, shared FROM e),
                r AS (
                    SELECT *, row_number() OVER (PARTITION BY platform, node
                                                 ORDER BY shared DESC, account_a, account_b) AS rk
                    FROM both_ends),
                keep AS (SELECT DISTINCT platform, account_a, account_b FROM r
                         WHERE rk <= {int(self.pool_neighbours)}),
                n AS (SELECT platform, followee_id, count(*) AS bought FROM _au_bought
                      GROUP BY platform, followee_id)
                SELECT e.*, na.bought AS bought_a, nb.bought AS bought_b
                FROM e
                JOIN keep ON keep.platform = e.platform AND keep.account_a = e.account_a
                         AND keep.account_b = e.account_b
                JOIN n na ON na.platform = e.platform AND na.followee_id = e.account_a
                JOIN n nb ON nb.platform = e.platform AND nb.followee_id = e.account_b""",
        )
        pool = engine.fetch("SELECT * FROM _au_pool ORDER BY platform, account_a, account_b")
        pool_events = engine.fetch(
            f"""WITH r AS (
                    SELECT p.*, row_number() OVER (PARTITION BY p.platform, p.account_a, p.account_b
                                                   ORDER BY p.follower_id) AS i
                    FROM _au_pairs p JOIN _au_pool e ON e.platform = p.platform
                         AND e.account_a = p.account_a AND e.account_b = p.account_b)
                SELECT platform, account_a, account_b, follower_id, time_a, time_b FROM r
                WHERE i <= {int(self.max_events_per_edge)}
                ORDER BY platform, account_a, account_b, follower_id"""
        )
        ev.stats["shared_pool_edges"] = pool.num_rows
        ev.edges = pa.concat_tables([follow_edges, _pool_edges(self.signal_name, pool)])
        ev.events = pa.concat_tables([follow_events, _pool_events(self.signal_name, pool_events)])

    # -- per followed account -------------------------------------------------------------

    def _audiences(self, s: RunSession, ev: Evidence) -> None:
        engine = s.engine
        thr = float(self.threshold)
        t = engine.fetch(
            f"""WITH fb AS (SELECT platform, account_id FROM _au_score WHERE score >= {thr}),
                targets AS (
                    SELECT platform, followee_id FROM _au_bursts
                    UNION SELECT platform, followee_id FROM _au_bought),
                tot AS (
                    SELECT f.platform, f.followee_id, count(*) AS followers,
                           count(fb.account_id) AS bought
                    FROM _au_f f JOIN targets t ON t.platform = f.platform AND t.followee_id = f.followee_id
                    LEFT JOIN fb ON fb.platform = f.platform AND fb.account_id = f.follower_id
                    GROUP BY f.platform, f.followee_id),
                bu AS (
                    SELECT platform, followee_id, count(*) AS bursts, sum(n) AS burst_follows,
                           max(n) AS largest_burst, min(start_time) AS first_burst_time,
                           max(end_time) AS last_burst_time
                    FROM _au_bursts GROUP BY platform, followee_id),
                bo AS (SELECT platform, followee_id, count(*) AS bought_in_bursts FROM _au_bought
                       GROUP BY platform, followee_id),
                bl AS (SELECT platform, account_id, min(block) AS block FROM _au_block
                       WHERE side = 'followed' GROUP BY platform, account_id)
                SELECT tot.platform, tot.followee_id AS account_id, tot.followers,
                       a.followers AS followers_declared, tot.bought,
                       CAST(tot.bought AS DOUBLE) / tot.followers AS bought_share,
                       coalesce(bo.bought_in_bursts, 0) AS bought_in_bursts,
                       coalesce(bu.bursts, 0) AS bursts, coalesce(bu.burst_follows, 0) AS burst_follows,
                       coalesce(bu.largest_burst, 0) AS largest_burst,
                       bu.first_burst_time, bu.last_burst_time, bl.block
                FROM tot
                LEFT JOIN accounts a ON a.platform = tot.platform AND a.account_id = tot.followee_id
                LEFT JOIN bu ON bu.platform = tot.platform AND bu.followee_id = tot.followee_id
                LEFT JOIN bo ON bo.platform = tot.platform AND bo.followee_id = tot.followee_id
                LEFT JOIN bl ON bl.platform = tot.platform AND bl.account_id = tot.followee_id
                ORDER BY bought_share DESC, tot.platform, tot.followee_id"""
        )
        rows = t.to_pylist()
        for r in rows:
            r["reason"] = _audience_reason(r)
        ev.tables["audiences"] = pa.Table.from_pylist(rows, AUDIENCE_SCHEMA)
        bursts = engine.fetch(
            f"""WITH fb AS (SELECT platform, account_id FROM _au_score WHERE score >= {thr}),
                n AS (SELECT x.burst_id, count(fb.account_id) AS bought FROM _au_bf x
                      LEFT JOIN fb ON fb.platform = x.platform AND fb.account_id = x.follower_id
                      GROUP BY x.burst_id)
                SELECT b.burst_id, b.platform, b.followee_id AS account_id, b.n AS follows,
                       n.bought, o.in_other_bursts, b.start_time AS start, b.end_time AS "end",
                       b.expected
                FROM _au_bursts b JOIN n ON n.burst_id = b.burst_id
                JOIN _au_overlap o ON o.burst_id = b.burst_id
                ORDER BY b.platform, b.followee_id, b.start_time"""
        )
        ev.tables["bursts"] = bursts.cast(BURST_SCHEMA)


# -- reasons and edge tables built from fetched rows ---------------------------------------


def _follower_reason(r: dict[str, Any]) -> str:
    parts = []
    if r["burst_accounts"]:
        parts.append(
            f"followed {r['burst_accounts']} account{'s' if r['burst_accounts'] != 1 else ''} "
            f"in bursts of follows (up to {100 * r['pool_share']:.0f}% of a burst's followers "
            "were in other accounts' bursts too)"
        )
    if r["block"] is not None:
        parts.append(f"is in dense follow block {r['block']}")
    marks = []
    if r["new"]:
        marks.append(f"{r['age_days']:.0f} days old")
    if r["no_picture"]:
        marks.append("no picture")
    if r["no_bio"]:
        marks.append("no bio")
    if r["no_posts"]:
        marks.append("no posts")
    if r["follows_many"]:
        marks.append(f"follows {r['following']}, followed by {r['followers'] or 0}")
    looks = f"looks like a pool account: {', '.join(marks)}" if marks else "has an ordinary profile"
    return "; ".join(parts) + "; " + looks


def _audience_reason(r: dict[str, Any]) -> str:
    out = (
        f"{r['bought']} of {r['followers']} followers ({100 * r['bought_share']:.0f}%) look bought"
    )
    if r["bursts"]:
        out += (
            f"; {r['bursts']} burst{'s' if r['bursts'] != 1 else ''} of follows "
            f"({r['burst_follows']} follows, the largest {r['largest_burst']})"
        )
    if r["block"] is not None:
        out += f"; in dense follow block {r['block']}"
    return out


def _str(a: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    return pc.cast(a, pa.string())


def _join(*parts: Any) -> pa.Array:
    """Strings built column-wise (a literal is repeated): reasons for many rows at once."""
    return pc.binary_join_element_wise(*parts, "")


def _follow_links(
    schema: pa.Schema,
    signal: str,
    platform: pa.ChunkedArray,
    a: pa.Array | pa.ChunkedArray,
    b: pa.Array | pa.ChunkedArray,
    **columns: pa.Array | pa.ChunkedArray,
) -> pa.Table:
    """Edges or events (``schema``) between accounts ``a`` and ``b`` of one platform, with
    ``columns``; what a follow does not have (p-values, activities) is null."""
    n = len(a)
    given = {
        "signal": pa.array([signal] * n, pa.string()),
        "platform_a": platform,
        "account_a": a,
        "platform_b": platform,
        "account_b": b,
        **columns,
    }
    return pa.table({f.name: given.get(f.name, pa.nulls(n, f.type)) for f in schema}).cast(schema)


def _bought_follow_edges(signal: str, t: pa.Table) -> tuple[pa.Table, pa.Table]:
    n = t.num_rows
    a, b = t["follower_id"], t["followee_id"]
    flip = pc.less(b, a)  # oriented by platform/account_id, as every signal's edges are
    first, second = pc.if_else(flip, b, a), pc.if_else(flip, a, b)
    score = _str(pc.round(t["score"], 2))
    burst = _join(
        "followed in a burst of ",
        _str(t["burst_size"]),
        " follows within ",
        _str(t["burst_minutes"]),
        " min",
    )
    block = _join("followed inside dense follow block ", _str(t["block"]))
    why = pc.if_else(pc.is_null(t["burst_id"]), block, burst)
    reason = _join(
        "bought follow: ",
        t["platform"],
        "/",
        a,
        " ",
        why,
        ", and looks bought (score ",
        score,
        ")",
    )
    edges = _follow_links(
        EDGE_SCHEMA,
        signal,
        t["platform"],
        first,
        second,
        weight=t["score"],
        count=pa.array(np.ones(n, dtype=np.int64)),
        first_time=t["time"],
        last_time=t["time"],
        reason=reason,
    )
    target = pc.if_else(pc.is_null(t["burst_id"]), _join("block ", _str(t["block"])), t["burst_id"])
    events = _follow_links(
        EVENT_SCHEMA,
        signal,
        t["platform"],
        first,
        second,
        target=target,
        time_a=t["time"],
        time_b=t["time"],
        lag_seconds=pc.cast(t["lag"], pa.float64()),
    )
    return edges, events


def _pool_edges(signal: str, t: pa.Table) -> pa.Table:
    reason = _join(
        "shared pool: ",
        _str(t["shared"]),
        " followers that look bought followed both (of ",
        _str(t["bought_a"]),
        " and ",
        _str(t["bought_b"]),
        ")",
    )
    return _follow_links(
        EDGE_SCHEMA,
        signal,
        t["platform"],
        t["account_a"],
        t["account_b"],
        weight=pc.cast(t["shared"], pa.float64()),
        count=pc.cast(t["shared"], pa.int64()),
        first_time=t["first_time"],
        last_time=t["last_time"],
        reason=reason,
    )


def _pool_events(signal: str, t: pa.Table) -> pa.Table:
    ta = pc.cast(t["time_a"], pa.timestamp("us", tz="UTC"))
    tb = pc.cast(t["time_b"], pa.timestamp("us", tz="UTC"))
    lag = pc.divide(
        pc.cast(
            pc.abs(pc.subtract(pc.cast(tb, pa.int64()), pc.cast(ta, pa.int64()))), pa.float64()
        ),
        1e6,
    )
    return _follow_links(
        EVENT_SCHEMA,
        signal,
        t["platform"],
        t["account_a"],
        t["account_b"],
        target=_join(t["platform"], "/", t["follower_id"]),
        time_a=ta,
        time_b=tb,
        lag_seconds=lag,
    )


# -- functions on any group of accounts ------------------------------------------------------

ENGAGEMENT_KINDS = {
    "reply": "comments",
    "comment": "comments",
    "share": "shares",
    "quote": "shares",
    "reaction": "reactions",
}


def engaged_sql(posts: str) -> str:
    """A query of ``platform, actor, kind, owner``: each engagement (``ENGAGEMENT_KINDS``)
    with the account it engaged, its ``parent_account_id`` as the export says, else the
    author of its parent among ``posts`` (a table or parenthesised query of ``platform,
    activity_id, account_id``: the posts of the accounts being judged). Exports of one
    side's reshares often leave the parent's author out; the parent post, when collected,
    still names it."""
    return f"""SELECT e.platform, e.account_id AS actor, e.kind,
                      coalesce(e.parent_account_id, p.account_id) AS owner
               FROM activities e LEFT JOIN {posts} p
                 ON p.platform = e.platform AND p.activity_id = e.parent_activity_id
               WHERE e.parent_activity_id IS NOT NULL
                 AND e.kind IN ({literals(ENGAGEMENT_KINDS)})"""


ECHO_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
        pa.field("activities", pa.int64(), nullable=False),
        pa.field("received", pa.int64(), nullable=False),
        pa.field("inside", pa.int64(), nullable=False),
        pa.field("outside", pa.int64(), nullable=False),
        pa.field("inside_share", pa.float64()),
        pa.field("comments_inside", pa.int64(), nullable=False),
        pa.field("comments_outside", pa.int64(), nullable=False),
        pa.field("shares_inside", pa.int64(), nullable=False),
        pa.field("shares_outside", pa.int64(), nullable=False),
        pa.field("reactions_inside", pa.int64(), nullable=False),
        pa.field("reactions_outside", pa.int64(), nullable=False),
        pa.field("inside_accounts", pa.int64(), nullable=False),
        pa.field("outside_accounts", pa.int64(), nullable=False),
    ]
)


@dataclass(frozen=True)
class EchoChamber:
    """The engagement one group of accounts received (self-engagement left out)."""

    accounts: int
    activities: int  # the group's own activities (posts and responses)
    received: int
    inside: int
    outside: int
    by_kind: dict[str, tuple[int, int]]  # kind -> (inside, outside)
    inside_accounts: int  # distinct members that engaged with other members
    outside_accounts: int  # distinct outside accounts that engaged at all

    @property
    def inside_share(self) -> float | None:
        return self.inside / self.received if self.received else None


def _group_sql(accounts: pa.Table) -> pa.Table:
    if "cluster_id" not in accounts.column_names:
        accounts = accounts.append_column(
            "cluster_id", pa.array(["all"] * accounts.num_rows, pa.string())
        )
    return accounts.select(["platform", "account_id", "cluster_id"]).cast(
        pa.schema(
            [
                pa.field("platform", pa.string()),
                pa.field("account_id", pa.string()),
                pa.field("cluster_id", pa.string()),
            ]
        )
    )


def echo_chambers(engine: Engine, accounts: pa.Table) -> pa.Table:
    """Per group (``cluster_id``; one group when the column is absent) of ``accounts``
    (``platform, account_id``): the replies and comments, shares and quotes, and reactions
    its members received on their posts, from other members (inside) and from everyone
    else (outside), and how many distinct accounts engaged from each side (``ECHO_SCHEMA``).

    An account answering itself is left out. The engaged account is the activity's
    ``parent_account_id``, or the author of its ``parent_activity_id`` when that is
    missing. One scan of the activities serves every group, so a caller judging many
    clusters passes them all at once; an account in several groups counts in each.
    """
    scratch = RunSession(engine)
    try:
        scratch.register("_au_g", _group_sql(accounts))
        kind_case = " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in ENGAGEMENT_KINDS.items())
        kinds = sorted(set(ENGAGEMENT_KINDS.values()))
        per_kind = ", ".join(
            f"sum(CASE WHEN bucket = '{k}' AND inside = 1 THEN 1 ELSE 0 END) AS {k}_inside, "
            f"sum(CASE WHEN bucket = '{k}' AND inside = 0 THEN 1 ELSE 0 END) AS {k}_outside"
            for k in kinds
        )
        engaged = engaged_sql("(SELECT DISTINCT platform, activity_id, account_id FROM mine)")
        t = engine.fetch(
            f"""WITH mine AS (
                    SELECT a.platform, a.activity_id, a.account_id, g.cluster_id
                    FROM activities a JOIN _au_g g
                      ON g.platform = a.platform AND g.account_id = a.account_id),
                owner AS ({engaged}),
                r AS (
                    SELECT g.cluster_id, o.platform, o.actor,
                           CASE o.kind {kind_case} END AS bucket,
                           CASE WHEN gi.account_id IS NULL THEN 0 ELSE 1 END AS inside
                    FROM owner o
                    JOIN _au_g g ON g.platform = o.platform AND g.account_id = o.owner
                    LEFT JOIN _au_g gi ON gi.platform = o.platform AND gi.account_id = o.actor
                                      AND gi.cluster_id = g.cluster_id
                    WHERE o.actor <> o.owner),
                agg AS (
                    SELECT cluster_id, count(*) AS received, sum(inside) AS inside,
                           count(*) - sum(inside) AS outside, {per_kind},
                           count(DISTINCT CASE WHEN inside = 1 THEN platform || '/' || actor END)
                             AS inside_accounts,
                           count(DISTINCT CASE WHEN inside = 0 THEN platform || '/' || actor END)
                             AS outside_accounts
                    FROM r GROUP BY cluster_id),
                sizes AS (SELECT cluster_id, count(*) AS accounts FROM _au_g GROUP BY cluster_id),
                acts AS (SELECT cluster_id, count(*) AS activities FROM mine GROUP BY cluster_id)
                SELECT s.cluster_id, s.accounts, coalesce(p.activities, 0) AS activities,
                       coalesce(agg.received, 0) AS received, coalesce(agg.inside, 0) AS inside,
                       coalesce(agg.outside, 0) AS outside,
                       CAST(agg.inside AS DOUBLE) / nullif(agg.received, 0) AS inside_share,
                       {", ".join(f"coalesce(agg.{k}_inside, 0) AS {k}_inside, coalesce(agg.{k}_outside, 0) AS {k}_outside" for k in kinds)},
                       coalesce(agg.inside_accounts, 0) AS inside_accounts,
                       coalesce(agg.outside_accounts, 0) AS outside_accounts
                FROM sizes s LEFT JOIN agg ON agg.cluster_id = s.cluster_id
                LEFT JOIN acts p ON p.cluster_id = s.cluster_id
                ORDER BY s.cluster_id"""
        )
    finally:
        scratch.close()
    return t.select(ECHO_SCHEMA.names).cast(ECHO_SCHEMA)


def echo_chamber(engine: Engine, accounts: pa.Table) -> EchoChamber:
    """The echo chamber of one group of accounts (``platform, account_id``)."""
    r = echo_chambers(engine, accounts.select(["platform", "account_id"])).to_pylist()[0]
    return EchoChamber(
        accounts=r["accounts"],
        activities=r["activities"],
        received=r["received"],
        inside=r["inside"],
        outside=r["outside"],
        by_kind={
            k: (r[f"{k}_inside"], r[f"{k}_outside"]) for k in sorted(set(ENGAGEMENT_KINDS.values()))
        },
        inside_accounts=r["inside_accounts"],
        outside_accounts=r["outside_accounts"],
    )


BOUGHT_SHARE_SCHEMA = pa.schema(
    [
        pa.field("cluster_id", pa.string(), nullable=False),
        pa.field("accounts", pa.int64(), nullable=False),
        pa.field("followers", pa.int64(), nullable=False),
        pa.field("followers_inside", pa.int64(), nullable=False),
        pa.field("followers_declared", pa.int64()),
        pa.field("bought", pa.int64(), nullable=False),
        pa.field("bought_share", pa.float64()),
    ]
)


def bought_share(
    engine: Engine,
    accounts: pa.Table,
    followers: Evidence | pa.Table | None = None,
    *,
    threshold: float | None = None,
) -> pa.Table:
    """Per group (``cluster_id``; one group when absent) of ``accounts``: its distinct
    followers in the follows table (``followers_inside`` of them are members: a cluster
    found by detection can hold its own fake-follower pool), the sum of the members'
    declared follower counts, and how many of the followers look bought
    (``BOUGHT_SHARE_SCHEMA``).

    ``followers`` is the evidence of a :class:`BoughtFollowers` run (or its ``scores``
    table); without it the signal is run here, which costs a pass over the follows.
    """
    if followers is None:
        followers = BoughtFollowers().run(engine)
    scores = followers.scores if isinstance(followers, Evidence) else followers
    thr = BoughtFollowers.score_threshold if threshold is None else float(threshold)
    flagged = scores.filter(pc.greater_equal(scores["score"], thr)).select(
        ["platform", "account_id"]
    )
    scratch = RunSession(engine)
    try:
        scratch.register("_au_g", _group_sql(accounts))
        scratch.register(
            "_au_fb",
            flagged.cast(pa.schema([("platform", pa.string()), ("account_id", pa.string())])),
        )
        t = engine.fetch(
            """WITH f AS (
                    SELECT DISTINCT g.cluster_id, f.platform, f.follower_id
                    FROM follows f JOIN _au_g g
                      ON g.platform = f.platform AND g.account_id = f.followee_id),
                c AS (
                    SELECT f.cluster_id,
                           count(*) AS followers,
                           sum(CASE WHEN gi.account_id IS NULL THEN 0 ELSE 1 END) AS followers_inside,
                           sum(CASE WHEN fb.account_id IS NULL THEN 0 ELSE 1 END) AS bought
                    FROM f
                    LEFT JOIN _au_g gi ON gi.platform = f.platform
                         AND gi.account_id = f.follower_id AND gi.cluster_id = f.cluster_id
                    LEFT JOIN _au_fb fb ON fb.platform = f.platform AND fb.account_id = f.follower_id
                    GROUP BY f.cluster_id),
                d AS (
                    SELECT g.cluster_id, count(*) AS accounts, sum(a.followers) AS declared
                    FROM _au_g g LEFT JOIN accounts a
                      ON a.platform = g.platform AND a.account_id = g.account_id
                    GROUP BY g.cluster_id)
                SELECT d.cluster_id, d.accounts, coalesce(c.followers, 0) AS followers,
                       coalesce(c.followers_inside, 0) AS followers_inside,
                       d.declared AS followers_declared, coalesce(c.bought, 0) AS bought,
                       CAST(c.bought AS DOUBLE) / nullif(c.followers, 0) AS bought_share
                FROM d LEFT JOIN c ON c.cluster_id = d.cluster_id
                ORDER BY d.cluster_id"""
        )
    finally:
        scratch.close()
    return t.cast(BOUGHT_SHARE_SCHEMA)


__all__ = [
    "AUDIENCE_SCHEMA",
    "BOUGHT_SHARE_SCHEMA",
    "BURST_SCHEMA",
    "ECHO_SCHEMA",
    "FOLLOWER_SCHEMA",
    "BoughtFollowers",
    "EchoChamber",
    "bought_share",
    "echo_chamber",
    "echo_chambers",
]
