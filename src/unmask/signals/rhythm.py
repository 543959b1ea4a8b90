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
   log-likelihood of its active half-hours under the best of (a) the ordinary rhythm of
   each of 24 time zones (the pooled profile of the accounts whose quietest hours put
   their night there, shrunk toward the world's rhythm turned to that zone: empirical
   Bayes, Efron & Morris 1975; time zones from the night, Mahmud, Nichols & Drews 2014;
   Golder & Macy 2011), (b) every plain office day: a block of ``office_hours`` hours on
   five or six consecutive days, at every hour of the day (1,344 blocks), a half-hour
   falling inside with probability ``1 - leak``, and (c) activity at any time. Taking
   the best of these for each account is generous to the null.
3. **Evidence of a pair** (a likelihood ratio, Kass & Raftery 1995): account ``a``'s
   rhythm (its profile smoothed over neighbouring half-hours, shrunk toward its own best
   common rhythm with ``prior_strength`` pseudo-half-hours, and ``leak`` of it spread over
   the week) is a model of ``b``'s activity; ``L(b|a)`` is the log-likelihood of ``b``'s
   half-hours under it less ``b``'s null. The pair's evidence is ``min(L(b|a), L(a|b))``
   (both must be explained) and needs ``min_llr`` nats; by default ``ln`` of the number of
   pairs compared (a Bonferroni bound: with ``P`` pairs tested, a ratio of ``P`` arises by
   chance about once, since ``P(LR >= t) <= 1/t`` under the null). The weight is the mean
   of the two ratios per active half-hour.
4. **Blocking, not all pairs** (Charikar 2002, SimHash: random-hyperplane LSH). Each
   profile's deviation from the population's density, divided by the square root of that
   density (rare half-hours weigh more, as IDF in TF-IDF), is hashed by ``tables`` sets of
   ``bits`` random hyperplanes; in each table accounts are sorted by their hash and each is
   compared with the next ``window`` accounts; each account keeps its ``neighbours``
   strongest partners. Pairs compared: at most ``n * window * tables``.

Cost: one SQL pass over activities (distinct half-hours per account, grouped into 336
bins); then in numpy O(n * 336 * 1,368) for the null (chunked, float32: about 4.6e11 flops
for a million judged accounts) and O(n * window * tables * 336) for the pairs; memory
O(n * 336).

Edges only (``defines_groups`` False, family ``schedule``): a shared rhythm supports a
cluster found by other evidence but does not pull strangers together. Every edge has
events: for the half-hours of the week that weigh most in the pair's ratio, one activity of
each account in that half-hour.

Tried and dropped: a null of the zone's ordinary rhythm alone (a newsroom's plain office
day then looked as rare as an operation's rota: 9-to-6 is uncommon in a simulated world,
not in the real one); TF-IDF cosine similarity as the evidence (no calibrated threshold:
two night owls of a sparse time zone scored as high as two operators).
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from unmask.engine.base import Engine
from unmask.engine.session import RunSession
from unmask.signals.base import EDGE_SCHEMA, EVENT_SCHEMA, Evidence, Signal
from unmask.signals.schedule import (
    DAY_BINS,
    DAY_NAMES,
    WEEK_BINS,
    Rotas,
    _backgrounds,
    _bin_sql,
    _clock,
    _dense,
    _night_offsets,
    _slots_sql,
    _smooth,
    _span,
    exposure,
)

_FLOOR = 1e-12

