"""Follower vendors: commercial sellers of follows whose accounts look like people.

A vendor (``[vendors.NAME]``) keeps a pool of accounts per platform. ``aged_share`` of them
were made years ago and look ordinary (handle, own picture, bio, a few posts of chatter at
ordinary times); the rest were made in batches like an operation's spam pool. The vendor
sells to operations (``[operations.fake_followers] vendor``), to a fan club
(``[negatives.fan_club] vendor``) and to ``customers``, ordinary people who buy a little
audience too: the same accounts follow all of them, so an audience signal that only asks
"bought followers?" cannot tell an operation from its vendor's other customers.

The vendor's accounts are authentic accounts of a commercial business, not assets of an
operation: their truth is role ``fake_follower``, no operation, group ``follower_vendor``;
the customers are group ``vendor_customers``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from unmask.simulate import identity
from unmask.simulate.population import (
    BIO_NONE,
    BIO_ORDINARY,
    GROUPS,
    IMAGE_NONE,
    IMAGE_UNIQUE,
    ROLES,
    local_times,
    make_posts,
    sample_popular,
)
from unmask.simulate.records import Acts, Follows, P, unique_follows
from unmask.simulate.scenario import KINDS, LANGUAGES, PLATFORMS, to_dict
from unmask.simulate.timing import DAY, HOUR, PROFILE_NAMES, parse_offset, weekday

STYLE = {name: i for i, name in enumerate(identity.HANDLE_STYLES)}
G = {name: i for i, name in enumerate(GROUPS)}
# The sign-up kit of a vendor's own (non-residential) sign-ups.
VENDOR_INFRA = {
    "devices": ["Android Emulator x86", "Genymotion Pixel", "Redmi 9A"],
    "emails": ["mail.tm", "yopmail.com", "10minutemail.com"],
    "phones": ["BD", "PK", "VN", "KE"],
}
BATCH_SIZE = 50
BATCH_MINUTES = 30


def vendor_proxy(index: int) -> tuple[int, int]:
    """The first two octets of a vendor's proxies (not any operation's)."""
    return 91, 100 + index % 150


def purchase(
    rng: np.random.Generator,
    pool: np.ndarray,
    lo: int,
    t_end: int,
    size: int,
    delivery: str,
    burst_minutes: float,
    delivery_days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One order of ``size`` followers from ``pool``, delivered no earlier than ``lo``:
    a burst within ~``burst_minutes``, or (``slow``) at random times over ``delivery_days``.
    Returns (followers, times). The burst draws are those an operation always made."""
    if delivery == "slow":
        window = int(max(min(delivery_days * DAY, t_end - lo - HOUR), HOUR))
        start = int(rng.integers(lo, max(lo + 1, t_end - window)))
        who = rng.choice(pool, size, replace=False)
        return who, start + (rng.random(size) * window).astype(np.int64)
    start = int(rng.integers(lo, max(lo + 1, t_end - 2 * HOUR)))
    who = rng.choice(pool, size, replace=False)
    return who, start + rng.exponential(burst_minutes * 60 / 3, size).astype(np.int64)


