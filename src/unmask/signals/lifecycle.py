"""Life-cycle synchrony: accounts that start, wake up or stop together.

Accounts made and run as one batch share a life. A Doppelganger-like wave's accounts first
act at the wave's start and fall silent within a day or three; single-shot throwaway
accounts act once or twice, together, and vanish; an operation's aged accounts, bought
together years after they were made, *wake up* together: their first activity in the
data, not their creation date, is what coincides. ``IdentityTraits`` already covers the
creation date (batches), the handle and the picture; this signal reads only the
activities, so it still sees a batch whose accounts were bought aged, with ordinary
handles and pictures.

**Per account** (one pass over the activities, grouped by account and by account-day):
the first and last activity in the data, the number of activities and of active days, and
the longest silence between two active days. An activity after a silence of at least
``dormant_days`` is a *wake-up*; it then stands for the account's start (the start of its
present life). Name changes would be a fourth event, but the store keeps one row per
account (the newest), so they are not visible: a note says so.

**Censoring.** Everyone "starts" at the data's first day and "stops" at its last. Only
starts after ``data start + margin_s`` and stops before ``data end - margin_s`` are events;
an account active at either edge tells nothing about when it began or ended.

**The null: a Poisson scan statistic** (Kulldorff 1997, "A spatial scan statistic",
Communications in Statistics 26; Naus 1965; Glaz, Naus & Wallenstein 2001, "Scan
statistics"). For each start event at time t, ``k`` is the number of start events in
``[t, t + window_s]``. Under the null, starts arrive as a Poisson process at the rate the
population shows around t: the start events within ``background_s`` either side (clipped
to the uncensored span, the window's own ``k`` left out, plus one so that an empty
background is not a rate of zero), scaled by the population's share of starts at that
hour of the day (people start at the hours they are awake: a window at 8 pm holds more
starts than one at 4 am by chance). ``p = P(Poisson(expected) >= k)``; the windows'
p-values get Benjamini-Hochberg q-values (1995) over all windows of that edge of life
(overlapping windows are positively dependent, under which BH keeps its guarantee:
Benjamini & Yekutieli 2001). A window is a *burst* when ``q <= fdr``, ``k >= min_cohort``
and ``k >= burst_ratio * expected``: real data is overdispersed against a Poisson rate
(time zones, news, the decline of starts through the data's first days), and a crowd of
twice the expected number of starts is common; an effect size guards where the p-value
alone does not. Stops are scanned the same way, and so are the starts of *whole short
lives* (``short_lives``: both ends uncensored, at most ``max_life_s`` apart) against the
rate of such lives alone: in the data's first days everyone who posts rarely shows up
for the first time, and a wave drowns in all starts (52 against 26 expected on small's
second day) but not among short lives (22 against 1.8). The events of a burst's windows are merged
into *cohorts* (consecutive burst events less than ``window_s`` apart);
``tables["cohorts"]`` lists each one (which edge of life, from, to, accounts, linked
accounts, the best window's k, expected, p, q).

**Edges** need both ends of life. Within a cohort accounts are ordered by the time of the
event and each is paired with its next ``neighbours`` (a cohort of n accounts gives at
most n times ``neighbours`` pairs); a pair is kept when the two share a start cohort *and*
a stop cohort, or share one of them and both lives are short and whole (start and stop
both uncensored events, at most ``max_life_s`` apart), or share a cohort of short lives. A crowd that starts together by an
outside cause and goes on living (a news event brings out quiet accounts that post again
over the following weeks) is not linked; a batch that ends together, or lives a day or
two, is. The events of an edge name the two accounts' first (or wake-up) activities and
their last activities; ``tables["lives"]`` holds each linked account's life (first,
start, last, activities, active days, longest silence, cohorts).

**Cost.** Two aggregations of the activities (by account, by account-day), one sort of the
start and stop events (one row per account at most) with range-window counts, a Python
pass of the Poisson tail over those rows (vectorised, one row per event), and a bounded
self-join within cohorts. Linear in activities and accounts; no pair of accounts is
formed outside a cohort.

**Tried and dropped** (small world, seed 1). Creation dates (that is IdentityTraits' batch
trait, and aged accounts hide it). Edges on a shared start burst alone, or a start burst
and stops within three days: 9.5 % of ordinary people and a third of every crowd-like
hard negative linked (the Poisson p-value alone passes crowds at twice the rate; hence
``burst_ratio`` and whole short lives). An expected count scaled by the window's other
activity (so that a news spike raises the expected starts with it): it did not absorb
breaking news (the quiet accounts a news event brings out are most of its starts: 92
starts against 16 expected) and lost a Doppelganger wave that coincided with a news
event (Doppelganger 53/150 instead of 72/150). A shorter background (6 h) loses the waves
of the data's first days (48/150). Without the stream of short lives (``short_lives=False``)
Doppelganger falls from 115/150 to 72/150 on small (seed 1), for ordinary people at
0.3 % instead of 0.6 %.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa

from unmask.engine.base import Engine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Evidence, Signal
from unmask.signals.significance import bh_qvalues, poisson_sf

COHORT_SCHEMA = pa.schema(
    [
        pa.field("cohort", pa.int64(), nullable=False),
        pa.field("edge", pa.string(), nullable=False),
        pa.field("start", pa.timestamp("us", tz="UTC")),
        pa.field("stop", pa.timestamp("us", tz="UTC")),
        pa.field("accounts", pa.int64()),
        pa.field("linked", pa.int64()),
        pa.field("k", pa.int64()),
        pa.field("expected", pa.float64()),
        pa.field("p_value", pa.float64()),
        pa.field("q_value", pa.float64()),
    ]
)

LIVES_SCHEMA = pa.schema(
    [
        pa.field("platform", pa.string(), nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("first_time", pa.timestamp("us", tz="UTC")),
        pa.field("start_time", pa.timestamp("us", tz="UTC")),
        pa.field("last_time", pa.timestamp("us", tz="UTC")),
        pa.field("activities", pa.int64()),
        pa.field("active_days", pa.int64()),
        pa.field("longest_silence_days", pa.int64()),
        pa.field("woke", pa.bool_()),
        pa.field("start_cohort", pa.int64()),
        pa.field("stop_cohort", pa.int64()),
    ]
)

_P_SCHEMA = pa.schema(
    [
        pa.field("edge", pa.string()),
        pa.field("actor", pa.string()),
        pa.field("p_value", pa.float64()),
        pa.field("q_value", pa.float64()),
    ]
)


# Days with activity that make an account's life observed (``min_observed``).
OBSERVED_DAYS = 3


class LifecycleSynchrony(Signal):
    """Accounts that start (or wake up) and stop together; see the module's docstring."""

    name = "lifecycle"
    label = "lifecycle synchrony: accounts created, started and gone together"
    order = 90
    kind = "edges"
    family = "identity"
    # A shared start ties together everyone a news event wakes at once (breaking-news
    # crowds joined Doppelganger's waves on the small world); the edges vouch for accounts
    # other evidence groups, and do not make groups themselves.
    defines_groups = False
    reference = (
        "Kulldorff 1997 (scan statistic, Comm. Stat. 26); Glaz, Naus & Wallenstein 2001 "
        "(scan statistics); Benjamini & Hochberg 1995 (FDR, JRSS B); Benjamini & Yekutieli "
        "2001 (FDR under dependence, Ann. Stat.)"
    )

    empty_tables: ClassVar[dict[str, pa.Schema]] = {"cohorts": COHORT_SCHEMA, "lives": LIVES_SCHEMA}

    def __init__(
        self,
        window_s: float = 3600.0,
        max_life_s: float = 3 * 86400.0,
        margin_s: float = 86400.0,
        background_s: float = 86400.0,
        min_cohort: int = 4,
        burst_ratio: float = 4.0,
        fdr: float = 0.01,
        dormant_days: int = 30,
        neighbours: int = 10,
        short_lives: bool = True,
        min_observed: float = 0.5,
    ) -> None:
        self.window_s = window_s
        self.max_life_s = max_life_s
        self.margin_s = margin_s
        self.background_s = background_s
        self.min_cohort = min_cohort
        self.burst_ratio = burst_ratio
        self.fdr = fdr
        self.dormant_days = dormant_days
        self.neighbours = neighbours
        self.short_lives = short_lives
        self.min_observed = min_observed

    def _check(self) -> None:
        if float(self.window_s) <= 0 or float(self.max_life_s) <= 0:
            raise ValueError("window_s and max_life_s must be positive")
        if float(self.burst_ratio) < 1:
            raise ValueError("burst_ratio must be at least 1")
        if float(self.background_s) <= float(self.window_s):
            raise ValueError("background_s must be longer than window_s")
        if float(self.margin_s) < 0 or int(self.dormant_days) < 1:
            raise ValueError("margin_s must be >= 0 and dormant_days >= 1")
        if int(self.min_cohort) < 2 or int(self.neighbours) < 1:
            raise ValueError("min_cohort must be at least 2 and neighbours at least 1")
        if not 0 < float(self.fdr) <= 1:
            raise ValueError(f"fdr={self.fdr}: must be in (0, 1]")
        if not 0 <= float(self.min_observed) <= 1:
            raise ValueError(f"min_observed={self.min_observed}: must be in [0, 1]")

    # -- lives ---------------------------------------------------------------------------

    def _run(self, engine: Engine, ev: Evidence) -> None:
        n_act = engine.count("activities")
        ev.stats["activities"] = n_act
        ev.notes.append(
            "name changes not measured: the store keeps one row per account (the newest), "
            "so a handle or display name changed between ingests is not visible"
        )
        if n_act == 0:
            ev.cannot_assess("no activities: no account has a life in the data to compare")
            return
        span = engine.fetch(
            "SELECT floor(epoch(min(time))) AS t0, floor(epoch(max(time))) AS t1 FROM activities"
        ).to_pylist()[0]
        t0, t1 = int(span["t0"]), int(span["t1"])
        lo, hi = t0 + int(float(self.margin_s)), t1 - int(float(self.margin_s))
        ev.stats.update(data_start=t0, data_end=t1)
        if hi - lo <= 2 * float(self.window_s):
            ev.cannot_assess(
                f"the data spans {(t1 - t0) / 86400:.1f} days: too short to tell starts and "
                f"stops from its edges (margin {float(self.margin_s) / 86400:.1f} days each side)"
            )
            return
        engine.create_table(
            "_lc_days",
            """SELECT platform || '/' || account_id AS actor,
                      floor(epoch(time) / 86400) AS day,
                      min(floor(epoch(time))) AS t,
                      arg_min(activity_id, time) AS first_activity
               FROM activities GROUP BY 1, 2""",
        )
        # A collection by keyword, link or page holds the days an account posted what it
        # matched, not its life: when most accounts are seen on one or two days, a shared
        # "start" is the collection's, not theirs (the real CrowdTangle and CooRTweet sets:
        # 26 % of accounts on 3 days or more; simulated worlds: 75-87 %).
        seen = engine.fetch(
            f"""SELECT count(*) AS accounts,
                       count(CASE WHEN days >= {OBSERVED_DAYS} THEN 1 END) AS observed
                FROM (SELECT actor, count(*) AS days FROM _lc_days GROUP BY actor) d"""
        ).to_pylist()[0]
        share = seen["observed"] / max(seen["accounts"], 1)
        ev.stats["observed_share"] = round(share, 4)
        if share < float(self.min_observed):
            ev.cannot_assess(
                f"only {100 * share:.0f}% of the accounts are seen on {OBSERVED_DAYS} days or "
                f"more (min_observed {float(self.min_observed):.0%}): the data shows when they "
                "posted what it collected, not when their lives began or ended"
            )
            return
        dormant = int(self.dormant_days)
        engine.create_table(
            "_lc_wake",
            # The longest silence; of equal ones, the latest (gap * 1e10 + t orders both).
            f"""SELECT actor, arg_max(t, gap * 10000000000 + t) AS t,
                       arg_max(first_activity, gap * 10000000000 + t) AS activity,
                       max(gap) AS gap
                FROM (SELECT actor, t, first_activity,
                             day - lag(day) OVER (PARTITION BY actor ORDER BY day) AS gap
                      FROM _lc_days)
                WHERE gap >= {dormant} GROUP BY actor""",
        )
        engine.create_table(
            "_lc_life",
            """WITH a AS (
                  SELECT platform, account_id, platform || '/' || account_id AS actor,
                         min(floor(epoch(time))) AS t_first, max(floor(epoch(time))) AS t_last,
                         min(time) AS first_time, max(time) AS last_time,
                         arg_min(activity_id, time) AS first_activity,
                         arg_max(activity_id, time) AS last_activity,
                         count(*) AS n
                  FROM activities GROUP BY platform, account_id),
                d AS (
                  SELECT actor, count(*) AS active_days,
                         max(gap) AS longest_silence
                  FROM (SELECT actor, day - lag(day) OVER (PARTITION BY actor ORDER BY day)
                                 - 1 AS gap FROM _lc_days)
                  GROUP BY actor)
                SELECT a.*, d.active_days, coalesce(d.longest_silence, 0) AS longest_silence,
                       w.t IS NOT NULL AS woke,
                       coalesce(w.t, a.t_first) AS t_start,
                       coalesce(w.activity, a.first_activity) AS start_activity
                FROM a JOIN d ON d.actor = a.actor LEFT JOIN _lc_wake w ON w.actor = a.actor""",
        )
        ev.stats["accounts"] = engine.count("_lc_life")
        # The uncensored events: starts after lo, stops before hi.
        life = int(float(self.max_life_s))
        # Whole short lives (both ends uncensored, at most max_life_s long) as a stream of
        # their own: their starts against the rate of such lives, not of all starts.
        short = (
            f"""UNION ALL SELECT 'short', actor, t_start FROM _lc_life
                WHERE t_start > {lo} AND t_last < {hi} AND t_last - t_start <= {life}"""
            if self.short_lives
            else ""
        )
        engine.create_table(
            "_lc_ev",
            f"""SELECT 'start' AS edge, actor, t_start AS t FROM _lc_life
                WHERE t_start > {lo} AND t_start < {hi}
                UNION ALL
                SELECT 'stop', actor, t_last FROM _lc_life WHERE t_last < {hi} AND t_last > {lo}
                {short}""",
        )
        counts = {
            r["edge"]: r["n"]
            for r in engine.fetch(
                "SELECT edge, count(*) AS n FROM _lc_ev GROUP BY edge"
            ).to_pylist()
        }
        ev.stats["start_events"] = int(counts.get("start", 0))
        ev.stats["stop_events"] = int(counts.get("stop", 0))
        ev.stats["woke"] = int(engine.scalar("SELECT count(*) FROM _lc_life WHERE woke"))
        self._scan(engine, ev, lo, hi)
        self._cohorts(engine, ev)
        self._edges(engine, ev)

    # -- the scan ------------------------------------------------------------------------

    def _scan(self, engine: Engine, ev: Evidence, lo: int, hi: int) -> None:
        w = int(float(self.window_s))
        b = int(float(self.background_s))
        # Each hour of the day's share of the events, relative to an even spread (per edge
        # of life; +1 per hour so that an empty hour is not a rate of zero).
        engine.create_table(
            "_lc_profile",
            """SELECT edge, h, CAST(n + 1 AS DOUBLE) * 24
                      / CAST(sum(n + 1) OVER (PARTITION BY edge) AS DOUBLE) AS factor
               FROM (SELECT e.edge, h.h, count(x.t) AS n
                     FROM (SELECT DISTINCT edge FROM _lc_ev) e
                     CROSS JOIN (SELECT unnest(range(24)) AS h) h
                     LEFT JOIN _lc_ev x ON x.edge = e.edge
                       AND CAST(floor((x.t % 86400) / 3600) AS BIGINT) = h.h
                     GROUP BY e.edge, h.h)""",
        )
        # Expected events in the window: the rate around it (the window's own k left out,
        # +1) over the uncensored span around it, times the hour's factor at its middle.
        engine.create_table(
            "_lc_win",
            f"""SELECT e.edge, e.actor, e.t, e.k, e.bg,
                       CAST(e.bg - e.k + 1 AS DOUBLE) * {w}
                         / CAST(greatest(least(e.t + {b}, {hi}) - greatest(e.t - {b}, {lo})
                                         - {w}, {w}) AS DOUBLE) * p.factor AS expected
                FROM (SELECT edge, actor, t,
                             count(*) OVER (PARTITION BY edge ORDER BY t
                                 RANGE BETWEEN CURRENT ROW AND {w} FOLLOWING) AS k,
                             count(*) OVER (PARTITION BY edge ORDER BY t
                                 RANGE BETWEEN {b} PRECEDING AND {b} FOLLOWING) AS bg
                      FROM _lc_ev) e
                JOIN _lc_profile p ON p.edge = e.edge
                  AND p.h = CAST(floor(((e.t + {w // 2}) % 86400) / 3600) AS BIGINT)""",
        )
        # Only windows that could pass are worth a p-value; the rest count in BH's m.
        m = engine.fetch("SELECT edge, count(*) AS n FROM _lc_win GROUP BY edge").to_pylist()
        m = {r["edge"]: int(r["n"]) for r in m}
        cand = engine.fetch(
            f"""SELECT edge, actor, k, expected FROM _lc_win
                WHERE k >= {int(self.min_cohort)} AND k > expected ORDER BY edge, t, actor"""
        )
        edges = cand.column("edge").to_pylist()
        p = poisson_sf(cand.column("k").to_numpy(), cand.column("expected").to_numpy())
        q = np.ones_like(p)
        for edge, n in m.items():
            sel = np.array([e == edge for e in edges], dtype=bool)
            if sel.any():
                # BH over all n windows of this edge of life: the untested ones have p ~ 1.
                pp = np.concatenate([p[sel], np.ones(n - int(sel.sum()))])
                q[sel] = bh_qvalues(pp)[: int(sel.sum())]
        engine.register(
            "_lc_p",
            pa.table(
                {
                    "edge": cand.column("edge"),
                    "actor": cand.column("actor"),
                    "p_value": pa.array(p, pa.float64()),
                    "q_value": pa.array(q, pa.float64()),
                },
                schema=_P_SCHEMA,
            ),
        )
        ev.stats["windows_tested"] = m
        ev.stats["bursts"] = int((q <= float(self.fdr)).sum())

    def _cohorts(self, engine: Engine, ev: Evidence) -> None:
        w = int(float(self.window_s))
        fdr = float(self.fdr)
        # An event is in a burst when a significant window holds it: the window opened by
        # the burst's first event at s, holding events up to s + w.
        engine.create_table(
            "_lc_sig",
            f"""SELECT x.edge, x.t AS s, x.k, x.expected, p.p_value, p.q_value
                FROM _lc_win x JOIN _lc_p p ON p.edge = x.edge AND p.actor = x.actor
                WHERE p.q_value <= {fdr} AND x.k >= {int(self.min_cohort)}
                  AND x.k >= {float(self.burst_ratio)} * x.expected""",
        )
        engine.create_table(
            "_lc_in",
            f"""SELECT DISTINCT e.edge, e.actor, e.t
                FROM _lc_ev e JOIN _lc_sig s ON s.edge = e.edge AND e.t >= s.s
                  AND e.t <= s.s + {w}""",
        )
        # Islands: a new cohort where an in-burst event is more than w after the previous.
        engine.create_table(
            "_lc_member",
            f"""SELECT edge, actor, t,
                       sum(new) OVER (ORDER BY edge, t, actor
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                         AS cohort
                FROM (SELECT edge, actor, t,
                             CASE WHEN t - lag(t) OVER (PARTITION BY edge ORDER BY t, actor)
                                       <= {w} THEN 0 ELSE 1 END AS new
                      FROM _lc_in)""",
        )
        engine.create_table(
            "_lc_cohort",
            """SELECT m.edge, m.cohort, min(m.t) AS t_from, max(m.t) AS t_to,
                      count(*) AS accounts
               FROM _lc_member m GROUP BY m.edge, m.cohort""",
        )

    # -- edges ---------------------------------------------------------------------------

    def _edges(self, engine: Engine, ev: Evidence) -> None:
        k = int(self.neighbours)
        offsets = ", ".join(f"({i})" for i in range(1, k + 1))
        life = int(float(self.max_life_s))
        # Pairs within a cohort (each with its next k in time); a pair is kept when it
        # shares the other edge's cohort too, or when both lives are short and whole (the
        # start and the stop both uncensored events, at most max_life_s apart).
        engine.create_table(
            "_lc_cand",
            f"""WITH r AS (
                  SELECT edge, cohort, actor, t,
                         row_number() OVER (PARTITION BY edge, cohort ORDER BY t, actor) AS i
                  FROM _lc_member)
                SELECT DISTINCT
                       CASE WHEN x.actor < y.actor THEN x.actor ELSE y.actor END AS a,
                       CASE WHEN x.actor < y.actor THEN y.actor ELSE x.actor END AS b
                FROM r x CROSS JOIN (VALUES {offsets}) AS o(off)
                JOIN r y ON y.edge = x.edge AND y.cohort = x.cohort AND y.i = x.i + o.off""",
        )
        engine.create_table(
            "_lc_whole",
            f"""SELECT s.actor FROM _lc_ev s JOIN _lc_ev e ON e.actor = s.actor
                WHERE s.edge = 'start' AND e.edge = 'stop' AND e.t - s.t <= {life}""",
        )
        engine.create_table(
            "_lc_pair",
            """SELECT c.a, c.b, sa.cohort AS start_cohort, ea.cohort AS stop_cohort,
                      ha.cohort AS short_cohort
               FROM _lc_cand c
               LEFT JOIN _lc_member ha ON ha.actor = c.a AND ha.edge = 'short'
               LEFT JOIN _lc_member hb ON hb.actor = c.b AND hb.edge = 'short'
               LEFT JOIN _lc_member sa ON sa.actor = c.a AND sa.edge = 'start'
               LEFT JOIN _lc_member sb ON sb.actor = c.b AND sb.edge = 'start'
               LEFT JOIN _lc_member ea ON ea.actor = c.a AND ea.edge = 'stop'
               LEFT JOIN _lc_member eb ON eb.actor = c.b AND eb.edge = 'stop'
               LEFT JOIN _lc_whole wa ON wa.actor = c.a
               LEFT JOIN _lc_whole wb ON wb.actor = c.b
               WHERE (sa.cohort = sb.cohort AND ea.cohort = eb.cohort)
                  OR ((sa.cohort = sb.cohort OR ea.cohort = eb.cohort)
                      AND wa.actor IS NOT NULL AND wb.actor IS NOT NULL)
                  OR ha.cohort = hb.cohort""",
        )
        # The cohorts a pair shares (NULL where it does not share that edge's).
        engine.create_table(
            "_lc_pair2",
            """SELECT p.a, p.b,
                      CASE WHEN p.start_cohort = sb.cohort THEN p.start_cohort END
                        AS start_cohort,
                      CASE WHEN p.stop_cohort = eb.cohort THEN p.stop_cohort END AS stop_cohort,
                      CASE WHEN p.short_cohort = hb.cohort THEN p.short_cohort END
                        AS short_cohort
               FROM _lc_pair p
               LEFT JOIN _lc_member hb ON hb.actor = p.b AND hb.edge = 'short'
               LEFT JOIN _lc_member sb ON sb.actor = p.b AND sb.edge = 'start'
               LEFT JOIN _lc_member eb ON eb.actor = p.b AND eb.edge = 'stop'""",
        )
        ev.stats["pairs"] = engine.count("_lc_pair2")
        # The cohort's best window, for its p and q.
        engine.create_table(
            "_lc_cohort_p",
            """SELECT c.edge, c.cohort, c.t_from, c.t_to, c.accounts,
                      arg_min(s.k, s.p_value) AS k, arg_min(s.expected, s.p_value) AS expected,
                      min(s.p_value) AS p_value, min(s.q_value) AS q_value
               FROM _lc_cohort c JOIN _lc_sig s ON s.edge = c.edge
                 AND s.s >= c.t_from AND s.s <= c.t_to
               GROUP BY c.edge, c.cohort, c.t_from, c.t_to, c.accounts""",
        )
        linked = """SELECT edge, cohort, count(DISTINCT actor) AS n FROM (
                      SELECT 'start' AS edge, start_cohort AS cohort, a AS actor FROM _lc_pair2
                      UNION ALL SELECT 'start', start_cohort, b FROM _lc_pair2
                      UNION ALL SELECT 'stop', stop_cohort, a FROM _lc_pair2
                      UNION ALL SELECT 'stop', stop_cohort, b FROM _lc_pair2
                      UNION ALL SELECT 'short', short_cohort, a FROM _lc_pair2
                      UNION ALL SELECT 'short', short_cohort, b FROM _lc_pair2)
                    WHERE cohort IS NOT NULL GROUP BY edge, cohort"""
        ev.tables["cohorts"] = engine.fetch(
            f"""SELECT c.cohort, c.edge, to_timestamp(c.t_from) AS start,
                       to_timestamp(c.t_to) AS stop, c.accounts, coalesce(l.n, 0) AS linked,
                       c.k, c.expected, c.p_value, c.q_value
                FROM _lc_cohort_p c LEFT JOIN ({linked}) l
                  ON l.edge = c.edge AND l.cohort = c.cohort
                ORDER BY c.edge, c.t_from"""
        ).cast(COHORT_SCHEMA)
        ev.stats["cohorts"] = ev.tables["cohorts"].num_rows
        # Events: each pair's starts and stops, naming the activities.
        engine.create_table(
            "_lc_events",
            """SELECT p.a, p.b, la.platform AS platform_a, la.account_id AS account_a,
                      lb.platform AS platform_b, lb.account_id AS account_b,
                      'start' AS which, la.start_activity AS activity_a,
                      lb.start_activity AS activity_b, la.t_start AS ta, lb.t_start AS tb,
                      CASE WHEN p.start_cohort IS NULL AND p.short_cohort IS NOT NULL
                           THEN 'short' ELSE 'start' END AS burst,
                      coalesce(p.start_cohort, p.short_cohort) AS cohort,
                      la.woke OR lb.woke AS woke
               FROM _lc_pair2 p JOIN _lc_life la ON la.actor = p.a
               JOIN _lc_life lb ON lb.actor = p.b
               UNION ALL
               SELECT p.a, p.b, la.platform, la.account_id, lb.platform, lb.account_id,
                      'stop', la.last_activity, lb.last_activity, la.t_last, lb.t_last,
                      'stop', p.stop_cohort, false
               FROM _lc_pair2 p JOIN _lc_life la ON la.actor = p.a
               JOIN _lc_life lb ON lb.actor = p.b""",
        )
        events = engine.fetch(
            f"""SELECT '{self.name}' AS signal, e.platform_a, e.account_a, e.platform_b,
                       e.account_b,
                       CASE WHEN e.which = 'start' AND e.woke THEN 'woke up'
                            WHEN e.which = 'start' THEN 'first activity'
                            ELSE 'last activity' END
                         || CASE WHEN c.cohort IS NULL THEN ''
                                 WHEN e.burst = 'short'
                                 THEN ' in a burst of short lives of '
                                 ELSE ' in a ' || e.which || ' burst of '
                                      || CAST(c.accounts AS VARCHAR) || ' accounts ('
                                      || CAST(c.k AS VARCHAR) || ' within the window, '
                                      || CAST(CAST(round(c.expected, 2) AS DOUBLE) AS VARCHAR)
                                      || ' expected)' END AS target,
                       e.activity_a, e.activity_b,
                       to_timestamp(e.ta) AS time_a, to_timestamp(e.tb) AS time_b,
                       CAST(abs(e.ta - e.tb) AS DOUBLE) AS lag_seconds
                FROM _lc_events e LEFT JOIN _lc_cohort_p c ON c.edge = e.burst
                  AND c.cohort = e.cohort
                ORDER BY e.platform_a, e.account_a, e.platform_b, e.account_b, target"""
        )
        ev.events = events.cast(EVENT_SCHEMA)
        edges = engine.fetch(
            f"""WITH s AS (
                  SELECT p.a, p.b, la.platform AS platform_a, la.account_id AS account_a,
                         lb.platform AS platform_b, lb.account_id AS account_b,
                         la.t_start AS sa, lb.t_start AS sb, la.t_last AS ea, lb.t_last AS eb,
                         la.woke OR lb.woke AS woke,
                         coalesce(cs.p_value, ch.p_value, ce.p_value) AS p1,
                         coalesce(ce.p_value, ch.p_value, cs.p_value) AS p2,
                         coalesce(cs.q_value, ch.q_value, ce.q_value) AS q1,
                         coalesce(ce.q_value, ch.q_value, cs.q_value) AS q2,
                         (p.start_cohort IS NOT NULL) AND (p.stop_cohort IS NOT NULL) AS in_both
                  FROM _lc_pair2 p JOIN _lc_life la ON la.actor = p.a
                  JOIN _lc_life lb ON lb.actor = p.b
                  LEFT JOIN _lc_cohort_p cs ON cs.edge = 'start' AND cs.cohort = p.start_cohort
                  LEFT JOIN _lc_cohort_p ce ON ce.edge = 'stop' AND ce.cohort = p.stop_cohort
                  LEFT JOIN _lc_cohort_p ch ON ch.edge = 'short' AND ch.cohort = p.short_cohort)
                SELECT '{self.name}' AS signal, platform_a, account_a, platform_b, account_b,
                       CASE WHEN in_both THEN 2.0 ELSE 1.0 END AS weight,
                       CAST(2 AS BIGINT) AS count,
                       least(p1, p2) AS p_value, least(q1, q2) AS q_value,
                       to_timestamp(least(sa, sb)) AS first_time,
                       to_timestamp(greatest(ea, eb)) AS last_time,
                       CASE WHEN woke THEN 'woke up ' ELSE 'started ' END
                         || CAST(abs(sa - sb) AS BIGINT) || ' s apart and stopped '
                         || CAST(abs(ea - eb) AS BIGINT) || ' s apart'
                         || CASE WHEN in_both THEN ', both in bursts of starts and of stops'
                                 ELSE '' END
                         || ' (lives of ' || CAST(CAST(round(CAST(ea - sa AS DOUBLE) / 3600, 1) AS DOUBLE) AS VARCHAR)
                         || ' h and ' || CAST(CAST(round(CAST(eb - sb AS DOUBLE) / 3600, 1) AS DOUBLE) AS VARCHAR)
                         || ' h)' AS reason
                FROM s ORDER BY platform_a, account_a, platform_b, account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.stats["edges"] = ev.edges.num_rows
        ev.tables["lives"] = engine.fetch(
            """WITH acc AS (SELECT a AS actor FROM _lc_pair2 UNION SELECT b FROM _lc_pair2)
               SELECT l.platform, l.account_id, l.first_time, to_timestamp(l.t_start)
                        AS start_time, l.last_time, l.n AS activities, l.active_days,
                      l.longest_silence AS longest_silence_days, l.woke,
                      ms.cohort AS start_cohort, me.cohort AS stop_cohort
               FROM acc JOIN _lc_life l ON l.actor = acc.actor
               LEFT JOIN _lc_member ms ON ms.actor = l.actor AND ms.edge = 'start'
               LEFT JOIN _lc_member me ON me.actor = l.actor AND me.edge = 'stop'
               ORDER BY l.platform, l.account_id"""
        ).cast(LIVES_SCHEMA)