REFERENCE = (
    "Zannettou et al. 2019 (hour-of-week activity of state-sponsored trolls, WWW "
    "Companion); Mahmud, Nichols & Drews 2014 (time zones from posting times, ACM TIST); "
    "Golder & Macy 2011 (diurnal rhythms, Science); Efron & Morris 1975 (empirical Bayes, "
    "JASA); Kass & Raftery 1995 (Bayes factors, JASA); Charikar 2002 (SimHash, "
    "random-hyperplane LSH, STOC); Sparck Jones 1972 (inverse document frequency)"
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


def _leave_a_day_out(contrib: np.ndarray) -> np.ndarray:
    """A pair's ratio without its strongest day of the week: a rhythm recurs on several
    days; a weekly event (a fan flood every Thursday at 14:00) is one day."""
    per_day = contrib.reshape(len(contrib), 7, DAY_BINS).sum(axis=2)
    return per_day.sum(axis=1) - np.maximum(per_day.max(axis=1), 0.0)


def _half_hour_words(b: int) -> str:
    return f"{DAY_NAMES[b // DAY_BINS]} {_clock(b)} UTC"


class SharedRhythm(Signal):
    """Accounts sharing a rare weekly rhythm; see the module's docstring."""

    name = "rhythm"
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
        tables: int = 6,
        window: int = 10,
        neighbours: int = 10,
        min_llr: float | None = None,
        min_group: int = 3,
        attach_llr: float = 1.0,
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

    def run(self, engine: Engine) -> Evidence:
        self._check()
        ev = Evidence(signal=self.name, params=self.get_params())
        with RunSession(engine) as session:
            self._run(session, ev)
        return ev

    # -- profiles and the null ------------------------------------------------------------

    def _profiles(self, engine: Engine) -> tuple[pa.Table, np.ndarray, np.ndarray] | None:
        span = _span(engine)
        if span is None:
            return None
        slots = _slots_sql("activities a")
        keys = engine.fetch(
            f"""SELECT platform, account_id, slots, days,
                       CAST(row_number() OVER (ORDER BY platform, account_id) - 1 AS BIGINT)
                         AS i
                FROM (SELECT platform, account_id, count(*) AS slots,
                             count(DISTINCT CAST(floor(slot / 48) AS BIGINT)) AS days
                      FROM ({slots}) s GROUP BY platform, account_id)
                WHERE slots >= {int(self.min_actions)} AND days >= {int(self.min_days)}
                ORDER BY i"""
        )
        engine.register("_rh_keys", keys.select(["platform", "account_id", "i"]))
        rows = engine.fetch(
            f"""SELECT k.i, {_bin_sql("s.slot")} AS bin, count(*) AS n
                FROM ({slots}) s JOIN _rh_keys k
                  ON k.platform = s.platform AND k.account_id = s.account_id
                GROUP BY k.i, {_bin_sql("s.slot")}"""
        )
        return keys.drop(["i"]), _dense(rows, keys.num_rows), exposure(*span)

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
        return np.vstack([bg, office, anytime]), zone

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
        c = _smooth(counts.astype(np.float64), int(self.bandwidth))
        a = float(self.prior_strength)
        q = (c + a * models[best]) / (c.sum(axis=1, keepdims=True) + a)
        q = (1 - float(self.leak)) * q + float(self.leak) * (e / e.sum())[None, :]
        logq = np.log(np.maximum(q, _FLOOR)).astype(np.float32)
        pairs = self._candidates(counts, ev)
        ev.stats["pairs_compared"] = len(pairs)
        if not len(pairs):
            ev.notes.append("no pair of accounts to compare")
            return
        i, j = pairs[:, 0], pairs[:, 1]
        l_ji = np.empty(len(pairs))  # L(j | i): j's half-hours under i's rhythm
        l_ij = np.empty(len(pairs))
        logm = np.log(np.maximum(models, _FLOOR)).astype(np.float32)
        for lo in range(0, len(pairs), 32768):
            s = slice(lo, lo + 32768)
            l_ji[s] = _leave_a_day_out(counts[j[s]] * (logq[i[s]] - logm[best[j[s]]]))
            l_ij[s] = _leave_a_day_out(counts[i[s]] * (logq[j[s]] - logm[best[i[s]]]))
        evidence = np.minimum(l_ji, l_ij)
        threshold = math.log(max(len(pairs), 2)) if self.min_llr is None else float(self.min_llr)
        ev.stats["min_llr"] = round(threshold, 2)
        ev.tables["pairs"] = pa.table(
            {"i": pa.array(i), "j": pa.array(j), "l_ij": l_ij, "l_ji": l_ji}
        )
        keep = self._strongest(i, j, evidence, n) & (evidence >= threshold)
        pairs, l_ij, l_ji = pairs[keep], l_ij[keep], l_ji[keep]
        ev.stats["pair_edges"] = len(pairs)
        group_fit = np.full((len(pairs), 2), np.nan)  # attached: (fit, group size)
        more = self._attach(counts, e, logq, logm, best, pairs, ev)
        if len(more[0]):
            pairs = np.concatenate([pairs, more[0]])
            l_ij = np.concatenate([l_ij, more[1]])
            l_ji = np.concatenate([l_ji, more[2]])
            group_fit = np.concatenate([group_fit, more[3]])
        self._edges(engine, ev, keys, counts, logq, models, best, pairs, l_ij, l_ji, group_fit)

    def _attach(self, counts, e, logq, logm, best, pairs, ev):
        """Accounts too quiet to link pair by pair, tested against the pooled rhythm of each
        group of at least ``min_group`` linked accounts (its connected component)."""
        empty = (np.zeros((0, 2), np.int64), np.zeros(0), np.zeros(0), np.zeros((0, 2)))
        groups = [g for g in _components(pairs) if len(g) >= int(self.min_group)]
        ev.stats["groups"] = len(groups)
        if not groups:
            return empty
        n = len(counts)
        c = _smooth(counts.astype(np.float64), int(self.bandwidth))
        pooled = np.array([c[g].sum(axis=0) for g in groups])
        pooled /= pooled.sum(axis=1, keepdims=True)
        pooled = (1 - float(self.leak)) * pooled + float(self.leak) * (e / e.sum())[None, :]
        logg = np.log(np.maximum(pooled, _FLOOR)).astype(np.float32)
        member = np.full(n, -1)
        for k, g in enumerate(groups):
            member[g] = k
        threshold = float(self.attach_llr)
        ev.stats["attach_llr"] = round(threshold, 2)
        out_p, out_a, out_b, out_g = [], [], [], []
        for k, g in enumerate(groups):
            cand = np.flatnonzero(member < 0)
            lk = np.empty(len(cand))
            for lo in range(0, len(cand), 8192):
                x = cand[lo : lo + 8192]
                lk[lo : lo + 8192] = _leave_a_day_out(counts[x] * (logg[k] - logm[best[x]]))
            joined = cand[lk >= threshold]
            if not len(joined):
                continue
            member[joined] = k
            g = np.array(g)
            for x, lx in zip(joined, lk[lk >= threshold], strict=True):
                # Linked to the members whose own rhythm explains it best.
                fit = counts[x] @ logq[g].T
                top = g[np.argsort(-fit, kind="stable")[: int(self.neighbours)]]
                for y in top:
                    ly = float(_leave_a_day_out((counts[y] * (logq[x] - logm[best[y]]))[None])[0])
                    out_p.append((min(x, y), max(x, y)))
                    out_a.append(lx if x < y else ly)
                    out_b.append(ly if x < y else lx)
                    out_g.append((lx, len(g)))
        ev.stats["attached"] = int((member >= 0).sum()) - sum(len(g) for g in groups)
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
        pairs = np.unique(np.concatenate(out), axis=0) if out else np.zeros((0, 2), np.int64)
        return pairs

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
                       t.account_b, 'half-hour of the week ' || CAST(t.bin AS VARCHAR)
                         AS target,
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