@dataclass
class VendorState:
    world: Any
    index: int
    name: str
    cfg: Any
    accounts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    aged: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    customers: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    post_author: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    post_day: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    sold: dict[str, int] = field(default_factory=dict)  # buyer -> follows delivered

    def rng(self, *keys) -> np.random.Generator:
        return self.world.rng("vendor", self.name, *keys)

    @property
    def pools(self) -> dict[int, np.ndarray]:
        reg = self.world.registry
        p = reg.platform[self.accounts]
        return {int(x): self.accounts[p == x] for x in np.unique(p)}

    def setup(self) -> None:
        w, cfg, reg = self.world, self.cfg, self.world.registry
        rng = self.rng("setup")
        plats = np.array([P[p] for p, k in cfg.pool.items() for _ in range(k)], dtype=np.int64)
        m = len(plats)
        aged = rng.random(m) < cfg.aged_share
        # Aged accounts: made years ago by people of a region (as ordinary ones are).
        regions = w.layout.regions
        rw = np.array([r.weight for r in regions], dtype=float)
        region = rng.choice(len(regions), m, p=rw / rw.sum())
        lang = np.zeros(m, dtype=np.int8)
        for r, rc in enumerate(regions):
            sel = np.flatnonzero(region == r)
            names = list(rc.languages)
            lw = np.array([rc.languages[k] for k in names], dtype=float)
            picks = rng.choice(len(names), len(sel), p=lw / lw.sum())
            lang[sel] = [LANGUAGES.index(names[i]) for i in picks]
        batch_lang = np.where(rng.random(m) < 0.7, LANGUAGES.index("en"), LANGUAGES.index("zh"))
        lang = np.where(aged, lang, batch_lang).astype(np.int8)
        offsets = np.array([parse_offset(r.utc_offset) for r in regions], dtype=np.int16)
        prof_names = list(w.scenario.population.profiles)
        pw = np.array([w.scenario.population.profiles[k] for k in prof_names], dtype=float)
        profile = np.array(
            [
                PROFILE_NAMES.index(prof_names[i])
                for i in rng.choice(len(prof_names), m, p=pw / pw.sum())
            ],
            dtype=np.int8,
        )
        created_aged = w.t_start - rng.integers(400, 3000, m) * DAY - rng.integers(0, DAY, m)
        # The rest in batches, well before anyone buys (deliveries start ≤ 30 days before).
        n_batches = max(1, -(-m // BATCH_SIZE))
        starts = rng.integers(w.t_start - 240 * DAY, w.t_start - 31 * DAY, n_batches)
        order = rng.permutation(m)
        created_batch = np.empty(m, dtype=np.int64)
        created_batch[order] = starts[np.arange(m) // BATCH_SIZE] + (
            rng.random(m) * BATCH_MINUTES * 60
        ).astype(np.int64)
        image_key = 10**9 + self.index * 10**4 + rng.integers(0, 20, m)
        batch_image = np.where(rng.random(m) < 0.7, IMAGE_NONE, image_key * 256)
        self.accounts = reg.add(
            m,
            platform=plats,
            kind=KINDS.index("account"),
            created=np.where(aged, created_aged, created_batch),
            offset=np.where(aged, offsets[region], 0),
            lang=lang,
            region=np.where(aged, region, -1),
            profile=np.where(aged, profile, PROFILE_NAMES.index("typical")),
            group=G["follower_vendor"],
            op=-1,
            role=ROLES.index("fake_follower"),
            style=np.where(
                aged,
                STYLE["ordinary"],
                np.where(rng.random(m) < 0.5, STYLE["random"], STYLE["name_digits"]),
            ),
            image=np.where(aged, IMAGE_UNIQUE, batch_image),
            bio=np.where(aged, BIO_ORDINARY, BIO_NONE),
        )
        self.aged = aged
        # A few posts of ordinary chatter by each aged account, on days of the world.
        lo, hi = cfg.posts_per_account
        k = np.where(aged, rng.integers(lo, hi + 1, m), 0)
        self.post_author = np.repeat(self.accounts, k)
        self.post_day = rng.integers(0, w.days, len(self.post_author))
        # Ordinary people who buy a little audience on a platform the vendor serves.
        lay = w.layout
        end = lay.end
        free = (reg.kind[:end] == KINDS.index("account")) & (reg.group[:end] == G["ordinary"])
        free &= np.isin(reg.platform[:end], np.unique(plats))
        cand = np.flatnonzero(free)
        chosen = np.sort(rng.choice(cand, min(cfg.customers, len(cand)), replace=False))
        reg.group[chosen] = G["vendor_customers"]
        self.customers = chosen

    def follows(self) -> list[Follows]:
        """Camouflage follows of popular accounts, the customers' orders and the fan
        club's: one set, so that no pair comes twice."""
        w, cfg, reg = self.world, self.cfg, self.world.registry
        rng = self.rng("follows")
        out: list[Follows] = []
        who = np.repeat(self.accounts, cfg.camouflage_follows)
        followee = sample_popular(w, rng, reg.platform[who].astype(np.int64))
        ok = followee >= 0
        who, followee = who[ok], followee[ok]
        lo = np.maximum(reg.created[who], reg.created[followee])
        t = lo + (rng.random(len(lo)) * np.maximum(w.t_end - lo, 1)).astype(np.int64)
        out.append(Follows(reg.platform[who], who, followee, t))
        slow = rng.random(len(self.customers)) < cfg.customer_slow_share
        sizes = rng.integers(cfg.customer_followers[0], cfg.customer_followers[1] + 1, len(slow))
        out.append(
            self.deliver(
                rng,
                self.customers,
                np.ones(len(slow), dtype=np.int64),
                sizes,
                np.where(slow, "slow", "burst"),
                "customers",
            )
        )
        fc = w.scenario.negatives.fan_club
        if fc is not None and fc.vendor == self.name:
            from unmask.simulate.negatives import fan_club_buyers

            buyers = fan_club_buyers(w)
            frng = self.rng("fan_club")
            n = frng.integers(fc.purchases[0], fc.purchases[1] + 1, len(buyers))
            buyer = np.repeat(buyers, n)
            sizes = frng.integers(fc.burst_size[0], fc.burst_size[1] + 1, len(buyer))
            out.append(
                self.deliver(
                    frng,
                    buyer,
                    np.ones(len(buyer), dtype=np.int64),
                    sizes,
                    np.full(len(buyer), "burst"),
                    "fan_club",
                )
            )
        parts = [f for f in out if len(f)]
        if not parts:
            return []
        return [
            unique_follows(
                Follows(
                    *(
                        np.concatenate([getattr(f, c) for f in parts])
                        for c in ("platform", "follower", "followee", "time")
                    )
                )
            )
        ]

    def deliver(
        self,
        rng: np.random.Generator,
        buyers: np.ndarray,
        orders: np.ndarray,
        sizes: np.ndarray,
        delivery: np.ndarray,
        label: str,
    ) -> Follows:
        """``orders[i]`` orders of ``sizes[i]`` followers for ``buyers[i]``, from the pool
        of the buyer's platform (buyers on a platform the vendor lacks get none)."""
        w, reg, cfg = self.world, self.world.registry, self.cfg
        pools = self.pools
        fs, es, ts = [], [], []
        for b, n, size, how in zip(buyers, orders, sizes, delivery, strict=True):
            pool = pools.get(int(reg.platform[b]))
            if pool is None or len(pool) == 0:
                continue
            for _ in range(int(n)):
                lo = max(int(reg.created[b]) + DAY, w.t_start - 30 * DAY)
                f, t = purchase(
                    rng,
                    pool,
                    lo,
                    w.t_end,
                    min(int(size), len(pool)),
                    str(how),
                    20.0,
                    cfg.delivery_days,
                )
                fs.append(f)
                es.append(np.full(len(f), b))
                ts.append(t)
        return self.follows_of(fs, es, ts, label)

    def follows_of(self, fs: list, es: list, ts: list, label: str) -> Follows:
        """The follows of the orders delivered, counted in the truth under ``label``."""
        reg = self.world.registry
        if not fs:
            e = np.empty(0, dtype=np.int64)
            return Follows(e.astype(np.int8), e, e, e)
        f, e, t = np.concatenate(fs), np.concatenate(es), np.concatenate(ts)
        # No follower follows before it exists.
        t = np.maximum(t, reg.created[f] + 60)
        self.sold[label] = self.sold.get(label, 0) + len(f)
        return Follows(reg.platform[e], f, e, t)

    def day(self, day: int) -> list[Acts]:
        sel = np.flatnonzero(self.post_day == day)
        if len(sel) == 0:
            return []
        w = self.world
        rng = self.rng("day", day)
        author = self.post_author[sel]
        t = local_times(w, rng, author, day, bool(weekday(w.t_start + day * DAY) >= 5))
        return [make_posts(w, rng, author, t, day)]

    def truth(self) -> dict[str, Any]:
        reg = self.world.registry
        pool = {
            PLATFORMS[int(p)]: int((reg.platform[self.accounts] == p).sum())
            for p in np.unique(reg.platform[self.accounts])
        }
        ops = [
            op.cfg.id
            for op in self.world.operations
            if getattr(getattr(op.cfg, "fake_followers", None), "vendor", "") == self.name
        ]
        fc = self.world.scenario.negatives.fan_club
        return {
            "name": self.name,
            "parameters": to_dict(self.cfg),
            "accounts": len(self.accounts),
            "pool": pool,
            "aged": int(self.aged.sum()),
            "posts": len(self.post_author),
            "customers": len(self.customers),
            "bought_by": {
                "operations": ops,
                "negatives": ["fan_club"] if fc is not None and fc.vendor == self.name else [],
                "customers": len(self.customers),
            },
            "follows_sold": dict(sorted(self.sold.items())),
            "infrastructure": VENDOR_INFRA
            | {"proxy_prefix": "{}.{}".format(*vendor_proxy(self.index))},
        }


def setup(world) -> dict[str, VendorState]:
    """The vendors of the scenario, their accounts after every operation's (so that
    worlds without vendors keep their account numbers)."""
    out = {}
    for i, (name, cfg) in enumerate(world.scenario.vendors.items()):
        v = VendorState(world, i, name, cfg)
        v.setup()
        out[name] = v
    return out
