"""Behavioural rhythm: pairs of accounts whose weeks follow the same hours, days and breaks
beyond what common rhythms explain.

An operation's accounts, bought aged and never co-posting, still work one rota: the same
working days, the same hours, the same empty lunch and dinner breaks, week after week. A
shared rhythm is evidence only in proportion to its rarity: two people of one time zone
share its ordinary day (asleep at night, busier in the evening), and a newsroom shares a
plain 9-to-6 with millions of offices. This signal links two accounts when each one's
week explains the other's activity *better than the best common rhythm does*: the
ordinary rhythm of any time zone, or a plain office day (one block of hours on five or six
consecutive days, anywhere in the world). What is left is the rare part of a rhythm: the
breaks at the same half-hours, an evening shift, the same empty weekend hours.

It differs from :mod:`unmask.signals.schedule` (``ShiftSchedule``), which scores accounts
for *looking like* a rota and links those that do: here a rota is not evidence by itself
(the plain office day is part of the null), only a shared shape that common rhythms do not
explain is; and no account needs a rota of its own (an account half of whose actions are
moved off the rota, ``schedule_spread``, still shares the other half's shape).

How (per-row work in SQL on the engine; the per-account vectors in numpy):

1. **Profiles.** Each account's *active half-hours* (distinct half-hours of real time with
   activity, so a flood counts once) in the 336 half-hours of the week, UTC; accounts with
   fewer than ``min_actions`` of them on fewer than ``min_days`` days are not judged. No
   time zone is assumed.
2. **The null: common rhythms** (the guard against chance). For each account, the
   log-likelihood of its active half-hours under the best of 1,393 models: (a) the ordinary
   rhythm of each of 24 time zones (the pooled profile of the accounts whose quietest hours
   put their night there, shrunk toward the world's rhythm: empirical Bayes, Efron & Morris
   1975; time zones from the night, Mahmud, Nichols & Drews 2014; Golder & Macy 2011),
   (b) every plain office day: a block of ``office_hours`` hours on five or six consecutive
   days at every hour of the day (1,344 blocks), a half-hour falling inside with
   probability ``1 - leak``, (c) a working person's free time in each zone (commute, lunch
   break and evening on weekdays, the waking day on weekends) and (d) activity at any time.
   Taking the best for each account is generous to the null: rhythms common to millions
   (a newsroom's 9-to-6, office workers posting in their lunch break) explain their
   accounts as well as any shared rhythm does.
3. **Week models.** An account's rhythm as (days of the week) x (half-hours of the day),
   both margins shrunk toward its best common rhythm with ``prior_strength``
   pseudo-half-hours, the hours smoothed over ``bandwidth`` neighbours, ``leak`` of it
   spread over the week: a few dozen half-hours say little about 336 cells, much about 7
   days and 48 half-hours.
4. **The ratio** (a likelihood ratio, Kass & Raftery 1995): ``L(b|a)`` is the
   log-likelihood of ``b``'s half-hours under ``a``'s week model less ``b``'s null, summed
   per calendar date and *recurring*: less its strongest ``trim`` share of ``b``'s active
   dates (at least one) or its strongest day of the week, whichever weighs more, and
   counted only when positive on ``recur`` of its dates. A rhythm recurs over many dates;
   a fan flood on three dates, a weekly event, a news day do not.
5. **Pairs** (blocking: Charikar 2002, SimHash). Each profile's deviation from the
   population's density, divided by the square root of that density (rare half-hours weigh
   more, as IDF, Sparck Jones 1972), is hashed by ``tables`` sets of ``bits`` random
   hyperplanes; in each table accounts are sorted by hash and each is compared with the
   next ``window`` (at most ``n * window * tables`` pairs). A pair links when
   ``min(L(b|a), L(a|b))`` reaches ``min_llr``, by default ``ln`` of the number of pairs
   compared (Bonferroni: ``P(LR >= t) <= 1/t`` under the null); each account keeps its
   ``neighbours`` strongest.
6. **Rare groups.** k-means (Lloyd 1982) on the square roots of the week models (Hellinger
   geometry; two levels, about ``cluster_size`` accounts a cluster); each cluster is peeled
   (three rounds) to the members whose half-hours its pooled week *without them* explains
   better than their best common rhythm, and kept when ``min_group`` remain and the median
   member's ratio is at least ``min_group_llr``. Components of the pair edges not in a rare
   group are groups too.
7. **Attach.** Accounts too quiet to link pair by pair (an operation's posters have about
   ten half-hours in two weeks) are tested against each group's pooled week; a ratio of
   ``attach_llr`` against the best of the 1,393 common rhythms joins. Members of rare groups
   and attached accounts are linked to the ``neighbours`` members whose week explains them
   best.

Cost: one SQL pass over activities (distinct half-hours per account, grouped into 336
bins). numpy: the null is a chunked product n x 336 x 1,393 (about 4.7e11 flops for a
million judged accounts, float32); pair ratios are sums over each account's nonzero
half-hours for at most ``n * window * tables`` pairs, with the sort that ranks each
pair's dates only for pairs whose plain sum reaches the bar (the recurring ratio never
exceeds it: 2 % of the million pairs on the medium world; this cut the signal's time
there from 32 s to 18 s); the k-means costs
``n * 2 sqrt(n / cluster_size) * 336`` per iteration (10 iterations); attaching
``n * groups * 336``. Memory O(n * 336).

Edges only (``defines_groups`` False, family ``schedule``): a shared rhythm supports a
cluster found by other evidence but does not pull strangers together. Every edge has
events: for the half-hours of the week that weigh most in it, one activity of each account
in that half-hour (a whole number of weeks apart).

Tried and dropped: the zone's ordinary rhythm as the only null (a newsroom's plain office
day then looked as rare as an operation's rota: 9-to-6 is uncommon in a simulated world,
not in the real one); TF-IDF cosine similarity as the evidence (no calibrated bar: two
night owls of a sparse time zone scored as high as two operators); raw 336-bin profiles as
models (too sparse: pairs linked only when active in the same real half-hours, which is
co-action, not rhythm; a hand-made office posting at independent times never linked);
ratios over all days (a fan club flooding on the same weekday both weeks linked), then
without the strongest weekday only (on the medium world, floods 10 days apart fall on
different weekdays: 1,126 of 3,000 fans linked; dropping the strongest quarter of dates,
470; half of them and the ``recur`` rule, 285); a
Chernoff bound to attach quiet accounts (ten half-hours never reach a bar corrected for
thousands of tests, while the ratio against the best common rhythm separated them from
every authentic account on seeds 1 and 2).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import pyarrow as pa

from unmask.engine.base import Engine
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Evidence, Signal
from unmask.signals.schedule import (
    _MONDAY_SHIFT,
    DAY_BINS,
    DAY_NAMES,
    WEEK_BINS,
    ZONES,
    Rotas,
    _backgrounds,
    _bin_sql,
    _clock,
    _night_offsets,
    _slots_sql,
    _smooth,
    _span,
    _to_utc,
    exposure,
)

_FLOOR = 1e-12
# The pairs compared with positive evidence both ways, for seeing how close misses came.
PAIRS_SCHEMA = pa.schema(
    [
        pa.field("account_a", pa.string()),
        pa.field("account_b", pa.string()),
        pa.field("llr_a_given_b", pa.float64()),
        pa.field("llr_b_given_a", pa.float64()),
    ]
)


def _free_time_week() -> np.ndarray:
    """A working person's free time (local): on weekdays the commute, the lunch break and
    the evening, on weekends the waking day. Common to millions in every time zone."""
    level = {
        (0, 7): 0.2,
        (7, 9): 1.5,
        (9, 12): 0.3,
        (12, 14): 1.5,
        (14, 17): 0.3,
        (17, 23): 1.5,
        (23, 24): 0.6,
    }
    weekday = np.zeros(DAY_BINS)
    for (a, b), v in level.items():
        weekday[2 * a : 2 * b] = v
    weekend = np.where(np.arange(DAY_BINS) < 16, 0.2, 1.0)
    week = np.concatenate([weekday] * 5 + [weekend] * 2)
    return week / week.sum()


_FREE_TIME = _free_time_week()

REFERENCE = (
    "Zannettou et al. 2019 (hour-of-week activity of state-sponsored trolls, WWW "
    "Companion); Mahmud, Nichols & Drews 2014 (time zones from posting times, ACM TIST); "
    "Golder & Macy 2011 (diurnal rhythms, Science); Efron & Morris 1975 (empirical Bayes, "
    "JASA); Kass & Raftery 1995 (Bayes factors, JASA); Charikar 2002 (SimHash, "
    "random-hyperplane LSH, STOC); Sparck Jones 1972 (inverse document frequency); Lloyd "
    "1982 (k-means, IEEE Trans. Inf. Theory)"
)


def _components(pairs: np.ndarray) -> list[list[int]]:
    """Connected components of the pairs (union-find), largest first."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs.tolist():
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[int, list[int]] = {}
    for x in parent:
        members.setdefault(find(x), []).append(x)
    return sorted((sorted(m) for m in members.values()), key=lambda m: (-len(m), m[0]))


