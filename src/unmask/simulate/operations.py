"""The planted operations and their tactics.

* :class:`SpamouflageOp`: thousands of assets on many platforms, made in batches (handles
  ``name+8 digits`` or random strings, reused profile pictures), posting on a shift rota
  (working days, office hours in UTC+8, lunch and dinner breaks empty); each *task* is one
  message that many assets post within minutes, copied with typos and odd headlines, in
  Chinese, English and Japanese; comments, likes and shares come from its own amplifiers;
  followers are bought from a spam pool and arrive in bursts; real people barely engage.
* :class:`DoppelgangerOp`: look-alike (typosquatted) domains of real outlets; waves of
  short-lived accounts, made hours before, share the fake articles across platforms, also
  as replies under popular posts.
* :class:`CarefulOp`: a few dozen aged, well-built personas with ordinary rhythms, who
  paraphrase a daily message, reply to real people and rarely touch each other.

Every operation honours the evasion knobs (``timing_jitter_s``, ``paraphrase_rate``,
``camouflage``, ``schedule_spread``, ``aged_accounts``).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from unmask.simulate import content, identity
from unmask.simulate.population import (
    BIO_GENERIC,
    BIO_NONE,
    BIO_ORDINARY,
    IMAGE_NONE,
    IMAGE_UNIQUE,
    ROLES,
    make_posts,
    make_responses,
    sample_ordinary,
    sample_popular,
)
from unmask.simulate.records import (
    K_COMMENT,
    K_POST,
    K_REACTION,
    K_REPLY,
    K_SHARE,
    Acts,
    Follows,
    P,
    acts,
    responses,
    text_posts,
    unique_follows,
)
from unmask.simulate.scenario import KINDS, LANGUAGES, PLATFORMS, to_dict
from unmask.simulate.timing import DAY, HOUR, PROFILE_NAMES, parse_clock, schedule_from_config
from unmask.simulate.vendors import purchase

STYLE = {name: i for i, name in enumerate(identity.HANDLE_STYLES)}
KIND_ROLE = {"page": "page", "group": "group", "channel": "channel", "blog": "blog"}
# delay_shape = "per_operator": log-spread of the accounts' habitual delays (a median each,
# between about a third and three times the knob's scale) and of one account's actions
# around its habit (±20%).
HABIT_SIGMA = 1.0
HABIT_SPREAD = 0.2


def _lang_codes(rng, weights: dict[str, float], n: int) -> np.ndarray:
    names = list(weights)
    w = np.array([weights[k] for k in names], dtype=float)
    picks = rng.choice(len(names), size=n, p=w / w.sum())
    return np.array([LANGUAGES.index(names[i]) for i in picks], dtype=np.int8)


def image_code(key: int | np.ndarray, flip: int | np.ndarray = 0) -> np.ndarray:
    """A pooled profile image: ``key`` names the picture, ``flip`` (1–64) a re-encoded copy
    whose perceptual hash differs in one bit."""
    return np.asarray(key, dtype=np.int64) * 256 + np.asarray(flip, dtype=np.int64)


@dataclass
class OpBase:
    world: Any
    index: int
    cfg: Any
    assets: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        w = self.world
        self.schedule = schedule_from_config(self.cfg.schedule, w.t_start, w.t_end)
        self.first_day = max(0, self.cfg.start_day)
        self.last_day = min(w.days, self.cfg.end_day if self.cfg.end_day is not None else w.days)
        self.t_begin = w.t_start + self.first_day * DAY
        shift_minutes = sum(parse_clock(b) - parse_clock(a) for a, b in self.cfg.schedule.shifts)
        self.minutes_per_workday = max(shift_minutes, 1)
        self.posts_made: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.translated = 0  # copies posted as machine translations
        self._habit: np.ndarray | None = None

    def translation_rng(self, *keys) -> np.random.Generator | None:
        """The generator of the translation knob (its own stream), or None when it is off."""
        return self.rng("translate", *keys) if self.cfg.translation.share > 0 else None

    def translated_lang(self, trng: np.random.Generator | None, lang: str) -> str | None:
        """With probability ``translation.share``: the language (never ``lang``) a copy is
        machine-translated into; otherwise None."""
        tr = self.cfg.translation
        if trng is None or trng.random() >= tr.share:
            return None
        weights = {k: v for k, v in tr.weights().items() if k != lang and v > 0}
        if not weights:
            return None
        self.translated += 1
        return LANGUAGES[int(_lang_codes(trng, weights, 1)[0])]

    @property
    def reg(self):
        return self.world.registry

    def rng(self, *keys) -> np.random.Generator:
        return self.world.rng("op", self.cfg.id, *keys)

    def active(self, day: int) -> bool:
        return self.first_day <= day < self.last_day

    def add_assets(
        self, n: int, *, platform, kind, role, created, lang, style, image, bio, out_k=0
    ) -> np.ndarray:
        idx = self.reg.add(
            n,
            platform=platform,
            kind=kind,
            created=created,
            offset=self.schedule.offset,
            lang=lang,
            profile=PROFILE_NAMES.index("typical"),
            group=-1,
            op=self.index,
            role=role,
            style=style,
            image=image,
            bio=bio,
            out_k=out_k,
        )
        self.assets = np.concatenate([self.assets, idx])
        return idx

    def aged_created(self, rng, n: int) -> np.ndarray:
        return self.world.t_start - rng.integers(400, 3000, n) * DAY - rng.integers(0, DAY, n)

    # -- timing helpers ------------------------------------------------------------------

    def task_times(self, rng, day: int, rate_per_workday: float) -> tuple[np.ndarray, np.ndarray]:
        """Times of ``rate_per_workday`` actions on a working day's rota, plus the spread
        share anywhere in the day. Returns (times, spread flags)."""
        d0 = self.world.t_start + day * DAY
        share = self.cfg.evasion.schedule_spread
        wm = self.schedule.working_minutes_between(d0, d0 + DAY)
        n_sched = rng.poisson(rate_per_workday * (1 - share) * wm / self.minutes_per_workday)
        n_spread = rng.poisson(rate_per_workday * share * 5 / 7)
        t = np.concatenate(
            [self.schedule.sample(rng, n_sched, d0, d0 + DAY), rng.integers(d0, d0 + DAY, n_spread)]
        )
        spread = np.concatenate([np.zeros(len(t) - n_spread, bool), np.ones(n_spread, bool)])
        return t.astype(np.int64), spread

    def later(
        self,
        rng,
        t: np.ndarray,
        spread: np.ndarray,
        scale_s: float,
        who: np.ndarray | None = None,
    ) -> np.ndarray:
        """``t`` plus a delay of the operation's ``delay_shape`` on the scale ``scale_s``:
        in working time for actions on the rota, in plain time for the spread ones.
        ``who`` (the accounts that act) is needed by ``per_operator``."""
        ev = self.cfg.evasion
        scale = max(scale_s, 1.0)
        if ev.delay_shape == "wait_burst":
            raw = ev.delay_wait_s + rng.exponential(max(scale / 10, 1.0), len(t))
        elif ev.delay_shape == "per_operator":
            assert who is not None, "per_operator delays need the accounts that act"
            raw = scale * self.habit(who) * np.exp(rng.normal(0, HABIT_SPREAD, len(t)))
        else:
            raw = rng.exponential(scale, len(t))
        delay = raw.astype(np.int64)
        on = self.schedule.add_work_time(t, delay)
        return np.where(spread, t + delay, on)

    def habit(self, who: np.ndarray) -> np.ndarray:
        """Each account's habitual delay (a factor of the scale), drawn once from a key of
        its own so that other delay shapes draw exactly what they always did."""
        if self._habit is None:
            self._habit = np.exp(self.rng("delay-habit").normal(0, HABIT_SIGMA, len(self.assets)))
        # Assets are registered in order, so their indices are sorted.
        return self._habit[np.searchsorted(self.assets, who)]

    def team_truth(self, teams: list[np.ndarray], amplifiers: list[np.ndarray] | None = None):
        """Ground truth of the teams: members as account ids (posters, then amplifiers)."""
        out = []
        for i, members in enumerate(teams):
            amps = amplifiers[i] if amplifiers is not None else np.empty(0, dtype=np.int64)
            every = np.concatenate([members, amps])
            row: dict[str, Any] = {"size": len(every), "posters": len(members)}
            if amplifiers is not None:
                row["amplifiers"] = len(amps)
            row["accounts"] = identity.account_ids(self.world.seed, every).to_pylist()
            out.append(row)
        return out

    # -- follows shared by all operations ------------------------------------------------

    def real_followers(self, rng, assets: np.ndarray, mean: float) -> Follows:
        k = rng.poisson(mean, len(assets))
        followee = np.repeat(assets, k)
        follower = sample_ordinary(self.world, rng, self.reg.platform[followee].astype(np.int64))
        ok = follower >= 0
        follower, followee = follower[ok], followee[ok]
        lo = np.maximum(self.reg.created[followee], self.reg.created[follower])
        t = lo + (rng.random(len(lo)) * (self.world.t_end - lo)).astype(np.int64)
        return Follows(self.reg.platform[followee], follower, followee, t)

    def follow_popular(self, rng, who: np.ndarray, k: np.ndarray) -> Follows:
        follower = np.repeat(who, k)
        followee = sample_popular(self.world, rng, self.reg.platform[follower].astype(np.int64))
        ok = followee >= 0
        follower, followee = follower[ok], followee[ok]
        lo = np.maximum(self.reg.created[follower], self.reg.created[followee])
        t = lo + (rng.random(len(lo)) * np.maximum(self.world.t_end - lo, 1)).astype(np.int64)
        return Follows(self.reg.platform[follower], follower, followee, t)

    # -- engagement shared by all operations ---------------------------------------------

    def camouflage(self, rng, day: int, who: np.ndarray, own_actions: int) -> list[Acts]:
        """Engagement with popular organic content, in proportion to the knob."""
        share = min(self.cfg.evasion.camouflage, 0.95)
        if share <= 0 or len(who) == 0:
            return []
        n = rng.poisson(own_actions * share / (1 - share))
        if n == 0:
            return []
        t, _ = self.task_times(rng, day, n)
        author = who[rng.integers(0, len(who), len(t))]
        return [make_responses(self.world, rng, author, t)]

    def real_engagement(self, rng, posts: Acts) -> list[Acts]:
        """The little engagement ordinary people give the operation's posts."""
        k = rng.poisson(self.cfg.real_engagement, len(posts))
        if k.sum() == 0:
            return []
        i = np.repeat(np.arange(len(posts)), k)
        author = sample_ordinary(self.world, rng, posts.platform[i].astype(np.int64))
        ok = author >= 0
        i, author = i[ok], author[ok]
        t = posts.time[i] + (2400 * np.exp(rng.normal(0, 1.2, len(i)))).astype(np.int64)
        p = posts.platform[i].astype(np.int64)
        from unmask.simulate.population import response_acts, response_kinds

        return [
            response_acts(
                self.world,
                rng,
                author,
                t,
                p,
                response_kinds(rng, p),
                posts.counter[i],
                posts.author[i],
            )
        ]

    def predecessor(self) -> OpBase:
        """The earlier operation this one is the comeback of (``lineage.of``)."""
        of = self.cfg.lineage.of
        return next(op for op in self.world.operations if op.cfg.id == of)

    def truth(self) -> dict[str, Any]:
        reg = self.reg
        counts: dict[str, dict[str, int]] = {}
        for a in self.assets:
            role = ROLES[reg.role[a]]
            plat = PLATFORMS[reg.platform[a]]
            counts.setdefault(role, {}).setdefault(plat, 0)
            counts[role][plat] += 1
        params = to_dict(self.cfg)
        if self.cfg.lineage is None:
            # Scenarios without comebacks keep the truth files they always had.
            params.pop("lineage")
        out = {
            "id": self.cfg.id,
            "type": self.cfg.type,
            "parameters": params,
            "accounts": len(self.assets),
            "assets": counts,
            **self.extra,
        }
        if self.cfg.translation.share > 0:
            out["translated_copies"] = self.translated
        if self.cfg.lineage is not None:
            out["lineage_of"] = self.cfg.lineage.of
            out["reused"] = self.reused_truth()
        return out

    def reused_truth(self) -> dict[str, Any]:
        """What a comeback took over from its earlier self."""
        return {}


