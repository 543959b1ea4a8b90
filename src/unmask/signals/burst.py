"""Single-shot bursts: many accounts act on one rare target within minutes, even if each
acts only once, and the accounts are ones that live for little else.

Co-action (``coaction.py``) links two accounts when they act together on several targets:
it cannot see an operation whose accounts act once. A one-article Doppelganger wave (its
accounts share one fake article on a typosquat domain within minutes, then fall silent) and
throwaway accounts (``single_shot``: made hours before, one or two posts, never used again)
leave one trace each: a crowd on one target at one moment. This signal looks for those
crowds, CopyCatch's lockstep (Beutel et al. 2013, "CopyCatch: stopping group attacks by
spotting lockstep behavior in social networks", WWW: many accounts acting on the same
object within a time window) at the level of the group, with a single object.

**Targets** are what co-action uses (``coaction.target_sql``): canonical URLs, domains,
normalised texts of at least ``min_text_length`` characters, media hashes and hashtags
(``on``; a target's name is prefixed with its kind). Hashtags are how translated and
reworded throwaways still meet: Spamouflage's posts in five languages, each worded anew,
carry the same "#USA #美国" within minutes (``combined_adaptive``: 100 and 87 more of its
accounts at seeds 1 and 2, no authentic one; a fandom's hashtag flood is a crowd of
people who act on other days too, which ``p_who`` rejects). *Figures* are the other
anchor a translation keeps: "841 households", "841户", "841 hogares" (runs of at least
``min_figure_digits`` digits in the normalised text, separators dropped, so "1,309",
"1.309" and "1 309" are one figure; links and handles are gone before, so a URL's digits
are not figures). The throwaways of ``combined_adaptive`` that carry neither a hashtag nor
a link still carry their task's figure: figures brought 26 and 36 more of its accounts
into the graph at seeds 1 and 2 (8 and 22 in ``single_shot``), and no authentic account
in any of the 36 small worlds or the medium world; a year or a round number is popular
(``p_rate``) and written by people who post on other days (``p_who``). An account's
*arrival* on a target is its first action on it.

**Bursts.** A target's arrivals are cut into sessions wherever two consecutive arrivals
are more than ``window_s`` apart; a session's burst is its densest window: the largest set
of arrivals that all fall within ``window_s`` of the first of them (the earliest such set
on ties), kept when it holds at least ``min_accounts`` distinct accounts. A burst is a
maximal set of accounts within ``window_s`` of each other; a session gives at most one, so
that the bursts of one target do not overlap and are tested once each.

**The null: the burst must be more than the target's popularity AND its accounts must be
unlike the crowd of the moment.** Crowds on one target within minutes are common and
authentic: a breaking-news article is shared by hundreds of unrelated people (the world's
``breaking_news``), a newsroom's staff share their outlet's fresh articles, news bots post
every headline within seconds of each other, a popular video's link is shared all day and
three of its sharers fall in one hour by chance. Two tests, and a burst must pass both
(its p-value is the larger of the two, an intersection-union test, valid whatever the
tests' dependence; Berger 1982, Technometrics 24):

* *Popularity (the scan test).* The target's other ``n_t - k`` arrivals (plus one, so that
  a target seen only in its burst still has a rate) are spread evenly over the data's span
  ``T``: ``mu = (n_t - k + 1) * window_s / T`` arrivals are expected in a window. ``p_rate``
  is the Poisson chance of ``k`` or more in one window, times the ``T / window_s`` windows
  that could have held it (Bonferroni over the scan). A URL or a domain that is shared all
  the time (a popular outlet, youtube.com) has chance clusters of three or five that this
  leaves at ``p = 1``; the domain target makes the domain's own popularity the null for its
  articles: a typosquat domain nobody else shares has a rate of almost nothing.
* *Who (the accounts' lives).* An account is *transient* when all its activity in the data
  (every kind: posts, shares, reactions) lies within ``life_s`` (three days): a throwaway
  account, a wave's account that shares for a day or three and falls silent. Ordinary
  people who share breaking news, journalists, bots, activists, fans and volunteers act on
  other days too. ``p0`` is the share of transient accounts among all accounts active on
  the burst's day (UTC); under the null the burst's ``k`` accounts are ``k`` draws from
  that day's active accounts, and ``p_who`` is the binomial chance of at least the ``x``
  transient accounts seen. It is time-local on purpose: on a day when many ordinary
  accounts are new or quiet (the first days of a collection, a platform where most
  accounts post once), ``p0`` is large and bursts need more to pass; data that spans less
  than ``life_s`` makes every account transient and nothing passes (``p0 = 1``): the
  signal cannot judge there, and says so in ``stats``. The burst's own accounts count in
  ``p0``, which only makes the test more conservative.

Each burst keeps ``p_value = max(p_rate, p_who)``; ``q_value`` is Benjamini & Hochberg's
step-up adjustment (JRSS B 1995) over the bursts of its target kind (a stratified FDR, Sun,
McLain & Wang 2006, Genet. Epidemiol. 30, who show that it keeps the overall FDR at the
level). Pooled, the hundreds of hashtag and domain bursts of
crowds, nearly all null, held back the few bursts on an adaptive operation's fresh
figures: at ``combined_adaptive``'s tuning seed 2 two of them, of 15 and 17 accounts, had
q 0.069 and 0.099. Per kind, 47 more bursts pass in the 38 tuning worlds and the medium
ones (24 in that world), all on an operation's figures, images, texts and typosquat
domains, and 11 fewer (bursts that pooled were let through on the strength of other
kinds' discoveries);
``combined_adaptive``'s Spamouflage goes from 0.896 to 0.911 at evaluation seed 102, and no
authentic account is flagged in any world of the grid. Bursts with ``q_value <= fdr``
are significant (0.05, co-action's level; it was 0.01 until figures were a target: an
adaptive operation's task bursts hold its aged posters with a few throwaways, a rare
target with ``p_who`` of 0.002-0.01, and at 0.05 they brought 20 and 28 more of
``combined_adaptive``'s accounts at seeds 1 and 2, still no authentic account in the 36
small worlds or the medium world). A burst must also be at least ``min_transient_share``
transient (0.15): news of an earthquake brings out people who post once and never again,
and a crowd of 409 sharing the article held 21 of them (5 %) against a day's 2 %: with so
many accounts the binomial sees that small excess (``p_who`` 8e-5), and the 21 lurkers
were linked and called an operation (a probe world with a smaller Doppelganger, whose
throwaways no longer raised the day's share; breaking-news accounts at seed 1). In every
significant burst of the 38 tuning worlds that is not clean (below), an operation's
throwaways are 17.6 % of it or more; in the earthquake's four bursts, 5-8 %. The burst
table (``tables["bursts"]``) lists every burst tested with its numbers, significant or
not.

**Edges.** Within a significant burst, accounts are ordered by arrival and each is paired
with the next ``neighbours`` (as ``infra.py`` caps its values): a burst of ``k`` accounts
gives at most ``k * neighbours`` pairs, and a chain of neighbours keeps the burst one
connected group. An edge's weight is the sum, over the significant bursts the pair is in,
of the burst's evidence ``min(-log10 p, 30) / 10`` (a pair in two waves weighs more), its
``p_value`` and ``q_value`` are those of its strongest burst, and its events name the target
and the two arrivals (activities and times). A *clean* significant burst (fewer than one
chance arrival expected, ``mu < 1``, and at least half of it transient) links all its
members, transient or not: an operation's aged pages and posters that post in its
throwaways' burst belong to it. Any other significant burst links only its transient
members: youtube.com's busiest hour of a Spamouflage video campaign also holds the few
ordinary people who share a youtube link every hour anyway (``mu`` of them, about
``mu * p0`` transient). Without this rule the single-shot world flagged 19 ordinary
accounts, 5 of breaking news and 4 of other groups at seed 1 (at seed 2, 31 ordinary and
8 of the groups, all through youtube.com's bursts); with it, none.

**Cost.** One pass over the activities per target kind (the text and figure kinds read
co-action's normalised texts, the dearest step, made once a run by ``Engine.shared``), a
sort of the arrivals of the targets that ``min_accounts`` accounts reached (most targets,
a text of one's own, are dropped before), two window counts, and pairs only within
significant bursts, ``neighbours`` per member: linear in the activities, no pairs over
accounts. Measured on the medium world (~2.2M activities) in ``docs/signals.md``.

**Tried and dropped.** A 5-minute window (``window_s = 300``) misses most of a Doppelganger
wave: its accounts' first shares are spread over ~10 working minutes (exponential), so the
URL bursts of 300 s held 46 of the 150 wave accounts of the small world (seed 1; median
burst 3), those of 20 minutes 84, those of an hour 140. The
share of a target's audience inside its burst (no null for a crowd): a breaking-news
article has 99 % of its sharers in its burst, as a wave's article has; the popularity test
alone flags breaking news and newsrooms (they *are* bursts), which is why the accounts'
lives are tested too.

**Known weaknesses.** Throwaways whose copy carries a typo or a prefix no longer share
its normalised text, and without a link, an image, a hashtag or a figure they meet on
nothing (translated messages without one: the meaning is all they share, which needs
``semantic``'s embeddings);
near-duplicate families (``content``) as a target kind would catch them. Aged accounts
that keep posting camouflage for weeks are not transient: an operation that keeps its
accounts alive is left to co-action (which it then feeds with repeats). A wave that
spreads its first shares over more than ``window_s`` splits into several smaller bursts.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from unmask.engine.base import Engine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Evidence, Signal
from unmask.signals.coaction import shared_texts, target_sql
from unmask.signals.significance import bh_qvalues_by, binom_sf, exact_sum, poisson_sf

KINDS = ("url", "domain", "text", "media", "hashtag", "figure")

# A figure: a run of digits in the normalised text (links and handles are gone), its
# thousands and decimal separators dropped so that "1,309", "1.309" and "1 309" (with a
# no-break space) are one figure in every language's way of writing it.
_FIGURE = "([0-9][0-9.,\u00a0\u202f]*[0-9]|[0-9])"
_SEPARATORS = "[.,\u00a0\u202f]"


def _by_actor(column: str, a: str, b: str) -> str:
    """``column`` of the pair's two members x and y as ``a`` and ``b``: an unordered pair
    is written once, a being the member whose actor sorts first."""
    first = "x.actor < y.actor"
    return (
        f"CASE WHEN {first} THEN x.{column} ELSE y.{column} END AS {a}, "
        f"CASE WHEN {first} THEN y.{column} ELSE x.{column} END AS {b}"
    )


_PAIR_COLUMNS = ", ".join(
    [
        _by_actor("actor", "a", "b"),
        *(
            _by_actor(column, f"{name}_a", f"{name}_b")
            for column, name in (
                ("platform", "platform"),
                ("account_id", "account"),
                ("activity_id", "activity"),
                ("time", "time"),
            )
        ),
    ]
)

BURSTS_SCHEMA = pa.schema(
    [
        pa.field("bid", pa.int64(), nullable=False),
        pa.field("target", pa.string(), nullable=False),
        pa.field("start", pa.timestamp("us", tz="UTC")),
        pa.field("accounts", pa.int64(), nullable=False),
        pa.field("transient", pa.int64(), nullable=False),
        pa.field("target_accounts", pa.int64(), nullable=False),
        pa.field("p_transient_day", pa.float64(), nullable=False),
        pa.field("expected", pa.float64(), nullable=False),
        pa.field("p_rate", pa.float64(), nullable=False),
        pa.field("p_who", pa.float64(), nullable=False),
        pa.field("p_value", pa.float64(), nullable=False),
        pa.field("q_value", pa.float64(), nullable=False),
        pa.field("significant", pa.bool_(), nullable=False),
    ]
)


def _figures_sql(texts: str, min_digits: int) -> str:
    """(platform, account_id, actor, activity_id, time, t, target) of each distinct figure
    of at least ``min_digits`` digits in each normalised text of ``texts``."""
    # The unnest stands alone in its SELECT: Spark allows no generator inside a function.
    return f"""SELECT DISTINCT platform, account_id, actor, activity_id, time, t, target
        FROM (SELECT platform, account_id, actor, activity_id, time, t,
                     regexp_replace(figure, '{_SEPARATORS}', '', 'g') AS target
              FROM (SELECT platform, account_id, actor, activity_id, time, t,
                           unnest(regexp_extract_all(target, '{_FIGURE}', 1)) AS figure
                    FROM {texts}))
        WHERE length(target) >= {min_digits}"""


class SingleShotBurst(Signal):
    """Crowds of short-lived accounts on one rare target within minutes; see the module's
    docstring."""

    name = "burst"
    label = "single-shot bursts: many accounts on one new target at once"
    order = 80
    kind = "edges"
    family = "coordination"
    reference = (
        "Beutel et al. 2013 (CopyCatch, WWW); Kulldorff 1997 (scan statistics, Commun. Stat.); "
        "Berger 1982 (intersection-union tests, Technometrics); Benjamini & Hochberg 1995 "
        "(FDR, JRSS B)"
    )

    empty_tables: ClassVar[dict[str, pa.Schema]] = {"bursts": BURSTS_SCHEMA}

    def __init__(
        self,
        on: tuple[str, ...] = KINDS,
        window_s: float = 3600.0,
        min_accounts: int = 4,
        life_s: float = 3 * 86400.0,
        fdr: float = 0.05,
        min_transient_share: float = 0.15,
        neighbours: int = 5,
        min_text_length: int = 20,
        min_figure_digits: int = 3,
        max_events_per_edge: int = 20,
    ) -> None:
        self.on = on
        self.window_s = window_s
        self.min_accounts = min_accounts
        self.life_s = life_s
        self.fdr = fdr
        self.min_transient_share = min_transient_share
        self.neighbours = neighbours
        self.min_text_length = min_text_length
        self.min_figure_digits = min_figure_digits
        self.max_events_per_edge = max_events_per_edge

    def _check(self) -> None:
        on = (self.on,) if isinstance(self.on, str) else tuple(self.on)
        bad = [k for k in on if k not in KINDS]
        if bad or not on:
            raise ValueError(f"on={self.on!r}: choose from {KINDS}")
        self.on = on
        if float(self.window_s) <= 0 or float(self.life_s) <= 0:
            raise ValueError("window_s and life_s must be positive")
        if int(self.min_figure_digits) < 1:
            raise ValueError(f"min_figure_digits={self.min_figure_digits}: must be at least 1")
        if int(self.min_accounts) < 2 or int(self.neighbours) < 1:
            raise ValueError("min_accounts must be at least 2 and neighbours at least 1")
        if not 0 < float(self.fdr) <= 1:
            raise ValueError(f"fdr={self.fdr}: must be in (0, 1]")
        if not 0 <= float(self.min_transient_share) <= 1:
            raise ValueError(f"min_transient_share={self.min_transient_share}: must be in [0, 1]")

    # -- the run -----------------------------------------------------------------------------

    def _events(self, engine: Engine) -> None:
        """``_bu_ev``: (platform, account_id, actor, activity_id, time, t, target) of every
        action on a target of the kinds in ``on``, the target prefixed with its kind."""
        parts = []
        for kind in self.on:
            # Co-action's normalised texts (made once a run); figures are read from them.
            if kind == "text":
                texts = shared_texts(engine)
                src = f"SELECT * FROM {texts} WHERE length(target) >= {int(self.min_text_length)}"
            elif kind == "figure":
                src = _figures_sql(shared_texts(engine), int(self.min_figure_digits))
            else:
                src = target_sql(kind)
            parts.append(
                f"SELECT platform, account_id, actor, activity_id, time, t, "
                f"'{kind}:' || target AS target FROM ({src})"
            )
        engine.create_table("_bu_ev", " UNION ALL ".join(parts))

    def _run(self, engine: Engine, ev: Evidence) -> None:
        # Whole seconds, as the arrivals' times are (a RANGE frame in Spark wants the type
        # of its ORDER BY column).
        w = max(1, round(float(self.window_s)))
        m = int(self.min_accounts)
        self._events(engine)
        n_ev = engine.count("_bu_ev")
        ev.stats["events"] = n_ev
        if n_ev == 0:
            ev.notes.append("nothing to compare: no activity has a URL, domain, text or image")
            return
        span = engine.fetch("SELECT min(t) AS lo, max(t) AS hi FROM _bu_ev").to_pylist()[0]
        t_span = max(float(span["hi"]) - float(span["lo"]), w)
        ev.stats["span_days"] = round(t_span / 86400, 2)
        # Arrivals: each account's first action on each target (its activity on ties by id),
        # on targets that at least min_accounts accounts reached.
        # Most targets (a text of one's own, a link nobody else shares) are reached by one
        # account: they are left out before the arrivals are sorted.
        engine.create_table(
            "_bu_tg",
            f"""SELECT target FROM _bu_ev GROUP BY target
                HAVING count(DISTINCT actor) >= {m}""",
        )
        engine.create_table(
            "_bu_arr",
            f"""SELECT target, actor, platform, account_id, activity_id, time, t, n_t
                FROM (SELECT *, count(*) OVER (PARTITION BY target) AS n_t
                      FROM (SELECT *, row_number() OVER (PARTITION BY target, actor
                                                         ORDER BY t, activity_id) AS r
                            FROM _bu_ev SEMI JOIN _bu_tg USING (target)) WHERE r = 1)
                WHERE n_t >= {m}""",
        )
        # Sessions (a gap of more than the window starts one), and each arrival's forward
        # window count: the arrivals within window_s after it (itself included).
        engine.create_table(
            "_bu_win",
            f"""SELECT *, sum(brk) OVER (PARTITION BY target ORDER BY t, actor
                                         ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                          AS sess,
                       count(*) OVER (PARTITION BY target ORDER BY t
                                      RANGE BETWEEN CURRENT ROW AND {w} FOLLOWING) AS k
                FROM (SELECT *, CASE WHEN t - lag(t) OVER (PARTITION BY target ORDER BY t, actor)
                                          <= {w} THEN 0 ELSE 1 END AS brk
                      FROM _bu_arr)""",
        )
        # A session's burst: its densest window (earliest on ties).
        engine.create_table(
            "_bu_b",
            f"""SELECT target, t0, k, n_t, time0,
                       row_number() OVER (ORDER BY target, t0) AS bid
                FROM (SELECT target, t AS t0, k, n_t, time AS time0,
                             row_number() OVER (PARTITION BY target, sess
                                                ORDER BY k DESC, t, actor) AS r
                      FROM _bu_win)
                WHERE r = 1 AND k >= {m}""",
        )
        n_b = engine.count("_bu_b")
        ev.stats["bursts"] = n_b
        if n_b == 0:
            ev.notes.append(f"no target drew {m} accounts within {w:g} s")
            return
        engine.create_table(
            "_bu_mem",
            f"""SELECT b.bid, a.target, a.actor, a.platform, a.account_id, a.activity_id,
                       a.time, a.t
                FROM _bu_b b JOIN _bu_arr a
                  ON a.target = b.target AND a.t >= b.t0 AND a.t <= b.t0 + {w}""",
        )
        # Accounts' lives over all their activity, and each day's share of transient ones
        # among the accounts active that day.
        life = float(self.life_s)
        engine.create_table(
            "_bu_life",
            f"""SELECT platform || '/' || account_id AS actor,
                       CASE WHEN max(floor(epoch(time))) - min(floor(epoch(time))) <= {life}
                            THEN 1 ELSE 0 END AS transient
                FROM activities GROUP BY platform, account_id""",
        )
        engine.create_table(
            "_bu_day",
            """SELECT d.day, avg(CAST(l.transient AS DOUBLE)) AS p0, count(*) AS active
               FROM (SELECT DISTINCT platform || '/' || account_id AS actor,
                            CAST(floor(epoch(time) / 86400) AS BIGINT) AS day
                     FROM activities) d JOIN _bu_life l USING (actor)
               GROUP BY d.day""",
        )
        stats = engine.fetch(
            """SELECT b.bid, b.target, b.time0 AS start, b.k AS accounts,
                      CAST(coalesce(x.transient, 0) AS BIGINT) AS transient,
                      b.n_t AS target_accounts, coalesce(d.p0, 1.0) AS p_transient_day
               FROM _bu_b b
               LEFT JOIN (SELECT m.bid, sum(l.transient) AS transient
                          FROM _bu_mem m JOIN _bu_life l USING (actor) GROUP BY m.bid) x
                 ON x.bid = b.bid
               LEFT JOIN _bu_day d ON d.day = CAST(floor(b.t0 / 86400) AS BIGINT)
               ORDER BY b.bid"""
        )
        k = np.asarray(stats["accounts"].to_numpy(), dtype=np.int64)
        x = np.asarray(stats["transient"].to_numpy(), dtype=np.int64)
        n_t = np.asarray(stats["target_accounts"].to_numpy(), dtype=np.int64)
        p0 = np.asarray(stats["p_transient_day"].to_numpy(), dtype=np.float64)
        mu = (n_t - k + 1) * w / t_span
        p_rate = np.minimum(1.0, poisson_sf(k, mu) * max(1.0, t_span / w))
        p_who = binom_sf(x, k, p0)
        p = np.maximum(p_rate, p_who)
        # The FDR is held per target kind (a stratified FDR): hundreds of hashtag bursts of
        # crowds must not hold back a handful of bursts on fresh figures (the docstring).
        kind = pc.list_element(pc.split_pattern(stats["target"], ":", max_splits=1), 0)
        q = bh_qvalues_by(p, kind.to_numpy(zero_copy_only=False))
        # A crowd's lurkers are a sliver of a mass; an operation's throwaways a good part of
        # its burst (the module's docstring).
        sig = (q <= float(self.fdr)) & (x >= float(self.min_transient_share) * k)
        bursts = stats.append_column("expected", pa.array(mu))
        bursts = bursts.append_column("p_rate", pa.array(p_rate))
        bursts = bursts.append_column("p_who", pa.array(p_who))
        bursts = bursts.append_column("p_value", pa.array(p))
        bursts = bursts.append_column("q_value", pa.array(q))
        bursts = bursts.append_column("significant", pa.array(sig))
        ev.tables["bursts"] = bursts.cast(BURSTS_SCHEMA)
        ev.stats["significant_bursts"] = int(sig.sum())
        ev.stats["transient_share_median_day"] = (
            round(float(engine.scalar("SELECT median(p0) FROM _bu_day")), 4)
            if engine.count("_bu_day")
            else None
        )
        if not sig.any():
            return
        # All members of a clean burst are linked: fewer than one chance arrival expected in
        # the window, and most of it transient. Otherwise (a popular target such as
        # youtube.com, whose hour brings a few ordinary sharers anyway) only the transient
        # members: chance brings about mu * p0 of those.
        clean = (mu < 1.0) & (2 * x >= k)
        keep = bursts.append_column("link_all", pa.array(clean)).filter(pa.array(sig))
        keep = keep.select(["bid", "p_value", "q_value", "link_all"])
        evid = np.minimum(-np.log10(np.maximum(keep["p_value"].to_numpy(), 1e-300)), 30.0) / 10
        engine.register("_bu_sig", keep.append_column("evidence", pa.array(evid, pa.float64())))
        ev.stats["clean_bursts"] = int((clean & sig).sum())
        self._pairs(engine, ev)

    def _pairs(self, engine: Engine, ev: Evidence) -> None:
        nb = int(self.neighbours)
        offsets = ", ".join(f"({i})" for i in range(1, nb + 1))
        engine.create_table(
            "_bu_r",
            """SELECT m.*, s.p_value, s.q_value, s.evidence,
                      row_number() OVER (PARTITION BY m.bid ORDER BY m.t, m.actor) AS i
               FROM _bu_mem m JOIN _bu_sig s ON s.bid = m.bid
               JOIN _bu_life l ON l.actor = m.actor
               WHERE s.link_all OR l.transient = 1""",
        )
        engine.create_table(
            "_bu_pairs",
            f"""SELECT x.bid, x.target, x.p_value, x.q_value, x.evidence, {_PAIR_COLUMNS},
                      CAST(y.t - x.t AS DOUBLE) AS lag
               FROM _bu_r x CROSS JOIN (VALUES {offsets}) AS o(off)
               JOIN _bu_r y ON y.bid = x.bid AND y.i = x.i + o.off""",
        )
        # A pair may meet in several bursts (a wave's article is a burst on its URL, its
        # domain and its teaser's text): the pair's weight is the sum of their evidence.
        edges = engine.fetch(
            f"""SELECT '{self.name}' AS signal, min(platform_a) AS platform_a,
                       min(account_a) AS account_a, min(platform_b) AS platform_b,
                       min(account_b) AS account_b, {exact_sum("evidence")} AS weight,
                       count(*) AS count, min(p_value) AS p_value, min(q_value) AS q_value,
                       least(min(time_a), min(time_b)) AS first_time,
                       greatest(max(time_a), max(time_b)) AS last_time,
                       'arrived within ' || CAST(CAST(round(max(abs(lag))) AS BIGINT) AS VARCHAR)
                       || ' s of each other in ' || CAST(count(*) AS VARCHAR)
                       || ' burst(s) of short-lived accounts on one target (largest: '
                       || CAST(max(k) AS VARCHAR) || ' accounts; ' || min(target) || ')'
                         AS reason
                FROM (SELECT p.*, b.k FROM _bu_pairs p JOIN _bu_b b ON b.bid = p.bid)
                GROUP BY a, b
                ORDER BY weight DESC, platform_a, account_a, platform_b, account_b"""
        )
        ev.edges = edges.cast(EDGE_SCHEMA)
        ev.events = engine.fetch(
            f"""SELECT '{self.name}' AS signal, platform_a, account_a, platform_b, account_b,
                       target, activity_a, activity_b, time_a, time_b, lag AS lag_seconds
                FROM (SELECT *, row_number() OVER (
                          PARTITION BY a, b ORDER BY time_a, target, activity_a, activity_b) AS j
                      FROM _bu_pairs)
                WHERE j <= {int(self.max_events_per_edge)}
                ORDER BY platform_a, account_a, platform_b, account_b, time_a, target,
                         activity_a, activity_b"""
        ).cast(EVENT_SCHEMA)
        ev.stats["pairs"] = engine.count("_bu_pairs")
        ev.stats["edges"] = ev.edges.num_rows
        ev.stats["accounts"] = len(
            set(
                zip(
                    ev.edges["platform_a"].to_pylist(),
                    ev.edges["account_a"].to_pylist(),
                    strict=True,
                )
            )
            | set(
                zip(
                    ev.edges["platform_b"].to_pylist(),
                    ev.edges["account_b"].to_pylist(),
                    strict=True,
                )
            )
        )