def _week_model(
    counts: np.ndarray, prior: np.ndarray, strength: float, bandwidth: int
) -> np.ndarray:
    """Each row's rhythm as (days of the week) x (half-hours of the day): a few dozen
    half-hours say little about each of 336 cells but much about 7 days and 48 half-hours
    of the day (a rota, a night owl, an early bird are such products). Both margins are
    shrunk toward those of ``prior`` with ``strength`` pseudo-half-hours; the half-hours
    of the day are smoothed over ``bandwidth`` neighbours, around the clock."""
    c = counts.astype(np.float64).reshape(len(counts), 7, DAY_BINS)
    p = prior.reshape(len(prior), 7, DAY_BINS)
    n = c.sum(axis=(1, 2))[:, None]
    day = (c.sum(axis=2) + strength * p.sum(axis=2)) / (n + strength)
    hour = (_smooth(c.sum(axis=1), bandwidth) + strength * p.sum(axis=1)) / (n + strength)
    q = (day[:, :, None] * hour[:, None, :]).reshape(-1, WEEK_BINS)
    return q / q.sum(axis=1, keepdims=True)


def _kmeans(x: np.ndarray, k: int, rng: np.random.Generator, iters: int = 10) -> np.ndarray:
    """Lloyd's k-means (rows of ``x``), seeded from distinct random rows; the labels."""
    k = max(1, min(k, len(x)))
    centres = x[rng.choice(len(x), k, replace=False)].copy()
    labels = np.zeros(len(x), dtype=np.int64)
    sq = (x * x).sum(axis=1)
    for _ in range(iters):
        for lo in range(0, len(x), 8192):
            d = (centres * centres).sum(axis=1)[None, :] - 2 * x[lo : lo + 8192] @ centres.T
            labels[lo : lo + 8192] = np.argmin(d + sq[lo : lo + 8192, None], axis=1)
        order = np.argsort(labels, kind="stable")
        size = np.bincount(labels, minlength=k)
        sums = np.zeros_like(centres)
        used = np.flatnonzero(size)
        sums[used] = np.add.reduceat(x[order], (np.cumsum(size) - size)[used], axis=0)
        keep = size > 0
        centres[keep] = sums[keep] / size[keep, None]
    return labels