# -- Spamouflage ------------------------------------------------------------------------


class SpamouflageOp(OpBase):
    def setup(self) -> None:
        cfg, w, reg = self.cfg, self.world, self.reg
        rng = self.rng("setup")
        plats, kinds = [], []
        for p, per_kind in cfg.assets.items():
            for kind, n in per_kind.items():
                plats += [P[p]] * n
                kinds += [KINDS.index(kind)] * n
        plats, kinds = np.array(plats, dtype=np.int64), np.array(kinds, dtype=np.int64)
        n = len(plats)
        is_acct = kinds == KINDS.index("account")
        amp = is_acct & (rng.random(n) < cfg.amplifier_share)
        role = np.where(
            is_acct,
            np.where(amp, ROLES.index("amplifier"), ROLES.index("poster")),
            [ROLES.index(KIND_ROLE.get(KINDS[k], "poster")) for k in kinds],
        )
        created = self.batch_created(rng, n, cfg.creation_days)
        aged = rng.random(n) < cfg.evasion.aged_accounts
        created[aged] = self.aged_created(rng, int(aged.sum()))
        styles = np.where(
            rng.random(n)
            < cfg.handle_styles.get("name_digits", 0) / max(sum(cfg.handle_styles.values()), 1e-9),
            STYLE["name_digits"],
            STYLE["random"],
        )
        styles = np.where(is_acct, styles, STYLE["page"])
        styles[aged] = np.where(is_acct[aged], STYLE["ordinary"], STYLE["page"])
        keys = 1_000_000 * (self.index + 1) + rng.integers(0, cfg.profile_images, n)
        flips = np.where(rng.random(n) < cfg.image_bit_flip_rate, rng.integers(1, 65, n), 0)
        image = image_code(keys, flips)
        image[aged] = IMAGE_UNIQUE
        bio = np.where(aged, BIO_ORDINARY, BIO_GENERIC)
        lang = _lang_codes(rng, cfg.languages, n)
        self.add_assets(
            n,
            platform=plats,
            kind=kinds,
            role=role,
            created=created,
            lang=lang,
            style=styles,
            image=image,
            bio=bio,
        )
        self.image_keys = sorted(set(keys[~aged].tolist()))
        # The spam pool that sells followers (a vendor's pool instead, if it buys from one).
        self.fakes = np.empty(0, dtype=np.int64)
        if not cfg.fake_followers.vendor:
            fplats = np.array(
                [P[p] for p, k in cfg.fake_followers.pool.items() for _ in range(k)], dtype=np.int64
            )
            m = len(fplats)
            fcreated = self.batch_created(rng, m, cfg.creation_days * 2)
            self.fakes = self.add_assets(
                m,
                platform=fplats,
                kind=KINDS.index("account"),
                role=ROLES.index("fake_follower"),
                created=fcreated,
                lang=_lang_codes(rng, {"en": 0.7, "zh": 0.3}, m),
                style=np.where(rng.random(m) < 0.5, STYLE["random"], STYLE["name_digits"]),
                image=np.where(
                    rng.random(m) < 0.7,
                    IMAGE_NONE,
                    image_code(1_000_000 * (self.index + 1) + 999_000 + rng.integers(0, 20, m)),
                ),
                bio=BIO_NONE,
            )
        self.core = self.assets[~np.isin(self.assets, self.fakes)]
        # Every task posted (message, hashtags, link), for a comeback to reuse.
        self.tasks_posted: list[tuple[content.Message, list[str], str | None]] = []
        self.reposted = 0
        r = reg.role[self.core]
        self.amplifiers = self.core[r == ROLES.index("amplifier")]
        self.posters = self.core[r != ROLES.index("amplifier")]
        self.extra = {
            "narratives": list(cfg.narratives),
            "hashtags": {k: content.NARRATIVE_TAGS[k] for k in cfg.narratives},
            "critics": content.CRITICS["en"],
            "profile_image_hashes": identity.image_hashes(
                w.seed, np.array(self.image_keys)
            ).to_pylist(),
            "schedule": to_dict(cfg.schedule),
            "fake_followers": {
                "vendor": cfg.fake_followers.vendor or None,
                "delivery": cfg.fake_followers.delivery,
            },
        }
        self.form_teams()
        self.plan_casts()

    def form_teams(self) -> None:
        """``teams.count`` fixed teams: the posting accounts and the amplifiers are split
        over them in proportion to sizes drawn from ``teams.size``."""
        tm = self.cfg.teams
        self.team_posters: list[np.ndarray] = []
        self.team_amps: list[np.ndarray] = []
        if tm.count == 0 or len(self.posters) == 0:
            return
        rng = self.rng("teams")
        n = min(tm.count, len(self.posters))
        sizes = rng.integers(max(tm.size[0], 1), tm.size[1] + 1, n).astype(float)
        self.team_posters = _split(rng, self.posters, sizes, at_least_one=True)
        self.team_amps = _split(rng, self.amplifiers, sizes, at_least_one=False)
        self.team_weights = np.array([len(m) for m in self.team_posters], dtype=float)
        self.extra["teams"] = self.team_truth(self.team_posters, self.team_amps)

    def plan_casts(self) -> None:
        """With teams or throwaway accounts, who posts each task is planned before the
        days are made: throwaway accounts must be in the registry before the follows and
        each one must be used. Task times are replayed from each day's own generator, the
        casts drawn from a key of their own; without either knob nothing is drawn."""
        cfg, reg = self.cfg, self.reg
        share = cfg.evasion.single_shot
        self.casts: dict[int, list[tuple[int, np.ndarray, int]]] | None = None
        self.throwaways = np.empty(0, dtype=np.int64)
        if (not self.team_posters and share <= 0) or len(self.posters) == 0:
            return
        rng = self.rng("casts")
        plan: dict[int, list[tuple[int, np.ndarray, int, int]]] = {}
        slots: list[tuple[int, int, int]] = []  # (task time, day, task) of tasks with throwaways
        for day in range(self.first_day, self.last_day):
            T, _ = self.task_times(self.rng("day", day), day, cfg.tasks_per_workday)
            tasks = []
            for ti in range(len(T)):
                if self.team_posters:
                    team = int(
                        rng.choice(
                            len(self.team_posters), p=self.team_weights / self.team_weights.sum()
                        )
                    )
                    members = self.team_posters[team]
                    who = members[rng.random(len(members)) < cfg.teams.turnout]
                    if len(who) == 0:
                        who = members[[int(rng.integers(len(members)))]]
                    who = rng.permutation(who)
                else:
                    team = -1
                    k = min(int(rng.integers(cfg.copies[0], cfg.copies[1] + 1)), len(self.posters))
                    who = rng.choice(self.posters, k, replace=False)
                m = int(rng.binomial(len(who), share)) if share > 0 else 0
                tasks.append((team, who[m:], m, int(T[ti])))
                if m:
                    slots.append((int(T[ti]), day, ti))
            plan[day] = tasks
        # Throwaways, in the order of the tasks: each posts in one task, or in two (the
        # next task of its team that needs one), and is never used again.
        slots.sort()
        pending: dict[int, deque[int]] = defaultdict(deque)
        first_use: list[int] = []
        owner: list[int] = []  # the team that made each throwaway (-1: no teams)
        given: dict[tuple[int, int], list[int]] = {}
        for t_task, day, ti in slots:
            team, m = plan[day][ti][0], plan[day][ti][2]
            queue = pending[team]
            take = [queue.popleft() for _ in range(min(m, len(queue)))]
            fresh = range(len(first_use), len(first_use) + m - len(take))
            for a in fresh:
                first_use.append(t_task)
                owner.append(team)
                if rng.random() < 0.5:
                    queue.append(a)
            given[(day, ti)] = take + list(fresh)
        n = len(first_use)
        if n:
            acct = self.posters[reg.kind[self.posters] == KINDS.index("account")]
            if len(acct) == 0:
                acct = self.amplifiers if len(self.amplifiers) else self.posters
            plats = reg.platform[acct[rng.integers(0, len(acct), n)]].astype(np.int64)
            hs = cfg.handle_styles
            styles = np.where(
                rng.random(n) < hs.get("name_digits", 0) / max(sum(hs.values()), 1e-9),
                STYLE["name_digits"],
                STYLE["random"],
            )
            # Made shortly (one to 24 hours) before their first post.
            created = np.array(first_use, dtype=np.int64) - rng.integers(HOUR, DAY, n)
            self.throwaways = self.add_assets(
                n,
                platform=plats,
                kind=KINDS.index("account"),
                role=ROLES.index("poster"),
                created=created,
                lang=_lang_codes(rng, cfg.languages, n),
                style=styles,
                image=IMAGE_NONE,
                bio=BIO_NONE,
            )
        self.casts = {}
        for day, tasks in plan.items():
            self.casts[day] = []
            for ti, (team, regular, _m, _t) in enumerate(tasks):
                throw = self.throwaways[np.array(given.get((day, ti), []), dtype=np.int64)]
                self.casts[day].append((team, np.concatenate([regular, throw]), len(regular)))
        if share > 0:
            self.extra["throwaway_accounts"] = n
        if self.team_posters and n:
            # A team's throwaways are its members too.
            owner_a = np.array(owner)
            for tm, row in enumerate(self.extra["teams"]):
                own = self.throwaways[owner_a == tm]
                row["throwaways"] = len(own)
                row["size"] += len(own)
                row["accounts"] += identity.account_ids(self.world.seed, own).to_pylist()

    def reused_task(self, rng) -> tuple[content.Message, list[str], str | None] | None:
        """For a comeback, with probability ``lineage.reuse_content``: one of the tasks its
        earlier self posted; otherwise (and for every other operation) None."""
        lin = self.cfg.lineage
        if lin is None:
            return None
        earlier = self.predecessor().tasks_posted
        if not earlier or rng.random() >= lin.reuse_content:
            return None
        self.reposted += 1
        return earlier[int(rng.integers(len(earlier)))]

    def reused_truth(self) -> dict[str, Any]:
        return {"tasks_reposted": self.reposted}

    def batch_created(self, rng, n: int, days_before: int) -> np.ndarray:
        """Accounts made in batches: ``batch_size`` at a time, within ``batch_minutes``,
        on the rota's working time."""
        cfg = self.cfg
        n_batches = max(1, -(-n // max(cfg.batch_size, 1)))
        lo = self.t_begin - days_before * DAY
        starts = self.schedule.sample(rng, n_batches, lo, self.t_begin - DAY)
        if len(starts) == 0:
            starts = rng.integers(lo, self.t_begin - DAY, n_batches)
        batch = np.minimum(np.arange(n) // max(cfg.batch_size, 1), n_batches - 1)
        order = rng.permutation(n)  # platforms are mixed within a batch
        created = np.empty(n, dtype=np.int64)
        created[order] = starts[batch] + (rng.random(n) * cfg.batch_minutes * 60).astype(np.int64)
        return created

    def follows(self) -> list[Follows]:
        cfg, reg = self.cfg, self.reg
        rng = self.rng("follows")
        ff = cfg.fake_followers
        out = []
        vendor = self.world.vendors[ff.vendor] if ff.vendor else None
        pools = (
            vendor.pools
            if vendor is not None
            else {
                int(p): self.fakes[reg.platform[self.fakes] == p]
                for p in np.unique(reg.platform[self.fakes])
            }
        )
        buyers = self.core[rng.random(len(self.core)) < ff.buyers_share]
        rows_f, rows_e, rows_t = [], [], []
        for b in buyers:
            pool = pools.get(int(reg.platform[b]))
            if pool is None or len(pool) == 0:
                continue
            for _ in range(int(rng.integers(ff.purchases[0], ff.purchases[1] + 1))):
                size = min(int(rng.integers(ff.burst_size[0], ff.burst_size[1] + 1)), len(pool))
                lo = max(int(reg.created[b]) + DAY, self.t_begin - 30 * DAY)
                f, t = purchase(
                    rng,
                    pool,
                    lo,
                    self.world.t_end,
                    size,
                    ff.delivery,
                    ff.burst_minutes,
                    ff.delivery_days,
                )
                rows_f.append(f)
                rows_e.append(np.full(size, b))
                rows_t.append(t)
        if rows_f:
            f, e, t = np.concatenate(rows_f), np.concatenate(rows_e), np.concatenate(rows_t)
            if vendor is not None:
                # A vendor's aged accounts may be younger than the order's start.
                t = np.maximum(t, reg.created[f] + 60)
                vendor.sold[cfg.id] = vendor.sold.get(cfg.id, 0) + len(f)
            out.append(Follows(reg.platform[e], f, e, t))
        self.extra["fake_followers"]["followers_bought"] = sum(len(x) for x in rows_f)
        out.append(
            self.follow_popular(rng, self.fakes, np.full(len(self.fakes), ff.camouflage_follows))
        )
        # The network follows itself a little, and a few popular accounts.
        k = np.full(len(self.core), cfg.internal_follows)
        follower = np.repeat(self.core, k)
        followee = self.core[rng.integers(0, len(self.core), len(follower))]
        same = reg.platform[follower] == reg.platform[followee]
        follower, followee = follower[same], followee[same]
        lo = np.maximum(reg.created[follower], reg.created[followee])
        out.append(
            Follows(
                reg.platform[follower], follower, followee, lo + rng.integers(60, 5 * DAY, len(lo))
            )
        )
        out.append(self.follow_popular(rng, self.core, rng.integers(0, 5, len(self.core))))
        out.append(self.real_followers(rng, self.core, cfg.real_followers))
        return [unique_follows(_merge_follows(out))]

    def day(self, day: int) -> list[Acts]:
        if not self.active(day) or len(self.posters) == 0:
            return []
        cfg, reg = self.cfg, self.reg
        rng = self.rng("day", day)
        trng = self.translation_rng("day", day)
        strength = cfg.evasion.paraphrase_strength
        T, spread = self.task_times(rng, day, cfg.tasks_per_workday)
        narr = list(cfg.narratives)
        nw = np.array([cfg.narratives[k] for k in narr])
        authors, times, texts, langs, urls, tags, media, spread_rows = (
            [],
            [],
            [],
            [],
            [],
            [],
            [],
            [],
        )
        youtube = self.posters[reg.platform[self.posters] == P["youtube"]]
        team_rows: list[int] = []
        for ti in range(len(T)):
            # A comeback reposts some of its earlier self's tasks (message, hashtags, link).
            old = self.reused_task(rng)
            if old is None:
                nar = narr[int(rng.choice(len(narr), p=nw / nw.sum()))]
                lang = LANGUAGES[int(_lang_codes(rng, cfg.languages, 1)[0])]
                msg = content.new_message(rng, nar, lang)
            else:
                msg = old[0]
                nar = msg.narrative
            if self.casts is None:
                k = min(int(rng.integers(cfg.copies[0], cfg.copies[1] + 1)), len(self.posters))
                who = rng.choice(self.posters, k, replace=False)
                team, n_regular = -1, k
            else:
                team, who, n_regular = self.casts[day][ti]
                who = who.copy()
                k = len(who)
            t = self.later(
                rng,
                np.full(k, T[ti]),
                np.full(k, spread[ti]),
                cfg.evasion.timing_jitter_s,
                who=who,
            )
            link = None
            if old is None:
                tag_pool = content.NARRATIVE_TAGS[nar]
                task_tags = (
                    list(rng.choice(tag_pool, int(rng.integers(1, 3)), replace=False))
                    if rng.random() < cfg.hashtag_rate
                    else []
                )
                if rng.random() < cfg.link_rate:
                    vid = identity.hex64(
                        rng.integers(0, 2**63 - 1, 1, dtype=np.int64).astype(np.uint64)
                    ).to_pylist()[0][:11]
                    link = f"https://www.youtube.com/watch?v={vid}"
            else:
                task_tags, link = list(old[1]), old[2]
            if self.casts is not None:
                # Only the team's own channel posts its video; a throwaway keeps its post.
                yt = youtube if team < 0 else youtube[np.isin(youtube, self.team_posters[team])]
                if link and len(yt):
                    channel = yt[int(rng.integers(len(yt)))]
                    if n_regular == 0:
                        who, t = np.concatenate([[channel], who]), np.concatenate([[T[ti]], t])
                        k += 1
                    else:
                        who[0], t[0] = channel, T[ti]
            elif link and len(youtube):
                # One of its YouTube channels posts the video first.
                who[0] = youtube[int(rng.integers(len(youtube)))]
                t[0] = T[ti]
            team_rows += [team] * k
            self.tasks_posted.append((msg, task_tags, link))
            image = None
            if rng.random() < cfg.image_rate:
                image = identity.hex64(
                    identity.hash64(
                        self.world.seed,
                        401,
                        np.array([self.index * 10**6 + int(rng.integers(0, 60))]),
                    )
                ).to_pylist()
            for j in range(k):
                text = content.copy_text(
                    rng,
                    msg,
                    cfg.typo_rate,
                    cfg.headline_rate,
                    cfg.evasion.paraphrase_rate,
                    strength,
                )
                lang = self.translated_lang(trng, msg.lang)
                if lang is not None:
                    assert trng is not None
                    text = content.copy_text(
                        trng,
                        content.translate(msg, lang),
                        cfg.typo_rate,
                        cfg.headline_rate,
                        cfg.evasion.paraphrase_rate,
                        strength,
                    )
                if task_tags:
                    text += " " + " ".join(task_tags)
                if link:
                    text += " " + link
                authors.append(int(who[j]))
                times.append(int(t[j]))
                texts.append(text)
                langs.append(LANGUAGES.index(lang or msg.lang))
                urls.append([link] if link else [])
                tags.append(content.tag_list(task_tags))
                media.append(image or [])
                spread_rows.append(bool(spread[ti]))
        if not authors:
            return self.camouflage(rng, day, self.core, 0)
        authors_a = np.array(authors, dtype=np.int64)
        posts = text_posts(
            self.world, authors_a, times, langs, texts, urls, hashtags=tags, media=media
        )
        out = [posts]
        amp = self.amplify(
            rng, posts, np.array(spread_rows), np.array(team_rows) if self.team_posters else None
        )
        out += amp
        out += self.camouflage(rng, day, self.core, len(posts) + sum(len(a) for a in amp))
        out += self.real_engagement(rng, posts)
        return out

    def amplify(
        self, rng, posts: Acts, spread: np.ndarray, team: np.ndarray | None = None
    ) -> list[Acts]:
        """Comments, likes and shares from the operation's own accounts (with teams: from
        the amplifiers of the team that posted)."""
        cfg, reg = self.cfg, self.reg
        out = []
        pool = self.amplifiers if len(self.amplifiers) else self.core
        by_platform = {int(p): pool[reg.platform[pool] == p] for p in np.unique(reg.platform[pool])}
        if team is not None:
            by_team = {}
            for tm in range(len(self.team_posters)):
                tp = self.team_amps[tm] if len(self.amplifiers) else self.team_posters[tm]
                for p in np.unique(reg.platform[tp]):
                    by_team[(tm, int(p))] = tp[reg.platform[tp] == p]
        for kind, mean in (
            (K_COMMENT, cfg.comments_per_post),
            (K_REACTION, cfg.likes_per_post),
            (K_SHARE, cfg.shares_per_post),
        ):
            k = rng.poisson(mean, len(posts))
            i = np.repeat(np.arange(len(posts)), k)
            who = np.full(len(i), -1, dtype=np.int64)
            if team is None:
                for p, cand in by_platform.items():
                    sel = np.flatnonzero(posts.platform[i] == p)
                    if len(sel) and len(cand):
                        who[sel] = cand[rng.integers(0, len(cand), len(sel))]
            else:
                for (tm, p), cand in by_team.items():
                    sel = np.flatnonzero((posts.platform[i] == p) & (team[i] == tm))
                    if len(sel):
                        who[sel] = cand[rng.integers(0, len(cand), len(sel))]
            ok = (who >= 0) & (who != posts.author[i])
            i, who = i[ok], who[ok]
            if len(i) == 0:
                continue
            t = self.later(rng, posts.time[i], spread[i], cfg.amplify_delay_s, who=who)
            p = posts.platform[i]
            kinds = np.full(len(i), kind, dtype=np.int8)
            if kind == K_COMMENT:
                kinds[p == P["x"]] = K_REPLY
                texts = []
                for j in range(len(i)):
                    lang = LANGUAGES[posts.lang[i[j]]]
                    pool_t = content.SPAM_COMMENTS.get(lang, content.SPAM_COMMENTS["en"])
                    c = pool_t[int(rng.integers(len(pool_t)))]
                    texts.append(
                        content.typo(rng, c, lang) if rng.random() < cfg.typo_rate / 2 else c
                    )
                out.append(
                    responses(
                        self.world,
                        posts,
                        i,
                        who,
                        t,
                        kinds,
                        lang=posts.lang[i],
                        text=texts,
                        urls_original=[[] for _ in texts],
                        hashtags=[[] for _ in texts],
                        mentions=[[] for _ in texts],
                    )
                )
            else:
                out.append(responses(self.world, posts, i, who, t, kinds))
        return out


# -- Doppelganger -----------------------------------------------------------------------


class DoppelgangerOp(OpBase):
    def setup(self) -> None:
        cfg, w = self.cfg, self.world
        rng = self.rng("setup")
        known = dict(w.outlets)
        self.squats: dict[str, str] = {}
        if cfg.lineage is not None:
            # A comeback keeps part of its earlier self's look-alike domains.
            old = sorted(self.predecessor().squats.items())
            keep = rng.random(len(old)) < cfg.lineage.reuse_domains
            self.squats.update(o for o, k in zip(old, keep, strict=True) if k)
        for outlet in cfg.outlets:
            for sq in content.typosquats(rng, outlet, cfg.squats_per_outlet):
                self.squats[sq] = outlet
        by_lang: dict[str, list[str]] = {}
        for sq, outlet in self.squats.items():
            by_lang.setdefault(known.get(outlet, "en"), []).append(sq)
        active_days = self.last_day - self.first_day
        n_waves = max(1, round(cfg.waves_per_week * active_days / 7))
        starts = np.sort(
            self.schedule.sample(rng, n_waves, self.t_begin, w.t_start + self.last_day * DAY)
        )
        if len(starts) == 0:
            starts = np.sort(rng.integers(self.t_begin, w.t_start + self.last_day * DAY, n_waves))
        plat_names = list(cfg.platforms)
        pw = np.array([cfg.platforms[p] for p in plat_names])
        self.waves = []
        for start in starts:
            lang = LANGUAGES[int(_lang_codes(rng, cfg.languages, 1)[0])]
            squats = by_lang.get(lang) or list(self.squats)
            arts = []
            for _ in range(cfg.articles_per_wave):
                sq = squats[int(rng.integers(len(squats)))]
                section = content.TEASER_PATHS.get(lang, content.TEASER_PATHS["en"])
                slug = "-".join(rng.choice(content._SLUG_WORDS, 5))
                n_value = int(rng.integers(3, 95))
                url = f"https://{sq}/{section[int(rng.integers(len(section)))]}/{slug}-{int(rng.integers(10**6, 10**7))}.html"
                arts.append(
                    {
                        "url": url,
                        "domain": sq,
                        "imitates": self.squats[sq],
                        "n": n_value,
                        "variant": int(rng.integers(3)),
                    }
                )
            n = cfg.accounts_per_wave
            plats = np.array(
                [P[plat_names[i]] for i in rng.choice(len(plat_names), n, p=pw / pw.sum())]
            )
            before = (
                rng.integers(cfg.created_before_hours[0], cfg.created_before_hours[1] + 1, n) * HOUR
            )
            created = start - before - rng.integers(0, HOUR, n)
            aged = rng.random(n) < cfg.evasion.aged_accounts
            created[aged] = self.aged_created(rng, int(aged.sum()))
            style = rng.choice(
                [STYLE["ordinary"], STYLE["name_digits"], STYLE["random"]], n, p=[0.5, 0.3, 0.2]
            )
            idx = self.add_assets(
                n,
                platform=plats,
                kind=KINDS.index("account"),
                role=ROLES.index("poster"),
                created=created,
                lang=LANGUAGES.index(lang),
                style=style,
                image=np.where(rng.random(n) < 0.4, IMAGE_NONE, IMAGE_UNIQUE),
                bio=BIO_NONE,
            )
            life = rng.integers(cfg.lifetime_days[0], cfg.lifetime_days[1] + 1, n) * DAY
            self.waves.append(
                {
                    "start": int(start),
                    "accounts": idx,
                    "lifetime": life,
                    "articles": arts,
                    "lang": lang,
                }
            )
        share = cfg.evasion.single_shot
        if share > 0:
            # Throwaways: 1–2 shares within an hour of the first, then silence.
            srng = self.rng("single-shot")
            for wv in self.waves:
                n = len(wv["accounts"])
                wv["throw"] = srng.random(n) < share
                wv["throw_posts"] = srng.integers(1, 3, n)
                wv["lifetime"] = np.where(wv["throw"], HOUR, wv["lifetime"])
        self.extra = {
            "domains": dict(sorted(self.squats.items())),
            "waves": [
                {
                    "start": _iso(wv["start"]),
                    "accounts": len(wv["accounts"]),
                    "language": wv["lang"],
                    "urls": [a["url"] for a in wv["articles"]],
                }
                | ({"throwaway_accounts": int(wv["throw"].sum())} if "throw" in wv else {})
                for wv in self.waves
            ],
        }
        if share > 0:
            self.extra["throwaway_accounts"] = sum(int(wv["throw"].sum()) for wv in self.waves)

    def reused_truth(self) -> dict[str, Any]:
        # Its new look-alikes can fall on old ones too: what it shares with its earlier self.
        old = self.predecessor().squats
        return {"domains": sorted(d for d in self.squats if d in old)}

    def follows(self) -> list[Follows]:
        rng = self.rng("follows")
        out = [self.follow_popular(rng, self.assets, rng.integers(0, 4, len(self.assets)))]
        out.append(self.real_followers(rng, self.assets, self.cfg.real_followers))
        return [unique_follows(_merge_follows(out))]

    def day(self, day: int) -> list[Acts]:
        w, cfg, reg = self.world, self.cfg, self.reg
        out: list[Acts] = []
        for wi, wave in enumerate(self.waves):
            if not (w.t_start + day * DAY <= wave["start"] < w.t_start + (day + 1) * DAY):
                continue
            rng = self.rng("wave", wi)
            trng = self.translation_rng("wave", wi)
            idx, life = wave["accounts"], wave["lifetime"]
            k = rng.integers(
                max(cfg.posts_per_account[0], 1), cfg.posts_per_account[1] + 1, len(idx)
            )
            throw = wave.get("throw")
            # The accounts that like and engage: throwaways only post.
            keep = idx if throw is None else idx[~throw]
            if throw is not None:
                k = np.where(throw, wave["throw_posts"], k)
            author = np.repeat(idx, k)
            nth = np.concatenate([np.arange(x) for x in k]) if len(k) else np.empty(0, int)
            spread = rng.random(len(author)) < cfg.evasion.schedule_spread
            first = self.later(
                rng,
                np.full(len(author), wave["start"]),
                spread,
                cfg.evasion.timing_jitter_s,
                who=author,
            )
            # An account lives ``lifetime_days`` from its first share, then falls silent.
            first_row = np.concatenate([[0], np.cumsum(k)[:-1]])
            begin = first[first_row]
            last_time = dict(zip(idx.tolist(), (begin + life).tolist(), strict=True))
            begin_of = dict(zip(idx.tolist(), begin.tolist(), strict=True))
            later = np.repeat(begin, k) + (rng.random(len(author)) * np.repeat(life, k)).astype(
                np.int64
            )
            t = np.where(nth == 0, first, later)
            arts = wave["articles"]
            a_i = rng.integers(0, len(arts), len(author))
            texts, urls, langs = [], [], []
            for j in range(len(author)):
                art = arts[a_i[j]]
                para = rng.random() < cfg.evasion.paraphrase_rate
                variant = art["variant"] + (1 + int(rng.integers(2)) if para else 0)
                strength = cfg.evasion.paraphrase_strength if para else 0.0
                # A translated teaser links the same article (the URL stays).
                lang = self.translated_lang(trng, wave["lang"])
                r = rng if lang is None else trng
                lang = lang or wave["lang"]
                teaser = content.teaser(r, lang, art["n"], variant, strength)
                texts.append(f"{teaser} {art['url']}")
                urls.append([art["url"]])
                langs.append(LANGUAGES.index(lang))
            reply = rng.random(len(author)) < cfg.reply_spam_rate
            p = reg.platform[author].astype(np.int64)
            parent, pauthor, _ = w.pool.sample_before(rng, p, t)
            reply &= parent >= 0
            kinds = np.where(reply, np.where(p == P["x"], K_REPLY, K_COMMENT), K_POST).astype(
                np.int8
            )
            posts = acts(
                w,
                p,
                author,
                t,
                kinds,
                langs,
                text=texts,
                urls_original=urls,
                hashtags=[[] for _ in texts],
                mentions=[[] for _ in texts],
                parent=np.where(reply, parent, -1),
                parent_author=np.where(reply, pauthor, -1),
            )
            out.append(posts)
            # The wave likes its own posts.
            kl = rng.poisson(cfg.likes_per_post, len(posts)) if len(keep) else np.zeros(0, int)
            i = np.repeat(np.arange(len(kl)), kl)
            who = keep[rng.integers(0, len(keep), len(i))]
            ok = (reg.platform[who] == posts.platform[i]) & (who != posts.author[i])
            i, who = i[ok], who[ok]
            if len(i):
                lt = posts.time[i] + rng.exponential(
                    cfg.evasion.timing_jitter_s / 2 + 60, len(i)
                ).astype(np.int64)
                # Likes fall within the liker's own short life.
                end = np.array([last_time[int(x)] for x in who], dtype=np.int64)
                lt = np.maximum(lt, np.array([begin_of[int(x)] for x in who], dtype=np.int64))
                alive = lt <= end
                i, who, lt = i[alive], who[alive], lt[alive]
                out.append(responses(w, posts, i, who, lt, K_REACTION))
            # Camouflage: engagement with popular organic posts, within each account's life.
            share = min(cfg.evasion.camouflage, 0.95)
            n_camo = rng.poisson(len(posts) * share / (1 - share)) if share > 0 else 0
            if n_camo and len(keep):
                who = keep[rng.integers(0, len(keep), n_camo)]
                b = np.array([begin_of[int(x)] for x in who], dtype=np.int64)
                e = np.array([last_time[int(x)] for x in who], dtype=np.int64)
                out.append(
                    make_responses(w, rng, who, b + (rng.random(n_camo) * (e - b)).astype(np.int64))
                )
            out += self.real_engagement(rng, posts)
        return out


# -- small and careful ------------------------------------------------------------------


class CarefulOp(OpBase):
    def setup(self) -> None:
        cfg = self.cfg
        rng = self.rng("setup")
        plats = np.array([P[p] for p, n in cfg.personas.items() for _ in range(n)], dtype=np.int64)
        n = len(plats)
        aged = rng.random(n) < cfg.evasion.aged_accounts
        created = np.where(
            aged,
            self.aged_created(rng, n),
            self.t_begin - rng.integers(20, 90, n) * DAY - rng.integers(0, DAY, n),
        )
        self.add_assets(
            n,
            platform=plats,
            kind=KINDS.index("account"),
            role=ROLES.index("persona"),
            created=created,
            lang=_lang_codes(rng, cfg.languages, n),
            style=STYLE["ordinary"],
            image=IMAGE_UNIQUE,
            bio=BIO_ORDINARY,
        )
        self.themes = list(content.CAREFUL_THEMES)
        self.recent: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
        self.extra = {"themes": self.themes, "sites": cfg.site_domains}
        self.teams: list[np.ndarray] = []
        if cfg.teams.count:
            trng = self.rng("teams")
            n_teams = min(cfg.teams.count, len(self.assets))
            sizes = trng.integers(max(cfg.teams.size[0], 1), cfg.teams.size[1] + 1, n_teams)
            self.teams = _split(trng, self.assets, sizes.astype(float), at_least_one=True)
            self.extra["teams"] = self.team_truth(self.teams)

    def follows(self) -> list[Follows]:
        rng = self.rng("follows")
        out = [self.follow_popular(rng, self.assets, rng.integers(40, 160, len(self.assets)))]
        out.append(self.real_followers(rng, self.assets, self.cfg.real_followers))
        # A persona or two follows another one: the network stays loose.
        follower = self.assets[rng.integers(0, len(self.assets), max(1, len(self.assets) // 6))]
        followee = self.assets[rng.integers(0, len(self.assets), len(follower))]
        same = self.reg.platform[follower] == self.reg.platform[followee]
        lo = np.maximum(self.reg.created[follower[same]], self.reg.created[followee[same]])
        out.append(
            Follows(self.reg.platform[follower[same]], follower[same], followee[same], lo + DAY)
        )
        return [unique_follows(_merge_follows(out))]

    def day(self, day: int) -> list[Acts]:
        if not self.active(day):
            return []
        w, cfg, reg = self.world, self.cfg, self.reg
        rng = self.rng("day", day)
        d0 = w.t_start + day * DAY
        k = rng.poisson(cfg.posts_per_day, len(self.assets))
        author = np.repeat(self.assets, k)
        t = self._times(rng, len(author), d0)
        narrative = rng.random(len(author)) < cfg.narrative_share
        out: list[Acts] = []
        chit = np.flatnonzero(~narrative)
        if len(chit):
            out.append(make_posts(w, rng, author[chit], t[chit], day))
        rows = np.flatnonzero(narrative)
        n_team_posts = 0
        if len(rows) or self.teams:
            themes = [
                self.themes[int(i)]
                for i in rng.choice(len(self.themes), cfg.messages_per_day, replace=False)
            ]
            strength = cfg.evasion.paraphrase_strength
            base = {}
            for th in themes:
                n_base = int(rng.integers(3, 60))
                base[th] = (content.careful_text(rng, th, n_base), n_base)
            n_author, n_time = author[rows], t[rows]
            row_theme: list[str] | None = None
            if self.teams:
                # Each message goes to one team (another team for each), whose turning-out
                # members post it once each, at their own times of the day.
                n_author, row_theme = self._team_casts(rng, themes)
                n_time = self._times(rng, len(n_author), d0)
                n_team_posts = len(n_author)
            # Personas writing in another language than English, and translated posts, draw
            # from their own stream: the English posts stay what they were.
            lrng = self.rng("careful-lang", day)
            trng = self.translation_rng("day", day)
            base_lang: dict[tuple[str, str], str] = {}
            texts, urls, tags, langs = [], [], [], []
            for r in range(len(n_author)):
                th = themes[int(rng.integers(len(themes)))] if row_theme is None else row_theme[r]
                para = rng.random() < cfg.evasion.paraphrase_rate
                if para:
                    n_value = int(rng.integers(3, 60))
                    text = content.careful_text(rng, th, n_value, "en", strength)
                else:
                    text, n_value = base[th]
                own = LANGUAGES[int(reg.lang[n_author[r]])]
                lang = self.translated_lang(trng, own) or own
                if lang != "en":
                    if para:
                        text = content.careful_text(lrng, th, n_value, lang, strength)
                    else:
                        if (th, lang) not in base_lang:
                            base_lang[th, lang] = content.careful_text(lrng, th, n_value, lang)
                        text = base_lang[th, lang]
                link = []
                if rng.random() < cfg.link_rate and cfg.site_domains:
                    site = cfg.site_domains[int(rng.integers(len(cfg.site_domains)))]
                    link = [
                        f"https://{site}/{th.replace('_', '-')}/{day:03d}-{int(rng.integers(1, 4))}"
                    ]
                    text += " " + link[0]
                texts.append(text)
                urls.append(link)
                tags.append([])
                langs.append(LANGUAGES.index(lang))
            posts = text_posts(w, n_author, n_time, langs, texts, urls, hashtags=tags)
            out.append(posts)
            out += self.real_engagement(rng, posts)
            self._share_each_other(rng, posts, out)
            self.recent = (posts.counter, posts.author, posts.time, posts.platform)
        # Replies to real people: the persona's daily engagement.
        kr = rng.poisson(cfg.replies_per_day, len(self.assets))
        ra = np.repeat(self.assets, kr)
        if len(ra):
            out.append(make_responses(w, rng, ra, self._times(rng, len(ra), d0)))
        own = int(k.sum() + kr.sum()) if not self.teams else len(chit) + n_team_posts + len(ra)
        out += self.camouflage(rng, day, self.assets, own)
        return out

    def _team_casts(self, rng, themes: list[str]) -> tuple[np.ndarray, list[str]]:
        """The day's messages given to teams: the authors and the message of each post."""
        order = rng.permutation(len(self.teams))
        authors, row_theme = [], []
        for j, th in enumerate(themes):
            members = self.teams[int(order[j % len(order)])]
            on = members[rng.random(len(members)) < self.cfg.teams.turnout]
            if len(on) == 0:
                on = members[[int(rng.integers(len(members)))]]
            authors.append(on)
            row_theme += [th] * len(on)
        return np.concatenate(authors), row_theme

    def _times(self, rng, n: int, d0: int) -> np.ndarray:
        t = self.schedule.sample(rng, n, d0, d0 + DAY)
        if len(t) < n:
            t = np.concatenate([t, rng.integers(d0, d0 + DAY, n - len(t))])
        jitter = rng.normal(0, self.cfg.evasion.timing_jitter_s / 4, n).astype(np.int64)
        return self.schedule.spread(rng, t + jitter, self.cfg.evasion.schedule_spread, d0, d0 + DAY)

    def _share_each_other(self, rng, posts: Acts, out: list[Acts]) -> None:
        n = rng.binomial(len(posts), self.cfg.in_network_share)
        if n == 0:
            return
        i = rng.integers(0, len(posts), n)
        who = self.assets[rng.integers(0, len(self.assets), n)]
        ok = (self.reg.platform[who] == posts.platform[i]) & (who != posts.author[i])
        i, who = i[ok], who[ok]
        if len(i):
            t = posts.time[i] + rng.integers(HOUR, 8 * HOUR, len(i))
            out.append(responses(self.world, posts, i, who, t, K_SHARE))


OP_CLASSES = {"spamouflage": SpamouflageOp, "doppelganger": DoppelgangerOp, "careful": CarefulOp}


def build(world, index: int, cfg) -> OpBase:
    op = OP_CLASSES[cfg.type](world, index, cfg)
    op.setup()
    return op


def _split(rng, items: np.ndarray, weights: np.ndarray, *, at_least_one: bool) -> list[np.ndarray]:
    """``items`` shuffled and cut into len(weights) parts in proportion to the weights
    (largest remainders round up); ``at_least_one``: no part left empty while items last."""
    items = rng.permutation(items)
    share = weights / weights.sum() * len(items)
    counts = np.floor(share).astype(np.int64)
    counts[np.argsort(counts - share, kind="stable")[: len(items) - counts.sum()]] += 1
    if at_least_one:
        for i in np.flatnonzero(counts == 0):
            j = int(np.argmax(counts))
            if counts[j] > 1:
                counts[j] -= 1
                counts[i] += 1
    return [np.sort(part) for part in np.split(items, np.cumsum(counts)[:-1])]


def _merge_follows(parts: list[Follows]) -> Follows:
    parts = [p for p in parts if len(p)]
    if not parts:
        e = np.empty(0, dtype=np.int64)
        return Follows(e.astype(np.int8), e, e, e)
    return Follows(
        *(
            np.concatenate([getattr(p, f) for p in parts])
            for f in ("platform", "follower", "followee", "time")
        )
    )


def _iso(t: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(int(t), UTC).isoformat()