class _Slots:
    """Each judged account's active half-hours (half-hour of the week, calendar date),
    grouped by account, for ratios that must recur over many dates."""

    def __init__(
        self, acc: np.ndarray, slot: np.ndarray, n: int, trim: float, recur: float
    ) -> None:
        order = np.lexsort((slot, acc))
        acc, slot = acc[order], slot[order]
        self.bin = ((slot + _MONDAY_SHIFT) % WEEK_BINS).astype(np.int64)
        date = slot // DAY_BINS
        self.date = (date - date.min()).astype(np.int64) if len(date) else date
        first_date = int(date.min()) if len(date) else 0
        self.n_dates = int(self.date.max()) + 1 if len(date) else 1
        self.start = np.searchsorted(acc, np.arange(n + 1))
        first = np.ones(len(acc), dtype=bool)
        first[1:] = (acc[1:] != acc[:-1]) | (self.date[1:] != self.date[:-1])
        self.dates = np.bincount(acc[first], minlength=n)  # distinct dates per account
        self.recur = recur
        self.trim = trim
        # Day of the week (Monday 0) of each date: epoch day 0 was a Thursday.
        self.weekday_index = (first_date + np.arange(self.n_dates) + 3) % 7

    def _chunks(self, x: np.ndarray):
        """The tests in chunks of about two million half-hours: (lo, hi, test of each
        half-hour, its position in the slots)."""
        nslots = self.start[x + 1] - self.start[x]
        lo = 0
        while lo < len(x):
            cum = np.cumsum(nslots[lo:])
            hi = lo + max(1, int(np.searchsorted(cum, 1 << 21, side="right")))
            k = nslots[lo:hi]
            t = np.repeat(np.arange(lo, hi), k)
            pos = np.repeat(self.start[x[lo:hi]] - (np.cumsum(k) - k), k) + np.arange(len(t))
            yield lo, hi, t, pos
            lo = hi

    def totals(
        self, x: np.ndarray, a: np.ndarray, ra: np.ndarray, b: np.ndarray, rb: np.ndarray
    ) -> np.ndarray:
        """For each test t: the sum over account x[t]'s half-hours of
        a[ra[t], bin] - b[rb[t], bin], over all its dates."""
        out = np.zeros(len(x))
        for lo, hi, t, pos in self._chunks(x):
            v = a[ra[t], self.bin[pos]].astype(np.float64) - b[rb[t], self.bin[pos]]
            out[lo:hi] = np.bincount(t - lo, weights=v, minlength=hi - lo)
        return out

    def recurring(
        self,
        x: np.ndarray,
        a: np.ndarray,
        ra: np.ndarray,
        b: np.ndarray,
        rb: np.ndarray,
        floor: float | None = None,
    ) -> np.ndarray:
        """For each test t: the sum over account x[t]'s half-hours of
        a[ra[t], bin] - b[rb[t], bin], less its strongest dates (the ``trim`` share of the
        account's active dates, at least one, or its strongest day of the week if that
        weighs more): a rhythm recurs over many dates; a flood, a live event or a news day
        is a few.

        With a ``floor``, a test whose ratio is surely below it is returned as -inf
        (every other is exact): the ratio never exceeds the plain sum (``totals``), which
        costs no sort, and most pairs compared are far below any bar."""
        if floor is not None:
            out = np.full(len(x), -np.inf)
            # The plain sum adds in another order than the recurring one: a margin for that.
            sel = np.flatnonzero(self.totals(x, a, ra, b, rb) >= floor - 1e-6)
            out[sel] = self.recurring(x[sel], a, ra[sel], b, rb[sel])
            return out
        out = np.zeros(len(x))
        d = self.n_dates
        # Sparse over each test's active dates: data over years has thousands of dates, and
        # a dense (tests x dates) sort took 90 % of the signal's time on the real
        # CrowdTangle and CooRTweet sets.
        for lo, hi, t, pos in self._chunks(x):
            v = a[ra[t], self.bin[pos]].astype(np.float64) - b[rb[t], self.bin[pos]]
            # Slots are in date order within each account, so the (test, date) keys come
            # sorted: their runs are the cells, with no sort.
            key = (t - lo) * d + self.date[pos]
            first = np.ones(len(key), dtype=bool)
            first[1:] = key[1:] != key[:-1]
            at = np.cumsum(first) - 1
            cell = key[first]
            per = np.bincount(at, weights=v)  # one value per (test, active date)
            row, date = cell // d, cell % d
            n = hi - lo
            total = np.bincount(row, weights=per, minlength=n)
            drop = np.maximum(1, np.ceil(self.trim * self.dates[x[lo:hi]])).astype(np.int64)
            order = np.lexsort((-per, row))  # by test, strongest date first
            ranked = row[order]
            rank = np.arange(len(order)) - np.searchsorted(ranked, ranked)
            keep = rank < drop[ranked]
            top = np.bincount(ranked[keep], weights=np.maximum(per[order][keep], 0.0), minlength=n)
            # ... or less its strongest day of the week, whichever is less (a weekly event,
            # a fan flood every Thursday, is one day of the week).
            week = np.bincount(
                row * 7 + self.weekday_index[date], weights=per, minlength=n * 7
            ).reshape(n, 7)
            weekly = np.maximum(week.max(axis=1), 0.0)
            r = total - np.maximum(top, weekly)
            # ... and counts only when it is positive on ``recur`` of the active dates.
            ok = np.bincount(row, weights=per > 0, minlength=n) >= self.recur * self.dates[x[lo:hi]]
            out[lo:hi] = np.where(ok, r, np.minimum(r, 0.0))
        return out


def _half_hour_words(b: int) -> str:
    return f"{DAY_NAMES[b // DAY_BINS]} {_clock(b)} UTC"


class SharedRhythm(Signal):
    """Accounts sharing a rare weekly rhythm; see the module's docstring."""

    name = "rhythm"
    label = "shared rhythm: a rare weekly rhythm in common"
    order = 100
    empty_tables: ClassVar[dict[str, pa.Schema]] = {"pairs": PAIRS_SCHEMA}
    kind = "edges"
    family = "schedule"
    defines_groups = False
    reference = REFERENCE

    def __init__(
        self,
        min_actions: int = 8,
        min_days: int = 3,
        bandwidth: int = 1,
        prior_strength: float = 4.0,
        leak: float = 0.05,
        office_hours: tuple[int, int] = (8, 11),
        bits: int = 16,
        tables: int = 4,
        window: int = 6,
        neighbours: int = 10,
        min_llr: float | None = None,
        min_group: int = 5,
        cluster_size: int = 50,
        min_group_llr: float = 4.0,
        trim: float = 0.5,
        recur: float = 0.5,
        attach_llr: float = 0.5,
        events_per_edge: int = 3,
        night_centre: float = 3.5,
        seed: int = 0,
    ) -> None:
        self.min_actions = min_actions
        self.min_days = min_days
        self.bandwidth = bandwidth
        self.prior_strength = prior_strength
        self.leak = leak
        self.office_hours = office_hours
        self.bits = bits
        self.tables = tables
        self.window = window
        self.neighbours = neighbours
        self.min_llr = min_llr
        self.min_group = min_group
        self.cluster_size = cluster_size
        self.min_group_llr = min_group_llr
        self.trim = trim
        self.recur = recur
        self.attach_llr = attach_llr
        self.events_per_edge = events_per_edge
        self.night_centre = night_centre
        self.seed = seed

    def _check(self) -> None:
        if not 0 < float(self.leak) < 0.5:
            raise ValueError(f"leak={self.leak}: must be in (0, 0.5)")
        if int(self.min_actions) < 2 or int(self.min_days) < 1:
            raise ValueError("min_actions must be at least 2 and min_days at least 1")
        lo, hi = (int(x) for x in self.office_hours)
        if not 1 <= lo <= hi <= 23:
            raise ValueError(f"office_hours={self.office_hours}: need 1 <= low <= high <= 23")
        if not 1 <= int(self.bits) <= 62 or int(self.tables) < 1 or int(self.window) < 1:
            raise ValueError("bits must be in 1..62, tables and window at least 1")
        if int(self.neighbours) < 1:
            raise ValueError("neighbours must be at least 1")

    # -- profiles and the null ------------------------------------------------------------

    def _profiles(self, engine: Engine) -> tuple[pa.Table, np.ndarray, np.ndarray] | None:
        span = _span(engine)
        if span is None:
            return None
        # The distinct half-hours once, for the accounts judged and their slots.
        engine.create_table("_rh_slots", _slots_sql("activities a"))
        keys = engine.fetch(
            f"""SELECT platform, account_id, slots, days,
                       CAST(row_number() OVER (ORDER BY platform, account_id) - 1 AS BIGINT)
                         AS i
                FROM (SELECT platform, account_id, count(*) AS slots,
                             count(DISTINCT CAST(floor(slot / 48) AS BIGINT)) AS days
                      FROM _rh_slots s GROUP BY platform, account_id)
                WHERE slots >= {int(self.min_actions)} AND days >= {int(self.min_days)}
                ORDER BY i"""
        )
        engine.register("_rh_keys", keys.select(["platform", "account_id", "i"]))
        slot_rows = engine.fetch(
            """SELECT k.i, s.slot
               FROM _rh_slots s JOIN _rh_keys k
                 ON k.platform = s.platform AND k.account_id = s.account_id"""
        )
        engine.drop("_rh_slots")
        acc = slot_rows.column("i").to_numpy().astype(np.int64)
        slot = slot_rows.column("slot").to_numpy().astype(np.int64)
        self._slot_rows = (acc, slot)
        n = keys.num_rows
        week_bin = (slot + _MONDAY_SHIFT) % WEEK_BINS
        counts = np.bincount(acc * WEEK_BINS + week_bin, minlength=n * WEEK_BINS)
        return keys.drop(["i"]), counts.reshape(n, WEEK_BINS).astype(np.float32), exposure(*span)

    def _null_models(self, counts: np.ndarray, e: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(models, 336) probabilities of a half-hour falling in each bin under every common
        rhythm: the 24 zones' ordinary rhythms, the plain office days, any time."""
        rates = counts / e
        zone = _night_offsets(rates, float(self.night_centre))
        bg = _backgrounds(rates, zone, np.ones(len(counts), dtype=bool), 500.0) * e
        bg /= bg.sum(axis=1, keepdims=True)
        lo, hi = (int(x) for x in self.office_hours)
        masks = Rotas.build(lengths=range(lo, hi + 1)).masks.astype(np.float64)
        leak = float(self.leak)
        inside = masks * e
        outside = (1 - masks) * e
        office = (1 - leak) * inside / inside.sum(axis=1, keepdims=True) + leak * (
            outside / outside.sum(axis=1, keepdims=True)
        )
        anytime = (e / e.sum())[None, :]
        free = np.array([_to_utc(_FREE_TIME, int(o)) for o in ZONES]) * e
        free /= free.sum(axis=1, keepdims=True)
        return np.vstack([bg, office, free, anytime]), zone

    # -- the run ----------------------------------------------------------------------------

    def _run(self, engine: Engine, ev: Evidence) -> None:
        got = self._profiles(engine)
        if got is None or got[1].shape[0] < 2:
            ev.notes.append(
                f"nothing to compare: fewer than two accounts active in "
                f"{int(self.min_actions)} half-hours on {int(self.min_days)} days"
            )
            ev.stats["accounts_profiled"] = 0 if got is None else int(got[1].shape[0])
            return
        keys, counts, e = got
        n = len(counts)
        ev.stats["accounts_profiled"] = n
        models, _ = self._null_models(counts, e)
        logm = np.log(np.maximum(models, _FLOOR)).astype(np.float32)
        null_ll = np.empty(n)
        best = np.empty(n, dtype=np.int64)
        for lo in range(0, n, 8192):
            ll = counts[lo : lo + 8192] @ logm.T
            best[lo : lo + 8192] = np.argmax(ll, axis=1)
            null_ll[lo : lo + 8192] = ll[np.arange(len(ll)), best[lo : lo + 8192]]
        # Each account's rhythm as a model of others: smoothed, shrunk toward its own best
        # common rhythm, with leak spread over the week.
        q = _week_model(counts, models[best], float(self.prior_strength), int(self.bandwidth))
        q = (1 - float(self.leak)) * q + float(self.leak) * (e / e.sum())[None, :]
        logq = np.log(np.maximum(q, _FLOOR)).astype(np.float32)
        pairs = self._candidates(counts, ev)
        ev.stats["pairs_compared"] = len(pairs)
        if not len(pairs):
            ev.notes.append("no pair of accounts to compare")
            return
        i, j = pairs[:, 0], pairs[:, 1]
        slots = _Slots(*self._slot_rows, n, float(self.trim), float(self.recur))
        self._slots = slots
        threshold = math.log(max(len(pairs), 2)) if self.min_llr is None else float(self.min_llr)
        # Only pairs with positive evidence both ways are kept, even as near misses.
        floor = min(0.0, threshold)
        l_ji = slots.recurring(j, logq, i, logm, best[j], floor=floor)
        l_ij = slots.recurring(i, logq, j, logm, best[i], floor=floor)
        evidence = np.minimum(l_ji, l_ij)
        ev.stats["min_llr"] = round(threshold, 2)
        # The pairs compared with positive evidence both ways (below the bar included), to
        # see how close the nearest misses came.
        pos = np.flatnonzero(evidence > 0)
        ev.tables["pairs"] = pa.table(
            {
                "account_a": keys.column("account_id").take(pa.array(i[pos])),
                "account_b": keys.column("account_id").take(pa.array(j[pos])),
                "llr_a_given_b": l_ij[pos],
                "llr_b_given_a": l_ji[pos],
            },
            schema=PAIRS_SCHEMA,
        )
        keep = self._strongest(i, j, evidence, n) & (evidence >= threshold)
        pairs, l_ij, l_ji = pairs[keep], l_ij[keep], l_ji[keep]
        ev.stats["pair_edges"] = len(pairs)
        group_fit = np.full((len(pairs), 2), np.nan)  # through a group: (fit, group size)
        groups = self._rare_groups(counts, e, q, models, logm, best, ev)
        groups = self._with_components(groups, pairs, len(counts))
        more = self._group_edges(counts, e, logq, logm, models, best, groups, ev)
        if len(more[0]):
            pairs = np.concatenate([pairs, more[0]])
            l_ij = np.concatenate([l_ij, more[1]])
            l_ji = np.concatenate([l_ji, more[2]])
            group_fit = np.concatenate([group_fit, more[3]])
            # A pair linked both ways keeps its first (pair) edge.
            _, first = np.unique(pairs, axis=0, return_index=True)
            first.sort()
            pairs, l_ij, l_ji, group_fit = (
                pairs[first],
                l_ij[first],
                l_ji[first],
                group_fit[first],
            )
        self._edges(engine, ev, keys, counts, logq, models, best, pairs, l_ij, l_ji, group_fit)

    def _model(self, rows: np.ndarray, prior: np.ndarray, e: np.ndarray) -> np.ndarray:
        """Log of the week model of summed half-hour counts (rows), with leak."""
        m = _week_model(rows, prior, float(self.prior_strength), int(self.bandwidth))
        m = (1 - float(self.leak)) * m + float(self.leak) * (e / e.sum())[None, :]
        return np.log(np.maximum(m, _FLOOR))

    def _rare_groups(self, counts, e, q, models, logm, best, ev):
        """Groups of accounts sharing a rhythm that common rhythms do not explain: k-means
        clusters of the week models (two levels, about ``cluster_size`` accounts each),
        each peeled to the members whose activity its pooled week without them explains
        better than their best common rhythm; kept when the median member's ratio is at
        least ``min_group_llr``. Returns (members, leave-one-out ratios) per group."""
        rng = np.random.default_rng(int(self.seed))
        x = np.sqrt(q).astype(np.float32)  # Hellinger geometry
        size = int(self.cluster_size)
        top = _kmeans(x, math.ceil(math.sqrt(len(x) / size)), rng)
        labels = np.empty(len(x), dtype=np.int64)
        nxt = 0
        for t in range(int(top.max()) + 1):
            idx = np.flatnonzero(top == t)
            if not len(idx):
                continue
            sub = _kmeans(x[idx], math.ceil(len(idx) / size), rng)
            labels[idx] = nxt + sub
            nxt += int(sub.max()) + 1
        out = []
        c = counts.astype(np.float64)
        for g in range(nxt):
            idx = np.flatnonzero(labels == g)
            if len(idx) < int(self.min_group):
                continue
            inside = np.ones(len(idx), dtype=bool)
            for _ in range(3):
                pooled = c[idx[inside]].sum(axis=0)
                own = np.where(inside[:, None], c[idx], 0.0)
                logg = self._model(pooled[None, :] - own, models[best[idx]], e)
                fit = self._slots.recurring(
                    idx, logg, np.arange(len(idx)), logm, best[idx], floor=0.0
                )
                new = fit > 0
                done = new.sum() < int(self.min_group) or (new == inside).all()
                inside = new
                if done:
                    break
            if inside.sum() >= int(self.min_group) and np.median(fit[inside]) >= float(
                self.min_group_llr
            ):
                out.append((idx[inside], fit[inside]))
        ev.stats["clusters"] = nxt
        ev.stats["rare_groups"] = len(out)
        return out

    def _with_components(self, groups, pairs, n):
        """The rare groups, then each component of the pair edges (at least ``min_group``
        accounts not in a group yet) as a group of its own (no leave-one-out ratios)."""
        taken = np.zeros(n, dtype=bool)
        for m, _ in groups:
            taken[m] = True
        out = list(groups)
        for comp in _components(pairs):
            rest = np.array([x for x in comp if not taken[x]], dtype=np.int64)
            if len(rest) >= int(self.min_group):
                taken[rest] = True
                out.append((rest, np.full(len(rest), np.nan)))
        return out

    def _group_edges(self, counts, e, logq, logm, models, best, groups, ev):
        """Edges through groups: each member of a rare group, and each other account whose
        activity a group's pooled week explains ``attach_llr`` nats better than its best
        common rhythm (too quiet to link pair by pair), is linked to the ``neighbours``
        members whose own week explains it best."""
        empty = (np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0), np.zeros((0, 2)))
        ev.stats["groups"] = len(groups)
        if not groups:
            return empty
        n = len(counts)
        c = counts.astype(np.float64)
        member = np.full(n, -1)
        for k, (m, _) in enumerate(groups):
            member[m] = k
        ev.stats["attach_llr"] = float(self.attach_llr)
        # Every other account against every group's pooled week; it joins its best fit.
        cand = np.flatnonzero(member < 0)
        best_fit = np.full(len(cand), -np.inf)
        best_group = np.full(len(cand), -1)
        zero = np.zeros(len(cand), dtype=np.int64)
        for k, (m, _) in enumerate(groups):
            # The group's week, shrunk toward its members' mean common rhythm.
            logg = self._model(c[m].sum(axis=0)[None, :], models[best[m]].mean(axis=0)[None], e)
            f = self._slots.recurring(
                cand, logg, zero, logm, best[cand], floor=float(self.attach_llr)
            )
            better = f > best_fit
            best_fit[better] = f[better]
            best_group[better] = k
        joined = best_fit >= float(self.attach_llr)
        ev.stats["attached"] = int(joined.sum())
        links = [
            (int(x), float(f), int(k))
            for x, f, k in zip(cand[joined], best_fit[joined], best_group[joined], strict=True)
        ]
        for k, (m, fits) in enumerate(groups):
            links += [(int(x), float(f), k) for x, f in zip(m, fits, strict=True) if f == f]
        xs, ys, fxs, sizes = [], [], [], []
        for x, fx, k in links:
            m = groups[k][0]
            m = m[m != x]
            fit = counts[x] @ logq[m].T
            for y in m[np.argsort(-fit, kind="stable")[: int(self.neighbours)]]:
                xs.append(x)
                ys.append(int(y))
                fxs.append(fx)
                sizes.append(len(groups[k][0]))
        out_p, out_a, out_b, out_g = [], [], [], []
        if xs:
            x_, y_ = np.array(xs, dtype=np.int64), np.array(ys, dtype=np.int64)
            lys = self._slots.recurring(y_, logq, x_, logm, best[y_])
            for x, y, fx, ly, size in zip(xs, ys, fxs, lys.tolist(), sizes, strict=True):
                out_p.append((min(x, y), max(x, y)))
                out_a.append(fx if x < y else ly)
                out_b.append(ly if x < y else fx)
                out_g.append((fx, size))
        if not out_p:
            return empty
        return (
            np.array(out_p, dtype=np.int64),
            np.array(out_a),
            np.array(out_b),
            np.array(out_g, dtype=np.float64),
        )

    def _candidates(self, counts: np.ndarray, ev: Evidence) -> np.ndarray:
        """Pairs (i < j) from SimHash tables of rarity-weighted profiles."""
        n = len(counts)
        share = _smooth(counts.astype(np.float64), int(self.bandwidth))
        share /= share.sum(axis=1, keepdims=True)
        density = share.mean(axis=0) + 1.0 / (WEEK_BINS * 100)
        v = ((share - density) / np.sqrt(density)).astype(np.float32)
        rng = np.random.default_rng(int(self.seed))
        bits, w = int(self.bits), int(self.window)
        weights = 1 << np.arange(bits, dtype=np.int64)
        out = []
        for _ in range(int(self.tables)):
            planes = rng.standard_normal((WEEK_BINS, bits)).astype(np.float32)
            code = ((v @ planes) > 0).astype(np.int64) @ weights
            order = np.argsort(code, kind="stable")
            for off in range(1, min(w, n - 1) + 1):
                x, y = order[:-off], order[off:]
                out.append(np.stack([np.minimum(x, y), np.maximum(x, y)], axis=1))
        if not out:
            return np.zeros((0, 2), np.int64)
        # One key per pair (i * n + j sorts as (i, j) does): a 1-D unique, not a row sort.
        both = np.concatenate(out).astype(np.int64)
        keys = np.unique(both[:, 0] * n + both[:, 1])
        return np.stack([keys // n, keys % n], axis=1)

    def _strongest(self, i: np.ndarray, j: np.ndarray, s: np.ndarray, n: int) -> np.ndarray:
        """Pairs among the ``neighbours`` strongest of either account."""
        k = int(self.neighbours)
        idx = np.arange(len(s))
        ends = np.concatenate([i, j])
        both = np.concatenate([idx, idx])
        score = np.concatenate([s, s])
        order = np.lexsort((-score, ends))
        ends, both = ends[order], both[order]
        start = np.searchsorted(ends, ends, side="left")
        rank = np.arange(len(ends)) - start
        keep = np.zeros(len(s), dtype=bool)
        keep[both[rank < k]] = True
        return keep

    # -- edges and events -------------------------------------------------------------------

    def _edges(self, engine, ev, keys, counts, logq, models, best, pairs, l_ij, l_ji, group_fit):
        platform = keys.column("platform").to_pylist()
        account = keys.column("account_id").to_pylist()
        edges, tops = [], []
        logm = np.log(np.maximum(models, _FLOOR))
        for (a, b), lab, lba, (fit, size) in zip(
            pairs.tolist(), l_ij.tolist(), l_ji.tolist(), group_fit.tolist(), strict=True
        ):
            # Per half-hour, what the pair's ratio owes it (both directions).
            contrib = counts[b] * (logq[a] - logm[best[b]]) + counts[a] * (logq[b] - logm[best[a]])
            shared = np.flatnonzero((counts[a] > 0) & (counts[b] > 0))
            top = shared[np.argsort(-contrib[shared], kind="stable")][: int(self.events_per_edge)]
            na, nb = int(counts[a].sum()), int(counts[b].sum())
            pa_, pb_ = (platform[a], account[a]), (platform[b], account[b])
            if pb_ < pa_:
                pa_, pb_ = pb_, pa_
            for t in top:
                tops.append((*pa_, *pb_, int(t)))
            edges.append(
                {
                    "signal": self.name,
                    "platform_a": pa_[0],
                    "account_a": pa_[1],
                    "platform_b": pb_[0],
                    "account_b": pb_[1],
                    "weight": (lab + lba) / (na + nb),
                    "count": na + nb,
                    "p_value": float(min(1.0, math.exp(-(min(lab, lba) if fit != fit else fit)))),
                    "q_value": None,
                    "first_time": None,
                    "last_time": None,
                    "reason": (
                        (
                            f"each one's week explains the other's active half-hours ({na} and "
                            f"{nb}) better than any common rhythm (a time zone's ordinary day, "
                            f"a plain office day) by {min(lab, lba):.1f} nats"
                            if fit != fit
                            else f"one of them (active half-hours: {na} and {nb}) fits the "
                            f"pooled week of a group of {int(size)} accounts linked by shared "
                            f"rhythm better than any common rhythm by {fit:.1f} nats"
                        )
                        + "; rarest shared half-hours: "
                        + (", ".join(_half_hour_words(int(t)) for t in top) or "none")
                    ),
                }
            )
        ev.stats["edges"] = len(edges)
        ev.edges = pa.Table.from_pylist(
            sorted(
                edges,
                key=lambda r: (r["platform_a"], r["account_a"], r["platform_b"], r["account_b"]),
            ),
            schema=EDGE_SCHEMA,
        )
        if not edges:
            ev.notes.append("no pair of accounts shares a rhythm beyond the common ones")
            return
        ev.events = self._events(engine, tops)

    def _events(self, engine: Engine, tops: list[tuple]) -> pa.Table:
        """One activity of each account in each of the pair's top half-hours (the first)."""
        engine.register(
            "_rh_top",
            pa.table(
                {
                    "platform_a": [t[0] for t in tops],
                    "account_a": [t[1] for t in tops],
                    "platform_b": [t[2] for t in tops],
                    "account_b": [t[3] for t in tops],
                    "bin": pa.array([t[4] for t in tops], pa.int64()),
                    "label": [f"half-hour of the week: {_half_hour_words(t[4])}" for t in tops],
                }
            ),
        )
        slot = "CAST(floor(epoch(time) / 1800) AS BIGINT)"
        engine.create_table(
            "_rh_act",
            f"""SELECT a.platform, a.account_id, a.activity_id, a.time,
                       {_bin_sql(slot)} AS bin,
                       row_number() OVER (PARTITION BY a.platform, a.account_id,
                                          {_bin_sql(slot)}
                                          ORDER BY a.time, a.activity_id) AS r
                FROM activities a
                JOIN (SELECT platform_a AS platform, account_a AS account_id FROM _rh_top
                      UNION SELECT platform_b, account_b FROM _rh_top) k
                  ON k.platform = a.platform AND k.account_id = a.account_id
                WHERE a.time IS NOT NULL""",
        )
        t = engine.fetch(
            f"""SELECT '{self.name}' AS signal, t.platform_a, t.account_a, t.platform_b,
                       t.account_b, t.label AS target,
                       x.activity_id AS activity_a, y.activity_id AS activity_b,
                       x.time AS time_a, y.time AS time_b,
                       CAST(abs(epoch(x.time) - epoch(y.time)) AS DOUBLE) AS lag_seconds
                FROM _rh_top t
                JOIN _rh_act x ON x.platform = t.platform_a AND x.account_id = t.account_a
                  AND x.bin = t.bin AND x.r = 1
                JOIN _rh_act y ON y.platform = t.platform_b AND y.account_id = t.account_b
                  AND y.bin = t.bin AND y.r = 1
                ORDER BY t.platform_a, t.account_a, t.platform_b, t.account_b, t.bin"""
        )
        return t.cast(EVENT_SCHEMA)
